/*
 * test_bot.c - the bot flow interpreter: greeting and quick replies,
 * intents by keyword and phrase (normalising, stems, synonyms, ties),
 * collecting fields with pattern checks, re-asking and onFail, branches,
 * variables and templates, the fallback, business hours and holidays at an
 * injected time and zone, handoff, takeMessage, end, webhook delegation,
 * loops, the compile errors, and the schema of a flow.
 *
 * Flows and expected actions are written as JSON with single quotes for
 * readability; J() turns them into JSON (\' is a real apostrophe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chat/bot.h"
#include "core/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---- */

static json_t *J(const char *text)
{
    size_t n = strlen(text), o = 0;
    char *buf = malloc(n + 1);
    json_error_t err;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\\' && text[i + 1] == '\'')
            buf[o++] = text[++i];
        else
            buf[o++] = text[i] == '\'' ? '"' : text[i];
    }
    buf[o] = '\0';
    json_t *v = json_loads(buf, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("bad test JSON (%s): %s", err.text, buf);
    free(buf);
    return v;
}

static struct bot *compile_ok(const char *flow, const char *default_tz)
{
    json_t *spec = J(flow);
    struct bot *b = NULL;
    char err[256];
    int rc = bot_compile(&b, spec, default_tz, err, sizeof(err));
    json_decref(spec);
    if (rc)
        fail_msg("bot_compile: %s", err);
    return b;
}

static void compile_fails(const char *flow, const char *want)
{
    json_t *spec = J(flow);
    struct bot *b = (struct bot *)1;
    char err[256] = "";
    int rc = bot_compile(&b, spec, NULL, err, sizeof(err));
    json_decref(spec);
    if (rc != EINVAL || strncmp(err, want, strlen(want)))
        fail_msg("%s\n  got:  %d %s\n  want: EINVAL %s", flow, rc, err, want);
    assert_ptr_equal(b, (struct bot *)1);
}

struct chat {
    struct bot *b;
    json_t *state;
    struct bot_env env;
};

static struct chat chat_new(struct bot *b)
{
    return (struct chat){.b = b, .state = json_object()};
}

static void chat_free(struct chat *c)
{
    json_decref(c->state);
    bot_free(c->b);
}

static void expect(json_t *actions, const char *want)
{
    json_t *w = J(want);
    if (!json_equal(actions, w)) {
        char *got = json_dumps(actions, JSON_COMPACT), *exp = json_dumps(w, JSON_COMPACT);
        fail_msg("actions\n  got:  %s\n  want: %s", got, exp);
    }
    json_decref(w);
    json_decref(actions);
}

static json_t *start(struct chat *c)
{
    json_t *actions = json_array();
    assert_int_equal(bot_start(c->b, c->state, &c->env, actions), 0);
    return actions;
}

static json_t *say(struct chat *c, const char *text)
{
    json_t *actions = json_array();
    assert_int_equal(bot_input(c->b, c->state, text, &c->env, actions), 0);
    return actions;
}

static const char *state_str(const struct chat *c, const char *key)
{
    return json_string_value(json_object_get(c->state, key));
}

static const char *var(const struct chat *c, const char *name)
{
    return json_string_value(json_object_get(json_object_get(c->state, "vars"), name));
}

/* ---- the flow of bot.h's example ---- */

static const char *const harbor =
    "{'id': 'harbor-assistant', 'name': 'Harbor Cycles assistant', 'start': 'welcome',"
    " 'synonyms': {'person': ['human', 'agent', 'someone', 'representative', 'operator']},"
    " 'intents': ["
    "  {'id': 'hours', 'keywords': ['hours', 'open', 'close'],"
    "   'phrases': ['what time do you open'], 'goto': 'hours'},"
    "  {'id': 'order', 'keywords': ['order', 'delivery'], 'phrases': ['where is my order'],"
    "   'goto': 'order-status'},"
    "  {'id': 'person', 'keywords': ['person'], 'phrases': ['talk to a person'],"
    "   'goto': 'handoff'},"
    "  {'id': 'bye', 'keywords': ['bye', 'goodbye'], 'goto': 'bye'}],"
    " 'fallback': {'say': 'Sorry, I didn\\'t catch that.', 'maxMisses': 2,"
    "  'goto': 'offer-person'},"
    " 'nodes': {"
    "  'welcome': {'say': ['Hi {{name}}!', 'How can I help?'], 'quickReplies': ["
    "    {'label': 'Opening hours', 'goto': 'hours'},"
    "    {'label': 'Talk to a person', 'intent': 'person'}]},"
    "  'hours': {'say': 'We are open 9 to 6, Monday to Friday.'},"
    "  'order-status': {'ask': {'field': 'orderNumber',"
    "    'prompt': 'What is your order number? It looks like HC-12345.',"
    "    'pattern': '^HC-[0-9]{5}$',"
    "    'invalid': 'That doesn\\'t look like an order number (HC-12345).',"
    "    'maxAttempts': 3, 'onFail': 'handoff'}, 'next': 'check'},"
    "  'check': {'branch': ["
    "    {'if': 'vars.orderNumber == \\'HC-00000\\'', 'goto': 'unknown-order'},"
    "    {'else': 'order-found'}]},"
    "  'unknown-order': {'say': 'I can\\'t find order {{orderNumber}}.', 'next': 'handoff'},"
    "  'order-found': {'say': 'Order {{ orderNumber }} is on its way.'},"
    "  'handoff': {'set': {'topic': 'orders', 'tries': 2},"
    "    'say': 'Let me find a person for you.',"
    "    'handoff': {'queue': 'support', 'priority': 1,"
    "      'labels': {'topic': '{{topic}}', 'order': '{{orderNumber}}', 'vip': true}}},"
    "  'offer-person': {'say': 'Would you like to talk to a person?', 'quickReplies': ["
    "    {'label': 'Yes please', 'goto': 'handoff'},"
    "    {'label': 'No thanks', 'goto': 'leave-message'}]},"
    "  'leave-message': {'takeMessage': {'prompt': 'Leave us a message and we will write back.'},"
    "    'next': 'thanks'},"
    "  'thanks': {'say': 'Thanks, {{name}}! We will write to you.'},"
    "  'bye': {'say': 'Goodbye!', 'end': true}}}";

static struct chat harbor_chat(const char *name)
{
    struct chat c = chat_new(compile_ok(harbor, NULL));
    if (name)
        json_object_set_new(c.state, "vars", json_pack("{s:s}", "name", name));
    json_decref(start(&c));
    return c;
}

static const char *const welcome_replies =
    "'quickReplies': [{'label': 'Opening hours'}, {'label': 'Talk to a person'}]";

/* ---- tests ---- */

static void greeting(void **state)
{
    (void)state;
    struct chat c = chat_new(compile_ok(harbor, NULL));
    json_object_set_new(c.state, "vars", json_pack("{s:s}", "name", "Ann"));
    char want[512];
    snprintf(want, sizeof(want),
             "[{'type': 'say', 'text': 'Hi Ann!'},"
             " {'type': 'say', 'text': 'How can I help?', %s}]",
             welcome_replies);
    expect(start(&c), want);
    assert_string_equal(bot_id(c.b), "harbor-assistant");
    assert_false(bot_is_external(c.b));
    assert_false(bot_done(c.state));
    json_t *w = J("{'node': 'welcome', 'wait': 'text', 'vars': {'name': 'Ann'}, 'fields': {},"
                  " 'misses': 0, 'attempts': 0, 'quickReplies': ["
                  "  {'label': 'Opening hours', 'goto': 'hours'},"
                  "  {'label': 'Talk to a person', 'intent': 'person'}]}");
    assert_true(json_equal(c.state, w));
    json_decref(w);
    chat_free(&c);

    /* No name: the variable reads as "". A state that is no object: EINVAL. */
    c = chat_new(compile_ok(harbor, NULL));
    json_t *actions = start(&c);
    assert_string_equal(json_string_value(json_object_get(json_array_get(actions, 0), "text")),
                        "Hi !");
    assert_int_equal(bot_start(c.b, actions, NULL, actions), EINVAL);
    assert_int_equal(bot_input(c.b, actions, "hi", NULL, actions), EINVAL);
    assert_int_equal(bot_input(c.b, c.state, "caf\xe9", NULL, actions), EINVAL);
    assert_int_equal(bot_start(c.b, c.state, NULL, c.state), EINVAL);
    json_decref(actions);
    chat_free(&c);
}

static void quick_replies(void **state)
{
    (void)state;
    struct chat c = harbor_chat("Ann");
    /* The label, normalised: case, punctuation, stems. */
    expect(say(&c, "  opening HOURS!! "),
           "[{'type': 'say', 'text': 'We are open 9 to 6, Monday to Friday.'}]");
    assert_string_equal(state_str(&c, "node"), "hours");
    /* The hours node said something without replies: the old ones are gone. */
    assert_int_equal(json_array_size(json_object_get(c.state, "quickReplies")), 0);
    chat_free(&c);

    /* A reply that names an intent emits it and goes where the intent goes. */
    c = harbor_chat("Ann");
    expect(say(&c, "Talk to a person"),
           "[{'type': 'intent', 'intent': 'person'},"
           " {'type': 'say', 'text': 'Let me find a person for you.'},"
           " {'type': 'handoff', 'queue': 'support', 'priority': 1,"
           "  'labels': {'topic': 'orders', 'order': '', 'vip': true}}]");
    assert_true(bot_done(c.state));
    assert_string_equal(state_str(&c, "wait"), "done");
    /* Done: nothing more happens. */
    expect(say(&c, "hello?"), "[]");
    chat_free(&c);
}

static void intents_by_keyword_and_phrase(void **state)
{
    (void)state;
    static const struct {
        const char *input, *intent;
    } cases[] = {
        {"When do you close?", "hours"},
        {"what time do you guys open", "hours"}, /* phrase words in order, with gaps */
        {"Opening times please", "hours"},       /* stem: opening -> open */
        {"Where is my order?", "order"},
        {"my deliveries", "order"},              /* stem: deliveries -> delivery */
        {"Can I speak to a HUMAN", "person"},    /* synonym */
        {"representatives", "person"},           /* stem, then synonym */
        {"I want an operator's help", "person"}, /* 's dropped, then synonym */
        {"Someone, please!", "person"},
        {"bye", "bye"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct chat c = harbor_chat("Ann");
        json_t *actions = say(&c, cases[i].input);
        json_t *first = json_array_get(actions, 0);
        const char *got = json_string_value(json_object_get(first, "intent"));
        if (!got || strcmp(got, cases[i].intent))
            fail_msg("%s: intent %s, want %s", cases[i].input, got ? got : "(none)",
                     cases[i].intent);
        json_decref(actions);
        chat_free(&c);
    }
    /* "time open do you what": the words, but not in order: the keyword only. */
    struct chat c = harbor_chat(NULL);
    json_t *actions = say(&c, "time open do you what");
    assert_string_equal(json_string_value(json_object_get(json_array_get(actions, 0), "intent")),
                        "hours");
    json_decref(actions);
    chat_free(&c);
}

static void intent_scores_and_ties(void **state)
{
    (void)state;
    static const char *const flow =
        "{'id': 't', 'start': 'a',"
        " 'intents': ["
        "  {'id': 'first', 'keywords': ['red', 'blue'], 'goto': 'a'},"
        "  {'id': 'second', 'keywords': ['red', 'green'], 'goto': 'a'},"
        "  {'id': 'phrase', 'keywords': ['yellow'], 'phrases': ['big yellow taxi'], 'goto': 'a'},"
        "  {'id': 'multi', 'keywords': ['light blue', 'navy'], 'goto': 'a'}],"
        " 'nodes': {'a': {}}}";
    static const struct {
        const char *input, *intent;
    } cases[] = {
        {"red", "first"},                       /* 1 : 1, the first declared */
        {"red green", "second"},                /* 1 : 2 */
        {"blue green", "first"},                /* 1 : 1 */
        {"the big yellow taxi", "phrase"},      /* 2 + 1 */
        {"big red yellow blue taxi", "phrase"}, /* phrase with gaps: 3 against 2 */
        {"red blue", "first"},                  /* 2 : 1 : 0 : 0 */
        {"light blue navy", "multi"},           /* a keyword of two words, and one more: 2 */
        {"blue light", "first"},                /* "light blue" must be contiguous */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct chat c = chat_new(compile_ok(flow, NULL));
        json_decref(start(&c));
        json_t *actions = say(&c, cases[i].input);
        const char *got = json_string_value(json_object_get(json_array_get(actions, 0), "intent"));
        if (!got || strcmp(got, cases[i].intent))
            fail_msg("%s: intent %s, want %s", cases[i].input, got ? got : "(none)",
                     cases[i].intent);
        json_decref(actions);
        chat_free(&c);
    }
}

static void normalising(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Opening Hours?", "open hour"},
        {"  many   spaces\there ", "many space here"},
        {"The customer's boxes", "the customer box"},
        {"customers' classes watches", "customer class watch"},
        {"Bob\xe2\x80\x99s bikes", "bob bike"}, /* U+2019 as an apostrophe */
        {"FLIES quickly, ties", "fly quick tie"},
        {"needed opened sing is yes", "need open sing is yes"},
        {"don't", "don t"},
        {"it's", "it"},
        {"Caf\xc3\xa9 CR\xc3\x88ME", "caf\xc3\xa9 cr\xc3\x88me"}, /* ASCII lowered only */
        {"HC-12345", "hc 12345"},
        {"?!...", ""},
        {"", ""},
    };
    char out[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = bot_normalize(NULL, cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].out) || n != strlen(out))
            fail_msg("normalising \"%s\": \"%s\", want \"%s\"", cases[i].in, out, cases[i].out);
    }
    /* Synonyms of a bot. */
    struct bot *b = compile_ok(harbor, NULL);
    bot_normalize(b, "Human agents, please", out, sizeof(out));
    assert_string_equal(out, "person person please");
    /* Cut to the buffer, never inside a UTF-8 sequence. */
    assert_int_equal(bot_normalize(b, "Opening Hours", out, 5), 4);
    assert_string_equal(out, "open");
    assert_int_equal(bot_normalize(b, "ab\xc3\xa9", out, 4), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(bot_normalize(b, "x", out, 0), 0);
    bot_free(b);
}

static void synonyms(void **state)
{
    (void)state;
    /* Entries of several words; "opening" and "open" (the same once
     * stemmed) under one canonical word; the longest entry wins. */
    static const char *const flow =
        "{'id': 't', 'start': 'a',"
        " 'synonyms': {'hour': ['open', 'opening', 'time'],"
        "  'return': ['refund', 'send back', 'money back'],"
        "  'exchange': ['send back for another'],"
        "  'customer service': ['support']},"
        " 'intents': [{'id': 'returns', 'keywords': ['return'], 'goto': 'a'},"
        "  {'id': 'hours', 'keywords': ['hour'], 'goto': 'a'},"
        "  {'id': 'help', 'phrases': ['customer service'], 'goto': 'a'}],"
        " 'nodes': {'a': {}}}";
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Opening times?", "hour hour"},
        {"Can I send it back", "can i send it back"}, /* not in a row */
        {"I want to SEND BACK my bike", "i want to return my bike"},
        {"sending back", "return"}, /* stems first */
        {"send back for another one", "exchange one"},
        {"my money back, now", "my return now"},
        {"Support please", "customer service please"},
        {"send", "send"},
    };
    struct bot *b = compile_ok(flow, NULL);
    char out[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bot_normalize(b, cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].out))
            fail_msg("normalising \"%s\": \"%s\", want \"%s\"", cases[i].in, out, cases[i].out);
    }
    struct chat c = chat_new(b);
    json_decref(start(&c));
    expect(say(&c, "I'd like my money back"), "[{'type': 'intent', 'intent': 'returns'}]");
    expect(say(&c, "When do you open?"), "[{'type': 'intent', 'intent': 'hours'}]");
    expect(say(&c, "need support"), "[{'type': 'intent', 'intent': 'help'}]");
    chat_free(&c);
}

static void field_collection(void **state)
{
    (void)state;
    struct chat c = harbor_chat("Ann");
    expect(say(&c, "where is my order"),
           "[{'type': 'intent', 'intent': 'order'},"
           " {'type': 'say', 'text': 'What is your order number? It looks like HC-12345.'}]");
    assert_string_equal(state_str(&c, "wait"), "ask");
    /* The pattern covers the whole trimmed answer. */
    expect(say(&c, "my order is HC-12345"),
           "[{'type': 'invalid', 'field': 'orderNumber', 'attempt': 1},"
           " {'type': 'say', 'text': 'That doesn\\'t look like an order number (HC-12345).'}]");
    /* While asking, intents are not matched. */
    expect(say(&c, "opening hours"),
           "[{'type': 'invalid', 'field': 'orderNumber', 'attempt': 2},"
           " {'type': 'say', 'text': 'That doesn\\'t look like an order number (HC-12345).'}]");
    expect(say(&c, "  HC-12345 \n"),
           "[{'type': 'field', 'name': 'orderNumber', 'value': 'HC-12345'},"
           " {'type': 'say', 'text': 'Order HC-12345 is on its way.'}]");
    assert_string_equal(var(&c, "orderNumber"), "HC-12345");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c.state, "fields"), "orderNumber")),
        "HC-12345");
    assert_int_equal(json_integer_value(json_object_get(c.state, "attempts")), 0);
    assert_string_equal(state_str(&c, "wait"), "text");
    chat_free(&c);
}

static void field_attempts_then_on_fail(void **state)
{
    (void)state;
    struct chat c = harbor_chat("Ann");
    json_decref(say(&c, "order"));
    json_decref(say(&c, "no idea"));
    json_decref(say(&c, "HC-1"));
    /* The third answer in all: no more asking, onFail. */
    expect(say(&c, ""), "[{'type': 'invalid', 'field': 'orderNumber', 'attempt': 3},"
                        " {'type': 'say', 'text': 'Let me find a person for you.'},"
                        " {'type': 'handoff', 'queue': 'support', 'priority': 1,"
                        "  'labels': {'topic': 'orders', 'order': '', 'vip': true}}]");
    assert_true(bot_done(c.state));
    assert_null(json_object_get(json_object_get(c.state, "fields"), "orderNumber"));
    chat_free(&c);

    /* No invalid text: the prompt again. No pattern: any non-empty text. A
     * quick reply label takes the reply. No onFail: fallback.goto. */
    static const char *const flow =
        "{'id': 't', 'start': 'ask', 'fallback': {'goto': 'lost'},"
        " 'nodes': {"
        "  'ask': {'ask': {'field': 'email', 'prompt': 'Your email?', 'maxAttempts': 2,"
        "    'pattern': '[a-z]+@[a-z]+'}, 'quickReplies': [{'label': 'Skip', 'goto': 'skip'}],"
        "    'next': 'done'},"
        "  'name': {'ask': {'field': 'name', 'prompt': 'Your name?'}, 'next': 'done'},"
        "  'skip': {'say': 'Skipped.'},"
        "  'lost': {'say': 'Let\\'s start over.', 'next': 'name'},"
        "  'done': {'say': 'Thanks {{name}} {{email}}.'}}}";
    c = chat_new(compile_ok(flow, NULL));
    expect(start(&c), "[{'type': 'say', 'text': 'Your email?',"
                      "  'quickReplies': [{'label': 'Skip'}]}]");
    expect(say(&c, "ann@example.com"), /* "." is not in the pattern */
           "[{'type': 'invalid', 'field': 'email', 'attempt': 1},"
           " {'type': 'say', 'text': 'Your email?', 'quickReplies': [{'label': 'Skip'}]}]");
    expect(say(&c, "skip."), "[{'type': 'say', 'text': 'Skipped.'}]");
    json_decref(c.state);
    c.state = json_object();
    json_decref(start(&c));
    json_decref(say(&c, "x"));
    expect(say(&c, "y"), "[{'type': 'invalid', 'field': 'email', 'attempt': 2},"
                         " {'type': 'say', 'text': 'Let\\'s start over.'},"
                         " {'type': 'say', 'text': 'Your name?'}]");
    expect(say(&c, "   "), "[{'type': 'invalid', 'field': 'name', 'attempt': 1},"
                           " {'type': 'say', 'text': 'Your name?'}]");
    expect(say(&c, "Ann Lee"), "[{'type': 'field', 'name': 'name', 'value': 'Ann Lee'},"
                               " {'type': 'say', 'text': 'Thanks Ann Lee .'}]");
    chat_free(&c);
}

static void branches_with_expressions(void **state)
{
    (void)state;
    struct chat c = harbor_chat("Ann");
    json_decref(say(&c, "order"));
    expect(say(&c, "HC-00000"),
           "[{'type': 'field', 'name': 'orderNumber', 'value': 'HC-00000'},"
           " {'type': 'say', 'text': 'I can\\'t find order HC-00000.'},"
           " {'type': 'say', 'text': 'Let me find a person for you.'},"
           " {'type': 'handoff', 'queue': 'support', 'priority': 1,"
           "  'labels': {'topic': 'orders', 'order': 'HC-00000', 'vip': true}}]");
    /* set: templates in strings, other values as they are. */
    assert_string_equal(var(&c, "topic"), "orders");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c.state, "vars"), "tries")),
                     2);
    chat_free(&c);

    /* Numbers, booleans, absent variables; no match and no else: wait. */
    static const char *const flow =
        "{'id': 't', 'start': 'b',"
        " 'intents': [{'id': 'again', 'keywords': ['again'], 'goto': 'b'}],"
        " 'nodes': {"
        "  'b': {'branch': ["
        "    {'if': 'vars.count > 2 && vars.vip', 'goto': 'big'},"
        "    {'if': 'exists(vars.count) && lower(vars.tier) == \\'gold\\'', 'goto': 'gold'}]},"
        "  'big': {'say': 'big {{count}} {{vip}} {{ratio}}'},"
        "  'gold': {'say': 'gold'}}}";
    c = chat_new(compile_ok(flow, NULL));
    expect(start(&c), "[]");
    assert_string_equal(state_str(&c, "wait"), "text");
    assert_string_equal(state_str(&c, "node"), "b");
    json_object_set_new(json_object_get(c.state, "vars"), "count", json_integer(1));
    json_object_set_new(json_object_get(c.state, "vars"), "tier", json_string("GOLD"));
    expect(say(&c, "again"), "[{'type': 'intent', 'intent': 'again'},"
                             " {'type': 'say', 'text': 'gold'}]");
    json_object_set_new(json_object_get(c.state, "vars"), "count", json_integer(3));
    json_object_set_new(json_object_get(c.state, "vars"), "vip", json_true());
    json_object_set_new(json_object_get(c.state, "vars"), "ratio", json_real(0.25));
    expect(say(&c, "again"), "[{'type': 'intent', 'intent': 'again'},"
                             " {'type': 'say', 'text': 'big 3 true 0.25'}]");
    chat_free(&c);
}

static void variables_and_templates(void **state)
{
    (void)state;
    static const char *const flow =
        "{'id': 't', 'start': 'a',"
        " 'nodes': {"
        "  'a': {'set': {'greeting': 'Hello {{name}}', 'n': 7, 'flag': false, 'empty': ''},"
        "    'say': ['{{greeting}}, n={{n}} flag={{flag}} [{{missing}}]',"
        "            '{{ n }} {{n }} {{ bad name }} {{n} {{ {{n}}}} }}'],"
        "    'quickReplies': [{'label': 'Yes {{name}}', 'goto': 'b'}]},"
        "  'b': {'say': 'chose {{greeting}}'}}}";
    struct chat c = chat_new(compile_ok(flow, NULL));
    json_object_set_new(c.state, "vars", json_pack("{s:s,s:s}", "name", "Ann", "keep", "me"));
    json_object_set_new(c.state, "wait", json_string("done")); /* reset by bot_start */
    expect(start(&c), "[{'type': 'say', 'text': 'Hello Ann, n=7 flag=false []'},"
                      " {'type': 'say', 'text': '7 7 {{ bad name }} {{n} {{ 7}} }}',"
                      "  'quickReplies': [{'label': 'Yes Ann'}]}]");
    assert_string_equal(var(&c, "keep"), "me");
    /* A rendered label is what the consumer sees and answers with. */
    expect(say(&c, "yes ann"), "[{'type': 'say', 'text': 'chose Hello Ann'}]");
    chat_free(&c);
}

static void fallback_after_misses(void **state)
{
    (void)state;
    struct chat c = harbor_chat("Ann");
    expect(say(&c, "blah"), "[{'type': 'fallback', 'misses': 1},"
                            " {'type': 'say', 'text': 'Sorry, I didn\\'t catch that.'}]");
    /* A match in between: misses in a row start again. */
    json_decref(say(&c, "hours"));
    expect(say(&c, "qwerty"), "[{'type': 'fallback', 'misses': 1},"
                              " {'type': 'say', 'text': 'Sorry, I didn\\'t catch that.'}]");
    expect(say(&c, "?!"), "[{'type': 'fallback', 'misses': 2},"
                          " {'type': 'say', 'text': 'Sorry, I didn\\'t catch that.'},"
                          " {'type': 'say', 'text': 'Would you like to talk to a person?',"
                          "  'quickReplies': [{'label': 'Yes please'}, {'label': 'No thanks'}]}]");
    assert_int_equal(json_integer_value(json_object_get(c.state, "misses")), 0);
    /* takeMessage: the next input is the message, then `next`, then done. */
    expect(say(&c, "No thanks"),
           "[{'type': 'say', 'text': 'Leave us a message and we will write back.'}]");
    assert_string_equal(state_str(&c, "wait"), "message");
    expect(say(&c, "My chain is broken, call me"),
           "[{'type': 'messageTaken', 'text': 'My chain is broken, call me'},"
           " {'type': 'say', 'text': 'Thanks, Ann! We will write to you.'}]");
    assert_true(bot_done(c.state));
    expect(say(&c, "hello?"), "[]");
    chat_free(&c);

    /* Without fallback.goto it keeps saying the fallback; without any
     * fallback only the action is emitted. */
    c = chat_new(compile_ok("{'id': 't', 'start': 'a', 'fallback': {'say': ['Hm?', 'Again?']},"
                            " 'nodes': {'a': {}}}",
                            NULL));
    json_decref(start(&c));
    for (int i = 1; i <= 4; i++) {
        char want[160];
        snprintf(want, sizeof(want),
                 "[{'type': 'fallback', 'misses': %d}, {'type': 'say', 'text': 'Hm?'},"
                 " {'type': 'say', 'text': 'Again?'}]",
                 i);
        expect(say(&c, "x"), want);
    }
    chat_free(&c);
    c = chat_new(compile_ok("{'id': 't', 'start': 'a', 'nodes': {'a': {}}}", NULL));
    json_decref(start(&c));
    expect(say(&c, NULL), "[{'type': 'fallback', 'misses': 1}]");
    chat_free(&c);
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * 1000;
}

static const char *const hours_flow =
    "{'id': 't', 'start': 'welcome',"
    " 'businessHours': {'timezone': 'Europe/London',"
    "   'weekly': {'mon': ['09:00-18:00'], 'tue': ['09:00-18:00'], 'wed': ['09:00-18:00'],"
    "              'thu': ['09:00-18:00'], 'fri': ['09:00-17:00']},"
    "   'holidays': [{'date': '2026-12-25', 'name': 'Christmas Day'}],"
    "   'afterHours': 'closed'},"
    " 'nodes': {'welcome': {'say': 'Hello!'},"
    "  'closed': {'say': 'We are closed.', 'quickReplies': [{'label': 'Leave a message',"
    "    'goto': 'message'}]},"
    "  'message': {'takeMessage': {'prompt': 'Go ahead.'}}}}";

static void after_hours_and_holidays(void **state)
{
    (void)state;
    struct chat c = chat_new(compile_ok(hours_flow, NULL));
    /* Monday 13 July 2026 08:30 UTC = 09:30 BST: open. */
    c.env.now_ms = utc_ms(2026, 7, 13, 8, 30);
    expect(start(&c), "[{'type': 'say', 'text': 'Hello!'}]");
    /* 07:30 UTC = 08:30 BST: closed. */
    json_decref(c.state);
    c.state = json_object();
    c.env.now_ms = utc_ms(2026, 7, 13, 7, 30);
    expect(start(&c), "[{'type': 'afterHours'},"
                      " {'type': 'say', 'text': 'We are closed.',"
                      "  'quickReplies': [{'label': 'Leave a message'}]}]");
    expect(say(&c, "leave a message"), "[{'type': 'say', 'text': 'Go ahead.'}]");
    expect(say(&c, "Please call me back"),
           "[{'type': 'messageTaken', 'text': 'Please call me back'}]");
    assert_true(bot_done(c.state));
    /* Christmas Day, a Friday, at noon. */
    json_decref(c.state);
    c.state = json_object();
    c.env.now_ms = utc_ms(2026, 12, 25, 12, 0);
    expect(start(&c), "[{'type': 'afterHours', 'holiday': 'Christmas Day'},"
                      " {'type': 'say', 'text': 'We are closed.',"
                      "  'quickReplies': [{'label': 'Leave a message'}]}]");
    /* No env: hours are not checked. */
    json_decref(c.state);
    c.state = json_object();
    json_t *actions = json_array();
    assert_int_equal(bot_start(c.b, c.state, NULL, actions), 0);
    expect(actions, "[{'type': 'say', 'text': 'Hello!'}]");
    chat_free(&c);

    /* The organisation's zone when the flow names none; no afterHours node:
     * the action, then the start node. */
    static const char *const flow = "{'id': 't', 'start': 'welcome',"
                                    " 'businessHours': {'weekly': {'mon': ['09:00-17:00']}},"
                                    " 'nodes': {'welcome': {'say': 'Hello!'}}}";
    c = chat_new(compile_ok(flow, "America/New_York"));
    c.env.now_ms = utc_ms(2026, 3, 9, 12, 59); /* 08:59 EDT */
    expect(start(&c), "[{'type': 'afterHours'}, {'type': 'say', 'text': 'Hello!'}]");
    json_decref(c.state);
    c.state = json_object();
    c.env.now_ms = utc_ms(2026, 3, 9, 13, 0);
    expect(start(&c), "[{'type': 'say', 'text': 'Hello!'}]");
    chat_free(&c);
}

static void handoff_with_templates(void **state)
{
    (void)state;
    static const char *const flow =
        "{'id': 't', 'start': 'a',"
        " 'nodes': {'a': {'set': {'team': 'sales-{{region}}'},"
        "   'handoff': {'queue': '{{team}}', 'labels': {'region': '{{region}}', 'n': 3}}},"
        "  'plain': {'handoff': {}}}}";
    struct chat c = chat_new(compile_ok(flow, NULL));
    json_object_set_new(c.state, "vars", json_pack("{s:s}", "region", "eu"));
    expect(start(&c), "[{'type': 'handoff', 'queue': 'sales-eu',"
                      "  'labels': {'region': 'eu', 'n': 3}}]");
    assert_true(bot_done(c.state));
    chat_free(&c);

    c = chat_new(
        compile_ok("{'id': 't', 'start': 'plain', 'nodes': {'plain': {'handoff': {}}}}", NULL));
    expect(start(&c), "[{'type': 'handoff'}]");
    chat_free(&c);
}

static void end_node(void **state)
{
    (void)state;
    struct chat c = harbor_chat("Ann");
    expect(say(&c, "Goodbye"), "[{'type': 'intent', 'intent': 'bye'},"
                               " {'type': 'say', 'text': 'Goodbye!'}, {'type': 'end'}]");
    assert_true(bot_done(c.state));
    expect(say(&c, "wait, hours?"), "[]");
    chat_free(&c);
    /* end: false is no action. */
    c = chat_new(compile_ok("{'id': 't', 'start': 'a', 'nodes': {'a': {'say': 'x', 'end': false,"
                            " 'handoff': {}}}}",
                            NULL));
    expect(start(&c), "[{'type': 'say', 'text': 'x'}, {'type': 'handoff'}]");
    chat_free(&c);
}

static void webhook_delegation(void **state)
{
    (void)state;
    static const char *const flow =
        "{'id': 'ext', 'start': 'hook',"
        " 'nodes': {'hook': {'webhook': {'url': 'http://127.0.0.1:9/bot', 'secret': 's3',"
        "   'timeoutSeconds': 2.5}}}}";
    struct chat c = chat_new(compile_ok(flow, NULL));
    assert_true(bot_is_external(c.b));
    expect(start(&c), "[]");
    assert_string_equal(state_str(&c, "wait"), "webhook");
    for (int i = 0; i < 2; i++)
        expect(say(&c, "Hello there"),
               "[{'type': 'webhook', 'url': 'http://127.0.0.1:9/bot', 'secret': 's3',"
               "  'timeoutSeconds': 2.5, 'text': 'Hello there'}]");
    assert_string_equal(state_str(&c, "node"), "hook");
    assert_false(bot_done(c.state));
    chat_free(&c);

    /* Reached by an intent: not external; no secret; 5 s by default. */
    static const char *const later =
        "{'id': 'mixed', 'start': 'hi',"
        " 'intents': [{'id': 'expert', 'keywords': ['expert'], 'goto': 'hook'}],"
        " 'nodes': {'hi': {'say': 'Hi'},"
        "  'hook': {'say': 'Connecting you.', 'webhook': {'url': 'https://bots.example/x'}}}}";
    c = chat_new(compile_ok(later, NULL));
    assert_false(bot_is_external(c.b));
    json_decref(start(&c));
    expect(say(&c, "an expert please"), "[{'type': 'intent', 'intent': 'expert'},"
                                        " {'type': 'say', 'text': 'Connecting you.'}]");
    expect(say(&c, "expert"), "[{'type': 'webhook', 'url': 'https://bots.example/x',"
                              "  'timeoutSeconds': 5, 'text': 'expert'}]");
    chat_free(&c);
}

static void loop_detection(void **state)
{
    (void)state;
    static const char *const flow = "{'id': 't', 'start': 'a',"
                                    " 'intents': [{'id': 'go', 'keywords': ['go'], 'goto': 'b'}],"
                                    " 'nodes': {'a': {'say': 'a', 'next': 'b'}, 'b': {'next': 'c'},"
                                    "  'c': {'branch': [{'if': 'true', 'goto': 'a'}]}}}";
    struct chat c = chat_new(compile_ok(flow, NULL));
    json_t *actions = start(&c);
    /* 32 nodes entered: a b c a b c ... (11 times a), then the error. */
    assert_int_equal(json_array_size(actions), 12);
    json_t *last = json_array_get(actions, 11);
    assert_string_equal(json_string_value(json_object_get(last, "type")), "error");
    assert_string_equal(json_string_value(json_object_get(last, "message")),
                        "the flow entered more than 32 nodes for one input (a loop through "
                        "\"c\"?)");
    assert_string_equal(state_str(&c, "wait"), "text");
    json_decref(actions);
    /* Each input counts afresh. */
    actions = say(&c, "go");
    assert_int_equal(json_array_size(actions), 12); /* intent, 10 says, the error */
    json_decref(actions);
    chat_free(&c);
}

static void stale_state(void **state)
{
    (void)state;
    /* A state from an older version of the flow: its node is gone. */
    struct chat c = harbor_chat("Ann");
    json_object_set_new(c.state, "node", json_string("removed"));
    json_object_set_new(c.state, "wait", json_string("ask"));
    json_object_set_new(c.state, "quickReplies",
                        J("[{'label': 'Old', 'goto': 'removed'}, {'label': 'Hours', 'goto': "
                          "'hours'}]"));
    expect(say(&c, "old"), "[{'type': 'error',"
                           "  'message': 'the flow has no ask node \\\"removed\\\" any more'},"
                           " {'type': 'fallback', 'misses': 1},"
                           " {'type': 'say', 'text': 'Sorry, I didn\\'t catch that.'}]");
    expect(say(&c, "hours"), "[{'type': 'say', 'text': 'We are open 9 to 6, Monday to Friday.'}]");
    /* Input without bot_start: free text. */
    json_decref(c.state);
    c.state = json_object();
    expect(say(&c, "bye"), "[{'type': 'intent', 'intent': 'bye'},"
                           " {'type': 'say', 'text': 'Goodbye!'}, {'type': 'end'}]");
    chat_free(&c);
}

static void compile_errors(void **state)
{
    (void)state;
    static const struct {
        const char *flow, *message;
    } cases[] = {
        {"[]", "expected a flow (an object)"},
        {"{'start': 'a', 'nodes': {'a': {}}}", "id: expected an id"},
        {"{'id': 'a b', 'start': 'a', 'nodes': {'a': {}}}", "id: expected an id"},
        {"{'id': 't', 'start': 'a'}", "nodes: expected an object of nodes"},
        {"{'id': 't', 'nodes': {'a': {}}}", "start: expected the id of the first node"},
        {"{'id': 't', 'start': 'welcom', 'nodes': {'welcome': {}}}", "start: no node \"welcom\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'next': 'welcom'}}}",
         "nodes.a.next: no node \"welcom\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a b': {}, 'a': {}}}",
         "nodes: \"a b\" is not a node id"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': []}}", "nodes.a: expected an object"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'end': true, 'ask': {}}}}",
         "nodes.a: more than one action (ask and end)"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'say': 3}}}",
         "nodes.a.say: expected a text or a list of texts"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'set': {'my var': 1}}}}",
         "nodes.a.set: \"my var\" is not a variable name"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'say': 'x', 'quickReplies': ["
         "{'label': 'y', 'goto': 'nowhere'}]}}}",
         "nodes.a.quickReplies[0].goto: no node \"nowhere\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'say': 'x', 'quickReplies': ["
         "{'label': 'y', 'intent': 'nothing'}]}}}",
         "nodes.a.quickReplies[0].intent: no intent \"nothing\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'say': 'x', 'quickReplies': ["
         "{'label': 'y'}]}}}",
         "nodes.a.quickReplies[0]: expected either goto or intent"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'quickReplies': ["
         "{'label': 'y', 'goto': 'a'}]}}}",
         "nodes.a.quickReplies: expected a say or a prompt to go with them"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'ask': {'field': 'f', 'prompt': 'p',"
         " 'pattern': '^[0-9'}}}}",
         "nodes.a.ask.pattern: bad regular expression ("},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'ask': {'field': 'f f', 'prompt': 'p'}}}}",
         "nodes.a.ask.field: expected an id"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'ask': {'field': 'f'}}}}",
         "nodes.a.ask.prompt: expected a text"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'ask': {'field': 'f', 'prompt': 'p',"
         " 'onFail': 'x'}}}}",
         "nodes.a.ask.onFail: no node \"x\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'ask': {'field': 'f', 'prompt': 'p',"
         " 'maxAttempts': 0}}}}",
         "nodes.a.ask.maxAttempts: expected a whole number from 1 to 100"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': [{'if': 'vars.x ==', "
         "'goto': 'a'}]}}}",
         "nodes.a.branch[0].if: column 10: expected a value"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': [{'if': 'job.x', "
         "'goto': 'a'}]}}}",
         "nodes.a.branch[0].if: column 1: unknown scope \"job\" (known: vars)"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': [{'if': 'true', "
         "'goto': 'b'}]}}}",
         "nodes.a.branch[0].goto: no node \"b\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': [{'if': 'true'}]}}}",
         "nodes.a.branch[0].goto: expected the node to go to"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': [{'if': 'true', 'goto': 'a'},"
         " {'else': 'c'}]}}}",
         "nodes.a.branch[1].else: no node \"c\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': [{'if': 'true', 'else': 'a'}]}}}",
         "nodes.a.branch[0]: expected {if, goto} or {else}"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'branch': []}}}",
         "nodes.a.branch: expected a list of {if, goto} and {else}"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'takeMessage': {}}}}",
         "nodes.a.takeMessage.prompt: expected a text"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'webhook': {}}}}",
         "nodes.a.webhook.url: expected a URL"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {'handoff': {'labels': []}}}}",
         "nodes.a.handoff.labels: expected an object"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'intents': [{'id': 'i', "
         "'keywords': ['x'], 'goto': 'b'}]}",
         "intents[0].goto: no node \"b\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'intents': [{'id': 'i', "
         "'keywords': ['x'], 'goto': 'a'}, {'id': 'i', 'keywords': ['y'], 'goto': 'a'}]}",
         "intents[1].id: \"i\" is already intents[0]"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'intents': [{'id': 'i', "
         "'keywords': ['x', '?!'], 'goto': 'a'}]}",
         "intents[0].keywords[1]: no words left once normalised: \"?!\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'intents': [{'id': 'i', 'goto': 'a'}]}",
         "intents[0]: expected keywords or phrases"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'synonyms': {'person': ['human', '?']}}",
         "synonyms.person[1]: no words left once normalised: \"?\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'synonyms': {'...': ['human']}}",
         "synonyms....: no words left once normalised: \"...\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'synonyms': {'person': ['human'],"
         " 'people': ['humans']}}",
         "synonyms.people[0]: \"human\" is already a synonym of \"person\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'fallback': {'goto': 'b'}}",
         "fallback.goto: no node \"b\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'businessHours': {'weekly': "
         "{'mon': ['18:00-09:00']}}}",
         "businessHours.weekly.mon[0]: expected HH:MM-HH:MM with the end after the start"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'businessHours': {'timezone': "
         "'Mars/Base'}}",
         "businessHours.timezone: no time zone \"Mars/Base\""},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'businessHours': []}",
         "businessHours: expected an object with weekly hours"},
        {"{'id': 't', 'start': 'a', 'nodes': {'a': {}}, 'businessHours': {'afterHours': 'z'}}",
         "businessHours.afterHours: no node \"z\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        compile_fails(cases[i].flow, cases[i].message);

    struct bot *b = NULL;
    assert_int_equal(bot_compile(&b, NULL, NULL, NULL, 0), EINVAL);
    bot_free(NULL);
}

static void schema_of_a_flow(void **state)
{
    (void)state;
    json_t *flow = J(harbor);
    struct schema_result res = {0};
    assert_true(schema_validate(bot_schema(), flow, NULL, NULL, &res));
    json_decref(flow);
    flow = J(hours_flow);
    assert_true(schema_validate(bot_schema(), flow, NULL, NULL, &res));
    json_decref(flow);

    flow = J("{'id': 'bad id', 'start': 'a', 'colour': 'red',"
             " 'businessHours': {'weekly': {'mon': ['9-5']}, 'holidays': ["
             "   {'date': '25/12/2026', 'name': 'x'}]},"
             " 'intents': [{'id': 'i', 'goto': 'a'}],"
             " 'nodes': {'a': {'say': 3, 'end': true, 'handoff': {},"
             "   'quickReplies': [{'label': 'x', 'goto': 'a', 'intent': 'i'}],"
             "   'branch': [{'if': 'true'}], 'webhook': {'url': 'ftp://x/y'}}, 'b c': {}}}");
    memset(&res, 0, sizeof(res));
    assert_false(schema_validate(bot_schema(), flow, NULL, NULL, &res));
    json_decref(flow);
    static const char *const want[] = {
        "id: expected an id of letters, digits, '.', '_' or '-', got \"bad id\"",
        "colour: unknown key \"colour\"",
        "businessHours.weekly.mon[0]: expected an interval HH:MM-HH:MM, got \"9-5\"",
        "businessHours.holidays[0].date: expected a date YYYY-MM-DD, got \"25/12/2026\"",
        "intents[0]: expected an intent with keywords or phrases",
        "nodes.a.say: expected a text or a list of 1 to 20 texts, got 3",
        "nodes.a.quickReplies[0]: expected a quick reply with either goto or intent",
        "nodes.a.branch[0]: expected {if, goto} or {else}",
        "nodes.a.webhook.url: expected an http:// or https:// URL, got \"ftp://x/y\"",
        ("nodes.a: expected a node with at most one of ask, branch, handoff, takeMessage, end, "
         "webhook"),
        "nodes: expected node ids (keys) of 1 to 64 letters, digits, '.', '_' or '-'",
    };
    size_t n = res.count < 16 ? res.count : 16;
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            char line[600];
            snprintf(line, sizeof(line), "%s: %s", res.problems[i].path, res.problems[i].message);
            found = !strncmp(line, want[k], strlen(want[k]));
        }
        if (!found) {
            for (size_t i = 0; i < n; i++)
                printf("  %s: %s\n", res.problems[i].path, res.problems[i].message);
            fail_msg("no problem \"%s\"", want[k]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greeting),
        cmocka_unit_test(quick_replies),
        cmocka_unit_test(intents_by_keyword_and_phrase),
        cmocka_unit_test(intent_scores_and_ties),
        cmocka_unit_test(normalising),
        cmocka_unit_test(synonyms),
        cmocka_unit_test(field_collection),
        cmocka_unit_test(field_attempts_then_on_fail),
        cmocka_unit_test(branches_with_expressions),
        cmocka_unit_test(variables_and_templates),
        cmocka_unit_test(fallback_after_misses),
        cmocka_unit_test(after_hours_and_holidays),
        cmocka_unit_test(handoff_with_templates),
        cmocka_unit_test(end_node),
        cmocka_unit_test(webhook_delegation),
        cmocka_unit_test(loop_detection),
        cmocka_unit_test(stale_state),
        cmocka_unit_test(compile_errors),
        cmocka_unit_test(schema_of_a_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
