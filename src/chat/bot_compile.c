/*
 * bot_compile.c - turns a bot flow (bot.h) into its compiled form
 * (bot_internal.h), checking what a schema cannot: that every reference
 * names a node or intent that exists, that keywords, phrases and synonyms
 * keep some words once normalised, that business hours compile; the nodes
 * themselves (patterns, expressions, one action each) are bot_nodes.c's.
 * The first problem found is reported with its path.
 *
 * It does not rely on the schema having run: any value of the wrong type
 * is an error here too, never a crash.
 */
#include "chat/bot_internal.h"
#include "core/libre.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int bot_compile_fail(struct bot_compiler *c, const char *fmt, ...)
{
    va_list ap;
    if (c->err && c->size) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->size, fmt, ap);
        va_end(ap);
    }
    return EINVAL;
}

bool bot_is_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              strchr("._-", *s)))
            return false;
    return true;
}

bool bot_is_texts(const json_t *v)
{
    size_t i;
    const json_t *item;
    if (json_is_string(v))
        return true;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return false;
    }
    return true;
}

int bot_node_index(const struct bot *b, const char *id)
{
    for (size_t i = 0; id && i < b->nnodes; i++)
        if (!strcmp(b->nodes[i].id, id))
            return (int)i;
    return -1;
}

int bot_intent_index(const struct bot *b, const char *id)
{
    for (size_t i = 0; id && i < b->nintents; i++)
        if (!strcmp(b->intents[i].id, id))
            return (int)i;
    return -1;
}

int bot_node_ref(struct bot_compiler *c, const json_t *v, int *out, const char *path)
{
    *out = -1;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return bot_compile_fail(c, "%s: expected a node id", path);
    if ((*out = bot_node_index(c->b, json_string_value(v))) < 0)
        return bot_compile_fail(c, "%s: no node \"%.64s\"", path, json_string_value(v));
    return 0;
}

/* ---- synonyms and intents ---- */

/* Normalise words of the flow (without synonyms): some must be left. */
static int words(struct bot_compiler *c, const char *text, char **out, const char *path)
{
    if (!(*out = bot_text_normalize(NULL, text)))
        return ENOMEM;
    if (!**out) {
        *out = mem_deref(*out);
        return bot_compile_fail(c, "%s: no words left once normalised: \"%.64s\"", path, text);
    }
    return 0;
}

/* Add word -> canonical, unless the word already means the same. */
static int add_synonym(struct bot_compiler *c, char *word, char *canon, const char *path)
{
    struct bot *b = c->b;
    for (size_t k = 0; k < b->nsynonyms; k++) {
        if (strcmp(b->synonyms[k].word, word))
            continue;
        int err = strcmp(b->synonyms[k].canonical, canon)
                      ? bot_compile_fail(c, "%s: \"%.64s\" is already a synonym of \"%.64s\"", path,
                                         word, b->synonyms[k].canonical)
                      : 0;
        mem_deref(word);
        return err;
    }
    if (!strcmp(word, canon)) { /* a word meaning itself */
        mem_deref(word);
        return 0;
    }
    b->synonyms[b->nsynonyms++] = (struct bot_synonym){word, mem_ref(canon)};
    return 0;
}

static int compile_synonyms(struct bot_compiler *c, const json_t *spec)
{
    struct bot *b = c->b;
    const char *key;
    const json_t *list, *item;
    size_t i, total = 0;
    char path[160];
    int err = 0;
    if (!spec)
        return 0;
    if (!json_is_object(spec))
        return bot_compile_fail(c, "synonyms: expected an object of word lists");
    json_object_foreach((json_t *)spec, key, list)
    {
        total += json_array_size(list);
    }
    if (!(b->synonyms = mem_zalloc((total + 1) * sizeof(*b->synonyms), NULL)))
        return ENOMEM;
    json_object_foreach((json_t *)spec, key, list)
    {
        char *canon = NULL, *word;
        snprintf(path, sizeof(path), "synonyms.%.64s", key);
        if (!json_is_array(list))
            return bot_compile_fail(c, "%s: expected a list of words", path);
        if ((err = words(c, key, &canon, path)))
            return err;
        json_array_foreach(list, i, item)
        {
            snprintf(path, sizeof(path), "synonyms.%.64s[%zu]", key, i);
            if (!json_is_string(item))
                err = bot_compile_fail(c, "%s: expected a word", path);
            else if (!(err = words(c, json_string_value(item), &word, path)))
                err = add_synonym(c, word, canon, path);
            if (err)
                break;
        }
        mem_deref(canon);
        if (err)
            return err;
    }
    return 0;
}

/* Normalise a list of keywords or phrases into *outp. */
static int compile_words(struct bot_compiler *c, const json_t *list, char ***outp, size_t *np,
                         const char *path)
{
    size_t i;
    const json_t *item;
    if (!list)
        return 0;
    if (!json_is_array(list))
        return bot_compile_fail(c, "%s: expected a list of texts", path);
    if (!(*outp = mem_zalloc((json_array_size(list) + 1) * sizeof(char *), NULL)))
        return ENOMEM;
    json_array_foreach(list, i, item)
    {
        char *norm;
        if (!json_is_string(item))
            return bot_compile_fail(c, "%s[%zu]: expected a text", path, i);
        if (!(norm = bot_text_normalize(c->b, json_string_value(item))))
            return ENOMEM;
        (*outp)[(*np)++] = norm;
        if (!*norm)
            return bot_compile_fail(c, "%s[%zu]: no words left once normalised: \"%.64s\"", path, i,
                                    json_string_value(item));
    }
    return 0;
}

static int compile_intents(struct bot_compiler *c, const json_t *spec)
{
    struct bot *b = c->b;
    const json_t *item;
    size_t i;
    char path[96];
    int err;
    if (!spec)
        return 0;
    if (!json_is_array(spec))
        return bot_compile_fail(c, "intents: expected a list of intents");
    if (!(b->intents = mem_zalloc((json_array_size(spec) + 1) * sizeof(*b->intents), NULL)))
        return ENOMEM;
    json_array_foreach(spec, i, item)
    {
        struct bot_intent *in = &b->intents[b->nintents++];
        in->id = json_string_value(json_object_get(item, "id"));
        if (!json_is_object(item))
            return bot_compile_fail(c, "intents[%zu]: expected an object", i);
        if (!bot_is_id(in->id))
            return bot_compile_fail(c, "intents[%zu].id: expected an id (%s)", i, BOT_ID_RULE);
        if (bot_intent_index(b, in->id) != (int)i)
            return bot_compile_fail(c, "intents[%zu].id: \"%s\" is already intents[%d]", i, in->id,
                                    bot_intent_index(b, in->id));
        snprintf(path, sizeof(path), "intents[%zu].keywords", i);
        if ((err = compile_words(c, json_object_get(item, "keywords"), &in->keywords,
                                 &in->nkeywords, path)))
            return err;
        snprintf(path, sizeof(path), "intents[%zu].phrases", i);
        if ((err = compile_words(c, json_object_get(item, "phrases"), &in->phrases, &in->nphrases,
                                 path)))
            return err;
        if (!in->nkeywords && !in->nphrases)
            return bot_compile_fail(c, "intents[%zu]: expected keywords or phrases", i);
        snprintf(path, sizeof(path), "intents[%zu].goto", i);
        if ((err = bot_node_ref(c, json_object_get(item, "goto"), &in->target, path)))
            return err;
        if (in->target < 0)
            return bot_compile_fail(c, "%s: expected the node the intent leads to", path);
    }
    return 0;
}

static int compile_nodes(struct bot_compiler *c, const json_t *spec)
{
    struct bot *b = c->b;
    const char *key;
    const json_t *v;
    if (!json_is_object(spec))
        return bot_compile_fail(c, "nodes: expected an object of nodes");
    if (!(b->nodes = mem_zalloc((json_object_size(spec) + 1) * sizeof(*b->nodes), NULL)))
        return ENOMEM;
    json_object_foreach((json_t *)spec, key, v)
    {
        if (!bot_is_id(key))
            return bot_compile_fail(c, "nodes: \"%.64s\" is not a node id (%s)", key, BOT_ID_RULE);
        b->nodes[b->nnodes++] = (struct bot_node){.id = key, .next = -1, .on_fail = -1};
    }
    return 0;
}

/* ---- the flow ---- */

static int compile_fallback(struct bot_compiler *c, const json_t *spec)
{
    const json_t *max = json_object_get(spec, "maxMisses");
    struct bot *b = c->b;
    b->max_misses = BOT_DEFAULT_MISSES;
    if (!spec)
        return 0;
    if (!json_is_object(spec))
        return bot_compile_fail(c, "fallback: expected an object");
    b->fallback_say = json_object_get(spec, "say");
    if (b->fallback_say && !bot_is_texts(b->fallback_say))
        return bot_compile_fail(c, "fallback.say: expected a text or a list of texts");
    if (max &&
        (!json_is_integer(max) || json_integer_value(max) < 1 || json_integer_value(max) > 100))
        return bot_compile_fail(c, "fallback.maxMisses: expected a whole number from 1 to 100");
    if (max)
        b->max_misses = (int)json_integer_value(max);
    return bot_node_ref(c, json_object_get(spec, "goto"), &b->fallback_target, "fallback.goto");
}

static int compile_hours(struct bot_compiler *c, const json_t *spec, const char *default_tz)
{
    char why[200];
    int err;
    if (!spec)
        return 0;
    if ((err = schedule_compile(&c->b->hours, spec, default_tz, why, sizeof(why)))) {
        /* "weekly.mon[1]: ..." continues the path; "expected ..." does not */
        bool keyed = !strncmp(why, "weekly", 6) || !strncmp(why, "holidays", 8) ||
                     !strncmp(why, "timezone", 8);
        return err == ENOMEM ? err
                             : bot_compile_fail(c, "businessHours%s%s", keyed ? "." : ": ", why);
    }
    return bot_node_ref(c, json_object_get(spec, "afterHours"), &c->b->after_hours,
                        "businessHours.afterHours");
}

static void bot_destructor(void *arg)
{
    struct bot *b = arg;
    for (size_t i = 0; i < b->nnodes; i++) {
        struct bot_node *n = &b->nodes[i];
        if (n->has_pattern)
            regfree(&n->pattern);
        for (size_t k = 0; k < n->nbranches; k++)
            expr_free(n->branches[k].cond);
        mem_deref(n->branches);
    }
    for (size_t i = 0; i < b->nintents; i++) {
        for (size_t k = 0; k < b->intents[i].nkeywords; k++)
            mem_deref(b->intents[i].keywords[k]);
        for (size_t k = 0; k < b->intents[i].nphrases; k++)
            mem_deref(b->intents[i].phrases[k]);
        mem_deref(b->intents[i].keywords);
        mem_deref(b->intents[i].phrases);
    }
    for (size_t i = 0; i < b->nsynonyms; i++) {
        mem_deref(b->synonyms[i].word);
        mem_deref(b->synonyms[i].canonical);
    }
    mem_deref(b->nodes);
    mem_deref(b->intents);
    mem_deref(b->synonyms);
    schedule_free(b->hours);
    json_decref(b->spec);
    pthread_mutex_destroy(&b->eval_lock);
}

static int compile_flow(struct bot_compiler *c, const char *default_tz)
{
    struct bot *b = c->b;
    const json_t *spec = b->spec;
    int err;
    b->id = json_string_value(json_object_get(spec, "id"));
    if (!bot_is_id(b->id))
        return bot_compile_fail(c, "id: expected an id (%s)", BOT_ID_RULE);
    if ((err = compile_nodes(c, json_object_get(spec, "nodes"))) ||
        (err = bot_node_ref(c, json_object_get(spec, "start"), &b->start, "start")))
        return err;
    if (b->start < 0)
        return bot_compile_fail(c, "start: expected the id of the first node");
    if ((err = compile_synonyms(c, json_object_get(spec, "synonyms"))) ||
        (err = compile_intents(c, json_object_get(spec, "intents"))) ||
        (err = compile_fallback(c, json_object_get(spec, "fallback"))) ||
        (err = compile_hours(c, json_object_get(spec, "businessHours"), default_tz)))
        return err;
    for (size_t i = 0; i < b->nnodes; i++)
        if ((err = bot_compile_node(
                 c, &b->nodes[i], json_object_get(json_object_get(spec, "nodes"), b->nodes[i].id))))
            return err;
    return 0;
}

int bot_compile(struct bot **bp, const json_t *spec, const char *default_tz, char *err,
                size_t errsize)
{
    struct bot_compiler c = {.err = err, .size = errsize};
    int rc;
    if (err && errsize)
        err[0] = '\0';
    if (!bp || !json_is_object(spec))
        return bot_compile_fail(&c, "expected a flow (an object)");
    if (!(c.b = mem_zalloc(sizeof(*c.b), bot_destructor)))
        return ENOMEM;
    pthread_mutex_init(&c.b->eval_lock, NULL);
    c.b->start = c.b->after_hours = c.b->fallback_target = -1;
    if (!(c.b->spec = json_deep_copy(spec)))
        rc = ENOMEM;
    else
        rc = compile_flow(&c, default_tz);
    if (rc) {
        if (rc == ENOMEM)
            bot_compile_fail(&c, "out of memory");
        mem_deref(c.b);
        return rc;
    }
    *bp = c.b;
    return 0;
}

void bot_free(struct bot *b)
{
    mem_deref(b);
}

const char *bot_id(const struct bot *b)
{
    return b ? b->id : NULL;
}

bool bot_is_external(const struct bot *b)
{
    return b && b->nodes[b->start].kind == BOT_WEBHOOK;
}
