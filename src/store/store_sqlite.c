/*
 * store_sqlite.c - the embedded SQLite backend: WAL journal, foreign keys
 * on, a cache of prepared statements keyed by SQL text, checkpoints on a
 * thread of their own (sqlite_checkpoint.c).
 */
#include "store/backend.h"
#include "store/sqlite_checkpoint.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { STMT_BUCKETS = 256 };

struct cached_stmt {
    struct cached_stmt *next;
    char *sql;
    sqlite3_stmt *stmt;
};

struct sqlite_store {
    sqlite3 *db;
    struct checkpointer *checkpointer; /* NULL: SQLite's own (not WAL) */
    struct cached_stmt *buckets[STMT_BUCKETS];
    char errmsg[512];
};

static unsigned sql_hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % STMT_BUCKETS;
}

static int map_error(struct sqlite_store *ss, int rc)
{
    snprintf(ss->errmsg, sizeof(ss->errmsg), "%s", sqlite3_errmsg(ss->db));
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: {
        int ext = sqlite3_extended_errcode(ss->db);
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return EEXIST;
        return EINVAL;
    }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return EBUSY;
    case SQLITE_NOMEM:
        return ENOMEM;
    case SQLITE_FULL:
        return ENOSPC;
    default:
        return EIO;
    }
}

static int prepare_cached(struct sqlite_store *ss, const char *sql, sqlite3_stmt **stmtp)
{
    unsigned b = sql_hash(sql);
    for (struct cached_stmt *c = ss->buckets[b]; c; c = c->next) {
        if (strcmp(c->sql, sql) == 0) {
            *stmtp = c->stmt;
            return 0;
        }
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(ss->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK)
        return map_error(ss, rc);
    struct cached_stmt *c = calloc(1, sizeof(*c));
    if (!c || !(c->sql = strdup(sql))) {
        free(c);
        sqlite3_finalize(stmt);
        return ENOMEM;
    }
    c->stmt = stmt;
    c->next = ss->buckets[b];
    ss->buckets[b] = c;
    *stmtp = stmt;
    return 0;
}

static int bind_values(struct sqlite_store *ss, sqlite3_stmt *stmt, const struct store_val *vals,
                       size_t n)
{
    if ((int)n != sqlite3_bind_parameter_count(stmt)) {
        snprintf(ss->errmsg, sizeof(ss->errmsg), "statement wants %d values, got %zu",
                 sqlite3_bind_parameter_count(stmt), n);
        return EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int rc, idx = (int)i + 1;
        switch (vals[i].type) {
        case SV_INT:
            rc = sqlite3_bind_int64(stmt, idx, vals[i].i);
            break;
        case SV_REAL:
            rc = sqlite3_bind_double(stmt, idx, vals[i].d);
            break;
        case SV_TEXT:
            rc = sqlite3_bind_text(stmt, idx, vals[i].s, -1, SQLITE_STATIC);
            break;
        default:
            rc = sqlite3_bind_null(stmt, idx);
            break;
        }
        if (rc != SQLITE_OK)
            return map_error(ss, rc);
    }
    return 0;
}

static void reset(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

/* Row accessors over the statement being stepped. */
static int row_columns(void *impl)
{
    return sqlite3_column_count(impl);
}
static const char *row_name(void *impl, int col)
{
    return sqlite3_column_name(impl, col);
}
static enum store_vtype row_type(void *impl, int col)
{
    switch (sqlite3_column_type(impl, col)) {
    case SQLITE_INTEGER:
        return SV_INT;
    case SQLITE_FLOAT:
        return SV_REAL;
    case SQLITE_NULL:
        return SV_NULL;
    default:
        return SV_TEXT;
    }
}
static int64_t row_integer(void *impl, int col)
{
    return sqlite3_column_int64(impl, col);
}
static double row_real(void *impl, int col)
{
    return sqlite3_column_double(impl, col);
}
static const char *row_text(void *impl, int col)
{
    return (const char *)sqlite3_column_text(impl, col);
}

static const struct store_row_ops row_ops = {
    row_columns, row_name, row_type, row_integer, row_real, row_text,
};

static int sqlite_query(void *impl, const char *sql, const struct store_val *vals, size_t n,
                        store_row_h *rowh, void *arg)
{
    struct sqlite_store *ss = impl;
    sqlite3_stmt *stmt = NULL;
    int err = prepare_cached(ss, sql, &stmt);
    if (err)
        return err;
    err = bind_values(ss, stmt, vals, n);
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct store_row row = {&row_ops, stmt};
        if (rowh && (err = rowh(&row, arg)) != 0)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = map_error(ss, rc);
    reset(stmt);
    return err;
}

static int sqlite_exec(void *impl, const char *sql, const struct store_val *vals, size_t n,
                       int64_t *changes)
{
    struct sqlite_store *ss = impl;
    int err = sqlite_query(impl, sql, vals, n, NULL, NULL);
    if (!err && changes)
        *changes = sqlite3_changes64(ss->db);
    return err;
}

static int sqlite_script(void *impl, const char *sql)
{
    struct sqlite_store *ss = impl;
    char *msg = NULL;
    int rc = sqlite3_exec(ss->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(ss->errmsg, sizeof(ss->errmsg), "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return EIO;
    }
    return 0;
}

static int sqlite_begin(void *impl)
{
    /* IMMEDIATE takes the write lock now, so a busy database fails here and
     * not halfway through the transaction. */
    return sqlite_exec(impl, "BEGIN IMMEDIATE", NULL, 0, NULL);
}

static int sqlite_commit(void *impl)
{
    return sqlite_exec(impl, "COMMIT", NULL, 0, NULL);
}

static int sqlite_rollback(void *impl)
{
    return sqlite_exec(impl, "ROLLBACK", NULL, 0, NULL);
}

static int64_t sqlite_last_insert_id(void *impl)
{
    struct sqlite_store *ss = impl;
    return sqlite3_last_insert_rowid(ss->db);
}

static const char *sqlite_errmsg(void *impl)
{
    struct sqlite_store *ss = impl;
    return ss->errmsg;
}

static void sqlite_close(void *impl)
{
    struct sqlite_store *ss = impl;
    checkpointer_stop(ss->checkpointer);
    for (size_t b = 0; b < STMT_BUCKETS; b++) {
        for (struct cached_stmt *c = ss->buckets[b], *next; c; c = next) {
            next = c->next;
            sqlite3_finalize(c->stmt);
            free(c->sql);
            free(c);
        }
    }
    /* Closing the last connection checkpoints the WAL into the main file. */
    sqlite3_close(ss->db);
    free(ss);
}

static const struct store_backend sqlite_backend = {
    .name = "sqlite",
    .exec = sqlite_exec,
    .query = sqlite_query,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .script = sqlite_script,
    .errmsg = sqlite_errmsg,
    .last_insert_id = sqlite_last_insert_id,
    .close = sqlite_close,
};

static int make_parent_dirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    return 0;
}

static int apply_pragmas(struct sqlite_store *ss, bool full)
{
    const char *pragmas = full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                 " PRAGMA foreign_keys=ON;"
                               : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                 " PRAGMA foreign_keys=ON;";
    sqlite3_busy_timeout(ss->db, 5000);
    return sqlite_script(ss, pragmas);
}

static int read_mode(void *arg, int n, char **vals, char **names)
{
    (void)names;
    *(bool *)arg = n == 1 && vals[0] && strcmp(vals[0], "wal") == 0;
    return 0;
}

/* Whether the journal is a WAL (not for an in-memory database). */
static bool wal_mode(struct sqlite_store *ss)
{
    bool wal = false;
    return sqlite3_exec(ss->db, "PRAGMA journal_mode", read_mode, &wal, NULL) == SQLITE_OK && wal;
}

int store_open_sqlite(struct store **storep, const struct store_opts *opts)
{
    int err = make_parent_dirs(opts->path);
    if (err)
        return err;
    struct sqlite_store *ss = calloc(1, sizeof(*ss));
    if (!ss)
        return ENOMEM;
    int rc =
        sqlite3_open_v2(opts->path, &ss->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = rc == SQLITE_CANTOPEN ? EACCES : EIO;
        sqlite_close(ss);
        return err;
    }
    err = apply_pragmas(ss, opts->synchronous_full);
    struct store *store = NULL;
    if (!err)
        err = store_wrap(&store, &sqlite_backend, ss);
    if (err) {
        sqlite_close(ss);
        return err;
    }
    err = store_migrate(store);
    if (!err && wal_mode(ss))
        err = checkpointer_start(&ss->checkpointer, ss->db, opts->path, opts->synchronous_full);
    if (err) {
        store_close(store);
        return err;
    }
    *storep = store;
    return 0;
}
