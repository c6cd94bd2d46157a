/*
 * The template renderer: evaluates expressions and filters against the
 * vars tree and walks the parsed tree into the output, counting steps and
 * output bytes against the template's limits (template.h). Values are
 * borrowed from the vars tree or the template's literals; filters make new
 * ones, which a struct val owns until released.
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

static const char *
kind_name(enum tval_kind k)
{
	static const char *const names[] = {
		"nil", "a string", "a number", "a boolean", "a list", "a map"
	};

	return names[k];
}

struct val {
	const struct tval	*v;	/* NULL: a missing variable */
	struct tval		*own;	/* what to free, or NULL */
};

struct frame {
	const char		*key, *var;	/* loop variable names */
	const struct tval	*kval, *vval;	/* their values */
	struct tval		*kown;		/* kval when we made it */
	struct tval		*loop;		/* index, first, last, length;
						   refilled each iteration */
};

struct render {
	const struct tpl	*t;
	const struct tval	*vars;
	struct buf		*out;
	size_t			 start;		/* out->len at the start */
	unsigned long		 steps;
	struct frame		 frames[TPL_MAX_DEPTH];
	int			 nframes;
	struct tl_err		*err;
};

static int render_body(struct render *, const struct body *);
static int eval(struct render *, const struct expr *, int, struct val *);

typedef int filter_fn(struct render *, const struct filter *, int line,
    struct val *);

static filter_fn filter_default, filter_upper, filter_lower, filter_trim,
    filter_join, filter_json, filter_quote, filter_length;

/* Indexed like tpl_filter_defs[]. */
static filter_fn *const filter_fns[TPL_FILTER_COUNT] = {
	[TPL_FILTER_DEFAULT] = filter_default,
	[TPL_FILTER_UPPER] = filter_upper,
	[TPL_FILTER_LOWER] = filter_lower,
	[TPL_FILTER_TRIM] = filter_trim,
	[TPL_FILTER_JOIN] = filter_join,
	[TPL_FILTER_JSON] = filter_json,
	[TPL_FILTER_QUOTE] = filter_quote,
	[TPL_FILTER_LENGTH] = filter_length,
};

static int
render_fail(struct render *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
render_fail(struct render *r, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tpl_fail(r->err, r->t->name, line, TL_ESYNTAX, "%s", msg);
}

static void
val_release(struct val *v)
{
	tval_free(v->own);
	v->own = NULL;
	v->v = NULL;
}

/* Replaces v with new, which v then owns. */
static void
val_set(struct val *v, struct tval *new)
{
	tval_free(v->own);
	v->own = new;
	v->v = new;
}

/* What a value is called in a message: its path, or "the value". */
static const char *
expr_name(const struct expr *e)
{
	return e->kind == EXPR_PATH ? e->path.text : "the value";
}

static int
step(struct render *r, int line)
{
	if (++r->steps <= r->t->max_steps)
		return 0;
	return tpl_fail(r->err, r->t->name, line, TL_ETOOBIG, "too much "
	    "work: more than %lu steps (loops inside loops?)",
	    r->t->max_steps);
}

/* Work that grows with a value's size (join, json) costs a step per unit. */
static int
charge(struct render *r, int line, size_t units)
{
	if (r->steps >= r->t->max_steps ||
	    units > r->t->max_steps - r->steps)
		r->steps = r->t->max_steps;
	else
		r->steps += units;
	return step(r, line);
}

static int
out_add(struct render *r, int line, const char *s, size_t n)
{
	char lim[32];

	if (n > r->t->max_output - (r->out->len - r->start)) {
		tpl_size_desc(r->t->max_output, lim, sizeof(lim));
		return tpl_fail(r->err, r->t->name, line, TL_ETOOBIG,
		    "output is larger than %s", lim);
	}
	buf_add(r->out, s, n);
	return 0;
}

/* A list index segment: "1" is the first item. Returns 0 if not one. */
static size_t
path_index(const char *seg)
{
	size_t i, n = 0;

	for (i = 0; seg[i] != '\0'; i++) {
		if (seg[i] < '0' || seg[i] > '9' || i >= 18)
			return 0;
		n = n * 10 + (size_t)(seg[i] - '0');
	}
	return n;
}

/* The innermost loop variable named name, then loop, then the vars. */
static const struct tval *
lookup_root(const struct render *r, const char *name)
{
	const struct frame *f;
	int i;

	for (i = r->nframes - 1; i >= 0; i--) {
		f = &r->frames[i];
		if (f->var != NULL && strcmp(name, f->var) == 0)
			return f->vval;
		if (f->key != NULL && strcmp(name, f->key) == 0)
			return f->kval;
		if (i == r->nframes - 1 && strcmp(name, "loop") == 0)
			return f->loop;
	}
	return tval_map_get(r->vars, name);
}

static const struct tval *
resolve(const struct render *r, const struct path *path)
{
	const struct tval *v = lookup_root(r, path->segs[0]);
	size_t i, idx;

	for (i = 1; i < path->nsegs && v != NULL; i++) {
		if (tval_kind(v) == TVAL_MAP)
			v = tval_map_get(v, path->segs[i]);
		else if ((idx = path_index(path->segs[i])) > 0)
			v = tval_list_get(v, idx - 1);
		else
			v = NULL;
	}
	return v;
}

/* Truth of a condition: missing variables are simply false. */
static int
eval_truth(struct render *r, const struct expr *e, int line, int *truth)
{
	struct val a = { NULL, NULL }, b = { NULL, NULL };
	int rc;

	*truth = 0;
	if (e->nfilters > 0 || e->kind == EXPR_LIT || e->kind == EXPR_PATH) {
		if ((rc = eval(r, e, line, &a)) == 0)
			*truth = tval_truthy(a.v);
	} else if (e->kind == EXPR_NOT) {
		rc = eval_truth(r, e->a, line, truth);
		*truth = !*truth;
	} else if (e->kind == EXPR_AND || e->kind == EXPR_OR) {
		rc = eval_truth(r, e->a, line, truth);
		if (rc == 0 && *truth == (e->kind == EXPR_AND))
			rc = eval_truth(r, e->b, line, truth);
	} else {
		if ((rc = eval(r, e->a, line, &a)) == 0 &&
		    (rc = eval(r, e->b, line, &b)) == 0)
			*truth = tval_equal(a.v, b.v) == (e->kind == EXPR_EQ);
	}
	val_release(&a);
	val_release(&b);
	return rc;
}

/* The value of e; out->v is NULL for a missing variable. */
static int
eval(struct render *r, const struct expr *e, int line, struct val *out)
{
	size_t i;
	int rc, truth;

	out->v = NULL;
	out->own = NULL;
	if (e->kind == EXPR_LIT)
		out->v = e->lit;
	else if (e->kind == EXPR_PATH)
		out->v = resolve(r, &e->path);
	else {
		struct expr bare = *e;

		/* The operator alone; the filters come below. */
		bare.nfilters = 0;
		if ((rc = eval_truth(r, &bare, line, &truth)) < 0)
			return rc;
		val_set(out, tval_new_bool(truth));
	}
	for (i = 0; i < e->nfilters; i++) {
		const struct filter *f = &e->filters[i];

		if (out->v == NULL && f->def != TPL_FILTER_DEFAULT)
			continue;	/* stays missing, for the error */
		if ((rc = filter_fns[f->def](r, f, line, out)) < 0) {
			val_release(out);
			return rc;
		}
	}
	return 0;
}

/* The filters, in the order of enum tpl_filter. */

static int
filter_default(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	(void)r;
	(void)line;
	if (v->v == NULL)
		v->v = f->arg;	/* borrowed from the template */
	return 0;
}

/* The text of a scalar, for the string filters. */
static int
filter_text(struct render *r, const struct filter *f, int line,
    const struct val *v, struct buf *b)
{
	if (tval_format(v->v, b) == 0)
		return 0;
	return render_fail(r, line, "filter '%s' needs a string, got %s",
	    tpl_filter_defs[f->def].name, kind_name(tval_kind(v->v)));
}

static int
filter_case(struct render *r, const struct filter *f, int line,
    struct val *v, int upper)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	if ((rc = filter_text(r, f, line, v, &b)) < 0)
		return rc;
	for (i = 0; i < b.len; i++) {
		char c = b.data[i];

		/* ASCII only: locale rules would make output host-dependent. */
		if (upper && c >= 'a' && c <= 'z')
			b.data[i] = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			b.data[i] = (char)(c - 'A' + 'a');
	}
	val_set(v, tval_new_str(b.data, b.len));
	buf_release(&b);
	return 0;
}

static int
filter_upper(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	return filter_case(r, f, line, v, 1);
}

static int
filter_lower(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	return filter_case(r, f, line, v, 0);
}

static int
filter_trim(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	static const char blanks[] = " \t\r\n\v\f";
	struct buf b = BUF_INIT;
	size_t a = 0, z;
	int rc;

	if ((rc = filter_text(r, f, line, v, &b)) < 0)
		return rc;
	z = b.len;
	while (a < z && strchr(blanks, b.data[a]) != NULL && b.data[a] != 0)
		a++;
	while (z > a && strchr(blanks, b.data[z - 1]) != NULL &&
	    b.data[z - 1] != 0)
		z--;
	val_set(v, tval_new_str(b.data + a, z - a));
	buf_release(&b);
	return 0;
}

static int
filter_join(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	struct buf b = BUF_INIT;
	const char *sep = "";
	size_t i, seplen = 0, n = tval_len(v->v);
	char lim[32];
	int rc;

	if (tval_kind(v->v) != TVAL_LIST && !(tval_kind(v->v) == TVAL_MAP &&
	    n == 0))	/* an empty Lua table arrives as an empty map */
		return render_fail(r, line, "filter 'join' needs a list, "
		    "got %s", kind_name(tval_kind(v->v)));
	if (f->arg != NULL)
		sep = tval_str(f->arg, &seplen);
	if ((rc = charge(r, line, n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		const struct tval *item = tval_list_get(v->v, i);

		if (i > 0)
			buf_add(&b, sep, seplen);
		if (tval_format(item, &b) < 0) {
			buf_release(&b);
			return render_fail(r, line, "filter 'join': item %zu "
			    "is %s", i + 1, kind_name(tval_kind(item)));
		}
		if (b.len > r->t->max_output) {
			buf_release(&b);
			tpl_size_desc(r->t->max_output, lim, sizeof(lim));
			return tpl_fail(r->err, r->t->name, line, TL_ETOOBIG,
			    "output is larger than %s", lim);
		}
	}
	val_set(v, tval_new_str(b.data, b.len));
	buf_release(&b);
	return 0;
}

static int
filter_json(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	struct buf b = BUF_INIT;
	int rc;

	(void)f;
	if (tval_json(v->v, &b) < 0) {
		buf_release(&b);
		return render_fail(r, line, "filter 'json': value nests "
		    "deeper than %d", TVAL_JSON_MAX_DEPTH);
	}
	/* A step per 64 bytes: about one per value in the tree. */
	if ((rc = charge(r, line, b.len / 64)) < 0) {
		buf_release(&b);
		return rc;
	}
	val_set(v, tval_new_str(b.data, b.len));
	buf_release(&b);
	return 0;
}

/* POSIX shell single quotes: ' becomes '\'' and nothing else is special. */
static int
filter_quote(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	struct buf text = BUF_INIT, b = BUF_INIT;
	size_t i;
	int rc;

	if ((rc = filter_text(r, f, line, v, &text)) < 0)
		return rc;
	buf_addch(&b, '\'');
	for (i = 0; i < text.len; i++) {
		if (text.data[i] == '\'')
			buf_add(&b, "'\\''", 4);
		else
			buf_addch(&b, text.data[i]);
	}
	buf_addch(&b, '\'');
	val_set(v, tval_new_str(b.data, b.len));
	buf_release(&text);
	buf_release(&b);
	return 0;
}

static int
filter_length(struct render *r, const struct filter *f, int line,
    struct val *v)
{
	enum tval_kind k = tval_kind(v->v);

	(void)f;
	if (k != TVAL_STR && k != TVAL_LIST && k != TVAL_MAP)
		return render_fail(r, line, "filter 'length' needs a string, "
		    "list or map, got %s", kind_name(k));
	val_set(v, tval_new_num((double)tval_len(v->v)));
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

	if ((rc = eval(r, n->expr, n->line, &v)) < 0)
		return rc;
	if (v.v == NULL)
		return render_fail(r, n->line, "unknown variable '%s'",
		    expr_name(n->expr));
	if ((s = tval_str(v.v, &len)) != NULL)
		rc = out_add(r, n->line, s, len);
	else if (tval_format(v.v, &b) == 0)
		rc = out_add(r, n->line, b.data, b.len);
	else
		rc = render_fail(r, n->line, "cannot print '%s': it is %s "
		    "(use join or json)", expr_name(n->expr),
		    kind_name(tval_kind(v.v)));
	buf_release(&b);
	val_release(&v);
	return rc;
}

static int
render_if(struct render *r, const struct node *n)
{
	size_t i;
	int rc, truth = 1;

	for (i = 0; i < n->nbr; i++) {
		truth = 1;	/* else */
		if (n->br[i].cond != NULL && (rc = eval_truth(r,
		    n->br[i].cond, n->br[i].line, &truth)) < 0)
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
		return render_fail(r, n->line, "unknown variable '%s'",
		    expr_name(n->expr));
	if (k == TVAL_LIST || (k == TVAL_MAP && (n->key != NULL ||
	    tval_len(seq->v) == 0)))
		return 0;
	if (k == TVAL_MAP)
		return render_fail(r, n->line, "'%s' is a map: loop over it "
		    "with 'for key, value in %s'", expr_name(n->expr),
		    expr_name(n->expr));
	return render_fail(r, n->line, "cannot loop over '%s': it is %s",
	    expr_name(n->expr), kind_name(k));
}

static int
render_for(struct render *r, const struct node *n)
{
	struct frame *f;
	struct val seq;
	size_t i, len;
	int rc;

	if ((rc = eval(r, n->expr, n->line, &seq)) < 0)
		return rc;
	if ((rc = loop_check(r, n, &seq)) < 0) {
		val_release(&seq);
		return rc;
	}
	/* Parsing allows TPL_MAX_DEPTH blocks, so this cannot overflow. */
	TL_ASSERT(r->nframes < TPL_MAX_DEPTH);
	f = &r->frames[r->nframes++];
	memset(f, 0, sizeof(*f));
	f->key = n->key;
	f->var = n->var;
	len = tval_len(seq.v);
	for (i = 0; i < len && rc == 0; i++) {
		if ((rc = step(r, n->line)) < 0)
			break;
		frame_fill(f, seq.v, i, len);
		rc = render_body(r, &n->body);
		frame_clear(f);
	}
	tval_free(f->loop);
	f->loop = NULL;
	r->nframes--;
	val_release(&seq);
	return rc;
}

static int
render_body(struct render *r, const struct body *b)
{
	const struct node *n;
	size_t i;
	int rc = 0;

	for (i = 0; i < b->n && rc == 0; i++) {
		n = &b->v[i];
		if ((rc = step(r, n->line)) < 0)
			break;
		switch (n->kind) {
		case NODE_TEXT:
			rc = out_add(r, n->line, n->text, n->len);
			break;
		case NODE_OUT:
			rc = render_out(r, n);
			break;
		case NODE_IF:
			rc = render_if(r, n);
			break;
		case NODE_FOR:
			rc = render_for(r, n);
			break;
		}
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
	free(r);
	return rc;
}
