/*
 * apikeys.h - API keys for servers (the `apiKeys` configuration kind).
 * A key is "sbk_" + 43 random characters; only its BLAKE2b hash is stored.
 * A key acts with the role it was given.
 */
#ifndef SB_AUTH_APIKEYS_H
#define SB_AUTH_APIKEYS_H

#include "core/principal.h"

struct app;

int apikeys_register(void);

/* Fill *who for a presented key; ENOENT if it is not a known key. */
int apikeys_authenticate(struct app *app, const char *key, struct principal *who);

#endif
