/*
 * mailbox.c - a queue between threads that wakes the consumer's libre loop.
 *
 * Items go on a locked list; the libre mqueue only carries a wake-up, and
 * only when the list was empty, so the pipe under it never fills however
 * many items wait, and items left over at shutdown are freed, not leaked.
 */
#include "media/media_internal.h"

#include <errno.h>

static void wake_handler(int id, void *data, void *arg)
{
    struct mailbox *mb = arg;
    struct le *le;
    (void)id;
    (void)data;

    pthread_mutex_lock(&mb->lock);
    while ((le = list_head(&mb->items))) {
        list_unlink(le);
        pthread_mutex_unlock(&mb->lock);
        mb->h(le, mb->arg);
        pthread_mutex_lock(&mb->lock);
    }
    pthread_mutex_unlock(&mb->lock);
}

int mailbox_init(struct mailbox *mb, mailbox_h *h, void *arg)
{
    pthread_mutex_init(&mb->lock, NULL);
    list_init(&mb->items);
    mb->h = h;
    mb->arg = arg;
    return mqueue_alloc(&mb->wake, wake_handler, mb);
}

void mailbox_post(struct mailbox *mb, struct le *le, void *item)
{
    bool was_empty;

    /* the wake-up is pushed under the lock: once the consumer has seen
     * the item it may close the mailbox (CMD_QUIT) */
    pthread_mutex_lock(&mb->lock);
    was_empty = list_isempty(&mb->items);
    list_append(&mb->items, le, item);
    if (was_empty && mb->wake)
        (void)mqueue_push(mb->wake, 0, NULL);
    pthread_mutex_unlock(&mb->lock);
}

void mailbox_close(struct mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    mb->wake = mem_deref(mb->wake);
    list_flush(&mb->items);
    pthread_mutex_unlock(&mb->lock);
    pthread_mutex_destroy(&mb->lock);
}
