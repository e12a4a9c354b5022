/*
 * settings.c - the `server` kind: schema, defaults, storage and lookup.
 */
#include "core/settings.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/events.h"
#include "core/libre.h"
#include "core/schedule.h"
#include "core/schema.h"
#include "report/report.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *settings_check_address(const json_t *value)
{
    struct sa sa;
    if (sa_decode(&sa, json_string_value(value), json_string_length(value)) != 0)
        return "an address like 127.0.0.1:8080 or [::1]:8080";
    return NULL;
}

static const char *check_timezone(const json_t *value)
{
    /* An IANA name such as "Europe/London" or "UTC": letters, digits, and
     * "/_+-" only, so it can be looked up safely under /usr/share/zoneinfo. */
    const char *s = json_string_value(value);
    for (; *s; s++) {
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-", *s))
            return "a time zone name such as Europe/London";
    }
    return NULL;
}

static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_tz = {
    .type = SCHEMA_STRING, .min_len = 1, .max_len = 64, .check = check_timezone};
static const struct schema s_addr = {
    .type = SCHEMA_STRING, .min_len = 3, .max_len = 64, .check = settings_check_address};
static const struct schema s_path = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1024};
static const struct schema s_bool = {.type = SCHEMA_BOOLEAN};
static const struct schema s_body = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1024, .has_max = true, .max = 16777216};
static const struct schema s_ttl = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 2592000};
static const struct schema s_count = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 100000};
static const struct schema s_secs = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 86400};

static const struct schema_field org_fields[] = {
    {"name", &s_name, true},
    {"timezone", &s_tz, false},
    {0},
};
static const struct schema_field http_fields[] = {
    {"listen", &s_addr, false},
    {"maxBodyBytes", &s_body, false},
    {"webRoot", &s_path, false},
    {"accessLog", &s_bool, false},
    {0},
};
static const struct schema s_orbit = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 99999999};
static const struct schema s_orbits = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 1000};
static const struct schema s_park_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 10, .has_max = true, .max = 3600};
static const struct schema s_retention = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 36500};
static const struct schema s_realm = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_expires = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 10, .has_max = true, .max = 86400};
static const struct schema s_contacts = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 100};
static const struct schema_field sip_fields[] = {
    {"listen", &s_addr, false},
    {"realm", &s_realm, false},
    {"minExpires", &s_expires, false},
    {"maxExpires", &s_expires, false},
    {"maxContacts", &s_contacts, false},
    {"maxAuthFailures", &s_count, false},
    {"authWindowSeconds", &s_secs, false},
    {"banSeconds", &s_secs, false},
    {"maxCallSeconds", &s_secs, false},
    {"tls", &s_bool, false},
    {"tlsListen", &s_addr, false},
    {"tlsCertificate", &s_path, false},
    {"recordingRetentionDays", &s_retention, false},
    {"parkFirst", &s_orbit, false},
    {"parkCount", &s_orbits, false},
    {"parkSeconds", &s_park_s, false},
    {0},
};
static const struct schema s_port = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1024, .has_max = true, .max = 65534};
static const struct schema s_threads = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 64};
static const struct schema_field media_fields[] = {
    {"portMin", &s_port, false},
    {"portMax", &s_port, false},
    {"threads", &s_threads, false},
    {0},
};
static const struct schema s_media = {.type = SCHEMA_OBJECT, .fields = media_fields};
static const struct schema_field session_fields[] = {
    {"ttlSeconds", &s_ttl, false},
    {0},
};
static const struct schema_field login_fields[] = {
    {"maxFailuresPerAccount", &s_count, false},
    {"maxFailuresPerAddress", &s_count, false},
    {"windowSeconds", &s_secs, false},
    {"lockoutSeconds", &s_secs, false},
    {0},
};

static const struct schema s_msglen = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 65536};
static const struct schema_field chat_fields[] = {
    {"maxMessageLength", &s_msglen, false},
    {"messagesPerMinute", &s_count, false},
    {"threadsPerMinutePerAddress", &s_count, false},
    {0},
};

/* Reports (docs/reporting.md): the service-level threshold is one of the
 * waits the reports count apart; business hours are a schedule. */
static const char *check_sl(const json_t *value)
{
    return report_sl_threshold_ok((int)json_integer_value(value))
               ? NULL
               : "one of 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600 (seconds)";
}

static const char *check_hours(const json_t *value)
{
    struct schedule *s = NULL;
    char why[200];
    int err = schedule_compile(&s, value, "UTC", why, sizeof(why));
    schedule_free(s);
    return err ? "a schedule: {\"timezone\", \"weekly\": {\"mon\": [\"09:00-17:00\"], ..},"
                 " \"holidays\": [..]}"
               : NULL;
}

static const struct schema s_sl = {.type = SCHEMA_INTEGER, .check = check_sl};
static const struct schema s_hours = {
    .type = SCHEMA_OBJECT, .allow_unknown = true, .check = check_hours};
static const struct schema s_token = {.type = SCHEMA_STRING, .min_len = 16, .max_len = 128};
/* The wallboard's colours: green at or above the goal, amber within the
 * amber points below it, red further down (percent and points). */
static const struct schema s_percent = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 100};
static const struct schema s_points = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 100};
static const struct schema_field report_fields[] = {
    {"serviceLevelSeconds", &s_sl, false},
    {"serviceLevelGoal", &s_percent, false},
    {"serviceLevelAmberPoints", &s_points, false},
    {"businessHours", &s_hours, false},
    {"metricsToken", &s_token, false},
    {0},
};
static const struct schema s_reports = {.type = SCHEMA_OBJECT, .fields = report_fields};

static const struct schema s_org = {.type = SCHEMA_OBJECT, .fields = org_fields};
static const struct schema s_chat = {.type = SCHEMA_OBJECT, .fields = chat_fields};
static const struct schema s_http = {.type = SCHEMA_OBJECT, .fields = http_fields};
static const struct schema s_sip = {.type = SCHEMA_OBJECT, .fields = sip_fields};
static const struct schema s_sessions = {.type = SCHEMA_OBJECT, .fields = session_fields};
static const struct schema s_logins = {.type = SCHEMA_OBJECT, .fields = login_fields};

static const struct schema_field server_fields[] = {
    {"organisation", &s_org, false}, {"http", &s_http, false},
    {"sip", &s_sip, false},          {"sessions", &s_sessions, false},
    {"logins", &s_logins, false},    {"chat", &s_chat, false},
    {"media", &s_media, false},      {"demo", &s_bool, false},
    {"reports", &s_reports, false},  {0},
};

static const struct schema server_schema = {.type = SCHEMA_OBJECT, .fields = server_fields};

static json_t *defaults(void)
{
    json_t *d = json_pack("{s:{s:s, s:s}, s:{s:s, s:i, s:s, s:b}, s:{s:i},"
                          " s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i}}",
                          "organisation", "name", "Switchboard", "timezone", "UTC", "http",
                          "listen", "127.0.0.1:8080", "maxBodyBytes", 1048576, "webRoot", "web",
                          "accessLog", 1, "sessions", "ttlSeconds", 43200, "logins",
                          "maxFailuresPerAccount", 5, "maxFailuresPerAddress", 20, "windowSeconds",
                          900, "lockoutSeconds", 900, "chat", "maxMessageLength", 4000,
                          "messagesPerMinute", 30, "threadsPerMinutePerAddress", 10);
    json_object_set_new(d, "sip",
                        json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "listen",
                                  "127.0.0.1:5060", "realm", "switchboard", "minExpires", 60,
                                  "maxExpires", 3600, "maxContacts", 10, "maxAuthFailures", 10,
                                  "authWindowSeconds", 60, "banSeconds", 600));
    json_object_set_new(json_object_get(d, "sip"), "maxCallSeconds", json_integer(14400));
    json_object_set_new(json_object_get(d, "sip"), "tls", json_true());
    json_object_set_new(json_object_get(d, "sip"), "recordingRetentionDays", json_integer(0));
    json_object_set_new(json_object_get(d, "sip"), "parkFirst", json_integer(701));
    json_object_set_new(json_object_get(d, "sip"), "parkCount", json_integer(20));
    json_object_set_new(json_object_get(d, "sip"), "parkSeconds", json_integer(90));
    json_object_set_new(
        d, "media", json_pack("{s:i, s:i, s:i}", "portMin", 20000, "portMax", 29999, "threads", 0));
    json_object_set_new(d, "reports",
                        json_pack("{s:i, s:i, s:i}", "serviceLevelSeconds", 20, "serviceLevelGoal",
                                  80, "serviceLevelAmberPoints", 10));
    return d;
}

static int server_apply(struct app *app, const json_t *obj, const char **message)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return ENOMEM;
    json_t *old = NULL;
    struct store_val k[] = {sv_text("server")};
    int err = store_query_one(app->store, "SELECT value FROM settings WHERE kind = ?", k, 1, &old);
    bool same = !err && strcmp(json_string_value(json_object_get(old, "value")), text) == 0;
    json_decref(old);
    if (same) {
        free(text);
        return 0;
    }
    struct store_val v[] = {sv_text("server"), sv_text(text), sv_int(clock_now_ms())};
    err = store_exec(app->store,
                     "INSERT INTO settings (kind, value, updated_at) VALUES (?, ?, ?)"
                     " ON CONFLICT (kind) DO UPDATE SET value = excluded.value,"
                     " updated_at = excluded.updated_at",
                     v, 3, NULL);
    free(text);
    if (err) {
        *message = "could not store the server settings";
        return err;
    }
    err = events_append(app->events, "settings", "settings.updated", "server", NULL,
                        json_deep_copy(obj));
    /* Kinds applied after this one in the same import (users' SIP digest
     * secrets depend on the realm) see the new settings. */
    return err ? err : settings_load(app, NULL);
}

static int server_export(struct app *app, json_t **out)
{
    json_t *row;
    struct store_val k[] = {sv_text("server")};
    int err = store_query_one(app->store, "SELECT value FROM settings WHERE kind = ?", k, 1, &row);
    if (err == ENOENT) {
        *out = NULL;
        return 0;
    }
    if (err)
        return err;
    *out = json_loads(json_string_value(json_object_get(row, "value")), 0, NULL);
    json_decref(row);
    return *out ? 0 : EIO;
}

static const struct config_kind server_kind = {
    .key = "server",
    .list = false,
    .order = 0,
    .schema = &server_schema,
    .apply = server_apply,
    .export = server_export,
};

int settings_register(void)
{
    return config_kind_register(&server_kind) |
           events_topic_register("settings", ROLE_ADMIN | ROLE_MANAGER, NULL);
}

/* Overlay b onto a, recursively for objects. */
static void overlay(json_t *a, const json_t *b)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)b, key, value)
    {
        json_t *mine = json_object_get(a, key);
        if (json_is_object(mine) && json_is_object(value))
            overlay(mine, value);
        else
            json_object_set(a, key, value);
    }
}

int settings_load(struct app *app, const json_t *overrides)
{
    json_t *settings = defaults();
    json_t *stored = NULL;
    if (!settings)
        return ENOMEM;
    int err = server_export(app, &stored);
    if (err) {
        json_decref(settings);
        return err;
    }
    if (stored)
        overlay(settings, stored);
    if (overrides)
        overlay(settings, overrides);
    json_decref(stored);
    json_decref(app->settings);
    app->settings = settings;
    return 0;
}

static const json_t *lookup(const struct app *app, const char *path)
{
    const json_t *node = app->settings;
    char key[64];
    while (node && *path) {
        size_t len = strcspn(path, ".");
        if (len >= sizeof(key))
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        node = json_object_get(node, key);
        path += len + (path[len] == '.');
    }
    return node;
}

const char *settings_str(const struct app *app, const char *path)
{
    return json_string_value(lookup(app, path));
}

int64_t settings_int(const struct app *app, const char *path)
{
    return json_integer_value(lookup(app, path));
}

int settings_bool(const struct app *app, const char *path)
{
    return json_is_true(lookup(app, path));
}
