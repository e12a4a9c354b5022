/*
 * moh.h - the default music on hold.
 */
#ifndef SB_VOICE_MOH_H
#define SB_VOICE_MOH_H

#include <stddef.h>

struct app;

/* The path of Switchboard's own music on hold, made the first time it is
 * asked for. 0 or an errno value. */
int moh_default(struct app *app, char *path, size_t size);

#endif
