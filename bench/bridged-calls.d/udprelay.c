/*
 * bench/bridged-calls.d/udprelay.c - the baseline of bench/bridged-calls: a
 * bare UDP relay between pairs of sockets, the least a media relay can do.
 *
 *   udprelay PAIRS ECHO_PORT PORTS_FILE
 *
 * Binds PAIRS pairs of UDP sockets on 127.0.0.1 (ports chosen by the
 * system) and writes the port of each pair's first socket, one a line, to
 * PORTS_FILE; then relays, in one thread with epoll, until SIGTERM:
 *
 *   caller -> A[k] -> (from B[k]) -> 127.0.0.1:ECHO_PORT
 *   ECHO_PORT -> B[k] -> (from A[k]) -> where A[k] last heard from
 *
 * which is what Switchboard's media engine does for a bridged call whose
 * callee sits at ECHO_PORT, minus everything else (no RTP parsing, no
 * counters per leg, no RTCP). Each readable socket is read with
 * recvfrom() until EAGAIN and each packet sent on with one sendto().
 *
 * On SIGUSR1 and at the end it prints one line on stdout:
 *   relayed N to_echo N to_caller N errors N
 * (packets sent on in all, towards the echo, back towards the callers,
 * and sendto() failures).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct pair {
    int a, b;
    struct sockaddr_in peer; /* where A last heard from */
    bool latched;
};

static volatile sig_atomic_t report, stop;
static uint64_t to_echo, to_caller, errors;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        report = 1;
    else
        stop = 1;
}

static int bound_socket(uint16_t *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("udprelay: socket");
        exit(1);
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static void print_counts(void)
{
    printf("relayed %llu to_echo %llu to_caller %llu errors %llu\n",
           (unsigned long long)(to_echo + to_caller), (unsigned long long)to_echo,
           (unsigned long long)to_caller, (unsigned long long)errors);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: udprelay PAIRS ECHO_PORT PORTS_FILE\n");
        return 2;
    }
    int n = atoi(argv[1]);
    struct sockaddr_in echo = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[2])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct pair *pairs = calloc((size_t)n, sizeof(*pairs));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    FILE *ports = fopen(argv[3], "w");

    if (n <= 0 || !pairs || ep < 0 || !ports) {
        fprintf(stderr, "udprelay: bad arguments or out of resources\n");
        return 1;
    }
    for (int k = 0; k < n; k++) {
        uint16_t pa, pb;
        struct epoll_event ev = {.events = EPOLLIN};

        pairs[k].a = bound_socket(&pa);
        pairs[k].b = bound_socket(&pb);
        ev.data.u64 = (uint64_t)k << 1;
        epoll_ctl(ep, EPOLL_CTL_ADD, pairs[k].a, &ev);
        ev.data.u64 = (uint64_t)k << 1 | 1;
        epoll_ctl(ep, EPOLL_CTL_ADD, pairs[k].b, &ev);
        fprintf(ports, "%u\n", pa);
    }
    fclose(ports);

    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait returns */
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct epoll_event evs[256];
    uint8_t buf[2048];
    while (!stop) {
        if (report) {
            report = 0;
            print_counts();
        }
        int m = epoll_wait(ep, evs, 256, -1);
        if (m < 0) {
            if (errno == EINTR)
                continue;
            perror("udprelay: epoll_wait");
            return 1;
        }
        for (int i = 0; i < m; i++) {
            struct pair *p = &pairs[evs[i].data.u64 >> 1];
            bool from_b = evs[i].data.u64 & 1;
            int in = from_b ? p->b : p->a, out = from_b ? p->a : p->b;

            for (;;) {
                struct sockaddr_in src;
                socklen_t slen = sizeof(src);
                ssize_t len = recvfrom(in, buf, sizeof(buf), 0, (struct sockaddr *)&src, &slen);

                if (len < 0)
                    break; /* EAGAIN: drained */
                if (!from_b) {
                    p->peer = src;
                    p->latched = true;
                    if (sendto(out, buf, (size_t)len, 0, (struct sockaddr *)&echo, sizeof(echo)) <
                        0)
                        errors++;
                    else
                        to_echo++;
                } else if (p->latched) {
                    if (sendto(out, buf, (size_t)len, 0, (struct sockaddr *)&p->peer,
                               sizeof(p->peer)) < 0)
                        errors++;
                    else
                        to_caller++;
                }
            }
        }
    }
    print_counts();
    return 0;
}
