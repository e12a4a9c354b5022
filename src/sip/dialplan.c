/*
 * dialplan.c - normalising dialled numbers and matching them against
 * allow-list patterns (see dialplan.h for the syntax).
 */
#include "sip/dialplan.h"

#include <ctype.h>
#include <string.h>

bool dial_normalise(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        char ch = *p;
        if (strchr(" -.()", ch))
            continue;
        bool ok = isdigit((unsigned char)ch) || ch == '*' || ch == '#' || (ch == '+' && n == 0);
        if (!ok || n + 1 >= size)
            return false;
        out[n++] = ch;
    }
    if (!n || size == 0)
        return false;
    out[n] = '\0';
    return true;
}

/* Does ch belong to the set starting after '['? *end is set past ']'. */
static bool in_set(const char *set, char ch, const char **end)
{
    bool hit = false;
    const char *p = set;
    for (; *p && *p != ']'; p++) {
        if (*p == ',')
            continue;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if (ch >= p[0] && ch <= p[2])
                hit = true;
            p += 2;
        } else if (*p == ch) {
            hit = true;
        }
    }
    *end = *p == ']' ? p + 1 : p;
    return hit;
}

bool dial_match(const char *pattern, const char *number)
{
    const char *p = pattern, *s = number;
    while (*p) {
        if (*p == '.')
            return *s != '\0';
        if (*p == '!')
            return true;
        if (!*s)
            return false;
        char ch = *s;
        bool digit = isdigit((unsigned char)ch);
        if (*p == '[') {
            const char *end;
            if (!in_set(p + 1, ch, &end))
                return false;
            p = end;
            s++;
            continue;
        }
        bool ok = *p == 'X'   ? digit
                  : *p == 'Z' ? digit && ch >= '1'
                  : *p == 'N' ? digit && ch >= '2'
                              : *p == ch;
        if (!ok)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

const char *dial_pattern_problem(const char *pattern)
{
    if (!*pattern)
        return "a pattern may not be empty";
    for (const char *p = pattern; *p; p++) {
        char ch = *p;
        if ((ch == '.' || ch == '!') && p[1])
            return "'.' and '!' may only end a pattern";
        if (ch == '[') {
            const char *close = strchr(p, ']');
            if (!close || close == p + 1)
                return "a '[' needs digits and a closing ']'";
            for (const char *q = p + 1; q < close; q++) {
                if (!isdigit((unsigned char)*q) && *q != '-' && *q != ',')
                    return "inside [...] only digits, ranges like 1-5 and commas";
            }
            p = close;
            continue;
        }
        if (!strchr("XZN.!+*#", ch) && !isdigit((unsigned char)ch))
            return "use digits, +, *, #, X (0-9), Z (1-9), N (2-9), [sets], '.' or '!'";
    }
    return NULL;
}

bool dial_same_number(const char *a, const char *b)
{
    if (*a == '+')
        a++;
    if (*b == '+')
        b++;
    return strcmp(a, b) == 0;
}
