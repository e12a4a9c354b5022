/*
 * bot_text.c - the text helpers of the bot interpreter: normalising free
 * text (case, punctuation, a small stemmer, synonyms), scoring intents
 * against normalised input, and rendering "{{name}}" templates.
 *
 * Normalising is the one definition used for keywords, phrases, quick
 * reply labels and consumer input alike, so that both sides of every
 * comparison went through the same steps (bot.h gives the rules): first
 * the words, lowered and stemmed, then the synonyms, the longest first
 * where several (of one or more words) start at the same word.
 * Apostrophes (ASCII ' and U+2019) stay inside a word until stemming has
 * seen them ("customer's" -> "customer"); any left afterwards split the
 * word like other punctuation ("don't" -> "don t").
 */
#include "chat/bot_internal.h"
#include "core/libre.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- normalising ---- */

static size_t utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

static bool ends_with(const char *w, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(w + n - k, suffix, k);
}

/* Reduce word w (n bytes) to its stem in place; returns the new length. */
static size_t stem(char *w, size_t n)
{
    if ((ends_with(w, n, "'s") || ends_with(w, n, "s'")) && utf8_chars(w, n - 2) >= 3)
        return n - 2;
    if (ends_with(w, n, "ies") && utf8_chars(w, n - 3) + 1 >= 3) {
        w[n - 3] = 'y';
        return n - 2;
    }
    if (ends_with(w, n, "ing") && utf8_chars(w, n - 3) >= 3)
        return n - 3;
    if (ends_with(w, n, "ed") && utf8_chars(w, n - 2) >= 3)
        return n - 2;
    if (ends_with(w, n, "es") && utf8_chars(w, n - 2) >= 3 &&
        (strchr("sxz", w[n - 3]) || ends_with(w, n - 2, "ch") || ends_with(w, n - 2, "sh")))
        return n - 2;
    if (ends_with(w, n, "ly") && utf8_chars(w, n - 2) >= 3)
        return n - 2;
    if (ends_with(w, n, "s") && utf8_chars(w, n - 1) >= 3)
        return n - 1;
    return n;
}

static int append(struct mbuf *out, const char *w, size_t n)
{
    int err = out->end ? mbuf_write_u8(out, ' ') : 0;
    return err ? err : mbuf_write_mem(out, (const uint8_t *)w, n);
}

/* Stem one word, then split what is left at apostrophes. */
static int add_word(struct mbuf *out, char *w, size_t n)
{
    int err = 0;
    n = stem(w, n);
    for (size_t i = 0, from = 0; i <= n && !err; i++) {
        if (i < n && w[i] != '\'')
            continue;
        if (i > from)
            err = append(out, w + from, i - from);
        from = i + 1;
    }
    return err;
}

/* The words of text, lowered and stemmed, into out. */
static int split_words(const char *text, struct mbuf *out)
{
    size_t len = text ? strlen(text) : 0, n = 0;
    char *word = mem_alloc(len + 1, NULL);
    int err = word ? 0 : ENOMEM;
    for (size_t i = 0; !err && i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)text[i] : ' ';
        if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
            (unsigned char)text[i + 2] == 0x99) {
            word[n++] = '\''; /* U+2019 RIGHT SINGLE QUOTATION MARK */
            i += 2;
        } else if (c >= 'A' && c <= 'Z') {
            word[n++] = (char)(c - 'A' + 'a');
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'') {
            word[n++] = (char)c;
        } else if (n) {
            err = add_word(out, word, n);
            n = 0;
        }
    }
    mem_deref(word);
    return err;
}

/* The longest synonym (of one or more words) that starts words s, or NULL. */
static const struct bot_synonym *synonym_at(const struct bot *b, const char *s, size_t *lenp)
{
    const struct bot_synonym *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; b && i < b->nsynonyms; i++) {
        size_t n = strlen(b->synonyms[i].word);
        if (n > best_len && !strncmp(s, b->synonyms[i].word, n) && (s[n] == ' ' || !s[n])) {
            best = &b->synonyms[i];
            best_len = n;
        }
    }
    *lenp = best_len;
    return best;
}

/* Words (one space apart) with the bot's synonyms replaced, into out. */
static int replace_synonyms(const struct bot *b, const char *s, struct mbuf *out)
{
    int err = 0;
    while (*s && !err) {
        size_t n;
        const struct bot_synonym *syn = synonym_at(b, s, &n);
        if (syn) {
            err = append(out, syn->canonical, strlen(syn->canonical));
        } else {
            n = strcspn(s, " ");
            err = append(out, s, n);
        }
        s += n + (s[n] == ' ');
    }
    return err;
}

static char *take_string(struct mbuf *mb)
{
    char *s = NULL;
    mbuf_set_pos(mb, 0);
    return mbuf_strdup(mb, &s, mb->end) ? NULL : s;
}

char *bot_text_normalize(const struct bot *b, const char *text)
{
    struct mbuf *words = mbuf_alloc(64), *out = NULL;
    char *plain = NULL, *result = NULL;
    if (!words || split_words(text, words) || !(plain = take_string(words)))
        goto out;
    if (!b || !b->nsynonyms) {
        result = mem_ref(plain);
        goto out;
    }
    if ((out = mbuf_alloc(words->end + 16)) && !replace_synonyms(b, plain, out))
        result = take_string(out);
out:
    mem_deref(words);
    mem_deref(out);
    mem_deref(plain);
    return result;
}

size_t bot_normalize(const struct bot *b, const char *text, char *out, size_t size)
{
    char *norm = bot_text_normalize(b, text);
    size_t n = norm ? strlen(norm) : 0;
    if (!size) {
        mem_deref(norm);
        return 0;
    }
    if (n >= size) { /* cut, but not inside a UTF-8 sequence */
        n = size - 1;
        while (n && ((unsigned char)norm[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out, norm, n);
    out[n] = '\0';
    mem_deref(norm);
    return n;
}

/* ---- scoring ---- */

/* Where the words `w` (normalised, n bytes) stand whole in `padded` (" a b
 * c ") at or after `from`: the offset just past them, or 0 when absent. */
static size_t find_words(const char *padded, size_t from, const char *w, size_t n)
{
    size_t len = strlen(padded);
    for (size_t i = from; n && i + n <= len; i++) {
        const char *hit = memmem(padded + i, len - i, w, n);
        if (!hit)
            return 0;
        i = (size_t)(hit - padded);
        if (i > 0 && padded[i - 1] == ' ' && i + n < len && padded[i + n] == ' ')
            return i + n;
    }
    return 0;
}

/* Are all the words of phrase p in padded, in this order? */
static bool has_phrase(const char *padded, const char *p)
{
    size_t at = 0;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (!(at = find_words(padded, at, p, n)))
            return false;
        p += n + (p[n] == ' ');
    }
    return true;
}

int bot_text_score(const struct bot_intent *in, const char *padded)
{
    int score = 0;
    for (size_t i = 0; i < in->nphrases; i++)
        score += has_phrase(padded, in->phrases[i]) ? 2 : 0;
    for (size_t i = 0; i < in->nkeywords; i++)
        score += find_words(padded, 0, in->keywords[i], strlen(in->keywords[i])) ? 1 : 0;
    return score;
}

/* ---- templates ---- */

static bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static int write_value(struct mbuf *mb, const json_t *v)
{
    char num[40];
    if (json_is_string(v))
        return mbuf_write_mem(mb, (const uint8_t *)json_string_value(v), json_string_length(v));
    if (json_is_integer(v))
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(num, sizeof(num), "%.15g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" : "false");
    else
        return 0;
    return mbuf_write_str(mb, num);
}

json_t *bot_text_render(const char *tmpl, const json_t *vars)
{
    struct mbuf *mb = mbuf_alloc(strlen(tmpl) + 32);
    json_t *out = NULL;
    int err = mb ? 0 : ENOMEM;
    while (!err && *tmpl) {
        const char *open = strstr(tmpl, "{{"), *name, *end, *close;
        if (!open) {
            err = mbuf_write_str(mb, tmpl);
            break;
        }
        err = mbuf_write_mem(mb, (const uint8_t *)tmpl, (size_t)(open - tmpl));
        for (name = open + 2; *name == ' '; name++)
            ;
        for (end = name; is_name_char(*end); end++)
            ;
        for (close = end; *close == ' '; close++)
            ;
        if (end == name || strncmp(close, "}}", 2)) { /* not a variable: as it is */
            err = err ? err : mbuf_write_str(mb, "{{");
            tmpl = open + 2;
            continue;
        }
        char key[65];
        size_t n = (size_t)(end - name);
        if (!err && n < sizeof(key)) {
            memcpy(key, name, n);
            key[n] = '\0';
            err = write_value(mb, json_object_get(vars, key));
        }
        tmpl = close + 2;
    }
    if (!err)
        out = json_stringn(mb->end ? (const char *)mb->buf : "", mb->end);
    mem_deref(mb);
    return out;
}
