/*
 * cmd_sync.c - enroll, sync, export and import-ack: the client's doors to
 * the central, online (syncd/agent/sync.c over libcurl) or by USB stick.
 *
 * syncd/agent/sync.c is not linked into `huce`: it lives in the network
 * module (client/huce_net.h), loaded here by enroll and sync only, so no
 * other command pays for loading libcurl.  export and import-ack do no
 * HTTP: they call the outbox (common/huce_outbox.h) without the module.
 */
#include "client.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "huce_log.h"
#include "huce_net.h"
#include "huce_outbox.h"
#include "huce_stick.h"

#include <sys/stat.h>

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir + "/" + rel + "/" + file into out; 0, or -1 when too long. */
static int module_path(char *out, size_t size, const char *dir,
		       const char *rel, const char *file)
{
	int n;

	if (rel[0] == '/')
		n = snprintf(out, size, "%s/%s", rel, file);
	else if (rel[0])
		n = snprintf(out, size, "%s/%s/%s", dir, rel, file);
	else
		n = snprintf(out, size, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

const void *cli_module_load(const char *what, const char *file,
			    const char *symbol, char *path, size_t pathsize)
{
	static const char *const dirs[2] = { "", HUCE_NET_MODULE_DIR };
	char exe[PATH_MAX], tried[2][PATH_MAX + 64];
	const void *sym;
	const char *msg;
	char *slash;
	void *h;
	ssize_t n;
	size_t i;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1) {
		cli_error(HUCE_EIO, "cannot find the module %s: "
			  "cannot read /proc/self/exe", file);
		return NULL;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash) {
		cli_error(HUCE_EIO, "cannot find the module %s: "
			  "odd executable path '%s'", file, exe);
		return NULL;
	}
	*slash = '\0';
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (module_path(tried[i], sizeof(tried[i]), exe, dirs[i], file)) {
			cli_error(HUCE_EIO, "cannot find the module %s: path too long", file);
			return NULL;
		}
		if (access(tried[i], F_OK) == 0)
			break;
	}
	if (i == sizeof(dirs) / sizeof(dirs[0])) {
		cli_error(HUCE_EIO, "%s module %s not found "
			  "(looked in '%s' and '%s'): reinstall huce",
			  what, file, tried[0], tried[1]);
		return NULL;
	}
	/*
	 * RTLD_LOCAL: its copy of libhuce-common stays its own.  RTLD_LAZY,
	 * as the dynamic linker binds a program's libraries: RTLD_NOW would
	 * resolve every function of libcurl's dependency tree up front (a
	 * whole `huce export`: 19.0 M instructions instead of 15.7 M).
	 */
	h = dlopen(tried[i], RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		msg = dlerror();
		cli_error(HUCE_EIO, "cannot load %s module: %s", what, msg ? msg : tried[i]);
		return NULL;
	}
	sym = dlsym(h, symbol);
	if (!sym) {
		cli_error(HUCE_EIO, "%s module '%s' has no %s", what, tried[i], symbol);
		return NULL;
	}
	snprintf(path, pathsize, "%s", tried[i]);
	return sym;
}

int cli_net_load(const struct huce_net **out)
{
	char path[PATH_MAX + 64];
	const struct huce_net *net =
		cli_module_load("network", HUCE_NET_FILE, HUCE_NET_SYMBOL, path, sizeof(path));

	if (!net)
		return huce_err_exit(HUCE_EIO);
	if (net->abi != HUCE_NET_ABI)
		return cli_error(HUCE_EIO, "network module '%s' has interface %d, "
				 "huce needs %d: reinstall huce",
				 path, net->abi, HUCE_NET_ABI);
	if (strcmp(net->version, HUCE_VERSION) != 0 ||
	    net->local_size != sizeof(struct huce_local) ||
	    net->error_size != sizeof(struct huce_error) ||
	    net->opts_size != sizeof(struct huce_sync_opts) ||
	    net->stats_size != sizeof(struct huce_sync_stats))
		return cli_error(HUCE_EIO, "network module '%s' is from another "
				 "build of huce (module %s, huce %s): reinstall huce",
				 path, net->version, HUCE_VERSION);
	net->set_log_threshold(huce_log_threshold);
	*out = net;
	return 0;
}

static const char enroll_usage[] =
"usage: huce enroll URL TOKEN [--ca FILE] [--pin sha256//KEY]\n"
"       huce enroll FILE\n"
"Register this laptop with the town's central instance.  TOKEN is the one\n"
"`huce-syncd admin device add NAME` printed.  --ca trusts a town's own CA,\n"
"--pin pins the central's public key.  The town's key for ID-number hashes\n"
"is received and kept, and the laptop takes the central's name for it.\n"
"A token enrolls one laptop: a token another laptop has used is refused\n"
"(exit 1); enrolling this same laptop again is fine.\n"
"With FILE, the enrolment file of `huce-syncd admin device add NAME\n"
"--enroll-file F` (a laptop that only ever syncs by USB stick): no link\n"
"is needed.  The file is as secret as a token: delete it afterwards.\n";

int cmd_enroll(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "pin", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct huce_sync_opts o = { 0 };
	enum huce_err rc;
	char *dev, *was;
	const struct huce_net *net;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, opts, NULL, enroll_usage)) != -1) {
		if (ch == '?')
			return 2;
		if (ch == 'c')
			o.ca_file = optarg;
		else if (ch == 'p')
			o.pin = optarg;
	}
	if (optind + 1 == argc && !o.ca_file && !o.pin) {
		r = cli_open(c);
		if (r)
			return r;
		rc = huce_stick_enroll_file(c->l, argv[optind], &dev, &c->err);
		if (rc)
			return cli_fail(c, rc);
		printf("enrolled as device %s from %s (by USB stick)\n", dev, argv[optind]);
		free(dev);
		return 0;
	}
	if (optind + 2 != argc)
		return cli_usage(enroll_usage, "enroll takes URL and TOKEN, or FILE");
	r = cli_net_load(&net);
	if (r)
		return r;
	r = cli_open(c);
	if (r)
		return r;
	was = huce_db_meta_get(c->l->db, "device");
	rc = net->enroll(c->l, argv[optind], argv[optind + 1], &o, &c->err);
	if (rc) {
		free(was);
		return cli_fail(c, rc);
	}
	dev = huce_db_meta_get(c->l->db, "central_device");
	printf("enrolled as device %s at %s\n", dev ? dev : "?", argv[optind]);
	/* The laptop's name and the central's name for it are one name. */
	if (dev && was && strcmp(dev, was) != 0)
		printf("this laptop was called '%s'; it now has the central's "
		       "name for it, '%s'\n", was, dev);
	free(was);
	free(dev);
	return 0;
}

static const char sync_usage[] =
"usage: huce sync [--ca FILE] [--timeout S]\n"
"Push what this laptop recorded, then pull the merged state from the\n"
"central.  Safe to interrupt and repeat: nothing is sent twice once the\n"
"central has acknowledged it.  A change the central refuses is undone here\n"
"(the record is put back as the central has it) and kept, with the reason,\n"
"in `huce quarantine`.\n";

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
	const struct huce_net *net;
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
	r = cli_net_load(&net);
	if (r)
		return r;
	r = cli_open(c);
	if (r)
		return r;
	o.progress = isatty(2);
	rc = net->run(c->l, &o, &st, &c->err);
	printf("pushed %lld, quarantined %lld, pulled %lld in %lld requests "
	       "(%lld bytes up, %lld bytes down), %lld photos uploaded\n",
	       (long long)st.pushed, (long long)st.quarantined, (long long)st.pulled,
	       st.requests, st.bytes_up, st.bytes_down, (long long)st.photos);
	if (rc)
		return cli_fail(c, rc);
	return 0;
}

static const char export_usage[] =
"usage: huce export DIR | FILE\n"
"DIR (a USB stick): write this laptop's round under DIR/huce/<device>/,\n"
"sealed for the town's central: every change not yet acknowledged, the\n"
"photos the central lacks and a request for the changes since the last\n"
"pull.  The office runs `huce-syncd admin import DIR`; back here,\n"
"`huce import DIR` applies its reply.\n"
"FILE: write everything not yet acknowledged as one batch (as sent\n"
"online) for `huce-syncd admin import FILE`.\n";

int cmd_export(struct cli *c, int argc, char **argv)
{
	enum huce_err rc;
	int64_t n = 0;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, NULL, export_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(export_usage, "export takes one DIR or FILE");
	r = cli_open(c);
	if (r)
		return r;
	if (is_dir(argv[optind])) {
		struct huce_stick_stats st;

		rc = huce_stick_export(c->l, argv[optind], &st, &c->err);
		if (rc)
			return cli_fail(c, rc);
		printf("exported %lld entries in %lld batches and %lld photos to %s "
		       "(export %lld)\n", (long long)st.entries, (long long)st.batches,
		       (long long)st.photos, st.folder, (long long)st.export_no);
		return 0;
	}
	rc = huce_outbox_export(c->l, argv[optind], &n, &c->err);
	if (rc)
		return cli_fail(c, rc);
	printf("exported %lld entries to %s\n", (long long)n, argv[optind]);
	return 0;
}

static const char import_ack_usage[] =
"usage: huce import DIR | FILE   (also: huce import-ack DIR | FILE)\n"
"DIR (a USB stick): apply the town office's reply to this laptop's last\n"
"export as a pull: the acknowledgement, then every change since this\n"
"laptop's cursor.  A reply is applied once; an older one changes nothing.\n"
"FILE: the acknowledgement the office wrote for an exported batch\n"
"(`huce-syncd admin import BATCH --ack-out FILE`).\n"
"Changes the office refused are undone and kept in `huce quarantine`, as\n"
"by `huce sync`.\n";

int cmd_import_ack(struct cli *c, int argc, char **argv)
{
	enum huce_err rc;
	int64_t acked = 0;
	int ch, r;

	while ((ch = cli_getopt(argc, argv, NULL, NULL, import_ack_usage)) != -1)
		if (ch == '?')
			return 2;
	if (optind + 1 != argc)
		return cli_usage(import_ack_usage, "import takes one DIR or FILE");
	r = cli_open(c);
	if (r)
		return r;
	if (is_dir(argv[optind])) {
		struct huce_stick_stats st;

		rc = huce_stick_import(c->l, argv[optind], &st, &c->err);
		if (rc)
			return cli_fail(c, rc);
		if (st.already)
			printf("the reply to export %lld was applied before: nothing "
			       "to do\n", (long long)st.export_no);
		else
			printf("applied the reply to export %lld: acknowledged up to "
			       "seq %lld, quarantined %lld, pulled %lld, %lld photos "
			       "at the central\n", (long long)st.export_no,
			       (long long)st.acked, (long long)st.quarantined,
			       (long long)st.pulled, (long long)st.photos_at_central);
		return 0;
	}
	rc = huce_outbox_import_ack(c->l, argv[optind], &acked, &c->err);
	if (rc)
		return cli_fail(c, rc);
	printf("acknowledged up to seq %lld\n", (long long)acked);
	return 0;
}
