/*
 * threads.c - the stored thread, its participants, and who may do what
 * with it (see chat_internal.h).
 */
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/text.h"
#include "router/router.h"
#include "routing/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define THREAD_COLS                                                                                \
    "SELECT id, widget_id, state, consumer_name, bot_id, bot_state, fields, queue_id, job_id,"     \
    " wait_stage, waiting_since, no_answer_at, last_seq, created_at, ended_at FROM chat_threads"

/* Every message sent loads its thread: no printf here. */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static json_t *object_or_empty(const char *text)
{
    if (!text || strcmp(text, "{}") == 0) /* most threads: no need to parse */
        return json_object();
    json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    return o;
}

static int read_thread(const struct store_row *row, void *arg)
{
    struct thread *t = arg;
    copy(t->id, sizeof(t->id), store_row_text(row, 0));
    copy(t->widget, sizeof(t->widget), store_row_text(row, 1));
    copy(t->state, sizeof(t->state), store_row_text(row, 2));
    copy(t->name, sizeof(t->name), store_row_text(row, 3));
    copy(t->bot_id, sizeof(t->bot_id), store_row_text(row, 4));
    t->bot_state = object_or_empty(store_row_text(row, 5));
    t->fields = object_or_empty(store_row_text(row, 6));
    copy(t->queue, sizeof(t->queue), store_row_text(row, 7));
    copy(t->job_id, sizeof(t->job_id), store_row_text(row, 8));
    copy(t->wait_stage, sizeof(t->wait_stage), store_row_text(row, 9));
    t->waiting_since = store_row_int(row, 10);
    t->no_answer_at = store_row_int(row, 11);
    t->last_seq = store_row_int(row, 12);
    t->created_at = store_row_int(row, 13);
    t->ended_at = store_row_int(row, 14);
    return 1;
}

static int load_where(struct chat *c, const char *sql, const char *key, struct thread *t)
{
    memset(t, 0, sizeof(*t));
    struct store_val v[] = {sv_text(key)};
    int err = store_query(c->app->store, sql, v, 1, read_thread, t);
    if (err == 1)
        return 0;
    return err ? err : ENOENT;
}

int thread_load(struct chat *c, const char *id, struct thread *t)
{
    return load_where(c, THREAD_COLS " WHERE id = ?", id, t);
}

int thread_by_job(struct chat *c, const char *job_id, struct thread *t)
{
    return load_where(c, THREAD_COLS " WHERE job_id = ?", job_id, t);
}

void thread_clear(struct thread *t)
{
    json_decref(t->bot_state);
    json_decref(t->fields);
    t->bot_state = t->fields = NULL;
}

static struct store_val opt_text(const char *s)
{
    return sv_text(s && *s ? s : NULL);
}

static struct store_val opt_int(int64_t i)
{
    return i ? sv_int(i) : sv_text(NULL);
}

int thread_insert(struct chat *c, struct thread *t, const char *token_hash)
{
    struct store_val v[] = {sv_text(t->id),        sv_text(token_hash),  sv_text(t->widget),
                            sv_text(t->state),     sv_text(t->name),     opt_text(t->bot_id),
                            sv_int(t->created_at), sv_int(t->created_at)};
    return store_exec(c->app->store,
                      "INSERT INTO chat_threads (id, token_hash, widget_id, state, consumer_name,"
                      " bot_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      v, 8, NULL);
}

int thread_save(struct chat *c, const struct thread *t)
{
    char *bot = json_dumps(t->bot_state, JSON_COMPACT);
    char *fields = json_dumps(t->fields, JSON_COMPACT);
    struct store_val v[] = {sv_text(t->state),
                            sv_text(bot),
                            sv_text(fields ? fields : "{}"),
                            opt_text(t->queue),
                            opt_text(t->job_id),
                            sv_text(t->wait_stage),
                            opt_int(t->waiting_since),
                            opt_int(t->no_answer_at),
                            opt_int(t->ended_at),
                            sv_int(clock_now_ms()),
                            sv_text(t->id)};
    int err = store_exec(c->app->store,
                         "UPDATE chat_threads SET state = ?, bot_state = ?, fields = ?,"
                         " queue_id = ?, job_id = ?, wait_stage = ?, waiting_since = ?,"
                         " no_answer_at = ?, ended_at = ?, updated_at = ? WHERE id = ?",
                         v, 11, NULL);
    free(bot);
    free(fields);
    return err;
}

/* ---- participants ---- */

static int read_participant(const struct store_row *row, void *arg)
{
    struct participant *p = arg;
    copy(p->id, sizeof(p->id), store_row_text(row, 0));
    copy(p->kind, sizeof(p->kind), store_row_text(row, 1));
    copy(p->user_id, sizeof(p->user_id), store_row_text(row, 2));
    copy(p->name, sizeof(p->name), store_row_text(row, 3));
    p->present = store_row_is_null(row, 4);
    return 1;
}

int participant_get(struct chat *c, const char *thread_id, const char *id, struct participant *p)
{
    memset(p, 0, sizeof(*p));
    struct store_val v[] = {sv_text(thread_id), sv_text(id)};
    int err = store_query(c->app->store,
                          "SELECT id, kind, user_id, name, left_at FROM chat_participants"
                          " WHERE thread_id = ? AND id = ?",
                          v, 2, read_participant, p);
    if (err == 1)
        return 0;
    return err ? err : ENOENT;
}

int participant_join(struct chat *c, const char *thread_id, const struct participant *p)
{
    struct store_val v[] = {sv_text(thread_id),   sv_text(p->id),   sv_text(p->kind),
                            opt_text(p->user_id), sv_text(p->name), sv_int(clock_now_ms())};
    return store_exec(c->app->store,
                      "INSERT INTO chat_participants (thread_id, id, kind, user_id, name,"
                      " joined_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (thread_id, id) DO"
                      " UPDATE SET kind = excluded.kind, name = excluded.name,"
                      " joined_at = excluded.joined_at, left_at = NULL",
                      v, 6, NULL);
}

int participant_leave(struct chat *c, const char *thread_id, const char *id)
{
    struct store_val v[] = {sv_int(clock_now_ms()), sv_text(thread_id), sv_text(id)};
    return store_exec(c->app->store,
                      "UPDATE chat_participants SET left_at = ? WHERE thread_id = ? AND id = ?"
                      " AND left_at IS NULL",
                      v, 3, NULL);
}

int participant_read(struct chat *c, const char *thread_id, const char *id, int64_t seq)
{
    struct store_val v[] = {sv_int(seq), sv_text(thread_id), sv_text(id), sv_int(seq)};
    return store_exec(c->app->store,
                      "UPDATE chat_participants SET read_seq = ? WHERE thread_id = ? AND id = ?"
                      " AND read_seq < ?",
                      v, 4, NULL);
}

json_t *participants_staff(struct chat *c, const char *thread_id)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(thread_id)};
    if (store_query_json(c->app->store,
                         "SELECT id, kind, user_id AS userId, name FROM chat_participants"
                         " WHERE thread_id = ? AND left_at IS NULL AND kind IN ('agent', 'expert')"
                         " ORDER BY joined_at",
                         v, 1, &rows) != 0)
        return json_array();
    return rows;
}

static json_t *participants_view(struct chat *c, const char *thread_id)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(thread_id)};
    if (store_query_json(c->app->store,
                         "SELECT id, kind, user_id AS userId, name, joined_at AS joinedAt,"
                         " left_at AS leftAt, read_seq AS readSeq FROM chat_participants"
                         " WHERE thread_id = ? ORDER BY joined_at, id",
                         v, 1, &rows) != 0)
        return json_array();
    size_t i;
    json_t *p;
    json_array_foreach(rows, i, p)
    {
        const char *keys[] = {"joinedAt", "leftAt"};
        for (size_t k = 0; k < 2; k++) {
            json_t *ms = json_object_get(p, keys[k]);
            if (json_is_integer(ms))
                json_object_set_new(p, keys[k], clock_time_json(json_integer_value(ms)));
        }
        if (json_is_null(json_object_get(p, "userId")))
            json_object_del(p, "userId");
    }
    return rows;
}

json_t *thread_view(struct chat *c, const struct thread *t)
{
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:o, s:O, s:I, s:o}", "id", t->id, "widget",
                          t->widget, "state", t->state, "consumerName", t->name, "participants",
                          participants_view(c, t->id), "fields", t->fields, "lastSeq",
                          (json_int_t)t->last_seq, "createdAt", clock_time_json(t->created_at));
    const char *title = json_string_value(json_object_get(chat_widget(c, t->widget), "title"));
    json_object_set_new(v, "widgetTitle", title ? json_string(title) : json_null());
    json_object_set_new(v, "queue", t->queue[0] ? json_string(t->queue) : json_null());
    json_object_set_new(v, "jobId", t->job_id[0] ? json_string(t->job_id) : json_null());
    json_object_set_new(v, "endedAt", t->ended_at ? clock_time_json(t->ended_at) : json_null());
    if (strcmp(t->state, "waiting") == 0 && t->job_id[0]) {
        struct router *r = routing_engine(c->app);
        json_t *job = r ? router_job_get(r, t->job_id, clock_now_ms()) : NULL;
        json_t *pos = json_object_get(job, "position");
        json_t *est = json_object_get(job, "estimatedWaitSeconds");
        json_object_set_new(v, "waiting",
                            json_pack("{s:O, s:O}", "position", pos ? pos : json_null(),
                                      "estimatedWaitSeconds", est ? est : json_null()));
        json_decref(job);
    }
    if (t->wait_stage[0])
        json_object_set_new(v, "leaveMessage", json_string(t->wait_stage));
    return v;
}

/* ---- access ---- */

int thread_access(struct chat *c, const struct principal *who, const struct thread *t,
                  struct actor *a)
{
    memset(a, 0, sizeof(*a));
    if (who->kind == PRINCIPAL_CONSUMER) {
        if (strcmp(who->id, t->id) != 0)
            return 0;
        a->access = ACCESS_WRITE;
        snprintf(a->p.id, sizeof(a->p.id), "consumer");
        snprintf(a->p.kind, sizeof(a->p.kind), "consumer");
        snprintf(a->p.name, sizeof(a->p.name), "%s", t->name);
        a->p.present = true;
        return 0;
    }
    if (who->kind == PRINCIPAL_USER) {
        int err = participant_get(c, t->id, who->id, &a->p);
        if (err && err != ENOENT)
            return err;
        if (!err && a->p.present) {
            a->access = ACCESS_WRITE;
            return 0;
        }
        memset(&a->p, 0, sizeof(a->p));
    }
    if (who->role & ROLES_LEADS)
        a->access = ACCESS_READ;
    else if ((who->role & (ROLE_AGENT | ROLE_EXPERT)) && strcmp(t->state, "messageLeft") == 0)
        a->access = ACCESS_READ;
    return 0;
}

static int read_name(const struct store_row *row, void *arg)
{
    char **out = arg;
    const char *name = store_row_text(row, 0);
    snprintf(out[0], (size_t)(out[1] - out[0]), "%s", name ? name : store_row_text(row, 1));
    return 0;
}

int user_name(struct chat *c, const char *user_id, char *name, size_t size)
{
    name[0] = '\0';
    char *range[2] = {name, name + size};
    struct store_val v[] = {sv_text(user_id)};
    int err = store_query(c->app->store, "SELECT display_name, name FROM users WHERE id = ?", v, 1,
                          read_name, range);
    return err ? err : name[0] ? 0 : ENOENT;
}

void thread_changed(struct chat *c, const struct thread *t)
{
    json_t *view = thread_view(c, t);
    json_t *frame = json_pack("{s:s, s:o}", "type", "thread", "thread", view);
    char *text = json_dumps(frame, JSON_COMPACT);
    json_decref(frame);
    if (text)
        hub_queue(c->hub, t->id, 0, text);
    free(text);
}
