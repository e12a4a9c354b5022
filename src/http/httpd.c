/*
 * httpd.c - HTTP/1.1 server transport on libre's TCP: accepts connections,
 * frames requests (head via http_msg_decode(), body by Content-Length),
 * dispatches them one at a time per connection, writes replies and closes
 * connections gracefully. The contract is in httpd.h.
 *
 * Buffers: a connection's unparsed bytes live in `rx`. When rx is empty the
 * mbuf that libre read into is kept as is (no copy). A dispatched request's
 * http_msg points into rx, so while its reply is pending rx is frozen and
 * newly arrived bytes go to `pipe`, merged back after the reply.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "http/httpd.h"
#include "http/httpd_internal.h"
#include "http/sendq.h"

enum {
    DEFAULT_MAX_BODY = 1024 * 1024,
    DEFAULT_MAX_HEAD = 16 * 1024,
    DEFAULT_IDLE_MS = 60000,
    LINGER_MS = 2000,       /* how long a closing connection waits for the peer's FIN */
    TXBUF_KEEP = 64 * 1024, /* reply buffer kept between replies up to this size */
    TXBUF_INITIAL = 4096,
    LISTEN_BACKLOG = 511,        /* libre's tcp_listen() uses 5: too few for a burst of clients */
    TXQ_MAX = 256 * 1024 * 1024, /* libre's 512 KiB send queue would cut big replies */
};

struct httpd {
    struct tcp_sock *ts;
    struct list conns;
    struct httpd_opts opts;
    httpd_req_h *reqh;
    httpd_err_h *errh;
    void *arg;
    struct mbuf *txbuf;  /* reused by every reply: the loop is single-threaded */
    struct sendq *sendq; /* the output of upgraded connections (sendq.h) */
    time_t date_sec;
    char date[64]; /* cached "Date: ...\r\n", rebuilt once a second */
};

struct httpd_conn {
    struct le le;
    struct tmr tmr; /* idle timeout, then linger timeout */
    struct sa peer;
    struct httpd *httpd;  /* NULL once the transport let go of the conn */
    struct tcp_conn *tc;  /* NULL once closed or taken over */
    struct mbuf *rx;      /* unparsed bytes; pos is the start of the next request */
    struct mbuf *pipe;    /* bytes that arrived while a reply was pending */
    struct http_msg *msg; /* the request being answered */
    struct httpd_req req;
    size_t scanned;     /* bytes after rx->pos already searched for the end of head */
    size_t need;        /* bytes needed after rx->pos before decoding (head + body) */
    size_t txq_seen;    /* libre's send queue when last checked, while draining */
    bool pending;       /* a request (or refusal) awaits its reply */
    bool close_after;   /* close once the pending reply is sent */
    bool say_keepalive; /* HTTP/1.0 keep-alive: confirm it in the reply */
    bool head_only;     /* HEAD request: reply without body */
    bool draining;      /* waiting for libre's send queue to empty */
    bool lingering;     /* write side shut; discarding input until the peer closes */
    bool in_process;    /* conn_process() is on the stack */
};

/* Why the transport refuses a request; passed to the err handler. */
struct refusal {
    uint16_t status;
    const char *reason;
    const char *code;
    const char *message;
};

static const struct refusal refuse_bad_request = {400, "Bad Request", "bad_request",
                                                  "The request could not be parsed."};
static const struct refusal refuse_length_required = {
    411, "Length Required", "length_required",
    "Request bodies must be sent with Content-Length, not Transfer-Encoding."};
static const struct refusal refuse_body_too_large = {
    413, "Content Too Large", "body_too_large",
    "The request body is larger than this server accepts."};
static const struct refusal refuse_head_too_large = {
    431, "Request Header Fields Too Large", "headers_too_large",
    "The request line and headers are larger than this server accepts."};
static const struct refusal refuse_version = {505, "HTTP Version Not Supported",
                                              "version_not_supported",
                                              "Only HTTP/1.0 and HTTP/1.1 are supported."};

static void conn_process(struct httpd_conn *conn);
static int refuse(struct httpd_conn *conn, const struct refusal *r);
static size_t head_length(struct httpd_conn *conn);

static void conn_destructor(void *arg)
{
    struct httpd_conn *conn = arg;

    list_unlink(&conn->le);
    tmr_cancel(&conn->tmr);
    mem_deref(conn->tc);
    mem_deref(conn->msg);
    mem_deref(conn->rx);
    mem_deref(conn->pipe);
}

/* The transport lets go of the conn; a handler holding a reference keeps
 * the object (not the socket) alive, and its httpd_reply() gets ENOTCONN. */
static void conn_close(struct httpd_conn *conn)
{
    if (!conn->httpd)
        return;

    list_unlink(&conn->le);
    tmr_cancel(&conn->tmr);
    conn->tc = mem_deref(conn->tc);
    conn->httpd = NULL;
    mem_deref(conn);
}

static void timeout_handler(void *arg)
{
    struct httpd_conn *conn = arg;
    size_t txq = conn->draining ? tcp_conn_txqsz(conn->tc) : 0;

    /* a slow reader still taking a big reply is not idle */
    if (conn->draining && txq < conn->txq_seen) {
        conn->txq_seen = txq;
        tmr_start(&conn->tmr, conn->httpd->opts.idle_timeout_ms, timeout_handler, conn);
        return;
    }

    conn_close(conn);
}

static void idle_restart(struct httpd_conn *conn)
{
    tmr_start(&conn->tmr, conn->httpd->opts.idle_timeout_ms, timeout_handler, conn);
}

/* Closing with unread input makes the kernel send RST, which can destroy
 * the reply before the client reads it (typically after 413). So shut the
 * write side, discard what still arrives, and close on the peer's FIN. */
static void conn_linger(struct httpd_conn *conn)
{
    unsigned ms = conn->httpd->opts.idle_timeout_ms;

    conn->lingering = true;
    conn->rx = mem_deref(conn->rx);
    conn->pipe = mem_deref(conn->pipe);
    (void)shutdown(tcp_conn_fd(conn->tc), SHUT_WR);
    tmr_start(&conn->tmr, ms < LINGER_MS ? ms : LINGER_MS, timeout_handler, conn);
}

static void send_drained(void *arg)
{
    struct httpd_conn *conn = arg;

    (void)tcp_set_send(conn->tc, NULL);
    conn->draining = false;
    if (conn->close_after)
        conn_linger(conn);
    else
        conn_process(conn);
}

/* If libre still queues reply bytes, defer the next step (linger or the
 * next pipelined request) to send_drained(), so a slow reader neither loses
 * the tail of a reply nor makes us queue replies without bound. */
static bool wait_drain(struct httpd_conn *conn)
{
    if (!tcp_conn_txqsz(conn->tc))
        return false;

    conn->draining = true;
    conn->txq_seen = tcp_conn_txqsz(conn->tc);
    (void)tcp_set_send(conn->tc, send_drained);
    idle_restart(conn); /* as a send timeout: a peer that stops reading goes */
    return true;
}

/* Append a received mbuf to *bufp, taking the mbuf itself when empty. */
static int buf_add(struct mbuf **bufp, struct mbuf *mb, size_t limit)
{
    struct mbuf *buf = *bufp;
    size_t left, n = mbuf_get_left(mb);
    int err;

    if (!buf || !mbuf_get_left(buf)) {
        mem_deref(buf);
        *bufp = mem_ref(mb);
        return 0;
    }

    left = mbuf_get_left(buf);
    if (left + n > limit)
        return EOVERFLOW;

    if (buf->pos) { /* consumed requests: move the rest to the front */
        memmove(buf->buf, mbuf_buf(buf), left);
        buf->pos = 0;
        buf->end = left;
    }

    buf->pos = buf->end;
    err = mbuf_write_mem(buf, mbuf_buf(mb), n);
    buf->pos = 0;

    return err;
}

static size_t rx_limit(const struct httpd *httpd)
{
    return httpd->opts.max_head + httpd->opts.max_body;
}

static void recv_handler(struct mbuf *mb, void *arg)
{
    struct httpd_conn *conn = arg;
    int err;

    if (conn->lingering)
        return;

    if (conn->pending) {
        /* nothing after a request that ends the connection is served */
        if (conn->close_after)
            return;
        err = buf_add(&conn->pipe, mb, rx_limit(conn->httpd));
    } else {
        idle_restart(conn);
        err = buf_add(&conn->rx, mb, rx_limit(conn->httpd));
        /* Too much unread input and still no end of the head: the head
         * is what is too large, whatever the body limit. */
        if (err == EOVERFLOW && !conn->need && !head_length(conn)) {
            refuse(conn, &refuse_head_too_large);
            return;
        }
    }

    if (err) {
        conn_close(conn);
        return;
    }

    if (!conn->pending)
        conn_process(conn);
}

static void close_handler(int err, void *arg)
{
    (void)err;
    conn_close(arg);
}

static void set_nodelay(struct tcp_conn *tc)
{
    int on = 1;

    /* replies go out in one send; don't let Nagle hold back the next one */
    (void)setsockopt(tcp_conn_fd(tc), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static void accept_handler(const struct sa *peer, void *arg)
{
    struct httpd *httpd = arg;
    struct httpd_conn *conn;

    conn = mem_zalloc(sizeof(*conn), conn_destructor);
    if (!conn) {
        tcp_reject(httpd->ts);
        return;
    }

    conn->peer = *peer;
    if (tcp_accept(&conn->tc, httpd->ts, NULL, recv_handler, close_handler, conn)) {
        mem_deref(conn);
        tcp_reject(httpd->ts);
        return;
    }

    set_nodelay(conn->tc);
    /* one reply at most is queued (see wait_drain), so its size is the bound */
    tcp_conn_txqsz_set(conn->tc, TXQ_MAX);
    conn->httpd = httpd;
    list_append(&httpd->conns, &conn->le, conn);
    idle_restart(conn);
}

/* Whether the connection stays open after this request's reply. */
static bool wants_keepalive(const struct http_msg *msg, bool *say_keepalive)
{
    *say_keepalive = false;

    if (http_msg_hdr_has_value(msg, HTTP_HDR_CONNECTION, "close"))
        return false;

    if (!pl_strcmp(&msg->ver, "1.1"))
        return true;

    *say_keepalive = http_msg_hdr_has_value(msg, HTTP_HDR_CONNECTION, "keep-alive");
    return *say_keepalive;
}

/* Strict Content-Length value: digits only; saturates instead of wrapping
 * so an absurd value is still "too large". */
static int clen_parse(const struct pl *val, uint64_t *clen)
{
    uint64_t v = 0;
    size_t i;

    if (!val->l)
        return EBADMSG;

    for (i = 0; i < val->l; i++) {
        unsigned d = (unsigned)(val->p[i] - '0');

        if (d > 9)
            return EBADMSG;
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }

    *clen = v;
    return 0;
}

/* Content-Length from the head; all copies must agree (RFC 9112 6.3). */
static int content_length(const struct http_msg *msg, uint64_t *clen)
{
    struct le *le;
    bool seen = false;

    *clen = 0;
    for (le = msg->hdrl.head; le; le = le->next) {
        const struct http_hdr *hdr = le->data;
        uint64_t v;

        if (hdr->id != HTTP_HDR_CONTENT_LENGTH)
            continue;
        if (clen_parse(&hdr->val, &v) || (seen && v != *clen))
            return EBADMSG;
        *clen = v;
        seen = true;
    }

    return 0;
}

/* Head-level checks; returns why the request is refused, or NULL. */
static const struct refusal *head_check(const struct httpd *httpd, const struct http_msg *msg,
                                        uint64_t *clen)
{
    if (pl_strcmp(&msg->ver, "1.1") && pl_strcmp(&msg->ver, "1.0"))
        return &refuse_version;

    if (http_msg_hdr(msg, HTTP_HDR_TRANSFER_ENCODING))
        return &refuse_length_required;

    if (content_length(msg, clen))
        return &refuse_bad_request;

    if (*clen > httpd->opts.max_body)
        return &refuse_body_too_large;

    return NULL;
}

static int reply_default_error(struct httpd_conn *conn, const struct refusal *r)
{
    char body[256];
    int n = re_snprintf(body, sizeof(body), "%u %s: %s\n", r->status, r->code, r->message);

    return httpd_reply(conn, r->status, r->reason, NULL, "text/plain; charset=utf-8", body,
                       n > 0 ? (size_t)n : 0);
}

/* The transport answers the request itself and closes afterwards. */
static int refuse(struct httpd_conn *conn, const struct refusal *r)
{
    struct httpd *httpd = conn->httpd;

    conn->pending = true;
    conn->close_after = true;
    conn->say_keepalive = false;
    conn->head_only = false;
    conn->rx = mem_deref(conn->rx);
    conn->need = 0;
    conn->scanned = 0;
    tmr_cancel(&conn->tmr);

    if (httpd->errh)
        httpd->errh(conn, r->status, r->code, r->message, httpd->arg);
    else
        (void)reply_default_error(conn, r);

    return 0;
}

static void dispatch(struct httpd_conn *conn, struct http_msg *msg, size_t clen)
{
    struct httpd *httpd = conn->httpd;
    struct mbuf *rx = conn->rx;

    conn->msg = msg;
    conn->req.msg = msg;
    conn->req.body = clen ? mbuf_buf(rx) : NULL;
    conn->req.body_len = clen;
    conn->req.peer = conn->peer;
    rx->pos += clen;

    conn->need = 0;
    conn->scanned = 0;
    conn->pending = true;
    conn->close_after = !wants_keepalive(msg, &conn->say_keepalive);
    conn->head_only = !pl_strcmp(&msg->met, "HEAD");
    tmr_cancel(&conn->tmr); /* the handler owns the timing until it replies */

    httpd->reqh(conn, &conn->req, httpd->arg);
}

/* RFC 9110 10.1.1: a client that asked may wait for this before the body. */
static void send_continue(struct httpd_conn *conn, const struct http_msg *msg)
{
    char cont[] = "HTTP/1.1 100 Continue\r\n\r\n"; /* tcp_send() wants it writable */
    struct mbuf mb;

    if (!http_msg_hdr_has_value(msg, HTTP_HDR_EXPECT, "100-continue"))
        return;

    mbuf_init(&mb);
    mb.buf = (uint8_t *)cont;
    mb.size = mb.end = sizeof(cont) - 1;
    (void)tcp_send(conn->tc, &mb);
}

/* Decode the complete head at rx->pos; dispatch when the body is there too. */
static int request_decode(struct httpd_conn *conn)
{
    struct mbuf *rx = conn->rx;
    const size_t start = rx->pos;
    const struct refusal *r;
    struct http_msg *msg;
    uint64_t clen;
    size_t head;
    int err;

    err = http_msg_decode(&msg, rx, true);
    if (err == ENOMEM) {
        conn_close(conn);
        return err;
    }
    if (err) { /* ENODATA too: the empty line is there, so the head is bad */
        rx->pos = start;
        return refuse(conn, &refuse_bad_request);
    }

    r = head_check(conn->httpd, msg, &clen);
    if (r) {
        mem_deref(msg);
        return refuse(conn, r);
    }

    if (mbuf_get_left(rx) >= clen) {
        dispatch(conn, msg, (size_t)clen);
        return 0;
    }

    /* Wait for the body without keeping msg: appending may move rx. */
    head = rx->pos - start;
    rx->pos = start;
    if (!conn->need)
        send_continue(conn, msg);
    mem_deref(msg);
    conn->need = head + (size_t)clen;
    if (rx->size - rx->pos < conn->need && mbuf_resize(rx, rx->pos + conn->need)) {
        conn_close(conn);
        return ENOMEM;
    }

    return ENODATA;
}

/* Length of the head at rx->pos through its empty line, or 0 if the empty
 * line has not arrived. Remembers how far it looked. */
static size_t head_length(struct httpd_conn *conn)
{
    const uint8_t *p = mbuf_buf(conn->rx);
    const size_t n = mbuf_get_left(conn->rx);
    size_t i = conn->scanned;

    for (;;) {
        const uint8_t *lf = i < n ? memchr(p + i, '\n', n - i) : NULL;

        if (!lf) {
            conn->scanned = n;
            return 0;
        }

        i = (size_t)(lf - p) + 1;
        if (i < n && p[i] == '\n')
            return i + 1;
        if (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n')
            return i + 2;
        if (i == n || (i + 1 == n && p[i] == '\r')) {
            conn->scanned = i - 1; /* look at this line end again */
            return 0;
        }
    }
}

/* RFC 9112 2.2: ignore empty lines before a request line. */
static void skip_empty_lines(struct mbuf *rx)
{
    while (rx->pos < rx->end && (rx->buf[rx->pos] == '\r' || rx->buf[rx->pos] == '\n'))
        ++rx->pos;
}

/* Take the next request from rx: 0 if one was dispatched or refused,
 * ENODATA if more bytes are needed. */
static int request_next(struct httpd_conn *conn)
{
    const size_t max_head = conn->httpd->opts.max_head;
    size_t head;

    if (!conn->need)
        skip_empty_lines(conn->rx);

    if (!mbuf_get_left(conn->rx)) {
        conn->rx = mem_deref(conn->rx);
        conn->scanned = 0;
        return ENODATA;
    }

    if (conn->need) {
        if (mbuf_get_left(conn->rx) < conn->need)
            return ENODATA;
        return request_decode(conn);
    }

    head = head_length(conn);
    if (head > max_head || (!head && mbuf_get_left(conn->rx) > max_head))
        return refuse(conn, &refuse_head_too_large);
    if (!head)
        return ENODATA;

    return request_decode(conn);
}

/* Dispatch buffered requests until one is pending or bytes run out. Safe
 * to call from anywhere: the loop runs once per conn at a time and holds
 * a reference, since handlers may close the conn under it. */
static void conn_process(struct httpd_conn *conn)
{
    if (conn->in_process)
        return;

    conn->in_process = true;
    mem_ref(conn);

    while (conn->tc && conn->rx && !conn->pending && !conn->draining && !conn->lingering) {
        if (request_next(conn))
            break;
    }

    conn->in_process = false;
    mem_deref(conn);
}

/* Bytes that arrived during the reply become parseable again. */
static int pipe_merge(struct httpd_conn *conn)
{
    struct mbuf *pipe = conn->pipe;
    int err;

    if (!pipe)
        return 0;

    conn->pipe = NULL;
    err = buf_add(&conn->rx, pipe, rx_limit(conn->httpd));
    mem_deref(pipe);

    return err;
}

static void reply_done(struct httpd_conn *conn)
{
    conn->pending = false;
    conn->msg = mem_deref(conn->msg);
    memset(&conn->req, 0, sizeof(conn->req));

    if (conn->close_after) {
        if (!wait_drain(conn))
            conn_linger(conn);
        return;
    }

    if (pipe_merge(conn)) {
        conn_close(conn);
        return;
    }

    idle_restart(conn);
    if (!wait_drain(conn))
        conn_process(conn);
}

static bool status_has_body(uint16_t status)
{
    return status >= 200 && status != 204 && status != 304;
}

static int write_str(struct mbuf *mb, const char *s)
{
    return mbuf_write_mem(mb, (const uint8_t *)s, strlen(s));
}

static int write_uint(struct mbuf *mb, size_t v)
{
    char digits[24];
    size_t i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);

    return mbuf_write_mem(mb, (const uint8_t *)digits + i, sizeof(digits) - i);
}

static const char *date_line(struct httpd *httpd)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;

    if (now == httpd->date_sec && httpd->date[0])
        return httpd->date;

    /* not strftime(): day and month names must not follow the locale */
    if (!gmtime_r(&now, &tm))
        return "";
    (void)re_snprintf(httpd->date, sizeof(httpd->date),
                      "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday], tm.tm_mday,
                      months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    httpd->date_sec = now;

    return httpd->date;
}

static const char *connection_header(const struct httpd_conn *conn)
{
    if (conn->close_after)
        return "Connection: close\r\n";
    if (conn->say_keepalive)
        return "Connection: keep-alive\r\n";
    return "";
}

static int reply_write(struct mbuf *mb, struct httpd_conn *conn, uint16_t status,
                       const char *reason, const char *extra, const char *ctype, const void *body,
                       size_t len)
{
    int err;

    err = mbuf_write_mem(mb, (const uint8_t *)"HTTP/1.1 ", 9);
    err |= write_uint(mb, status);
    err |= mbuf_write_u8(mb, ' ');
    err |= write_str(mb, reason);
    err |= mbuf_write_mem(mb, (const uint8_t *)"\r\n", 2);
    err |= write_str(mb, date_line(conn->httpd));
    if (ctype) {
        err |= mbuf_write_mem(mb, (const uint8_t *)"Content-Type: ", 14);
        err |= write_str(mb, ctype);
        err |= mbuf_write_mem(mb, (const uint8_t *)"\r\n", 2);
    }
    if (status_has_body(status)) {
        err |= mbuf_write_mem(mb, (const uint8_t *)"Content-Length: ", 16);
        err |= write_uint(mb, len);
        err |= mbuf_write_mem(mb, (const uint8_t *)"\r\n", 2);
    }
    err |= write_str(mb, connection_header(conn));
    if (extra)
        err |= write_str(mb, extra);
    err |= mbuf_write_mem(mb, (const uint8_t *)"\r\n", 2);
    if (len && status_has_body(status) && !conn->head_only)
        err |= mbuf_write_mem(mb, body, len);

    return err ? ENOMEM : 0;
}

static bool has_line_break(const char *s)
{
    return s && strpbrk(s, "\r\n");
}

static struct mbuf *txbuf_get(struct httpd *httpd, size_t len)
{
    if (!httpd->txbuf)
        httpd->txbuf = mbuf_alloc(TXBUF_INITIAL + len);
    return httpd->txbuf;
}

/* Keep the reply buffer for the next reply unless a big body inflated it. */
static void txbuf_put(struct httpd *httpd)
{
    if (httpd->txbuf->size > TXBUF_KEEP)
        httpd->txbuf = mem_deref(httpd->txbuf);
    else
        mbuf_rewind(httpd->txbuf);
}

int httpd_reply(struct httpd_conn *conn, uint16_t status, const char *reason,
                const char *extra_headers, const char *ctype, const void *body, size_t len)
{
    struct httpd *httpd;
    struct mbuf *mb;
    int err;

    if (!conn || status < 200 || status > 999 || !reason || (len && !body))
        return EINVAL;
    if (has_line_break(reason) || has_line_break(ctype))
        return EINVAL;
    if (!conn->tc || !conn->httpd)
        return ENOTCONN;
    if (!conn->pending)
        return EALREADY;

    httpd = conn->httpd;
    mb = txbuf_get(httpd, len);
    if (!mb)
        return ENOMEM;

    err = reply_write(mb, conn, status, reason, extra_headers, ctype, body, len);
    if (!err) {
        mb->pos = 0;
        err = tcp_send(conn->tc, mb);
    }
    txbuf_put(httpd);

    if (err) {
        conn_close(conn);
        return err;
    }

    reply_done(conn);
    return 0;
}

int httpd_conn_takeover(struct httpd_conn *conn, struct tcp_conn **tcp, struct mbuf **rest)
{
    struct mbuf *mb = NULL;
    int err;

    if (!conn || !tcp || !rest || !conn->pending || !conn->msg)
        return EINVAL;
    if (!conn->tc || !conn->httpd)
        return ENOTCONN;

    /* rx still backs msg, so the leftover is copied, pipe appended */
    if (conn->rx && mbuf_get_left(conn->rx)) {
        mb = mbuf_alloc(mbuf_get_left(conn->rx));
        if (!mb)
            return ENOMEM;
        (void)mbuf_write_mem(mb, mbuf_buf(conn->rx), mbuf_get_left(conn->rx));
        mb->pos = 0;
    }
    if (conn->pipe) {
        err = buf_add(&mb, conn->pipe, SIZE_MAX);
        if (err) {
            mem_deref(mb);
            return err;
        }
        conn->pipe = mem_deref(conn->pipe);
    }

    tcp_set_handlers(conn->tc, NULL, NULL, NULL, NULL);
    (void)tcp_set_send(conn->tc, NULL);
    *tcp = conn->tc;
    *rest = mb;
    conn->tc = NULL;
    conn->pending = false;
    conn_close(conn);

    return 0;
}

struct sendq *httpd_conn_sendq(const struct httpd_conn *conn)
{
    return conn && conn->httpd ? conn->httpd->sendq : NULL;
}

const struct sa *httpd_conn_peer(const struct httpd_conn *conn)
{
    return conn ? &conn->peer : NULL;
}

size_t httpd_conn_count(const struct httpd *httpd)
{
    return httpd ? list_count(&httpd->conns) : 0;
}

static void httpd_destructor(void *arg)
{
    struct httpd *httpd = arg;
    struct le *le = httpd->conns.head;

    while (le) {
        struct httpd_conn *conn = le->data;

        le = le->next;
        conn_close(conn);
    }

    mem_deref(httpd->ts);
    mem_deref(httpd->txbuf);
    mem_deref(httpd->sendq);
}

static void opts_apply(struct httpd_opts *dst, const struct httpd_opts *src)
{
    if (src)
        *dst = *src;
    if (!dst->max_body)
        dst->max_body = DEFAULT_MAX_BODY;
    if (!dst->max_head)
        dst->max_head = DEFAULT_MAX_HEAD;
    if (!dst->idle_timeout_ms)
        dst->idle_timeout_ms = DEFAULT_IDLE_MS;
}

int httpd_listen(struct httpd **httpdp, const struct sa *laddr, const struct httpd_opts *opts,
                 httpd_req_h *reqh, httpd_err_h *errh, void *arg)
{
    struct httpd *httpd;
    int err;

    if (!httpdp || !laddr || !reqh)
        return EINVAL;

    httpd = mem_zalloc(sizeof(*httpd), httpd_destructor);
    if (!httpd)
        return ENOMEM;

    opts_apply(&httpd->opts, opts);
    httpd->reqh = reqh;
    httpd->errh = errh;
    httpd->arg = arg;

    err = sendq_alloc(&httpd->sendq, sendq_default_threads());
    if (!err)
        err = tcp_sock_alloc(&httpd->ts, laddr, accept_handler, httpd);
    if (!err)
        err = tcp_sock_bind(httpd->ts, laddr);
    if (!err)
        err = tcp_sock_listen(httpd->ts, LISTEN_BACKLOG);
    if (err) {
        mem_deref(httpd);
        return err;
    }

    *httpdp = httpd;
    return 0;
}

int httpd_local(const struct httpd *httpd, struct sa *laddr)
{
    if (!httpd || !laddr)
        return EINVAL;

    return tcp_sock_local_get(httpd->ts, laddr);
}
