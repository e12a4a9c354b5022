/*
 * principal.h - who is making a request: a signed-in person (session
 * token) or a server (API key), and the roles they hold.
 */
#ifndef SB_CORE_PRINCIPAL_H
#define SB_CORE_PRINCIPAL_H

#include "core/ids.h"

#include <stdbool.h>
#include <stdint.h>

/* Roles are bits so that a route can allow several. */
enum role {
    ROLE_NONE = 0,
    ROLE_ADMIN = 1u << 0,    /* designer: configures everything */
    ROLE_MANAGER = 1u << 1,  /* shift manager: watches and steers */
    ROLE_AGENT = 1u << 2,    /* answers consumers */
    ROLE_EXPERT = 1u << 3,   /* pulled into live conversations */
    ROLE_CONSUMER = 1u << 4, /* a web chat visitor, holding one thread's token */
};

#define ROLES_STAFF (ROLE_ADMIN | ROLE_MANAGER | ROLE_AGENT | ROLE_EXPERT)
#define ROLES_LEADS (ROLE_ADMIN | ROLE_MANAGER)

/* A consumer's id is the id of the one chat thread its token opens. */
enum principal_kind { PRINCIPAL_NONE = 0, PRINCIPAL_USER, PRINCIPAL_API_KEY, PRINCIPAL_CONSUMER };

struct principal {
    enum principal_kind kind;
    char id[ID_SIZE]; /* user id or API key id */
    char name[72];    /* user name or API key name */
    enum role role;
    int64_t expires_at; /* session expiry (ms since epoch); 0 for API keys */
};

/* "admin", "manager", "agent", "expert"; "" for none. */
const char *role_name(enum role role);
/* Returns ROLE_NONE for an unknown name. */
enum role role_parse(const char *name);
/* NULL-terminated list of role names, for schemas. */
extern const char *const role_names[];

#endif
