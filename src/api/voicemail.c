/*
 * voicemail.c - /v1/voicemail (docs/voice.md): the boxes a person may
 * read (their own personal box, the shared boxes they are a member of;
 * leads: every box) with their counts, the messages of those boxes, each
 * message's WAV, marking one read, deleting one (its file too); and
 * PUT /v1/me/voicemail-pin, the caller's PIN for their box by phone.
 */
#include "api/api_modules.h"
#include "auth/password.h"
#include "core/app.h"
#include "core/workpool.h"
#include "http/api.h"
#include "store/store.h"
#include "voice/voicemail.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool readable(struct api_req *req, const char *key)
{
    struct vm_box box;
    bool ok = vm_box_find(req->app, key, &box) == 0 && vm_box_readable(req->app, &box, &req->who);
    vm_box_clear(&box);
    return ok;
}

static void list_boxes(struct api_req *req)
{
    json_t *keys = vm_readable_boxes(req->app, &req->who), *k;
    json_t *items = json_array();
    size_t i;
    json_array_foreach(keys, i, k)
    {
        struct vm_box box;
        unsigned unread = 0, read = 0;
        if (vm_box_find(req->app, json_string_value(k), &box) == 0 &&
            vm_counts(req->app, box.key, &unread, &read) == 0)
            json_array_append_new(items,
                                  json_pack("{s:s, s:s, s:s, s:i, s:i}", "box", box.key, "kind",
                                            box.personal ? "personal" : "shared", "name", box.name,
                                            "new", (int)unread, "old", (int)read));
        vm_box_clear(&box);
    }
    json_decref(keys);
    api_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static int newest_first(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "createdAt"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "createdAt"));
    return strcmp(y ? y : "", x ? x : "");
}

/* The messages of the given boxes, newest first, at most limit. */
static json_t *messages_of(struct api_req *req, json_t *keys, int limit)
{
    json_t *all = json_array(), *k, *items, *m;
    size_t i, j;
    json_array_foreach(keys, i, k)
    {
        if (vm_message_list(req->app, json_string_value(k), false, limit, &items) != 0)
            continue;
        json_array_foreach(items, j, m)
        {
            json_array_append(all, m);
        }
        json_decref(items);
    }
    size_t n = json_array_size(all);
    json_t **v = calloc(n + 1, sizeof(*v));
    for (i = 0; v && i < n; i++)
        v[i] = json_incref(json_array_get(all, i));
    if (v)
        qsort(v, n, sizeof(*v), newest_first);
    json_t *out = json_array();
    for (i = 0; v && i < n; i++) {
        if ((int)i < limit)
            json_array_append(out, v[i]);
        json_decref(v[i]);
    }
    free(v);
    json_decref(all);
    return out;
}

static void list_messages(struct api_req *req)
{
    int limit = api_query_limit(req, 100, 500);
    if (limit < 0)
        return;
    const char *box = api_query(req, "box");
    json_t *items = NULL;
    if (box) {
        struct vm_box b;
        int err = vm_box_find(req->app, box, &b);
        bool ok = !err && vm_box_readable(req->app, &b, &req->who);
        vm_box_clear(&b);
        if (err) {
            api_reply_error(req, 404, "not_found", "no voicemail box \"%s\"", box);
            return;
        }
        if (!ok) {
            api_reply_error(req, 403, "forbidden", "you may not read the voicemail box \"%s\"",
                            box);
            return;
        }
        json_t *keys = json_pack("[s]", box);
        items = messages_of(req, keys, limit);
        json_decref(keys);
    } else if (req->who.role & ROLES_LEADS) {
        if (vm_message_list(req->app, NULL, false, limit, &items) != 0) {
            api_reply_error(req, 500, "internal", "the messages could not be read");
            return;
        }
    } else {
        json_t *keys = vm_readable_boxes(req->app, &req->who);
        items = messages_of(req, keys, limit);
        json_decref(keys);
    }
    api_reply_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

/* The message named by the URL, when the caller may read its box; else
 * the 404 or 403 has been sent. */
static json_t *message_of(struct api_req *req)
{
    json_t *m = vm_message_get(req->app, req->params[0]);
    if (!m) {
        api_reply_error(req, 404, "not_found", "no voicemail message has the id \"%s\"",
                        req->params[0]);
        return NULL;
    }
    if (!readable(req, json_string_value(json_object_get(m, "box")))) {
        json_decref(m);
        api_reply_error(req, 403, "forbidden", "this message is in a box you may not read");
        return NULL;
    }
    return m;
}

static void get_message(struct api_req *req)
{
    json_t *m = message_of(req);
    if (m)
        api_reply_json(req, 200, m);
}

static void get_audio(struct api_req *req)
{
    char path[1200];
    json_t *m = message_of(req);
    if (!m)
        return;
    if (vm_message_path(req->app, m, path, sizeof(path)) != 0)
        api_reply_error(req, 404, "not_found", "this message has no audio");
    else
        api_reply_file(req, path, "audio/wav", "Cache-Control: no-store\r\n");
    json_decref(m);
}

static const char *actor_of(const struct api_req *req)
{
    return req->who.kind == PRINCIPAL_NONE ? NULL : req->who.id;
}

static void mark_read(struct api_req *req)
{
    json_t *m = message_of(req);
    if (!m)
        return;
    json_decref(m);
    int err = vm_message_mark(req->app, req->params[0], false, actor_of(req));
    if (err) {
        api_reply_store_error(req, err, "the message");
        return;
    }
    api_reply_json(req, 200, vm_message_get(req->app, req->params[0]));
}

static void delete_message(struct api_req *req)
{
    json_t *m = message_of(req);
    if (!m)
        return;
    json_decref(m);
    int err = vm_message_delete(req->app, req->params[0], actor_of(req));
    if (err)
        api_reply_store_error(req, err, "the message");
    else
        api_reply_empty(req, 204);
}

/* ---- PUT /v1/me/voicemail-pin ---- */

struct pin_write {
    struct api_req *req;
    char pin[VM_PIN_MAX + 1];
    char hash[PASSWORD_HASH_SIZE];
    int err;
};

static void pin_write_destructor(void *arg)
{
    struct pin_write *w = arg;
    mem_deref(w->req);
}

static void hash_pin(void *arg)
{
    struct pin_write *w = arg;
    w->err = password_hash(w->hash, w->pin);
}

static void pin_hashed(int err, void *arg)
{
    struct pin_write *w = arg;
    if (err || w->err)
        api_reply_error(w->req, 503, "unavailable", "could not hash the PIN; try again");
    else if ((err = vm_pin_store(w->req->app, w->req->who.id, w->hash)) != 0)
        api_reply_store_error(w->req, err, "the PIN");
    else
        api_reply_empty(w->req, 204);
    mem_deref(w);
}

static void put_pin(struct api_req *req)
{
    if (req->who.kind != PRINCIPAL_USER) {
        api_reply_error(req, 403, "forbidden", "only a person has a voicemail PIN");
        return;
    }
    const char *pin = json_string_value(json_object_get(req->body, "pin"));
    if (!vm_pin_valid(pin)) {
        api_reply_error(req, 422, "validation_failed", "pin: expected 4 to 12 digits");
        return;
    }
    struct pin_write *w = mem_zalloc(sizeof(*w), pin_write_destructor);
    if (!w) {
        api_reply_error(req, 503, "unavailable", "out of memory");
        return;
    }
    w->req = mem_ref(req);
    snprintf(w->pin, sizeof(w->pin), "%s", pin);
    if (workpool_submit(req->app->pool, hash_pin, pin_hashed, w) != 0) {
        api_reply_error(req, 503, "unavailable", "the server is too busy; try again");
        mem_deref(w);
    }
}

static const struct api_route routes[] = {
    {"GET", "/v1/voicemail/boxes", ROLES_STAFF, 0, list_boxes},
    {"GET", "/v1/voicemail/messages", ROLES_STAFF, 0, list_messages},
    {"GET", "/v1/voicemail/messages/{id}", ROLES_STAFF, 0, get_message},
    {"GET", "/v1/voicemail/messages/{id}/audio", ROLES_STAFF, 0, get_audio},
    {"POST", "/v1/voicemail/messages/{id}/read", ROLES_STAFF, ROUTE_JSON_OPTIONAL, mark_read},
    {"DELETE", "/v1/voicemail/messages/{id}", ROLES_STAFF, 0, delete_message},
    {"PUT", "/v1/me/voicemail-pin", ROLES_STAFF, ROUTE_JSON_BODY, put_pin},
    {0},
};

int api_voicemail_register(void)
{
    return api_routes_register(routes);
}
