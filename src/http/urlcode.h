/*
 * urlcode.h - percent-decoding of URL paths and query strings.
 */
#ifndef SB_HTTP_URLCODE_H
#define SB_HTTP_URLCODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Decode `len` bytes into out (NUL-terminated). '+' becomes a space when
 * plus_space (query strings). EINVAL for a bad escape or an encoded NUL,
 * ENAMETOOLONG when out is too small. */
int url_decode(char *out, size_t size, const char *in, size_t len, bool plus_space);

/* "a=1&b=x%20y" -> {"a":"1","b":"x y"} (the first of repeated names wins).
 * EINVAL on a bad escape. */
int url_query_parse(const char *in, size_t len, json_t **queryp);

#endif
