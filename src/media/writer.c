/*
 * writer.c - the disk writer of recordings: one thread per engine that
 * opens, writes and finishes WAV files (librem's aufile; it writes the
 * header's sizes when the file is closed), so no media thread ever waits
 * on the disk. Media threads queue jobs; the writer runs them in order and,
 * once a file is complete, posts its MEDIA_EV_RECORD_DONE (and anything
 * that must follow it, such as the leg's MEDIA_EV_CLOSED) to the main loop.
 *
 * A file (struct wavout) is created by a worker, which only passes it to
 * writer_write()/writer_close(); from then on the writer thread alone
 * touches its contents, and frees it once closed.
 */
#include "media/media_internal.h"

#include <errno.h>
#include <string.h>

#include <rem_au.h>
#include <rem_aufile.h>

enum job_type { JOB_OPEN, JOB_WRITE, JOB_CLOSE, JOB_QUIT };

struct wavout {
    struct writer *w;
    char *path;
    unsigned channels;
    struct job *close; /* ready at open: closing cannot fail (worker only) */
    struct aufile *af; /* writer thread only */
    int err;           /* writer thread only */
};

struct job {
    struct le le;
    enum job_type type;
    struct wavout *f;
    uint8_t *data; /* JOB_WRITE: a mem buffer */
    size_t len;
    bool has_ev, has_after;
    struct media_event ev, after;
};

struct writer {
    struct media *m;
    pthread_t thr;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct list jobs;
    struct job *quit; /* ready at start: stopping cannot fail */
    bool running;
};

static void job_destructor(void *arg)
{
    struct job *j = arg;

    mem_deref(j->data);
}

static void wavout_destructor(void *arg)
{
    struct wavout *f = arg;

    mem_deref(f->close);
    mem_deref(f->af);
    mem_deref(f->path);
}

static void run(struct writer *w, struct job *j)
{
    struct wavout *f = j->f;
    struct aufile_prm prm = {MEDIA_SRATE, 0, AUFMT_S16LE};

    switch (j->type) {
    case JOB_OPEN:
        prm.channels = (uint8_t)f->channels;
        f->err = aufile_open(&f->af, &prm, f->path, AUFILE_WRITE);
        break;
    case JOB_WRITE:
        if (f->af && !f->err)
            f->err = aufile_write(f->af, j->data, j->len);
        break;
    case JOB_CLOSE:
        f->af = mem_deref(f->af); /* aufile writes the header's sizes */
        if (j->has_ev) {
            if (f->err)
                j->ev.reason = "error";
            media_post_main(w->m, &j->ev);
        }
        if (j->has_after)
            media_post_main(w->m, &j->after);
        mem_deref(f);
        break;
    default:
        break;
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct le *le;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!(le = list_head(&w->jobs)))
            pthread_cond_wait(&w->cond, &w->lock);
        list_unlink(le);
        pthread_mutex_unlock(&w->lock);
        struct job *j = le->data;
        bool quit = j->type == JOB_QUIT;

        run(w, j);
        mem_deref(j);
        if (quit)
            return NULL;
        pthread_mutex_lock(&w->lock);
    }
}

static void post(struct writer *w, struct job *j)
{
    pthread_mutex_lock(&w->lock);
    list_append(&w->jobs, &j->le, j);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static struct job *job_new(enum job_type type, struct wavout *f)
{
    struct job *j = mem_zalloc(sizeof(*j), job_destructor);

    if (j) {
        j->type = type;
        j->f = f;
    }
    return j;
}

static void writer_destructor(void *arg)
{
    struct writer *w = arg;

    if (w->running) {
        /* every job queued before runs first: files are finished */
        post(w, w->quit);
        w->quit = NULL;
        pthread_join(w->thr, NULL);
    }
    mem_deref(w->quit);
    list_flush(&w->jobs);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
}

int writer_alloc(struct writer **wp, struct media *m)
{
    struct writer *w = mem_zalloc(sizeof(*w), writer_destructor);
    int err;

    if (!w)
        return ENOMEM;
    w->m = m;
    list_init(&w->jobs);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->quit = job_new(JOB_QUIT, NULL);
    if (!w->quit) {
        mem_deref(w);
        return ENOMEM;
    }
    err = pthread_create(&w->thr, NULL, writer_main, w);
    if (err) {
        mem_deref(w);
        return err;
    }
    w->running = true;
    *wp = w;
    return 0;
}

struct wavout *writer_open(struct writer *w, const char *path, unsigned channels)
{
    struct wavout *f = mem_zalloc(sizeof(*f), wavout_destructor);
    struct job *j = f ? job_new(JOB_OPEN, f) : NULL;

    if (f)
        f->close = job_new(JOB_CLOSE, f);
    if (!j || !f->close || str_dup(&f->path, path)) {
        mem_deref(j);
        return mem_deref(f);
    }
    f->w = w;
    f->channels = channels;
    post(w, j);
    return f;
}

void writer_write(struct wavout *f, uint8_t *data, size_t len)
{
    struct job *j = job_new(JOB_WRITE, f);

    if (!j) {
        mem_deref(data);
        return;
    }
    j->data = data;
    j->len = len;
    post(f->w, j);
}

void writer_close(struct wavout *f, const struct media_event *ev, const struct media_event *after)
{
    struct job *j = f->close;

    f->close = NULL;
    if (ev) {
        j->has_ev = true;
        j->ev = *ev;
    }
    if (after) {
        j->has_after = true;
        j->after = *after;
    }
    post(f->w, j);
}
