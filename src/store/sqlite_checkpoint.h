/*
 * sqlite_checkpoint.h - WAL checkpoints of the SQLite store on a thread of
 * their own. Private to src/store/.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses its
 * threshold: the loop thread copies the WAL into the database file and
 * waits for two fsyncs, a stall of several milliseconds under write load.
 * Here the commit only notes the WAL's size; a second connection on a
 * checkpoint thread copies the pages (PASSIVE: it never blocks the writer
 * nor waits for it). A WAL that still grows past a hard bound (the thread
 * cannot keep up, or never finds a moment with nothing new to copy, which
 * SQLite needs to start the WAL over) is checkpointed by the loop thread
 * as before, so the file stays bounded.
 */
#ifndef SB_STORE_SQLITE_CHECKPOINT_H
#define SB_STORE_SQLITE_CHECKPOINT_H

#include <sqlite3.h>
#include <stdbool.h>

struct checkpointer;

/* Take over checkpoints of db (a WAL database at path). */
int checkpointer_start(struct checkpointer **cpp, sqlite3 *db, const char *path,
                       bool synchronous_full);
/* Stop the thread and close its connection; before db itself closes. */
void checkpointer_stop(struct checkpointer *cp);

#endif
