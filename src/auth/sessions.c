/*
 * sessions.c - session tokens stored as hashes (see sessions.h).
 */
#include "auth/sessions.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/settings.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sessions_create(struct app *app, const char *user_id, const char *peer, char token[TOKEN_SIZE],
                    int64_t *expires_at)
{
    char hash[TOKEN_HASH_SIZE];
    token_new(token, "sbs");
    token_hash(hash, token, strlen(token));
    int64_t now = clock_now_ms();
    *expires_at = now + settings_int(app, "sessions.ttlSeconds") * 1000;
    struct store_val v[] = {sv_text(hash), sv_text(user_id), sv_int(now), sv_int(*expires_at),
                            sv_text(peer)};
    return store_exec(app->store,
                      "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, peer)"
                      " VALUES (?, ?, ?, ?, ?)",
                      v, 5, NULL);
}

struct session_row {
    bool found;
    struct principal *who;
    int64_t expires_at;
    bool disabled;
};

static int read_session(const struct store_row *row, void *arg)
{
    struct session_row *s = arg;
    s->found = true;
    s->who->kind = PRINCIPAL_USER;
    snprintf(s->who->id, sizeof(s->who->id), "%s", store_row_text(row, 0));
    snprintf(s->who->name, sizeof(s->who->name), "%s", store_row_text(row, 1));
    s->who->role = role_parse(store_row_text(row, 2));
    s->disabled = store_row_int(row, 3) != 0;
    s->expires_at = store_row_int(row, 4);
    return 0;
}

int sessions_authenticate(struct app *app, const char *token, struct principal *who)
{
    char hash[TOKEN_HASH_SIZE];
    token_hash(hash, token, strlen(token));
    memset(who, 0, sizeof(*who));
    struct session_row s = {.who = who};
    struct store_val v[] = {sv_text(hash)};
    /* Read straight into the principal: this runs on every request. */
    int err = store_query(app->store,
                          "SELECT u.id, u.name, u.role, u.disabled, s.expires_at"
                          " FROM sessions s JOIN users u ON u.id = s.user_id"
                          " WHERE s.token_hash = ?",
                          v, 1, read_session, &s);
    if (err)
        return err;
    if (!s.found)
        return ENOENT;
    if (s.expires_at <= clock_now_ms())
        return ETIMEDOUT;
    if (s.disabled)
        return EACCES;
    who->expires_at = s.expires_at;
    return 0;
}

int sessions_delete(struct app *app, const char *token, const char *user_id)
{
    char hash[TOKEN_HASH_SIZE];
    token_hash(hash, token, strlen(token));
    int64_t changes = 0;
    bool own;
    int err = store_begin_own(app->store, &own);
    if (err)
        return err;
    struct store_val v[] = {sv_text(hash)};
    err = store_exec(app->store, "DELETE FROM sessions WHERE token_hash = ?", v, 1, &changes);
    if (!err && !changes)
        err = ENOENT;
    /* Streams opened with this session learn from the event that it ended. */
    if (!err)
        err = events_append(app->events, "users", "user.signedOut", user_id, user_id, NULL);
    return store_end_own(app->store, own, err);
}

int64_t sessions_purge_expired(struct app *app)
{
    int64_t changes = 0;
    struct store_val v[] = {sv_int(clock_now_ms())};
    store_exec(app->store, "DELETE FROM sessions WHERE expires_at <= ?", v, 1, &changes);
    return changes;
}
