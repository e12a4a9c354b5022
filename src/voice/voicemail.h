/*
 * voicemail.h - voicemail boxes and messages (docs/voice.md), shared by
 * the call side (sip/voicemail.c, sip/vm_menu.c, sip/mwi.c) and the API
 * (api/voicemail.c).
 *
 * A box is personal (every enabled user with an extension has one; its
 * key is the user's id, "usr_...") or shared (configuration kind
 * "voicemailBoxes", kept in voice_objects; its key is its id, lowercase
 * letters, digits and '-', so never a user id). A message is a row of
 * voicemail_messages and the file DATA/voicemail/BOX/ID.wav; the row is
 * written, with its event on the "voicemail" topic, only once the file is
 * complete. PINs (for retrieving by phone) are kept as argon2id hashes
 * only: a shared box's in its spec (pinHash), a person's in voicemail_pins
 * (configuration kind "voicemailPins", or PUT /v1/me/voicemail-pin).
 */
#ifndef SB_VOICE_VOICEMAIL_H
#define SB_VOICE_VOICEMAIL_H

#include "core/ids.h"
#include "core/principal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;

enum {
    VM_BOX_SIZE = 72,
    VM_PIN_MIN = 4,
    VM_PIN_MAX = 12,
    VM_DEFAULT_MAX_SECONDS = 120,
    VM_DEFAULT_MAX_MESSAGES = 100,
};

struct vm_box {
    char key[VM_BOX_SIZE]; /* the shared box's id, or the owner's user id */
    bool personal;
    char user_id[ID_SIZE]; /* personal: the owner */
    char name[128];        /* shared: its name (or id); personal: the owner's display name */
    json_t *spec;          /* shared: its spec (pinHash included); personal: NULL */
    unsigned max_seconds;  /* the longest message */
    unsigned max_messages; /* a full box takes no more */
};

/* ---- vm_boxes.c ---- */
/* The configuration kinds voicemailBoxes and voicemailPins, and the
 * "voicemail" event topic. */
int voicemail_register(void);
/* A box by its key. 0, or ENOENT. Release with vm_box_clear. */
int vm_box_find(struct app *app, const char *key, struct vm_box *box);
/* The personal box of a user given by name or id. */
int vm_box_of_user(struct app *app, const char *user, struct vm_box *box);
/* A box by its number by phone: a shared box's extension, else a user's. */
int vm_box_by_number(struct app *app, const char *digits, struct vm_box *box);
void vm_box_clear(struct vm_box *box);
/* May this principal read the box (its owner, a member, a lead)? */
bool vm_box_readable(struct app *app, const struct vm_box *box, const struct principal *who);
/* The keys of the boxes this principal may read (a JSON array). */
json_t *vm_readable_boxes(struct app *app, const struct principal *who);
/* The PIN hash that opens the box by phone (new string, free()), or NULL
 * when none is set. */
char *vm_box_pin_hash(struct app *app, const struct vm_box *box);
/* A number's voicemail target ({kind: voicemail, box | user}): NULL, or
 * what is wrong with it. */
const char *vm_target_problem(struct app *app, const json_t *target);
/* Is pin 4 to 12 digits? */
bool vm_pin_valid(const char *pin);
/* Keep a user's PIN hash (in the caller's transaction, if any). */
int vm_pin_store(struct app *app, const char *user_id, const char *hash);

/* ---- vm_messages.c ---- */
/* DATA/voicemail/BOX (made when missing) and a file in it. */
int vm_box_dir(struct app *app, const char *box, char *out, size_t size);
int vm_file_path(struct app *app, const char *box, const char *name, char *out, size_t size);
struct vm_new {
    const char *id; /* the message id (its file is BOX/ID.wav) */
    const char *caller;
    const char *call_id;
    int64_t created_at;
    uint32_t duration_ms;
};
/* Commit a message whose file is complete, with its voicemailLeft event. */
int vm_message_add(struct app *app, const struct vm_box *box, const struct vm_new *m);
/* One message in its public form (NULL when none). */
json_t *vm_message_get(struct app *app, const char *id);
/* Messages of a box (or of every box: NULL), new first when new_first,
 * else newest first; at most limit. */
int vm_message_list(struct app *app, const char *box, bool new_first, int limit, json_t **items);
/* Mark heard (read), and saved when save. */
int vm_message_mark(struct app *app, const char *id, bool save, const char *actor);
/* Remove the message and its file. 0 or ENOENT. */
int vm_message_delete(struct app *app, const char *id, const char *actor);
/* Unread and read messages in a box. */
int vm_counts(struct app *app, const char *box, unsigned *unread, unsigned *read);
/* The audio file of a message (its row's "file" under DATA). */
int vm_message_path(struct app *app, const json_t *msg, char *out, size_t size);

/* ---- vm_audio.c (on the work pool: file work only) ---- */
/* Did the recording at path hear speech? 0 with *duration_ms the audio
 * kept (trailing silence beyond keep_ms trimmed off, the file rewritten);
 * ENODATA when it holds no speech; another errno when it cannot be read. */
int vm_audio_check(const char *path, uint32_t keep_ms, uint32_t *duration_ms);

#endif
