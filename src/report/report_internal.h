/*
 * report_internal.h - the reporting service's state, shared by its files
 * (service.c, surveys.c, metrics.c).
 */
#ifndef SB_REPORT_REPORT_INTERNAL_H
#define SB_REPORT_REPORT_INTERNAL_H

#include "core/libre.h"
#include "report/report.h"

#include <stdbool.h>
#include <stdint.h>

struct app;
struct events_sub;

struct report {
    struct app *app;
    struct report_fold *fold;
    struct events_sub *sub;
    struct report_table *pending; /* increments not yet stored */
    struct report_table *today;   /* the organisation's current day */
    struct report_table *totals;  /* since start, all in bucket 0 */
    size_t npending;
    int64_t cursor;        /* last event folded */
    int64_t stored_cursor; /* last event whose increments are stored */
    int64_t today_start;
    struct tz *tz;
    struct schedule *hours;
    int sl_seconds;
    struct tmr tmr;
    int64_t last_publish; /* monotonic ms */
    int64_t accrued_at;   /* agents' state time is counted up to here */
    bool dirty;
};

#endif
