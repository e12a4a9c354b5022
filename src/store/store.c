/*
 * store.c - the backend-independent half of the store: dispatch to the
 * backend, transaction state and after-commit hooks, writes that wait for
 * a group commit, rows as JSON.
 */
#include "store/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TX_HOOKS = 8 };

struct later {
    struct later *next;
    store_write_h *write;
    store_done_h *done;
    void *arg;
    int err;
};

struct store {
    const struct store_backend *be;
    void *impl;
    bool in_tx;
    uint64_t tx_serial;   /* counts transactions begun */
    uint64_t hook_serial; /* the transaction whose hooks run */
    struct {
        store_tx_h *h;
        void *arg;
    } hooks[MAX_TX_HOOKS];
    size_t nhooks;
    struct later *later, **later_tail; /* writes waiting (store_later) */
    bool flushing;
};

int store_wrap(struct store **storep, const struct store_backend *be, void *impl)
{
    struct store *store = calloc(1, sizeof(*store));
    if (!store)
        return ENOMEM;
    store->be = be;
    store->impl = impl;
    store->later_tail = &store->later;
    *storep = store;
    return 0;
}

void store_close(struct store *store)
{
    if (!store)
        return;
    store_flush(store);
    if (store->in_tx)
        store_rollback(store);
    store->be->close(store->impl);
    free(store);
}

/* A hook may make its own change (and so run the hooks again) before the
 * next hook runs: each hook is told again which transaction ended. */
static void run_hooks(struct store *store, bool committed)
{
    uint64_t serial = store->tx_serial;
    for (size_t i = 0; i < store->nhooks; i++) {
        store->hook_serial = serial;
        store->hooks[i].h(committed, store->hooks[i].arg);
    }
}

/* Anything else that uses the store comes after the writes waiting. */
static void before_use(struct store *store)
{
    if (store->later && !store->flushing && !store->in_tx)
        store_flush(store);
}

int store_exec(struct store *store, const char *sql, const struct store_val *vals, size_t n,
               int64_t *changes)
{
    before_use(store);
    int err = store->be->exec(store->impl, sql, vals, n, changes);
    if (!err && !store->in_tx)
        run_hooks(store, true);
    return err;
}

int store_query(struct store *store, const char *sql, const struct store_val *vals, size_t n,
                store_row_h *rowh, void *arg)
{
    before_use(store);
    return store->be->query(store->impl, sql, vals, n, rowh, arg);
}

int64_t store_last_insert_id(struct store *store)
{
    return store->be->last_insert_id(store->impl);
}

int store_row_columns(const struct store_row *row)
{
    return row->ops->columns(row->impl);
}

const char *store_row_name(const struct store_row *row, int col)
{
    return row->ops->name(row->impl, col);
}

bool store_row_is_null(const struct store_row *row, int col)
{
    return row->ops->type(row->impl, col) == SV_NULL;
}

int64_t store_row_int(const struct store_row *row, int col)
{
    return row->ops->integer(row->impl, col);
}

double store_row_real(const struct store_row *row, int col)
{
    return row->ops->real(row->impl, col);
}

const char *store_row_text(const struct store_row *row, int col)
{
    return row->ops->text(row->impl, col);
}

json_t *store_row_json(const struct store_row *row, int col)
{
    switch (row->ops->type(row->impl, col)) {
    case SV_INT:
        return json_integer(store_row_int(row, col));
    case SV_REAL:
        return json_real(store_row_real(row, col));
    case SV_TEXT:
        return json_string(store_row_text(row, col));
    default:
        return json_null();
    }
}

static int row_to_object(const struct store_row *row, json_t **objp)
{
    json_t *obj = json_object();
    if (!obj)
        return ENOMEM;
    for (int c = 0; c < store_row_columns(row); c++) {
        if (json_object_set_new(obj, store_row_name(row, c), store_row_json(row, c)) != 0) {
            json_decref(obj);
            return ENOMEM;
        }
    }
    *objp = obj;
    return 0;
}

static int append_row(const struct store_row *row, void *arg)
{
    json_t *obj;
    int err = row_to_object(row, &obj);
    if (err)
        return err;
    return json_array_append_new(arg, obj) ? ENOMEM : 0;
}

int store_query_json(struct store *store, const char *sql, const struct store_val *vals, size_t n,
                     json_t **rowsp)
{
    json_t *rows = json_array();
    if (!rows)
        return ENOMEM;
    int err = store_query(store, sql, vals, n, append_row, rows);
    if (err) {
        json_decref(rows);
        return err;
    }
    *rowsp = rows;
    return 0;
}

static int first_row(const struct store_row *row, void *arg)
{
    int err = row_to_object(row, arg);
    return err ? err : -1; /* stop after the first row */
}

int store_query_one(struct store *store, const char *sql, const struct store_val *vals, size_t n,
                    json_t **rowp)
{
    json_t *row = NULL;
    int err = store_query(store, sql, vals, n, first_row, &row);
    if (err == -1 && row) {
        *rowp = row;
        return 0;
    }
    json_decref(row);
    return err && err != -1 ? err : ENOENT;
}

int store_begin(struct store *store)
{
    before_use(store);
    if (store->in_tx)
        return EALREADY;
    int err = store->be->begin(store->impl);
    if (!err) {
        store->in_tx = true;
        store->tx_serial++;
    }
    return err;
}

uint64_t store_tx_serial(const struct store *store)
{
    return store->in_tx ? store->tx_serial : store->hook_serial;
}

int store_commit(struct store *store)
{
    if (!store->in_tx)
        return EINVAL;
    int err = store->be->commit(store->impl);
    if (err) {
        store_rollback(store);
        return err;
    }
    store->in_tx = false;
    run_hooks(store, true);
    return 0;
}

void store_rollback(struct store *store)
{
    if (!store->in_tx)
        return;
    store->be->rollback(store->impl);
    store->in_tx = false;
    run_hooks(store, false);
}

bool store_in_transaction(const struct store *store)
{
    return store->in_tx;
}

int store_begin_own(struct store *store, bool *own)
{
    *own = !store->in_tx;
    return *own ? store_begin(store) : 0;
}

int store_end_own(struct store *store, bool own, int err)
{
    if (!own)
        return err;
    if (err) {
        store_rollback(store);
        return err;
    }
    return store_commit(store);
}

/* One write alone, in its own transaction (or the caller's). */
static int write_alone(struct store *store, store_write_h *write, void *arg)
{
    bool own;
    int err = store_begin_own(store, &own);
    if (!err)
        err = write(store, arg);
    return store_end_own(store, own, err);
}

void store_later(struct store *store, store_write_h *write, store_done_h *done, void *arg)
{
    /* In a transaction, or in the hooks of a flush (whose own writes run at
     * once), a write waiting would come after later ones: it runs now. */
    struct later *l = store->in_tx || store->flushing ? NULL : calloc(1, sizeof(*l));
    if (!l) { /* (or no memory) */
        int err = write_alone(store, write, arg);
        done(arg, err);
        return;
    }
    l->write = write;
    l->done = done;
    l->arg = arg;
    *store->later_tail = l;
    store->later_tail = &l->next;
}

bool store_waiting(const struct store *store)
{
    return store->later != NULL;
}

void store_flush(struct store *store)
{
    if (!store->later || store->flushing || store->in_tx)
        return;
    struct later *batch = store->later;
    store->later = NULL;
    store->later_tail = &store->later;
    store->flushing = true;
    int err = store_begin(store);
    for (struct later *l = batch; l && !err; l = l->next)
        err = l->write(store, l->arg);
    if (!err)
        err = store_commit(store);
    else
        store_rollback(store);
    for (struct later *l = batch; l; l = l->next)
        l->err = err ? write_alone(store, l->write, l->arg) : 0;
    store->flushing = false;
    while (batch) {
        struct later *l = batch;
        batch = l->next;
        l->done(l->arg, l->err);
        free(l);
    }
}

int store_add_tx_hook(struct store *store, store_tx_h *h, void *arg)
{
    if (store->nhooks == MAX_TX_HOOKS)
        return ENOSPC;
    store->hooks[store->nhooks].h = h;
    store->hooks[store->nhooks].arg = arg;
    store->nhooks++;
    return 0;
}

void store_remove_tx_hook(struct store *store, store_tx_h *h, void *arg)
{
    for (size_t i = 0; i < store->nhooks; i++) {
        if (store->hooks[i].h == h && store->hooks[i].arg == arg) {
            memmove(&store->hooks[i], &store->hooks[i + 1],
                    (store->nhooks - i - 1) * sizeof(store->hooks[0]));
            store->nhooks--;
            return;
        }
    }
}

const char *store_errmsg(struct store *store)
{
    return store->be->errmsg(store->impl);
}

const char *store_backend_name(const struct store *store)
{
    return store->be->name;
}

int store_script(struct store *store, const char *sql)
{
    before_use(store);
    return store->be->script(store->impl, sql);
}
