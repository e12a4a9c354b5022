/*
 * test_websocket.c - unit tests for RFC 6455 server connections
 * (src/http/websocket.c) upgraded from httpd.
 *
 * A real libre loop runs the server on 127.0.0.1 port 0 and a raw TCP
 * client that writes frames byte by byte as a browser would (masked), or
 * wrongly on purpose, and reads the server's frames back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "http/websocket.h"

#include "loop_client.h"

/* Offset just past the HTTP head received, or 0 while incomplete. */
static size_t head_end(const struct client *c)
{
    const uint8_t *p = c->rx->buf;
    size_t i;

    for (i = 0; i + 4 <= c->rx->end; i++) {
        if (!memcmp(p + i, "\r\n\r\n", 4))
            return i + 4;
    }
    return 0;
}

static bool have_head(void *arg)
{
    return head_end(arg) > 0;
}

/* ---- frames ---- */

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

/* Encode one frame into out (at least len + 8 bytes); returns its size.
 * The client masks unless told not to. */
static size_t frame_build(uint8_t *out, bool fin, uint8_t op, bool masked, const void *data,
                          size_t len)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    const uint8_t *d = data;
    size_t n = 0, i;

    out[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (len < 126) {
        out[n++] = (uint8_t)((masked ? 0x80 : 0) | len);
    } else {
        out[n++] = (uint8_t)((masked ? 0x80 : 0) | 126);
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    }
    if (masked) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    for (i = 0; i < len; i++)
        out[n++] = masked ? d[i] ^ mask[i & 3] : d[i];

    return n;
}

static void send_frame(struct client *c, bool fin, uint8_t op, bool masked, const void *data,
                       size_t len)
{
    uint8_t frame[8192];

    assert_true(len + 8 <= sizeof(frame));
    client_send(c, frame, frame_build(frame, fin, op, masked, data, len));
}

static void send_close_frame(struct client *c, uint16_t code, const char *reason)
{
    uint8_t p[125] = {(uint8_t)(code >> 8), (uint8_t)code};
    size_t rlen = strlen(reason);

    memcpy(p + 2, reason, rlen);
    send_frame(c, true, OP_CLOSE, true, p, 2 + rlen);
}

struct frame {
    uint8_t op;
    bool fin;
    bool masked;
    uint8_t data[256];
    size_t len;
};

/* Parse the server frames received after the 101 head; returns how many. */
static int frames(const struct client *c, struct frame *out, int max)
{
    const uint8_t *p = c->rx->buf;
    size_t pos = head_end(c), end = c->rx->end;
    int n = 0;

    while (pos && n < max && end - pos >= 2) {
        size_t len = p[pos + 1] & 0x7f, hdr = 2;

        if (len == 126) {
            if (end - pos < 4)
                break;
            len = (size_t)p[pos + 2] << 8 | p[pos + 3];
            hdr = 4;
        }
        if (end - pos < hdr + len)
            break;
        out[n].op = p[pos] & 0x0f;
        out[n].fin = p[pos] & 0x80;
        out[n].masked = p[pos + 1] & 0x80;
        out[n].len = len < sizeof(out[n].data) ? len : sizeof(out[n].data);
        memcpy(out[n].data, p + pos + hdr, out[n].len);
        pos += hdr + len;
        n++;
    }

    return n;
}

struct want {
    struct client *c;
    int n;
};

static bool have_frames(void *arg)
{
    struct want *w = arg;
    struct frame f[8];

    return frames(w->c, f, 8) >= w->n;
}

static void wait_frames(struct client *c, int n)
{
    struct want w = {c, n};

    assert_true(run_until(have_frames, &w, 2000));
}

static uint16_t close_code(const struct frame *f)
{
    assert_int_equal(f->op, OP_CLOSE);
    assert_true(f->len >= 2);
    return (uint16_t)(f->data[0] << 8 | f->data[1]);
}

/* ---- the server under test: echoes text, closes on request ---- */

static struct {
    struct httpd *httpd;
    struct sa addr;
    struct websocket_opts opts;
    struct websocket *ws;
    unsigned messages;
    bool closed;
    uint16_t close_code;
    bool last_binary;
    size_t last_len;
} srv;

static void ws_recv(struct websocket *ws, bool binary, const uint8_t *data, size_t len, void *arg)
{
    (void)arg;

    srv.messages++;
    srv.last_binary = binary;
    srv.last_len = len;
    if (len == 8 && !memcmp(data, "close-me", 8))
        assert_int_equal(websocket_close(ws, 1000, "bye"), 0);
    else if (!binary)
        assert_int_equal(websocket_send_text(ws, (const char *)data, len), 0);
}

static void ws_close(struct websocket *ws, uint16_t code, void *arg)
{
    (void)arg;

    assert_ptr_equal(ws, srv.ws);
    assert_false(srv.closed); /* once */
    srv.closed = true;
    srv.close_code = code;
    srv.ws = mem_deref(srv.ws);
}

static void req_handler(struct httpd_conn *conn, const struct httpd_req *req, void *arg)
{
    int err;
    (void)arg;

    err = websocket_accept(&srv.ws, conn, req, &srv.opts, ws_recv, ws_close, NULL);
    if (err == EBADMSG)
        assert_int_equal(httpd_reply(conn, 400, "Bad Request", NULL, NULL, NULL, 0), 0);
    else
        assert_int_equal(err, 0);
}

static void server_start(size_t max_message, unsigned kaint_ms)
{
    struct sa laddr;

    memset(&srv, 0, sizeof(srv));
    srv.opts.max_message = max_message;
    srv.opts.kaint_ms = kaint_ms;
    srv.opts.protocol = "chat";
    assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
    assert_int_equal(httpd_listen(&srv.httpd, &laddr, NULL, req_handler, NULL, NULL), 0);
    assert_int_equal(httpd_local(srv.httpd, &srv.addr), 0);
}

static void server_stop(void)
{
    srv.ws = mem_deref(srv.ws);
    srv.httpd = mem_deref(srv.httpd);
}

static bool have_message(void *arg)
{
    (void)arg;
    return srv.messages > 0;
}

static bool server_closed(void *arg)
{
    (void)arg;
    return srv.closed;
}

#define UPGRADE                                                                                    \
    "GET /ws HTTP/1.1\r\n"                                                                         \
    "Host: server.example.com\r\n"                                                                 \
    "Upgrade: websocket\r\n"                                                                       \
    "Connection: keep-alive, Upgrade\r\n"                                                          \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                                              \
    "Sec-WebSocket-Protocol: superchat, chat\r\n"                                                  \
    "Sec-WebSocket-Version: 13\r\n\r\n"

/* Connect and complete the opening handshake. */
static void ws_open(struct client *c)
{
    client_open(c, &srv.addr, UPGRADE, 0);
    assert_true(run_until(have_head, c, 2000));
    assert_non_null(srv.ws);
}

/* After a failure or close: the server's Close frame, the TCP close, and
 * the close handler with the same code. */
static void expect_closed(struct client *c, int nframes, uint16_t code)
{
    struct frame f[8];

    wait_frames(c, nframes);
    assert_int_equal(frames(c, f, 8), nframes);
    assert_int_equal(close_code(&f[nframes - 1]), code);
    assert_true(run_until(client_closed, c, 2000));
    assert_true(run_until(server_closed, NULL, 2000));
    assert_int_equal(srv.close_code, code);
}

/* ---- tests ---- */

static void test_handshake(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);

    /* the example of RFC 6455 section 1.3 */
    c.rx->pos = c.rx->end;
    assert_int_equal(mbuf_write_u8(c.rx, 0), 0);
    assert_non_null(strstr((char *)c.rx->buf, "HTTP/1.1 101 Switching Protocols\r\n"));
    assert_non_null(
        strstr((char *)c.rx->buf, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert_non_null(strstr((char *)c.rx->buf, "Sec-WebSocket-Protocol: chat\r\n"));
    assert_int_equal(httpd_conn_count(srv.httpd), 0); /* taken over */
    assert_non_null(websocket_peer(srv.ws));

    client_free(&c);
    assert_true(run_until(server_closed, NULL, 2000));
    assert_int_equal(srv.close_code, 1006); /* no Close frame */
    server_stop();
}

static void test_bad_upgrade(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    client_open(&c, &srv.addr,
                "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n",
                0);
    assert_true(run_until(have_head, &c, 2000));
    assert_int_equal(memcmp(c.rx->buf, "HTTP/1.1 400 ", 13), 0);
    assert_null(srv.ws);

    client_free(&c);
    server_stop();
}

static void test_text_echo(void **state)
{
    struct client c;
    struct frame f[1];
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_TEXT, true, "Hello", 5);
    wait_frames(&c, 1);

    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(f[0].op, OP_TEXT);
    assert_true(f[0].fin);
    assert_false(f[0].masked);
    assert_int_equal(f[0].len, 5);
    assert_memory_equal(f[0].data, "Hello", 5);

    client_free(&c);
    server_stop();
}

static void test_fragmented_with_ping_between(void **state)
{
    struct client c;
    struct frame f[2];
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, false, OP_TEXT, true, "Hel", 3);
    send_frame(&c, true, OP_PING, true, "p", 1);
    send_frame(&c, true, OP_CONT, true, "lo", 2);
    wait_frames(&c, 2);

    assert_int_equal(frames(&c, f, 2), 2);
    assert_int_equal(f[0].op, OP_PONG);
    assert_int_equal(f[1].op, OP_TEXT);
    assert_int_equal(f[1].len, 5);
    assert_memory_equal(f[1].data, "Hello", 5);
    assert_int_equal(srv.messages, 1);

    client_free(&c);
    server_stop();
}

static void test_binary_delivered_as_binary(void **state)
{
    static const uint8_t data[3] = {0x00, 0xff, 0x80}; /* not UTF-8: fine for binary */
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_BINARY, true, data, sizeof(data));
    assert_true(run_until(have_message, NULL, 2000));
    assert_true(srv.last_binary);
    assert_int_equal(srv.last_len, 3);

    client_free(&c);
    server_stop();
}

/* A client that does not wait for the 101 before its first frame. */
static void test_frame_right_after_upgrade(void **state)
{
    uint8_t buf[1024];
    size_t n = sizeof(UPGRADE) - 1;
    struct client c;
    struct frame f[1];
    (void)state;

    memcpy(buf, UPGRADE, n);
    n += frame_build(buf + n, true, OP_TEXT, true, "early", 5);

    server_start(0, 0);
    client_open(&c, &srv.addr, NULL, 0);
    c.first = (const char *)buf;
    c.first_len = n;
    wait_frames(&c, 1);
    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(f[0].op, OP_TEXT);
    assert_memory_equal(f[0].data, "early", 5);

    client_free(&c);
    server_stop();
}

static void test_ping_pong(void **state)
{
    struct client c;
    struct frame f[1];
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_PING, true, "abc", 3);
    wait_frames(&c, 1);

    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(f[0].op, OP_PONG);
    assert_int_equal(f[0].len, 3);
    assert_memory_equal(f[0].data, "abc", 3);

    client_free(&c);
    server_stop();
}

static void test_long_utf8_echo(void **state)
{
    static const char unit[] = "h\xc3\xa9llo \xe2\x98\x8e \xf0\x9f\x98\x80 "; /* 1-4 bytes */
    char text[200];
    struct client c;
    struct frame f[1];
    size_t n = 0;
    (void)state;

    while (n + sizeof(unit) - 1 <= sizeof(text)) {
        memcpy(text + n, unit, sizeof(unit) - 1);
        n += sizeof(unit) - 1;
    }

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_TEXT, true, text, n); /* over 125: 16-bit length */
    wait_frames(&c, 1);

    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(f[0].op, OP_TEXT);
    assert_int_equal(f[0].len, n);
    assert_memory_equal(f[0].data, text, n);

    client_free(&c);
    server_stop();
}

/* Two frames cut at every awkward place: inside the header, inside the
 * payload, and with the second frame starting in the first one's read. */
static void test_frames_in_pieces(void **state)
{
    static const size_t cuts[] = {1, 5, 8, 14};
    uint8_t buf[64];
    size_t n, i, from = 0;
    struct client c;
    struct frame f[2];
    (void)state;

    n = frame_build(buf, true, OP_TEXT, true, "Hello", 5);
    n += frame_build(buf + n, true, OP_TEXT, true, "World", 5);

    server_start(0, 0);
    ws_open(&c);
    for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        client_send(&c, buf + from, cuts[i] - from);
        from = cuts[i];
        pause_ms(10);
    }
    client_send(&c, buf + from, n - from);
    wait_frames(&c, 2);

    assert_int_equal(frames(&c, f, 2), 2);
    assert_memory_equal(f[0].data, "Hello", 5);
    assert_memory_equal(f[1].data, "World", 5);

    client_free(&c);
    server_stop();
}

static void test_surrogate_is_1007(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_TEXT, true, "\xed\xa0\x80", 3); /* U+D800 */
    expect_closed(&c, 1, 1007);

    client_free(&c);
    server_stop();
}

static void test_reserved_close_code_is_1002(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_close_frame(&c, 1005, ""); /* must never be sent on the wire */
    expect_closed(&c, 1, 1002);

    client_free(&c);
    server_stop();
}

static void test_unmasked_is_1002(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_TEXT, false, "Hello", 5);
    expect_closed(&c, 1, 1002);
    assert_int_equal(srv.messages, 0);

    client_free(&c);
    server_stop();
}

static void test_oversized_is_1009(void **state)
{
    static uint8_t big[2000];
    struct client c;
    (void)state;

    server_start(1024, 0);
    ws_open(&c);
    send_frame(&c, true, OP_BINARY, true, big, sizeof(big));
    expect_closed(&c, 1, 1009);
    assert_int_equal(srv.messages, 0);

    client_free(&c);
    server_stop();
}

static void test_oversized_in_fragments_is_1009(void **state)
{
    static uint8_t part[600];
    struct client c;
    (void)state;

    server_start(1024, 0);
    ws_open(&c);
    send_frame(&c, false, OP_BINARY, true, part, sizeof(part));
    send_frame(&c, true, OP_CONT, true, part, sizeof(part));
    expect_closed(&c, 1, 1009);
    assert_int_equal(srv.messages, 0);

    client_free(&c);
    server_stop();
}

static void test_invalid_utf8_is_1007(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_TEXT, true, "ok\xc3\x28", 4);
    expect_closed(&c, 1, 1007);
    assert_int_equal(srv.messages, 0);

    client_free(&c);
    server_stop();
}

static void test_stray_continuation_is_1002(void **state)
{
    struct client c;
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_CONT, true, "x", 1);
    expect_closed(&c, 1, 1002);

    client_free(&c);
    server_stop();
}

static void test_close_handshake(void **state)
{
    struct client c;
    struct frame f[1];
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_close_frame(&c, 1000, "done");
    expect_closed(&c, 1, 1000);
    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(f[0].len, 2); /* the code echoed */

    client_free(&c);
    server_stop();
}

static void test_server_initiated_close(void **state)
{
    struct client c;
    struct frame f[1];
    (void)state;

    server_start(0, 0);
    ws_open(&c);
    send_frame(&c, true, OP_TEXT, true, "close-me", 8);
    wait_frames(&c, 1);
    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(close_code(&f[0]), 1000);
    assert_memory_equal(f[0].data + 2, "bye", 3);
    assert_int_equal(websocket_send_text(srv.ws, "late", 4), ENOTCONN);

    send_close_frame(&c, 1000, "");
    assert_true(run_until(client_closed, &c, 2000));
    assert_true(run_until(server_closed, NULL, 2000));
    assert_int_equal(srv.close_code, 1000);

    client_free(&c);
    server_stop();
}

static void test_keepalive_closes_silent_peer(void **state)
{
    struct client c;
    struct frame f[1];
    uint64_t t0;
    (void)state;

    server_start(0, 30);
    ws_open(&c);
    t0 = tmr_jiffies();
    wait_frames(&c, 1);
    assert_int_equal(frames(&c, f, 1), 1);
    assert_int_equal(f[0].op, OP_PING);

    assert_true(run_until(server_closed, NULL, 2000));
    assert_int_equal(srv.close_code, 1006);
    assert_true(tmr_jiffies() - t0 >= 80);
    assert_true(run_until(client_closed, &c, 2000));

    client_free(&c);
    server_stop();
}

static int group_setup(void **state)
{
    (void)state;
    return libre_init();
}

static int group_teardown(void **state)
{
    (void)state;
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_bad_upgrade),
        cmocka_unit_test(test_text_echo),
        cmocka_unit_test(test_fragmented_with_ping_between),
        cmocka_unit_test(test_binary_delivered_as_binary),
        cmocka_unit_test(test_frame_right_after_upgrade),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_long_utf8_echo),
        cmocka_unit_test(test_frames_in_pieces),
        cmocka_unit_test(test_surrogate_is_1007),
        cmocka_unit_test(test_reserved_close_code_is_1002),
        cmocka_unit_test(test_unmasked_is_1002),
        cmocka_unit_test(test_oversized_is_1009),
        cmocka_unit_test(test_oversized_in_fragments_is_1009),
        cmocka_unit_test(test_invalid_utf8_is_1007),
        cmocka_unit_test(test_stray_continuation_is_1002),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_server_initiated_close),
        cmocka_unit_test(test_keepalive_closes_silent_peer),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
