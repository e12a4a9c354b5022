/*
 * embedded.h - text files compiled into the binary (see tools/embed.c):
 * the store's migrations and the demo configuration.
 */
#ifndef SB_CORE_EMBEDDED_H
#define SB_CORE_EMBEDDED_H

struct sb_embedded {
    const char *name; /* file base name, e.g. "0001_init.sql" */
    const char *text; /* NUL-terminated contents */
};

/* Migrations in file-name order (numbered), ended by {NULL, NULL}. */
extern const struct sb_embedded sb_migrations[];
/* examples/demo.yaml, as sb_demo_config[0]. */
extern const struct sb_embedded sb_demo_config[];

#endif
