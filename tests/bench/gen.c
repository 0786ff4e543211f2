/*
 * gen.c - the bench's realistic data generator (issue 5).
 *
 * A town like 阿猛镇: 13 village committees with their groups, 257 cadres,
 * construction teams and 1,730 households (x --scale) with Chinese names,
 * all six toilet types, both approaches and both build modes, and each
 * household's inspections (验收) graded against the real checklists
 * (huce_checklists_load + huce_checklist_evaluate, every item that applies
 * at the stage, critical items included), some failing and opening
 * rectifications (整改) that a re-inspection later closes.
 *
 * Deterministic from --seed: record ids are UUIDv7-shaped from a seeded
 * generator and a synthetic clock, named records (village, group, cadre,
 * team) get the same name-derived ids as `huce ... add`.  The stream is
 * the same whatever --records, --kinds or the outputs are; those only
 * filter it, so the first N records of any run are the same N records.
 *
 * Outputs, any combination:
 *   --db PATH       a huce local store, written through huce_local_put in
 *                   transactions of 10,000 records: the laptop's real write
 *                   path, outbox rows included.  Each record is written
 *                   once, in its final state (one outbox entry per record).
 *   --jsonl PATH    the same records as JSON Lines for bench/peer/peer.js:
 *                   {"_id":ID,"type":KIND, ...the same wire fields...}
 *   --split-dir DIR one store per cadre, DIR/laptop-NNN.db (NNN = cadre
 *                   index 000..256): a record of a household goes to the
 *                   household's cadre's laptop (the town's week).
 *
 * Order: villages and cadres first, then household by household (group
 * by group): a group or team record just before its first household,
 * then the household, then its inspections and rectifications.  Parents
 * always precede children, so any prefix merges cleanly at the central;
 * each team's first household is accepted at its first-toilet inspection
 * before the team gets a second (首厕过关).
 *
 *   huce-bench-gen --scale 2 --records 10000 --db dev.db --jsonl dev.jsonl
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "huce_checklist.h"
#include "huce_id.h"
#include "huce_local.h"
#include "huce_record.h"
#include "huce_util.h"

#define NVILLAGES	13
#define NCADRES		257
#define TEAMS_PER_SCALE	24
#define TX_RECORDS	10000
#define MAX_GROUP_HH	64	/* names kept to keep heads unique in a group */

/* ------------------------------------------------------------ random --- */

static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static unsigned rnd_below(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

/* 0 <= x < 1 */
static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int chance(double p)
{
	return rnd_unit() < p;
}

/* ------------------------------------------------------------- names --- */

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
	"马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
	"唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁",
	"潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
	"沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石",
	"廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱",
	"江", "尹", "薛", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾",
	"毛", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向",
	"普", "李", "罗", "杨", "白", "者", "施", "沙", "阿", "龙",
};
static const char *const given[] = {
	"伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋",
	"勇", "艳", "杰", "娟", "涛", "明", "超", "兰", "霞", "平", "刚", "桂",
	"华", "玉", "萍", "红", "梅", "兵", "鹏", "辉", "建", "国", "志", "文",
	"春", "生", "福", "荣", "贵", "金", "山", "海", "林", "成", "德", "富",
	"有", "才", "顺", "发", "宝", "珍", "凤", "琼", "花", "云", "忠", "学",
	"正", "光", "保", "祥", "开", "永", "绍", "应", "自", "家", "从", "昌",
};
#define NSUR (sizeof(surnames) / sizeof(surnames[0]))
#define NGIV (sizeof(given) / sizeof(given[0]))

static const char *const village_names[NVILLAGES] = {
	"阿猛村", "戈木村", "补者村", "科麻村", "阿基村", "鲁木村", "老寨村",
	"新发村", "普拉村", "迤拉村", "那洒村", "小石桥村", "木梓村",
};

static void person_name(char *out, size_t n)
{
	if (chance(0.75))
		snprintf(out, n, "%s%s%s", surnames[rnd_below(NSUR)],
			 given[rnd_below(NGIV)], given[rnd_below(NGIV)]);
	else
		snprintf(out, n, "%s%s", surnames[rnd_below(NSUR)],
			 given[rnd_below(NGIV)]);
}

/* ----------------------------------------------------------- the town --- */

struct cadre {
	char name[32];
	char id[HUCE_ID_STRLEN + 1];
	const char *role;
	int village;
};

struct team {
	char name[32];
	char id[HUCE_ID_STRLEN + 1];
	int emitted;
	int households;
};

struct group {
	char name[32];
	char id[HUCE_ID_STRLEN + 1];
	int village;
	int emitted;
};

/* ------------------------------------------------------------ outputs --- */

struct laptop {
	struct huce_local *l;
	int in_tx, n;
};

#define MAX_PENDING	16
enum { PHASE_ALL, PHASE_BASE, PHASE_WEEK };

struct pending {
	char kind[32];
	char id[HUCE_ID_STRLEN + 1];
	cJSON *fields;
	int owner;
};

struct gen {
	/* options */
	int phase;			/* PHASE_ALL, or only BASE / WEEK records */
	unsigned scale;
	uint64_t seed;
	int64_t limit;			/* records of count_kinds; -1: all */
	unsigned kinds;			/* bit per huce_kinds[] index */
	unsigned count_kinds;
	const char *db_path, *jsonl_path, *split_dir, *device, *town;
	int quiet;
	/* state */
	struct huce_checklists *cl;
	struct laptop main;
	struct laptop *laps;		/* split: one per cadre */
	FILE *jsonl;
	int64_t counted, written, stream;
	int64_t per_kind[16];
	int done;
	int buffering, npending;
	struct pending pending[MAX_PENDING];
	uint64_t clock_ms;
	struct huce_error err;
	struct cadre cadres[NCADRES];
	char village_ids[NVILLAGES][HUCE_ID_STRLEN + 1];
	int village_cadres[NVILLAGES][NCADRES];
	int nvillage_cadres[NVILLAGES];
	int inspectors[NCADRES];
	int ninspectors;
	struct team *teams;
	unsigned nteams;
	struct group *groups;
	unsigned ngroups;
};

static int kind_index(const char *kind)
{
	for (int i = 0; huce_kinds[i]; i++)
		if (strcmp(huce_kinds[i]->kind, kind) == 0)
			return i;
	return -1;
}

static int parse_kinds(const char *s, unsigned *mask)
{
	char buf[256], *save = NULL, *tok;

	*mask = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (strcmp(tok, "all") == 0) {
			*mask = ~0u;
			continue;
		}
		k = kind_index(tok);
		if (k < 0) {
			fprintf(stderr, "huce-bench-gen: unknown kind '%s'\n", tok);
			return -1;
		}
		*mask |= 1u << k;
	}
	return 0;
}

static int laptop_open(struct gen *g, struct laptop *lp, const char *path,
		       const char *device)
{
	char *have;

	if (huce_local_open(&lp->l, path, &g->err)) {
		fprintf(stderr, "huce-bench-gen: %s\n", g->err.msg);
		return -1;
	}
	have = huce_db_meta_get(lp->l->db, "device");
	if (!have || strcmp(have, device) != 0) {
		char id[HUCE_ID_STRLEN + 1];

		if (huce_local_begin(lp->l, &g->err) ||
		    huce_db_meta_set(lp->l->db, "device", device, &g->err) ||
		    huce_local_new_id(lp->l, id) ||
		    huce_db_meta_set(lp->l->db, "device_id", id, &g->err) ||
		    (g->town && huce_db_meta_set(lp->l->db, "town", g->town, &g->err)) ||
		    huce_local_commit(lp->l, &g->err)) {
			fprintf(stderr, "huce-bench-gen: %s: %s\n", path, g->err.msg);
			free(have);
			return -1;
		}
	}
	free(have);
	return 0;
}

static int laptop_flush(struct gen *g, struct laptop *lp)
{
	if (!lp->l || !lp->in_tx)
		return 0;
	lp->in_tx = 0;
	lp->n = 0;
	if (huce_local_commit(lp->l, &g->err)) {
		fprintf(stderr, "huce-bench-gen: commit: %s\n", g->err.msg);
		return -1;
	}
	return 0;
}

/*
 * One record of the stream.  owner is the cadre whose laptop holds it in
 * split mode (-1: none).  fields are consumed.
 */
static int emit_now(struct gen *g, const char *kind, const char *id, cJSON *fields,
		    int owner, int phase)
{
	int k = kind_index(kind);
	int rc = 0;

	g->stream++;
	if (g->done || !(g->kinds & (1u << k)) || (g->phase && g->phase != phase)) {
		cJSON_Delete(fields);
		return 0;
	}
	if (g->main.l || (g->laps && owner >= 0)) {
		struct laptop *lp = g->main.l ? &g->main : &g->laps[owner];

		if (!lp->l) {
			char path[4096], dev[32];

			snprintf(path, sizeof(path), "%s/laptop-%03d.db", g->split_dir, owner);
			snprintf(dev, sizeof(dev), "laptop-%03d", owner);
			if (laptop_open(g, lp, path, dev)) {
				cJSON_Delete(fields);
				return -1;
			}
		}
		if (!lp->in_tx) {
			if (huce_local_begin(lp->l, &g->err)) {
				fprintf(stderr, "huce-bench-gen: begin: %s\n", g->err.msg);
				cJSON_Delete(fields);
				return -1;
			}
			lp->in_tx = 1;
		}
		if (huce_local_put(lp->l, kind, id, fields, 1, NULL, &g->err)) {
			fprintf(stderr, "huce-bench-gen: %s %s: %s\n", kind, id, g->err.msg);
			cJSON_Delete(fields);
			return -1;
		}
		if (++lp->n >= TX_RECORDS)
			rc = laptop_flush(g, lp);
	}
	if (g->jsonl && !rc) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "_id", id);
		cJSON_AddStringToObject(o, "type", kind);
		while (fields->child) {
			cJSON *it = cJSON_DetachItemViaPointer(fields, fields->child);

			cJSON_AddItemToObject(o, it->string, it);
		}
		text = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!text || fputs(text, g->jsonl) < 0 || fputc('\n', g->jsonl) < 0) {
			free(text);
			fprintf(stderr, "huce-bench-gen: cannot write %s\n", g->jsonl_path);
			cJSON_Delete(fields);
			return -1;
		}
		free(text);
	}
	cJSON_Delete(fields);
	g->written++;
	g->per_kind[k]++;
	if (g->count_kinds & (1u << k)) {
		g->counted++;
		if (g->limit >= 0 && g->counted >= g->limit)
			g->done = 1;
	}
	return rc;
}

/*
 * Emit a record.  A household's inspections and rectifications are held
 * back until the household is complete (flush_children), so that each can
 * be told apart as "before" or "this week" (from its last inspection on).
 */
static int emit(struct gen *g, const char *kind, const char *id, cJSON *fields,
		int owner)
{
	struct pending *p;

	if (!g->buffering)
		return emit_now(g, kind, id, fields, owner, PHASE_BASE);
	if (g->npending == MAX_PENDING) {
		cJSON_Delete(fields);
		fprintf(stderr, "huce-bench-gen: too many records for one household\n");
		return -1;
	}
	p = &g->pending[g->npending++];
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->fields = fields;
	p->owner = owner;
	return 0;
}

static int flush_children(struct gen *g)
{
	int last = g->npending, rc = 0;

	for (int i = 0; i < g->npending; i++)
		if (strcmp(g->pending[i].kind, "inspection") == 0)
			last = i;
	for (int i = 0; i < g->npending; i++) {
		struct pending *p = &g->pending[i];

		if (!rc)
			rc = emit_now(g, p->kind, p->id, p->fields, p->owner,
				      i >= last ? PHASE_WEEK : PHASE_BASE);
		else
			cJSON_Delete(p->fields);
	}
	g->npending = 0;
	g->buffering = 0;
	return rc;
}

/* A UUIDv7-shaped id on the synthetic clock (about 0.9 s per record). */
static void new_id(struct gen *g, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t r1 = rnd(), r2 = rnd();
	uint64_t ms;
	int j = 0;

	g->clock_ms += 400 + rnd_below(1000);
	ms = g->clock_ms;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	for (int i = 6; i < 16; i++)
		b[i] = (unsigned char)((i < 11 ? r1 : r2) >> (8 * (i % 8)));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[b[i] >> 4];
		out[j++] = hex[b[i] & 15];
	}
	out[j] = '\0';
}

/* days after 2024-03-04 (a Monday) as YYYY-MM-DD and its ISO week */
static void campaign_date(int day, char *date, char *week)
{
	struct tm tm = { 0 };
	time_t t;

	tm.tm_year = 2024 - 1900;
	tm.tm_mon = 2;
	tm.tm_mday = 4 + day;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(date, 11, "%Y-%m-%d", &tm);
	if (week)
		huce_week_of(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, week);
}

/* ------------------------------------------------------- the structure --- */

static const char *pick_role(int i)
{
	/* 13 village leads, technicians and inspectors, data entry, office */
	if (i < NVILLAGES)
		return "village-lead";
	if (i < 40)
		return "technician";
	if (i < 70)
		return "inspector";
	if (i < 82)
		return "data-entry";
	if (i < 88)
		return "office";
	return "liaison";
}

static int emit_villages_and_cadres(struct gen *g)
{
	for (int v = 0; v < NVILLAGES; v++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", village_names[v]);
		cJSON_AddStringToObject(f, "town", g->town);
		if (emit(g, "village", g->village_ids[v], f, -1))
			return -1;
	}
	for (int i = 0; i < NCADRES; i++) {
		struct cadre *c = &g->cadres[i];
		cJSON *f = cJSON_CreateObject();
		int dup;

		do {
			person_name(c->name, sizeof(c->name));
			dup = 0;
			for (int j = 0; j < i && !dup; j++)
				dup = strcmp(g->cadres[j].name, c->name) == 0;
		} while (dup);
		c->role = pick_role(i);
		c->village = i % NVILLAGES;
		huce_id_named("cadre", NULL, c->name, c->id);
		/* every cadre of a village looks after some of its households */
		g->village_cadres[c->village][g->nvillage_cadres[c->village]++] = i;
		if (strcmp(c->role, "inspector") == 0 || strcmp(c->role, "technician") == 0)
			g->inspectors[g->ninspectors++] = i;
		cJSON_AddStringToObject(f, "name", c->name);
		cJSON_AddStringToObject(f, "role", c->role);
		if (chance(0.8)) {
			char phone[16];

			snprintf(phone, sizeof(phone), "1%u%09u", 3 + rnd_below(7),
				 (unsigned)rnd_below(1000000000u));
			cJSON_AddStringToObject(f, "phone", phone);
		}
		if (emit(g, "cadre", c->id, f, -1))
			return -1;
	}
	return 0;
}

static int ensure_group(struct gen *g, unsigned gi)
{
	struct group *gr = &g->groups[gi];
	cJSON *f;

	if (gr->emitted)
		return 0;
	gr->emitted = 1;
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "village_id", g->village_ids[gr->village]);
	cJSON_AddStringToObject(f, "name", gr->name);
	return emit(g, "group", gr->id, f, -1);
}

static int ensure_team(struct gen *g, unsigned ti)
{
	struct team *t = &g->teams[ti];
	cJSON *f;
	char leader[32];

	if (t->emitted)
		return 0;
	t->emitted = 1;
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "name", t->name);
	person_name(leader, sizeof(leader));
	cJSON_AddStringToObject(f, "leader", leader);
	return emit(g, "team", t->id, f, -1);
}

/* ----------------------------------------------------------- inspections --- */

static const char *const types[] = {
	"three-grid", "double-urn", "biogas", "urine-diversion", "double-pit", "sewer",
};
/* cumulative shares: 42 % three-grid, 20 % double-urn, 10 % biogas, ... */
static const double type_cum[] = { 0.42, 0.62, 0.72, 0.80, 0.88, 1.0 };

static const char *pick_type(void)
{
	double u = rnd_unit();

	for (int i = 0; i < 6; i++)
		if (u < type_cum[i])
			return types[i];
	return types[0];
}

/* A typed value for item it: passing, or failing when fail. */
static void item_value(const struct huce_checklist_item *it, int fail,
		       char *out, size_t n)
{
	if (it->kind == HUCE_ITEM_BOOL) {
		snprintf(out, n, "%s", fail ? "fail" : (chance(0.5) ? "pass" : "合格"));
		return;
	}
	{
		double v, lo = it->has_min ? it->min : 0.0;
		double hi = it->has_max ? it->max : lo * 1.8 + 1.0;
		int whole = lo >= 50 || hi >= 50;

		if (it->has_min && !it->has_max)
			v = fail ? lo * (0.6 + 0.3 * rnd_unit()) : lo * (1.02 + 0.6 * rnd_unit());
		else if (it->has_max && !it->has_min)
			v = fail ? hi * (1.1 + 0.5 * rnd_unit()) : hi * (0.2 + 0.75 * rnd_unit());
		else
			v = lo + (hi - lo) * rnd_unit();
		if (it->has_range) {
			if (v < it->range_lo)
				v = it->range_lo;
			if (v > it->range_hi)
				v = it->range_hi;
		}
		if (whole)
			snprintf(out, n, "%.0f", v);
		else
			snprintf(out, n, "%.2f", v);
	}
}

struct inspection_out {
	char id[HUCE_ID_STRLEN + 1];
	int failed;			/* result fail */
	char category[600];		/* labels of the failed items */
};

/*
 * One inspection of household hh (toilet type) at stage on campaign day
 * day, with every item that applies at the stage.  nfail items fail
 * (a critical one first when want_critical).
 */
static int inspection(struct gen *g, const char *hh, const char *type, int stage,
		      int day, int nfail, int want_critical, int owner,
		      struct inspection_out *io)
{
	const struct huce_checklist_item **items;
	size_t n = huce_checklist_items(g->cl, type, &items), m = 0;
	const char *codes[64], *values[64];
	char vals[64][32], date[11], week[9], insp[80];
	int failing[64] = { 0 };
	size_t applies[64];
	struct huce_eval ev = { 0 };
	cJSON *f;
	const cJSON *c;
	int a, b;

	for (size_t i = 0; i < n && m < 64; i++)
		if (items[i]->stages & (1u << stage))
			applies[m++] = i;
	/* choose the failing items */
	for (int k = 0; k < nfail && m; k++) {
		size_t pick = applies[rnd_below((unsigned)m)];

		if (k == 0 && want_critical) {
			for (size_t j = 0; j < m; j++)
				if (items[applies[j]]->critical) {
					pick = applies[j];
					if (chance(0.5))
						break;
				}
		}
		failing[pick] = 1;
	}
	for (size_t j = 0; j < m; j++) {
		const struct huce_checklist_item *it = items[applies[j]];

		item_value(it, failing[applies[j]], vals[j], sizeof(vals[j]));
		codes[j] = it->code;
		values[j] = vals[j];
	}
	if (huce_checklist_evaluate(g->cl, type, stage, m, codes, values, &ev, &g->err)) {
		fprintf(stderr, "huce-bench-gen: checklist: %s\n", g->err.msg);
		return -1;
	}
	campaign_date(day, date, week);
	a = g->inspectors[rnd_below((unsigned)g->ninspectors)];
	b = g->inspectors[rnd_below((unsigned)g->ninspectors)];
	if (a != b && chance(0.7))
		snprintf(insp, sizeof(insp), "%s、%s", g->cadres[a].name, g->cadres[b].name);
	else
		snprintf(insp, sizeof(insp), "%s", g->cadres[a].name);
	io->failed = cJSON_GetArraySize(ev.veto) > 0 || !ev.pass;
	io->category[0] = '\0';
	cJSON_ArrayForEach(c, ev.failed) {
		const struct huce_checklist_item *it = huce_checklist_find(g->cl, type, c->valuestring);
		size_t len = strlen(io->category);

		snprintf(io->category + len, sizeof(io->category) - len, "%s%s",
			 len ? "; " : "", it && it->label ? it->label : c->valuestring);
	}
	new_id(g, io->id);
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "household_id", hh);
	cJSON_AddStringToObject(f, "stage", huce_stage_name(stage));
	cJSON_AddStringToObject(f, "date", date);
	cJSON_AddStringToObject(f, "week", week);
	cJSON_AddStringToObject(f, "inspectors", insp);
	cJSON_AddItemToObject(f, "items", cJSON_Duplicate(ev.items, 1));
	cJSON_AddItemToObject(f, "failed", cJSON_Duplicate(ev.failed, 1));
	cJSON_AddItemToObject(f, "veto", cJSON_Duplicate(ev.veto, 1));
	cJSON_AddStringToObject(f, "result", io->failed ? "fail" : "pass");
	if (chance(0.1))
		cJSON_AddStringToObject(f, "note", io->failed ? "已告知农户，限期整改" : "现场核实无误");
	if (chance(0.4)) {
		char gps[40];

		snprintf(gps, sizeof(gps), "%.5f,%.5f", 23.30 + 0.2 * rnd_unit(),
			 103.10 + 0.2 * rnd_unit());
		cJSON_AddStringToObject(f, "gps", gps);
	}
	huce_eval_release(&ev);
	return emit(g, "inspection", io->id, f, owner);
}

static int rectification(struct gen *g, const char *hh, const struct inspection_out *io,
			 int day, const char *owner_name, const char *closed_by,
			 int owner)
{
	char id[HUCE_ID_STRLEN + 1], deadline[11];
	cJSON *f = cJSON_CreateObject();

	new_id(g, id);
	campaign_date(day + 14, deadline, NULL);
	cJSON_AddStringToObject(f, "household_id", hh);
	cJSON_AddStringToObject(f, "inspection_id", io->id);
	cJSON_AddStringToObject(f, "category", io->category[0] ? io->category : "验收不合格");
	cJSON_AddStringToObject(f, "owner", owner_name);
	cJSON_AddStringToObject(f, "deadline", deadline);
	cJSON_AddStringToObject(f, "status", closed_by ? "closed" : "open");
	if (closed_by)
		cJSON_AddStringToObject(f, "closed_by", closed_by);
	return emit(g, "rectification", id, f, owner);
}

/* ------------------------------------------------------------ households --- */

enum plan { P_PLANNED, P_BUILDING, P_BUILT, P_FAILED, P_RECTIFYING, P_ACCEPTED };

static int household_work(struct gen *g, const char *id, const char *type, int plan,
			  int team_first, int day, int cadre);

static int household(struct gen *g, unsigned gi, char heads[][32], int *nheads)
{
	struct group *gr = &g->groups[gi];
	int v = gr->village;
	int cadre = g->village_cadres[v][rnd_below((unsigned)g->nvillage_cadres[v])];
	const char *type = pick_type();
	const char *approach = strcmp(type, "biogas") == 0 && chance(0.7) ?
		"biogas-retrofit" : "new-build";
	int contracted = chance(0.6), team_first = 0, ti = -1, dup;
	char id[HUCE_ID_STRLEN + 1], head[32], week[9], date[11];
	double u = rnd_unit();
	enum plan plan = u < 0.10 ? P_PLANNED : u < 0.22 ? P_BUILDING : u < 0.32 ? P_BUILT :
		u < 0.38 ? P_FAILED : u < 0.45 ? P_RECTIFYING : P_ACCEPTED;
	static const char *const status[] = {
		"planned", "building", "built", "failed", "rectifying", "accepted",
	};
	int day = (int)rnd_below(200), rc;
	cJSON *f;

	if (ensure_group(g, gi))
		return -1;
	if (contracted) {
		/* teams work where they are: a team near the group's place in the town */
		ti = (int)(((uint64_t)gi * g->nteams / g->ngroups + rnd_below(3)) % g->nteams);
		if (ensure_team(g, (unsigned)ti))
			return -1;
		if (g->teams[ti].households++ == 0) {
			team_first = 1;	/* 首厕过关: accepted before the team gets another */
			plan = P_ACCEPTED;
		} else if (!(g->kinds & (1u << kind_index("inspection")))) {
			/* A stream without inspections cannot show the team's
			 * first toilet accepted, so the central's first-toilet
			 * gate would refuse its later households: self-built. */
			contracted = 0;
		}
	}
	do {
		person_name(head, sizeof(head));
		dup = 0;
		for (int i = 0; i < *nheads && !dup; i++)
			dup = strcmp(heads[i], head) == 0;
	} while (dup);
	if (*nheads < MAX_GROUP_HH)
		snprintf(heads[(*nheads)++], 32, "%s", head);

	new_id(g, id);
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "village_id", g->village_ids[v]);
	cJSON_AddStringToObject(f, "group_id", gr->id);
	cJSON_AddStringToObject(f, "head", head);
	if (chance(0.7)) {
		char masked[19];

		snprintf(masked, sizeof(masked), "5325**********%03u%c", rnd_below(1000),
			 chance(0.1) ? 'X' : (char)('0' + rnd_below(10)));
		cJSON_AddStringToObject(f, "id_masked", masked);
	}
	if (chance(0.6)) {
		char phone[16];

		snprintf(phone, sizeof(phone), "1%u%09u", 3 + rnd_below(7),
			 (unsigned)rnd_below(1000000000u));
		cJSON_AddStringToObject(f, "phone", phone);
	}
	if (chance(0.8)) {
		char no[16];

		snprintf(no, sizeof(no), "%u号", 1 + rnd_below(300));
		cJSON_AddStringToObject(f, "house_no", no);
	}
	if (chance(0.5)) {
		char gps[40];

		snprintf(gps, sizeof(gps), "%.5f,%.5f", 23.30 + 0.2 * rnd_unit(),
			 103.10 + 0.2 * rnd_unit());
		cJSON_AddStringToObject(f, "gps", gps);
	}
	cJSON_AddStringToObject(f, "water", chance(0.7) ? "wet" : "dry");
	if (chance(0.8))
		cJSON_AddStringToObject(f, "current_toilet", chance(0.7) ? "旱厕" : "简易厕所");
	cJSON_AddStringToObject(f, "approach", approach);
	cJSON_AddStringToObject(f, "build", contracted ? "contracted" : "self");
	if (chance(0.5))
		cJSON_AddStringToObject(f, "agreement", "已签订改厕协议");
	if (contracted)
		cJSON_AddStringToObject(f, "team_id", g->teams[ti].id);
	cJSON_AddStringToObject(f, "type", type);
	cJSON_AddStringToObject(f, "cadre_id", g->cadres[cadre].id);
	cJSON_AddStringToObject(f, "status", status[plan]);
	campaign_date(day, date, week);
	cJSON_AddStringToObject(f, "planned_week", week);
	if (emit(g, "household", id, f, cadre))
		return -1;
	g->buffering = 1;
	rc = household_work(g, id, type, plan, team_first, day, cadre);
	if (flush_children(g))
		return -1;
	return rc;
}

/* A household's inspections and rectifications, in the order they happen. */
static int household_work(struct gen *g, const char *id, const char *type, int plan,
			  int team_first, int day, int cadre)
{
	{
		struct inspection_out io, io2;
		const char *owner = g->cadres[cadre].name;
		int d = day;

		if (plan == P_PLANNED)
			return 0;
		if (inspection(g, id, type, HUCE_STAGE_EXCAVATION, d, 0, 0, cadre, &io))
			return -1;
		if (plan == P_BUILDING)
			return 0;
		d += 7 + (int)rnd_below(8);
		if (inspection(g, id, type, HUCE_STAGE_PRE_COVER, d, 0, 0, cadre, &io))
			return -1;
		if (plan == P_BUILT)
			return 0;
		d += 14 + (int)rnd_below(20);
		if (team_first)
			return inspection(g, id, type, HUCE_STAGE_FIRST_TOILET, d, 0, 0, cadre, &io);
		if (plan == P_FAILED || plan == P_RECTIFYING) {
			if (inspection(g, id, type, HUCE_STAGE_COMPLETION, d, 1 + (int)rnd_below(2),
				       chance(0.5), cadre, &io))
				return -1;
			return rectification(g, id, &io, d, owner, NULL, cadre);
		}
		/* accepted: a quarter of them after a failed completion */
		if (chance(0.25)) {
			if (inspection(g, id, type, HUCE_STAGE_COMPLETION, d, 1, chance(0.4),
				       cadre, &io))
				return -1;
			d += 10 + (int)rnd_below(10);
			if (inspection(g, id, type, HUCE_STAGE_RE_INSPECTION, d, 0, 0, cadre, &io2) ||
			    rectification(g, id, &io, d - 12, owner, io2.id, cadre))
				return -1;
		} else if (inspection(g, id, type, HUCE_STAGE_COMPLETION, d, 0, 0, cadre, &io)) {
			return -1;
		}
		if (chance(0.08)) {
			d += 30 + (int)rnd_below(30);
			if (inspection(g, id, type, HUCE_STAGE_SPOT_CHECK, d, 0, 0, cadre, &io))
				return -1;
		}
	}
	return 0;
}

static int generate(struct gen *g)
{
	unsigned nhh = 1730u * g->scale, gi;
	static char heads[MAX_GROUP_HH][32];
	int nheads = 0;

	/* groups: 108 per scale unit, spread over the villages */
	g->ngroups = 0;
	for (int v = 0; v < NVILLAGES; v++)
		g->ngroups += g->scale * (unsigned)(6 + (v * 5) % 6);
	g->groups = calloc(g->ngroups, sizeof(*g->groups));
	g->nteams = TEAMS_PER_SCALE * g->scale;
	g->teams = calloc(g->nteams, sizeof(*g->teams));
	if (!g->groups || !g->teams)
		return -1;
	for (int v = 0; v < NVILLAGES; v++)
		huce_id_named("village", NULL, village_names[v], g->village_ids[v]);
	gi = 0;
	for (int v = 0; v < NVILLAGES; v++) {
		unsigned n = g->scale * (unsigned)(6 + (v * 5) % 6);

		for (unsigned k = 0; k < n; k++, gi++) {
			struct group *gr = &g->groups[gi];

			gr->village = v;
			snprintf(gr->name, sizeof(gr->name), "第%u组", k + 1);
			huce_id_named("group", g->village_ids[v], gr->name, gr->id);
		}
	}
	for (unsigned t = 0; t < g->nteams; t++) {
		snprintf(g->teams[t].name, sizeof(g->teams[t].name), "第%u施工队", t + 1);
		huce_id_named("team", NULL, g->teams[t].name, g->teams[t].id);
	}
	if (emit_villages_and_cadres(g))
		return -1;
	/* households group by group: household h lives in group h * G / H */
	for (unsigned h = 0, cur = ~0u; h < nhh && !g->done; h++) {
		unsigned grp = (unsigned)((uint64_t)h * g->ngroups / nhh);

		if (grp != cur) {
			cur = grp;
			nheads = 0;
		}
		if (household(g, grp, heads, &nheads))
			return -1;
		if (!g->quiet && (h + 1) % 20000 == 0)
			fprintf(stderr, "\rhuce-bench-gen: %lld records   ", (long long)g->written);
	}
	if (!g->quiet && g->written >= 20000)
		fputc('\n', stderr);
	return 0;
}

static const char usage[] =
"usage: huce-bench-gen [--seed N] [--scale S] [--records N] [--kinds K,K..]\n"
"                      [--count-kind K] [--db PATH [--device NAME]] [--jsonl PATH]\n"
"                      [--split-dir DIR] [--town NAME] [--phase all|before|week]\n"
"                      [--quiet]\n"
"A town like 阿猛镇 (13 villages, 257 cadres, 1,730 households x S) as a huce\n"
"local store and/or JSON Lines for the PouchDB peer.  --records N stops after\n"
"N records of the selected kinds (or of --count-kind).  Kinds: village, group,\n"
"cadre, team, household, inspection, rectification (default all).\n"
"--phase week keeps each household's last inspection and what follows it (the\n"
"town's week), --phase before everything else.\n"
"Prints a JSON summary on stdout.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "scale", required_argument, NULL, 'S' },
		{ "records", required_argument, NULL, 'n' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "count-kind", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' },
		{ "jsonl", required_argument, NULL, 'j' },
		{ "split-dir", required_argument, NULL, 'p' },
		{ "town", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "phase", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen g;
	const char *count_kind = NULL;
	uint64_t sx;
	int ch, ret = 1;
	struct timespec t0, t1;

	g.scale = 1;
	g.seed = 1;
	g.limit = -1;
	g.kinds = ~0u;
	g.device = "bench-device";
	g.town = "阿猛镇";
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': g.seed = strtoull(optarg, NULL, 10); break;
		case 'S': g.scale = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': g.limit = strtoll(optarg, NULL, 10); break;
		case 'k':
			if (parse_kinds(optarg, &g.kinds))
				return 2;
			break;
		case 'c': count_kind = optarg; break;
		case 'd': g.db_path = optarg; break;
		case 'D': g.device = optarg; break;
		case 'j': g.jsonl_path = optarg; break;
		case 'p': g.split_dir = optarg; break;
		case 't': g.town = optarg; break;
		case 'q': g.quiet = 1; break;
		case 'P':
			if (strcmp(optarg, "all") == 0)
				g.phase = PHASE_ALL;
			else if (strcmp(optarg, "before") == 0)
				g.phase = PHASE_BASE;
			else if (strcmp(optarg, "week") == 0)
				g.phase = PHASE_WEEK;
			else {
				fputs(usage, stderr);
				return 2;
			}
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc || g.scale < 1 || g.scale > 100000 || (g.db_path && g.split_dir)) {
		fputs(usage, stderr);
		return 2;
	}
	g.count_kinds = g.kinds;
	if (count_kind && parse_kinds(count_kind, &g.count_kinds))
		return 2;
	sx = g.seed * 0x2545f4914f6cdd1dull + 12345;
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix(&sx);
	g.clock_ms = 1709510400000ull;	/* 2024-03-04T00:00:00Z */
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (huce_checklists_load(&g.cl, NULL, &g.err)) {
		fprintf(stderr, "huce-bench-gen: %s\n", g.err.msg);
		return 1;
	}
	if (g.db_path && laptop_open(&g, &g.main, g.db_path, g.device))
		goto out;
	if (g.split_dir) {
		g.laps = calloc(NCADRES, sizeof(*g.laps));
		if (!g.laps)
			goto out;
	}
	if (g.jsonl_path) {
		g.jsonl = fopen(g.jsonl_path, "w");
		if (!g.jsonl) {
			perror(g.jsonl_path);
			goto out;
		}
	}
	if (generate(&g))
		goto out;
	if (laptop_flush(&g, &g.main))
		goto out;
	for (int i = 0; g.laps && i < NCADRES; i++)
		if (laptop_flush(&g, &g.laps[i]))
			goto out;
	if (g.jsonl && fclose(g.jsonl) != 0) {
		g.jsonl = NULL;
		perror(g.jsonl_path);
		goto out;
	}
	g.jsonl = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		int laptops = 0;

		for (int i = 0; g.laps && i < NCADRES; i++)
			laptops += g.laps[i].l != NULL;
		printf("{\"seed\":%llu,\"scale\":%u,\"records\":%lld,\"stream\":%lld,"
		       "\"seconds\":%.3f,\"records_per_s\":%.1f,\"laptops\":%d,\"kinds\":{",
		       (unsigned long long)g.seed, g.scale, (long long)g.written,
		       (long long)g.stream, s, s > 0 ? (double)g.written / s : 0.0, laptops);
		for (int k = 0, first = 1; huce_kinds[k]; k++) {
			if (!g.per_kind[k])
				continue;
			printf("%s\"%s\":%lld", first ? "" : ",", huce_kinds[k]->kind,
			       (long long)g.per_kind[k]);
			first = 0;
		}
		printf("}}\n");
	}
	ret = 0;
out:
	if (g.jsonl)
		fclose(g.jsonl);
	if (g.main.l) {
		if (g.main.in_tx)
			huce_local_rollback(g.main.l);
		huce_local_close(g.main.l);
	}
	for (int i = 0; g.laps && i < NCADRES; i++) {
		if (g.laps[i].l && g.laps[i].in_tx)
			huce_local_rollback(g.laps[i].l);
		huce_local_close(g.laps[i].l);
	}
	free(g.laps);
	free(g.groups);
	free(g.teams);
	huce_checklists_free(g.cl);
	return ret;
}
