/*
 * text.h - small text helpers shared by the YAML loader and the validator:
 * a growable string (and JSON strings written into it), quoting a value
 * for a message, and trimming a string cut inside a UTF-8 sequence.
 */
#ifndef SB_CORE_TEXT_H
#define SB_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* A UTF-8 continuation byte. */
#define TEXT_IS_CONT(c) (((unsigned char)(c)&0xc0) == 0x80)

/* A growable NUL-terminated string. Once an allocation fails `oom` stays
 * set and appends do nothing, so a caller may check once at the end. */
struct strbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

/* 0 or ENOMEM. */
int strbuf_reserve(struct strbuf *b, size_t extra);
int strbuf_append(struct strbuf *b, const char *s, size_t n);
int strbuf_puts(struct strbuf *b, const char *s);
/* Set the length (within the reserved capacity) and terminate. */
void strbuf_truncate(struct strbuf *b, size_t len);
/* Append s (UTF-8; NULL is "") as a JSON string: quotes, backslash and
 * control characters escaped, as jansson writes it. For hot paths that
 * write JSON text directly instead of building and dumping a tree. */
int strbuf_json_string(struct strbuf *b, const char *s);

/* Write `s` (len bytes) into dst as a double-quoted, escaped string,
 * shortened with "..." to fit `size` (at least 17), stopping only between
 * characters so the result stays valid UTF-8. Control characters become
 * \u00XX when json_escapes, else \xXX. */
void text_quote(char *dst, size_t size, const char *s, size_t len, bool json_escapes);

/* Cut a string that snprintf may have cut inside a UTF-8 sequence back to
 * its last whole character, so it can go into JSON. */
void text_utf8_clip(char *s);

#endif
