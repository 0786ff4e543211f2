/*
 * huce_proto.c - the sync protocol's versions and the words for a
 * laptop on the wrong release (huce_proto.h, docs/PROTOCOL.md 2.6).
 */
#include "huce_proto.h"

#include <stdio.h>

/*
 * One row per protocol version: the release that introduced it.  A new
 * version (docs/PROTOCOL.md 2.6 says which changes need one) adds its
 * row and raises HUCE_PROTO_MAX; HUCE_PROTO_MIN rises only when a
 * central stops serving the old one.
 */
static const struct {
	int version;
	const char *release;
} releases[] = {
	{ 1, "0.1.0" },
	{ 2, "0.2.0" },
};

const char *huce_proto_release(int v)
{
	for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
		if (releases[i].version == v)
			return releases[i].release;
	return NULL;
}

int huce_proto_parse(const char *value)
{
	int v = 0;
	size_t i;

	if (!value)
		return 1;
	for (i = 0; value[i]; i++) {
		if (i >= 4 || value[i] < '0' || value[i] > '9')
			return -1;
		v = v * 10 + (value[i] - '0');
	}
	return i ? v : -1;
}

void huce_proto_refusal(char *buf, size_t n, const char *what, int got,
			int min, const char *central)
{
	const char *need = huce_proto_release(min);

	if (!n)
		return;
	if (got < min)
		snprintf(buf, n, "this laptop's huce is too old for the town's "
			 "central (huce %s): %s needs protocol %d or newer, this "
			 "laptop speaks %d. Install huce %s or newer on this "
			 "laptop, then try again", central, what, min, got,
			 need ? need : central);
	else
		snprintf(buf, n, "this laptop's huce is newer than the town's "
			 "central (huce %s): it speaks protocol %d, the central "
			 "%d at most. Ask the town office to upgrade the central "
			 "to this laptop's release of huce or newer", central,
			 got, HUCE_PROTO_MAX);
}
