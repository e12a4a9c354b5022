/*
 * sendq.c - gathered writes made by send threads, reads on the loop
 * thread (see sendq.h).
 *
 * A connection that gets bytes joins the dirty list, and the first one of
 * a turn starts a zero-delay timer, which libre runs after the turn's
 * descriptor handlers and after zero-delay timers started before it (the
 * chat's group commit is one): so a turn's output leaves at its end. The
 * flush moves each dirty connection's bytes into its job and hands all
 * the jobs over as one work item of a workpool (core/workpool.h): the send
 * threads make one non-blocking send() per job, and the done handler, on
 * the loop thread again, settles every job: a short write becomes the
 * backlog, bytes gathered meanwhile go out with the next flush.
 *
 * A job holds a reference to its connection, so a released connection's
 * descriptor stays open (and its number cannot be reused by another
 * connection) until the send thread is done with it.
 */
#include "http/sendq.h"
#include "core/workpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    READ_BYTES = 64 * 1024, /* at most per read */
    KEEP_BYTES = 4096,      /* a larger buffer is freed once written */
    MAX_THREADS = 2,
};

struct sendq {
    struct workpool *pool;
    struct list dirty; /* struct sendq_conn with bytes to flush */
    struct tmr tmr;
};

/* The write in the send threads' hands; they touch nothing else. */
struct job {
    struct le le;
    int fd;
    struct mbuf *mb; /* bytes 0 .. end */
    size_t sent;
    int err;
};

struct sendq_conn {
    struct le le; /* in q->dirty while it waits for the flush */
    struct sendq *q;
    int fd;
    sendq_recv_h *recvh;
    sendq_close_h *closeh;
    void *arg;
    struct mbuf *out;     /* gathered, pos 0 .. end */
    struct mbuf *backlog; /* what the socket did not take; pos .. end */
    struct mbuf *spare;   /* an emptied buffer, reused */
    struct job job;
    bool inflight;      /* job is with the send threads (and holds a reference) */
    bool shut;          /* shut the write side once everything has left */
    bool failed;        /* writes no longer possible */
    bool read_end;      /* the peer closed, or reading failed: no more reads */
    bool released;      /* the owner let go: no more handlers or writes */
    bool writable_wait; /* polling for writability (a backlog) */
};

struct batch {
    struct list jobs;
};

static uint8_t read_buf[READ_BYTES]; /* loop thread only */

static void start_flush(struct sendq_conn *c);

/* ---- the send threads ---- */

static void send_batch(void *arg)
{
    struct batch *b = arg;
    for (struct le *le = b->jobs.head; le; le = le->next) {
        struct job *j = &((struct sendq_conn *)le->data)->job;
        ssize_t n = send(j->fd, j->mb->buf, j->mb->end, MSG_NOSIGNAL | MSG_DONTWAIT);
        j->err = n < 0 ? errno : 0;
        j->sent = n < 0 ? 0 : (size_t)n;
    }
}

/* ---- the loop thread ---- */

static void put_spare(struct sendq_conn *c, struct mbuf *mb)
{
    if (!c->spare && mb->size <= KEEP_BYTES) {
        mbuf_rewind(mb);
        c->spare = mb;
    } else {
        mem_deref(mb);
    }
}

static void fd_handler(int flags, void *arg);

static void poll_set(struct sendq_conn *c, bool writable)
{
    if (c->released || c->writable_wait == writable)
        return;
    c->writable_wait = writable;
    int flags = (c->read_end ? 0 : FD_READ) | (writable ? FD_WRITE : 0);
    if (flags)
        (void)fd_listen(c->fd, flags, fd_handler, c);
    else
        fd_close(c->fd);
}

/* The socket can no longer be written: its reads will end (an error or
 * the peer's FIN), and the owner hears of it then. */
static void fail(struct sendq_conn *c)
{
    c->failed = true;
    c->out = mem_deref(c->out);
    c->backlog = mem_deref(c->backlog);
    (void)shutdown(c->fd, SHUT_RDWR);
    poll_set(c, false);
}

static bool drained(const struct sendq_conn *c)
{
    return !c->inflight && !c->backlog && (!c->out || !c->out->end);
}

static void maybe_shut(struct sendq_conn *c)
{
    if (c->shut && !c->failed && drained(c)) {
        c->shut = false;
        c->failed = true; /* nothing more may be written */
        (void)shutdown(c->fd, SHUT_WR);
    }
}

/* Bytes gathered behind a backlog join it. */
static void out_to_backlog(struct sendq_conn *c)
{
    if (!c->out || !c->out->end)
        return;
    if (mbuf_get_left(c->backlog) + c->out->end > SENDQ_MAX_BACKLOG) {
        fail(c);
        return;
    }
    size_t pos = c->backlog->pos;
    c->backlog->pos = c->backlog->end;
    int err = mbuf_write_mem(c->backlog, c->out->buf, c->out->end);
    c->backlog->pos = pos;
    mbuf_rewind(c->out);
    if (err)
        fail(c);
}

static void settle(struct sendq_conn *c)
{
    struct job *j = &c->job;
    struct mbuf *mb = j->mb;
    bool again = j->err == EAGAIN || j->err == EWOULDBLOCK || j->err == EINTR;
    j->mb = NULL;
    c->inflight = false;
    if (c->released || c->failed) {
        mem_deref(mb);
        return;
    }
    if (j->err && !again) {
        mem_deref(mb);
        fail(c);
        return;
    }
    if (j->sent < mb->end) {
        mb->pos = j->sent;
        c->backlog = mb;
        out_to_backlog(c);
        poll_set(c, true);
        return;
    }
    put_spare(c, mb);
    if (c->out && c->out->end)
        start_flush(c);
    maybe_shut(c);
}

static void batch_done(int err, void *arg)
{
    struct batch *b = arg;
    (void)err; /* ECANCELED: the pool went first; the jobs were not sent */
    while (b->jobs.head) {
        struct sendq_conn *c = b->jobs.head->data;
        list_unlink(&c->job.le);
        if (err)
            c->job.err = EPIPE;
        settle(c);
        mem_deref(c);
    }
    free(b);
}

static void flush(void *arg)
{
    struct sendq *q = arg;
    struct batch *b = calloc(1, sizeof(*b));
    if (!b) { /* try again next turn */
        tmr_start(&q->tmr, 1, flush, q);
        return;
    }
    list_init(&b->jobs);
    while (q->dirty.head) {
        struct sendq_conn *c = q->dirty.head->data;
        list_unlink(&c->le);
        if (c->inflight || c->backlog || c->failed || c->released || !c->out || !c->out->end)
            continue; /* these bytes go later, or never */
        c->job.fd = c->fd;
        c->job.mb = c->out;
        c->out = c->spare;
        c->spare = NULL;
        c->inflight = true;
        list_append(&b->jobs, &c->job.le, mem_ref(c));
    }
    if (!b->jobs.head) {
        free(b);
        return;
    }
    if (workpool_submit(q->pool, send_batch, batch_done, b) != 0) {
        send_batch(b); /* the pool is full of memory: send from here */
        batch_done(0, b);
    }
}

static void start_flush(struct sendq_conn *c)
{
    if (!list_contains(&c->q->dirty, &c->le))
        list_append(&c->q->dirty, &c->le, c);
    if (!tmr_isrunning(&c->q->tmr))
        tmr_start(&c->q->tmr, 0, flush, c->q);
}

/* The socket is writable again: the backlog goes from here. */
static void write_backlog(struct sendq_conn *c)
{
    struct mbuf *mb = c->backlog;
    ssize_t n = send(c->fd, mbuf_buf(mb), mbuf_get_left(mb), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(c);
        return;
    }
    mb->pos += (size_t)n;
    if (mbuf_get_left(mb))
        return;
    c->backlog = NULL;
    put_spare(c, mb);
    poll_set(c, false);
    if (c->out && c->out->end)
        start_flush(c);
    maybe_shut(c);
}

static void fd_handler(int flags, void *arg)
{
    struct sendq_conn *c = arg;
    mem_ref(c); /* a handler may release it */
    if ((flags & FD_WRITE) && c->backlog && !c->failed)
        write_backlog(c);
    if (!c->released && !c->read_end && (flags & (FD_READ | FD_EXCEPT))) {
        ssize_t n = recv(c->fd, read_buf, sizeof(read_buf), MSG_DONTWAIT);
        if (n > 0)
            c->recvh(read_buf, (size_t)n, c->arg);
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            int err = n == 0 ? 0 : errno;
            c->read_end = true;
            fd_close(c->fd);
            c->closeh(err, c->arg);
        }
    }
    mem_deref(c);
}

int sendq_append(struct sendq_conn *c, const void *a, size_t alen, const void *b, size_t blen)
{
    if (c->released || c->failed || c->shut)
        return EPIPE;
    if (!c->out) {
        c->out = c->spare ? c->spare : mbuf_alloc(alen + blen > 256 ? alen + blen : 256);
        c->spare = NULL;
        if (!c->out)
            return ENOMEM;
    }
    size_t end = c->out->end;
    c->out->pos = end;
    int err = alen ? mbuf_write_mem(c->out, a, alen) : 0;
    if (!err && blen)
        err = mbuf_write_mem(c->out, b, blen);
    if (err) { /* all of it or nothing: a frame is never cut */
        c->out->end = end;
        return err;
    }
    if (c->backlog) {
        out_to_backlog(c);
        return c->failed ? EPIPE : 0;
    }
    if (c->out->end > SENDQ_MAX_BACKLOG) { /* the send thread is that far behind */
        fail(c);
        return EPIPE;
    }
    if (!c->inflight)
        start_flush(c);
    return 0;
}

void sendq_conn_shutdown(struct sendq_conn *c)
{
    if (c->released || c->failed)
        return;
    c->shut = true;
    maybe_shut(c);
}

void sendq_conn_release(struct sendq_conn *c)
{
    if (!c)
        return;
    fd_close(c->fd); /* the descriptor is still ours: no other can have its number */
    c->released = true;
    list_unlink(&c->le);
}

static void conn_destructor(void *arg)
{
    struct sendq_conn *c = arg;
    list_unlink(&c->le);
    if (c->fd >= 0) {
        fd_close(c->fd);
        (void)close(c->fd);
    }
    mem_deref(c->out);
    mem_deref(c->backlog);
    mem_deref(c->spare);
    mem_deref(c->q);
}

int sendq_conn_alloc(struct sendq_conn **cp, struct sendq *q, int fd, sendq_recv_h *recvh,
                     sendq_close_h *closeh, void *arg)
{
    if (!cp || !q || fd < 0 || !recvh || !closeh)
        return EINVAL;
    struct sendq_conn *c = mem_zalloc(sizeof(*c), conn_destructor);
    if (!c)
        return ENOMEM;
    c->q = mem_ref(q);
    c->fd = fd;
    c->recvh = recvh;
    c->closeh = closeh;
    c->arg = arg;
    int err = fd_listen(fd, FD_READ, fd_handler, c);
    if (err) {
        c->fd = -1; /* the caller keeps its descriptor */
        mem_deref(c);
        return err;
    }
    *cp = c;
    return 0;
}

static void sendq_destructor(void *arg)
{
    struct sendq *q = arg;
    tmr_cancel(&q->tmr);
    mem_deref(q->pool);
}

unsigned sendq_default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores <= 2 ? 1 : cores - 1 > MAX_THREADS ? MAX_THREADS : (unsigned)(cores - 1);
}

int sendq_alloc(struct sendq **qp, unsigned threads)
{
    struct sendq *q = mem_zalloc(sizeof(*q), sendq_destructor);
    if (!q)
        return ENOMEM;
    list_init(&q->dirty);
    tmr_init(&q->tmr);
    int err = workpool_alloc(&q->pool, threads ? threads : 1);
    if (err) {
        mem_deref(q);
        return err;
    }
    *qp = q;
    return 0;
}
