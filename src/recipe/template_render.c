/*
 * The template renderer: walks the parsed tree into the output, counting
 * steps and output bytes against the template's limits (template.h).
 * Values are borrowed from the vars tree or the template's literals;
 * operators and filters make new ones, which a struct val owns until
 * released. An {% include %} renders another template (loaded through the
 * template's loader, parsed once per render) inside the same render: the
 * same variables, loops, output budget and step count.
 */
#include "template_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/template.h"
#include "recipe/tval.h"

static int render_body(struct render *, const struct body *);

const char *
tpl_kind_name(const struct tval *v)
{
	static const char *const names[] = {
		"nil", "a string", "a number", "a boolean", "a list", "a map"
	};

	return names[tval_kind(v)];
}

int
tpl_render_fail(struct render *r, struct tpl_at at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tpl_vfail(r->err, r->t->name, at, TL_ESYNTAX, fmt, ap);
	va_end(ap);
	return rc;
}

void
tpl_val_release(struct val *v)
{
	tval_free(v->own);
	v->own = NULL;
	v->v = NULL;
}

void
tpl_val_set(struct val *v, struct tval *new)
{
	tval_free(v->own);
	v->own = new;
	v->v = new;
}

const char *
tpl_expr_name(const struct expr *e)
{
	return e->kind == EXPR_PATH ? e->path.text : "the value";
}

int
tpl_step(struct render *r, struct tpl_at at)
{
	if (++r->steps <= r->t->max_steps)
		return 0;
	return tpl_fail(r->err, r->t->name, at, TL_ETOOBIG, "too much "
	    "work: more than %lu steps (loops inside loops?)",
	    r->t->max_steps);
}

int
tpl_charge(struct render *r, struct tpl_at at, size_t units)
{
	if (r->steps >= r->t->max_steps ||
	    units > r->t->max_steps - r->steps)
		r->steps = r->t->max_steps;
	else
		r->steps += units;
	return tpl_step(r, at);
}

static int
out_add(struct render *r, struct tpl_at at, const char *s, size_t n)
{
	char lim[32];

	if (n > r->t->max_output - (r->out->len - r->start)) {
		tpl_size_desc(r->t->max_output, lim, sizeof(lim));
		return tpl_fail(r->err, r->t->name, at, TL_ETOOBIG,
		    "output is larger than %s", lim);
	}
	buf_add(r->out, s, n);
	return 0;
}

/* Nodes. */

static int
render_out(struct render *r, const struct node *n)
{
	struct buf b = BUF_INIT;
	struct val v;
	size_t len;
	const char *s;
	int rc;

	if ((rc = tpl_eval(r, n->expr, &v)) < 0)
		return rc;
	if (v.v == NULL)
		return tpl_render_fail(r, n->expr->at, "unknown variable '%s'",
		    tpl_expr_name(n->expr));
	if ((s = tval_str(v.v, &len)) != NULL)
		rc = out_add(r, n->at, s, len);
	else if (tval_format(v.v, &b) == 0)
		rc = out_add(r, n->at, b.data, b.len);
	else
		rc = tpl_render_fail(r, n->expr->at, "cannot print '%s': it is "
		    "%s (use join or json)", tpl_expr_name(n->expr),
		    tpl_kind_name(v.v));
	buf_release(&b);
	tpl_val_release(&v);
	return rc;
}

static int
render_if(struct render *r, const struct node *n)
{
	size_t i;
	int rc, truth = 1;

	for (i = 0; i < n->nbr; i++) {
		truth = 1;	/* else */
		if (n->br[i].cond != NULL && (rc = tpl_eval_truth(r,
		    n->br[i].cond, &truth)) < 0)
			return rc;
		if (truth)
			return render_body(r, &n->br[i].body);
	}
	return 0;
}

/* The values of one iteration: loop variables and the loop map. */
static void
frame_fill(struct frame *f, const struct tval *seq, size_t i, size_t n)
{
	const char *key;

	if (tval_kind(seq) == TVAL_MAP) {
		f->vval = tval_map_at(seq, i, &key);
		f->kown = tval_new_str(key, strlen(key));
	} else {
		f->vval = tval_list_get(seq, i);
		f->kown = tval_new_num((double)(i + 1));
	}
	f->kval = f->kown;
	if (f->loop == NULL)
		f->loop = tval_new_map();
	/* Same keys every time, so these replace the values in place. */
	tval_map_set(f->loop, "index", tval_new_num((double)(i + 1)));
	tval_map_set(f->loop, "first", tval_new_bool(i == 0));
	tval_map_set(f->loop, "last", tval_new_bool(i + 1 == n));
	tval_map_set(f->loop, "length", tval_new_num((double)n));
}

/* Ends one iteration; the loop map stays for the next. */
static void
frame_clear(struct frame *f)
{
	tval_free(f->kown);
	f->kown = NULL;
	f->kval = f->vval = NULL;
}

/* Lists, and maps with "for k, v"; an empty map is an empty list. */
static int
loop_check(struct render *r, const struct node *n, const struct val *seq)
{
	enum tval_kind k = tval_kind(seq->v);

	if (seq->v == NULL)
		return tpl_render_fail(r, n->expr->at, "unknown variable '%s'",
		    tpl_expr_name(n->expr));
	if (k == TVAL_LIST || (k == TVAL_MAP && (n->key != NULL ||
	    tval_len(seq->v) == 0)))
		return 0;
	if (k == TVAL_MAP)
		return tpl_render_fail(r, n->expr->at, "'%s' is a map: loop "
		    "over it with 'for key, value in %s'",
		    tpl_expr_name(n->expr), tpl_expr_name(n->expr));
	return tpl_render_fail(r, n->expr->at, "cannot loop over '%s': it is "
	    "%s", tpl_expr_name(n->expr), tpl_kind_name(seq->v));
}

static int
render_for(struct render *r, const struct node *n)
{
	struct frame *f;
	struct val seq;
	size_t i, len;
	int rc;

	if ((rc = tpl_eval(r, n->expr, &seq)) < 0)
		return rc;
	if ((rc = loop_check(r, n, &seq)) < 0) {
		tpl_val_release(&seq);
		return rc;
	}
	/* Parsing allows TPL_MAX_DEPTH blocks per template and includes
	 * nest at most TPL_MAX_INCLUDE deep, so this cannot overflow. */
	TL_ASSERT(r->nframes < (int)(sizeof(r->frames) /
	    sizeof(r->frames[0])));
	f = &r->frames[r->nframes++];
	memset(f, 0, sizeof(*f));
	f->key = n->key;
	f->var = n->var;
	len = tval_len(seq.v);
	for (i = 0; i < len && rc == 0; i++) {
		if ((rc = tpl_step(r, n->at)) < 0)
			break;
		frame_fill(f, seq.v, i, len);
		rc = render_body(r, &n->body);
		frame_clear(f);
	}
	tval_free(f->loop);
	f->loop = NULL;
	r->nframes--;
	tpl_val_release(&seq);
	return rc;
}

/* The template an include names, parsed once per render. */
static int
include_get(struct render *r, const struct node *n, struct tpl **out)
{
	const struct tpl *t = r->t;
	struct tl_err lerr = TL_ERR_INIT;
	struct buf src = BUF_INIT;
	int rc;

	for (size_t i = 0; i < r->nincluded; i++)
		if (strcmp(r->included[i]->name, n->include) == 0) {
			*out = r->included[i];
			return 0;
		}
	if (t->loader == NULL)
		return tpl_render_fail(r, n->at, "cannot include '%s' here: "
		    "includes work in templates a recipe renders", n->include);
	if (r->nincluded == TPL_MAX_INCLUDED)
		return tpl_render_fail(r, n->at, "more than %d templates "
		    "included", TPL_MAX_INCLUDED);
	if ((rc = t->loader->load(t->loader->arg, n->include, &src,
	    &lerr)) < 0) {
		buf_release(&src);
		return tpl_render_fail(r, n->at, "cannot include '%s': %s",
		    n->include, lerr.msg);
	}
	rc = tpl_parse(n->include, src.data, src.len, out, r->err);
	buf_release(&src);
	if (rc < 0)
		return rc;
	/* One budget for the whole render. */
	(*out)->max_output = t->max_output;
	(*out)->max_steps = t->max_steps;
	(*out)->loader = t->loader;
	r->included[r->nincluded++] = *out;
	return 0;
}

/* Appends " (included from NAME:LINE:COL)" to the error's message, once:
 * the innermost include is the one that says most. */
static void
include_context(struct render *r, const struct node *n)
{
	size_t len;

	if (r->err == NULL || strstr(r->err->msg, "(included from ") != NULL ||
	    strncmp(r->err->where, r->t->name, strlen(r->t->name)) == 0)
		return;
	len = strlen(r->err->msg);
	snprintf(r->err->msg + len, sizeof(r->err->msg) - len, " (included "
	    "from %s:%d:%d)", r->t->name, n->at.line, n->at.col);
}

static int
render_include(struct render *r, const struct node *n)
{
	const struct tpl *saved = r->t;
	struct tpl *child;
	int rc;

	if (r->includes == TPL_MAX_INCLUDE)
		return tpl_render_fail(r, n->at, "includes nest deeper than "
		    "%d (does '%s' include itself?)", TPL_MAX_INCLUDE,
		    n->include);
	if ((rc = include_get(r, n, &child)) == 0) {
		r->t = child;
		r->includes++;
		rc = render_body(r, &child->body);
		r->includes--;
		r->t = saved;
	}
	if (rc < 0)
		include_context(r, n);
	return rc;
}

static int
render_text(struct render *r, const struct node *n)
{
	return out_add(r, n->at, n->text, n->len);
}

/* Indexed by enum node_kind. */
static int (*const renderers[])(struct render *, const struct node *) = {
	[NODE_TEXT] = render_text,
	[NODE_OUT] = render_out,
	[NODE_IF] = render_if,
	[NODE_FOR] = render_for,
	[NODE_INCLUDE] = render_include,
};

static int
render_body(struct render *r, const struct body *b)
{
	int rc = 0;

	for (size_t i = 0; i < b->n && rc == 0; i++) {
		const struct node *n = &b->v[i];

		if ((rc = tpl_step(r, n->at)) == 0)
			rc = renderers[n->kind](r, n);
	}
	return rc;
}

int
tpl_render(const struct tpl *t, const struct tval *vars, struct buf *out,
    struct tl_err *err)
{
	struct render *r = xcalloc(1, sizeof(*r));
	int rc;

	/* On the heap: the frame stack is a few KiB. */
	r->t = t;
	r->vars = vars;
	r->out = out;
	r->start = out->len;
	r->err = err;
	rc = render_body(r, &t->body);
	for (size_t i = 0; i < r->nincluded; i++)
		tpl_free(r->included[i]);
	free(r);
	return rc;
}
