/*
 * sqlite_checkpoint.c - WAL checkpoints on a thread of their own (see
 * sqlite_checkpoint.h).
 */
#include "store/sqlite_checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

enum {
    /* Pages in the WAL (4 KiB each) that start a checkpoint: about 16 MiB,
     * where SQLite's own default is 1000. A checkpoint writes each page
     * once however often it changed since the last one, and under chat
     * load the same pages (the threads' rows, the ends of their indexes)
     * change again and again: a larger WAL makes fewer writes of them. */
    CHECKPOINT_PAGES = 4000,
    /* Past this the loop thread checkpoints itself (about 64 MiB). */
    FORCE_PAGES = 4 * CHECKPOINT_PAGES,
};

struct checkpointer {
    sqlite3 *main_db;
    sqlite3 *db; /* the thread's own connection */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool wanted, stop;
};

static void *run(void *arg)
{
    struct checkpointer *cp = arg;
    pthread_mutex_lock(&cp->lock);
    for (;;) {
        while (!cp->wanted && !cp->stop)
            pthread_cond_wait(&cp->cond, &cp->lock);
        if (cp->stop)
            break;
        cp->wanted = false;
        pthread_mutex_unlock(&cp->lock);
        /* SQLITE_BUSY (the loop thread checkpoints too) only means later. */
        (void)sqlite3_wal_checkpoint_v2(cp->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&cp->lock);
    }
    pthread_mutex_unlock(&cp->lock);
    return NULL;
}

/* After each commit on the loop thread, with the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct checkpointer *cp = arg;
    if (pages >= FORCE_PAGES) {
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&cp->lock);
        if (!cp->wanted) {
            cp->wanted = true;
            pthread_cond_signal(&cp->cond);
        }
        pthread_mutex_unlock(&cp->lock);
    }
    return SQLITE_OK;
}

static int open_connection(struct checkpointer *cp, const char *path, bool full)
{
    int rc = sqlite3_open_v2(path, &cp->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(cp->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                          NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : EIO;
}

int checkpointer_start(struct checkpointer **cpp, sqlite3 *db, const char *path,
                       bool synchronous_full)
{
    struct checkpointer *cp = calloc(1, sizeof(*cp));
    if (!cp)
        return ENOMEM;
    cp->main_db = db;
    pthread_mutex_init(&cp->lock, NULL);
    pthread_cond_init(&cp->cond, NULL);
    int err = open_connection(cp, path, synchronous_full);
    if (!err)
        err = pthread_create(&cp->thread, NULL, run, cp);
    if (err) {
        sqlite3_close(cp->db);
        pthread_cond_destroy(&cp->cond);
        pthread_mutex_destroy(&cp->lock);
        free(cp);
        return err;
    }
    /* Replaces SQLite's automatic checkpoint (itself a WAL hook). */
    sqlite3_wal_hook(db, wal_hook, cp);
    *cpp = cp;
    return 0;
}

void checkpointer_stop(struct checkpointer *cp)
{
    if (!cp)
        return;
    sqlite3_wal_hook(cp->main_db, NULL, NULL);
    pthread_mutex_lock(&cp->lock);
    cp->stop = true;
    pthread_cond_signal(&cp->cond);
    pthread_mutex_unlock(&cp->lock);
    pthread_join(cp->thread, NULL);
    sqlite3_close(cp->db);
    pthread_cond_destroy(&cp->cond);
    pthread_mutex_destroy(&cp->lock);
    free(cp);
}
