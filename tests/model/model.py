#!/usr/bin/env python3
"""model.py - the model-checked random test (issue 9, item 14).

Drives the real binaries: one `huce-syncd central` on a random loopback
port (SQLite store, or a throwaway PostgreSQL for a fraction of the
seeds), three laptops (`huce init`, `admin device add`, `huce enroll`),
and a schedule of random steps drawn from random.Random(seed): household
add / set / delete / progress, inspections and voids, syncs, USB round
trips (export -> admin import -> import-ack), office CSV imports and
conflict resolutions.  A step the CLI refuses (exit 2, 3 or 4) is part of
the test: it must change nothing.  At the end every laptop syncs until
nothing is pending, and the checks run:

  a-converge  every laptop's records equal the central's (the SQLite
              files are read directly; local-only columns excluded), and
              nothing is left pending
  b-status    every live household's status, at the central and in each
              laptop's `household list --json`, equals the status machine
              below applied to the central's merged records
  c-gate      the first-toilet gate held at the central, replayed from the
              central's history: no household joined a team that already
              had a live household before any household of the team had a
              passing completion / first-toilet / re-inspection
  d-id-hash   each ID hash is one live household at the central (a pair
              covered by an open `duplicate` conflict is allowed)
  e-id-number no full 18-character ID number in any file the binaries
              wrote (laptop dbs, central store, export and ack files, logs)
  f-exit      every command exited 0, 2, 3 or 4 (a sync 0), no sanitizer
              report
  g-refusal   a command that exited 2, 3 or 4 changed nothing (the
              laptop's file, or the central store for admin commands)

A failing seed prints its checks with the records involved; then the first
failing seed is shrunk (delta debugging over the steps, bounded by
--shrink-time) and the shortest schedule that still fails the same check
is printed as commands.

  model.py                       24 seeds x 40 steps (make test)
  model.py --seeds 1000          the soak (make soak)
  model.py --seed N --steps M    replay one schedule
  model.py --help                every option

Needs HUCE and HUCE_SYNCD (the binaries) and HUCE_SRCDIR (the checklists,
tests/pg); Python 3 standard library only.  See docs/RELIABILITY.md,
"Model-checked random test".
"""

import argparse
import datetime
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# Names of things the issue-9 branches add.  A record field absent today
# reads as null.
F_STARTED = 'started'         # household: 开工 date
F_FINISHED = 'finished'       # household: 完工 date
F_VOIDED = 'voided'           # inspection: non-empty once voided
F_VOIDS = 'voids'             # a voiding entry naming the inspection it voids
# Columns of the laptop's store that are computed locally and never
# travel (huce_field_def.local_only), per kind.
LOCAL_ONLY = {'household': {'head_norm'}}

DECISIVE = ('completion', 'first-toilet', 're-inspection', 'spot-check')
ACCEPTING = ('completion', 'first-toilet', 're-inspection')
EARLY = ('excavation', 'pre-cover')
STAGES = ('excavation', 'pre-cover', 'completion', 'first-toilet',
          're-inspection', 'spot-check')
STAGE_WEIGHTS = (15, 20, 30, 10, 15, 10)

DEVICES = ('d1', 'd2', 'd3')
TOWN = '阿猛镇'
VILLAGES = {'阿猛村': ('第一组', '第二组'), '芒东村': ('一组', '二组')}
INSPECTORS = ('王五', '岩温', '玉香')
TEAMS = ('一队', '二队', '三队')
TYPES = ('three-grid', 'double-urn', 'biogas', 'urine-diversion',
         'double-pit', 'sewer')
TYPE_LABELS = {'three-grid': '三格化粪池式', 'double-urn': '双瓮漏斗式',
               'biogas': '三联通沼气池式', 'urine-diversion': '粪尿分集式',
               'double-pit': '双坑交替式', 'sewer': '完整下水道水冲式'}
# Heads: a small pool so that one person is registered twice now and
# then; minority names with a middle dot, typed the ways keyboards do.
HEADS = ('李四', '张三', '王二', '杨丽', '马·阿木', '岩·温', '玉·香',
         '阿依·古丽', '扎西·多吉', '刀·玉罕', '木·扎', '者·阿保')
DOTS = ('·', '・', '•')
AREAS = ('532621', '532622', '532623', '532624', '532625', '532626',
         '532627', '532628', '533102', '532801')
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

CHECKS = ('a-converge', 'b-status', 'c-gate', 'd-id-hash', 'e-id-number',
          'f-exit', 'g-refusal', 'setup')
MAX_DETAIL = 6
ID_LIKE = re.compile(r'[0-9]{17}[0-9Xx]')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def id_check_char(first17):
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return '10X98765432'[s % 11]


def new_id_number(rng):
    """A valid GB 11643 number: Yunnan area, real birth date, check char."""
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(
        days=rng.randrange(365 * 64))
    first = '%s%s%03d' % (rng.choice(AREAS), birth.strftime('%Y%m%d'),
                          rng.randrange(1, 1000))
    return first + id_check_char(first)


def bad_id_number(n):
    """The same number with a wrong check character."""
    good = n[17]
    bad = '0' if good != '0' else '1'
    return n[:17] + bad


def spell_head(rng, head):
    """The same name as another cadre might type it."""
    if '·' in head and rng.random() < 0.4:
        head = head.replace('·', rng.choice(DOTS))
    if rng.random() < 0.1:
        head = head[0] + ' ' + head[1:]
    return head


# ---------------------------------------------------------------------------
# Checklists (read at run time, so the test follows the shipped files)

class Checklists:
    def __init__(self, srcdir):
        self.items = {}
        d = os.path.join(srcdir, 'schema', 'checklists')
        common = json.load(open(os.path.join(d, 'common.json'),
                                encoding='utf-8-sig'))['items']
        for t in TYPES:
            own = json.load(open(os.path.join(d, t + '.json'),
                                 encoding='utf-8-sig'))['items']
            self.items[t] = own + common

    def stage_items(self, typ, stage):
        return [i for i in self.items.get(typ, []) if stage in i['stages']]

    def photo_kinds(self, typ, stage):
        """The photo kinds an inspection of typ at stage must carry."""
        return sorted({i['photo'] for i in self.items.get(typ, [])
                       if stage in i.get('photo_required', [])})

    @staticmethod
    def passing(item, rng):
        if item['kind'] == 'bool':
            return rng.choice(('yes', '是', 'pass'))
        lo, hi = item['range']
        if 'min' in item:
            lo = item['min']
        if 'max' in item:
            hi = item['max']
        v = lo + (hi - lo) * rng.choice((0, 0.1, 0.5))
        return '%g' % round(v, 2)

    @staticmethod
    def failing(item):
        """A value that fails item, or None when it cannot fail."""
        if item['kind'] == 'bool':
            return 'no'
        lo, hi = item['range']
        if 'min' in item and item['min'] > lo:
            return '%g' % ((lo + item['min']) / 2)
        if 'max' in item and item['max'] < hi:
            return '%g' % ((item['max'] + hi) / 2)
        return None

    def answers(self, typ, stage, outcome, rng):
        """(items, failing_code) for an inspection meant to pass or fail."""
        items = self.stage_items(typ, stage)
        ans = {i['code']: self.passing(i, rng) for i in items}
        bad = None
        if outcome == 'fail':
            crit = [i for i in items if i['critical'] and self.failing(i)]
            anyf = [i for i in items if self.failing(i)]
            pick = rng.choice(crit or anyf) if (crit or anyf) else None
            if pick:
                ans[pick['code']] = self.failing(pick)
                bad = pick['code']
        return ans, bad


# ---------------------------------------------------------------------------
# The status machine, written from the spec (DESIGN.md section 2, issue 9),
# independently of common/.

def model_status(started, finished, inspections):
    """inspections: dicts with id, stage, date, result, voided."""
    live = sorted((i for i in inspections if not i.get('voided')),
                  key=lambda i: (i.get('date') or '', i['id']))
    outcome = None
    when = None
    for i in live:
        if i['stage'] not in DECISIVE:
            continue
        if i['result'] == 'pass':
            if i['stage'] in ACCEPTING:
                outcome, when = 'accepted', i['date']
        else:
            outcome, when = 'failed', i['date']
    if outcome == 'accepted':
        return 'accepted'
    if outcome == 'failed':
        if finished and finished > when:
            return 'built'
        if started and started > when:
            return 'rectifying'
        return 'failed'
    if finished:
        return 'built'
    if started or any(i['stage'] in EARLY for i in live):
        return 'building'
    return 'planned'


def truthy(v):
    return v not in (None, '', False, 0, [], {})


# ---------------------------------------------------------------------------
# PostgreSQL (tests/pg/start.sh, stop.sh)

class Pg:
    def __init__(self, srcdir):
        self.srcdir = srcdir
        self.dir = None
        self.port = None
        self.psql = None
        self.n = 0
        self.lock = threading.Lock()

    def start(self):
        p = subprocess.run([os.path.join(self.srcdir, 'tests/pg/start.sh')],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return 'tests/pg/start.sh exited %d: %s' % (
                p.returncode, p.stderr.strip().splitlines()[-1:] or '')
        m = dict(re.findall(r"(HUCE_PG_\w+)='?([^' ]*)'?", p.stdout))
        self.dir, self.port = m['HUCE_PG_DIR'], m['HUCE_PG_PORT']
        bindir = open(os.path.join(self.dir, 'bindir')).read().strip()
        self.psql = os.path.join(bindir, 'psql')
        return None

    def url(self, db):
        return 'postgres://huce@127.0.0.1:%s/%s' % (self.port, db)

    def sql(self, db, q):
        p = subprocess.run([self.psql, '-X', '-q', '-A', '-t', '-v',
                            'ON_ERROR_STOP=1', '-d', self.url(db), '-c', q],
                           capture_output=True)
        if p.returncode != 0:
            raise RuntimeError('psql: %s' % p.stderr.decode(errors='replace'))
        return p.stdout.decode('utf-8')

    def createdb(self, tag):
        with self.lock:
            self.n += 1
            name = 'm_%s_%d' % (tag, self.n)
        self.sql('huce', "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0"
                 % name)
        return name

    def dropdb(self, name):
        try:
            self.sql('huce', 'DROP DATABASE IF EXISTS %s' % name)
        except RuntimeError:
            pass

    def rows(self, db, table, order):
        out = self.sql(db, 'SELECT row_to_json(t)::text FROM %s t ORDER BY %s'
                       % (table, order))
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def files(self, db):
        """The files that may hold db's data: its directory and the WAL."""
        self.sql(db, 'CHECKPOINT')
        oid = self.sql(db, "SELECT oid FROM pg_database WHERE datname = '%s'"
                       % db).strip()
        data = os.path.join(self.dir, 'data')
        return [os.path.join(data, 'base', oid), os.path.join(data, 'pg_wal')]

    def stop(self):
        if self.dir:
            subprocess.run([os.path.join(self.srcdir, 'tests/pg/stop.sh'),
                            self.dir], capture_output=True)
            self.dir = None


# ---------------------------------------------------------------------------
# One run of a schedule: a central, three laptops, the steps, the checks.

class Failure(Exception):
    pass


class World:
    def __init__(self, env, seed, backend, workdir):
        self.env = env
        self.seed = seed
        self.backend = backend
        self.dir = workdir
        self.central = None
        self.store = None
        self.pgdb = None
        self.hid = {}          # handle -> id (households, inspections)
        self.hname = {}        # id -> handle
        self.numbers = []      # every full ID number the schedule typed
        self.failures = []     # (check, text)
        self.transcript = []   # commands as printed for a failing schedule
        self.counts = {'ok': 0, 'refused': 0, 'skipped': 0}
        self.refnames = {}     # id -> name of villages, groups, cadres, teams
        self.outputs = []      # (command, output) of outputs with 18 digits

    # -- processes --------------------------------------------------------

    def fail(self, check, text):
        self.failures.append((check, text))

    def db(self, dev):
        return os.path.join(self.dir, dev + '.db')

    def show(self, argv):
        """A command line as printed: ids replaced by handles."""
        out = []
        for a in argv:
            for i, h in self.hname.items():
                if i in a:
                    a = a.replace(i, '<%s>' % h)
            if ' ' in a or a == '':
                a = "'%s'" % a
            out.append(a)
        return ' '.join(out)

    def run(self, who, args, check_exit=True, ok_codes=(0, 2, 3, 4),
            record=True, timeout=120):
        if who == 'admin':
            argv = [self.env.syncd, 'admin', '--store', self.store] + args
            shown = ['huce-syncd', 'admin'] + args
        else:
            argv = [self.env.huce, '--db', self.db(who)] + args
            shown = ['huce@%s' % who] + args
        t0 = time.time()
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout,
                               env=self.env.procenv, cwd=self.dir)
            rc = p.returncode
            out = p.stdout.decode('utf-8', 'replace')
            err = p.stderr.decode('utf-8', 'replace')
        except subprocess.TimeoutExpired:
            rc, out, err = -999, '', 'timed out after %ds' % timeout
        if record:
            self.transcript.append('%s   # exit %d' % (self.show(shown), rc))
        if ID_LIKE.search(out) or ID_LIKE.search(err):
            self.outputs.append((' '.join(shown), out + err))
        with open(os.path.join(self.dir, 'commands.log'), 'a',
                  encoding='utf-8') as f:
            f.write('$ %s\n# exit %d, %.3fs\n%s%s' % (' '.join(shown), rc,
                                                     time.time() - t0, out, err))
        if check_exit:
            sanitizer = ('AddressSanitizer' in err or 'LeakSanitizer' in err
                         or 'runtime error:' in err)
            if rc not in ok_codes or sanitizer:
                self.fail('f-exit', '%s exited %d%s\n      %s' % (
                    self.show(shown), rc,
                    ' with a sanitizer report' if sanitizer else '',
                    '\n      '.join(err.strip().splitlines()[-6:])))
        return rc, out, err

    def start(self):
        if self.backend == 'pg':
            self.pgdb = self.env.pg.createdb('s%d' % self.seed)
            self.store = self.env.pg.url(self.pgdb)
        else:
            self.store = os.path.join(self.dir, 'central.db')
        tokens = {}
        rc, _, err = self.run('admin', ['town', TOWN], record=False)
        if rc != 0:
            raise Failure('admin town: %s' % err.strip())
        for d in DEVICES:
            rc, out, err = self.run('admin', ['device', 'add', d], record=False)
            if rc != 0:
                raise Failure('device add %s: %s' % (d, err.strip()))
            tokens[d] = out.strip().splitlines()[-1]
        portfile = os.path.join(self.dir, 'central.port')
        log = open(os.path.join(self.dir, 'central.log'), 'ab')
        self.central = subprocess.Popen(
            [self.env.syncd, 'central', '--store', self.store, '--listen',
             '127.0.0.1:0', '--port-file', portfile, '--rate', '0'],
            stdout=log, stderr=subprocess.STDOUT, env=self.env.procenv,
            cwd=self.dir)
        log.close()
        for _ in range(200):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            if self.central.poll() is not None:
                break
            time.sleep(0.025)
        if not (os.path.exists(portfile) and open(portfile).read().strip()):
            raise Failure('central did not start: %s' % open(
                os.path.join(self.dir, 'central.log'), errors='replace').read())
        url = 'http://127.0.0.1:%s' % open(portfile).read().strip()
        for d in DEVICES:
            for args in (['init', '--device', d, '--town', TOWN],
                         ['enroll', url, tokens[d]]):
                rc, _, err = self.run(d, args, record=False)
                if rc != 0:
                    raise Failure('%s %s: %s' % (d, args[0], err.strip()))
        setup = []
        for v, groups in VILLAGES.items():
            setup.append(['village', 'add', v])
            for g in groups:
                setup.append(['group', 'add', '--village', v, g])
        for c in INSPECTORS:
            setup.append(['cadre', 'add', c, '--role', 'inspector'])
        for t in TEAMS:
            setup.append(['team', 'add', t])
        for args in setup:
            rc, _, err = self.run('d1', args, record=False)
            if rc != 0:
                raise Failure('d1 %s: %s' % (' '.join(args), err.strip()))
        for d in DEVICES:
            rc, _, err = self.run(d, ['sync'], record=False)
            if rc != 0:
                raise Failure('%s sync: %s' % (d, err.strip()))

    def stop(self):
        """Stop the central; it must have lived until now and exit cleanly."""
        if not self.central:
            return
        died = self.central.poll()
        if died is None:
            self.central.send_signal(signal.SIGTERM)
            try:
                rc = self.central.wait(20)
            except subprocess.TimeoutExpired:
                self.central.kill()
                rc = self.central.wait()
                self.fail('f-exit', 'the central did not stop within 20 s of SIGTERM')
        else:
            rc = died
            self.fail('f-exit', 'the central died during the run (exit %d)' % rc)
        self.central = None
        log = open(os.path.join(self.dir, 'central.log'), encoding='utf-8',
                   errors='replace').read()
        if rc not in (0, -signal.SIGTERM) and died is None:
            self.fail('f-exit', 'the central exited %d on SIGTERM' % rc)
        if ('AddressSanitizer' in log or 'LeakSanitizer' in log
                or 'runtime error:' in log):
            self.fail('f-exit', 'the central reported:\n      %s' % '\n      '.join(
                [l for l in log.splitlines() if 'Sanitizer' in l
                 or 'runtime error' in l][:6]))

    def drop(self):
        if self.pgdb:
            self.env.pg.dropdb(self.pgdb)
            self.pgdb = None

    # -- reading state ------------------------------------------------------

    @staticmethod
    def sqlite_snapshot(path, exclude=()):
        con = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
        try:
            snap = {}
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE "
                                    "type = 'table' ORDER BY name"):
                if t in exclude:
                    continue
                snap[t] = sorted(con.execute('SELECT * FROM "%s"' % t)
                                 .fetchall(), key=repr)
            return snap
        finally:
            con.close()

    def laptop_snapshot(self, dev):
        return self.sqlite_snapshot(self.db(dev))

    def central_snapshot(self):
        if self.backend == 'pg':
            snap = {}
            for t, order in (('record', 'id'), ('field', 'record_id, name'),
                             ('history', 'record_id, version, field'),
                             ('counter', 'id'), ('meta', 'key'),
                             ('device', 'name')):
                snap[t] = [json.dumps(r, sort_keys=True)
                           for r in self.env.pg.rows(self.pgdb, t, order)]
            return snap
        return self.sqlite_snapshot(self.store, exclude=('audit',))

    @staticmethod
    def snapshot_diff(a, b):
        lines = []
        for t in sorted(set(a) | set(b)):
            ra, rb = a.get(t, []), b.get(t, [])
            if ra == rb:
                continue
            sa, sb = set(map(repr, ra)), set(map(repr, rb))
            for r in sorted(sb - sa)[:3]:
                lines.append('%s: + %s' % (t, r[:300]))
            for r in sorted(sa - sb)[:3]:
                lines.append('%s: - %s' % (t, r[:300]))
        return lines

    def central_records(self):
        """id -> {kind, version, deleted, fields{name: decoded}}.

        The central writes a household's derived status only when it is
        not `planned` (docs/MERGE.md): an absent status reads as planned,
        as `admin household list` shows it."""
        recs = self._central_records()
        for r in recs.values():
            if r['kind'] == 'household' and r['fields'].get('status') is None:
                r['fields']['status'] = 'planned'
        return recs

    def _central_records(self):
        recs = {}
        if self.backend == 'pg':
            rows = self.env.pg.rows(self.pgdb, 'record', 'id')
            frows = self.env.pg.rows(self.pgdb, 'field', 'record_id, name')
            for r in rows:
                recs[r['id']] = {'kind': r['kind'], 'version': r['version'],
                                 'deleted': bool(r['deleted']), 'fields': {}}
            for f in frows:
                recs[f['record_id']]['fields'][f['name']] = json.loads(f['value'])
            return recs
        con = sqlite3.connect('file:%s?mode=ro' % self.store, uri=True)
        try:
            for rid, kind, ver, dele in con.execute(
                    'SELECT id, kind, version, deleted FROM record'):
                recs[rid] = {'kind': kind, 'version': ver,
                             'deleted': bool(dele), 'fields': {}}
            for rid, name, value in con.execute(
                    'SELECT record_id, name, value FROM field'):
                recs[rid]['fields'][name] = json.loads(value)
        finally:
            con.close()
        return recs

    def central_history(self):
        """[(version, record_id, field, after-decoded)] in version order."""
        if self.backend == 'pg':
            rows = [(r['version'], r['record_id'], r['field'], r['after'])
                    for r in self.env.pg.rows(self.pgdb, 'history',
                                              'version, field')]
        else:
            con = sqlite3.connect('file:%s?mode=ro' % self.store, uri=True)
            try:
                rows = con.execute('SELECT version, record_id, field, after '
                                   'FROM history ORDER BY version, field'
                                   ).fetchall()
            finally:
                con.close()
        return [(v, r, f, json.loads(a) if a is not None else None)
                for v, r, f, a in rows]

    def local_households(self, dev):
        con = sqlite3.connect('file:%s?mode=ro' % self.db(dev), uri=True)
        try:
            cols = [c[1] for c in con.execute('PRAGMA table_info(household)')]
            rows = [dict(zip(cols, r)) for r in con.execute(
                'SELECT * FROM household WHERE deleted = 0 '
                'AND merged_into IS NULL ORDER BY id')]
        finally:
            con.close()
        return sorted((r for r in rows if r['id'] in self.hname),
                      key=lambda r: handle_key(self.hname[r['id']]))

    def local_inspections(self, dev):
        con = sqlite3.connect('file:%s?mode=ro' % self.db(dev), uri=True)
        try:
            rows = con.execute('SELECT id FROM inspection WHERE deleted = 0 '
                               'ORDER BY id').fetchall()
        finally:
            con.close()
        return sorted((r[0] for r in rows if r[0] in self.hname),
                      key=lambda i: handle_key(self.hname[i]))

    def name_of(self, rid):
        if rid in self.hname:
            return '<%s>' % self.hname[rid]
        if rid in self.refnames:
            return self.refnames[rid]
        return rid

    def describe(self, recs, hid):
        """A household as the failure message shows it."""
        r = recs.get(hid)
        if not r:
            return '%s (not at the central)' % self.name_of(hid)
        f = r['fields']
        team = recs.get(f.get('team_id'), {}).get('fields', {}).get('name')
        grp = recs.get(f.get('group_id'), {}).get('fields', {}).get('name')
        ins = sorted(((x['fields'].get('date'), x['fields'].get('stage'),
                       x['fields'].get('result'),
                       'voided' if truthy(x['fields'].get(F_VOIDED)) else '',
                       'deleted' if x['deleted'] else '')
                      for x in recs.values() if x['kind'] == 'inspection'
                      and x['fields'].get('household_id') == hid),
                     key=lambda t: tuple(s or '' for s in t))
        return ('%s %s (%s, team %s, status %s, %s %s, %s %s%s%s) inspections %s'
                % (self.name_of(hid), f.get('head'), grp, team,
                   f.get('status'), F_STARTED, f.get(F_STARTED), F_FINISHED,
                   f.get(F_FINISHED), ', deleted' if r['deleted'] else '',
                   ', merged into %s' % self.name_of(f['merged_into'])
                   if f.get('merged_into') else '',
                   ['%s %s %s%s%s' % (d, s, res, ' ' + v if v else '',
                                      ' ' + dl if dl else '')
                    for d, s, res, v, dl in ins]))

    # -- steps ----------------------------------------------------------------

    def resolve_handle(self, h):
        return self.hid.get(h)

    def exec_step(self, step):
        """Run one step; returns 'ok', 'refused' or 'skipped'."""
        op = step['op']
        fn = getattr(self, 'step_' + op)
        return fn(step)

    def laptop_cmd(self, dev, args, handles=()):
        """A laptop command; a refusal must leave the file unchanged.
        Returns (outcome, stdout): 'ok', 'refused' or 'skipped' (a handle
        the schedule never made)."""
        for h in handles:
            if h not in self.hid:
                return 'skipped', ''
        args = [self.hid.get(a[1:], a) if isinstance(a, str) and
                a.startswith('@') else a for a in args]
        before = self.laptop_snapshot(dev)
        rc, out, err = self.run(dev, args)
        if rc == 0:
            return 'ok', out
        if rc in (2, 3, 4):
            after = self.laptop_snapshot(dev)
            if before != after:
                self.fail('g-refusal', '%s exited %d (%s) but changed %s.db:\n      %s'
                          % (self.transcript[-1].split('   #')[0], rc,
                             err.strip().splitlines()[-1] if err.strip() else '',
                             dev, '\n      '.join(
                                 self.snapshot_diff(before, after)[:8])))
        return 'refused', out

    def last_id(self, dev, table, out):
        """The id a creating command printed last, as the full id (a short
        code, the id's tail or a prefix, is looked up in the laptop's file)."""
        lines = out.strip().splitlines()
        code = lines[-1].strip() if lines else ''
        if UUID.fullmatch(code) or not re.fullmatch(r'[0-9A-Za-z-]{4,}', code):
            return code or None
        con = sqlite3.connect('file:%s?mode=ro' % self.db(dev), uri=True)
        try:
            ids = [r[0] for r in con.execute(
                'SELECT id FROM "%s" WHERE id LIKE ?1 OR replace(id, \'-\', \'\') '
                'LIKE ?2 ORDER BY id' % table,
                (code.lower() + '%', '%' + code.lower().replace('-', '')))]
        finally:
            con.close()
        return ids[0] if len(ids) == 1 else code

    def step_add(self, s):
        args = ['household', 'add', '--village', s['village'], '--group',
                s['group'], '--head', s['head'], '--approach', s['approach'],
                '--build', s['build'], '--type', s['type']]
        for k in ('team', 'id_number', 'phone', 'house_no', 'planned_week'):
            if s.get(k):
                args += ['--' + k.replace('_', '-'), s[k]]
        if s.get('id_number'):
            self.numbers.append(s['id_number'])
        res, out = self.laptop_cmd(s['dev'], args)
        if res == 'ok':
            i = self.last_id(s['dev'], 'household', out)
            self.hid[s['h']] = i
            self.hname[i] = s['h']
        return res

    def step_set(self, s):
        args = ['household', 'set', '@' + s['target']]
        args += ['%s=%s' % (k, v) for k, v in s['fields']]
        for k, v in s['fields']:
            if k == 'id_number' and v:
                self.numbers.append(v)
        r = self.laptop_cmd(s['dev'], args, [s['target']])
        return r[0]

    def step_delete(self, s):
        r = self.laptop_cmd(s['dev'], ['household', 'delete', '@' + s['target']],
                            [s['target']])
        return r[0]

    def step_progress(self, s):
        r = self.laptop_cmd(s['dev'], ['household', 'progress', '@' + s['target'],
                                       '--' + s['what'], s['date']],
                            [s['target']])
        return r[0]

    def step_inspect(self, s):
        args = ['inspect', '@' + s['target'], '--stage', s['stage'],
                '--inspector', s['inspector'], '--date', s['date']]
        for code, v in s['items']:
            args += ['--item', '%s=%s' % (code, v)]
        for kind in s.get('photos', []):
            args += ['--photo', '%s=%s' % (kind, self.env.photo)]
        res, out = self.laptop_cmd(s['dev'], args, [s['target']])
        if res == 'ok':
            i = self.last_id(s['dev'], 'inspection', out)
            self.hid[s['i']] = i
            self.hname[i] = s['i']
        return res

    def step_void(self, s):
        r = self.laptop_cmd(s['dev'], ['inspect', 'void', '@' + s['target'],
                                       '--reason', s['reason']], [s['target']])
        return r[0]

    def step_sync(self, s):
        rc, _, _ = self.run(s['dev'], ['sync'], ok_codes=(0,))
        return 'ok' if rc == 0 else 'refused'

    def step_usb(self, s):
        f = os.path.join(self.dir, 'usb-%s-%s.huce' % (s['dev'], s['n']))
        ack = os.path.join(self.dir, 'usb-%s-%s.ack' % (s['dev'], s['n']))
        rc, _, _ = self.run(s['dev'], ['export', f], ok_codes=(0,))
        if rc != 0:
            return 'refused'
        rc, _, _ = self.run('admin', ['import', f, '--ack-out', ack],
                            ok_codes=(0,))
        if rc != 0:
            return 'refused'
        rc, _, _ = self.run(s['dev'], ['import-ack', ack], ok_codes=(0,))
        return 'ok' if rc == 0 else 'refused'

    def admin_cmd(self, args):
        before = self.central_snapshot()
        rc, out, err = self.run('admin', args)
        if rc in (2, 3, 4):
            after = self.central_snapshot()
            if before != after:
                self.fail('g-refusal', '%s exited %d (%s) but changed the '
                          'central store:\n      %s' % (
                              self.transcript[-1].split('   #')[0], rc,
                              err.strip().splitlines()[-1] if err.strip() else '',
                              '\n      '.join(self.snapshot_diff(before, after)[:8])))
        return rc, out, err

    def step_csv(self, s):
        path = os.path.join(self.dir, 'office-%s.csv' % s['n'])
        with open(path, 'w', encoding='utf-8') as f:
            f.write('村委会,村民小组,户主姓名,身份证号,联系电话,挂包干部,'
                    '改造方式,建设方式,厕所类型,施工队,计划周\n')
            for r in s['rows']:
                f.write(','.join([r['village'], r['group'], r['head'],
                                  r.get('id_number') or '', r.get('phone') or '',
                                  r['cadre'],
                                  '整厕新建' if r['approach'] == 'new-build'
                                  else '原有沼气池改造',
                                  '统建' if r['build'] == 'contracted' else '自建',
                                  TYPE_LABELS[r['type']], r.get('team') or '',
                                  r.get('planned_week') or '']) + '\n')
                if r.get('id_number'):
                    self.numbers.append(r['id_number'])
        before = {i for i, r in self.central_records().items()
                  if r['kind'] == 'household'}
        rc, _, _ = self.admin_cmd(['import', path])
        if rc != 0:
            return 'refused'
        recs = self.central_records()
        new = [i for i, r in recs.items()
               if r['kind'] == 'household' and i not in before]
        for r in s['rows']:
            for i in new:
                if recs[i]['fields'].get('head') == r['head'] and i not in self.hname:
                    self.hid[r['h']] = i
                    self.hname[i] = r['h']
                    break
        return 'ok'

    def open_conflicts(self):
        rc, out, _ = self.run('admin', ['conflicts', '--json'], record=False)
        if rc != 0:
            return []
        try:
            return [c for c in json.loads(out) if c.get('status') == 'open']
        except ValueError:
            return []

    def conflict_sig(self, c):
        """A conflict named by handles, so a replay finds it again."""
        ids = [c['record']]
        for v in c['values']:
            val = v['value']
            if isinstance(val, dict) and 'id' in val:
                ids.append(val['id'])
            elif isinstance(val, str) and val in self.hname:
                ids.append(val)
        hs = sorted(set(self.hname.get(i, '?') for i in ids))
        stage = None
        if c['kind'] == 'inspection':
            stage = next((v['value'].get('stage') for v in c['values']
                          if isinstance(v['value'], dict)), None)
        return [c['kind'], c.get('field'), stage, hs]

    def step_resolve(self, s):
        for c in self.open_conflicts():
            if self.conflict_sig(c) != s['sig']:
                continue
            ch = s['choice']
            if 'value' in ch:
                args = ['--value', ch['value']]
            elif 'take_index' in ch:
                args = ['--take', str(ch['take_index'])]
            else:
                want = ch['take']
                n = None
                for k, v in enumerate(c['values']):
                    val = v['value']
                    if isinstance(val, dict) and 'id' in val:
                        val = self.hname.get(val['id'])
                    elif isinstance(val, str) and val in self.hname:
                        val = self.hname[val]
                    if val == want:
                        n = k + 1
                        break
                if n is None:
                    return 'skipped'
                args = ['--take', str(n)]
            rc, _, _ = self.admin_cmd(['resolve', c['id']] + args)
            return 'ok' if rc == 0 else 'refused'
        return 'skipped'

    # -- the end: converge, then check ----------------------------------------

    def converge(self):
        for _ in range(2):
            for d in DEVICES:
                self.run(d, ['sync'], ok_codes=(0,), record=False)
        for d in DEVICES:
            self.run(d, ['sync'], ok_codes=(0,), record=False)

    def check_all(self):
        recs = self.central_records()
        for rid, r in recs.items():
            if r['kind'] in ('village', 'group', 'cadre', 'team'):
                self.refnames[rid] = '%s %s' % (r['kind'], r['fields'].get('name'))
        self.check_converge(recs)
        self.check_status(recs)
        self.check_gate(recs)
        self.check_id_hash(recs)
        self.check_numbers()

    def check_converge(self, recs):
        for dev in DEVICES:
            con = sqlite3.connect('file:%s?mode=ro' % self.db(dev), uri=True)
            diffs = []
            try:
                tables = {r[0] for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                pending = con.execute("SELECT count(*) FROM outbox WHERE "
                                      "state = 'pending'").fetchone()[0]
                quar = con.execute("SELECT seq, kind, record_id, fields, reason "
                                   "FROM outbox WHERE state = 'quarantined'"
                                   ).fetchall()
                if pending:
                    diffs.append('%d outbox entries still pending' % pending)
                kinds = sorted({r['kind'] for r in recs.values()} |
                               {'village', 'group', 'cadre', 'team', 'household',
                                'inspection', 'rectification', 'photo',
                                'target', 'conflict'})
                seen = set()
                for kind in kinds:
                    table = 'village_group' if kind == 'group' else kind
                    if table not in tables:
                        continue
                    cols = [c[1] for c in con.execute(
                        'PRAGMA table_info("%s")' % table)]
                    local = {r[0]: dict(zip(cols, r)) for r in con.execute(
                        'SELECT * FROM "%s"' % table)}
                    skip = {'id', 'version', 'deleted'} | LOCAL_ONLY.get(kind, set())
                    for rid, row in local.items():
                        seen.add(rid)
                        c = recs.get(rid)
                        if c is None or c['kind'] != kind:
                            if not row['deleted']:
                                diffs.append('%s %s is on %s only%s' % (
                                    kind, self.name_of(rid), dev,
                                    ': ' + self.local_row_text(row, kind)))
                            continue
                        if c['deleted'] != bool(row['deleted']):
                            diffs.append('%s %s: deleted %s on %s, %s at the central'
                                         % (kind, self.name_of(rid), row['deleted'],
                                            dev, int(c['deleted'])))
                            continue
                        if c['deleted']:
                            continue
                        if row['version'] != c['version']:
                            diffs.append('%s %s: version %s on %s, %s at the central'
                                         % (kind, self.name_of(rid), row['version'],
                                            dev, c['version']))
                        for col in cols:
                            if col in skip:
                                continue
                            lv, cv = row[col], c['fields'].get(col)
                            if not same_value(lv, cv):
                                diffs.append('%s %s: %s = %r on %s, %r at the central'
                                             % (kind, self.name_of(rid), col,
                                                self.name_of(lv) if isinstance(lv, str) else lv,
                                                dev,
                                                self.name_of(cv) if isinstance(cv, str) else cv))
                    for rid, c in recs.items():
                        if c['kind'] == kind and rid not in local and not c['deleted']:
                            diffs.append('%s %s is at the central but not on %s'
                                         % (kind, self.name_of(rid), dev))
            finally:
                con.close()
            if diffs:
                qtext = ['quarantined on %s: seq %d %s %s %s: %s' % (
                    dev, q[0], q[1], self.name_of(q[2]), q[3][:160], q[4])
                    for q in quar[:4]]
                self.fail('a-converge', '%s differs from the central (%d):\n      %s'
                          % (dev, len(diffs), '\n      '.join(
                              diffs[:MAX_DETAIL] + qtext)))

    def local_row_text(self, row, kind):
        if kind == 'household':
            return '%s (%s, status %s)' % (row.get('head'),
                                           self.name_of(row.get('team_id')),
                                           row.get('status'))
        return ''

    def inspections_of(self, recs):
        """household id -> its live inspections.  A voiding entry may be a
        field of the inspection (F_VOIDED), a record of a *void* kind naming
        it (inspection_id), or a record whose F_VOIDS names it; the last is
        not an inspection itself."""
        voids = set()
        for r in recs.values():
            if r['deleted']:
                continue
            if 'void' in r['kind'] and r['fields'].get('inspection_id'):
                voids.add(r['fields']['inspection_id'])
            if r['fields'].get(F_VOIDS):
                voids.add(r['fields'][F_VOIDS])
        by_h = {}
        for rid, r in recs.items():
            if (r['kind'] != 'inspection' or r['deleted']
                    or r['fields'].get(F_VOIDS)):
                continue
            f = r['fields']
            by_h.setdefault(f.get('household_id'), []).append({
                'id': rid, 'stage': f.get('stage'), 'date': f.get('date'),
                'result': f.get('result'),
                'voided': truthy(f.get(F_VOIDED)) or rid in voids})
        return by_h

    def check_status(self, recs):
        by_h = self.inspections_of(recs)
        want = {}
        bad = []
        for rid, r in recs.items():
            if r['kind'] != 'household' or r['deleted']:
                continue
            f = r['fields']
            m = model_status(f.get(F_STARTED), f.get(F_FINISHED), by_h.get(rid, []))
            want[rid] = m
            if f.get('status') != m:
                bad.append('central: %s is %r, the status machine says %r\n        %s'
                           % (self.name_of(rid), f.get('status'), m,
                              self.describe(recs, rid)))
        views = [('admin', ['household', 'list', '--json'])] + [
            (d, ['household', 'list', '--json']) for d in DEVICES]
        for who, args in views:
            rc, out, _ = self.run(who, args, record=False, ok_codes=(0,))
            if rc != 0:
                continue
            try:
                listed = json.loads(out)
            except ValueError:
                bad.append('%s household list --json is not JSON' % who)
                continue
            for h in listed:
                if h['id'] in want and h.get('status') != want[h['id']]:
                    bad.append('%s lists %s as %r, the status machine says %r'
                               % (who if who != 'admin' else 'admin household list',
                                  self.name_of(h['id']), h.get('status'),
                                  want[h['id']]))
        if bad:
            self.fail('b-status', '%d statuses differ from the model:\n      %s'
                      % (len(bad), '\n      '.join(bad[:MAX_DETAIL])))

    def check_gate(self, recs):
        kind = {rid: r['kind'] for rid, r in recs.items()}
        final_merged = {rid: r['fields'].get('merged_into')
                        for rid, r in recs.items() if r['kind'] == 'household'}
        state = {}
        opened = set()
        bad = []
        hist = self.central_history()
        byv = {}
        for v, rid, field, after in hist:
            byv.setdefault(v, []).append((rid, field, after))

        def live_h(st):
            return (st and not st.get('deleted') and not st.get('merged_into'))

        for v in sorted(byv):
            rows = byv[v]
            rid = rows[0][0]
            k = kind.get(rid)
            before = dict(state.get(rid, {})) if rid in state else None
            st = state.setdefault(rid, {})
            for _, field, after in rows:
                st[field] = bool(after) if field == 'deleted' else after
            if k == 'household':
                team = st.get('team_id')
                joined = (team and live_h(st) and not (
                    live_h(before) and before.get('team_id') == team))
                if joined and team not in opened:
                    others = [h for h, hs in state.items()
                              if h != rid and kind.get(h) == 'household'
                              and live_h(hs) and hs.get('team_id') == team
                              and final_merged.get(h) != rid]
                    if others:
                        tname = recs.get(team, {}).get('fields', {}).get('name', team)
                        bad.append('at version %d %s joined team %s, which already '
                                   'had %s and no accepted toilet\n        %s\n        %s'
                                   % (v, self.name_of(rid), tname,
                                      ', '.join(self.name_of(h) for h in others),
                                      self.describe(recs, rid),
                                      self.describe(recs, others[0])))
            # Which teams have had a passing acceptance inspection by now.
            for iid, ist in state.items():
                if kind.get(iid) != 'inspection' or ist.get('deleted'):
                    continue
                if (ist.get('result') == 'pass' and ist.get('stage') in ACCEPTING
                        and not ist.get(F_VOIDS)):
                    hs = state.get(ist.get('household_id'))
                    if hs and live_h(hs) and hs.get('team_id'):
                        opened.add(hs['team_id'])
        if bad:
            self.fail('c-gate', 'the first-toilet gate was passed %d times:\n      %s'
                      % (len(bad), '\n      '.join(bad[:MAX_DETAIL])))

    def check_id_hash(self, recs):
        groups = {}
        for rid, r in recs.items():
            f = r['fields']
            if (r['kind'] == 'household' and not r['deleted']
                    and not f.get('merged_into') and f.get('id_hash')):
                groups.setdefault(f['id_hash'], []).append(rid)
        covered = set()
        for r in recs.values():
            f = r['fields']
            if r['kind'] == 'conflict' and f.get('kind') == 'duplicate' \
                    and f.get('status') == 'open':
                ids = {f.get('record')}
                for v in f.get('vals') or []:
                    val = v.get('value') if isinstance(v, dict) else None
                    if isinstance(val, dict):
                        val = val.get('id')
                    if isinstance(val, str):
                        ids.add(val)
                covered.add(frozenset(ids))
        bad = []
        for h, ids in groups.items():
            if len(ids) < 2:
                continue
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    pair = {ids[a], ids[b]}
                    if not any(pair <= c for c in covered):
                        bad.append('ID hash %s… is %s and %s, with no open '
                                   'duplicate conflict\n        %s\n        %s'
                                   % (h[:12], self.name_of(ids[a]),
                                      self.name_of(ids[b]),
                                      self.describe(recs, ids[a]),
                                      self.describe(recs, ids[b])))
        if bad:
            self.fail('d-id-hash', '%d ID hashes name more than one live '
                      'household:\n      %s' % (len(bad), '\n      '.join(
                          bad[:MAX_DETAIL])))

    def check_numbers(self):
        if not self.numbers:
            return
        needles = set()
        for n in self.numbers:
            needles.add(n.encode())
            needles.add(n.upper().encode())
            needles.add(n.lower().encode())
            # UTF-16 (a Windows tool) and JSON escapes are not expected;
            # the plain bytes are what a leak looks like.
        paths = []
        for root, _, files in os.walk(self.dir):
            for f in files:
                if f.startswith('office-') or f == 'commands.log':
                    continue    # the office's own list, and this harness's log
                paths.append(os.path.join(root, f))
        if self.backend == 'pg':
            for p in self.env.pg.files(self.pgdb):
                for root, _, files in os.walk(p):
                    paths += [os.path.join(root, f) for f in files]
        bad = []
        for p in paths:
            try:
                data = open(p, 'rb').read()
            except OSError:
                continue
            for n in needles:
                if n in data:
                    bad.append('%s holds the full ID number %s…'
                               % (os.path.relpath(p, self.dir), n[:6].decode()))
        for cmd, text in self.outputs:
            for n in needles:
                if n.decode() in text:
                    bad.append('the output of `%s` holds the full ID number %s…'
                               % (cmd[:100] if n.decode() not in cmd else
                                  cmd.replace(n.decode(), n[:6].decode() + '…'),
                                  n[:6].decode()))
        if bad:
            self.fail('e-id-number', '%d files or outputs hold a full ID number:\n      %s'
                      % (len(bad), '\n      '.join(sorted(set(bad))[:MAX_DETAIL])))


def handle_key(h):
    """Handles in the order the schedule made them (h3 < o3.1 < h12)."""
    nums = [int(x) for x in re.findall(r'\d+', h)]
    return nums, h


def same_value(local, central):
    if local is None or central is None:
        return local is None and central is None
    if isinstance(central, (dict, list)):
        if isinstance(local, str):
            try:
                return json.loads(local) == central
            except ValueError:
                return False
        return local == central
    if isinstance(central, bool):
        return local in (central, int(central))
    if isinstance(central, (int, float)) and isinstance(local, (int, float)):
        return float(local) == float(central)
    return local == central


# ---------------------------------------------------------------------------
# The schedule: each step is drawn from what the laptop it runs on holds.

class Generator:
    def __init__(self, env, rng, today):
        self.env = env
        self.rng = rng
        self.today = today
        self.n = 0

    def date(self, back=90):
        return (self.today - datetime.timedelta(
            days=self.rng.randrange(back))).isoformat()

    def phone(self, bad=False):
        r = self.rng
        p = '1%d%09d' % (r.choice((3, 5, 7, 8, 9)), r.randrange(10 ** 9))
        return p[:10] if bad else p

    def id_number(self, w):
        r = self.rng
        if w.numbers and r.random() < 0.2:
            return r.choice(w.numbers)          # the same person again
        n = new_id_number(r)
        if n.endswith('X') and r.random() < 0.5:
            n = n[:17] + 'x'
        return n

    def step(self, w, idx):
        r = self.rng
        self.n = idx
        ops = [('add', 18), ('set', 13), ('delete', 3), ('inspect', 20),
               ('sync', 14), ('usb', 5), ('csv', 4), ('resolve', 8)]
        if self.env.has_progress:
            ops.append(('progress', 8))
        if self.env.has_void:
            ops.append(('void', 4))
        dev = r.choice(DEVICES)
        hs = w.local_households(dev)
        op = r.choices([o for o, _ in ops], [k for _, k in ops])[0]
        if op in ('set', 'delete', 'inspect', 'progress') and not hs:
            op = 'add'
        if op == 'void' and not w.local_inspections(dev):
            op = 'inspect' if hs else 'add'
        if op == 'resolve':
            cs = w.open_conflicts()
            if not cs:
                op = 'sync'
            else:
                # In a stable order: conflict ids derive from random ids.
                cs.sort(key=lambda c: json.dumps(w.conflict_sig(c)))
                return self.resolve(w, r.choice(cs))
        return getattr(self, 'g_' + op)(w, dev, hs)

    def g_add(self, w, dev, hs):
        r = self.rng
        village = r.choice(sorted(VILLAGES))
        group = r.choice(VILLAGES[village])
        if r.random() < 0.04:
            group = '第九组'                       # unknown: exit 4
        s = {'op': 'add', 'dev': dev, 'h': 'h%d' % self.n, 'village': village,
             'group': group, 'head': spell_head(r, r.choice(HEADS)),
             'approach': r.choice(('new-build', 'new-build', 'biogas-retrofit')),
             'type': r.choice(TYPES)}
        if r.random() < 0.45:
            s['build'] = 'contracted'
            if r.random() < 0.93:
                s['team'] = r.choice(TEAMS)        # else: no team (refused after #9)
        else:
            s['build'] = 'self'
            if r.random() < 0.04:
                s['team'] = r.choice(TEAMS)        # self-built with a team
        if r.random() < 0.55:
            n = self.id_number(w)
            if r.random() < 0.05:
                n = bad_id_number(n)
            s['id_number'] = n
        if r.random() < 0.5:
            s['phone'] = self.phone(bad=r.random() < 0.05)
        if r.random() < 0.3:
            s['house_no'] = str(r.randrange(1, 120))
        if r.random() < 0.3:
            s['planned_week'] = '%d-W%02d' % (self.today.isocalendar()[0],
                                             r.randrange(1, 53))
        return s

    def g_set(self, w, dev, hs):
        r = self.rng
        h = r.choice(hs)
        choices = [('phone', lambda: self.phone(bad=r.random() < 0.05)),
                   ('house_no', lambda: str(r.randrange(1, 120))),
                   ('water', lambda: r.choice(('wet', 'dry'))),
                   ('gps', lambda: '25.%04d,99.%04d' % (r.randrange(10000),
                                                        r.randrange(10000))
                    if r.random() > 0.05 else '北纬25度'),
                   ('current_toilet', lambda: r.choice(('旱厕', '无', '简易厕所'))),
                   ('type', lambda: r.choice(TYPES)),
                   ('head', lambda: spell_head(r, r.choice(HEADS))),
                   ('team', lambda: r.choice(TEAMS)),
                   ('build', None), ('status', None), ('id_number', None)]
        weights = [14, 10, 6, 6, 4, 5, 3, 14, 6, 4, 3]
        field = r.choices([c[0] for c in choices], weights)[0]
        if field == 'build':
            if h.get('build') == 'contracted':
                fields = [('build', 'self'), ('team', '')]
            else:
                fields = [('build', 'contracted'), ('team', r.choice(TEAMS))]
        elif field == 'status':                   # typed status: exit 2 after #9
            fields = [('status', r.choice(('accepted', 'built', 'accepted')))]
        elif field == 'id_number':
            fields = [('id_number', self.id_number(w))]
        else:
            fields = [(field, dict(choices)[field]())]
        if r.random() < 0.3:
            fields.append(('phone', self.phone()))
        return {'op': 'set', 'dev': dev, 'target': w.hname[h['id']],
                'fields': fields}

    def g_delete(self, w, dev, hs):
        h = self.rng.choice(hs)
        return {'op': 'delete', 'dev': dev, 'target': w.hname[h['id']]}

    def g_progress(self, w, dev, hs):
        r = self.rng
        h = r.choice(hs)
        what = r.choice(('started', 'started', 'finished'))
        d = self.date(60)
        if r.random() < 0.04:
            d = (self.today + datetime.timedelta(days=300)).isoformat()
        return {'op': 'progress', 'dev': dev, 'target': w.hname[h['id']],
                'what': what, 'date': d}

    def g_inspect(self, w, dev, hs):
        r = self.rng
        h = r.choice(hs)
        stage = r.choices(STAGES, STAGE_WEIGHTS)[0]
        outcome = 'fail' if r.random() < 0.35 else 'pass'
        typ = h['type']
        if r.random() < 0.05:
            typ = r.choice(TYPES)                 # wrong items: refused
        items, _ = self.env.checklists.answers(typ, stage, outcome, r)
        items = sorted(items.items())
        if items and r.random() < 0.05:
            items = items[1:]                     # a missing item
        d = self.date()
        if r.random() < 0.04:
            d = (self.today + datetime.timedelta(days=r.randrange(2, 400))).isoformat()
        inspector = r.choice(INSPECTORS) if r.random() > 0.06 else '路人甲'
        # the photos its stage asks for (photo_required); now and then not
        photos = self.env.checklists.photo_kinds(h['type'], stage)
        if photos and r.random() < 0.04:
            photos = photos[1:]                   # a missing photo: refused
        return {'op': 'inspect', 'dev': dev, 'target': w.hname[h['id']],
                'i': 'i%d' % self.n, 'stage': stage, 'date': d,
                'inspector': inspector, 'items': items, 'meant': outcome,
                'photos': photos}

    def g_void(self, w, dev, hs):
        i = self.rng.choice(w.local_inspections(dev))
        return {'op': 'void', 'dev': dev, 'target': w.hname[i],
                'reason': self.rng.choice(('录错了户', '日期填错', '重复录入'))}

    def g_sync(self, w, dev, hs):
        return {'op': 'sync', 'dev': dev}

    def g_usb(self, w, dev, hs):
        return {'op': 'usb', 'dev': dev, 'n': self.n}

    def g_csv(self, w, dev, hs):
        r = self.rng
        rows = []
        heads = set()
        for k in range(r.randrange(1, 4)):
            village = r.choice(sorted(VILLAGES))
            head = r.choice(HEADS)
            if head in heads:
                continue
            heads.add(head)
            row = {'h': 'o%d.%d' % (self.n, k), 'village': village,
                   'group': r.choice(VILLAGES[village]), 'head': head,
                   'cadre': r.choice(INSPECTORS), 'approach': 'new-build',
                   'type': r.choice(TYPES)}
            if r.random() < 0.4:
                row['build'] = 'contracted'
                row['team'] = r.choice(TEAMS)
            else:
                row['build'] = 'self'
            if r.random() < 0.5:
                row['id_number'] = self.id_number(w)
            if r.random() < 0.5:
                row['phone'] = self.phone()
            rows.append(row)
        return {'op': 'csv', 'n': self.n, 'rows': rows}

    def resolve(self, w, c):
        r = self.rng
        sig = w.conflict_sig(c)
        vals = c['values']
        kind = c['kind']
        if r.random() < 0.05:
            ch = {'take_index': len(vals) + 1}    # out of range: exit 3
        elif kind in ('duplicate', 'inspection') and r.random() < 0.2:
            ch = {'value': 'both'}
        elif kind == 'delete':
            ch = {'value': r.choice(('delete', 'keep'))}
        elif kind == 'field' and c.get('field') in ('phone', 'house_no') \
                and r.random() < 0.3:
            ch = {'value': self.phone() if c['field'] == 'phone'
                  else str(r.randrange(1, 120))}
        else:
            v = r.choice(vals)['value']
            if isinstance(v, dict) and 'id' in v:
                v = w.hname.get(v['id'], v['id'])
            elif isinstance(v, str) and v in w.hname:
                v = w.hname[v]
            ch = {'take': v}
        return {'op': 'resolve', 'sig': sig, 'choice': ch}


def step_text(s):
    """One line per step, for the printed schedule."""
    op = s['op']
    if op == 'add':
        extra = ' '.join('%s=%s' % (k, s[k]) for k in
                         ('team', 'id_number', 'phone', 'house_no', 'planned_week')
                         if s.get(k))
        return '%s add %s %s/%s %s %s %s %s -> %s' % (
            s['dev'], s['head'], s['village'], s['group'], s['approach'],
            s['build'], s['type'], extra, s['h'])
    if op == 'set':
        return '%s set %s %s' % (s['dev'], s['target'], ' '.join(
            '%s=%s' % tuple(kv) for kv in s['fields']))
    if op in ('delete', 'void'):
        return '%s %s %s' % (s['dev'], op, s['target'])
    if op == 'progress':
        return '%s progress %s --%s %s' % (s['dev'], s['target'], s['what'], s['date'])
    if op == 'inspect':
        return '%s inspect %s %s %s (%s) by %s -> %s' % (
            s['dev'], s['target'], s['stage'], s['date'], s['meant'],
            s['inspector'], s['i'])
    if op in ('sync', 'usb'):
        return '%s %s' % (s['dev'], op)
    if op == 'csv':
        return 'office csv %s' % ', '.join('%s/%s %s%s -> %s' % (
            r['village'], r['group'], r['head'],
            ' team=' + r['team'] if r.get('team') else '', r['h'])
            for r in s['rows'])
    if op == 'resolve':
        return 'office resolve %s %s' % (s['sig'], s['choice'])
    return json.dumps(s, ensure_ascii=False)


# ---------------------------------------------------------------------------
# Running seeds

class Env:
    def __init__(self):
        self.huce = os.path.abspath(os.environ['HUCE'])
        self.syncd = os.path.abspath(os.environ['HUCE_SYNCD'])
        self.srcdir = os.environ.get('HUCE_SRCDIR') or os.path.abspath(
            os.path.join(os.path.dirname(__file__), '..', '..'))
        self.checklists = Checklists(self.srcdir)
        # the picture every inspection's required photos are made of
        self.photo = os.path.join(self.srcdir, 'scripts', 'demo-photo.jpg')
        self.procenv = dict(os.environ)
        self.procenv.pop('HUCE_DB', None)
        self.procenv.pop('HUCE_CHECKLISTS', None)
        self.pg = None
        self.today = datetime.date.today()
        self.has_progress = self.probe(['household', 'progress', '--help'], '--started')
        self.has_void = self.probe(['inspect', 'void', '--help'], '--reason')

    def probe(self, args, word):
        d = tempfile.mkdtemp(prefix='huce-model-probe.')
        try:
            p = subprocess.run([self.huce, '--db', os.path.join(d, 'p.db')] + args,
                               capture_output=True, env=self.procenv)
            text = (p.stdout + p.stderr).decode('utf-8', 'replace')
            return p.returncode == 0 and word in text
        finally:
            shutil.rmtree(d, ignore_errors=True)


def run_schedule(env, seed, backend, nsteps=None, steps=None, keep=False,
                 tmproot=None):
    """Generate (steps None) or replay a schedule.  Returns a result dict."""
    workdir = tempfile.mkdtemp(prefix='huce-model-%d-%s.' % (seed, backend),
                               dir=tmproot)
    w = World(env, seed, backend, workdir)
    t0 = time.time()
    executed = []
    try:
        w.start()
        if steps is None:
            gen = Generator(env, random.Random(seed), env.today)
            for idx in range(nsteps):
                s = gen.step(w, idx)
                executed.append(s)
                w.counts[w.exec_step(s)] += 1
        else:
            for s in steps:
                executed.append(s)
                w.counts[w.exec_step(s)] += 1
        w.converge()
        w.check_all()
    except Failure as e:
        w.fail('setup', str(e))
    except Exception as e:           # a harness bug must not pass silently
        import traceback
        w.fail('setup', 'harness error: %s\n%s' % (e, traceback.format_exc()))
    finally:
        w.stop()
    checks = []
    for c, _ in w.failures:
        if c not in checks:
            checks.append(c)
    res = {'seed': seed, 'backend': backend, 'steps': executed,
           'failures': w.failures, 'checks': checks, 'counts': dict(w.counts),
           'time': time.time() - t0, 'transcript': w.transcript,
           'dir': workdir}
    w.drop()
    if (checks and keep) or os.environ.get('HUCE_KEEP_TRASH'):
        res['kept'] = True
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return res


def ddmin(steps, fails, deadline):
    """Zeller's delta debugging: a 1-minimal sub-list that still fails
    (or the smallest found before the deadline)."""
    n = 2
    while len(steps) >= 2 and time.time() < deadline:
        size = -(-len(steps) // n)
        parts = [steps[i:i + size] for i in range(0, len(steps), size)]
        done = False
        for i in range(len(parts)):
            if time.time() >= deadline:
                return steps
            rest = [s for j, p in enumerate(parts) if j != i for s in p]
            if fails(rest):
                steps, n, done = rest, max(n - 1, 2), True
                break
        if not done:
            if n >= len(steps):
                break
            n = min(len(steps), n * 2)
    return steps


def shrink(env, res, budget, out, save=None):
    check = res['checks'][0]
    deadline = time.time() + budget
    last = {'res': res}
    runs = [0]

    def fails(steps):
        runs[0] += 1
        r = run_schedule(env, res['seed'], res['backend'], steps=steps)
        if check in r['checks']:
            last['res'] = r
            return True
        return False

    t0 = time.time()
    out('shrinking seed %d (%s) on check %s, for at most %ds ...'
        % (res['seed'], res['backend'], check, budget))
    if fails([]):
        small = []
    else:
        small = ddmin(list(res['steps']), fails, deadline)
    r = last['res']
    if r['steps'] != small:
        fails(small)
        r = last['res']
    out('shortest schedule found (%d of %d steps, %d runs, %.0fs) still fails %s:'
        % (len(small), len(res['steps']), runs[0], time.time() - t0, check))
    out('  setup: central (%s store); laptops d1 d2 d3 enrolled; d1 added villages %s,'
        ' inspectors %s, teams %s; each laptop synced' % (
            res['backend'], '/'.join(VILLAGES), '/'.join(INSPECTORS), '/'.join(TEAMS)))
    for k, s in enumerate(small):
        out('  step %d: %s' % (k + 1, step_text(s)))
    out('  commands:')
    for line in r['transcript']:
        out('    ' + line)
    out('  then: every laptop syncs (3 rounds), and the checks run:')
    for c, text in r['failures']:
        if c == check:
            out('  FAIL %s: %s' % (c, text))
    out('  replay the whole seed: tests/model/model.py --seed %d --steps %d%s'
        % (res['seed'], len(res['steps']),
           ' --pg all' if res['backend'] == 'pg' else ' --pg none'))
    if save:
        with open(save, 'w', encoding='utf-8') as f:
            json.dump(small, f, ensure_ascii=False, indent=1)
        out('  saved the shortest schedule to %s; replay it: tests/model/model.py '
            '--schedule %s --seed %d%s' % (save, save, res['seed'],
                                          ' --pg all' if res['backend'] == 'pg'
                                          else ' --pg none'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seeds', type=int, default=24, help='how many seeds (24)')
    ap.add_argument('--first-seed', type=int, default=1, help='first seed (1)')
    ap.add_argument('--seed', type=int, help='run this one seed')
    ap.add_argument('--steps', type=int, default=40, help='steps per schedule (40)')
    ap.add_argument('--jobs', type=int, default=2, help='seeds at once (2)')
    ap.add_argument('--pg', choices=('auto', 'none', 'all'), default='auto',
                    help='auto: every 4th seed on PostgreSQL when available')
    ap.add_argument('--pg-every', type=int, default=4)
    ap.add_argument('--shrink-time', type=int, default=180,
                    help='seconds to shrink the first failing seed (0: none)')
    ap.add_argument('--schedule', metavar='FILE',
                    help='replay the steps in FILE (JSON, as --save writes) '
                    'under --seed (default 1) instead of drawing them')
    ap.add_argument('--save', metavar='FILE',
                    help='write the shortest failing schedule to FILE (JSON)')
    ap.add_argument('--local-only', metavar='KIND.COLUMN', action='append',
                    default=[], help='another column of the laptop store that '
                    'never travels (check a skips it); may be repeated')
    ap.add_argument('--show-schedule', action='store_true',
                    help='print every seed\'s steps')
    ap.add_argument('--keep', action='store_true',
                    help='keep the work directories of failing seeds')
    ap.add_argument('--quiet-after', type=int, default=10, metavar='N',
                    help='details for the first N failing seeds only (10)')
    args = ap.parse_args()

    t0 = time.time()
    for v in ('HUCE', 'HUCE_SYNCD'):
        if not os.environ.get(v):
            print('model.py: %s must name the binary' % v, file=sys.stderr)
            return 2
    env = Env()
    lock = threading.Lock()
    for kc in args.local_only:
        kind, _, col = kc.partition('.')
        LOCAL_ONLY.setdefault(kind, set()).add(col)
    fixed = None
    if args.schedule:
        fixed = json.load(open(args.schedule, encoding='utf-8'))
        if args.seed is None:
            args.seed = 1

    def out(line=''):
        with lock:
            print(line, flush=True)

    seeds = [args.seed] if args.seed is not None else list(
        range(args.first_seed, args.first_seed + args.seeds))
    want_pg = args.pg == 'all' or (args.pg == 'auto' and any(
        s % args.pg_every == args.pg_every - 1 for s in seeds))
    pg_note = 'off'
    if want_pg:
        p = subprocess.run([env.syncd, 'admin', '--store',
                            'postgres://huce@127.0.0.1:1/huce', 'device', 'list'],
                           capture_output=True, env=env.procenv)
        text = p.stderr.decode(errors='replace')
        if 'without PostgreSQL support' in text or 'not built yet' in text:
            pg_note = 'skipped: this huce-syncd has no PostgreSQL backend'
        else:
            env.pg = Pg(env.srcdir)
            why = env.pg.start()
            if why:
                env.pg = None
                pg_note = 'skipped: %s' % why
            else:
                pg_note = 'on'
    if args.pg == 'all' and env.pg is None:
        print('model.py: --pg all but PostgreSQL is not available (%s)' % pg_note)
        return 77

    def backend(seed):
        if env.pg is None:
            return 'sqlite'
        if args.pg == 'all':
            return 'pg'
        return 'pg' if seed % args.pg_every == args.pg_every - 1 else 'sqlite'

    if fixed is not None:
        args.steps = len(fixed)
    out('model check: %d seeds x %d steps, %d at once; PostgreSQL %s; '
        'household progress %s, inspect void %s' % (
            len(seeds), args.steps, args.jobs, pg_note,
            'yes' if env.has_progress else 'absent (steps skipped)',
            'yes' if env.has_void else 'absent (steps skipped)'))
    results = []
    totals = {'ok': 0, 'refused': 0, 'skipped': 0}
    shown = [0]

    def one(seed):
        r = run_schedule(env, seed, backend(seed), nsteps=args.steps,
                         steps=fixed, keep=args.keep)
        with lock:
            results.append(r)
            for k in totals:
                totals[k] += r['counts'][k]
        c = r['counts']
        line = ('seed %d (%s): %d steps (%d ok, %d refused, %d skipped) %.1fs: %s'
                % (seed, r['backend'], len(r['steps']), c['ok'], c['refused'],
                   c['skipped'], r['time'],
                   'FAIL ' + ' '.join(r['checks']) if r['checks'] else 'ok'))
        with lock:
            detailed = r['checks'] and shown[0] < args.quiet_after
            if detailed:
                shown[0] += 1
        if args.show_schedule:
            line += ''.join('\n  step %d: %s' % (k + 1, step_text(s))
                            for k, s in enumerate(r['steps']))
        if detailed:
            lines = [line]
            for chk, text in r['failures'][:12]:
                lines.append('  %s: %s' % (chk, text))
            if len(r['failures']) > 12:
                lines.append('  ... %d more failures' % (len(r['failures']) - 12))
            if r.get('kept'):
                lines.append('  kept %s' % r['dir'])
            lines.append('  replay: tests/model/model.py --seed %d --steps %d --pg %s'
                         % (seed, args.steps,
                            'all' if r['backend'] == 'pg' else 'none'))
            out('\n'.join(lines))
        else:
            out(line)

    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            list(ex.map(one, seeds))
        failed = sorted((r for r in results if r['checks']), key=lambda r: r['seed'])
        if failed and args.shrink_time > 0:
            shrink(env, failed[0], args.shrink_time, out, args.save)
    finally:
        if env.pg:
            env.pg.stop()

    out()
    out('figures: %d seeds run (%d on PostgreSQL), %d steps per schedule, '
        '%.0fs in all (%.1fs per seed, %d at once)' % (
            len(results), sum(r['backend'] == 'pg' for r in results), args.steps,
            time.time() - t0,
            sum(r['time'] for r in results) / max(1, len(results)), args.jobs))
    out('steps: %d ok, %d refused by the CLI, %d skipped (their record was '
        'never made)' % (totals['ok'], totals['refused'], totals['skipped']))
    for c in CHECKS:
        n = sum(c in r['checks'] for r in results)
        if n:
            out('check %-12s failed in %d of %d seeds: %s' % (
                c, n, len(results), ' '.join(str(r['seed']) for r in sorted(
                    results, key=lambda r: r['seed']) if c in r['checks'])))
    bad = [r for r in results if r['checks']]
    out('%d of %d seeds passed every check' % (len(results) - len(bad), len(results)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
