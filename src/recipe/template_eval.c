/*
 * Template expressions evaluated against the vars and the loop frames.
 *
 * Conditions are forgiving where that helps a template read naturally: a
 * missing variable is false, and == / != compare anything without
 * converting ("80" ~= 80, as in Lua). Everything that computes is strict,
 * so a typo cannot quietly render a wrong number: ordering comparisons,
 * arithmetic and ~ fail on a missing variable or on values of the wrong
 * kind, and division by zero is an error.
 */
#include "template_int.h"

#include <math.h>
#include <string.h>

#include "core/buf.h"
#include "recipe/tval.h"

/* A list index segment: "1" is the first item. Returns 0 if not one. */
static size_t
path_index(const char *seg)
{
	size_t n = 0;

	for (size_t i = 0; seg[i] != '\0'; i++) {
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
	for (int i = r->nframes - 1; i >= 0; i--) {
		const struct frame *f = &r->frames[i];

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
	size_t idx;

	for (size_t i = 1; i < path->nsegs && v != NULL; i++) {
		if (tval_kind(v) == TVAL_MAP)
			v = tval_map_get(v, path->segs[i]);
		else if ((idx = path_index(path->segs[i])) > 0)
			v = tval_list_get(v, idx - 1);
		else
			v = NULL;
	}
	return v;
}

/* Both operands of e, which must exist. */
static int
eval_pair(struct render *r, const struct expr *e, struct val *a,
    struct val *b)
{
	int rc;

	b->v = NULL;
	b->own = NULL;
	if ((rc = tpl_eval(r, e->a, a)) < 0)
		return rc;
	if (a->v == NULL)
		return tpl_render_fail(r, e->a->at, "unknown variable '%s'",
		    tpl_expr_name(e->a));
	if ((rc = tpl_eval(r, e->b, b)) < 0)
		return rc;
	if (b->v == NULL)
		return tpl_render_fail(r, e->b->at, "unknown variable '%s'",
		    tpl_expr_name(e->b));
	return 0;
}

static const char *const op_names[] = {
	[EXPR_LT] = "<", [EXPR_LE] = "<=", [EXPR_GT] = ">", [EXPR_GE] = ">=",
	[EXPR_ADD] = "+", [EXPR_SUB] = "-", [EXPR_MUL] = "*", [EXPR_DIV] = "/",
	[EXPR_IDIV] = "//", [EXPR_MOD] = "%", [EXPR_CAT] = "~",
};

/* -1, 0, 1 for two numbers or two strings (bytes); else an error. */
static int
compare(struct render *r, const struct expr *e, const struct tval *a,
    const struct tval *b, int *cmp)
{
	size_t na, nb;
	const char *sa = tval_str(a, &na), *sb = tval_str(b, &nb);
	int c;

	if (tval_kind(a) == TVAL_NUM && tval_kind(b) == TVAL_NUM) {
		*cmp = tval_num(a) < tval_num(b) ? -1 : tval_num(a) >
		    tval_num(b);
		return 0;
	}
	if (sa == NULL || sb == NULL)
		return tpl_render_fail(r, e->at, "cannot compare %s with %s "
		    "using '%s'", tpl_kind_name(a), tpl_kind_name(b),
		    op_names[e->kind]);
	c = memcmp(sa, sb, na < nb ? na : nb);
	*cmp = c != 0 ? (c > 0) - (c < 0) : (na > nb) - (na < nb);
	return 0;
}

static int
eval_order(struct render *r, const struct expr *e, int *truth)
{
	struct val a, b;
	int rc, c = 0;

	if ((rc = eval_pair(r, e, &a, &b)) == 0 &&
	    (rc = compare(r, e, a.v, b.v, &c)) == 0)
		*truth = e->kind == EXPR_LT ? c < 0 : e->kind == EXPR_LE ?
		    c <= 0 : e->kind == EXPR_GT ? c > 0 : c >= 0;
	tpl_val_release(&a);
	tpl_val_release(&b);
	return rc;
}

/* a in b: an item of a list, a key of a map, a part of a string. A
 * missing b holds nothing. */
static int
eval_in(struct render *r, const struct expr *e, int *truth)
{
	struct val a, b = { NULL, NULL };
	size_t n, hn;
	const char *s, *h;
	int rc;

	if ((rc = tpl_eval(r, e->a, &a)) < 0)
		return rc;
	if (a.v == NULL)
		rc = tpl_render_fail(r, e->a->at, "unknown variable '%s'",
		    tpl_expr_name(e->a));
	if (rc == 0 && (rc = tpl_eval(r, e->b, &b)) == 0 && b.v != NULL) {
		s = tval_str(a.v, &n);
		switch (tval_kind(b.v)) {
		case TVAL_LIST:
			for (size_t i = 0; i < tval_len(b.v) && !*truth; i++)
				*truth = tval_equal(a.v,
				    tval_list_get(b.v, i));
			rc = tpl_charge(r, e->at, tval_len(b.v));
			break;
		case TVAL_MAP:
			*truth = s != NULL && tval_map_get(b.v, s) != NULL;
			break;
		case TVAL_STR:
			h = tval_str(b.v, &hn);
			*truth = s != NULL && (n == 0 || memmem(h, hn, s, n) !=
			    NULL);
			break;
		default:
			rc = tpl_render_fail(r, e->at, "'in' needs a list, map "
			    "or string on its right, got %s",
			    tpl_kind_name(b.v));
		}
	}
	tpl_val_release(&a);
	tpl_val_release(&b);
	return rc;
}

int
tpl_eval_truth(struct render *r, const struct expr *e, int *truth)
{
	struct val a = { NULL, NULL }, b = { NULL, NULL };
	int rc = 0;

	*truth = 0;
	if (e->nfilters > 0)
		goto value;
	switch (e->kind) {
	case EXPR_NOT:
		rc = tpl_eval_truth(r, e->a, truth);
		*truth = !*truth;
		return rc;
	case EXPR_AND:
	case EXPR_OR:
		rc = tpl_eval_truth(r, e->a, truth);
		if (rc == 0 && *truth == (e->kind == EXPR_AND))
			rc = tpl_eval_truth(r, e->b, truth);
		return rc;
	case EXPR_EQ:
	case EXPR_NE:
		if ((rc = tpl_eval(r, e->a, &a)) == 0 &&
		    (rc = tpl_eval(r, e->b, &b)) == 0)
			*truth = tval_equal(a.v, b.v) == (e->kind == EXPR_EQ);
		tpl_val_release(&a);
		tpl_val_release(&b);
		return rc;
	case EXPR_LT:
	case EXPR_LE:
	case EXPR_GT:
	case EXPR_GE:
		return eval_order(r, e, truth);
	case EXPR_IN:
		return eval_in(r, e, truth);
	default:
		break;
	}
value:
	if ((rc = tpl_eval(r, e, &a)) == 0)
		*truth = tval_truthy(a.v);
	tpl_val_release(&a);
	return rc;
}

/* + - * / // % on two numbers. */
static int
arith(struct render *r, const struct expr *e, double x, double y, double *z)
{
	if ((e->kind == EXPR_DIV || e->kind == EXPR_IDIV ||
	    e->kind == EXPR_MOD) && y == 0)
		return tpl_render_fail(r, e->at, "division by zero");
	switch (e->kind) {
	case EXPR_ADD: *z = x + y; break;
	case EXPR_SUB: *z = x - y; break;
	case EXPR_MUL: *z = x * y; break;
	case EXPR_DIV: *z = x / y; break;
	case EXPR_IDIV: *z = floor(x / y); break;
	default: *z = x - floor(x / y) * y; break;	/* as Lua's % */
	}
	return 0;
}

/* The value of an operator that computes: arithmetic, ~, unary minus. */
static int
eval_op(struct render *r, const struct expr *e, struct val *out)
{
	struct val a, b = { NULL, NULL };
	struct buf text = BUF_INIT;
	double z = 0;
	int rc;

	if (e->kind == EXPR_NEG) {
		if ((rc = tpl_eval(r, e->a, &a)) == 0 && a.v == NULL)
			rc = tpl_render_fail(r, e->a->at, "unknown variable "
			    "'%s'", tpl_expr_name(e->a));
		else if (rc == 0 && tval_kind(a.v) != TVAL_NUM)
			rc = tpl_render_fail(r, e->at, "cannot negate %s",
			    tpl_kind_name(a.v));
		if (rc == 0)
			tpl_val_set(out, tval_new_num(-tval_num(a.v)));
	} else if ((rc = eval_pair(r, e, &a, &b)) < 0) {
		/* reported */
	} else if (e->kind == EXPR_CAT) {
		if (tval_format(a.v, &text) < 0 || tval_format(b.v, &text) < 0)
			rc = tpl_render_fail(r, e->at, "'~' joins strings, "
			    "numbers and booleans, not %s", tpl_kind_name(
			    tval_format(a.v, &text) < 0 ? a.v : b.v));
		else
			tpl_val_set(out, tval_new_str(text.data, text.len));
	} else if (tval_kind(a.v) != TVAL_NUM || tval_kind(b.v) != TVAL_NUM) {
		rc = tpl_render_fail(r, e->at, "'%s' needs two numbers, got "
		    "%s and %s%s", op_names[e->kind], tpl_kind_name(a.v),
		    tpl_kind_name(b.v), e->kind == EXPR_ADD ? " (use '~' to "
		    "join text)" : "");
	} else if ((rc = arith(r, e, tval_num(a.v), tval_num(b.v), &z)) == 0)
		tpl_val_set(out, tval_new_num(z));
	buf_release(&text);
	tpl_val_release(&a);
	tpl_val_release(&b);
	return rc;
}

int
tpl_eval(struct render *r, const struct expr *e, struct val *out)
{
	int rc, truth;

	out->v = NULL;
	out->own = NULL;
	if (e->kind == EXPR_LIT)
		out->v = e->lit;
	else if (e->kind == EXPR_PATH)
		out->v = resolve(r, &e->path);
	else if (e->kind == EXPR_NEG || (e->kind >= EXPR_ADD &&
	    e->kind <= EXPR_CAT)) {
		if ((rc = eval_op(r, e, out)) < 0)
			return rc;
	} else {
		struct expr bare = *e;

		/* The operator alone; the filters come below. */
		bare.nfilters = 0;
		if ((rc = tpl_eval_truth(r, &bare, &truth)) < 0)
			return rc;
		tpl_val_set(out, tval_new_bool(truth));
	}
	for (size_t i = 0; i < e->nfilters; i++) {
		const struct filter *f = &e->filters[i];

		if (out->v == NULL && f->def != TPL_FILTER_DEFAULT)
			continue;	/* stays missing, for the error */
		if ((rc = tpl_filter_apply(r, f, out)) < 0) {
			tpl_val_release(out);
			return rc;
		}
	}
	return 0;
}
