/*
 * urlcode.c - percent-decoding (see urlcode.h).
 */
#include "http/urlcode.h"

#include <errno.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int url_decode(char *out, size_t size, const char *in, size_t len, bool plus_space)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return EINVAL;
            int hi = hexval(in[i + 1]);
            int lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return EINVAL;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '\0') {
            return EINVAL;
        }
        if (n + 1 >= size)
            return ENAMETOOLONG;
        out[n++] = c;
    }
    if (size == 0)
        return ENAMETOOLONG;
    out[n] = '\0';
    return 0;
}

int url_query_parse(const char *in, size_t len, json_t **queryp)
{
    json_t *query = json_object();
    if (!query)
        return ENOMEM;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && in[end] != '&')
            end++;
        size_t eq = i;
        while (eq < end && in[eq] != '=')
            eq++;
        char name[128], value[1024];
        int err = url_decode(name, sizeof(name), in + i, eq - i, true);
        if (!err)
            err = eq < end ? url_decode(value, sizeof(value), in + eq + 1, end - eq - 1, true)
                           : (value[0] = '\0', 0);
        if (err) {
            json_decref(query);
            return err == ENAMETOOLONG ? EINVAL : err;
        }
        if (name[0] && !json_object_get(query, name) &&
            json_object_set_new(query, name, json_string(value)) != 0) {
            json_decref(query); /* not UTF-8 */
            return EINVAL;
        }
        i = end + 1;
    }
    *queryp = query;
    return 0;
}
