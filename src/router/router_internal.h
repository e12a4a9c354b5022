/*
 * router_internal.h - the router engine's private data model, shared by
 * the files of src/router/ (never included outside it).
 *
 * Ownership: the router owns every object through its id maps; jobs own
 * their offers (live and past, so a late accept gets the right error) and
 * their assignment; workers and jobs only point at each other through
 * offers and assignments. Everything that matching touches is kept small
 * and interned (label keys, string values, channel ids -> uint32 symbols)
 * so that eligibility is integer compares, not string work.
 */
#ifndef SB_ROUTER_INTERNAL_H
#define SB_ROUTER_INTERNAL_H

#include "router/expr.h"
#include "router/jobq.h"
#include "router/rmap.h"
#include "router/router.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define SYM_NONE      0u
#define EXPL_TOP      5  /* candidates listed in an explanation */
#define MAX_SELECTORS 64 /* per job; expiry is tracked in a 64-bit mask */
#define MAX_RULES     64 /* per exception policy; fired set is a 64-bit mask */
#define ID_MAX        64 /* offer and assignment ids */
#define MAX_CHANNELS  8  /* per worker (plus as many hidden, see worker.c) */

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Each member of a JSON object: json_object_foreach with three library
 * calls per member instead of five (it finds the iterator again from the
 * key twice), for the objects every job brings. */
/* A member name (of length len) is the literal lit: compared inline. */
#define KEY_IS(key, len, lit) ((len) == sizeof(lit) - 1 && !memcmp((key), (lit), sizeof(lit) - 1))

#define OBJECT_EACH(obj, it, key, v)                                                               \
    for (void *it = json_object_iter((json_t *)(obj));                                             \
         it && ((key) = json_object_iter_key(it), (v) = json_object_iter_value(it), 1);            \
         it = json_object_iter_next((json_t *)(obj), it))

/* ---- symbols and labels ---- */

struct symtab {
    struct rmap *map; /* string -> sym */
    char **names;     /* sym -> string; [0] unused */
    json_t **json;    /* sym -> its JSON string, made when first needed */
    uint32_t *kidx;   /* sym -> its index as a worker label key, 0: none yet */
    uint32_t n, cap;
    uint32_t nkeys; /* worker label keys indexed so far */
    /* Recently interned strings by length and a few bytes: every job
     * brings the same channel ids and label keys, and this check is a
     * third of a hash table lookup. */
    struct {
        uint32_t sym, len;
    } recent[256];
};

/* Worker label keys up to this index are found in one step (a table per
 * worker, as long as its own highest key index); beyond it (a very large
 * set of keys), by binary search. */
#define KEYS_INDEXED 256

enum lab_type { LAB_NONE = 0, LAB_STR, LAB_NUM, LAB_BOOL };

struct lval {
    uint8_t type;
    bool b;
    uint32_t sym; /* LAB_STR: interned value, or SYM_NONE (a job's: compared by text) */
    double num;
    const char *str; /* LAB_STR: text (interner's or the owner's JSON) */
};

struct label {
    uint32_t key;
    struct lval v;
};

/* A worker's label value as selectors compare it (worker labels and
 * selector values are interned, so a string is its symbol): 16 bytes, so
 * a candidate's value for a key is one read in a table by key index. */
struct kval {
    uint8_t type; /* LAB_NONE: the worker has no such label */
    bool b;
    uint32_t sym;
    double num;
};

struct labels { /* sorted by key, so lookups are a short binary search */
    struct label *v;
    unsigned n;    /* job labels: their copied strings follow v[] in the same block */
    bool borrowed; /* v lives in its owner's block (a job's): not freed alone */
};

enum sel_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct selector {
    uint32_t key;
    uint8_t op;
    struct lval v;
    int64_t expires_after; /* ms after enqueue; 0: never */
};

struct selset {
    struct selector *v;
    unsigned n;
    bool borrowed; /* as for labels */
};

/* ---- deadlines (min-heap, see deadline.c) ---- */

enum dl_kind {
    DL_OFFER_EXPIRY,
    DL_JOB_SELECTOR,
    DL_JOB_WAIT,
    DL_JOB_ACTIVATE,
    DL_CLOSE,
    DL_DECLINE_RETRY,
    DL_SCORE_TIMEOUT,
};

struct deadline {
    int64_t at;
    uint64_t seq; /* ties: first set, first due (deterministic) */
    unsigned idx; /* position in the heap; UINT_MAX when not scheduled */
    uint8_t kind;
};

struct dlheap {
    struct deadline **v;
    unsigned n, cap;
};

/* ---- policies ---- */

enum dist_mode { MODE_LONGEST_IDLE, MODE_ROUND_ROBIN, MODE_SERIAL, MODE_BEST_WORKER };

struct dpolicy {
    char *id;
    json_t *spec;
    int64_t ttl;
    enum dist_mode mode;
    unsigned min_offers, max_offers;
    bool bypass;
    struct rmap *serial_rank; /* worker id -> index + 1 */
    struct expr *score;       /* best-worker; NULL: default score */
    char *hook_url;           /* best-worker scoring webhook; NULL: none */
    int64_t hook_timeout;     /* ms */
    bool descending;
    unsigned unavail_after;
    char *unavail_reason;
};

enum qsel_kind { QS_STATIC, QS_CONDITIONAL, QS_EXPRESSION, QS_WEIGHTED };

struct qalloc {
    double weight;
    char *queue_id;
};

struct qsel {
    enum qsel_kind kind;
    char *queue_id;
    struct expr *e;
    struct qalloc *allocs;
    unsigned nallocs;
};

struct wsel { /* static: one selector, cond NULL; conditional: cond + list */
    struct expr *cond;
    struct selset sels;
};

struct cpolicy {
    char *id;
    json_t *spec;
    char *fallback;
    struct qsel *qs;
    unsigned nqs;
    struct wsel *ws;
    unsigned nws;
    bool has_prio;
    int prio;
    struct expr *prio_expr;
};

enum trig_kind { TRIG_WAIT_TIME, TRIG_QUEUE_LENGTH };
enum act_kind { ACT_CANCEL, ACT_RECLASSIFY, ACT_MANUAL };

struct eaction {
    enum act_kind kind;
    char *disposition;
    char *cp_id;
    json_t *labels;
    char *queue_id;
    bool has_prio;
    int prio;
    bool has_sels;
    struct selset sels;
};

struct erule {
    char *id;
    enum trig_kind kind;
    int64_t wait;
    unsigned length;
    struct eaction *acts;
    unsigned nacts;
};

struct epolicy {
    char *id;
    json_t *spec;
    struct erule *rules;
    unsigned nrules;
};

/* ---- queues and workers ---- */

struct lane { /* one channel's jobs of a queue, in matching order */
    uint32_t chan;
    struct jobq order;
};

struct wslot; /* a worker's membership in one queue */

struct chanset { /* serving workers with room for one channel's job now */
    uint32_t chan;
    struct wslot **v;
    struct worker **w; /* v[i]->w, read by every new job's scan */
    unsigned n, cap;
};

struct queue {
    char *id;
    json_t *spec;
    struct dpolicy *dp;
    struct epolicy *ep;
    unsigned max_length; /* 0: unlimited */
    struct lane *lanes;
    unsigned nlanes;
    unsigned length;     /* queued jobs */
    struct wslot **open; /* serving workers available with some room */
    unsigned nopen, open_cap;
    struct chanset *csets; /* the same per channel: what a new job scans */
    unsigned ncsets;
    unsigned nworkers;
    uint32_t rr_last; /* worker id sym last offered (round-robin) */
    double ewma_gap;  /* ms between dequeues, for estimated wait */
    double ewma_wait; /* ms waited by dequeued jobs */
    int64_t last_dequeue;
    unsigned dequeues;
};

struct wchan {
    uint32_t chan;
    int cost, max, jobs;
};

struct wslot {
    struct worker *w;
    struct queue *q;
    unsigned open_idx;               /* in q->open, UINT_MAX when not there */
    unsigned cidx[2 * MAX_CHANNELS]; /* per worker channel, in its chanset */
    unsigned csi[2 * MAX_CHANNELS];  /* per worker channel, its chanset in q->csets */
};

struct offer;
struct assignment;

struct worker {
    /* what a scan of candidates reads, together */
    struct kval *kv; /* label values by key index (below nkv; [0] absent) */
    uint32_t nkv;
    int capacity, used;
    int64_t idle_since;
    uint32_t name;
    bool available, open;
    uint32_t chan_open;   /* bit i: room for a job of chans[i] */
    struct offer *offers; /* live, via w_next */
    unsigned noffers;
    unsigned nchans;
    struct wchan chans[2 * MAX_CHANNELS]; /* inline: read at every offer */
    /* the rest */
    char *id;
    json_t *spec;
    struct labels labels;
    struct wslot *slots;
    unsigned nslots;
    char *reason;
    unsigned expiries;       /* consecutive */
    struct assignment *asgs; /* via next */
};

/* ---- jobs, offers, assignments ---- */

enum job_state {
    JS_CREATED,
    JS_PENDING_CLASSIFICATION,
    JS_QUEUED,
    JS_ASSIGNED,
    JS_COMPLETED,
    JS_CLOSED,
    JS_CANCELLED,
    JS_CLASSIFICATION_FAILED,
    JS_WAITING,
    JS_SUSPENDED,
};

enum offer_state { OF_LIVE, OF_ACCEPTED, OF_DECLINED, OF_EXPIRED, OF_REVOKED };

enum trigger {
    TR_JOB_QUEUED,
    TR_WORKER_FREED,
    TR_SELECTOR_EXPIRED,
    TR_RETRY,
    TR_OFFER_ENDED,
    TR_RESTORE
};

enum scored_by { SCORED_LOCAL, SCORED_WEBHOOK, SCORED_WEBHOOK_FAILED };

struct explain {
    uint8_t mode, trigger;
    bool bypass;
    uint8_t scored_by; /* enum scored_by */
    uint8_t from_hook; /* bit i: cand[i]'s score came from the webhook */
    unsigned considered, eligible, skipped_jobs;
    unsigned rej_capacity, rej_selectors, rej_declined, rej_offered;
    unsigned ncand;
    struct {
        uint32_t worker;
        double score, share;
        int64_t idle_since;
        bool chosen;
    } cand[EXPL_TOP];
    uint64_t expired_mask; /* over the job's selectors, requested then attached */
    unsigned nsel;
    char *rule; /* exception rule that moved the job, if any */
};

struct offer {
    char id[ID_MAX];
    struct job *job;
    struct worker *w; /* NULL once over */
    uint32_t worker;  /* worker id sym, kept after the offer ends */
    uint32_t chan;
    int cost;
    int64_t issued_at, expires_at, ended_at;
    enum offer_state state;
    struct deadline dl;
    struct offer *j_next, *j_prev; /* job's live offers */
    struct offer *w_next, *w_prev; /* worker's live offers */
    struct offer *h_next;          /* job's offer history */
    bool has_ex;                   /* restored offers have none */
    struct explain ex;
};

struct assignment {
    char id[ID_MAX];
    char offer_id[ID_MAX];
    struct job *job;
    struct worker *w;
    uint32_t chan;
    int cost;
    int64_t assigned_at, completed_at, close_at, released_at;
    uint32_t worker; /* worker id sym, kept after release */
    json_t *id_json; /* the id for events, made at the first */
    struct deadline dl;
    struct assignment *next, *prev; /* worker's assignments */
};

struct decline {
    struct job *job;
    uint32_t worker;
    int64_t retry_at; /* INT64_MAX: never again */
    struct deadline dl;
    struct decline *next;
};

/* A score request the engine waits for (scoring.c). */
struct scoring {
    char id[ID_MAX];
    struct job *job;
    uint32_t *cands; /* worker id syms, sorted */
    unsigned ncands;
    uint8_t why; /* the trigger that asked */
    bool again;  /* matching was triggered for the job meanwhile */
    struct deadline dl;
};

struct job {
    char *id;
    uint32_t hash;   /* of the id, in r->jobs */
    bool registered; /* in r->jobs (not a refused create) */
    void *room;      /* in the job's block: its labels and selectors from the spec */
    /* Only the spec's opaque parts (tags, notes, matchingMode, ...) are
     * kept as JSON, usually none: a job waits long, its memory goes cold,
     * and a cold JSON tree costs microseconds to free. */
    json_t *extra;
    json_t *labels_json; /* labels after an upsert; NULL: from `labels` */
    struct labels labels;
    uint32_t chan;
    char *cp_id;
    enum job_state state;
    struct queue *queue; /* NULL once the job is over and its queue deleted */
    char *queue_id;      /* the deleted queue's id, for views */
    int priority;
    int64_t created_at, enqueued_at, schedule_at;
    uint64_t seq;
    struct selset requested, attached;
    struct jobq_node *node;
    bool in_queue;
    struct offer *offers; /* live */
    unsigned noffers;
    struct offer *hist, *hist_tail;
    struct assignment *asg;
    struct decline *declines;
    struct scoring *scoring; /* waiting for webhook scores; NULL: not */
    struct deadline dl_sel, dl_wait, dl_act;
    uint64_t fired;      /* rules of the current queue's policy already fired */
    json_t *exceptions;  /* history */
    char *disposition;   /* NULL, disp_short or allocated: see job_set_disposition */
    char disp_short[24]; /* most dispositions ("done", "resolved") fit here */
    char *last_rule;
    struct job *prev, *next; /* creation order */
};

/* ---- the router ---- */

struct cand {
    struct worker *w;
    unsigned k0;
    double k1, score;
    int64_t k2;
    bool hooked; /* score from the webhook */
};

enum ev_slot {
    EVD_QUEUED,
    EVD_OFFER,
    EVD_ACCEPTED,
    EVD_ASSIGNED,
    EVD_COMPLETED,
    EVD_CLOSED,
    EVD_REVOKED,
    EVD_WORKER,
    EVD_COUNT
};

#define EVD_FIELDS 3 /* most fields an event data object has */

/* A reused event data object and its members by key (a string literal,
 * compared by address), each with its value and an iterator at it, so
 * refreshing a member costs no hash lookup and no allocation. */
struct evslot {
    json_t *o;
    struct {
        const char *key;
        json_t *v;  /* the member's value; NULL: absent */
        void *iter; /* json_object_iter_at(o, key); valid while the keys stay */
    } f[EVD_FIELDS];
};

/* Freed objects of one size kept for the next (offers, assignments: one
 * of each per decision, and malloc + free were a tenth of one). */
struct pool {
    void *free; /* each free object's first word links the next */
};

struct router {
    struct router_opts opts;
    struct pool offer_pool, asg_pool;
    struct evslot evd[EVD_COUNT]; /* reused event data, see evdata() */
    struct rmap *jobs, *workers, *queues, *dps, *cps, *eps, *offers;
    struct rmap *scorings; /* request id -> struct scoring */
    struct symtab syms;
    struct dlheap heap;
    int64_t now;
    int64_t rematch_at; /* after restore: a full matching pass; INT64_MAX: none */
    uint64_t seq, dl_seq, offer_seq, asg_seq, score_seq, rng;
    struct job *first, *last;
    struct job *found; /* the job job_find found last: calls on one job come in a row */
    struct cand *cands;
    unsigned ncands_cap;
    unsigned exc_depth;
    char why[512];
};

/* router.c */
void emit(struct router *r, enum router_event_type type, const struct job *j, const char *worker_id,
          const char *queue_id, const char *offer_id, json_t *data);
json_t *evdata(struct router *r, enum ev_slot slot);
/* Set a member of slot's object, just returned by evdata(); key: a
 * string literal. */
void evdata_int(struct router *r, enum ev_slot slot, const char *key, json_int_t v);
void evdata_str(struct router *r, enum ev_slot slot, const char *key, const char *s);
/* Set a member to v (the reference is taken). */
void evdata_set(struct router *r, enum ev_slot slot, const char *key, json_t *v);
/* Set a member to the string of a symbol (shared, made once). */
void evdata_sym(struct router *r, enum ev_slot slot, const char *key, uint32_t sym);
int bad(struct router *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The id of a job spec or snapshot, checked to be given and new: EINVAL
 * with `missing` as the explanation, or EEXIST. */
int job_new_id(struct router *r, const json_t *spec, const char *missing, const char **idp,
               uint32_t *hash);
/* Make the job known by id and last in creation order. */
void job_register(struct router *r, struct job *j);
void router_sync(struct router *r, int64_t now);
void make_id(struct router *r, char *out, size_t size, const char *prefix, uint64_t *counter);
double router_random(struct router *r);
uint32_t router_rand32(struct router *r);
void *xcalloc(size_t n, size_t size);
/* A zeroed object of `size` from the pool (or the heap); back with
 * pool_put (it may come from xcalloc too). */
void *pool_get(struct pool *p, size_t size);
void pool_put(struct pool *p, void *obj);
char *xstrdup(const char *s);
int64_t seconds_to_ms(double s);

/* labels.c */
int symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);
uint32_t sym_intern(struct router *r, const char *s);
/* The same for a string of known length (a JSON key or string value). */
uint32_t sym_intern_n(struct router *r, const char *s, size_t len);
uint32_t sym_find(const struct router *r, const char *s);
const char *sym_name(const struct router *r, uint32_t sym);
/* The symbol as a JSON string, owned by the table (borrowed reference). */
json_t *sym_json(struct router *r, uint32_t sym);
int labels_parse(struct router *r, const json_t *obj, bool intern_values, struct labels *out,
                 const char *ctx);
/* The same into `room` (labels_room bytes of the caller's block; NULL:
 * allocated): a job's labels and selectors live in the job's block. */
size_t labels_room(const json_t *obj, bool intern_values);
int labels_parse_in(struct router *r, const json_t *obj, bool intern_values, struct labels *out,
                    const char *ctx, void *room);
void labels_free(struct labels *l);
const struct lval *labels_find(const struct labels *l, uint32_t key);
int selectors_parse(struct router *r, const json_t *arr, struct selset *out, const char *ctx,
                    const char *field);
size_t selectors_room(const json_t *arr);
int selectors_parse_in(struct router *r, const json_t *arr, struct selset *out, const char *ctx,
                       const char *field, void *room);
void selset_free(struct selset *s);
/* Equal label values (strings by symbol when both have one). */
static inline bool lval_same(const struct lval *a, const struct lval *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case LAB_STR:
        if (a->sym && b->sym)
            return a->sym == b->sym;
        return strcmp(a->str, b->str) == 0;
    case LAB_NUM:
        return a->num == b->num;
    case LAB_BOOL:
        return a->b == b->b;
    default:
        return false;
    }
}
/* Does a worker's value (type LAB_NONE: absent) satisfy the selector?
 * As selector_test, for interned values. */
static inline bool selector_test_kv(const struct selector *s, const struct kval *v)
{
    bool eq;
    switch ((enum sel_op)s->op) {
    case OP_EQ:
    case OP_NE:
        eq = v->type == s->v.type && (v->type == LAB_STR    ? v->sym == s->v.sym
                                      : v->type == LAB_NUM  ? v->num == s->v.num
                                      : v->type == LAB_BOOL ? v->b == s->v.b
                                                            : false);
        return s->op == OP_EQ ? eq : !eq;
    case OP_LT:
        return v->type == LAB_NUM && v->num < s->v.num;
    case OP_LE:
        return v->type == LAB_NUM && v->num <= s->v.num;
    case OP_GT:
        return v->type == LAB_NUM && v->num > s->v.num;
    case OP_GE:
        return v->type == LAB_NUM && v->num >= s->v.num;
    }
    return false;
}
/* Does a worker's label value (NULL: absent) satisfy the selector? */
static inline bool selector_test(const struct selector *s, const struct lval *v)
{
    switch ((enum sel_op)s->op) {
    case OP_EQ:
        return v && lval_same(v, &s->v);
    case OP_NE:
        return !v || !lval_same(v, &s->v);
    case OP_LT:
        return v && v->type == LAB_NUM && v->num < s->v.num;
    case OP_LE:
        return v && v->type == LAB_NUM && v->num <= s->v.num;
    case OP_GT:
        return v && v->type == LAB_NUM && v->num > s->v.num;
    case OP_GE:
        return v && v->type == LAB_NUM && v->num >= s->v.num;
    }
    return false;
}
/* The worker label key index of a key symbol, given when first asked. */
uint32_t label_key_index(struct router *r, uint32_t key);
bool lval_equal(const struct router *r, const struct lval *a, const struct lval *b);
json_t *selector_json(const struct router *r, const struct selector *s);
json_t *labels_json(const struct router *r, const struct labels *l);
json_t *selset_json(const struct router *r, const struct selset *s, int64_t enqueued_at);
bool labels_lookup(const struct router *r, const struct labels *l, const char *name,
                   struct expr_value *out);
int expr_build(struct router *r, struct expr **e, const char *text, const char *const *scopes,
               const char *ctx);

/* deadline.c */
void dl_init(struct deadline *d, enum dl_kind kind);
void dl_set(struct router *r, struct deadline *d, int64_t at);
void dl_clear(struct router *r, struct deadline *d);
struct deadline *dl_peek(const struct router *r);
void dl_heap_free(struct dlheap *h);

/* policy.c */
struct dpolicy *dpolicy_find(struct router *r, const char *id);
void dpolicy_free(struct dpolicy *p);

/* classify.c */
struct cpolicy *cpolicy_find(struct router *r, const char *id);
void cpolicy_free(struct cpolicy *p);
struct classification {
    struct queue *queue;
    int priority;
    struct selset attached;
    const char *failure;
};
int classify(struct router *r, const struct cpolicy *cp, struct job *j, const char *own_queue,
             struct classification *out);

/* exception.c */
struct epolicy *epolicy_find(struct router *r, const char *id);
void epolicy_free(struct epolicy *p);
void exception_on_queued(struct router *r, struct job *j);
void exception_wait_due(struct router *r, struct job *j);
void exception_schedule_wait(struct router *r, struct job *j);

/* queue.c */
struct queue *queue_find(struct router *r, const char *id);
void queue_free(struct router *r, struct queue *q);
struct lane *queue_lane(struct queue *q, uint32_t chan, bool create);
void queue_insert(struct router *r, struct job *j);
void queue_remove(struct router *r, struct job *j);
unsigned queue_position(const struct job *j);
double queue_estimated_wait(const struct queue *q, unsigned position);
void queue_note_dequeue(struct queue *q, const struct job *j, int64_t now);
void queue_open_add(struct wslot *s);
void queue_open_remove(struct wslot *s);
struct chanset *queue_chanset(struct queue *q, uint32_t chan, bool create);
void chanset_add(struct chanset *cs, struct wslot *s, unsigned i);
void chanset_remove(struct chanset *cs, struct wslot *s, unsigned i);

/* worker.c */
/* A worker's label by key symbol, or NULL. */
static inline const struct lval *worker_label(const struct worker *w, uint32_t key)
{
    return labels_find(&w->labels, key);
}
/* Does the worker's value for the selector's key, of index k (see
 * worker.c: index_labels), satisfy it? */
bool selector_matches_beyond(const struct selector *s, uint32_t k, const struct worker *w);
static inline bool selector_matches_at(const struct selector *s, uint32_t k, const struct worker *w)
{
    if (k < w->nkv)
        return selector_test_kv(s, &w->kv[k]);
    return selector_matches_beyond(s, k, w); /* absent, or beyond the table */
}
static inline bool selector_matches(const struct router *r, const struct selector *s,
                                    const struct worker *w)
{
    return selector_matches_at(s, r->syms.kidx[s->key], w);
}
struct worker *worker_find(struct router *r, const char *id);
void worker_free(struct router *r, struct worker *w);
static inline struct wchan *worker_chan(const struct worker *w, uint32_t chan)
{
    for (unsigned i = 0; i < w->nchans; i++)
        if (w->chans[i].chan == chan)
            return (struct wchan *)&w->chans[i]; /* the caller owns w */
    return NULL;
}
static inline bool worker_fits(const struct worker *w, uint32_t chan)
{
    const struct wchan *c = worker_chan(w, chan);
    return c && c->jobs < c->max && w->capacity - w->used >= c->cost;
}
void worker_charge(struct router *r, struct worker *w, uint32_t chan, int cost);
void worker_release(struct router *r, struct worker *w, uint32_t chan, int cost);
int worker_make_unavailable(struct router *r, struct worker *w, const char *reason);

/* match.c */
void match_job(struct router *r, struct job *j, enum trigger why);
void match_worker(struct router *r, struct worker *w, enum trigger why);
void match_all(struct router *r);
bool job_selectors_match(const struct router *r, const struct job *j, const struct worker *w);
bool job_declined_by(const struct job *j, const struct worker *w, int64_t now);
bool job_offered_to(const struct job *j, const struct worker *w);
double match_default_score(const struct router *r, const struct job *j, const struct worker *w);
void match_scored(struct router *r, struct job *j, const struct scoring *s, const json_t *scores);

/* scoring.c */
bool scoring_wanted(const struct router *r, const struct dpolicy *dp);
void scoring_request(struct router *r, struct job *j, const struct cand *c, unsigned n,
                     enum trigger why);
void scoring_cancel(struct router *r, struct job *j);
void scoring_timeout(struct router *r, struct scoring *s);

/* offer.c */
struct offer *offer_issue(struct router *r, struct job *j, struct worker *w,
                          const struct explain *ex);
void offer_expire(struct router *r, struct offer *o);
void offer_revoke(struct router *r, struct offer *o, const char *reason, bool rematch_job);
void job_revoke_offers(struct router *r, struct job *j, const char *reason);
void offer_free(struct router *r, struct offer *o);
json_t *assignment_id_json(struct assignment *a);
void assignment_free(struct router *r, struct assignment *a);
void decline_due(struct router *r, struct decline *d);
void decline_free_all(struct router *r, struct job *j);

/* explain.c */
void explain_init(struct router *r, struct explain *ex, const struct job *j, enum dist_mode mode,
                  enum trigger why, bool bypass);
json_t *explain_json(const struct router *r, const struct offer *o);

/* job.c */
struct job *job_find(struct router *r, const char *id);
struct job *job_alloc(struct router *r, const char *id, size_t room);
const char *job_queue_name(const struct job *j);
void job_free(struct router *r, struct job *j);
const char *job_state_name(const struct job *j);
static inline bool job_selector_live(const struct job *j, const struct selector *s, int64_t now)
{
    return !s->expires_after || now < j->enqueued_at + s->expires_after;
}
void job_schedule_selectors(struct router *r, struct job *j);
void job_enqueue(struct router *r, struct job *j, struct queue *q, int64_t enqueued_at,
                 bool emit_queued);
void job_dequeue(struct router *r, struct job *j);
void job_move(struct router *r, struct job *j, struct queue *q, int priority);
void job_set_queue(struct job *j, struct queue *q);
json_t *job_classified_json(const struct router *r, const struct job *j);
void job_classification_failed(struct router *r, struct job *j, const char *reason);
int job_parse_spec(struct router *r, struct job *j, const json_t *spec, const char *ctx);
json_t *job_spec(const struct router *r, const struct job *j);
void job_cancel_now(struct router *r, struct job *j, const char *disposition);
/* Set (or with NULL clear) the job's disposition code. */
void job_set_disposition(struct job *j, const char *disposition);
struct worker *job_release_assignment(struct router *r, struct job *j);
void job_activate(struct router *r, struct job *j);
void job_close_due(struct router *r, struct assignment *a);
void job_selectors_due(struct router *r, struct job *j);
int job_apply_classification(struct router *r, struct job *j, const struct cpolicy *cp,
                             const char *own_queue, bool enqueue);
int job_upsert_labels(struct router *r, struct job *j, const json_t *labels);
struct selector *job_selector_at(const struct job *j, unsigned i);
unsigned job_nselectors(const struct job *j);

/* audit.c: the number of broken invariants (0 for a sound router); the
 * last one described in why. For tests. */
unsigned router_audit(struct router *r, char *why, size_t size);

/* job_view.c */
json_t *job_view(struct router *r, struct job *j, int64_t now);

#endif
