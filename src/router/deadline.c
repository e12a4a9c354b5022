/*
 * deadline.c - the router's one timer: a binary min-heap of everything
 * that becomes due at a time (offer expiries, selector expiries, wait-time
 * exception triggers, scheduled activations, wrap-up ends, decline retry
 * times).
 *
 * Deadlines are embedded in the objects they belong to and know their
 * heap index, so cancelling one (an offer accepted before it expires) is
 * an O(log n) removal, not a tombstone left to pile up.
 */
#include "router/router_internal.h"

#include <stdlib.h>

void dl_init(struct deadline *d, enum dl_kind kind)
{
    d->at = 0;
    d->idx = UINT_MAX;
    d->kind = (uint8_t)kind;
}

static bool earlier(const struct deadline *a, const struct deadline *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void place(struct dlheap *h, unsigned i, struct deadline *d)
{
    h->v[i] = d;
    d->idx = i;
}

static void sift_up(struct dlheap *h, unsigned i)
{
    struct deadline *d = h->v[i];
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!earlier(d, h->v[p]))
            break;
        place(h, i, h->v[p]);
        i = p;
    }
    place(h, i, d);
}

static void sift_down(struct dlheap *h, unsigned i)
{
    struct deadline *d = h->v[i];
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && earlier(h->v[c + 1], h->v[c]))
            c++;
        if (!earlier(h->v[c], d))
            break;
        place(h, i, h->v[c]);
        i = c;
    }
    place(h, i, d);
}

void dl_clear(struct router *r, struct deadline *d)
{
    struct dlheap *h = &r->heap;
    if (d->idx == UINT_MAX)
        return;
    unsigned i = d->idx;
    d->idx = UINT_MAX;
    h->n--;
    if (i == h->n)
        return;
    struct deadline *moved = h->v[h->n];
    place(h, i, moved);
    sift_up(h, i);
    sift_down(h, moved->idx);
}

void dl_set(struct router *r, struct deadline *d, int64_t at)
{
    struct dlheap *h = &r->heap;
    dl_clear(r, d);
    if (h->n == h->cap) {
        unsigned cap = h->cap ? h->cap * 2 : 1024;
        struct deadline **v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            abort(); /* a lost deadline would strand a job: fail loudly */
        h->v = v;
        h->cap = cap;
    }
    d->at = at;
    d->seq = ++r->dl_seq;
    place(h, h->n++, d);
    sift_up(h, d->idx);
}

struct deadline *dl_peek(const struct router *r)
{
    return r->heap.n ? r->heap.v[0] : NULL;
}

void dl_heap_free(struct dlheap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
