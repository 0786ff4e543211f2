/*
 * syncbench.c - times the laptop's real push and pull against a central.
 *
 * The code under test is syncd/agent/sync.c itself (libhuce-sync), whose
 * huce_sync_push() and huce_sync_pull() are timed apart:
 * `huce sync` runs both back to back, and the peer's push figure is a
 * push alone.  Every HTTP request sync.c makes goes through a thin hook
 * that times it and, on request, keeps a copy of each batch it POSTs
 * (the "same batch bytes" the codec and transport limits are measured
 * on).  Nothing else differs from `huce sync`: same libcurl client, same
 * batch sizing, same local transactions.
 *
 *   huce-bench-sync --db DEV.db --mode push|pull|sync [--save-batches DIR]
 *   huce-bench-sync --mode post --url URL --batches DIR [--repeat N]
 *
 * --mode post is the transport limit: POST the saved batch files to URL
 * (tests/bench/discard.c, a handler that throws the bytes away) through
 * the same libcurl client and count MB/s and requests/s.
 *
 * --requests adds per_request: [post, status, entries, raw bytes, body
 * bytes, response bytes, seconds, central CPU seconds]; the last is
 * measured from /proc/PID/stat when --central-pid names the central.
 *
 * Prints one JSON object on stdout.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http_client.h"
#include "huce_batch.h"
#include "huce_db.h"
#include "sync.h"

/*
 * sync.c's requests go through the hook below: the program is linked
 * with -Wl,--wrap=huce_http_request (tests/bench/meson.build), and the
 * real function is __real_huce_http_request.
 */
enum huce_err __wrap_huce_http_request(struct huce_http *h, const char *url,
				       const char *content_type,
				       const void *body, size_t len,
				       struct huce_http_resp *resp,
				       struct huce_error *err);
enum huce_err __real_huce_http_request(struct huce_http *h, const char *url,
				       const char *content_type,
				       const void *body, size_t len,
				       struct huce_http_resp *resp,
				       struct huce_error *err);

/* CPU seconds (user + system) this process has used. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct req_rec {
	int post;
	double central_cpu;	/* CPU seconds the central spent meanwhile (--central-pid) */
	long status;
	uint32_t count;		/* entries in the batch (POST) */
	uint64_t raw;		/* uncompressed payload bytes (POST) */
	size_t body, resp;	/* bytes sent / received (bodies only) */
	double seconds;
};

static struct req_rec *reqs;
static int central_pid;

/* CPU seconds (user + system) process pid has used, or 0.  The
 * process's CPU clock counts in nanoseconds; /proc/PID/stat, the
 * fallback, only in ticks of 10 ms, which is 5 µs per record of a
 * 2,000-record batch: too coarse for the growth row's per-batch figures. */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	clockid_t cid;
	struct timespec ts;
	FILE *fp;
	size_t n;

	if (clock_getcpuclockid((pid_t)pid, &cid) == 0 && clock_gettime(cid, &ts) == 0)
		return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* fields after the command name */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
static size_t nreq, areq;
static const char *save_dir;
static unsigned saved;

enum huce_err __wrap_huce_http_request(struct huce_http *h, const char *url,
				       const char *content_type,
				       const void *body, size_t len,
				       struct huce_http_resp *resp,
				       struct huce_error *err)
{
	struct req_rec r = { 0 };
	double t0 = now_s(), c0 = central_pid ? proc_cpu_s(central_pid) : 0;
	enum huce_err rc;

	if (body) {
		struct huce_batch_header bh;

		r.post = 1;
		r.body = len;
		if (huce_batch_decode_header(body, len, &bh, NULL, NULL) == HUCE_OK) {
			r.count = bh.count;
			r.raw = bh.raw_len;
		}
		if (save_dir) {
			char path[4096];
			FILE *fp;

			snprintf(path, sizeof(path), "%s/batch-%05u.huce", save_dir, saved++);
			fp = fopen(path, "wb");
			if (fp) {
				fwrite(body, 1, len, fp);
				fclose(fp);
			}
		}
	}
	rc = __real_huce_http_request(h, url, content_type, body, len, resp, err);
	r.seconds = now_s() - t0;
	if (central_pid)
		r.central_cpu = proc_cpu_s(central_pid) - c0;
	r.status = resp->status;
	r.resp = resp->body.len;
	if (nreq == areq) {
		size_t na = areq ? areq * 2 : 256;
		struct req_rec *nv = realloc(reqs, na * sizeof(*nv));

		if (!nv)
			return rc;
		reqs = nv;
		areq = na;
	}
	reqs[nreq++] = r;
	return rc;
}

static void print_requests(void)
{
	printf(",\"per_request\":[");
	for (size_t i = 0; i < nreq; i++)
		printf("%s[%d,%ld,%u,%llu,%zu,%zu,%.6f,%.3f]", i ? "," : "", reqs[i].post,
		       reqs[i].status, (unsigned)reqs[i].count,
		       (unsigned long long)reqs[i].raw, reqs[i].body, reqs[i].resp,
		       reqs[i].seconds, reqs[i].central_cpu);
	printf("]");
}

/* --mode post: the transport limit */
static int post_files(const char *url, const char *dir, int repeat)
{
	struct huce_http h;
	struct huce_error err = { 0 };
	struct huce_http_resp resp = { 0 };
	struct dirent **names = NULL;
	struct huce_buf *files;
	int n = scandir(dir, &names, NULL, alphasort), nfiles = 0, ret = 1;
	double t0, t1;
	long long bytes = 0, requests = 0, entries = 0;

	if (n < 0) {
		perror(dir);
		return 1;
	}
	files = calloc((size_t)n + 1, sizeof(*files));
	for (int i = 0; i < n; i++) {
		char path[4096];
		FILE *fp;
		char chunk[65536];
		size_t k;

		if (strstr(names[i]->d_name, ".huce") && files) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			fp = fopen(path, "rb");
			if (fp) {
				huce_buf_init(&files[nfiles], (size_t)1 << 30);
				while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
					huce_buf_add(&files[nfiles], chunk, k);
				fclose(fp);
				nfiles++;
			}
		}
		free(names[i]);
	}
	free(names);
	if (!files || !nfiles) {
		fprintf(stderr, "huce-bench-sync: no .huce files in %s\n", dir);
		free(files);
		return 1;
	}
	if (huce_http_init(&h, &err)) {
		fprintf(stderr, "huce-bench-sync: %s\n", err.msg);
		goto out;
	}
	h.token = "bench";
	t0 = now_s();
	for (int r = 0; r < repeat; r++) {
		for (int i = 0; i < nfiles; i++) {
			struct huce_batch_header bh;

			huce_http_resp_release(&resp);
			if (__real_huce_http_request(&h, url, "application/x-huce-batch", files[i].data,
					      files[i].len, &resp, &err) || resp.status != 200) {
				fprintf(stderr, "huce-bench-sync: post: %s (status %ld)\n", err.msg,
					resp.status);
				goto out2;
			}
			bytes += (long long)files[i].len;
			requests++;
			if (huce_batch_decode_header(files[i].data, files[i].len, &bh, NULL,
						     NULL) == HUCE_OK)
				entries += bh.count;
		}
	}
	t1 = now_s();
	printf("{\"mode\":\"post\",\"files\":%d,\"repeat\":%d,\"requests\":%lld,"
	       "\"body_bytes\":%lld,\"wire_bytes_up\":%lld,\"wire_bytes_down\":%lld,"
	       "\"entries\":%lld,\"seconds\":%.6f,\"mb_per_s\":%.3f,"
	       "\"requests_per_s\":%.1f,\"entries_per_s\":%.1f}\n",
	       nfiles, repeat, requests, bytes, h.bytes_up, h.bytes_down, entries,
	       t1 - t0, (double)bytes / 1e6 / (t1 - t0), (double)requests / (t1 - t0),
	       (double)entries / (t1 - t0));
	ret = 0;
out2:
	huce_http_resp_release(&resp);
	huce_http_release(&h);
out:
	for (int i = 0; i < nfiles; i++)
		huce_buf_release(&files[i]);
	free(files);
	return ret;
}

static const char usage[] =
"usage: huce-bench-sync --db DEV.db --mode push|pull|sync [--save-batches DIR]\n"
"                       [--requests] [--central-pid PID]\n"
"       huce-bench-sync --mode post --url URL --batches DIR [--repeat N]\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "save-batches", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ "batches", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "requests", no_argument, NULL, 'R' },
		{ "central-pid", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *mode = NULL, *url = NULL, *batches = NULL;
	struct huce_sync_opts o = { 0 };
	struct huce_sync_stats st = { 0 };
	struct huce_error err = { 0 };
	struct huce_local *l = NULL;
	struct huce_http h;
	char *token = NULL, *central = NULL, *ca = NULL, *pin = NULL;
	int ch, repeat = 1, show_requests = 0, ret = 1;
	double t0, t1, c0, c1;
	enum huce_err rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'm': mode = optarg; break;
		case 's': save_dir = optarg; break;
		case 'u': url = optarg; break;
		case 'b': batches = optarg; break;
		case 'r': repeat = atoi(optarg); break;
		case 'R': show_requests = 1; break;
		case 'P': central_pid = atoi(optarg); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (mode && strcmp(mode, "post") == 0) {
		if (!url || !batches || repeat < 1) {
			fputs(usage, stderr);
			return 2;
		}
		ret = post_files(url, batches, repeat);
		curl_global_cleanup();
		return ret;
	}
	if (!db || !mode || (strcmp(mode, "push") && strcmp(mode, "pull") && strcmp(mode, "sync"))) {
		fputs(usage, stderr);
		return 2;
	}
	if (huce_local_open(&l, db, &err)) {
		fprintf(stderr, "huce-bench-sync: %s\n", err.msg);
		return 1;
	}
	central = huce_db_meta_get(l->db, "central_url");
	if (!central) {
		fprintf(stderr, "huce-bench-sync: %s is not enrolled\n", db);
		goto out;
	}
	t0 = now_s();
	c0 = cpu_s();
	if (strcmp(mode, "sync") == 0) {
		rc = huce_sync_run(l, &o, &st, &err);
	} else {
		/* what sync.c's setup_http does, with the public API only */
		rc = huce_http_init(&h, &err);
		if (!rc) {
			ca = huce_db_meta_get(l->db, "ca_file");
			pin = huce_db_meta_get(l->db, "pin");
			token = huce_db_meta_get(l->db, "token");
			h.ca_file = ca;
			h.token = token;
			if (pin)
				h.pin = pin;
		}
		if (!rc && strcmp(mode, "push") == 0)
			rc = huce_sync_push(l, &h, central, &o, &st, &err);
		else if (!rc)
			rc = huce_sync_pull(l, &h, central, &o, &st, &err);
		st.bytes_up = h.bytes_up;
		st.bytes_down = h.bytes_down;
		st.requests = h.requests;
		huce_http_release(&h);
	}
	t1 = now_s();
	c1 = cpu_s();
	if (rc) {
		fprintf(stderr, "huce-bench-sync: %s: %s\n", mode, err.msg);
		goto out;
	}
	{
		int64_t records = strcmp(mode, "pull") == 0 ? st.pulled : st.pushed;
		unsigned long long raw = 0, body = 0;
		double post_s = 0;

		for (size_t i = 0; i < nreq; i++)
			if (reqs[i].post) {
				raw += reqs[i].raw;
				body += reqs[i].body;
				post_s += reqs[i].seconds;
			}
		printf("{\"mode\":\"%s\",\"records\":%lld,\"pushed\":%lld,\"pulled\":%lld,"
		       "\"quarantined\":%lld,\"seconds\":%.6f,\"records_per_s\":%.1f,"
		       "\"requests\":%lld,\"batches\":%lld,\"pages\":%lld,"
		       "\"bytes_up\":%lld,\"bytes_down\":%lld,\"batch_raw_bytes\":%llu,"
		       "\"batch_body_bytes\":%llu,\"post_seconds\":%.6f,\"cpu_s\":%.6f",
		       mode, (long long)records, (long long)st.pushed, (long long)st.pulled,
		       (long long)st.quarantined, t1 - t0,
		       t1 > t0 ? (double)records / (t1 - t0) : 0.0, st.requests,
		       (long long)st.batches, (long long)st.pages, st.bytes_up, st.bytes_down,
		       raw, body, post_s, c1 - c0);
		if (show_requests)
			print_requests();
		printf("}\n");
	}
	ret = st.quarantined ? 3 : 0;
	if (st.quarantined)
		fprintf(stderr, "huce-bench-sync: the central refused %lld entries\n",
			(long long)st.quarantined);
out:
	free(token);
	free(ca);
	free(pin);
	free(central);
	free(reqs);
	huce_local_close(l);
	curl_global_cleanup();
	return ret;
}
