/*
 * trunks.h - the carriers' side of the phone system: trunks (who may
 * deliver calls to us, where calls out go, which numbers and roles may
 * dial out) and numbers (DIDs: the business's phone numbers and what
 * each one reaches). Both are configuration kinds ("trunks", "numbers")
 * kept in voice_objects; lookups read the store, so a change applies to
 * the next call.
 */
#ifndef SB_SIP_TRUNKS_H
#define SB_SIP_TRUNKS_H

#include "core/libre.h"

#include <jansson.h>
#include <stdbool.h>

struct app;
struct schema;

int trunks_register(void);

/* Where a call can be sent (a number's target, an attendant's option, a
 * queue's redirect): {"kind": "extension"|"application"|"announcement"|
 * "callQueue"|"attendant"|"person"|"external"|"disconnect", ...}. */
const struct schema *target_schema(void);
/* What a target lacks for its kind (NULL: nothing). */
const char *target_problem(const json_t *t);
/* The target's schema and then target_problem(): NULL, or what is wrong
 * (maybe written into buf). */
const char *target_invalid(const json_t *t, char *buf, size_t size);

/* The trunk whose inbound addresses include this source (new reference),
 * or NULL. */
json_t *trunk_by_source(struct app *app, const struct sa *src);
/* The trunk whose inbound digest user name this is, or NULL. */
json_t *trunk_by_auth_user(struct app *app, const char *user);
/* The number spec for a dialled number ("+15550100" and "15550100" are
 * the same number), or NULL. */
json_t *number_find(struct app *app, const char *number);

/* The trunk a user with this role may dial an external number through:
 * the first trunk (by name) with an outbound URI whose allow-list matches.
 * 0 and *trunk; ENOENT: no trunk allows the number; EPERM: one does, but
 * not for this role. */
int trunk_route_out(struct app *app, const char *number, unsigned role, json_t **trunk);

/* The Request-URI of a call out through the trunk to number:
 * sip:NUMBER@host[:port][;params]. */
int trunk_request_uri(const json_t *trunk, const char *number, char *out, size_t size);

#endif
