/*
 * sip.h - the SIP side of the server: libre's SIP stack behind a thin
 * adapter of our own, the registrar, and (later) trunks and calls.
 * docs/voice.md describes what it answers.
 */
#ifndef SB_SIP_SIP_H
#define SB_SIP_SIP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct app;
struct sa;

/* Register the "sip" event topic. */
int sipsvc_register(void);
/* Listen on `listen` (UDP and TCP, one port; port 0: any free port) and
 * serve; *bound gets the address. */
int sipsvc_start(struct app *app, const char *listen, struct sa *bound);
/* Where SIP over TLS listens; ENOENT when it is off. */
int sipsvc_tls_bound(const struct app *app, struct sa *bound);
void sipsvc_stop(struct app *app);

/* Start or stop recording an active call (see recording.c), as `by`
 * ("api", "queue", "phone") for user_id (or NULL). 0; ENOENT when no such
 * call is going on; EPERM when its call queue never records. */
int sipsvc_record(struct app *app, const char *call_id, bool start, const char *by,
                  const char *user_id);
/* Park the person a user talks to (leads: the agent side of any call):
 * 0 and the orbit; ENOENT no such call; EALREADY nobody talking; EPERM
 * not the user's call; ENOSPC every orbit taken. */
int sipsvc_park(struct app *app, const char *call_id, const char *user_id, bool lead,
                unsigned *orbit);
/* Delete a recording (file and state), or every recording of a call when
 * id is a call's id. 0; ENOENT no recording; EBUSY still recording. */
int sipsvc_recording_delete(struct app *app, const char *id);
/* Where a recording (by its id) is kept; EINVAL for an id that is not. */
int sipsvc_recording_path(const struct app *app, const char *id, char *out, size_t size);
/* The file of a recording (of_call: of a call's latest recording).
 * 0; ENOENT none (or deleted). */
int sipsvc_recording_file(struct app *app, const char *id, bool of_call, char *path, size_t size);
/* Cancel a callback that waits (docs/voice.md), as `by` (who, for its
 * reason). 0; ENOENT no such callback; EBUSY its number is being called (or
 * its caller still hears goodbye);
 * EALREADY it is over. */
int sipsvc_callback_cancel(struct app *app, const char *id, const char *by);
/* Callbacks, newest first, with their attempts' calls; filters NULL or
 * "" for any. *items: a new JSON array. */
struct callbacks_filter {
    const char *state, *call_queue, *agent_user_id;
    int limit;
};
int sipsvc_callbacks_list(struct app *app, const struct callbacks_filter *f, json_t **items);
/* One callback as the list shows it: 0 and *item; ENOENT. */
int sipsvc_callback_get(struct app *app, const char *id, json_t **item);

/* Recordings, newest first, with what they are of (docs/voice.md);
 * filters NULL or "" for any. *items: a new JSON array. */
struct recordings_filter {
    const char *call_id, *call_queue, *agent_user_id;
    int limit;
};
int sipsvc_recordings_list(struct app *app, const struct recordings_filter *f, json_t **items);

#endif
