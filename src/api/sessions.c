/*
 * sessions.c - signing in and out: POST /v1/sessions, DELETE
 * /v1/sessions/current, GET /v1/me.
 *
 * The password check runs on the work pool (argon2id takes tens of
 * milliseconds). Unknown names are checked against a dummy hash so that
 * they take as long as known ones. Failures count per account and per
 * address; past the limit the answer is 429 with Retry-After, before any
 * password is checked.
 */
#include "api/api_modules.h"
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/sessions.h"
#include "auth/users.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/workpool.h"
#include "http/api.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_password = {
    .type = SCHEMA_STRING, .min_len = 1, .max_len = PASSWORD_MAX_LEN};
static const struct schema_field login_fields[] = {
    {"name", &s_name, true},
    {"password", &s_password, true},
    {0},
};
static const struct schema login_schema = {.type = SCHEMA_OBJECT, .fields = login_fields};

struct login {
    struct api_req *req; /* referenced while the check runs */
    char name[72];
    char address[64];
    char user_id[ID_SIZE];
    char hash[PASSWORD_HASH_SIZE];
    char password[PASSWORD_MAX_LEN + 1];
    bool known, disabled, ok;
};

static void login_destructor(void *arg)
{
    struct login *l = arg;
    sodium_memzero(l->password, sizeof(l->password));
    mem_deref(l->req);
}

static bool refuse_if_limited(struct api_req *req, const char *name, const char *address)
{
    int64_t now = clock_mono_ms();
    int64_t a = ratelimit_blocked(req->app->login_by_account, name, now);
    int64_t b = ratelimit_blocked(req->app->login_by_address, address, now);
    int64_t wait = a > b ? a : b;
    if (!wait)
        return false;
    char extra[64];
    snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n", (long long)((wait + 999) / 1000));
    api_reply_error_headers(req, 429, extra, "too_many_attempts",
                            "too many failed sign-ins; wait and try again");
    return true;
}

static void check_password(void *arg)
{
    struct login *l = arg;
    /* Same work whether or not the account exists. */
    bool match =
        password_verify(l->known && l->hash[0] ? l->hash : password_dummy_hash(), l->password);
    l->ok = match && l->known && l->hash[0];
    sodium_memzero(l->password, sizeof(l->password));
}

static void login_failed(struct login *l, const char *why)
{
    int64_t now = clock_mono_ms();
    ratelimit_fail(l->req->app->login_by_account, l->name, now);
    ratelimit_fail(l->req->app->login_by_address, l->address, now);
    char q[100];
    log_warn("auth", "sign-in refused", "name=%s address=%s reason=%s rid=%s",
             log_quote(q, sizeof(q), l->name), l->address, why, l->req->id);
    api_reply_error(l->req, 401, "invalid_credentials", "wrong name or password");
}

static void login_checked(int err, void *arg)
{
    struct login *l = arg;
    struct api_req *req = l->req;
    if (err) {
        api_reply_error(req, 503, "unavailable", "the server is shutting down");
    } else if (!l->ok) {
        login_failed(l, l->known ? "password" : "unknown-user");
    } else if (l->disabled) {
        api_reply_error(req, 401, "account_disabled",
                        "this account is disabled; ask an administrator");
    } else {
        char token[TOKEN_SIZE];
        int64_t expires;
        json_t *user = NULL;
        err = sessions_create(req->app, l->user_id, l->address, token, &expires);
        if (!err)
            err = users_get(req->app, l->user_id, &user);
        if (err) {
            api_reply_store_error(req, err, "the session");
        } else {
            ratelimit_reset(req->app->login_by_account, l->name);
            char when[40];
            clock_format_rfc3339(when, sizeof(when), expires);
            events_append(req->app->events, "users", "user.signedIn", l->user_id, l->user_id,
                          json_pack("{s:s}", "address", l->address));
            api_reply_json(req, 201,
                           json_pack("{s:s, s:s, s:s, s:o}", "token", token, "tokenType", "Bearer",
                                     "expiresAt", when, "user", user));
        }
        sodium_memzero(token, sizeof(token));
    }
    mem_deref(l);
}

static void post_session(struct api_req *req)
{
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!schema_validate(&login_schema, req->body, "", "", &res)) {
        api_reply_problems(req, &res);
        return;
    }
    struct login *l = mem_zalloc(sizeof(*l), login_destructor);
    if (!l) {
        api_reply_error(req, 503, "unavailable", "out of memory");
        return;
    }
    snprintf(l->name, sizeof(l->name), "%s", json_string_value(json_object_get(req->body, "name")));
    snprintf(l->password, sizeof(l->password), "%s",
             json_string_value(json_object_get(req->body, "password")));
    api_peer_host(req, l->address, sizeof(l->address));
    if (refuse_if_limited(req, l->name, l->address)) {
        mem_deref(l);
        return;
    }
    json_t *cred = NULL;
    if (users_credentials(req->app, l->name, &cred) == 0) {
        l->known = true;
        l->disabled = json_integer_value(json_object_get(cred, "disabled")) != 0;
        snprintf(l->user_id, sizeof(l->user_id), "%s",
                 json_string_value(json_object_get(cred, "id")));
        const char *hash = json_string_value(json_object_get(cred, "password_hash"));
        snprintf(l->hash, sizeof(l->hash), "%s", hash ? hash : "");
    }
    json_decref(cred);
    l->req = mem_ref(req);
    if (workpool_submit(req->app->pool, check_password, login_checked, l) != 0) {
        api_reply_error(req, 503, "unavailable", "the server is too busy; try again");
        mem_deref(l);
    }
}

static void delete_session(struct api_req *req)
{
    if (req->who.kind != PRINCIPAL_USER) {
        api_reply_error(req, 400, "not_a_session", "only a session token can sign out");
        return;
    }
    int err = sessions_delete(req->app, req->token, req->who.id);
    if (err) {
        api_reply_store_error(req, err, "the session");
        return;
    }
    api_reply_empty(req, 204);
}

static void get_me(struct api_req *req)
{
    if (req->who.kind == PRINCIPAL_API_KEY) {
        api_reply_json(req, 200,
                       json_pack("{s:s, s:s, s:s, s:s}", "kind", "apiKey", "id", req->who.id,
                                 "name", req->who.name, "role", role_name(req->who.role)));
        return;
    }
    json_t *user;
    int err = users_get(req->app, req->who.id, &user);
    if (err) {
        api_reply_store_error(req, err, "your user");
        return;
    }
    char when[40];
    clock_format_rfc3339(when, sizeof(when), req->who.expires_at);
    json_object_set_new(user, "kind", json_string("user"));
    json_object_set_new(user, "sessionExpiresAt", json_string(when));
    api_reply_json(req, 200, user);
}

static const struct api_route routes[] = {
    {"POST", "/v1/sessions", 0, ROUTE_JSON_BODY, post_session},
    {"DELETE", "/v1/sessions/current", ROLES_STAFF, 0, delete_session},
    {"GET", "/v1/me", ROLES_STAFF, 0, get_me},
    {0},
};

int api_sessions_register(void)
{
    return api_routes_register(routes);
}
