/*
 * huce_hlc.h - hybrid logical clock.
 *
 * A timestamp is 64 bits: the wall clock in milliseconds since the Unix
 * epoch in the high 48 bits and a logical counter in the low 16.  Each
 * new timestamp is greater than every timestamp this device made or saw
 * before, even when the laptop's clock is set back: then the physical
 * part stays put and the counter advances.  The last value is persisted
 * (local store meta 'hlc') so this holds across restarts.
 *
 * On the wire a timestamp is 16 lower-case hex digits, so that string
 * order is time order and JSON doubles never round it.
 */
#ifndef HUCE_HLC_H
#define HUCE_HLC_H

#include <stdint.h>

#define HUCE_HLC_STRLEN 16

/* Milliseconds since the epoch from the real-time clock. */
uint64_t huce_wall_ms(void);

/*
 * Next timestamp after *last for a wall clock reading of wall_ms;
 * stores it in *last and returns it.
 */
uint64_t huce_hlc_next(uint64_t *last, uint64_t wall_ms);

/* Merge a timestamp received from elsewhere into *last. */
void huce_hlc_observe(uint64_t *last, uint64_t remote);

/* out must hold HUCE_HLC_STRLEN + 1 bytes. */
void huce_hlc_format(uint64_t ts, char *out);
/* Returns 0 and sets *ts, or -1 when s is not 16 hex digits. */
int huce_hlc_parse(const char *s, uint64_t *ts);

static inline uint64_t huce_hlc_ms(uint64_t ts) { return ts >> 16; }

#endif
