/*
 * schedule.c - weekly business hours with holidays, in one time zone (see
 * schedule.h; the zones themselves are tz.c).
 *
 * Each weekday is a bitmap of its 1440 minutes, so overlapping intervals
 * merge by themselves and "is it open" is one bit test after converting
 * the time to local time. The next opening is found by jumping from one
 * candidate minute to the next (the next open minute of the day, else the
 * next midnight), stopping at any change of UTC offset on the way so that
 * wall-clock minutes that a DST change skips are never returned.
 */
#include "core/libre.h"
#include "core/schedule.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DAY_MINUTES 1440
#define DAY_WORDS   ((DAY_MINUTES + 63) / 64)
#define LOOK_AHEAD  (400 * INT64_C(86400))

struct holiday {
    int date; /* yyyymmdd */
    const char *name;
};

struct schedule {
    struct tz *tz;
    uint64_t minutes[7][DAY_WORDS]; /* [0 = Sunday][minute bit] */
    struct holiday *holidays;
    size_t nholidays;
    json_t *names; /* keeps the holiday names alive */
};

static const char *const day_keys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static void schedule_destructor(void *arg)
{
    struct schedule *s = arg;
    mem_deref(s->tz);
    mem_deref(s->holidays);
    json_decref(s->names);
}

/* ---- compiling ---- */

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    if (err && size) {
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
    }
    return EINVAL;
}

static bool two_digits(const char *s, int *out)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/* "HH:MM-HH:MM" -> [from, to) in minutes of the day. */
static bool parse_interval(const char *s, int *from, int *to)
{
    int h1, m1, h2, m2;
    if (!s || strlen(s) != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':' || !two_digits(s, &h1) ||
        !two_digits(s + 3, &m1) || !two_digits(s + 6, &h2) || !two_digits(s + 9, &m2))
        return false;
    *from = h1 * 60 + m1;
    *to = h2 * 60 + m2;
    return h1 < 24 && m1 < 60 && m2 < 60 && *to <= DAY_MINUTES && *to > *from;
}

static int compile_day(struct schedule *s, int wday, const json_t *list, char *err, size_t size)
{
    size_t i;
    const json_t *item;
    int from, to;
    if (!json_is_array(list))
        return fail(err, size, "weekly.%s: expected a list of HH:MM-HH:MM intervals",
                    day_keys[wday]);
    json_array_foreach(list, i, item)
    {
        if (!parse_interval(json_string_value(item), &from, &to))
            return fail(err, size,
                        "weekly.%s[%zu]: expected HH:MM-HH:MM with the end after the start",
                        day_keys[wday], i);
        for (int m = from; m < to; m++)
            s->minutes[wday][m / 64] |= UINT64_C(1) << (m % 64);
    }
    return 0;
}

static int compile_weekly(struct schedule *s, const json_t *weekly, char *err, size_t size)
{
    const char *key;
    const json_t *list;
    if (!weekly)
        return 0;
    if (!json_is_object(weekly))
        return fail(err, size, "weekly: expected an object of days (mon .. sun)");
    json_object_foreach((json_t *)weekly, key, list)
    {
        int wday = -1;
        for (int d = 0; d < 7; d++)
            if (!strcmp(key, day_keys[d]))
                wday = d;
        if (wday < 0)
            return fail(err, size,
                        "weekly.%.40s: expected a day: mon, tue, wed, thu, fri, sat "
                        "or sun",
                        key);
        int rc = compile_day(s, wday, list, err, size);
        if (rc)
            return rc;
    }
    return 0;
}

/* "YYYY-MM-DD" -> yyyymmdd, or -1. */
static int parse_date(const char *s)
{
    int c, y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !two_digits(s, &c) ||
        !two_digits(s + 2, &y) || !two_digits(s + 5, &m) || !two_digits(s + 8, &d))
        return -1;
    y += c * 100;
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return -1;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    return y * 10000 + m * 100 + d;
}

static int compile_holidays(struct schedule *s, const json_t *list, char *err, size_t size)
{
    size_t i;
    const json_t *item;
    if (!list)
        return 0;
    if (!json_is_array(list))
        return fail(err, size, "holidays: expected a list of {date, name}");
    s->holidays = mem_zalloc((json_array_size(list) + 1) * sizeof(*s->holidays), NULL);
    s->names = json_deep_copy(list);
    if (!s->holidays || !s->names)
        return ENOMEM;
    json_array_foreach(s->names, i, item)
    {
        const char *name = json_string_value(json_object_get(item, "name"));
        int date = parse_date(json_string_value(json_object_get(item, "date")));
        if (!json_is_object(item))
            return fail(err, size, "holidays[%zu]: expected an object with a date and a name", i);
        if (date < 0)
            return fail(err, size, "holidays[%zu].date: expected a date YYYY-MM-DD", i);
        if (!name || !*name)
            return fail(err, size, "holidays[%zu].name: expected a name", i);
        for (size_t k = 0; k < s->nholidays; k++)
            if (s->holidays[k].date == date)
                return fail(err, size, "holidays[%zu].date: %s is already holidays[%zu]", i,
                            json_string_value(json_object_get(item, "date")), k);
        s->holidays[s->nholidays++] = (struct holiday){date, name};
    }
    return 0;
}

int schedule_compile(struct schedule **sp, const json_t *spec, const char *default_tz, char *err,
                     size_t errsize)
{
    struct schedule *s;
    const json_t *zone;
    const char *name = default_tz ? default_tz : "UTC";
    int rc;
    if (err && errsize)
        err[0] = '\0';
    if (!sp)
        return EINVAL;
    if (!json_is_object(spec))
        return fail(err, errsize, "expected an object with weekly hours");
    zone = json_object_get(spec, "timezone");
    if (zone && !json_is_string(zone))
        return fail(err, errsize, "timezone: expected a zone name like Europe/London");
    if (zone)
        name = json_string_value(zone);

    s = mem_zalloc(sizeof(*s), schedule_destructor);
    if (!s)
        return ENOMEM;
    rc = tz_load(&s->tz, name);
    if (rc) {
        fail(err, errsize, "%s%s\"%.64s\"", zone ? "timezone: " : "default time zone: ",
             rc == ENOENT    ? "no time zone "
             : rc == EINVAL  ? "expected a zone name like Europe/London, got "
             : rc == EBADMSG ? "not a compiled time zone file: "
                             : "cannot read the time zone ",
             name);
        goto out;
    }
    if ((rc = compile_weekly(s, json_object_get(spec, "weekly"), err, errsize)) ||
        (rc = compile_holidays(s, json_object_get(spec, "holidays"), err, errsize)))
        goto out;
    *sp = s;
    return 0;
out:
    mem_deref(s);
    return rc;
}

void schedule_free(struct schedule *s)
{
    mem_deref(s);
}

/* ---- asking ---- */

static const char *holiday_of(const struct schedule *s, const struct local_time *lt)
{
    int64_t date = (int64_t)lt->year * 10000 + lt->month * 100 + lt->day;
    for (size_t i = 0; i < s->nholidays; i++)
        if (s->holidays[i].date == date)
            return s->holidays[i].name;
    return NULL;
}

static bool minute_open(const struct schedule *s, int wday, int minute)
{
    return s->minutes[wday][minute / 64] >> (minute % 64) & 1;
}

/* The first open minute at or after `minute` of weekday wday, or -1. */
static int next_open_minute(const struct schedule *s, int wday, int minute)
{
    for (int m = minute; m < DAY_MINUTES; m++) {
        uint64_t word = s->minutes[wday][m / 64] >> (m % 64);
        if (word)
            return m + __builtin_ctzll(word);
        m |= 63; /* the rest of this word is closed */
    }
    return -1;
}

static int64_t floor_seconds(int64_t ms)
{
    return ms / 1000 - (ms % 1000 < 0);
}

bool schedule_is_open(const struct schedule *s, int64_t now_ms, const char **holiday)
{
    struct local_time lt;
    const char *h;
    if (holiday)
        *holiday = NULL;
    if (!s)
        return false;
    tz_local(s->tz, floor_seconds(now_ms), &lt);
    if ((h = holiday_of(s, &lt))) {
        if (holiday)
            *holiday = h;
        return false;
    }
    return minute_open(s, lt.wday, lt.hour * 60 + lt.minute);
}

/* The first second in (from, to] whose offset differs from from's, or to
 * when there is none. Offsets change rarely, so bisecting is enough. */
static int64_t offset_change(const struct tz *tz, int64_t from, int64_t to)
{
    int32_t off = tz_offset(tz, from);
    if (tz_offset(tz, to) == off)
        return to;
    while (to - from > 1) {
        int64_t mid = from + (to - from) / 2;
        if (tz_offset(tz, mid) == off)
            from = mid;
        else
            to = mid;
    }
    return to;
}

int64_t schedule_next_open(const struct schedule *s, int64_t now_ms)
{
    struct local_time lt;
    if (!s)
        return INT64_MAX;
    if (schedule_is_open(s, now_ms, NULL))
        return now_ms;
    if (now_ms > INT64_MAX - LOOK_AHEAD * 1000 - 1000)
        return INT64_MAX;
    int64_t t = floor_seconds(now_ms), stop = t + LOOK_AHEAD;
    while (t <= stop) {
        tz_local(s->tz, t, &lt);
        int64_t sec = lt.hour * 3600 + lt.minute * 60 + lt.second, target;
        int minute = lt.hour * 60 + lt.minute;
        int m = holiday_of(s, &lt) ? -1 : next_open_minute(s, lt.wday, minute);
        if (m == minute) /* not at the first pass: now_ms was closed */
            return t * 1000;
        target = t + (m > minute ? m * 60 : DAY_MINUTES * 60) - sec;
        t = offset_change(s->tz, t, target);
    }
    return INT64_MAX;
}
