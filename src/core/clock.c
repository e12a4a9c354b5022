/*
 * clock.c - wall and monotonic clocks (see clock.h).
 */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    return clock_mono_us() / 1000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_format_rfc3339(char *buf, size_t size, int64_t epoch_ms)
{
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n && n < size)
        snprintf(buf + n, size - n, ".%03dZ", (int)(epoch_ms % 1000));
}

json_t *clock_time_json(int64_t epoch_ms)
{
    char buf[40];
    clock_format_rfc3339(buf, sizeof(buf), epoch_ms);
    return json_string(buf);
}
