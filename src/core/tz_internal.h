/*
 * tz_internal.h - what the two halves of the time-zone reader share: the
 * POSIX TZ rule of a TZif footer (tz_rule.c) and the calendar arithmetic
 * that both it and tz.c's broken-down times need. Not part of the
 * contract (schedule.h).
 */
#ifndef SB_CORE_TZ_INTERNAL_H
#define SB_CORE_TZ_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* One date of a POSIX rule: "Jn", "n" or "Mm.w.d", then "/time". */
struct tz_date {
    char kind; /* 'J', 'D' (zero-based day, leap day counted) or 'M' */
    int n, m, w, d;
    int32_t time; /* seconds after local midnight; -167 h .. 167 h */
};

struct tz_rule {
    int32_t std_off, dst_off; /* seconds east */
    bool has_dst;
    struct tz_date start, end;
};

/* Parse a POSIX TZ string such as "GMT0BST,M3.5.0/1,M10.5.0" (with the
 * version 3 extensions: rule times from -167 to 167 hours). 0 or EBADMSG. */
int tz_rule_parse(const char *text, struct tz_rule *r);
/* The rule's offset (seconds east) at UTC time t. */
int32_t tz_rule_offset(const struct tz_rule *r, int64_t t);

/* Proleptic Gregorian calendar; days count from 1970-01-01. */
int64_t tz_floor_div(int64_t a, int64_t b);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int tz_weekday(int64_t days); /* 0 = Sunday */

#endif
