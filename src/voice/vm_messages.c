/*
 * vm_messages.c - voicemail messages (see voicemail.h): rows of
 * voicemail_messages beside their files DATA/voicemail/BOX/ID.wav, and the
 * events on the "voicemail" topic that say what happened to them
 * (voicemailLeft, voicemailRead, voicemailSaved, voicemailDeleted), each
 * written in the same transaction as its change.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "store/store.h"
#include "voice/voicemail.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MESSAGE_COLUMNS                                                                            \
    "id, box, caller, call_id AS callId, created_at AS createdAt, duration_ms AS durationMs,"      \
    " file, state, is_read AS \"read\", heard_at AS heardAt"

int vm_box_dir(struct app *app, const char *box, char *out, size_t size)
{
    char top[1024];
    snprintf(top, sizeof(top), "%s/voicemail", app->data_dir);
    if (mkdir(top, 0700) != 0 && errno != EEXIST)
        return errno;
    int n = snprintf(out, size, "%s/%s", top, box);
    if (n < 0 || (size_t)n >= size)
        return ENAMETOOLONG;
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

int vm_file_path(struct app *app, const char *box, const char *name, char *out, size_t size)
{
    char dir[1100];
    int err = vm_box_dir(app, box, dir, sizeof(dir));
    int n = err ? 0 : snprintf(out, size, "%s/%s", dir, name);
    return err ? err : n > 0 && (size_t)n < size ? 0 : ENAMETOOLONG;
}

int vm_message_path(struct app *app, const json_t *msg, char *out, size_t size)
{
    const char *file = json_string_value(json_object_get(msg, "file"));
    int n = file ? snprintf(out, size, "%s/%s", app->data_dir, file) : -1;
    return n > 0 && (size_t)n < size ? 0 : ENOENT;
}

/* The row in its public form: booleans and RFC 3339 times. */
static void public_form(json_t *m)
{
    json_object_set_new(m, "read", json_boolean(json_integer_value(json_object_get(m, "read"))));
    const char *times[] = {"createdAt", "heardAt"};
    for (size_t i = 0; i < 2; i++) {
        json_t *t = json_object_get(m, times[i]);
        if (json_is_integer(t))
            json_object_set_new(m, times[i], clock_time_json(json_integer_value(t)));
    }
    const char *box = json_string_value(json_object_get(m, "box"));
    json_object_set_new(m, "boxKind",
                        json_string(box && strncmp(box, "usr_", 4) == 0 ? "personal" : "shared"));
}

/* Who may see an event about a box: its owner or its members. */
static json_t *event_data(const struct vm_box *box, const char *message_id)
{
    json_t *data = json_pack("{s:s, s:s, s:s}", "messageId", message_id, "box", box->key, "boxKind",
                             box->personal ? "personal" : "shared");
    if (box->personal)
        json_object_set_new(data, "userId", json_string(box->user_id));
    else
        json_object_set(data, "members", json_object_get(box->spec, "members"));
    return data;
}

int vm_message_add(struct app *app, const struct vm_box *box, const struct vm_new *m)
{
    char file[200];
    snprintf(file, sizeof(file), "voicemail/%s/%s.wav", box->key, m->id);
    struct store_val v[] = {sv_text(m->id),      sv_text(box->key),     sv_text(m->caller),
                            sv_text(m->call_id), sv_int(m->created_at), sv_int(m->duration_ms),
                            sv_text(file)};
    json_t *data = event_data(box, m->id);
    json_object_set_new(data, "caller", json_string(m->caller ? m->caller : ""));
    json_object_set_new(data, "callId", json_string(m->call_id ? m->call_id : ""));
    json_object_set_new(data, "durationMs", json_integer(m->duration_ms));
    bool own;
    int err = store_begin_own(app->store, &own);
    if (!err)
        err = store_exec(app->store,
                         "INSERT INTO voicemail_messages (id, box, caller, call_id, created_at,"
                         " duration_ms, file) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         v, 7, NULL);
    if (!err) {
        err = events_append(app->events, "voicemail", "voicemailLeft", m->id, NULL, data);
        data = NULL;
    }
    json_decref(data);
    return store_end_own(app->store, own, err);
}

static json_t *row_of(struct app *app, const char *id)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(id)};
    if (store_query_one(app->store,
                        "SELECT " MESSAGE_COLUMNS " FROM voicemail_messages WHERE id = ?", v, 1,
                        &row) != 0)
        return NULL;
    return row;
}

json_t *vm_message_get(struct app *app, const char *id)
{
    json_t *m = row_of(app, id);
    if (m)
        public_form(m);
    return m;
}

int vm_message_list(struct app *app, const char *box, bool new_first, int limit, json_t **items)
{
    struct store_val v[] = {sv_text(box), sv_int(limit)};
    const char *sql = new_first ? "SELECT " MESSAGE_COLUMNS " FROM voicemail_messages WHERE box = ?"
                                  " ORDER BY is_read, state, created_at, id LIMIT ?"
                      : box     ? "SELECT " MESSAGE_COLUMNS " FROM voicemail_messages WHERE box = ?"
                                  " ORDER BY created_at DESC, id DESC LIMIT ?"
                            : "SELECT " MESSAGE_COLUMNS " FROM voicemail_messages WHERE ? IS NULL"
                              " ORDER BY created_at DESC, id DESC LIMIT ?";
    int err = store_query_json(app->store, sql, v, 2, items);
    if (err)
        return err;
    size_t i;
    json_t *m;
    json_array_foreach(*items, i, m)
    {
        public_form(m);
    }
    return 0;
}

/* The event of a change to message id (its box as it is now). */
static int message_event(struct app *app, const json_t *row, const char *type, const char *actor)
{
    struct vm_box box;
    const char *id = json_string_value(json_object_get(row, "id"));
    if (vm_box_find(app, json_string_value(json_object_get(row, "box")), &box) != 0)
        snprintf(box.key, sizeof(box.key), "%s", json_string_value(json_object_get(row, "box")));
    int err = events_append(app->events, "voicemail", type, id, actor, event_data(&box, id));
    vm_box_clear(&box);
    return err;
}

int vm_message_mark(struct app *app, const char *id, bool save, const char *actor)
{
    json_t *row = row_of(app, id);
    if (!row)
        return ENOENT;
    bool was_read = json_integer_value(json_object_get(row, "read")) != 0;
    bool was_saved = strcmp(json_string_value(json_object_get(row, "state")), "saved") == 0;
    int err = 0;
    if (!was_read || (save && !was_saved)) {
        struct store_val v[] = {sv_int(save), sv_int(clock_now_ms()), sv_text(id)};
        bool own;
        err = store_begin_own(app->store, &own);
        if (!err)
            err = store_exec(app->store,
                             "UPDATE voicemail_messages SET is_read = 1,"
                             " state = CASE WHEN ? = 1 THEN 'saved' ELSE state END,"
                             " heard_at = COALESCE(heard_at, ?) WHERE id = ?",
                             v, 3, NULL);
        if (!err)
            err = message_event(app, row, save && !was_saved ? "voicemailSaved" : "voicemailRead",
                                actor);
        err = store_end_own(app->store, own, err);
    }
    json_decref(row);
    return err;
}

int vm_message_delete(struct app *app, const char *id, const char *actor)
{
    json_t *row = row_of(app, id);
    if (!row)
        return ENOENT;
    char path[1200];
    struct store_val v[] = {sv_text(id)};
    bool own;
    int err = store_begin_own(app->store, &own);
    if (!err)
        err = store_exec(app->store, "DELETE FROM voicemail_messages WHERE id = ?", v, 1, NULL);
    if (!err)
        err = message_event(app, row, "voicemailDeleted", actor);
    err = store_end_own(app->store, own, err);
    /* The row is gone first: a file without a row is never listed. */
    if (!err && vm_message_path(app, row, path, sizeof(path)) == 0 && unlink(path) != 0 &&
        errno != ENOENT)
        log_warn("voice", "voicemail file not removed", "file=%s error=\"%s\"", path,
                 strerror(errno));
    json_decref(row);
    return err;
}

int vm_counts(struct app *app, const char *box, unsigned *unread, unsigned *read)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(box)};
    int err = store_query_one(app->store,
                              "SELECT COUNT(*) AS total, COALESCE(SUM(is_read), 0) AS heard"
                              " FROM voicemail_messages WHERE box = ?",
                              v, 1, &row);
    if (err)
        return err;
    json_int_t total = json_integer_value(json_object_get(row, "total"));
    json_int_t heard = json_integer_value(json_object_get(row, "heard"));
    json_decref(row);
    *unread = (unsigned)(total - heard);
    *read = (unsigned)heard;
    return 0;
}
