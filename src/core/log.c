/*
 * log.c - structured key=value logging to stderr (see log.h).
 */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

int log_level_parse(const char *name, enum log_level *level)
{
    for (unsigned i = 0; i <= LOG_OFF; i++) {
        if (name && strcasecmp(name, level_names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    }
    if (name && strcasecmp(name, "warning") == 0) {
        *level = LOG_WARN;
        return 0;
    }
    return EINVAL;
}

const char *log_quote(char *buf, unsigned size, const char *value)
{
    unsigned n = 0;
    if (size < 3) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    buf[n++] = '"';
    for (const char *p = value ? value : ""; *p && n + 3 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20) {
            buf[n++] = ' ';
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

static size_t format_time(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, size - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    return n + (m > 0 ? (size_t)m : 0);
}

void log_write(enum log_level level, const char *component, const char *msg, const char *kv_fmt,
               ...)
{
    if (level < current_level || level >= LOG_OFF)
        return;

    char line[2048];
    char quoted[512];
    size_t n = format_time(line, sizeof(line));
    int m = snprintf(line + n, sizeof(line) - n, " level=%s component=%s msg=%s",
                     level_names[level], component, log_quote(quoted, sizeof(quoted), msg));
    if (m > 0)
        n += (size_t)m;
    if (kv_fmt && *kv_fmt && n + 2 < sizeof(line)) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        m = vsnprintf(line + n, sizeof(line) - n, kv_fmt, ap);
        va_end(ap);
        if (m > 0)
            n += (size_t)m;
    }
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per record keeps lines whole when threads log at once. */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
