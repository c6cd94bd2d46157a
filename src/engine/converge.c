#include "converge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fsbatch.h"
#include "core/fsroot.h"
#include "core/redact.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/res.h"
#include "engine/run.h"

const char *
res_result_name(int result)
{
	static const char *const names[] = {
		"unchanged", "changed", "failed", "skipped"
	};

	return result >= 0 && result <= RES_SKIPPED ? names[result] : "?";
}

static void
converge_started(const struct converge_hooks *hooks, const char *what)
{
	if (hooks != NULL && hooks->on_start != NULL)
		hooks->on_start(hooks->arg, what);
}

/* Batch observation, once per type that asks for it. A type whose
 * prefetch fails has every one of its resources failed with that reason. */
static void
converge_prefetch(struct graph *g, struct run_ctx *ctx,
    const struct converge_hooks *hooks)
{
	struct res **batch = xcalloc(g->n + 1, sizeof(*batch));
	char what[96];

	for (size_t i = 0; i < g->n; i++) {
		const struct res_type *t = g->res[i]->type;
		struct tl_err err = TL_ERR_INIT;
		size_t n = 0, first = i;

		if (t->prefetch == NULL)
			continue;
		for (size_t k = 0; k < i; k++)
			if (g->res[k]->type == t)
				first = k;
		if (first != i)
			continue;	/* done with the type's first resource */
		for (size_t k = i; k < g->n; k++)
			if (g->res[k]->type == t)
				batch[n++] = g->res[k];
		snprintf(what, sizeof(what), "observing %zu %s resource%s", n,
		    t->name, n == 1 ? "" : "s");
		converge_started(hooks, what);
		if (t->prefetch(batch, n, ctx, &err) < 0)
			for (size_t k = 0; k < n; k++)
				res_fail(batch[k], &err);
		converge_started(hooks, NULL);
	}
	free(batch);
}

static const struct res *
converge_blocker(const struct graph *g, size_t i)
{
	const struct graph_node *n = &g->nodes[i];

	for (size_t k = 0; k < n->ndeps; k++) {
		const struct res *d = g->res[n->deps[k]];

		if (d->result == RES_FAILED || d->result == RES_SKIPPED)
			return d;
	}
	return NULL;
}

static void
converge_refresh(struct res *r, struct run_ctx *ctx)
{
	struct tl_err err = TL_ERR_INIT;

	if (!r->refresh_pending || r->type->refresh == NULL ||
	    r->result == RES_FAILED || r->result == RES_SKIPPED)
		return;
	if (ctx->noop) {
		if (r->type->would_refresh != NULL &&
		    !r->type->would_refresh(r, ctx))
			return;
		r->refreshed = 1;
		res_change(r, "would refresh (notified)");
		r->result = RES_CHANGED;
		if (ctx->predict != NULL && r->type->predict != NULL)
			r->type->predict(r, ctx);
		return;
	}
	r->refreshed = 1;
	switch (r->type->refresh(r, ctx, &err)) {
	case 0:
		res_change(r, "refreshed (notified)");
		r->result = RES_CHANGED;
		break;
	case 1:
		break;	/* nothing needed doing (a service just started) */
	default:
		res_fail(r, &err);
	}
}

static void
converge_one(struct graph *g, size_t i, struct run_ctx *ctx)
{
	struct res *r = g->res[i];
	const struct res *blocker;
	struct tl_err err = TL_ERR_INIT;

	if (r->result == RES_FAILED || r->is_excluded)	/* by prefetch */
		return;
	/* A type that is not batch_safe may run a command (a guard, a
	 * package manager), which may change any directory a lookup kept
	 * open: its lookups and the next ones start afresh (fsroot.h). */
	if (!r->type->batch_safe)
		fsroot_forget(ctx->fs);
	if ((blocker = converge_blocker(g, i)) != NULL) {
		r->result = RES_SKIPPED;
		r->error = xasprintf("%s %s", blocker->ref,
		    blocker->result == RES_FAILED ? "failed" : "was skipped");
		return;
	}
	if (r->type->check(r, ctx, &err) < 0) {
		res_fail(r, &err);
		return;
	}
	if (res_has_changes(r)) {
		/* What run_load_kept() read may change now. */
		run_forget_kept(ctx);
		r->result = RES_CHANGED;
		if (ctx->noop && ctx->predict != NULL &&
		    r->type->predict != NULL)
			r->type->predict(r, ctx);
		else if (!ctx->noop && r->type->fix(r, ctx, &err) < 0) {
			res_fail(r, &err);
			fsroot_forget(ctx->fs);
			return;
		}
	}
	converge_refresh(r, ctx);
	if (!r->type->batch_safe || r->refreshed) {
		fsroot_forget(ctx->fs);
		run_forget_kept(ctx);
	}
}

/* What the run says about r leaves the process: mask any secret the
 * recipe opened (core/redact.h) in it first. */
static void
converge_redact(struct res *r)
{
	char *e;

	if (redact_empty())
		return;
	redact_buf(&r->changes);
	redact_buf(&r->diff);
	redact_buf(&r->assumed);
	if (r->error != NULL) {
		e = redact_str(r->error);
		free(r->error);
		r->error = e;
	}
}

static void
converge_count(struct converge_stats *st, const struct res *r)
{
	switch (r->result) {
	case RES_UNCHANGED: st->unchanged++; break;
	case RES_CHANGED:   st->changed++; break;
	case RES_FAILED:    st->failed++; break;
	case RES_SKIPPED:   st->skipped++; break;
	}
	if (r->refreshed)
		st->refreshed++;
}

/*
 * Resources whose results wait for the batch's commit: a write that does
 * not land fails its resource, so nothing is reported, counted or
 * notified before the commit says how it went.
 */
struct converge_wait {
	size_t		*v;		/* indexes into g->order */
	size_t		 n;
	unsigned char	*queued;	/* per resource: a write in the batch */
};

static void
converge_report(struct graph *g, size_t k, const struct converge_hooks *hooks,
    struct converge_stats *stats)
{
	size_t i = g->order[k];
	struct res *r = g->res[i];

	if (r->result == RES_CHANGED)
		for (size_t n = 0; n < g->nodes[i].nnotifies; n++)
			g->res[g->nodes[i].notifies[n]]->refresh_pending = 1;
	converge_count(stats, r);
	if (hooks != NULL && hooks->on_result != NULL)
		hooks->on_result(hooks->arg, r, k + 1, g->n);
}

/* Commits the batch and reports the resources that waited for it. */
static void
converge_settle(struct graph *g, struct run_ctx *ctx,
    struct converge_wait *w, const struct converge_hooks *hooks,
    struct converge_stats *stats)
{
	(void)run_commit(ctx);
	for (size_t j = 0; j < w->n; j++) {
		w->queued[g->order[w->v[j]]] = 0;
		converge_redact(g->res[g->order[w->v[j]]]);	/* its error */
		converge_report(g, w->v[j], hooks, stats);
	}
	w->n = 0;
}

/* Must the batch be committed before resource i is checked: its type
 * needs the files in place, one of its dependencies waits in the batch
 * (it must not run if that write fails), or the batch is full? */
static int
converge_must_settle(const struct graph *g, size_t i,
    const struct converge_wait *w, const struct run_ctx *ctx)
{
	const struct graph_node *n = &g->nodes[i];

	if (ctx->batch == NULL || w->n == 0)
		return 0;
	if (!g->res[i]->type->batch_safe || fsbatch_is_full(ctx->batch))
		return 1;
	for (size_t k = 0; k < n->ndeps; k++)
		if (w->queued[n->deps[k]])
			return 1;
	return 0;
}

void
converge_run(struct graph *g, struct run_ctx *ctx,
    const struct converge_hooks *hooks, struct converge_stats *stats)
{
	unsigned long long start = spawn_now_ms();
	struct converge_wait w = { xcalloc(g->n + 1, sizeof(*w.v)), 0,
	    xcalloc(g->n + 1, 1) };

	memset(stats, 0, sizeof(*stats));
	stats->total = g->n;
	if (!ctx->noop && ctx->batch == NULL)
		ctx->batch = fsbatch_new();
	fsroot_forget(ctx->fs);		/* the tree may have changed since */
	converge_prefetch(g, ctx, hooks);
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k];
		struct res *r = g->res[i];
		unsigned long long t0 = spawn_now_ms();
		size_t puts;

		if (converge_must_settle(g, i, &w, ctx))
			converge_settle(g, ctx, &w, hooks, stats);
		if (!r->is_excluded)
			converge_started(hooks, r->ref);
		puts = ctx->batch != NULL ? fsbatch_puts(ctx->batch) : 0;
		converge_one(g, i, ctx);
		converge_redact(r);
		converge_started(hooks, NULL);
		r->duration_ms = (unsigned)(spawn_now_ms() - t0);
		if (stats->slowest == NULL || r->duration_ms >
		    stats->slowest_ms) {
			stats->slowest = r->ref;
			stats->slowest_ms = r->duration_ms;
		}
		if (ctx->batch != NULL && fsbatch_count(ctx->batch) > 0) {
			/* Queued writes (its own or earlier ones): its result
			 * waits, in order, for their commit. */
			w.queued[i] = fsbatch_puts(ctx->batch) != puts;
			w.v[w.n++] = k;
		} else {
			converge_settle(g, ctx, &w, hooks, stats);
			converge_report(g, k, hooks, stats);
		}
	}
	converge_settle(g, ctx, &w, hooks, stats);
	fsroot_forget(ctx->fs);		/* no directory held between runs */
	fsbatch_free(ctx->batch);
	ctx->batch = NULL;
	free(w.v);
	free(w.queued);
	stats->duration_ms = (unsigned)(spawn_now_ms() - start);
}

int
converge_exit_code(const struct converge_stats *stats)
{
	return (stats->changed ? 2 : 0) | (stats->failed ? 4 : 0);
}
