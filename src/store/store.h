/*
 * store.h - the storage interface every module uses.
 *
 * SQL is written once, in the portable subset SQLite and PostgreSQL share,
 * with '?' placeholders; a backend prepares each distinct statement once
 * and reuses it (prepared statements only: values are always bound, never
 * pasted into SQL). The SQLite backend is in store_sqlite.c; a PostgreSQL
 * backend implements the same struct store_backend (it rewrites '?' to $n).
 *
 * Durability: store_exec() outside a transaction commits before it returns;
 * inside store_begin()/store_commit(), store_commit() returns only once the
 * transaction is committed. The server acknowledges a write only after that.
 *
 * Transactions do not nest: store_begin() inside a transaction is EALREADY.
 * After-commit hooks let modules act only on committed data (the event bus
 * publishes events this way).
 *
 * All functions run on the main loop thread.
 */
#ifndef SB_STORE_STORE_H
#define SB_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_vtype { SV_NULL = 0, SV_INT, SV_REAL, SV_TEXT };

struct store_val {
    enum store_vtype type;
    int64_t i;
    double d;
    const char *s; /* borrowed for the duration of the call */
};

static inline struct store_val sv_int(int64_t i)
{
    return (struct store_val){.type = SV_INT, .i = i};
}

/* NULL becomes SQL NULL. */
static inline struct store_val sv_text(const char *s)
{
    return (struct store_val){.type = s ? SV_TEXT : SV_NULL, .s = s};
}

/* A result row seen by a row handler; valid only during the call. */
struct store_row;
int store_row_columns(const struct store_row *row);
const char *store_row_name(const struct store_row *row, int col);
bool store_row_is_null(const struct store_row *row, int col);
int64_t store_row_int(const struct store_row *row, int col);
double store_row_real(const struct store_row *row, int col);
const char *store_row_text(const struct store_row *row, int col); /* NULL if null */
/* The column as JSON: integer, real, string or null. New reference. */
json_t *store_row_json(const struct store_row *row, int col);

/* Return 0 to continue, nonzero to stop (that value is returned). */
typedef int(store_row_h)(const struct store_row *row, void *arg);

/* Errors are errno values: EEXIST for a uniqueness or key conflict,
 * EINVAL for a constraint failure, EBUSY when the database is locked,
 * EIO otherwise; store_errmsg() has the backend's text. */
struct store_backend {
    const char *name;
    int (*exec)(void *impl, const char *sql, const struct store_val *vals, size_t n,
                int64_t *changes);
    int (*query)(void *impl, const char *sql, const struct store_val *vals, size_t n,
                 store_row_h *rowh, void *arg);
    int (*begin)(void *impl);
    int (*commit)(void *impl);
    int (*rollback)(void *impl);
    /* Run a script of several statements (migrations only; no values). */
    int (*script)(void *impl, const char *sql);
    const char *(*errmsg)(void *impl);
    /* The key the last INSERT gave its row (see store_last_insert_id). */
    int64_t (*last_insert_id)(void *impl);
    void (*close)(void *impl);
};

struct store_opts {
    const char *path;      /* SQLite file; created with its folder if absent */
    bool synchronous_full; /* fsync every commit (default: WAL + NORMAL) */
};

/* Open the SQLite store and apply pending migrations. */
int store_open_sqlite(struct store **storep, const struct store_opts *opts);
/* Wrap a backend (used by store_open_*; exposed for other backends). */
int store_wrap(struct store **storep, const struct store_backend *be, void *impl);
void store_close(struct store *store);

int store_exec(struct store *store, const char *sql, const struct store_val *vals, size_t n,
               int64_t *changes);
int store_query(struct store *store, const char *sql, const struct store_val *vals, size_t n,
                store_row_h *rowh, void *arg);
/* The integer key (INTEGER PRIMARY KEY) the last successful INSERT gave
 * its row. Cheaper than INSERT ... RETURNING, which SQLite answers through
 * a temporary table made for each execution. */
int64_t store_last_insert_id(struct store *store);
/* Rows as an array of objects keyed by column name. */
int store_query_json(struct store *store, const char *sql, const struct store_val *vals, size_t n,
                     json_t **rowsp);
/* The first row as an object; ENOENT when there is none. */
int store_query_one(struct store *store, const char *sql, const struct store_val *vals, size_t n,
                    json_t **rowp);

int store_begin(struct store *store);
int store_commit(struct store *store);
void store_rollback(struct store *store);
bool store_in_transaction(const struct store *store);
/* Inside a transaction: its number (counting up from 1). Inside a tx
 * hook: the number of the transaction that just ended, even when an
 * earlier hook made changes of its own meanwhile. Lets a module whose hook
 * may run inside another module's after-commit work tell the items of
 * each transaction apart. */
uint64_t store_tx_serial(const struct store *store);

/* For functions that may run inside a caller's transaction or alone:
 * begins one only when none is open (*own says so); store_end() then
 * commits it when err is 0, rolls it back otherwise, and returns err or the
 * commit's error. A caller's transaction is left to the caller. */
int store_begin_own(struct store *store, bool *own);
int store_end_own(struct store *store, bool own, int err);

/* Writes that may wait a moment (group commit): write(store, arg) runs
 * later, in one transaction with the other writes waiting, at
 * store_flush() or first thing when anything else uses the store (a query,
 * an exec, a transaction), so every reader sees it and writes keep their
 * order. Inside a transaction it runs at once. done(arg, err) follows once
 * with the outcome (arg is the caller's to free there); when the batch
 * fails, its writes are tried again one by one, so only a failing write
 * is lost. A write must not depend on anything but arg. */
typedef int(store_write_h)(struct store *store, void *arg);
typedef void(store_done_h)(void *arg, int err);
void store_later(struct store *store, store_write_h *write, store_done_h *done, void *arg);
/* Run the writes waiting, in one transaction. */
void store_flush(struct store *store);
bool store_waiting(const struct store *store);

/* Called after each successful commit (or autocommitted store_exec) and,
 * with committed=false, after a rollback. One hook per owner is enough. */
typedef void(store_tx_h)(bool committed, void *arg);
int store_add_tx_hook(struct store *store, store_tx_h *h, void *arg);
void store_remove_tx_hook(struct store *store, store_tx_h *h, void *arg);

const char *store_errmsg(struct store *store);
const char *store_backend_name(const struct store *store);

/* Migrations (store_migrate.c): applied versions, for `switchboard
 * version` and tests. */
int store_schema_version(struct store *store, int64_t *version);

#endif
