/*
 * store_migrate.c - numbered schema migrations.
 *
 * Migrations are the files src/store/migrations/NNNN_name.sql, compiled
 * into the binary in order. Each one not yet recorded in schema_migrations
 * (even one numbered below the newest applied) runs in its own transaction
 * together with the row that records it, so a crash leaves the schema at a
 * whole version.
 */
#include "core/embedded.h"
#include "core/log.h"
#include "store/backend.h"

#include <errno.h>
#include <stdlib.h>

static int64_t migration_version(const char *name)
{
    return strtoll(name, NULL, 10);
}

int store_schema_version(struct store *store, int64_t *version)
{
    json_t *row;
    int err = store_query_one(store, "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations",
                              NULL, 0, &row);
    if (err)
        return err;
    *version = json_integer_value(json_object_get(row, "v"));
    json_decref(row);
    return 0;
}

static bool recorded(struct store *store, int64_t version)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_int(version)};
    int err = store_query_one(store, "SELECT version FROM schema_migrations WHERE version = ?", v,
                              1, &row);
    json_decref(row);
    return err == 0;
}

static int apply_one(struct store *store, const struct sb_embedded *m, int64_t version)
{
    int err = store_begin(store);
    if (err)
        return err;
    err = store_script(store, m->text);
    if (!err) {
        struct store_val v[] = {sv_int(version), sv_text(m->name)};
        err = store_exec(store,
                         "INSERT INTO schema_migrations (version, name, applied_at)"
                         " VALUES (?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000)",
                         v, 2, NULL);
    }
    if (err) {
        log_error("store", "migration failed", "migration=%s error=\"%s\"", m->name,
                  store_errmsg(store));
        store_rollback(store);
        return err;
    }
    err = store_commit(store);
    if (!err)
        log_info("store", "migration applied", "migration=%s", m->name);
    return err;
}

int store_migrate(struct store *store)
{
    int err = store_script(store, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                  " version INTEGER PRIMARY KEY,"
                                  " name TEXT NOT NULL,"
                                  " applied_at INTEGER NOT NULL)");
    if (err)
        return err;
    int64_t current;
    err = store_schema_version(store, &current);
    if (err)
        return err;
    int64_t latest = 0;
    for (const struct sb_embedded *m = sb_migrations; m->name; m++) {
        int64_t version = migration_version(m->name);
        if (version <= latest) {
            log_error("store", "migrations out of order", "migration=%s", m->name);
            return EINVAL;
        }
        latest = version;
        /* Every one not recorded, also below the newest applied: a branch's
         * migration may land after a later number did. */
        bool applied = version <= current && recorded(store, version);
        if (!applied && (err = apply_one(store, m, version)) != 0)
            return err;
    }
    if (current > latest) {
        log_error("store", "database is newer than this program", "schema_version=%lld known=%lld",
                  (long long)current, (long long)latest);
        return EPROTO;
    }
    return 0;
}
