/*
 * ports.c - the engine's RTP port pool: pairs of an even port (RTP) and the
 * next one (RTCP) inside [min, max]. Main thread only.
 *
 * Taking a pair starts after the last one taken, so a pair just given back
 * is the last to be used again (a late packet of the old call is less
 * likely to reach a new one).
 */
#include "media/media_internal.h"

#include <errno.h>

struct port_pool {
    uint16_t first; /* the first even port */
    unsigned npairs;
    unsigned next; /* where the next search starts */
    bool *used;
};

static void pool_destructor(void *arg)
{
    struct port_pool *pp = arg;

    mem_deref(pp->used);
}

int port_pool_alloc(struct port_pool **ppp, uint16_t min, uint16_t max)
{
    struct port_pool *pp;
    unsigned first = (min + 1u) & ~1u;

    if (!ppp || min == 0 || max < min || first + 1 > max)
        return EINVAL;
    pp = mem_zalloc(sizeof(*pp), pool_destructor);
    if (!pp)
        return ENOMEM;
    pp->first = (uint16_t)first;
    pp->npairs = (max - first + 1) / 2;
    pp->used = mem_zalloc(pp->npairs * sizeof(*pp->used), NULL);
    if (!pp->used) {
        mem_deref(pp);
        return ENOMEM;
    }
    *ppp = pp;
    return 0;
}

int port_pool_get(struct port_pool *pp, uint16_t *port)
{
    for (unsigned i = 0; i < pp->npairs; i++) {
        unsigned k = (pp->next + i) % pp->npairs;

        if (!pp->used[k]) {
            pp->used[k] = true;
            pp->next = (k + 1) % pp->npairs;
            *port = (uint16_t)(pp->first + 2 * k);
            return 0;
        }
    }
    return ENOSPC;
}

void port_pool_put(struct port_pool *pp, uint16_t port)
{
    unsigned k;

    if (port < pp->first || (port - pp->first) % 2)
        return;
    k = (unsigned)(port - pp->first) / 2;
    if (k < pp->npairs)
        pp->used[k] = false;
}

unsigned port_pool_pairs(const struct port_pool *pp)
{
    return pp->npairs;
}
