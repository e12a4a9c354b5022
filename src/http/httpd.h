/*
 * httpd.h - HTTP/1.1 server transport on libre's TCP.
 *
 * Why our own and not libre's http_listen(): libre 1.1.0's server closes the
 * connection (no response) on a malformed request or a body over 512 KiB,
 * and cannot answer 413 before the body arrives. A professional server
 * answers 400, 413 and 431 with a body the client can read, so the transport
 * is ours; header parsing still uses libre's http_msg_decode().
 *
 * Contract:
 * - One request at a time per connection: while a request's reply is
 *   pending (the handler may keep a reference with mem_ref() and reply
 *   later, e.g. after work on another thread), pipelined requests stay
 *   buffered and are dispatched, in order, after the reply is sent.
 * - Bodies are framed by Content-Length only. "Transfer-Encoding: chunked"
 *   in a request is refused with 411 (Length Required).
 * - A Content-Length over opts.max_body is answered 413 right after the head,
 *   without reading the body, and the connection is closed after the reply.
 * - A head over opts.max_head bytes is answered 431; an undecodable head 400;
 *   both close the connection.
 * - Errors raised by the transport itself go through the err handler so the
 *   application formats every error body the same way.
 * - Keep-alive by default for HTTP/1.1; "Connection: close" or HTTP/1.0
 *   without keep-alive closes after the reply. Idle connections close after
 *   opts.idle_timeout_ms.
 */
#ifndef SB_HTTP_HTTPD_H
#define SB_HTTP_HTTPD_H

#include "core/libre.h"

struct httpd;
struct httpd_conn; /* mem-allocated; mem_ref() it to reply later */

struct httpd_opts {
    size_t max_body;          /* bytes; 0 means 1 MiB */
    size_t max_head;          /* bytes of request line + headers; 0 means 16 KiB */
    unsigned idle_timeout_ms; /* 0 means 60000 */
};

struct httpd_req {
    const struct http_msg *msg; /* libre's parsed head: met, path, prm, hdrl, ctyp */
    const uint8_t *body;        /* NULL when the request has no body */
    size_t body_len;
    struct sa peer;
};

/* Called once per complete request, on the loop thread. req and all it
 * points to (msg, body) stay valid until httpd_reply() on this conn. */
typedef void(httpd_req_h)(struct httpd_conn *conn, const struct httpd_req *req, void *arg);

/* Called when the transport itself must refuse a request (400, 411, 413,
 * 431; 505 for an HTTP version other than 1.0/1.1). The handler replies
 * with httpd_reply(); code/message are a machine-readable code such as
 * "body_too_large" and a sentence. */
typedef void(httpd_err_h)(struct httpd_conn *conn, uint16_t status, const char *code,
                          const char *message, void *arg);

int httpd_listen(struct httpd **httpdp, const struct sa *laddr, const struct httpd_opts *opts,
                 httpd_req_h *reqh, httpd_err_h *errh, void *arg);

/* The bound address (useful when listening on port 0). */
int httpd_local(const struct httpd *httpd, struct sa *laddr);

/*
 * Send a complete response. extra_headers is NULL or a string of whole
 * header lines each ending in "\r\n" (e.g. "X-Request-Id: abc\r\n").
 * Content-Length, Content-Type (when ctype is not NULL) and Connection are
 * added by the transport. Returns 0 or an errno value (ENOTCONN if the peer
 * has gone). After the reply the next pipelined request is dispatched.
 */
int httpd_reply(struct httpd_conn *conn, uint16_t status, const char *reason,
                const char *extra_headers, const char *ctype, const void *body, size_t len);

const struct sa *httpd_conn_peer(const struct httpd_conn *conn);

/* Number of open connections (for metrics and tests). */
size_t httpd_conn_count(const struct httpd *httpd);

#endif
