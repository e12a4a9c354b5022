/*
 * registrar.c - REGISTER: digest authentication against the user's SIP
 * secret, several contacts per user, expiry, removal, and the stored
 * registrations with their events (docs/voice.md).
 */
#include "core/app.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/settings.h"
#include "sip/sip_internal.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct target {
    char id[ID_SIZE];
    char name[72];
    char extension[16];
};

static int read_target(const struct store_row *row, void *arg)
{
    struct target *t = arg;
    snprintf(t->id, sizeof(t->id), "%s", store_row_text(row, 0));
    snprintf(t->name, sizeof(t->name), "%s", store_row_text(row, 1));
    const char *ext = store_row_text(row, 2);
    snprintf(t->extension, sizeof(t->extension), "%s", ext ? ext : "");
    return 1;
}

/* The enabled user an address-of-record user part names (extension or
 * login name). */
static int find_target(struct sipsvc *s, const struct pl *user, struct target *t)
{
    char u[72];
    if (!pl_isset(user) || user->l >= sizeof(u))
        return ENOENT;
    pl_strcpy(user, u, sizeof(u));
    struct store_val v[] = {sv_text(u), sv_text(u)};
    int err = store_query(s->app->store,
                          "SELECT id, name, extension FROM users WHERE (extension = ? OR name = ?)"
                          " AND disabled = 0",
                          v, 2, read_target, t);
    return err == 1 ? 0 : err ? err : ENOENT;
}

/* ---- stored registrations ---- */

static json_t *event_data(const struct target *t, const char *contact, const char *source)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "userId", t->id, "user", t->name, "extension",
                     t->extension, "contact", contact, "source", source);
}

static int add_contact(struct sipsvc *s, const struct sip_msg *msg, const struct target *t,
                       const char *contact, uint32_t expires, bool *over)
{
    struct store *st = s->app->store;
    int64_t now = clock_now_ms();
    char source[80], ua[128] = "", callid[128];
    re_snprintf(source, sizeof(source), "%s:%J", sip_transp_name(msg->tp), &msg->src);
    const struct sip_hdr *uah = sip_msg_hdr(msg, SIP_HDR_USER_AGENT);
    if (uah)
        pl_strcpy(&uah->val, ua, sizeof(ua));
    pl_strcpy(&msg->callid, callid, sizeof(callid));
    json_t *row = NULL;
    struct store_val k[] = {sv_text(t->id), sv_text(contact)};
    int err = store_query_one(
        st, "SELECT id FROM sip_registrations WHERE user_id = ? AND contact = ?", k, 2, &row);
    bool is_new = err == ENOENT;
    json_decref(row);
    if (err && !is_new)
        return err;
    if (is_new) {
        json_t *n = NULL;
        struct store_val c[] = {sv_text(t->id)};
        err = store_query_one(st, "SELECT COUNT(*) AS n FROM sip_registrations WHERE user_id = ?",
                              c, 1, &n);
        int64_t count = json_integer_value(json_object_get(n, "n"));
        json_decref(n);
        if (err)
            return err;
        if (count >= settings_int(s->app, "sip.maxContacts")) {
            *over = true;
            return 0;
        }
    }
    char id[ID_SIZE];
    id_new(id, "reg");
    struct store_val v[] = {sv_text(id),
                            sv_text(t->id),
                            sv_text(contact),
                            sv_text(source),
                            sv_text(sip_transp_name(msg->tp)),
                            sv_text(ua[0] ? ua : NULL),
                            sv_text(callid),
                            sv_int(msg->cseq.num),
                            sv_int(now),
                            sv_int(now + (int64_t)expires * 1000)};
    err = store_exec(st,
                     "INSERT INTO sip_registrations (id, user_id, contact, source, transport,"
                     " user_agent, call_id, cseq, registered_at, expires_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, contact) DO"
                     " UPDATE SET source = excluded.source, transport = excluded.transport,"
                     " user_agent = excluded.user_agent, call_id = excluded.call_id,"
                     " cseq = excluded.cseq, expires_at = excluded.expires_at",
                     v, 10, NULL);
    if (!err && is_new)
        err = events_append(s->app->events, "sip", "registered", t->id, t->id,
                            event_data(t, contact, source));
    return err;
}

static int remove_where(struct sipsvc *s, const struct target *t, const char *contact,
                        const char *reason)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(t->id), sv_text(contact), sv_text(contact)};
    int err = store_query_json(s->app->store,
                               "SELECT id, contact, source FROM sip_registrations WHERE"
                               " user_id = ? AND (? IS NULL OR contact = ?)",
                               v, 3, &rows);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        struct store_val d[] = {sv_text(json_string_value(json_object_get(r, "id")))};
        if (!err)
            err =
                store_exec(s->app->store, "DELETE FROM sip_registrations WHERE id = ?", d, 1, NULL);
        json_t *data = event_data(t, json_string_value(json_object_get(r, "contact")),
                                  json_string_value(json_object_get(r, "source")));
        json_object_set_new(data, "reason", json_string(reason));
        if (!err)
            err = events_append(s->app->events, "sip", "unregistered", t->id, t->id, data);
        else
            json_decref(data);
    }
    json_decref(rows);
    return err;
}

/* ---- REGISTER ---- */

struct contacts {
    struct sipsvc *s;
    const struct sip_msg *msg;
    const struct target *t;
    uint32_t default_expires;
    bool star, bad, brief, over;
    int err;
};

bool registrar_delta_seconds(const struct pl *v, uint32_t *out)
{
    uint64_t n = 0;
    if (!v->l)
        return false;
    for (size_t i = 0; i < v->l; i++) {
        if (v->p[i] < '0' || v->p[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v->p[i] - '0');
        if (n > UINT32_MAX)
            n = UINT32_MAX; /* RFC 3261 section 10.2.1: larger is 2^32-1 */
    }
    *out = (uint32_t)n;
    return true;
}

enum reg_contact registrar_contact(const struct pl *val, uint32_t default_expires,
                                   char uri[REG_URI_SIZE], uint32_t *expires)
{
    struct sip_addr addr;
    struct pl v;
    if (pl_strcmp(val, "*") == 0)
        return REG_CONTACT_STAR;
    if (sip_addr_decode(&addr, val) != 0 || addr.auri.l >= REG_URI_SIZE)
        return REG_CONTACT_BAD;
    pl_strcpy(&addr.auri, uri, REG_URI_SIZE);
    *expires = default_expires;
    if (msg_param_decode(&addr.params, "expires", &v) == 0 && !registrar_delta_seconds(&v, expires))
        return REG_CONTACT_BAD;
    return REG_CONTACT_OK;
}

static bool each_contact(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
    (void)msg;
    struct contacts *cs = arg;
    char uri[REG_URI_SIZE];
    uint32_t exp;
    switch (registrar_contact(&hdr->val, cs->default_expires, uri, &exp)) {
    case REG_CONTACT_STAR:
        cs->star = true;
        return false;
    case REG_CONTACT_BAD:
        cs->bad = true;
        return true;
    case REG_CONTACT_OK:
        break;
    }
    int64_t min = settings_int(cs->s->app, "sip.minExpires");
    int64_t max = settings_int(cs->s->app, "sip.maxExpires");
    if (exp == 0) {
        cs->err = cs->err ? cs->err : remove_where(cs->s, cs->t, uri, "client");
        return false;
    }
    if (exp < min) {
        cs->brief = true;
        return true;
    }
    if (exp > max)
        exp = (uint32_t)max;
    if (!cs->err)
        cs->err = add_contact(cs->s, cs->msg, cs->t, uri, exp, &cs->over);
    return cs->over;
}

static void reply_ok(struct sipsvc *s, const struct sip_msg *msg, const struct target *t)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_text(t->id)};
    store_query_json(s->app->store,
                     "SELECT contact, expires_at FROM sip_registrations WHERE user_id = ?"
                     " ORDER BY registered_at",
                     v, 1, &rows);
    char buf[4096];
    size_t len = 0;
    int64_t now = clock_now_ms();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        int64_t left = (json_integer_value(json_object_get(r, "expires_at")) - now + 999) / 1000;
        int n = snprintf(buf + len, sizeof(buf) - len, "Contact: <%s>;expires=%lld\r\n",
                         json_string_value(json_object_get(r, "contact")),
                         (long long)(left > 0 ? left : 0));
        if (n < 0 || (size_t)n >= sizeof(buf) - len)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    json_decref(rows);
    sip_replyf(s->sip, msg, 200, "OK", "%sContent-Length: 0\r\n\r\n", buf);
}

static void do_register(struct sipsvc *s, const struct sip_msg *msg)
{
    struct target t = {0};
    int err = find_target(s, &msg->to.uri.user, &t);
    if (err == ENOENT) {
        sip_reply(s->sip, msg, 404, "Not Found");
        return;
    }
    if (err) {
        sip_reply(s->sip, msg, 500, "Server Internal Error");
        return;
    }
    char user_id[ID_SIZE];
    if (sipauth_check(s, msg, false, user_id, NULL) != 0)
        return;
    if (strcmp(user_id, t.id) != 0) {
        sipauth_failed(s, msg, "credentials of another user", false);
        return;
    }
    struct contacts cs = {.s = s, .msg = msg, .t = &t, .default_expires = 3600};
    if (pl_isset(&msg->expires) && !registrar_delta_seconds(&msg->expires, &cs.default_expires)) {
        sip_reply(s->sip, msg, 400, "Bad Expires");
        return;
    }
    bool own;
    err = store_begin_own(s->app->store, &own);
    if (!err) {
        sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, each_contact, &cs);
        if (cs.star && !cs.bad && cs.default_expires == 0)
            cs.err = remove_where(s, &t, NULL, "client");
        err = store_end_own(s->app->store, own,
                            cs.err ? cs.err : (cs.bad || cs.brief || cs.over ? EINVAL : 0));
    }
    if (cs.star && cs.default_expires != 0)
        sip_reply(s->sip, msg, 400, "Contact * needs Expires: 0");
    else if (cs.bad)
        sip_reply(s->sip, msg, 400, "Bad Contact");
    else if (cs.brief)
        sip_replyf(s->sip, msg, 423, "Interval Too Brief",
                   "Min-Expires: %lld\r\nContent-Length: 0\r\n\r\n",
                   (long long)settings_int(s->app, "sip.minExpires"));
    else if (cs.over)
        sip_reply(s->sip, msg, 403, "Too Many Contacts");
    else if (err)
        sip_reply(s->sip, msg, 500, "Server Internal Error");
    else
        reply_ok(s, msg, &t);
}

void registrar_request(struct sipsvc *s, const struct sip_msg *msg)
{
    if (!pl_isset(&msg->callid) || !pl_isset(&msg->to.auri) || !pl_isset(&msg->from.auri)) {
        sip_reply(s->sip, msg, 400, "Missing Call-ID, From or To");
        return;
    }
    do_register(s, msg);
}

int64_t registrar_expire(struct sipsvc *s, int64_t now_ms)
{
    json_t *rows = NULL;
    struct store_val v[] = {sv_int(now_ms)};
    if (store_query_json(s->app->store,
                         "SELECT r.id, r.contact, r.source, u.id AS user_id, u.name,"
                         " u.extension FROM sip_registrations r JOIN users u ON u.id = r.user_id"
                         " WHERE r.expires_at <= ? LIMIT 500",
                         v, 1, &rows) != 0)
        return 5000;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        struct target t = {0};
        snprintf(t.id, sizeof(t.id), "%s", json_string_value(json_object_get(r, "user_id")));
        snprintf(t.name, sizeof(t.name), "%s", json_string_value(json_object_get(r, "name")));
        const char *ext = json_string_value(json_object_get(r, "extension"));
        snprintf(t.extension, sizeof(t.extension), "%s", ext ? ext : "");
        bool own;
        if (store_begin_own(s->app->store, &own) == 0) {
            int err =
                remove_where(s, &t, json_string_value(json_object_get(r, "contact")), "expired");
            store_end_own(s->app->store, own, err);
        }
    }
    size_t n = json_array_size(rows);
    json_decref(rows);
    if (n == 500)
        return 0;
    json_t *next = NULL;
    if (store_query_one(s->app->store, "SELECT MIN(expires_at) AS at FROM sip_registrations", NULL,
                        0, &next) != 0)
        return 5000;
    json_t *at = json_object_get(next, "at");
    int64_t wait = json_is_integer(at) ? json_integer_value(at) - now_ms : 60000;
    json_decref(next);
    return wait < 0 ? 0 : wait > 5000 ? 5000 : wait;
}
