#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "engine/res.h"

void
graph_init(struct graph *g)
{
	memset(g, 0, sizeof(*g));
}

void
graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		res_free(g->res[i]);
		free(g->nodes[i].deps);
		free(g->nodes[i].notifies);
	}
	free(g->res);
	free(g->nodes);
	free(g->order);
	strmap_release(&g->by_ref);
	graph_init(g);
}

int
graph_add(struct graph *g, struct res *r, struct tl_err *err)
{
	size_t prev, cap = g->cap;

	if (strmap_get(&g->by_ref, r->ref, &prev)) {
		tl_err_set(err, TL_EDUP, "%s is declared twice (first at %s)",
		    r->ref, g->res[prev]->where);
		tl_err_where(err, r->where, 0);
		res_free(r);
		return TL_EDUP;
	}
	g->res = xgrow(g->res, &g->cap, g->n + 1, sizeof(*g->res));
	g->nodes = xgrow(g->nodes, &cap, g->n + 1, sizeof(*g->nodes));
	memset(&g->nodes[g->n], 0, sizeof(g->nodes[g->n]));
	r->index = g->n;
	g->res[g->n] = r;
	strmap_put(&g->by_ref, r->ref, g->n);
	g->n++;
	return 0;
}

struct res *
graph_find(const struct graph *g, const char *ref)
{
	size_t i;

	return strmap_get(&g->by_ref, ref, &i) ? g->res[i] : NULL;
}

static void
idx_add(size_t **v, size_t *n, size_t *cap, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

static void
edge_add(struct graph *g, size_t first, size_t then)
{
	struct graph_node *n = &g->nodes[then];

	if (first != then)
		idx_add(&n->deps, &n->ndeps, &n->capdeps, first);
}

static void
notify_add(struct graph *g, size_t from, size_t to)
{
	struct graph_node *n = &g->nodes[from];

	idx_add(&n->notifies, &n->nnotifies, &n->capnotifies, to);
	edge_add(g, from, to);
}

static int
graph_resolve(struct graph *g, const struct res *r, const char *ref,
    const char *what, size_t *out, struct tl_err *err)
{
	if (strmap_get(&g->by_ref, ref, out))
		return 0;
	tl_err_set(err, TL_ENOENT, "%s: '%s' names %s, which is not declared",
	    r->ref, what, ref);
	tl_err_where(err, r->where, 0);
	return TL_ENOENT;
}

struct autoreq_ctx {
	struct graph	*g;
	size_t		 self;
	struct buf	*ref;	/* scratch for "type[title]", reused */
};

static void
autoreq_add(void *vctx, const char *type, const char *title)
{
	struct autoreq_ctx *ctx = vctx;
	size_t dep;

	buf_reset(ctx->ref);
	buf_addf(ctx->ref, "%s[%s]", type, title);
	/* Implicit edges apply only between declared resources. */
	if (strmap_get(&ctx->g->by_ref, ctx->ref->data, &dep))
		edge_add(ctx->g, dep, ctx->self);
}

/*
 * The links one list of x's names makes: add(g, from, to) for each named
 * resource, from it to x (require, subscribe) or, when is_out, from x to
 * it (before, notify).
 */
static int
graph_link(struct graph *g, size_t x, const struct refs *refs,
    const char *what, int is_out, void (*add)(struct graph *, size_t,
    size_t), struct tl_err *err)
{
	size_t j;
	int r;

	for (size_t k = 0; k < refs->n; k++) {
		if ((r = graph_resolve(g, g->res[x], refs->v[k], what, &j,
		    err)) < 0)
			return r;
		if (is_out)
			add(g, x, j);
		else
			add(g, j, x);
	}
	return 0;
}

static int
graph_edges(struct graph *g, struct tl_err *err)
{
	struct buf ref = BUF_INIT;
	int r = 0;

	for (size_t i = 0; r == 0 && i < g->n; i++) {
		struct res *x = g->res[i];
		struct autoreq_ctx ctx = { g, i, &ref };

		if ((r = graph_link(g, i, &x->require, "require", 0, edge_add,
		    err)) < 0 ||
		    (r = graph_link(g, i, &x->before, "before", 1, edge_add,
		    err)) < 0 ||
		    (r = graph_link(g, i, &x->notify, "notify", 1, notify_add,
		    err)) < 0 ||
		    (r = graph_link(g, i, &x->subscribe, "subscribe", 0,
		    notify_add, err)) < 0)
			break;
		if (x->type->autorequire != NULL)
			x->type->autorequire(x, autoreq_add, &ctx);
	}
	buf_release(&ref);
	return r;
}

/* A binary min-heap of indexes: the ready resource declared first goes
 * first, which keeps the order stable and readable. */
struct heap {
	size_t	*v;
	size_t	 n;
};

static void
heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;

	h->v[i] = x;
	while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
		size_t p = (i - 1) / 2, t = h->v[p];
		h->v[p] = h->v[i];
		h->v[i] = t;
		i = p;
	}
}

static size_t
heap_pop(struct heap *h)
{
	size_t top = h->v[0], i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < h->n && h->v[l] < h->v[m])
			m = l;
		if (r < h->n && h->v[r] < h->v[m])
			m = r;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

/* Walks dependencies among the unordered nodes until one repeats. */
static int
graph_report_cycle(struct graph *g, const size_t *indeg, struct tl_err *err)
{
	size_t *seen = xcalloc(g->n, sizeof(size_t)), step = 1, at = 0;
	struct buf path = BUF_INIT;
	int r;

	while (indeg[at] == 0)
		at++;
	while (seen[at] == 0) {
		seen[at] = step++;
		for (size_t k = 0; k < g->nodes[at].ndeps; k++)
			if (indeg[g->nodes[at].deps[k]] > 0) {
				at = g->nodes[at].deps[k];
				break;
			}
	}
	/* at starts the cycle; walk it again to print it in run order. */
	size_t start = at;
	do {
		buf_addf(&path, "%s <- ", g->res[at]->ref);
		for (size_t k = 0; k < g->nodes[at].ndeps; k++)
			if (indeg[g->nodes[at].deps[k]] > 0 &&
			    seen[g->nodes[at].deps[k]] >= seen[start]) {
				at = g->nodes[at].deps[k];
				break;
			}
	} while (at != start);
	buf_addstr(&path, g->res[start]->ref);
	r = tl_err_set(err, TL_ECYCLE, "dependency cycle: %s (each needs "
	    "the one after it first)", path.data);
	tl_err_where(err, g->res[start]->where, 0);
	buf_release(&path);
	free(seen);
	return r;
}

static int
graph_sort(struct graph *g, struct tl_err *err)
{
	size_t *indeg = xcalloc(g->n + 1, sizeof(size_t));
	size_t **users = xcalloc(g->n + 1, sizeof(size_t *));
	size_t *nusers = xcalloc(g->n + 1, sizeof(size_t));
	size_t *capusers = xcalloc(g->n + 1, sizeof(size_t));
	struct heap h = { xcalloc(g->n + 1, sizeof(size_t)), 0 };
	size_t done = 0;
	int r = 0;

	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->nodes[i].ndeps; k++) {
			size_t d = g->nodes[i].deps[k];
			users[d] = xgrow(users[d], &capusers[d], nusers[d] + 1,
			    sizeof(size_t));
			users[d][nusers[d]++] = i;
			indeg[i]++;
		}
	for (size_t i = 0; i < g->n; i++)
		if (indeg[i] == 0)
			heap_push(&h, i);
	free(g->order);
	g->order = xcalloc(g->n + 1, sizeof(size_t));
	while (h.n > 0) {
		size_t x = heap_pop(&h);

		g->order[done++] = x;
		for (size_t k = 0; k < nusers[x]; k++)
			if (--indeg[users[x][k]] == 0)
				heap_push(&h, users[x][k]);
	}
	if (done < g->n)
		r = graph_report_cycle(g, indeg, err);
	for (size_t i = 0; i < g->n; i++)
		free(users[i]);
	free(users);
	free(nusers);
	free(capusers);
	free(indeg);
	free(h.v);
	return r;
}

int
graph_build(struct graph *g, struct tl_err *err)
{
	int r;

	if ((r = graph_edges(g, err)) < 0)
		return r;
	return graph_sort(g, err);
}
