/*
 * voice_kinds.h - what the voice configuration kinds (trunks, numbers,
 * callQueues, attendants) share: their specs in voice_objects, the events
 * when they change, the check that nothing still leads to one being
 * deleted, and the {text | file} audio they play.
 */
#ifndef SB_SIP_VOICE_KINDS_H
#define SB_SIP_VOICE_KINDS_H

#include "core/schema.h"

#include <jansson.h>
#include <stdbool.h>

struct app;

/* Store an object (unless unchanged) and announce it (configUpdated). */
int voice_put(struct app *app, const char *kind, const char *id, const json_t *obj);
/* Delete one (ENOENT when none) and announce it (configDeleted). */
int voice_delete(struct app *app, const char *kind, const char *id);
json_t *voice_get(struct app *app, const char *kind, const char *id);
int voice_export(struct app *app, const char *kind, json_t **out);
/* Does a stored object (of kind only_kind, or any) name id in a field
 * called field ("callQueue": "sales")? */
bool voice_referenced(struct app *app, const char *field, const char *id, const char *only_kind);

/* {"text": "spoken by flite"} or {"file": "/path/to.wav"}: the fields;
 * voice_audio_problem() checks there is exactly one. */
extern const struct schema voice_audio;
/* NULL, or what is wrong with it (neither or both given). */
const char *voice_audio_problem(const json_t *audio);

#endif
