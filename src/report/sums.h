/*
 * sums.h - the reports' sums in the store (table report_buckets, and the
 * cursor in report_state): shared by the service and bench/report.
 */
#ifndef SB_REPORT_SUMS_H
#define SB_REPORT_SUMS_H

#include <stdint.h>

struct store;
struct report_table;

/* Add the stored sums of buckets in [from, to) of one or two scopes to t.
 * With group_ms > 0 the store adds up the buckets of each interval of
 * group_ms whose local start is a multiple of it (local = UTC + offset_ms;
 * valid when the offset is the same over the whole range): each interval
 * comes as one bucket within it (its first), which report_rows() places
 * in the same interval. */
int report_sums_load(struct store *st, struct report_table *t, const char *scope1,
                     const char *scope2, int64_t from, int64_t to, int64_t group_ms,
                     int64_t offset_ms);
/* Add t to the stored sums and set the cursor (and, when not 0, the time
 * up to which every agent's state time is in the sums), in one
 * transaction. */
int report_sums_add(struct store *st, const struct report_table *t, int64_t cursor,
                    int64_t accrued_at);
/* A value of report_state ('cursor', 'accruedAt'); 0 when absent. */
int64_t report_sums_state(struct store *st, const char *name);

#endif
