#!/usr/bin/env node
// PouchDB replication peer for `make bench` (issue 5): bench-only, not part of huce.
//
//   node bench/peer/peer.js --records N --input FILE.jsonl --out RESULT.json
//        [--inspections-only] [--max-seconds S] [--batch-size B] [--no-keepalive]
//
// 1. starts an express-pouchdb server (leveldb adapter, temp dir) in a child
//    process on 127.0.0.1, random free port; the child counts raw TCP bytes of
//    every accepted socket (socket.bytesRead / bytesWritten: HTTP headers and
//    bodies, as they cross the wire) and HTTP requests;
// 2. bulkDocs the first N records of FILE.jsonl into a local PouchDB (leveldb,
//    temp dir): reported as load_*, not part of the replication figures;
// 3. times local.replicate.to(remote) until complete (push);
// 4. times fresh.replicate.from(remote) into a second, empty local db (pull);
// 5. checks the doc counts, writes RESULT.json, prints the same JSON as one
//    line, stops the server and removes the temp dir.
// See README.md beside this file.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { fork } = require('child_process');

const DB_NAME = 'bench';

// ---------------------------------------------------------------- server ---
// Runs in the child process: `node peer.js --serve DIR`.
function serve(dir) {
  const http = require('http');
  const express = require('express');
  const PouchDB = require('pouchdb').defaults({ prefix: dir + path.sep });
  const app = express();
  // minimumForPouchDB: the routes PouchDB replication uses (and gzip response
  // compression, which express-pouchdb enables in every mode); no config file,
  // log file or Fauxton.
  app.use(require('express-pouchdb')(PouchDB, { mode: 'minimumForPouchDB' }));

  let closedRead = 0;
  let closedWritten = 0;
  let connections = 0;
  let requests = 0;
  let kinds = {};
  const live = new Set();
  const server = http.createServer(app);
  server.keepAliveTimeout = 60000;
  server.on('connection', (s) => {
    connections++;
    live.add(s);
    s.on('close', () => {
      closedRead += s.bytesRead;
      closedWritten += s.bytesWritten;
      live.delete(s);
    });
  });
  server.on('request', (req) => {
    requests++;
    const k = requestKind(req.method, req.url);
    kinds[k] = (kinds[k] || 0) + 1;
  });
  process.on('message', (m) => {
    if (m && m.cmd === 'stats') {
      let up = closedRead;
      let down = closedWritten;
      for (const s of live) { up += s.bytesRead; down += s.bytesWritten; }
      process.send({ reply: 'stats', up, down, requests, connections, kinds: Object.assign({}, kinds),
        maxrss_kib: process.resourceUsage().maxRSS });
    } else if (m && m.cmd === 'stop') {
      for (const s of live) s.destroy();
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    }
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    process.send({ reply: 'listening', port: server.address().port });
  });
}

// "POST /bench/_bulk_docs?x" -> "POST _bulk_docs"; "/bench/_local/id" -> "_local";
// "/bench" -> "db"; "/" -> "root"; "/bench/<docid>" -> "doc".
function requestKind(method, url) {
  const p = url.split('?')[0].split('/').filter(Boolean);
  let what;
  if (p.length === 0) what = 'root';
  else if (p.length === 1) what = p[0].startsWith('_') ? p[0] : 'db';
  else what = p[1].startsWith('_') ? p[1] : 'doc';
  return method + ' ' + what;
}

// ---------------------------------------------------------------- client ---
function usage() {
  return 'usage: node peer.js --records N --input FILE.jsonl --out RESULT.json\n' +
    '                     [--inspections-only] [--max-seconds S (900)] [--batch-size B (PouchDB default 100)]\n' +
    '                     [--no-keepalive]\n';
}

function parseArgs(argv) {
  const a = { records: null, input: null, out: null, inspectionsOnly: false, maxSeconds: 900, batchSize: null,
    keepAlive: true };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case '--records': a.records = Number(v); i++; break;
      case '--input': a.input = v; i++; break;
      case '--out': a.out = v; i++; break;
      case '--inspections-only': a.inspectionsOnly = true; break;
      case '--no-keepalive': a.keepAlive = false; break;
      case '--max-seconds': a.maxSeconds = Number(v); i++; break;
      case '--batch-size': a.batchSize = Number(v); i++; break;
      case '-h': case '--help': process.stdout.write(usage()); process.exit(0); break;
      default: throw new UsageError('unknown argument: ' + k);
    }
  }
  if (!Number.isInteger(a.records) || a.records < 1) throw new UsageError('--records N: a positive integer is required');
  if (!a.input) throw new UsageError('--input FILE.jsonl is required');
  if (!a.out) throw new UsageError('--out RESULT.json is required');
  if (!(a.maxSeconds > 0)) throw new UsageError('--max-seconds must be > 0');
  if (a.batchSize !== null && !(Number.isInteger(a.batchSize) && a.batchSize > 0)) {
    throw new UsageError('--batch-size must be a positive integer');
  }
  return a;
}

class UsageError extends Error {}
class AbortError extends Error {}

function version(pkg) {
  try { return require(pkg + '/package.json').version; } catch (e) { return null; }
}

const round = (x, d) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
const now = () => Number(process.hrtime.bigint()) / 1e9;

async function client(args) {
  const PouchDB = require('pouchdb');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'huce-peer-'));
  const serverDir = path.join(tmp, 'server');
  fs.mkdirSync(serverDir);

  let child = null;
  let pending = null; // {resolve, reject} waiting for a child reply
  let activeRep = null;
  const dbs = [];
  let deadlineHit = false;
  let rejectDeadline;
  const deadline = new Promise((_, rej) => { rejectDeadline = rej; });
  deadline.catch(() => {});
  const timer = setTimeout(() => {
    deadlineHit = true;
    if (activeRep) activeRep.cancel();
    rejectDeadline(new AbortError('aborted after --max-seconds ' + args.maxSeconds));
  }, args.maxSeconds * 1000);
  // Everything that can take long races against the deadline.
  const bounded = (p) => Promise.race([p, deadline]);

  const cleanup = async () => {
    clearTimeout(timer);
    for (const db of dbs) { try { await db.close(); } catch (e) { /* already closed */ } }
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((res) => child.once('exit', res));
      try { child.send({ cmd: 'stop' }); } catch (e) { /* channel closed */ }
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = (sig) => {
    cleanup().finally(() => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const ask = (cmd) => new Promise((resolve, reject) => {
    pending = { resolve, reject };
    child.send({ cmd });
  });

  const result = {
    peer: 'pouchdb', records: args.records, inspections_only: args.inspectionsOnly,
    push_seconds: null, push_records_per_s: null, push_bytes_up: null, push_bytes_down: null,
    push_requests: null, bytes_per_record: null,
    pull_seconds: null, pull_records_per_s: null, pull_bytes: null, pull_requests: null,
    bytes_per_inspection_record: null,
  };
  try {
    // 1. server in a child process
    child = fork(__filename, ['--serve', serverDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      if (pending) { const p = pending; pending = null; p.resolve(m); }
    });
    child.on('exit', (code, sig) => {
      if (pending) { const p = pending; pending = null; p.reject(new Error('server exited (' + (sig || code) + ')')); }
    });
    const hello = await bounded(new Promise((resolve, reject) => { pending = { resolve, reject }; }));
    const url = 'http://127.0.0.1:' + hello.port + '/' + DB_NAME;

    // 2. load the records into the local leveldb PouchDB (not replication)
    const local = new PouchDB(path.join(tmp, 'local'));
    dbs.push(local);
    const t0 = now();
    const loaded = await bounded(load(local, args));
    const t1 = now();
    if (loaded.count < args.records) {
      throw new Error(args.input + ' has only ' + loaded.count + (args.inspectionsOnly ? ' inspection' : '') +
        ' records, ' + args.records + ' requested');
    }
    result.input_bytes = loaded.bytes;
    result.load_seconds = round(t1 - t0, 3);
    result.load_records_per_s = round(args.records / (t1 - t0), 1);

    // Create the remote db outside the measured windows (PUT /bench).
    // PouchDB's node fetch (node-fetch 2) sends "Connection: close" unless it
    // is given an agent, i.e. one TCP connection per request; by default the
    // peer gets a keep-alive agent, as a browser would use (--no-keepalive:
    // stock behaviour).
    const remoteOpts = {};
    if (args.keepAlive) {
      const agent = new (require('http').Agent)({ keepAlive: true, maxSockets: 16 });
      remoteOpts.fetch = (u, o) => PouchDB.fetch(u, Object.assign({}, o, { agent }));
    }
    const remote = new PouchDB(url, remoteOpts);
    dbs.push(remote);
    await bounded(remote.info());

    const repOpts = args.batchSize ? { batch_size: args.batchSize } : {};

    // 3. push
    const s0 = await ask('stats');
    const p0 = now();
    activeRep = local.replicate.to(remote, repOpts);
    const push = await bounded(activeRep);
    const p1 = now();
    activeRep = null;
    const s1 = await ask('stats');
    const remoteInfo = await bounded(remote.info());
    if (push.status !== 'complete' || push.docs_written !== args.records || remoteInfo.doc_count !== args.records) {
      throw new Error('push incomplete: status ' + push.status + ', docs_written ' + push.docs_written +
        ', remote doc_count ' + remoteInfo.doc_count + ', expected ' + args.records);
    }
    const pushSec = p1 - p0;
    result.push_seconds = round(pushSec, 3);
    result.push_records_per_s = round(args.records / pushSec, 1);
    result.push_bytes_up = s1.up - s0.up;
    result.push_bytes_down = s1.down - s0.down;
    result.push_requests = s1.requests - s0.requests;
    result.push_connections = s1.connections - s0.connections;
    result.bytes_per_record = round((result.push_bytes_up + result.push_bytes_down) / args.records, 1);
    result.push_requests_per_10k = round(result.push_requests * 10000 / args.records, 1);
    result.push_request_kinds = diffKinds(s0.kinds, s1.kinds);
    if (args.inspectionsOnly) result.bytes_per_inspection_record = result.bytes_per_record;

    // 4. pull into a fresh local db
    const fresh = new PouchDB(path.join(tmp, 'fresh'));
    dbs.push(fresh);
    const s2 = await ask('stats');
    const q0 = now();
    activeRep = fresh.replicate.from(remote, repOpts);
    const pull = await bounded(activeRep);
    const q1 = now();
    activeRep = null;
    const s3 = await ask('stats');
    const freshInfo = await bounded(fresh.info());
    if (pull.status !== 'complete' || pull.docs_written !== args.records || freshInfo.doc_count !== args.records) {
      throw new Error('pull incomplete: status ' + pull.status + ', docs_written ' + pull.docs_written +
        ', fresh doc_count ' + freshInfo.doc_count + ', expected ' + args.records);
    }
    const pullSec = q1 - q0;
    result.pull_seconds = round(pullSec, 3);
    result.pull_records_per_s = round(args.records / pullSec, 1);
    result.pull_bytes_up = s3.up - s2.up;
    result.pull_bytes_down = s3.down - s2.down;
    result.pull_bytes = result.pull_bytes_up + result.pull_bytes_down;
    result.pull_requests = s3.requests - s2.requests;
    result.pull_connections = s3.connections - s2.connections;
    result.pull_request_kinds = diffKinds(s2.kinds, s3.kinds);

    result.batch_size = args.batchSize || 100;
    result.keepalive = args.keepAlive;
    result.client_peak_rss_kib = process.resourceUsage().maxRSS;
    result.server_peak_rss_kib = s3.maxrss_kib;
    result.adapter = local.adapter;
    result.versions = { node: process.versions.node, pouchdb: version('pouchdb'),
      'express-pouchdb': version('express-pouchdb'), express: version('express') };
  } catch (e) {
    result.error = e.message;
    result.aborted = deadlineHit;
  }
  await cleanup();
  fs.writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result) + '\n');
  if (result.error) {
    process.stderr.write('peer.js: ' + result.error + '\n');
    return deadlineHit ? 3 : 1;
  }
  return 0;
}

function diffKinds(a, b) {
  const d = {};
  for (const k of Object.keys(b)) {
    const n = b[k] - (a[k] || 0);
    if (n) d[k] = n;
  }
  return d;
}

// Streams FILE.jsonl into the local db in bulkDocs chunks of 1000, taking the
// first N records (of type "inspection" only with --inspections-only).
async function load(db, args) {
  const rl = readline.createInterface({ input: fs.createReadStream(args.input, { encoding: 'utf8' }), crlfDelay: Infinity });
  let chunk = [];
  let count = 0;
  let bytes = 0;
  let lineNo = 0;
  const flush = async () => {
    const res = await db.bulkDocs(chunk);
    for (const r of res) {
      if (r.error) throw new Error('bulkDocs: ' + r.id + ': ' + r.error + ' ' + (r.reason || ''));
    }
    chunk = [];
  };
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    let rec;
    try { rec = JSON.parse(line); } catch (e) { throw new Error(args.input + ':' + lineNo + ': ' + e.message); }
    if (args.inspectionsOnly && rec.type !== 'inspection') continue;
    chunk.push(rec);
    count++;
    bytes += Buffer.byteLength(line) + 1;
    if (chunk.length >= 1000) await flush();
    if (count >= args.records) break;
  }
  rl.close();
  if (chunk.length) await flush();
  return { count, bytes };
}

// ------------------------------------------------------------------ main ---
if (process.argv[2] === '--serve') {
  serve(process.argv[3]);
} else {
  let args;
  try {
    args = parseArgs(process.argv);
  } catch (e) {
    process.stderr.write('peer.js: ' + e.message + '\n' + usage());
    process.exit(2);
  }
  client(args).then((code) => process.exit(code), (e) => {
    process.stderr.write('peer.js: ' + (e && e.stack || e) + '\n');
    process.exit(1);
  });
}
