/*
 * trunks.c - the "trunks" and "numbers" configuration kinds and the
 * lookups calls.c makes with them (see trunks.h). Specs are kept as JSON
 * in voice_objects and read from the store at each call.
 */
#include "sip/trunks.h"
#include "core/app.h"
#include "core/config.h"
#include "core/events.h"
#include "core/principal.h"
#include "core/schema.h"
#include "sip/call.h"
#include "sip/dialplan.h"
#include "sip/voice_kinds.h"
#include "store/store.h"
#include "voice/voicemail.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ---- schemas ---- */

static const char *check_address(const json_t *v)
{
    char ip[64];
    const char *s = json_string_value(v);
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    struct sa sa;
    if (n >= sizeof(ip))
        return "an IP address or a network like 192.0.2.0/24";
    memcpy(ip, s, n);
    ip[n] = '\0';
    if (sa_set_str(&sa, ip, 0) != 0)
        return "an IP address or a network like 192.0.2.0/24";
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        long max = sa_af(&sa) == AF_INET ? 32 : 128;
        if (*end || end == slash + 1 || bits < 0 || bits > max)
            return "a prefix length after '/' (0-32 for IPv4, 0-128 for IPv6)";
    }
    return NULL;
}

static const char *check_uri(const json_t *v)
{
    const char *s = json_string_value(v);
    struct pl pl;
    struct uri uri;
    pl_set_str(&pl, s);
    if (uri_decode(&uri, &pl) != 0 ||
        (pl_strcmp(&uri.scheme, "sip") != 0 && pl_strcmp(&uri.scheme, "sips") != 0) ||
        !pl_isset(&uri.host))
        return "a SIP URI like sip:sip.carrier.example:5060";
    if (pl_isset(&uri.user) || strchr(s, '@'))
        return "a SIP URI without a user part (the dialled number goes there)";
    return NULL;
}

static const char *check_pattern(const json_t *v)
{
    return dial_pattern_problem(json_string_value(v));
}

static const char *check_number(const json_t *v)
{
    char out[40];
    const char *s = json_string_value(v);
    if (!dial_normalise(s, out, sizeof(out)) || strcmp(out, s) != 0 || strchr(s, '*') ||
        strchr(s, '#'))
        return "a phone number: digits with an optional leading '+', e.g. +15550100";
    return NULL;
}

static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 1000};
static const struct schema s_secret = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_address = {
    .type = SCHEMA_STRING, .min_len = 2, .max_len = 64, .check = check_address};
static const struct schema s_addresses = {
    .type = SCHEMA_ARRAY, .items = &s_address, .min_items = 1, .max_items = 64};
static const struct schema s_uri = {
    .type = SCHEMA_STRING, .min_len = 5, .max_len = 256, .check = check_uri};
static const struct schema s_number = {
    .type = SCHEMA_STRING, .min_len = 2, .max_len = 32, .check = check_number};
static const struct schema s_pattern = {
    .type = SCHEMA_STRING, .min_len = 1, .max_len = 64, .check = check_pattern};
static const struct schema s_patterns = {
    .type = SCHEMA_ARRAY, .items = &s_pattern, .min_items = 1, .max_items = 100};
static const struct schema s_role = {.type = SCHEMA_STRING, .enum_values = role_names};
static const struct schema s_roles = {.type = SCHEMA_ARRAY, .items = &s_role, .min_items = 1};
static const struct schema s_max_calls = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 100000};

static const struct schema_field inbound_fields[] = {
    {"addresses", &s_addresses, false},
    {"username", &s_secret, false},
    {"password", &s_secret, false},
    {0},
};
static const struct schema s_inbound = {.type = SCHEMA_OBJECT, .fields = inbound_fields};

static const struct schema_field outbound_fields[] = {
    {"uri", &s_uri, true},
    {"username", &s_secret, false},
    {"password", &s_secret, false},
    {"callerId", &s_number, false},
    {"allow", &s_patterns, true},
    {"roles", &s_roles, false},
    {0},
};
static const struct schema s_outbound = {.type = SCHEMA_OBJECT, .fields = outbound_fields};

static const struct schema_field trunk_fields[] = {
    {"name", &s_name, true},           {"description", &s_text, false},
    {"inbound", &s_inbound, false},    {"outbound", &s_outbound, false},
    {"maxCalls", &s_max_calls, false}, {0},
};
static const struct schema trunk_schema = {.type = SCHEMA_OBJECT, .fields = trunk_fields};

static const char *const target_kinds[] = {"extension", "application", "announcement", "callQueue",
                                           "attendant", "person",      "external",     "disconnect",
                                           "voicemail", NULL};
static const char *const applications[] = {"echo", "digits", NULL};
static const struct schema s_target_kind = {.type = SCHEMA_STRING, .enum_values = target_kinds};
static const struct schema s_application = {.type = SCHEMA_STRING, .enum_values = applications};
static const struct schema s_extension = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 32};
static const struct schema s_digits = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 30};
static const struct schema s_timeout = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 120};

static const struct schema_field target_fields[] = {
    {"kind", &s_target_kind, true},
    {"extension", &s_extension, false},
    {"application", &s_application, false},
    {"text", &s_text, false},
    {"file", &s_text, false},
    {"digits", &s_digits, false},
    {"timeoutSeconds", &s_timeout, false},
    {"callQueue", &s_name, false},
    {"attendant", &s_name, false},
    {"user", &s_name, false},
    {"number", &s_number, false},
    {"box", &s_name, false},
    {0},
};
static const struct schema s_target = {.type = SCHEMA_OBJECT, .fields = target_fields};

const struct schema *target_schema(void)
{
    return &s_target;
}

const char *target_invalid(const json_t *t, char *buf, size_t size)
{
    struct schema_result sub;
    memset(&sub, 0, sizeof(sub));
    if (!schema_validate(&s_target, t, "", "", &sub)) {
        snprintf(buf, size, "%s", sub.problems[0].message);
        return buf;
    }
    return target_problem(t);
}

const char *target_problem(const json_t *t)
{
    const char *kind = json_string_value(json_object_get(t, "kind"));
    if (!kind)
        return NULL;
    static const struct {
        const char *kind, *field, *need;
    } needs[] = {
        {"extension", "extension", "an extension target needs \"extension\" (e.g. \"1001\")"},
        {"application", "application",
         "an application target needs \"application\" (echo or digits)"},
        {"callQueue", "callQueue", "a callQueue target needs \"callQueue\" (the call queue's id)"},
        {"attendant", "attendant", "an attendant target needs \"attendant\" (the attendant's id)"},
        {"person", "user", "a person target needs \"user\" (a login name)"},
        {"external", "number", "an external target needs \"number\" (e.g. \"+15555550123\")"},
    };
    for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
        if (strcmp(kind, needs[i].kind) == 0 && !json_object_get(t, needs[i].field))
            return needs[i].need;
    }
    if (strcmp(kind, "announcement") == 0 &&
        !json_object_get(t, "text") == !json_object_get(t, "file"))
        return "an announcement needs \"text\" (spoken) or \"file\" (a WAV), one of them";
    if (strcmp(kind, "voicemail") == 0 && !json_object_get(t, "box") == !json_object_get(t, "user"))
        return "a voicemail target needs \"box\" (a shared box's id) or \"user\" (a person's box),"
               " one of them";
    return NULL;
}

static const struct schema_field number_fields[] = {
    {"number", &s_number, true},
    {"description", &s_text, false},
    {"trunk", &s_name, false},
    {"target", &s_target, true},
    {0},
};
static const struct schema number_schema = {.type = SCHEMA_OBJECT, .fields = number_fields};

static void trunk_check(const json_t *obj, const char *path, const char *pointer,
                        struct schema_result *res)
{
    const json_t *in = json_object_get(obj, "inbound");
    const json_t *out = json_object_get(obj, "outbound");
    if (!in && !out)
        schema_add_problem(res, path, pointer, false,
                           "a trunk needs inbound (who may call in) or outbound (where calls go)");
    if (in && !json_object_get(in, "addresses") && !json_object_get(in, "username"))
        schema_add_problem(res, path, pointer, false,
                           "inbound needs addresses, or a username and password, or both");
    for (int i = 0; i < 2; i++) {
        const json_t *side = i ? out : in;
        if (side && !json_object_get(side, "username") != !json_object_get(side, "password"))
            schema_add_problem(res, path, pointer, false,
                               "give a username and a password together, or neither");
    }
}

static void number_check(const json_t *obj, const char *path, const char *pointer,
                         struct schema_result *res)
{
    const char *need = target_problem(json_object_get(obj, "target"));
    if (need) {
        char msg[200];
        snprintf(msg, sizeof(msg), "target: %s", need);
        schema_add_problem(res, path, pointer, false, msg);
    }
}

/* ---- apply, export, get, remove ---- */

static int trunk_apply(struct app *app, const json_t *obj, const char **message)
{
    (void)message;
    return voice_put(app, "trunks", json_string_value(json_object_get(obj, "name")), obj);
}

/* The object a number's target names must exist. */
static const char *missing_target(struct app *app, const json_t *target)
{
    static const struct {
        const char *field, *kind, *message;
    } refs[] = {
        {"callQueue", "callQueues",
         "target: no call queue has this id (define it under callQueues)"},
        {"attendant", "attendants",
         "target: no attendant has this id (define it under attendants)"},
    };
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        const char *id = json_string_value(json_object_get(target, refs[i].field));
        json_t *o = voice_get(app, refs[i].kind, id);
        json_decref(o);
        if (id && !o)
            return refs[i].message;
    }
    return NULL;
}

static int number_apply(struct app *app, const json_t *obj, const char **message)
{
    *message = missing_target(app, json_object_get(obj, "target"));
    if (*message)
        return EINVAL;
    const json_t *target = json_object_get(obj, "target");
    const char *kind = json_string_value(json_object_get(target, "kind"));
    if (kind && strcmp(kind, "voicemail") == 0 && (*message = vm_target_problem(app, target)))
        return EINVAL;
    const char *trunk = json_string_value(json_object_get(obj, "trunk"));
    json_t *t = voice_get(app, "trunks", trunk);
    json_decref(t);
    if (trunk && !t) {
        *message = "trunk: no trunk has this name (define it under trunks)";
        return EINVAL;
    }
    return voice_put(app, "numbers", json_string_value(json_object_get(obj, "number")), obj);
}

static int trunk_export(struct app *app, json_t **out)
{
    return voice_export(app, "trunks", out);
}

static int number_export(struct app *app, json_t **out)
{
    return voice_export(app, "numbers", out);
}

static json_t *trunk_get(struct app *app, const char *id)
{
    return voice_get(app, "trunks", id);
}

static json_t *number_get(struct app *app, const char *id)
{
    return voice_get(app, "numbers", id);
}

static int trunk_remove(struct app *app, const char *id, const char **why)
{
    if (voice_referenced(app, "trunk", id, "numbers")) {
        *why = "a number names this trunk: change or delete the number first";
        return EBUSY;
    }
    return voice_delete(app, "trunks", id);
}

static int number_remove(struct app *app, const char *id, const char **why)
{
    (void)why;
    return voice_delete(app, "numbers", id);
}

int trunks_register(void)
{
    static const struct config_kind kinds[] = {
        {.key = "trunks",
         .list = true,
         .order = 50,
         .schema = &trunk_schema,
         .check = trunk_check,
         .apply = trunk_apply,
         .export = trunk_export,
         .get = trunk_get,
         .remove = trunk_remove},
        {.key = "numbers",
         .list = true,
         .id_key = "number",
         .order = 53, /* after callQueues (52), which numbers lead to */
         .schema = &number_schema,
         .check = number_check,
         .apply = number_apply,
         .export = number_export,
         .get = number_get,
         .remove = number_remove,
         .verify = voice_verify},
    };
    return config_kind_register(&kinds[0]) | config_kind_register(&kinds[1]);
}

/* ---- lookups ---- */

static json_t *all_trunks(struct app *app)
{
    json_t *list = NULL;
    if (trunk_export(app, &list) != 0)
        return NULL;
    return list;
}

/* Is src inside "ADDR" or "ADDR/BITS"? */
static bool address_has(const char *spec, const struct sa *src)
{
    char ip[64];
    const char *slash = strchr(spec, '/');
    size_t n = slash ? (size_t)(slash - spec) : strlen(spec);
    struct sa net;
    if (n >= sizeof(ip))
        return false;
    memcpy(ip, spec, n);
    ip[n] = '\0';
    if (sa_set_str(&net, ip, 0) != 0 || sa_af(&net) != sa_af(src))
        return false;
    uint8_t a[16], b[16];
    unsigned total;
    if (sa_af(src) == AF_INET) {
        uint32_t x = htonl(sa_in(src)), y = htonl(sa_in(&net));
        memcpy(a, &x, 4);
        memcpy(b, &y, 4);
        total = 32;
    } else {
        sa_in6(src, a);
        sa_in6(&net, b);
        total = 128;
    }
    unsigned bits = slash ? (unsigned)atoi(slash + 1) : total;
    for (unsigned i = 0; i < bits; i++) {
        uint8_t mask = (uint8_t)(0x80u >> (i % 8));
        if ((a[i / 8] & mask) != (b[i / 8] & mask))
            return false;
    }
    return true;
}

json_t *trunk_by_source(struct app *app, const struct sa *src)
{
    json_t *list = all_trunks(app), *found = NULL, *t;
    size_t i, j;
    json_array_foreach(list, i, t)
    {
        json_t *addr;
        json_array_foreach(json_object_get(json_object_get(t, "inbound"), "addresses"), j, addr)
        {
            if (!found && address_has(json_string_value(addr), src))
                found = json_incref(t);
        }
    }
    json_decref(list);
    return found;
}

json_t *trunk_by_auth_user(struct app *app, const char *user)
{
    json_t *list = all_trunks(app), *found = NULL, *t;
    size_t i;
    json_array_foreach(list, i, t)
    {
        const char *u =
            json_string_value(json_object_get(json_object_get(t, "inbound"), "username"));
        if (!found && u && strcmp(u, user) == 0)
            found = json_incref(t);
    }
    json_decref(list);
    return found;
}

json_t *number_find(struct app *app, const char *number)
{
    char other[48];
    if (*number == '+')
        snprintf(other, sizeof(other), "%s", number + 1);
    else
        snprintf(other, sizeof(other), "+%s", number);
    json_t *spec = voice_get(app, "numbers", number);
    return spec ? spec : voice_get(app, "numbers", other);
}

static bool role_listed(const json_t *roles, unsigned role)
{
    if (!roles) /* by default people who talk to customers may dial out */
        return role & (ROLE_ADMIN | ROLE_MANAGER | ROLE_AGENT);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
    {
        if (role_parse(json_string_value(r)) == role)
            return true;
    }
    return false;
}

int trunk_route_out(struct app *app, const char *number, unsigned role, json_t **trunk)
{
    json_t *list = all_trunks(app), *t;
    size_t i, j;
    int err = ENOENT;
    json_array_foreach(list, i, t)
    {
        const json_t *out = json_object_get(t, "outbound");
        json_t *p;
        bool allowed = false;
        json_array_foreach(json_object_get(out, "allow"), j, p)
        {
            if (dial_match(json_string_value(p), number))
                allowed = true;
        }
        if (!allowed)
            continue;
        if (!role_listed(json_object_get(out, "roles"), role)) {
            err = EPERM;
            continue;
        }
        *trunk = json_incref(t);
        err = 0;
        break;
    }
    json_decref(list);
    return err;
}

int trunk_request_uri(const json_t *trunk, const char *number, char *out, size_t size)
{
    const char *uri = json_string_value(json_object_get(json_object_get(trunk, "outbound"), "uri"));
    const char *colon = uri ? strchr(uri, ':') : NULL;
    if (!colon)
        return EINVAL;
    int n = snprintf(out, size, "%.*s:%s@%s", (int)(colon - uri), uri, number, colon + 1);
    return n > 0 && (size_t)n < size ? 0 : ENAMETOOLONG;
}
