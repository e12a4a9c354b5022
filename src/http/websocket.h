/*
 * websocket.h - RFC 6455 WebSocket server connections, upgraded from an
 * httpd request.
 *
 * Why our own: the HTTP transport is ours (see httpd.h), and libre's
 * websock_accept() only takes libre's own http_conn.
 *
 * Contract:
 * - websocket_accept() checks the upgrade request (GET, Upgrade: websocket,
 *   Connection: upgrade, Sec-WebSocket-Version: 13, a Sec-WebSocket-Key)
 *   and, if valid, sends the 101 reply and takes the connection over: the
 *   httpd conn is then detached from httpd and must not be replied to.
 *   Returns EBADMSG (the caller answers 400) when the request is not a valid
 *   upgrade. Other errors (ENOMEM, ENOTCONN) may come after the takeover:
 *   the connection is then closed and gets no reply. If the request offers
 *   Sec-WebSocket-Protocol values and `protocol` is one of them, it is
 *   echoed in the reply.
 * - Frames: client frames must be masked (else close 1002); fragmented
 *   messages are reassembled; a message over max_message bytes closes with
 *   1009; text must be UTF-8 (else 1007); pings are answered with pongs;
 *   a close frame is echoed and the connection closed.
 * - The recv handler gets whole text or binary messages. The close handler
 *   is called once, when the connection ends for any reason; after it the
 *   websocket object is still owned by the caller (mem_deref it).
 * - Keepalive: a ping every kaint_ms when nonzero; a peer that sends nothing
 *   for 3 intervals is closed.
 */
#ifndef SB_HTTP_WEBSOCKET_H
#define SB_HTTP_WEBSOCKET_H

#include "http/httpd.h"

struct websocket; /* mem-allocated, owned by the caller of websocket_accept */

typedef void(websocket_recv_h)(struct websocket *ws, bool binary, const uint8_t *data, size_t len,
                               void *arg);
typedef void(websocket_close_h)(struct websocket *ws, uint16_t code, void *arg);

struct websocket_opts {
    size_t max_message;   /* 0 means 64 KiB */
    unsigned kaint_ms;    /* 0 means no keepalive pings */
    const char *protocol; /* optional subprotocol to accept */
};

int websocket_accept(struct websocket **wsp, struct httpd_conn *conn, const struct httpd_req *req,
                     const struct websocket_opts *opts, websocket_recv_h *recvh,
                     websocket_close_h *closeh, void *arg);

int websocket_send_text(struct websocket *ws, const char *text, size_t len);
int websocket_close(struct websocket *ws, uint16_t code, const char *reason);
const struct sa *websocket_peer(const struct websocket *ws);

#endif
