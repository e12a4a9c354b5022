/*
 * schedule.h - time zones and weekly business-hours schedules.
 *
 * Time zones are read from the system's compiled tz database (TZif files
 * under /usr/share/zoneinfo, or $TZDIR): no global TZ variable is touched,
 * so any number of zones can be used at once. "UTC" always works, even
 * without the database.
 *
 * A schedule is a weekly set of opening intervals in one time zone, plus
 * a list of dated holidays (closed all day, each with a name):
 *
 *   {"timezone": "Europe/London",
 *    "weekly": {"mon": ["09:00-12:30", "13:30-18:00"], "tue": [...],
 *               ..., "sun": []},          (a missing day is closed)
 *    "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}]}
 *
 * An interval "HH:MM-HH:MM" is open from the first minute up to, not
 * including, the second; "00:00-24:00" is the whole day; an end before its
 * start is an error (split a night shift over two days). Intervals may
 * overlap (they merge). Two holidays on one date are an error. Other keys
 * are ignored (a bot keeps its afterHours beside them). Wall-clock times
 * that a DST change skips never happen; those it repeats happen twice.
 * Pure logic apart from reading the zone file at compile time; times are
 * passed in. Compiled zones and schedules are immutable: any thread may
 * use them at once.
 */
#ifndef SB_CORE_SCHEDULE_H
#define SB_CORE_SCHEDULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz;

/* Load a zone by IANA name ("Europe/London", "UTC"). ENOENT unknown zone
 * (or a directory such as "Europe"), EINVAL a name with "..", a leading
 * "/" or characters outside [A-Za-z0-9/_+-], EBADMSG a file that is not
 * TZif (or whose footer TZ string cannot be read). mem-allocated (libre):
 * free with tz_free(). Times beyond about 95,000 years from 1970 are
 * taken as that limit. */
int tz_load(struct tz **tzp, const char *name);
void tz_free(struct tz *tz);
/* Offset from UTC in seconds east (e.g. 3600 for CET) at UTC time t (s). */
int32_t tz_offset(const struct tz *tz, int64_t t);

/* Broken-down local time of UTC time t (seconds) in tz. */
struct local_time {
    int year, month, day; /* 2026, 1..12, 1..31 */
    int wday;             /* 0 = Sunday .. 6 = Saturday */
    int hour, minute, second;
    int32_t offset; /* seconds east of UTC */
};
void tz_local(const struct tz *tz, int64_t t, struct local_time *out);

struct schedule;

/* Compile a schedule (shape above). default_tz is used when the spec has
 * no "timezone" (NULL: "UTC"). On error returns EINVAL (or the tz_load
 * error) and writes a phrase saying what is wrong into err, e.g.
 * "weekly.mon[1]: expected HH:MM-HH:MM with the end after the start" or
 * "timezone: no time zone \"Mars/Base\"". mem-allocated (libre). */
int schedule_compile(struct schedule **sp, const json_t *spec, const char *default_tz, char *err,
                     size_t errsize);
void schedule_free(struct schedule *s);

/* Is it open at now_ms (ms since the epoch)? On a holiday (the local
 * date) returns false and sets *holiday (if not NULL) to its name, else
 * *holiday = NULL. The name lives as long as the schedule. */
bool schedule_is_open(const struct schedule *s, int64_t now_ms, const char **holiday);

/* The next time (ms) at or after now_ms when it opens, or INT64_MAX when
 * it never does (looks at most 400 days ahead). */
int64_t schedule_next_open(const struct schedule *s, int64_t now_ms);

#endif
