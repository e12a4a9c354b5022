/*
 * engine.c - the media engine's threads: N workers, each running its own
 * libre loop, commands down to them and events back up to the main loop.
 *
 * The main thread keeps a record of every leg (struct leg_ref: which
 * worker, which ports, its SDP session); the leg itself (sockets, timers,
 * players) lives on its worker and is only touched there. Commands return
 * at once; the one exception is media_leg_stats(), which waits for the
 * worker's copy.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- events: worker -> main ---- */

struct ev_item {
    struct le le;
    struct media_event ev;
};

static void ev_item_destructor(void *arg)
{
    struct ev_item *it = arg;

    mem_deref(it->ev.pcm);
}

void media_post_main(struct media *m, const struct media_event *ev)
{
    struct ev_item *it = mem_zalloc(sizeof(*it), ev_item_destructor);

    if (!it) {
        mem_deref(ev->pcm);
        return;
    }
    it->ev = *ev;
    mailbox_post(&m->events, &it->le, it);
}

void media_post(struct worker *w, const struct media_event *ev)
{
    media_post_main(w->m, ev);
}

void media_post_simple(struct leg *leg, enum media_event_type type, uint32_t op_id,
                       const char *reason)
{
    struct media_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.leg = leg_id(leg);
    ev.op_id = op_id;
    ev.reason = reason;
    media_post(leg_worker(leg), &ev);
}

static bool ref_match(struct le *le, void *arg)
{
    return ((struct leg_ref *)le->data)->id == *(uint32_t *)arg;
}

struct leg_ref *ref_find(struct media *m, uint32_t id)
{
    struct le *le = hash_lookup(m->refs, id, ref_match, &id);

    return le ? le->data : NULL;
}

static void event_handler(struct le *le, void *arg)
{
    struct media *m = arg;
    struct ev_item *it = le->data;

    if (it->ev.type == MEDIA_EV_CLOSED) {
        struct leg_ref *ref = ref_find(m, it->ev.leg);

        /* the worker has closed the sockets: the ports are free again */
        if (ref) {
            port_pool_put(m->ports, ref->port);
            ref->w->nlegs--;
            mem_deref(ref);
        }
    }
    if (m->eh)
        m->eh(&it->ev, m->arg);
    mem_deref(it);
}

/* ---- commands: main -> worker ---- */

static void cmd_destructor(void *arg)
{
    struct cmd *c = arg;

    /* a CMD_OPEN never delivered: its sockets are attached to no loop */
    mem_deref(c->newleg);
    mem_deref(c->str);
}

struct cmd *cmd_new(enum cmd_type type, uint32_t leg)
{
    struct cmd *c = mem_zalloc(sizeof(*c), cmd_destructor);

    if (c) {
        c->type = type;
        c->leg = leg;
    }
    return c;
}

void cmd_send(struct worker *w, struct cmd *c)
{
    mailbox_post(&w->cmds, &c->le, c);
}

static void reply_stats(struct stats_reply *r, int err, const struct media_stats *st)
{
    pthread_mutex_lock(&r->lock);
    r->err = err;
    if (st)
        r->st = *st;
    r->done = true;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void cmd_on_leg(struct worker *w, struct cmd *c)
{
    struct leg *leg = leg_find(w, c->leg);
    struct leg *other;
    struct conf *conf;
    struct media_stats st;

    if (!leg) {
        if (c->reply)
            reply_stats(c->reply, ENOENT, NULL);
        return;
    }
    switch (c->type) {
    case CMD_REMOTE:
        leg_set_remote(leg, &c->remote);
        break;
    case CMD_CLOSE:
        leg_close(leg, true);
        break;
    case CMD_ECHO:
        leg_echo(leg);
        break;
    case CMD_PLAY:
        leg_play(leg, c->str, c->loop, c->op_id, false);
        break;
    case CMD_TONE:
        leg_play(leg, c->str, false, c->op_id, true);
        break;
    case CMD_STOP:
        leg_stop(leg);
        break;
    case CMD_COLLECT:
        leg_collect(leg, c->max, c->str, c->first_ms, c->inter_ms, c->op_id);
        break;
    case CMD_BRIDGE:
        other = leg_find(w, c->other);
        if (other)
            (void)leg_bridge(leg, other);
        break;
    case CMD_UNBRIDGE:
        leg_unbridge(leg);
        break;
    case CMD_STATS:
        leg_stats(leg, &st);
        reply_stats(c->reply, 0, &st);
        break;
    case CMD_RECORD:
        leg_record(leg, c->str, c->op_id);
        break;
    case CMD_RECORD_STOP:
        leg_record_stop(leg);
        break;
    case CMD_CONF_JOIN:
        conf = conf_find(w, c->other);
        if (conf)
            leg_conf_join(leg, conf);
        break;
    case CMD_CONF_LEAVE:
        leg_conf_leave(leg);
        break;
    case CMD_SILENCE:
        leg_silence(leg, c->level, c->inter_ms, c->first_ms, c->op_id);
        break;
    case CMD_SILENCE_STOP:
        leg_silence_stop(leg);
        break;
    case CMD_LISTEN:
        leg_listen(leg, c->inter_ms, c->first_ms, c->max, c->op_id);
        break;
    case CMD_LISTEN_STOP:
        leg_listen_stop(leg);
        break;
    default:
        break;
    }
}

static void cmd_handler(struct le *le, void *arg)
{
    struct worker *w = arg;
    struct cmd *c = le->data;

    if (c->type == CMD_QUIT) {
        re_cancel();
    } else if (c->type == CMD_CONF_ALLOC) {
        struct conf *conf;

        (void)conf_alloc(&conf, w, c->leg); /* ENOMEM: joining it finds none */
    } else if (c->type == CMD_CONF_FREE) {
        mem_deref(conf_find(w, c->leg));
    } else if (c->type == CMD_OPEN) {
        struct leg *leg = c->newleg;

        c->newleg = NULL;
        leg_start(leg, w, &c->remote);
    } else {
        cmd_on_leg(w, c);
    }
    mem_deref(c);
}

static void set_ready(struct worker *w, int ready)
{
    pthread_mutex_lock(&w->ready_lock);
    w->ready = ready;
    pthread_cond_signal(&w->ready_cond);
    pthread_mutex_unlock(&w->ready_lock);
}

static bool close_quietly(struct le *le, void *arg)
{
    (void)arg;
    leg_close(le->data, false);
    return false;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct le *le;
    int err;

    err = re_thread_init();
    /* Each loop watches descriptors below its own limit (libre's default
     * is 1024): a busy server hands sockets numbered far above that. */
    struct rlimit rl;
    if (!err && getrlimit(RLIMIT_NOFILE, &rl) == 0)
        err = fd_setsize(rl.rlim_cur > 1000000 ? 1000000 : (int)rl.rlim_cur);
    if (!err)
        err = mailbox_init(&w->cmds, cmd_handler, w);
    if (err) {
        re_thread_close();
        set_ready(w, -err);
        return NULL;
    }
    set_ready(w, 1);
    (void)re_main(NULL);

    /* media_free(): the conferences and legs go without events */
    while ((le = list_head(&w->confs)))
        mem_deref(le->data);
    hash_apply(w->legs, close_quietly, NULL);
    w->legs = mem_deref(w->legs);
    prompts_flush();
    mailbox_close(&w->cmds);
    re_thread_close();
    return NULL;
}

static int worker_start(struct media *m, struct worker *w)
{
    int err;

    w->m = m;
    list_init(&w->confs);
    err = hash_alloc(&w->legs, 4096);
    if (err)
        return err;
    pthread_mutex_init(&w->ready_lock, NULL);
    pthread_cond_init(&w->ready_cond, NULL);
    w->quit = cmd_new(CMD_QUIT, 0);
    if (!w->quit)
        return ENOMEM;
    err = pthread_create(&w->thr, NULL, worker_main, w);
    if (err)
        return err;
    pthread_mutex_lock(&w->ready_lock);
    while (!w->ready)
        pthread_cond_wait(&w->ready_cond, &w->ready_lock);
    pthread_mutex_unlock(&w->ready_lock);
    if (w->ready < 0) {
        pthread_join(w->thr, NULL);
        return -w->ready;
    }
    w->running = true;
    return 0;
}

static void worker_stop(struct worker *w)
{
    struct cmd *quit = w->quit;

    w->quit = NULL;
    if (w->running) {
        /* allocated at start: stopping cannot fail for want of memory */
        cmd_send(w, quit);
        pthread_join(w->thr, NULL);
        w->running = false;
    } else {
        mem_deref(quit);
    }
    w->legs = mem_deref(w->legs);
}

/* ---- alloc / free ---- */

static void media_destructor(void *arg)
{
    struct media *m = arg;

    for (unsigned i = 0; i < m->nworkers; i++)
        worker_stop(&m->workers[i]);
    for (unsigned i = 0; i < m->nworkers; i++) {
        pthread_mutex_destroy(&m->workers[i].ready_lock);
        pthread_cond_destroy(&m->workers[i].ready_cond);
    }
    /* legs are gone with their workers; the files they recorded are
     * finished once the writer stops; then drop the records and events */
    mem_deref(m->writer);
    hash_flush(m->refs);
    mem_deref(m->refs);
    hash_flush(m->confs);
    mem_deref(m->confs);
    if (m->events_ready)
        mailbox_close(&m->events);
    mem_deref(m->workers);
    mem_deref(m->ports);
}

int media_alloc(struct media **mp, const struct media_opts *opts, media_event_h *eh, void *arg)
{
    struct media *m;
    unsigned n;
    int err;

    if (!mp || !opts || !opts->ip || str_len(opts->ip) >= sizeof(m->ip))
        return EINVAL;
    m = mem_zalloc(sizeof(*m), media_destructor);
    if (!m)
        return ENOMEM;
    m->opts = *opts;
    str_ncpy(m->ip, opts->ip, sizeof(m->ip));
    m->opts.ip = m->ip;
    m->eh = eh;
    m->arg = arg;
    m->next_id = 1;
    err = sa_set_str(&m->laddr, m->ip, 0);
    if (err) {
        err = EINVAL;
        goto out;
    }
    err = port_pool_alloc(&m->ports, opts->port_min, opts->port_max);
    err = err ? err : hash_alloc(&m->refs, 256);
    err = err ? err : hash_alloc(&m->confs, 64);
    err = err ? err : mailbox_init(&m->events, event_handler, m);
    if (err)
        goto out;
    m->events_ready = true;
    err = writer_alloc(&m->writer, m);
    if (err)
        goto out;

    n = opts->threads;
    if (!n) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (unsigned)cores : 1;
    }
    m->workers = mem_zalloc(n * sizeof(*m->workers), NULL);
    if (!m->workers) {
        err = ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < n; i++) {
        m->workers[i].idx = i;
        m->nworkers++;
        err = worker_start(m, &m->workers[i]);
        if (err)
            goto out;
    }
out:
    if (err)
        mem_deref(m);
    else
        *mp = m;
    return err;
}

void media_free(struct media *m)
{
    mem_deref(m);
}
