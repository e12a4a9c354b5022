/*
 * recording.c - recording a call going on: on demand through the API
 * (/v1/calls/{id}/recording), for every call of a call queue that says
 * `recording: always`, or by the agent pressing *1 on their phone during
 * a bridged call (RFC 4733 or SIP INFO digits from their own leg, which
 * never reach the caller). The caller's side of the call is recorded, in
 * stereo once it is bridged (left: that side, right: what it hears), to
 * DATA/recordings/ID.wav by the media engine's writer thread; each
 * recording's row says what it is of (recordings.c).
 *
 * By phone the agent hears a word aside ("Recording.", "Recording
 * stopped."), and a call queue's recordingAnnouncement is played to both
 * sides before a recording starts; the bridge is undone while they play
 * and made again after.
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip.h"
#include "sip/sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum {
    OP_ASIDE = 60,  /* op ids 60-69 are recording's */
    STAR_MS = 3000, /* *1: the 1 within this long of the * */
};

static struct call *live_call(struct sipsvc *s, const char *call_id)
{
    for (struct le *le = s ? s->calls.head : NULL; le; le = le->next) {
        struct call *x = le->data;
        if (!x->ended && strcmp(x->id, call_id) == 0)
            return x;
    }
    return NULL;
}

/* The call queue of a call taken from one (or a callback of one). */
static const char *queue_of(const struct call *c)
{
    if (c->app != APP_QUEUE && c->app != APP_CALLBACK)
        return NULL;
    return json_string_value(json_object_get(c->queue, "id"));
}

/* The agent's side of the call: the callback's agent, the person
 * answering, or a person who called out. */
static struct party *agent_of(struct call *c)
{
    if (c->app == APP_CALLBACK)
        return c->a;
    if (c->b && c->b->user_id[0])
        return c->b;
    if (c->a && c->a->user_id[0])
        return c->a;
    return NULL;
}

static int start(struct call *c, const char *by, const char *user_id)
{
    struct sipsvc *s = c->s;
    if (!queue_recording_allowed(c))
        return EPERM;
    char dir[1024], path[1100], id[REC_ID_SIZE];
    snprintf(dir, sizeof(dir), "%s/recordings", s->app->data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return errno;
    int err = recordings_next_id(s->app, c->id, id);
    if (!err)
        err = sipsvc_recording_path(s->app, id, path, sizeof(path));
    uint32_t op = ++s->record_ops;
    if (!err)
        err = media_record_start(s->media, c->leg, path, op);
    if (err)
        return err;
    char key[16];
    snprintf(key, sizeof(key), "%u", op);
    json_object_set_new(s->recordings, key, json_pack("{s:s, s:s}", "id", id, "callId", c->id));
    snprintf(c->rec_id, sizeof(c->rec_id), "%s", id);
    c->rec_leg = c->leg;
    struct party *agent = agent_of(c);
    struct party *other = agent == c->a ? c->b : c->a;
    char caller[128] = "";
    party_user(other, caller, sizeof(caller));
    struct recording_meta m = {
        .id = id,
        .call_id = c->id,
        .started_at = clock_now_ms(),
        .channels = c->b ? 2 : 1, /* the media engine records both sides once bridged */
        .left = agent && agent == c->a ? "agent" : "caller",
        .right = c->b ? (agent == c->b ? "agent" : "caller") : NULL,
        .queue = queue_of(c),
        .agent_id = agent ? agent->user_id : NULL,
        .caller = caller[0] ? caller : NULL,
        .started_by = by,
        .by_user = user_id,
    };
    log_info("sip", "recording", "call=%s recording=%s by=%s file=%s", c->id, id, by, path);
    return recordings_insert(s->app, &m, NULL);
}

static int stop(struct call *c)
{
    c->rec_id[0] = '\0';
    return media_record_stop(c->s->media, c->rec_leg);
}

int sipsvc_record(struct app *app, const char *call_id, bool on, const char *by,
                  const char *user_id)
{
    struct call *c = live_call(app->sip, call_id);
    if (!c || !c->leg)
        return ENOENT;
    return on ? start(c, by, user_id) : stop(c);
}

void recording_done(struct sipsvc *s, const struct media_event *ev)
{
    char key[16];
    snprintf(key, sizeof(key), "%u", ev->op_id);
    const json_t *r = json_object_get(s->recordings, key);
    const char *id = json_string_value(json_object_get(r, "id"));
    const char *call_id = json_string_value(json_object_get(r, "callId"));
    if (!id || !call_id)
        return;
    struct call *c = live_call(s, call_id);
    if (c && strcmp(c->rec_id, id) == 0)
        c->rec_id[0] = '\0';
    log_info("sip", "recording done", "call=%s recording=%s ms=%u reason=%s", call_id, id,
             ev->duration_ms, ev->reason);
    if (recordings_finish(s->app, id, call_id, strcmp(ev->reason, "error") != 0, ev->duration_ms,
                          ev->reason, ev->channels) != 0)
        log_error("sip", "recording state not stored", "call=%s recording=%s", call_id, id);
    json_object_del(s->recordings, key);
}

/* ---- *1 by phone ---- */

static uint32_t leg_of(const struct call *c, const struct party *p)
{
    return p == c->a ? c->leg : c->leg_b;
}

/* The bridge is back once the aside has played; then the recording
 * starts, if that is what it announced. */
static void aside_done(struct call *c)
{
    bool record = c->aside_record;
    c->aside_leg = 0;
    c->aside_record = false;
    if (!c->b || c->ended)
        return;
    int err = media_bridge(c->s->media, c->leg, c->leg_b);
    if (!err && record)
        err = start(c, "phone", c->aside_by);
    if (err)
        log_warn("sip", "recording by phone", "call=%s err=%d", c->id, err);
}

/* Play something aside (the bridge undone meanwhile): `audio` ({text} or
 * {file}) or `text` to the agent's leg, and with also_other to the other
 * side too; wait for `wait_leg` to finish it. */
static void aside(struct call *c, struct party *agent, const json_t *audio, const char *text,
                  bool also_other, bool record)
{
    struct party *other = agent == c->a ? c->b : c->a;
    uint32_t agent_leg = leg_of(c, agent), other_leg = leg_of(c, other);
    c->aside_leg = also_other ? other_leg : agent_leg;
    c->aside_record = record;
    snprintf(c->aside_by, sizeof(c->aside_by), "%s", agent->user_id);
    int err = app_play_on(c, c->aside_leg, audio, text, OP_ASIDE);
    if (!err && also_other)
        err = app_play_on(c, agent_leg, audio, text, OP_ASIDE);
    if (err) {
        log_warn("sip", "recording notice not played", "call=%s err=%d", c->id, err);
        aside_done(c);
    }
}

static void toggle(struct call *c, struct party *p)
{
    if (c->aside_leg) {
        /* A key while something plays aside cuts it short; during the
         * notice before a recording, it is the recording called off. */
        bool pending = c->aside_record;
        c->aside_record = false;
        aside_done(c);
        if (pending) {
            log_info("sip", "recording called off", "call=%s user=%s", c->id, p->user_id);
            return;
        }
    }
    const char *mode = json_string_value(json_object_get(c->queue, "recording"));
    bool queued = queue_of(c) != NULL;
    log_info("sip", "recording key", "call=%s user=%s recording=%s", c->id, p->user_id,
             c->rec_id[0] ? "yes" : "no");
    if (c->rec_id[0] && queued && mode && strcmp(mode, "always") == 0) {
        aside(c, p, NULL, "This call is always recorded.", false, false);
    } else if (c->rec_id[0]) {
        if (stop(c) != 0)
            log_warn("sip", "recording not stopped", "call=%s", c->id);
        aside(c, p, NULL, "Recording stopped.", false, false);
    } else if (!queue_recording_allowed(c)) {
        aside(c, p, NULL, "This call cannot be recorded.", false, false);
    } else {
        const json_t *notice = queued ? json_object_get(c->queue, "recordingAnnouncement") : NULL;
        if (notice)
            aside(c, p, notice, NULL, true, true);
        else
            aside(c, p, NULL, "Recording.", false, true);
    }
}

bool recording_digit(struct party *p, char digit)
{
    struct call *c = p->c;
    if (c->ended || !c->b || (p != c->a && p != c->b) || !p->user_id[0] || p->leaving)
        return false; /* only a person of ours talking to someone */
    uint64_t now = tmr_jiffies();
    if (digit == '*') {
        p->star_at = now;
        return true;
    }
    bool code = digit == '1' && p->star_at && now - p->star_at <= STAR_MS;
    p->star_at = 0;
    if (code)
        toggle(c, p);
    return code;
}

bool recording_media_event(struct call *c, const struct media_event *ev)
{
    if (ev->type == MEDIA_EV_DTMF) {
        struct party *p = ev->leg == c->leg ? c->a : ev->leg == c->leg_b ? c->b : NULL;
        return p && recording_digit(p, ev->digit);
    }
    if (ev->type != MEDIA_EV_PLAY_DONE || ev->op_id != OP_ASIDE)
        return false;
    if (strcmp(ev->reason, "stopped") == 0)
        return true; /* the bridge (or something else) took the leg back */
    if (c->aside_leg && ev->leg == c->aside_leg)
        aside_done(c);
    else if (!c->aside_leg && c->b && !c->ended)
        media_bridge(c->s->media, c->leg, c->leg_b); /* a prompt of an aside cut short came late */
    return true;
}
