/*
 * static.c - the web pages (web/): GET and HEAD of files under the web
 * root, with content types, ETags, and no way out of the root.
 *
 * Paths are percent-decoded, any "." or ".." segment or hidden (dot) name
 * is refused, and the resolved real path must still lie inside the real
 * web root, so neither "..", encoded "%2e%2e" nor a symlink escapes it.
 */
#include "core/app.h"
#include "core/libre.h"
#include "core/settings.h"
#include "http/api.h"
#include "http/api_internal.h"
#include "http/urlcode.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_FILE = 16 * 1024 * 1024 };

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".wav", "audio/wav"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* Refuse ".", ".." and hidden names in any segment. */
static bool safe_relative(const char *rel)
{
    for (const char *seg = rel; *seg;) {
        if (seg[0] == '.')
            return false;
        const char *slash = strchr(seg, '/');
        if (!slash)
            break;
        seg = slash + 1;
    }
    return strchr(rel, '\\') == NULL;
}

static void not_found(struct api_req *req)
{
    api_reply_error(req, 404, "not_found", "no such page: %s", req->path);
}

static int read_file(int fd, size_t size, char **bufp)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return ENOMEM;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0) {
            free(buf);
            return n == 0 ? EIO : errno;
        }
        got += (size_t)n;
    }
    *bufp = buf;
    return 0;
}

static void send_file(struct api_req *req, const char *real)
{
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
        if (fd >= 0)
            close(fd);
        not_found(req);
        return;
    }
    char etag[64], headers[200];
    snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtime);
    snprintf(headers, sizeof(headers), "ETag: %s\r\nCache-Control: no-cache\r\n", etag);
    const struct http_hdr *inm = http_msg_hdr(req->hreq->msg, HTTP_HDR_IF_NONE_MATCH);
    if (inm && pl_strcmp(&inm->val, etag) == 0) {
        close(fd);
        api_reply_raw(req, 304, NULL, headers, NULL, 0);
        return;
    }
    char *buf = NULL;
    int err = read_file(fd, (size_t)st.st_size, &buf);
    close(fd);
    if (err) {
        api_reply_error(req, 500, "internal", "could not read %s", req->path);
        return;
    }
    /* For HEAD the transport sends the GET's headers, length included,
     * and leaves the body out. */
    api_reply_raw(req, 200, content_type(real), headers, buf, (size_t)st.st_size);
    free(buf);
}

void static_serve(struct api_req *req)
{
    const char *root = settings_str(req->app, "http.webRoot");
    char root_real[PATH_MAX], rel[1024], path[PATH_MAX + 1100], real[PATH_MAX];
    const struct pl *p = &req->hreq->msg->path;
    if (!root || !realpath(root, root_real) || p->l == 0 || p->p[0] != '/' ||
        url_decode(rel, sizeof(rel), p->p + 1, p->l - 1, false) != 0 || !safe_relative(rel)) {
        not_found(req);
        return;
    }
    size_t len = strlen(rel);
    /* "/" and "/agent" or "/agent/" serve the folder's index.html. */
    snprintf(path, sizeof(path), "%s/%s", root_real, rel);
    struct stat st;
    if (len == 0 || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        snprintf(path, sizeof(path), "%s/%s%sindex.html", root_real, rel,
                 len && rel[len - 1] != '/' ? "/" : "");
    size_t rlen = strlen(root_real);
    if (!realpath(path, real) || strncmp(real, root_real, rlen) != 0 || real[rlen] != '/') {
        not_found(req);
        return;
    }
    send_file(req, real);
}

void api_reply_file(struct api_req *req, const char *path, const char *ctype, const char *extra)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        api_reply_error(req, 404, "not_found", "%s has no such file", req->path);
        return;
    }
    char *buf = NULL;
    int err = read_file(fd, (size_t)st.st_size, &buf);
    close(fd);
    if (err) {
        api_reply_error(req, 500, "internal", "could not read the file of %s", req->path);
        return;
    }
    api_reply_raw(req, 200, ctype, extra, buf, (size_t)st.st_size);
    free(buf);
}
