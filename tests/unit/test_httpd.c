/*
 * test_httpd.c - unit tests for the HTTP/1.1 transport (src/http/httpd.c).
 *
 * Each test runs a real libre loop with the server on 127.0.0.1 port 0 and
 * raw TCP clients on the same loop, so the bytes on the wire are exactly
 * what a test wrote: keep-alive, pipelining, async replies, the transport's
 * own refusals (400, 411, 413, 431) and connection closing.
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

#include "http/httpd.h"

#include "loop_client.h"

/* ---- reading responses back ---- */

struct resp {
    uint16_t status;
    char body[256];
    size_t body_len;
    bool conn_close;
    bool conn_keepalive;
};

/* Parse the complete responses received so far; returns how many. */
static int responses(struct client *c, struct resp *out, int max)
{
    struct mbuf *rx = c->rx;
    int n = 0;

    rx->pos = 0;
    while (n < max) {
        struct http_msg *msg;

        if (http_msg_decode(&msg, rx, false))
            break;
        if (mbuf_get_left(rx) < msg->clen) {
            mem_deref(msg);
            break;
        }
        memset(&out[n], 0, sizeof(out[n]));
        out[n].status = msg->scode;
        out[n].body_len = msg->clen < sizeof(out[n].body) ? msg->clen : sizeof(out[n].body) - 1;
        memcpy(out[n].body, mbuf_buf(rx), out[n].body_len);
        out[n].conn_close = http_msg_hdr_has_value(msg, HTTP_HDR_CONNECTION, "close");
        out[n].conn_keepalive = http_msg_hdr_has_value(msg, HTTP_HDR_CONNECTION, "keep-alive");
        mbuf_advance(rx, msg->clen);
        mem_deref(msg);
        n++;
    }
    rx->pos = 0;

    return n;
}

struct want {
    struct client *c;
    int n;
};

static bool have_responses(void *arg)
{
    struct want *w = arg;
    struct resp r[8];

    return responses(w->c, r, 8) >= w->n;
}

static void wait_responses(struct client *c, int n)
{
    struct want w = {c, n};

    assert_true(run_until(have_responses, &w, 2000));
}

/* ---- the server under test ---- */

struct later {
    struct tmr tmr;
    struct httpd_conn *conn;
    bool record; /* keep httpd_reply()'s result in srv.late_err */
};

static struct {
    struct httpd *httpd;
    struct sa addr;
    unsigned requests;
    unsigned refusals;
    int late_err;
    bool late_done;
} srv;

enum { BIG_LEN = 8 * 1024 * 1024 }; /* more than loopback socket buffers take at once */

static const uint8_t *big_body(void)
{
    static uint8_t body[BIG_LEN];

    if (!body[0])
        memset(body, 'b', sizeof(body));
    return body;
}

static void later_destructor(void *arg)
{
    struct later *l = arg;

    tmr_cancel(&l->tmr);
    mem_deref(l->conn);
}

static void later_handler(void *arg)
{
    struct later *l = arg;
    int err = httpd_reply(l->conn, 200, "OK", NULL, "text/plain", "async", 5);

    if (l->record) {
        srv.late_err = err;
        srv.late_done = true;
    }
    mem_deref(l);
}

/* The asynchronous pattern the contract promises: keep a reference, reply later. */
static void reply_later(struct httpd_conn *conn, unsigned ms, bool record)
{
    struct later *l = mem_zalloc(sizeof(*l), later_destructor);

    assert_non_null(l);
    l->conn = mem_ref(conn);
    l->record = record;
    tmr_start(&l->tmr, ms, later_handler, l);
}

static void req_handler(struct httpd_conn *conn, const struct httpd_req *req, void *arg)
{
    const struct pl *path = &req->msg->path;
    (void)arg;

    srv.requests++;
    if (!pl_strcmp(path, "/hello"))
        assert_int_equal(httpd_reply(conn, 200, "OK", "X-Test: 1\r\n", "text/plain", "hello", 5),
                         0);
    else if (!pl_strcmp(path, "/echo"))
        assert_int_equal(httpd_reply(conn, 200, "OK", NULL, "application/octet-stream", req->body,
                                     req->body_len),
                         0);
    else if (!pl_strcmp(path, "/big"))
        assert_int_equal(httpd_reply(conn, 200, "OK", NULL, "text/plain", big_body(), BIG_LEN), 0);
    else if (!pl_strcmp(path, "/async"))
        reply_later(conn, 50, false);
    else if (!pl_strcmp(path, "/gone"))
        reply_later(conn, 150, true);
    else
        assert_int_equal(httpd_reply(conn, 404, "Not Found", NULL, NULL, NULL, 0), 0);
}

/* Formats refusals the way the application would: a JSON body. */
static void err_handler(struct httpd_conn *conn, uint16_t status, const char *code,
                        const char *message, void *arg)
{
    char body[256];
    int n = re_snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", code, message);
    (void)arg;

    srv.refusals++;
    assert_int_equal(httpd_reply(conn, status, "Refused", NULL, "application/json", body, n), 0);
}

static void server_start(const struct httpd_opts *opts)
{
    struct sa laddr;

    memset(&srv, 0, sizeof(srv));
    assert_int_equal(sa_set_str(&laddr, "127.0.0.1", 0), 0);
    assert_int_equal(httpd_listen(&srv.httpd, &laddr, opts, req_handler, err_handler, NULL), 0);
    assert_int_equal(httpd_local(srv.httpd, &srv.addr), 0);
    assert_int_not_equal(sa_port(&srv.addr), 0);
}

static bool no_connections(void *arg)
{
    (void)arg;
    return httpd_conn_count(srv.httpd) == 0;
}

static void server_stop(void)
{
    srv.httpd = mem_deref(srv.httpd);
}

/* ---- tests ---- */

static void test_keepalive_two_requests(void **state)
{
    static const char post[] = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nping";
    struct client c;
    struct resp r[2];
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", 0);
    wait_responses(&c, 1);
    client_send(&c, post, sizeof(post) - 1);
    wait_responses(&c, 2);

    assert_int_equal(responses(&c, r, 2), 2);
    assert_int_equal(r[0].status, 200);
    assert_string_equal(r[0].body, "hello");
    assert_false(r[0].conn_close);
    assert_int_equal(r[1].status, 200);
    assert_string_equal(r[1].body, "ping");
    assert_false(c.closed);
    assert_int_equal(httpd_conn_count(srv.httpd), 1);
    assert_int_equal(srv.requests, 2);
    assert_non_null(strstr(client_text(&c), "X-Test: 1\r\n"));

    client_free(&c);
    assert_true(run_until(no_connections, NULL, 2000));
    server_stop();
}

static void test_pipelined_in_order(void **state)
{
    static const char reqs[] = "GET /async HTTP/1.1\r\n\r\n"
                               "GET /hello HTTP/1.1\r\n\r\n"
                               "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    struct client c;
    struct resp r[3];
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, reqs, 0);
    wait_responses(&c, 3);

    assert_int_equal(responses(&c, r, 3), 3);
    assert_string_equal(r[0].body, "async");
    assert_string_equal(r[1].body, "hello");
    assert_string_equal(r[2].body, "abc");
    assert_int_equal(srv.requests, 3);

    client_free(&c);
    server_stop();
}

static void test_async_reply(void **state)
{
    struct client c;
    struct resp r[1];
    uint64_t t0 = tmr_jiffies();
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, "GET /async HTTP/1.1\r\n\r\n", 0);
    wait_responses(&c, 1);

    assert_true(tmr_jiffies() - t0 >= 50);
    assert_int_equal(responses(&c, r, 1), 1);
    assert_int_equal(r[0].status, 200);
    assert_string_equal(r[0].body, "async");

    client_free(&c);
    server_stop();
}

static bool request_seen(void *arg)
{
    (void)arg;
    return srv.requests > 0;
}

static bool late_reply_done(void *arg)
{
    (void)arg;
    return srv.late_done;
}

static void test_peer_gone_before_async_reply(void **state)
{
    struct client c;
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, "GET /gone HTTP/1.1\r\n\r\n", 0);
    assert_true(run_until(request_seen, NULL, 2000));
    client_free(&c);

    assert_true(run_until(late_reply_done, NULL, 2000));
    assert_int_equal(srv.late_err, ENOTCONN);
    assert_int_equal(httpd_conn_count(srv.httpd), 0);
    server_stop();
}

static void test_body_in_pieces_and_continue(void **state)
{
    static const char head[] = "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n"
                               "Expect: 100-continue\r\n\r\n0123";
    struct client c;
    struct resp r[2];
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, head, 0);
    wait_responses(&c, 1); /* the 100 Continue */
    pause_ms(30);
    assert_int_equal(srv.requests, 0);
    client_send_str(&c, "456789");
    wait_responses(&c, 2);

    assert_int_equal(responses(&c, r, 2), 2);
    assert_int_equal(r[0].status, 100);
    assert_int_equal(r[1].status, 200);
    assert_string_equal(r[1].body, "0123456789");

    client_free(&c);
    server_stop();
}

static void test_request_while_reply_pending(void **state)
{
    struct client c;
    struct resp r[2];
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, "GET /async HTTP/1.1\r\n\r\n", 0);
    assert_true(run_until(request_seen, NULL, 2000));
    client_send_str(&c, "GET /hello HTTP/1.1\r\n\r\n");
    wait_responses(&c, 2);

    assert_int_equal(responses(&c, r, 2), 2);
    assert_string_equal(r[0].body, "async");
    assert_string_equal(r[1].body, "hello");

    client_free(&c);
    server_stop();
}

static void test_head_in_pieces_and_bare_lf(void **state)
{
    struct client c;
    struct resp r[2];
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, "\r\nGET /hel", 0);
    pause_ms(20);
    client_send_str(&c, "lo HTTP/1.1\r");
    pause_ms(20);
    client_send_str(&c, "\n\r");
    pause_ms(20);
    assert_int_equal(srv.requests, 0);
    client_send_str(&c, "\nGET /hello HTTP/1.1\n\n");
    wait_responses(&c, 2);

    assert_int_equal(responses(&c, r, 2), 2);
    assert_string_equal(r[0].body, "hello");
    assert_string_equal(r[1].body, "hello");

    client_free(&c);
    server_stop();
}

struct want_bytes {
    struct client *c;
    size_t n;
};

static bool have_bytes(void *arg)
{
    struct want_bytes *w = arg;

    return w->c->rx->end >= w->n;
}

/* A reply bigger than the socket buffer is queued: it must arrive whole,
 * before the next pipelined reply, and before a closing connection ends. */
static void test_big_reply_then_pipelined(void **state)
{
    static const char reqs[] = "GET /big HTTP/1.1\r\n\r\n"
                               "GET /hello HTTP/1.1\r\n\r\n"
                               "GET /big HTTP/1.1\r\nConnection: close\r\n\r\n";
    struct client c;
    struct want_bytes w = {&c, 2 * BIG_LEN};
    const char *text;
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, reqs, 0);
    assert_true(run_until(have_bytes, &w, 5000));
    assert_true(run_until(client_closed, &c, 5000));

    text = client_text(&c);
    assert_true(c.rx->end > 2 * BIG_LEN);
    assert_int_equal(strspn(strstr(text, "\r\n\r\n") + 4, "b"), BIG_LEN);
    assert_non_null(strstr(text + BIG_LEN, "hello"));
    assert_int_equal(srv.requests, 3);

    client_free(&c);
    server_stop();
}

/* A refusal: status, machine-readable code in the body, then the close. */
static void expect_refusal(const char *request, size_t len, const struct httpd_opts *opts,
                           uint16_t status, const char *code)
{
    struct client c;
    struct resp r[1];

    server_start(opts);
    client_open(&c, &srv.addr, request, len);
    wait_responses(&c, 1);
    assert_true(run_until(client_closed, &c, 2000));

    assert_int_equal(responses(&c, r, 1), 1);
    assert_int_equal(r[0].status, status);
    assert_true(r[0].conn_close);
    assert_non_null(strstr(r[0].body, code));
    assert_int_equal(srv.requests, 0);
    assert_int_equal(srv.refusals, 1);

    client_free(&c);
    assert_true(run_until(no_connections, NULL, 2000));
    server_stop();
}

static void test_413_body_too_large(void **state)
{
    struct httpd_opts opts = {.max_body = 1024};
    char req[8192];
    int n = re_snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    (void)state;

    /* part of the body follows the head: it must be discarded, not read */
    memset(req + n, 'x', sizeof(req) - n);
    expect_refusal(req, sizeof(req), &opts, 413, "body_too_large");
}

static void test_413_absurd_content_length(void **state)
{
    (void)state;
    expect_refusal("POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
                   NULL, 413, "body_too_large");
}

static void test_431_head_too_large(void **state)
{
    struct httpd_opts opts = {.max_head = 1024};
    char req[3000];
    int n = re_snprintf(req, sizeof(req), "GET /hello HTTP/1.1\r\nX-Big: ");
    (void)state;

    memset(req + n, 'a', sizeof(req) - n - 5);
    memcpy(req + sizeof(req) - 5, "\r\n\r\n", 5);
    expect_refusal(req, sizeof(req) - 1, &opts, 431, "headers_too_large");

    /* the same without an end: refused as soon as it passes the limit */
    expect_refusal(req, 2000, &opts, 431, "headers_too_large");
}

static void test_400_garbage(void **state)
{
    (void)state;
    expect_refusal("garbage\r\n\r\n", 0, NULL, 400, "bad_request");
    expect_refusal("GET /a HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", 0, NULL, 400, "bad_request");
    expect_refusal("GET /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, NULL,
                   400, "bad_request");
}

static void test_411_chunked(void **state)
{
    (void)state;
    expect_refusal(
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, NULL,
        411, "length_required");
}

static void test_505_version(void **state)
{
    (void)state;
    expect_refusal("GET /hello HTTP/2.0\r\n\r\n", 0, NULL, 505, "version_not_supported");
}

static void test_connection_close(void **state)
{
    static const char reqs[] = "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"
                               "GET /hello HTTP/1.1\r\n\r\n"; /* never answered */
    struct client c;
    struct resp r[2];
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, reqs, 0);
    assert_true(run_until(client_closed, &c, 2000));

    assert_int_equal(responses(&c, r, 2), 1);
    assert_int_equal(r[0].status, 200);
    assert_true(r[0].conn_close);
    assert_int_equal(srv.requests, 1);

    client_free(&c);
    assert_true(run_until(no_connections, NULL, 2000));
    server_stop();
}

static void test_http10(void **state)
{
    struct client c1, c2;
    struct resp r[1];
    (void)state;

    server_start(NULL);
    client_open(&c1, &srv.addr, "GET /hello HTTP/1.0\r\n\r\n", 0);
    client_open(&c2, &srv.addr, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0);
    assert_true(run_until(client_closed, &c1, 2000));
    wait_responses(&c2, 1);
    pause_ms(30);

    assert_int_equal(responses(&c1, r, 1), 1);
    assert_true(r[0].conn_close);
    assert_int_equal(responses(&c2, r, 1), 1);
    assert_true(r[0].conn_keepalive);
    assert_false(c2.closed);

    client_free(&c1);
    client_free(&c2);
    server_stop();
}

static void test_head_has_no_body(void **state)
{
    struct client c;
    (void)state;

    server_start(NULL);
    client_open(&c, &srv.addr, "HEAD /hello HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n", 0);
    wait_responses(&c, 1);
    pause_ms(30);

    /* the HEAD reply announces 5 bytes but carries none: the GET's
     * status line follows its empty line directly */
    assert_non_null(strstr(client_text(&c), "Content-Length: 5\r\n"));
    assert_non_null(strstr(client_text(&c), "\r\n\r\nHTTP/1.1 200 OK\r\n"));
    assert_int_equal(srv.requests, 2);

    client_free(&c);
    server_stop();
}

static void test_idle_timeout(void **state)
{
    struct httpd_opts opts = {.idle_timeout_ms = 100};
    struct client c;
    uint64_t t0 = tmr_jiffies();
    (void)state;

    server_start(&opts);
    client_open(&c, &srv.addr, NULL, 0);
    assert_true(run_until(client_closed, &c, 2000));
    assert_true(tmr_jiffies() - t0 >= 90);
    assert_true(run_until(no_connections, NULL, 2000));

    client_free(&c);
    server_stop();
}

static void test_reply_misuse(void **state)
{
    (void)state;
    assert_int_equal(httpd_reply(NULL, 200, "OK", NULL, NULL, NULL, 0), EINVAL);
    assert_int_equal(httpd_conn_count(NULL), 0);
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
        cmocka_unit_test(test_keepalive_two_requests),
        cmocka_unit_test(test_pipelined_in_order),
        cmocka_unit_test(test_async_reply),
        cmocka_unit_test(test_peer_gone_before_async_reply),
        cmocka_unit_test(test_body_in_pieces_and_continue),
        cmocka_unit_test(test_request_while_reply_pending),
        cmocka_unit_test(test_head_in_pieces_and_bare_lf),
        cmocka_unit_test(test_big_reply_then_pipelined),
        cmocka_unit_test(test_413_body_too_large),
        cmocka_unit_test(test_413_absurd_content_length),
        cmocka_unit_test(test_431_head_too_large),
        cmocka_unit_test(test_400_garbage),
        cmocka_unit_test(test_411_chunked),
        cmocka_unit_test(test_505_version),
        cmocka_unit_test(test_connection_close),
        cmocka_unit_test(test_http10),
        cmocka_unit_test(test_head_has_no_body),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_reply_misuse),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
