/*
 * service.h - the job router in the running server: owns the engine
 * (src/router/), keeps it durable in the store, turns its events into the
 * event log, and drives its clock with one libre timer.
 *
 * Every change goes through here: it opens a transaction (or joins the
 * caller's), calls the engine, appends the engine's events, writes the
 * state of each job the call touched, and commits — so a job, an offer or
 * an assignment is acknowledged only once it is stored. On start the
 * engine is rebuilt from the store: objects first, then every job that was
 * not finished.
 */
#ifndef SB_ROUTING_SERVICE_H
#define SB_ROUTING_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct app;
struct router;

/* Object kinds, as in configuration files and under /v1/router/. */
enum routing_kind {
    ROUTING_DISTRIBUTION_POLICIES,
    ROUTING_CLASSIFICATION_POLICIES,
    ROUTING_EXCEPTION_POLICIES,
    ROUTING_QUEUES,
    ROUTING_WORKERS,
    ROUTING_KINDS
};

const char *routing_kind_key(enum routing_kind kind);

/* Register the configuration kinds and the "router" event topic. */
int routing_register(void);

/* Build the engine from the store. `live`: also run its timer (serve). */
int routing_start(struct app *app, bool live);
void routing_stop(struct app *app);
/* Throw the engine away and build it again from the store (after a
 * rolled-back import left it ahead of the store). */
int routing_reload(struct app *app);

/* The engine, for read-only calls (get, list, stats). */
struct router *routing_engine(struct app *app);

/* A change to the engine: begin, then one or more engine calls, then end
 * with the result. end() appends the events, stores touched jobs and
 * objects, commits (or rolls back on err), and re-arms the timer. */
int routing_begin(struct app *app);
int routing_end(struct app *app, int err);
/* routing_end() that keeps the engine's explanation *why readable. */
int routing_end_why(struct app *app, int err, const char **why);

/* Create or replace an object (validated spec) in the engine and the
 * store; for workers, "user" (a user name) is resolved to "userId".
 * Must run between routing_begin and routing_end. */
int routing_set(struct app *app, enum routing_kind kind, const json_t *spec, const char **why);
int routing_delete(struct app *app, enum routing_kind kind, const char *id, const char **why);

/* The stored spec of an object, or NULL. New reference. */
json_t *routing_stored_spec(struct app *app, enum routing_kind kind, const char *id);
/* A worker's stored spec with its availability as the router has it now
 * (new reference; NULL: no such worker). */
json_t *routing_worker_spec_now(struct app *app, const char *worker_id);

/* The stored snapshot of a job the engine no longer holds (finished). */
json_t *routing_stored_job(struct app *app, const char *job_id);

/* The user id a worker belongs to ("" if none). */
const char *routing_worker_user(struct app *app, const char *worker_id);

int64_t routing_now(void);

#endif
