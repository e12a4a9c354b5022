/*
 * loop_client.h - for unit tests of network code: run the libre loop until
 * a condition holds, and a raw TCP client on the same loop that sends
 * exactly the bytes a test gives and keeps everything it receives.
 */
#ifndef SB_TESTS_LOOP_CLIENT_H
#define SB_TESTS_LOOP_CLIENT_H

#include "core/libre.h"

typedef bool(cond_h)(void *arg);

/* Run the loop until cond holds or timeout_ms pass; returns cond. */
bool run_until(cond_h *cond, void *arg, unsigned timeout_ms);
bool never(void *arg);
/* Let the loop run for a while (to split what a server receives). */
void pause_ms(unsigned ms);

struct client {
    struct tcp_conn *tc;
    struct mbuf *rx;
    const char *first; /* sent once connected */
    size_t first_len;
    bool closed;
};

/* Connect to srv (TCP_NODELAY); `first` (len bytes, 0: strlen) is sent
 * once connected. */
void client_open(struct client *c, const struct sa *srv, const char *first, size_t len);
void client_free(struct client *c);
void client_send(struct client *c, const void *data, size_t len);
void client_send_str(struct client *c, const char *s);
/* What was received, as a C string (for strstr). */
const char *client_text(struct client *c);
bool client_closed(void *arg);

#endif
