/*
 * sendq.h - the socket of a long-lived connection (a WebSocket stream)
 * once taken from the HTTP transport: its reads on the loop thread, its
 * writes gathered per loop turn and made by a send thread.
 *
 * Why: a chat message fans out to every member's socket, and a send()
 * costs more in the kernel (the TCP output, and on loopback the
 * receiver's TCP input as well) than everything else a delivery does: on
 * the loop thread, half of its time went to send(). The loop thread now
 * only gathers; what a turn wrote to each connection leaves at the end of
 * the turn in one send() made by a send thread, while the loop goes on
 * with the next turn. Gathering also makes one send of several frames for
 * one connection (a message and the sender's acknowledgement).
 *
 * Order: a connection has at most one write in the send thread's hands;
 * bytes gathered meanwhile wait for its outcome. What a socket does not
 * take (a slow reader) waits in a backlog that the loop thread writes when
 * the socket is writable; new bytes queue behind it. A backlog past
 * SENDQ_MAX_BACKLOG bytes fails the connection (its reads then end).
 *
 * Ownership: the sendq_conn owns the descriptor and closes it once it is
 * released and no write of it is in flight. Everything runs on the loop
 * thread except the send() calls themselves, which touch only the
 * descriptor and a buffer that the loop thread leaves alone meanwhile.
 */
#ifndef SB_HTTP_SENDQ_H
#define SB_HTTP_SENDQ_H

#include "core/libre.h"

enum { SENDQ_MAX_BACKLOG = 1024 * 1024 };

struct sendq;      /* mem-allocated; each sendq_conn holds a reference */
struct sendq_conn; /* mem-allocated, owned by the connection's owner */

/* Bytes read (len > 0), on the loop thread. */
typedef void(sendq_recv_h)(const uint8_t *data, size_t len, void *arg);
/* The peer closed (err 0) or the socket failed; called once. */
typedef void(sendq_close_h)(int err, void *arg);

/* threads: send threads (at least one). */
int sendq_alloc(struct sendq **qp, unsigned threads);
/* Send threads for this machine: one per core but one, one at least, at most two. */
unsigned sendq_default_threads(void);

/* Take over a connected non-blocking socket: reads start now. */
int sendq_conn_alloc(struct sendq_conn **cp, struct sendq *q, int fd, sendq_recv_h *recvh,
                     sendq_close_h *closeh, void *arg);
/* Append a then b (either may be empty) to what leaves at the end of the
 * turn. EPIPE once the connection is released, shut or failed. */
int sendq_append(struct sendq_conn *c, const void *a, size_t alen, const void *b, size_t blen);
/* Shut the write side once everything appended so far has left; reads go on. */
void sendq_conn_shutdown(struct sendq_conn *c);
/* Stop reading and calling the handlers, and let go: the descriptor
 * closes once no write of it is in flight (bytes not yet given to the
 * kernel are dropped). Then mem_deref() the conn. */
void sendq_conn_release(struct sendq_conn *c);

#endif
