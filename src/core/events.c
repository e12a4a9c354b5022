/*
 * events.c - event log in the store plus an in-process publish/subscribe
 * bus that publishes only committed events (see events.h).
 */
#include "core/events.h"
#include "core/clock.h"
#include "core/libre.h"
#include "core/log.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TOPICS = 64 };

struct topic {
    const char *name;
    unsigned roles;
    events_visible_h *visible;
};

static struct topic topics[MAX_TOPICS];
static size_t ntopics;

/* An appended event waiting for its transaction to commit. */
struct pending {
    struct le le;
    struct event e;
    char *topic, *type, *subject, *actor;
    json_t *data;
    bool committed;
};

struct events {
    struct store *store;
    struct list subs;
    struct list pending;
    int64_t last_seq;
    bool publishing;
};

struct events_sub {
    struct le le;
    events_h *h;
    void *arg;
};

static void pending_destructor(void *arg)
{
    struct pending *p = arg;
    list_unlink(&p->le);
    mem_deref(p->topic);
    mem_deref(p->type);
    mem_deref(p->subject);
    mem_deref(p->actor);
    json_decref(p->data);
}

static void sub_destructor(void *arg)
{
    struct events_sub *sub = arg;
    list_unlink(&sub->le);
}

static void publish(struct events *ev, const struct event *e)
{
    /* A handler may unsubscribe itself (or another) while we iterate, so
     * step to the next element before calling. */
    struct le *le = ev->subs.head;
    while (le) {
        struct events_sub *sub = le->data;
        le = le->next;
        sub->h(e, sub->arg);
    }
}

/* A subscriber may itself make a change (and commit) while an event is
 * being published. Its events join the end of the pending list and are
 * published by the outer loop, after the ones before them: every
 * subscriber sees events in sequence order, each once. */
static void tx_hook(bool committed, void *arg)
{
    struct events *ev = arg;
    struct le *le = ev->pending.head;
    while (le) {
        struct pending *p = le->data;
        le = le->next;
        if (p->committed)
            continue;
        if (committed)
            p->committed = true;
        else
            mem_deref(p);
    }
    if (ev->publishing)
        return;
    ev->publishing = true;
    while (ev->pending.head) {
        struct pending *p = ev->pending.head->data;
        if (!p->committed)
            break;
        ev->last_seq = p->e.seq;
        publish(ev, &p->e);
        mem_deref(p);
    }
    ev->publishing = false;
}

int events_alloc(struct events **evp, struct store *store)
{
    struct events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return ENOMEM;
    ev->store = store;
    json_t *row;
    int err =
        store_query_one(store, "SELECT COALESCE(MAX(seq), 0) AS seq FROM events", NULL, 0, &row);
    if (!err) {
        ev->last_seq = json_integer_value(json_object_get(row, "seq"));
        json_decref(row);
        err = store_add_tx_hook(store, tx_hook, ev);
    }
    if (err) {
        free(ev);
        return err;
    }
    *evp = ev;
    return 0;
}

void events_free(struct events *ev)
{
    if (!ev)
        return;
    list_flush(&ev->pending);
    /* Subscriptions belong to their owners; detach them from our list. */
    while (ev->subs.head)
        list_unlink(ev->subs.head);
    free(ev);
}

static int insert_event(struct events *ev, struct pending *p, const char *data_text)
{
    struct store_val v[] = {
        sv_int(p->e.time),   sv_text(p->topic), sv_text(p->type),
        sv_text(p->subject), sv_text(p->actor), sv_text(data_text),
    };
    int err = store_exec(ev->store,
                         "INSERT INTO events (time, topic, type, subject, actor, data)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         v, 6, NULL);
    if (!err)
        p->e.seq = store_last_insert_id(ev->store);
    return err;
}

int events_append(struct events *ev, const char *topic, const char *type, const char *subject,
                  const char *actor, json_t *data)
{
    struct pending *p = mem_zalloc(sizeof(*p), pending_destructor);
    if (!p) {
        json_decref(data);
        return ENOMEM;
    }
    p->data = data ? data : json_object();
    int err = str_dup(&p->topic, topic) | str_dup(&p->type, type);
    if (subject)
        err |= str_dup(&p->subject, subject);
    if (actor)
        err |= str_dup(&p->actor, actor);
    char *text = p->data ? json_dumps(p->data, JSON_COMPACT) : NULL;
    if (err || !text) {
        free(text);
        mem_deref(p);
        return ENOMEM;
    }
    p->e.time = clock_now_ms();
    p->e.topic = p->topic;
    p->e.type = p->type;
    p->e.subject = p->subject;
    p->e.actor = p->actor;
    p->e.data = p->data;

    bool own;
    if ((err = store_begin_own(ev->store, &own)) != 0) {
        free(text);
        mem_deref(p);
        return err;
    }
    list_append(&ev->pending, &p->le, p);
    err = insert_event(ev, p, text);
    free(text);
    if (err) {
        log_error("events", "append failed", "type=%s error=\"%s\"", type, store_errmsg(ev->store));
        /* Not published: a rollback (ours or the caller's) would drop it
         * too, but the caller may choose to commit the rest. */
        mem_deref(p);
    }
    return store_end_own(ev->store, own, err);
}

void events_publish_volatile(struct events *ev, const char *topic, const char *type,
                             const json_t *data)
{
    struct event e = {.time = clock_now_ms(), .topic = topic, .type = type, .data = data};
    publish(ev, &e);
}

int events_subscribe(struct events *ev, struct events_sub **subp, events_h *h, void *arg)
{
    struct events_sub *sub = mem_zalloc(sizeof(*sub), sub_destructor);
    if (!sub)
        return ENOMEM;
    sub->h = h;
    sub->arg = arg;
    list_append(&ev->subs, &sub->le, sub);
    *subp = sub;
    return 0;
}

struct replay_ctx {
    const char *const *topics;
    size_t ntopics;
    events_h *h;
    void *arg;
    int64_t last;
};

static int replay_row(const struct store_row *row, void *arg)
{
    struct replay_ctx *ctx = arg;
    struct event e = {
        .seq = store_row_int(row, 0),
        .time = store_row_int(row, 1),
        .topic = store_row_text(row, 2),
        .type = store_row_text(row, 3),
        .subject = store_row_text(row, 4),
        .actor = store_row_text(row, 5),
    };
    ctx->last = e.seq;
    bool wanted = ctx->ntopics == 0;
    for (size_t i = 0; i < ctx->ntopics && !wanted; i++)
        wanted = strcmp(ctx->topics[i], e.topic) == 0;
    if (!wanted)
        return 0;
    json_t *data = json_loads(store_row_text(row, 6), 0, NULL);
    e.data = data;
    ctx->h(&e, ctx->arg);
    json_decref(data);
    return 0;
}

int events_replay(struct events *ev, int64_t after, const char *const *topic_list, size_t n,
                  size_t limit, events_h *h, void *arg, int64_t *lastp)
{
    struct replay_ctx ctx = {topic_list, n, h, arg, after};
    struct store_val v[] = {sv_int(after), sv_int((int64_t)limit)};
    int err = store_query(ev->store,
                          "SELECT seq, time, topic, type, subject, actor, data FROM events"
                          " WHERE seq > ? ORDER BY seq LIMIT ?",
                          v, 2, replay_row, &ctx);
    if (lastp)
        *lastp = ctx.last;
    return err;
}

int64_t events_last_seq(const struct events *ev)
{
    return ev->last_seq;
}

json_t *event_to_json(const struct event *e)
{
    char when[40];
    clock_format_rfc3339(when, sizeof(when), e->time);
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:O}", "seq", (json_int_t)e->seq, "time",
                     when, "topic", e->topic, "type", e->type, "subject", e->subject, "actor",
                     e->actor, "data", e->data ? (json_t *)e->data : json_object());
}

static const struct topic *topic_find(const char *name)
{
    for (size_t i = 0; i < ntopics; i++) {
        if (strcmp(topics[i].name, name) == 0)
            return &topics[i];
    }
    return NULL;
}

int events_topic_register(const char *topic, unsigned roles, events_visible_h *visible)
{
    if (topic_find(topic))
        return 0;
    if (ntopics == MAX_TOPICS)
        return ENOSPC;
    topics[ntopics++] = (struct topic){topic, roles, visible};
    return 0;
}

bool events_topic_known(const char *topic)
{
    return topic_find(topic) != NULL;
}

bool events_topic_allowed(const struct principal *who, const char *topic)
{
    const struct topic *t = topic_find(topic);
    return t && (t->roles & who->role);
}

bool events_visible(const struct principal *who, const struct event *e)
{
    const struct topic *t = topic_find(e->topic);
    if (!t || !(t->roles & who->role))
        return false;
    return t->visible ? t->visible(who, e) : true;
}

json_t *events_topics_json(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < ntopics; i++)
        json_array_append_new(arr, json_string(topics[i].name));
    return arr;
}
