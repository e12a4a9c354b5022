/*
 * main.c - the `switchboard` command: argument parsing and help for the
 * serve, import, export and version subcommands.
 */
#include "core/embedded.h"
#include "core/log.h"
#include "core/server.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char main_usage[] = "usage: switchboard COMMAND [OPTIONS]\n"
                                 "\n"
                                 "Switchboard, a self-hosted contact center.\n"
                                 "\n"
                                 "Commands:\n"
                                 "  serve     run the server\n"
                                 "  import    load a YAML configuration file into the store\n"
                                 "  export    write the stored configuration as YAML\n"
                                 "  version   print the version\n"
                                 "\n"
                                 "Run 'switchboard COMMAND --help' for a command's options.\n";

static const char serve_usage[] =
    "usage: switchboard serve [OPTIONS]\n"
    "\n"
    "Run the server until SIGTERM or SIGINT (Ctrl-C).\n"
    "\n"
    "  -c, --config FILE    import this YAML configuration at start (all or nothing);\n"
    "                       without it an empty store gets the built-in demo\n"
    "  -d, --data DIR       data folder (default: data); holds switchboard.db\n"
    "      --http ADDR      HTTP listener, e.g. 127.0.0.1:8080 (port 0: any free port)\n"
    "      --sip ADDR       SIP listener, e.g. 127.0.0.1:5060\n"
    "      --web DIR        folder of the web pages (default: web)\n"
    "      --sync-full      fsync every commit (default: WAL with synchronous=NORMAL)\n"
    "      --log-level L    debug, info, warn or error (default: info)\n"
    "  -h, --help           show this help\n";

static const char import_usage[] =
    "usage: switchboard import [OPTIONS] FILE\n"
    "\n"
    "Validate FILE and load it into the store in one transaction. Objects are\n"
    "created or updated by name; an invalid file changes nothing. Importing the\n"
    "same file twice changes nothing the second time.\n"
    "\n"
    "  -d, --data DIR       data folder (default: data)\n"
    "      --log-level L    debug, info, warn or error (default: warn)\n"
    "  -h, --help           show this help\n";

static const char export_usage[] =
    "usage: switchboard export [OPTIONS]\n"
    "\n"
    "Write the stored configuration as YAML (passwords as their hashes).\n"
    "\n"
    "  -d, --data DIR       data folder (default: data)\n"
    "  -o, --output FILE    write to FILE instead of standard output\n"
    "      --log-level L    debug, info, warn or error (default: warn)\n"
    "  -h, --help           show this help\n";

static const char version_usage[] = "usage: switchboard version\n\nPrint the version.\n";

enum { OPT_HTTP = 1000, OPT_SIP, OPT_WEB, OPT_SYNC, OPT_LOG };

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},   {"data", required_argument, NULL, 'd'},
    {"output", required_argument, NULL, 'o'},   {"http", required_argument, NULL, OPT_HTTP},
    {"sip", required_argument, NULL, OPT_SIP},  {"web", required_argument, NULL, OPT_WEB},
    {"sync-full", no_argument, NULL, OPT_SYNC}, {"log-level", required_argument, NULL, OPT_LOG},
    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
};

struct cli {
    struct server_opts opts;
    const char *output;
};

/* Which options each command takes, by getopt value. */
static bool allowed(const char *cmd, int opt)
{
    if (opt == 'h' || opt == 'd' || opt == OPT_LOG)
        return true;
    if (strcmp(cmd, "serve") == 0)
        return opt == 'c' || opt == OPT_HTTP || opt == OPT_SIP || opt == OPT_WEB || opt == OPT_SYNC;
    if (strcmp(cmd, "export") == 0)
        return opt == 'o';
    return false;
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "switchboard: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}

/* Parse options; returns -1 to go on, else an exit code. */
static int parse(const char *cmd, const char *usage, int argc, char **argv, struct cli *cli)
{
    int opt, index = -1;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:d:o:h", long_options, &index)) != -1) {
        /* Name the option as typed: its value may follow in argv. */
        char name[40];
        if (index >= 0)
            snprintf(name, sizeof(name), "--%s", long_options[index].name);
        else
            snprintf(name, sizeof(name), "-%c", optopt ? optopt : opt);
        index = -1;
        if (opt == '?')
            return usage_error(usage, "unknown option %s", optopt ? name : argv[optind - 1]);
        if (opt == ':') /* the option is the last word given */
            return usage_error(usage, "option %s needs a value", argv[optind - 1]);
        if (!allowed(cmd, opt))
            return usage_error(usage, "this command takes no option %s", name);
        enum log_level level;
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'c':
            cli->opts.config = optarg;
            break;
        case 'd':
            cli->opts.data_dir = optarg;
            break;
        case 'o':
            cli->output = optarg;
            break;
        case OPT_HTTP:
            cli->opts.http = optarg;
            break;
        case OPT_SIP:
            cli->opts.sip = optarg;
            break;
        case OPT_WEB:
            cli->opts.web_root = optarg;
            break;
        case OPT_SYNC:
            cli->opts.sync_full = true;
            break;
        case OPT_LOG:
            if (log_level_parse(optarg, &level) != 0)
                return usage_error(usage, "--log-level %s: expected debug, info, warn or error",
                                   optarg);
            log_set_level(level);
            break;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(main_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    struct cli cli = {0};
    if (strcmp(cmd, "--version") == 0)
        cmd = "version";
    const char *usage = strcmp(cmd, "serve") == 0     ? serve_usage
                        : strcmp(cmd, "import") == 0  ? import_usage
                        : strcmp(cmd, "export") == 0  ? export_usage
                        : strcmp(cmd, "version") == 0 ? version_usage
                                                      : NULL;
    if (!usage) {
        fprintf(stderr, "switchboard: unknown command \"%s\"\n\n%s", cmd, main_usage);
        return 2;
    }
    if (strcmp(cmd, "serve") != 0)
        log_set_level(LOG_WARN); /* one-shot commands print only problems */
    int code = parse(cmd, usage, argc - 1, argv + 1, &cli);
    if (code >= 0)
        return code;
    int rest = argc - 1 - optind;
    char **args = argv + 1 + optind;

    if (strcmp(cmd, "version") == 0) {
        printf("switchboard %s (sqlite %s)\n", SB_VERSION, sqlite3_libversion());
        return 0;
    }
    if (strcmp(cmd, "import") == 0) {
        if (rest != 1)
            return usage_error(usage, "%s", rest ? "import takes one FILE" : "missing FILE");
        return server_import(&cli.opts, args[0]);
    }
    if (rest != 0)
        return usage_error(usage, "unexpected argument %s", args[0]);
    if (strcmp(cmd, "export") == 0)
        return server_export(&cli.opts, cli.output);
    return server_serve(&cli.opts);
}
