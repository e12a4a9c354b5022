/*
 * principal.c - role names (see principal.h).
 */
#include "core/principal.h"

#include <string.h>

const char *const role_names[] = {"admin", "manager", "agent", "expert", NULL};

const char *role_name(enum role role)
{
    if (role == ROLE_CONSUMER)
        return "consumer"; /* not a user's role: not in role_names */
    for (unsigned i = 0; role_names[i]; i++) {
        if (role == (enum role)(1u << i))
            return role_names[i];
    }
    return "";
}

enum role role_parse(const char *name)
{
    for (unsigned i = 0; name && role_names[i]; i++) {
        if (strcmp(name, role_names[i]) == 0)
            return (enum role)(1u << i);
    }
    return ROLE_NONE;
}
