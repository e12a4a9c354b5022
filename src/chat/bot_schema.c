/*
 * bot_schema.c - the form of a bot flow (bot.h) as a validation schema,
 * for the "bots" configuration kind and the API. The schema checks form;
 * bot_compile() checks meaning (references, patterns, expressions).
 */
#include "chat/bot.h"
#include "core/schema.h"

#include <string.h>

static bool id_chars(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              strchr("._-", *s)))
            return false;
    }
    return true;
}

static const char *check_id(const json_t *value)
{
    return id_chars(json_string_value(value)) ? NULL : "an id of letters, digits, '.', '_' or '-'";
}

/* The keys of the nodes map are node ids. */
static const char *check_node_ids(const json_t *value)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)value, key, v)
    {
        size_t n = strlen(key);
        (void)v;
        if (n < 1 || n > 64 || !id_chars(key))
            return "node ids (keys) of 1 to 64 letters, digits, '.', '_' or '-'";
    }
    return NULL;
}

static const char *check_texts(const json_t *value)
{
    size_t i;
    const json_t *item;
    if (json_is_string(value))
        return json_string_length(value) ? NULL : "a non-empty text";
    if (!json_is_array(value) || !json_array_size(value) || json_array_size(value) > 20)
        return "a text or a list of 1 to 20 texts";
    json_array_foreach(value, i, item)
    {
        if (!json_is_string(item) || !json_string_length(item))
            return "a text or a list of 1 to 20 texts";
    }
    return NULL;
}

static const char *check_label_value(const json_t *value)
{
    return json_is_string(value) || json_is_number(value) || json_is_boolean(value)
               ? NULL
               : "a string, a number or true/false";
}

static const char *check_url(const json_t *value)
{
    const char *s = json_string_value(value);
    return strncmp(s, "http://", 7) && strncmp(s, "https://", 8) ? "an http:// or https:// URL"
                                                                 : NULL;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static const char *check_interval(const json_t *value)
{
    const char *s = json_string_value(value);
    bool ok = strlen(s) == 11 && digits(s, 2) && s[2] == ':' && digits(s + 3, 2) && s[5] == '-' &&
              digits(s + 6, 2) && s[8] == ':' && digits(s + 9, 2);
    return ok ? NULL : "an interval HH:MM-HH:MM";
}

static const char *check_date(const json_t *value)
{
    const char *s = json_string_value(value);
    bool ok = strlen(s) == 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
              digits(s + 8, 2);
    return ok ? NULL : "a date YYYY-MM-DD";
}

static const char *check_reply(const json_t *value)
{
    return !json_object_get(value, "goto") == !json_object_get(value, "intent")
               ? "a quick reply with either goto or intent"
               : NULL;
}

static const char *check_branch(const json_t *value)
{
    const json_t *cond = json_object_get(value, "if"), *go = json_object_get(value, "goto");
    const json_t *els = json_object_get(value, "else");
    return (cond && go && !els) || (els && !cond && !go) ? NULL : "{if, goto} or {else}";
}

static const char *check_node(const json_t *value)
{
    static const char *const actions[] = {"ask", "branch",  "handoff", "takeMessage",
                                          "end", "webhook", NULL};
    int count = 0;
    for (const char *const *a = actions; *a; a++) {
        const json_t *v = json_object_get(value, *a);
        count += v && !json_is_false(v);
    }
    return count > 1 ? "a node with at most one of ask, branch, handoff, takeMessage, end, webhook"
                     : NULL;
}

static const char *check_intent(const json_t *value)
{
    return json_array_size(json_object_get(value, "keywords")) ||
                   json_array_size(json_object_get(value, "phrases"))
               ? NULL
               : "an intent with keywords or phrases";
}

static const struct schema s_id = {
    .type = SCHEMA_STRING, .expect = "an id", .min_len = 1, .max_len = 64, .check = check_id};
static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 2000};
static const struct schema s_texts = {
    .type = SCHEMA_ANY, .expect = "a text or a list of texts", .check = check_texts};
static const struct schema s_word_list = {
    .type = SCHEMA_ARRAY,
    .items = &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 200},
    .min_items = 1,
    .max_items = 200};
static const struct schema s_count = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 100};
static const struct schema s_label = {.type = SCHEMA_ANY, .check = check_label_value};
static const struct schema s_labels = {.type = SCHEMA_OBJECT, .map_values = &s_label};

/* ---- business hours (schedule.h) ---- */
static const struct schema s_day = {
    .type = SCHEMA_ARRAY,
    .items = &(const struct schema){.type = SCHEMA_STRING, .check = check_interval},
    .max_items = 48};
static const struct schema_field weekly_fields[] = {
    {"mon", &s_day, false}, {"tue", &s_day, false}, {"wed", &s_day, false}, {"thu", &s_day, false},
    {"fri", &s_day, false}, {"sat", &s_day, false}, {"sun", &s_day, false}, {0},
};
static const struct schema_field holiday_fields[] = {
    {"date", &(const struct schema){.type = SCHEMA_STRING, .check = check_date}, true},
    {"name", &s_name, true},
    {0},
};
static const struct schema_field hours_fields[] = {
    {"timezone", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 64}, false},
    {"weekly", &(const struct schema){.type = SCHEMA_OBJECT, .fields = weekly_fields}, false},
    {"holidays",
     &(const struct schema){
         .type = SCHEMA_ARRAY,
         .items = &(const struct schema){.type = SCHEMA_OBJECT, .fields = holiday_fields},
         .max_items = 1000,
         .unique_key = "date"},
     false},
    {"afterHours", &s_id, false},
    {0},
};

/* ---- intents and the fallback ---- */
static const struct schema_field intent_fields[] = {
    {"id", &s_id, true},
    {"keywords", &s_word_list, false},
    {"phrases", &s_word_list, false},
    {"goto", &s_id, true},
    {0},
};
static const struct schema_field fallback_fields[] = {
    {"say", &s_texts, false},
    {"maxMisses", &s_count, false},
    {"goto", &s_id, false},
    {0},
};

/* ---- nodes ---- */
static const struct schema_field reply_fields[] = {
    {"label", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 200}, true},
    {"goto", &s_id, false},
    {"intent", &s_id, false},
    {0},
};
static const struct schema_field ask_fields[] = {
    {"field", &s_id, true},
    {"prompt", &s_text, true},
    {"pattern", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 1000},
     false},
    {"invalid", &s_text, false},
    {"maxAttempts", &s_count, false},
    {"onFail", &s_id, false},
    {0},
};
static const struct schema_field branch_fields[] = {
    {"if", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 4000}, false},
    {"goto", &s_id, false},
    {"else", &s_id, false},
    {0},
};
static const struct schema_field handoff_fields[] = {
    {"queue", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 128}, false},
    {"priority",
     &(const struct schema){
         .type = SCHEMA_INTEGER, .has_min = true, .min = -100, .has_max = true, .max = 100},
     false},
    {"labels", &s_labels, false},
    {0},
};
static const struct schema_field take_message_fields[] = {
    {"prompt", &s_text, true},
    {0},
};
static const struct schema_field webhook_fields[] = {
    {"url",
     &(const struct schema){
         .type = SCHEMA_STRING, .min_len = 8, .max_len = 2048, .check = check_url},
     true},
    {"secret", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 256}, false},
    {"timeoutSeconds",
     &(const struct schema){
         .type = SCHEMA_NUMBER, .has_min = true, .min = 0.1, .has_max = true, .max = 60},
     false},
    {0},
};
static const struct schema_field node_fields[] = {
    {"set", &s_labels, false},
    {"say", &s_texts, false},
    {"quickReplies",
     &(const struct schema){.type = SCHEMA_ARRAY,
                            .items = &(const struct schema){.type = SCHEMA_OBJECT,
                                                            .fields = reply_fields,
                                                            .check = check_reply},
                            .max_items = 20},
     false},
    {"ask", &(const struct schema){.type = SCHEMA_OBJECT, .fields = ask_fields}, false},
    {"branch",
     &(const struct schema){.type = SCHEMA_ARRAY,
                            .items = &(const struct schema){.type = SCHEMA_OBJECT,
                                                            .fields = branch_fields,
                                                            .check = check_branch},
                            .min_items = 1,
                            .max_items = 64},
     false},
    {"handoff", &(const struct schema){.type = SCHEMA_OBJECT, .fields = handoff_fields}, false},
    {"takeMessage", &(const struct schema){.type = SCHEMA_OBJECT, .fields = take_message_fields},
     false},
    {"end", &(const struct schema){.type = SCHEMA_BOOLEAN}, false},
    {"webhook", &(const struct schema){.type = SCHEMA_OBJECT, .fields = webhook_fields}, false},
    {"next", &s_id, false},
    {0},
};
static const struct schema s_node = {
    .type = SCHEMA_OBJECT, .fields = node_fields, .check = check_node};

/* ---- the flow ---- */
static const struct schema_field bot_fields[] = {
    {"id", &s_id, true},
    {"name", &s_name, false},
    {"start", &s_id, true},
    {"businessHours", &(const struct schema){.type = SCHEMA_OBJECT, .fields = hours_fields}, false},
    {"synonyms", &(const struct schema){.type = SCHEMA_OBJECT, .map_values = &s_word_list}, false},
    {"intents",
     &(const struct schema){.type = SCHEMA_ARRAY,
                            .items = &(const struct schema){.type = SCHEMA_OBJECT,
                                                            .fields = intent_fields,
                                                            .check = check_intent},
                            .max_items = 500,
                            .unique_key = "id"},
     false},
    {"fallback", &(const struct schema){.type = SCHEMA_OBJECT, .fields = fallback_fields}, false},
    {"nodes",
     &(const struct schema){.type = SCHEMA_OBJECT,
                            .expect = "an object of nodes",
                            .map_values = &s_node,
                            .check = check_node_ids},
     true},
    {0},
};
static const struct schema s_bot = {.type = SCHEMA_OBJECT, .fields = bot_fields};

const struct schema *bot_schema(void)
{
    return &s_bot;
}
