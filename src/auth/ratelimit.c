/*
 * ratelimit.c - failure counting with lockout (see ratelimit.h).
 *
 * Entries live in libre's hash table. The table is bounded: when it holds
 * MAX_ENTRIES, idle entries are swept, and if that frees nothing the
 * oldest-window entry is dropped, so a flood of distinct keys costs memory
 * only up to the bound.
 */
#include "auth/ratelimit.h"
#include "core/libre.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ENTRIES = 65536, KEY_MAX = 128 };

struct entry {
    struct le he;
    char key[KEY_MAX];
    unsigned failures;
    int64_t window_start;
    int64_t locked_until;
};

struct ratelimit {
    struct hash *table;
    size_t count;
    unsigned max_failures;
    int64_t window_ms, lockout_ms;
};

static void entry_destructor(void *arg)
{
    struct entry *e = arg;
    hash_unlink(&e->he);
}

int ratelimit_alloc(struct ratelimit **rlp, unsigned max_failures, int64_t window_ms,
                    int64_t lockout_ms)
{
    struct ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return ENOMEM;
    int err = hash_alloc(&rl->table, 1024);
    if (err) {
        free(rl);
        return err;
    }
    rl->max_failures = max_failures ? max_failures : 1;
    rl->window_ms = window_ms;
    rl->lockout_ms = lockout_ms;
    *rlp = rl;
    return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    hash_flush(rl->table);
    mem_deref(rl->table);
    free(rl);
}

static bool key_match(struct le *le, void *arg)
{
    const struct entry *e = le->data;
    return strcmp(e->key, arg) == 0;
}

static struct entry *find(struct ratelimit *rl, const char *key)
{
    struct le *le = hash_lookup(rl->table, hash_joaat_str(key), key_match, (void *)key);
    return le ? le->data : NULL;
}

struct sweep {
    struct ratelimit *rl;
    int64_t now;
    struct entry *oldest;
};

static bool sweep_one(struct le *le, void *arg)
{
    struct sweep *s = arg;
    struct entry *e = le->data;
    bool idle = e->locked_until <= s->now && s->now - e->window_start > s->rl->window_ms;
    if (idle) {
        mem_deref(e);
        s->rl->count--;
    } else if (!s->oldest || e->window_start < s->oldest->window_start) {
        s->oldest = e;
    }
    return false;
}

static void make_room(struct ratelimit *rl, int64_t now)
{
    struct sweep s = {rl, now, NULL};
    hash_apply(rl->table, sweep_one, &s);
    if (rl->count >= MAX_ENTRIES && s.oldest) {
        mem_deref(s.oldest);
        rl->count--;
    }
}

int64_t ratelimit_blocked(struct ratelimit *rl, const char *key, int64_t now_ms)
{
    const struct entry *e = find(rl, key);
    return e && e->locked_until > now_ms ? e->locked_until - now_ms : 0;
}

int64_t ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now_ms)
{
    struct entry *e = find(rl, key);
    if (!e) {
        if (rl->count >= MAX_ENTRIES)
            make_room(rl, now_ms);
        e = mem_zalloc(sizeof(*e), entry_destructor);
        if (!e)
            return 0;
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->window_start = now_ms;
        hash_append(rl->table, hash_joaat_str(e->key), &e->he, e);
        rl->count++;
    }
    if (now_ms - e->window_start > rl->window_ms) {
        e->window_start = now_ms;
        e->failures = 0;
    }
    if (++e->failures < rl->max_failures)
        return 0;
    e->failures = 0;
    e->window_start = now_ms;
    e->locked_until = now_ms + rl->lockout_ms;
    return rl->lockout_ms;
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
    struct entry *e = find(rl, key);
    if (e) {
        mem_deref(e);
        rl->count--;
    }
}
