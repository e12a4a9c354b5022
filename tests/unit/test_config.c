/*
 * test_config.c - configuration import: every error names file, line,
 * column and key path; an invalid document changes nothing; importing the
 * same document twice changes nothing; export reads back the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/password.h"
#include "core/app.h"
#include "core/config.h"
#include "core/events.h"
#include "core/ids.h"
#include "core/modules.h"
#include "core/settings.h"
#include "core/yaml_load.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];
static struct app app;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    assert_int_equal(modules_register(), 0);
    snprintf(dir, sizeof(dir), "/tmp/sb-config-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/switchboard.db", dir);
    struct store_opts opts = {.path = path};
    memset(&app, 0, sizeof(app));
    assert_int_equal(store_open_sqlite(&app.store, &opts), 0);
    assert_int_equal(events_alloc(&app.events, app.store), 0);
    assert_int_equal(settings_load(&app, NULL), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    events_free(app.events);
    store_close(app.store);
    json_decref(app.settings);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* A password hash made once: hashing in every document would be slow. */
static const char *hash(void)
{
    static char h[PASSWORD_HASH_SIZE];
    if (!h[0])
        assert_int_equal(password_hash(h, "secret-pass"), 0);
    return h;
}

static char *import_error(const char *text)
{
    char *err = NULL;
    assert_int_not_equal(config_import_yaml(&app, "test.yaml", text, &err), 0);
    assert_non_null(err);
    return err;
}

static char *export_text(void)
{
    json_t *doc;
    char *out;
    assert_int_equal(config_export(&app, &doc), 0);
    assert_int_equal(yaml_dump(doc, &out), 0);
    json_decref(doc);
    return out;
}

static void good_import_is_idempotent(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof(text),
             "server:\n  organisation:\n    name: Test Shop\n"
             "users:\n  - name: ann\n    role: agent\n    extension: \"1001\"\n"
             "    passwordHash: \"%s\"\n"
             "apiKeys:\n  - name: crm\n    role: manager\n"
             "    key: sbk_0123456789abcdef0123456789abcdef\n",
             hash());
    char *err = NULL;
    assert_int_equal(config_import_yaml(&app, "a.yaml", text, &err), 0);
    assert_null(err);
    int64_t seq = events_last_seq(app.events);
    assert_true(seq >= 3); /* settings, user, key */
    char *first = export_text();

    assert_int_equal(config_import_yaml(&app, "a.yaml", text, &err), 0);
    assert_int_equal(events_last_seq(app.events), seq); /* nothing changed */
    char *second = export_text();
    assert_string_equal(first, second);

    /* The export is itself an importable document that changes nothing. */
    assert_int_equal(config_import_yaml(&app, "export.yaml", second, &err), 0);
    assert_int_equal(events_last_seq(app.events), seq);
    assert_non_null(strstr(first, "keyHash"));
    assert_null(strstr(first, "sbk_0123")); /* only the hash is kept */
    free(first);
    free(second);
}

static void errors_name_line_column_and_path(void **state)
{
    (void)state;
    char *err;

    err = import_error("users:\n  - name: ann\n    role: [agent\n");
    assert_non_null(strstr(err, "test.yaml:"));
    free(err);

    err = import_error("users:\n  - name: ann\n    role: agent\n  - name: bob\n    role: 5\n");
    assert_string_equal(err, "test.yaml:5:11: users[1].role: expected a string, got an integer\n");
    free(err);

    err = import_error("users:\n  - name: ann\n    role: agent\n    passwd: x\n");
    assert_string_equal(
        err,
        "test.yaml:4:5: users[0].passwd: unknown key \"passwd\" (did you mean \"password\"?)\n");
    free(err);

    err = import_error("users:\n  - name: ann\n    role: boss\n");
    assert_string_equal(
        err, "test.yaml:3:11: users[0].role: expected one of admin, manager, agent, expert; "
             "got \"boss\"\n");
    free(err);

    err = import_error("users:\n  - role: agent\n");
    assert_non_null(strstr(err, "test.yaml:2:5: users[0]: missing required key \"name\""));
    free(err);

    err = import_error("widgets: []\n");
    assert_non_null(
        strstr(err, "test.yaml:1:1: widgets: unknown key \"widgets\"; expected one of"));
    free(err);

    err = import_error("server:\n  http:\n    listen: nowhere\n");
    assert_non_null(strstr(err, "test.yaml:3:13: server.http.listen: expected an address"));
    free(err);

    err = import_error("users:\n  - name: ann\n    role: agent\n  - name: ann\n    role: agent\n");
    assert_non_null(strstr(err, "duplicate"));
    free(err);

    err = import_error("users:\n  - name: ann\n    role: agent\n    password: a\n");
    assert_non_null(strstr(err, "users[0].password: expected at least 8 characters"));
    free(err);

    err = import_error("users:\n  - name: ann\n    role: agent\n    password: abcdefghi\n"
                       "    passwordHash: \"$argon2id$v=19$m=65536,t=2,p=1$x$y\"\n");
    assert_non_null(strstr(err, "users[0]: give either password or passwordHash, not both"));
    free(err);
}

static void invalid_document_changes_nothing(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof(text), "users:\n  - name: ann\n    role: agent\n");
    char *err = NULL;
    assert_int_equal(config_import_yaml(&app, "a.yaml", text, &err), 0);
    char *before = export_text();
    int64_t seq = events_last_seq(app.events);

    /* The first user is valid and the second is not: neither lands. */
    err = import_error("users:\n  - name: ann\n    role: manager\n  - name: bob\n    role: 9\n");
    free(err);
    /* A conflict found only while applying (same extension) rolls back. */
    err = import_error("users:\n  - name: ann\n    role: admin\n    extension: \"42\"\n"
                       "  - name: bob\n    role: agent\n    extension: \"42\"\n");
    assert_non_null(strstr(err, "extension"));
    free(err);

    char *after = export_text();
    assert_string_equal(before, after);
    assert_int_equal(events_last_seq(app.events), seq);
    free(before);
    free(after);
}

static void api_uses_the_same_validation(void **state)
{
    (void)state;
    const struct config_kind *users = config_kind_find("users");
    assert_non_null(users);
    json_t *body = json_pack("{s:s, s:i}", "name", "Bad Name", "role", 3);
    struct schema_result res;
    memset(&res, 0, sizeof(res));
    assert_false(config_validate_object(users, body, "", "", &res));
    assert_int_equal(res.count, 2);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(good_import_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_line_column_and_path, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_document_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(api_uses_the_same_validation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
