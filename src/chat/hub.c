/*
 * hub.c - live fan-out of a thread's messages to its subscribers.
 *
 * A message is queued while its transaction is open and sent once it
 * commits, in the order queued; a rolled-back transaction's messages are
 * dropped. Each frame is serialised once and the same text goes to every
 * subscriber of the thread. A subscriber never gets a seq twice or out of
 * order: it remembers the last seq it got (replay included).
 *
 * The store may run our hook inside another module's after-commit work
 * (a subscriber of the event bus that makes its own change): items are
 * tagged with their transaction's serial, settled only by that
 * transaction's hook, and sent from the head of the queue only when
 * settled, so an outer transaction's messages still go first.
 */
#include "chat/chat_internal.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>

struct hub {
    struct store *store;
    struct hash *threads; /* struct hub_thread by id */
    struct list pending;  /* struct pending, in commit order */
    bool publishing;
};

struct hub_thread {
    struct le he;
    struct list subs;
    char id[ID_SIZE];
};

struct chat_sub {
    struct le le;
    struct hub *hub;
    struct hub_thread *ht; /* NULL once dropped */
    char user_id[ID_SIZE];
    int64_t last_seq;
    chat_send_h *send;
    void *arg;
};

struct pending {
    struct le le;
    char thread_id[ID_SIZE];
    int64_t seq;
    uint64_t serial;
    bool committed;
    char *text;
};

static void pending_destructor(void *arg)
{
    struct pending *p = arg;
    list_unlink(&p->le);
    mem_deref(p->text);
}

static bool id_eq(struct le *le, void *arg)
{
    const struct hub_thread *ht = le->data;
    return strcmp(ht->id, arg) == 0;
}

static struct hub_thread *find(struct hub *h, const char *id)
{
    struct le *le = hash_lookup(h->threads, hash_joaat_str(id), id_eq, (void *)id);
    return le ? le->data : NULL;
}

static void thread_destructor(void *arg)
{
    struct hub_thread *ht = arg;
    hash_unlink(&ht->he);
}

static void detach(struct chat_sub *s)
{
    if (!s->ht)
        return;
    list_unlink(&s->le);
    if (list_isempty(&s->ht->subs))
        mem_deref(s->ht);
    s->ht = NULL;
}

static void sub_destructor(void *arg)
{
    detach(arg);
}

/* Send to each subscriber; a send may end subscriptions (a closed
 * socket), so the next element is taken first. */
static void deliver(struct hub *h, const char *thread_id, int64_t seq, const char *text)
{
    struct hub_thread *ht = find(h, thread_id);
    if (!ht)
        return;
    mem_ref(ht);
    size_t len = strlen(text);
    struct le *le = ht->subs.head;
    while (le) {
        struct chat_sub *s = le->data;
        le = le->next;
        if (seq && seq <= s->last_seq)
            continue;
        if (seq)
            s->last_seq = seq;
        s->send(text, len, s->arg);
    }
    mem_deref(ht);
}

static void tx_hook(bool committed, void *arg)
{
    struct hub *h = arg;
    uint64_t serial = store_tx_serial(h->store);
    struct le *le = h->pending.head;
    while (le) {
        struct pending *p = le->data;
        le = le->next;
        if (p->committed || p->serial != serial)
            continue;
        if (committed)
            p->committed = true;
        else
            mem_deref(p);
    }
    if (h->publishing)
        return;
    h->publishing = true;
    while (h->pending.head) {
        struct pending *p = h->pending.head->data;
        if (!p->committed)
            break;
        list_unlink(&p->le);
        deliver(h, p->thread_id, p->seq, p->text);
        mem_deref(p);
    }
    h->publishing = false;
}

void hub_queue(struct hub *h, const char *thread_id, int64_t seq, const char *text)
{
    if (!store_in_transaction(h->store)) {
        deliver(h, thread_id, seq, text); /* already committed */
        return;
    }
    struct pending *p = mem_zalloc(sizeof(*p), pending_destructor);
    if (!p || str_dup(&p->text, text) != 0) {
        mem_deref(p); /* subscribers catch up when they resubscribe */
        return;
    }
    snprintf(p->thread_id, sizeof(p->thread_id), "%s", thread_id);
    p->seq = seq;
    p->serial = store_tx_serial(h->store);
    list_append(&h->pending, &p->le, p);
}

void hub_send(struct hub *h, const char *thread_id, const char *text)
{
    deliver(h, thread_id, 0, text);
}

void hub_thread_changed(struct hub *h, const char *thread_id, const json_t *view)
{
    json_t *frame = json_pack("{s:s, s:O}", "type", "thread", "thread", (json_t *)view);
    char *text = json_dumps(frame, JSON_COMPACT);
    json_decref(frame);
    if (text)
        hub_send(h, thread_id, text);
    free(text);
}

void hub_drop_user(struct hub *h, const char *thread_id, const char *user_id)
{
    struct hub_thread *ht = find(h, thread_id);
    if (!ht)
        return;
    char text[160];
    snprintf(text, sizeof(text),
             "{\"type\":\"unsubscribed\",\"threadId\":\"%s\",\"reason\":\"left the thread\"}",
             thread_id);
    mem_ref(ht);
    struct le *le = ht->subs.head;
    while (le) {
        struct chat_sub *s = le->data;
        le = le->next;
        if (strcmp(s->user_id, user_id) == 0) {
            s->send(text, strlen(text), s->arg);
            detach(s);
        }
    }
    mem_deref(ht);
}

struct chat_sub *hub_subscribe(struct hub *h, const char *thread_id, const char *user_id,
                               int64_t last_seq, chat_send_h *send, void *arg)
{
    struct hub_thread *ht = find(h, thread_id);
    if (!ht) {
        ht = mem_zalloc(sizeof(*ht), thread_destructor);
        if (!ht)
            return NULL;
        snprintf(ht->id, sizeof(ht->id), "%s", thread_id);
        list_init(&ht->subs);
        hash_append(h->threads, hash_joaat_str(ht->id), &ht->he, ht);
    }
    struct chat_sub *s = mem_zalloc(sizeof(*s), sub_destructor);
    if (!s) {
        if (list_isempty(&ht->subs))
            mem_deref(ht);
        return NULL;
    }
    s->hub = h;
    s->ht = ht;
    snprintf(s->user_id, sizeof(s->user_id), "%s", user_id ? user_id : "");
    s->last_seq = last_seq;
    s->send = send;
    s->arg = arg;
    list_append(&ht->subs, &s->le, s);
    return s;
}

const char *chat_sub_thread(const struct chat_sub *sub)
{
    return sub->ht ? sub->ht->id : "";
}

int hub_alloc(struct hub **hp, struct store *store)
{
    struct hub *h = mem_zalloc(sizeof(*h), NULL);
    if (!h)
        return ENOMEM;
    h->store = store;
    list_init(&h->pending);
    int err = hash_alloc(&h->threads, 4096);
    err = err ? err : store_add_tx_hook(store, tx_hook, h);
    if (err) {
        mem_deref(h->threads);
        mem_deref(h);
        return err;
    }
    *hp = h;
    return 0;
}

static bool detach_all(struct le *le, void *arg)
{
    (void)arg;
    struct hub_thread *ht = le->data;
    while (ht->subs.head) {
        struct chat_sub *s = ht->subs.head->data;
        list_unlink(&s->le);
        s->ht = NULL;
    }
    return false;
}

void hub_free(struct hub *h)
{
    if (!h)
        return;
    store_remove_tx_hook(h->store, tx_hook, h);
    list_flush(&h->pending);
    /* Subscriptions belong to their streams: they stay, detached. */
    hash_apply(h->threads, detach_all, NULL);
    hash_flush(h->threads);
    mem_deref(h->threads);
    mem_deref(h);
}
