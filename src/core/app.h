/*
 * app.h - the running server's shared state, handed to every module.
 * Everything here is owned by main.c's serve/import/export commands and
 * used on the main loop thread only.
 */
#ifndef SB_CORE_APP_H
#define SB_CORE_APP_H

#include <jansson.h>

struct store;
struct events;
struct workpool;
struct ratelimit;
struct routing;
struct chat;
struct sipsvc;
struct report;

struct app {
    struct store *store;
    struct events *events;
    struct workpool *pool;              /* NULL outside `serve` */
    struct ratelimit *login_by_account; /* failed logins; NULL outside `serve` */
    struct ratelimit *login_by_address;
    struct routing *routing; /* the job router service (src/routing/) */
    struct chat *chat;       /* the web chat service (src/chat/) */
    struct sipsvc *sip;      /* the SIP service (src/sip/); NULL outside `serve` */
    struct report *report;   /* the reporting engine (src/report/); NULL outside `serve` */
    json_t *settings;        /* effective server settings (defaults applied) */
    const char *data_dir;
};

#endif
