/*
 * growth.c - the growth row: the central's merge cost per record at 10k,
 * 100k and 1M stored, measured close together in time (issue 14).
 *
 * The row used to come from the 1M-record push itself: three-batch windows
 * at 10k, 100k and 1M stored, minutes apart.  On a shared machine whose
 * speed drifts by 20-60 % over minutes that compared the machine with
 * itself more than the store with itself (docs/PERFORMANCE.md, "The growth
 * row, measured interleaved").  Here every stored size is measured in every
 * round, the sizes back to back within seconds, in a rotating order, so
 * that drift falls on all sizes alike:
 *
 *   1. Stores of the first N records of the data set (each N of --points):
 *      the data set's outbox sent as the agent sends it (its batch
 *      budget, 256 KiB doubling to 1 MiB) through central_apply_batch()
 *      into one store, copied aside when it first holds >= N records.
 *      --store adds a store made elsewhere (the big push's central store
 *      after its central stopped); it is only read.
 *   2. R rounds (--rounds).  A round copies every store afresh (and
 *      syncs the copies, so that no writeback of the copy runs under the
 *      timing) and opens them all.  To each it applies the records that
 *      follow the store's last one in the same data set, as the same
 *      device, in batches of 1 MiB: --warmup batches first (the first
 *      batch after an open fills SQLite's empty page cache; the central
 *      runs warm), then --batches timed ones, interleaved: batch k to
 *      every store, then batch k+1 to every store, the order of the
 *      stores rotated by one at each step.  Each batch is timed by this
 *      process's CPU clock (CLOCK_PROCESS_CPUTIME_ID, nanoseconds) around
 *      central_apply_batch(): decode, checks, merge, commit.  The sizes
 *      are thus measured within a fraction of a second of each other.
 * The batches of a store are the same in every round: only the machine
 * varies between rounds.
 *
 *   huce-bench-growth --db DATA.db --dir TMPDIR --device NAME
 *                     [--points N,N..] [--store PATH] [--rounds R]
 *                     [--batches K] [--warmup W]
 *
 * Prints one JSON object: per store its size and per round every batch
 * ([stored before, entries, CPU s, wall s, step, position in the step],
 * warm-up batches first).  The data set is only read; the copies are
 * removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central.h"
#include "huce_batch.h"
#include "huce_checklist.h"
#include "huce_crypto.h"
#include "huce_db.h"
#include "huce_local.h"
#include "huce_outbox.h"
#include "store.h"

/* The agent's batch budget (syncd/agent/sync.c): the first, and the largest. */
#define BATCH_RAW_START	(256u << 10)
#define BATCH_RAW_MAX	(1u << 20)

#define MAX_STORES	8
#define MAX_ROUNDS	32
#define MAX_BATCHES	16

struct bstat {
	int64_t before, entries;
	double cpu, wall;
	int step, position;	/* when it ran: k-th batch, i-th store of k */
};

struct run {
	struct bstat b[MAX_BATCHES];
	int nb;
};

struct base {
	char path[4096];	/* the store as made (or given) */
	char copy[4096];	/* this round's copy */
	struct central c;	/* the copy, open during a round */
	struct huce_buf batches[MAX_BATCHES];	/* what follows its records */
	int64_t counts[MAX_BATCHES];
	int built;		/* made here from the data set */
	int64_t stored;		/* the device's high-water mark: records held */
	double build_cpu;	/* CPU seconds to make it (built stores) */
	struct run runs[MAX_ROUNDS];
};

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Copy a closed file, synced to disk; a missing source is not an error
 * when optional (a store's -wal). */
static int copy_file(const char *from, const char *to, int optional)
{
	static char buf[1u << 20];
	int in = open(from, O_RDONLY), out;
	ssize_t n = 0;

	if (in < 0) {
		if (optional && errno == ENOENT)
			return 0;
		fprintf(stderr, "huce-bench-growth: cannot open '%s': %s\n", from, strerror(errno));
		return -1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0) {
		fprintf(stderr, "huce-bench-growth: cannot create '%s': %s\n", to, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0) {
				n = -1;
				break;
			}
			done += w;
		}
		if (n < 0)
			break;
	}
	if (n < 0 || fdatasync(out)) {
		fprintf(stderr, "huce-bench-growth: cannot copy '%s' to '%s': %s\n", from, to,
			strerror(errno));
		close(in);
		close(out);
		return -1;
	}
	close(in);
	return close(out) ? -1 : 0;
}

/* Copy a closed SQLite store (and its WAL, should one be left). */
static int copy_store(const char *from, const char *to)
{
	char a[4200], b[4200];

	snprintf(a, sizeof(a), "%s-wal", from);
	snprintf(b, sizeof(b), "%s-wal", to);
	unlink(b);
	snprintf(b, sizeof(b), "%s-shm", to);
	unlink(b);
	snprintf(b, sizeof(b), "%s-wal", to);
	return copy_file(from, to, 0) || copy_file(a, b, 1) ? -1 : 0;
}

static void remove_store(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* The next batch of the data set after seq *after, as the agent encodes it. */
static int next_batch(struct huce_local *l, const char *device, int64_t *after,
		      size_t budget, struct huce_buf *payload, struct huce_buf *batch,
		      int64_t *count)
{
	struct huce_error err = { 0 };
	int64_t first, last;

	if (huce_outbox_payload(l, *after, budget, payload, &first, &last, count, &err)) {
		fprintf(stderr, "huce-bench-growth: build: %s\n", err.msg);
		return -1;
	}
	if (!*count)
		return 0;
	huce_buf_reset(batch);
	if (huce_batch_encode(device, (uint64_t)first, (uint64_t)last, (uint32_t)*count,
			      payload->data, payload->len, -1, batch, &err)) {
		fprintf(stderr, "huce-bench-growth: encode: %s\n", err.msg);
		return -1;
	}
	*after = last;
	return 0;
}

/* Apply one batch; every entry must land (none rejected, none a replay). */
static int apply(struct central *c, const char *device, const struct huce_buf *batch,
		 int64_t count)
{
	struct huce_error err = { 0 };
	cJSON *result = NULL;
	uint64_t expected = 0;
	double applied;
	int bad;

	if (central_apply_batch(c, device, batch->data, batch->len, &result, &expected, &err)) {
		fprintf(stderr, "huce-bench-growth: apply: %s\n", err.msg);
		return -1;
	}
	applied = cJSON_GetNumberValue(cJSON_GetObjectItem(result, "applied"));
	bad = cJSON_GetArraySize(cJSON_GetObjectItem(result, "rejected")) != 0 ||
	      applied != (double)count;
	if (bad)
		fprintf(stderr, "huce-bench-growth: %lld entries sent, %.0f applied, %d rejected\n",
			(long long)count, applied,
			cJSON_GetArraySize(cJSON_GetObjectItem(result, "rejected")));
	cJSON_Delete(result);
	return bad ? -1 : 0;
}

static int open_central(struct central *c, const char *path)
{
	struct huce_error err = { 0 };

	if (store_open(&c->store, path, &err)) {
		fprintf(stderr, "huce-bench-growth: %s: %s\n", path, err.msg);
		return -1;
	}
	return 0;
}

static void close_central(struct central *c)
{
	store_close(c->store);
	c->store = NULL;
}

/* The device's high-water mark in an open store, or -1. */
static int64_t device_hwm(struct central *c, const char *device)
{
	struct huce_error err = { 0 };
	struct store_device d;
	enum huce_err rc = store_begin(c->store, 0, &err);

	if (!rc)
		rc = store_device_get(c->store, device, &d, &err);
	store_rollback(c->store);
	if (rc) {
		fprintf(stderr, "huce-bench-growth: device '%s': %s\n", device, err.msg);
		return -1;
	}
	return d.hwm;
}

/*
 * Make the stores of --points: one store grown batch by batch, copied
 * aside (closed, so whole in one file) each time it first holds a point.
 */
static int build(struct central *c, struct huce_local *l, const char *device,
		 const char *dir, struct base *bases, int nbases,
		 struct huce_buf *payload, struct huce_buf *batch)
{
	struct huce_error err = { 0 };
	char path[4096], hash[65];
	size_t budget = BATCH_RAW_START;
	int64_t after = 0, stored = 0, count;
	double cpu = 0;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/build.db", dir);
	remove_store(path);
	if (open_central(c, path))
		return -1;
	huce_sha256_hex(device, strlen(device), hash);
	if (store_device_add(c->store, device, hash, &err)) {
		fprintf(stderr, "huce-bench-growth: device: %s\n", err.msg);
		goto out;
	}
	for (int i = 0; i < nbases; i++) {
		while (stored < bases[i].stored) {
			double c0;

			if (next_batch(l, device, &after, budget, payload, batch, &count))
				goto out;
			if (!count) {
				fprintf(stderr, "huce-bench-growth: the data set holds %lld records, "
					"fewer than %lld\n", (long long)stored,
					(long long)bases[i].stored);
				goto out;
			}
			c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
			if (apply(c, device, batch, count))
				goto out;
			cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
			stored += count;
			if (budget * 2 <= BATCH_RAW_MAX)
				budget *= 2;
		}
		close_central(c);
		snprintf(bases[i].path, sizeof(bases[i].path), "%s/base-%lld.db", dir,
			 (long long)stored);
		if (copy_store(path, bases[i].path) || open_central(c, path))
			goto out;
		bases[i].stored = stored;
		bases[i].build_cpu = cpu;
	}
	ret = 0;
out:
	close_central(c);
	remove_store(path);
	return ret;
}

/* Open a store's fresh copy and build the batches that follow its records
 * (untimed: the same bytes every round). */
static int prepare(struct huce_local *l, const char *device, struct base *b,
		   int nbatches, struct huce_buf *payload)
{
	int64_t after;

	if (open_central(&b->c, b->copy))
		return -1;
	after = device_hwm(&b->c, device);
	if (after < 0)
		return -1;
	if (b->built && after != b->stored) {
		fprintf(stderr, "huce-bench-growth: %s holds %lld records of '%s', not %lld\n",
			b->copy, (long long)after, device, (long long)b->stored);
		return -1;
	}
	b->stored = after;
	for (int i = 0; i < nbatches; i++) {
		if (next_batch(l, device, &after, BATCH_RAW_MAX, payload, &b->batches[i],
			       &b->counts[i]))
			return -1;
		if (!b->counts[i]) {
			fprintf(stderr, "huce-bench-growth: no records follow the %lld of %s in "
				"the data set (%d of %d batches)\n", (long long)b->stored, b->path,
				i, nbatches);
			return -1;
		}
	}
	return 0;
}

/* Apply batch k of store b, timed. */
static int step(const char *device, struct base *b, struct run *r, int k, int position)
{
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_s(CLOCK_MONOTONIC);
	struct bstat *st = &r->b[k];

	if (apply(&b->c, device, &b->batches[k], b->counts[k]))
		return -1;
	st->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	st->wall = clock_s(CLOCK_MONOTONIC) - t0;
	st->before = k ? r->b[k - 1].before + r->b[k - 1].entries : b->stored;
	st->entries = b->counts[k];
	st->step = k;
	st->position = position;
	r->nb = k + 1;
	return 0;
}

/* One round: every store's fresh copy, the batches interleaved. */
static int round_run(struct huce_local *l, const char *device, struct base *bases,
		     int nbases, int r, int warmup, int timed, struct huce_buf *payload,
		     double *copy_s)
{
	double t0 = clock_s(CLOCK_MONOTONIC);
	int ret = -1;

	for (int i = 0; i < nbases; i++)
		if (copy_store(bases[i].path, bases[i].copy))
			return -1;
	*copy_s += clock_s(CLOCK_MONOTONIC) - t0;
	for (int i = 0; i < nbases; i++)
		if (prepare(l, device, &bases[i], warmup + timed, payload))
			goto out;
	for (int k = 0; k < warmup + timed; k++)
		for (int j = 0; j < nbases; j++) {
			int i = (r * (warmup + timed) + k + j) % nbases;

			if (step(device, &bases[i], &bases[i].runs[r], k, j))
				goto out;
		}
	ret = 0;
out:
	for (int i = 0; i < nbases; i++) {
		close_central(&bases[i].c);
		remove_store(bases[i].copy);
	}
	return ret;
}

/* "10000,100000" -> sizes; the count, or -1 */
static int parse_points(const char *s, struct base *bases, int max)
{
	int n = 0;

	while (*s) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (end == s || v <= 0 || n == max || (*end && *end != ','))
			return -1;
		if (n && v <= bases[n - 1].stored)
			return -1;	/* ascending */
		bases[n].built = 1;
		bases[n++].stored = v;
		s = *end ? end + 1 : end;
	}
	return n;
}

static int parse_int(const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	return end == s || *end || v < lo || v > hi ? -1 : (int)v;
}

static const char usage[] =
"usage: huce-bench-growth --db DATA.db --dir TMPDIR --device NAME [--points N,N..]\n"
"                         [--store PATH] [--rounds R] [--batches K] [--warmup W]\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "device", required_argument, NULL, 'v' },
		{ "points", required_argument, NULL, 'p' },
		{ "store", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "batches", required_argument, NULL, 'b' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *dir = NULL, *device = NULL, *points = NULL, *given = NULL;
	int rounds = 3, timed = 3, warmup = 1, nbases = 0, ch, ret = 1;
	struct base *bases = calloc(MAX_STORES, sizeof(*bases));
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };
	struct central c = { 0 };
	struct huce_buf payload = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW);
	struct huce_buf batch = HUCE_BUF_INIT(HUCE_BATCH_MAX_RAW + 65536);
	double t_start = clock_s(CLOCK_MONOTONIC), copy_s = 0;

	for (int i = 0; bases && i < MAX_STORES; i++)
		for (int k = 0; k < MAX_BATCHES; k++)
			huce_buf_init(&bases[i].batches[k], HUCE_BATCH_MAX_RAW + 65536);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'D': dir = optarg; break;
		case 'v': device = optarg; break;
		case 'p': points = optarg; break;
		case 's': given = optarg; break;
		case 'r': rounds = parse_int(optarg, 1, MAX_ROUNDS); break;
		case 'b': timed = parse_int(optarg, 1, MAX_BATCHES - 1); break;
		case 'w': warmup = parse_int(optarg, 0, MAX_BATCHES - 1); break;
		case 'h': fputs(usage, stdout); ret = 0; goto out;
		default: fputs(usage, stderr); ret = 2; goto out;
		}
	}
	if (!bases || !db || !dir || !device || (!points && !given) || rounds < 0 ||
	    timed < 0 || warmup < 0 || timed + warmup > MAX_BATCHES ||
	    (points && (nbases = parse_points(points, bases, MAX_STORES - 1)) < 0)) {
		fputs(usage, stderr);
		ret = 2;
		goto out;
	}
	if (huce_local_open(&l, db, &err) ||
	    huce_checklists_load(&c.checklists, NULL, &err)) {
		fprintf(stderr, "huce-bench-growth: %s\n", err.msg);
		goto out;
	}
	if (nbases && build(&c, l, device, dir, bases, nbases, &payload, &batch))
		goto out;
	if (given) {
		snprintf(bases[nbases].path, sizeof(bases[nbases].path), "%s", given);
		nbases++;
	}
	for (int i = 0; i < nbases; i++) {
		snprintf(bases[i].copy, sizeof(bases[i].copy), "%s/probe-%d.db", dir, i);
		bases[i].c.checklists = c.checklists;
	}
	for (int r = 0; r < rounds; r++)
		if (round_run(l, device, bases, nbases, r, warmup, timed, &payload, &copy_s))
			goto out;


	printf("{\"device\":\"%s\",\"rounds\":%d,\"warmup\":%d,\"timed_batches\":%d,"
	       "\"batch_raw\":%u,\"batch_fields\":[\"stored_before\",\"entries\",\"cpu_s\","
	       "\"wall_s\",\"step\",\"position\"],\"copy_s\":%.3f,\"seconds\":%.3f,"
	       "\"stores\":[", device, rounds, warmup, timed, BATCH_RAW_MAX, copy_s,
	       clock_s(CLOCK_MONOTONIC) - t_start);
	for (int i = 0; i < nbases; i++) {
		printf("%s{\"stored\":%lld,\"source\":\"%s\",\"build_cpu_s\":%.3f,\"runs\":[",
		       i ? "," : "", (long long)bases[i].stored, bases[i].built ? "built" : "given",
		       bases[i].build_cpu);
		for (int r = 0; r < rounds; r++) {
			const struct run *run = &bases[i].runs[r];
			int64_t n = 0;
			double cpu = 0, wall = 0;

			printf("%s{\"round\":%d,\"batches\":[", r ? "," : "", r);
			for (int k = 0; k < run->nb; k++) {
				printf("%s[%lld,%lld,%.6f,%.6f,%d,%d]", k ? "," : "",
				       (long long)run->b[k].before, (long long)run->b[k].entries,
				       run->b[k].cpu, run->b[k].wall, run->b[k].step,
				       run->b[k].position);
				if (k < warmup)
					continue;
				n += run->b[k].entries;
				cpu += run->b[k].cpu;
				wall += run->b[k].wall;
			}
			printf("],\"entries\":%lld,\"cpu_us_per_record\":%.3f,"
			       "\"wall_us_per_record\":%.3f}", (long long)n,
			       n ? cpu * 1e6 / (double)n : 0.0, n ? wall * 1e6 / (double)n : 0.0);
		}
		printf("]}");
	}
	printf("]}\n");
	ret = 0;
out:
	for (int i = 0; bases && i < nbases; i++) {
		if (bases[i].copy[0])
			remove_store(bases[i].copy);
		if (bases[i].built && bases[i].path[0])
			remove_store(bases[i].path);
	}
	for (int i = 0; bases && i < MAX_STORES; i++)
		for (int k = 0; k < MAX_BATCHES; k++)
			huce_buf_release(&bases[i].batches[k]);
	huce_buf_release(&payload);
	huce_buf_release(&batch);
	free(bases);
	store_close(c.store);
	huce_checklists_free(c.checklists);
	huce_local_close(l);
	return ret;
}
