/*
 * asr_lexicon.c - pronunciations for a grammar's words (see
 * asr_internal.h): one pass over the CMU dictionary (3 MB, about 10 ms)
 * picks the lines of the words wanted, so a decoder holds only its own
 * words instead of the 134,000 entries; a word missing there is spelled by
 * flite's letter-to-sound rules, its phones mapped to the model's set.
 */
#include "voice/asr_internal.h"
#include "voice/synth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The word a dictionary line or a wanted word stands for: up to "(2)",
 * the carrier mark or the end. */
static size_t base_len(const char *w)
{
    size_t n = strcspn(w, " \t(");
    if (n && w[n - 1] == ASR_CARRIER_MARK)
        n--;
    return n;
}

static int cmp_base(const char *a, size_t an, const char *b, size_t bn)
{
    int c = strncmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int cmp_words(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int c = cmp_base(x, base_len(x), y, base_len(y));
    return c ? c : strcmp(x, y);
}

/* The first wanted word whose base is key[0..kn), or n. The words are
 * sorted by cmp_words, so the ones sharing a base are together. */
static size_t find(char *const *words, size_t n, const char *key, size_t kn)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_base(words[mid], base_len(words[mid]), key, kn) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !cmp_base(words[lo], base_len(words[lo]), key, kn) ? lo : n;
}

/* Enter word (with the variant suffix of the dictionary line, if any). */
static int add(ps_decoder_t *ps, const char *word, const char *variant, const char *phones)
{
    char name[160];
    int w = snprintf(name, sizeof(name), "%s%s", word, variant);
    if (w < 0 || (size_t)w >= sizeof(name))
        return EINVAL;
    return ps_add_word(ps, name, phones, 0) < 0 ? EINVAL : 0;
}

/* One dictionary line: enter it for every wanted word it spells. */
static int take_line(ps_decoder_t *ps, char *line, char *const *words, size_t n, bool *found)
{
    size_t kn = strcspn(line, " \t(");
    size_t i = find(words, n, line, kn);
    if (i == n)
        return 0;
    char *variant = line + kn, *phones = line + strcspn(line, " \t");
    *phones++ = '\0';
    phones += strspn(phones, " \t");
    phones[strcspn(phones, "\r\n")] = '\0';
    for (; i < n && !cmp_base(words[i], base_len(words[i]), line, kn); i++) {
        if (add(ps, words[i], variant, phones))
            return EINVAL;
        found[i] = true;
    }
    return 0;
}

/* flite's "ow0 k ax0 f er0" as the model's "OW K AH F ER". */
static int to_model_phones(const char *in, char *out, size_t size)
{
    size_t len = 0;
    while (*in) {
        size_t tok = strcspn(in, " "), n = tok;
        char ph[8];
        if (n && n < sizeof(ph)) {
            memcpy(ph, in, n);
            ph[n] = '\0';
            while (n && ph[n - 1] >= '0' && ph[n - 1] <= '9')
                ph[--n] = '\0';
            if (!strcmp(ph, "ax"))
                strcpy(ph, "ah"); /* the model has no schwa of its own */
            if (strcmp(ph, "pau") && n) {
                if (len + n + 2 > size)
                    return ENOSPC;
                if (len)
                    out[len++] = ' ';
                for (size_t k = 0; k < n; k++)
                    out[len++] = (char)(ph[k] - 'a' + 'A');
            }
        }
        in += tok;
        in += strspn(in, " ");
    }
    out[len] = '\0';
    return len ? 0 : ENOENT;
}

static int spell(ps_decoder_t *ps, const char *word, char *err, size_t errsize)
{
    char base[128], flite[512], phones[512];
    size_t bn = base_len(word);
    if (bn >= sizeof(base))
        bn = sizeof(base) - 1;
    memcpy(base, word, bn);
    base[bn] = '\0';
    int e = synth_phones(base, flite, sizeof(flite));
    if (!e)
        e = to_model_phones(flite, phones, sizeof(phones));
    if (!e)
        e = add(ps, word, "", phones);
    if (e)
        snprintf(err, errsize, "no pronunciation for the word \"%s\"", base);
    return e ? EINVAL : 0;
}

int asr_lexicon_load(ps_decoder_t *ps, const char *dictpath, char *const *words, size_t n,
                     char *err, size_t errsize)
{
    FILE *f = fopen(dictpath, "r");
    if (!f) {
        snprintf(err, errsize, "cannot read the dictionary %s", dictpath);
        return EIO;
    }
    bool *found = calloc(n ? n : 1, sizeof(bool));
    char **sorted = malloc((n ? n : 1) * sizeof(char *));
    int e = found && sorted ? 0 : ENOMEM;
    if (!e) {
        memcpy(sorted, words, n * sizeof(char *));
        qsort(sorted, n, sizeof(char *), cmp_words);
    }
    char line[512];
    while (!e && fgets(line, sizeof(line), f))
        e = take_line(ps, line, sorted, n, found);
    fclose(f);
    if (e == EINVAL)
        snprintf(err, errsize, "bad dictionary line in %s", dictpath);
    for (size_t i = 0; i < n && !e; i++) {
        if (!found[i])
            e = spell(ps, sorted[i], err, errsize);
    }
    free(sorted);
    free(found);
    return e;
}
