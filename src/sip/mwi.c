/*
 * mwi.c - message-waiting indication (RFC 3842): a phone SUBSCRIBEs to
 * "message-summary" (authenticated with digest like REGISTER) for its
 * user's personal box and gets a NOTIFY at once and whenever the box's
 * counts change (the "voicemail" events say when):
 *
 *   Messages-Waiting: yes
 *   Message-Account: sip:1001@127.0.0.1
 *   Voice-Message: 2/1 (0/0)
 *
 * (unheard/heard messages; none are urgent). libre's sipevent keeps each
 * subscription's dialog, refreshes and expiry.
 */
#include "core/app.h"
#include "core/events.h"
#include "core/log.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "sip/vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { EXPIRES_MIN = 60, EXPIRES_DFL = 3600, EXPIRES_MAX = 7200 };

struct mwi_sub {
    struct le le; /* in vmsvc.subs */
    struct sipsvc *s;
    struct sipnot * not ;
    char box[VM_BOX_SIZE];
    char account[256];
};

static void sub_destructor(void *arg)
{
    struct mwi_sub *sub = arg;
    list_unlink(&sub->le);
    mem_deref(sub->not );
}

static void notify(struct mwi_sub *sub)
{
    unsigned unread = 0, read = 0;
    if (vm_counts(sub->s->app, sub->box, &unread, &read) != 0)
        return;
    int err = sipevent_notifyf(sub->not, NULL, SIPEVENT_ACTIVE, 0, 0,
                               "Messages-Waiting: %s\r\n"
                               "Message-Account: %s\r\n"
                               "Voice-Message: %u/%u (0/0)\r\n",
                               unread ? "yes" : "no", sub->account, unread, read);
    if (err)
        log_warn("sip", "message summary not sent", "box=%s err=%d", sub->box, err);
}

static void on_event(const struct event *e, void *arg)
{
    struct sipsvc *s = arg;
    if (strcmp(e->topic, "voicemail") != 0 || !s->vm)
        return;
    const char *box = json_string_value(json_object_get(e->data, "box"));
    for (struct le *le = s->vm->subs.head; box && le; le = le->next) {
        struct mwi_sub *sub = le->data;
        if (strcmp(sub->box, box) == 0)
            notify(sub);
    }
}

static void sub_closed(int err, const struct sip_msg *msg, void *arg)
{
    struct mwi_sub *sub = arg;
    (void)err;
    (void)msg;
    mem_deref(sub);
}

int mwi_start(struct sipsvc *s)
{
    struct vmsvc *v = vmsvc_of(s);
    if (!v)
        return ENOMEM;
    if (v->evsub)
        return 0;
    return events_subscribe(s->app->events, &v->evsub, on_event, s);
}

void mwi_stop(struct sipsvc *s)
{
    list_flush(&s->vm->subs);
    s->vm->evsub = mem_deref(s->vm->evsub);
}

bool mwi_subscribe(const struct sip_msg *msg, void *arg)
{
    struct sipsvc *s = arg;
    const struct sip_hdr *hdr = sip_msg_hdr(msg, SIP_HDR_EVENT);
    struct sipevent_event se;
    if (!hdr || sipevent_event_decode(&se, &hdr->val) != 0 ||
        pl_strcasecmp(&se.event, "message-summary") != 0) {
        sip_replyf(s->sip, msg, 489, "Bad Event",
                   "Allow-Events: message-summary\r\nContent-Length: 0\r\n\r\n");
        return true;
    }
    char user_id[ID_SIZE];
    if (sipauth_check(s, msg, false, user_id, NULL) != 0)
        return true; /* challenged or refused */
    struct vm_box box;
    if (vm_box_of_user(s->app, user_id, &box) != 0) {
        sip_reply(s->sip, msg, 404, "Not Found (no voicemail box)");
        return true;
    }
    struct mwi_sub *sub = mem_zalloc(sizeof(*sub), sub_destructor);
    int err = sub ? mwi_start(s) : ENOMEM;
    if (!err) {
        sub->s = s;
        snprintf(sub->box, sizeof(sub->box), "%s", box.key);
        pl_strcpy(&msg->to.auri, sub->account, sizeof(sub->account));
        err = sipevent_accept(&sub->not, s->evsock, msg, NULL, &se, 200, "OK", EXPIRES_MIN,
                              EXPIRES_DFL, EXPIRES_MAX, "switchboard",
                              "application/simple-message-summary", NULL, NULL, false, sub_closed,
                              sub, NULL);
    }
    vm_box_clear(&box);
    if (err) {
        mem_deref(sub);
        sip_reply(s->sip, msg, 500, "Server Internal Error");
        return true;
    }
    list_append(&s->vm->subs, &sub->le, sub);
    log_info("sip", "message summary subscribed", "user=%s box=%s", user_id, sub->box);
    notify(sub);
    return true;
}
