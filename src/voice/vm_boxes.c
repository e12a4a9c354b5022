/*
 * vm_boxes.c - voicemail boxes (see voicemail.h): the configuration kinds
 * "voicemailBoxes" (shared boxes, JSON specs in voice_objects) and
 * "voicemailPins" (people's PINs, hashed into voicemail_pins), the
 * "voicemail" event topic, and finding a box by key, user or number.
 */
#include "auth/password.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/events.h"
#include "core/schema.h"
#include "store/store.h"
#include "voice/voicemail.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char table[] = "voice_objects";
static const char kind[] = "voicemailBoxes";

/* ---- schemas ---- */

static const char *check_box_id(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!isalnum((unsigned char)s[0]))
        return "an id starting with a letter or digit";
    for (; *s; s++) {
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return "an id of lowercase letters, digits and '-'";
    }
    return NULL;
}

static const char *check_digits(const json_t *v)
{
    const char *s = json_string_value(v);
    return strspn(s, "0123456789") == strlen(s) ? NULL : "digits only";
}

static const char *check_pin_hash(const json_t *v)
{
    return password_hash_valid(json_string_value(v)) ? NULL : "an argon2id hash ($argon2id$...)";
}

static const struct schema s_id = {
    .type = SCHEMA_STRING, .min_len = 1, .max_len = 64, .check = check_box_id};
static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1000};
static const struct schema s_path = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1024};
static const struct schema s_extension = {
    .type = SCHEMA_STRING, .min_len = 2, .max_len = 8, .check = check_digits};
static const struct schema s_pin = {.type = SCHEMA_STRING,
                                    .expect = "a PIN of 4 to 12 digits",
                                    .min_len = VM_PIN_MIN,
                                    .max_len = VM_PIN_MAX,
                                    .check = check_digits};
static const struct schema s_pin_hash = {.type = SCHEMA_STRING, .check = check_pin_hash};
static const struct schema s_bool = {.type = SCHEMA_BOOLEAN};
static const struct schema s_members = {
    .type = SCHEMA_ARRAY, .items = &s_name, .min_items = 1, .max_items = 200};
static const struct schema s_seconds = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 5, .has_max = true, .max = 600};
static const struct schema s_max_messages = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 10000};

static const struct schema_field greeting_fields[] = {
    {"text", &s_text, false},
    {"file", &s_path, false},
    {0},
};
static const struct schema s_greeting = {.type = SCHEMA_OBJECT, .fields = greeting_fields};

static const struct schema_field box_fields[] = {
    {"id", &s_id, true},
    {"name", &s_text, false},
    {"extension", &s_extension, false},
    {"greeting", &s_greeting, false},
    {"members", &s_members, true},
    {"pin", &s_pin, false},
    {"pinHash", &s_pin_hash, false},
    {"pinSet", &s_bool, false}, /* what GET shows instead of pinHash; ignored */
    {"maxMessageSeconds", &s_seconds, false},
    {"maxMessages", &s_max_messages, false},
    {0},
};
static const struct schema box_schema = {.type = SCHEMA_OBJECT, .fields = box_fields};

static const struct schema_field pin_fields[] = {
    {"user", &s_name, true},
    {"pin", &s_pin, false},
    {"pinHash", &s_pin_hash, false},
    {0},
};
static const struct schema pin_schema = {.type = SCHEMA_OBJECT, .fields = pin_fields};

static void pin_or_hash(const json_t *obj, const char *path, const char *pointer,
                        struct schema_result *res)
{
    if (json_object_get(obj, "pin") && json_object_get(obj, "pinHash"))
        schema_add_problem(res, path, pointer, false, "give either pin or pinHash, not both");
}

static void box_check(const json_t *obj, const char *path, const char *pointer,
                      struct schema_result *res)
{
    pin_or_hash(obj, path, pointer, res);
    const json_t *g = json_object_get(obj, "greeting");
    if (g && !json_object_get(g, "text") == !json_object_get(g, "file"))
        schema_add_problem(res, path, pointer, false,
                           "greeting: give \"text\" (spoken) or \"file\" (a WAV), one of them");
}

static void pins_check(const json_t *obj, const char *path, const char *pointer,
                       struct schema_result *res)
{
    pin_or_hash(obj, path, pointer, res);
    if (!json_object_get(obj, "pin") && !json_object_get(obj, "pinHash"))
        schema_add_problem(res, path, pointer, false, "give pin (digits) or pinHash");
}

bool vm_pin_valid(const char *pin)
{
    size_t n = pin ? strlen(pin) : 0;
    return n >= VM_PIN_MIN && n <= VM_PIN_MAX && strspn(pin, "0123456789") == n;
}

/* The hash to keep for obj's pin or pinHash: the old one when the pin is
 * the same (importing a file twice changes nothing) or none is given.
 * *out is malloc'ed, or NULL when there is none at all. */
static int pin_hash_for(const json_t *obj, const char *old, char **out)
{
    const char *pin = json_string_value(json_object_get(obj, "pin"));
    const char *given = json_string_value(json_object_get(obj, "pinHash"));
    char hash[PASSWORD_HASH_SIZE];
    if (pin && !(old && password_verify(old, pin))) {
        if (password_hash(hash, pin) != 0)
            return ENOMEM;
        given = hash;
    }
    const char *keep = given ? given : old;
    *out = keep ? strdup(keep) : NULL;
    return keep && !*out ? ENOMEM : 0;
}

/* ---- users ---- */

/* The enabled user with this name, id or extension: its row. */
static json_t *user_row(struct app *app, const char *column, const char *value)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT id, name, display_name, extension FROM users"
             " WHERE %s = ? AND disabled = 0",
             column);
    json_t *row = NULL;
    struct store_val v[] = {sv_text(value)};
    if (!value || store_query_one(app->store, sql, v, 1, &row) != 0)
        return NULL;
    return row;
}

/* ---- the kinds ---- */

static int box_apply(struct app *app, const json_t *obj, const char **message)
{
    const char *id = json_string_value(json_object_get(obj, "id"));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(obj, "members"), i, m)
    {
        json_t *u = user_row(app, "name", json_string_value(m));
        json_decref(u);
        if (!u) {
            *message = "members: no enabled user has this name";
            return EINVAL;
        }
    }
    const char *ext = json_string_value(json_object_get(obj, "extension"));
    json_t *clash = user_row(app, "extension", ext);
    json_decref(clash);
    if (clash) {
        *message = "extension: a user has this extension; give the box a number of its own";
        return EINVAL;
    }
    json_t *old = config_spec_get(app, table, kind, id);
    char *hash = NULL;
    int err = pin_hash_for(obj, json_string_value(json_object_get(old, "pinHash")), &hash);
    json_decref(old);
    if (err) {
        *message = "could not hash the PIN (out of memory)";
        return err;
    }
    json_t *spec = json_deep_copy(obj);
    json_object_del(spec, "pin");
    json_object_del(spec, "pinSet");
    if (hash)
        json_object_set_new(spec, "pinHash", json_string(hash));
    free(hash);
    if (!config_spec_unchanged(app, table, kind, id, spec)) {
        err = config_spec_put(app, table, kind, id, spec);
        if (!err)
            err = events_append(app->events, "calls", "configUpdated", id, NULL,
                                json_pack("{s:s, s:s}", "kind", kind, "id", id));
    }
    json_decref(spec);
    return err;
}

static int box_export(struct app *app, json_t **out)
{
    return config_export_specs(app, table, kind, out);
}

/* What the API shows: never the PIN's hash. */
static json_t *box_get(struct app *app, const char *id)
{
    json_t *spec = config_spec_get(app, table, kind, id);
    if (spec && json_object_get(spec, "pinHash")) {
        json_object_del(spec, "pinHash");
        json_object_set_new(spec, "pinSet", json_true());
    }
    return spec;
}

static int box_remove(struct app *app, const char *id, const char **why)
{
    json_t *row = NULL;
    char like[100];
    snprintf(like, sizeof(like), "%%\"box\":\"%s\"%%", id);
    struct store_val v[] = {sv_text(like)};
    if (store_query_one(app->store,
                        "SELECT id FROM voice_objects WHERE kind = 'numbers' AND spec LIKE ?", v, 1,
                        &row) == 0) {
        json_decref(row);
        *why = "a number leads to this voicemail box: change or delete the number first";
        return EBUSY;
    }
    int err = config_spec_delete(app, table, kind, id);
    if (!err)
        err = events_append(app->events, "calls", "configDeleted", id, NULL,
                            json_pack("{s:s, s:s}", "kind", kind, "id", id));
    return err;
}

int vm_pin_store(struct app *app, const char *user_id, const char *hash)
{
    struct store_val v[] = {sv_text(user_id), sv_text(hash), sv_int(clock_now_ms())};
    return store_exec(app->store,
                      "INSERT INTO voicemail_pins (user_id, pin_hash, updated_at) VALUES (?, ?, ?)"
                      " ON CONFLICT (user_id) DO UPDATE SET pin_hash = excluded.pin_hash,"
                      " updated_at = excluded.updated_at",
                      v, 3, NULL);
}

static char *user_pin_hash(struct app *app, const char *user_id)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(user_id)};
    if (store_query_one(app->store, "SELECT pin_hash FROM voicemail_pins WHERE user_id = ?", v, 1,
                        &row) != 0)
        return NULL;
    const char *h = json_string_value(json_object_get(row, "pin_hash"));
    char *out = h ? strdup(h) : NULL;
    json_decref(row);
    return out;
}

static int pins_apply(struct app *app, const json_t *obj, const char **message)
{
    json_t *u = user_row(app, "name", json_string_value(json_object_get(obj, "user")));
    if (!u) {
        *message = "user: no enabled user has this name";
        return EINVAL;
    }
    const char *user_id = json_string_value(json_object_get(u, "id"));
    char *old = user_pin_hash(app, user_id), *hash = NULL;
    int err = pin_hash_for(obj, old, &hash);
    if (!err && (!old || strcmp(old, hash) != 0))
        err = vm_pin_store(app, user_id, hash);
    if (err)
        *message = "could not store a voicemail PIN";
    free(old);
    free(hash);
    json_decref(u);
    return err;
}

static int pins_export(struct app *app, json_t **out)
{
    json_t *rows = NULL;
    int err = store_query_json(app->store,
                               "SELECT u.name AS user, p.pin_hash AS pinHash FROM voicemail_pins p"
                               " JOIN users u ON u.id = p.user_id ORDER BY u.name",
                               NULL, 0, &rows);
    if (err)
        return err;
    *out = json_array_size(rows) ? rows : (json_decref(rows), NULL);
    return 0;
}

/* Voicemail events: leads see all; a person, those of the boxes they read
 * (data.userId: a personal box's owner; data.members: a shared box's). */
static bool vm_event_visible(const struct principal *who, const struct event *e)
{
    if (who->role & ROLES_LEADS)
        return true;
    if (who->kind != PRINCIPAL_USER)
        return false;
    const char *owner = json_string_value(json_object_get(e->data, "userId"));
    if (owner && strcmp(owner, who->id) == 0)
        return true;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(e->data, "members"), i, m)
    {
        if (strcmp(json_string_value(m), who->name) == 0)
            return true;
    }
    return false;
}

int voicemail_register(void)
{
    static const struct config_kind kinds[] = {
        {.key = "voicemailPins",
         .list = true,
         .id_key = "user",
         .order = 11, /* after users */
         .schema = &pin_schema,
         .check = pins_check,
         .apply = pins_apply,
         .export = pins_export},
        {.key = "voicemailBoxes",
         .list = true,
         .id_key = "id",
         .order = 51, /* before numbers (53), which lead to them */
         .schema = &box_schema,
         .check = box_check,
         .apply = box_apply,
         .export = box_export,
         .get = box_get,
         .remove = box_remove},
    };
    return config_kind_register(&kinds[0]) | config_kind_register(&kinds[1]) |
           events_topic_register("voicemail", ROLES_STAFF, vm_event_visible);
}

/* ---- finding boxes ---- */

static unsigned spec_uint(const json_t *spec, const char *key, unsigned def)
{
    json_int_t v = json_integer_value(json_object_get(spec, key));
    return v > 0 ? (unsigned)v : def;
}

static int shared_box(json_t *spec, struct vm_box *box)
{
    memset(box, 0, sizeof(*box));
    if (!spec)
        return ENOENT;
    const char *id = json_string_value(json_object_get(spec, "id"));
    const char *name = json_string_value(json_object_get(spec, "name"));
    snprintf(box->key, sizeof(box->key), "%s", id ? id : "");
    snprintf(box->name, sizeof(box->name), "%s", name ? name : box->key);
    box->spec = spec;
    box->max_seconds = spec_uint(spec, "maxMessageSeconds", VM_DEFAULT_MAX_SECONDS);
    box->max_messages = spec_uint(spec, "maxMessages", VM_DEFAULT_MAX_MESSAGES);
    return 0;
}

/* A user's row (stolen) as their personal box: only with an extension. */
static int personal_box(json_t *u, struct vm_box *box)
{
    memset(box, 0, sizeof(*box));
    const char *id = json_string_value(json_object_get(u, "id"));
    if (!id || !json_is_string(json_object_get(u, "extension"))) {
        json_decref(u);
        return ENOENT;
    }
    const char *display = json_string_value(json_object_get(u, "display_name"));
    box->personal = true;
    snprintf(box->key, sizeof(box->key), "%s", id);
    snprintf(box->user_id, sizeof(box->user_id), "%s", id);
    snprintf(box->name, sizeof(box->name), "%s",
             display ? display : json_string_value(json_object_get(u, "name")));
    box->max_seconds = VM_DEFAULT_MAX_SECONDS;
    box->max_messages = VM_DEFAULT_MAX_MESSAGES;
    json_decref(u);
    return 0;
}

int vm_box_find(struct app *app, const char *key, struct vm_box *box)
{
    if (key && strncmp(key, "usr_", 4) == 0)
        return personal_box(user_row(app, "id", key), box);
    return shared_box(key ? config_spec_get(app, table, kind, key) : NULL, box);
}

int vm_box_of_user(struct app *app, const char *user, struct vm_box *box)
{
    json_t *u = user ? user_row(app, strncmp(user, "usr_", 4) == 0 ? "id" : "name", user) : NULL;
    return personal_box(u, box);
}

int vm_box_by_number(struct app *app, const char *digits, struct vm_box *box)
{
    json_t *list = NULL, *spec, *found = NULL;
    size_t i;
    if (box_export(app, &list) == 0) {
        json_array_foreach(list, i, spec)
        {
            const char *ext = json_string_value(json_object_get(spec, "extension"));
            if (!found && ext && strcmp(ext, digits) == 0)
                found = json_incref(spec);
        }
    }
    json_decref(list);
    if (found)
        return shared_box(found, box);
    return personal_box(user_row(app, "extension", digits), box);
}

void vm_box_clear(struct vm_box *box)
{
    json_decref(box->spec);
    box->spec = NULL;
}

bool vm_box_readable(struct app *app, const struct vm_box *box, const struct principal *who)
{
    (void)app;
    if (who->role & ROLES_LEADS)
        return true;
    if (who->kind != PRINCIPAL_USER)
        return false;
    if (box->personal)
        return strcmp(box->user_id, who->id) == 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(box->spec, "members"), i, m)
    {
        if (strcmp(json_string_value(m), who->name) == 0)
            return true;
    }
    return false;
}

char *vm_box_pin_hash(struct app *app, const struct vm_box *box)
{
    if (box->personal)
        return user_pin_hash(app, box->user_id);
    const char *h = json_string_value(json_object_get(box->spec, "pinHash"));
    return h ? strdup(h) : NULL;
}

const char *vm_target_problem(struct app *app, const json_t *target)
{
    const char *box = json_string_value(json_object_get(target, "box"));
    const char *user = json_string_value(json_object_get(target, "user"));
    struct vm_box b;
    int err = box ? vm_box_find(app, box, &b) : vm_box_of_user(app, user, &b);
    vm_box_clear(&b);
    if (!err)
        return NULL;
    return box ? "target: no voicemail box has this id (define it under voicemailBoxes)"
               : "target: no enabled user with an extension has this name";
}

json_t *vm_readable_boxes(struct app *app, const struct principal *who)
{
    json_t *out = json_array(), *list = NULL, *spec, *users = NULL, *u;
    size_t i;
    if (box_export(app, &list) == 0) {
        json_array_foreach(list, i, spec)
        {
            struct vm_box box;
            if (shared_box(json_incref(spec), &box) == 0 && vm_box_readable(app, &box, who))
                json_array_append_new(out, json_string(box.key));
            vm_box_clear(&box);
        }
    }
    json_decref(list);
    if (store_query_json(app->store,
                         "SELECT id FROM users WHERE extension IS NOT NULL AND disabled = 0"
                         " ORDER BY name",
                         NULL, 0, &users) == 0) {
        json_array_foreach(users, i, u)
        {
            const char *id = json_string_value(json_object_get(u, "id"));
            if ((who->role & ROLES_LEADS) ||
                (who->kind == PRINCIPAL_USER && strcmp(id, who->id) == 0))
                json_array_append_new(out, json_string(id));
        }
    }
    json_decref(users);
    return out;
}
