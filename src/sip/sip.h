/*
 * sip.h - the SIP side of the server: libre's SIP stack behind a thin
 * adapter of our own, the registrar, and (later) trunks and calls.
 * docs/voice.md describes what it answers.
 */
#ifndef SB_SIP_SIP_H
#define SB_SIP_SIP_H

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

/* Start or stop recording an active call (see recording.c). 0; ENOENT
 * when no such call is going on. */
int sipsvc_record(struct app *app, const char *call_id, bool start);
/* Park the person a user talks to (leads: the agent side of any call):
 * 0 and the orbit; ENOENT no such call; EALREADY nobody talking; EPERM
 * not the user's call; ENOSPC every orbit taken. */
int sipsvc_park(struct app *app, const char *call_id, const char *user_id, bool lead,
                unsigned *orbit);
/* Delete a finished call's recording (file and state). 0; ENOENT no
 * recording; EBUSY still recording. */
int sipsvc_recording_delete(struct app *app, const char *call_id);
/* Where a call's recording is kept. */
int sipsvc_recording_path(const struct app *app, const char *call_id, char *out, size_t size);

#endif
