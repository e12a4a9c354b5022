/*
 * surveys.c - post-chat and post-call surveys: one answer per chat or
 * call, stored with its queue and agent, and told as `surveyAnswered`
 * (topic "reports") in the same transaction, so the satisfaction figures
 * come from the event log like every other figure.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/ids.h"
#include "report/report_internal.h"
#include "report/service.h"
#include "routing/service.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>

enum { COMMENT_MAX = 2000 };

struct survey {
    const char *channel, *subject, *queue, *user, *worker, *comment;
    int score;
};

static int store_survey(struct app *app, const struct survey *s)
{
    char id[ID_SIZE];
    id_new(id, "srv");
    bool own;
    int err = store_begin_own(app->store, &own);
    struct store_val v[] = {sv_text(id),       sv_text(s->channel), sv_text(s->subject),
                            sv_text(s->queue), sv_text(s->user),    sv_text(s->worker),
                            sv_int(s->score),  sv_text(s->comment), sv_int(clock_now_ms())};
    if (!err)
        err =
            store_exec(app->store,
                       "INSERT INTO report_surveys (id, channel, subject, queue_id, user_id,"
                       " worker_id, score, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       v, 9, NULL);
    if (!err) {
        json_t *data =
            json_pack("{s:s, s:s, s:s, s:i, s:b}", "surveyId", id, "channel", s->channel,
                      strcmp(s->channel, "chat") == 0 ? "threadId" : "callId", s->subject, "score",
                      s->score, "hasComment", s->comment && *s->comment);
        if (s->queue)
            json_object_set_new(data, "queueId", json_string(s->queue));
        if (s->user)
            json_object_set_new(data, "userId", json_string(s->user));
        if (s->worker)
            json_object_set_new(data, "workerId", json_string(s->worker));
        err = events_append(app->events, "reports", "surveyAnswered", s->subject, NULL, data);
    }
    err = store_end_own(app->store, own, err);
    return err == EEXIST ? EALREADY : err;
}

static int first_text(const struct store_row *row, void *arg)
{
    const char *t = store_row_text(row, 0);
    snprintf(arg, ID_SIZE * 4, "%s", t ? t : "");
    return 0;
}

int report_chat_survey(struct app *app, const char *thread_id, int score, const char *comment)
{
    if (score < 1 || score > 5 || (comment && strlen(comment) > COMMENT_MAX))
        return EINVAL;
    char queue[ID_SIZE * 4] = "", user[ID_SIZE * 4] = "", found[ID_SIZE * 4] = "";
    struct store_val v[] = {sv_text(thread_id)};
    int err = store_query(app->store, "SELECT id FROM chat_threads WHERE id = ?", v, 1, first_text,
                          found);
    if (!err && !found[0])
        return ENOENT;
    if (!err)
        err = store_query(app->store, "SELECT queue_id FROM chat_threads WHERE id = ?", v, 1,
                          first_text, queue);
    /* The agent who joined last answered the consumer last. */
    if (!err)
        err = store_query(app->store,
                          "SELECT user_id FROM chat_participants WHERE thread_id = ? AND"
                          " kind = 'agent' ORDER BY joined_at DESC LIMIT 1",
                          v, 1, first_text, user);
    if (err)
        return err;
    const struct report *r = app->report;
    const char *worker = user[0] && r ? report_fold_worker_of(r->fold, user) : NULL;
    struct survey s = {"chat",  thread_id, queue[0] ? queue : NULL, user[0] ? user : NULL, worker,
                       comment, score};
    return store_survey(app, &s);
}

int report_call_survey(struct app *app, const char *call_id, int score)
{
    if (score < 1 || score > 5)
        return EINVAL;
    char found[ID_SIZE * 4] = "";
    struct store_val v[] = {sv_text(call_id)};
    int err = store_query(app->store, "SELECT id FROM calls WHERE id = ?", v, 1, first_text, found);
    if (err)
        return err;
    if (!found[0])
        return ENOENT;
    const char *queue = NULL, *worker = NULL;
    if (app->report)
        report_fold_contact(app->report->fold, call_id, &queue, &worker);
    const char *user = worker ? routing_worker_user(app, worker) : "";
    struct survey s = {"voice", call_id, queue, *user ? user : NULL, worker, NULL, score};
    return store_survey(app, &s);
}
