/*
 * test_schedule.c - time zones and business-hours schedules: zones with
 * DST on both hemispheres across their transitions, the POSIX rule of the
 * TZif footer (real zones far ahead, and hand-made v1, v2 and v3 files),
 * UTC without a database, bad names and files, every zone of the system's
 * database against the C library, then schedules: intervals, holidays,
 * the next opening across weekends, holidays and DST changes, and the
 * compile errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

/* UTC seconds of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static struct tz *load(const char *name)
{
    struct tz *tz = NULL;
    int rc = tz_load(&tz, name);
    if (rc)
        fail_msg("tz_load(%s): %s", name, strerror(rc));
    return tz;
}

/* The offset changes from `before` to `after` exactly at t. */
static void assert_transition(const struct tz *tz, int64_t t, int32_t before, int32_t after)
{
    assert_int_equal(tz_offset(tz, t - 1), before);
    assert_int_equal(tz_offset(tz, t), after);
}

static void assert_local(const struct tz *tz, int64_t t, const char *want)
{
    struct local_time lt;
    char got[64];
    tz_local(tz, t, &lt);
    snprintf(got, sizeof(got), "%04d-%02d-%02d %02d:%02d:%02d w%d %+d", lt.year, lt.month, lt.day,
             lt.hour, lt.minute, lt.second, lt.wday, (int)lt.offset);
    if (strcmp(got, want))
        fail_msg("local time of %lld\n  got:  %s\n  want: %s", (long long)t, got, want);
}

/* ---- zones ---- */

static void utc_is_built_in(void **state)
{
    (void)state;
    setenv("TZDIR", "/nonexistent-zoneinfo", 1);
    struct tz *tz = load("UTC");
    unsetenv("TZDIR");
    assert_int_equal(tz_offset(tz, 0), 0);
    assert_int_equal(tz_offset(tz, utc(2026, 7, 1, 12, 0)), 0);
    assert_local(tz, 0, "1970-01-01 00:00:00 w4 +0");
    assert_local(tz, -1, "1969-12-31 23:59:59 w3 +0");
    assert_local(tz, utc(2024, 2, 29, 23, 59) + 59, "2024-02-29 23:59:59 w4 +0");
    assert_local(tz, utc(2000, 3, 1, 0, 0), "2000-03-01 00:00:00 w3 +0");
    assert_local(tz, utc(1900, 3, 1, 0, 0), "1900-03-01 00:00:00 w4 +0");
    /* Far-off times are clamped, not overflowed. */
    struct local_time lt;
    tz_local(tz, INT64_MAX, &lt);
    tz_local(tz, INT64_MIN, &lt);
    tz_free(tz);
    tz_free(NULL);
}

static void london(void **state)
{
    (void)state;
    struct tz *tz = load("Europe/London");
    /* 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC. */
    assert_transition(tz, utc(2026, 3, 29, 1, 0), 0, 3600);
    assert_transition(tz, utc(2026, 10, 25, 1, 0), 3600, 0);
    assert_local(tz, utc(2026, 3, 29, 1, 0) - 1, "2026-03-29 00:59:59 w0 +0");
    assert_local(tz, utc(2026, 3, 29, 1, 0), "2026-03-29 02:00:00 w0 +3600");
    assert_local(tz, utc(2026, 10, 25, 0, 59), "2026-10-25 01:59:00 w0 +3600");
    assert_local(tz, utc(2026, 10, 25, 1, 0), "2026-10-25 01:00:00 w0 +0");
    /* British Standard Time: +1 all year from 1968 to 1971. */
    assert_int_equal(tz_offset(tz, utc(1969, 1, 15, 12, 0)), 3600);
    /* Far past the file's table: the footer's rule. */
    assert_transition(tz, utc(2100, 3, 28, 1, 0), 0, 3600);
    assert_transition(tz, utc(2100, 10, 31, 1, 0), 3600, 0);
    assert_int_equal(tz_offset(tz, utc(2345, 7, 1, 0, 0)), 3600);
    tz_free(tz);
}

static void new_york(void **state)
{
    (void)state;
    struct tz *tz = load("America/New_York");
    /* 2026: EDT from 8 March 2:00 EST to 1 November 2:00 EDT. */
    assert_transition(tz, utc(2026, 3, 8, 7, 0), -5 * 3600, -4 * 3600);
    assert_transition(tz, utc(2026, 11, 1, 6, 0), -4 * 3600, -5 * 3600);
    assert_local(tz, utc(2026, 3, 8, 7, 0) - 1, "2026-03-08 01:59:59 w0 -18000");
    assert_local(tz, utc(2026, 3, 8, 7, 0), "2026-03-08 03:00:00 w0 -14400");
    assert_local(tz, utc(2026, 1, 1, 4, 59), "2025-12-31 23:59:00 w3 -18000");
    /* Before 2007 the US changed at other dates: first Sunday of April. */
    assert_transition(tz, utc(2006, 4, 2, 7, 0), -5 * 3600, -4 * 3600);
    assert_transition(tz, utc(2090, 3, 12, 7, 0), -5 * 3600, -4 * 3600);
    tz_free(tz);
}

static void southern_hemisphere(void **state)
{
    (void)state;
    struct tz *tz = load("Australia/Sydney");
    /* Summer time ends 5 April 2026 3:00 AEDT, starts 4 October 2:00 AEST. */
    assert_transition(tz, utc(2026, 4, 4, 16, 0), 11 * 3600, 10 * 3600);
    assert_transition(tz, utc(2026, 10, 3, 16, 0), 10 * 3600, 11 * 3600);
    assert_local(tz, utc(2025, 12, 31, 13, 0), "2026-01-01 00:00:00 w4 +39600");
    assert_local(tz, utc(2026, 7, 1, 0, 0), "2026-07-01 10:00:00 w3 +36000");
    /* The rule across New Year, far ahead. */
    assert_int_equal(tz_offset(tz, utc(2199, 12, 31, 12, 59)), 11 * 3600);
    assert_int_equal(tz_offset(tz, utc(2200, 1, 1, 12, 59)), 11 * 3600);
    assert_int_equal(tz_offset(tz, utc(2200, 6, 1, 0, 0)), 10 * 3600);
    tz_free(tz);

    tz = load("America/Sao_Paulo"); /* no DST since 2019; half-hour zones too */
    assert_int_equal(tz_offset(tz, utc(2026, 1, 15, 0, 0)), -3 * 3600);
    tz_free(tz);
    tz = load("Asia/Kolkata");
    assert_local(tz, utc(2026, 1, 1, 0, 0), "2026-01-01 05:30:00 w4 +19800");
    tz_free(tz);
}

static void bad_names(void **state)
{
    (void)state;
    static const char *const invalid[] = {"",
                                          "../etc/passwd",
                                          "/etc/localtime",
                                          "Europe/../UTC",
                                          "Europe/Lon don",
                                          "Europe/Lo.ndon",
                                          "a;b",
                                          "Europe/\xc3\xa9",
                                          "..",
                                          NULL};
    struct tz *tz = (struct tz *)1;
    for (const char *const *n = invalid; *n; n++)
        if (tz_load(&tz, *n) != EINVAL)
            fail_msg("%s: not EINVAL", *n);
    assert_int_equal(tz_load(&tz, NULL), EINVAL);
    assert_int_equal(tz_load(&tz, "Mars/Olympus_Mons"), ENOENT);
    assert_int_equal(tz_load(&tz, "Europe"), ENOENT); /* a directory */
    assert_ptr_equal(tz, (struct tz *)1);
}

/* ---- hand-made TZif files ---- */

static char tzdir[64];

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
    fwrite(b, 1, 4, f);
}

static void put64(FILE *f, int64_t v)
{
    put32(f, (uint32_t)((uint64_t)v >> 32));
    put32(f, (uint32_t)v);
}

/* One data block: n transitions, k types (offsets; odd index: isdst). */
static void put_block(FILE *f, int version, size_t tsize, const int64_t *times,
                      const unsigned char *types, size_t n, const int32_t *offs, size_t k)
{
    char head[20] = "TZif";
    head[4] = (char)version;
    fwrite(head, 1, 20, f);
    put32(f, 0); /* isut */
    put32(f, 0); /* isstd */
    put32(f, 0); /* leap */
    put32(f, (uint32_t)n);
    put32(f, (uint32_t)k);
    put32(f, 4); /* chars: "ZZZ\0" */
    for (size_t i = 0; i < n; i++) {
        if (tsize == 4)
            put32(f, (uint32_t)(int32_t)times[i]);
        else
            put64(f, times[i]);
    }
    if (n)
        fwrite(types, 1, n, f);
    for (size_t i = 0; i < k; i++) {
        unsigned char rest[2] = {(unsigned char)(i % 2), 0};
        put32(f, (uint32_t)offs[i]);
        fwrite(rest, 1, 2, f);
    }
    fwrite("ZZZ", 1, 4, f);
}

/* version 0 (v1 only) or '2', '3': the v1 block, then the v2 one and the footer. */
static void write_zone(const char *name, int version, const int64_t *times,
                       const unsigned char *types, size_t n, const int32_t *offs, size_t k,
                       const char *footer)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", tzdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    put_block(f, version, 4, times, types, n, offs, k);
    if (version) {
        put_block(f, version, 8, times, types, n, offs, k);
        fprintf(f, "\n%s\n", footer);
    }
    fclose(f);
}

static void write_text(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", tzdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_tzdir(void **state)
{
    (void)state;
    snprintf(tzdir, sizeof(tzdir), "/tmp/sb-tz-XXXXXX");
    if (!mkdtemp(tzdir))
        return -1;
    static const int64_t times[] = {0, 100000};
    static const unsigned char types[] = {1, 0};
    static const int32_t offs[] = {3600, 7200};
    write_zone("V1", 0, times, types, 2, offs, 2, NULL);
    write_zone("Slim", '2', NULL, NULL, 0, offs, 1, "<+01>-1<+02>,M3.5.0/2,M10.5.0/3");
    write_zone("Fixed", '2', NULL, NULL, 0, (const int32_t[]){-9000}, 1, "<-0230>2:30");
    /* Version 3: DST all year, and rule times outside 0..24 h. */
    write_zone("AllYear", '3', NULL, NULL, 0, (const int32_t[]){-4 * 3600}, 1,
               "EST5EDT,0/0,J365/25");
    write_zone("Nuuk", '3', NULL, NULL, 0, (const int32_t[]){-2 * 3600}, 1,
               "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    write_zone("NoFooter", '2', times, types, 2, offs, 2, "");
    write_zone("BadFooter", '2', NULL, NULL, 0, offs, 1, "CET-1CEST,M3.5.0,M13.5.0/3");
    /* Slim, as zic -b slim writes it: no types in the v1 block. */
    char path[128];
    snprintf(path, sizeof(path), "%s/EmptyV1", tzdir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    put_block(f, '3', 4, NULL, NULL, 0, NULL, 0);
    put_block(f, '3', 8, times, types, 2, offs, 2);
    fprintf(f, "\n<+0130>-1:30\n");
    fclose(f);
    write_text("Text", "Europe/London is not here\n");
    write_text("Short", "TZif2");
    static const int64_t back[] = {100, 50};
    write_zone("Unsorted", '2', back, types, 2, offs, 2, "");
    static const unsigned char wild[] = {1, 7};
    write_zone("BadType", '2', times, wild, 2, offs, 2, "");
    setenv("TZDIR", tzdir, 1);
    return 0;
}

static int remove_tzdir(void **state)
{
    (void)state;
    char cmd[128];
    unsetenv("TZDIR");
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tzdir);
    return system(cmd) ? -1 : 0;
}

static void handmade_files(void **state)
{
    (void)state;
    struct tz *tz = load("V1");
    assert_int_equal(tz_offset(tz, -5), 3600); /* before the first: type 0 */
    assert_transition(tz, 0, 3600, 7200);
    assert_transition(tz, 100000, 7200, 3600);
    assert_int_equal(tz_offset(tz, utc(2300, 1, 1, 0, 0)), 3600);
    tz_free(tz);

    tz = load("Slim"); /* CET-like, transitions only in the footer */
    assert_transition(tz, utc(2026, 3, 29, 1, 0), 3600, 7200);
    assert_transition(tz, utc(2026, 10, 25, 1, 0), 7200, 3600);
    tz_free(tz);

    tz = load("Fixed");
    assert_int_equal(tz_offset(tz, utc(2026, 6, 1, 0, 0)), -9000);
    assert_local(tz, utc(2026, 6, 1, 0, 0), "2026-05-31 21:30:00 w0 -9000");
    tz_free(tz);

    tz = load("AllYear");
    for (int m = 1; m <= 12; m++)
        assert_int_equal(tz_offset(tz, utc(2030, m, 28, 12, 0)), -4 * 3600);
    assert_int_equal(tz_offset(tz, utc(2030, 1, 1, 0, 0)), -4 * 3600);
    assert_int_equal(tz_offset(tz, utc(2030, 12, 31, 23, 59)), -4 * 3600);
    tz_free(tz);

    tz = load("Nuuk"); /* -1 h on the last Sunday of March: 01:00 UTC */
    assert_transition(tz, utc(2026, 3, 29, 1, 0), -2 * 3600, -3600);
    assert_transition(tz, utc(2026, 10, 25, 1, 0), -3600, -2 * 3600);
    tz_free(tz);

    tz = load("EmptyV1");
    assert_transition(tz, 0, 3600, 7200);
    assert_transition(tz, 100000, 7200, 5400); /* the footer's, from the last one on */
    tz_free(tz);

    tz = load("NoFooter"); /* the last transition's type holds for ever */
    assert_int_equal(tz_offset(tz, utc(2300, 1, 1, 0, 0)), 3600);
    tz_free(tz);

    tz = (struct tz *)1;
    assert_int_equal(tz_load(&tz, "BadFooter"), EBADMSG);
    assert_int_equal(tz_load(&tz, "Text"), EBADMSG);
    assert_int_equal(tz_load(&tz, "Short"), EBADMSG);
    assert_int_equal(tz_load(&tz, "Unsorted"), EBADMSG);
    assert_int_equal(tz_load(&tz, "BadType"), EBADMSG);
    assert_int_equal(tz_load(&tz, "Europe/London"), ENOENT); /* TZDIR is used */
    assert_ptr_equal(tz, (struct tz *)1);
    tz = load("UTC");
    tz_free(tz);
}

/* Every zone of zone1970.tab loads and agrees with the C library at times
 * from 1887 to 2300 (transitions and footers alike). */
static void all_zones_agree_with_libc(void **state)
{
    (void)state;
    FILE *f = fopen("/usr/share/zoneinfo/zone1970.tab", "r");
    char line[512];
    int zones = 0, checks = 0;
    if (!f)
        skip();
    srand(7);
    while (fgets(line, sizeof(line), f)) {
        char *name;
        if (line[0] == '#' || !strtok(line, "\t") || !strtok(NULL, "\t") ||
            !(name = strtok(NULL, "\t\n")))
            continue;
        struct tz *tz = load(name);
        setenv("TZ", name, 1);
        tzset();
        for (int i = 0; i < 400; i++) {
            int64_t t = (int64_t)rand() % (utc(2300, 1, 1, 0, 0) / 16) * 16 + rand() % 16;
            if (i % 4 == 0)
                t = -t / 4; /* back to 1887 */
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            if (tz_offset(tz, t) != tm.tm_gmtoff)
                fail_msg("%s at %lld: %d, libc %ld", name, (long long)t, tz_offset(tz, t),
                         tm.tm_gmtoff);
            checks++;
        }
        tz_free(tz);
        zones++;
    }
    fclose(f);
    unsetenv("TZ");
    tzset();
    assert_true(zones > 300);
    printf("tz: %d zones, %d times agree with the C library\n", zones, checks);
}

/* ---- schedules ---- */

static struct schedule *compile(const char *json, const char *default_tz)
{
    json_error_t jerr;
    json_t *spec = json_loads(json, 0, &jerr);
    struct schedule *s = NULL;
    char err[200];
    if (!spec)
        fail_msg("bad test JSON: %s", jerr.text);
    int rc = schedule_compile(&s, spec, default_tz, err, sizeof(err));
    json_decref(spec);
    if (rc)
        fail_msg("schedule_compile: %s", err);
    return s;
}

static void compile_fails(const char *json, int want_rc, const char *want)
{
    json_t *spec = json_loads(json, 0, NULL);
    struct schedule *s = (struct schedule *)1;
    char err[200] = "?";
    assert_non_null(spec);
    int rc = schedule_compile(&s, spec, NULL, err, sizeof(err));
    json_decref(spec);
    if (rc != want_rc || strcmp(err, want))
        fail_msg("%s\n  got:  %d %s\n  want: %d %s", json, rc, err, want_rc, want);
    assert_ptr_equal(s, (struct schedule *)1);
}

#define MS(t) ((t)*INT64_C(1000))

static const char *const harbor =
    "{\"timezone\": \"Europe/London\","
    " \"weekly\": {\"mon\": [\"09:00-12:30\", \"13:30-18:00\"], \"tue\": [\"09:00-18:00\"],"
    "  \"wed\": [\"09:00-18:00\"], \"thu\": [\"09:00-18:00\"], \"fri\": [\"09:00-17:00\"],"
    "  \"sat\": [\"10:00-12:00\", \"11:00-14:00\"], \"sun\": []},"
    " \"holidays\": [{\"date\": \"2026-12-25\", \"name\": \"Christmas Day\"},"
    "  {\"date\": \"2026-12-28\", \"name\": \"Boxing Day (substitute)\"}]}";

static void open_intervals(void **state)
{
    (void)state;
    struct schedule *s = compile(harbor, NULL);
    const char *holiday = "x";
    /* Monday 12 January 2026 (GMT): local = UTC. */
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 12, 8, 59)), &holiday));
    assert_null(holiday);
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 12, 9, 0)), NULL));
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 12, 12, 29)) + 59999, NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 12, 12, 30)), NULL));
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 12, 13, 30)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 12, 18, 0)), NULL));
    /* Monday 13 July 2026 (BST): 09:00 local is 08:00 UTC. */
    assert_true(schedule_is_open(s, MS(utc(2026, 7, 13, 8, 0)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 7, 13, 7, 59)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 7, 13, 17, 0)), NULL));
    /* Saturday: overlapping intervals merge into 10:00-14:00. */
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 17, 13, 59)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 17, 14, 0)), NULL));
    /* Sunday (empty) and a missing day are closed. */
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 18, 12, 0)), NULL));
    schedule_free(s);

    s = compile("{\"weekly\": {\"wed\": [\"00:00-24:00\"]}}", NULL); /* UTC */
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 13, 23, 59)), NULL));
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 14, 0, 0)), NULL));
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 14, 23, 59)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 15, 0, 0)), NULL));
    assert_false(schedule_is_open(NULL, 0, NULL));
    schedule_free(s);
}

static void default_zone_and_other_zones(void **state)
{
    (void)state;
    const char *spec = "{\"weekly\": {\"mon\": [\"09:00-17:00\"]}}";
    struct schedule *s = compile(spec, "America/New_York");
    /* Monday 9 March 2026, the day after the change to EDT: 09:00 = 13:00 UTC. */
    assert_false(schedule_is_open(s, MS(utc(2026, 3, 9, 12, 59)), NULL));
    assert_true(schedule_is_open(s, MS(utc(2026, 3, 9, 13, 0)), NULL));
    /* Monday 2 March 2026 (EST): 09:00 = 14:00 UTC. */
    assert_false(schedule_is_open(s, MS(utc(2026, 3, 2, 13, 0)), NULL));
    assert_true(schedule_is_open(s, MS(utc(2026, 3, 2, 14, 0)), NULL));
    schedule_free(s);

    s = compile("{\"timezone\": \"Australia/Sydney\", \"weekly\": {\"mon\": [\"09:00-17:00\"]}}",
                "America/New_York");
    /* Monday 5 January 2026 09:00 AEDT = Sunday 4 January 22:00 UTC. */
    assert_true(schedule_is_open(s, MS(utc(2026, 1, 4, 22, 0)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 1, 4, 21, 59)), NULL));
    /* Monday 6 July 2026 09:00 AEST = Sunday 5 July 23:00 UTC. */
    assert_true(schedule_is_open(s, MS(utc(2026, 7, 5, 23, 0)), NULL));
    assert_false(schedule_is_open(s, MS(utc(2026, 7, 5, 22, 59)), NULL));
    schedule_free(s);
}

static void holidays(void **state)
{
    (void)state;
    struct schedule *s = compile(harbor, NULL);
    const char *holiday = NULL;
    /* Friday 25 December 2026 10:00 would be open. */
    assert_false(schedule_is_open(s, MS(utc(2026, 12, 25, 10, 0)), &holiday));
    assert_string_equal(holiday, "Christmas Day");
    /* The holiday is the local date: 00:30 local, 00:30 UTC in winter. */
    assert_false(schedule_is_open(s, MS(utc(2026, 12, 25, 0, 30)), &holiday));
    assert_string_equal(holiday, "Christmas Day");
    assert_false(schedule_is_open(s, MS(utc(2026, 12, 24, 23, 59)), &holiday));
    assert_null(holiday);
    assert_true(schedule_is_open(s, MS(utc(2026, 12, 24, 10, 0)), &holiday));
    assert_null(holiday);
    schedule_free(s);

    /* In New York the holiday starts at 05:00 UTC. */
    s = compile("{\"weekly\": {\"thu\": [\"00:00-24:00\"], \"fri\": [\"00:00-24:00\"]},"
                " \"holidays\": [{\"date\": \"2026-07-03\", \"name\": \"Independence Day\"}]}",
                "America/New_York");
    assert_true(schedule_is_open(s, MS(utc(2026, 7, 3, 3, 59)), &holiday)); /* Thu 23:59 */
    assert_false(schedule_is_open(s, MS(utc(2026, 7, 3, 4, 0)), &holiday));
    assert_string_equal(holiday, "Independence Day");
    assert_false(schedule_is_open(s, MS(utc(2026, 7, 4, 3, 59)), &holiday));
    assert_string_equal(holiday, "Independence Day");
    schedule_free(s);
}

static void next_open(void **state)
{
    (void)state;
    struct schedule *s = compile(harbor, NULL);
    int64_t now = MS(utc(2026, 1, 12, 10, 0)) + 1234;
    /* Open now: now. */
    assert_int_equal(schedule_next_open(s, now), now);
    /* Lunch: 13:30 the same day. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 1, 12, 12, 45)) + 5),
                     MS(utc(2026, 1, 12, 13, 30)));
    /* Friday evening: Saturday 10:00. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 1, 16, 17, 0))),
                     MS(utc(2026, 1, 17, 10, 0)));
    /* Saturday afternoon: Monday 09:00. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 1, 17, 14, 0))),
                     MS(utc(2026, 1, 19, 9, 0)));
    /* Across the change to BST: Monday 30 March 09:00 BST = 08:00 UTC. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 3, 28, 15, 0))),
                     MS(utc(2026, 3, 30, 8, 0)));
    /* And back to GMT: Monday 26 October 09:00 GMT. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 10, 24, 15, 0))),
                     MS(utc(2026, 10, 26, 9, 0)));
    /* Christmas Friday, weekend, Boxing Day substitute Monday: Tuesday. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 12, 24, 18, 0))),
                     MS(utc(2026, 12, 26, 10, 0)));
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 12, 26, 15, 0))),
                     MS(utc(2026, 12, 29, 9, 0)));
    /* Just before opening, mid-second. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 1, 13, 8, 59)) + 59999),
                     MS(utc(2026, 1, 13, 9, 0)));
    schedule_free(s);

    /* Never open: nothing within 400 days. */
    s = compile("{\"weekly\": {}}", "Europe/London");
    assert_int_equal(schedule_next_open(s, now), INT64_MAX);
    assert_int_equal(schedule_next_open(NULL, now), INT64_MAX);
    schedule_free(s);
    s = compile("{\"weekly\": {\"mon\": [\"09:00-10:00\"]}}", NULL);
    assert_int_equal(schedule_next_open(s, INT64_MAX - 5), INT64_MAX);
    schedule_free(s);

    /* Open only 01:30-03:00 on Sundays: on 29 March 2026 01:00-02:00 does
     * not exist in London; it opens at the change, 02:00 BST. */
    s = compile("{\"timezone\": \"Europe/London\", \"weekly\": {\"sun\": [\"01:30-03:00\"]}}",
                NULL);
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 3, 28, 12, 0))),
                     MS(utc(2026, 3, 29, 1, 0)));
    /* Open only 01:30-01:45: skipped that Sunday, next week instead. */
    schedule_free(s);
    s = compile("{\"timezone\": \"Europe/London\", \"weekly\": {\"sun\": [\"01:30-01:45\"]}}",
                NULL);
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 3, 28, 12, 0))),
                     MS(utc(2026, 4, 5, 0, 30)));
    /* On 25 October 01:30 happens twice (BST, then GMT): the first. */
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 10, 24, 12, 0))),
                     MS(utc(2026, 10, 25, 0, 30)));
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 10, 25, 0, 45))),
                     MS(utc(2026, 10, 25, 1, 30)));
    schedule_free(s);

    /* Only on one holiday-free day a year away. */
    s = compile("{\"weekly\": {\"sun\": [\"12:00-13:00\"]},"
                " \"holidays\": [{\"date\": \"2026-01-04\", \"name\": \"a\"},"
                "                {\"date\": \"2026-01-11\", \"name\": \"b\"}]}",
                "Australia/Sydney");
    assert_int_equal(schedule_next_open(s, MS(utc(2026, 1, 1, 0, 0))),
                     MS(utc(2026, 1, 18, 1, 0))); /* 12:00 AEDT */
    schedule_free(s);
}

static void compile_errors(void **state)
{
    (void)state;
    compile_fails("[]", EINVAL, "expected an object with weekly hours");
    compile_fails("{\"timezone\": 3}", EINVAL, "timezone: expected a zone name like Europe/London");
    compile_fails("{\"timezone\": \"Mars/Base\"}", ENOENT, "timezone: no time zone \"Mars/Base\"");
    compile_fails("{\"timezone\": \"../x\"}", EINVAL,
                  "timezone: expected a zone name like Europe/London, got \"../x\"");
    compile_fails("{\"weekly\": []}", EINVAL, "weekly: expected an object of days (mon .. sun)");
    compile_fails("{\"weekly\": {\"monday\": []}}", EINVAL,
                  "weekly.monday: expected a day: mon, tue, wed, thu, fri, sat or sun");
    compile_fails("{\"weekly\": {\"mon\": \"09:00-17:00\"}}", EINVAL,
                  "weekly.mon: expected a list of HH:MM-HH:MM intervals");
    static const char *const bad[] = {"18:00-13:30", "09:00-09:00", "9:00-17:00",  "09:00-24:01",
                                      "24:00-24:00", "09:60-10:00", "09:00 17:00", "09:00-17:00x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"weekly\": {\"mon\": [\"09:00-12:30\", \"%s\"]}}", bad[i]);
        compile_fails(json, EINVAL,
                      "weekly.mon[1]: expected HH:MM-HH:MM with the end after the start");
    }
    compile_fails("{\"weekly\": {\"tue\": [9]}}", EINVAL,
                  "weekly.tue[0]: expected HH:MM-HH:MM with the end after the start");
    compile_fails("{\"holidays\": {}}", EINVAL, "holidays: expected a list of {date, name}");
    compile_fails("{\"holidays\": [\"2026-12-25\"]}", EINVAL,
                  "holidays[0]: expected an object with a date and a name");
    compile_fails("{\"holidays\": [{\"date\": \"2026-02-29\", \"name\": \"x\"}]}", EINVAL,
                  "holidays[0].date: expected a date YYYY-MM-DD");
    compile_fails("{\"holidays\": [{\"date\": \"2026-13-01\", \"name\": \"x\"}]}", EINVAL,
                  "holidays[0].date: expected a date YYYY-MM-DD");
    compile_fails("{\"holidays\": [{\"date\": \"2026-12-25\"}]}", EINVAL,
                  "holidays[0].name: expected a name");
    compile_fails("{\"holidays\": [{\"date\": \"2026-12-25\", \"name\": \"a\"},"
                  " {\"date\": \"2026-12-25\", \"name\": \"b\"}]}",
                  EINVAL, "holidays[1].date: 2026-12-25 is already holidays[0]");

    /* A leap day is a date; other keys (a bot's afterHours) are left alone. */
    struct schedule *s = compile("{\"holidays\": [{\"date\": \"2028-02-29\", \"name\": \"x\"}],"
                                 " \"afterHours\": \"closed\"}",
                                 NULL);
    schedule_free(s);
    /* A bad default zone is reported as such. */
    json_t *spec = json_pack("{}");
    char err[200];
    assert_int_equal(schedule_compile(&s, spec, "Nowhere/Town", err, sizeof(err)), ENOENT);
    assert_string_equal(err, "default time zone: no time zone \"Nowhere/Town\"");
    json_decref(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utc_is_built_in),
        cmocka_unit_test(london),
        cmocka_unit_test(new_york),
        cmocka_unit_test(southern_hemisphere),
        cmocka_unit_test(bad_names),
        cmocka_unit_test_setup_teardown(handmade_files, make_tzdir, remove_tzdir),
        cmocka_unit_test(all_zones_agree_with_libc),
        cmocka_unit_test(open_intervals),
        cmocka_unit_test(default_zone_and_other_zones),
        cmocka_unit_test(holidays),
        cmocka_unit_test(next_open),
        cmocka_unit_test(compile_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
