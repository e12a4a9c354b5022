/*
 * bot_nodes.c - compiling the nodes of a bot flow (see bot_compile.c for
 * the flow around them): quick replies, the one action of each node (ask
 * with its pattern, branch with its expressions, handoff, takeMessage,
 * end, webhook), `set`, `say` and `next`.
 */
#include "chat/bot_internal.h"
#include "core/libre.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const scopes[] = {"vars", NULL};

static int compile_replies(struct bot_compiler *c, struct bot_node *n, const json_t *list)
{
    size_t i;
    const json_t *r;
    char path[160];
    int target, err;
    if (!list)
        return 0;
    if (!json_is_array(list))
        return bot_compile_fail(c, "nodes.%s.quickReplies: expected a list of quick replies",
                                n->id);
    json_array_foreach(list, i, r)
    {
        const json_t *go = json_object_get(r, "goto"), *intent = json_object_get(r, "intent");
        snprintf(path, sizeof(path), "nodes.%s.quickReplies[%zu]", n->id, i);
        if (!json_is_string(json_object_get(r, "label")))
            return bot_compile_fail(c, "%s: expected a label", path);
        if (!go == !intent)
            return bot_compile_fail(c, "%s: expected either goto or intent", path);
        strcat(path, go ? ".goto" : ".intent");
        if (go && (err = bot_node_ref(c, go, &target, path)))
            return err;
        if (intent && bot_intent_index(c->b, json_string_value(intent)) < 0)
            return bot_compile_fail(c, "%s: no intent \"%.64s\"", path,
                                    json_is_string(intent) ? json_string_value(intent) : "");
    }
    n->replies = json_array_size(list) ? list : NULL;
    return 0;
}

static int compile_ask(struct bot_compiler *c, struct bot_node *n, const json_t *ask)
{
    const json_t *pattern = json_object_get(ask, "pattern"), *max;
    char path[160];
    int err;
    n->field = json_string_value(json_object_get(ask, "field"));
    n->prompt = json_string_value(json_object_get(ask, "prompt"));
    n->invalid = json_string_value(json_object_get(ask, "invalid"));
    if (!json_is_object(ask))
        return bot_compile_fail(c, "nodes.%s.ask: expected an object", n->id);
    if (!bot_is_id(n->field))
        return bot_compile_fail(c, "nodes.%s.ask.field: expected an id (%s)", n->id, BOT_ID_RULE);
    if (!n->prompt)
        return bot_compile_fail(c, "nodes.%s.ask.prompt: expected a text", n->id);
    if (json_object_get(ask, "invalid") && !n->invalid)
        return bot_compile_fail(c, "nodes.%s.ask.invalid: expected a text", n->id);
    max = json_object_get(ask, "maxAttempts");
    n->max_attempts = max ? (int)json_integer_value(max) : BOT_DEFAULT_ATTEMPTS;
    if (max &&
        (!json_is_integer(max) || json_integer_value(max) < 1 || json_integer_value(max) > 100))
        return bot_compile_fail(
            c, "nodes.%s.ask.maxAttempts: expected a whole number from 1 to 100", n->id);
    snprintf(path, sizeof(path), "nodes.%s.ask.onFail", n->id);
    if ((err = bot_node_ref(c, json_object_get(ask, "onFail"), &n->on_fail, path)))
        return err;
    if (n->on_fail < 0)
        n->on_fail = c->b->fallback_target;
    if (pattern && !json_is_string(pattern))
        return bot_compile_fail(c, "nodes.%s.ask.pattern: expected a regular expression", n->id);
    if (pattern) {
        int rc = regcomp(&n->pattern, json_string_value(pattern), REG_EXTENDED);
        char why[96];
        if (rc) {
            regerror(rc, NULL, why, sizeof(why));
            return bot_compile_fail(c, "nodes.%s.ask.pattern: bad regular expression (%s)", n->id,
                                    why);
        }
        n->has_pattern = true;
    }
    return 0;
}

static int compile_branch(struct bot_compiler *c, struct bot_node *n, const json_t *list)
{
    size_t i;
    const json_t *e;
    char path[160];
    int err;
    if (!json_is_array(list) || !json_array_size(list))
        return bot_compile_fail(c, "nodes.%s.branch: expected a list of {if, goto} and {else}",
                                n->id);
    if (!(n->branches = mem_zalloc(json_array_size(list) * sizeof(*n->branches), NULL)))
        return ENOMEM;
    json_array_foreach(list, i, e)
    {
        struct bot_branch *br = &n->branches[n->nbranches++];
        const json_t *cond = json_object_get(e, "if"), *els = json_object_get(e, "else");
        snprintf(path, sizeof(path), "nodes.%s.branch[%zu]", n->id, i);
        if (!json_is_object(e) || !cond == !els)
            return bot_compile_fail(c, "%s: expected {if, goto} or {else}", path);
        if (els) {
            strcat(path, ".else");
            if ((err = bot_node_ref(c, els, &br->target, path)))
                return err;
            continue;
        }
        struct expr_error xe = {0};
        if (!json_is_string(cond))
            return bot_compile_fail(c, "%s.if: expected an expression", path);
        if ((err = expr_compile(&br->cond, json_string_value(cond), scopes, &xe)))
            return err == ENOMEM ? err : bot_compile_fail(c, "%s.if: %s", path, xe.message);
        strcat(path, ".goto");
        if ((err = bot_node_ref(c, json_object_get(e, "goto"), &br->target, path)))
            return err;
        if (br->target < 0)
            return bot_compile_fail(c, "%s: expected the node to go to", path);
    }
    return 0;
}

static int compile_action(struct bot_compiler *c, struct bot_node *n, const json_t *spec)
{
    const json_t *v;
    switch (n->kind) {
    case BOT_ASK:
        return compile_ask(c, n, json_object_get(spec, "ask"));
    case BOT_BRANCH:
        return compile_branch(c, n, json_object_get(spec, "branch"));
    case BOT_HANDOFF:
        n->handoff = v = json_object_get(spec, "handoff");
        if (!json_is_object(v))
            return bot_compile_fail(c, "nodes.%s.handoff: expected an object", n->id);
        if (json_object_get(v, "queue") && !json_is_string(json_object_get(v, "queue")))
            return bot_compile_fail(c, "nodes.%s.handoff.queue: expected a queue id", n->id);
        if (json_object_get(v, "labels") && !json_is_object(json_object_get(v, "labels")))
            return bot_compile_fail(c, "nodes.%s.handoff.labels: expected an object", n->id);
        return 0;
    case BOT_TAKE_MESSAGE:
        v = json_object_get(spec, "takeMessage");
        if (!(n->prompt = json_string_value(json_object_get(v, "prompt"))))
            return bot_compile_fail(c, "nodes.%s.takeMessage.prompt: expected a text", n->id);
        return 0;
    case BOT_WEBHOOK:
        v = json_object_get(spec, "webhook");
        n->url = json_string_value(json_object_get(v, "url"));
        n->secret = json_string_value(json_object_get(v, "secret"));
        n->timeout = BOT_DEFAULT_TIMEOUT;
        if (!n->url)
            return bot_compile_fail(c, "nodes.%s.webhook.url: expected a URL", n->id);
        if ((v = json_object_get(v, "timeoutSeconds"))) {
            n->timeout = json_number_value(v);
            if (!json_is_number(v) || n->timeout <= 0)
                return bot_compile_fail(c, "nodes.%s.webhook.timeoutSeconds: expected seconds",
                                        n->id);
        }
        return 0;
    default:
        return 0;
    }
}

int bot_compile_node(struct bot_compiler *c, struct bot_node *n, const json_t *spec)
{
    static const char *const actions[] = {NULL,          "ask", "branch", "handoff",
                                          "takeMessage", "end", "webhook"};
    const char *key;
    const json_t *v, *value;
    int err;
    char path[128];
    if (!json_is_object(spec))
        return bot_compile_fail(c, "nodes.%s: expected an object", n->id);
    for (int k = BOT_ASK; k <= BOT_WEBHOOK; k++) {
        v = json_object_get(spec, actions[k]);
        if (!v || (k == BOT_END && json_is_false(v)))
            continue;
        if (n->kind)
            return bot_compile_fail(c, "nodes.%s: more than one action (%s and %s)", n->id,
                                    actions[n->kind], actions[k]);
        n->kind = (enum bot_kind)k;
    }
    if ((err = compile_action(c, n, spec)))
        return err;
    n->set = v = json_object_get(spec, "set");
    if (v && !json_is_object(v))
        return bot_compile_fail(c, "nodes.%s.set: expected an object of variables", n->id);
    json_object_foreach((json_t *)n->set, key, value)
    {
        if (!bot_is_id(key))
            return bot_compile_fail(c, "nodes.%s.set: \"%.64s\" is not a variable name (%s)", n->id,
                                    key, BOT_ID_RULE);
    }
    n->say = json_object_get(spec, "say");
    if (n->say && !bot_is_texts(n->say))
        return bot_compile_fail(c, "nodes.%s.say: expected a text or a list of texts", n->id);
    if ((err = compile_replies(c, n, json_object_get(spec, "quickReplies"))))
        return err;
    if (n->replies && !json_array_size(n->say) && !json_is_string(n->say) && !n->prompt)
        return bot_compile_fail(
            c, "nodes.%s.quickReplies: expected a say or a prompt to go with them", n->id);
    snprintf(path, sizeof(path), "nodes.%s.next", n->id);
    return bot_node_ref(c, json_object_get(spec, "next"), &n->next, path);
}
