/*
 * att_internal.h - what the auto attendant's files share: the caller's
 * state in the attendant (attendant.c: greeting, menu, keys and spoken
 * options) and dial by name (directory.c).
 */
#ifndef SB_SIP_ATT_INTERNAL_H
#define SB_SIP_ATT_INTERNAL_H

#include "core/libre.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct directory;
struct media_event;

enum {
    ATT_MAX_INPUT = 12,
    ATT_MAX_PHRASES = 64,
    ATT_PHRASE_SIZE = 96,
    /* listening: this much silence ends an utterance; the longest one */
    ATT_UTTERANCE_SILENCE_MS = 700,
    ATT_UTTERANCE_MAX_MS = 5000,
};

enum att_phase { PH_GREETING, PH_PROMPT, PH_ANNOUNCE, PH_SORRY, PH_DIRECTORY, PH_DONE };

struct attendant_state {
    enum att_phase phase; /* what is playing: a stale play's end is ignored */
    json_t *spec;         /* the attendant */
    const json_t *flow;   /* the flow for now (in spec) */
    const char *which;    /* "open", "closed", or the holiday's name */
    char input[ATT_MAX_INPUT + 1];
    unsigned n;
    unsigned tries;
    bool listening;     /* keys count */
    bool hearing;       /* the caller's speech is listened for (media_listen) */
    uint32_t listen_op; /* the op of the listener now */
    unsigned listens;
    unsigned heard;        /* counts utterances and keys: older results are dropped */
    struct directory *dir; /* dial by name under way */
};

/* A list of phrases for the recogniser, each normalised by
 * asr_name_phrase(). */
struct att_phrases {
    char text[ATT_MAX_PHRASES][ATT_PHRASE_SIZE];
    const char *p[ATT_MAX_PHRASES];
    size_t n;
};
/* Add a display text's phrase (once); false when it has no letters or the
 * list is full. */
bool att_phrase_add(struct att_phrases *ph, const char *display);

/* A recognition result for the call, if it is still the latest thing
 * heard (phrase "" when nothing was recognised). */
typedef void(att_heard_h)(struct call *c, const char *phrase, int confidence);

/* ---- attendant.c ---- */
void att_event(struct call *c, const char *type, json_t *data);
/* Play {text} (spoken by flite) or {file}; MEDIA_EV_PLAY_DONE with op. */
int att_play(struct call *c, const json_t *audio, uint32_t op);
int att_say(struct call *c, const char *text, uint32_t op);
/* Leave the attendant for target (NULL: hang up with why). */
void att_go(struct call *c, const json_t *target, const char *why);
/* The menu again (after a failure: invalid), or the default. */
void att_retry(struct call *c, bool invalid);
/* Listen for the caller's speech (barge-in stops what plays), or stop. */
void att_listen(struct call *c, bool on);
/* Is this media event the current listener's (MEDIA_EV_SPEECH)? Notes
 * its end. Events of listeners stopped or replaced are not. */
bool att_listen_event(struct call *c, const struct media_event *ev);
/* Recognise an utterance against phrases; h runs with the result unless
 * something newer was heard first (att_heard_more). */
int att_recognise(struct call *c, const struct att_phrases *ph, const struct media_event *ev,
                  att_heard_h *h);
/* A key or a new utterance: results still being decoded are stale. */
void att_heard_more(struct call *c);
/* The menu's prompt again (no try counted). */
void att_menu(struct call *c);
/* Wait ms for a key; then the menu's (or the directory's) no input. */
void att_wait(struct call *c, unsigned ms);
/* How long to wait for input after a prompt, in ms. */
unsigned att_input_ms(const struct call *c);

/* ---- directory.c: dial by name ---- */
int directory_start(struct call *c);
void directory_digit(struct call *c, char digit);
void directory_media_event(struct call *c, const struct media_event *ev);
void directory_stop(struct call *c);

#endif
