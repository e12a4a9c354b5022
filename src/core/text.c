/*
 * text.c - growable strings and message quoting (see text.h).
 */
#include "core/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strbuf_reserve(struct strbuf *b, size_t extra)
{
    if (b->oom)
        return ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return ENOMEM;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

int strbuf_append(struct strbuf *b, const char *s, size_t n)
{
    if (strbuf_reserve(b, n))
        return ENOMEM;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

int strbuf_puts(struct strbuf *b, const char *s)
{
    return strbuf_append(b, s, strlen(s));
}

void strbuf_truncate(struct strbuf *b, size_t len)
{
    /* Also lengthens, after a reserve and a direct write into s. */
    if (b->s && len < b->cap) {
        b->len = len;
        b->s[len] = '\0';
    }
}

int strbuf_json_string(struct strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF"; /* as jansson writes them */
    size_t len = s ? strlen(s) : 0;
    if (strbuf_reserve(b, len + 2))
        return ENOMEM;
    b->s[b->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc = c == '"'    ? '"'
                   : c == '\\' ? '\\'
                   : c == '\n' ? 'n'
                   : c == '\r' ? 'r'
                   : c == '\t' ? 't'
                   : c == '\b' ? 'b'
                   : c == '\f' ? 'f'
                               : 0;
        if (!esc && c >= 0x20) {
            b->s[b->len++] = (char)c;
            continue;
        }
        /* the escape takes the place of one byte; the closing quote is reserved */
        if (strbuf_reserve(b, (esc ? 2 : 6) + len - i))
            return ENOMEM;
        b->s[b->len++] = '\\';
        if (esc) {
            b->s[b->len++] = esc;
        } else {
            memcpy(b->s + b->len, "u00", 3);
            b->s[b->len + 3] = hex[c >> 4];
            b->s[b->len + 4] = hex[c & 15];
            b->len += 5;
        }
    }
    b->s[b->len++] = '"';
    b->s[b->len] = '\0';
    return 0;
}

void text_quote(char *dst, size_t size, const char *s, size_t len, bool json_escapes)
{
    size_t o = 0, limit = size > 16 ? size - 12 : 0; /* room for an escape, "...\"" */
    dst[o++] = '"';
    for (size_t i = 0; i < len && (o < limit || TEXT_IS_CONT(s[i])); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(dst + o, size - o, json_escapes ? "\\u%04x" : "\\x%02x", c);
        } else {
            dst[o++] = (char)c;
        }
        if (o >= limit && i + 1 < len && !TEXT_IS_CONT(s[i + 1])) {
            memcpy(dst + o, "...", 3);
            o += 3;
        }
    }
    dst[o++] = '"';
    dst[o] = '\0';
}

void text_utf8_clip(char *s)
{
    size_t len = strlen(s), i = len;
    while (i > 0 && TEXT_IS_CONT(s[i - 1]) && len - i < 3)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (len - (i - 1) < want)
        s[i - 1] = '\0';
}
