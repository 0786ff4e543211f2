/*
 * net_module.c - huce-net.so, the part of `huce` that links libcurl.
 *
 * Built as a shared module from this file, syncd/agent/sync.c,
 * syncd/agent/http_client.c and its own copy of libhuce-common; `huce`
 * loads it only for the commands that need it (client/huce_net.h says why and
 * how).  It holds no logic of its own: the table below points at the
 * functions of syncd/agent/sync.h.
 */
#include "huce_net.h"

#include "huce_log.h"

static void set_log_threshold(int threshold)
{
	huce_log_threshold = threshold;
}

const struct huce_net huce_net_module_v1 = {
	.abi = HUCE_NET_ABI,
	.version = HUCE_VERSION,
	.local_size = sizeof(struct huce_local),
	.error_size = sizeof(struct huce_error),
	.opts_size = sizeof(struct huce_sync_opts),
	.stats_size = sizeof(struct huce_sync_stats),
	.set_log_threshold = set_log_threshold,
	.enroll = huce_sync_enroll,
	.run = huce_sync_run,
	.photo_get = huce_sync_photo_get,
};
