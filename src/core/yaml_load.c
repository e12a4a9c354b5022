/*
 * yaml_load.c - configuration files: YAML text into a jansson tree (with
 * the line and column of every value, so validation errors can point into
 * the file), and a jansson tree back into YAML for `switchboard export`.
 *
 * Reading walks libyaml's event stream (yaml_parser_parse) with one
 * recursive function per node kind; libyaml does the syntax, this file does
 * typing (YAML 1.2 core schema), anchors, limits and positions.
 * Writing is in yaml_dump.c; scalar typing shared by both is in
 * yaml_scalar.c.
 */
#include "core/yaml_load.h"
#include "core/text.h"
#include "core/yaml_scalar.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YL_MAX_INPUT (16u << 20) /* bytes of YAML text */
#define YL_MAX_DEPTH 64          /* nested mappings and sequences */
/* Aliases copy nodes, so a small file can expand to billions of values
 * ("billion laughs"); these caps bound the tree and the marks instead. */
#define YL_MAX_NODES 1000000u
#define YL_MAX_BYTES (64u << 20) /* strings, keys and mark pointers */

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_SEQ "tag:yaml.org,2002:seq"
#define TAG_MAP "tag:yaml.org,2002:map"

/* Where a value starts; its pointer lives in loader.arena. */
struct mark {
    size_t off, len;
    int line, column;
};

struct anchor {
    char *name;
    json_t *value;               /* NULL while the anchored node is being read */
    size_t nodes, bytes;         /* what one copy costs */
    int height;                  /* collection levels inside, 0 for a scalar */
    size_t ptr_len;              /* length of the anchored node's pointer */
    size_t mark_first, mark_end; /* marks of the node's descendants */
};

struct loader {
    yaml_parser_t parser;
    const char *input;
    size_t input_len;
    struct yaml_error *err;
    bool want_marks;
    struct strbuf ptr;   /* JSON Pointer of the node being read */
    struct strbuf arena; /* every mark's pointer, back to back */
    struct mark *marks;
    size_t n_marks, cap_marks;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    json_t *anchor_index; /* name -> index of its latest definition */
    size_t nodes, data_bytes, mark_bytes;
};

static int fail_at(struct loader *ld, int line, int column, int rc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail_at(struct loader *ld, int line, int column, int rc, const char *fmt, ...)
{
    struct yaml_error *err = ld->err;
    va_list ap;
    err->line = line;
    err->column = column;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    text_utf8_clip(err->message);
    return rc;
}

/* libyaml marks are 0-based; people count from 1. */
#define AT(m) (int)(m).line + 1, (int)(m).column + 1

static int fail_oom(struct loader *ld)
{
    return fail_at(ld, 0, 0, ENOMEM, "out of memory");
}

/* Line and column of a byte offset, for reader errors (which carry an
 * offset, not a mark). Columns count characters, as libyaml's do. */
static void offset_position(const struct loader *ld, size_t offset, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < ld->input_len; i++) {
        unsigned char c = (unsigned char)ld->input[i];
        if (c == '\n') {
            (*line)++;
            *column = 1;
        } else if ((c & 0xc0) != 0x80) {
            (*column)++;
        }
    }
}

static int parser_failed(struct loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem ? p->problem : "syntax error";
    int line, column;

    if (p->error == YAML_MEMORY_ERROR)
        return fail_oom(ld);
    if (p->error == YAML_READER_ERROR) {
        offset_position(ld, p->problem_offset, &line, &column);
        return fail_at(ld, line, column, EBADMSG, "invalid text: %s", problem);
    }
    if (p->context && (p->context_mark.line != p->problem_mark.line ||
                       p->context_mark.column != p->problem_mark.column))
        return fail_at(ld, AT(p->problem_mark), EBADMSG,
                       "%s (%s that started at line %d, column %d)", problem, p->context,
                       AT(p->context_mark));
    if (p->context)
        return fail_at(ld, AT(p->problem_mark), EBADMSG, "%s (%s)", problem, p->context);
    return fail_at(ld, AT(p->problem_mark), EBADMSG, "%s", problem);
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ld->parser, ev))
        return 0;
    return parser_failed(ld);
}

/* Every value and mark is charged here so that no input, however aliased,
 * builds more than the caps allow. */
static int charge(struct loader *ld, const yaml_mark_t *at, size_t nodes, size_t data_bytes,
                  size_t mark_bytes)
{
    ld->nodes += nodes;
    ld->data_bytes += data_bytes;
    ld->mark_bytes += mark_bytes;
    if (ld->nodes > YL_MAX_NODES)
        return fail_at(ld, AT(*at), EBADMSG,
                       "the document expands to more than %u values (too many aliases?)",
                       YL_MAX_NODES);
    if (ld->data_bytes + ld->mark_bytes > YL_MAX_BYTES)
        return fail_at(ld, AT(*at), EBADMSG, "the document expands to more than %u MiB",
                       YL_MAX_BYTES >> 20);
    return 0;
}

/* Record that the value at the current pointer (plus `suffix`, e.g.
 * "#key") starts at line, column. The caller has charged for it. */
static int push_mark(struct loader *ld, const char *suffix, size_t slen, int line, int column)
{
    if (ld->n_marks == ld->cap_marks) {
        size_t cap = ld->cap_marks ? ld->cap_marks * 2 : 64;
        struct mark *m = realloc(ld->marks, cap * sizeof(*m));
        if (!m)
            return fail_oom(ld);
        ld->marks = m;
        ld->cap_marks = cap;
    }
    struct mark *m = &ld->marks[ld->n_marks];
    m->off = ld->arena.len;
    m->len = ld->ptr.len + slen;
    m->line = line;
    m->column = column;
    if (strbuf_append(&ld->arena, ld->ptr.s, ld->ptr.len) ||
        strbuf_append(&ld->arena, suffix, slen))
        return fail_oom(ld);
    ld->n_marks++;
    return 0;
}

static int add_mark(struct loader *ld, const char *suffix, const yaml_mark_t *at)
{
    size_t slen = strlen(suffix);
    if (!ld->want_marks)
        return 0;
    int rc = charge(ld, at, 0, 0, ld->ptr.len + slen);
    return rc ? rc : push_mark(ld, suffix, slen, AT(*at));
}

/* What copying an anchor's marks to the current pointer costs. */
static size_t copied_marks_bytes(const struct loader *ld, const struct anchor *a)
{
    size_t n = a->mark_end - a->mark_first;
    if (!n)
        return 0;
    size_t total = ld->arena.len - ld->marks[a->mark_first].off;
    if (a->mark_end < ld->n_marks)
        total = ld->marks[a->mark_end].off - ld->marks[a->mark_first].off;
    return total - n * a->ptr_len + n * ld->ptr.len;
}

/* Copy one mark of an anchored node for an alias: same position, pointer
 * rebased from the anchor's pointer onto the current one. */
static int copy_mark(struct loader *ld, const struct anchor *a, size_t i)
{
    struct mark src = ld->marks[i];
    size_t tail = src.len - a->ptr_len;
    size_t base = ld->ptr.len;
    /* The arena may move while it grows, so the tail goes through ptr. */
    if (strbuf_reserve(&ld->ptr, tail))
        return fail_oom(ld);
    memcpy(ld->ptr.s + base, ld->arena.s + src.off + a->ptr_len, tail);
    strbuf_truncate(&ld->ptr, base + tail);
    int rc = push_mark(ld, "", 0, src.line, src.column);
    strbuf_truncate(&ld->ptr, base);
    return rc;
}

/* Append "/segment" to the current pointer, escaping per RFC 6901. */
static int push_key(struct loader *ld, const char *key, size_t len)
{
    if (strbuf_append(&ld->ptr, "/", 1))
        return fail_oom(ld);
    for (size_t i = 0; i < len; i++) {
        const char *esc = key[i] == '~' ? "~0" : key[i] == '/' ? "~1" : NULL;
        if (esc ? strbuf_append(&ld->ptr, esc, 2) : strbuf_append(&ld->ptr, key + i, 1))
            return fail_oom(ld);
    }
    return 0;
}

static int push_index(struct loader *ld, size_t index)
{
    char seg[32];
    int n = snprintf(seg, sizeof(seg), "/%zu", index);
    return strbuf_append(&ld->ptr, seg, (size_t)n) ? fail_oom(ld) : 0;
}

/* ---- scalar typing (YAML 1.2 core schema) ---- */

static int parse_integer(struct loader *ld, const yaml_event_t *ev, int base, json_t **out)
{
    const char *text = (const char *)ev->data.scalar.value;
    char shown[80];
    char *end;
    errno = 0;
    long long v = strtoll(base == 10 ? text : text + 2, &end, base);
    if (errno == ERANGE) {
        text_quote(shown, sizeof(shown), text, ev->data.scalar.length, false);
        return fail_at(ld, AT(ev->start_mark), EBADMSG,
                       "the integer %s is too large (quote it if it is text)", shown);
    }
    *out = json_integer((json_int_t)v);
    return *out ? 0 : fail_oom(ld);
}

static int parse_float(struct loader *ld, const yaml_event_t *ev, json_t **out)
{
    const char *text = (const char *)ev->data.scalar.value;
    char shown[80];
    double d = strtod(text, NULL);
    if (!isfinite(d)) {
        text_quote(shown, sizeof(shown), text, ev->data.scalar.length, false);
        return fail_at(ld, AT(ev->start_mark), EBADMSG,
                       "the number %s is too large (quote it if it is text)", shown);
    }
    *out = json_real(d);
    return *out ? 0 : fail_oom(ld);
}

static int make_string(struct loader *ld, const yaml_event_t *ev, json_t **out)
{
    *out = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
    if (*out)
        return 0;
    return fail_at(ld, AT(ev->start_mark), EBADMSG, "the text is not valid UTF-8");
}

static int resolve_plain(struct loader *ld, const yaml_event_t *ev, json_t **out)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;

    switch (yaml_plain_kind(text, len)) {
    case PK_NULL:
        *out = json_null();
        return 0;
    case PK_TRUE:
        *out = json_true();
        return 0;
    case PK_FALSE:
        *out = json_false();
        return 0;
    case PK_INT:
        return parse_integer(ld, ev, 10, out);
    case PK_OCT:
        return parse_integer(ld, ev, 8, out);
    case PK_HEX:
        return parse_integer(ld, ev, 16, out);
    case PK_FLOAT:
        return parse_float(ld, ev, out);
    case PK_NONFINITE:
        return fail_at(ld, AT(ev->start_mark), EBADMSG,
                       "infinity and NaN are not supported (quote it if it is text)");
    case PK_STRING:
        break;
    }
    return make_string(ld, ev, out);
}

/* A tag can only say what the node already is: "!" and "!!str" make a
 * scalar a string; other tags would need a type system we do not have. */
static int check_tag(struct loader *ld, const yaml_event_t *ev, const char *tag,
                     const char *allowed)
{
    static const char core[] = "tag:yaml.org,2002:";
    char shown[80];
    if (!tag || strcmp(tag, "!") == 0 || strcmp(tag, allowed) == 0)
        return 0;
    if (strncmp(tag, core, sizeof(core) - 1) == 0) /* show it as written: !!int */
        snprintf(shown, sizeof(shown), "!!%.60s", tag + sizeof(core) - 1);
    else
        text_quote(shown, sizeof(shown), tag, strlen(tag), false);
    return fail_at(ld, AT(ev->start_mark), EBADMSG, "the tag %s is not supported", shown);
}

static int load_scalar(struct loader *ld, const yaml_event_t *ev, json_t **out)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    int rc = check_tag(ld, ev, tag, TAG_STR);
    if (!rc)
        rc = charge(ld, &ev->start_mark, 1, ev->data.scalar.length, 0);
    if (rc)
        return rc;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag)
        return resolve_plain(ld, ev, out);
    return make_string(ld, ev, out);
}

/* ---- anchors ---- */

static int anchor_begin(struct loader *ld, const yaml_event_t *ev, const char *name, size_t *idx)
{
    if (ld->n_anchors == ld->cap_anchors) {
        size_t cap = ld->cap_anchors ? ld->cap_anchors * 2 : 16;
        struct anchor *a = realloc(ld->anchors, cap * sizeof(*a));
        if (!a)
            return fail_oom(ld);
        ld->anchors = a;
        ld->cap_anchors = cap;
    }
    struct anchor *a = &ld->anchors[ld->n_anchors];
    memset(a, 0, sizeof(*a));
    a->name = strdup(name);
    if (!a->name)
        return fail_oom(ld);
    *idx = ld->n_anchors++;
    /* Registered now, not at the end: an alias inside its own anchor must
     * find it (and be refused as a loop), and a later anchor of the same
     * name inside this node must win. */
    if (json_object_set_new(ld->anchor_index, name, json_integer((json_int_t)*idx)))
        return fail_at(ld, AT(ev->start_mark), EBADMSG, "invalid anchor name");
    a->ptr_len = ld->ptr.len;
    a->mark_first = ld->n_marks;
    a->nodes = ld->nodes;
    a->bytes = ld->data_bytes;
    return 0;
}

static void anchor_end(struct loader *ld, size_t idx, json_t *value, int height)
{
    struct anchor *a = &ld->anchors[idx];
    a->value = json_incref(value);
    a->height = height;
    a->nodes = ld->nodes - a->nodes;
    a->bytes = ld->data_bytes - a->bytes;
    a->mark_end = ld->n_marks;
}

static int load_alias(struct loader *ld, const yaml_event_t *ev, int depth, json_t **out,
                      int *height)
{
    const char *name = (const char *)ev->data.alias.anchor;
    json_t *found = json_object_get(ld->anchor_index, name);
    if (!found)
        return fail_at(ld, AT(ev->start_mark), EBADMSG,
                       "the alias *%.100s has no anchor &%.100s before it", name, name);
    const struct anchor *a = &ld->anchors[json_integer_value(found)];
    if (!a->value)
        return fail_at(ld, AT(ev->start_mark), EBADMSG,
                       "the alias *%.200s is inside the node it refers to", name);
    if (a->height && depth + a->height - 1 > YL_MAX_DEPTH)
        return fail_at(ld, AT(ev->start_mark), EBADMSG,
                       "the alias *%.200s nests deeper than %d levels", name, YL_MAX_DEPTH);
    size_t mark_bytes = ld->want_marks ? copied_marks_bytes(ld, a) : 0;
    int rc = charge(ld, &ev->start_mark, a->nodes, a->bytes, mark_bytes);
    for (size_t i = a->mark_first; !rc && ld->want_marks && i < a->mark_end; i++)
        rc = copy_mark(ld, a, i);
    if (rc)
        return rc;
    *out = json_deep_copy(a->value);
    *height = a->height;
    return *out ? 0 : fail_oom(ld);
}

/* ---- collections ---- */

static int load_node(struct loader *ld, const yaml_event_t *ev, int depth, json_t **out,
                     int *height);

static int enter_collection(struct loader *ld, const yaml_event_t *ev, int depth, const char *tag,
                            const char *allowed)
{
    if (depth > YL_MAX_DEPTH)
        return fail_at(ld, AT(ev->start_mark), EBADMSG, "nesting is deeper than %d levels",
                       YL_MAX_DEPTH);
    int rc = check_tag(ld, ev, tag, allowed);
    return rc ? rc : charge(ld, &ev->start_mark, 1, 0, 0);
}

static int load_item(struct loader *ld, json_t *arr, int depth, int *height, bool *done)
{
    yaml_event_t ev;
    json_t *child = NULL;
    int h = 0;
    size_t base = ld->ptr.len;
    int rc = next_event(ld, &ev);
    if (rc)
        return rc;
    *done = ev.type == YAML_SEQUENCE_END_EVENT;
    if (!*done) {
        rc = push_index(ld, json_array_size(arr));
        if (!rc)
            rc = load_node(ld, &ev, depth + 1, &child, &h);
        if (!rc && json_array_append_new(arr, child))
            rc = fail_oom(ld);
        if (h + 1 > *height)
            *height = h + 1;
    }
    strbuf_truncate(&ld->ptr, base);
    yaml_event_delete(&ev);
    return rc;
}

static int load_sequence(struct loader *ld, const yaml_event_t *ev, int depth, json_t **out,
                         int *height)
{
    bool done = false;
    int rc = enter_collection(ld, ev, depth, (const char *)ev->data.sequence_start.tag, TAG_SEQ);
    if (rc)
        return rc;
    json_t *arr = json_array();
    if (!arr)
        return fail_oom(ld);
    *height = 1;
    while (!rc && !done)
        rc = load_item(ld, arr, depth, height, &done);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static const char *node_kind(yaml_event_type_t type)
{
    switch (type) {
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    case YAML_SEQUENCE_START_EVENT:
        return "a list";
    case YAML_ALIAS_EVENT:
        return "an alias";
    default:
        return "something else";
    }
}

/* Mapping keys become JSON object keys: text, whatever they look like
 * ("1: x" gives the key "1"). */
static int check_key(struct loader *ld, const json_t *obj, const yaml_event_t *kev)
{
    const char *key = (const char *)kev->data.scalar.value;
    size_t len = kev->data.scalar.length;
    char shown[80];

    if (kev->type != YAML_SCALAR_EVENT)
        return fail_at(ld, AT(kev->start_mark), EBADMSG,
                       "expected a mapping key to be a scalar, found %s", node_kind(kev->type));
    if (kev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len == 2 && memcmp(key, "<<", 2) == 0)
        return fail_at(ld, AT(kev->start_mark), EBADMSG,
                       "merge keys (<<) are not supported; write the keys out");
    /* jansson's own parser refuses these too, and C-string lookups and
     * json_equal() cannot see past the NUL. */
    if (memchr(key, '\0', len))
        return fail_at(ld, AT(kev->start_mark), EBADMSG,
                       "a mapping key cannot contain a NUL character (\\0)");
    if (kev->data.scalar.anchor)
        return fail_at(ld, AT(kev->start_mark), EBADMSG,
                       "anchors on mapping keys are not supported");
    if (json_object_getn(obj, key, len)) {
        text_quote(shown, sizeof(shown), key, len, false);
        return fail_at(ld, AT(kev->start_mark), EBADMSG, "duplicate key %s", shown);
    }
    return charge(ld, &kev->start_mark, 0, len, 0);
}

static int load_member_value(struct loader *ld, json_t *obj, const yaml_event_t *kev, int depth,
                             int *height)
{
    const char *key = (const char *)kev->data.scalar.value;
    size_t len = kev->data.scalar.length;
    yaml_event_t ev;
    json_t *child = NULL;
    int h = 0;
    int rc = push_key(ld, key, len);
    if (!rc)
        rc = add_mark(ld, "#key", &kev->start_mark);
    if (!rc)
        rc = next_event(ld, &ev);
    if (rc)
        return rc;
    rc = load_node(ld, &ev, depth + 1, &child, &h);
    if (!rc && json_object_setn_new(obj, key, len, child))
        rc = fail_at(ld, AT(kev->start_mark), EBADMSG, "the key is not valid UTF-8");
    if (h + 1 > *height)
        *height = h + 1;
    yaml_event_delete(&ev);
    return rc;
}

static int load_member(struct loader *ld, json_t *obj, int depth, int *height, bool *done)
{
    yaml_event_t kev;
    size_t base = ld->ptr.len;
    int rc = next_event(ld, &kev);
    if (rc)
        return rc;
    *done = kev.type == YAML_MAPPING_END_EVENT;
    if (!*done) {
        rc = check_key(ld, obj, &kev);
        if (!rc)
            rc = load_member_value(ld, obj, &kev, depth, height);
    }
    strbuf_truncate(&ld->ptr, base);
    yaml_event_delete(&kev);
    return rc;
}

static int load_mapping(struct loader *ld, const yaml_event_t *ev, int depth, json_t **out,
                        int *height)
{
    bool done = false;
    int rc = enter_collection(ld, ev, depth, (const char *)ev->data.mapping_start.tag, TAG_MAP);
    if (rc)
        return rc;
    json_t *obj = json_object();
    if (!obj)
        return fail_oom(ld);
    *height = 1;
    while (!rc && !done)
        rc = load_member(ld, obj, depth, height, &done);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

static const char *event_anchor(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return (const char *)ev->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT:
        return (const char *)ev->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT:
        return (const char *)ev->data.mapping_start.anchor;
    default:
        return NULL;
    }
}

static int load_content(struct loader *ld, const yaml_event_t *ev, int depth, json_t **out,
                        int *height)
{
    *height = 0;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return load_scalar(ld, ev, out);
    case YAML_SEQUENCE_START_EVENT:
        return load_sequence(ld, ev, depth, out, height);
    case YAML_MAPPING_START_EVENT:
        return load_mapping(ld, ev, depth, out, height);
    case YAML_ALIAS_EVENT:
        return load_alias(ld, ev, depth, out, height);
    default:
        return fail_at(ld, AT(ev->start_mark), EBADMSG, "expected a value");
    }
}

/* Read the node that starts with `ev`; `depth` is the nesting level a
 * collection here would have (the root is 1). */
static int load_node(struct loader *ld, const yaml_event_t *ev, int depth, json_t **out,
                     int *height)
{
    const char *anchor = event_anchor(ev);
    size_t idx = 0;
    int rc = add_mark(ld, "", &ev->start_mark);
    if (!rc && anchor)
        rc = anchor_begin(ld, ev, anchor, &idx);
    if (!rc)
        rc = load_content(ld, ev, depth, out, height);
    if (!rc && anchor)
        anchor_end(ld, idx, *out, *height);
    return rc;
}

/* ---- documents ---- */

static bool is_empty_node(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == 0 &&
           ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
           !ev->data.scalar.anchor;
}

/* The document's root. A document with nothing in it ("---" alone) is
 * an empty configuration, like an empty file. */
static int load_root(struct loader *ld, json_t **rootp)
{
    yaml_event_t ev;
    int height;
    int rc = next_event(ld, &ev);
    if (rc)
        return rc;
    if (is_empty_node(&ev)) {
        rc = add_mark(ld, "", &ev.start_mark);
        *rootp = json_object();
        if (!rc && !*rootp)
            rc = fail_oom(ld);
    } else {
        rc = load_node(ld, &ev, 1, rootp, &height);
    }
    yaml_event_delete(&ev);
    return rc;
}

/* The next event's type and position; the event itself is not needed. */
static int next_type(struct loader *ld, yaml_event_type_t *type, yaml_mark_t *at)
{
    yaml_event_t ev;
    int rc = next_event(ld, &ev);
    if (rc)
        return rc;
    *type = ev.type;
    *at = ev.start_mark;
    yaml_event_delete(&ev);
    return 0;
}

static int empty_stream(struct loader *ld, json_t **rootp)
{
    yaml_mark_t first = {0};
    int rc = add_mark(ld, "", &first);
    if (rc)
        return rc;
    *rootp = json_object();
    return *rootp ? 0 : fail_oom(ld);
}

static int load_stream(struct loader *ld, json_t **rootp)
{
    yaml_event_type_t type;
    yaml_mark_t at;
    int rc = next_type(ld, &type, &at); /* the stream start */
    if (!rc)
        rc = next_type(ld, &type, &at);
    if (rc)
        return rc;
    if (type == YAML_STREAM_END_EVENT)
        return empty_stream(ld, rootp);
    rc = load_root(ld, rootp); /* after the document start */
    if (!rc)
        rc = next_type(ld, &type, &at); /* the document end */
    if (!rc)
        rc = next_type(ld, &type, &at);
    if (!rc && type == YAML_DOCUMENT_START_EVENT)
        return fail_at(ld, AT(at), EBADMSG,
                       "only one document is allowed per file (found a second \"---\")");
    if (!rc && type != YAML_STREAM_END_EVENT)
        return fail_at(ld, AT(at), EBADMSG, "expected the end of the text");
    return rc;
}

static json_t *build_marks(const struct loader *ld)
{
    json_t *marks = json_object();
    for (size_t i = 0; marks && i < ld->n_marks; i++) {
        const struct mark *m = &ld->marks[i];
        json_t *pos = json_pack("[ii]", m->line, m->column);
        if (json_object_setn_new(marks, ld->arena.s + m->off, m->len, pos)) {
            json_decref(marks);
            return NULL;
        }
    }
    return marks;
}

static void loader_free(struct loader *ld)
{
    for (size_t i = 0; i < ld->n_anchors; i++) {
        free(ld->anchors[i].name);
        json_decref(ld->anchors[i].value);
    }
    free(ld->anchors);
    free(ld->marks);
    free(ld->arena.s);
    free(ld->ptr.s);
    json_decref(ld->anchor_index);
    yaml_parser_delete(&ld->parser);
}

static int load_into(struct loader *ld, json_t **rootp, json_t **marksp)
{
    if (!yaml_parser_initialize(&ld->parser))
        return fail_oom(ld);
    yaml_parser_set_input_string(&ld->parser, (const unsigned char *)ld->input, ld->input_len);
    ld->anchor_index = json_object();
    if (!ld->anchor_index || strbuf_append(&ld->ptr, "", 0))
        return fail_oom(ld);
    int rc = load_stream(ld, rootp);
    if (!rc && marksp && !(*marksp = build_marks(ld)))
        rc = fail_oom(ld);
    return rc;
}

int yaml_load_buffer(const char *buf, size_t len, json_t **rootp, json_t **marksp,
                     struct yaml_error *err)
{
    struct yaml_error spare;
    struct loader ld = {
        .input = buf, .input_len = len, .err = err ? err : &spare, .want_marks = marksp != NULL};
    json_t *root = NULL;

    memset(ld.err, 0, sizeof(*ld.err));
    if (marksp)
        *marksp = NULL;
    if (!rootp || (!buf && len))
        return fail_at(&ld, 0, 0, EINVAL, "no input");
    *rootp = NULL;
    if (len > YL_MAX_INPUT)
        return fail_at(&ld, 0, 0, EBADMSG, "the input is larger than %u MiB", YL_MAX_INPUT >> 20);
    if (!buf)
        ld.input = "";
    int rc = load_into(&ld, &root, marksp);
    loader_free(&ld);
    if (rc) {
        json_decref(root);
        return rc;
    }
    *rootp = root;
    return 0;
}

/* Read at most YL_MAX_INPUT + 1 bytes, so an oversized file is noticed
 * without reading all of it; works for pipes too. */
static int read_file(FILE *f, char **bufp, size_t *lenp)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0 || len > YL_MAX_INPUT)
            break;
        if (len == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf)
        return ENOMEM;
    if (ferror(f)) {
        free(buf);
        return errno ? errno : EIO;
    }
    *bufp = buf;
    *lenp = len;
    return 0;
}

int yaml_load_file(const char *path, json_t **rootp, json_t **marksp, struct yaml_error *err)
{
    struct yaml_error spare;
    struct yaml_error *e = err ? err : &spare;
    char *buf = NULL;
    size_t len = 0;
    int rc;

    memset(e, 0, sizeof(*e));
    if (rootp)
        *rootp = NULL;
    if (marksp)
        *marksp = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = errno;
        snprintf(e->message, sizeof(e->message), "cannot open %s: %s", path, strerror(rc));
        return rc;
    }
    errno = 0;
    rc = read_file(f, &buf, &len);
    fclose(f);
    if (rc) {
        snprintf(e->message, sizeof(e->message), "cannot read %s: %s", path, strerror(rc));
        return rc;
    }
    rc = yaml_load_buffer(buf, len, rootp, marksp, e);
    free(buf);
    return rc;
}
