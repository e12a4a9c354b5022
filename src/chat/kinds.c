/*
 * kinds.c - the chat's configuration kinds: "bots" (flows, compiled by
 * src/chat/bot*.c) and "chatWidgets" (which bot answers, where a handoff
 * goes, timeouts). Specs are kept in chat_objects; the service keeps the
 * compiled bots and the widgets in memory, rebuilt from the store when a
 * transaction rolls back.
 */
#include "chat/bot.h"
#include "chat/chat_internal.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/events.h"
#include "core/log.h"
#include "core/schema.h"
#include "core/settings.h"
#include "router/router.h"
#include "routing/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct bot_entry {
    struct le le;
    struct bot *bot;
    json_t *spec;
};

static const struct schema s_id = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema s_title = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_wait = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 5, .has_max = true, .max = 86400};
static const struct schema s_wrap = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 3600};

static const struct schema_field widget_fields[] = {
    {"id", &s_id, true},
    {"title", &s_title, false},
    {"bot", &s_id, false},
    {"botName", &s_title, false},
    {"queue", &s_id, true},
    {"noAnswerSeconds", &s_wait, false},
    {"wrapUpSeconds", &s_wrap, false},
    {0},
};
static const struct schema widget_schema = {.type = SCHEMA_OBJECT, .fields = widget_fields};

const struct schema *chat_widget_schema(void);
const struct schema *chat_widget_schema(void)
{
    return &widget_schema;
}

static const char *org_zone(struct app *app)
{
    const char *tz = settings_str(app, "organisation.timezone");
    return tz ? tz : "UTC";
}

static void bot_entry_destructor(void *arg)
{
    struct bot_entry *be = arg;
    list_unlink(&be->le);
    bot_free(be->bot);
    json_decref(be->spec);
}

static struct bot_entry *find_bot(struct chat *c, const char *id)
{
    for (struct le *le = c->bots.head; le && id; le = le->next) {
        struct bot_entry *be = le->data;
        if (strcmp(bot_id(be->bot), id) == 0)
            return be;
    }
    return NULL;
}

const struct bot *chat_bot(struct chat *c, const char *id)
{
    struct bot_entry *be = find_bot(c, id);
    return be ? be->bot : NULL;
}

const json_t *chat_bot_spec(struct chat *c, const char *id)
{
    struct bot_entry *be = find_bot(c, id);
    return be ? be->spec : NULL;
}

const char *chat_some_widget(struct app *app)
{
    struct chat *c = chat_of(app);
    const char *first = NULL, *id;
    json_t *w;
    json_object_foreach(c ? c->widgets : NULL, id, w)
    {
        if (!first || strcmp(id, first) < 0)
            first = id;
    }
    return first;
}

const json_t *chat_widget(struct chat *c, const char *id)
{
    return id ? json_object_get(c->widgets, id) : NULL;
}

/* Compile and keep (replacing one with the same id). */
static int keep_bot(struct chat *c, const json_t *spec, char *err, size_t size)
{
    struct bot *b = NULL;
    int e = bot_compile(&b, spec, org_zone(c->app), err, size);
    if (e)
        return e;
    struct bot_entry *be = mem_zalloc(sizeof(*be), bot_entry_destructor);
    if (!be) {
        bot_free(b);
        return ENOMEM;
    }
    be->bot = b;
    be->spec = json_deep_copy(spec);
    mem_deref(find_bot(c, bot_id(b)));
    list_append(&c->bots, &be->le, be);
    return 0;
}

static int load_row(const struct store_row *row, void *arg)
{
    struct chat *c = arg;
    json_t *spec = json_loads(store_row_text(row, 1), 0, NULL);
    if (!spec)
        return 0;
    if (strcmp(store_row_text(row, 0), "bots") == 0) {
        char why[200];
        if (keep_bot(c, spec, why, sizeof(why)) != 0)
            log_error("chat", "stored bot not loaded", "id=%s why=\"%s\"", store_row_text(row, 2),
                      why);
    } else {
        json_object_set(c->widgets, store_row_text(row, 2), spec);
    }
    json_decref(spec);
    return 0;
}

int chat_kinds_load(struct chat *c)
{
    chat_kinds_unload(c);
    c->widgets = json_object();
    return store_query(c->app->store, "SELECT kind, spec, id FROM chat_objects ORDER BY kind, id",
                       NULL, 0, load_row, c);
}

void chat_kinds_unload(struct chat *c)
{
    list_flush(&c->bots);
    json_decref(c->widgets);
    c->widgets = NULL;
}

/* ---- storage ---- */

static const char table[] = "chat_objects";

static int store_spec(struct app *app, const char *kind, const json_t *spec)
{
    const char *id = json_string_value(json_object_get(spec, "id"));
    int err = config_spec_put(app, table, kind, id, spec);
    if (!err)
        err = events_append(app->events, "chat", "configUpdated", id, NULL,
                            json_pack("{s:s, s:s}", "kind", kind, "id", id));
    return err;
}

static bool unchanged(struct app *app, const char *kind, const json_t *obj)
{
    return config_spec_unchanged(app, table, kind, json_string_value(json_object_get(obj, "id")),
                                 obj);
}

static int bot_apply(struct app *app, const json_t *obj, const char **message)
{
    struct chat *c = chat_of(app);
    if (!c) {
        *message = "the chat service is not running";
        return EINVAL;
    }
    if (unchanged(app, "bots", obj) && find_bot(c, json_string_value(json_object_get(obj, "id"))))
        return 0;
    static char why[240];
    int err = keep_bot(c, obj, why, sizeof(why));
    if (err) {
        *message = why;
        return err;
    }
    return store_spec(app, "bots", obj);
}

static int widget_apply(struct app *app, const json_t *obj, const char **message)
{
    struct chat *c = chat_of(app);
    if (!c) {
        *message = "the chat service is not running";
        return EINVAL;
    }
    const char *bot = json_string_value(json_object_get(obj, "bot"));
    if (bot && !find_bot(c, bot)) {
        *message = "bot: no bot has this id (define it under bots)";
        return EINVAL;
    }
    const char *queue = json_string_value(json_object_get(obj, "queue"));
    json_t *q = routing_engine(app) ? router_queue_get(routing_engine(app), queue) : NULL;
    json_decref(q);
    if (!q) {
        *message = "queue: no router queue has this id (define it under queues)";
        return EINVAL;
    }
    if (unchanged(app, "chatWidgets", obj))
        return 0;
    json_object_set(c->widgets, json_string_value(json_object_get(obj, "id")), (json_t *)obj);
    return store_spec(app, "chatWidgets", obj);
}

static int bot_export(struct app *app, json_t **out)
{
    return config_export_specs(app, table, "bots", out);
}

static int widget_export(struct app *app, json_t **out)
{
    return config_export_specs(app, table, "chatWidgets", out);
}

/* Compile at validation time too, so a flow's mistakes come with the
 * file's line and column. */
static void bot_check(const json_t *obj, const char *path, const char *pointer,
                      struct schema_result *res)
{
    struct bot *b = NULL;
    char why[240];
    if (bot_compile(&b, obj, "UTC", why, sizeof(why)) != 0)
        schema_add_problem(res, path, pointer, false, why);
    bot_free(b);
}

static int chat_object_delete(struct app *app, const char *kind, const char *id, const char **why)
{
    struct chat *c = chat_of(app);
    if (strcmp(kind, "bots") == 0) {
        const char *wid;
        json_t *w;
        json_object_foreach(c->widgets, wid, w)
        {
            const char *bot = json_string_value(json_object_get(w, "bot"));
            if (bot && strcmp(bot, id) == 0) {
                *why = "a chat widget uses this bot: change the widget first";
                return EBUSY;
            }
        }
    }
    int err = config_spec_delete(app, table, kind, id);
    if (err)
        return err;
    if (strcmp(kind, "bots") == 0)
        mem_deref(find_bot(c, id));
    else
        json_object_del(c->widgets, id);
    return events_append(app->events, "chat", "configDeleted", id, NULL,
                         json_pack("{s:s, s:s}", "kind", kind, "id", id));
}

static int bot_remove(struct app *app, const char *id, const char **why)
{
    return chat_object_delete(app, "bots", id, why);
}

static int widget_remove(struct app *app, const char *id, const char **why)
{
    return chat_object_delete(app, "chatWidgets", id, why);
}

static json_t *bot_get(struct app *app, const char *id)
{
    return config_spec_get(app, table, "bots", id);
}

static json_t *widget_get(struct app *app, const char *id)
{
    return config_spec_get(app, table, "chatWidgets", id);
}

int chat_kinds_register(void)
{
    static struct config_kind kinds[] = {
        {.key = "bots",
         .list = true,
         .id_key = "id",
         .order = 40,
         .check = bot_check,
         .apply = bot_apply,
         .export = bot_export,
         .get = bot_get,
         .remove = bot_remove},
        {.key = "chatWidgets",
         .list = true,
         .id_key = "id",
         .order = 41,
         .schema = &widget_schema,
         .apply = widget_apply,
         .export = widget_export,
         .get = widget_get,
         .remove = widget_remove},
    };
    kinds[0].schema = bot_schema();
    return config_kind_register(&kinds[0]) | config_kind_register(&kinds[1]);
}
