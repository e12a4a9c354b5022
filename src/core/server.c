/*
 * server.c - start-up, the main loop and orderly shutdown.
 *
 * Start: open the store (migrations), import the configuration given with
 * --config (or, on an empty store without one, the embedded demo), apply
 * command-line overrides, listen. Stop on SIGTERM/SIGINT: close listeners
 * and connections, finish the work pool, close the store (which checkpoints
 * SQLite's WAL), well within 2 seconds.
 */
#include "core/server.h"
#include "auth/ratelimit.h"
#include "auth/sessions.h"
#include "core/app.h"
#include "report/service.h"
#include "core/config.h"
#include "core/embedded.h"
#include "core/events.h"
#include "core/ids.h"
#include "core/libre.h"
#include "core/log.h"
#include "core/modules.h"
#include "core/settings.h"
#include "core/workpool.h"
#include "core/yaml_load.h"
#include "http/api.h"
#include "http/httpd.h"
#include "routing/service.h"
#include "chat/chat.h"
#include "sip/sip.h"
#include "store/store.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sa sip_bound; /* where SIP listens, for the banner */

enum { PURGE_INTERVAL_MS = 10 * 60 * 1000, WORK_THREADS = 2 };

static int open_app(struct app *app, const struct server_opts *opts, bool live)
{
    memset(app, 0, sizeof(*app));
    int err = ids_init() | modules_register();
    if (err) {
        log_error("server", "could not initialise", "error=%d", err);
        return err ? err : EIO;
    }
    app->data_dir = opts->data_dir ? opts->data_dir : "data";
    char path[4096];
    snprintf(path, sizeof(path), "%s/switchboard.db", app->data_dir);
    struct store_opts so = {.path = path, .synchronous_full = opts->sync_full};
    err = store_open_sqlite(&app->store, &so);
    if (err) {
        log_error("store", "cannot open the store", "path=%s error=\"%s\"", path, strerror(err));
        return err;
    }
    err = events_alloc(&app->events, app->store);
    if (!err)
        err = settings_load(app, NULL);
    if (!err && (err = routing_start(app, live)) != 0)
        log_error("router", "cannot start the job router", "error=%d", err);
    if (!err && (err = chat_start(app, live)) != 0)
        log_error("chat", "cannot start the chat service", "error=%d", err);
    if (!err && live && (err = report_start(app)) != 0)
        log_error("report", "cannot start the reports", "error=%d", err);
    return err;
}

static void close_app(struct app *app)
{
    sipsvc_stop(app);
    chat_stop(app);
    routing_stop(app);
    report_stop(app);
    mem_deref(app->pool);
    ratelimit_free(app->login_by_account);
    ratelimit_free(app->login_by_address);
    events_free(app->events);
    store_close(app->store);
    json_decref(app->settings);
    memset(app, 0, sizeof(*app));
}

static int import_text(struct app *app, const char *name, const char *text)
{
    char *errtext = NULL;
    int err = config_import_yaml(app, name, text, &errtext);
    if (err) {
        fprintf(stderr, "%s", errtext ? errtext : "configuration not imported\n");
        fprintf(stderr, "switchboard: %s was not imported; nothing was changed\n", name);
    }
    free(errtext);
    return err;
}

/* Read a whole configuration file (at most 16 MiB). */
static int read_text(const char *path, char **textp)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    char *text = NULL;
    size_t size = 0, len = 0;
    int err = 0;
    for (;;) {
        if (len + 4096 + 1 > size) {
            size = size ? size * 2 : 65536;
            char *more = size <= (16u << 20) ? realloc(text, size) : NULL;
            if (!more) {
                err = size > (16u << 20) ? EFBIG : ENOMEM;
                break;
            }
            text = more;
        }
        size_t n = fread(text + len, 1, size - len - 1, f);
        len += n;
        if (n == 0) {
            err = ferror(f) ? EIO : 0;
            break;
        }
    }
    fclose(f);
    if (err) {
        free(text);
        return err;
    }
    text[len] = '\0';
    *textp = text;
    return 0;
}

static bool store_is_empty(struct app *app)
{
    json_t *row;
    int err = store_query_one(app->store, "SELECT COUNT(*) AS n FROM users", NULL, 0, &row);
    bool empty = !err && json_integer_value(json_object_get(row, "n")) == 0;
    json_decref(row);
    return empty;
}

static json_t *overrides(const struct server_opts *opts)
{
    json_t *o = json_object();
    if (opts->http)
        json_object_set_new(o, "http", json_pack("{s:s}", "listen", opts->http));
    if (opts->web_root) {
        json_t *http = json_object_get(o, "http");
        if (!http)
            json_object_set_new(o, "http", http = json_object());
        json_object_set_new(http, "webRoot", json_string(opts->web_root));
    }
    if (opts->sip)
        json_object_set_new(o, "sip", json_pack("{s:s}", "listen", opts->sip));
    return o;
}

static int check_override(const char *flag, const char *value)
{
    struct sa sa;
    if (value && sa_decode(&sa, value, strlen(value)) != 0) {
        fprintf(stderr, "switchboard: %s %s: expected an address like 127.0.0.1:8080\n", flag,
                value);
        return EINVAL;
    }
    return 0;
}

/* Demo accounts come from the demo file itself, so the banner never
 * drifts from what was imported. */
static void print_demo_accounts(const char *text)
{
    json_t *doc = NULL;
    struct yaml_error yerr;
    if (!text || yaml_load_buffer(text, strlen(text), &doc, NULL, &yerr) != 0)
        return;
    printf("  Demo accounts (name / password, role, extension):\n");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(doc, "users"), i, u)
    {
        const char *ext = json_string_value(json_object_get(u, "extension"));
        printf("    %-8s / %-12s %-8s %s\n", json_string_value(json_object_get(u, "name")),
               json_string_value(json_object_get(u, "password")),
               json_string_value(json_object_get(u, "role")), ext ? ext : "");
    }
    json_decref(doc);
}

static void print_banner(struct app *app, const struct sa *laddr, const char *demo_text)
{
    char base[80];
    re_snprintf(base, sizeof(base), "http://%J", laddr);
    printf("\nSwitchboard %s is running for %s.\n", SB_VERSION,
           settings_str(app, "organisation.name"));
    printf("  Web:      %s/\n", base);
    printf("  API:      %s/v1/version   (sign in: POST %s/v1/sessions)\n", base, base);
    printf("  Events:   ws://%s/v1/events\n", base + 7);
    const char *widget = chat_some_widget(app);
    if (widget)
        printf("  Chat:     %s/widget?widget=%s   (agents: %s/agent)\n", base, widget, base);
    printf("  Manager:  %s/manager   (shift managers: queues, agents, today's figures)\n", base);
    struct sa tls_bound;
    if (app->sip)
        re_printf("  SIP:      sip:%J (UDP and TCP), realm \"%s\"\n", &sip_bound,
                  settings_str(app, "sip.realm"));
    if (app->sip && sipsvc_tls_bound(app, &tls_bound) == 0)
        re_printf("  SIP TLS:  sips:%J\n", &tls_bound);
    printf("  Data:     %s/switchboard.db\n", app->data_dir);
    if (settings_bool(app, "demo"))
        print_demo_accounts(demo_text);
    printf("Stop with Ctrl-C.\n\n");
    fflush(stdout);
}

/*
 * SIGTERM and SIGINT are blocked in every thread and read from a signalfd
 * on the loop, so a signal that arrives at any moment (even before the loop
 * runs, or while it is about to sleep) stops the server cleanly, and the
 * handler runs as ordinary loop code.
 */
static int signal_fd = -1;

static void signal_readable(int flags, void *arg)
{
    (void)flags;
    (void)arg;
    struct signalfd_siginfo info;
    if (read(signal_fd, &info, sizeof(info)) != (ssize_t)sizeof(info))
        return;
    log_info("server", "stopping", "signal=%u", info.ssi_signo);
    re_cancel();
}

static int signals_take(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return EINVAL;
    signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0)
        return errno;
    return fd_listen(signal_fd, FD_READ, signal_readable, NULL);
}

static void signals_release(void)
{
    if (signal_fd < 0)
        return;
    fd_close(signal_fd);
    close(signal_fd);
    signal_fd = -1;
}

static void purge_timer(void *arg);
static struct tmr purge_tmr;

static void purge_timer(void *arg)
{
    struct app *app = arg;
    int64_t n = sessions_purge_expired(app);
    if (n)
        log_info("auth", "expired sessions removed", "count=%lld", (long long)n);
    tmr_start(&purge_tmr, PURGE_INTERVAL_MS, purge_timer, app);
}

static int start_services(struct app *app, struct httpd **httpdp, struct sa *laddr)
{
    const char *listen = settings_str(app, "http.listen");
    int err = workpool_alloc(&app->pool, WORK_THREADS);
    err |= ratelimit_alloc(&app->login_by_account,
                           (unsigned)settings_int(app, "logins.maxFailuresPerAccount"),
                           settings_int(app, "logins.windowSeconds") * 1000,
                           settings_int(app, "logins.lockoutSeconds") * 1000);
    err |= ratelimit_alloc(&app->login_by_address,
                           (unsigned)settings_int(app, "logins.maxFailuresPerAddress"),
                           settings_int(app, "logins.windowSeconds") * 1000,
                           settings_int(app, "logins.lockoutSeconds") * 1000);
    if (err)
        return ENOMEM;
    if ((err = sa_decode(laddr, listen, strlen(listen))) != 0)
        return err;
    struct httpd_opts ho = {.max_body = (size_t)settings_int(app, "http.maxBodyBytes")};
    err = httpd_listen(httpdp, laddr, &ho, api_dispatch, api_transport_error, app);
    if (err) {
        log_error("http", "cannot listen", "addr=%s error=\"%s\"", listen, strerror(err));
        return err;
    }
    httpd_local(*httpdp, laddr);
    char bound[64];
    re_snprintf(bound, sizeof(bound), "%J", laddr);
    log_info("http", "listening", "addr=%s", bound);
    err = sipsvc_start(app, settings_str(app, "sip.listen"), &sip_bound);
    if (err)
        return err;
    tmr_init(&purge_tmr);
    tmr_start(&purge_tmr, PURGE_INTERVAL_MS, purge_timer, app);
    return 0;
}

/* Thousands of WebSocket clients and phones need thousands of sockets:
 * take the whole hard limit, and tell libre (whose loop otherwise stops
 * at 1024 descriptors). The allocator keeps freed memory instead of giving
 * it back and asking again at every transaction (that churn cost 10-20%
 * of the CPU under chat load). */
static int raise_fd_limit(void)
{
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return errno;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    int n = rl.rlim_cur > 1000000 ? 1000000 : (int)rl.rlim_cur;
    int err = fd_setsize(n);
    if (err)
        log_error("server", "cannot raise the descriptor limit", "max=%d error=%d", n, err);
    return err;
}

int server_serve(const struct server_opts *opts)
{
    if (check_override("--http", opts->http) || check_override("--sip", opts->sip))
        return 2;
    int err = libre_init();
    if (!err)
        err = raise_fd_limit();
    if (!err)
        err = signals_take(); /* before any thread exists, so all inherit the mask */
    if (err) {
        log_error("server", "cannot start the event loop", "error=%d", err);
        return 1;
    }
    struct app app;
    struct httpd *httpd = NULL;
    struct sa laddr;
    const char *demo_text = NULL;
    char *config_text = NULL;
    int code = 1;
    if (open_app(&app, opts, true) != 0)
        goto out;
    if (opts->config) {
        if ((err = read_text(opts->config, &config_text)) != 0) {
            fprintf(stderr, "switchboard: cannot read %s: %s\n", opts->config, strerror(err));
            goto out;
        }
        if (import_text(&app, opts->config, config_text) != 0)
            goto out;
        demo_text = config_text;
    } else if (store_is_empty(&app)) {
        log_warn("server", "empty store and no --config: loading the demo configuration", "");
        demo_text = sb_demo_config[0].text;
        if (import_text(&app, "(embedded demo.yaml)", demo_text) != 0)
            goto out;
    }
    json_t *o = overrides(opts);
    err = settings_load(&app, o);
    json_decref(o);
    if (err || start_services(&app, &httpd, &laddr) != 0)
        goto out;
    if (settings_bool(&app, "demo"))
        log_warn("server", "demo configuration: its passwords are public; do not expose it", "");
    print_banner(&app, &laddr, demo_text);
    re_main(NULL);
    code = 0;
out:
    tmr_cancel(&purge_tmr);
    httpd = mem_deref(httpd);
    close_app(&app);
    signals_release();
    free(config_text);
    log_info("server", "stopped", "code=%d", code);
    libre_close();
    return code;
}

int server_import(const struct server_opts *opts, const char *file)
{
    struct app app;
    char *text = NULL;
    int err = read_text(file, &text);
    if (err) {
        fprintf(stderr, "switchboard: cannot read %s: %s\n", file, strerror(err));
        return 1;
    }
    err = open_app(&app, opts, false);
    if (!err)
        err = import_text(&app, file, text);
    free(text);
    if (!err)
        printf("imported %s into %s\n", file, app.data_dir);
    close_app(&app);
    return err ? 1 : 0;
}

int server_export(const struct server_opts *opts, const char *out_file)
{
    struct app app;
    json_t *doc = NULL;
    char *yaml = NULL;
    int err = open_app(&app, opts, false);
    if (!err)
        err = config_export(&app, &doc);
    if (!err)
        err = yaml_dump(doc, &yaml);
    if (!err) {
        FILE *f = out_file ? fopen(out_file, "w") : stdout;
        if (!f || fputs(yaml, f) < 0 || (out_file && fclose(f) != 0))
            err = errno ? errno : EIO;
    }
    if (err)
        fprintf(stderr, "switchboard: export failed: %s\n", strerror(err));
    free(yaml);
    json_decref(doc);
    close_app(&app);
    return err ? 1 : 0;
}
