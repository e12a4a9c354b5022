/*
 * voicemail.c - leaving a voicemail message (docs/voice.md): the box's
 * greeting (its recorded one, its configured text or file, or "NAME is not
 * available..."), a beep, then the caller is recorded to
 * DATA/voicemail/BOX/ID.wav until they hang up, press #, fall silent (5 s
 * after speech; nobody speaking within 10 s) or reach the box's maximum.
 * Once the media engine has finished the file, the work pool checks it
 * for speech (none: no message, the file goes) and trims the trailing
 * silence; then the message is committed with its voicemailLeft event,
 * and only then is the caller told it is saved. The recordings waiting
 * for that outlive their calls (the caller usually hangs up first).
 * Also the dispatch of media events and digits to *98 (vm_menu.c).
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/workpool.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
    SILENCE_MS = 5000,     /* after speech, this much silence ends a message */
    NO_SPEECH_MS = 10000,  /* nobody speaking this long ends it too */
    KEEP_SILENCE_MS = 500, /* of trailing silence, kept */
    GREETING_MAX_S = 60,
};

enum leave_step { LEAVE_GREETING = 1, LEAVE_BEEP, LEAVE_RECORDING, LEAVE_SAVING, LEAVE_DONE };

/* A recording waiting for its file, its check and its commit. */
struct vm_rec {
    struct le le; /* in vmsvc.recs */
    struct sipsvc *s;
    struct vm_box box;
    uint32_t op;
    bool greeting;  /* the box's greeting (*98, 9), not a message */
    bool no_speech; /* silence detection heard nobody */
    bool gone;      /* the service stopped meanwhile */
    char id[ID_SIZE];
    char call_id[ID_SIZE];
    char caller[128];
    char path[1200];
    int64_t created_at;
    uint32_t duration_ms;
    int err; /* of the check, on the work pool */
};

static void vmsvc_destructor(void *arg)
{
    struct vmsvc *v = arg;
    list_flush(&v->recs);
}

struct vmsvc *vmsvc_of(struct sipsvc *s)
{
    if (!s->vm) {
        s->vm = mem_zalloc(sizeof(*s->vm), vmsvc_destructor);
        if (s->vm) {
            list_init(&s->vm->recs);
            list_init(&s->vm->subs);
        }
    }
    return s->vm;
}

void voicemail_stop(struct sipsvc *s)
{
    if (!s->vm)
        return;
    mwi_stop(s);
    for (struct le *le = s->vm->recs.head; le; le = le->next)
        ((struct vm_rec *)le->data)->gone = true;
    s->vm = mem_deref(s->vm);
}

static void vm_call_destructor(void *arg)
{
    struct vm_call *vm = arg;
    tmr_cancel(&vm->tmr);
    vm_box_clear(&vm->box);
    json_decref(vm->messages);
}

struct vm_call *vm_call_of(struct call *c)
{
    if (!c->vm) {
        c->vm = mem_zalloc(sizeof(*c->vm), vm_call_destructor);
        if (c->vm) {
            c->vm->c = c;
            tmr_init(&c->vm->tmr);
        }
    }
    return c->vm;
}

int vm_say(struct call *c, const char *text, uint32_t op)
{
    return app_speak(c, text, op);
}

static void hang_up(struct call *c)
{
    call_finish(c, "system", "application done");
    mem_deref(c); /* the session's BYE */
}

void vm_goodbye(struct call *c, const char *text)
{
    struct vm_call *vm = vm_call_of(c);
    if (vm) {
        vm->step = LEAVE_DONE;
        vm->collecting = false;
        tmr_cancel(&vm->tmr);
    }
    if (!vm || vm_say(c, text, VM_OP_BYE) != 0)
        hang_up(c);
}

/* ---- recordings ---- */

static void rec_destructor(void *arg)
{
    struct vm_rec *r = arg;
    list_unlink(&r->le);
    vm_box_clear(&r->box);
}

static struct vm_rec *rec_find(struct sipsvc *s, uint32_t op)
{
    for (struct le *le = s->vm ? s->vm->recs.head : NULL; le; le = le->next) {
        struct vm_rec *r = le->data;
        if (r->op == op)
            return r;
    }
    return NULL;
}

static void on_max_length(void *arg)
{
    struct call *c = arg;
    if (!c->ended)
        vm_record_stop(c);
}

static int record(struct call *c)
{
    struct vm_call *vm = c->vm;
    struct vmsvc *v = vmsvc_of(c->s);
    struct vm_rec *r = v ? mem_zalloc(sizeof(*r), rec_destructor) : NULL;
    if (!r)
        return ENOMEM;
    r->s = c->s;
    r->greeting = c->app == APP_VM_MENU;
    r->box = vm->box;
    r->box.spec = json_incref(vm->box.spec);
    r->created_at = clock_now_ms();
    snprintf(r->call_id, sizeof(r->call_id), "%s", c->id);
    party_user(c->a, r->caller, sizeof(r->caller));
    id_new(r->id, "vm");
    char name[64];
    snprintf(name, sizeof(name), "%s.wav", r->greeting ? "greeting.new" : r->id);
    int err = vm_file_path(c->s->app, r->box.key, name, r->path, sizeof(r->path));
    r->op = ++c->s->record_ops;
    if (!err)
        err = media_record_start(c->s->media, c->leg, r->path, r->op);
    if (err) {
        log_error("sip", "voicemail not recorded", "call=%s box=%s err=%d", c->id, r->box.key, err);
        mem_deref(r);
        return err;
    }
    list_append(&v->recs, &r->le, r);
    vm->rec_op = r->op;
    media_silence_detect(c->s->media, c->leg, 0, SILENCE_MS, NO_SPEECH_MS, VM_OP_SILENCE);
    unsigned max_s = r->greeting ? GREETING_MAX_S : r->box.max_seconds;
    tmr_start(&vm->tmr, (uint64_t)max_s * 1000, on_max_length, c);
    log_info("sip", "voicemail recording", "call=%s box=%s file=%s", c->id, r->box.key, r->path);
    return 0;
}

int vm_beep_record(struct call *c)
{
    struct vm_call *vm = vm_call_of(c);
    if (!vm)
        return ENOMEM;
    vm->step = LEAVE_BEEP;
    return media_tone(c->s->media, c->leg, "beep", VM_OP_BEEP);
}

void vm_record_stop(struct call *c)
{
    struct vm_call *vm = c->vm;
    if (!vm || !vm->rec_op)
        return;
    tmr_cancel(&vm->tmr);
    if (c->app == APP_VOICEMAIL)
        vm->step = LEAVE_SAVING;
    media_silence_stop(c->s->media, c->leg);
    media_record_stop(c->s->media, c->leg);
}

struct call *vm_call_find(struct sipsvc *s, const char *id)
{
    for (struct le *le = s->calls.head; le; le = le->next) {
        struct call *c = le->data;
        if (!c->ended && strcmp(c->id, id) == 0)
            return c;
    }
    return NULL;
}

/* Committed (or dropped): the caller, if still there, hears how it went. */
static void rec_finished(struct vm_rec *r, int err)
{
    struct call *c = r->gone ? NULL : vm_call_find(r->s, r->call_id);
    bool ours = c && c->vm && c->vm->rec_op == r->op;
    bool greeting = r->greeting;
    if (ours)
        c->vm->rec_op = 0;
    mem_deref(r);
    if (!ours)
        return;
    if (greeting)
        vm_menu_recorded(c, err);
    else
        vm_goodbye(c, err ? "No message was recorded. Goodbye."
                          : "Your message has been saved. Goodbye.");
}

static void commit(struct vm_rec *r)
{
    struct app *app = r->s->app;
    int err = r->err;
    if (!err && r->greeting) {
        char path[1200];
        err = vm_file_path(app, r->box.key, "greeting.wav", path, sizeof(path));
        if (!err && rename(r->path, path) != 0)
            err = errno;
    } else if (!err) {
        struct vm_new m = {.id = r->id,
                           .caller = r->caller,
                           .call_id = r->call_id,
                           .created_at = r->created_at,
                           .duration_ms = r->duration_ms};
        err = vm_message_add(app, &r->box, &m);
        if (err)
            log_error("sip", "voicemail not stored", "box=%s err=%d", r->box.key, err);
        else
            log_info("sip", "voicemail left", "box=%s message=%s ms=%u", r->box.key, r->id,
                     r->duration_ms);
    }
    if (err) {
        log_info("sip", "voicemail dropped", "call=%s box=%s why=\"%s\"", r->call_id, r->box.key,
                 err == ENODATA ? "nothing said" : strerror(err));
        unlink(r->path);
    }
    rec_finished(r, err);
}

static void check_work(void *arg)
{
    struct vm_rec *r = arg;
    r->err = vm_audio_check(r->path, KEEP_SILENCE_MS, &r->duration_ms);
}

static void check_done(int err, void *arg)
{
    struct vm_rec *r = arg;
    if (err || r->gone) {
        mem_deref(r); /* the work's reference; the service is stopping */
        return;
    }
    mem_deref(r); /* the list still holds it */
    commit(r);
}

bool voicemail_record_done(struct sipsvc *s, const struct media_event *ev)
{
    struct vm_rec *r = rec_find(s, ev->op_id);
    if (!r)
        return false;
    log_info("sip", "voicemail recorded", "box=%s ms=%u reason=%s", r->box.key, ev->duration_ms,
             ev->reason);
    r->err = strcmp(ev->reason, "error") == 0 ? EIO : r->no_speech ? ENODATA : 0;
    if (r->err || workpool_submit(s->app->pool, check_work, check_done, mem_ref(r)) != 0) {
        if (!r->err) {
            mem_deref(r); /* the work's reference, not taken */
            r->err = EAGAIN;
        }
        commit(r);
    }
    return true;
}

/* ---- leaving a message ---- */

static int greeting(struct call *c)
{
    struct vm_call *vm = c->vm;
    char path[1200];
    const json_t *g = json_object_get(vm->box.spec, "greeting");
    const char *text = json_string_value(json_object_get(g, "text"));
    const char *file = json_string_value(json_object_get(g, "file"));
    vm->step = LEAVE_GREETING;
    if (vm_file_path(c->s->app, vm->box.key, "greeting.wav", path, sizeof(path)) == 0 &&
        access(path, R_OK) == 0)
        file = path;
    if (file)
        return media_play(c->s->media, c->leg, file, false, VM_OP_GREETING);
    char dflt[300];
    snprintf(dflt, sizeof(dflt), "%s is not available. Please leave a message after the tone.",
             vm->box.name);
    return vm_say(c, text ? text : dflt, VM_OP_GREETING);
}

int voicemail_start(struct call *c)
{
    struct vm_call *vm = vm_call_of(c);
    if (!vm)
        return ENOMEM;
    const char *box = json_string_value(json_object_get(c->target, "box"));
    const char *user = json_string_value(json_object_get(c->target, "user"));
    int err = c->vm_box[0] ? vm_box_find(c->s->app, c->vm_box, &vm->box)
              : box        ? vm_box_find(c->s->app, box, &vm->box)
                           : vm_box_of_user(c->s->app, user, &vm->box);
    if (err) {
        log_warn("sip", "no such voicemail box", "call=%s box=%s", c->id,
                 c->vm_box[0] ? c->vm_box
                 : box        ? box
                 : user       ? user
                              : "");
        vm_goodbye(c, "Sorry, this mailbox is not available. Goodbye.");
        return 0;
    }
    unsigned unread = 0, read = 0;
    err = vm_counts(c->s->app, vm->box.key, &unread, &read);
    if (err)
        return err;
    if (unread + read >= vm->box.max_messages) {
        log_info("sip", "voicemail box full", "call=%s box=%s", c->id, vm->box.key);
        vm_goodbye(c, "Sorry, this mailbox is full. Goodbye.");
        return 0;
    }
    return greeting(c);
}

static void leave_event(struct call *c, const struct media_event *ev)
{
    struct vm_call *vm = c->vm;
    bool played = ev->type == MEDIA_EV_PLAY_DONE && strcmp(ev->reason, "stopped") != 0;
    if (played && ev->op_id == VM_OP_GREETING && vm->step == LEAVE_GREETING &&
        vm_beep_record(c) != 0)
        vm_goodbye(c, "Sorry, no message can be left now. Goodbye.");
}

void voicemail_media_event(struct call *c, const struct media_event *ev)
{
    struct vm_call *vm = c->vm;
    if (!vm)
        return;
    if (ev->type == MEDIA_EV_DTMF) {
        voicemail_digit(c, ev->digit);
    } else if (ev->type == MEDIA_EV_SILENCE && ev->op_id == VM_OP_SILENCE) {
        struct vm_rec *r = rec_find(c->s, vm->rec_op);
        if (r && strcmp(ev->reason, "timeout") == 0)
            r->no_speech = true;
        if (strcmp(ev->reason, "stopped") != 0)
            vm_record_stop(c);
    } else if (ev->type == MEDIA_EV_PLAY_DONE && ev->op_id == VM_OP_BYE) {
        hang_up(c);
    } else if (ev->type == MEDIA_EV_PLAY_DONE && ev->op_id == VM_OP_BEEP &&
               vm->step == LEAVE_BEEP) {
        if (record(c) != 0)
            vm_goodbye(c, "Sorry, no message can be left now. Goodbye.");
    } else if (c->app == APP_VM_MENU) {
        vm_menu_event(c, ev);
    } else {
        leave_event(c, ev);
    }
}

void voicemail_digit(struct call *c, char digit)
{
    struct vm_call *vm = c->vm;
    if (c->ended || !vm)
        return;
    if (vm->rec_op && vm->step != LEAVE_SAVING) {
        if (digit == '#')
            vm_record_stop(c);
        return;
    }
    if (c->app == APP_VM_MENU) {
        vm_menu_digit(c, digit);
        return;
    }
    /* A key during the greeting skips it, also one still being spoken by
     * flite: it must not start over the beep and the message. */
    if (vm->step == LEAVE_GREETING) {
        app_barge(c);
        if (vm_beep_record(c) != 0)
            vm_goodbye(c, "Sorry, no message can be left now. Goodbye.");
    }
}
