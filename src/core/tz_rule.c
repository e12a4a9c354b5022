/*
 * tz_rule.c - the POSIX TZ strings that end version 2+ TZif files ("the
 * footer"), which say how a zone changes after its last listed transition:
 * std offset [dst [offset] [,start[/time],end[/time]]], with dates as Jn
 * (1..365, no leap day), n (0..365) or Mm.w.d (weekday d of week w of
 * month m, 5 = the last), and, from version 3, times from -167 to 167 h.
 * Also the calendar arithmetic tz.c shares (see tz_internal.h).
 */
#include "core/tz_internal.h"

#include <errno.h>
#include <stddef.h>

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

int64_t tz_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = tz_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = tz_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int tz_weekday(int64_t days)
{
    return (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

/* ---- the POSIX TZ string ---- */

static const char *parse_name(const char *p)
{
    const char *s = p;
    if (*p == '<') {
        for (s = ++p; *p && *p != '>'; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
                return NULL;
        return *p == '>' && p - s >= 3 ? p + 1 : NULL;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

static const char *parse_number(const char *p, int lo, int hi, int *out)
{
    int v = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (!digits || v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

/* [+-]h[h[h]][:mm[:ss]], at most max_hours. */
static const char *parse_hms(const char *p, int max_hours, int32_t *out)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!(p = parse_number(p, 0, max_hours, &h)))
        return NULL;
    if (*p == ':' && !(p = parse_number(p + 1, 0, 59, &m)))
        return NULL;
    if (*p == ':' && !(p = parse_number(p + 1, 0, 59, &s)))
        return NULL;
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_date(const char *p, struct tz_date *d)
{
    *d = (struct tz_date){.time = 7200};
    if (*p == 'J') {
        d->kind = 'J';
        p = parse_number(p + 1, 1, 365, &d->n);
    } else if (*p == 'M') {
        d->kind = 'M';
        if ((p = parse_number(p + 1, 1, 12, &d->m)) && *p == '.' &&
            (p = parse_number(p + 1, 1, 5, &d->w)) && *p == '.')
            p = parse_number(p + 1, 0, 6, &d->d);
        else
            p = NULL;
    } else {
        d->kind = 'D';
        p = parse_number(p, 0, 365, &d->n);
    }
    if (p && *p == '/')
        p = parse_hms(p + 1, 167, &d->time);
    return p;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; "" is no rule. */
int tz_rule_parse(const char *p, struct tz_rule *r)
{
    int32_t west;
    *r = (struct tz_rule){0};
    if (!(p = parse_name(p)) || !(p = parse_hms(p, 24, &west)))
        return EBADMSG;
    r->std_off = -west;
    if (!*p)
        return 0;
    if (!(p = parse_name(p)))
        return EBADMSG;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, 24, &west)))
            return EBADMSG;
        r->dst_off = -west;
    }
    if (!*p) /* no dates: the US rules, as POSIX implementations assume */
        p = ",M3.2.0,M11.1.0";
    if (*p != ',' || !(p = parse_date(p + 1, &r->start)) || *p != ',' ||
        !(p = parse_date(p + 1, &r->end)) || *p)
        return EBADMSG;
    return 0;
}

/* The instant (local seconds, as if UTC) at which date d happens in year y. */
static int64_t rule_local(const struct tz_date *d, int64_t y)
{
    int64_t days;
    if (d->kind == 'J') {
        days = days_from_civil(y, 1, 1) + d->n - 1 + (is_leap(y) && d->n >= 60);
    } else if (d->kind == 'D') {
        days = days_from_civil(y, 1, 1) + d->n;
    } else {
        int64_t first = days_from_civil(y, d->m, 1);
        int day = (d->d - tz_weekday(first) + 7) % 7 + 1 + (d->w - 1) * 7;
        while (day > month_days(y, d->m))
            day -= 7;
        days = first + day - 1;
    }
    return days * 86400 + d->time;
}

int32_t tz_rule_offset(const struct tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t y, days = tz_floor_div(t + r->std_off, 86400);
    int m, d;
    tz_civil_from_days(days, &y, &m, &d);
    /* The start happens in standard time, the end in daylight time. */
    int64_t start = rule_local(&r->start, y) - r->std_off;
    int64_t end = rule_local(&r->end, y) - r->dst_off;
    bool dst = start < end ? t >= start && t < end : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}
