/*
 * users.h - people of the organisation: the `users` configuration kind,
 * their store records, and the "users" event topic.
 *
 * A user's public form (API, events, export) never carries the password
 * or its hash, except that export writes `passwordHash` so that a
 * configuration can be restored.
 */
#ifndef SB_AUTH_USERS_H
#define SB_AUTH_USERS_H

#include "core/config.h"

#include <jansson.h>
#include <stdbool.h>

struct app;

extern const struct config_kind users_kind;

int users_register(void);

/*
 * Create or update the user named obj.name from a validated object of the
 * users kind. `password_hash` is the hash to store (NULL keeps the current
 * one; callers hash passwords off the loop). Appends user.created or
 * user.updated when something changed. Returns EEXIST if the extension
 * belongs to another user. *userp (optional) gets the public form.
 */
int users_upsert(struct app *app, const json_t *obj, const char *password_hash, const char *actor,
                 json_t **userp, bool *createdp);

/* Public form by id; ENOENT if none. */
int users_get(struct app *app, const char *id, json_t **userp);
/* Public form plus the stored object (name, role, ... as in the kind) for
 * an update: the kind's object that a PATCH is merged into. */
int users_get_config(struct app *app, const char *id, json_t **objp);
/* Up to `limit` users ordered by name, after the name `after` (or NULL). */
int users_list(struct app *app, const char *after, int limit, json_t **itemsp);
int users_delete(struct app *app, const char *id, const char *actor);

/* Credentials for login: id, role, disabled and hash of a user by name. */
int users_credentials(struct app *app, const char *name, json_t **rowp);

#endif
