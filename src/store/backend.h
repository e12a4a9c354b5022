/*
 * backend.h - what a store backend implements besides struct store_backend:
 * rows. Private to src/store/.
 */
#ifndef SB_STORE_BACKEND_H
#define SB_STORE_BACKEND_H

#include "store/store.h"

struct store_row_ops {
    int (*columns)(void *impl);
    const char *(*name)(void *impl, int col);
    enum store_vtype (*type)(void *impl, int col);
    int64_t (*integer)(void *impl, int col);
    double (*real)(void *impl, int col);
    const char *(*text)(void *impl, int col);
};

struct store_row {
    const struct store_row_ops *ops;
    void *impl;
};

int store_script(struct store *store, const char *sql);
/* Apply the embedded migrations that are not applied yet (store_migrate.c). */
int store_migrate(struct store *store);

#endif
