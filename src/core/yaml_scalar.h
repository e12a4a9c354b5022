/*
 * yaml_scalar.h - typing of plain YAML scalars (YAML 1.2 core schema),
 * shared by the loader and the dumper.
 */
#ifndef SB_CORE_YAML_SCALAR_H
#define SB_CORE_YAML_SCALAR_H

#include <stddef.h>

enum yaml_plain_kind {
    PK_STRING,
    PK_NULL,
    PK_TRUE,
    PK_FALSE,
    PK_INT,
    PK_OCT,
    PK_HEX,
    PK_FLOAT,
    PK_NONFINITE
};

/* What the plain scalar `s` (len bytes) reads as. */
enum yaml_plain_kind yaml_plain_kind(const char *s, size_t len);

#endif
