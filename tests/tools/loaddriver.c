/*
 * loaddriver.c - many simulated laptops pushing and pulling at once
 * against one central instance, with the real library: each laptop is
 * a local SQLite store written through huce_local_* (one transaction
 * per record, outbox row included, exactly as the CLI writes) and
 * synced by huce_sync_run (syncd/agent/sync.c), on its own curl handle.
 *
 *   loaddriver --url URL --store S [--laptops 300] [--records N]
 *              [--rounds R] [--threads T] [--out result.json] ...
 *
 * Phases, each a barrier: setup (device token from `huce-syncd admin
 * --store S device add NAME`, or --tokens FILE; local init; the real
 * enrolment request), then R rounds in which every laptop writes its
 * share of records and syncs, then one final pass in which every laptop
 * syncs again so that all of them have pulled everything.  Then the
 * driver checks, on the central store (read-only) and on every laptop,
 * that every record landed exactly once, and prints one summary line
 * and a JSON document (docs/RELIABILITY.md lists the keys).
 *
 * Latency: every huce_sync_run is timed (push + pull of one laptop),
 * and every HTTP request of the engine is timed by wrapping
 * huce_http_request at link time (-Wl,--wrap), which also counts the
 * statuses the engine absorbs on its own (429 retries, 409 resends)
 * without a change to the product.
 *
 * The same binary has a second mode used by tests/fault/crash.sh:
 *
 *   loaddriver fill --db PATH --records N --tag T --village V --group G
 *
 * writes N records to an enrolled laptop's store (households, and an
 * inspection of the previous household every third record), one
 * transaction per record, and prints "KIND ID TAG" on stdout after each
 * commit: a printed line is a record reported as stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "http_client.h"
#include "huce_checklist.h"
#include "huce_db.h"
#include "huce_domain_local.h"
#include "huce_err.h"
#include "huce_id.h"
#include "huce_local.h"
#include "huce_log.h"
#include "huce_util.h"
#include "sync.h"

extern char **environ;

#define INSPECTOR "验收员"	/* every inspection's inspector (a cadre) */
#define NAME_LEN	64
#define TOKEN_LEN	512
#define SYNC_ATTEMPTS	30
#define ADMIN_AT_ONCE	4

/* ------------------------------------------------------------------ */
/* small helpers */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("loaddriver: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static long parse_long(const char *opt, const char *s, long lo, long hi)
{
	int64_t v;

	if (huce_parse_i64(s, &v) || v < lo || v > hi) {
		fprintf(stderr, "loaddriver: %s takes a number in %ld..%ld, not '%s'\n",
			opt, lo, hi, s);
		exit(2);
	}
	return (long)v;
}

/* A growable array of doubles (latencies in ms), guarded by its lock. */
struct samples {
	pthread_mutex_t lock;
	double *v;
	size_t n, alloc;
};

static void samples_add(struct samples *s, double x)
{
	pthread_mutex_lock(&s->lock);
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 1024;
		double *nv = realloc(s->v, na * sizeof(*nv));

		if (!nv) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
		s->v = nv;
		s->alloc = na;
	}
	s->v[s->n++] = x;
	pthread_mutex_unlock(&s->lock);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v (q in 0..1); 0 when empty. */
static double pct(const double *v, size_t n, double q)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)ceil(q * (double)n);
	if (k < 1)
		k = 1;
	return v[k - 1];
}

static void samples_summary(struct samples *s, cJSON *obj, const char *name,
			    double *p50, double *p99)
{
	cJSON *o = cJSON_AddObjectToObject(obj, name);
	double sum = 0;

	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	cJSON_AddNumberToObject(o, "n", (double)s->n);
	cJSON_AddNumberToObject(o, "mean_ms", s->n ? sum / (double)s->n : 0);
	cJSON_AddNumberToObject(o, "p50_ms", pct(s->v, s->n, 0.50));
	cJSON_AddNumberToObject(o, "p90_ms", pct(s->v, s->n, 0.90));
	cJSON_AddNumberToObject(o, "p99_ms", pct(s->v, s->n, 0.99));
	cJSON_AddNumberToObject(o, "max_ms", s->n ? s->v[s->n - 1] : 0);
	if (p50)
		*p50 = pct(s->v, s->n, 0.50);
	if (p99)
		*p99 = pct(s->v, s->n, 0.99);
}

/* ------------------------------------------------------------------ */
/* the engine's HTTP requests, timed and counted (-Wl,--wrap) */

static struct samples push_lat = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };
static struct samples pull_lat = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };
static atomic_llong st_2xx, st_409, st_413, st_429, st_4xx, st_5xx, st_neterr;

enum huce_err __real_huce_http_request(struct huce_http *h, const char *url,
				       const char *content_type,
				       const void *body, size_t len,
				       struct huce_http_resp *resp,
				       struct huce_error *err);
enum huce_err __wrap_huce_http_request(struct huce_http *h, const char *url,
				       const char *content_type,
				       const void *body, size_t len,
				       struct huce_http_resp *resp,
				       struct huce_error *err);

enum huce_err __wrap_huce_http_request(struct huce_http *h, const char *url,
				       const char *content_type,
				       const void *body, size_t len,
				       struct huce_http_resp *resp,
				       struct huce_error *err)
{
	double t0 = now_ms();
	enum huce_err rc = __real_huce_http_request(h, url, content_type, body,
						    len, resp, err);
	double dt = now_ms() - t0;

	if (rc) {
		atomic_fetch_add(&st_neterr, 1);
		return rc;
	}
	if (resp->status >= 200 && resp->status < 300)
		atomic_fetch_add(&st_2xx, 1);
	else if (resp->status == 409)
		atomic_fetch_add(&st_409, 1);
	else if (resp->status == 413)
		atomic_fetch_add(&st_413, 1);
	else if (resp->status == 429)
		atomic_fetch_add(&st_429, 1);
	else if (resp->status >= 500)
		atomic_fetch_add(&st_5xx, 1);
	else
		atomic_fetch_add(&st_4xx, 1);
	if (resp->status == 200 && strstr(url, "/v1/batches"))
		samples_add(&push_lat, dt);
	else if (resp->status == 200 && strstr(url, "/v1/changes"))
		samples_add(&pull_lat, dt);
	return rc;
}

/* ------------------------------------------------------------------ */
/* writing records like the CLI does */

/* The graded items of a passing three-grid completion inspection. */
struct inspection_template {
	char *items, *failed, *veto;	/* JSON text */
};

static int make_template(struct inspection_template *t)
{
	static const char *const codes[] = {
		"tank_volume", "walls_roof_door", "room_area", "no_leak",
		"sealed_cover", "no_exposed_waste",
	};
	static const char *const values[] = { "2", "yes", "1.5", "yes", "yes", "yes" };
	struct huce_checklists *cl = NULL;
	struct huce_eval ev = { 0 };
	struct huce_error err = { 0 };

	if (huce_checklists_load(&cl, NULL, &err) ||
	    huce_checklist_evaluate(cl, "three-grid", HUCE_STAGE_COMPLETION,
				    sizeof(codes) / sizeof(codes[0]), codes, values,
				    &ev, &err)) {
		fprintf(stderr, "loaddriver: checklist: %s\n", err.msg);
		huce_checklists_free(cl);
		return -1;
	}
	if (!ev.pass) {
		fputs("loaddriver: the template inspection does not pass\n", stderr);
		huce_eval_release(&ev);
		huce_checklists_free(cl);
		return -1;
	}
	t->items = cJSON_PrintUnformatted(ev.items);
	t->failed = cJSON_PrintUnformatted(ev.failed);
	t->veto = cJSON_PrintUnformatted(ev.veto);
	huce_eval_release(&ev);
	huce_checklists_free(cl);
	return t->items && t->failed && t->veto ? 0 : -1;
}

static void free_template(struct inspection_template *t)
{
	free(t->items);
	free(t->failed);
	free(t->veto);
}

/* Create a village and a group with the CLI's name-derived ids. */
static enum huce_err ensure_place(struct huce_local *l, const char *village,
				  const char *group, char *vid, char *gid,
				  struct huce_error *err)
{
	cJSON *v = cJSON_CreateObject(), *g = cJSON_CreateObject();
	cJSON *k = cJSON_CreateObject();
	char *town = huce_db_meta_get(l->db, "town");
	char kid[HUCE_ID_STRLEN + 1];
	enum huce_err rc;

	huce_id_named("village", NULL, village, vid);
	huce_id_named("group", vid, group, gid);
	/* The inspections' inspector: a cadre the central knows. */
	huce_id_named("cadre", NULL, INSPECTOR, kid);
	cJSON_AddStringToObject(k, "name", INSPECTOR);
	cJSON_AddStringToObject(k, "role", "inspector");
	cJSON_AddStringToObject(v, "name", village);
	if (town)
		cJSON_AddStringToObject(v, "town", town);
	cJSON_AddStringToObject(g, "village_id", vid);
	cJSON_AddStringToObject(g, "name", group);
	free(town);
	rc = huce_local_begin(l, err);
	if (!rc) {
		cJSON *cur = huce_local_get(l, "village", vid, NULL);

		if (!cur)
			rc = huce_local_put(l, "village", vid, v, 1, NULL, err);
		cJSON_Delete(cur);
		cur = rc ? NULL : huce_local_get(l, "group", gid, NULL);
		if (!rc && !cur)
			rc = huce_local_put(l, "group", gid, g, 1, NULL, err);
		cJSON_Delete(cur);
		cur = rc ? NULL : huce_local_get(l, "cadre", kid, NULL);
		if (!rc && !cur)
			rc = huce_local_put(l, "cadre", kid, k, 1, NULL, err);
		cJSON_Delete(cur);
		if (!rc)
			rc = huce_local_commit(l, err);
		else
			huce_local_rollback(l);
	}
	cJSON_Delete(v);
	cJSON_Delete(g);
	cJSON_Delete(k);
	return rc;
}

/* One `huce household add` worth of writing: one transaction. */
static enum huce_err write_household(struct huce_local *l, const char *vid,
				     const char *gid, const char *head,
				     char *id, struct huce_error *err)
{
	cJSON *f = cJSON_CreateObject();
	enum huce_err rc;

	cJSON_AddStringToObject(f, "village_id", vid);
	cJSON_AddStringToObject(f, "group_id", gid);
	cJSON_AddStringToObject(f, "head", head);
	cJSON_AddStringToObject(f, "approach", "new-build");
	cJSON_AddStringToObject(f, "build", "self");
	cJSON_AddStringToObject(f, "type", "three-grid");
	rc = huce_local_begin(l, err);
	if (!rc)
		rc = huce_local_new_id(l, id);
	if (!rc)
		rc = huce_local_put(l, "household", id, f, 1, NULL, err);
	if (!rc)
		rc = huce_local_commit(l, err);
	else
		huce_local_rollback(l);
	cJSON_Delete(f);
	return rc;
}

/*
 * One `huce inspect HH --stage completion ...` that passes: the
 * inspection and the household's new status in one transaction.
 */
static enum huce_err write_inspection(struct huce_local *l,
				      const struct inspection_template *t,
				      const char *hh, const char *inspector,
				      const char *note, char *id,
				      struct huce_error *err)
{
	cJSON *f = cJSON_CreateObject();
	char today[11], week[9];
	int y, m, d;
	enum huce_err rc;

	huce_today(today);
	huce_parse_date(today, &y, &m, &d);
	huce_week_of(y, m, d, week);
	cJSON_AddStringToObject(f, "household_id", hh);
	cJSON_AddStringToObject(f, "stage", "completion");
	cJSON_AddStringToObject(f, "date", today);
	cJSON_AddStringToObject(f, "week", week);
	cJSON_AddStringToObject(f, "inspectors", inspector);
	cJSON_AddItemToObject(f, "items", cJSON_Parse(t->items));
	cJSON_AddItemToObject(f, "failed", cJSON_Parse(t->failed));
	cJSON_AddItemToObject(f, "veto", cJSON_Parse(t->veto));
	cJSON_AddStringToObject(f, "result", "pass");
	cJSON_AddStringToObject(f, "note", note);
	rc = huce_local_begin(l, err);
	if (!rc)
		rc = huce_local_new_id(l, id);
	if (!rc)
		rc = huce_local_put(l, "inspection", id, f, 1, NULL, err);
	/* The status is derived, never sent (docs/DOMAIN.md). */
	if (!rc)
		rc = huce_local_status_refresh(l, hh, err);
	if (!rc)
		rc = huce_local_commit(l, err);
	else
		huce_local_rollback(l);
	cJSON_Delete(f);
	return rc;
}

/* ------------------------------------------------------------------ */
/* fill mode (tests/fault/crash.sh) */

static const char fill_usage[] =
"usage: loaddriver fill --db PATH --records N --tag T --village V --group G\n"
"Write N records to an initialised laptop store, one transaction each:\n"
"households with head T-<n>, and every third record an inspection of the\n"
"previous household with note T-<n>.  After each commit one line\n"
"\"household|inspection ID T-<n>\" goes to stdout: the record is stored.\n";

static int fill_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "records", required_argument, NULL, 'n' },
		{ "tag", required_argument, NULL, 't' },
		{ "village", required_argument, NULL, 'v' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *tag = NULL, *village = NULL, *group = NULL;
	struct inspection_template t = { 0 };
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };
	char vid[HUCE_ID_STRLEN + 1], gid[HUCE_ID_STRLEN + 1];
	char last_hh[HUCE_ID_STRLEN + 1] = "";
	long n = 0;
	int ch, ret = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'n': n = parse_long("--records", optarg, 1, 10000000); break;
		case 't': tag = optarg; break;
		case 'v': village = optarg; break;
		case 'g': group = optarg; break;
		case 'h': fputs(fill_usage, stdout); return 0;
		default: fputs(fill_usage, stderr); return 2;
		}
	}
	if (!db || !n || !tag || !village || !group || optind != argc) {
		fputs(fill_usage, stderr);
		return 2;
	}
	if (make_template(&t))
		goto out;
	if (huce_local_open(&l, db, &err) ||
	    ensure_place(l, village, group, vid, gid, &err)) {
		fprintf(stderr, "loaddriver fill: %s\n", err.msg);
		goto out;
	}
	for (long i = 0; i < n; i++) {
		char name[200], id[HUCE_ID_STRLEN + 1], line[300];
		const char *kind;
		int len;
		enum huce_err rc;

		snprintf(name, sizeof(name), "%s-%ld", tag, i);
		if (i % 3 == 2 && last_hh[0]) {
			kind = "inspection";
			rc = write_inspection(l, &t, last_hh, INSPECTOR, name, id, &err);
		} else {
			kind = "household";
			rc = write_household(l, vid, gid, name, id, &err);
			if (!rc)
				memcpy(last_hh, id, sizeof(last_hh));
		}
		if (rc) {
			fprintf(stderr, "loaddriver fill: record %ld: %s\n", i, err.msg);
			goto out;
		}
		/* One write(2) per line: a line is either whole or absent. */
		len = snprintf(line, sizeof(line), "%s %s %s\n", kind, id, name);
		if (write(1, line, (size_t)len) != len) {
			perror("loaddriver fill: stdout");
			goto out;
		}
	}
	ret = 0;
out:
	huce_local_close(l);
	free_template(&t);
	return ret;
}

/* ------------------------------------------------------------------ */
/* the load run */

struct laptop {
	char name[NAME_LEN];
	char token[TOKEN_LEN];
	char path[PATH_MAX];
	char vid[HUCE_ID_STRLEN + 1], gid[HUCE_ID_STRLEN + 1];
	char last_hh[HUCE_ID_STRLEN + 1];
	char (*ids)[HUCE_ID_STRLEN + 1];	/* households and inspections */
	size_t nids, aids;
	long households, inspections;
	long sync_failures;
	char error[600];	/* first fatal failure, empty when none */
};

struct run {
	const char *url, *store, *tokens, *syncd, *town, *dir;
	long laptops, records, rounds, threads, villages;
	int verbose;
	char prefix[32];
	struct laptop *lap;
	struct inspection_template tmpl;
	/* the current phase */
	void (*job)(struct run *, struct laptop *, long);
	long round;
	atomic_long next;
	/* totals, guarded by lock */
	pthread_mutex_t lock;
	pthread_cond_t spawn_done;	/* an admin process finished */
	int spawning;			/* admin processes running */
	long long admin_retries, enroll_retries;
	struct samples sync_lat;
	long long pushed, pulled, quarantined, requests, bytes_up, bytes_down;
	long long sync_retries, sync_failed;
	long long retry_by_code[HUCE_E__COUNT];
	double write_ms;	/* time spent writing records, all threads */
};

static void lap_fail(struct laptop *lp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lap_fail(struct laptop *lp, const char *fmt, ...)
{
	va_list ap;

	if (lp->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(lp->error, sizeof(lp->error), fmt, ap);
	va_end(ap);
}

static void lap_add_id(struct laptop *lp, const char *id)
{
	if (lp->nids == lp->aids) {
		size_t na = lp->aids ? lp->aids * 2 : 16;
		void *nv = realloc(lp->ids, na * sizeof(*lp->ids));

		if (!nv) {
			lap_fail(lp, "out of memory");
			return;
		}
		lp->ids = nv;
		lp->aids = na;
	}
	memcpy(lp->ids[lp->nids++], id, HUCE_ID_STRLEN + 1);
}

/*
 * Run argv, return its stdout's last line in out.  posix_spawn, not
 * fork: this process has threads.
 */
static int spawn_last_line(char *const argv[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	char buf[8192];
	size_t len = 0;
	int fds[2], status = 0, rc;
	pid_t pid;
	ssize_t r;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		errno = rc;
		return -1;
	}
	for (;;) {
		if (len == sizeof(buf) - 1) {
			/* Only the last line matters: keep the tail, read on. */
			memmove(buf, buf + len / 2, len - len / 2);
			len -= len / 2;
		}
		r = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	{
		char *nl = strrchr(buf, '\n');
		const char *last = nl ? nl + 1 : buf;

		if (!*last || strlen(last) >= outlen)
			return -1;
		memcpy(out, last, strlen(last) + 1);
	}
	return 0;
}

/* Phase 1: token, local store, enrolment. */
static void job_setup(struct run *R, struct laptop *lp, long i)
{
	struct huce_sync_opts o = { 0 };
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };
	char id[HUCE_ID_STRLEN + 1], village[64], group[64];
	enum huce_err rc;

	if (!lp->token[0]) {
		char *argv[] = { (char *)R->syncd, (char *)"admin", (char *)"--store",
				 (char *)R->store, (char *)"device", (char *)"add",
				 lp->name, NULL };
		int ok = -1;

		/*
		 * The office adds devices one after another, not 300 at once:
		 * a few admin processes at a time, and a retry if one found
		 * the store busy for longer than its busy timeout.
		 */
		for (int attempt = 0; attempt < 5 && ok; attempt++) {
			pthread_mutex_lock(&R->lock);
			while (R->spawning >= ADMIN_AT_ONCE)
				pthread_cond_wait(&R->spawn_done, &R->lock);
			R->spawning++;
			pthread_mutex_unlock(&R->lock);
			ok = spawn_last_line(argv, lp->token, sizeof(lp->token));
			pthread_mutex_lock(&R->lock);
			R->spawning--;
			if (ok)
				R->admin_retries++;
			pthread_cond_signal(&R->spawn_done);
			pthread_mutex_unlock(&R->lock);
		}
		if (ok) {
			lap_fail(lp, "`huce-syncd admin device add %s` failed", lp->name);
			return;
		}
	}
	snprintf(lp->path, sizeof(lp->path), "%s/%s.db", R->dir, lp->name);
	rc = huce_local_open(&l, lp->path, &err);
	if (!rc)
		rc = huce_local_begin(l, &err);
	if (!rc)
		rc = huce_local_new_id(l, id);
	if (!rc)
		rc = huce_db_meta_set(l->db, "device", lp->name, &err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "device_id", id, &err);
	if (!rc)
		rc = huce_db_meta_set(l->db, "town", R->town, &err);
	if (!rc)
		rc = huce_local_commit(l, &err);
	else if (l)
		huce_local_rollback(l);
	/* A laptop whose enrolment met a full server tries again. */
	for (int attempt = 0; !rc && attempt < SYNC_ATTEMPTS; attempt++) {
		rc = huce_sync_enroll(l, R->url, lp->token, &o, &err);
		if (rc != HUCE_ENET && rc != HUCE_EBUSY && rc != HUCE_ESERVER)
			break;
		pthread_mutex_lock(&R->lock);
		R->enroll_retries++;
		pthread_mutex_unlock(&R->lock);
		sleep_ms(20L * (attempt + 1) + rand() % 50);
		rc = HUCE_OK;
		if (attempt + 1 == SYNC_ATTEMPTS)
			rc = huce_fail(&err, HUCE_ENET, "enrolment: gave up after %d attempts",
				       SYNC_ATTEMPTS);
	}
	/* A few villages shared by many laptops: equal concurrent creates. */
	snprintf(village, sizeof(village), "负载村%ld", i % R->villages);
	snprintf(group, sizeof(group), "第%ld组", i % 7 + 1);
	if (!rc)
		rc = ensure_place(l, village, group, lp->vid, lp->gid, &err);
	if (rc)
		lap_fail(lp, "setup: %s", err.msg);
	huce_local_close(l);
}

/* Sync one laptop, retrying what a real agent would retry. */
static void sync_laptop(struct run *R, struct laptop *lp, struct huce_local *l)
{
	struct huce_sync_opts o = { 0 };

	for (int attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
		struct huce_sync_stats st;
		struct huce_error err = { 0 };
		double t0 = now_ms(), dt;
		enum huce_err rc = huce_sync_run(l, &o, &st, &err);

		dt = now_ms() - t0;
		pthread_mutex_lock(&R->lock);
		R->pushed += st.pushed;
		R->pulled += st.pulled;
		R->quarantined += st.quarantined;
		R->requests += st.requests;
		R->bytes_up += st.bytes_up;
		R->bytes_down += st.bytes_down;
		if (rc) {
			R->sync_retries++;
			R->retry_by_code[rc]++;
		}
		pthread_mutex_unlock(&R->lock);
		if (!rc) {
			samples_add(&R->sync_lat, dt);
			return;
		}
		lp->sync_failures++;
		if (R->verbose)
			fprintf(stderr, "loaddriver: %s: sync attempt %d: %s\n",
				lp->name, attempt + 1, err.msg);
		if (rc != HUCE_ENET && rc != HUCE_EBUSY && rc != HUCE_ESERVER &&
		    rc != HUCE_EGAP && rc != HUCE_EDB) {
			lap_fail(lp, "sync: %s", err.msg);
			break;
		}
		sleep_ms(20L * (attempt + 1) + rand() % 50);
		if (attempt + 1 == SYNC_ATTEMPTS)
			lap_fail(lp, "sync: gave up after %d attempts: %s",
				 SYNC_ATTEMPTS, err.msg);
	}
	pthread_mutex_lock(&R->lock);
	R->sync_failed++;
	pthread_mutex_unlock(&R->lock);
}

/* Phase 2 (each round): write this round's records, then sync. */
static void job_round(struct run *R, struct laptop *lp, long i)
{
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };
	long n = R->records / R->rounds + (R->round < R->records % R->rounds);
	double t0;

	(void)i;
	if (lp->error[0])
		return;
	if (huce_local_open(&l, lp->path, &err)) {
		lap_fail(lp, "open: %s", err.msg);
		return;
	}
	t0 = now_ms();
	for (long k = 0; k < n; k++) {
		long j = lp->households + lp->inspections;
		char id[HUCE_ID_STRLEN + 1], tag[128];
		enum huce_err rc;

		snprintf(tag, sizeof(tag), "%s-%ld", lp->name, j);
		if (j % 2 == 1) {
			rc = write_inspection(l, &R->tmpl, lp->last_hh, INSPECTOR, tag, id, &err);
			if (!rc)
				lp->inspections++;
		} else {
			rc = write_household(l, lp->vid, lp->gid, tag, id, &err);
			if (!rc) {
				lp->households++;
				memcpy(lp->last_hh, id, sizeof(lp->last_hh));
			}
		}
		if (rc) {
			lap_fail(lp, "write: %s", err.msg);
			break;
		}
		lap_add_id(lp, id);
	}
	pthread_mutex_lock(&R->lock);
	R->write_ms += now_ms() - t0;
	pthread_mutex_unlock(&R->lock);
	if (!lp->error[0])
		sync_laptop(R, lp, l);
	huce_local_close(l);
}

/* Phase 3: one more sync each, so that every laptop pulls everything. */
static void job_final(struct run *R, struct laptop *lp, long i)
{
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };

	(void)i;
	if (lp->error[0])
		return;
	if (huce_local_open(&l, lp->path, &err)) {
		lap_fail(lp, "open: %s", err.msg);
		return;
	}
	sync_laptop(R, lp, l);
	huce_local_close(l);
}

static void *worker(void *arg)
{
	struct run *R = arg;
	long i;

	while ((i = atomic_fetch_add(&R->next, 1)) < R->laptops)
		R->job(R, &R->lap[i], i);
	return NULL;
}

/* Run job over every laptop on the thread pool; returns the wall ms. */
static double phase(struct run *R, void (*job)(struct run *, struct laptop *, long))
{
	pthread_t *t = xcalloc((size_t)R->threads, sizeof(*t));
	long started = 0;
	double t0 = now_ms();

	R->job = job;
	atomic_store(&R->next, 0);
	for (long k = 0; k < R->threads; k++) {
		if (pthread_create(&t[k], NULL, worker, R))
			break;
		started++;
	}
	if (!started)
		worker(R);
	for (long k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	free(t);
	return now_ms() - t0;
}

static int read_tokens(struct run *R)
{
	FILE *f = fopen(R->tokens, "r");
	char line[1024];
	long n = 0;

	if (!f) {
		fprintf(stderr, "loaddriver: cannot read '%s': %s\n", R->tokens, strerror(errno));
		return -1;
	}
	while (n < R->laptops && fgets(line, sizeof(line), f)) {
		char name[NAME_LEN], token[TOKEN_LEN];

		if (sscanf(line, "%63s %511s", name, token) != 2)
			continue;
		snprintf(R->lap[n].name, NAME_LEN, "%s", name);
		snprintf(R->lap[n].token, TOKEN_LEN, "%s", token);
		n++;
	}
	fclose(f);
	if (n < R->laptops) {
		fprintf(stderr, "loaddriver: '%s' has %ld tokens, %ld laptops asked\n",
			R->tokens, n, R->laptops);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* checks */

struct verdict {
	long long expected, found, lost, duplicated;
	long long central_records, laptops_behind, outbox_unacked, hwm_mismatch;
	long long integrity_bad, laptop_errors;
	char first_problem[600];
};

static void problem(struct verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->first_problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(v->first_problem, sizeof(v->first_problem), fmt, ap);
	va_end(ap);
}

static int64_t q_int(sqlite3 *db, const char *sql, const char *arg, int64_t dflt)
{
	sqlite3_stmt *st = NULL;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (arg)
			sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

static int integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0)
		ok = 1;
	sqlite3_finalize(st);
	return ok;
}

static void verify(struct run *R, struct verdict *v)
{
	sqlite3 *c = NULL;
	sqlite3_stmt *byid = NULL;
	char like[64];
	int64_t c_hh, c_in, head;

	memset(v, 0, sizeof(*v));
	for (long i = 0; i < R->laptops; i++) {
		v->expected += R->lap[i].households + R->lap[i].inspections;
		if (R->lap[i].error[0]) {
			v->laptop_errors++;
			problem(v, "%s: %s", R->lap[i].name, R->lap[i].error);
		}
	}
	if (sqlite3_open_v2(R->store, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		problem(v, "cannot open the central store '%s'", R->store);
		v->lost = v->expected;
		sqlite3_close(c);
		return;
	}
	sqlite3_busy_timeout(c, 10000);
	if (!integrity_ok(c)) {
		v->integrity_bad++;
		problem(v, "central store: integrity_check is not ok");
	}
	snprintf(like, sizeof(like), "%s-%%", R->prefix);
	c_hh = q_int(c, "SELECT count(*) FROM record WHERE kind = 'household' AND deleted = 0", NULL, -1);
	c_in = q_int(c, "SELECT count(*) FROM record WHERE kind = 'inspection' AND deleted = 0", NULL, -1);
	head = q_int(c, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version'", NULL, -1);
	v->central_records = q_int(c, "SELECT count(*) FROM record WHERE created_by LIKE ?1 "
				   "AND kind IN ('household', 'inspection')", like, -1);
	/* An outbox entry applied twice shows as two versions for one seq. */
	v->duplicated = q_int(c, "SELECT count(*) FROM (SELECT 1 FROM history "
			      "WHERE device LIKE ?1 AND seq IS NOT NULL GROUP BY device, seq "
			      "HAVING count(DISTINCT version) > 1)", like, -1);
	/* One write made two records: two households with one head. */
	v->duplicated += q_int(c, "SELECT count(*) FROM (SELECT 1 FROM field f "
			       "JOIN record r ON r.id = f.record_id WHERE r.created_by LIKE ?1 "
			       "AND f.name IN ('head', 'note') GROUP BY f.name, f.value "
			       "HAVING count(*) > 1)", like, -1);
	if (v->duplicated)
		problem(v, "%lld duplicated entries or records at the central", v->duplicated);
	if (sqlite3_prepare_v2(c, "SELECT created_by, deleted FROM record WHERE id = ?1",
			       -1, &byid, NULL) != SQLITE_OK) {
		problem(v, "cannot query the central store: %s", sqlite3_errmsg(c));
		v->lost = v->expected;
		sqlite3_close(c);
		return;
	}
	for (long i = 0; i < R->laptops; i++) {
		struct laptop *lp = &R->lap[i];
		sqlite3 *ld = NULL;
		int64_t hwm, maxseq, n, l_hh, l_in, cursor;

		for (size_t k = 0; k < lp->nids; k++) {
			int ok = 0;

			sqlite3_reset(byid);
			sqlite3_bind_text(byid, 1, lp->ids[k], -1, SQLITE_STATIC);
			if (sqlite3_step(byid) == SQLITE_ROW)
				ok = sqlite3_column_text(byid, 0) &&
				     strcmp((const char *)sqlite3_column_text(byid, 0), lp->name) == 0 &&
				     sqlite3_column_int(byid, 1) == 0;
			if (ok) {
				v->found++;
			} else {
				v->lost++;
				problem(v, "%s: record %s is not at the central", lp->name, lp->ids[k]);
			}
		}
		if (!lp->path[0] ||
		    sqlite3_open_v2(lp->path, &ld, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			sqlite3_close(ld);
			continue;
		}
		sqlite3_busy_timeout(ld, 10000);
		if (!integrity_ok(ld)) {
			v->integrity_bad++;
			problem(v, "%s: integrity_check is not ok", lp->name);
		}
		hwm = q_int(c, "SELECT hwm FROM device WHERE name = ?1", lp->name, -1);
		maxseq = q_int(ld, "SELECT coalesce(max(seq), 0) FROM outbox", NULL, -2);
		n = q_int(ld, "SELECT count(*) FROM outbox WHERE state != 'acked'", NULL, -1);
		l_hh = q_int(ld, "SELECT count(*) FROM household WHERE deleted = 0", NULL, -1);
		l_in = q_int(ld, "SELECT count(*) FROM inspection WHERE deleted = 0", NULL, -1);
		cursor = q_int(ld, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cursor'", NULL, -1);
		if (hwm != maxseq) {
			v->hwm_mismatch++;
			problem(v, "%s: central hwm %lld, laptop's last seq %lld", lp->name,
				(long long)hwm, (long long)maxseq);
		}
		if (n) {
			v->outbox_unacked += n;
			problem(v, "%s: %lld outbox entries not acknowledged", lp->name, (long long)n);
		}
		if (l_hh != c_hh || l_in != c_in || cursor != head) {
			v->laptops_behind++;
			problem(v, "%s: has %lld households, %lld inspections, cursor %lld; "
				"the central %lld, %lld, head %lld", lp->name, (long long)l_hh,
				(long long)l_in, (long long)cursor, (long long)c_hh,
				(long long)c_in, (long long)head);
		}
		sqlite3_close(ld);
	}
	sqlite3_finalize(byid);
	sqlite3_close(c);
}

/* ------------------------------------------------------------------ */

static const char usage[] =
"usage: loaddriver --url URL --store CENTRAL_DB [--tokens FILE] [--syncd PATH]\n"
"                  [--laptops N] [--records N] [--rounds N] [--threads N]\n"
"                  [--villages N] [--town NAME] [--dir DIR] [--out FILE]\n"
"                  [--keep] [--verbose]\n"
"       loaddriver fill --db PATH --records N --tag T --village V --group G\n"
"\n"
"Simulate N laptops writing and syncing concurrently against one central.\n"
"  --url URL        the central (it must be running)\n"
"  --store S        its SQLite store: devices are added with\n"
"                   `huce-syncd admin --store S device add`, and the result is\n"
"                   checked on it (read-only)\n"
"  --tokens FILE    lines \"NAME TOKEN\" of devices already added\n"
"  --syncd PATH     huce-syncd (default $HUCE_SYNCD)\n"
"  --laptops N      simulated laptops (default 300)\n"
"  --records N      records per laptop, half households and half passing\n"
"                   inspections (default 5)\n"
"  --rounds N       write-and-sync rounds the records are spread over (1)\n"
"  --threads N      laptops syncing at once (default 32)\n"
"  --dir DIR        where the laptops' stores go (default a new temp dir,\n"
"                   removed after a clean run unless --keep)\n"
"  --out FILE       write the result as JSON\n"
"Prints one summary line; exits 1 when anything was lost or duplicated, a\n"
"laptop did not converge, or a sync failed for good.\n";

static int rm_tree(const char *dir, const struct run *R)
{
	char p[PATH_MAX + 16];

	for (long i = 0; i < R->laptops; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

		for (size_t k = 0; k < 4; k++) {
			snprintf(p, sizeof(p), "%s/%s.db%s", dir, R->lap[i].name, sfx[k]);
			unlink(p);
		}
	}
	return rmdir(dir);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "store", required_argument, NULL, 's' },
		{ "tokens", required_argument, NULL, 'T' },
		{ "syncd", required_argument, NULL, 'S' },
		{ "laptops", required_argument, NULL, 'l' },
		{ "records", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "threads", required_argument, NULL, 't' },
		{ "villages", required_argument, NULL, 'V' },
		{ "town", required_argument, NULL, 'w' },
		{ "dir", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run R;
	struct verdict v;
	const char *out = NULL;
	char tmpdir[PATH_MAX], line[1024];
	double t_setup, t_rounds = 0, t_final, total_ms;
	double p50 = 0, p99 = 0, push50 = 0, push99 = 0, pull50 = 0, pull99 = 0;
	long long records;
	int keep = 0, ch, made_dir = 0, ok;
	cJSON *j, *a;

	if (argc > 1 && strcmp(argv[1], "fill") == 0)
		return fill_main(argc - 1, argv + 1);

	memset(&R, 0, sizeof(R));
	pthread_mutex_init(&R.lock, NULL);
	pthread_cond_init(&R.spawn_done, NULL);
	pthread_mutex_init(&R.sync_lat.lock, NULL);
	R.laptops = 300;
	R.records = 5;
	R.rounds = 1;
	R.threads = 32;
	R.villages = 12;
	R.town = "阿猛镇";
	R.syncd = getenv("HUCE_SYNCD");
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': R.url = optarg; break;
		case 's': R.store = optarg; break;
		case 'T': R.tokens = optarg; break;
		case 'S': R.syncd = optarg; break;
		case 'l': R.laptops = parse_long("--laptops", optarg, 1, 100000); break;
		case 'r': R.records = parse_long("--records", optarg, 0, 1000000); break;
		case 'R': R.rounds = parse_long("--rounds", optarg, 1, 10000); break;
		case 't': R.threads = parse_long("--threads", optarg, 1, 4096); break;
		case 'V': R.villages = parse_long("--villages", optarg, 1, 10000); break;
		case 'w': R.town = optarg; break;
		case 'd': R.dir = optarg; break;
		case 'o': out = optarg; break;
		case 'k': keep = 1; break;
		case 'v': R.verbose = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!R.url || !R.store || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!R.tokens && !R.syncd) {
		fputs("loaddriver: give --tokens FILE, or --syncd PATH (or $HUCE_SYNCD) "
		      "to add devices\n", stderr);
		return 2;
	}
	if (R.threads > R.laptops)
		R.threads = R.laptops;
	huce_log_set_level(HUCE_LOG_ERR);
	srand((unsigned)getpid());
	/*
	 * Once, before any thread: curl's global state and the checklists.
	 * Each simulated laptop's handle is used by one thread at a time, so
	 * SQLite needs no per-connection mutexes, and its global allocation
	 * counter (one mutex taken on every malloc) would make 300 laptops
	 * in one process wait for each other as real laptops never do.
	 */
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (make_template(&R.tmpl))
		return 1;
	if (!R.dir) {
		snprintf(tmpdir, sizeof(tmpdir), "%s/huce-load.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("loaddriver: mkdtemp");
			return 1;
		}
		R.dir = tmpdir;
		made_dir = 1;
	} else if (mkdir(R.dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "loaddriver: cannot create '%s': %s\n", R.dir, strerror(errno));
		return 1;
	}
	R.lap = xcalloc((size_t)R.laptops, sizeof(*R.lap));
	if (R.tokens) {
		if (read_tokens(&R))
			return 1;
		snprintf(R.prefix, sizeof(R.prefix), "%.31s", R.lap[0].name);
		{
			char *dash = strrchr(R.prefix, '-');

			if (dash)
				*dash = '\0';
		}
	} else {
		snprintf(R.prefix, sizeof(R.prefix), "load%lx", (unsigned long)time(NULL) ^
			 ((unsigned long)getpid() << 16));
		for (long i = 0; i < R.laptops; i++)
			snprintf(R.lap[i].name, NAME_LEN, "%s-%ld", R.prefix, i);
	}

	t_setup = phase(&R, job_setup);
	fprintf(stderr, "loaddriver: %ld laptops set up and enrolled in %.1f s\n",
		R.laptops, t_setup / 1e3);
	for (R.round = 0; R.round < R.rounds; R.round++) {
		double t = phase(&R, job_round);

		t_rounds += t;
		if (R.rounds > 1)
			fprintf(stderr, "loaddriver: round %ld/%ld in %.1f s\n",
				R.round + 1, R.rounds, t / 1e3);
	}
	t_final = phase(&R, job_final);
	total_ms = t_rounds + t_final;
	verify(&R, &v);

	records = v.expected;
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "url", R.url);
	cJSON_AddNumberToObject(j, "laptops", (double)R.laptops);
	cJSON_AddNumberToObject(j, "records_per_laptop", (double)R.records);
	cJSON_AddNumberToObject(j, "rounds", (double)R.rounds);
	cJSON_AddNumberToObject(j, "threads", (double)R.threads);
	cJSON_AddNumberToObject(j, "records", (double)records);
	cJSON_AddNumberToObject(j, "setup_s", t_setup / 1e3);
	cJSON_AddNumberToObject(j, "rounds_s", t_rounds / 1e3);
	cJSON_AddNumberToObject(j, "final_pass_s", t_final / 1e3);
	cJSON_AddNumberToObject(j, "write_s_all_threads", R.write_ms / 1e3);
	cJSON_AddNumberToObject(j, "records_per_s", total_ms > 0 ? (double)records * 1e3 / total_ms : 0);
	cJSON_AddNumberToObject(j, "entries_pushed", (double)R.pushed);
	cJSON_AddNumberToObject(j, "records_pulled", (double)R.pulled);
	cJSON_AddNumberToObject(j, "pulled_per_s", total_ms > 0 ? (double)R.pulled * 1e3 / total_ms : 0);
	cJSON_AddNumberToObject(j, "quarantined", (double)R.quarantined);
	cJSON_AddNumberToObject(j, "requests", (double)R.requests);
	cJSON_AddNumberToObject(j, "bytes_up", (double)R.bytes_up);
	cJSON_AddNumberToObject(j, "bytes_down", (double)R.bytes_down);
	samples_summary(&R.sync_lat, j, "sync_latency", &p50, &p99);
	samples_summary(&push_lat, j, "push_request_latency", &push50, &push99);
	samples_summary(&pull_lat, j, "pull_request_latency", &pull50, &pull99);
	a = cJSON_AddObjectToObject(j, "http_status");
	cJSON_AddNumberToObject(a, "2xx", (double)atomic_load(&st_2xx));
	cJSON_AddNumberToObject(a, "409", (double)atomic_load(&st_409));
	cJSON_AddNumberToObject(a, "413", (double)atomic_load(&st_413));
	cJSON_AddNumberToObject(a, "429", (double)atomic_load(&st_429));
	cJSON_AddNumberToObject(a, "other_4xx", (double)atomic_load(&st_4xx));
	cJSON_AddNumberToObject(a, "5xx", (double)atomic_load(&st_5xx));
	cJSON_AddNumberToObject(a, "transport_errors", (double)atomic_load(&st_neterr));
	cJSON_AddNumberToObject(j, "admin_retries", (double)R.admin_retries);
	cJSON_AddNumberToObject(j, "enroll_retries", (double)R.enroll_retries);
	a = cJSON_AddObjectToObject(j, "sync_retries");
	cJSON_AddNumberToObject(a, "total", (double)R.sync_retries);
	for (int k = 1; k < HUCE_E__COUNT; k++)
		if (R.retry_by_code[k])
			cJSON_AddNumberToObject(a, huce_err_name((enum huce_err)k),
						(double)R.retry_by_code[k]);
	cJSON_AddNumberToObject(j, "syncs_failed", (double)R.sync_failed);
	a = cJSON_AddObjectToObject(j, "check");
	cJSON_AddNumberToObject(a, "expected", (double)v.expected);
	cJSON_AddNumberToObject(a, "found", (double)v.found);
	cJSON_AddNumberToObject(a, "central_records", (double)v.central_records);
	cJSON_AddNumberToObject(a, "lost", (double)v.lost);
	cJSON_AddNumberToObject(a, "duplicated", (double)v.duplicated);
	cJSON_AddNumberToObject(a, "laptops_behind", (double)v.laptops_behind);
	cJSON_AddNumberToObject(a, "outbox_unacked", (double)v.outbox_unacked);
	cJSON_AddNumberToObject(a, "hwm_mismatch", (double)v.hwm_mismatch);
	cJSON_AddNumberToObject(a, "integrity_bad", (double)v.integrity_bad);
	cJSON_AddNumberToObject(a, "laptop_errors", (double)v.laptop_errors);
	if (v.first_problem[0])
		cJSON_AddStringToObject(a, "first_problem", v.first_problem);
	ok = !v.lost && !v.duplicated && !v.laptops_behind && !v.outbox_unacked &&
	     !v.hwm_mismatch && !v.integrity_bad && !v.laptop_errors &&
	     !R.sync_failed && v.central_records == v.expected;
	cJSON_AddBoolToObject(j, "ok", ok);

	snprintf(line, sizeof(line),
		 "load: laptops=%ld records=%lld rounds=%ld threads=%ld time=%.1fs "
		 "throughput=%.0f rec/s pulled=%lld (%.0f/s) sync_p50=%.0fms sync_p99=%.0fms "
		 "push_p50=%.0fms push_p99=%.0fms pull_p50=%.0fms pull_p99=%.0fms "
		 "429=%lld retries=%lld lost=%lld duplicated=%lld%s",
		 R.laptops, records, R.rounds, R.threads, total_ms / 1e3,
		 total_ms > 0 ? (double)records * 1e3 / total_ms : 0, R.pulled,
		 total_ms > 0 ? (double)R.pulled * 1e3 / total_ms : 0, p50, p99,
		 push50, push99, pull50, pull99, (long long)atomic_load(&st_429),
		 R.sync_retries, v.lost, v.duplicated, ok ? "" : " FAILED");
	puts(line);
	if (!ok)
		fprintf(stderr, "loaddriver: %s\n", v.first_problem[0] ? v.first_problem :
			"central record count differs from what the laptops wrote");
	if (out) {
		char *text = cJSON_Print(j);
		FILE *f = fopen(out, "w");

		if (!f || !text || fputs(text, f) < 0 || fputc('\n', f) < 0) {
			fprintf(stderr, "loaddriver: cannot write '%s'\n", out);
			ok = 0;
		}
		if (f)
			fclose(f);
		free(text);
	}
	cJSON_Delete(j);
	if (made_dir && ok && !keep)
		rm_tree(R.dir, &R);
	else if (made_dir)
		fprintf(stderr, "loaddriver: laptops' stores kept in %s\n", R.dir);
	for (long i = 0; i < R.laptops; i++)
		free(R.lap[i].ids);
	free(R.lap);
	free(R.sync_lat.v);
	free(push_lat.v);
	free(pull_lat.v);
	free_template(&R.tmpl);
	curl_global_cleanup();
	return ok ? 0 : 1;
}
