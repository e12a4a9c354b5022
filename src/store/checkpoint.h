/*
 * checkpoint.h - WAL checkpoints of the SQLite store on their own thread,
 * so that their fsyncs never stall the main loop. Private to src/store/.
 */
#ifndef SB_STORE_CHECKPOINT_H
#define SB_STORE_CHECKPOINT_H

#include <sqlite3.h>

struct checkpointer;

/* Take over main's checkpoints (its WAL hook). ENOTSUP for a database in
 * memory; on any error SQLite's own autocheckpoint stays. */
int checkpointer_start(struct checkpointer **cpp, sqlite3 *main);
/* Stop (a checkpoint under way finishes first); before main closes. */
void checkpointer_stop(struct checkpointer *cp, sqlite3 *main);

#endif
