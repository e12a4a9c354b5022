/*
 * control.c - the media API on the main thread: legs are created here
 * (SDP, ports, sockets bound) and every other call becomes a command for
 * the leg's worker. Nothing here waits for a worker but media_leg_stats().
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

static void ref_destructor(void *arg)
{
    struct leg_ref *ref = arg;

    hash_unlink(&ref->he);
    mem_deref(ref->sdp);
}

static struct worker *pick_worker(struct media *m, uint32_t near)
{
    struct leg_ref *ref = near ? ref_find(m, near) : NULL;
    struct worker *best = &m->workers[0];

    if (ref)
        return ref->w;
    for (unsigned i = 1; i < m->nworkers; i++) {
        if (m->workers[i].nlegs < best->nlegs)
            best = &m->workers[i];
    }
    return best;
}

/* A port pair whose sockets bind; ENOSPC when the pool has none. */
static int bind_leg(struct media *m, uint32_t id, struct leg **lp, uint16_t *portp)
{
    int err = ENOSPC;

    for (unsigned i = 0; i < port_pool_pairs(m->ports); i++) {
        uint16_t port;

        if (port_pool_get(m->ports, &port))
            return ENOSPC;
        err = leg_alloc(lp, id, &m->laddr, port);
        if (!err) {
            *portp = port;
            return 0;
        }
        /* taken by someone else: try the next pair, this one stays free */
        port_pool_put(m->ports, port);
    }
    return err == ENOMEM ? ENOMEM : ENOSPC;
}

static uint32_t new_id(struct media *m)
{
    if (!m->next_id)
        m->next_id = 1;
    return m->next_id++;
}

/* Create a leg: SDP (the peer's offer if any), ports, sockets; *sdpp is
 * our answer or offer. */
static int leg_create(struct media *m, uint32_t near, const char *offer, size_t len, uint32_t *legp,
                      char **sdpp)
{
    struct leg_ref *ref;
    struct remote r;
    struct leg *leg = NULL;
    struct cmd *c;
    int err;

    if (!m || !legp || !sdpp || (offer && !len))
        return EINVAL;
    ref = mem_zalloc(sizeof(*ref), ref_destructor);
    if (!ref)
        return ENOMEM;
    err = msdp_alloc(&ref->sdp, &ref->sm, &m->laddr, 0);
    if (err)
        goto out;
    if (offer) {
        err = msdp_decode(ref->sdp, ref->sm, offer, len, true, &r);
        if (err)
            goto out;
    } else {
        memset(&r, 0, sizeof(r));
        r.pt = -1;
        r.telev_pt = -1;
        r.recv = true;
    }
    ref->id = new_id(m);
    ref->w = pick_worker(m, near);
    err = bind_leg(m, ref->id, &leg, &ref->port);
    if (err)
        goto out;
    sdp_media_set_lport(ref->sm, ref->port);
    err = msdp_encode(sdpp, ref->sdp, offer == NULL);
    c = err ? NULL : cmd_new(CMD_OPEN, ref->id);
    if (!c) {
        err = err ? err : ENOMEM;
        mem_deref(leg);
        port_pool_put(m->ports, ref->port);
        *sdpp = mem_deref(*sdpp);
        goto out;
    }
    c->newleg = leg;
    c->remote = r;
    hash_append(m->refs, ref->id, &ref->he, ref);
    ref->w->nlegs++;
    cmd_send(ref->w, c);
    *legp = ref->id;
    return 0;
out:
    mem_deref(ref);
    return err;
}

int media_leg_answer(struct media *m, uint32_t near, const char *offer, size_t len, uint32_t *leg,
                     char **answer)
{
    if (!offer)
        return EINVAL;
    return leg_create(m, near, offer, len, leg, answer);
}

int media_leg_offer(struct media *m, uint32_t near, uint32_t *leg, char **offer)
{
    return leg_create(m, near, NULL, 0, leg, offer);
}

static struct leg_ref *live_ref(struct media *m, uint32_t leg)
{
    struct leg_ref *ref = m ? ref_find(m, leg) : NULL;

    return ref && !ref->closing ? ref : NULL;
}

/* A new SDP from the peer (offer: we answer in *answer). */
static int remote_sdp(struct media *m, uint32_t leg, const char *sdp, size_t len, bool offer,
                      char **answer)
{
    struct leg_ref *ref = live_ref(m, leg);
    struct remote r;
    struct cmd *c;
    int err;

    if (!ref)
        return ENOENT;
    err = msdp_decode(ref->sdp, ref->sm, sdp, len, offer, &r);
    if (!err && offer)
        err = msdp_encode(answer, ref->sdp, false);
    if (err)
        return err;
    c = cmd_new(CMD_REMOTE, leg);
    if (!c) {
        if (answer)
            *answer = mem_deref(*answer);
        return ENOMEM;
    }
    c->remote = r;
    cmd_send(ref->w, c);
    return 0;
}

int media_leg_answered(struct media *m, uint32_t leg, const char *answer, size_t len)
{
    return remote_sdp(m, leg, answer, len, false, NULL);
}

int media_leg_reoffer(struct media *m, uint32_t leg, const char *offer, size_t len, char **answer)
{
    if (!answer)
        return EINVAL;
    return remote_sdp(m, leg, offer, len, true, answer);
}

/* ---- commands ---- */

static int send_cmd(struct media *m, uint32_t leg, struct cmd *proto)
{
    struct leg_ref *ref = live_ref(m, leg);
    struct cmd *c;

    if (!ref)
        return ENOENT;
    c = cmd_new(proto->type, leg);
    if (!c)
        return ENOMEM;
    c->loop = proto->loop;
    c->max = proto->max;
    c->first_ms = proto->first_ms;
    c->inter_ms = proto->inter_ms;
    c->op_id = proto->op_id;
    c->level = proto->level;
    c->other = proto->other;
    if (proto->str && str_dup(&c->str, proto->str)) {
        mem_deref(c);
        return ENOMEM;
    }
    if (proto->type == CMD_CLOSE)
        ref->closing = true;
    cmd_send(ref->w, c);
    return 0;
}

void media_leg_close(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_CLOSE};

    (void)send_cmd(m, leg, &c);
}

int media_echo(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_ECHO};

    return send_cmd(m, leg, &c);
}

int media_play(struct media *m, uint32_t leg, const char *wav_path, bool loop, uint32_t op_id)
{
    struct cmd c = {.type = CMD_PLAY, .str = (char *)wav_path, .loop = loop, .op_id = op_id};

    if (!wav_path || !*wav_path)
        return EINVAL;
    return send_cmd(m, leg, &c);
}

int media_tone(struct media *m, uint32_t leg, const char *name, uint32_t op_id)
{
    struct cmd c = {.type = CMD_TONE, .str = (char *)name, .op_id = op_id};

    if (str_cmp(name, "ringback") && str_cmp(name, "busy") && str_cmp(name, "beep"))
        return EINVAL;
    return send_cmd(m, leg, &c);
}

int media_stop(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_STOP};

    return send_cmd(m, leg, &c);
}

int media_collect(struct media *m, uint32_t leg, unsigned max, const char *terminators,
                  unsigned first_ms, unsigned inter_ms, uint32_t op_id)
{
    struct cmd c = {.type = CMD_COLLECT,
                    .str = (char *)(terminators ? terminators : ""),
                    .max = max,
                    .first_ms = first_ms,
                    .inter_ms = inter_ms,
                    .op_id = op_id};

    if (str_len(terminators) >= 16)
        return EINVAL;
    return send_cmd(m, leg, &c);
}

int media_bridge(struct media *m, uint32_t a, uint32_t b)
{
    struct leg_ref *ra = live_ref(m, a), *rb = live_ref(m, b);
    struct cmd c = {.type = CMD_BRIDGE, .other = b};

    if (!ra || !rb)
        return ENOENT;
    if (a == b)
        return EINVAL;
    if (ra->w != rb->w)
        return EXDEV;
    return send_cmd(m, a, &c);
}

int media_unbridge(struct media *m, uint32_t a)
{
    struct cmd c = {.type = CMD_UNBRIDGE};

    return send_cmd(m, a, &c);
}

int media_leg_stats(struct media *m, uint32_t leg, struct media_stats *out)
{
    struct leg_ref *ref = m ? ref_find(m, leg) : NULL;
    struct stats_reply reply;
    struct cmd *c;

    if (!out)
        return EINVAL;
    if (!ref)
        return ENOENT;
    c = cmd_new(CMD_STATS, leg);
    if (!c)
        return ENOMEM;
    memset(&reply, 0, sizeof(reply));
    pthread_mutex_init(&reply.lock, NULL);
    pthread_cond_init(&reply.cond, NULL);
    c->reply = &reply;
    cmd_send(ref->w, c);
    pthread_mutex_lock(&reply.lock);
    while (!reply.done)
        pthread_cond_wait(&reply.cond, &reply.lock);
    pthread_mutex_unlock(&reply.lock);
    pthread_cond_destroy(&reply.cond);
    pthread_mutex_destroy(&reply.lock);
    if (!reply.err)
        *out = reply.st;
    return reply.err;
}

/* ---- recording ---- */

int media_record_start(struct media *m, uint32_t leg, const char *path, uint32_t op_id)
{
    struct cmd c = {.type = CMD_RECORD, .str = (char *)path, .op_id = op_id};

    if (!path || !*path)
        return EINVAL;
    return send_cmd(m, leg, &c);
}

int media_record_stop(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_RECORD_STOP};

    return send_cmd(m, leg, &c);
}

/* ---- conferences ---- */

static void conf_ref_destructor(void *arg)
{
    struct conf_ref *cr = arg;

    hash_unlink(&cr->he);
}

static bool conf_ref_match(struct le *le, void *arg)
{
    return ((struct conf_ref *)le->data)->id == *(uint32_t *)arg;
}

static struct conf_ref *conf_ref_find(struct media *m, uint32_t id)
{
    struct le *le = m ? hash_lookup(m->confs, id, conf_ref_match, &id) : NULL;

    return le ? le->data : NULL;
}

int media_conf_alloc(struct media *m, uint32_t near, uint32_t *conf)
{
    struct conf_ref *cr;
    struct cmd *c;

    if (!m || !conf)
        return EINVAL;
    if (near && !live_ref(m, near))
        return ENOENT;
    cr = mem_zalloc(sizeof(*cr), conf_ref_destructor);
    c = cmd_new(CMD_CONF_ALLOC, 0);
    if (!cr || !c) {
        mem_deref(cr);
        mem_deref(c);
        return ENOMEM;
    }
    cr->id = new_id(m); /* one counter with legs: no id is both */
    cr->w = pick_worker(m, near);
    c->leg = cr->id;
    hash_append(m->confs, cr->id, &cr->he, cr);
    cmd_send(cr->w, c);
    *conf = cr->id;
    return 0;
}

int media_conf_join(struct media *m, uint32_t conf, uint32_t leg)
{
    struct conf_ref *cr = conf_ref_find(m, conf);
    struct leg_ref *ref = m ? live_ref(m, leg) : NULL;
    struct cmd c = {.type = CMD_CONF_JOIN, .other = conf};

    if (!cr || !ref)
        return ENOENT;
    if (cr->w != ref->w)
        return EXDEV;
    return send_cmd(m, leg, &c);
}

int media_conf_leave(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_CONF_LEAVE};

    return send_cmd(m, leg, &c);
}

void media_conf_free(struct media *m, uint32_t conf)
{
    struct conf_ref *cr = conf_ref_find(m, conf);
    struct cmd *c;

    if (!cr)
        return;
    c = cmd_new(CMD_CONF_FREE, conf);
    if (c)
        cmd_send(cr->w, c);
    mem_deref(cr);
}

/* ---- silence detection ---- */

int media_silence_detect(struct media *m, uint32_t leg, int threshold_dbov, unsigned silence_ms,
                         unsigned first_ms, uint32_t op_id)
{
    struct cmd c = {.type = CMD_SILENCE,
                    .level = threshold_dbov,
                    .inter_ms = silence_ms,
                    .first_ms = first_ms,
                    .op_id = op_id};

    if (threshold_dbov > 0 || threshold_dbov < -96 || !silence_ms)
        return EINVAL;
    return send_cmd(m, leg, &c);
}

int media_silence_stop(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_SILENCE_STOP};

    return send_cmd(m, leg, &c);
}

/* ---- listening for an utterance ---- */

int media_listen(struct media *m, uint32_t leg, unsigned silence_ms, unsigned first_ms,
                 unsigned max_ms, uint32_t op_id)
{
    struct cmd c = {.type = CMD_LISTEN,
                    .inter_ms = silence_ms,
                    .first_ms = first_ms,
                    .max = max_ms,
                    .op_id = op_id};

    if (!silence_ms || !max_ms || max_ms > 60000)
        return EINVAL;
    return send_cmd(m, leg, &c);
}

int media_listen_stop(struct media *m, uint32_t leg)
{
    struct cmd c = {.type = CMD_LISTEN_STOP};

    return send_cmd(m, leg, &c);
}
