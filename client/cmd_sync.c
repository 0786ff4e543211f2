/*
 * cmd_sync.c - enroll, sync, export and import-ack: the client's doors to
 * the central, online (syncd/sync.c over libcurl) or by USB stick.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync.h"

static const char enroll_usage[] =
"usage: huce enroll URL TOKEN [--ca FILE] [--pin sha256//KEY]\n"
"Register this laptop with the town's central instance.  TOKEN is the one\n"
"`huce-syncd admin device add NAME` printed.  --ca trusts a town's own CA,\n"
"--pin pins the central's public key.  The town's key for ID-number hashes\n"
"is received and kept.\n";

int cmd_enroll(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "pin", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct huce_sync_opts o = { 0 };
	enum huce_err rc;
	char *dev;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, enroll_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'c')
			o.ca_file = optarg;
		else if (ch == 'p')
			o.pin = optarg;
	}
	if (optind + 2 != argc)
		return cli_usage(enroll_usage, "enroll takes URL and TOKEN");
	r = cli_open(c);
	if (r)
		return r;
	rc = huce_sync_enroll(c->l, argv[optind], argv[optind + 1], &o, &c->err);
	if (rc)
		return cli_fail(c, rc);
	dev = huce_db_meta_get(c->l->db, "central_device");
	printf("enrolled as device %s at %s\n", dev ? dev : "?", argv[optind]);
	free(dev);
	return 0;
}

static const char sync_usage[] =
"usage: huce sync [--ca FILE] [--timeout S]\n"
"Push what this laptop recorded, then pull the merged state from the\n"
"central.  Safe to interrupt and repeat: nothing is sent twice once the\n"
"central has acknowledged it.\n";

int cmd_sync(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct huce_sync_opts o = { 0 };
	struct huce_sync_stats st;
	enum huce_err rc;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, sync_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'c') {
			o.ca_file = optarg;
		} else if (ch == 't') {
			char *end;
			long t = strtol(optarg, &end, 10);

			if (*end || t <= 0 || t > 86400)
				return cli_usage(sync_usage, "--timeout takes seconds (1..86400)");
			o.timeout_s = t;
		}
	}
	if (optind != argc)
		return cli_usage(sync_usage, "unexpected argument '%s'", argv[optind]);
	r = cli_open(c);
	if (r)
		return r;
	o.progress = isatty(2);
	rc = huce_sync_run(c->l, &o, &st, &c->err);
	printf("pushed %lld, quarantined %lld, pulled %lld in %lld requests "
	       "(%lld bytes up, %lld bytes down), %lld photos uploaded\n",
	       (long long)st.pushed, (long long)st.quarantined, (long long)st.pulled,
	       st.requests, st.bytes_up, st.bytes_down, (long long)st.photos);
	if (rc)
		return cli_fail(c, rc);
	return 0;
}

static const char export_usage[] =
"usage: huce export FILE\n"
"Write everything not yet acknowledged by the central to FILE (a batch, as\n"
"sent online) for `huce-syncd admin import` at the town office.\n";

int cmd_export(struct cli *c, int argc, char **argv)
{
	enum huce_err rc;
	int64_t n = 0;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, NULL, export_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(export_usage, "export takes one FILE");
	r = cli_open(c);
	if (r)
		return r;
	rc = huce_sync_export(c->l, argv[optind], &n, &c->err);
	if (rc)
		return cli_fail(c, rc);
	printf("exported %lld entries to %s\n", (long long)n, argv[optind]);
	return 0;
}

static const char import_ack_usage[] =
"usage: huce import-ack FILE\n"
"Read the acknowledgement the town office wrote for an exported batch\n"
"(`huce-syncd admin import BATCH --ack-out FILE`).\n";

int cmd_import_ack(struct cli *c, int argc, char **argv)
{
	enum huce_err rc;
	int64_t acked = 0;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, NULL, import_ack_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(import_ack_usage, "import-ack takes one FILE");
	r = cli_open(c);
	if (r)
		return r;
	rc = huce_sync_import_ack(c->l, argv[optind], &acked, &c->err);
	if (rc)
		return cli_fail(c, rc);
	printf("acknowledged up to seq %lld\n", (long long)acked);
	return 0;
}
