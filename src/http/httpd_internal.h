/*
 * httpd_internal.h - what httpd.c lends to protocol upgrades inside
 * src/http/ (websocket.c) and to no one else: taking a connection's TCP
 * stream away from the HTTP transport.
 */
#ifndef SB_HTTP_HTTPD_INTERNAL_H
#define SB_HTTP_HTTPD_INTERNAL_H

#include "http/httpd.h"

/*
 * Detach the TCP connection of a conn whose request is being answered.
 * On success *tcp is the connection with all its handlers cleared (the
 * caller sets its own with tcp_set_handlers() and owns the reference), and
 * *rest is NULL or a buffer holding the bytes the peer sent after the
 * request. The conn leaves httpd: it no longer counts as open and
 * httpd_reply() on it returns ENOTCONN. The request (req, msg, body) stays
 * readable until the conn is freed. Returns EINVAL when no request is
 * pending and ENOTCONN when the peer has gone.
 */
int httpd_conn_takeover(struct httpd_conn *conn, struct tcp_conn **tcp, struct mbuf **rest);

/* The output queue that upgraded connections of this server share
 * (sendq.h); NULL once the conn has left httpd. Ask before the takeover. */
struct sendq *httpd_conn_sendq(const struct httpd_conn *conn);

#endif
