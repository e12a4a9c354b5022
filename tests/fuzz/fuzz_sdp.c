/*
 * fuzz_sdp.c - libFuzzer target for SDP: the bytes as a caller's offer
 * through the answer path of a new leg (msdp_alloc, msdp_decode as an
 * offer, our answer by msdp_encode; media_leg_answer in control.c does
 * the same around the port pool), again as a re-offer on that leg
 * (media_leg_reoffer), and as the answer to an offer of ours
 * (media_leg_answered).
 *
 * Nothing may crash; an accepted offer names PCMU or PCMA and a valid
 * telephone-event type; our answer is SDP that we accept ourselves.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_remote(const struct remote *r)
{
    if ((r->pt != 0 && r->pt != 8) || r->telev_pt < -1 || r->telev_pt > 127)
        abort();
}

/* Our answer, read back by a leg of ours as if it were an offer. */
static void check_answer(const char *answer)
{
    struct sa laddr;
    struct sdp_session *sess = NULL;
    struct sdp_media *sm = NULL;
    struct remote r;
    sa_set_str(&laddr, "127.0.0.1", 0);
    if (strncmp(answer, "v=0\r\n", 5) || msdp_alloc(&sess, &sm, &laddr, 20002))
        abort();
    int err = msdp_decode(sess, sm, answer, strlen(answer), true, &r);
    if (err && err != EPROTO) { /* EPROTO: the answer disabled the stream */
        fprintf(stderr, "our answer does not decode (%d):\n%s\n", err, answer);
        abort();
    }
    if (!err)
        check_remote(&r);
    mem_deref(sess);
}

static void as_offer(const char *sdp, size_t len)
{
    struct sa laddr;
    struct sdp_session *sess = NULL;
    struct sdp_media *sm = NULL;
    struct remote r;
    char *answer = NULL;
    sa_set_str(&laddr, "127.0.0.1", 0);
    if (msdp_alloc(&sess, &sm, &laddr, 0))
        abort();
    int err = msdp_decode(sess, sm, sdp, len, true, &r);
    if (err && err != EINVAL && err != EPROTO && err != ENOMEM)
        abort();
    if (!err) {
        check_remote(&r);
        sdp_media_set_lport(sm, 20000);
        if (msdp_encode(&answer, sess, false) == 0) {
            check_answer(answer);
            answer = mem_deref(answer);
        }
        /* the same offer again: a re-INVITE on the leg */
        if (msdp_decode(sess, sm, sdp, len, true, &r) == 0) {
            check_remote(&r);
            if (msdp_encode(&answer, sess, false) == 0)
                answer = mem_deref(answer);
        }
    }
    mem_deref(sess);
}

static void as_answer(const char *sdp, size_t len)
{
    struct sa laddr;
    struct sdp_session *sess = NULL;
    struct sdp_media *sm = NULL;
    struct remote r;
    char *offer = NULL;
    sa_set_str(&laddr, "127.0.0.1", 0);
    if (msdp_alloc(&sess, &sm, &laddr, 0))
        abort();
    sdp_media_set_lport(sm, 20004);
    if (msdp_encode(&offer, sess, true))
        abort();
    mem_deref(offer);
    if (msdp_decode(sess, sm, sdp, len, false, &r) == 0)
        check_remote(&r);
    mem_deref(sess);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* media_leg_answer gets the SIP body: not NUL-terminated */
    char *sdp = malloc(size ? size : 1);
    if (!sdp)
        return 0;
    memcpy(sdp, data, size);
    as_offer(sdp, size);
    as_answer(sdp, size);
    free(sdp);
    return 0;
}
