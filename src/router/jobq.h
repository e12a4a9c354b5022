/*
 * jobq.h - the order of a queue's jobs: an indexable skip list keyed by
 * (priority descending, enqueue time ascending, creation sequence).
 *
 * Why a skip list: priorities are arbitrary integers (expressions, bumps),
 * and jobs come back into the middle of the order (unassign keeps the
 * enqueue time, restore after a restart), so plain per-priority FIFOs
 * would need linear inserts; a skip list gives O(log n) insert and remove,
 * O(1) walk to the next job for matching, and with span counts an
 * O(log n) rank for "position in queue". Each job owns one node whose
 * level is drawn once, so requeueing allocates nothing.
 */
#ifndef SB_ROUTER_JOBQ_H
#define SB_ROUTER_JOBQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOBQ_MAX_LEVEL 16

struct jobq_node {
    void *item;
    int prio;
    int64_t enq;
    uint64_t seq;
    unsigned level;
    struct jobq_link {
        struct jobq_node *next;
        unsigned span;
    } lv[];
};

struct jobq {
    struct jobq_node *head;
    unsigned level, n;
};

int jobq_init(struct jobq *q);
void jobq_free(struct jobq *q);
/* A node level drawn from `rnd` (uniform 32 bits), the size of a node of
 * that level, and its set-up in memory the caller provides (a job keeps
 * its node in its own allocation). */
unsigned jobq_level(uint32_t rnd);
size_t jobq_node_size(unsigned level);
void jobq_node_init(struct jobq_node *node, void *item, unsigned level);
/* a strictly before b in matching order */
bool jobq_before(const struct jobq_node *a, const struct jobq_node *b);
void jobq_insert(struct jobq *q, struct jobq_node *node);
void jobq_remove(struct jobq *q, struct jobq_node *node);
static inline struct jobq_node *jobq_first(const struct jobq *q)
{
    return q->head->lv[0].next;
}
static inline struct jobq_node *jobq_next(const struct jobq_node *node)
{
    return node->lv[0].next;
}
/* How many nodes come strictly before a node with this key. */
unsigned jobq_count_before(const struct jobq *q, const struct jobq_node *key);

#endif
