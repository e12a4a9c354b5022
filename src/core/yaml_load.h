/*
 * yaml_load.h - read YAML (with libyaml) into a jansson tree, keeping where
 * each value stood so that errors can name file, line and column.
 *
 * Contract:
 * - Scalars: plain (unquoted) scalars become null (~, null, empty), booleans
 *   (true/false, yes/no are NOT booleans: YAML 1.2 core schema), integers
 *   (decimal, 0x hex, 0o octal), reals, else strings. Quoted and block
 *   scalars are always strings, and so are scalars tagged ! or !!str; other
 *   tags are errors. An integer beyond 64 bits, .inf and .nan are errors.
 * - Mappings become objects (keys must be scalars and are kept as text:
 *   "1: x" gives the key "1"; a duplicate key or a key with a NUL is an
 *   error), sequences become arrays. Anchors and aliases are supported
 *   (an alias is a deep copy), merge keys (<<) are not (error). After
 *   aliases are expanded, at most 1,000,000 values and 64 MiB of text.
 * - Only one document per stream; an empty stream, or a document with
 *   nothing in it ("---" alone), gives an empty object.
 * - The position map `marks` is a jansson object: JSON Pointer (RFC 6901)
 *   of each value -> [line, column] (1-based) of where the value starts;
 *   for object members also "<pointer>#key" -> [line, column] of the key.
 *   The root pointer is "". A value copied by an alias is marked at the
 *   alias; what is inside it, where the anchored text is.
 * - Errors (syntax, duplicate key, alias loop, unsupported feature, depth
 *   over 64, input over max size) fill `err` with line, column and a message
 *   and return EBADMSG; nothing is returned then. Out of memory is ENOMEM.
 *   `err` may be NULL.
 */
#ifndef SB_CORE_YAML_LOAD_H
#define SB_CORE_YAML_LOAD_H

#include <jansson.h>
#include <stddef.h>

struct yaml_error {
    int line;   /* 1-based; 0 if unknown */
    int column; /* 1-based; 0 if unknown */
    char message[256];
};

/* Parse `len` bytes of YAML. On success *rootp and *marksp (if marksp is
 * not NULL) are new references owned by the caller. */
int yaml_load_buffer(const char *buf, size_t len, json_t **rootp, json_t **marksp,
                     struct yaml_error *err);

/* Read and parse a file (at most 16 MiB). A file that cannot be read gives
 * the errno value and a message in err. */
int yaml_load_file(const char *path, json_t **rootp, json_t **marksp, struct yaml_error *err);

/* Write a jansson tree as block-style YAML (for `switchboard export`).
 * Strings that would read back as another type are quoted. Returns 0 or
 * ENOMEM; *outp is malloc'ed, caller frees. */
int yaml_dump(const json_t *root, char **outp);

#endif
