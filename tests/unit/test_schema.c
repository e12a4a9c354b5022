/*
 * test_schema.c - unit tests for the validator: every message, both path
 * forms, unknown and missing keys, maps, unique keys, nested arrays of
 * objects, and the cap of 16 stored problems.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema.h"

/* ---- a small configuration schema, like the real ones ---- */

static const char *const roles[] = {"admin", "manager", "agent", "expert", NULL};

static const char *check_listen(const json_t *v)
{
    const char *s = json_string_value(v);
    return strchr(s, ':') ? NULL : "an address like 127.0.0.1:8080";
}

static const struct schema name_s = {.type = SCHEMA_STRING, .min_len = 1, .max_len = 64};
static const struct schema role_s = {.type = SCHEMA_STRING, .enum_values = roles};
static const struct schema capacity_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 10};
static const struct schema level_s = {
    .type = SCHEMA_INTEGER, .has_min = true, .min = 1, .has_max = true, .max = 5};
static const struct schema skills_s = {.type = SCHEMA_OBJECT, .map_values = &level_s};
static const struct schema weight_s = {
    .type = SCHEMA_NUMBER, .has_min = true, .min = 0, .has_max = true, .max = 1};
static const struct schema bool_s = {.type = SCHEMA_BOOLEAN};

static const struct schema_field user_fields[] = {
    {"name", &name_s, true},      {"role", &role_s, true},      {"capacity", &capacity_s, false},
    {"skills", &skills_s, false}, {"password", &name_s, false}, {"weight", &weight_s, false},
    {"enabled", &bool_s, false},  {NULL, NULL, false},
};
static const struct schema user_s = {.type = SCHEMA_OBJECT, .fields = user_fields};
static const struct schema users_s = {
    .type = SCHEMA_ARRAY, .items = &user_s, .min_items = 1, .unique_key = "name"};

static const struct schema listen_s = {
    .type = SCHEMA_STRING, .expect = "an address like 127.0.0.1:8080", .check = check_listen};
static const struct schema_field http_fields[] = {{"listen", &listen_s, true}, {NULL, NULL, false}};
static const struct schema http_s = {.type = SCHEMA_OBJECT, .fields = http_fields};
static const struct schema_field server_fields[] = {{"http", &http_s, false}, {NULL, NULL, false}};
static const struct schema server_s = {.type = SCHEMA_OBJECT, .fields = server_fields};

static const char *const actions[] = {"play", "queue", "hangup", NULL};
static const struct schema action_s = {.type = SCHEMA_STRING, .enum_values = actions};
static const struct schema timeout_s = {.type = SCHEMA_INTEGER, .has_min = true, .min = 0};
static const struct schema_field step_fields[] = {
    {"action", &action_s, true}, {"timeout", &timeout_s, false}, {NULL, NULL, false}};
static const struct schema step_s = {.type = SCHEMA_OBJECT, .fields = step_fields};
static const struct schema steps_s = {.type = SCHEMA_ARRAY, .items = &step_s, .max_items = 3};
static const struct schema_field queue_fields[] = {
    {"name", &name_s, true}, {"steps", &steps_s, false}, {NULL, NULL, false}};
static const struct schema queue_s = {.type = SCHEMA_OBJECT, .fields = queue_fields};
static const struct schema queues_s = {.type = SCHEMA_ARRAY, .items = &queue_s};
static const struct schema labels_s = {.type = SCHEMA_OBJECT, .map_values = &name_s};
static const struct schema free_s = {.type = SCHEMA_OBJECT, .allow_unknown = true};

static const struct schema_field root_fields[] = {
    {"server", &server_s, false}, {"users", &users_s, true}, {"queues", &queues_s, false},
    {"labels", &labels_s, false}, {"extra", &free_s, false}, {"anything", NULL, false},
    {NULL, NULL, false},
};
static const struct schema root_s = {.type = SCHEMA_OBJECT, .fields = root_fields};

/* ---- helpers ---- */

static json_t *parse(const char *json)
{
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
    if (!v)
        print_error("bad test JSON: %s: %s\n", json, jerr.text);
    assert_non_null(v);
    return v;
}

static void print_result(const struct schema_result *r)
{
    for (size_t i = 0; i < r->count && i < 16; i++)
        print_error("  [%zu] %s (%s): %s\n", i, r->problems[i].path, r->problems[i].pointer,
                    r->problems[i].message);
}

/* Validate `json` against `s` and expect exactly one problem. */
static void one_problem(const struct schema *s, const char *json, const char *path,
                        const char *pointer, const char *message)
{
    struct schema_result r = {0};
    json_t *v = parse(json);
    bool ok = schema_validate(s, v, NULL, NULL, &r);
    if (r.count != 1 || strcmp(r.problems[0].path, path) ||
        strcmp(r.problems[0].pointer, pointer) || strcmp(r.problems[0].message, message)) {
        print_error("for %s want %s (%s): %s\ngot:\n", json, path, pointer, message);
        print_result(&r);
    }
    assert_false(ok);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.problems[0].path, path);
    assert_string_equal(r.problems[0].pointer, pointer);
    assert_string_equal(r.problems[0].message, message);
    json_decref(v);
}

static void valid(const struct schema *s, const char *json)
{
    struct schema_result r = {0};
    json_t *v = parse(json);
    bool ok = schema_validate(s, v, NULL, NULL, &r);
    if (!ok) {
        print_error("%s should be valid:\n", json);
        print_result(&r);
    }
    assert_true(ok);
    assert_int_equal(r.count, 0);
    json_decref(v);
}

/* ---- tests ---- */

static void test_valid_document(void **state)
{
    (void)state;
    valid(&root_s, "{\"server\": {\"http\": {\"listen\": \"127.0.0.1:8080\"}},"
                   " \"users\": [{\"name\": \"alice\", \"role\": \"admin\", \"capacity\": 3,"
                   " \"skills\": {\"sales\": 2, \"fr.support\": 5}, \"weight\": 0.5,"
                   " \"enabled\": true},"
                   " {\"name\": \"bob\", \"role\": \"agent\", \"weight\": 1}],"
                   " \"queues\": [{\"name\": \"q\", \"steps\": [{\"action\": \"play\"}]}],"
                   " \"labels\": {}, \"extra\": {\"whatever\": [1, {\"x\": null}]},"
                   " \"anything\": [true, 1.5]}");
    /* a NULL schema and SCHEMA_ANY accept everything */
    valid(NULL, "[1, \"x\"]");
    static const struct schema any = {.type = SCHEMA_ANY};
    valid(&any, "null");
}

static void test_type_messages(void **state)
{
    (void)state;
    one_problem(&name_s, "5", "", "", "expected a string, got an integer");
    one_problem(&name_s, "null", "", "", "expected a string, got null");
    one_problem(&name_s, "[\"a\"]", "", "", "expected a string, got an array");
    one_problem(&capacity_s, "\"3\"", "", "", "expected an integer, got a string");
    /* a real with an integral value is not an integer */
    one_problem(&capacity_s, "2.0", "", "", "expected an integer, got a real number");
    one_problem(&weight_s, "true", "", "", "expected a number, got true");
    one_problem(&bool_s, "\"yes\"", "", "", "expected true or false, got a string");
    one_problem(&user_s, "[]", "", "", "expected an object, got an array");
    one_problem(&users_s, "{}", "", "", "expected an array, got an object");
    /* `expect` words the type problem when there is one */
    one_problem(&listen_s, "8080", "", "",
                "expected an address like 127.0.0.1:8080, got an integer");
}

static void test_enum(void **state)
{
    (void)state;
    one_problem(&role_s, "\"boss\"", "", "",
                "expected one of admin, manager, agent, expert; got \"boss\"");
    /* exact comparison: no case folding, no prefix, no embedded NUL */
    one_problem(&role_s, "\"Admin\"", "", "",
                "expected one of admin, manager, agent, expert; got \"Admin\"");
    one_problem(&role_s, "\"admi\"", "", "",
                "expected one of admin, manager, agent, expert; got \"admi\"");
    struct schema_result r = {0};
    json_t *v = json_stringn("admin\0x", 7);
    assert_false(schema_validate(&role_s, v, NULL, NULL, &r));
    assert_string_equal(r.problems[0].message,
                        "expected one of admin, manager, agent, expert; got \"admin\\u0000x\"");
    json_decref(v);
    valid(&role_s, "\"expert\"");
}

static void test_lengths(void **state)
{
    (void)state;
    char json[300];
    one_problem(&name_s, "\"\"", "", "", "expected at least 1 character, got 0");
    memset(json, 'a', sizeof(json));
    json[0] = '"';
    json[66] = '"';
    json[67] = '\0';
    one_problem(&name_s, json, "", "", "expected at most 64 characters, got 65");
    json[65] = '"';
    json[66] = '\0';
    valid(&name_s, json);
    /* characters, not bytes: 64 x "é" is 128 bytes */
    strcpy(json, "\"");
    for (int i = 0; i < 64; i++)
        strcat(json, "\xc3\xa9");
    strcat(json, "\"");
    valid(&name_s, json);
}

static void test_ranges(void **state)
{
    (void)state;
    one_problem(&capacity_s, "0", "", "", "expected an integer >= 1, got 0");
    one_problem(&capacity_s, "11", "", "", "expected an integer <= 10, got 11");
    one_problem(&capacity_s, "-5", "", "", "expected an integer >= 1, got -5");
    valid(&capacity_s, "1");
    valid(&capacity_s, "10");
    one_problem(&weight_s, "1.5", "", "", "expected a number <= 1, got 1.5");
    one_problem(&weight_s, "-0.25", "", "", "expected a number >= 0, got -0.25");
    valid(&weight_s, "0");
    valid(&weight_s, "0.75");
}

static void test_custom_check(void **state)
{
    (void)state;
    one_problem(&listen_s, "\"localhost\"", "", "",
                "expected an address like 127.0.0.1:8080, got \"localhost\"");
    valid(&listen_s, "\"[::1]:80\"");
    one_problem(&root_s,
                "{\"users\": [{\"name\": \"a\", \"role\": \"agent\"}],"
                " \"server\": {\"http\": {\"listen\": \"x\"}}}",
                "server.http.listen", "/server/http/listen",
                "expected an address like 127.0.0.1:8080, got \"x\"");
}

static void test_unknown_key(void **state)
{
    (void)state;
    struct schema_result r = {0};
    json_t *v = parse("{\"name\": \"a\", \"role\": \"agent\", \"passwd\": \"x\", \"zzz\": 1}");
    assert_false(schema_validate(&user_s, v, "users[0]", "/users/0", &r));
    assert_int_equal(r.count, 2);
    assert_string_equal(r.problems[0].path, "users[0].passwd");
    assert_string_equal(r.problems[0].pointer, "/users/0/passwd");
    assert_true(r.problems[0].at_key);
    assert_string_equal(r.problems[0].message,
                        "unknown key \"passwd\" (did you mean \"password\"?)");
    assert_string_equal(r.problems[1].path, "users[0].zzz");
    assert_true(r.problems[1].at_key);
    assert_string_equal(r.problems[1].message, "unknown key \"zzz\"");
    json_decref(v);
    /* allow_unknown takes anything; an object without fields knows no key */
    valid(&free_s, "{\"a\": 1}");
    static const struct schema empty = {.type = SCHEMA_OBJECT};
    one_problem(&empty, "{\"a\": 1}", "a", "/a", "unknown key \"a\"");
    valid(&empty, "{}");
}

static void test_missing_key(void **state)
{
    (void)state;
    struct schema_result r = {0};
    json_t *v = parse("{\"users\": [{\"role\": \"agent\"}, {}]}");
    assert_false(schema_validate(&root_s, v, NULL, NULL, &r));
    assert_int_equal(r.count, 3);
    /* at the parent object, the key in the message */
    assert_string_equal(r.problems[0].path, "users[0]");
    assert_string_equal(r.problems[0].pointer, "/users/0");
    assert_false(r.problems[0].at_key);
    assert_string_equal(r.problems[0].message, "missing required key \"name\"");
    assert_string_equal(r.problems[1].path, "users[1]");
    assert_string_equal(r.problems[1].message, "missing required key \"name\"");
    assert_string_equal(r.problems[2].path, "users[1]");
    assert_string_equal(r.problems[2].message, "missing required key \"role\"");
    json_decref(v);
    one_problem(&root_s, "{}", "", "", "missing required key \"users\"");
}

static void test_unique_key(void **state)
{
    (void)state;
    struct schema_result r = {0};
    json_t *v = parse("{\"users\": [{\"name\": \"alice\", \"role\": \"agent\"},"
                      " {\"name\": \"bob\", \"role\": \"agent\"},"
                      " {\"name\": \"alice\", \"role\": \"admin\"},"
                      " {\"name\": \"bob\", \"role\": \"agent\"},"
                      " {\"name\": \"alice\", \"role\": \"agent\"}]}");
    assert_false(schema_validate(&root_s, v, NULL, NULL, &r));
    assert_int_equal(r.count, 3);
    assert_string_equal(r.problems[0].path, "users[2].name");
    assert_string_equal(r.problems[0].pointer, "/users/2/name");
    assert_string_equal(r.problems[0].message,
                        "duplicate \"name\" value \"alice\" (also at users[0])");
    assert_string_equal(r.problems[1].path, "users[3].name");
    assert_string_equal(r.problems[1].message,
                        "duplicate \"name\" value \"bob\" (also at users[1])");
    assert_string_equal(r.problems[2].path, "users[4].name");
    assert_string_equal(r.problems[2].message,
                        "duplicate \"name\" value \"alice\" (also at users[0])");
    json_decref(v);
    /* values of other types, and at the root */
    static const struct schema ids = {.type = SCHEMA_ARRAY, .unique_key = "id"};
    one_problem(&ids, "[{\"id\": 1}, {\"id\": \"1\"}, {\"id\": 1}, {}, 5]", "[2].id", "/2/id",
                "duplicate \"id\" value 1 (also at [0])");
}

static void test_map_values(void **state)
{
    (void)state;
    one_problem(&root_s,
                "{\"users\": [{\"name\": \"a\", \"role\": \"agent\","
                " \"skills\": {\"sales\": 3, \"support\": 9}}]}",
                "users[0].skills.support", "/users/0/skills/support",
                "expected an integer <= 5, got 9");
    one_problem(&skills_s, "{\"x\": \"high\"}", "x", "/x", "expected an integer, got a string");
    valid(&skills_s, "{}");
    valid(&labels_s, "{\"any key at all\": \"v\", \"\": \"w\"}");
}

static void test_path_formats(void **state)
{
    (void)state;
    /* keys that are not plain names are shown as ["..."] */
    one_problem(&skills_s, "{\"fr.sales\": 0}", "[\"fr.sales\"]", "/fr.sales",
                "expected an integer >= 1, got 0");
    one_problem(&skills_s, "{\"a/b~c\": 0}", "[\"a/b~c\"]", "/a~1b~0c",
                "expected an integer >= 1, got 0");
    one_problem(&skills_s, "{\"say \\\"hi\\\"\": 0}", "[\"say \\\"hi\\\"\"]", "/say \"hi\"",
                "expected an integer >= 1, got 0");
    one_problem(&skills_s, "{\"\": 0}", "[\"\"]", "/", "expected an integer >= 1, got 0");
    one_problem(&root_s,
                "{\"users\": [{\"name\": \"a\", \"role\": \"agent\","
                " \"skills\": {\"x y\": 7}}]}",
                "users[0].skills[\"x y\"]", "/users/0/skills/x y",
                "expected an integer <= 5, got 7");
    one_problem(&skills_s, "{\"snake_case-and-dash9\": 0}", "snake_case-and-dash9",
                "/snake_case-and-dash9", "expected an integer >= 1, got 0");
    /* the root is empty in both forms */
    one_problem(&root_s, "[]", "", "", "expected an object, got an array");
    /* a base path prefixes both */
    struct schema_result r = {0};
    json_t *v = parse("{\"role\": \"agent\"}");
    assert_false(schema_validate(&user_s, v, "users[3]", "/users/3", &r));
    assert_string_equal(r.problems[0].path, "users[3]");
    assert_string_equal(r.problems[0].pointer, "/users/3");
    json_decref(v);
}

static void test_nested_arrays_of_objects(void **state)
{
    (void)state;
    struct schema_result r = {0};
    json_t *v = parse("{\"users\": [{\"name\": \"a\", \"role\": \"agent\"}],"
                      " \"queues\": [{\"name\": \"sales\", \"steps\": [{\"action\": \"play\"}]},"
                      " {\"name\": \"support\", \"steps\": [{\"action\": \"dance\"},"
                      " {\"action\": \"queue\", \"timeout\": -1}, {\"timeout\": 5},"
                      " {\"action\": \"hangup\"}]}]}");
    assert_false(schema_validate(&root_s, v, NULL, NULL, &r));
    if (r.count != 4)
        print_result(&r);
    assert_int_equal(r.count, 4);
    assert_string_equal(r.problems[0].path, "queues[1].steps");
    assert_string_equal(r.problems[0].message, "expected at most 3 items, got 4");
    assert_string_equal(r.problems[1].path, "queues[1].steps[0].action");
    assert_string_equal(r.problems[1].pointer, "/queues/1/steps/0/action");
    assert_string_equal(r.problems[1].message,
                        "expected one of play, queue, hangup; got \"dance\"");
    assert_string_equal(r.problems[2].path, "queues[1].steps[1].timeout");
    assert_string_equal(r.problems[2].message, "expected an integer >= 0, got -1");
    assert_string_equal(r.problems[3].path, "queues[1].steps[2]");
    assert_string_equal(r.problems[3].message, "missing required key \"action\"");
    json_decref(v);
    one_problem(&root_s, "{\"users\": []}", "users", "/users", "expected at least 1 item, got 0");
}

static void test_many_problems(void **state)
{
    (void)state;
    json_t *users = json_array();
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof(name), "u%d", i);
        json_array_append_new(users, json_pack("{s:s,s:s}", "name", name, "role", "boss"));
    }
    json_t *v = json_pack("{s:o}", "users", users);
    struct schema_result r = {0};
    assert_false(schema_validate(&root_s, v, NULL, NULL, &r));
    /* all counted, the first 16 kept, in order */
    assert_int_equal(r.count, 40);
    assert_string_equal(r.problems[0].path, "users[0].role");
    assert_string_equal(r.problems[15].path, "users[15].role");
    json_t *list = schema_result_json(&r);
    assert_int_equal(json_array_size(list), 16);
    json_t *first = json_array_get(list, 0);
    assert_int_equal(json_object_size(first), 2);
    assert_string_equal(json_string_value(json_object_get(first, "path")), "users[0].role");
    assert_string_equal(json_string_value(json_object_get(first, "message")),
                        "expected one of admin, manager, agent, expert; got \"boss\"");
    json_decref(list);
    json_decref(v);

    /* an empty result is an empty array */
    memset(&r, 0, sizeof(r));
    v = parse("{\"users\": [{\"name\": \"a\", \"role\": \"agent\"}]}");
    assert_true(schema_validate(&root_s, v, NULL, NULL, &r));
    list = schema_result_json(&r);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    json_decref(v);
}

/* Long keys and values are shortened, but stay valid UTF-8 (the problems
 * go out as JSON). */
static void test_long_text_stays_utf8(void **state)
{
    (void)state;
    char key[700] = "";
    for (int i = 0; i < 300; i++)
        strcat(key, "\xc3\xa9");
    strcat(key, ".");
    json_t *v = json_object();
    json_object_set_new(v, key, json_string(key));
    struct schema_result r = {0};
    assert_false(schema_validate(&labels_s, v, NULL, NULL, &r));
    assert_true(strlen(r.problems[0].path) < sizeof(r.problems[0].path));
    json_t *list = schema_result_json(&r);
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    json_decref(v);

    static const struct schema strict = {.type = SCHEMA_OBJECT};
    v = json_object();
    json_object_set_new(v, key, json_null());
    memset(&r, 0, sizeof(r));
    assert_false(schema_validate(&strict, v, NULL, NULL, &r));
    assert_non_null(strstr(r.problems[0].message, "...\""));
    list = schema_result_json(&r);
    assert_non_null(list);
    json_decref(list);
    json_decref(v);

    /* control characters take six bytes each once escaped */
    memset(key, '\x01', 200);
    key[200] = '\0';
    v = json_object();
    json_object_set_new(v, key, json_null());
    memset(&r, 0, sizeof(r));
    assert_false(schema_validate(&strict, v, NULL, NULL, &r));
    assert_non_null(strstr(r.problems[0].message, "unknown key \"\\u0001\\u0001"));
    assert_non_null(strstr(r.problems[0].message, "...\""));
    json_decref(v);
}

/* Several calls collect into one result; each says whether it added any. */
static void test_results_accumulate(void **state)
{
    (void)state;
    struct schema_result r = {0};
    json_t *bad = parse("{\"role\": \"boss\"}"),
           *good = parse("{\"name\": \"a\", \"role\": \"agent\"}");
    assert_false(schema_validate(&user_s, bad, "users[0]", "/users/0", &r));
    assert_int_equal(r.count, 2);
    assert_true(schema_validate(&user_s, good, "users[1]", "/users/1", &r));
    assert_int_equal(r.count, 2);
    assert_false(schema_validate(&user_s, bad, "users[2]", "/users/2", &r));
    assert_int_equal(r.count, 4);
    assert_string_equal(r.problems[0].path, "users[0].role");
    assert_string_equal(r.problems[1].path, "users[0]");
    assert_string_equal(r.problems[2].path, "users[2].role");
    assert_string_equal(r.problems[3].message, "missing required key \"name\"");
    /* past 16, still counted */
    for (int i = 0; i < 10; i++)
        assert_false(schema_validate(&user_s, bad, "u", "/u", &r));
    assert_int_equal(r.count, 24);
    assert_string_equal(r.problems[15].path, "u");
    json_decref(bad);
    json_decref(good);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_document),
        cmocka_unit_test(test_type_messages),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_custom_check),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_unique_key),
        cmocka_unit_test(test_map_values),
        cmocka_unit_test(test_path_formats),
        cmocka_unit_test(test_nested_arrays_of_objects),
        cmocka_unit_test(test_many_problems),
        cmocka_unit_test(test_long_text_stays_utf8),
        cmocka_unit_test(test_results_accumulate),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
