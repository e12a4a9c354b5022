/*
 * kinds.h - the router's configuration kinds: distributionPolicies,
 * classificationPolicies, exceptionPolicies, queues and workers, each a
 * list of objects identified by "id".
 */
#ifndef SB_ROUTING_KINDS_H
#define SB_ROUTING_KINDS_H

int routing_kinds_register(void);

#endif
