/*
 * jitter.c - a fixed-depth jitter buffer keyed by RTP timestamp (see
 * jitter.h for what it promises).
 *
 * Why not libre's jbuf: it orders whole packets and counts frames, not
 * time; the recorder needs each stream's gaps to become silence in their
 * place (so one side's silence does not shift the other channel), which a
 * ring of samples indexed by timestamp gives directly, for any packet time.
 */
#include "media/jitter.h"

#include "core/libre.h"

#include <errno.h>
#include <string.h>

enum {
    SRATE = 8000,
    RING = 8192, /* samples, a power of two: about 1 s */
    MASK = RING - 1,
    MAX_EXTRA = 200 * SRATE / 1000, /* a burst may run this far past the depth */
    LATE_RESYNC = 5,
    SEQ_WINDOW = 64, /* sequence numbers remembered for duplicates */
    MAX_PACKET = 2048,
};

struct jitter {
    uint32_t depth; /* samples */
    bool started;
    uint32_t ssrc;
    uint32_t play; /* timestamp of the next sample out */
    uint32_t end;  /* timestamp just past the newest sample in */
    uint16_t max_seq;
    uint64_t seen; /* bit i: max_seq - i arrived */
    unsigned late_run;
    struct jitter_stats st;
    int16_t pcm[RING];
    uint8_t have[RING];
};

int jitter_alloc(struct jitter **jp, unsigned depth_ms)
{
    struct jitter *jb;

    if (!jp || depth_ms > 500)
        return EINVAL;
    jb = mem_zalloc(sizeof(*jb), NULL);
    if (!jb)
        return ENOMEM;
    jb->depth = (depth_ms ? depth_ms : JITTER_DEPTH_MS) * SRATE / 1000;
    *jp = jb;
    return 0;
}

void jitter_reset(struct jitter *jb)
{
    jb->started = false;
    memset(jb->have, 0, sizeof(jb->have));
}

/* Playout starts over, `depth` behind this packet. */
static void resync(struct jitter *jb, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
    if (jb->started)
        jb->st.resyncs++;
    memset(jb->have, 0, sizeof(jb->have));
    jb->started = true;
    jb->ssrc = ssrc;
    jb->play = ts - jb->depth;
    jb->end = ts;
    jb->max_seq = seq;
    jb->seen = 0;
    jb->late_run = 0;
}

/* Move the playout point forward to `to`, dropping what lies before it. */
static void skip_to(struct jitter *jb, uint32_t to)
{
    uint32_t n = to - jb->play;

    if (n >= RING)
        memset(jb->have, 0, sizeof(jb->have));
    else
        for (uint32_t i = 0; i < n; i++)
            jb->have[(jb->play + i) & MASK] = 0;
    jb->play = to;
}

/* True (and the sequence number recorded) unless it is a duplicate. */
static bool seq_fresh(struct jitter *jb, uint16_t seq)
{
    int16_t d = (int16_t)(uint16_t)(seq - jb->max_seq);

    if (d > 0) {
        jb->seen = d < SEQ_WINDOW ? jb->seen << d : 0;
        jb->seen |= 1;
        jb->max_seq = seq;
        return true;
    }
    if (-d >= SEQ_WINDOW)
        return true; /* too old to tell; the timestamp decides */
    if (jb->seen >> -d & 1)
        return false;
    jb->seen |= (uint64_t)1 << -d;
    return true;
}

void jitter_put(struct jitter *jb, uint32_t ssrc, uint16_t seq, uint32_t ts, const int16_t *pcm,
                size_t n)
{
    if (!n || n > MAX_PACKET)
        return;
    jb->st.put++;
    if (!jb->started || ssrc != jb->ssrc) {
        resync(jb, ssrc, seq, ts);
    } else if ((int32_t)(ts + (uint32_t)n - jb->play) <= 0) {
        /* its time has been played; a run of them: the sender went back */
        if (++jb->late_run < LATE_RESYNC) {
            jb->st.late++;
            return;
        }
        resync(jb, ssrc, seq, ts);
    } else if ((int32_t)(ts + (uint32_t)n - jb->play) > RING) {
        resync(jb, ssrc, seq, ts); /* the timestamps jumped ahead */
    }
    jb->late_run = 0;
    if (jb->seen && !seq_fresh(jb, seq)) {
        jb->st.dups++;
        return;
    }
    if (!jb->seen)
        jb->seen = 1; /* the first packet after a resync */
    for (size_t i = 0; i < n; i++) {
        uint32_t t = ts + (uint32_t)i;

        if ((int32_t)(t - jb->play) < 0)
            continue; /* the part of a packet that came too late */
        jb->pcm[t & MASK] = pcm[i];
        jb->have[t & MASK] = 1;
    }
    if ((int32_t)(ts + (uint32_t)n - jb->end) > 0)
        jb->end = ts + (uint32_t)n;
    if ((int32_t)(jb->end - jb->play) > (int32_t)(jb->depth + JITTER_FRAME + MAX_EXTRA)) {
        jb->st.trimmed++;
        skip_to(jb, jb->end - jb->depth - JITTER_FRAME);
    }
}

size_t jitter_get(struct jitter *jb, int16_t *frame)
{
    size_t got = 0;

    if (!jb->started) {
        memset(frame, 0, JITTER_FRAME * sizeof(*frame));
        return 0;
    }
    for (size_t i = 0; i < JITTER_FRAME; i++) {
        uint32_t k = (jb->play + (uint32_t)i) & MASK;

        frame[i] = jb->have[k] ? jb->pcm[k] : 0;
        got += jb->have[k];
        jb->have[k] = 0;
    }
    jb->play += JITTER_FRAME;
    if (!got)
        jb->st.concealed++;
    return got;
}

bool jitter_ready(const struct jitter *jb)
{
    return jb->started && (int32_t)(jb->end - jb->play) >= (int32_t)(jb->depth + JITTER_FRAME);
}

bool jitter_pending(const struct jitter *jb)
{
    return jb->started && (int32_t)(jb->end - jb->play) > 0;
}

void jitter_stats(const struct jitter *jb, struct jitter_stats *st)
{
    *st = jb->st;
}
