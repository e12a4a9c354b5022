/*
 * settings.h - the `server` configuration kind: organisation, listeners,
 * limits. The effective settings are the defaults, overlaid by what the
 * store holds, overlaid by command-line overrides.
 */
#ifndef SB_CORE_SETTINGS_H
#define SB_CORE_SETTINGS_H

#include <jansson.h>
#include <stdint.h>

struct app;

int settings_register(void);

/* Build app->settings from defaults + store + overrides (an object shaped
 * like the `server` kind, or NULL). */
int settings_load(struct app *app, const json_t *overrides);

/* Look up a dotted path such as "http.listen" in app->settings. */
const char *settings_str(const struct app *app, const char *path);
int64_t settings_int(const struct app *app, const char *path);
int settings_bool(const struct app *app, const char *path);

/* Schema check for "host:port" listener addresses (used by other kinds). */
const char *settings_check_address(const json_t *value);

#endif
