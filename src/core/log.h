/*
 * log.h - structured logs on stderr, one line per record:
 *
 *   2026-11-25T10:40:00.123Z level=info component=http msg="listening" addr=127.0.0.1:8080
 *
 * Safe to call from any thread: each record is formatted into one buffer
 * and written with a single write(2).
 */
#ifndef SB_CORE_LOG_H
#define SB_CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "debug", "info", "warn", "error" or "off"; returns 0 or EINVAL. */
int log_level_parse(const char *name, enum log_level *level);

/* kv_fmt is printf-style and should produce space-separated key=value
 * pairs; use log_quote() for values that may hold spaces or quotes. */
void log_write(enum log_level level, const char *component, const char *msg, const char *kv_fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* Quote a value for a key=value log: returns buf with "..." and escapes.
 * Truncates to the buffer. */
const char *log_quote(char *buf, unsigned size, const char *value);

#define log_debug(c, m, ...) log_write(LOG_DEBUG, c, m, __VA_ARGS__)
#define log_info(c, m, ...)  log_write(LOG_INFO, c, m, __VA_ARGS__)
#define log_warn(c, m, ...)  log_write(LOG_WARN, c, m, __VA_ARGS__)
#define log_error(c, m, ...) log_write(LOG_ERROR, c, m, __VA_ARGS__)

#endif
