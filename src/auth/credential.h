/*
 * credential.h - one entry point from a presented secret to a principal:
 * session tokens ("sbs_...") and API keys ("sbk_...").
 */
#ifndef SB_AUTH_CREDENTIAL_H
#define SB_AUTH_CREDENTIAL_H

#include "core/principal.h"

struct app;

/* 0 and *who filled; ENOENT unknown, ETIMEDOUT expired session, EACCES
 * disabled user, other errno values for store errors. */
int credential_authenticate(struct app *app, const char *secret, struct principal *who);

#endif
