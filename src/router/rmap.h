/*
 * rmap.h - a small string-keyed hash map for the router's id tables and
 * symbol interning.
 *
 * Open addressing with linear probing and backward-shift deletion: one
 * array, no per-entry allocation, so lookups on the matching path touch
 * one or two cache lines. Keys are not copied: the caller keeps each key
 * alive while it is in the map (the object's own id string).
 */
#ifndef SB_ROUTER_RMAP_H
#define SB_ROUTER_RMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmap;

int rmap_alloc(struct rmap **mp, size_t expected);
void rmap_free(struct rmap *m);
void *rmap_get(const struct rmap *m, const char *key);
/* Insert or replace; returns 0 or ENOMEM. */
int rmap_put(struct rmap *m, const char *key, void *value);
/* Remove; returns the value or NULL. */
void *rmap_del(struct rmap *m, const char *key);
/* The same with the key's hash already computed by rmap_hash (a caller
 * that looks a key up and then inserts it hashes it once). */
uint32_t rmap_hash(const char *key);
void *rmap_get_h(const struct rmap *m, const char *key, uint32_t h);
int rmap_put_h(struct rmap *m, const char *key, void *value, uint32_t h);
void *rmap_del_h(struct rmap *m, const char *key, uint32_t h);
size_t rmap_count(const struct rmap *m);
/* Iterate: *pos starts at 0; returns false at the end. */
bool rmap_next(const struct rmap *m, size_t *pos, const char **key, void **value);

#endif
