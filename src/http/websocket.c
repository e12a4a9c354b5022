/*
 * websocket.c - RFC 6455 server connections taken over from an httpd
 * request: the opening handshake, frame parsing, message reassembly,
 * UTF-8 checks, keepalive pings and the closing handshake. The contract is
 * in websocket.h.
 *
 * Life of a connection: OPEN (messages flow) -> CLOSING (we sent a Close
 * and wait for the peer's) -> LINGER (our last frame is leaving; the write
 * side is shut and input is discarded until the peer's FIN) -> CLOSED (the
 * close handler has run). Failing the connection (RFC 6455 7.1.7) goes
 * from OPEN straight to LINGER.
 */
#include <openssl/sha.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/websocket.h"
#include "http/httpd_internal.h"
#include "http/sendq.h"

enum {
    DEFAULT_MAX_MESSAGE = 64 * 1024,
    CLOSE_WAIT_MS = 2000, /* how long we wait for the peer's Close or FIN */
    KEEPALIVE_MISSED_MAX = 3,
    CONTROL_MAX = 125,
    RX_SLACK = 16 * 1024, /* a partial frame plus one read beyond max_message */
};

enum ws_opcode {
    OP_CONT = 0x0,
    OP_TEXT = 0x1,
    OP_BINARY = 0x2,
    OP_CLOSE = 0x8,
    OP_PING = 0x9,
    OP_PONG = 0xa,
};

enum ws_close_code {
    CLOSE_NORMAL = 1000,
    CLOSE_GOING_AWAY = 1001,
    CLOSE_PROTOCOL = 1002,
    CLOSE_NO_STATUS = 1005,
    CLOSE_ABNORMAL = 1006,
    CLOSE_BAD_DATA = 1007,
    CLOSE_TOO_BIG = 1009,
};

enum ws_state { WS_OPEN, WS_CLOSING, WS_LINGER, WS_CLOSED };

struct websocket {
    struct sendq_conn *sq; /* the socket: frames leave at the end of the turn */
    struct sa peer;
    struct tmr tmr;    /* first frames after the handshake, then close wait */
    struct tmr tmr_ka; /* keepalive pings */
    struct mbuf *rx;   /* unparsed bytes */
    struct mbuf *frag; /* fragments of the message being reassembled */
    bool in_message;   /* a fragmented message has started */
    bool frag_binary;
    bool rx_seen; /* the peer sent something since the last ping */
    unsigned missed;
    enum ws_state state;
    uint16_t code; /* reported to the close handler */
    size_t max_message;
    unsigned kaint_ms;
    websocket_recv_h *recvh;
    websocket_close_h *closeh;
    void *arg;
};

struct frame {
    bool fin;
    uint8_t rsv;
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t len;
    size_t hdr_len;
};

/* ---- checks on what the peer sends ---- */

/* Length of the UTF-8 sequence a byte starts; 0 if it cannot start one. */
static size_t utf8_seq_len(uint8_t c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    if ((c & 0xf8) == 0xf0)
        return 4;
    return 0;
}

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t i = 0;

    while (i < n) {
        size_t len = utf8_seq_len(s[i]), k;
        uint32_t cp;

        if (len == 1) {
            i++;
            continue;
        }
        if (!len || n - i < len)
            return false;

        cp = s[i] & (0x7fu >> len);
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }

    return true;
}

/* Codes a peer may send in a Close frame (RFC 6455 7.4, IANA registry). */
static bool close_code_valid(uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* ---- sending ---- */

static int send_frame(struct websocket *ws, enum ws_opcode op, const void *data, size_t len)
{
    uint8_t hdr[10];
    size_t hlen = 2, i;

    if (!ws->sq)
        return ENOTCONN;

    hdr[0] = (uint8_t)(0x80 | op); /* server frames: never fragmented, never masked */
    if (len < 126) {
        hdr[1] = (uint8_t)len;
    } else if (len <= 0xffff) {
        hdr[1] = 126;
        hdr[2] = (uint8_t)(len >> 8);
        hdr[3] = (uint8_t)len;
        hlen = 4;
    } else {
        hdr[1] = 127;
        for (i = 0; i < 8; i++)
            hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hlen = 10;
    }

    return sendq_append(ws->sq, hdr, hlen, data, len);
}

static int send_close(struct websocket *ws, uint16_t code, const char *reason)
{
    uint8_t payload[CONTROL_MAX];
    size_t len = 0;

    if (code) {
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        len = 2;
    }
    if (code && reason) {
        size_t rlen = strlen(reason);

        if (rlen > sizeof(payload) - 2) { /* cut, but not inside a UTF-8 sequence */
            rlen = sizeof(payload) - 2;
            while (rlen && ((uint8_t)reason[rlen] & 0xc0) == 0x80)
                rlen--;
        }
        memcpy(payload + 2, reason, rlen);
        len += rlen;
    }

    return send_frame(ws, OP_CLOSE, payload, len);
}

/* ---- ending the connection ---- */

/* Last step: the socket goes and the close handler runs. The handler may
 * free ws, so nothing touches ws after calling it. */
static void ws_terminate(struct websocket *ws)
{
    if (ws->state == WS_CLOSED)
        return;

    ws->state = WS_CLOSED;
    tmr_cancel(&ws->tmr);
    tmr_cancel(&ws->tmr_ka);
    sendq_conn_release(ws->sq); /* the peer is gone, or we gave up on it */
    ws->sq = mem_deref(ws->sq);

    if (ws->closeh)
        ws->closeh(ws, ws->code, ws->arg);
}

static void terminate_handler(void *arg)
{
    ws_terminate(arg);
}

/* Let our Close frame reach the peer before the socket closes: closing
 * with unread input would send RST and could destroy it. */
static void ws_linger(struct websocket *ws)
{
    ws->state = WS_LINGER;
    tmr_cancel(&ws->tmr_ka);
    tmr_start(&ws->tmr, CLOSE_WAIT_MS, terminate_handler, ws);

    sendq_conn_shutdown(ws->sq); /* once the Close frame has left */
}

/* RFC 6455 7.1.7: send a Close with the reason and stop reading frames. */
static void ws_fail(struct websocket *ws, uint16_t code)
{
    if (ws->state != WS_OPEN && ws->state != WS_CLOSING)
        return;

    if (ws->state == WS_OPEN) { /* else our Close, and its code, went out already */
        (void)send_close(ws, code, NULL);
        ws->code = code;
    }
    ws_linger(ws);
}

/* ---- receiving ---- */

static void deliver(struct websocket *ws, bool binary, const uint8_t *data, size_t len)
{
    if (!binary && !utf8_valid(data, len)) {
        ws_fail(ws, CLOSE_BAD_DATA);
        return;
    }

    if (ws->recvh)
        ws->recvh(ws, binary, data, len, ws->arg);
}

static void on_data(struct websocket *ws, const struct frame *f, const uint8_t *payload)
{
    struct mbuf *msg;

    if (f->opcode != OP_CONT)
        ws->frag_binary = f->opcode == OP_BINARY;

    if (f->fin && !ws->in_message) { /* the common case: whole message, no copy */
        deliver(ws, ws->frag_binary, payload, (size_t)f->len);
        return;
    }

    if (!ws->frag) {
        ws->frag = mbuf_alloc(f->len ? (size_t)f->len : 64);
        if (!ws->frag) {
            ws_fail(ws, CLOSE_TOO_BIG);
            return;
        }
    }
    if (mbuf_write_mem(ws->frag, payload, (size_t)f->len)) {
        ws_fail(ws, CLOSE_TOO_BIG);
        return;
    }

    ws->in_message = !f->fin;
    if (!f->fin)
        return;

    msg = ws->frag;
    ws->frag = NULL;
    deliver(ws, ws->frag_binary, msg->buf, msg->end);
    mem_deref(msg);
}

static void on_close(struct websocket *ws, const uint8_t *payload, size_t len)
{
    uint16_t code = CLOSE_NO_STATUS;

    if (ws->state == WS_CLOSING) { /* the answer to our Close */
        ws_linger(ws);
        return;
    }

    if (len == 1) {
        ws_fail(ws, CLOSE_PROTOCOL);
        return;
    }
    if (len >= 2) {
        code = (uint16_t)(payload[0] << 8 | payload[1]);
        if (!close_code_valid(code)) {
            ws_fail(ws, CLOSE_PROTOCOL);
            return;
        }
        if (!utf8_valid(payload + 2, len - 2)) {
            ws_fail(ws, CLOSE_BAD_DATA);
            return;
        }
    }

    /* echo the peer's code (RFC 6455 5.5.1) and close */
    (void)send_close(ws, code == CLOSE_NO_STATUS ? 0 : code, NULL);
    ws->code = code;
    ws_linger(ws);
}

static void on_frame(struct websocket *ws, const struct frame *f, const uint8_t *payload)
{
    switch (f->opcode) {

    case OP_CLOSE:
        on_close(ws, payload, (size_t)f->len);
        break;

    case OP_PING:
        if (ws->state == WS_OPEN)
            (void)send_frame(ws, OP_PONG, payload, (size_t)f->len);
        break;

    case OP_PONG:
        break;

    default:
        if (ws->state == WS_OPEN)
            on_data(ws, f, payload);
        break;
    }
}

/* Parse a frame header at p; ENODATA when it is not all there yet. */
static int frame_decode(struct frame *f, const uint8_t *p, size_t n)
{
    size_t need = 2, i;

    if (n < 2)
        return ENODATA;

    f->fin = p[0] & 0x80;
    f->rsv = p[0] & 0x70;
    f->opcode = p[0] & 0x0f;
    f->masked = p[1] & 0x80;
    f->len = p[1] & 0x7f;
    need += f->len == 126 ? 2 : f->len == 127 ? 8 : 0;
    need += f->masked ? 4 : 0;
    if (n < need)
        return ENODATA;

    p += 2;
    if (f->len == 126) {
        f->len = (uint64_t)p[0] << 8 | p[1];
        p += 2;
    } else if (f->len == 127) {
        for (f->len = 0, i = 0; i < 8; i++)
            f->len = f->len << 8 | p[i];
        p += 8;
    }
    if (f->masked)
        memcpy(f->mask, p, 4);
    f->hdr_len = need;

    return 0;
}

/* The close code a frame header earns (RFC 6455 5.2-5.5), or 0. */
static uint16_t frame_check(const struct websocket *ws, const struct frame *f)
{
    size_t have;

    if (f->rsv || !f->masked || f->len >> 63)
        return CLOSE_PROTOCOL;

    switch (f->opcode) {

    case OP_CLOSE:
    case OP_PING:
    case OP_PONG:
        return !f->fin || f->len > CONTROL_MAX ? CLOSE_PROTOCOL : 0;

    case OP_TEXT:
    case OP_BINARY:
        if (ws->in_message)
            return CLOSE_PROTOCOL;
        break;

    case OP_CONT:
        if (!ws->in_message)
            return CLOSE_PROTOCOL;
        break;

    default:
        return CLOSE_PROTOCOL;
    }

    have = ws->frag ? ws->frag->end : 0;
    return f->len > ws->max_message - have ? CLOSE_TOO_BIG : 0;
}

static void unmask(uint8_t *p, size_t len, const uint8_t mask[4])
{
    size_t i;

    for (i = 0; i < len; i++)
        p[i] ^= mask[i & 3];
}

/* Handle the next complete frame in rx; ENODATA if there is none. */
static int frame_next(struct websocket *ws)
{
    struct mbuf *rx = ws->rx;
    struct frame f;
    uint16_t code;
    uint8_t *payload;

    if (frame_decode(&f, mbuf_buf(rx), mbuf_get_left(rx)))
        return ENODATA;

    code = frame_check(ws, &f);
    if (code) {
        ws_fail(ws, code);
        return EPROTO;
    }

    if (mbuf_get_left(rx) - f.hdr_len < f.len)
        return ENODATA;

    payload = mbuf_buf(rx) + f.hdr_len;
    unmask(payload, (size_t)f.len, f.mask);
    rx->pos += f.hdr_len + (size_t)f.len;

    on_frame(ws, &f, payload);
    return 0;
}

/* Frames are handled in order until one is incomplete. Called with a
 * reference held: handlers may close or free ws. A ws whose only
 * reference is ours was dropped by its owner: stop there. */
static void ws_process(struct websocket *ws)
{
    while (ws->rx && (ws->state == WS_OPEN || ws->state == WS_CLOSING)) {
        if (!mbuf_get_left(ws->rx)) {
            ws->rx = mem_deref(ws->rx);
            break;
        }
        if (frame_next(ws) || mem_nrefs(ws) == 1)
            break;
    }
}

static int rx_add(struct websocket *ws, const uint8_t *data, size_t len)
{
    struct mbuf *rx = ws->rx;
    size_t left;
    int err;

    if (!rx) {
        rx = ws->rx = mbuf_alloc(len > 512 ? len : 512);
        if (!rx)
            return ENOMEM;
    }

    left = mbuf_get_left(rx);
    if (left + len > ws->max_message + RX_SLACK)
        return EOVERFLOW;

    if (rx->pos) { /* drop handled frames before growing */
        memmove(rx->buf, mbuf_buf(rx), left);
        rx->pos = 0;
        rx->end = left;
    }
    rx->pos = rx->end;
    err = mbuf_write_mem(rx, data, len);
    rx->pos = 0;

    return err;
}

static void recv_handler(const uint8_t *data, size_t len, void *arg)
{
    struct websocket *ws = arg;

    if (ws->state != WS_OPEN && ws->state != WS_CLOSING)
        return; /* lingering: input no longer matters */

    ws->rx_seen = true;
    if (rx_add(ws, data, len)) {
        ws_fail(ws, CLOSE_TOO_BIG);
        return;
    }

    mem_ref(ws);
    ws_process(ws);
    mem_deref(ws);
}

static void close_handler(int err, void *arg)
{
    struct websocket *ws = arg;
    (void)err;

    /* the peer's FIN or an error; without any Close frame that is 1006 */
    if (!ws->code)
        ws->code = CLOSE_ABNORMAL;
    ws_terminate(ws);
}

/* Frames that arrived together with the upgrade request. */
static void early_frames_handler(void *arg)
{
    struct websocket *ws = arg;

    mem_ref(ws);
    ws_process(ws);
    mem_deref(ws);
}

static void keepalive_handler(void *arg)
{
    struct websocket *ws = arg;

    if (ws->state != WS_OPEN)
        return;

    ws->missed = ws->rx_seen ? 0 : ws->missed + 1;
    if (ws->missed >= KEEPALIVE_MISSED_MAX) {
        ws->code = CLOSE_ABNORMAL;
        ws_terminate(ws);
        return;
    }

    ws->rx_seen = false;
    (void)send_frame(ws, OP_PING, NULL, 0);
    tmr_start(&ws->tmr_ka, ws->kaint_ms, keepalive_handler, ws);
}

/* ---- the opening handshake ---- */

/* Whether a comma-separated header value lists token. */
static bool list_has(const struct pl *list, const char *token, bool nocase)
{
    const char *p = list->p, *end = list->p + list->l;
    const size_t tlen = strlen(token);

    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        struct pl item;

        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        item.p = p;
        item.l = (size_t)(e - p);
        while (item.l && (p[item.l - 1] == ' ' || p[item.l - 1] == '\t'))
            item.l--;

        if (item.l == tlen &&
            (nocase ? !strncasecmp(item.p, token, tlen) : !memcmp(item.p, token, tlen)))
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }

    return false;
}

struct token_match {
    const char *token;
    bool nocase;
};

static bool hdr_token_handler(const struct http_hdr *hdr, void *arg)
{
    const struct token_match *m = arg;

    return list_has(&hdr->val, m->token, m->nocase);
}

static bool hdr_has_token(const struct http_msg *msg, enum http_hdrid id, const char *token,
                          bool nocase)
{
    struct token_match m = {token, nocase};

    return http_msg_hdr_apply(msg, true, id, hdr_token_handler, &m) != NULL;
}

/* A key is 16 random bytes in base64 (RFC 6455 4.1). */
static bool key_valid(const struct pl *key)
{
    uint8_t raw[32];
    size_t len = sizeof(raw);

    if (key->l != 24)
        return false;

    return !base64_decode(key->p, key->l, raw, &len) && len == 16;
}

static int upgrade_check(const struct httpd_req *req, struct pl *key)
{
    const struct http_msg *msg = req->msg;
    const struct http_hdr *hdr;

    if (!msg || pl_strcmp(&msg->met, "GET") || pl_strcmp(&msg->ver, "1.1"))
        return EBADMSG;
    if (!hdr_has_token(msg, HTTP_HDR_UPGRADE, "websocket", true) ||
        !hdr_has_token(msg, HTTP_HDR_CONNECTION, "upgrade", true))
        return EBADMSG;

    hdr = http_msg_hdr(msg, HTTP_HDR_SEC_WEBSOCKET_VERSION);
    if (!hdr || pl_strcmp(&hdr->val, "13"))
        return EBADMSG;

    hdr = http_msg_hdr(msg, HTTP_HDR_SEC_WEBSOCKET_KEY);
    if (!hdr || !key_valid(&hdr->val))
        return EBADMSG;

    *key = hdr->val;
    return 0;
}

/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)), RFC 6455 4.2.2. */
static int accept_value(const struct pl *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t buf[24 + sizeof(guid) - 1], digest[20];
    size_t olen = 28;
    int err;

    memcpy(buf, key->p, 24);
    memcpy(buf + 24, guid, sizeof(guid) - 1);
    SHA1(buf, sizeof(buf), digest); /* OpenSSL's libcrypto, which libre uses too */

    err = base64_encode(digest, sizeof(digest), out, &olen);
    out[err ? 0 : olen] = '\0';

    return err;
}

static int handshake_reply(struct mbuf **mbp, const struct httpd_req *req, const struct pl *key,
                           const char *protocol)
{
    char accept[29];
    struct mbuf *mb;
    int err;

    err = accept_value(key, accept);
    if (err)
        return err;

    if (protocol && !hdr_has_token(req->msg, HTTP_HDR_SEC_WEBSOCKET_PROTOCOL, protocol, false))
        protocol = NULL;

    mb = mbuf_alloc(256);
    if (!mb)
        return ENOMEM;

    err = mbuf_printf(mb,
                      "HTTP/1.1 101 Switching Protocols\r\n"
                      "Upgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\n",
                      accept);
    if (protocol)
        err |= mbuf_printf(mb, "Sec-WebSocket-Protocol: %s\r\n", protocol);
    err |= mbuf_write_str(mb, "\r\n");
    mb->pos = 0;

    if (err)
        mem_deref(mb);
    else
        *mbp = mb;

    return err;
}

static void ws_destructor(void *arg)
{
    struct websocket *ws = arg;

    tmr_cancel(&ws->tmr);
    tmr_cancel(&ws->tmr_ka);
    if (ws->sq && ws->state == WS_OPEN)
        (void)send_close(ws, CLOSE_GOING_AWAY, NULL); /* best effort */
    sendq_conn_release(ws->sq);
    mem_deref(ws->sq);
    mem_deref(ws->rx);
    mem_deref(ws->frag);
}

/* Start on the taken-over TCP connection: its socket moves from libre's
 * tcp_conn to a sendq_conn (a duplicate is kept, the original closes with
 * the tcp_conn), the 101 goes out first, handlers in. */
static int ws_start(struct websocket *ws, struct httpd_conn *conn, struct mbuf *reply)
{
    struct sendq *q = httpd_conn_sendq(conn);
    struct tcp_conn *tc = NULL;
    int err, fd;

    if (!q)
        return ENOTCONN;
    err = httpd_conn_takeover(conn, &tc, &ws->rx);
    if (err)
        return err;

    fd = dup(tcp_conn_fd(tc));
    mem_deref(tc);
    if (fd < 0)
        return errno;
    err = sendq_conn_alloc(&ws->sq, q, fd, recv_handler, close_handler, ws);
    if (err) {
        (void)close(fd);
        return err;
    }
    err = sendq_append(ws->sq, reply->buf, reply->end, NULL, 0);
    if (err)
        return err;

    if (ws->kaint_ms)
        tmr_start(&ws->tmr_ka, ws->kaint_ms, keepalive_handler, ws);
    if (ws->rx) /* not now: the caller has no ws pointer yet */
        tmr_start(&ws->tmr, 0, early_frames_handler, ws);

    return 0;
}

int websocket_accept(struct websocket **wsp, struct httpd_conn *conn, const struct httpd_req *req,
                     const struct websocket_opts *opts, websocket_recv_h *recvh,
                     websocket_close_h *closeh, void *arg)
{
    struct mbuf *reply = NULL;
    struct websocket *ws;
    struct pl key;
    int err;

    if (!wsp || !conn || !req)
        return EINVAL;

    err = upgrade_check(req, &key);
    if (err)
        return err;

    ws = mem_zalloc(sizeof(*ws), ws_destructor);
    if (!ws)
        return ENOMEM;

    ws->peer = req->peer;
    ws->max_message = opts && opts->max_message ? opts->max_message : DEFAULT_MAX_MESSAGE;
    ws->kaint_ms = opts ? opts->kaint_ms : 0;
    ws->recvh = recvh;
    ws->closeh = closeh;
    ws->arg = arg;
    ws->state = WS_OPEN;

    err = handshake_reply(&reply, req, &key, opts ? opts->protocol : NULL);
    if (!err)
        err = ws_start(ws, conn, reply);
    mem_deref(reply);

    if (err) {
        ws->state = WS_CLOSED; /* no Close frame before a 101 */
        mem_deref(ws);
        return err;
    }

    *wsp = ws;
    return 0;
}

int websocket_send_text(struct websocket *ws, const char *text, size_t len)
{
    if (!ws || (len && !text))
        return EINVAL;
    if (ws->state != WS_OPEN)
        return ENOTCONN;

    return send_frame(ws, OP_TEXT, text, len);
}

int websocket_close(struct websocket *ws, uint16_t code, const char *reason)
{
    int err;

    if (!ws)
        return EINVAL;
    if (ws->state != WS_OPEN)
        return ENOTCONN;

    err = send_close(ws, code ? code : CLOSE_NORMAL, reason);
    ws->code = code ? code : CLOSE_NORMAL;
    ws->state = WS_CLOSING;
    tmr_cancel(&ws->tmr_ka);
    tmr_start(&ws->tmr, CLOSE_WAIT_MS, terminate_handler, ws);

    return err;
}

const struct sa *websocket_peer(const struct websocket *ws)
{
    return ws ? &ws->peer : NULL;
}
