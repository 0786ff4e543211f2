#!/usr/bin/env node
// Stand-in record generator for the PouchDB peer (bench-only).
//
// Writes JSON Lines: one household or inspection record per line, UTF-8 with
// Chinese text, shaped like the records the huce bench generator
// (tests/bench/) produces, until that generator exists.  Deterministic from
// --seed.  Each household is followed by its inspections (1-3, stage order),
// so any prefix of the file has the same household/inspection mix (~1:2).
//
//   node bench/peer/gen.js --records N --out FILE.jsonl [--seed S]
//
// No dependencies: runs before `npm install`.
'use strict';

const fs = require('fs');

function parseArgs(argv) {
  const a = { records: 10000, out: null, seed: 1 };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--records') { a.records = Number(v); i++; }
    else if (k === '--out') { a.out = v; i++; }
    else if (k === '--seed') { a.seed = Number(v); i++; }
    else if (k === '-h' || k === '--help') {
      process.stdout.write('usage: node gen.js --records N --out FILE.jsonl [--seed S]\n');
      process.exit(0);
    } else { throw new Error('unknown argument: ' + k); }
  }
  if (!Number.isInteger(a.records) || a.records < 1) throw new Error('--records must be a positive integer');
  if (!a.out) throw new Error('--out FILE.jsonl is required');
  return a;
}

// mulberry32: small, fast, deterministic.
function rng(seed) {
  let s = seed >>> 0;
  return function () {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红梅兵鹏辉建国志文春生福荣贵金山海林成德富有才顺发宝珍凤琼花云';
const VILLAGES = ['阿猛村', '戈木村', '补者村', '科麻村', '阿基村', '鲁木村', '老寨村',
  '新发村', '普拉村', '迤拉村', '那洒村', '小石桥村', '木梓村'];
const TYPES = {
  'three-grid': [['tank_volume', 1.5, 3.0], ['ratio_2_1_3'], ['effective_depth', 1.0, 1.6],
    ['inlet_pipe_diameter', 110, 160], ['transfer_pipes_ok'], ['vent_height', 500, 900], ['backfill_ok']],
  'double-urn': [['total_volume', 1.2, 2.0], ['urns_intact'], ['transfer_pipe_ok'], ['funnel_pan_ok'], ['vent_pipe']],
  'urine-diversion': [['chamber_volume_single', 0.8, 1.4], ['chamber_volume_double', 0.5, 1.0],
    ['urine_separated'], ['urine_store_sealed'], ['ash_available'], ['vent_pipe']],
  'double-pit': [['pit_volume', 0.5, 1.2], ['two_pits_separate'], ['above_groundwater'], ['alternation'], ['ash_available']],
  'sewer': [['sewer_connected'], ['water_supply'], ['outlet_pipe_diameter', 100, 160], ['trap_installed'],
    ['inspection_well'], ['drains_freely']],
  'biogas': [['outlet_above_inlet'], ['inlet_distance', 0.5, 3.0], ['direct_inlet'], ['gas_pipe_tight'], ['digester_working']]
};
const TYPE_NAMES = Object.keys(TYPES);
const COMMON = [['walls_roof_door'], ['room_area', 1.2, 3.0], ['room_height', 2.0, 2.8], ['no_leak'],
  ['sealed_cover'], ['no_exposed_waste'], ['pan_ok'], ['plaque_installed']];
const STAGES = ['excavation', 'pre-cover', 'completion', 'first-toilet', 're-inspection', 'spot-check'];
const STATUSES = ['planned', 'building', 'built', 'accepted', 'failed', 'rectifying'];
const CRITICAL = new Set(['tank_volume', 'total_volume', 'sewer_connected', 'digester_working',
  'two_pits_separate', 'urine_separated', 'no_leak']);

function main() {
  const a = parseArgs(process.argv);
  const r = rng(a.seed);
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  const name = () => pick(SURNAMES) + pick(GIVEN) + (r() < 0.7 ? pick(GIVEN) : '');
  const hex = (n) => { let s = ''; for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16); return s; };
  const uuid = () => { const h = hex(32); return h.slice(0, 8) + '-' + h.slice(8, 12) + '-4' + h.slice(13, 16) + '-' +
    '89ab'[Math.floor(r() * 4)] + h.slice(17, 20) + '-' + h.slice(20, 32); };
  const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
  // 257 cadres and ~20 construction teams, as in the 阿猛镇 data set.
  const cadres = Array.from({ length: 257 }, name);
  const teams = Array.from({ length: 20 }, (_, i) => '第' + (i + 1) + '施工队');

  const fd = fs.openSync(a.out, 'w');
  let buf = [];
  let n = 0;
  const emit = (rec) => {
    buf.push(JSON.stringify(rec));
    n++;
    if (buf.length >= 4096) { fs.writeSync(fd, buf.join('\n') + '\n'); buf = []; }
  };
  let day = 0;
  while (n < a.records) {
    const type = pick(TYPE_NAMES);
    const hid = uuid();
    const village = pick(VILLAGES);
    const insp = 1 + Math.floor(r() * 3);
    emit({
      _id: hid, type: 'household', village, group: '第' + (1 + Math.floor(r() * 9)) + '组',
      head: name(), approach: type === 'biogas' && r() < 0.7 ? 'biogas-retrofit' : 'new-build',
      build: r() < 0.6 ? 'contracted' : 'self', toilet_type: type, team: pick(teams), cadre: pick(cadres),
      status: pick(STATUSES)
    });
    for (let k = 0; k < insp && n < a.records; k++) {
      const items = {};
      const failed = [];
      for (const [code, lo, hi] of COMMON.concat(TYPES[type])) {
        const bad = r() < 0.04;
        if (lo === undefined) items[code] = !bad;
        else items[code] = bad ? round(lo * 0.8, 2) : round(lo + r() * (hi - lo), hi >= 100 ? 0 : 2);
        if (bad) failed.push(code);
      }
      const veto = failed.filter((c) => CRITICAL.has(c));
      day = (day + (r() < 0.02 ? 1 : 0)) % 365;
      const d = new Date(Date.UTC(2024, 2, 1) + day * 86400000).toISOString().slice(0, 10);
      emit({
        _id: uuid(), type: 'inspection', household_id: hid, stage: STAGES[Math.min(k * 2, STAGES.length - 1)],
        date: d, inspectors: [pick(cadres), pick(cadres)], items, failed, veto,
        result: veto.length ? 'fail' : failed.length ? 'rectify' : 'pass'
      });
    }
  }
  if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  fs.closeSync(fd);
}

try { main(); } catch (e) { process.stderr.write('gen.js: ' + e.message + '\n'); process.exit(2); }
