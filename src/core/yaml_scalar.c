/*
 * yaml_scalar.c - how a plain (unquoted) YAML scalar reads under the YAML
 * 1.2 core schema. The loader uses it to type values, the dumper to know
 * which strings need quotes to read back as strings.
 */
#include "core/yaml_scalar.h"

#include <stdbool.h>
#include <string.h>
static bool is_one_of(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && memcmp(s, *words, len) == 0)
            return true;
    return false;
}

static size_t span_digits(const char *s, size_t len, size_t i, const char *set)
{
    size_t start = i;
    while (i < len && s[i] && strchr(set, s[i]))
        i++;
    return i - start;
}

#define DEC "0123456789"

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_core_float(const char *s, size_t len)
{
    size_t i = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    size_t whole = span_digits(s, len, i, DEC);
    i += whole;
    if (i < len && s[i] == '.') {
        size_t frac = span_digits(s, len, i + 1, DEC);
        if (!whole && !frac)
            return false;
        i += 1 + frac;
    } else if (!whole) {
        return false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t exp = span_digits(s, len, i, DEC);
        if (!exp)
            return false;
        i += exp;
    }
    return i == len;
}

enum yaml_plain_kind yaml_plain_kind(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const nonfinite[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf",
                                            "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
                                            ".NaN",  ".NAN",  NULL};
    size_t sign = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

    if (is_one_of(s, len, nulls))
        return PK_NULL;
    if (is_one_of(s, len, trues))
        return PK_TRUE;
    if (is_one_of(s, len, falses))
        return PK_FALSE;
    if (len > sign && span_digits(s, len, sign, DEC) == len - sign)
        return PK_INT;
    if (len > 2 && s[0] == '0' && s[1] == 'o' && span_digits(s, len, 2, "01234567") == len - 2)
        return PK_OCT;
    if (len > 2 && s[0] == '0' && s[1] == 'x' &&
        span_digits(s, len, 2, DEC "abcdefABCDEF") == len - 2)
        return PK_HEX;
    if (is_core_float(s, len))
        return PK_FLOAT;
    if (is_one_of(s, len, nonfinite))
        return PK_NONFINITE;
    return PK_STRING;
}
