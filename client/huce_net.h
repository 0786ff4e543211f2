/*
 * huce_net.h - the door between `huce` and its network module.
 *
 * `huce` does not link libcurl: loading libcurl and its dependency tree
 * (gnutls, krb5, ldap, ssh2, ...) costs an offline command like
 * `huce inspect` most of its start-up (docs/PERFORMANCE.md, fix 8).  The
 * sync engine (syncd/agent/sync.c over syncd/agent/http_client.c) is
 * instead built into a module, huce-net.so, that `enroll` and `sync`
 * (cmd_sync.c) dlopen() when they run; `export` and `import-ack` need no
 * network and call common/huce_outbox.h directly; `photo get` loads it too.  The module is looked up from the executable's own path
 * (/proc/self/exe): next to it (the build tree), then in
 * HUCE_NET_MODULE_DIR, which meson sets to where it installs the module
 * (relative to the executable's directory, e.g. ../lib/x86_64-linux-gnu/huce,
 * so a relocated or DESTDIR install keeps working).
 *
 * The module carries its own copy of libhuce-common and exports one
 * symbol, huce_net_module_v1 (client/huce-net.map hides the rest): a
 * table of entry points with the same contracts as the functions of
 * syncd/agent/sync.h.  The objects they share with `huce` (struct
 * huce_local and its SQLite handle, struct huce_error, the options and statistics)
 * are passed by pointer, so both sides must come from the same build:
 * the table carries the ABI number, the project version and the sizes
 * of those structs, and the loader refuses a module where any differs.
 * The only global state of libhuce-common, the log threshold, is handed
 * over by set_log_threshold().
 */
#ifndef HUCE_NET_H
#define HUCE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "huce_err.h"
#include "huce_local.h"
#include "sync.h"

#define HUCE_NET_ABI 3
#define HUCE_NET_SYMBOL "huce_net_module_v1"
#define HUCE_NET_FILE "huce-net.so"

struct huce_net {
	int abi;			/* HUCE_NET_ABI */
	const char *version;		/* HUCE_VERSION of the build */
	size_t local_size, error_size, opts_size, stats_size;

	void (*set_log_threshold)(int threshold);
	/* The functions of syncd/agent/sync.h, same arguments and ownership. */
	enum huce_err (*enroll)(struct huce_local *l, const char *url,
				const char *token,
				const struct huce_sync_opts *o,
				struct huce_error *err);
	enum huce_err (*run)(struct huce_local *l,
			     const struct huce_sync_opts *o,
			     struct huce_sync_stats *st, struct huce_error *err);
	enum huce_err (*photo_get)(struct huce_local *l, const char *sha,
				   const struct huce_sync_opts *o,
				   struct huce_buf *out, struct huce_error *err);
};

/* Defined by the module (client/net_module.c). */
extern const struct huce_net huce_net_module_v1;

#endif
