/*
 * test_speech.c - the recognisers kept by phrase list and run on the work
 * pool (src/voice/speech.c): an utterance decoded while its recogniser is
 * still being built, the same list reused, the least recently used list
 * dropped past the limit, a list that cannot be built failing its waiting
 * request and refusing the next at once, and speech_free() with decoding
 * under way (its handler never runs; nothing leaks under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loop_client.h"
#include "core/libre.h"
#include "core/workpool.h"
#include "voice/speech.h"
#include "voice/synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct result {
    int calls;
    int err;
    char phrase[64];
    int confidence;
};

static void on_result(int err, const char *phrase, int confidence, void *arg)
{
    struct result *r = arg;
    r->calls++;
    r->err = err;
    snprintf(r->phrase, sizeof(r->phrase), "%s", phrase);
    r->confidence = confidence;
}

static bool got(void *arg)
{
    return ((struct result *)arg)->calls > 0;
}

/* text as a caller says it: a mem buffer of 8 kHz samples, silence around */
static int16_t *spoken(const char *text, size_t *samples)
{
    int16_t *pcm = NULL;
    size_t n = 0;
    assert_int_equal(synth_render_8k(text, &pcm, &n), 0);
    size_t pad = 2400;
    int16_t *buf = mem_zalloc((n + 2 * pad) * sizeof(int16_t), NULL);
    assert_non_null(buf);
    memcpy(buf + pad, pcm, n * sizeof(int16_t));
    free(pcm);
    *samples = n + 2 * pad;
    return buf;
}

static void test_recognise_and_keep(void **state)
{
    (void)state;
    struct workpool *pool = NULL;
    struct speech *sp = NULL;
    assert_int_equal(workpool_alloc(&pool, 2), 0);
    assert_int_equal(speech_alloc(&sp, pool, 2), 0);

    size_t n;
    int16_t *sales = spoken("sales", &n);
    const char *menu[] = {"sales", "support", "billing"};
    /* the handler's arg must be a mem object (a reference is held) */
    struct result *r = mem_zalloc(sizeof(*r), NULL);
    assert_int_equal(speech_recognize(sp, menu, 3, sales, n, on_result, r), 0);
    assert_int_equal(speech_count(sp), 1); /* being built; the request waits */
    assert_true(run_until(got, r, 20000));
    assert_int_equal(r->err, 0);
    assert_string_equal(r->phrase, "sales");
    assert_true(r->confidence >= 50);

    /* the same list again: the same recogniser */
    memset(r, 0, sizeof(*r));
    assert_int_equal(speech_recognize(sp, menu, 3, sales, n, on_result, r), 0);
    assert_int_equal(speech_count(sp), 1);
    assert_true(run_until(got, r, 20000));
    assert_string_equal(r->phrase, "sales");

    /* two more lists: the least recently used (the menu) is dropped */
    const char *yn[] = {"yes", "no"};
    const char *names[] = {"alice brown", "bob singh"};
    assert_int_equal(speech_prepare(sp, yn, 2), 0);
    assert_int_equal(speech_prepare(sp, names, 2), 0);
    pause_ms(500);
    assert_int_equal(speech_count(sp), 2);
    size_t yn_n;
    int16_t *yes = spoken("yes", &yn_n);
    memset(r, 0, sizeof(*r));
    assert_int_equal(speech_recognize(sp, yn, 2, yes, yn_n, on_result, r), 0);
    assert_true(run_until(got, r, 20000));
    assert_int_equal(r->err, 0);
    assert_string_equal(r->phrase, "yes");
    mem_deref(yes);

    /* a list that cannot be built: the waiting request fails, the next is refused */
    const char *bad[] = {"Sales 2"};
    memset(r, 0, sizeof(*r));
    assert_int_equal(speech_recognize(sp, bad, 1, sales, n, on_result, r), 0);
    assert_true(run_until(got, r, 20000));
    assert_int_equal(r->err, EINVAL);
    assert_int_equal(speech_recognize(sp, bad, 1, sales, n, on_result, r), EINVAL);
    assert_int_equal(speech_recognize(sp, bad, 0, sales, n, on_result, r), EINVAL);

    /* freed with decoding under way: no handler, nothing leaks */
    memset(r, 0, sizeof(*r));
    assert_int_equal(speech_recognize(sp, menu, 3, sales, n, on_result, r), 0);
    speech_free(sp);
    pause_ms(300);
    mem_deref(pool); /* finishes the pool's work */
    assert_int_equal(r->calls, 0);
    mem_deref(r);
    mem_deref(sales);
}

static int group_setup(void **state)
{
    (void)state;
    return libre_init();
}

static int group_teardown(void **state)
{
    (void)state;
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recognise_and_keep),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
