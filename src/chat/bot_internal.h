/*
 * bot_internal.h - the compiled form of a bot flow, shared by the files of
 * the interpreter: bot_compile.c and bot_nodes.c build it, bot_run.c and
 * bot.c run it, bot_text.c holds the text helpers both sides use. Not
 * part of the contract (bot.h).
 *
 * Strings that come from the flow point into `spec`, the bot's own copy
 * of the flow; everything else is mem-allocated and owned by the bot.
 */
#ifndef SB_CHAT_BOT_INTERNAL_H
#define SB_CHAT_BOT_INTERNAL_H

#include "chat/bot.h"
#include "core/schedule.h"
#include "router/expr.h"

#include <pthread.h>
#include <regex.h>

#define BOT_MAX_ENTRIES      32 /* nodes entered for one input */
#define BOT_DEFAULT_ATTEMPTS 3
#define BOT_DEFAULT_MISSES   2
#define BOT_DEFAULT_TIMEOUT  5.0

enum bot_kind {
    BOT_NONE = 0,
    BOT_ASK,
    BOT_BRANCH,
    BOT_HANDOFF,
    BOT_TAKE_MESSAGE,
    BOT_END,
    BOT_WEBHOOK,
};

struct bot_branch {
    struct expr *cond; /* NULL: the `else` entry */
    int target;
};

struct bot_node {
    const char *id;
    const json_t *set;     /* object or NULL */
    const json_t *say;     /* string, array of strings, or NULL */
    const json_t *replies; /* quickReplies array or NULL */
    int next;              /* node index, -1 none */
    enum bot_kind kind;
    /* ask, takeMessage */
    const char *field, *prompt, *invalid;
    bool has_pattern;
    regex_t pattern;
    int max_attempts, on_fail;
    /* branch */
    struct bot_branch *branches;
    size_t nbranches;
    /* handoff: {queue, priority, labels} as given */
    const json_t *handoff;
    /* webhook */
    const char *url, *secret;
    double timeout;
};

struct bot_intent {
    const char *id;
    char **keywords, **phrases; /* normalised, mem-allocated */
    size_t nkeywords, nphrases;
    int target;
};

struct bot_synonym {
    char *word, *canonical; /* both normalised */
};

struct bot {
    json_t *spec; /* the bot's copy of the flow */
    const char *id;
    int start, after_hours; /* node indexes; after_hours -1 none */
    struct schedule *hours; /* NULL: always open */
    struct bot_node *nodes;
    size_t nnodes;
    struct bot_intent *intents;
    size_t nintents;
    struct bot_synonym *synonyms;
    size_t nsynonyms;
    const json_t *fallback_say;
    int fallback_target, max_misses;
    pthread_mutex_t eval_lock; /* a compiled expression's scratch space */
};

/* ---- compiling (bot_compile.c, bot_nodes.c) ---- */

#define BOT_ID_RULE "letters, digits, '.', '_' or '-', 1 to 64 of them"

struct bot_compiler {
    struct bot *b;
    char *err; /* the first problem, with its path */
    size_t size;
};

/* Write the problem into c's err; returns EINVAL. */
int bot_compile_fail(struct bot_compiler *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool bot_is_id(const char *s);
/* A string, or an array of strings. */
bool bot_is_texts(const json_t *v);
/* Resolve a node reference v (NULL: *out = -1); path says where it is. */
int bot_node_ref(struct bot_compiler *c, const json_t *v, int *out, const char *path);
/* Compile node n (its id and defaults set) from its spec. */
int bot_compile_node(struct bot_compiler *c, struct bot_node *n, const json_t *spec);

/* ---- running (bot_run.c; the inputs are bot.c's) ---- */

/* One call of bot_start() or bot_input(): where it writes. */
struct bot_run {
    const struct bot *b;
    json_t *state, *vars, *actions;
    unsigned entered; /* nodes entered for this input */
    bool oom;         /* an allocation failed on the way */
};

void bot_run_emit(struct bot_run *r, json_t *action); /* takes the reference */
void bot_run_put(struct bot_run *r, json_t *obj, const char *key, json_t *value);
void bot_run_wait(struct bot_run *r, const char *wait);
void bot_run_set_int(struct bot_run *r, const char *key, int v);
void bot_run_error(struct bot_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Say `texts` (a string, an array of strings or NULL) and then `extra`;
 * the last text said carries node n's quick replies (n may be NULL), which
 * become the state's. Returns how many texts were said. */
size_t bot_run_say(struct bot_run *r, const struct bot_node *n, const json_t *texts,
                   const char *extra);
/* Enter node idx and follow the flow until it waits (idx -1: nothing). */
void bot_run_from(struct bot_run *r, int idx);

/* ---- lookups and text (bot_compile.c, bot_text.c) ---- */

/* The index of node `id`, or -1. */
int bot_node_index(const struct bot *b, const char *id);
/* The index of intent `id`, or -1. */
int bot_intent_index(const struct bot *b, const char *id);

/* Normalise text (bot.h) into a new mem-allocated string; b may be NULL
 * (no synonyms). NULL on ENOMEM. */
char *bot_text_normalize(const struct bot *b, const char *text);

/* The score of intent `in` for a normalised input given with a space at
 * each end (" a b c "): 2 per phrase found, 1 per keyword found. */
int bot_text_score(const struct bot_intent *in, const char *padded);

/* Render a template: "{{name}}" becomes the variable `name` of vars ("" when
 * unset). A new JSON string, or NULL on ENOMEM. */
json_t *bot_text_render(const char *tmpl, const json_t *vars);

#endif
