/*
 * asr_grammar.c - the recogniser's grammar: checking phrases, the JSGF
 * text with its carrier words, the grammar's word list, taking carriers
 * out of a result, and phrases from display names (see asr.h).
 */
#include "voice/asr.h"
#include "voice/asr_internal.h"
#include "core/text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Said before a phrase (each may be followed by "the") and after it. */
static const char *const before[] = {
    "i want",  "i'd like", "i need",        "give me",
    "talk to", "speak to", "connect me to", "transfer me to",
};
static const char *const after[] = {"please", "thanks", "thank you"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || c == '\'';
}

int asr_phrase_check(const char *phrase, size_t i, char *err, size_t errsize)
{
    const char *why = NULL;
    bool letter = false;
    for (const char *p = phrase; *p && !why; p++) {
        if (*p == ' ') {
            if (p == phrase || p[1] == ' ' || p[1] == '\0')
                why = "words must be separated by single spaces";
        } else if (!word_char(*p)) {
            why = "only lowercase letters a-z, apostrophes and spaces are allowed";
        } else if (*p != '\'') {
            letter = true;
        }
    }
    if (!why && !letter)
        why = "it has no words";
    if (!why)
        return 0;
    snprintf(err, errsize, "phrase %zu (\"%.60s\"): %s", i + 1, phrase, why);
    return EINVAL;
}

/* Append the words of s, each followed by the carrier mark. */
static void put_marked(struct strbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == ' ')
            strbuf_append(b, (const char[]){ASR_CARRIER_MARK}, 1);
        strbuf_append(b, p, 1);
    }
    strbuf_append(b, (const char[]){ASR_CARRIER_MARK}, 1);
}

/* "a | b | c", each marked as carrier words or not. */
static void put_choices(struct strbuf *b, const char *const *list, size_t n, bool carrier)
{
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(b, i ? " | " : "");
        if (carrier)
            put_marked(b, list[i]);
        else
            strbuf_puts(b, list[i]);
    }
}

char *asr_grammar_jsgf(const char *const *phrases, size_t n)
{
    struct strbuf b = {0};
    strbuf_puts(&b, "#JSGF V1.0;\ngrammar sb;\n"
                    "public <utterance> = [<before>] <phrase> [<after>];\n<before> = ");
    put_marked(&b, "the");
    strbuf_puts(&b, " | (");
    put_choices(&b, before, COUNT(before), true);
    strbuf_puts(&b, ") [");
    put_marked(&b, "the");
    strbuf_puts(&b, "];\n<after> = ");
    put_choices(&b, after, COUNT(after), true);
    strbuf_puts(&b, ";\n<phrase> = ");
    put_choices(&b, phrases, n, false);
    strbuf_puts(&b, ";\n");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* The model's 39 phones (the CMU set), each a one-phone word "ph_aa". */
const char *const asr_phones[ASR_PHONES] = {
    "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D", "DH", "EH", "ER", "EY",
    "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M", "N",  "NG", "OW", "OY",
    "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V", "W",  "Y",  "Z",  "ZH",
};

void asr_phone_word(size_t i, char out[8])
{
    size_t k = 0;
    for (const char *p = "ph_"; *p; p++)
        out[k++] = *p;
    for (const char *p = asr_phones[i]; *p; p++)
        out[k++] = (char)(*p - 'A' + 'a');
    out[k] = '\0';
}

char *asr_grammar_phone_loop(void)
{
    struct strbuf b = {0};
    strbuf_puts(&b, "#JSGF V1.0;\ngrammar loop;\npublic <loop> = (");
    for (size_t i = 0; i < ASR_PHONES; i++) {
        char w[8];
        asr_phone_word(i, w);
        strbuf_puts(&b, i ? " | " : "");
        strbuf_puts(&b, w);
    }
    strbuf_puts(&b, ")+;\n");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append each word of s (marked when carrier) to the list. */
static int add_words(char ***list, size_t *count, size_t *cap, const char *s, bool carrier)
{
    while (*s) {
        size_t len = strcspn(s, " ");
        if (*count == *cap) {
            size_t nc = *cap ? *cap * 2 : 32;
            char **more = realloc(*list, nc * sizeof(char *));
            if (!more)
                return ENOMEM;
            *list = more, *cap = nc;
        }
        char *w = malloc(len + 2);
        if (!w)
            return ENOMEM;
        memcpy(w, s, len);
        w[len] = carrier ? ASR_CARRIER_MARK : '\0';
        w[len + 1] = '\0';
        (*list)[(*count)++] = w;
        s += len;
        s += *s == ' ';
    }
    return 0;
}

int asr_grammar_words(const char *const *phrases, size_t n, char ***words, size_t *count)
{
    char **list = NULL;
    size_t len = 0, cap = 0;
    int err = add_words(&list, &len, &cap, "the", true);
    for (size_t i = 0; i < COUNT(before) && !err; i++)
        err = add_words(&list, &len, &cap, before[i], true);
    for (size_t i = 0; i < COUNT(after) && !err; i++)
        err = add_words(&list, &len, &cap, after[i], true);
    for (size_t i = 0; i < n && !err; i++)
        err = add_words(&list, &len, &cap, phrases[i], false);
    if (err) {
        asr_words_free(list, len);
        return err;
    }
    qsort(list, len, sizeof(char *), cmp_str);
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        if (out && !strcmp(list[out - 1], list[i]))
            free(list[i]);
        else
            list[out++] = list[i];
    }
    *words = list, *count = out;
    return 0;
}

void asr_words_free(char **words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(words[i]);
    free(words);
}

int asr_strip_carriers(const char *hyp, char *out, size_t size)
{
    if (!size)
        return ENOSPC;
    size_t len = 0;
    for (;;) {
        hyp += strspn(hyp, " ");
        size_t wl = strcspn(hyp, " ");
        if (!wl)
            break;
        if (hyp[wl - 1] != ASR_CARRIER_MARK) {
            if (len + (len > 0) + wl + 1 > size)
                return ENOSPC;
            if (len)
                out[len++] = ' ';
            memcpy(out + len, hyp, wl);
            len += wl;
        }
        hyp += wl;
    }
    out[len] = '\0';
    return 0;
}
