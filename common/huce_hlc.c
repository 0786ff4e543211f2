/*
 * huce_hlc.c - hybrid logical clock (Kulkarni et al., 2014), packed in
 * 64 bits.  See huce_hlc.h.
 */
#include "huce_hlc.h"

#include <stdio.h>
#include <time.h>

uint64_t huce_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t huce_hlc_next(uint64_t *last, uint64_t wall_ms)
{
	uint64_t phys = (wall_ms & 0xffffffffffffull) << 16;

	/*
	 * When the counter of the last value is exhausted the increment
	 * carries into the millisecond part: still monotonic, and at most
	 * one millisecond ahead of real time per 65536 events.
	 */
	if (phys > *last)
		*last = phys;
	else
		*last += 1;
	return *last;
}

void huce_hlc_observe(uint64_t *last, uint64_t remote)
{
	if (remote > *last)
		*last = remote;
}

void huce_hlc_format(uint64_t ts, char *out)
{
	snprintf(out, HUCE_HLC_STRLEN + 1, "%016llx", (unsigned long long)ts);
}

int huce_hlc_parse(const char *s, uint64_t *ts)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < HUCE_HLC_STRLEN; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	if (s[i] != '\0')
		return -1;
	*ts = v;
	return 0;
}
