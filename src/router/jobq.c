/*
 * jobq.c - indexable skip list of queued jobs (see jobq.h for why).
 *
 * Level k is kept with probability 1/4^k, so the expected work per search
 * is about 2 * log4(n) steps: 14 for 10,000 jobs. Spans count how many
 * level-0 steps a link skips, which gives the rank while searching.
 */
#include "router/jobq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int jobq_init(struct jobq *q)
{
    q->head = calloc(1, sizeof(*q->head) + JOBQ_MAX_LEVEL * sizeof(struct jobq_link));
    if (!q->head)
        return ENOMEM;
    q->head->level = JOBQ_MAX_LEVEL;
    q->level = 1;
    q->n = 0;
    return 0;
}

void jobq_free(struct jobq *q)
{
    free(q->head);
    q->head = NULL;
}

unsigned jobq_level(uint32_t rnd)
{
    unsigned level = 1;
    while (level < JOBQ_MAX_LEVEL && (rnd & 3) == 0) {
        level++;
        rnd >>= 2;
    }
    return level;
}

size_t jobq_node_size(unsigned level)
{
    return sizeof(struct jobq_node) + level * sizeof(struct jobq_link);
}

void jobq_node_init(struct jobq_node *node, void *item, unsigned level)
{
    memset(node, 0, jobq_node_size(level));
    node->item = item;
    node->level = level;
}

bool jobq_before(const struct jobq_node *a, const struct jobq_node *b)
{
    if (a->prio != b->prio)
        return a->prio > b->prio;
    if (a->enq != b->enq)
        return a->enq < b->enq;
    return a->seq < b->seq;
}

/* Walk down to the last node before `key` on every level, recording the
 * predecessors and their ranks. */
static void search(const struct jobq *q, const struct jobq_node *key, struct jobq_node **update,
                   unsigned *rank)
{
    struct jobq_node *x = q->head;
    unsigned r = 0;
    for (int i = (int)q->level - 1; i >= 0; i--) {
        while (x->lv[i].next && jobq_before(x->lv[i].next, key)) {
            r += x->lv[i].span;
            x = x->lv[i].next;
        }
        if (update) {
            update[i] = x;
            rank[i] = r;
        }
    }
    if (!update)
        rank[0] = r;
}

void jobq_insert(struct jobq *q, struct jobq_node *node)
{
    struct jobq_node *update[JOBQ_MAX_LEVEL];
    unsigned rank[JOBQ_MAX_LEVEL];
    search(q, node, update, rank);
    if (node->level > q->level) {
        for (unsigned i = q->level; i < node->level; i++) {
            update[i] = q->head;
            rank[i] = 0;
            q->head->lv[i].span = q->n;
            q->head->lv[i].next = NULL;
        }
        q->level = node->level;
    }
    for (unsigned i = 0; i < node->level; i++) {
        node->lv[i].next = update[i]->lv[i].next;
        update[i]->lv[i].next = node;
        node->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (unsigned i = node->level; i < q->level; i++)
        update[i]->lv[i].span++;
    q->n++;
}

void jobq_remove(struct jobq *q, struct jobq_node *node)
{
    struct jobq_node *update[JOBQ_MAX_LEVEL];
    unsigned rank[JOBQ_MAX_LEVEL];
    search(q, node, update, rank);
    for (unsigned i = 0; i < q->level; i++) {
        if (update[i]->lv[i].next == node) {
            update[i]->lv[i].span += node->lv[i].span - 1;
            update[i]->lv[i].next = node->lv[i].next;
        } else {
            update[i]->lv[i].span--;
        }
    }
    while (q->level > 1 && !q->head->lv[q->level - 1].next)
        q->level--;
    q->n--;
    for (unsigned i = 0; i < node->level; i++)
        node->lv[i] = (struct jobq_link){0};
}

unsigned jobq_count_before(const struct jobq *q, const struct jobq_node *key)
{
    unsigned rank[1];
    search(q, key, NULL, rank);
    return rank[0];
}
