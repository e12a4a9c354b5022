/*
 * sipsecret.h - the digest secrets SIP phones authenticate with. Only
 * HA1 = MD5(user ":" realm ":" password) is kept (as RFC 3261 registrars
 * do), made when a password is set: one for the login name and one for
 * the extension. Changing the realm or the extension needs the password
 * set again for that secret.
 */
#ifndef SB_AUTH_SIPSECRET_H
#define SB_AUTH_SIPSECRET_H

#include "core/ids.h"

struct app;

enum { SIPSECRET_HEX = 33 };

/* Hex HA1 of user:realm:password. */
void sipsecret_ha1(char out[SIPSECRET_HEX], const char *user, const char *realm,
                   const char *password);

/* Keep the user's secrets for the configured realm (in the caller's
 * transaction, if any). extension may be NULL. */
int sipsecret_set(struct app *app, const char *user_id, const char *name, const char *extension,
                  const char *password);

/* The enabled user an authentication name (login name or extension)
 * belongs to in this realm, and its HA1; ENOENT when none. */
int sipsecret_find(struct app *app, const char *auth_user, const char *realm, char user_id[ID_SIZE],
                   char ha1[SIPSECRET_HEX]);

#endif
