/*
 * schemas.h - the shapes of the router's objects (see src/router/router.h)
 * as validation schemas, shared by the configuration kinds and the API.
 */
#ifndef SB_ROUTING_SCHEMAS_H
#define SB_ROUTING_SCHEMAS_H

#include "core/schema.h"

extern const struct schema routing_distribution_policy_schema;
extern const struct schema routing_classification_policy_schema;
extern const struct schema routing_exception_policy_schema;
extern const struct schema routing_queue_schema;
extern const struct schema routing_worker_schema;
extern const struct schema routing_worker_queues_schema;
extern const struct schema routing_job_schema;
extern const struct schema routing_reclassify_schema;
extern const struct schema routing_availability_schema;
extern const struct schema routing_close_schema;
extern const struct schema routing_cancel_schema;
extern const struct schema routing_unassign_schema;
extern const struct schema routing_decline_schema;

#endif
