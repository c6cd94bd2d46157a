/*
 * The run report's binary form (engine/runrep.h): built from a finished
 * run by `tlaloc apply --report`, read by the agent with the bounded
 * reader.
 */
#include "engine/runrep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/xalloc.h"
#include "engine/converge.h"
#include "engine/graph.h"
#include "engine/res.h"

#define RUNREP_ITEMS	7	/* top-level array */
#define RUNREP_COUNTS	6
#define RUNREP_RES_ITEMS 4

void
runrep_init(struct runrep *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->error = xstrdup("");
}

void
runrep_release(struct runrep *rep)
{
	for (size_t i = 0; i < rep->nres; i++) {
		free(rep->res[i].title);
		free(rep->res[i].message);
	}
	free(rep->res);
	free(rep->error);
	memset(rep, 0, sizeof(*rep));
}

void
runrep_add(struct runrep *rep, const char *type, const char *title,
    int result, const char *message)
{
	struct runrep_res *r;

	rep->res = xgrow(rep->res, &rep->cap, rep->nres + 1, sizeof(*rep->res));
	r = &rep->res[rep->nres++];
	snprintf(r->type, sizeof(r->type), "%s", type);
	r->title = xstrdup(title);
	r->result = result;
	r->message = xstrdup(message != NULL ? message : "");
}

void
runrep_of_run(struct runrep *rep, const struct graph *g,
    const struct converge_stats *st, int noop, int exit_code)
{
	rep->exit_code = (unsigned)exit_code;
	rep->is_noop = noop;
	rep->duration_ms = st->duration_ms;
	rep->total = st->total;
	rep->changed = st->changed;
	rep->unchanged = st->unchanged;
	rep->failed = st->failed;
	rep->skipped = st->skipped;
	rep->refreshed = st->refreshed;
	for (size_t k = 0; k < g->n; k++) {
		const struct res *r = g->res[g->order[k]];

		if (!r->is_excluded)
			runrep_add(rep, r->type->name, r->title,
			    (int)r->result, r->error);
	}
}

/* Text cut to max bytes, so every report written can be read back. */
static void
put_str(struct buf *out, const char *s, size_t max)
{
	size_t n = strlen(s);

	codec_put_text(out, s, n < max ? n : max);
}

void
runrep_encode(const struct runrep *rep, struct buf *out)
{
	codec_put_array(out, RUNREP_ITEMS);
	codec_put_uint(out, RUNREP_VERSION);
	codec_put_uint(out, rep->exit_code);
	codec_put_bool(out, rep->is_noop);
	codec_put_uint(out, rep->duration_ms);
	codec_put_array(out, RUNREP_COUNTS);
	codec_put_uint(out, rep->total);
	codec_put_uint(out, rep->changed);
	codec_put_uint(out, rep->unchanged);
	codec_put_uint(out, rep->failed);
	codec_put_uint(out, rep->skipped);
	codec_put_uint(out, rep->refreshed);
	put_str(out, rep->error, RUNREP_MSG_MAX);
	codec_put_array(out, rep->nres);
	for (size_t i = 0; i < rep->nres; i++) {
		const struct runrep_res *r = &rep->res[i];

		codec_put_array(out, RUNREP_RES_ITEMS);
		put_str(out, r->type, RUNREP_TYPE_MAX);
		put_str(out, r->title, RUNREP_TITLE_MAX);
		codec_put_uint(out, (uint64_t)r->result);
		put_str(out, r->message, RUNREP_MSG_MAX);
	}
}

/* Text of at most max bytes, copied into a new string. */
static int
get_dup(struct rd *rd, size_t max, char **out)
{
	const char *p;
	size_t n;
	int r;

	if ((r = codec_get_text(rd, max, &p, &n)) < 0)
		return r;
	*out = xasprintf("%.*s", (int)n, p);
	return 0;
}

static int
get_u32(struct rd *rd, unsigned *v)
{
	uint64_t x;
	int r;

	*v = 0;
	if ((r = codec_get_uint_max(rd, UINT32_MAX, &x)) < 0)
		return r;
	*v = (unsigned)x;
	return 0;
}

static int
decode_head(struct rd *rd, struct runrep *rep)
{
	uint64_t *const counts[RUNREP_COUNTS] = { &rep->total, &rep->changed,
	    &rep->unchanged, &rep->failed, &rep->skipped, &rep->refreshed };
	uint64_t ver;
	int r;

	if ((r = codec_get_array_exact(rd, RUNREP_ITEMS)) < 0 ||
	    (r = codec_get_uint(rd, &ver)) < 0)
		return r;
	if (ver != RUNREP_VERSION)
		return TL_EINVAL;
	if ((r = get_u32(rd, &rep->exit_code)) < 0 ||
	    (r = codec_get_bool(rd, &rep->is_noop)) < 0 ||
	    (r = get_u32(rd, &rep->duration_ms)) < 0 ||
	    (r = codec_get_array_exact(rd, RUNREP_COUNTS)) < 0)
		return r;
	for (size_t i = 0; i < RUNREP_COUNTS; i++)
		if ((r = codec_get_uint(rd, counts[i])) < 0)
			return r;
	free(rep->error);
	rep->error = NULL;
	return get_dup(rd, RUNREP_MSG_MAX, &rep->error);
}

static int
decode_res(struct rd *rd, struct runrep *rep)
{
	struct runrep_res *r;
	uint64_t result;
	int e;

	if ((e = codec_get_array_exact(rd, RUNREP_RES_ITEMS)) < 0)
		return e;
	rep->res = xgrow(rep->res, &rep->cap, rep->nres + 1, sizeof(*rep->res));
	r = &rep->res[rep->nres];
	memset(r, 0, sizeof(*r));
	if ((e = codec_get_cstr(rd, RUNREP_TYPE_MAX, r->type)) < 0 ||
	    (e = get_dup(rd, RUNREP_TITLE_MAX, &r->title)) < 0 ||
	    (e = codec_get_uint_max(rd, RES_SKIPPED, &result)) < 0 ||
	    (e = get_dup(rd, RUNREP_MSG_MAX, &r->message)) < 0) {
		free(r->title);
		return e;
	}
	r->result = (int)result;
	rep->nres++;
	return 0;
}

int
runrep_decode(const uint8_t *p, size_t len, struct runrep *rep)
{
	struct rd rd;
	size_t n;
	int r;

	runrep_init(rep);
	rd_init(&rd, p, len);
	if ((r = decode_head(&rd, rep)) < 0 ||
	    (r = codec_get_array(&rd, RUNREP_RES_MAX, &n)) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((r = decode_res(&rd, rep)) < 0)
			goto fail;
	if (rd_left(&rd) != 0) {
		r = TL_EINVAL;
		goto fail;
	}
	return 0;
fail:
	runrep_release(rep);
	runrep_init(rep);
	return r;
}

void
runrep_ref(const struct runrep_res *r, char *out, size_t size)
{
	snprintf(out, size, "%s[%s]", r->type, r->title);
}
