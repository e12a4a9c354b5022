/*
 * fuzz_rtp.c - libFuzzer target for what a leg receives: a run of
 * packets (each a length byte, then that many bytes) to one leg, each
 * decoded as RTP by libre's rtp_hdr_decode (as libre's RTP socket does
 * before it calls the leg) and dispatched as leg.c's rtp_recv does:
 * telephone-event (RFC 4733) payloads through dtmf.c's dtmf_event with
 * the leg's state kept from packet to packet, G.711 through the in-band
 * digit detector as dtmf_audio feeds it; and each as RTCP: the leg's own
 * reader (rtpstat.c's rtcp_parse_report, and the round trip from it) and
 * libre's rtcp_decode, a compound packet read to its end.
 *
 * Nothing may crash; every digit reported is one of 0-9 * # A-D.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rem_dtmf.h>
#include <rem_g711.h>

#include "media/media_internal.h"
#include "media/rtpstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { TELEV_PT = 101 };

static void check_digit(char digit)
{
    if (!digit || !strchr("0123456789*#ABCD", digit))
        abort();
}

static void inband_digit(char digit, void *arg)
{
    (void)arg;
    check_digit(digit);
}

/* dtmf_audio(): G.711 in 20 ms frames into the Goertzel detector. */
static void audio(struct dtmf_dec *dec, uint8_t pt, const uint8_t *p, size_t len)
{
    int16_t pcm[MEDIA_FRAME];
    while (len) {
        size_t n = len < MEDIA_FRAME ? len : MEDIA_FRAME;
        for (size_t i = 0; i < n; i++)
            pcm[i] = pt == 8 ? g711_alaw2pcm(p[i]) : g711_ulaw2pcm(p[i]);
        dtmf_dec_probe(dec, pcm, n);
        p += n;
        len -= n;
    }
}

static void rtcp(const uint8_t *p, size_t len)
{
    /* the leg's own reading of a report, and the round trip from it */
    struct rtcp_seen seen;
    if (rtcp_parse_report(p, len, 0x01020304, &seen) == 0 &&
        rtcp_rtt_us(&seen, ntp_now()) > 60000000)
        abort();
    /* and libre's decoder, as the fuzzer has always fed it */
    struct mbuf *mb = mbuf_alloc(len ? len : 1);
    if (!mb)
        return;
    (void)mbuf_write_mem(mb, p, len);
    mb->pos = 0;
    while (mbuf_get_left(mb) >= 4) {
        struct rtcp_msg *msg = NULL;
        size_t before = mb->pos;
        if (rtcp_decode(&msg, mb) != 0)
            break;
        mem_deref(msg);
        if (mb->pos <= before)
            abort(); /* no progress: would loop for ever */
    }
    mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct telev *tel = NULL;
    struct dtmf_dec *dec = NULL;
    int pending = -1;
    if (telev_alloc(&tel, TELEV_PTIME) || dtmf_dec_alloc(&dec, MEDIA_SRATE, 1, inband_digit, NULL))
        abort();
    while (size) {
        size_t len = data[0];
        data++;
        size--;
        if (len > size)
            len = size;
        struct mbuf *mb = mbuf_alloc(len ? len : 1);
        if (!mb)
            break;
        (void)mbuf_write_mem(mb, data, len);
        mb->pos = 0;
        struct rtp_header hdr;
        if (rtp_hdr_decode(&hdr, mb) == 0) {
            if (hdr.pt == TELEV_PT) {
                char digit = dtmf_event(tel, mb, &pending);
                if (digit)
                    check_digit(digit);
                if (pending < -1 || pending > 255)
                    abort();
            } else if (hdr.pt == 0 || hdr.pt == 8) {
                audio(dec, hdr.pt, mbuf_buf(mb), mbuf_get_left(mb));
            }
        }
        mem_deref(mb);
        rtcp(data, len);
        data += len;
        size -= len;
    }
    mem_deref(dec);
    mem_deref(tel);
    return 0;
}
