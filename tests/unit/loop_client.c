/*
 * loop_client.c - loop runner and raw TCP client for unit tests (see
 * loop_client.h).
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

#include "loop_client.h"

/* ---- running the loop until something happens ---- */

static struct tmr poll_tmr;
static cond_h *poll_cond;
static void *poll_arg;
static uint64_t poll_deadline;

static void poll_handler(void *arg)
{
    (void)arg;
    if (poll_cond(poll_arg) || tmr_jiffies() >= poll_deadline) {
        re_cancel();
        return;
    }
    tmr_start(&poll_tmr, 1, poll_handler, NULL);
}

/* Run the loop until cond holds or timeout_ms pass; returns cond. */
bool run_until(cond_h *cond, void *arg, unsigned timeout_ms)
{
    poll_cond = cond;
    poll_arg = arg;
    poll_deadline = tmr_jiffies() + timeout_ms;
    tmr_start(&poll_tmr, 0, poll_handler, NULL);
    re_main(NULL);
    tmr_cancel(&poll_tmr);
    return cond(arg);
}

bool never(void *arg)
{
    (void)arg;
    return false;
}

/* Let the loop run for a while (to split what the server receives). */
void pause_ms(unsigned ms)
{
    (void)run_until(never, NULL, ms);
}

/* ---- the client: raw bytes out, everything received kept ---- */

void client_send(struct client *c, const void *data, size_t len)
{
    struct mbuf *mb = mbuf_alloc(len);

    assert_non_null(mb);
    assert_int_equal(mbuf_write_mem(mb, data, len), 0);
    mb->pos = 0;
    assert_int_equal(tcp_send(c->tc, mb), 0);
    mem_deref(mb);
}

void client_send_str(struct client *c, const char *s)
{
    client_send(c, s, strlen(s));
}

static void client_estab(void *arg)
{
    struct client *c = arg;

    if (c->first)
        client_send(c, c->first, c->first_len);
}

static void client_recv(struct mbuf *mb, void *arg)
{
    struct client *c = arg;

    c->rx->pos = c->rx->end;
    assert_int_equal(mbuf_write_mem(c->rx, mbuf_buf(mb), mbuf_get_left(mb)), 0);
}

static void client_close(int err, void *arg)
{
    struct client *c = arg;
    (void)err;

    c->closed = true;
}

static const int one = 1;

void client_open(struct client *c, const struct sa *srv, const char *first, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->rx = mbuf_alloc(1024);
    c->first = first;
    c->first_len = first ? (len ? len : strlen(first)) : 0;
    assert_non_null(c->rx);
    assert_int_equal(tcp_connect(&c->tc, srv, client_estab, client_recv, client_close, c), 0);
    /* no Nagle: bytes sent apart must reach the server apart */
    assert_int_equal(setsockopt(tcp_conn_fd(c->tc), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
                     0);
}

void client_free(struct client *c)
{
    c->tc = mem_deref(c->tc);
    c->rx = mem_deref(c->rx);
}

/* What was received, as a C string (for strstr). */
const char *client_text(struct client *c)
{
    c->rx->pos = c->rx->end;
    assert_int_equal(mbuf_write_u8(c->rx, 0), 0);
    c->rx->end--;
    c->rx->pos = 0;
    return (const char *)c->rx->buf;
}

bool client_closed(void *arg)
{
    return ((struct client *)arg)->closed;
}
