/*
 * sip.h - the SIP side of the server: libre's SIP stack behind a thin
 * adapter of our own, the registrar, and (later) trunks and calls.
 * docs/voice.md describes what it answers.
 */
#ifndef SB_SIP_SIP_H
#define SB_SIP_SIP_H

#include <stdbool.h>

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

#endif
