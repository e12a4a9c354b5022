/*
 * scoring.h - the scoring webhook of best-worker policies, server side:
 * sends the engine's score requests over HTTP without blocking the loop
 * and hands each answer (or failure) back to the engine in a change.
 */
#ifndef SB_ROUTING_SCORING_H
#define SB_ROUTING_SCORING_H

#include <jansson.h>
#include <stdbool.h>

struct app;
struct scorer;

/* live false: requests are not sent (no loop runs; the job is matched
 * again when the server starts). */
int scorer_alloc(struct scorer **sp, struct app *app, bool live);
/* Cancels the requests in flight (their answers are never delivered). */
void scorer_free(struct scorer *s);

/* The engine's score handler (router_score_h) with the scorer as arg. */
void scorer_request(struct scorer *s, const char *request_id, const json_t *request,
                    const char *url);

#endif
