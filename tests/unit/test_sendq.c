/*
 * test_sendq.c - unit tests for the gathered, threaded socket output of
 * long-lived connections (src/http/sendq.c).
 *
 * One end of a socket pair goes to a sendq_conn on a real libre loop (with
 * its send thread); the test holds the other end, reads it (or not, to
 * play a slow reader) and writes to it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "http/sendq.h"

#include "loop_client.h"

static struct sendq *q;

struct side {
    struct sendq_conn *c;
    int peer;              /* the test's end */
    struct mbuf *got;      /* what the peer read */
    struct mbuf *received; /* what the conn read (its recv handler) */
    bool closed;           /* its close handler ran */
    int close_err;
    bool peer_eof;
};

static void on_recv(const uint8_t *data, size_t len, void *arg)
{
    struct side *s = arg;
    assert_int_equal(mbuf_write_mem(s->received, data, len), 0);
}

static void on_close(int err, void *arg)
{
    struct side *s = arg;
    assert_false(s->closed); /* once */
    s->closed = true;
    s->close_err = err;
}

static void side_open(struct side *s, int sndbuf)
{
    int fds[2];
    memset(s, 0, sizeof(*s));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    if (sndbuf) {
        assert_int_equal(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
        assert_int_equal(setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)), 0);
    }
    assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
    s->peer = fds[1];
    s->got = mbuf_alloc(1024);
    s->received = mbuf_alloc(64);
    assert_int_equal(sendq_conn_alloc(&s->c, q, fds[0], on_recv, on_close, s), 0);
}

static void side_close(struct side *s)
{
    sendq_conn_release(s->c);
    s->c = mem_deref(s->c);
    close(s->peer);
    mem_deref(s->got);
    mem_deref(s->received);
}

/* Read what the peer has, without waiting. */
static void peer_read(struct side *s)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = recv(s->peer, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            assert_int_equal(mbuf_write_mem(s->got, buf, (size_t)n), 0);
            continue;
        }
        if (n == 0)
            s->peer_eof = true;
        return;
    }
}

struct until_bytes {
    struct side *s;
    size_t n;
};

static bool peer_has(void *arg)
{
    struct until_bytes *u = arg;
    peer_read(u->s);
    return u->s->got->end >= u->n;
}

static bool peer_eof(void *arg)
{
    struct side *s = arg;
    peer_read(s);
    return s->peer_eof;
}

static bool conn_received_5(void *arg)
{
    return ((struct side *)arg)->received->end >= 5;
}

static bool conn_closed(void *arg)
{
    return ((struct side *)arg)->closed;
}

/* Bytes numbered so that any reordering, loss or repeat shows. */
static void pattern(uint8_t *p, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((from + i) * 7 + ((from + i) >> 8));
}

static void assert_pattern(const struct mbuf *mb, size_t n)
{
    uint8_t *want = malloc(n);
    assert_non_null(want);
    pattern(want, n, 0);
    assert_int_equal(mb->end, n);
    assert_memory_equal(mb->buf, want, n);
    free(want);
}

/* Many appends over several turns arrive whole and in order. */
static void test_order(void **state)
{
    (void)state;
    struct side s;
    side_open(&s, 0);
    size_t at = 0;
    for (int turn = 0; turn < 20; turn++) {
        for (int k = 0; k < 50; k++) {
            uint8_t a[37], b[91];
            pattern(a, sizeof(a), at);
            pattern(b, sizeof(b), at + sizeof(a));
            assert_int_equal(sendq_append(s.c, a, sizeof(a), b, sizeof(b)), 0);
            at += sizeof(a) + sizeof(b);
        }
        pause_ms(turn % 3); /* some turns end before the last write is done */
    }
    struct until_bytes u = {&s, at};
    assert_true(run_until(peer_has, &u, 3000));
    assert_pattern(s.got, at);
    side_close(&s);
}

/* A reader that stops: what its socket does not take waits in the
 * backlog, later bytes queue behind it, and all arrive once it reads. */
static void test_slow_reader(void **state)
{
    (void)state;
    struct side s;
    side_open(&s, 4096);
    enum { CHUNK = 8192, CHUNKS = 40 }; /* 320 KiB: far more than the buffers */
    static uint8_t chunk[CHUNK];
    for (size_t i = 0; i < CHUNKS; i++) {
        pattern(chunk, CHUNK, i * CHUNK);
        assert_int_equal(sendq_append(s.c, chunk, CHUNK, NULL, 0), 0);
        pause_ms(1);
    }
    struct until_bytes u = {&s, (size_t)CHUNK * CHUNKS};
    assert_true(run_until(peer_has, &u, 5000));
    assert_pattern(s.got, (size_t)CHUNK * CHUNKS);
    side_close(&s);
}

/* A reader that never reads fails once its backlog passes the bound:
 * writes are refused, and the peer sees the end of the stream. */
static void test_backlog_bound(void **state)
{
    (void)state;
    struct side s;
    side_open(&s, 4096);
    static uint8_t chunk[65536];
    int err = 0;
    for (size_t i = 0; i < 4 * SENDQ_MAX_BACKLOG / sizeof(chunk) && !err; i++) {
        err = sendq_append(s.c, chunk, sizeof(chunk), NULL, 0);
        pause_ms(1);
    }
    assert_int_equal(err, EPIPE);
    assert_true(run_until(peer_eof, &s, 3000));
    side_close(&s);
}

/* The write side is shut once what was appended before has left. */
static void test_shutdown_after_drain(void **state)
{
    (void)state;
    struct side s;
    side_open(&s, 0);
    uint8_t data[3000];
    pattern(data, sizeof(data), 0);
    assert_int_equal(sendq_append(s.c, data, 1000, NULL, 0), 0);
    pause_ms(2);
    assert_int_equal(sendq_append(s.c, data + 1000, 2000, NULL, 0), 0);
    sendq_conn_shutdown(s.c);
    assert_int_equal(sendq_append(s.c, "x", 1, NULL, 0), EPIPE);
    assert_true(run_until(peer_eof, &s, 3000));
    assert_pattern(s.got, sizeof(data));
    assert_false(s.closed); /* reads go on */
    assert_int_equal(send(s.peer, "hello", 5, 0), 5);
    assert_true(run_until(conn_received_5, &s, 2000));
    assert_memory_equal(s.received->buf, "hello", 5);
    side_close(&s);
}

/* Reads reach the handler; the peer's close is told once, with 0. */
static void test_reads_and_close(void **state)
{
    (void)state;
    struct side s;
    side_open(&s, 0);
    assert_int_equal(send(s.peer, "abcde", 5, 0), 5);
    assert_true(run_until(conn_received_5, &s, 2000));
    assert_int_equal(s.received->end, 5);
    assert_memory_equal(s.received->buf, "abcde", 5);
    shutdown(s.peer, SHUT_WR);
    assert_true(run_until(conn_closed, &s, 2000));
    assert_int_equal(s.close_err, 0);
    side_close(&s);
}

/* Released with writes gathered and in flight: nothing is touched after
 * (ASan would see it), and the descriptor closes (the peer sees EOF). */
static void test_release_in_flight(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        struct side s;
        side_open(&s, 0);
        uint8_t data[512] = {0};
        assert_int_equal(sendq_append(s.c, data, sizeof(data), NULL, 0), 0);
        if (i % 2)
            pause_ms(0); /* the write is handed to the send thread */
        sendq_conn_release(s.c);
        s.c = mem_deref(s.c);
        assert_true(run_until(peer_eof, &s, 2000));
        close(s.peer);
        mem_deref(s.got);
        mem_deref(s.received);
    }
}

static int group_setup(void **state)
{
    (void)state;
    int err = libre_init();
    return err ? err : sendq_alloc(&q, 1);
}

static int group_teardown(void **state)
{
    (void)state;
    pause_ms(10); /* writes in flight come back */
    q = mem_deref(q);
    libre_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),           cmocka_unit_test(test_slow_reader),
        cmocka_unit_test(test_backlog_bound),   cmocka_unit_test(test_shutdown_after_drain),
        cmocka_unit_test(test_reads_and_close), cmocka_unit_test(test_release_in_flight),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
