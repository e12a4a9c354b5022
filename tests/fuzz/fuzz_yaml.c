/*
 * fuzz_yaml.c - libFuzzer target for the YAML loader and dumper.
 *
 * Any input must load or be refused cleanly (no crash, no leak, a message
 * and a position that make sense). What loads must dump, and the dump must
 * load back to an equal tree and dump to the same text: export followed by
 * import changes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (16u << 20)

static void check_error(const struct yaml_error *err)
{
    if (err->line < 0 || err->column < 0 || !memchr(err->message, '\0', sizeof(err->message)) ||
        !err->message[0])
        abort();
}

/* Every mark is [line, column], both from 1. */
static void check_marks(const json_t *marks)
{
    const char *key;
    json_t *pos;
    if (!json_object_get(marks, ""))
        abort();
    json_object_foreach((json_t *)marks, key, pos)
    {
        if (json_array_size(pos) != 2 || json_integer_value(json_array_get(pos, 0)) < 1 ||
            json_integer_value(json_array_get(pos, 1)) < 1)
            abort();
    }
}

static void mismatch(const char *what, const char *text, const json_t *a, const json_t *b)
{
    char *sa = json_dumps(a, JSON_ENCODE_ANY);
    char *sb = b ? json_dumps(b, JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "%s\n--- yaml ---\n%s\n--- first ---\n%s\n--- second ---\n%s\n", what, text,
            sa ? sa : "?", sb ? sb : "?");
    abort();
}

static void round_trip(const json_t *root)
{
    char *text = NULL, *again = NULL;
    json_t *back = NULL;
    struct yaml_error err;

    if (yaml_dump(root, &text))
        abort();
    /* A tree expanded by aliases can dump to more than the loader takes. */
    if (strlen(text) <= MAX_INPUT) {
        if (yaml_load_buffer(text, strlen(text), &back, NULL, &err))
            mismatch(err.message, text, root, NULL);
        if (!json_equal(root, back))
            mismatch("round trip changed the tree", text, root, back);
        if (yaml_dump(back, &again) || strcmp(text, again))
            mismatch("second dump differs", text, root, back);
    }
    free(again);
    free(text);
    json_decref(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL, *marks = NULL;
    struct yaml_error err;

    if (yaml_load_buffer((const char *)data, size, &root, &marks, &err)) {
        check_error(&err);
        if (root || marks)
            abort();
        return 0;
    }
    check_marks(marks);
    round_trip(root);
    json_decref(root);
    json_decref(marks);
    return 0;
}
