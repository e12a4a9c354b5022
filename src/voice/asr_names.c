/*
 * asr_names.c - dial-by-name phrases from display names (see asr.h).
 */
#include "voice/asr.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* U+00C0..U+00FF (UTF-8 C3 80..C3 BF) as plain lowercase letters; "" for
 * the two signs among them (a word break). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

struct out {
    char *s;
    size_t size, len;
    bool pending_space, full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->pending_space && o->len) {
        o->pending_space = false;
        put(o, " ", 1);
    }
    o->pending_space = false;
    if (o->len + n + 1 > o->size) {
        o->full = true;
        return;
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
}

static bool is_letter(const char *p)
{
    unsigned char c = (unsigned char)*p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c == 0xc3 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0xbf &&
           latin1[(unsigned char)p[1] - 0x80][0];
}

int asr_name_phrase(const char *display, char *out, size_t size)
{
    if (!size)
        return ENOSPC;
    struct out o = {.s = out, .size = size};
    bool letters = false, in_word = false;
    for (const char *p = display; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (is_letter(p)) {
            if (c == 0xc3) {
                const char *f = latin1[(unsigned char)*++p - 0x80];
                put(&o, f, strlen(f));
            } else {
                char l = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                put(&o, &l, 1);
            }
            letters = in_word = true;
        } else if (c == '\'' && in_word && is_letter(p + 1)) {
            put(&o, "'", 1); /* inside a word: O'Brien */
        } else if (!strncmp(p, "\xe2\x80\x99", 3) && in_word && is_letter(p + 3)) {
            put(&o, "'", 1); /* the typographic apostrophe: O\u2019Brien */
            p += 2;
        } else {
            o.pending_space = true, in_word = false;
        }
    }
    out[o.len] = '\0';
    if (o.full)
        return ENOSPC;
    return letters ? 0 : EINVAL;
}
