/*
 * directory.c - dial by name, an attendant option (docs/voice.md): the
 * caller says the name of the person they want, or spells it on the
 * keypad (2 = ABC ... 9 = WXYZ; the beginning of a first name, a last
 * name or the whole name), then #. The directory is every enabled user
 * with an extension, by display name (else login name).
 *
 * One person found: "Alice Brown. To call them, say yes or press 1 ..."
 * (spoken names are always confirmed: recognition makes mistakes). Several
 * (up to nine): "For Alice Brown, press 1. For ..."; more: "please enter
 * more letters". Nobody, no input or a "no": the question again, up to
 * DIR_RETRIES times, then back to the attendant's menu as a failed try.
 * * goes back to the menu at once. The person chosen is rung as the
 * attendant's "person" target (unanswered: their voicemail).
 */
#include "core/app.h"
#include "core/log.h"
#include "media/media.h"
#include "sip/att_internal.h"
#include "sip/call.h"
#include "sip/sip_internal.h"
#include "store/store.h"
#include "voice/speech.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    OP_ASK = 40,
    OP_CONFIRM = 41,
    OP_CHOICES = 42,
    OP_SORRY = 43,
    DIR_RETRIES = 2,
    MAX_CHOICES = 9,
    NEXT_LETTER_MS = 3000,
};

enum dphase { D_ASK, D_SORRY, D_CONFIRM, D_CHOICES };

struct directory {
    enum dphase phase;
    json_t *people;     /* [{id, name, display, phrase, digits: [..]}] */
    json_t *matches;    /* the people found (references into people) */
    const char *method; /* how they were found: "keys" or "speech" */
    char input[24];
    unsigned n;
    unsigned tries;
    bool waiting; /* the question has been asked: a pause counts */
};

static const char ask_text[] = "Please say the full name of the person you are calling, or spell "
                               "their name on the keypad, then press pound.";

static void dir_destructor(void *arg)
{
    struct directory *d = arg;
    json_decref(d->people);
    json_decref(d->matches);
}

static struct directory *dir_of(struct call *c)
{
    return c->att ? c->att->dir : NULL;
}

/* ---- the people ---- */

static char key_of(char letter)
{
    static const char keys[] = "22233344455566677778889999"; /* a..z */
    return letter >= 'a' && letter <= 'z' ? keys[letter - 'a'] : 0;
}

/* The keys of each word of a phrase, and of the whole name run together. */
static json_t *phrase_digits(const char *phrase)
{
    json_t *out = json_array();
    char word[ATT_PHRASE_SIZE], all[ATT_PHRASE_SIZE];
    size_t w = 0, a = 0;
    for (const char *p = phrase;; p++) {
        char k = *p ? key_of(*p) : 0;
        if (k) {
            word[w++] = k;
            all[a++] = k;
        }
        if ((*p == ' ' || !*p) && w) {
            word[w] = '\0';
            json_array_append_new(out, json_string(word));
            w = 0;
        }
        if (!*p)
            break;
    }
    all[a] = '\0';
    if (a)
        json_array_append_new(out, json_string(all));
    return out;
}

static int load_people(struct call *c, json_t **out)
{
    json_t *rows = NULL;
    int err =
        store_query_json(c->s->app->store,
                         "SELECT id, name, COALESCE(display_name, name) AS display FROM users"
                         " WHERE extension IS NOT NULL AND disabled = 0 ORDER BY display, name",
                         NULL, 0, &rows);
    if (err)
        return err;
    json_t *people = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        struct att_phrases one = {.n = 0};
        if (!att_phrase_add(&one, json_string_value(json_object_get(r, "display"))))
            continue; /* no letters to say or spell */
        json_object_set_new(r, "phrase", json_string(one.text[0]));
        json_object_set_new(r, "digits", phrase_digits(one.text[0]));
        json_array_append(people, r);
    }
    json_decref(rows);
    *out = people;
    return 0;
}

static void names(const struct directory *d, struct att_phrases *ph)
{
    size_t i;
    json_t *p;
    ph->n = 0;
    json_array_foreach(d->people, i, p)
        att_phrase_add(ph, json_string_value(json_object_get(p, "phrase")));
}

static void yes_no(struct att_phrases *ph)
{
    ph->n = 0;
    att_phrase_add(ph, "yes");
    att_phrase_add(ph, "no");
}

/* People whose name's keys begin with the digits. */
static json_t *by_keys(const struct directory *d)
{
    json_t *found = json_array();
    size_t i, j;
    json_t *p, *k;
    json_array_foreach(d->people, i, p)
    {
        json_array_foreach(json_object_get(p, "digits"), j, k)
        {
            if (strncmp(json_string_value(k), d->input, d->n) == 0) {
                json_array_append(found, p);
                break;
            }
        }
    }
    return found;
}

static json_t *by_phrase(const struct directory *d, const char *phrase)
{
    json_t *found = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(d->people, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "phrase")), phrase) == 0)
            json_array_append(found, p);
    }
    return found;
}

/* ---- the conversation ---- */

static void dir_event(struct call *c, const char *result, const json_t *person)
{
    struct directory *d = dir_of(c);
    json_t *data = json_pack("{s:s, s:s, s:s, s:i}", "method", d->method, "input", d->input,
                             "result", result, "matches", (int)json_array_size(d->matches));
    if (person) {
        json_object_set_new(data, "userId", json_copy(json_object_get(person, "id")));
        json_object_set_new(data, "user", json_copy(json_object_get(person, "name")));
    }
    att_event(c, "attendantDirectory", data);
}

static void ask(struct call *c)
{
    struct directory *d = dir_of(c);
    d->phase = D_ASK;
    d->n = 0;
    d->input[0] = '\0';
    d->waiting = false;
    tmr_cancel(&c->digit_tmr);
    att_listen(c, json_array_size(d->people) > 0);
    if (att_say(c, ask_text, OP_ASK) != 0)
        att_retry(c, true);
}

/* Nobody found, no input, or not the one: the question again, or back to
 * the menu. */
static void again(struct call *c, const char *result, const char *sorry)
{
    struct directory *d = dir_of(c);
    dir_event(c, result, NULL);
    tmr_cancel(&c->digit_tmr);
    att_listen(c, false);
    att_heard_more(c);
    if (d->tries++ >= DIR_RETRIES) {
        att_retry(c, true); /* frees the directory */
        return;
    }
    d->phase = D_SORRY;
    if (!sorry || att_say(c, sorry, OP_SORRY) != 0)
        ask(c);
}

static void ring_person(struct call *c, const json_t *person)
{
    dir_event(c, "connected", person);
    json_t *t = json_pack("{s:s, s:O}", "kind", "person", "user", json_object_get(person, "name"));
    att_go(c, t, "the person chosen cannot be reached");
    json_decref(t);
}

static void confirm(struct call *c)
{
    struct directory *d = dir_of(c);
    const json_t *p = json_array_get(d->matches, 0);
    char text[256];
    snprintf(text, sizeof(text),
             "%.120s. To call them, say yes or press 1. If not, say no or press 2.",
             json_string_value(json_object_get(p, "display")));
    d->phase = D_CONFIRM;
    d->waiting = false;
    att_listen(c, true);
    if (att_say(c, text, OP_CONFIRM) != 0)
        att_retry(c, true);
}

static void choices(struct call *c)
{
    struct directory *d = dir_of(c);
    char text[1200];
    size_t len = 0, i;
    json_t *p;
    json_array_foreach(d->matches, i, p)
    {
        int n = snprintf(text + len, sizeof(text) - len, "For %.80s, press %zu. ",
                         json_string_value(json_object_get(p, "display")), i + 1);
        if (n < 0 || (size_t)n >= sizeof(text) - len)
            break;
        len += (size_t)n;
    }
    d->phase = D_CHOICES;
    d->waiting = false;
    att_listen(c, false);
    if (att_say(c, text, OP_CHOICES) != 0)
        att_retry(c, true);
}

/* What was found, by keys or by name. */
static void found(struct call *c, json_t *matches)
{
    struct directory *d = dir_of(c);
    json_decref(d->matches);
    d->matches = matches;
    size_t n = json_array_size(matches);
    if (!n) {
        again(c, "noMatch", "Sorry, no name matches.");
    } else if (n == 1) {
        confirm(c);
    } else if (n <= MAX_CHOICES) {
        choices(c);
    } else if (d->tries++ >= DIR_RETRIES) {
        dir_event(c, "tooMany", NULL);
        att_retry(c, true); /* frees the directory */
    } else {
        /* keep the letters: more of them narrow it down */
        dir_event(c, "tooMany", NULL);
        d->phase = D_ASK;
        d->waiting = false;
        if (att_say(c, "Many names match. Please enter more letters, then press pound.", OP_ASK) !=
            0)
            att_retry(c, true);
    }
}

static void heard_name(struct call *c, const char *phrase, int confidence)
{
    struct directory *d = dir_of(c);
    if (!d || d->phase != D_ASK)
        return;
    d->method = "speech";
    snprintf(d->input, sizeof(d->input), "%s", phrase);
    if (!*phrase) {
        att_event(c, "attendantNotRecognised",
                  json_pack("{s:s, s:s, s:i}", "via", "speech", "step", "directory", "confidence",
                            confidence));
        again(c, "noMatch", "Sorry, I did not catch that name.");
        return;
    }
    found(c, by_phrase(d, phrase));
}

static void heard_yes_no(struct call *c, const char *phrase, int confidence)
{
    struct directory *d = dir_of(c);
    if (!d || d->phase != D_CONFIRM)
        return;
    if (strcmp(phrase, "yes") == 0) {
        ring_person(c, json_array_get(d->matches, 0));
    } else if (strcmp(phrase, "no") == 0) {
        again(c, "rejected", NULL);
    } else {
        att_event(c, "attendantNotRecognised",
                  json_pack("{s:s, s:s, s:i}", "via", "speech", "step", "confirm", "confidence",
                            confidence));
        if (d->tries++ >= DIR_RETRIES)
            att_retry(c, true); /* frees the directory */
        else
            confirm(c); /* the question again */
    }
}

static void wait_more(struct call *c, unsigned ms)
{
    dir_of(c)->waiting = true;
    att_wait(c, ms);
}

void directory_digit(struct call *c, char digit)
{
    struct directory *d = dir_of(c);
    if (!d)
        return;
    if (!digit && d->phase == D_SORRY)
        return;
    if (digit) {
        app_barge(c);
        att_listen(c, false);
        att_heard_more(c);
    }
    if (d->phase == D_SORRY) { /* a key cuts the apology short: the question */
        d->phase = D_ASK;
        d->n = 0;
        d->input[0] = '\0';
    }
    switch (d->phase) {
    case D_ASK:
        if (!digit || digit == '#') { /* a pause, or the end of the letters */
            if (!d->n) {
                if (!digit || !d->waiting)
                    again(c, "noInput", NULL);
                return;
            }
            d->method = "keys";
            found(c, by_keys(d));
            return;
        }
        if (digit == '*') {
            dir_event(c, "cancelled", NULL);
            c->att->dir = mem_deref(c->att->dir);
            att_menu(c);
            return;
        }
        if (digit >= '2' && digit <= '9' && d->n < sizeof(d->input) - 1) {
            d->input[d->n++] = digit;
            d->input[d->n] = '\0';
        }
        wait_more(c, NEXT_LETTER_MS);
        return;
    case D_CONFIRM:
        if (digit == '1')
            ring_person(c, json_array_get(d->matches, 0));
        else if (digit == '2' || !digit)
            again(c, digit ? "rejected" : "noInput", NULL);
        return;
    case D_CHOICES:
        if (digit >= '1' && digit <= '9' && (size_t)(digit - '0') <= json_array_size(d->matches))
            ring_person(c, json_array_get(d->matches, (size_t)(digit - '1')));
        else if (digit == '*' || !digit)
            again(c, digit ? "cancelled" : "noInput", NULL);
        return;
    case D_SORRY:
        break;
    }
}

void directory_media_event(struct call *c, const struct media_event *ev)
{
    struct directory *d = dir_of(c);
    if (ev->type == MEDIA_EV_SPEECH) {
        if (!att_listen_event(c, ev))
            return;
        if (strcmp(ev->reason, "started") == 0) {
            app_barge(c);
            tmr_cancel(&c->digit_tmr);
            return;
        }
        if (!ev->pcm || d->n)
            return;
        struct att_phrases ph;
        if (d->phase == D_CONFIRM)
            yes_no(&ph);
        else
            names(d, &ph);
        int err = att_recognise(c, &ph, ev, d->phase == D_CONFIRM ? heard_yes_no : heard_name);
        if (err)
            again(c, "noMatch", NULL);
        return;
    }
    if (ev->type != MEDIA_EV_PLAY_DONE || strcmp(ev->reason, "stopped") == 0)
        return;
    if (ev->op_id == OP_SORRY && d->phase == D_SORRY) {
        ask(c);
        return;
    }
    bool current = (ev->op_id == OP_ASK && d->phase == D_ASK) ||
                   (ev->op_id == OP_CONFIRM && d->phase == D_CONFIRM) ||
                   (ev->op_id == OP_CHOICES && d->phase == D_CHOICES);
    if (current)
        wait_more(c, d->n ? NEXT_LETTER_MS : att_input_ms(c));
}

int directory_start(struct call *c)
{
    struct directory *d = mem_zalloc(sizeof(*d), dir_destructor);
    if (!d)
        return ENOMEM;
    d->method = "keys";
    int err = load_people(c, &d->people);
    if (err || !json_array_size(d->people)) {
        log_warn("sip", "dial by name: nobody in the directory", "call=%s", c->id);
        mem_deref(d);
        return err ? err : ENOENT;
    }
    c->att->dir = d;
    struct att_phrases ph;
    names(d, &ph);
    speech_prepare(c->s->speech, ph.p, ph.n);
    yes_no(&ph);
    speech_prepare(c->s->speech, ph.p, ph.n);
    ask(c);
    return 0;
}

void directory_stop(struct call *c)
{
    if (c->att)
        c->att->dir = mem_deref(c->att->dir);
}
