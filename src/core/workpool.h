/*
 * workpool.h - a few threads for work that must not block the main loop
 * (password hashing, prompt rendering).
 *
 * work() runs on a pool thread and must not touch loop-owned state; done()
 * then runs on the loop thread that created the pool, with err 0, or
 * ECANCELED if the pool was destroyed before the work ran. Every submitted
 * work gets its done(), the pool's destruction included.
 */
#ifndef SB_CORE_WORKPOOL_H
#define SB_CORE_WORKPOOL_H

struct workpool;

typedef void(work_h)(void *arg);
typedef void(work_done_h)(int err, void *arg);

/* Create on the loop thread (the completion queue registers with its loop). */
int workpool_alloc(struct workpool **wpp, unsigned threads);
int workpool_submit(struct workpool *wp, work_h *work, work_done_h *done, void *arg);

#endif
