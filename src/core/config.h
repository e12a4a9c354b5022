/*
 * config.h - configuration documents and the registry of object kinds.
 *
 * A configuration document (YAML file, or the API's JSON) is an object whose
 * top-level keys are kinds: `server`, `users`, `apiKeys`, and whatever later
 * modules register (attendants, queues, bots, policies). A kind is either
 * one object (server) or a list of objects identified by `name` (or by
 * the kind's id_key, e.g. `id` for router objects). Each kind
 * brings its schema, optional extra checks, and apply/export functions, so
 * the loader never changes when a kind is added.
 *
 * Importing is all or nothing: the whole document is validated first, then
 * applied in one transaction; an invalid document changes nothing. Import
 * is idempotent: objects are created or updated by name, objects the
 * document does not mention are left alone.
 */
#ifndef SB_CORE_CONFIG_H
#define SB_CORE_CONFIG_H

#include "core/schema.h"

#include <jansson.h>
#include <stdbool.h>

struct app;

struct config_kind {
    const char *key;             /* top-level key, e.g. "users" */
    bool list;                   /* a list of objects identified by id_key, or one object */
    const char *id_key;          /* identifying field of a list's objects; NULL: "name" */
    int order;                   /* apply order: lower first (server 0, users 10, ...) */
    const struct schema *schema; /* one object */
    /* Checks the schema cannot express (e.g. "password or passwordHash").
     * Adds problems to res under the given path/pointer. May be NULL. */
    void (*check)(const json_t *obj, const char *path, const char *pointer,
                  struct schema_result *res);
    /* Create or update one object; runs inside the import transaction.
     * Returns 0 or an errno value; *message may be set to a static text. */
    int (*apply)(struct app *app, const json_t *obj, const char **message);
    /* The stored objects: an array for list kinds, an object otherwise
     * (NULL when there is nothing to export). */
    int (*export)(struct app *app, json_t **out);
    /* For kinds the API edits one object at a time (config_objects.c):
     * one stored object (NULL when none, new reference), and its removal
     * (0, ENOENT, or EBUSY with *why when something still uses it). */
    json_t *(*get)(struct app *app, const char *id);
    int (*remove)(struct app *app, const char *id, const char **why);
    /* Checks of the whole stored configuration that no single object can
     * make (references between kinds, loops): run after every import and
     * every object the API writes, inside the same transaction; an error
     * (EINVAL with *message) undoes it. May be NULL. */
    int (*verify)(struct app *app, const char **message);
};

/* Every kind's verify, in order; the first failure's message. */
int config_verify(struct app *app, const char **message);

int config_kind_register(const struct config_kind *kind);
const struct config_kind *config_kind_find(const char *key);

/* Validate one object of a kind (the path the REST API uses). */
bool config_validate_object(const struct config_kind *kind, const json_t *obj, const char *path,
                            const char *pointer, struct schema_result *res);

/* Validate a whole document. */
bool config_validate(const json_t *doc, struct schema_result *res);

/* Validate and apply a document in one transaction. On a validation
 * failure returns EBADMSG with res filled; on an apply failure returns the
 * error, sets *message and adds it to res at the failing object's path. */
int config_apply(struct app *app, const json_t *doc, struct schema_result *res,
                 const char **message);

/* Load a YAML file, validate and apply it. On failure *errtext (malloc'ed)
 * says what was wrong, one line per problem:
 *   FILE:LINE:COLUMN: PATH: MESSAGE
 * `text` may be given instead of reading `path` (path then only names it). */
int config_import_yaml(struct app *app, const char *path, const char *text, char **errtext);

/* Everything stored, as a document. */
int config_export(struct app *app, json_t **docp);

/* For kinds kept as JSON specs in a table with (kind, id, spec) columns:
 * the specs of one kind, ordered by id, as a list (NULL when none), ready
 * to be a kind's export. `table` is a fixed name from the caller's code. */
int config_export_specs(struct app *app, const char *table, const char *kind, json_t **out);

/* One spec of such a table (NULL when none), new reference. */
json_t *config_spec_get(struct app *app, const char *table, const char *kind, const char *id);
/* Is the stored spec equal to this one? */
bool config_spec_unchanged(struct app *app, const char *table, const char *kind, const char *id,
                           const json_t *spec);
/* Create or replace one spec (in the caller's transaction, if any). */
int config_spec_put(struct app *app, const char *table, const char *kind, const char *id,
                    const json_t *spec);
/* 0, or ENOENT when there was none. */
int config_spec_delete(struct app *app, const char *table, const char *kind, const char *id);

#endif
