/*
 * api_internal.h - pieces shared by the files of the HTTP application
 * layer (api.c, api_reply.c, static.c, auth.c). Not for other modules.
 */
#ifndef SB_HTTP_API_INTERNAL_H
#define SB_HTTP_API_INTERNAL_H

#include "http/api.h"

void api_idempotency_save(struct api_req *req, uint16_t status, const char *headers,
                          const char *text);
/* True when a stored answer (or a refusal) was sent. */
bool api_idempotency_replay(struct api_req *req);

/* Serve GET/HEAD for a path outside /v1 from the web root. */
void static_serve(struct api_req *req);

/* Authenticate the credential the request carries into req->who.
 * Returns 0, or replies 401 and returns an errno value. */
int api_authenticate(struct api_req *req);

#endif
