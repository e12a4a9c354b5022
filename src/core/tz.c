/*
 * tz.c - time zones from compiled TZif files (RFC 8536, versions 1 to 4),
 * read once at load time; afterwards every question is pure arithmetic.
 *
 * A zone is its table of transitions (UTC instant -> offset) plus, from
 * version 2 on, the POSIX TZ string of the file's footer (e.g.
 * "GMT0BST,M3.5.0/1,M10.5.0", tz_rule.c) that says what happens after the
 * last transition: "slim" files list few transitions and rely on it.
 * Nothing global is touched (no TZ, no tzset), so any number of zones may
 * be used at once, from any thread. Leap-second ("right/") zones are read
 * as if their times were POSIX times.
 */
#include "core/libre.h"
#include "core/schedule.h"
#include "core/tz_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_MAX_FILE  (1024 * 1024)
#define TZ_MAX_NAME  255
#define TZ_LIMIT_SEC INT64_C(3000000000000) /* about 95,000 years either way */

struct tz {
    int64_t *times; /* transitions, ascending */
    uint8_t *types; /* the type in force from times[i] on */
    int32_t *offs;  /* each type's offset */
    size_t ntimes, ntypes;
    bool has_rule;
    struct tz_rule rule;
};

static int64_t clamp_time(int64_t t)
{
    return t < -TZ_LIMIT_SEC ? -TZ_LIMIT_SEC : t > TZ_LIMIT_SEC ? TZ_LIMIT_SEC : t;
}

/* ---- the TZif file ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_header {
    char version;
    uint32_t isut, isstd, leap, time, type, chars;
};

static int read_header(const uint8_t *p, size_t len, struct tzif_header *h)
{
    if (len < 44 || memcmp(p, "TZif", 4))
        return EBADMSG;
    h->version = (char)p[4];
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    if (h->type > 256 || h->time > TZ_MAX_FILE || h->leap > TZ_MAX_FILE || h->chars > TZ_MAX_FILE ||
        (h->isut && h->isut != h->type) || (h->isstd && h->isstd != h->type))
        return EBADMSG;
    return 0;
}

/* Bytes of the data block after a header; tsize 4 (v1) or 8 (v2+). */
static size_t block_size(const struct tzif_header *h, size_t tsize)
{
    return h->time * tsize + h->time + h->type * 6 + h->chars + h->leap * (tsize + 4) + h->isstd +
           h->isut;
}

static int read_block(struct tz **tzp, const uint8_t *p, const struct tzif_header *h, size_t tsize)
{
    size_t n = h->time, k = h->type;
    struct tz *tz;
    if (k == 0) /* allowed only in the v1 header of a v2+ file, never read */
        return EBADMSG;
    if (!(tz = mem_zalloc(sizeof(*tz) + n * 8 + k * 4 + n, NULL)))
        return ENOMEM;
    tz->times = (int64_t *)(tz + 1);
    tz->offs = (int32_t *)(tz->times + n);
    tz->types = (uint8_t *)(tz->offs + k);
    tz->ntimes = n;
    tz->ntypes = k;
    for (size_t i = 0; i < n; i++) {
        tz->times[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
        tz->types[i] = p[n * tsize + i];
        if (tz->types[i] >= k || (i && tz->times[i] <= tz->times[i - 1]))
            goto bad;
    }
    for (size_t i = 0; i < k; i++) {
        const uint8_t *t = p + n * tsize + n + i * 6;
        int32_t off = (int32_t)be32(t);
        if (off == INT32_MIN || off < -25 * 3600 || off > 26 * 3600 || t[4] > 1)
            goto bad;
        tz->offs[i] = off;
    }
    *tzp = tz;
    return 0;
bad:
    mem_deref(tz);
    return EBADMSG;
}

static int parse_tzif(struct tz **tzp, const uint8_t *p, size_t len)
{
    struct tzif_header h;
    struct tz *tz;
    int err = read_header(p, len, &h);
    if (err)
        return err;
    size_t v1 = block_size(&h, 4);
    if (v1 > len - 44)
        return EBADMSG;
    if (h.version == 0)
        return read_block(tzp, p + 44, &h, 4);

    p += 44 + v1;
    len -= 44 + v1;
    if ((err = read_header(p, len, &h)))
        return err;
    size_t v2 = block_size(&h, 8);
    if (v2 > len - 44)
        return EBADMSG;
    const char *footer = (const char *)p + 44 + v2, *stop = (const char *)p + len;
    const char *nl = footer < stop && *footer == '\n'
                         ? memchr(footer + 1, '\n', (size_t)(stop - footer - 1))
                         : NULL;
    char rule[128];
    if (!nl || (size_t)(nl - footer - 1) >= sizeof(rule))
        return EBADMSG;
    memcpy(rule, footer + 1, (size_t)(nl - footer - 1));
    rule[nl - footer - 1] = '\0';
    if (memchr(rule, '\0', (size_t)(nl - footer - 1)))
        return EBADMSG;

    if ((err = read_block(&tz, p + 44, &h, 8)))
        return err;
    if (rule[0]) {
        if ((err = tz_rule_parse(rule, &tz->rule))) {
            mem_deref(tz);
            return err;
        }
        tz->has_rule = true;
    }
    *tzp = tz;
    return 0;
}

static bool valid_name(const char *name)
{
    size_t len = strlen(name);
    if (!len || len > TZ_MAX_NAME || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *s = name; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              strchr("/_+-", *s)))
            return false;
    return true;
}

static int read_file(const char *path, uint8_t **bufp, size_t *lenp)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? ENOENT : errno;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return ENOENT; /* a directory such as "Europe" is no zone */
    }
    if (st.st_size > TZ_MAX_FILE) {
        close(fd);
        return EBADMSG;
    }
    size_t len = (size_t)st.st_size, got = 0;
    uint8_t *buf = mem_alloc(len + 1, NULL);
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *bufp = buf;
    *lenp = got;
    return 0;
}

int tz_load(struct tz **tzp, const char *name)
{
    if (!tzp || !name || !valid_name(name))
        return EINVAL;
    if (!strcmp(name, "UTC")) {
        struct tz *tz = mem_zalloc(sizeof(*tz) + sizeof(int32_t), NULL);
        if (!tz)
            return ENOMEM;
        tz->offs = (int32_t *)(tz + 1);
        tz->ntypes = 1;
        *tzp = tz;
        return 0;
    }
    const char *dir = getenv("TZDIR");
    char path[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return ENOENT;
    int err = read_file(path, &buf, &len);
    if (!err)
        err = parse_tzif(tzp, buf, len);
    mem_deref(buf);
    return err;
}

void tz_free(struct tz *tz)
{
    mem_deref(tz);
}

int32_t tz_offset(const struct tz *tz, int64_t t)
{
    size_t lo = 0, hi;
    if (!tz)
        return 0;
    t = clamp_time(t);
    if (!tz->ntimes || t >= tz->times[tz->ntimes - 1]) {
        if (tz->has_rule)
            return tz_rule_offset(&tz->rule, t);
        if (!tz->ntimes)
            return tz->offs[0];
    }
    if (t < tz->times[0])
        return tz->offs[0]; /* RFC 8536: type 0 is in force before the first */
    /* The last transition at or before t. */
    hi = tz->ntimes;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offs[tz->types[lo]];
}

void tz_local(const struct tz *tz, int64_t t, struct local_time *out)
{
    int64_t y;
    t = clamp_time(t);
    int32_t off = tz_offset(tz, t);
    int64_t local = t + off, days = tz_floor_div(local, 86400), secs = local - days * 86400;
    tz_civil_from_days(days, &y, &out->month, &out->day);
    out->year = (int)y;
    out->wday = tz_weekday(days);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    out->offset = off;
}
