/*
 * vm_menu.c - *98, voicemail by phone (docs/voice.md): the mailbox number
 * then # (# alone: the caller's own box), the box's PIN then # (checked
 * on the work pool against its argon2id hash; three wrong PINs hang up),
 * how many messages there are, then each message, unheard first, with
 * 1 replay, 2 next (kept), 3 delete, 4 save, 9 record the box's greeting
 * (after the beep, # ends), * goodbye. A key stops the prompt or message
 * playing. A shared box opens only for its members (and leads).
 */
#include "auth/password.h"
#include "core/app.h"
#include "core/log.h"
#include "core/workpool.h"
#include "media/media.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/vm_internal.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_ATTEMPTS = 3,
    DIGITS_WAIT_MS = 10000,
    CHOICE_WAIT_MS = 20000,
    LIST_MAX = 200,
};

/* Steps (voicemail.c's leaving steps are below 10). */
enum menu_step {
    MENU_BOX = 10, /* asking for the box number */
    MENU_PIN,      /* asking for the PIN */
    MENU_CHECKING, /* the PIN is being checked */
    MENU_HEADER,   /* "Message 2." (or the count before the first) */
    MENU_PLAYING,  /* the message itself */
    MENU_OPTIONS,  /* what to do with it */
    MENU_END,      /* no more messages: 9 or * (1, 2 start again) */
    MENU_GREETING, /* "record your greeting after the tone" */
};

/* Which prompt finished: the op's offset from VM_OP_MENU. */
enum { OP_ASK = VM_OP_MENU, OP_HEADER, OP_MESSAGE, OP_OPTIONS, OP_END, OP_GREETING };

static const char ask_box[] = "Please enter the mailbox number, then the pound key. "
                              "For your own mailbox, just press pound.";
static const char ask_pin[] = "Please enter your PIN, then the pound key.";
static const char options[] = "Press 1 to replay, 2 for the next message, 3 to delete, 4 to "
                              "save, 9 to record your greeting, or star to exit.";
static const char end_options[] = "Press 1 to hear your messages again, 9 to record your "
                                  "greeting, or star to exit.";

static void say(struct call *c, const char *text, uint32_t op)
{
    if (vm_say(c, text, op) != 0)
        vm_goodbye(c, "Goodbye.");
}

static void on_wait(void *arg)
{
    struct call *c = arg;
    if (!c->ended)
        vm_goodbye(c, "Goodbye.");
}

static void wait_for(struct call *c, unsigned ms)
{
    tmr_start(&c->vm->tmr, ms, on_wait, c);
}

static void ask(struct call *c, enum menu_step step, const char *before)
{
    struct vm_call *vm = c->vm;
    char text[300];
    snprintf(text, sizeof(text), "%s%s", before, step == MENU_BOX ? ask_box : ask_pin);
    vm->step = step;
    vm->collecting = true;
    vm->ndigits = 0;
    wait_for(c, DIGITS_WAIT_MS * 2);
    say(c, text, OP_ASK);
}

/* ---- the messages ---- */

static size_t count(const struct vm_call *vm)
{
    return json_array_size(vm->messages);
}

static const char *message_id(const struct vm_call *vm)
{
    return json_string_value(json_object_get(json_array_get(vm->messages, vm->index), "id"));
}

/* "Message 2." before it plays, after what was said of the last one. */
static void announce(struct call *c, const char *before)
{
    struct vm_call *vm = c->vm;
    char text[400];
    tmr_cancel(&vm->tmr);
    if (vm->index >= count(vm)) {
        snprintf(text, sizeof(text), "%s%s%s", before, count(vm) ? "No more messages. " : "",
                 end_options);
        vm->step = MENU_END;
        wait_for(c, CHOICE_WAIT_MS);
        say(c, text, OP_END);
        return;
    }
    snprintf(text, sizeof(text), "%sMessage %zu.", before, vm->index + 1);
    vm->step = MENU_HEADER;
    say(c, text, OP_HEADER);
}

static void play(struct call *c)
{
    struct vm_call *vm = c->vm;
    char path[1200];
    json_t *m = json_array_get(vm->messages, vm->index);
    vm->step = MENU_PLAYING;
    if (vm_message_path(c->s->app, m, path, sizeof(path)) != 0 ||
        media_play(c->s->media, c->leg, path, false, OP_MESSAGE) != 0)
        announce(c, "That message cannot be played. ");
}

static int load(struct call *c)
{
    struct vm_call *vm = c->vm;
    json_decref(vm->messages);
    vm->messages = NULL;
    vm->index = 0;
    return vm_message_list(c->s->app, vm->box.key, true, LIST_MAX, &vm->messages);
}

static void opened(struct call *c)
{
    struct vm_call *vm = c->vm;
    if (load(c) != 0) {
        vm_goodbye(c, "Sorry, your messages cannot be read now. Goodbye.");
        return;
    }
    unsigned unread = 0, read = 0;
    size_t i;
    json_t *m;
    json_array_foreach(vm->messages, i, m)
    {
        if (json_is_true(json_object_get(m, "read")))
            read++;
        else
            unread++;
    }
    char text[200] = "You have no messages. ";
    if (unread + read)
        snprintf(text, sizeof(text), "You have %u new message%s and %u old message%s. ", unread,
                 unread == 1 ? "" : "s", read, read == 1 ? "" : "s");
    log_info("sip", "voicemail opened", "call=%s box=%s new=%u old=%u", c->id, vm->box.key, unread,
             read);
    announce(c, text);
}

/* 1-4, 9, * while a message is announced, plays or waits. */
static void choose(struct call *c, char digit)
{
    struct vm_call *vm = c->vm;
    const char *id = message_id(vm);
    const char *actor = c->user_id[0] ? c->user_id : NULL;
    if (!strchr("12349*", digit) || (vm->step == MENU_END && strchr("34", digit)))
        return;
    app_barge(c); /* what plays, or is being spoken, stops first */
    if (digit == '*') {
        vm_goodbye(c, "Goodbye.");
    } else if (digit == '9') {
        vm->step = MENU_GREETING;
        tmr_cancel(&vm->tmr);
        say(c, "Record your greeting after the tone, then press the pound key.", OP_GREETING);
    } else if (vm->step == MENU_END && (digit == '1' || digit == '2')) {
        if (load(c) == 0)
            announce(c, "");
    } else if (digit == '1') {
        announce(c, "");
    } else if (digit == '2') {
        if (id)
            vm_message_mark(c->s->app, id, false, actor);
        vm->index++;
        announce(c, "");
    } else if (digit == '3') {
        int err = id ? vm_message_delete(c->s->app, id, actor) : ENOENT;
        vm->index++;
        announce(c, err ? "That message could not be deleted. " : "Message deleted. ");
    } else if (digit == '4') {
        int err = id ? vm_message_mark(c->s->app, id, true, actor) : ENOENT;
        vm->index++;
        announce(c, err ? "That message could not be saved. " : "Message saved. ");
    }
}

void vm_menu_recorded(struct call *c, int err)
{
    c->vm->index = count(c->vm); /* back to the end: 1 starts again */
    announce(c, err ? "No greeting was recorded. " : "Your greeting has been saved. ");
}

/* ---- the box and its PIN ---- */

struct pin_check {
    struct call *c; /* a reference until the check is done */
    char *hash;
    char pin[VM_PIN_MAX + 1];
    bool ok;
};

static void pin_check_destructor(void *arg)
{
    struct pin_check *pc = arg;
    free(pc->hash);
    mem_deref(pc->c);
}

static void pin_work(void *arg)
{
    struct pin_check *pc = arg;
    pc->ok = password_verify(pc->hash, pc->pin);
}

static void pin_done(int err, void *arg)
{
    struct pin_check *pc = arg;
    struct call *c = pc->c;
    if (!err && !c->ended && c->vm && c->vm->step == MENU_CHECKING) {
        if (pc->ok) {
            c->vm->attempts = 0;
            opened(c);
        } else if (++c->vm->attempts >= MAX_ATTEMPTS) {
            log_warn("sip", "voicemail PIN refused", "call=%s box=%s attempts=%u", c->id,
                     c->vm->box.key, c->vm->attempts);
            vm_goodbye(c, "That PIN is not right. Goodbye.");
        } else {
            log_info("sip", "voicemail PIN wrong", "call=%s box=%s attempts=%u", c->id,
                     c->vm->box.key, c->vm->attempts);
            ask(c, MENU_PIN, "That PIN is not right. ");
        }
    }
    mem_deref(pc);
}

static void check_pin(struct call *c, const char *pin)
{
    struct vm_call *vm = c->vm;
    struct pin_check *pc = mem_zalloc(sizeof(*pc), pin_check_destructor);
    if (!pc) {
        vm_goodbye(c, "Goodbye.");
        return;
    }
    pc->c = mem_ref(c);
    pc->hash = vm_box_pin_hash(c->s->app, &vm->box);
    snprintf(pc->pin, sizeof(pc->pin), "%.12s", pin);
    if (!pc->hash) {
        mem_deref(pc);
        vm_goodbye(c, "This mailbox has no PIN yet: set one in Switchboard first. Goodbye.");
        return;
    }
    vm->step = MENU_CHECKING;
    tmr_cancel(&vm->tmr);
    if (workpool_submit(c->s->app->pool, pin_work, pin_done, pc) != 0) {
        mem_deref(pc);
        vm_goodbye(c, "Goodbye.");
    }
}

/* The caller as a principal: may they open the box? */
static bool may_open(struct call *c, const struct vm_box *box)
{
    struct principal who = {.kind = PRINCIPAL_USER};
    json_t *row = NULL;
    struct store_val v[] = {sv_text(c->user_id)};
    if (store_query_one(c->s->app->store, "SELECT name, role FROM users WHERE id = ?", v, 1,
                        &row) != 0)
        return false;
    snprintf(who.id, sizeof(who.id), "%s", c->user_id);
    snprintf(who.name, sizeof(who.name), "%s", json_string_value(json_object_get(row, "name")));
    who.role = role_parse(json_string_value(json_object_get(row, "role")));
    json_decref(row);
    /* Anyone may try another person's box with its PIN, as on any phone
     * system; a shared box is for its members. */
    return box->personal || vm_box_readable(c->s->app, box, &who);
}

static void box_entered(struct call *c, const char *digits)
{
    struct vm_call *vm = c->vm;
    vm_box_clear(&vm->box);
    int err = digits[0] ? vm_box_by_number(c->s->app, digits, &vm->box)
                        : vm_box_of_user(c->s->app, c->user_id, &vm->box);
    if (!err && !may_open(c, &vm->box))
        err = EPERM;
    if (!err) {
        vm->attempts = 0;
        ask(c, MENU_PIN, "");
    } else if (++vm->attempts >= MAX_ATTEMPTS) {
        vm_goodbye(c, "Goodbye.");
    } else {
        ask(c, MENU_BOX,
            err == EPERM ? "You may not open that mailbox. " : "There is no such mailbox. ");
    }
}

static void collected(struct call *c)
{
    struct vm_call *vm = c->vm;
    vm->collecting = false;
    vm->digits[vm->ndigits] = '\0';
    if (vm->step == MENU_BOX)
        box_entered(c, vm->digits);
    else if (!vm_pin_valid(vm->digits) && ++vm->attempts >= MAX_ATTEMPTS)
        vm_goodbye(c, "That PIN is not right. Goodbye.");
    else if (!vm_pin_valid(vm->digits))
        ask(c, MENU_PIN, "That PIN is not right. ");
    else
        check_pin(c, vm->digits);
}

int vm_menu_start(struct call *c)
{
    struct vm_call *vm = vm_call_of(c);
    if (!vm)
        return ENOMEM;
    ask(c, MENU_BOX, "");
    return 0;
}

void vm_menu_digit(struct call *c, char digit)
{
    struct vm_call *vm = c->vm;
    if (vm->collecting) {
        app_barge(c); /* barge-in, also of a prompt still being spoken */
        if (digit == '#') {
            collected(c);
            return;
        }
        if (vm->ndigits < sizeof(vm->digits) - 1)
            vm->digits[vm->ndigits++] = digit;
        wait_for(c, DIGITS_WAIT_MS);
        return;
    }
    if (vm->step >= MENU_HEADER && vm->step <= MENU_END)
        choose(c, digit);
}

void vm_menu_event(struct call *c, const struct media_event *ev)
{
    struct vm_call *vm = c->vm;
    if (ev->type != MEDIA_EV_PLAY_DONE || strcmp(ev->reason, "stopped") == 0)
        return;
    if (ev->op_id == OP_HEADER && vm->step == MENU_HEADER) {
        play(c);
    } else if (ev->op_id == OP_MESSAGE && vm->step == MENU_PLAYING) {
        const char *id = message_id(vm);
        if (id)
            vm_message_mark(c->s->app, id, false, c->user_id[0] ? c->user_id : NULL);
        vm->step = MENU_OPTIONS;
        wait_for(c, CHOICE_WAIT_MS);
        say(c, options, OP_OPTIONS);
    } else if (ev->op_id == OP_GREETING && vm->step == MENU_GREETING) {
        if (vm_beep_record(c) != 0)
            vm_menu_recorded(c, EIO);
    }
}
