/*
 * schemas.c - validation schemas of router objects and request bodies.
 * The engine checks meaning (references, combinations); these check form.
 */
#include "routing/schemas.h"

#include <ctype.h>
#include <string.h>

static const char *check_id(const json_t *value)
{
    const char *s = json_string_value(value);
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return "an id of letters, digits, '.', '_' or '-'";
    }
    return NULL;
}

static const char *check_label_value(const json_t *value)
{
    return json_is_string(value) || json_is_number(value) || json_is_boolean(value)
               ? NULL
               : "a label value: a string, a number or true/false";
}

static const char *const operators[] = {
    "equal", "notEqual", "lessThan", "lessThanEqual", "greaterThan", "greaterThanEqual", NULL};
static const char *const modes[] = {"longest-idle", "round-robin", "serial", "best-worker", NULL};
static const char *const queue_selector_kinds[] = {"static", "conditional", "expression",
                                                   "weighted", NULL};
static const char *const worker_selector_kinds[] = {"static", "conditional", NULL};
static const char *const rule_kinds[] = {"static", "expression", NULL};
static const char *const scoring_kinds[] = {"expression", "webhook", NULL};
static const char *const trigger_kinds[] = {"queueLength", "waitTime", NULL};
static const char *const action_kinds[] = {"cancel", "reclassify", "manualReclassify", NULL};
static const char *const matching_kinds[] = {"queueAndMatch", "scheduleAndSuspend", "suspend",
                                             NULL};

static const struct schema s_id = {
    .type = SCHEMA_STRING, .expect = "an id", .min_len = 1, .max_len = 64, .check = check_id};
static const struct schema s_ids = {.type = SCHEMA_ARRAY, .items = &s_id, .max_items = 1000};
static const struct schema s_name = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 128};
static const struct schema s_text = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 2000};
static const struct schema s_expression = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 4000};
static const struct schema s_bool = {.type = SCHEMA_BOOLEAN};
static const struct schema s_label = {.type = SCHEMA_ANY, .check = check_label_value};
static const struct schema s_labels = {.type = SCHEMA_OBJECT, .map_values = &s_label};
static const struct schema s_notes = {.type = SCHEMA_ARRAY, .items = &s_text, .max_items = 100};
static const struct schema s_seconds = {
    .type = SCHEMA_NUMBER, .has_min = true, .min = 0, .has_max = true, .max = 31536000};
static const struct schema s_count = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 1000000};
static const struct schema s_offers = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 1000};
static const struct schema s_priority = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = -100, .has_max = true, .max = 100};
static const struct schema s_capacity = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 100000};
static const struct schema s_time = {.type = SCHEMA_INTEGER, .has_min = true, .min = 0};
static const struct schema s_weight = {
    .type = SCHEMA_NUMBER, .has_min = true, .min = 0, .has_max = true, .max = 1};
static const struct schema s_operator = {.type = SCHEMA_STRING, .enum_values = operators};

/* Worker selectors: a static one, or a conditional group of static ones. */
static const struct schema_field static_selector_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = worker_selector_kinds},
     false},
    {"key", &s_name, true},
    {"operator", &s_operator, true},
    {"value", &s_label, true},
    {"expiresAfterSeconds", &s_seconds, false},
    {0},
};
static const struct schema s_static_selector = {.type = SCHEMA_OBJECT,
                                                .fields = static_selector_fields};
static const struct schema s_static_selectors = {
    .type = SCHEMA_ARRAY, .items = &s_static_selector, .max_items = 32};

static const struct schema_field worker_selector_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = worker_selector_kinds},
     false},
    {"key", &s_name, false},
    {"operator", &s_operator, false},
    {"value", &s_label, false},
    {"expiresAfterSeconds", &s_seconds, false},
    {"condition", &s_expression, false},
    {"selectors", &s_static_selectors, false},
    {0},
};
static const struct schema s_worker_selector = {.type = SCHEMA_OBJECT,
                                                .fields = worker_selector_fields};
static const struct schema s_worker_selectors = {
    .type = SCHEMA_ARRAY, .items = &s_worker_selector, .max_items = 32};

/* ---- distribution policies ---- */
static const char *check_url(const json_t *value)
{
    const char *s = json_string_value(value);
    return strncmp(s, "http://", 7) && strncmp(s, "https://", 8) ? "an http:// or https:// URL"
                                                                 : NULL;
}

/* Which fields a scoring rule needs depends on its kind. */
static const char *check_scoring(const json_t *value)
{
    const char *kind = json_string_value(json_object_get(value, "kind"));
    if (kind && !strcmp(kind, "webhook"))
        return json_object_get(value, "url") ? NULL : "a webhook scoring rule with a \"url\"";
    return json_object_get(value, "expression")
               ? NULL
               : "an expression scoring rule with an \"expression\"";
}

static const struct schema_field scoring_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = scoring_kinds}, true},
    {"expression", &s_expression, false},
    {"url",
     &(const struct schema){
         .type = SCHEMA_STRING, .min_len = 8, .max_len = 2048, .check = check_url},
     false},
    {"timeoutSeconds",
     &(const struct schema){
         .type = SCHEMA_NUMBER, .has_min = true, .min = 0.1, .has_max = true, .max = 60},
     false},
    {"secret", &(const struct schema){.type = SCHEMA_STRING, .min_len = 1, .max_len = 256}, false},
    {0},
};
static const struct schema_field mode_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = modes}, true},
    {"minConcurrentOffers", &s_offers, false},
    {"maxConcurrentOffers", &s_offers, false},
    {"bypassSelectors", &s_bool, false},
    {"workerOrder", &s_ids, false},
    {"scoringRule",
     &(const struct schema){
         .type = SCHEMA_OBJECT, .fields = scoring_fields, .check = check_scoring},
     false},
    {"descendingOrder", &s_bool, false},
    {0},
};
static const struct schema_field distribution_fields[] = {
    {"id", &s_id, true},
    {"name", &s_name, false},
    {"offerExpiresAfterSeconds", &s_seconds, false},
    {"mode", &(const struct schema){.type = SCHEMA_OBJECT, .fields = mode_fields}, true},
    {"unavailableAfterExpiries", &s_count, false},
    {"unavailableReason", &s_name, false},
    {0},
};
const struct schema routing_distribution_policy_schema = {.type = SCHEMA_OBJECT,
                                                          .fields = distribution_fields};

/* ---- classification policies ---- */
static const struct schema_field allocation_fields[] = {
    {"weight", &s_weight, true},
    {"queueId", &s_id, true},
    {0},
};
static const struct schema s_allocations = {
    .type = SCHEMA_ARRAY,
    .items = &(const struct schema){.type = SCHEMA_OBJECT, .fields = allocation_fields},
    .min_items = 1,
    .max_items = 32};
static const struct schema_field queue_selector_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = queue_selector_kinds},
     true},
    {"queueId", &s_id, false},
    {"condition", &s_expression, false},
    {"expression", &s_expression, false},
    {"allocations", &s_allocations, false},
    {0},
};
static const struct schema_field rule_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = rule_kinds}, true},
    {"value", &s_priority, false},
    {"expression", &s_expression, false},
    {0},
};
static const struct schema_field classification_fields[] = {
    {"id", &s_id, true},
    {"name", &s_name, false},
    {"fallbackQueueId", &s_id, false},
    {"queueSelectors",
     &(const struct schema){
         .type = SCHEMA_ARRAY,
         .items = &(const struct schema){.type = SCHEMA_OBJECT, .fields = queue_selector_fields},
         .max_items = 32},
     false},
    {"workerSelectors", &s_worker_selectors, false},
    {"prioritizationRule", &(const struct schema){.type = SCHEMA_OBJECT, .fields = rule_fields},
     false},
    {0},
};
const struct schema routing_classification_policy_schema = {.type = SCHEMA_OBJECT,
                                                            .fields = classification_fields};

/* ---- exception policies ---- */
static const struct schema_field trigger_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = trigger_kinds}, true},
    {"threshold", &s_count, false},
    {"thresholdSeconds", &s_seconds, false},
    {0},
};
static const struct schema_field action_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = action_kinds}, true},
    {"dispositionCode", &s_name, false},
    {"classificationPolicyId", &s_id, false},
    {"labelsToUpsert", &s_labels, false},
    {"queueId", &s_id, false},
    {"priority", &s_priority, false},
    {"workerSelectors", &s_static_selectors, false},
    {0},
};
static const struct schema_field exception_rule_fields[] = {
    {"id", &s_id, true},
    {"trigger", &(const struct schema){.type = SCHEMA_OBJECT, .fields = trigger_fields}, true},
    {"actions",
     &(const struct schema){
         .type = SCHEMA_ARRAY,
         .items = &(const struct schema){.type = SCHEMA_OBJECT, .fields = action_fields},
         .min_items = 1,
         .max_items = 8},
     true},
    {0},
};
static const struct schema_field exception_fields[] = {
    {"id", &s_id, true},
    {"name", &s_name, false},
    {"rules",
     &(const struct schema){
         .type = SCHEMA_ARRAY,
         .items = &(const struct schema){.type = SCHEMA_OBJECT, .fields = exception_rule_fields},
         .min_items = 1,
         .max_items = 32,
         .unique_key = "id"},
     true},
    {0},
};
const struct schema routing_exception_policy_schema = {.type = SCHEMA_OBJECT,
                                                       .fields = exception_fields};

/* ---- queues ---- */
static const struct schema_field queue_fields[] = {
    {"id", &s_id, true},
    {"name", &s_name, false},
    {"distributionPolicyId", &s_id, true},
    {"exceptionPolicyId", &s_id, false},
    {"labels", &s_labels, false},
    {"maxLength", &s_count, false},
    {0},
};
const struct schema routing_queue_schema = {.type = SCHEMA_OBJECT, .fields = queue_fields};

/* ---- workers ---- */
static const struct schema_field channel_fields[] = {
    {"channelId", &s_id, true},
    {"capacityCostPerJob", &s_capacity, true},
    {"maxNumberOfJobs", &s_offers, false},
    {0},
};
static const struct schema_field worker_fields[] = {
    {"id", &s_id, true},
    {"userId", &s_name, false},
    {"user", &s_name, false},
    {"capacity", &s_capacity, true},
    {"channels",
     &(const struct schema){
         .type = SCHEMA_ARRAY,
         .items = &(const struct schema){.type = SCHEMA_OBJECT, .fields = channel_fields},
         .min_items = 1,
         .max_items = 16,
         .unique_key = "channelId"},
     true},
    {"labels", &s_labels, false},
    {"tags", &s_labels, false},
    {"queues", &s_ids, false},
    {"available", &s_bool, false},
    {"unavailableReason", &s_name, false},
    {0},
};
const struct schema routing_worker_schema = {.type = SCHEMA_OBJECT, .fields = worker_fields};

/* A manager staffing queues: the worker's queues, nothing else. */
static const struct schema_field worker_queues_fields[] = {
    {"queues", &s_ids, true},
    {0},
};
const struct schema routing_worker_queues_schema = {.type = SCHEMA_OBJECT,
                                                    .fields = worker_queues_fields};

/* ---- jobs and job requests ---- */
static const struct schema_field matching_fields[] = {
    {"kind", &(const struct schema){.type = SCHEMA_STRING, .enum_values = matching_kinds}, true},
    {"scheduleAt", &s_time, false},
    {0},
};
static const struct schema_field job_fields[] = {
    {"id", &s_id, false},
    {"channelId", &s_id, true},
    {"queueId", &s_id, false},
    {"classificationPolicyId", &s_id, false},
    {"priority", &s_priority, false},
    {"labels", &s_labels, false},
    {"tags", &s_labels, false},
    {"notes", &s_notes, false},
    {"requestedWorkerSelectors", &s_static_selectors, false},
    {"matchingMode", &(const struct schema){.type = SCHEMA_OBJECT, .fields = matching_fields},
     false},
    {0},
};
const struct schema routing_job_schema = {.type = SCHEMA_OBJECT, .fields = job_fields};

static const struct schema_field reclassify_fields[] = {
    {"queueId", &s_id, false},
    {"priority", &s_priority, false},
    {"workerSelectors", &s_static_selectors, false},
    {"labelsToUpsert", &s_labels, false},
    {"classificationPolicyId", &s_id, false},
    {0},
};
const struct schema routing_reclassify_schema = {.type = SCHEMA_OBJECT,
                                                 .fields = reclassify_fields};

static const struct schema_field availability_fields[] = {
    {"available", &s_bool, true},
    {"reason", &s_name, false},
    {0},
};
const struct schema routing_availability_schema = {.type = SCHEMA_OBJECT,
                                                   .fields = availability_fields};

static const struct schema_field close_fields[] = {
    {"dispositionCode", &s_name, false},
    {"closeAt", &s_time, false},
    {"wrapUpSeconds", &s_seconds, false},
    {0},
};
const struct schema routing_close_schema = {.type = SCHEMA_OBJECT, .fields = close_fields};

static const struct schema_field cancel_fields[] = {
    {"dispositionCode", &s_name, false},
    {"note", &s_text, false},
    {0},
};
const struct schema routing_cancel_schema = {.type = SCHEMA_OBJECT, .fields = cancel_fields};

static const struct schema_field unassign_fields[] = {
    {"suspend", &s_bool, false},
    {"priorityBump", &s_priority, false},
    {0},
};
const struct schema routing_unassign_schema = {.type = SCHEMA_OBJECT, .fields = unassign_fields};

static const struct schema_field decline_fields[] = {
    {"retryAfterSeconds", &s_count, false},
    {0},
};
const struct schema routing_decline_schema = {.type = SCHEMA_OBJECT, .fields = decline_fields};
