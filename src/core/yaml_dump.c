/*
 * yaml_dump.c - a jansson tree back into block-style YAML (for
 * `switchboard export`), through libyaml's emitter. Strings that would read
 * back as another type are quoted, so the text loads as the same tree.
 */
#include "core/yaml_load.h"
#include "core/yaml_scalar.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Plain text that would read back as something else (or as a merge key)
 * is quoted; multi-line text reads best as a literal block. The emitter
 * may still pick a safer style when the text needs it (": ", "#", ...). */
static yaml_scalar_style_t string_style(const char *s, size_t len)
{
    if (yaml_plain_kind(s, len) != PK_STRING || (len == 2 && memcmp(s, "<<", 2) == 0))
        return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (memchr(s, '\n', len))
        return YAML_LITERAL_SCALAR_STYLE;
    return YAML_PLAIN_SCALAR_STYLE;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev, int ok)
{
    /* yaml_emitter_emit() takes the event, even when it fails. */
    return ok && yaml_emitter_emit(em, ev) ? 0 : ENOMEM;
}

static int emit_scalar(yaml_emitter_t *em, const char *text, size_t len, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (len > INT_MAX)
        return ENOMEM;
    return emit(
        em, &ev,
        yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len, 1, 1, style));
}

/* The shortest text that reads back as exactly `d`, with a "." or an
 * exponent so that it reads back as a real, not an integer. Exponents only
 * for very large or small numbers: 1000.0, not 1e+03. */
static void format_real(double d, char *buf, size_t size)
{
    bool fixed = fabs(d) >= 1e-4 && fabs(d) < 1e16;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    for (int prec = 1; fixed && strchr(buf, 'e') && prec <= 20; prec++) {
        snprintf(buf, size, "%.*f", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eE"))
        strncat(buf, ".0", size - strlen(buf) - 1);
}

static int emit_value(yaml_emitter_t *em, const json_t *v);

static int emit_object(yaml_emitter_t *em, const json_t *obj)
{
    yaml_event_t ev;
    const char *key;
    size_t key_len;
    json_t *value;
    int rc = emit(
        em, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
    json_object_keylen_foreach((json_t *)obj, key, key_len, value)
    {
        if (!rc)
            rc = emit_scalar(em, key, key_len, string_style(key, key_len));
        if (!rc)
            rc = emit_value(em, value);
    }
    return rc ? rc : emit(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static int emit_array(yaml_emitter_t *em, const json_t *arr)
{
    yaml_event_t ev;
    int rc =
        emit(em, &ev,
             yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
    for (size_t i = 0; !rc && i < json_array_size(arr); i++)
        rc = emit_value(em, json_array_get(arr, i));
    return rc ? rc : emit(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

static int emit_value(yaml_emitter_t *em, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return emit_object(em, v);
    case JSON_ARRAY:
        return emit_array(em, v);
    case JSON_STRING:
        return emit_scalar(em, json_string_value(v), json_string_length(v),
                           string_style(json_string_value(v), json_string_length(v)));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(em, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof(num));
        return emit_scalar(em, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE:
        return emit_scalar(em, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(em, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
        return emit_scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
    return EINVAL;
}

static int emit_document(yaml_emitter_t *em, const json_t *root)
{
    yaml_event_t ev;
    int rc = emit(em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    if (!rc)
        rc = emit(em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
    if (!rc)
        rc = emit_value(em, root);
    if (!rc)
        rc = emit(em, &ev, yaml_document_end_event_initialize(&ev, 1));
    if (!rc)
        rc = emit(em, &ev, yaml_stream_end_event_initialize(&ev));
    if (!rc && !yaml_emitter_flush(em))
        rc = ENOMEM;
    return rc;
}

int yaml_dump(const json_t *root, char **outp)
{
    yaml_emitter_t em;
    char *text = NULL;
    size_t size = 0;

    if (!root || !outp)
        return EINVAL;
    *outp = NULL;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return ENOMEM;
    if (!yaml_emitter_initialize(&em)) {
        fclose(out);
        free(text);
        return ENOMEM;
    }
    yaml_emitter_set_output_file(&em, out);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1); /* no folding: long strings stay on one line */
    yaml_emitter_set_indent(&em, 2);
    yaml_emitter_set_break(&em, YAML_LN_BREAK);
    int rc = emit_document(&em, root);
    yaml_emitter_delete(&em);
    if (fclose(out) != 0 && !rc)
        rc = ENOMEM;
    if (rc) {
        free(text);
        return rc;
    }
    *outp = text;
    return 0;
}
