/*
 * sessions.h - login sessions for people. A session token ("sbs_...") is
 * returned once at login; the store keeps only its hash and expiry.
 */
#ifndef SB_AUTH_SESSIONS_H
#define SB_AUTH_SESSIONS_H

#include "core/ids.h"
#include "core/principal.h"

#include <stdint.h>

struct app;

int sessions_create(struct app *app, const char *user_id, const char *peer, char token[TOKEN_SIZE],
                    int64_t *expires_at);

/* Fill *who for a session token: ENOENT unknown token, ETIMEDOUT expired,
 * EACCES the user is disabled. */
int sessions_authenticate(struct app *app, const char *token, struct principal *who);

/* End one session (sign out) of the given user; ENOENT if there was none.
 * Appends user.signedOut. */
int sessions_delete(struct app *app, const char *token, const char *user_id);

/* Remove expired sessions; returns how many. */
int64_t sessions_purge_expired(struct app *app);

#endif
