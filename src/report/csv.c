/*
 * csv.c - report rows as CSV (RFC 4180): the same rows as the JSON, with
 * nested objects flattened into dotted columns ("redirects.timeout") and
 * the top intents as "intent=count" pairs joined by ";".
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Flatten one row into name -> text (insertion order kept). */
static void flatten(json_t *out, const char *prefix, const json_t *v)
{
    const char *k;
    json_t *x;
    char name[160];
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
        {
            snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k);
            flatten(out, name, x);
        }
        return;
    }
    char *text = NULL;
    if (json_is_array(v)) { /* [{"intent":..,"count":..}] */
        size_t i, len = 0;
        char buf[4096] = "";
        json_array_foreach(v, i, x)
        {
            int n = snprintf(buf + len, sizeof(buf) - len, "%s%s=%lld", i ? ";" : "",
                             json_string_value(json_object_get(x, "intent")),
                             (long long)json_integer_value(json_object_get(x, "count")));
            if (n < 0 || (size_t)n >= sizeof(buf) - len)
                break;
            len += (size_t)n;
        }
        text = strdup(buf);
    } else if (json_is_string(v)) {
        text = strdup(json_string_value(v));
    } else if (json_is_null(v)) {
        text = strdup("");
    } else {
        text = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    }
    json_object_set_new(out, prefix, json_string(text ? text : ""));
    free(text);
}

static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* One line: each column's value in row (NULL: the column names). */
static void put_line(FILE *f, const json_t *columns, const json_t *row)
{
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)columns, k, v)
    {
        if (!first)
            fputc(',', f);
        first = false;
        const char *s = row ? json_string_value(json_object_get(row, k)) : k;
        put_field(f, s ? s : "");
    }
    fputs("\r\n", f);
}

char *report_rows_csv(const json_t *rows)
{
    json_t *flat = json_array(), *columns = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *o = json_object();
        flatten(o, "", row);
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
        {
            if (!json_object_get(columns, k))
                json_object_set_new(columns, k, json_true());
        }
        json_array_append_new(flat, o);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        if (json_object_size(columns)) { /* no rows: an empty document */
            put_line(f, columns, NULL);
            json_array_foreach(flat, i, row) put_line(f, columns, row);
        }
        fclose(f);
    }
    json_decref(flat);
    json_decref(columns);
    return buf;
}
