/*
 * users.c - /v1/users: list and read (admin, manager), create, update and
 * delete (admin). Bodies are checked by the users configuration kind, the
 * same validation a YAML file gets. A password in a body is hashed on the
 * work pool before the user is stored.
 */
#include "api/api_modules.h"
#include "auth/sipsecret.h"
#include "auth/password.h"
#include "auth/users.h"
#include "core/app.h"
#include "core/config.h"
#include "core/libre.h"
#include "core/workpool.h"
#include "http/api.h"
#include "store/store.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void list_users(struct api_req *req)
{
    int limit = api_query_limit(req, 50, 500);
    if (limit < 0)
        return;
    json_t *items;
    int err = users_list(req->app, api_query(req, "cursor"), limit, &items);
    if (err) {
        api_reply_store_error(req, err, "the user list");
        return;
    }
    /* The cursor is the last name on the page: names are unique and the
     * list is ordered by name. */
    json_t *last = json_array_get(items, json_array_size(items) - 1);
    json_t *next = (int)json_array_size(items) == limit && last
                       ? json_incref(json_object_get(last, "name"))
                       : json_null();
    api_reply_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

static void get_user(struct api_req *req)
{
    json_t *user;
    int err = users_get(req->app, req->params[0], &user);
    if (err) {
        api_reply_store_error(req, err, "the user");
        return;
    }
    api_reply_json(req, 200, user);
}

/* A create or update waiting for its password to be hashed. */
struct user_write {
    struct api_req *req;
    json_t *obj; /* validated users-kind object, password removed */
    char password[PASSWORD_MAX_LEN + 1];
    char hash[PASSWORD_HASH_SIZE];
    bool create;
    int err;
};

static void write_destructor(void *arg)
{
    struct user_write *w = arg;
    sodium_memzero(w->password, sizeof(w->password));
    json_decref(w->obj);
    mem_deref(w->req);
}

static void store_user(struct user_write *w)
{
    struct api_req *req = w->req;
    json_t *user = NULL;
    bool created = false;
    bool own;
    int err = store_begin_own(req->app->store, &own);
    if (!err)
        err = users_upsert(req->app, w->obj, w->hash[0] ? w->hash : NULL, req->who.id, &user,
                           &created);
    if (!err && w->password[0]) {
        /* PATCH bodies may lack the name and extension: use the stored. */
        err = sipsecret_set(req->app, json_string_value(json_object_get(user, "id")),
                            json_string_value(json_object_get(user, "name")),
                            json_string_value(json_object_get(user, "extension")), w->password);
    }
    err = store_end_own(req->app->store, own, err);
    if (err && user)
        user = (json_decref(user), NULL);
    if (err == EEXIST) {
        api_reply_error(req, 409, "conflict", "extension %s belongs to another user",
                        json_string_value(json_object_get(w->obj, "extension")));
        return;
    }
    if (err) {
        api_reply_store_error(req, err, "the user");
        return;
    }
    char location[160] = "";
    if (w->create)
        snprintf(location, sizeof(location), "Location: /v1/users/%s\r\n",
                 json_string_value(json_object_get(user, "id")));
    api_reply_json_headers(req, w->create ? 201 : 200, location, user);
}

static void hash_password(void *arg)
{
    struct user_write *w = arg;
    w->err = password_hash(w->hash, w->password); /* kept for the SIP secrets */
}

static void hashed(int err, void *arg)
{
    struct user_write *w = arg;
    if (err || w->err)
        api_reply_error(w->req, 503, "unavailable", "could not hash the password; try again");
    else
        store_user(w);
    mem_deref(w);
}

/* Validate obj as a users-kind object and store it, hashing its password
 * first when it has one. Takes obj. */
static void write_user(struct api_req *req, json_t *obj, bool create)
{
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    if (!config_validate_object(&users_kind, obj, "", "", &res)) {
        json_decref(obj);
        api_reply_problems(req, &res);
        return;
    }
    struct user_write *w = mem_zalloc(sizeof(*w), write_destructor);
    if (!w) {
        json_decref(obj);
        api_reply_error(req, 503, "unavailable", "out of memory");
        return;
    }
    w->req = mem_ref(req);
    w->obj = obj;
    w->create = create;
    const char *given_hash = json_string_value(json_object_get(obj, "passwordHash"));
    if (given_hash)
        snprintf(w->hash, sizeof(w->hash), "%s", given_hash);
    const char *password = json_string_value(json_object_get(obj, "password"));
    if (!password) {
        store_user(w);
        mem_deref(w);
        return;
    }
    snprintf(w->password, sizeof(w->password), "%s", password);
    json_object_del(obj, "password");
    if (workpool_submit(req->app->pool, hash_password, hashed, w) != 0) {
        api_reply_error(req, 503, "unavailable", "the server is too busy; try again");
        mem_deref(w);
    }
}

static void create_user(struct api_req *req)
{
    json_t *cred = NULL;
    const char *name = json_string_value(json_object_get(req->body, "name"));
    if (name && users_credentials(req->app, name, &cred) == 0) {
        json_decref(cred);
        api_reply_error(req, 409, "conflict", "a user named %s exists already", name);
        return;
    }
    write_user(req, json_deep_copy(req->body), true);
}

static bool last_admin(struct api_req *req, const char *id)
{
    json_t *row;
    struct store_val v[] = {sv_text(id)};
    int err = store_query_one(req->app->store,
                              "SELECT (SELECT role FROM users WHERE id = ?) = 'admin' AND"
                              " (SELECT COUNT(*) FROM users WHERE role = 'admin') = 1 AS last",
                              v, 1, &row);
    bool last = !err && json_integer_value(json_object_get(row, "last")) == 1;
    json_decref(row);
    return last;
}

static bool demotes_last_admin(struct api_req *req, const json_t *obj)
{
    const char *role = json_string_value(json_object_get(obj, "role"));
    bool still_admin =
        role && strcmp(role, "admin") == 0 && !json_is_true(json_object_get(obj, "disabled"));
    return !still_admin && last_admin(req, req->params[0]);
}

static void update_user(struct api_req *req)
{
    json_t *obj;
    int err = users_get_config(req->app, req->params[0], &obj);
    if (err) {
        api_reply_store_error(req, err, "the user");
        return;
    }
    const json_t *new_name = json_object_get(req->body, "name");
    if (new_name && !json_equal(new_name, json_object_get(obj, "name"))) {
        json_decref(obj);
        api_reply_error(req, 422, "validation_failed",
                        "name: a user's name cannot be changed; create a new user instead");
        return;
    }
    /* JSON merge patch (RFC 7396): null removes an optional field. */
    const char *key;
    json_t *value;
    json_object_foreach(req->body, key, value)
    {
        if (json_is_null(value))
            json_object_del(obj, key);
        else
            json_object_set(obj, key, value);
    }
    if (demotes_last_admin(req, obj)) {
        json_decref(obj);
        api_reply_error(req, 409, "last_admin",
                        "this is the only active admin; make another user admin first");
        return;
    }
    write_user(req, obj, false);
}

static void delete_user(struct api_req *req)
{
    if (last_admin(req, req->params[0])) {
        api_reply_error(req, 409, "last_admin",
                        "this is the only admin; make another user admin first");
        return;
    }
    int err = users_delete(req->app, req->params[0], req->who.id);
    if (err) {
        api_reply_store_error(req, err, "the user");
        return;
    }
    api_reply_empty(req, 204);
}

static const struct api_route routes[] = {
    {"GET", "/v1/users", ROLES_LEADS, 0, list_users},
    {"POST", "/v1/users", ROLE_ADMIN, ROUTE_JSON_BODY | ROUTE_IDEMPOTENT, create_user},
    {"GET", "/v1/users/{id}", ROLES_LEADS, 0, get_user},
    {"PATCH", "/v1/users/{id}", ROLE_ADMIN, ROUTE_JSON_BODY, update_user},
    {"DELETE", "/v1/users/{id}", ROLE_ADMIN, 0, delete_user},
    {0},
};

int api_users_register(void)
{
    return api_routes_register(routes);
}
