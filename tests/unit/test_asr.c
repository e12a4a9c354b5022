/*
 * test_asr.c - the speech recogniser on utterances spoken by flite (the
 * prompts' voice, cmu_us_slt), brought to 8 kHz like a prompt, passed
 * through G.711 mu-law like a phone call, with 300 ms of silence either
 * side: menu words (bare and in carrier phrases), a directory's names
 * built from display names, yes/no; speech outside the grammar, silence
 * and noise give nothing; the errors of asr_alloc; WAV files; two threads
 * on one recogniser; start-up time and memory.
 *
 * Each sentence is said three times (flite's voice differs a little each
 * time). Accuracy over each fixed set is printed; the floors asserted sit
 * below what was measured: menu 33/36, names 36/36, yes/no 18/18, other
 * speech turned away 9/18. One synthetic voice is kinder than real
 * callers: the figures guard against regressions, they are no promise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "voice/asr.h"
#include "voice/synth.h"
#include "voice/wav.h"
#include "core/libre.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <rem_g711.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { PAD = 2400 }; /* 300 ms at 8 kHz */

struct utt {
    int16_t *pcm;
    size_t n;
};

/* text spoken as a caller would be heard; flite's voice excites unvoiced
 * sounds with rand() noise, so the seed makes each take differ. */
static struct utt say_take(const char *text, unsigned take)
{
    int16_t *speech = NULL;
    size_t n = 0;
    srand(take);
    assert_int_equal(synth_render_8k(text, &speech, &n), 0);
    struct utt u = {.n = n + 2 * PAD};
    u.pcm = calloc(u.n, sizeof(int16_t));
    assert_non_null(u.pcm);
    for (size_t i = 0; i < n; i++)
        u.pcm[PAD + i] = g711_ulaw2pcm(g711_pcm2ulaw(speech[i]));
    free(speech);
    return u;
}

static struct utt say(const char *text)
{
    return say_take(text, 1);
}

static struct asr *make(const char *const *phrases, size_t n)
{
    struct asr *a = NULL;
    char err[256] = "";
    int rc = asr_alloc(&a, phrases, n, err, sizeof(err));
    if (rc)
        fail_msg("asr_alloc: %d %s", rc, err);
    return a;
}

struct item {
    const char *said, *want; /* want "" : nothing must be recognised */
};

enum { TAKES = 3 }; /* each item is said three times */

/* Recognise every take of every item: the share right, printed with the
 * results. */
static double score(struct asr *a, const char *label, const struct item *items, size_t n)
{
    size_t right = 0;
    for (size_t t = 0; t < TAKES * n; t++) {
        size_t i = t / TAKES;
        struct utt u = say_take(items[i].said, (unsigned)(t % TAKES) + 1);
        char out[128];
        int conf = -1;
        assert_int_equal(asr_recognize(a, u.pcm, u.n, out, sizeof(out), &conf), 0);
        assert_in_range(conf, 0, 100);
        free(u.pcm);
        if (!strcmp(out, items[i].want))
            right++;
        printf("  %-4s %-32s -> %-16s (confidence %d)\n", strcmp(out, items[i].want) ? "MISS" : "",
               items[i].said, out[0] ? out : "\"\"", conf);
    }
    double share = (double)right / (double)(TAKES * n);
    printf("%s: %zu/%zu right (%.0f %%)\n", label, right, TAKES * n, 100 * share);
    return share;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const menu[] = {"sales", "support", "billing", "operator"};

static void test_menu_words(void **state)
{
    static const struct item items[] = {
        {"sales", "sales"},
        {"support", "support"},
        {"billing", "billing"},
        {"operator", "operator"},
        {"sales please", "sales"},
        {"I want support", "support"},
        {"billing please", "billing"},
        {"I'd like the operator", "operator"},
        {"connect me to sales", "sales"},
        {"support please", "support"},
        {"I need billing", "billing"},
        {"operator please", "operator"},
    };
    struct asr *a = make(menu, COUNT(menu));
    double share = score(a, "menu words", items, COUNT(items));
    assert_true(share >= 0.80);
    asr_free(a);
}

static void test_names(void **state)
{
    static const char *const display[] = {
        "Alice Brown", "Bob Singh",    "Carol Chen", "Dave Okafor",  "Erin Walsh",
        "María López", "Frank Miller", "Grace Kim",  "Henry Nguyen", "Ian O'Neill",
    };
    char buf[COUNT(display)][64];
    const char *phrases[COUNT(display)];
    for (size_t i = 0; i < COUNT(display); i++) {
        assert_int_equal(asr_name_phrase(display[i], buf[i], sizeof(buf[i])), 0);
        phrases[i] = buf[i];
    }
    assert_string_equal(phrases[5], "maria lopez");
    assert_string_equal(phrases[9], "ian o'neill");
    static const struct item items[] = {
        {"Alice Brown", "alice brown"},
        {"Bob Singh", "bob singh"},
        {"Carol Chen", "carol chen"},
        {"Dave Okafor", "dave okafor"}, /* "okafor": letter-to-sound */
        {"Erin Walsh", "erin walsh"},
        {"Maria Lopez", "maria lopez"},
        {"Frank Miller", "frank miller"},
        {"Grace Kim", "grace kim"},
        {"Henry Nguyen", "henry nguyen"},
        {"Ian O'Neill", "ian o'neill"},
        {"connect me to Carol Chen", "carol chen"},
        {"Erin Walsh please", "erin walsh"},
    };
    struct asr *a = make(phrases, COUNT(phrases));
    double share = score(a, "names", items, COUNT(items));
    assert_true(share >= 0.85);
    asr_free(a);
}

static void test_yes_no(void **state)
{
    static const char *const yn[] = {"yes", "no"};
    static const struct item items[] = {
        {"yes", "yes"},      {"no", "no"},           {"yes please", "yes"},
        {"no thanks", "no"}, {"no thank you", "no"}, {"yes thanks", "yes"},
    };
    struct asr *a = make(yn, COUNT(yn));
    double share = score(a, "yes/no", items, COUNT(items));
    assert_true(share >= 0.85);
    asr_free(a);
}

static void test_other_speech(void **state)
{
    static const struct item items[] = {
        {"hello", ""},
        {"good morning", ""},
        {"what are your opening hours", ""},
        {"I have a question about my order", ""},
        {"cancel my account", ""},
        {"can you hear me", ""},
    };
    struct asr *a = make(menu, COUNT(menu));
    double share = score(a, "other speech rejected", items, COUNT(items));
    assert_true(share >= 0.35);
    asr_free(a);
}

/* A fixed pseudo-random noise at amplitude amp, n samples. */
static int16_t *noise(size_t n, int amp)
{
    int16_t *s = malloc(n * sizeof(int16_t));
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        s[i] = (int16_t)((int)(x >> 16) % (2 * amp + 1) - amp);
    }
    return s;
}

static void test_silence_and_noise(void **state)
{
    struct asr *a = make(menu, COUNT(menu));
    char out[64];
    int conf = -1;
    int16_t *zeros = calloc(16000, sizeof(int16_t));
    assert_int_equal(asr_recognize(a, zeros, 16000, out, sizeof(out), &conf), 0);
    assert_string_equal(out, "");
    assert_int_equal(conf, 0);
    free(zeros);
    assert_int_equal(asr_recognize(a, NULL, 0, out, sizeof(out), &conf), 0);
    assert_string_equal(out, "");
    static const int amps[] = {30, 300, 3000, 12000};
    for (size_t i = 0; i < COUNT(amps); i++) {
        int16_t *s = noise(16000, amps[i]);
        assert_int_equal(asr_recognize(a, s, 16000, out, sizeof(out), &conf), 0);
        printf("  noise +-%d -> \"%s\" (confidence %d)\n", amps[i], out, conf);
        assert_string_equal(out, "");
        free(s);
    }
    asr_free(a);
}

static void alloc_fails(const char *const *phrases, size_t n, int want_rc, const char *want)
{
    struct asr *a = (struct asr *)1;
    char err[256] = "";
    int rc = asr_alloc(&a, phrases, n, err, sizeof(err));
    if (rc != want_rc || !strstr(err, want))
        fail_msg("got %d \"%s\", want %d \"%s\"", rc, err, want_rc, want);
    assert_ptr_equal(a, (struct asr *)1);
}

static void test_errors(void **state)
{
    alloc_fails(NULL, 0, EINVAL, "no phrases");
    static const char *const upper[] = {"sales", "Support"};
    alloc_fails(upper, 2, EINVAL, "phrase 2 (\"Support\"): only lowercase letters");
    static const char *const digits[] = {"r2d2"};
    alloc_fails(digits, 1, EINVAL, "phrase 1 (\"r2d2\")");
    static const char *const spaces[] = {"alice  brown"};
    alloc_fails(spaces, 1, EINVAL, "single spaces");
    static const char *const empty[] = {""};
    alloc_fails(empty, 1, EINVAL, "no words");
    static const char *const unspellable[] = {"alice '"};
    alloc_fails(unspellable, 1, EINVAL, "no pronunciation for the word \"'\"");
    /* Words outside the dictionary are spelled, not refused. */
    static const char *const made_up[] = {"zorblax", "quenthorpe"};
    asr_free(make(made_up, 2));
    asr_free(NULL);
}

static void test_name_phrase(void **state)
{
    char out[64];
    assert_int_equal(asr_name_phrase("Mary-Jane Smith, Jr.", out, sizeof(out)), 0);
    assert_string_equal(out, "mary jane smith jr");
    assert_int_equal(asr_name_phrase("  O\xe2\x80\x99"
                                     "Brien  ",
                                     out, sizeof(out)),
                     0);
    assert_string_equal(out, "o'brien");
    assert_int_equal(asr_name_phrase("Ñandú 'Zoë'", out, sizeof(out)), 0);
    assert_string_equal(out, "nandu zoe");
    assert_int_equal(asr_name_phrase("42 - !", out, sizeof(out)), EINVAL);
    assert_int_equal(asr_name_phrase("Alexandra", out, 5), ENOSPC);
}

static void test_wav(void **state)
{
    char dir[] = "/tmp/test_asr_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/said.wav", dir);
    struct utt u = say("billing please");
    assert_int_equal(voice_write_wav(path, u.pcm, u.n), 0);
    free(u.pcm);
    struct asr *a = make(menu, COUNT(menu));
    char out[64];
    int conf = 0;
    assert_int_equal(asr_recognize_wav(a, path, out, sizeof(out), &conf), 0);
    assert_string_equal(out, "billing");
    assert_true(conf >= ASR_ACCEPT_CONFIDENCE);
    assert_int_equal(asr_recognize(a, NULL, 0, out, 0, &conf), EINVAL);
    unlink(path);
    assert_int_not_equal(asr_recognize_wav(a, path, out, sizeof(out), &conf), 0);
    asr_free(a);
    rmdir(dir);
}

struct worker {
    struct asr *a;
    struct utt u;
    char out[64];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 3; i++)
        asr_recognize(w->a, w->u.pcm, w->u.n, w->out, sizeof(w->out), NULL);
    return NULL;
}

static void test_threads(void **state)
{
    struct asr *a = make(menu, COUNT(menu));
    struct worker w[2] = {{a, say("billing"), ""}, {a, say("operator"), ""}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        free(w[i].u.pcm);
    }
    assert_string_equal(w[0].out, "billing");
    assert_string_equal(w[1].out, "operator");
    asr_free(a);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_cost(void **state)
{
    static const char *const names[] = {"alice brown", "bob singh",   "carol chen",   "dave okafor",
                                        "erin walsh",  "maria lopez", "frank miller", "grace kim"};
    struct mallinfo2 before = mallinfo2();
    double t0 = now();
    struct asr *a = make(names, COUNT(names));
    double t1 = now();
    struct mallinfo2 after = mallinfo2();
    struct utt u = say("grace kim");
    char out[64];
    double t2 = now();
    assert_int_equal(asr_recognize(a, u.pcm, u.n, out, sizeof(out), NULL), 0);
    double t3 = now();
    double mb = (double)((after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd)) / 1e6;
    printf("cost: asr_alloc %.0f ms, %.1f MB per recogniser; decoding %.2f s of audio took %.0f ms "
           "(%.1f %% of real time)\n",
           1e3 * (t1 - t0), mb, (double)u.n / 8000, 1e3 * (t3 - t2),
           100 * (t3 - t2) / ((double)u.n / 8000));
    free(u.pcm);
    asr_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_name_phrase),
        cmocka_unit_test(test_menu_words),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_yes_no),
        cmocka_unit_test(test_other_speech),
        cmocka_unit_test(test_silence_and_noise),
        cmocka_unit_test(test_wav),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_cost),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
