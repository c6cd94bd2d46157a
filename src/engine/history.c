/*
 * Run history (engine/history.h): records in memory, oldest first, and
 * the same records as JSON lines in one file rewritten atomically after
 * each run (at most HISTORY_BYTES_DEFAULT by default: a converge every
 * few minutes makes that cheap).
 *
 * Reports are read with a small validating JSON scanner that only finds
 * the spans of values; what is kept is copied from the report byte for
 * byte, by a whitelist of fields, so nothing the report adds later (a
 * file's content, say) reaches the history without a change here.
 */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"

struct history {
	char		*path;
	struct history_limits lim;
	char		**recs;		/* oldest first; each NUL-terminated */
	size_t		 n, cap;
	size_t		 bytes;
};

/* ---- a validating scanner ------------------------------------------------ */

static const char *
j_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* p at '"': returns just past the closing quote, or NULL. */
static const char *
j_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++p >= end || strchr(
					    "0123456789abcdefABCDEF", *p) ==
					    NULL || *p == '\0')
						return NULL;
			} else if (strchr("\"\\/bfnrt", *p) == NULL ||
			    *p == '\0')
				return NULL;
		}
	}
	return NULL;
}

static const char *j_value(const char *p, const char *end, int depth);

/* p at '{' or '[': returns past the closing bracket, or NULL. */
static const char *
j_container(const char *p, const char *end, int depth)
{
	int is_obj = *p == '{';
	char close = is_obj ? '}' : ']';

	if (depth >= HISTORY_DEPTH_MAX)
		return NULL;
	p = j_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (is_obj) {
			if ((p = j_string(p, end)) == NULL)
				return NULL;
			p = j_ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p++;
		}
		if ((p = j_value(p, end, depth + 1)) == NULL)
			return NULL;
		p = j_ws(p, end);
		if (p < end && *p == close)
			return p + 1;
		if (p >= end || *p != ',')
			return NULL;
		p = j_ws(p + 1, end);
	}
}

/* Skips leading space; returns just past the value, or NULL. */
static const char *
j_value(const char *p, const char *end, int depth)
{
	const char *s;

	p = j_ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return j_string(p, end);
	if (*p == '{' || *p == '[')
		return j_container(p, end, depth);
	for (s = p; p < end && strchr("-+.eE0123456789", *p) != NULL &&
	    *p != '\0'; p++)
		;
	if (p > s)
		return p;
	for (size_t i = 0; i < 3; i++) {
		static const char *const lits[] = { "true", "false", "null" };
		size_t n = strlen(lits[i]);

		if ((size_t)(end - p) >= n && memcmp(p, lits[i], n) == 0)
			return p + n;
	}
	return NULL;
}

/* p just past an array element: returns the next element, or the ']'
 * that closes the array. */
static const char *
j_next_item(const char *p, const char *end)
{
	p = j_ws(p, end);
	if (p < end && *p == ',')
		p = j_ws(p + 1, end);
	return p;
}

/* A member of an object: raw key (quotes included) and value spans. */
struct j_member {
	const char	*key, *key_end, *val, *val_end;
};

/*
 * Steps through an object: *pp at '{' (first call) or after a member.
 * Returns 1 with m filled, 0 at the end (past '}'), TL_EINVAL.
 */
static int
j_next_member(const char **pp, const char *end, int *is_first,
    struct j_member *m)
{
	const char *p = j_ws(*pp, end);

	if (*is_first) {
		if (p >= end || *p != '{')
			return TL_EINVAL;
		p = j_ws(p + 1, end);
		*is_first = 0;
		if (p < end && *p == '}') {
			*pp = p + 1;
			return 0;
		}
	} else {
		if (p < end && *p == '}') {
			*pp = p + 1;
			return 0;
		}
		if (p >= end || *p != ',')
			return TL_EINVAL;
		p = j_ws(p + 1, end);
	}
	m->key = p;
	if ((m->key_end = j_string(p, end)) == NULL)
		return TL_EINVAL;
	p = j_ws(m->key_end, end);
	if (p >= end || *p != ':')
		return TL_EINVAL;
	m->val = j_ws(p + 1, end);
	if ((m->val_end = j_value(m->val, end, 1)) == NULL)
		return TL_EINVAL;
	*pp = m->val_end;
	return 1;
}

static int
span_is(const char *p, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(e - p) == n && memcmp(p, lit, n) == 0;
}

static int
key_in(const struct j_member *m, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (span_is(m->key, m->key_end, *keys))
			return 1;
	return 0;
}

static void
add_member(struct buf *out, const struct j_member *m, int *first)
{
	if (!*first)
		buf_addch(out, ',');
	*first = 0;
	buf_add(out, m->key, (size_t)(m->key_end - m->key));
	buf_addch(out, ':');
	buf_add(out, m->val, (size_t)(m->val_end - m->val));
}

/* ---- compaction ---------------------------------------------------------- */

static const char *const top_keys[] = { "\"run_id\"", "\"noop\"",
    "\"started\"", "\"summary\"", NULL };
static const char *const res_keys[] = { "\"ref\"", "\"type\"", "\"title\"",
    "\"where\"", "\"result\"", "\"duration_ms\"", "\"changes\"",
    "\"error\"", NULL };

/* Result classes in the order they are kept: failures first. */
static const char *const classes[] = { "\"failed\"", "\"changed\"",
    "\"skipped\"", NULL };

/*
 * One resource object at p..e: its result's class (index into classes,
 * -1 for unchanged or unknown) and whether it matches want (escaped,
 * quoted; NULL any). < 0 when it is not an object.
 */
static int
res_look(const char *p, const char *e, const char *want, int *cls,
    int *match)
{
	struct j_member m;
	int first = 1, r;

	*cls = -1;
	*match = want == NULL;
	while ((r = j_next_member(&p, e, &first, &m)) == 1) {
		if (span_is(m.key, m.key_end, "\"result\"")) {
			for (int i = 0; classes[i] != NULL; i++)
				if (span_is(m.val, m.val_end, classes[i]))
					*cls = i;
		} else if (want != NULL && (span_is(m.key, m.key_end,
		    "\"ref\"") || span_is(m.key, m.key_end, "\"title\"")) &&
		    span_is(m.val, m.val_end, want))
			*match = 1;
	}
	return r;
}

static void
res_copy(const char *p, const char *e, struct buf *out)
{
	struct j_member m;
	int first = 1, f = 1;

	buf_addch(out, '{');
	while (j_next_member(&p, e, &first, &m) == 1)
		if (key_in(&m, res_keys))
			add_member(out, &m, &f);
	buf_addch(out, '}');
}

static int
res_array(const char *p, const char *end, const char *want, size_t budget,
    struct buf *out, int *truncated)
{
	int kept = 0, cls, match;

	buf_addstr(out, ",\"resources\":[");
	for (int want_cls = 0; classes[want_cls] != NULL; want_cls++) {
		const char *q = j_ws(p + 1, end), *e;

		while (q < end && *q != ']') {
			if ((e = j_value(q, end, 2)) == NULL ||
			    res_look(q, e, want, &cls, &match) < 0)
				return TL_EINVAL;
			if (cls == want_cls && match) {
				size_t before = out->len;

				if (kept > 0)
					buf_addch(out, ',');
				res_copy(q, e, out);
				if (budget > 0 && out->len > budget) {
					buf_truncate(out, before);
					*truncated = 1;
				} else
					kept++;
			}
			q = j_next_item(e, end);
		}
	}
	buf_addch(out, ']');
	return kept;
}

int
history_compact(const char *report, size_t len, const char *ref,
    size_t budget, struct buf *out, int *truncated)
{
	const char *p = report, *end = report + len, *res = NULL;
	struct buf tmp = BUF_INIT, want = BUF_INIT;
	struct j_member m;
	int first = 1, r, f = 0;

	*truncated = 0;
	if (j_value(p, end, 0) == NULL || *j_ws(p, end) != '{')
		return TL_EINVAL;
	while ((r = j_next_member(&p, end, &first, &m)) == 1) {
		if (span_is(m.key, m.key_end, "\"resources\"") &&
		    *m.val == '[')
			res = m.val;
		else if (key_in(&m, top_keys))
			add_member(&tmp, &m, &f);
	}
	if (ref != NULL)
		buf_add_json_str(&want, ref, strlen(ref));
	if (r == 0 && res != NULL)
		r = res_array(res, end, ref != NULL ? want.data : NULL,
		    budget == 0 ? 0 : budget > out->len ? budget - out->len :
		    1, &tmp, truncated);
	if (r >= 0)
		buf_add(out, tmp.data, tmp.len);
	buf_release(&tmp);
	buf_release(&want);
	return r;
}

/* ---- the store ------------------------------------------------------------ */

static size_t
limit_runs(const struct history *h)
{
	return h->lim.max_runs ? h->lim.max_runs : HISTORY_RUNS_DEFAULT;
}

static size_t
limit_bytes(const struct history *h)
{
	return h->lim.max_bytes ? h->lim.max_bytes : HISTORY_BYTES_DEFAULT;
}

static void
rec_push(struct history *h, char *rec)
{
	h->recs = xgrow(h->recs, &h->cap, h->n + 1, sizeof(*h->recs));
	h->recs[h->n++] = rec;
	h->bytes += strlen(rec) + 1;
	while (h->n > 1 && (h->n > limit_runs(h) ||
	    h->bytes > limit_bytes(h))) {
		h->bytes -= strlen(h->recs[0]) + 1;
		free(h->recs[0]);
		memmove(h->recs, h->recs + 1, (h->n - 1) * sizeof(*h->recs));
		h->n--;
	}
}

/* The record's "when" (unix seconds), 0 if it has none. */
static uint64_t
rec_when(const char *rec)
{
	const char *p = rec, *end = rec + strlen(rec);
	struct j_member m;
	int first = 1;

	while (j_next_member(&p, end, &first, &m) == 1)
		if (span_is(m.key, m.key_end, "\"when\""))
			return strtoull(m.val, NULL, 10);
	return 0;
}

/* A stored line is kept only if it is one JSON object with a run. */
static int
line_is_record(const char *p, size_t n)
{
	const char *e = p + n;

	return n > 0 && *p == '{' && j_value(p, e, 0) == e &&
	    rec_when(p) > 0;
}

struct history *
history_open(const char *path, const struct history_limits *lim,
    struct tl_err *err)
{
	struct history *h = xcalloc(1, sizeof(*h));
	struct buf b = BUF_INIT;
	int r;

	h->path = xstrdup(path);
	if (lim != NULL)
		h->lim = *lim;
	r = fileio_read(path, limit_bytes(h) * 2 + HISTORY_RECORD_MAX, &b,
	    err);
	if (r < 0 && r != TL_ENOENT) {
		buf_release(&b);
		history_free(h);
		return NULL;
	}
	tl_err_clear(err);
	for (char *p = b.data, *nl; r == 0 && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;		/* a torn last line */
		*nl = '\0';
		if (line_is_record(p, (size_t)(nl - p)))
			rec_push(h, xstrdup(p));
	}
	buf_release(&b);
	return h;
}

void
history_free(struct history *h)
{
	if (h == NULL)
		return;
	xfree_strs(h->recs, h->n);
	free(h->path);
	free(h);
}

static void
record_make(const struct history_run *run, const char *report, size_t len,
    struct buf *rec)
{
	int truncated = 0, r;

	buf_addf(rec, "{\"run\":%llu,\"when\":%llu,\"serial\":%llu,"
	    "\"status\":%d,\"duration_ms\":%u,\"why\":",
	    (unsigned long long)run->run, (unsigned long long)run->when_s,
	    (unsigned long long)run->serial, run->status, run->duration_ms);
	buf_add_json_str(rec, run->why ? run->why : "",
	    run->why ? strlen(run->why) : 0);
	buf_addstr(rec, ",\"error\":");
	if (run->error != NULL && run->error[0] != '\0')
		buf_add_json_str(rec, run->error, strlen(run->error));
	else
		buf_addstr(rec, "null");
	r = history_compact(report, len, NULL, HISTORY_RECORD_MAX - 64, rec,
	    &truncated);
	if (r < 0)
		buf_addstr(rec, ",\"summary\":null,\"resources\":[]");
	buf_addf(rec, ",\"truncated\":%s}", truncated ? "true" : "false");
}

static int
history_save(const struct history *h, struct tl_err *err)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct buf b = BUF_INIT;
	int r;

	meta.mode = 0600;
	for (size_t i = 0; i < h->n; i++) {
		buf_addstr(&b, h->recs[i]);
		buf_addch(&b, '\n');
	}
	r = fileio_write_atomic(h->path, b.data, b.len, &meta, err);
	buf_release(&b);
	return r;
}

int
history_add(struct history *h, const struct history_run *run,
    const char *report, size_t len, struct tl_err *err)
{
	struct buf rec = BUF_INIT;

	record_make(run, report != NULL ? report : "", report ? len : 0, &rec);
	rec_push(h, buf_detach(&rec, NULL));
	return history_save(h, err);
}

size_t
history_count(const struct history *h)
{
	return h->n;
}

size_t
history_bytes(const struct history *h)
{
	return h->bytes;
}


/* The record with only the resources matching ref; 0 when none. */
static int
rec_filtered(const char *rec, const char *ref, struct buf *out)
{
	const char *p = rec, *end = rec + strlen(rec);
	struct buf res = BUF_INIT;
	struct j_member m;
	int first = 1, f = 1, truncated, n = 0;

	buf_addch(out, '{');
	while (j_next_member(&p, end, &first, &m) == 1) {
		if (span_is(m.key, m.key_end, "\"resources\"")) {
			/* Wrap the array so the compactor reads it. */
			buf_addstr(&res, "{\"resources\":");
			buf_add(&res, m.val, (size_t)(m.val_end - m.val));
			buf_addch(&res, '}');
			n = history_compact(res.data, res.len, ref, 0, out,
			    &truncated);
		} else
			add_member(out, &m, &f);
	}
	buf_addch(out, '}');
	buf_release(&res);
	return n;
}

void
history_query(const struct history *h, uint64_t since_s,
    const char *resource, size_t limit, size_t max_bytes, struct buf *out)
{
	size_t given = 0, start = out->len;

	buf_addch(out, '[');
	for (size_t i = h->n; i-- > 0;) {
		size_t before = out->len;

		if (limit > 0 && given >= limit)
			break;
		if (since_s > 0 && rec_when(h->recs[i]) < since_s)
			continue;
		if (given > 0)
			buf_addch(out, ',');
		if (resource == NULL)
			buf_addstr(out, h->recs[i]);
		else if (rec_filtered(h->recs[i], resource, out) <= 0) {
			buf_truncate(out, before);
			continue;
		}
		if (max_bytes > 0 && out->len - start + 1 > max_bytes) {
			buf_truncate(out, before);
			break;
		}
		given++;
	}
	buf_addch(out, ']');
}

/* ---- text ------------------------------------------------------------------------ */

/* A JSON string span shown plainly: escapes undone, control bytes '?'. */
static void
text_str(struct buf *out, const char *p, const char *e)
{
	if (p >= e || *p != '"') {
		buf_add(out, p, (size_t)(e - p));	/* a number, null */
		return;
	}
	for (p++, e--; p < e; p++) {
		int c = (unsigned char)*p;

		if (c == '\\' && p + 1 < e) {
			c = (unsigned char)*++p;
			if (c == 'n' || c == 't' || c == 'r' || c == 'b' ||
			    c == 'f')
				c = ' ';
			else if (c == 'u') {
				p += 4;		/* validated: 4 hex digits */
				c = '?';
			}
		}
		buf_addch(out, c < ' ' || c == 0x7f ? '?' : c);
	}
}

static const char *
member_val(const char *p, const char *e, const char *key, const char **end)
{
	struct j_member m;
	int first = 1;

	while (j_next_member(&p, e, &first, &m) == 1)
		if (span_is(m.key, m.key_end, key)) {
			*end = m.val_end;
			return m.val;
		}
	*end = NULL;
	return NULL;
}

static void
text_field(struct buf *out, const char *p, const char *e, const char *key,
    const char *pre)
{
	const char *v, *ve;

	if ((v = member_val(p, e, key, &ve)) == NULL || span_is(v, ve,
	    "null"))
		return;
	buf_addstr(out, pre);
	text_str(out, v, ve);
}

static void
text_resource(struct buf *out, const char *p, const char *e)
{
	const char *v, *ve;

	buf_addstr(out, "  ");
	text_field(out, p, e, "\"result\"", "");
	buf_addch(out, ' ');
	text_field(out, p, e, "\"ref\"", "");
	text_field(out, p, e, "\"where\"", " at ");
	text_field(out, p, e, "\"error\"", ": ");
	if ((v = member_val(p, e, "\"changes\"", &ve)) != NULL && *v == '[') {
		const char *q = j_ws(v + 1, ve), *qe;

		while (q < ve && *q == '"' && (qe = j_string(q, ve))) {
			buf_addstr(out, q == j_ws(v + 1, ve) ? " (" : ", ");
			text_str(out, q, qe);
			q = j_next_item(qe, ve);
			if (q < ve && *q == ']')
				buf_addch(out, ')');
		}
	}
	buf_addch(out, '\n');
}

static void
text_run(struct buf *out, const char *p, const char *e)
{
	const char *v, *ve;
	char stamp[32] = "?";
	struct tm tm;
	time_t when;

	if ((v = member_val(p, e, "\"when\"", &ve)) != NULL) {
		when = (time_t)strtoll(v, NULL, 10);
		if (gmtime_r(&when, &tm) != NULL)
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ",
			    &tm);
	}
	buf_addf(out, "%s", stamp);
	text_field(out, p, e, "\"run\"", " run ");
	text_field(out, p, e, "\"serial\"", " serial ");
	text_field(out, p, e, "\"status\"", " status ");
	text_field(out, p, e, "\"duration_ms\"", " in ");
	buf_addstr(out, " ms");
	text_field(out, p, e, "\"why\"", " (");
	buf_addstr(out, ")");
	text_field(out, p, e, "\"error\"", ": ");
	buf_addch(out, '\n');
	if ((v = member_val(p, e, "\"resources\"", &ve)) != NULL &&
	    *v == '[') {
		const char *q = j_ws(v + 1, ve), *qe;

		while (q < ve && *q == '{' && (qe = j_value(q, ve, 2))) {
			text_resource(out, q, qe);
			q = j_next_item(qe, ve);
		}
	}
}

int
history_text(const char *runs, size_t len, struct buf *out)
{
	const char *p = j_ws(runs, runs + len), *end = runs + len, *e;

	if (p >= end || *p != '[' || j_value(p, end, 0) == NULL)
		return TL_EINVAL;
	p = j_ws(p + 1, end);
	while (p < end && *p == '{' && (e = j_value(p, end, 1)) != NULL) {
		text_run(out, p, e);
		p = j_next_item(e, end);
	}
	return 0;
}

/* ---- asking another node --------------------------------------------------- */

void
history_ask_encode(const struct history_ask *q, struct buf *out)
{
	size_t rl = strnlen(q->ref, HISTORY_REF_MAX);

	buf_addch(out, HISTORY_MSG_VERSION);
	buf_addch(out, q->what);
	buf_add(out, q->sender, HISTORY_ID_LEN);
	buf_add_be(out, q->since_s, 8);
	buf_add_be(out, q->limit, 2);
	buf_add_be(out, rl, 2);
	buf_add(out, q->ref, rl);
}

int
history_ask_decode(const uint8_t *p, size_t len, struct history_ask *q)
{
	const uint8_t *ref;
	uint16_t rl;
	uint8_t ver;
	struct rd rd;
	int r;

	memset(q, 0, sizeof(*q));
	rd_init(&rd, p, len);
	if ((r = rd_u8(&rd, &ver)) < 0 || (r = rd_u8(&rd, &q->what)) < 0 ||
	    (r = rd_copy(&rd, q->sender, HISTORY_ID_LEN)) < 0 ||
	    (r = rd_u64(&rd, &q->since_s)) < 0 ||
	    (r = rd_u16(&rd, &q->limit)) < 0 || (r = rd_u16(&rd, &rl)) < 0)
		return r;
	if (ver != HISTORY_MSG_VERSION || q->what > HISTORY_WHAT_FACTS)
		return TL_EINVAL;
	if (rl > HISTORY_REF_MAX)
		return TL_ETOOBIG;
	if ((r = rd_bytes(&rd, &ref, rl)) < 0)
		return r;
	if (memchr(ref, '\0', rl) != NULL)
		return TL_EINVAL;
	memcpy(q->ref, ref, rl);
	q->signed_len = len - rd_left(&rd);
	if ((r = rd_bytes(&rd, &q->sig, HISTORY_SIG_LEN)) < 0)
		return r;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}
