/*
 * ratelimit.h - counts failures per key (an account name, an address) and
 * locks the key out for a while once too many fall within a window.
 * Used for logins: per account against password guessing on one account,
 * per address against one client trying many accounts.
 */
#ifndef SB_AUTH_RATELIMIT_H
#define SB_AUTH_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

int ratelimit_alloc(struct ratelimit **rlp, unsigned max_failures, int64_t window_ms,
                    int64_t lockout_ms);
void ratelimit_free(struct ratelimit *rl);

/* Milliseconds the key stays locked out, 0 if it may try now. */
int64_t ratelimit_blocked(struct ratelimit *rl, const char *key, int64_t now_ms);
/* Record a failure; returns the lockout in ms that it triggered, or 0. */
int64_t ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now_ms);
/* Forget the key's failures (after a success). */
void ratelimit_reset(struct ratelimit *rl, const char *key);

#endif
