/*
 * users.c - the users kind: schema, store records, events (see users.h).
 */
#include "auth/users.h"
#include "auth/password.h"
#include "auth/sipsecret.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/ids.h"
#include "core/principal.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static const char *check_user_name(const json_t *value)
{
    const char *s = json_string_value(value);
    if (!isalnum((unsigned char)s[0]))
        return "a login name starting with a letter or digit";
    for (; *s; s++) {
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("._-", *s))
            return "a login name of lowercase letters, digits, '.', '_' or '-'";
    }
    return NULL;
}

static const char *check_extension(const json_t *value)
{
    for (const char *s = json_string_value(value); *s; s++) {
        if (!isdigit((unsigned char)*s))
            return "an extension of 2 to 8 digits";
    }
    return NULL;
}

static const char *check_email(const json_t *value)
{
    const char *s = json_string_value(value);
    const char *at = strchr(s, '@');
    if (!at || at == s || !strchr(at, '.') || strchr(s, ' '))
        return "an e-mail address like maria@example.com";
    return NULL;
}

static const char *check_password_hash(const json_t *value)
{
    return password_hash_valid(json_string_value(value)) ? NULL
                                                         : "an argon2id hash ($argon2id$...)";
}

static const struct schema s_name = {.type = SCHEMA_STRING,
                                     .expect = "a login name",
                                     .min_len = 1,
                                     .max_len = 64,
                                     .check = check_user_name};
static const struct schema s_display = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_email = {
    .type = SCHEMA_STRING, .min_len = 3, .max_len = 254, .check = check_email};
static const struct schema s_role = {.type = SCHEMA_STRING, .enum_values = role_names};
static const struct schema s_ext = {
    .type = SCHEMA_STRING, .min_len = 2, .max_len = 8, .check = check_extension};
static const struct schema s_password = {
    .type = SCHEMA_STRING, .min_len = PASSWORD_MIN_LEN, .max_len = PASSWORD_MAX_LEN};
static const struct schema s_hash = {.type = SCHEMA_STRING, .check = check_password_hash};
static const struct schema s_bool = {.type = SCHEMA_BOOLEAN};

static const struct schema_field user_fields[] = {
    {"name", &s_name, true},
    {"displayName", &s_display, false},
    {"email", &s_email, false},
    {"role", &s_role, true},
    {"extension", &s_ext, false},
    {"password", &s_password, false},
    {"passwordHash", &s_hash, false},
    {"disabled", &s_bool, false},
    {0},
};

static const struct schema user_schema = {.type = SCHEMA_OBJECT, .fields = user_fields};

static void user_check(const json_t *obj, const char *path, const char *pointer,
                       struct schema_result *res)
{
    if (json_object_get(obj, "password") && json_object_get(obj, "passwordHash"))
        schema_add_problem(res, path, pointer, false,
                           "give either password or passwordHash, not both");
}

/* Hash a configuration file's password, keeping the stored hash when it
 * already matches so that importing the same file twice changes nothing. */
static int user_apply(struct app *app, const json_t *obj, const char **message)
{
    const char *password = json_string_value(json_object_get(obj, "password"));
    const char *use_hash = json_string_value(json_object_get(obj, "passwordHash"));
    char hash[PASSWORD_HASH_SIZE];
    json_t *cred = NULL;
    users_credentials(app, json_string_value(json_object_get(obj, "name")), &cred);
    const char *old = json_string_value(json_object_get(cred, "password_hash"));
    if (password) {
        if (old && password_verify(old, password)) {
            use_hash = NULL;
        } else if (password_hash(hash, password) == 0) {
            use_hash = hash;
        } else {
            json_decref(cred);
            *message = "could not hash a password (out of memory)";
            return ENOMEM;
        }
    } else if (use_hash && old && strcmp(use_hash, old) == 0) {
        use_hash = NULL; /* the same hash: nothing to change */
    }
    json_t *user = NULL;
    int err = users_upsert(app, obj, use_hash, NULL, &user, NULL);
    json_decref(cred);
    if (!err && password)
        err = sipsecret_set(app, json_string_value(json_object_get(user, "id")),
                            json_string_value(json_object_get(obj, "name")),
                            json_string_value(json_object_get(obj, "extension")), password);
    json_decref(user);
    if (err == EEXIST)
        *message = "an extension is used by two users";
    else if (err)
        *message = "could not store a user";
    return err;
}

static int user_export(struct app *app, json_t **out)
{
    json_t *rows;
    int err = store_query_json(app->store,
                               "SELECT name, display_name, email, role, extension,"
                               " password_hash, disabled FROM users ORDER BY name",
                               NULL, 0, &rows);
    if (err)
        return err;
    json_t *list = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *u = json_pack("{s:O}", "name", json_object_get(r, "name"));
        const char *opt[][2] = {{"display_name", "displayName"},
                                {"email", "email"},
                                {"role", "role"},
                                {"extension", "extension"},
                                {"password_hash", "passwordHash"}};
        for (size_t k = 0; k < sizeof(opt) / sizeof(opt[0]); k++) {
            json_t *v = json_object_get(r, opt[k][0]);
            if (json_is_string(v))
                json_object_set(u, opt[k][1], v);
        }
        if (json_integer_value(json_object_get(r, "disabled")))
            json_object_set_new(u, "disabled", json_true());
        json_array_append_new(list, u);
    }
    json_decref(rows);
    *out = json_array_size(list) ? list : (json_decref(list), NULL);
    return 0;
}

const struct config_kind users_kind = {
    .key = "users",
    .list = true,
    .order = 10,
    .schema = &user_schema,
    .check = user_check,
    .apply = user_apply,
    .export = user_export,
};

/* Agents and experts see events about themselves; leads see all. */
static bool user_event_visible(const struct principal *who, const struct event *e)
{
    if (who->role & (ROLE_ADMIN | ROLE_MANAGER))
        return true;
    return who->kind == PRINCIPAL_USER && e->subject && strcmp(e->subject, who->id) == 0;
}

int users_register(void)
{
    return config_kind_register(&users_kind) |
           events_topic_register("users", ROLES_STAFF, user_event_visible);
}

#define USER_COLUMNS                                                                               \
    "id, name, display_name AS displayName, email, role, extension,"                               \
    " disabled, created_at AS createdAt, updated_at AS updatedAt"

/* Turn store columns into the public form: booleans and RFC 3339 times. */
static void public_form(json_t *u)
{
    json_object_set_new(u, "disabled",
                        json_boolean(json_integer_value(json_object_get(u, "disabled"))));
    const char *times[] = {"createdAt", "updatedAt"};
    for (size_t i = 0; i < 2; i++) {
        char buf[40];
        clock_format_rfc3339(buf, sizeof(buf), json_integer_value(json_object_get(u, times[i])));
        json_object_set_new(u, times[i], json_string(buf));
    }
    const char *nullable[] = {"displayName", "email", "extension"};
    for (size_t i = 0; i < 3; i++) {
        if (json_is_null(json_object_get(u, nullable[i])))
            json_object_del(u, nullable[i]);
    }
}

int users_get(struct app *app, const char *id, json_t **userp)
{
    struct store_val v[] = {sv_text(id)};
    int err =
        store_query_one(app->store, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", v, 1, userp);
    if (!err)
        public_form(*userp);
    return err;
}

int users_get_config(struct app *app, const char *id, json_t **objp)
{
    json_t *u;
    int err = users_get(app, id, &u);
    if (err)
        return err;
    json_t *obj = json_pack("{s:O, s:O, s:O}", "name", json_object_get(u, "name"), "role",
                            json_object_get(u, "role"), "disabled", json_object_get(u, "disabled"));
    const char *opt[] = {"displayName", "email", "extension"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(u, opt[i]);
        if (v)
            json_object_set(obj, opt[i], v);
    }
    json_decref(u);
    *objp = obj;
    return obj ? 0 : ENOMEM;
}

int users_list(struct app *app, const char *after, int limit, json_t **itemsp)
{
    struct store_val v[] = {sv_text(after ? after : ""), sv_int(limit)};
    int err = store_query_json(app->store,
                               "SELECT " USER_COLUMNS " FROM users WHERE name > ?"
                               " ORDER BY name LIMIT ?",
                               v, 2, itemsp);
    if (err)
        return err;
    size_t i;
    json_t *u;
    json_array_foreach(*itemsp, i, u) public_form(u);
    return 0;
}

int users_credentials(struct app *app, const char *name, json_t **rowp)
{
    struct store_val v[] = {sv_text(name)};
    return store_query_one(app->store,
                           "SELECT id, name, role, disabled, password_hash FROM users"
                           " WHERE name = ?",
                           v, 1, rowp);
}

static const char *opt_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Did anything stored change? Compares the public columns and the hash. */
static bool user_changed(const json_t *old, const json_t *obj, const char *hash)
{
    const char *pairs[][2] = {{"display_name", "displayName"},
                              {"email", "email"},
                              {"role", "role"},
                              {"extension", "extension"}};
    for (size_t i = 0; i < 4; i++) {
        const char *a = opt_str(old, pairs[i][0]), *b = opt_str(obj, pairs[i][1]);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
            return true;
    }
    if (!!json_integer_value(json_object_get(old, "disabled")) !=
        json_is_true(json_object_get(obj, "disabled")))
        return true;
    return hash != NULL;
}

static int upsert(struct app *app, const json_t *obj, const char *hash, const char *actor,
                  json_t **userp, bool *createdp)
{
    const char *name = opt_str(obj, "name");
    json_t *old = NULL;
    struct store_val k[] = {sv_text(name)};
    int err = store_query_one(app->store, "SELECT * FROM users WHERE name = ?", k, 1, &old);
    if (err && err != ENOENT)
        return err;
    char id[ID_SIZE];
    int64_t now = clock_now_ms();
    bool created = old == NULL;
    if (created)
        id_new(id, "usr");
    else
        snprintf(id, sizeof(id), "%s", opt_str(old, "id"));
    bool changed = created || user_changed(old, obj, hash);
    json_decref(old);

    if (changed) {
        struct store_val v[] = {
            sv_text(id),
            sv_text(name),
            sv_text(opt_str(obj, "displayName")),
            sv_text(opt_str(obj, "email")),
            sv_text(opt_str(obj, "role")),
            sv_text(opt_str(obj, "extension")),
            sv_text(hash),
            sv_int(json_is_true(json_object_get(obj, "disabled"))),
            sv_int(now),
            sv_int(now),
        };
        err = store_exec(app->store,
                         "INSERT INTO users (id, name, display_name, email, role, extension,"
                         " password_hash, disabled, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                         " ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name,"
                         " email = excluded.email, role = excluded.role,"
                         " extension = excluded.extension,"
                         " password_hash = COALESCE(excluded.password_hash, users.password_hash),"
                         " disabled = excluded.disabled, updated_at = excluded.updated_at",
                         v, 10, NULL);
        if (err)
            return err;
    }
    json_t *user;
    err = users_get(app, id, &user);
    if (err)
        return err;
    if (changed) {
        err = events_append(app->events, "users", created ? "user.created" : "user.updated", id,
                            actor, json_deep_copy(user));
    }
    if (createdp)
        *createdp = created;
    if (!err && userp)
        *userp = user;
    else
        json_decref(user);
    return err;
}

int users_delete(struct app *app, const char *id, const char *actor)
{
    json_t *user;
    int err = users_get(app, id, &user);
    if (err)
        return err;
    bool own;
    if ((err = store_begin_own(app->store, &own)) != 0) {
        json_decref(user);
        return err;
    }
    struct store_val v[] = {sv_text(id)};
    err = store_exec(app->store, "DELETE FROM users WHERE id = ?", v, 1, NULL);
    if (!err)
        err = events_append(app->events, "users", "user.deleted", id, actor, user);
    else
        json_decref(user);
    return store_end_own(app->store, own, err);
}

int users_upsert(struct app *app, const json_t *obj, const char *hash, const char *actor,
                 json_t **userp, bool *createdp)
{
    /* The row and its event commit together, or neither does. */
    bool own;
    int err = store_begin_own(app->store, &own);
    if (err)
        return err;
    json_t *user = NULL;
    err = store_end_own(app->store, own, upsert(app, obj, hash, actor, &user, createdp));
    if (!err && userp)
        *userp = user;
    else
        json_decref(user);
    return err;
}
