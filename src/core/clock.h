/*
 * clock.h - time sources. Engines never read the clock themselves: they are
 * given a time so that tests can drive them; the server passes these.
 */
#ifndef SB_CORE_CLOCK_H
#define SB_CORE_CLOCK_H

#include <stddef.h>
#include <jansson.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch (wall clock, for stored times). */
int64_t clock_now_ms(void);
/* Monotonic milliseconds (for durations and rate limits). */
int64_t clock_mono_ms(void);
/* Monotonic microseconds (for request timing). */
int64_t clock_mono_us(void);
/* RFC 3339 UTC with milliseconds: "2026-11-25T10:40:00.123Z". */
void clock_format_rfc3339(char *buf, size_t size, int64_t epoch_ms);
/* The same as a JSON string. New reference. */
json_t *clock_time_json(int64_t epoch_ms);

#endif
