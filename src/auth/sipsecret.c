/*
 * sipsecret.c - SIP digest secrets (see sipsecret.h).
 */
#include "auth/sipsecret.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/libre.h"
#include "core/settings.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void sipsecret_ha1(char out[SIPSECRET_HEX], const char *user, const char *realm,
                   const char *password)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "%s:%s:%s", user, realm, password);
    uint8_t md[MD5_SIZE];
    md5((const uint8_t *)buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1, md);
    for (size_t i = 0; i < MD5_SIZE; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    memset(buf, 0, sizeof(buf));
}

int sipsecret_set(struct app *app, const char *user_id, const char *name, const char *extension,
                  const char *password)
{
    const char *realm = settings_str(app, "sip.realm");
    char ha1_name[SIPSECRET_HEX], ha1_ext[SIPSECRET_HEX];
    sipsecret_ha1(ha1_name, name, realm, password);
    if (extension)
        sipsecret_ha1(ha1_ext, extension, realm, password);
    struct store_val v[] = {sv_text(user_id),
                            sv_text(realm),
                            sv_text(ha1_name),
                            sv_text(extension),
                            sv_text(extension ? ha1_ext : NULL),
                            sv_int(clock_now_ms())};
    return store_exec(app->store,
                      "INSERT INTO sip_secrets (user_id, realm, name_ha1, extension, extension_ha1,"
                      " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                      " realm = excluded.realm, name_ha1 = excluded.name_ha1,"
                      " extension = excluded.extension, extension_ha1 = excluded.extension_ha1,"
                      " updated_at = excluded.updated_at",
                      v, 6, NULL);
}

struct found {
    char *user_id;
    char *ha1;
};

static int read_secret(const struct store_row *row, void *arg)
{
    struct found *f = arg;
    snprintf(f->user_id, ID_SIZE, "%s", store_row_text(row, 0));
    snprintf(f->ha1, SIPSECRET_HEX, "%s", store_row_text(row, 1));
    return 1;
}

int sipsecret_find(struct app *app, const char *auth_user, const char *realm, char user_id[ID_SIZE],
                   char ha1[SIPSECRET_HEX])
{
    struct found f = {user_id, ha1};
    /* The extension's secret counts only while the user still has the
     * extension it was made for. */
    struct store_val v[] = {sv_text(auth_user), sv_text(realm), sv_text(auth_user),
                            sv_text(auth_user)};
    int err = store_query(app->store,
                          "SELECT u.id, CASE WHEN u.name = ? THEN s.name_ha1 ELSE s.extension_ha1"
                          " END FROM sip_secrets s JOIN users u ON u.id = s.user_id"
                          " WHERE s.realm = ? AND u.disabled = 0 AND (u.name = ? OR"
                          " (u.extension = ? AND s.extension = u.extension))",
                          v, 4, read_secret, &f);
    if (err == 1)
        return 0;
    return err ? err : ENOENT;
}
