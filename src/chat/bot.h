/*
 * bot.h - the bot flow interpreter: pure logic, no sockets, no clock of
 * its own. The chat service (src/chat/service.c) keeps each conversation's
 * state as JSON in the store and calls bot_start() when a thread opens and
 * bot_input() for each consumer message; the interpreter answers with a
 * list of actions for the service to carry out.
 *
 * ---- A flow (configuration kind "bots", validated by bot_schema()) ------
 *
 *   id: harbor-assistant
 *   name: Harbor Cycles assistant
 *   start: welcome                    node run when a conversation opens
 *   businessHours:                    optional (schedule.h shape)
 *     timezone: Europe/London         default: the organisation's zone
 *     weekly: {mon: ["09:00-18:00"], ...}
 *     holidays: [{date: "2026-12-25", name: Christmas Day}]
 *     afterHours: after-hours         node run instead of `start` when closed
 *                                     (none: `start` runs, after the action)
 *   synonyms:                         canonical word -> words meaning it
 *                                     (an entry may be several words, e.g.
 *                                     "send back"; no entry may mean two
 *                                     different canonical words)
 *     person: [human, agent, someone, representative, operator]
 *   intents:                          matched against free text, in order
 *     - id: hours
 *       keywords: [hours, open, close]          any one matches (a keyword
 *                                               of several words: together)
 *       phrases: ["what time do you open"]      all its words, in order
 *       goto: hours
 *   fallback:                         free text that matches nothing
 *     say: "Sorry, I didn't catch that."
 *     maxMisses: 2                    then go to `goto` (misses in a row)
 *     goto: offer-person
 *   nodes:
 *     welcome:
 *       say: "Hi {{name}}! How can I help?"     string or list of strings
 *       quickReplies:
 *         - {label: Opening hours, goto: hours}
 *         - {label: Talk to a person, intent: person}
 *     order-status:
 *       ask:
 *         field: orderNumber
 *         prompt: "What is your order number? It looks like HC-12345."
 *         pattern: "^HC-[0-9]{5}$"    POSIX extended regex, whole input
 *         invalid: "That doesn't look like an order number (HC-12345)."
 *         maxAttempts: 3              then go to onFail (default: fallback.goto)
 *         onFail: handoff
 *       next: order-found
 *     check:
 *       branch:                       first true `if` wins; `else` otherwise
 *         - {if: "vars.orderNumber == 'HC-00000'", goto: unknown-order}
 *         - {else: order-found}
 *     handoff:
 *       set: {topic: orders}          variables (templates allowed)
 *       say: "Let me find a person for you."
 *       handoff: {queue: support, priority: 1, labels: {topic: "{{topic}}"}}
 *     leave-message:
 *       takeMessage: {prompt: "Leave us a message and we will write back."}
 *     bye:
 *       say: "Goodbye!"
 *       end: true
 *     my-bot:
 *       webhook: {url: "http://...", secret: "...", timeoutSeconds: 5}
 *                                     (timeoutSeconds default 5)
 *
 * Ids (bot, nodes, intents, fields, `set` variables) are [A-Za-z0-9_.-],
 * 1..64 characters. quickReplies go with the node's last text, so a node
 * with quick replies needs a `say` (or an ask/takeMessage prompt).
 * Texts: `say`, `prompt`, `invalid`, labels and values take templates:
 * "{{name}}" (or "{{ name }}") is the variable `name` ("" when unset;
 * numbers and true/false as JSON writes them); a "{{" that starts no
 * variable stays as it is. Variables live in the state's "vars";
 * collected fields are variables too, and are also listed in "fields"
 * (what the agent sees after a handoff).
 *
 * ---- Running a node ---------------------------------------------------
 *
 * Entering a node does, in this order: `set`; `say` (each text one "say"
 * action, the last carrying the node's quickReplies); then the node's one
 * action, if any:
 *   ask         says the prompt (with the quick replies) and waits for the
 *               answer; an answer matching `pattern` (the whole trimmed
 *               text; no pattern: any non-empty text) is stored in the
 *               field and the flow goes to `next`; otherwise `invalid` (or
 *               the prompt again) is said, up to maxAttempts (default 3)
 *               answers in all, then onFail (the last failed answer
 *               emits "invalid" and says nothing more; without onFail and
 *               fallback.goto the bot stops asking and waits for free
 *               text). While asking, intents are not matched, except that
 *               an answer matching a quick reply label takes that reply.
 *   branch      goes to the first entry whose `if` (the router's
 *               expression language, src/router/expr.h, with the one scope
 *               "vars") is true, else to `else`; no match and no else:
 *               waits for input.
 *   handoff     emits "handoff" and the conversation is done.
 *   takeMessage says the prompt and waits: the next input is emitted as
 *               "messageTaken", then the node's `next` runs if any (to say
 *               thanks), and the conversation is done.
 *   end         emits "end"; the conversation is done.
 *   webhook     from now on every input is emitted as "webhook" (the
 *               service posts it); the state stays on this node.
 * Then `next` (a node id) is entered at once; without `next` (and when the
 * node did not wait) the bot waits for free text.
 * Entering more than 32 nodes for one input stops with an error action
 * (a loop in the flow) and the bot waits for free text; bot_compile()
 * refuses references to unknown nodes, bad patterns and bad expressions.
 * A state whose node the flow no longer has (it changed) gets an error
 * action and its input is read as free text.
 *
 * ---- Free text --------------------------------------------------------
 *
 * Waiting for free text, an input is matched in this order: a quick reply
 * of the last said node whose label equals the input (normalised) — its
 * `goto` node, or its `intent`; then the intents: the score of an intent
 * is 2 per phrase found plus 1 per keyword found; the highest score wins,
 * the first declared on a tie; a score of 0 is no match. A match emits
 * "intent" and goes to the intent's `goto`; no match emits "fallback",
 * says the fallback text (if any; on every miss), and after maxMisses
 * misses in a row (default 2) goes to fallback.goto (without goto it keeps
 * saying the fallback). Empty input (once normalised) matches nothing.
 *
 * Normalising (for keywords, phrases, labels and input alike): lower case
 * (ASCII letters; other UTF-8 kept), every character that is not a letter,
 * digit or non-ASCII byte becomes a space; words are split on spaces; each
 * word is reduced to a simple stem (in this order, the first that applies,
 * only when at least 3 characters remain: "'s" or "s'" dropped; "ies" ->
 * "y"; "ing", "ed", "es", "ly", "s" dropped — "es" only after s, x, z, ch
 * or sh); then a word listed under a synonym becomes its canonical word
 * (itself normalised the same way); an entry of several words replaces
 * those words in a row, and the longest entry wins.
 * "Opening Hours?" -> "open hour".
 * Apostrophes (' and U+2019) stay in a word until it is stemmed, so that
 * "customer's" -> "customer"; any left then split it ("don't" -> "don t").
 *
 * ---- Actions (a JSON array the caller passes, appended to) ------------
 *
 *   {"type":"say","text":"...","quickReplies":[{"label":"..."}]}
 *        (quickReplies only when the node has them)
 *   {"type":"intent","intent":"hours"}
 *   {"type":"fallback","misses":1}
 *   {"type":"field","name":"orderNumber","value":"HC-12345"}
 *   {"type":"invalid","field":"orderNumber","attempt":1}
 *   {"type":"handoff","queue":"support","priority":1,
 *    "labels":{"topic":"orders"}}     queue/priority/labels when given,
 *                                     templates applied
 *   {"type":"messageTaken","text":"..."}
 *   {"type":"end"}
 *   {"type":"webhook","url":"...","secret":"...","timeoutSeconds":5,
 *    "text":"the input"}             secret only when given
 *   {"type":"afterHours","holiday":"Christmas Day"}   at start, when closed
 *                                     (holiday only on a holiday)
 *   {"type":"error","message":"..."}
 *
 * ---- State (a JSON object the caller stores; start with {}) -----------
 *
 *   {"node":"welcome","wait":"text"|"ask"|"message"|"webhook"|"done",
 *    "vars":{...},"fields":{"orderNumber":"HC-12345"},
 *    "misses":0,"attempts":0,"quickReplies":[...]}
 * Callers may set vars (e.g. "name") before bot_start(). Other keys are
 * the interpreter's own.
 */
#ifndef SB_CHAT_BOT_H
#define SB_CHAT_BOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bot;
struct schema;

/* The schema of one flow (for the "bots" configuration kind and the API). */
const struct schema *bot_schema(void);

/* env may be NULL for bot_input(), and for bot_start() of a flow without
 * business hours (NULL: hours are not checked). */
struct bot_env {
    int64_t now_ms;         /* the time, for business hours */
    const char *default_tz; /* the organisation's zone; NULL: UTC. Not
                             * read while running: a flow's zone is fixed
                             * by bot_compile()'s default_tz */
};

/* Compile a flow that passed bot_schema() (anything else is refused, not
 * trusted). default_tz is the zone of businessHours without a timezone
 * (NULL: UTC). On EINVAL, err says what is wrong with a path, e.g.
 * "nodes.welcome.next: no node \"welcom\"" (an unknown zone is EINVAL
 * too). The result is mem-allocated: free with bot_free(). Conversations
 * on several threads may share it. */
int bot_compile(struct bot **bp, const json_t *spec, const char *default_tz, char *err,
                size_t errsize);
void bot_free(struct bot *b);
const char *bot_id(const struct bot *b);
/* Does the flow delegate to a webhook right at its start node? */
bool bot_is_external(const struct bot *b);

/* Start a conversation: state is filled (it may hold caller-set vars;
 * every other key starts afresh); actions are appended. 0, EINVAL (state
 * not an object, actions not an array) or ENOMEM. */
int bot_start(const struct bot *b, json_t *state, const struct bot_env *env, json_t *actions);
/* One consumer input (NULL reads as ""). A conversation that is done
 * appends nothing. 0, EINVAL (state not an object, actions not an array,
 * text not UTF-8) or ENOMEM. */
int bot_input(const struct bot *b, json_t *state, const char *text, const struct bot_env *env,
              json_t *actions);
/* Is the conversation over (handoff, message taken, end)? */
bool bot_done(const json_t *state);

/* Normalise text as described above into out (always NUL-terminated;
 * words separated by one space; cut between characters when out is too
 * small). b NULL: no synonyms. Returns the length written. */
size_t bot_normalize(const struct bot *b, const char *text, char *out, size_t size);

#endif
