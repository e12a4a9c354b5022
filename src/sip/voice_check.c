/*
 * voice_check.c - the designer's work checked as a whole (after every
 * import and every object the API writes): every target leads somewhere
 * that exists (a call queue, an attendant, a voicemail box, a person, an
 * extension, a trunk that dials an external number out), every call queue has a worker with a voice
 * channel who could ever answer it, and no caller can go round forever on the moves nobody chooses
 * (an attendant flow that is only a target, a queue's overflow, timeout and no-agents redirects).
 */
#include "core/app.h"
#include "core/config.h"
#include "core/principal.h"
#include "router/router.h"
#include "routing/service.h"
#include "sip/call.h"
#include "sip/dialplan.h"
#include "sip/trunks.h"
#include "sip/voice_kinds.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char problem[400];

static int fail(const char **message, const char *fmt, const char *a, const char *b, const char *c)
{
    snprintf(problem, sizeof(problem), fmt, a, b, c);
    *message = problem;
    return EINVAL;
}

static bool user_exists(struct app *app, const char *column_is_name, const char *value)
{
    json_t *row = NULL;
    struct store_val v[] = {sv_text(value)};
    int err = store_query_one(app->store,
                              column_is_name ? "SELECT id FROM users WHERE name = ?"
                                             : "SELECT id FROM users WHERE extension = ?",
                              v, 1, &row);
    json_decref(row);
    return err == 0;
}

/* Would a call to this external number find a trunk? As redirect.c
 * routes it: the number as dialled, an admin's permissions. */
static bool dialled_out(struct app *app, const char *number)
{
    char n[64];
    json_t *trunk = NULL;
    int err =
        dial_normalise(number, n, sizeof(n)) ? trunk_route_out(app, n, ROLE_ADMIN, &trunk) : EINVAL;
    json_decref(trunk);
    return err == 0;
}

/* Where a target leads, when that must exist: 0 or the problem. */
static int check_target(struct app *app, const json_t *t, const char *owner, const char *where,
                        const char **message)
{
    static const struct {
        const char *kind, *field, *store_kind, *what;
    } refs[] = {
        {"callQueue", "callQueue", "callQueues", "call queue"},
        {"attendant", "attendant", "attendants", "attendant"},
        {"voicemail", "box", "voicemailBoxes", "voicemail box"},
    };
    const char *kind = json_string_value(json_object_get(t, "kind"));
    if (!kind)
        return 0;
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        const char *id = json_string_value(json_object_get(t, refs[i].field));
        if (strcmp(kind, refs[i].kind) != 0 || !id)
            continue;
        json_t *o = voice_get(app, refs[i].store_kind, id);
        json_decref(o);
        if (!o) {
            char what[200];
            snprintf(what, sizeof(what), "%s \"%s\"", refs[i].what, id);
            return fail(message, "%s: %s leads to %s, which does not exist", owner, where, what);
        }
    }
    const char *user = json_string_value(json_object_get(t, "user"));
    if ((!strcmp(kind, "person") || !strcmp(kind, "voicemail")) && user &&
        !user_exists(app, "name", user))
        return fail(message, "%s: %s leads to user \"%s\", who does not exist", owner, where, user);
    const char *ext = json_string_value(json_object_get(t, "extension"));
    if (!strcmp(kind, "extension") && ext && !user_exists(app, NULL, ext))
        return fail(message, "%s: %s leads to extension %s, which nobody has", owner, where, ext);
    const char *number = json_string_value(json_object_get(t, "number"));
    if (!strcmp(kind, "external") && number && !dialled_out(app, number))
        return fail(message,
                    "%s: %s leads to %s, which no trunk dials out (no outbound allow-list has it)",
                    owner, where, number);
    return 0;
}

/* ---- the moves nobody chooses, as a graph ---- */

enum { MAX_NODES = 512 };

struct graph {
    char names[MAX_NODES][80]; /* "attendant main", "call queue sales" */
    int edges[MAX_NODES][8];
    int nedges[MAX_NODES];
    int n;
};

static int node(struct graph *g, const char *what, const char *id)
{
    char name[80];
    snprintf(name, sizeof(name), "%s %s", what, id);
    for (int i = 0; i < g->n; i++) {
        if (strcmp(g->names[i], name) == 0)
            return i;
    }
    if (g->n == MAX_NODES)
        return -1;
    snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
    g->nedges[g->n] = 0;
    return g->n++;
}

static int target_node(struct graph *g, const json_t *t)
{
    const char *kind = json_string_value(json_object_get(t, "kind"));
    if (kind && !strcmp(kind, "callQueue"))
        return node(g, "call queue", json_string_value(json_object_get(t, "callQueue")));
    if (kind && !strcmp(kind, "attendant"))
        return node(g, "attendant", json_string_value(json_object_get(t, "attendant")));
    return -1;
}

static void edge(struct graph *g, int from, int to)
{
    if (from >= 0 && to >= 0 && g->nedges[from] < 8)
        g->edges[from][g->nedges[from]++] = to;
}

/* Depth-first search for a cycle; path collects it for the message. */
static bool cycle_from(const struct graph *g, int v, int *state, int *stack, int depth, char *path,
                       size_t size)
{
    state[v] = 1;
    stack[depth] = v;
    for (int i = 0; i < g->nedges[v]; i++) {
        int w = g->edges[v][i];
        if (state[w] == 1) {
            int n = 0;
            int start = depth;
            while (start > 0 && stack[start] != w)
                start--;
            for (int k = start; k <= depth && n >= 0 && (size_t)n < size; k++)
                n += snprintf(path + n, size - (size_t)n, "%s -> ", g->names[stack[k]]);
            if (n >= 0 && (size_t)n < size)
                snprintf(path + n, size - (size_t)n, "%s", g->names[w]);
            return true;
        }
        if (state[w] == 0 && depth + 1 < MAX_NODES &&
            cycle_from(g, w, state, stack, depth + 1, path, size))
            return true;
    }
    state[v] = 2;
    return false;
}

static int check_flow(struct app *app, struct graph *g, int from, const json_t *flow,
                      const char *owner, const char *name, const char **message)
{
    char where[160];
    const json_t *menu = json_object_get(flow, "menu");
    const json_t *t = json_object_get(flow, "target");
    snprintf(where, sizeof(where), "%s.target", name);
    int err = check_target(app, t, owner, where, message);
    if (!menu)
        edge(g, from, target_node(g, t)); /* nobody chooses: it just goes */
    const char *more[] = {"operator", "default"};
    for (size_t i = 0; i < 2 && !err; i++) {
        snprintf(where, sizeof(where), "%s.menu.%s", name, more[i]);
        err = check_target(app, json_object_get(menu, more[i]), owner, where, message);
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(menu, "options"), i, o)
    {
        snprintf(where, sizeof(where), "%s.menu.options[%zu]", name, i);
        if (!err)
            err = check_target(app, json_object_get(o, "target"), owner, where, message);
    }
    return err;
}

/* A call queue nobody could ever answer: no worker with a voice channel
 * serves its router queue. */
static bool answerable(struct app *app, const char *rq)
{
    struct router *r = routing_engine(app);
    if (!r)
        return true; /* not running (an offline import): nothing to say */
    json_t *ids = router_list(r, "workers");
    bool yes = false;
    size_t i, j;
    json_t *id, *x;
    json_array_foreach(ids, i, id)
    {
        json_t *w = yes ? NULL : router_worker_get(r, json_string_value(id), 0);
        bool serves = false, voice = false;
        json_array_foreach(json_object_get(w, "queues"), j, x)
        {
            serves |= json_string_value(x) && strcmp(json_string_value(x), rq) == 0;
        }
        json_array_foreach(json_object_get(w, "channels"), j, x)
        {
            const char *ch = json_string_value(json_object_get(x, "channelId"));
            voice |= ch && strcmp(ch, "voice") == 0;
        }
        yes |= serves && voice;
        json_decref(w);
    }
    json_decref(ids);
    return yes;
}

int voice_verify(struct app *app, const char **message)
{
    json_t *numbers = NULL, *attendants = NULL, *queues = NULL;
    int err = voice_export(app, "numbers", &numbers);
    if (!err)
        err = voice_export(app, "attendants", &attendants);
    if (!err)
        err = voice_export(app, "callQueues", &queues);
    struct graph *g = err ? NULL : mem_zalloc(sizeof(*g), NULL);
    if (!err && !g)
        err = ENOMEM;
    size_t i, j;
    json_t *o, *h;
    char owner[120];
    json_array_foreach(numbers, i, o)
    {
        snprintf(owner, sizeof(owner), "number %s",
                 json_string_value(json_object_get(o, "number")));
        if (!err)
            err = check_target(app, json_object_get(o, "target"), owner, "target", message);
    }
    json_array_foreach(attendants, i, o)
    {
        const char *id = json_string_value(json_object_get(o, "id"));
        snprintf(owner, sizeof(owner), "attendant %s", id);
        int from = err ? -1 : node(g, "attendant", id);
        const char *flows[] = {"open", "closed"};
        for (size_t k = 0; k < 2 && !err; k++)
            err = check_flow(app, g, from, json_object_get(o, flows[k]), owner, flows[k], message);
        json_array_foreach(json_object_get(o, "holidays"), j, h)
        {
            char name[80];
            snprintf(name, sizeof(name), "holidays[%zu].flow", j);
            if (!err)
                err = check_flow(app, g, from, json_object_get(h, "flow"), owner, name, message);
        }
    }
    json_array_foreach(queues, i, o)
    {
        const char *id = json_string_value(json_object_get(o, "id"));
        snprintf(owner, sizeof(owner), "call queue %s", id);
        const char *rq = json_string_value(json_object_get(o, "queue"));
        if (!err && rq && !answerable(app, rq))
            err = fail(message,
                       "%s: no worker with a voice channel serves router queue \"%s\", so no call "
                       "could ever be answered%s",
                       owner, rq, "; add one, or choose another queue");
        int from = err ? -1 : node(g, "call queue", id);
        const char *rules[] = {"overflow", "timeout", "noAgents"};
        for (size_t k = 0; k < 3 && !err; k++) {
            const json_t *t = json_object_get(json_object_get(o, rules[k]), "target");
            char where[40];
            snprintf(where, sizeof(where), "%s.target", rules[k]);
            err = check_target(app, t, owner, where, message);
            edge(g, from, target_node(g, t));
        }
    }
    if (!err) {
        int state[MAX_NODES] = {0}, stack[MAX_NODES];
        char path[300] = "";
        for (int v = 0; v < g->n && !err; v++) {
            if (state[v] == 0 && cycle_from(g, v, state, stack, 0, path, sizeof(path)))
                err = fail(message, "a caller could go round forever with no way out: %s%s%s", path,
                           " (every step goes on by itself: give one of them a menu or another "
                           "target)",
                           "");
        }
    }
    mem_deref(g);
    json_decref(numbers);
    json_decref(attendants);
    json_decref(queues);
    return err;
}
