/*
 * workpool.c - fixed thread pool with completions posted back to the loop
 * through libre's mqueue (see workpool.h).
 */
#include "core/workpool.h"
#include "core/libre.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct work {
    struct work *next;
    work_h *work;
    work_done_h *done;
    void *arg;
};

struct workpool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct work *head, *tail;
    struct work *finished; /* done on a pool thread, done() not yet run */
    bool stopping;
    pthread_t *threads;
    unsigned nthreads;
    struct mqueue *completions;
};

static void *worker_main(void *arg)
{
    struct workpool *wp = arg;
    for (;;) {
        pthread_mutex_lock(&wp->lock);
        while (!wp->head && !wp->stopping)
            pthread_cond_wait(&wp->cond, &wp->lock);
        if (wp->stopping) {
            pthread_mutex_unlock(&wp->lock);
            return NULL;
        }
        struct work *w = wp->head;
        wp->head = w->next;
        if (!wp->head)
            wp->tail = NULL;
        pthread_mutex_unlock(&wp->lock);

        w->work(w->arg);
        pthread_mutex_lock(&wp->lock);
        w->next = wp->finished;
        wp->finished = w;
        pthread_mutex_unlock(&wp->lock);
        /* A wake-up only: the finished list is what counts, so a lost push
         * (ENOMEM) delays the completion to the next one or to the end. */
        (void)mqueue_push(wp->completions, 0, NULL);
    }
}

/* Run the done() of every finished work, oldest first, on the loop. */
static void complete(struct workpool *wp)
{
    pthread_mutex_lock(&wp->lock);
    struct work *list = wp->finished, *rev = NULL;
    wp->finished = NULL;
    pthread_mutex_unlock(&wp->lock);
    while (list) {
        struct work *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev) {
        struct work *next = rev->next;
        rev->done(0, rev->arg);
        free(rev);
        rev = next;
    }
}

static void completion_handler(int id, void *data, void *arg)
{
    (void)id;
    (void)data;
    complete(arg);
}

static void workpool_destructor(void *arg)
{
    struct workpool *wp = arg;
    pthread_mutex_lock(&wp->lock);
    wp->stopping = true;
    pthread_cond_broadcast(&wp->cond);
    pthread_mutex_unlock(&wp->lock);
    for (unsigned i = 0; i < wp->nthreads; i++)
        pthread_join(wp->threads[i], NULL);
    free(wp->threads);
    /* Finished work completes; work that never ran is cancelled. */
    complete(wp);
    for (struct work *w = wp->head, *next; w; w = next) {
        next = w->next;
        w->done(ECANCELED, w->arg);
        free(w);
    }
    mem_deref(wp->completions);
    pthread_cond_destroy(&wp->cond);
    pthread_mutex_destroy(&wp->lock);
}

int workpool_alloc(struct workpool **wpp, unsigned threads)
{
    if (!wpp || threads == 0)
        return EINVAL;
    struct workpool *wp = mem_zalloc(sizeof(*wp), workpool_destructor);
    if (!wp)
        return ENOMEM;
    /* The destructor copes with a partly built pool (no threads yet). */
    pthread_mutex_init(&wp->lock, NULL);
    pthread_cond_init(&wp->cond, NULL);
    int err = mqueue_alloc(&wp->completions, completion_handler, wp);
    wp->threads = calloc(threads, sizeof(*wp->threads));
    if (err || !wp->threads) {
        mem_deref(wp);
        return err ? err : ENOMEM;
    }
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&wp->threads[i], NULL, worker_main, wp) != 0)
            break;
        wp->nthreads++;
    }
    if (wp->nthreads == 0) {
        mem_deref(wp);
        return EAGAIN;
    }
    *wpp = wp;
    return 0;
}

int workpool_submit(struct workpool *wp, work_h *work, work_done_h *done, void *arg)
{
    if (!wp || !work || !done)
        return EINVAL;
    struct work *w = calloc(1, sizeof(*w));
    if (!w)
        return ENOMEM;
    w->work = work;
    w->done = done;
    w->arg = arg;
    pthread_mutex_lock(&wp->lock);
    if (wp->tail)
        wp->tail->next = w;
    else
        wp->head = w;
    wp->tail = w;
    pthread_cond_signal(&wp->cond);
    pthread_mutex_unlock(&wp->lock);
    return 0;
}
