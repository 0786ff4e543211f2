/*
 * agent.c - `huce-syncd agent`: keep a laptop's store in sync whenever
 * the central is reachable.
 *
 * Each round is one huce_sync_run (push, then pull).  After a failure
 * the agent waits with capped exponential backoff and full jitter
 * (base 2 s, cap 300 s), so a village coming back online is not met by
 * every laptop at the same second.  --once runs a single round and exits
 * with its result.
 */
#include "syncd.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "huce_crypto.h"
#include "huce_local.h"
#include "huce_log.h"
#include "sync.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static const char agent_usage[] =
"usage: huce-syncd agent --db PATH [--once] [--interval S] [--ca FILE]\n"
"       [--stall-timeout S]\n"
"Push the laptop's outbox and pull the merged state, every S seconds\n"
"(default 60) while running, retrying with backoff when the central is\n"
"unreachable.  A request that receives or sends nothing for\n"
"--stall-timeout seconds (default 30, or HUCE_STALL_TIMEOUT) is dropped\n"
"and retried.\n";

/* Sleep s seconds unless a signal asks us to stop. */
static void nap(unsigned s)
{
	while (s-- && !stopping)
		sleep(1);
}

static unsigned backoff(unsigned failures)
{
	unsigned cap = 300, base = 2, ceiling = base;
	uint32_t r = 0;

	for (unsigned i = 0; i < failures && ceiling < cap; i++)
		ceiling *= 2;
	if (ceiling > cap)
		ceiling = cap;
	huce_random_bytes(&r, sizeof(r));
	return 1 + r % ceiling;
}

int agent_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "ca", required_argument, NULL, 'c' },
		{ "stall-timeout", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct huce_sync_opts o = { 0 };
	struct huce_local *l = NULL;
	struct huce_error err = { 0 };
	const char *db = NULL;
	long interval = 60;
	int once = 0, ch, ret = 0;
	unsigned failures = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'o': once = 1; break;
		case 'c': o.ca_file = optarg; break;
		case 'i': {
			char *end;

			interval = strtol(optarg, &end, 10);
			if (*end || interval < 1 || interval > 86400) {
				fprintf(stderr, "huce-syncd: --interval takes seconds (1..86400)\n%s", agent_usage);
				return 2;
			}
			break;
		}
		case 's': {
			char *end;

			o.low_speed_time = strtol(optarg, &end, 10);
			if (*end || o.low_speed_time < 1 || o.low_speed_time > 3600) {
				fprintf(stderr, "huce-syncd: --stall-timeout takes seconds (1..3600)\n%s", agent_usage);
				return 2;
			}
			break;
		}
		case 'h':
			fputs(agent_usage, stdout);
			return 0;
		default:
			fprintf(stderr, "huce-syncd: bad option '%s'\n%s", argv[optind - 1], agent_usage);
			return 2;
		}
	}
	if (!db)
		db = getenv("HUCE_DB");
	if (!db || optind != argc) {
		fprintf(stderr, "huce-syncd: agent needs --db PATH\n%s", agent_usage);
		return 2;
	}
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "huce-syncd: no database at '%s'\n", db);
		return 1;
	}
	if (huce_local_open(&l, db, &err)) {
		fprintf(stderr, "huce-syncd: %s\n", err.msg);
		return huce_err_exit(err.code);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	o.progress = isatty(2) && once;
	while (!stopping) {
		struct huce_sync_stats st;
		enum huce_err rc;

		memset(&err, 0, sizeof(err));
		rc = huce_sync_run(l, &o, &st, &err);
		if (rc) {
			failures++;
			fprintf(stderr, "huce-syncd: agent: %s\n", err.msg);
			if (once) {
				ret = huce_err_exit(rc);
				break;
			}
			if (rc == HUCE_EUSAGE || rc == HUCE_EAUTH || rc == HUCE_EFORBIDDEN) {
				ret = huce_err_exit(rc);
				break;
			}
			nap(backoff(failures));
			continue;
		}
		failures = 0;
		fprintf(stderr, "huce-syncd: agent: pushed %lld, quarantined %lld, pulled %lld, "
			"%lld requests, %lld bytes up, %lld bytes down\n",
			(long long)st.pushed, (long long)st.quarantined, (long long)st.pulled,
			st.requests, st.bytes_up, st.bytes_down);
		if (once)
			break;
		nap((unsigned)interval);
	}
	huce_local_close(l);
	return ret;
}
