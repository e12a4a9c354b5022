/*
 * checkpoint.c - the SQLite store's WAL checkpoints, on a thread of their
 * own.
 *
 * In WAL mode with synchronous=NORMAL a commit only appends to the WAL;
 * the fsyncs come when a checkpoint copies the WAL into the database file,
 * which SQLite by default does inside the commit that passes 1000 pages.
 * That commit runs on the main loop, and on a busy disk those fsyncs took
 * up to half a second: the loop stood still, and SIP packets overflowed
 * their socket. Here the main connection's WAL hook only tells this
 * thread, which checkpoints through its own connection (PASSIVE: writers
 * go on meanwhile, and the WAL is reused once it has been copied).
 * Durability does not change: a commit is in the WAL when it returns.
 */
#include "store/checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

enum { WAL_PAGES = 1000 }; /* SQLite's own autocheckpoint threshold */

struct checkpointer {
    sqlite3 *db; /* our own connection */
    pthread_t thr;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool wanted, stopping;
};

static void *run(void *arg)
{
    struct checkpointer *cp = arg;
    pthread_mutex_lock(&cp->lock);
    for (;;) {
        while (!cp->wanted && !cp->stopping)
            pthread_cond_wait(&cp->cond, &cp->lock);
        if (cp->stopping)
            break;
        cp->wanted = false;
        pthread_mutex_unlock(&cp->lock);
        /* Busy (another checkpoint): the next commit asks again. */
        (void)sqlite3_wal_checkpoint_v2(cp->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&cp->lock);
    }
    pthread_mutex_unlock(&cp->lock);
    return NULL;
}

/* After each commit on the main connection (this replaces SQLite's
 * autocheckpoint): pages is the WAL's length. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    struct checkpointer *cp = arg;
    if (pages >= WAL_PAGES) {
        pthread_mutex_lock(&cp->lock);
        cp->wanted = true;
        pthread_cond_signal(&cp->cond);
        pthread_mutex_unlock(&cp->lock);
    }
    return SQLITE_OK;
}

int checkpointer_start(struct checkpointer **cpp, sqlite3 *main)
{
    const char *path = sqlite3_db_filename(main, "main");
    if (!path || !*path)
        return ENOTSUP; /* in memory: no WAL */
    struct checkpointer *cp = calloc(1, sizeof(*cp));
    if (!cp)
        return ENOMEM;
    if (sqlite3_open_v2(path, &cp->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(cp->db);
        free(cp);
        return EIO;
    }
    sqlite3_busy_timeout(cp->db, 1000);
    /* A connection learns the WAL mode from the file when it first reads. */
    if (sqlite3_exec(cp->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(cp->db);
        free(cp);
        return EIO;
    }
    pthread_mutex_init(&cp->lock, NULL);
    pthread_cond_init(&cp->cond, NULL);
    int err = pthread_create(&cp->thr, NULL, run, cp);
    if (err) {
        pthread_mutex_destroy(&cp->lock);
        pthread_cond_destroy(&cp->cond);
        sqlite3_close(cp->db);
        free(cp);
        return err;
    }
    sqlite3_wal_hook(main, on_commit, cp);
    *cpp = cp;
    return 0;
}

void checkpointer_stop(struct checkpointer *cp, sqlite3 *main)
{
    if (!cp)
        return;
    sqlite3_wal_hook(main, NULL, NULL);
    pthread_mutex_lock(&cp->lock);
    cp->stopping = true;
    pthread_cond_signal(&cp->cond);
    pthread_mutex_unlock(&cp->lock);
    pthread_join(cp->thr, NULL);
    pthread_mutex_destroy(&cp->lock);
    pthread_cond_destroy(&cp->cond);
    sqlite3_close(cp->db);
    free(cp);
}
