/*
 * server.h - the commands of the `switchboard` program, minus argument
 * parsing (main.c): serve, import, export.
 */
#ifndef SB_CORE_SERVER_H
#define SB_CORE_SERVER_H

#include <stdbool.h>

struct server_opts {
    const char *config;   /* YAML file to import at start, or NULL */
    const char *data_dir; /* default "data" */
    const char *http;     /* listener override "host:port" */
    const char *sip;      /* listener override "host:port" */
    const char *web_root; /* override of http.webRoot */
    bool sync_full;       /* fsync every commit */
};

/* Run until SIGTERM/SIGINT. Returns a process exit code. */
int server_serve(const struct server_opts *opts);
int server_import(const struct server_opts *opts, const char *file);
int server_export(const struct server_opts *opts, const char *out_file);

#endif
