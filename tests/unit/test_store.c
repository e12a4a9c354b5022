/*
 * test_store.c - the SQLite store: migrations, prepared statements,
 * transactions and their hooks, error mapping, the append-only event log,
 * writes that wait for a group commit, WAL checkpoints while the store is
 * open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/events.h"
#include "core/libre.h"
#include "core/embedded.h"
#include "store/backend.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static int open_fresh(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/sb-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/switchboard.db", dir);
    struct store *store = NULL;
    struct store_opts opts = {.path = path};
    assert_int_equal(store_open_sqlite(&store, &opts), 0);
    *state = store;
    return 0;
}

static int close_store(void **state)
{
    store_close(*state);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void migrations_applied_once(void **state)
{
    struct store *store = *state;
    int64_t v = 0;
    assert_int_equal(store_schema_version(store, &v), 0);
    assert_true(v >= 1);
    /* Reopening applies nothing new and keeps the version. */
    store_close(store);
    struct store_opts opts = {.path = path};
    assert_int_equal(store_open_sqlite(&store, &opts), 0);
    *state = store;
    int64_t again = 0;
    assert_int_equal(store_schema_version(store, &again), 0);
    assert_int_equal(again, v);
    json_t *rows;
    assert_int_equal(
        store_query_json(store, "SELECT COUNT(*) AS n FROM schema_migrations", NULL, 0, &rows), 0);
    /* One row per compiled migration (numbers may leave gaps: one may be
     * reserved for a branch not merged yet). */
    int64_t compiled = 0;
    for (const struct sb_embedded *m = sb_migrations; m->name; m++)
        compiled++;
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "n")), compiled);
    json_decref(rows);
}

static long file_size(const char *name)
{
    FILE *f = fopen(name, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* The WAL is copied into the database file while the store stays open
 * (by the checkpoint thread: the commits themselves no longer do it). */
static void wal_checkpointed_while_open(void **state)
{
    struct store *store = *state;
    assert_int_equal(store_exec(store, "CREATE TABLE filler (b TEXT)", NULL, 0, NULL), 0);
    char blob[3000];
    memset(blob, 'x', sizeof(blob) - 1);
    blob[sizeof(blob) - 1] = '\0';
    long before = file_size(path);
    struct store_val v[] = {sv_text(blob)};
    /* past the 4000 pages of 4 KiB that start a checkpoint */
    for (int i = 0; i < 4500; i++)
        assert_int_equal(store_exec(store, "INSERT INTO filler (b) VALUES (?)", v, 1, NULL), 0);
    long after = before;
    for (int i = 0; i < 500 && after < before + 4000L * 4096; i++) {
        usleep(20000);
        after = file_size(path);
    }
    assert_true(after >= before + 4000L * 4096);
}

/* A branch's migration numbered below one applied before it landed still
 * runs: the store applies every migration it has no row for. (0011 came
 * after 0012 this way: undone here, it runs again on the next open.) */
static void a_migration_below_the_newest_runs(void **state)
{
    struct store *store = *state;
    assert_int_equal(store_script(store, "DROP TABLE callbacks; DROP TABLE call_recordings;"
                                         " DELETE FROM schema_migrations WHERE version = 11"),
                     0);
    store_close(store);
    struct store_opts opts = {.path = path};
    assert_int_equal(store_open_sqlite(&store, &opts), 0);
    *state = store;
    json_t *rows = NULL;
    assert_int_equal(store_query_json(store, "SELECT COUNT(*) AS n FROM callbacks", NULL, 0, &rows),
                     0);
    json_decref(rows);
    assert_int_equal(store_query_json(store,
                                      "SELECT version FROM schema_migrations WHERE version = 11",
                                      NULL, 0, &rows),
                     0);
    assert_int_equal(json_array_size(rows), 1);
    json_decref(rows);
}

static void wal_mode_on(void **state)
{
    json_t *row;
    assert_int_equal(store_query_one(*state, "PRAGMA journal_mode", NULL, 0, &row), 0);
    assert_string_equal(json_string_value(json_object_get(row, "journal_mode")), "wal");
    json_decref(row);
}

static void values_bound_not_pasted(void **state)
{
    struct store *store = *state;
    /* A name that would break SQL if it were pasted in. */
    const char *name = "x'); DROP TABLE users; --";
    struct store_val v[] = {sv_text("usr_1"), sv_text(name), sv_text("agent"), sv_int(1),
                            sv_int(1)};
    assert_int_equal(store_exec(store,
                                "INSERT INTO users (id, name, role, created_at, updated_at)"
                                " VALUES (?, ?, ?, ?, ?)",
                                v, 5, NULL),
                     0);
    json_t *row;
    struct store_val k[] = {sv_text("usr_1")};
    assert_int_equal(store_query_one(store, "SELECT name FROM users WHERE id = ?", k, 1, &row), 0);
    assert_string_equal(json_string_value(json_object_get(row, "name")), name);
    json_decref(row);
}

static void errors_mapped(void **state)
{
    struct store *store = *state;
    struct store_val v[] = {sv_text("usr_1"), sv_text("a"), sv_text("agent"), sv_int(1), sv_int(1)};
    const char *sql = "INSERT INTO users (id, name, role, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?)";
    assert_int_equal(store_exec(store, sql, v, 5, NULL), 0);
    assert_int_equal(store_exec(store, sql, v, 5, NULL), EEXIST);
    struct store_val bad[] = {sv_text("usr_2"), sv_text("b"), sv_text("boss"), sv_int(1),
                              sv_int(1)};
    assert_int_equal(store_exec(store, sql, bad, 5, NULL), EINVAL); /* CHECK (role IN ...) */
    assert_int_equal(store_exec(store, sql, v, 4, NULL), EINVAL);   /* wrong value count */
    json_t *row = NULL;
    struct store_val k[] = {sv_text("nobody")};
    assert_int_equal(store_query_one(store, "SELECT * FROM users WHERE id = ?", k, 1, &row),
                     ENOENT);
    assert_null(row);
    assert_int_not_equal(store_exec(store, "SELECT nonsense FROM", NULL, 0, NULL), 0);
    assert_true(strlen(store_errmsg(store)) > 0);
}

static int hook_commits, hook_rollbacks;
static void hook(bool committed, void *arg)
{
    (void)arg;
    if (committed)
        hook_commits++;
    else
        hook_rollbacks++;
}

static void transactions_and_hooks(void **state)
{
    struct store *store = *state;
    hook_commits = hook_rollbacks = 0;
    assert_int_equal(store_add_tx_hook(store, hook, NULL), 0);
    const char *sql = "INSERT INTO settings (kind, value, updated_at) VALUES (?, '{}', 0)";
    struct store_val a[] = {sv_text("a")}, b[] = {sv_text("b")};

    assert_int_equal(store_begin(store), 0);
    assert_int_equal(store_begin(store), EALREADY);
    assert_int_equal(store_exec(store, sql, a, 1, NULL), 0);
    assert_int_equal(hook_commits, 0); /* not before the commit */
    store_rollback(store);
    assert_int_equal(hook_rollbacks, 1);

    bool own;
    assert_int_equal(store_begin_own(store, &own), 0);
    assert_true(own);
    assert_int_equal(store_end_own(store, own, store_exec(store, sql, b, 1, NULL)), 0);
    assert_int_equal(hook_commits, 1);

    json_t *rows;
    assert_int_equal(
        store_query_json(store, "SELECT kind FROM settings ORDER BY kind", NULL, 0, &rows), 0);
    assert_int_equal(json_array_size(rows), 1); /* "a" was rolled back */
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "kind")), "b");
    json_decref(rows);
}

/* ---- writes that wait (store_later) ---- */

struct later_write {
    const char *kind; /* a settings row to insert */
    int done_err;
    bool done;
};

static int later_insert(struct store *store, void *arg)
{
    struct later_write *w = arg;
    struct store_val v[] = {sv_text(w->kind)};
    return store_exec(store, "INSERT INTO settings (kind, value, updated_at) VALUES (?, '{}', 0)",
                      v, 1, NULL);
}

static void later_done(void *arg, int err)
{
    struct later_write *w = arg;
    w->done = true;
    w->done_err = err;
}

static int settings_rows(struct store *store)
{
    json_t *rows;
    assert_int_equal(store_query_json(store, "SELECT kind FROM settings", NULL, 0, &rows), 0);
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return n;
}

/* A hook of the flush's commit asks for a write: it runs at once, so it
 * cannot come after writes made later by other hooks. */
static struct later_write from_hook = {.kind = "h"};
static void hook_writes_later(bool committed, void *arg)
{
    struct store *store = arg;
    if (committed && !from_hook.done) {
        store_later(store, later_insert, later_done, &from_hook);
        assert_true(from_hook.done);
    }
}

/* Waiting writes go in one transaction at store_flush(), or before
 * anything else uses the store; a failing one is lost alone. */
static void later_writes_group_commit(void **state)
{
    struct store *store = *state;
    hook_commits = hook_rollbacks = 0;
    assert_int_equal(store_add_tx_hook(store, hook, NULL), 0);
    struct later_write a = {.kind = "a"}, b = {.kind = "b"}, dup = {.kind = "a"}, c = {.kind = "c"};

    store_later(store, later_insert, later_done, &a);
    store_later(store, later_insert, later_done, &b);
    assert_true(store_waiting(store));
    assert_false(a.done);
    store_flush(store);
    assert_false(store_waiting(store));
    assert_true(a.done && b.done);
    assert_int_equal(a.done_err + b.done_err, 0);
    assert_int_equal(hook_commits, 1); /* one transaction for both */

    /* A reader comes after the writes waiting. */
    store_later(store, later_insert, later_done, &c);
    assert_int_equal(settings_rows(store), 3);
    assert_true(c.done);

    /* A write that fails (a duplicate key) is lost alone. */
    struct later_write d = {.kind = "d"};
    hook_commits = hook_rollbacks = 0;
    store_later(store, later_insert, later_done, &dup);
    store_later(store, later_insert, later_done, &d);
    store_flush(store);
    assert_int_equal(dup.done_err, EEXIST);
    assert_int_equal(d.done_err, 0);
    assert_int_equal(settings_rows(store), 4);

    /* Inside a transaction a write runs at once, in it. */
    struct later_write e = {.kind = "e"};
    assert_int_equal(store_begin(store), 0);
    store_later(store, later_insert, later_done, &e);
    assert_true(e.done);
    assert_false(store_waiting(store));
    store_rollback(store);
    assert_int_equal(settings_rows(store), 4);
    store_remove_tx_hook(store, hook, NULL);

    struct later_write f = {.kind = "f"};
    assert_int_equal(store_add_tx_hook(store, hook_writes_later, store), 0);
    store_later(store, later_insert, later_done, &f);
    store_flush(store);
    assert_true(f.done && from_hook.done);
    assert_int_equal(from_hook.done_err, 0);
    assert_false(store_waiting(store));
    assert_int_equal(settings_rows(store), 6);
    store_remove_tx_hook(store, hook_writes_later, store);
}

static int seen;
static int64_t seen_seq[8];
static void on_event(const struct event *e, void *arg)
{
    (void)arg;
    if (seen < 8)
        seen_seq[seen] = e->seq;
    seen++;
}

static void events_published_after_commit_only(void **state)
{
    struct store *store = *state;
    struct events *ev;
    assert_int_equal(events_alloc(&ev, store), 0);
    assert_int_equal(events_topic_register("test", ROLE_ADMIN, NULL), 0);
    struct events_sub *sub = NULL;
    assert_int_equal(events_subscribe(ev, &sub, on_event, NULL), 0);
    seen = 0;

    assert_int_equal(events_append(ev, "test", "thing.done", "s1", NULL, NULL), 0);
    assert_int_equal(seen, 1);
    assert_int_equal(events_last_seq(ev), seen_seq[0]);

    assert_int_equal(store_begin(store), 0);
    assert_int_equal(events_append(ev, "test", "thing.done", "s2", NULL, NULL), 0);
    assert_int_equal(seen, 1);
    store_rollback(store);
    assert_int_equal(seen, 1); /* never published */

    assert_int_equal(store_begin(store), 0);
    assert_int_equal(
        events_append(ev, "test", "thing.done", "s3", NULL, json_pack("{s:i}", "n", 3)), 0);
    assert_int_equal(events_append(ev, "test", "thing.done", "s4", NULL, NULL), 0);
    assert_int_equal(seen, 1);
    assert_int_equal(store_commit(store), 0);
    assert_int_equal(seen, 3);
    assert_true(seen_seq[1] < seen_seq[2]);

    /* Append-only: the log refuses updates and deletes. */
    assert_int_not_equal(store_exec(store, "UPDATE events SET type = 'x'", NULL, 0, NULL), 0);
    assert_int_not_equal(store_exec(store, "DELETE FROM events", NULL, 0, NULL), 0);

    /* Replay from the first event gives the two later committed ones. */
    int64_t first = seen_seq[0];
    seen = 0;
    const char *topics[] = {"test"};
    int64_t last = 0;
    assert_int_equal(events_replay(ev, first, topics, 1, 100, on_event, NULL, &last), 0);
    assert_int_equal(seen, 2);
    assert_int_equal(last, events_last_seq(ev));
    mem_deref(sub);
    events_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrations_applied_once, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(a_migration_below_the_newest_runs, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(wal_mode_on, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(wal_checkpointed_while_open, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(values_bound_not_pasted, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(errors_mapped, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(transactions_and_hooks, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(later_writes_group_commit, open_fresh, close_store),
        cmocka_unit_test_setup_teardown(events_published_after_commit_only, open_fresh,
                                        close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
