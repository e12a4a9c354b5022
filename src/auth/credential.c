/*
 * credential.c - dispatch a secret to sessions or API keys by its prefix.
 */
#include "auth/credential.h"
#include "auth/apikeys.h"
#include "auth/sessions.h"
#include "chat/chat.h"

#include <errno.h>
#include <string.h>

int credential_authenticate(struct app *app, const char *secret, struct principal *who)
{
    memset(who, 0, sizeof(*who));
    int err = ENOENT;
    if (strncmp(secret, "sbk_", 4) == 0)
        err = apikeys_authenticate(app, secret, who);
    else if (strncmp(secret, "sbs_", 4) == 0)
        err = sessions_authenticate(app, secret, who);
    else if (strncmp(secret, "sbc_", 4) == 0)
        err = chat_consumer_authenticate(app, secret, who);
    if (err)
        memset(who, 0, sizeof(*who));
    return err;
}
