/*
 * townweek.c - a town's week: every cadre's laptop syncs at once (issue 5).
 *
 * DIR holds one local store per laptop (laptop-NNN.db, written by
 * huce-bench-gen --split-dir on top of a copy of a laptop that synced
 * last week).  Each laptop gets a thread that enrols it with the token
 * from TOKENS ("NAME TOKEN" lines) and opens its store; then all threads
 * start together and run huce_sync_run() (the code of `huce sync`: push,
 * then pull) against one central.  --sequential runs the same syncs one
 * after another instead: the same work without contention, the
 * baseline the concurrent run is compared with.
 *
 *   huce-bench-town --dir DIR --url URL --tokens FILE [--sequential]
 *
 * Prints one JSON object: wall time from the common start to the last
 * laptop done, records pushed and pulled, requests, bytes, per-laptop
 * latency percentiles and failures.
 */
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "huce_local.h"
#include "sync.h"

#define MAX_LAPTOPS 4096

struct laptop {
	char name[64];
	char path[4096];
	char token[256];
	pthread_t th;
	struct huce_sync_stats st;
	struct huce_error err;
	enum huce_err rc;
	double t0, t1;
};

static const char *url;
static pthread_barrier_t start;
static int sequential;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static enum huce_err prepare(struct laptop *lp, struct huce_local **l)
{
	struct huce_sync_opts o = { 0 };
	enum huce_err rc = huce_local_open(l, lp->path, &lp->err);

	if (!rc)
		rc = huce_sync_enroll(*l, url, lp->token, &o, &lp->err);
	return rc;
}

static void run_sync(struct laptop *lp, struct huce_local *l)
{
	struct huce_sync_opts o = { 0 };

	lp->t0 = now_s();
	lp->rc = huce_sync_run(l, &o, &lp->st, &lp->err);
	lp->t1 = now_s();
}

static void *thread_main(void *arg)
{
	struct laptop *lp = arg;
	struct huce_local *l = NULL;
	enum huce_err rc = prepare(lp, &l);

	pthread_barrier_wait(&start);
	if (rc) {
		lp->rc = rc;
		lp->t0 = lp->t1 = now_s();
	} else {
		run_sync(lp, l);
	}
	huce_local_close(l);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, 'u' },
		{ "tokens", required_argument, NULL, 't' },
		{ "sequential", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *tokens = NULL;
	static struct laptop laps[MAX_LAPTOPS];
	int n = 0, ch, failures = 0;
	FILE *fp;
	char line[512];
	double t0, t1, *lat;
	long long pushed = 0, pulled = 0, quarantined = 0, requests = 0, up = 0, down = 0;
	const char *first_error = NULL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'u': url = optarg; break;
		case 't': tokens = optarg; break;
		case 's': sequential = 1; break;
		default:
			fputs("usage: huce-bench-town --dir DIR --url URL --tokens FILE [--sequential]\n",
			      stderr);
			return 2;
		}
	}
	if (!dir || !url || !tokens) {
		fputs("usage: huce-bench-town --dir DIR --url URL --tokens FILE [--sequential]\n",
		      stderr);
		return 2;
	}
	fp = fopen(tokens, "r");
	if (!fp) {
		perror(tokens);
		return 1;
	}
	while (n < MAX_LAPTOPS && fgets(line, sizeof(line), fp)) {
		struct laptop *lp = &laps[n];

		if (sscanf(line, "%63s %255s", lp->name, lp->token) != 2)
			continue;
		{
			char name[64];

			memcpy(name, lp->name, sizeof(name));
			snprintf(lp->path, sizeof(lp->path), "%.3900s/%.63s.db", dir, name);
		}
		n++;
	}
	fclose(fp);
	if (!n) {
		fprintf(stderr, "huce-bench-town: no laptops in %s\n", tokens);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sequential) {
		/* enrol all first, then time the syncs one after another */
		struct huce_local **ls = calloc((size_t)n, sizeof(*ls));

		for (int i = 0; ls && i < n; i++)
			laps[i].rc = prepare(&laps[i], &ls[i]);
		t0 = now_s();
		for (int i = 0; ls && i < n; i++) {
			if (!laps[i].rc)
				run_sync(&laps[i], ls[i]);
			else
				laps[i].t0 = laps[i].t1 = now_s();
		}
		t1 = now_s();
		for (int i = 0; ls && i < n; i++)
			huce_local_close(ls[i]);
		free(ls);
	} else {
		pthread_barrier_init(&start, NULL, (unsigned)n + 1);
		for (int i = 0; i < n; i++) {
			pthread_attr_t a;

			pthread_attr_init(&a);
			pthread_attr_setstacksize(&a, 1u << 20);
			if (pthread_create(&laps[i].th, &a, thread_main, &laps[i])) {
				fprintf(stderr, "huce-bench-town: cannot start thread %d\n", i);
				return 1;
			}
			pthread_attr_destroy(&a);
		}
		pthread_barrier_wait(&start);
		t0 = now_s();
		for (int i = 0; i < n; i++)
			pthread_join(laps[i].th, NULL);
		t1 = now_s();
		pthread_barrier_destroy(&start);
	}
	lat = calloc((size_t)n, sizeof(*lat));
	for (int i = 0; i < n; i++) {
		struct laptop *lp = &laps[i];

		if (lp->rc) {
			failures++;
			if (!first_error)
				first_error = lp->err.msg;
		}
		pushed += lp->st.pushed;
		pulled += lp->st.pulled;
		quarantined += lp->st.quarantined;
		requests += lp->st.requests;
		up += lp->st.bytes_up;
		down += lp->st.bytes_down;
		if (lat)
			lat[i] = lp->t1 - lp->t0;
	}
	if (lat)
		qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("{\"mode\":\"%s\",\"laptops\":%d,\"wall_s\":%.6f,\"pushed\":%lld,"
	       "\"pulled\":%lld,\"quarantined\":%lld,\"requests\":%lld,\"bytes_up\":%lld,"
	       "\"bytes_down\":%lld,\"failures\":%d,\"sync_s_p50\":%.6f,\"sync_s_p90\":%.6f,"
	       "\"sync_s_max\":%.6f,\"pushed_per_s\":%.1f,\"first_error\":\"",
	       sequential ? "sequential" : "concurrent", n, t1 - t0, pushed, pulled,
	       quarantined, requests, up, down, failures,
	       lat ? lat[n / 2] : 0.0, lat ? lat[(n * 9) / 10] : 0.0,
	       lat ? lat[n - 1] : 0.0, (double)pushed / (t1 - t0));
	for (const char *p = first_error ? first_error : ""; *p; p++)
		if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			putchar(*p);
	printf("\"}\n");
	free(lat);
	curl_global_cleanup();
	return failures ? 1 : 0;
}
