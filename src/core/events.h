/*
 * events.h - the append-only event log and the in-process bus.
 *
 * Every change worth telling is appended as an event: stored in the events
 * table (inside the caller's transaction when one is open) and, once
 * committed, published to subscribers in sequence order. Events of a
 * rolled-back transaction are never published. Reports are computed from
 * this log, and clients follow it over /v1/events.
 *
 * Topics are registered by the modules that own them, each with a rule
 * saying which principals may see an event of the topic.
 */
#ifndef SB_CORE_EVENTS_H
#define SB_CORE_EVENTS_H

#include "core/principal.h"

#include <jansson.h>
#include <stdint.h>

struct store;
struct events;
struct events_sub;

struct event {
    int64_t seq;
    int64_t time; /* ms since epoch */
    const char *topic;
    const char *type;    /* e.g. "user.created" */
    const char *subject; /* id of the object it is about, or NULL */
    const char *actor;   /* id of who caused it, or NULL */
    const json_t *data;
};

typedef void(events_h)(const struct event *e, void *arg);
typedef bool(events_visible_h)(const struct principal *who, const struct event *e);

int events_alloc(struct events **evp, struct store *store);
void events_free(struct events *ev);

/* Append an event; `data` is stolen (NULL means {}). */
int events_append(struct events *ev, const char *topic, const char *type, const char *subject,
                  const char *actor, json_t *data);

/* Publish an event that is not stored: seq 0, never replayed. For derived
 * figures told often (the reports' live view), which would only bloat the
 * log. `data` is borrowed. Call it outside a transaction and outside a
 * publication (from a timer, say). */
void events_publish_volatile(struct events *ev, const char *topic, const char *type,
                             const json_t *data);

/* Subscribe to every published event; the subscription is mem-allocated:
 * mem_deref() it to unsubscribe. */
int events_subscribe(struct events *ev, struct events_sub **subp, events_h *h, void *arg);

/* Call h for each stored event with seq > after whose topic is in topics,
 * in order, at most `limit` events; *lastp is the last seq seen. */
int events_replay(struct events *ev, int64_t after, const char *const *topics, size_t ntopics,
                  size_t limit, events_h *h, void *arg, int64_t *lastp);

/* Sequence number of the last committed event (0 if none). */
int64_t events_last_seq(const struct events *ev);

/* {"seq":..,"time":"RFC 3339","topic":..,"type":..,"subject":..,"data":{..}} */
json_t *event_to_json(const struct event *e);

/* Topic registry (process-wide; modules register at start). `roles` may
 * subscribe; `visible` (NULL: all of the topic) filters single events. */
int events_topic_register(const char *topic, unsigned roles, events_visible_h *visible);
bool events_topic_known(const char *topic);
bool events_visible(const struct principal *who, const struct event *e);
/* May this principal subscribe to the topic at all (sees some events)? */
bool events_topic_allowed(const struct principal *who, const char *topic);
/* Names of registered topics as a JSON array. New reference. */
json_t *events_topics_json(void);

#endif
