/*
 * app.js - the pages of `huce ui` (户厕验收), plain JavaScript, no build
 * step, nothing fetched from outside.  Hash routes (#/today, ...) render
 * into <main>; data comes from the JSON API under /api/ (docs/UI.md),
 * which calls the same domain layer as the command line.  The result
 * shown while an acceptance form is filled in is a preview only: the
 * server grades the inspection with the checklist rules and decides.
 */
'use strict';

const LANG = document.documentElement.lang === 'en' ? 'en' : 'zh';

/* Every text of the pages, Chinese first; English when the browser asks. */
const T = {
  zh: {
    today: '今日', households: '农户', rectifications: '整改', report: '周清单',
    sync: '同步', enroll: '注册设备', loading: '加载中…', save: '保存', cancel: '取消',
    add_household: '登记农户', edit: '编辑', inspect: '验收', view: '查看', print: '打印',
    village: '村委会', group: '村民小组', head: '户主姓名', status: '状态', all: '全部',
    approach: '改造方式', build: '建设方式', type: '厕所类型', team: '施工队', cadre: '挂包干部',
    id_number: '身份证号', phone: '联系电话', house_no: '门牌号', gps: 'GPS 坐标', water: '宜水/宜旱',
    current_toilet: '现有厕所', agreement: '委托建设协议', planned_week: '计划周',
    started: '开工日期', finished: '完工日期', progress: '施工进度', code: '编号',
    none: '无', choose: '请选择', search: '搜索户主', filter: '筛选',
    visit: '待走访农户', review: '审核', due: '到期整改（7 天内）', waits: '待同步', review_notes: '镇办审核意见',
    pending: '条修改待上传', quarantined: '条被拒绝', conflicts: '个冲突', last_sync: '上次同步',
    never: '从未', not_enrolled: '本机尚未注册到镇里的中心服务器',
    stage: '验收阶段', date: '验收日期', inspectors: '验收人员', note: '备注', result: '结果',
    items: '验收项目', critical: '否决项', photo: '照片', unit: '单位', pass_hint: '合格标准',
    range_hint: '可填范围', pass: '合格', fail: '不合格', auto: '自动判定', no_answer: '未填',
    preview: '预计结果（保存时由系统判定）', veto_warn: '否决项不合格，本次验收将判为不合格：',
    saved_insp: '验收已保存', rect_opened: '已生成整改，期限', rect_closed: '条整改已关闭',
    deadline: '整改期限', category: '整改内容', owner: '责任人', overdue: '已逾期', open: '未完成',
    closed: '已完成', show_all: '显示已完成', inspection: '验收', notice: '整改通知单',
    record: '验收单', week: '周', target: '目标', built: '完工', inspected: '已验收户',
    passed: '合格户', failed: '不合格户', accepted: '累计合格', open_rect: '未完成整改', rank: '排名',
    households_n: '户数', sync_now: '立即同步', syncing: '正在同步…', sync_done: '同步完成',
    sync_failed: '同步失败', pushed: '已上传', pulled: '已下载', photos: '照片',
    quarantine: '被中心拒绝的修改', conflicts_t: '冲突（镇办处理）', reason: '原因',
    no_quarantine: '没有被拒绝的修改', no_conflicts: '没有冲突', values: '各方的值',
    url: '中心服务器地址', token: '设备令牌', enroll_btn: '注册', enrolled: '已注册为设备',
    back: '返回', error: '出错了', required: '必填', forbidden: '无权访问',
    edit_household: '编辑农户', new_household: '登记农户', saved: '已保存',
    inspections: '验收记录', no_rows: '暂无', voided: '已作废', signature: '签字',
    household_sign: '农户签字', inspector_sign: '验收人员签字', issued: '开具日期',
    town: '乡镇', device: '设备', items_failed: '不合格项目', choose_stage: '选择阶段后显示验收项目',
    required_item: '必填', yes: '是', no: '否', print_hint: '用浏览器打印（Ctrl+P），A4 纸',
    rect_notice_text: '经验收，贵户厕所以下项目不合格，请在期限内完成整改，整改后申请复验。',
    photo_missing: '照片未附', on_server: '照片在镇里的服务器', skip: '跳到正文',
    total: '合计', save_progress: '保存进度',
    photo_required: '本阶段必须附此照片', household: '农户', photo_import: '导入照片', folder: '照片文件夹', within: '匹配距离（米）', read_folder: '读取文件夹',
    folder_hint: '手机插到电脑上后其 DCIM 文件夹的路径，例如 /media/用户/手机/DCIM；同一文件夹可以每周导入，导入过的照片会跳过',
    attach: '附加', attach_selected: '附加选中的照片', to_inspection: '附到验收', household_only: '只附到农户',
    file: '文件', taken: '拍摄', known_n: '张以前导入过（跳过）', other_n: '个其他文件（不是 JPEG）',
    no_new: '没有新照片', metres: '米', attached_n: '张照片已附加', kind: '照片类型', photo_state: '匹配',
    imp: { sure: '确定', unsure: '不确定，请核对', 'no-match': '附近没有农户', refused: '不能导入', attached: '已附加' },
    photos_waiting: '张照片待上传', see_sync: '查看并处理', no_review: '暂无审核意见',
    void: '作废', void_reason: '作废原因', void_confirm: '确认作废',
    void_hint: '作废后该次验收保留在记录中但不再计入：状态重新判定，它生成的整改关闭，它关闭的整改重新打开。作废不能撤销。',
    voided_done: '验收已作废', status_now: '现在的状态', reopened: '条整改重新打开',
    retry: '重试', drop: '放弃', drop_confirm: '确认放弃', drop_ask: '放弃后这条修改不再上传，不能撤销。确定放弃吗？',
    retried: '已重新写入，下次同步上传', retried_same: '记录已经是这样，无需上传', dropped: '已放弃',
    change: '修改', deleted_op: '删除', changed_at: '修改时间', busy_sync: '正在同步，请稍候',
    progress_hint: '开工、完工日期决定农户的状态（计划 → 在建 → 完工待验）。',
    phone_hint: '11 位手机号，或带区号的固定电话（0871-1234567）',
    gps_hint: '纬度,经度（十进制度）', week_hint: '如 2026-W49',
    id_hint_new: '18 位；只保存脱敏号码', failed_items: '不合格项目', measured: '实测', verdict: '判定', standard: '合格标准', conflicts_col: '冲突',
    star_legend: '★ 否决项：不合格即判本次验收不合格',
    stages: {
      'excavation': '开挖', 'pre-cover': '覆土前（隐蔽工程）', 'completion': '竣工',
      'first-toilet': '首厕过关', 're-inspection': '整改复验', 'spot-check': '抽查' },
    waters: { wet: '宜水', dry: '宜旱' },
    kinds: { before: '改造前', excavation: '开挖', tank: '化粪池', 'water-test': '闭水试验',
      room: '厕屋', pan: '便器', vent: '排气管', cover: '盖板', plaque: '标识牌', after: '改造后' },
  },
  en: {
    today: 'Today', households: 'Households', rectifications: 'Rectifications', report: 'Weekly list',
    sync: 'Sync', enroll: 'Enrol', loading: 'Loading…', save: 'Save', cancel: 'Cancel',
    add_household: 'Register a household', edit: 'Edit', inspect: 'Inspect', view: 'View', print: 'Print',
    village: 'Village', group: 'Group', head: 'Head of household', status: 'Status', all: 'All',
    approach: 'Approach', build: 'Build mode', type: 'Toilet type', team: 'Team', cadre: 'Cadre',
    id_number: 'ID number', phone: 'Phone', house_no: 'House no.', gps: 'GPS', water: 'Water',
    current_toilet: 'Current toilet', agreement: 'Agreement', planned_week: 'Planned week',
    started: 'Started', finished: 'Finished', progress: 'Progress', code: 'Code',
    none: 'none', choose: 'Choose…', search: 'Search head', filter: 'Filter',
    visit: 'Households to visit', review: 'Review', due: 'Rectifications due (7 days)', waits: 'Waiting to sync',
    review_notes: "Office's review notes", pending: 'changes to upload', quarantined: 'refused',
    conflicts: 'conflicts', last_sync: 'Last sync', never: 'never',
    not_enrolled: 'This laptop is not enrolled with the town central yet',
    stage: 'Stage', date: 'Date', inspectors: 'Inspectors', note: 'Note', result: 'Result',
    items: 'Items', critical: 'critical', photo: 'Photo', unit: 'Unit', pass_hint: 'Pass',
    range_hint: 'Range', pass: 'pass', fail: 'fail', auto: 'computed', no_answer: 'not given',
    preview: 'Preview (the system decides when saved)',
    veto_warn: 'A critical item fails; this inspection will fail: ',
    saved_insp: 'Inspection saved', rect_opened: 'Rectification opened, deadline',
    rect_closed: 'rectifications closed', deadline: 'Deadline', category: 'What to fix',
    owner: 'Owner', overdue: 'overdue', open: 'open', closed: 'closed', show_all: 'Show closed',
    inspection: 'Inspection', notice: 'Rectification notice', record: 'Acceptance record',
    week: 'Week', target: 'Target', built: 'Built', inspected: 'Inspected', passed: 'Passed',
    failed: 'Failed', accepted: 'Accepted', open_rect: 'Open rect.', rank: 'Rank',
    households_n: 'Households', sync_now: 'Sync now', syncing: 'Syncing…', sync_done: 'Sync done',
    sync_failed: 'Sync failed', pushed: 'pushed', pulled: 'pulled', photos: 'photos',
    quarantine: 'Changes the central refused', conflicts_t: 'Conflicts (the office resolves)',
    reason: 'Reason', no_quarantine: 'Nothing refused', no_conflicts: 'No conflicts',
    values: 'Values', url: 'Central address', token: 'Device token', enroll_btn: 'Enrol',
    enrolled: 'Enrolled as device', back: 'Back', error: 'Error', required: 'required',
    forbidden: 'Forbidden', edit_household: 'Edit household', new_household: 'Register a household',
    saved: 'Saved', inspections: 'Inspections', no_rows: 'none', voided: 'voided',
    signature: 'Signature', household_sign: 'Household', inspector_sign: 'Inspectors',
    issued: 'Issued', town: 'Town', device: 'Device', items_failed: 'Failed items',
    choose_stage: 'Choose a stage to see its items', required_item: 'required', yes: 'yes', no: 'no',
    print_hint: 'Print from the browser (Ctrl+P), A4',
    rect_notice_text: 'The items below failed the acceptance inspection. Please fix them by the deadline and ask for a re-inspection.',
    photo_missing: 'photo not attached', on_server: 'photo at the central', skip: 'Skip to content',
    total: 'Total', save_progress: 'Save progress',
    photo_required: 'this stage needs this photo', household: 'Household', photo_import: 'Import photos', folder: 'Photo folder', within: 'Match within (metres)', read_folder: 'Read the folder',
    folder_hint: "The path of the phone's DCIM folder once it is plugged in, e.g. /media/user/phone/DCIM; the same folder may be imported every week, photos already imported are skipped",
    attach: 'Attach', attach_selected: 'Attach the chosen photos', to_inspection: 'Inspection', household_only: 'the household only',
    file: 'File', taken: 'Taken', known_n: 'imported before (skipped)', other_n: 'other files (not JPEG)',
    no_new: 'No new photos', metres: 'm', attached_n: 'photos attached', kind: 'Kind', photo_state: 'Match',
    imp: { sure: 'sure', unsure: 'unsure, check it', 'no-match': 'no household near', refused: 'refused', attached: 'attached' },
    photos_waiting: 'photos to upload', see_sync: 'see and act', no_review: 'No review notes',
    void: 'Void', void_reason: 'Reason for voiding', void_confirm: 'Void this inspection',
    void_hint: 'A voided inspection stays in the history and counts for nothing: the status is derived again, the rectifications it opened are closed and the ones it closed open again. A voiding is final.',
    voided_done: 'Inspection voided', status_now: 'Status now', reopened: 'rectifications open again',
    retry: 'Retry', drop: 'Drop', drop_confirm: 'Drop this change', drop_ask: 'A dropped change is never sent and cannot be brought back. Drop it?',
    retried: 'written again; the next sync sends it', retried_same: 'the record already is so; nothing to send', dropped: 'dropped',
    change: 'Change', deleted_op: 'delete', changed_at: 'Changed', busy_sync: 'A sync is running; wait a moment',
    progress_hint: 'The started and finished dates set the status (planned → building → built, waiting for acceptance).',
    phone_hint: '11-digit mobile, or a landline with its area code (0871-1234567)',
    gps_hint: 'LAT,LON in decimal degrees', week_hint: 'e.g. 2026-W49',
    id_hint_new: '18 characters; only the masked form is kept', failed_items: 'Failed items', measured: 'Measured', verdict: 'Verdict', standard: 'Standard', conflicts_col: 'Conflicts',
    star_legend: '★ critical: failing it fails the inspection',
    stages: {
      'excavation': 'Excavation', 'pre-cover': 'Pre-cover', 'completion': 'Completion',
      'first-toilet': 'First toilet', 're-inspection': 'Re-inspection', 'spot-check': 'Spot check' },
    waters: { wet: 'wet', dry: 'dry' },
    kinds: { before: 'before', excavation: 'excavation', tank: 'tank', 'water-test': 'water test',
      room: 'room', pan: 'pan', vent: 'vent', cover: 'cover', plaque: 'plaque', after: 'after' },
  },
}[LANG];

const STATUS_EN = { planned: 'planned', building: 'building', built: 'built', accepted: 'accepted',
  failed: 'failed', rectifying: 'rectifying' };

let session = null;
let choicesCache = null;

/* --- small helpers ------------------------------------------------------ */

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

function statusLabel(code, label) {
  return LANG === 'en' ? (STATUS_EN[code] || code) : (label || code);
}
function typeLabel(code) {
  const t = choicesCache && choicesCache.types.find((x) => x.code === code);
  return LANG === 'en' ? code : (t ? t.label : code);
}
function reviewLabel(code) {
  const t = choicesCache && choicesCache.reviews.find((x) => x.code === code);
  return LANG === 'en' || !t ? code : t.label;
}
function codeLabel(list, code) {
  const t = list && list.find((x) => x.code === code);
  return LANG === 'en' || !t || !t.label ? code : t.label;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : 'HTTP ' + status);
    this.status = status;
    this.code = body && body.error;
    this.field = body && body.field;
  }
}

async function api(path, body) {
  const opt = { credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    opt.method = 'POST';
    opt.headers['Content-Type'] = 'application/json';
    opt.headers['X-CSRF-Token'] = session ? session.csrf : '';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch('/api/' + path, opt);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) throw new ApiError(r.status, j);
  return j;
}

async function choices(fresh) {
  if (!choicesCache || fresh) choicesCache = await api('choices');
  return choicesCache;
}

function main() { return document.getElementById('main'); }

let rendered = 0;
/* A message for the next page shown (what a change just did), or null. */
let flash = null;

/*
 * Show a page.  After a move to another page the focus goes to its
 * title, so that a keyboard or screen-reader user starts there, or back
 * to the control of a form it was on when the new page has it again (a
 * filter of the list); on the first load it stays at the top (the skip
 * link comes first).
 */
function page(title, ...kids) {
  const m = main();
  const note = flash ? h('p', { class: 'ok', id: 'flash', role: 'status' }, flash) : null;
  const was = document.activeElement && document.activeElement.closest('#main form') ? document.activeElement.id : '';
  flash = null;
  m.replaceChildren(h('h1', { id: 'page-title', tabindex: '-1' }, title), note || '',
    ...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
  document.title = title + ' · ' + (LANG === 'en' ? 'huce' : '户厕验收');
  const t = document.getElementById('page-title');
  const again = was && !note ? document.getElementById(was) : null;
  if (rendered++) (again || t).focus();
}

function showError(e) {
  main().append(h('p', { class: 'alert', role: 'alert' }, T.error + ': ' + e.message));
}

function select(name, list, value, opts) {
  opts = opts || {};
  const s = h('select', { name, id: 'f-' + name, 'aria-describedby': 'err-' + name });
  if (opts.empty !== false) s.append(h('option', { value: '' }, opts.emptyLabel || T.choose));
  for (const it of list) {
    const o = h('option', { value: it.value }, it.label);
    if (String(it.value) === String(value ?? '')) o.selected = true;
    s.append(o);
  }
  return s;
}

function field(label, control, hint, required) {
  const name = control.name || control.getAttribute('name');
  control.id = control.id || 'f-' + name;
  if (required) control.required = true;
  control.setAttribute('aria-describedby', (hint ? 'hint-' + name + ' ' : '') + 'err-' + name);
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label, required ? h('span', { class: 'req', title: T.required }, ' *') : null),
    control,
    hint ? h('small', { class: 'hint', id: 'hint-' + name }, hint) : null,
    h('p', { class: 'err', id: 'err-' + name, role: 'alert' }));
}

/* Show an API error at its field (or above the form) and focus it. */
function fieldError(form, e) {
  form.querySelectorAll('.err').forEach((x) => { x.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  const name = e.field === 'team_id' ? 'team' : e.field;
  const slot = name && form.querySelector('#err-' + CSS.escape(name));
  const ctl = name && form.querySelector('[name="' + CSS.escape(name) + '"]');
  if (slot) {
    slot.textContent = e.message;
    if (ctl) { ctl.setAttribute('aria-invalid', 'true'); ctl.focus(); }
  } else {
    const g = form.querySelector('.form-error');
    g.textContent = e.message;
    g.focus();
  }
}

function table(head, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty || T.no_rows);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

function link(href, text, cls) { return h('a', { href, class: cls }, text); }

function hhName(o) {
  return [o.village, o.group, o.head].filter(Boolean).join(' ');
}

/* A time the API gives in UTC (2026-12-06T23:18:35Z) as the laptop's local time. */
function when(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return iso || '';
  return d.toLocaleString(LANG === 'en' ? 'en-GB' : 'zh-CN', { year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
}

/* --- today ----------------------------------------------------------------- */

async function pageToday() {
  const d = await api('today');
  const waits = h('ul', { id: 'waits' },
    h('li', {}, d.pending + ' ' + T.pending),
    d.photos_not_uploaded ? h('li', {}, d.photos_not_uploaded + ' ' + T.photos_waiting) : null,
    h('li', { class: d.quarantined ? 'bad' : '' }, d.quarantined + ' ' + T.quarantined,
      d.quarantined ? [' — ', link('#/sync', T.see_sync)] : null),
    h('li', {}, d.conflicts + ' ' + T.conflicts, d.conflicts ? [' — ', link('#/sync', T.see_sync)] : null),
    h('li', {}, T.last_sync + ': ' + (d.last_sync ? when(d.last_sync) : T.never)));
  page(T.today + ' · ' + d.today + ' (' + d.week + ')',
    !d.central ? h('p', { class: 'alert' }, T.not_enrolled + ' — ', link('#/enroll', T.enroll)) : null,
    h('section', { id: 'visit' }, h('h2', {}, T.visit),
      table([T.code, T.village, T.group, T.head, T.type, T.status, ''],
        d.visit.map((x) => [x.code, x.village, x.group, link('#/household/' + x.id, x.head),
          typeLabel(x.type), statusLabel(x.status, x.status_label),
          link('#/inspect/' + x.id, T.inspect, 'btn')]))),
    h('section', { id: 'due' }, h('h2', {}, T.due),
      table([T.village, T.head, T.category, T.deadline, ''],
        d.due.map((x) => [x.village, link('#/household/' + x.household, x.head), x.category,
          h('span', { class: x.overdue ? 'bad' : '' }, x.deadline + (x.overdue ? ' (' + T.overdue + ')' : '')),
          link('#/print/rectification/' + x.id, T.notice)]))),
    h('section', { id: 'sync-waits' }, h('h2', {}, T.waits), waits, link('#/sync', T.sync_now, 'btn')),
    h('section', { id: 'review' }, h('h2', {}, T.review_notes), (d.review || []).length
      ? h('ul', {}, d.review.map((r) => h('li', {}, link('#/household/' + r.household, hhName(r)), ': ',
        r.note || '', r.at ? ' (' + when(r.at) + ')' : '')))
      : h('p', { class: 'empty' }, T.no_review)));
}

/* --- households -------------------------------------------------------------- */

async function pageHouseholds(q) {
  const c = await choices();
  const f = h('form', { class: 'filters', role: 'search' });
  const vs = select('village', c.villages.map((v) => ({ value: v.id, label: v.name })), q.village, { emptyLabel: T.all });
  const gs = select('group', c.groups.filter((g) => !q.village || g.village_id === q.village)
    .map((g) => ({ value: g.id, label: g.name })), q.group, { emptyLabel: T.all });
  const ss = select('status', c.statuses.map((s) => ({ value: s.code, label: statusLabel(s.code, s.label) })),
    q.status, { emptyLabel: T.all });
  const rs = select('review', c.reviews.map((s) => ({ value: s.code, label: LANG === 'en' ? s.code : s.label || s.code })),
    q.review, { emptyLabel: T.all });
  const qs = h('input', { name: 'q', type: 'search', value: q.q || '' });
  f.append(field(T.village, vs), field(T.group, gs), field(T.status, ss), field(T.review, rs), field(T.search, qs),
    h('button', { type: 'submit' }, T.filter));
  vs.addEventListener('change', () => { gs.value = ''; f.requestSubmit(); });
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(f)) if (v) p.set(k, v);
    location.hash = '#/households' + (p.toString() ? '?' + p : '');
  });
  const p = new URLSearchParams();
  for (const k of ['village', 'group', 'status', 'review', 'q']) if (q[k]) p.set(k, q[k]);
  const list = await api('households?' + p);
  page(T.households, h('p', {}, link('#/household/new', T.add_household, 'btn primary')), f,
    h('p', { class: 'count' }, T.total + ': ' + list.length),
    table([T.code, T.village, T.group, T.head, T.type, T.status, T.progress, ''],
      list.map((x) => [x.code, x.village, x.group, link('#/household/' + x.id, x.head),
        typeLabel(x.type), [h('span', { class: 'st st-' + x.status }, statusLabel(x.status, x.status_label)),
          x.review && x.review.state === 'has-issues' ? h('span', { class: 'badge', title: x.review.note || '' }, reviewLabel(x.review.state)) : null],
        [x.started ? T.started + ' ' + x.started : '', x.finished ? ' · ' + T.finished + ' ' + x.finished : '',
          x.open_rectifications ? ' · ' + T.rectifications + ' ' + x.open_rectifications : ''].join(''),
        h('span', { class: 'actions' }, link('#/household/' + x.id + '/edit', T.edit),
          ' ', link('#/inspect/' + x.id, T.inspect))])));
}

async function pageHousehold(id) {
  const [x, c] = await Promise.all([api('households/' + encodeURIComponent(id)), choices()]);
  const dl = h('dl', { class: 'facts' });
  const facts = [[T.code, x.code], [T.village, x.village], [T.group, x.group], [T.head, x.head],
    [T.id_number, x.id_masked], [T.phone, x.phone], [T.house_no, x.house_no],
    [T.approach, codeLabel(c.approaches, x.approach)], [T.build, codeLabel(c.builds, x.build)],
    [T.type, typeLabel(x.type)], [T.team, x.team], [T.cadre, x.cadre],
    [T.status, statusLabel(x.status, x.status_label)], [T.started, x.started], [T.finished, x.finished],
    [T.planned_week, x.planned_week], [T.water, x.water ? T.waters[x.water] || x.water : null], [T.gps, x.gps]];
  for (const [k, v] of facts) if (v) dl.append(h('dt', {}, k), h('dd', {}, v));
  page(hhName(x),
    h('p', { class: 'actions' }, link('#/household/' + x.id + '/edit', T.edit, 'btn'), ' ',
      link('#/inspect/' + x.id, T.inspect, 'btn primary')),
    x.review && x.review.state === 'has-issues' ? h('p', { class: 'alert', role: 'note' }, T.review_notes + ': ' + (x.review.note || '')) : null,
    dl,
    h('h2', { id: 'progress' }, T.progress), h('p', { class: 'hint' }, T.progress_hint), progressForm(x),
    h('h2', {}, T.inspections),
    table([T.date, T.stage, T.result, T.inspectors, ''],
      x.inspections.map((i) => [i.date, T.stages[i.stage] || i.stage,
        i.voided ? h('span', { class: 'voided' }, T.voided + ' (' + T[i.result] + ')', h('br'), h('small', {}, T.void_reason + ': ' + i.voided))
          : h('span', { class: i.result === 'pass' ? 'ok' : 'bad' }, T[i.result]),
        i.inspectors,
        h('span', { class: 'actions' }, link('#/print/inspection/' + i.id, T.record),
          i.voided ? null : [' ', h('button', { type: 'button', class: 'small', id: 'void-' + i.id,
            'aria-expanded': 'false', onclick: (ev) => voidForm(ev.currentTarget, x, i) }, T.void)])])),
    h('h2', {}, T.rectifications),
    table([T.category, T.deadline, T.status, ''],
      x.rectifications.map((r) => [r.category, r.deadline, T[r.status] || r.status,
        link('#/print/rectification/' + r.id, T.notice)])));
}

/*
 * Void an inspection (作废), with a confirm step: the button opens a
 * form under the table with the reason (required, as `huce inspect void
 * --reason`) and a second button that does it; Escape or Cancel closes it.
 */
function voidForm(btn, x, i) {
  const old = document.getElementById('void-form');
  if (old) old.remove();
  document.querySelectorAll('button[aria-expanded=true]').forEach((b) => b.setAttribute('aria-expanded', 'false'));
  const f = h('form', { id: 'void-form', class: 'confirm', novalidate: true,
    'aria-label': T.void + ' · ' + (T.stages[i.stage] || i.stage) + ' ' + i.date });
  const close = () => { f.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); };
  f.append(h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
    h('p', {}, h('strong', {}, T.void + ': ' + (T.stages[i.stage] || i.stage) + ' · ' + i.date + ' · ' + T[i.result])),
    h('p', { class: 'hint' }, T.void_hint),
    field(T.void_reason, h('input', { name: 'reason', autocomplete: 'off', size: 40 }), null, true),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'danger' }, T.void_confirm), ' ',
      h('button', { type: 'button', onclick: close }, T.cancel)));
  f.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('inspections/' + encodeURIComponent(i.id) + '/void', { reason: f.elements.reason.value });
      flash = T.voided_done + ' · ' + T.status_now + ': ' + statusLabel(r.status, r.status_label) +
        (r.closed ? ' · ' + r.closed + ' ' + T.rect_closed : '') + (r.reopened ? ' · ' + r.reopened + ' ' + T.reopened : '');
      await route();
    } catch (e) { fieldError(f, e); }
  });
  btn.setAttribute('aria-expanded', 'true');
  btn.closest('.table-wrap').after(f);
  f.elements.reason.focus();
}

function progressForm(x) {
  const f = h('form', { class: 'inline', 'aria-labelledby': 'progress' });
  f.append(h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
    field(T.started, h('input', { type: 'date', name: 'started', value: x.started || '' })),
    field(T.finished, h('input', { type: 'date', name: 'finished', value: x.finished || '' })),
    h('button', { type: 'submit' }, T.save_progress));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const k of ['started', 'finished']) {
      const v = f.elements[k].value;
      if (v !== (x[k] || '')) body[k] = v;
    }
    try {
      await api('households/' + x.id + '/progress', body);
      route();
    } catch (e) { fieldError(f, e); }
  });
  return f;
}

async function pageHouseholdForm(id) {
  const c = await choices(true);
  const x = id ? await api('households/' + encodeURIComponent(id)) : {};
  const f = h('form', { class: 'grid', novalidate: true });
  const vs = select('village', c.villages.map((v) => ({ value: v.id, label: v.name })), x.village_id);
  const gs = select('group', [], null);
  const fillGroups = () => {
    const keep = gs.value || x.group_id;
    gs.replaceChildren(h('option', { value: '' }, T.choose),
      ...c.groups.filter((g) => g.village_id === vs.value).map((g) => h('option', { value: g.id }, g.name)));
    gs.value = c.groups.some((g) => g.id === keep && g.village_id === vs.value) ? keep : '';
  };
  vs.addEventListener('change', fillGroups);
  fillGroups();
  const input = (name, attrs) => h('input', Object.assign({ name, value: x[name] || '' }, attrs || {}));
  const bs = select('build', c.builds.map((b) => ({ value: b.code, label: codeLabel(c.builds, b.code) })), x.build);
  const ts = select('team', c.teams.map((t) => ({ value: t.id, label: t.name })), x.team_id, { emptyLabel: T.none });
  const syncTeam = () => { ts.disabled = bs.value !== 'contracted'; if (ts.disabled) ts.value = ''; };
  bs.addEventListener('change', syncTeam);
  syncTeam();
  f.append(h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
    field(T.village, vs, null, true), field(T.group, gs, null, true),
    field(T.head, input('head', { autocomplete: 'off' }), null, true),
    field(T.approach, select('approach', c.approaches.map((a) => ({ value: a.code, label: codeLabel(c.approaches, a.code) })), x.approach), null, true),
    field(T.build, bs, null, true), field(T.team, ts),
    field(T.type, select('type', c.types.map((t) => ({ value: t.code, label: typeLabel(t.code) })), x.type), null, true),
    field(T.cadre, select('cadre', c.cadres.map((t) => ({ value: t.id, label: t.name })), x.cadre_id, { emptyLabel: T.none })),
    field(T.id_number, input('id_number', { value: '', placeholder: x.id_masked || '', autocomplete: 'off' }),
      id ? (LANG === 'en' ? 'only the masked form is kept; leave empty to keep it' : '只保存脱敏号码；不改请留空') : T.id_hint_new),
    field(T.phone, input('phone', { type: 'tel' }), T.phone_hint), field(T.house_no, input('house_no')),
    field(T.water, select('water', c.waters.map((w) => ({ value: w.code, label: T.waters[w.code] || w.code })), x.water, { emptyLabel: T.none })),
    field(T.gps, input('gps', { placeholder: '25.123456,99.123456' }), T.gps_hint),
    field(T.planned_week, input('planned_week', { placeholder: session.week }), T.week_hint),
    field(T.current_toilet, input('current_toilet')), field(T.agreement, input('agreement')),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, T.save), ' ',
      link(id ? '#/household/' + id : '#/households', T.cancel)));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const el of f.elements) {
      if (!el.name) continue;
      const old = { village: x.village_id, group: x.group_id, team: x.team_id, cadre: x.cadre_id }[el.name] ?? x[el.name];
      if (!id) { if (el.value !== '') body[el.name] = el.value; }
      else if (el.value !== (old || '') && !(el.name === 'id_number' && el.value === '')) body[el.name] = el.value;
    }
    try {
      const r = await api(id ? 'households/' + id : 'households', body);
      location.hash = '#/household/' + r.id;
    } catch (e) { fieldError(f, e); }
  });
  page(id ? T.edit_household + ' · ' + hhName(x) : T.new_household, f);
  f.querySelector('select,input').focus();
}

/* --- acceptance (验收) --------------------------------------------------------- */

function itemVerdict(it, v) {
  if (v === '' || v === undefined || v === null) return null;
  if (it.kind === 'bool') return v === 'yes';
  const n = Number(v);
  if (!Number.isFinite(n)) return false;
  if (it.min !== undefined && n < it.min) return false;
  if (it.max !== undefined && n > it.max) return false;
  return true;
}

function passHint(it) {
  if (it.kind === 'bool') return '';
  const u = it.unit || '';
  const p = [];
  if (it.min !== undefined) p.push('≥ ' + it.min + u);
  if (it.max !== undefined) p.push('≤ ' + it.max + u);
  let s = p.length ? T.pass_hint + ' ' + p.join(', ') : '';
  if (it.range_lo !== undefined) s += (s ? '；' : '') + T.range_hint + ' ' + it.range_lo + '–' + it.range_hi + u;
  return s;
}

/* The pass standard as a printed sheet says it: "≥ 1.5 m³", or yes. */
function standard(it) {
  if (it.kind === 'bool') return T.yes;
  const u = it.unit ? ' ' + it.unit : '';
  return [it.min !== undefined ? '≥ ' + it.min + u : '', it.max !== undefined ? '≤ ' + it.max + u : '']
    .filter(Boolean).join(', ');
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

async function pageInspect(id, q) {
  const [x, c] = await Promise.all([api('households/' + encodeURIComponent(id)), choices(true)]);
  const dflt = ['failed', 'rectifying'].includes(x.status) ? 're-inspection'
    : ['planned', 'building'].includes(x.status) ? (x.inspections.length ? 'pre-cover' : 'excavation') : 'completion';
  const stage = q.stage || dflt;
  const cl = await api('checklist?household=' + encodeURIComponent(x.id) + '&stage=' + encodeURIComponent(stage));
  const f = h('form', { class: 'inspect', novalidate: true });
  const st = select('stage', c.stages.map((s) => ({ value: s.code, label: T.stages[s.code] || s.code })), stage, { empty: false });
  st.addEventListener('change', () => { location.hash = '#/inspect/' + x.id + '?stage=' + st.value; });
  const who = h('fieldset', { class: 'inspectors' }, h('legend', {}, T.inspectors, h('span', { class: 'req' }, ' *')),
    c.cadres.map((cd, i) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'inspector', value: cd.name, id: 'insp-' + i }), ' ', cd.name)),
    h('p', { class: 'err', id: 'err-inspectors', role: 'alert' }));
  const items = cl.items.filter((it) => it.applies);
  const rows = items.map((it) => {
    const name = 'item-' + it.code;
    const ctl = it.kind === 'bool'
      ? select(name, [{ value: 'yes', label: T.pass }, { value: 'no', label: T.fail }], '', { emptyLabel: T.no_answer })
      : h('input', { name, type: 'text', inputmode: 'decimal', autocomplete: 'off', size: 8 });
    ctl.id = 'f-' + name;
    ctl.dataset.code = it.code;
    const photo = it.photo ? h('input', { type: 'file', accept: 'image/*', capture: 'environment',
      name: 'photo-' + it.code, 'data-kind': it.photo, 'aria-label': it.label + ' ' + T.photo,
      'aria-required': it.photo_required ? 'true' : null }) : null;
    return h('tr', { class: it.critical ? 'critical' : '', id: 'row-' + it.code },
      h('th', { scope: 'row' }, h('label', { for: ctl.id }, it.label),
        it.critical ? h('span', { class: 'badge' }, '★ ' + T.critical) : null,
        it.required ? h('span', { class: 'req', title: T.required_item }, ' *') : null),
      h('td', {}, ctl, it.unit ? h('span', { class: 'unit' }, ' ' + it.unit) : null,
        h('p', { class: 'err', id: 'err-' + it.code, role: 'alert' })),
      h('td', { class: 'hint' }, passHint(it)),
      h('td', { class: 'verdict', id: 'v-' + it.code, 'aria-live': 'polite' }),
      h('td', {}, photo ? [h('label', {}, (T.kinds[it.photo] || it.photo),
        it.photo_required ? h('span', { class: 'req', title: T.photo_required }, ' *') : null, ' ', photo),
        h('p', { class: 'err', id: 'err-photo-' + it.code, role: 'alert' })] : ''));
  });
  const preview = h('div', { class: 'preview', id: 'preview', role: 'status', 'aria-live': 'polite' });
  const veto = h('p', { class: 'alert veto', id: 'veto', role: 'alert', hidden: true });
  const resultSel = select('result', [{ value: 'pass', label: T.pass }, { value: 'fail', label: T.fail }], '', { emptyLabel: T.auto });
  const recompute = () => {
    let anyFail = false, all = true;
    const vetoes = [];
    for (const it of items) {
      const el = f.elements['item-' + it.code];
      const v = itemVerdict(it, el.value.trim());
      const cell = document.getElementById('v-' + it.code);
      cell.textContent = v === null ? '' : v ? '✓ ' + T.pass : '✗ ' + T.fail;
      cell.className = 'verdict ' + (v === null ? '' : v ? 'ok' : 'bad');
      if (v === null) all = false;
      if (v === false) { anyFail = true; if (it.critical) vetoes.push(it.label); }
    }
    veto.hidden = !vetoes.length;
    veto.textContent = vetoes.length ? T.veto_warn + vetoes.join('、') : '';
    const r = vetoes.length ? 'fail' : resultSel.value || (anyFail ? 'fail' : all ? 'pass' : null);
    preview.replaceChildren(h('strong', {}, T.preview + ': '),
      h('span', { class: r === 'pass' ? 'ok' : r === 'fail' ? 'bad' : '' }, r ? T[r] : '…'));
  };
  f.addEventListener('input', recompute);
  f.addEventListener('change', recompute);
  f.append(h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
    h('div', { class: 'grid' }, field(T.stage, st), field(T.date, h('input', { type: 'date', name: 'date', value: session.today }))),
    who,
    h('h2', {}, T.items + ' · ' + typeLabel(cl.type) + ' · ' + (T.stages[stage] || stage)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'items' },
      h('thead', {}, h('tr', {}, [T.items, T.result, T.pass_hint, '', T.photo].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    veto, preview,
    h('div', { class: 'grid' }, field(T.result, resultSel), field(T.note, h('input', { name: 'note' }))),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, T.save), ' ',
      link('#/household/' + x.id, T.cancel)),
    h('div', { id: 'outcome', role: 'status' }));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { household: x.id, stage, date: f.elements.date.value, note: f.elements.note.value || undefined,
      inspectors: [...f.querySelectorAll('input[name=inspector]:checked')].map((i) => i.value),
      items: {}, photos: [] };
    if (resultSel.value) body.result = resultSel.value;
    for (const it of items) {
      const v = f.elements['item-' + it.code].value.trim();
      if (v !== '') body.items[it.code] = v;
    }
    for (const inp of f.querySelectorAll('input[type=file]')) {
      for (const file of inp.files) {
        body.photos.push({ kind: inp.dataset.kind, name: file.name, field: inp.name, data: await readFile(file) });
      }
    }
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await api('inspections', body);
      const out = document.getElementById('outcome');
      f.querySelectorAll('.err').forEach((e) => { e.textContent = ''; });
      out.replaceChildren(h('h2', {}, T.saved_insp),
        h('p', { class: 'result ' + (r.result === 'pass' ? 'ok' : 'bad') }, T.result + ': ' + T[r.result]),
        r.veto && r.veto.length ? h('p', {}, T.critical + ': ' + r.veto.map((v) => (items.find((it) => it.code === v) || { label: v }).label).join('、')) : null,
        r.deadline ? h('p', {}, T.rect_opened + ' ' + r.deadline) : null,
        r.closed ? h('p', {}, r.closed + ' ' + T.rect_closed) : null,
        h('p', {}, link('#/print/inspection/' + r.id, T.record, 'btn'), ' ',
          r.rectification ? link('#/print/rectification/' + r.rectification, T.notice, 'btn') : null, ' ',
          link('#/household/' + x.id, T.back, 'btn')));
      f.querySelectorAll('input,select,button').forEach((e) => { e.disabled = true; });
      out.querySelector('a').focus();
    } catch (e) {
      btn.disabled = false;
      const fld = e.field && e.field.startsWith('item-') ? e.field.slice(5) : e.field;
      fieldError(f, Object.assign(e, { field: fld === 'inspector' ? 'inspectors' : fld }));
    }
  });
  page(T.inspect + ' · ' + hhName(x) + ' (' + typeLabel(x.type) + ')', f);
  recompute();
  st.focus();
}

/* --- rectifications, weekly list --------------------------------------------- */

async function pageRectifications(q) {
  const all = q.all === '1';
  const list = await api('rectifications' + (all ? '?all=1' : ''));
  page(T.rectifications,
    h('p', {}, link(all ? '#/rectifications' : '#/rectifications?all=1', all ? T.open : T.show_all)),
    table([T.village, T.group, T.head, T.category, T.owner, T.deadline, T.status, ''],
      list.map((r) => [r.village, r.group, link('#/household/' + r.household, r.head), r.category, r.owner || '',
        h('span', { class: r.overdue ? 'bad' : '' }, (r.deadline || '') + (r.overdue ? ' (' + T.overdue + ')' : '')),
        T[r.status] || r.status, link('#/print/rectification/' + r.id, T.notice)])));
}

async function pageReport(q) {
  const r = await api('report-week' + (q.week ? '?week=' + encodeURIComponent(q.week) : ''));
  const f = h('form', { class: 'filters' },
    field(T.week, h('input', { name: 'week', value: r.week, pattern: '\\d{4}-W\\d{2}', size: 9 })),
    h('button', { type: 'submit' }, T.filter));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = '#/report?week=' + f.elements.week.value; });
  page(T.report + ' · ' + r.week + ' (' + r.from + ' – ' + r.to + ')', f,
    table([T.rank, T.village, T.target, T.households_n, T.built, T.inspected, T.passed, T.failed, T.accepted, T.open_rect, T.conflicts_col],
      r.villages.map((v) => [v.rank, v.village, v.target, v.households, v.built, v.inspected, v.passed,
        v.failed, v.accepted, v.open_rectifications, v.conflicts])));
}

/* --- sync, enrolment ------------------------------------------------------------ */

function describeValue(v) {
  return (v.value === null ? '—' : typeof v.value === 'object' ? JSON.stringify(v.value) : String(v.value)) +
    (v.device ? ' (' + v.device + ')' : '');
}

async function renderSyncState(s, box) {
  const r = s.result || {};
  const line = s.state === 'running' ? T.syncing
    : s.state === 'done' ? T.sync_done + ': ' + T.pushed + ' ' + r.pushed + ', ' + T.pulled + ' ' + r.pulled +
      ', ' + T.quarantined + ' ' + r.quarantined + ', ' + T.photos + ' ' + r.photos
    : s.state === 'failed' ? T.sync_failed + ': ' + s.message : '';
  box.replaceChildren(h('p', { class: s.state === 'failed' ? 'alert' : s.state === 'done' ? 'ok' : '' }, line),
    h('p', {}, s.pending + ' ' + T.pending + ' · ' + T.last_sync + ': ' + (s.last_sync ? when(s.last_sync) : T.never)));
}

/* A record's field by its name on the forms (team_id: 施工队). */
function fieldLabel(k) {
  const f = String(k).replace(/_id$/, '');
  return typeof T[f] === 'string' ? T[f] : k;
}

/* The fields a change touches. */
function changeText(e) {
  if (e.op === 'delete') return T.deleted_op;
  return Object.keys(e.fields || {}).map(fieldLabel).join(LANG === 'en' ? ', ' : '、');
}

/*
 * One change the central refused: what it was, the central's reason,
 * and what the cadre can do: retry it (written again through this
 * laptop's rules, `huce quarantine retry`) or drop it, after a confirm
 * step (`huce quarantine drop`).  Not while a sync runs.
 */
function quarantineItem(e) {
  const msg = h('p', { class: 'err', role: 'alert', id: 'q-err-' + e.seq });
  const act = async (what) => {
    try {
      const r = await api('quarantine/' + e.seq + '/' + what, {});
      flash = (r.name || e.name) + ': ' + (what === 'drop' ? T.dropped : r.changed ? T.retried : T.retried_same);
      await route();
    } catch (err) {
      msg.textContent = err.code === 'busy' ? T.busy_sync : err.message;
      li.querySelector('button').focus();
    }
  };
  const ask = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-label': T.drop },
    h('p', {}, T.drop_ask), h('button', { type: 'button', class: 'danger', onclick: () => act('drop') }, T.drop_confirm), ' ',
    h('button', { type: 'button', onclick: () => { ask.hidden = true; dropBtn.focus(); } }, T.cancel));
  ask.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ask.hidden = true; dropBtn.focus(); } });
  const dropBtn = h('button', { type: 'button', 'aria-describedby': 'q-err-' + e.seq,
    onclick: () => { ask.hidden = false; ask.querySelector('button').focus(); } }, T.drop);
  const li = h('li', { id: 'q-' + e.seq },
    h('strong', {}, e.name), e.at ? h('small', {}, ' · ' + T.changed_at + ' ' + when(e.at)) : null, h('br'),
    T.change + ': ' + changeText(e), h('br'),
    T.reason + ': ', h('span', { class: 'bad' }, e.reason),
    h('p', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'aria-describedby': 'q-err-' + e.seq,
      onclick: () => act('retry') }, T.retry), ' ', dropBtn),
    ask, msg);
  return li;
}

async function pageSync() {
  const [s, qn, cf] = await Promise.all([api('sync'), api('quarantine'), api('conflicts')]);
  const box = h('div', { id: 'sync-state', role: 'status', 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', class: 'primary', id: 'sync-now' }, T.sync_now);
  const poll = async () => {
    const st = await api('sync');
    renderSyncState(st, box);
    if (st.state === 'running') setTimeout(poll, 500);
    else { btn.disabled = false; if (location.hash.startsWith('#/sync')) refreshLists(); }
  };
  btn.addEventListener('click', async () => {
    const old = document.getElementById('flash');
    if (old) old.remove();
    btn.disabled = true;
    try {
      const st = await api('sync', {});
      renderSyncState(st, box);
      poll();
    } catch (e) { btn.disabled = false; box.replaceChildren(h('p', { class: 'alert', role: 'alert' }, e.message)); }
  });
  const qBox = h('section', { id: 'quarantine' });
  const cBox = h('section', { id: 'conflicts' });
  const fill = (q, c) => {
    qBox.replaceChildren(h('h2', {}, T.quarantine), q.length ? h('ul', { class: 'quarantine' }, q.map(quarantineItem))
      : h('p', { class: 'empty' }, T.no_quarantine));
    cBox.replaceChildren(h('h2', {}, T.conflicts_t), c.length ? h('ul', {}, c.map((e) =>
      h('li', {}, h('strong', {}, e.name || e.record), e.field ? ' · ' + fieldLabel(e.field) : '', ' — ',
        T.values + ': ', (e.values || []).map(describeValue).join(' / ')))) : h('p', { class: 'empty' }, T.no_conflicts));
  };
  const refreshLists = async () => { const [q, c] = await Promise.all([api('quarantine'), api('conflicts')]); fill(q, c); };
  fill(qn, cf);
  page(T.sync, !s.central ? h('p', { class: 'alert' }, T.not_enrolled + ' — ', link('#/enroll', T.enroll)) : null,
    h('p', {}, btn), box, qBox, cBox);
  renderSyncState(s, box);
  if (s.state === 'running') { btn.disabled = true; poll(); }
}

async function pageEnroll() {
  const s = await api('status');
  const f = h('form', { class: 'grid', novalidate: true },
    h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
    field(T.url, h('input', { name: 'url', type: 'url', placeholder: 'https://…', value: s.central || '' }), null, true),
    field(T.token, h('input', { name: 'token', autocomplete: 'off' }), null, true),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, T.enroll_btn)),
    h('div', { id: 'outcome', role: 'status' }));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('enroll', { url: f.elements.url.value, token: f.elements.token.value });
      f.querySelector('#outcome').replaceChildren(h('p', { class: 'ok' }, T.enrolled + ' ' + (r.device || '') + ' · ' + r.central));
    } catch (e) { fieldError(f, e); }
  });
  page(T.enroll, s.central ? h('p', {}, T.enrolled + ' ' + (s.device || '') + ' · ' + s.central) : null, f);
}

/* --- a phone's folder: the import grid ------------------------------------------ */

/*
 * The cadre names the phone's folder; the server reads it as `huce photo
 * import DIR` does (the same matching, common/huce_photo.c) and proposes
 * a household and an inspection for each new photo.  Each row can be
 * corrected (household, inspection, kind) and is attached when ticked:
 * the sure matches are ticked already.
 */
async function pageImport() {
  const c = await choices();
  const f = h('form', { class: 'inline', novalidate: true, id: 'import-form' },
    h('p', { class: 'form-error', role: 'alert', tabindex: '-1' }),
    field(T.folder, h('input', { name: 'dir', size: 48, autocomplete: 'off', spellcheck: 'false' }), T.folder_hint, true),
    field(T.within, h('input', { name: 'within', type: 'number', min: 1, max: 100000, step: 1, value: 50, size: 6 })),
    h('button', { type: 'submit', class: 'primary' }, T.read_folder));
  const out = h('div', { id: 'import-grid' });
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await api('photo-import', { dir: f.elements.dir.value.trim(), within: f.elements.within.value });
      f.querySelectorAll('.err').forEach((e) => { e.textContent = ''; });
      f.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
      f.querySelector('.form-error').textContent = '';
      await importGrid(r, c, out);
    } catch (e) { fieldError(f, e); }
    btn.disabled = false;
  });
  page(T.photo_import, f, out);
}

async function importGrid(r, c, out) {
  const all = await api('households');
  const cache = {};
  const household = async (id) => { if (!cache[id]) cache[id] = await api('households/' + encodeURIComponent(id)); return cache[id]; };
  const inspOptions = async (sel, hid, chosen) => {
    sel.replaceChildren(h('option', { value: '' }, T.household_only));
    if (!hid) return;
    const x = await household(hid);
    for (const i of x.inspections.filter((i) => !i.voided)) {
      const o = h('option', { value: i.id }, i.date + ' ' + (T.stages[i.stage] || i.stage));
      if (i.id === chosen) o.selected = true;
      sel.append(o);
    }
  };
  const summary = h('p', { class: 'count', id: 'import-summary' },
    r.photos.length + ' / ' + r.files + ' · ' + r.known + ' ' + T.known_n + (r.other ? ' · ' + r.other + ' ' + T.other_n : ''));
  if (!r.photos.length) { out.replaceChildren(summary, h('p', { class: 'empty' }, T.no_new)); return; }
  const rows = [];
  for (const p of r.photos) {
    const n = p.n;
    const state = h('span', { class: p.state === 'sure' ? 'ok' : p.state === 'refused' ? 'bad' : '' }, T.imp[p.state] || p.state);
    const info = [h('div', {}, p.name), p.taken_at ? h('small', {}, T.taken + ' ' + p.taken_at.replace('T', ' ')) : null,
      p.gps ? h('small', {}, ' · ' + p.gps) : null,
      p.household ? h('small', {}, ' · ' + p.metres + ' ' + T.metres) : null];
    const err = h('p', { class: 'err', id: 'err-imp-' + n, role: 'alert' });
    if (p.state === 'refused') {
      rows.push(h('tr', { id: 'imp-' + n, 'data-state': p.state }, h('td', {}), h('td', {}, info), h('td', {}, state),
        h('td', { colspan: 4 }, h('span', { class: 'bad' }, p.reason))));
      continue;
    }
    const hs = select('hh-' + n, all.map((x) => ({ value: x.id, label: hhName(x) + (x.code ? ' · ' + x.code : '') })), p.household || '');
    const is = h('select', { name: 'insp-' + n, id: 'f-insp-' + n, 'aria-label': T.to_inspection });
    const ks = select('kind-' + n, c.photo_kinds.map((k) => ({ value: k.code, label: T.kinds[k.code] || k.code })), p.kind, { empty: false });
    const take = h('input', { type: 'checkbox', name: 'take-' + n, id: 'f-take-' + n, 'aria-label': T.attach + ' ' + p.name });
    take.checked = p.state === 'sure';
    hs.setAttribute('aria-label', T.household);
    ks.setAttribute('aria-label', T.kind);
    await inspOptions(is, p.household, p.inspection);
    hs.addEventListener('change', async () => { await inspOptions(is, hs.value, null); if (hs.value) take.checked = true; });
    const tr = h('tr', { id: 'imp-' + n, 'data-state': p.state, 'data-n': n, 'data-sha': p.sha256 },
      h('td', {}, h('img', { src: '/api/photo-import/' + n, alt: p.name, loading: 'lazy', class: 'thumb' })),
      h('td', {}, info), h('td', { class: 'imp-state' }, state, err),
      h('td', {}, hs), h('td', {}, is), h('td', {}, ks), h('td', {}, take));
    rows.push(tr);
  }
  const btn = h('button', { type: 'button', class: 'primary', id: 'import-attach' }, T.attach_selected);
  const result = h('p', { id: 'import-result', role: 'status', 'aria-live': 'polite' });
  btn.addEventListener('click', async () => {
    const body = { photos: [] };
    for (const tr of out.querySelectorAll('tr[data-sha]')) {
      const n = Number(tr.dataset.n);
      if (!tr.querySelector('[name=take-' + n + ']').checked || tr.dataset.state === 'attached') continue;
      const hid = tr.querySelector('[name=hh-' + n + ']').value;
      const iid = tr.querySelector('[name=insp-' + n + ']').value;
      body.photos.push({ n, sha256: tr.dataset.sha, owner: iid || hid, kind: tr.querySelector('[name=kind-' + n + ']').value });
    }
    if (!body.photos.length) return;
    btn.disabled = true;
    try {
      const a = await api('photo-import/attach', body);
      for (const x of a.photos) {
        const tr = document.getElementById('imp-' + x.n);
        if (!tr) continue;
        const errEl = tr.querySelector('.err');
        tr.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
        if (x.state === 'attached') {
          tr.dataset.state = 'attached';
          tr.querySelector('.imp-state span').textContent = T.imp.attached + (x.code ? ' · ' + x.code : '');
          tr.querySelector('.imp-state span').className = 'ok';
          errEl.textContent = '';
          tr.querySelectorAll('select,input').forEach((e) => { e.disabled = true; });
        } else {
          errEl.textContent = x.reason;
          const n = Number(tr.dataset.n);
          const bad = x.field === 'kind' ? 'kind-' + n : x.field === 'owner' ? 'hh-' + n : null;
          if (bad) tr.querySelector('[name=' + bad + ']').setAttribute('aria-invalid', 'true');
        }
      }
      result.textContent = a.attached + ' ' + T.attached_n;
    } catch (e) { result.textContent = T.error + ': ' + e.message; }
    btn.disabled = false;
  });
  out.replaceChildren(summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'import' },
      h('thead', {}, h('tr', {}, [T.photo, T.file, T.photo_state, T.household, T.to_inspection, T.kind, T.attach]
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    h('p', { class: 'buttons' }, btn), result);
}

/* --- printable pages (A4) ------------------------------------------------------- */

function printBar() {
  return h('p', { class: 'no-print' }, h('button', { type: 'button', onclick: () => window.print() }, T.print),
    ' ', h('small', {}, T.print_hint));
}

async function pagePrintInspection(id) {
  const [i, c] = await Promise.all([api('inspections/' + encodeURIComponent(id)), choices()]);
  const x = i.household_record;
  const checklist = i.checklist || [];
  const photos = (x.photos || []).filter((p) => p.owner === i.id);
  page(T.record + ' · ' + hhName(x), printBar(),
    h('article', { class: 'sheet' },
      h('h2', { class: 'sheet-title' }, (session.town || '') + ' ' + (LANG === 'en' ? 'Household toilet acceptance record' : '农村户厕改造验收单')),
      h('dl', { class: 'facts' },
        [[T.code, i.code], [T.village, x.village + ' ' + x.group], [T.head, x.head], [T.id_number, x.id_masked],
          [T.type, typeLabel(x.type)], [T.build, codeLabel(c.builds, x.build)], [T.team, x.team], [T.stage, T.stages[i.stage] || i.stage],
          [T.date, i.date], [T.inspectors, i.inspectors]].filter((r) => r[1]).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      table([T.items, T.measured, T.standard, T.verdict], checklist.map((it) => {
        const v = i.items[it.code];
        const bad = (i.failed || []).includes(it.code);
        return [it.label + (it.critical ? ' ★' : ''), answerText(it, v),
          standard(it), h('span', { class: bad ? 'bad' : 'ok' }, bad ? T.fail : T.pass)];
      })),
      checklist.some((it) => it.critical) ? h('p', { class: 'legend' }, h('small', {}, T.star_legend)) : null,
      h('p', { class: 'result ' + (i.result === 'pass' ? 'ok' : 'bad') }, T.result + ': ' + T[i.result] +
        (i.veto && i.veto.length ? ' (' + T.critical + ': ' + i.veto.map((v) => (checklist.find((it) => it.code === v) || { label: v }).label).join('、') + ')' : '') + (i.voided ? ' · ' + T.voided + ': ' + i.voided : '')),
      i.note ? h('p', {}, T.note + ': ' + i.note) : null,
      photos.length ? h('div', { class: 'photos' }, photos.map((p) => h('figure', {},
        h('img', { src: '/api/photos/' + p.id, alt: T.kinds[p.kind] || p.kind }),
        h('figcaption', {}, (T.kinds[p.kind] || p.kind) + ' · ' + p.sha256.slice(0, 12))))) : null,
      h('div', { class: 'signs' }, h('p', {}, T.inspector_sign + ': ____________'),
        h('p', {}, T.household_sign + ': ____________'), h('p', {}, T.date + ': ____________'))));
}

/* An item's answer as the record prints it: yes/no, or the number with its unit. */
function answerText(it, v) {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'boolean') return v ? T.yes : T.no;
  return String(v) + (it.unit ? ' ' + it.unit : '');
}

async function pagePrintRectification(id) {
  const r = await api('rectifications/' + encodeURIComponent(id));
  const x = await api('households/' + encodeURIComponent(r.household));
  /* The inspection that opened it: which items failed, what was measured, the standard. */
  const i = r.inspection ? await api('inspections/' + encodeURIComponent(r.inspection)).catch(() => null) : null;
  const failed = i ? (i.checklist || []).filter((it) => (i.failed || []).includes(it.code)) : [];
  page(T.notice + ' · ' + hhName(x), printBar(),
    h('article', { class: 'sheet' },
      h('h2', { class: 'sheet-title' }, (session.town || '') + ' ' + (LANG === 'en' ? 'Rectification notice' : '农村户厕改造整改通知单')),
      h('p', {}, x.village + ' ' + x.group + ' ' + x.head + (LANG === 'en' ? ':' : '户：')),
      h('p', {}, T.rect_notice_text),
      h('dl', { class: 'facts' },
        [[T.code, x.code], [T.type, typeLabel(x.type)], [T.team, x.team], [T.inspection, (T.stages[r.stage] || r.stage) + ' ' + (r.date || '')],
          [T.category, r.category], [T.owner, r.owner], [T.deadline, r.deadline], [T.status, T[r.status] || r.status]]
          .filter((p) => p[1]).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      failed.length ? [h('h3', {}, T.failed_items),
        table([T.items, T.measured, T.standard], failed.map((it) =>
          [it.label + (it.critical ? ' ★' : ''), answerText(it, i.items[it.code]), standard(it)])),
        failed.some((it) => it.critical) ? h('p', { class: 'legend' }, h('small', {}, T.star_legend)) : null] : null,
      i && i.note ? h('p', {}, T.note + ': ' + i.note) : null,
      h('div', { class: 'signs' }, h('p', {}, T.issued + ': ' + session.today),
        h('p', {}, T.inspector_sign + ': ____________'), h('p', {}, T.household_sign + ': ____________'))));
}

/* --- routing --------------------------------------------------------------------- */

const NAV = [['#/today', 'today'], ['#/households', 'households'], ['#/rectifications', 'rectifications'],
  ['#/photos', 'photo_import'], ['#/report', 'report'], ['#/sync', 'sync'], ['#/enroll', 'enroll']];

function renderNav() {
  const nav = document.getElementById('nav');
  nav.replaceChildren(h('ul', {}, NAV.map(([href, k]) => h('li', {}, h('a', { href, id: 'nav-' + k }, T[k])))));
  document.querySelector('.skip').textContent = T.skip;
  document.getElementById('who').textContent = [session.town, session.device].filter(Boolean).join(' · ');
}

function markNav() {
  for (const [href, k] of NAV) {
    const a = document.getElementById('nav-' + k);
    if (location.hash.startsWith(href)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  const hash = location.hash || '#/today';
  const [path, qs] = hash.slice(1).split('?');
  const q = Object.fromEntries(new URLSearchParams(qs || ''));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  markNav();
  document.body.classList.toggle('printing', parts[0] === 'print');
  try {
    if (parts[0] === 'households') await pageHouseholds(q);
    else if (parts[0] === 'household' && parts[1] === 'new') await pageHouseholdForm(null);
    else if (parts[0] === 'household' && parts[2] === 'edit') await pageHouseholdForm(parts[1]);
    else if (parts[0] === 'household') await pageHousehold(parts[1]);
    else if (parts[0] === 'inspect') await pageInspect(parts[1], q);
    else if (parts[0] === 'rectifications') await pageRectifications(q);
    else if (parts[0] === 'report') await pageReport(q);
    else if (parts[0] === 'sync') await pageSync();
    else if (parts[0] === 'enroll') await pageEnroll();
    else if (parts[0] === 'photos') await pageImport();
    else if (parts[0] === 'print' && parts[1] === 'inspection') await pagePrintInspection(parts[2]);
    else if (parts[0] === 'print' && parts[1] === 'rectification') await pagePrintRectification(parts[2]);
    else await pageToday();
  } catch (e) {
    page(T.error);
    showError(e);
  }
  document.body.dataset.page = hash;
}

async function start() {
  try {
    session = await api('session');
  } catch (e) {
    main().replaceChildren(h('p', { class: 'alert' }, T.forbidden + ': ' + e.message));
    return;
  }
  renderNav();
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    main().focus();
  });
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = '1';
}

document.addEventListener('DOMContentLoaded', start);
