/*
 * ui.test.js - `huce ui` in a real browser: headless Chromium (Debian's
 * /usr/bin/chromium) driven by playwright-core (tests/ui/setup.sh).
 *
 * The story: a town office runs a real central on 127.0.0.1; two laptops
 * enrol.  On laptop 1 a cadre, in the web app only, registers a household
 * and records a failing acceptance inspection (a critical item below its
 * threshold), sees the veto before saving and the rectification after;
 * prints the acceptance record and the rectification notice; walks a
 * keyboard-only path and reports progress (开工/完工); voids an
 * inspection recorded by mistake; finds on the today page what to visit,
 * what is due and what waits to sync; syncs with the button and sees a
 * conflict with laptop 2 (which edited the same household offline with
 * the CLI); and retries and drops changes the central refused (the
 * first-toilet gate) from the sync page.
 * Every page is checked at 1366x768 for horizontal overflow and saved as
 * a screenshot in $HUCE_BUILDDIR/ui-screenshots/.  Output is TAP.
 */
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { chromium } = require(path.join(process.env.HUCE_UI_NODE_DIR, 'node_modules', 'playwright-core'));

const HUCE = process.env.HUCE;
const SYNCD = process.env.HUCE_SYNCD;
const BUILD = process.env.HUCE_BUILDDIR;
const SHOTS = path.join(BUILD, 'ui-screenshots');
const TRASH = fs.mkdtempSync(path.join(os.tmpdir(), 'huce-ui-test.'));
const children = [];
/* A 1x1 PNG: a photo the laptop refuses (it keeps JPEGs). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const MKJPEG = process.env.MKJPEG;
/* A camera-like JPEG (tests/tools/mkjpeg.c); returns its bytes. */
function mkjpeg(name, ...args) {
  const out = path.join(TRASH, name);
  execFileSync(MKJPEG, ['write', out, ...args]);
  return fs.readFileSync(out);
}
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let failed = 0, count = 0;

function huce(db, ...args) {
  return execFileSync(HUCE, ['--db', path.join(TRASH, db), ...args], { encoding: 'utf8' });
}
/* The laptop's date n days from today, YYYY-MM-DD (local time, as huce's). */
function day(n) {
  const d = new Date(Date.now() + n * 86400000);
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}
/* The checklist answers that pass a three-grid toilet at completion. */
const PASS_ITEMS = ['tank_volume=2', 'walls_roof_door=yes', 'room_area=1.5', 'no_leak=yes', 'sealed_cover=yes',
  'no_exposed_waste=yes'].flatMap((x) => ['--item', x]);
function lastLine(s) { return s.trim().split('\n').pop(); }

/* Start a process and wait for a line of its stdout matching re. */
function startUntil(cmd, args, re, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: Object.assign({}, process.env, env || {}), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(cmd + ' did not start: ' + out + err)), 20000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(re);
      if (m) { clearTimeout(timer); resolve({ p, m, out }); }
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(cmd + ' exited ' + code + ': ' + err)); });
  });
}

async function startCentral() {
  const portFile = path.join(TRASH, 'central.port');
  const p = spawn(SYNCD, ['central', '--store', path.join(TRASH, 'central.db'), '--listen', '127.0.0.1:0',
    '--port-file', portFile], { stdio: ['ignore', 'ignore', fs.openSync(path.join(TRASH, 'central.log'), 'a')] });
  children.push(p);
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'http://127.0.0.1:' + fs.readFileSync(portFile, 'utf8').trim();
}

async function test(name, fn) {
  count++;
  try {
    await fn();
    console.log('ok ' + count + ' - ' + name);
  } catch (e) {
    failed++;
    console.log('not ok ' + count + ' - ' + name);
    console.log(String(e && e.stack || e).split('\n').map((l) => '#   ' + l).join('\n'));
  }
}

function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg); }

/* No stray "null" or "undefined" printed on a page. */
async function noStray(page, what) {
  const t = await page.textContent('main');
  assert(!/\bnull\b|\bundefined\b|\[object /.test(t), what + ' shows a stray value: ' + t.slice(0, 300));
}

/* Nothing wider than the window: no horizontal scroll of the page. */
async function noOverflow(page, what) {
  const r = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('.table-wrap')) continue;
      const b = el.getBoundingClientRect();
      if (b.width && b.right > w + 1) wide.push(el.tagName + '.' + el.className + ' ' + Math.round(b.right));
    }
    return { sw: document.documentElement.scrollWidth, w, wide: wide.slice(0, 5) };
  });
  assert(r.sw <= r.w && r.wide.length === 0, what + ' overflows 1366px: ' + JSON.stringify(r));
  await noStray(page, what);
}

/*
 * The page as printed (@media print) on A4: no navigation, nothing wider
 * than the printable width (210 mm less 2 x 15 mm margins, at 96 dpi),
 * tables that do not scroll; saved as a PDF and a PNG of that width.
 */
async function onA4(page, name) {
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 680, height: 962 });
  try {
    assert(await page.isHidden('header.top'), name + ': navigation hidden in print');
    assert(await page.isHidden('main > h1') && await page.isHidden('main .no-print'), name + ': screen-only parts hidden');
    const r = await page.evaluate(() => {
      const s = document.querySelector('article.sheet');
      const wide = [...s.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > s.getBoundingClientRect().right + 1)
        .map((e) => e.tagName + ' ' + e.textContent.slice(0, 30));
      const wraps = [...document.querySelectorAll('.table-wrap')].map((w) => getComputedStyle(w).overflowX);
      return { wide, wraps, sw: document.documentElement.scrollWidth };
    });
    assert(r.wide.length === 0 && r.sw <= 680 && r.wraps.every((o) => o === 'visible'),
      name + ' does not fit the width of A4: ' + JSON.stringify(r));
    await page.screenshot({ path: path.join(SHOTS, name + '-a4.png'), fullPage: true });
    await page.pdf({ path: path.join(SHOTS, name + '.pdf'), format: 'A4' }).catch(() => {});
  } finally {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.emulateMedia({ media: 'screen' });
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

async function go(page, base, hash) {
  await page.goto(base + '/' + hash);
  await page.waitForFunction((h) => document.body.dataset.page === h, hash);
}

/* Press Tab until the focused element matches pred (at most n times). */
async function tabTo(page, pred, what, n) {
  for (let i = 0; i < (n || 80); i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(pred)) return;
  }
  throw new Error('cannot reach ' + what + ' with Tab');
}

async function main() {
  console.log('TAP version 13');
  fs.mkdirSync(SHOTS, { recursive: true });
  const central = await startCentral();
  const adm = (...a) => execFileSync(SYNCD, ['admin', '--store', path.join(TRASH, 'central.db'), ...a], { encoding: 'utf8' });
  const tok1 = lastLine(adm('device', 'add', 'lap1'));
  const tok2 = lastLine(adm('device', 'add', 'lap2'));
  for (const [db, dev, tok] of [['lap1.db', 'lap1', tok1], ['lap2.db', 'lap2', tok2]]) {
    huce(db, 'init', '--device', dev, '--town', '阿猛镇');
    huce(db, 'enroll', central, tok);
  }
  /* The office's names, registered on laptop 2 and pulled by laptop 1. */
  huce('lap2.db', 'village', 'add', '阿猛村');
  huce('lap2.db', 'group', 'add', '--village', '阿猛村', '一组');
  huce('lap2.db', 'cadre', 'add', '王建国', '--role', '验收组');
  huce('lap2.db', 'cadre', 'add', '李春华', '--role', '挂包干部');
  huce('lap2.db', 'team', 'add', '一队');
  huce('lap2.db', 'team', 'add', '二队');
  const other = lastLine(huce('lap2.db', 'household', 'add', '--village', '阿猛村', '--group', '一组',
    '--head', '白玉兰', '--approach', 'new-build', '--build', 'self', '--type', 'three-grid'));
  huce('lap2.db', 'sync');
  huce('lap1.db', 'sync');

  const ui = await startUntil(HUCE, ['--db', path.join(TRASH, 'lap1.db'), 'ui', '--no-browser'],
    /(http:\/\/127\.0\.0\.1:(\d+))\/\?s=[0-9a-f]{64}\n/);
  const url = ui.m[0].trim();
  const base = ui.m[1];
  assert(lastLine(ui.out) === url, 'the URL is the last line of stdout');

  const profile = fs.mkdtempSync(path.join(TRASH, 'profile.'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' },
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  await test('the printed URL opens the app in Chinese and leaves the secret out of the address', async () => {
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.page);
    assert(page.url() === base + '/', 'redirected to / (' + page.url() + ')');
    assert(await page.getAttribute('html', 'lang') === 'zh-CN', 'lang zh-CN');
    assert((await page.textContent('#nav')).includes('农户'), 'Chinese navigation');
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name.startsWith('huce_'));
    assert(c && c.httpOnly && c.sameSite === 'Strict', 'HttpOnly SameSite=Strict cookie ' + JSON.stringify(cookies));
  });

  let hh = null;
  await test('register a household through the form, with an error shown at its field first', async () => {
    await go(page, base, '#/household/new');
    await page.selectOption('#f-village', { label: '阿猛村' });
    await page.selectOption('#f-group', { label: '一组' });
    await page.fill('#f-head', '刀建华');
    await page.selectOption('#f-approach', { label: '整厕新建' });
    await page.selectOption('#f-build', { label: '自建' });
    await page.selectOption('#f-type', { label: '三格化粪池式' });
    await page.selectOption('#f-cadre', { label: '李春华' });
    await page.fill('#f-phone', '12345');
    await shot(page, 'household-form');
    await page.click('button[type=submit]');
    await page.waitForSelector('#err-phone:not(:empty)');
    assert(await page.getAttribute('#f-phone', 'aria-invalid') === 'true', 'phone marked invalid');
    assert(await page.evaluate(() => document.activeElement.id) === 'f-phone', 'focus on the phone');
    await shot(page, 'household-form-error');
    await page.fill('#f-phone', '13800001111');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => /^#\/household\/[0-9a-f-]{36}$/.test(location.hash) && document.body.dataset.page === location.hash);
    hh = page.url().split('/').pop();
    const show = JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json'));
    assert(show.head === '刀建华' && show.type === 'three-grid' && show.build === 'self', 'stored ' + JSON.stringify(show));
    assert(show.phone === '13800001111', 'phone stored');
    await noOverflow(page, 'household page');
    await shot(page, 'household');
  });

  await test('the household list filters by village, group and status and shows progress', async () => {
    await go(page, base, '#/households');
    assert(await page.locator('tbody tr').count() === 2, 'two households');
    await page.selectOption('#f-status', 'planned');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.page.includes('status=planned'));
    assert(await page.locator('tbody tr').count() === 2, 'both planned');
    await page.selectOption('#f-status', 'accepted');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.page.includes('status=accepted'));
    assert(await page.locator('tbody tr').count() === 0, 'none accepted');
    await go(page, base, '#/households');
    await noOverflow(page, 'household list');
    await shot(page, 'households');
  });

  await test('a failing acceptance: the form from the checklist, the veto before saving, the rectification after', async () => {
    await go(page, base, '#/inspect/' + hh + '?stage=completion');
    /* Units, the allowed range as a hint, critical items marked, photo slots with capture. */
    const row = page.locator('#row-tank_volume');
    assert((await row.textContent()).includes('m³'), 'unit shown');
    assert((await row.textContent()).includes('≥ 1.5'), 'threshold as a hint');
    assert(await row.locator('.badge').count() === 1, 'critical item marked');
    assert(await row.locator('input[type=file][capture]').count() === 1, 'a photo slot with capture');
    await page.check('input[name=inspector][value=王建国]');
    const answers = { walls_roof_door: 'yes', no_leak: 'yes', sealed_cover: 'yes', no_exposed_waste: 'yes' };
    for (const [code, v] of Object.entries(answers)) {
      if (await page.locator('#f-item-' + code).count()) await page.selectOption('#f-item-' + code, v);
    }
    const numbers = { room_area: '1.6', effective_depth: '1.2', inlet_pipe_diameter: '110', vent_height: '600' };
    for (const [code, v] of Object.entries(numbers)) {
      if (await page.locator('#f-item-' + code).count()) await page.fill('#f-item-' + code, v);
    }
    await page.fill('#f-item-tank_volume', '1.0');
    await page.setInputFiles('input[name=photo-tank_volume]', { name: 'tank.png', mimeType: 'image/png', buffer: PNG });
    await page.waitForSelector('#veto:not([hidden])');
    assert((await page.textContent('#veto')).includes('化粪池有效容积'), 'the veto names the item');
    assert((await page.textContent('#preview')).includes('不合格'), 'preview says fail');
    await noOverflow(page, 'acceptance form');
    /* A PNG is refused at its photo slot with the CLI's words; nothing is saved. */
    await page.click('form.inspect button[type=submit]');
    await page.waitForSelector('#err-photo-tank_volume:not(:empty)');
    const perr = await page.textContent('#err-photo-tank_volume');
    assert(perr.includes("photo 'tank.png' is a PNG image") && perr.includes('JPEG'), 'PNG refused at the field: ' + perr);
    assert(JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json')).inspections.length === 0, 'nothing saved');
    await shot(page, 'inspect-photo-refused');
    /* A camera photo, 2400 x 1800 turned by its EXIF orientation: kept upright and shrunk. */
    await page.setInputFiles('input[name=photo-tank_volume]', { name: 'tank.jpg', mimeType: 'image/jpeg',
      buffer: mkjpeg('tank.jpg', '--width', '2400', '--height', '1800', '--orientation', '6', '--noise', '20') });
    /* The acceptance needs its after and plaque photos (photo_required): said at the slot. */
    assert(await page.locator('#row-no_exposed_waste .req').count() === 2 &&
      await page.locator('#row-plaque_installed .req').count() === 1, 'the required photo slots are marked');
    await page.click('form.inspect button[type=submit]');
    await page.waitForSelector('#err-photo-no_exposed_waste:not(:empty)');
    const aerr = await page.textContent('#err-photo-no_exposed_waste');
    /* The page is Chinese, so the domain layer's refusal is too (api.c redoes it under zh_CN). */
    assert(aerr.includes('需要改造后照片') && aerr.includes('改造后, 标识牌'),
      'missing after photo at its slot: ' + aerr);
    assert(JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json')).inspections.length === 0, 'nothing saved');
    await page.setInputFiles('input[name=photo-no_exposed_waste]', { name: 'after.jpg', mimeType: 'image/jpeg',
      buffer: mkjpeg('after.jpg', '--seed', '7') });
    await page.setInputFiles('input[name=photo-plaque_installed]', { name: 'plaque.jpg', mimeType: 'image/jpeg',
      buffer: mkjpeg('plaque.jpg', '--seed', '8') });
    await shot(page, 'inspect');
    await page.click('form.inspect button[type=submit]');
    await page.waitForSelector('#outcome h2');
    assert((await page.textContent('#outcome')).includes('不合格'), 'saved as fail');
    await shot(page, 'inspect-saved');
    await go(page, base, '#/rectifications');
    assert((await page.textContent('main')).includes('刀建华'), 'the rectification is open');
    assert((await page.textContent('main')).includes('化粪池有效容积'), 'it names what failed');
    await noOverflow(page, 'rectifications');
    await shot(page, 'rectifications');
    const rect = JSON.parse(huce('lap1.db', 'rectify', 'list', '--json'));
    assert(rect.length === 1 && rect[0].household === hh, 'CLI sees it ' + JSON.stringify(rect));
    const show = JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json'));
    assert(show.status === 'failed', 'status derived: failed, not ' + show.status);
    assert(show.photos.length === 3 && show.photos.map((p) => p.kind).sort().join() === 'after,plaque,tank' &&
      show.photos.every((p) => p.uploaded === false), 'the photos are recorded, to be uploaded: ' + JSON.stringify(show.photos));
    /* The kept copy, as `photo add` keeps one: upright (portrait), long edge 1600. */
    const kept = JSON.parse(huce('lap1.db', 'photo', 'list', hh, '--json')).find((p) => p.kind === 'tank');
    assert(kept.width === 1200 && kept.height === 1600 && kept.here === true &&
      kept.bytes < kept.camera_bytes, 'the kept copy: ' + JSON.stringify(kept));
  });

  await test('printable A4 pages: the acceptance record and the rectification notice', async () => {
    const show = JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json'));
    const insp = show.inspections[0].id;
    const rid = show.rectifications[0].id;
    await go(page, base, '#/print/inspection/' + insp);
    await page.waitForFunction(() => [...document.images].length === 3 && [...document.images].every((i) => i.complete));
    assert((await page.evaluate(() => [...document.images].map((i) => i.naturalWidth).sort().join())) === '1200,400,400',
      'the kept photos are on the record');
    const t = await page.textContent('main');
    assert(t.includes('验收单') && t.includes('化粪池有效容积') && t.includes('王建国'), 'record has items and inspectors');
    await onA4(page, 'print-inspection');
    await shot(page, 'print-inspection');
    await go(page, base, '#/print/rectification/' + rid);
    const n = await page.textContent('main');
    assert(n.includes('整改通知单') && n.includes('刀建华'), 'notice');
    /* It lists what failed, what was measured and the standard, from the inspection. */
    const failedRow = await page.textContent('article.sheet tbody');
    assert(failedRow.includes('化粪池有效容积') && failedRow.includes('1 m³') && failedRow.includes('≥ 1.5 m³'),
      'the notice lists the failed item with its value and standard: ' + failedRow);
    await onA4(page, 'print-rectification');
    await shot(page, 'print-rectification');
  });

  await test('void an inspection recorded by mistake, with a confirm step and a reason', async () => {
    const before = JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json'));
    const insp = before.inspections[0].id;
    await go(page, base, '#/household/' + hh);
    /* By keyboard: the void button, then the reason, which the domain layer requires. */
    await page.focus('#void-' + insp);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#void-form');
    assert(await page.evaluate(() => document.activeElement.name) === 'reason', 'the focus is on the reason');
    assert(await page.getAttribute('#void-' + insp, 'aria-expanded') === 'true', 'the button says its form is open');
    await page.keyboard.press('Escape');
    assert(await page.locator('#void-form').count() === 0, 'Escape closes the confirm step');
    assert(await page.evaluate((id) => document.activeElement.id === 'void-' + id, insp), 'and gives the focus back');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#void-form');
    await page.click('#void-form button[type=submit]');
    await page.waitForSelector('#err-reason:not(:empty)');
    assert((await page.textContent('#err-reason')).includes('原因'), 'an empty reason is refused at its field, in Chinese');
    assert(JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json')).inspections[0].voided === null, 'nothing voided yet');
    await shot(page, 'household-void');
    await page.fill('#f-reason', '录错了户');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#flash');
    assert((await page.textContent('#flash')).includes('验收已作废'), 'says it is voided: ' + await page.textContent('#flash'));
    assert((await page.textContent('main')).includes('已作废') && (await page.textContent('main')).includes('录错了户'),
      'the inspection stays in the history, voided with its reason');
    assert(await page.locator('#void-' + insp).count() === 0, 'a voiding is final: no button any more');
    const after = JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json'));
    assert(after.inspections[0].voided === '录错了户', 'voided in the store: ' + JSON.stringify(after.inspections[0]));
    assert(after.status === 'planned', 'status derived again: ' + after.status);
    assert(after.rectifications[0].status === 'closed', 'the rectification it opened is closed');
    await noOverflow(page, 'household page after a voiding');
  });

  await test('a keyboard-only path: skip link, menu, the household list and a household', async () => {
    await go(page, base, '#/today');
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.page === '#/today');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.classList.contains('skip')), 'first Tab reaches the skip link');
    await page.keyboard.press('Enter');
    assert(await page.evaluate(() => document.activeElement.id === 'main' && location.hash === '#/today'),
      'the skip link moves the focus to the page');
    await tabTo(page, () => document.activeElement.id === 'nav-households', 'the households menu');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.body.dataset.page === '#/households');
    await tabTo(page, () => document.activeElement.textContent === '登记农户', 'register a household');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.body.dataset.page === '#/household/new');
    /* The form has the focus on its first field; every choice by arrow keys. */
    assert(await page.evaluate(() => document.activeElement.id) === 'f-village', 'focus on the first field');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.type('杨正明');
    await tabTo(page, () => document.activeElement.id === 'f-approach', 'approach');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, () => document.activeElement.id === 'f-build', 'build');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, () => document.activeElement.id === 'f-type', 'type');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, () => document.activeElement.id === 'f-house_no', 'house number');
    await page.keyboard.type('8');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^#\/household\/[0-9a-f-]{36}$/.test(document.body.dataset.page || ''));
    const list = JSON.parse(huce('lap1.db', 'household', 'list', '--json'));
    const x = list.find((y) => y.head === '杨正明');
    assert(x && x.approach === 'biogas-retrofit' && x.build === 'self' && x.type === 'three-grid',
      'registered by keyboard alone: ' + JSON.stringify(x));
  });

  await test('progress (开工/完工) on the household page, an error at its field', async () => {
    const x = JSON.parse(huce('lap1.db', 'household', 'list', '--json')).find((y) => y.head === '杨正明');
    await go(page, base, '#/household/' + x.id);
    assert(await page.isVisible('#progress'), 'a progress section');
    await page.fill('#f-started', day(-3));
    await page.fill('#f-finished', day(-5));
    await page.click('form[aria-labelledby=progress] button[type=submit]');
    await page.waitForSelector('#err-finished:not(:empty)');
    assert((await page.textContent('#err-finished')).includes('早于开工日期'), 'the domain says why, at 完工, in Chinese');
    assert(await page.evaluate(() => document.activeElement.id) === 'f-finished', 'focus on 完工');
    await page.fill('#f-finished', day(-1));
    await page.click('form[aria-labelledby=progress] button[type=submit]');
    await page.waitForFunction(() => document.getElementById('f-finished') && !document.getElementById('err-finished').textContent &&
      document.querySelector('dl.facts').textContent.includes('完工待验'));
    const y = JSON.parse(huce('lap1.db', 'household', 'show', x.id, '--json'));
    assert(y.started === day(-3) && y.finished === day(-1) && y.status === 'built', 'stored: ' + JSON.stringify(y));
  });

  await test('the today page: households to visit, rectifications due, what waits to sync', async () => {
    /* An acceptance recorded ten days late fails: its rectification is due in four days. */
    await go(page, base, '#/inspect/' + hh + '?stage=completion');
    await page.fill('#f-date', day(-10));
    await page.check('input[name=inspector][value=王建国]');
    for (const code of ['walls_roof_door', 'no_leak', 'sealed_cover', 'no_exposed_waste']) await page.selectOption('#f-item-' + code, 'yes');
    await page.fill('#f-item-room_area', '1.6');
    await page.fill('#f-item-tank_volume', '1.2');
    /* an acceptance carries its after and plaque photos (the same pictures as before: no new file) */
    await page.setInputFiles('input[name=photo-no_exposed_waste]', { name: 'after.jpg', mimeType: 'image/jpeg',
      buffer: fs.readFileSync(path.join(TRASH, 'after.jpg')) });
    await page.setInputFiles('input[name=photo-plaque_installed]', { name: 'plaque.jpg', mimeType: 'image/jpeg',
      buffer: fs.readFileSync(path.join(TRASH, 'plaque.jpg')) });
    await page.click('form.inspect button[type=submit]');
    await page.waitForSelector('#outcome h2');
    const rect = JSON.parse(huce('lap1.db', 'rectify', 'list', '--json'));
    assert(rect.length === 1 && rect[0].deadline === day(4), 'a rectification due in four days: ' + JSON.stringify(rect));
    const st = JSON.parse(huce('lap1.db', 'status', '--json'));
    await go(page, base, '#/today');
    const visit = await page.textContent('#visit');
    assert(visit.includes('刀建华') && visit.includes('验收不合格'), 'the failed household is to visit: ' + visit);
    assert(visit.includes('杨正明') && visit.includes('完工待验'), 'the finished one waits for its acceptance: ' + visit);
    assert(!visit.includes('白玉兰'), 'a household with nothing to do is not listed');
    const due = await page.textContent('#due');
    assert(due.includes('刀建华') && due.includes(day(4)) && due.includes('化粪池有效容积'), 'due: ' + due);
    const waits = await page.textContent('#waits');
    assert(st.pending > 0 && waits.includes(st.pending + ' 条修改待上传'), 'pending ' + st.pending + ': ' + waits);
    assert(st.photos_not_uploaded > 0 && waits.includes(st.photos_not_uploaded + ' 张照片待上传'),
      'the photos wait: ' + st.photos_not_uploaded + ': ' + waits);
    assert(await page.isVisible('#review .empty'), 'no review notes yet, and it says so');
    await noOverflow(page, 'today');
  });

  await test("a phone's folder through the import grid: proposed, corrected, attached, and skipped the next week", async () => {
    /* 刀建华 and 杨正明 get GPS 333 m apart; the phone took three photos and one file is broken. */
    const yang = JSON.parse(huce('lap1.db', 'household', 'list', '--json')).find((y) => y.head === '杨正明').id;
    huce('lap1.db', 'household', 'set', hh, 'gps=22.000000,100.000000');
    huce('lap1.db', 'household', 'set', yang, 'gps=22.003000,100.000000');
    const insp = JSON.parse(huce('lap1.db', 'household', 'show', hh, '--json')).inspections[0];
    const dir = path.join(TRASH, 'phone', 'DCIM', '100PHOTO');
    fs.mkdirSync(dir, { recursive: true });
    mkjpeg(path.join('phone', 'DCIM', '100PHOTO', 'IMG_0001.JPG'), '--seed', '1', '--noise', '20',
      '--taken', insp.date + 'T10:00:00', '--gps', '22.000090,100.000000');
    mkjpeg(path.join('phone', 'DCIM', '100PHOTO', 'IMG_0002.JPG'), '--seed', '2', '--noise', '20',
      '--taken', '2026-01-05T09:00:00', '--gps', '22.002990,100.000000');
    mkjpeg(path.join('phone', 'DCIM', '100PHOTO', 'IMG_0003.JPG'), '--seed', '3', '--noise', '20');
    fs.writeFileSync(path.join(dir, 'IMG_0004.JPG'), 'broken');
    await go(page, base, '#/photos');
    /* A folder that is not there: the error at the field. */
    await page.fill('#f-dir', path.join(TRASH, 'no-such-folder'));
    await page.click('#import-form button[type=submit]');
    await page.waitForSelector('#err-dir:not(:empty)');
    assert((await page.textContent('#err-dir')).includes('cannot read folder'), 'missing folder at the field');
    await page.fill('#f-dir', path.join(TRASH, 'phone'));
    await page.click('#import-form button[type=submit]');
    await page.waitForSelector('table.import tbody tr');
    const rowOf = async (name) => page.locator('table.import tbody tr', { hasText: name });
    assert(await page.locator('table.import tbody tr').count() === 4, 'four rows');
    /* The proposals: as `huce photo import` makes them (one function in common/). */
    const cli = JSON.parse(huce('lap1.db', 'photo', 'import', path.join(TRASH, 'phone'), '--json'));
    const r1 = await rowOf('IMG_0001.JPG'), r2 = await rowOf('IMG_0002.JPG'), r3 = await rowOf('IMG_0003.JPG');
    assert(await r1.getAttribute('data-state') === 'sure' && cli[0].state === 'sure', 'IMG_0001 sure');
    assert(await r1.locator('select[name^=hh-]').inputValue() === hh && cli[0].household === hh, 'IMG_0001 at 刀建华');
    assert(await r1.locator('select[name^=insp-]').inputValue() === insp.id && cli[0].inspection === insp.id, 'on the day of its inspection');
    assert(await r1.locator('select[name^=kind-]').inputValue() === 'after', 'an after photo');
    assert(await r1.locator('input[type=checkbox]').isChecked(), 'a sure match is ticked');
    assert(await r2.locator('select[name^=hh-]').inputValue() === yang && cli[1].household === yang, 'IMG_0002 proposed at 杨正明');
    assert(await r2.locator('select[name^=kind-]').inputValue() === 'before', 'no inspection that day: before');
    assert(await r3.getAttribute('data-state') === 'no-match' && !(await r3.locator('input[type=checkbox]').isChecked()),
      'no GPS: no household, not ticked');
    const r4 = await rowOf('IMG_0004.JPG');
    assert((await r4.textContent()).includes('not an image'), 'the broken file says why: ' + await r4.textContent());
    await page.waitForFunction(() => [...document.querySelectorAll('img.thumb')].every((i) => i.complete && i.naturalWidth > 0));
    await noOverflow(page, 'import grid');
    await shot(page, 'photo-import');
    /* The cadre corrects IMG_0002: it is 刀建华's before photo, not 杨正明's. */
    await r2.locator('select[name^=hh-]').selectOption(hh);
    await page.waitForFunction((id) => [...document.querySelectorAll('select[name^=insp-]')].some((s) =>
      [...s.options].some((o) => o.value === id)), insp.id);
    await r2.locator('select[name^=insp-]').selectOption('');
    assert(await r2.locator('input[type=checkbox]').isChecked(), 'a corrected row is ticked');
    await page.click('#import-attach');
    await page.waitForFunction(() => /2/.test(document.getElementById('import-result').textContent));
    assert(await r1.getAttribute('data-state') === 'attached' && await r2.getAttribute('data-state') === 'attached', 'both attached');
    await shot(page, 'photo-import-attached');
    const photos = JSON.parse(huce('lap1.db', 'photo', 'list', hh, '--json'));
    const after = photos.find((p) => p.kind === 'after' && p.taken_at), before = photos.find((p) => p.kind === 'before');
    assert(after && after.owner === insp.id && after.taken_at === insp.date + 'T10:00:00' && after.gps === '22.000090,100.000000',
      'IMG_0001 kept as the inspection\'s after photo: ' + JSON.stringify(photos));
    assert(before && before.owner === hh && before.here === true, 'IMG_0002 kept as 刀建华\'s before photo: ' + JSON.stringify(photos));
    assert(JSON.parse(huce('lap1.db', 'photo', 'list', yang, '--json')).length === 0, 'nothing attached to 杨正明');
    /* Next week, the same folder: the two attached are known, the rest proposed again. */
    await page.click('#import-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('table.import tbody tr').length === 2);
    assert((await page.textContent('#import-summary')).includes('2 张以前导入过'), await page.textContent('#import-summary'));
  });

  await test('sync with the button and see a conflict in words', async () => {
    /* Both laptops change 白玉兰's phone offline; laptop 2 syncs first. */
    huce('lap2.db', 'household', 'set', other, 'phone=13900000002');
    huce('lap2.db', 'sync');
    await go(page, base, '#/household/' + other + '/edit');
    await page.fill('#f-phone', '13700000001');
    await page.click('button[type=submit]');
    await page.waitForFunction((id) => document.body.dataset.page === '#/household/' + id, other);
    await go(page, base, '#/sync');
    await page.click('#sync-now');
    await page.waitForFunction(() => /同步完成|同步失败/.test(document.getElementById('sync-state').textContent), null, { timeout: 30000 });
    assert((await page.textContent('#sync-state')).includes('同步完成'), await page.textContent('#sync-state'));
    await page.waitForFunction(() => document.querySelectorAll('#conflicts li').length > 0);
    const c = await page.textContent('#conflicts');
    assert(c.includes('白玉兰') && c.includes('13900000002') && c.includes('13700000001'), 'conflict in words: ' + c);
    await noOverflow(page, 'sync');
    await shot(page, 'sync');
  });

  await test("the office's review note on the today page and as a filter", async () => {
    /* The office finds an issue (信息审核); the note reaches the laptop by sync. */
    adm('review', other, '--issues', '门牌号缺失');
    await go(page, base, '#/sync');
    await page.click('#sync-now');
    await page.waitForFunction(() => !document.getElementById('sync-now').disabled &&
      /同步完成|同步失败/.test(document.getElementById('sync-state').textContent), null, { timeout: 30000 });
    await go(page, base, '#/today');
    const r = await page.textContent('#review');
    assert(r.includes('白玉兰') && r.includes('门牌号缺失'), 'review note: ' + r);
    await go(page, base, '#/households?review=has-issues');
    assert(await page.locator('tbody tr').count() === 1, 'one household has issues');
    assert((await page.textContent('tbody')).includes('白玉兰'), 'it is 白玉兰');
  });

  await test('the sync page: retry and drop the changes the central refused', async () => {
    /* Laptop 1 gives a household to each team offline; laptop 2 gave each team its first one (首厕过关). */
    for (const [head, team] of [['甲', '一队'], ['丁', '二队']]) {
      await go(page, base, '#/household/new');
      await page.selectOption('#f-village', { label: '阿猛村' });
      await page.selectOption('#f-group', { label: '一组' });
      await page.fill('#f-head', head);
      await page.selectOption('#f-approach', 'new-build');
      await page.selectOption('#f-build', 'contracted');
      await page.selectOption('#f-team', { label: team });
      await page.selectOption('#f-type', 'three-grid');
      await page.click('button[type=submit]');
      await page.waitForFunction(() => /^#\/household\/[0-9a-f-]{36}$/.test(document.body.dataset.page || ''));
    }
    const add2 = (head, team) => lastLine(huce('lap2.db', 'household', 'add', '--village', '阿猛村', '--group', '一组',
      '--head', head, '--approach', 'new-build', '--build', 'contracted', '--team', team, '--type', 'three-grid'));
    const yi = add2('乙', '一队');
    add2('戊', '二队');
    huce('lap2.db', 'sync');
    await go(page, base, '#/sync');
    await page.click('#sync-now');
    await page.waitForFunction(() => !document.getElementById('sync-now').disabled &&
      document.querySelectorAll('#quarantine li').length === 2, null, { timeout: 30000 });
    const q = JSON.parse(huce('lap1.db', 'quarantine', '--json'));
    const seqOf = (head) => q.find((e) => e.name.startsWith(head)).seq;
    const text = await page.textContent('#quarantine');
    assert(text.includes('甲') && text.includes('丁') && text.includes('乙'), 'in words, with the central\'s reason: ' + text);
    await noOverflow(page, 'sync with a quarantine');
    await shot(page, 'sync-quarantine');
    /* A retry before the cause is fixed: this laptop's own gate says why, at the entry. */
    await page.click('#q-' + seqOf('甲') + ' button.primary');
    await page.waitForSelector('#q-err-' + seqOf('甲') + ':not(:empty)');
    assert((await page.textContent('#q-err-' + seqOf('甲'))).includes('乙'), 'the gate names the first household');
    /* Drop 丁, after a confirm step that Escape cancels. */
    const d = '#q-' + seqOf('丁');
    await page.focus(d + ' .actions button:not(.primary)');
    await page.keyboard.press('Enter');
    assert(await page.isVisible(d + ' .confirm'), 'drop asks first');
    assert(await page.evaluate(() => document.activeElement.classList.contains('danger')), 'focus on the confirm button');
    await page.keyboard.press('Escape');
    assert(await page.isHidden(d + ' .confirm'), 'Escape cancels');
    assert(JSON.parse(huce('lap1.db', 'quarantine', '--json')).length === 2, 'nothing dropped yet');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#flash');
    assert((await page.textContent('#flash')).includes('已放弃'), await page.textContent('#flash'));
    assert(await page.locator('#quarantine li').count() === 1, 'one left on the page');
    /* The office accepts 乙; after a sync 甲's change can be made again, and is sent. */
    huce('lap2.db', 'inspect', yi, '--stage', 'completion', '--inspector', '王建国', ...PASS_ITEMS,
      '--photo', 'after=' + path.join(TRASH, 'after.jpg'), '--photo', 'plaque=' + path.join(TRASH, 'plaque.jpg'));
    huce('lap2.db', 'sync');
    await page.click('#sync-now');
    await page.waitForFunction(() => !document.getElementById('sync-now').disabled &&
      /同步完成/.test(document.getElementById('sync-state').textContent), null, { timeout: 30000 });
    assert(await page.locator('#flash').count() === 0, 'a sync clears the message of the drop');
    await page.click('#q-' + seqOf('甲') + ' button.primary');
    await page.waitForSelector('#flash');
    assert((await page.textContent('#flash')).includes('已重新写入'), await page.textContent('#flash'));
    assert(await page.isVisible('#quarantine .empty'), 'nothing refused any more');
    assert(JSON.parse(huce('lap1.db', 'quarantine', '--json')).length === 0, 'the CLI agrees');
    await page.click('#sync-now');
    await page.waitForFunction(() => !document.getElementById('sync-now').disabled &&
      /同步完成/.test(document.getElementById('sync-state').textContent), null, { timeout: 30000 });
    assert(await page.isVisible('#quarantine .empty'), 'the central took it this time');
    const central = JSON.parse(adm('household', 'list', '--json'));
    assert(central.some((x) => x.head === '甲' && x.team === '一队'), '甲 is at the central with 一队');
    assert(!central.some((x) => x.head === '丁'), '丁 was given up');
  });

  await test('every page fits 1366x768 and has a screenshot', async () => {
    for (const [name, hash] of [['today', '#/today'], ['report', '#/report'], ['enroll', '#/enroll']]) {
      await go(page, base, hash);
      await noOverflow(page, name);
      await shot(page, name);
    }
  });

  await test('English when the browser asks for it first', async () => {
    const ctx2 = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(TRASH, 'profile-en.')), {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
    const p2 = ctx2.pages()[0] || await ctx2.newPage();
    await p2.goto(url);
    await p2.waitForFunction(() => document.body.dataset.page);
    await p2.goto(base + '/#/households');
    await p2.waitForFunction(() => document.body.dataset.page === '#/households');
    assert(await p2.getAttribute('html', 'lang') === 'en', 'lang en');
    assert((await p2.textContent('#nav')).includes('Households'), 'English navigation');
    await noOverflow(p2, 'households (English)');
    await shot(p2, 'households-en');
    /* The household page with a voided inspection, and the sync page. */
    await p2.goto(base + '/#/household/' + hh);
    await p2.waitForFunction((id) => document.body.dataset.page === '#/household/' + id, hh);
    const t = await p2.textContent('main');
    assert(t.includes('Progress') && t.includes('voided') && t.includes('Void') && !/作废|验收单|保存进度/.test(t),
      'the household page in English: ' + t.slice(0, 400));
    await noOverflow(p2, 'household (English)');
    await shot(p2, 'household-en');
    await p2.goto(base + '/#/sync');
    await p2.waitForFunction(() => document.body.dataset.page === '#/sync');
    assert((await p2.textContent('main')).includes('Changes the central refused'), 'the sync page in English');
    await p2.goto(base + '/#/today');
    await p2.waitForFunction(() => document.body.dataset.page === '#/today');
    const today = await p2.textContent('main');
    assert(today.includes('Households to visit') && !/待走访|条修改待上传/.test(today), 'today in English');
    await shot(p2, 'today-en');
    for (const [name, hash] of [['inspect-en', '#/inspect/' + hh + '?stage=completion'], ['rectifications-en', '#/rectifications'],
      ['report-en', '#/report'], ['print-rectification-en', '#/print/rectification/' + JSON.parse(huce('lap1.db', 'rectify', 'list', '--json'))[0].id]]) {
      await p2.goto(base + '/' + hash);
      await p2.waitForFunction((h) => document.body.dataset.page === h, hash);
      await noOverflow(p2, name);
      await shot(p2, name);
    }
    await ctx2.close();
  });

  await test('no script errors on any page', async () => {
    assert(consoleErrors.length === 0, consoleErrors.join('; '));
  });

  await ctx.close();
}

main().catch((e) => { failed++; console.log('not ok - ' + String(e && e.stack || e).replace(/\n/g, '\n# ')); })
  .finally(() => {
    for (const p of children) { try { p.kill('SIGTERM'); } catch (e) { /* gone */ } }
    console.log('1..' + count);
    console.log('# screenshots in ' + SHOTS);
    if (!failed) fs.rmSync(TRASH, { recursive: true, force: true });
    else console.log('# kept ' + TRASH);
    setTimeout(() => process.exit(failed ? 1 : 0), 300);
  });
