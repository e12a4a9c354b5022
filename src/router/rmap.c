/*
 * rmap.c - string-keyed open-addressing hash map (see rmap.h).
 *
 * The table keeps the load under 1/2 so probe runs stay short; deletion
 * shifts the following run back instead of leaving tombstones, so a map
 * with heavy churn (offers, jobs) never degrades.
 */
#include "router/rmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    const char *key;
    void *value;
    uint32_t hash;
};

struct rmap {
    struct slot *slots;
    size_t cap, count; /* cap is a power of two */
};

uint32_t rmap_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 16777619u;
    }
    return h ? h : 1;
}

int rmap_alloc(struct rmap **mp, size_t expected)
{
    struct rmap *m = calloc(1, sizeof(*m));
    if (!m)
        return ENOMEM;
    m->cap = 16;
    while (m->cap < expected * 2)
        m->cap <<= 1;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return ENOMEM;
    }
    *mp = m;
    return 0;
}

void rmap_free(struct rmap *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

static size_t find_slot(const struct rmap *m, const char *key, uint32_t h)
{
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key) {
        if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

void *rmap_get_h(const struct rmap *m, const char *key, uint32_t h)
{
    size_t i = find_slot(m, key, h);
    return m->slots[i].key ? m->slots[i].value : NULL;
}

void *rmap_get(const struct rmap *m, const char *key)
{
    return rmap_get_h(m, key, rmap_hash(key));
}

static int grow(struct rmap *m)
{
    struct slot *old = m->slots;
    size_t oldcap = m->cap;
    struct slot *slots = calloc(oldcap * 2, sizeof(*slots));
    if (!slots)
        return ENOMEM;
    m->slots = slots;
    m->cap = oldcap * 2;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key)
            continue;
        size_t j = old[i].hash & (m->cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
    return 0;
}

int rmap_put(struct rmap *m, const char *key, void *value)
{
    return rmap_put_h(m, key, value, rmap_hash(key));
}

int rmap_put_h(struct rmap *m, const char *key, void *value, uint32_t h)
{
    if ((m->count + 1) * 2 > m->cap && grow(m))
        return ENOMEM;
    size_t i = find_slot(m, key, h);
    if (!m->slots[i].key)
        m->count++;
    m->slots[i] = (struct slot){.key = key, .value = value, .hash = h};
    return 0;
}

void *rmap_del(struct rmap *m, const char *key)
{
    return rmap_del_h(m, key, rmap_hash(key));
}

void *rmap_del_h(struct rmap *m, const char *key, uint32_t h)
{
    size_t mask = m->cap - 1;
    size_t i = find_slot(m, key, h);
    if (!m->slots[i].key)
        return NULL;
    void *value = m->slots[i].value;
    m->count--;
    /* Backward shift: move later members of the run into the hole when
     * their home slot is at or before it (cyclically). */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].key)
            break;
        size_t home = m->slots[j].hash & mask;
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole] = (struct slot){0};
    return value;
}

size_t rmap_count(const struct rmap *m)
{
    return m->count;
}

bool rmap_next(const struct rmap *m, size_t *pos, const char **key, void **value)
{
    for (; *pos < m->cap; (*pos)++) {
        if (m->slots[*pos].key) {
            if (key)
                *key = m->slots[*pos].key;
            if (value)
                *value = m->slots[*pos].value;
            (*pos)++;
            return true;
        }
    }
    return false;
}
