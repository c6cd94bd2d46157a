/*
 * Template expressions: literals, dotted paths, filters, and operators
 * with Jinja's precedence, lowest first:
 *
 *   or
 *   and
 *   not
 *   == != < <= > >= in      (one comparison, not chained)
 *   ~                       (text joined)
 *   + -
 *   * / // %
 *   - (unary)
 *   operand | filter | filter(arg, arg)
 *
 * Filters bind tightest: `ports | length + 1` is (ports | length) + 1.
 * Depth is bounded (TPL_MAX_EXPR), so neither parsing nor evaluation can
 * recurse without limit.
 */
#include "template_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "recipe/tval.h"

void
tpl_expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	tval_free(e->lit);
	free(e->path.text);
	for (size_t i = 0; i < e->path.nsegs; i++)
		free(e->path.segs[i]);
	free(e->path.segs);
	tpl_expr_free(e->a);
	tpl_expr_free(e->b);
	for (size_t i = 0; i < e->nfilters; i++)
		for (size_t k = 0; k < e->filters[i].nargs; k++)
			tval_free(e->filters[i].args[k]);
	free(e->filters);
	free(e);
}

static struct expr *
expr_new(enum expr_kind kind, struct tpl_at at, struct expr *a,
    struct expr *b)
{
	struct expr *e = xcalloc(1, sizeof(*e));

	e->kind = kind;
	e->at = at;
	e->a = a;
	e->b = b;
	e->depth = 1;
	if (a != NULL && a->depth >= e->depth)
		e->depth = a->depth + 1;
	if (b != NULL && b->depth >= e->depth)
		e->depth = b->depth + 1;
	return e;
}

/* Decodes a string token: \\ \" \' \n \t \r. */
static int
literal_str(struct parser *p, const struct token *t, struct tval **out)
{
	static const char from[] = "\\\"'ntr", to[] = "\\\"'\n\t\r";
	struct buf b = BUF_INIT;
	const char *k;

	for (size_t i = 1; i + 1 < t->n; i++) {
		if (t->s[i] != '\\') {
			buf_addch(&b, t->s[i]);
			continue;
		}
		i++;
		k = t->s[i] != '\0' ? strchr(from, t->s[i]) : NULL;
		if (k == NULL) {
			buf_release(&b);
			return tpl_parse_fail(p, t->at, "unknown escape in "
			    "string: only \\\\ \\\" \\' \\n \\t \\r");
		}
		buf_addch(&b, to[k - from]);
	}
	*out = tval_new_str(b.data, b.len);
	buf_release(&b);
	return 0;
}

int
tpl_parse_literal(struct parser *p, struct tval **out, int *r)
{
	char num[48];

	*r = 0;
	*out = NULL;
	if (p->tok.kind == TOK_STR)
		*r = literal_str(p, &p->tok, out);
	else if (p->tok.kind == TOK_NUM) {
		/* The lexer keeps numbers under 41 bytes. */
		memcpy(num, p->tok.s, p->tok.n);
		num[p->tok.n] = '\0';
		*out = tval_new_num(strtod(num, NULL));
	} else if (tpl_is_word(&p->tok, "true") ||
	    tpl_is_word(&p->tok, "false"))
		*out = tval_new_bool(p->tok.s[0] == 't');
	else
		return 0;
	return 1;
}

static void
path_init(struct path *path, const char *s, size_t n)
{
	size_t start = 0;

	path->text = xstrndup(s, n);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		path->segs = xrealloc(path->segs,
		    (path->nsegs + 1) * sizeof(*path->segs));
		path->segs[path->nsegs++] = xstrndup(s + start, i - start);
		start = i + 1;
	}
}

/* Counts one more level of nesting (parentheses, not, minus). */
static int
nest(struct parser *p)
{
	if (++p->expr_depth > TPL_MAX_EXPR)
		return tpl_parse_fail(p, p->tok.at, "expression nests deeper "
		    "than %d", TPL_MAX_EXPR);
	return 0;
}

/* A parenthesized expression; p->tok is the '('. */
static int
parse_group(struct parser *p, struct expr **out)
{
	int r;

	if ((r = nest(p)) < 0 || (r = tpl_lex(p)) < 0 ||
	    (r = tpl_parse_expr(p, out)) < 0)
		return r;
	p->expr_depth--;
	if (p->tok.kind != TOK_RPAREN)
		return tpl_parse_fail(p, p->tok.at, "expected ')' before "
		    "'%.*s'", tpl_tok_width(&p->tok), p->tok.s);
	return tpl_lex(p);
}

/* A literal, a path or a parenthesized expression. */
static int
parse_primary(struct parser *p, struct expr **out)
{
	struct tval *lit;
	int r;

	*out = NULL;
	if (tpl_parse_literal(p, &lit, &r)) {
		if (r < 0)
			return r;
		*out = expr_new(EXPR_LIT, p->tok.at, NULL, NULL);
		(*out)->lit = lit;
		return tpl_lex(p);
	}
	if (p->tok.kind == TOK_LPAREN)
		return parse_group(p, out);
	if (p->tok.kind != TOK_NAME || tpl_is_keyword(&p->tok))
		return tpl_parse_fail(p, p->tok.at, "expected a value, got "
		    "'%.*s'", tpl_tok_width(&p->tok), p->tok.s);
	*out = expr_new(EXPR_PATH, p->tok.at, NULL, NULL);
	path_init(&(*out)->path, p->tok.s, p->tok.n);
	return tpl_lex(p);
}

static int
filter_lookup(const struct token *t)
{
	for (int i = 0; i < TPL_FILTER_COUNT; i++)
		if (tpl_is_word(t, tpl_filter_defs[i].name))
			return i;
	return -1;
}

/* One filter argument: a literal, or a negative number. */
static int
parse_filter_arg(struct parser *p, struct filter *f)
{
	int r, neg = p->tok.kind == TOK_MINUS;
	struct tval *v;

	if (neg && (r = tpl_lex(p)) < 0)
		return r;
	if ((neg && p->tok.kind != TOK_NUM) || !tpl_parse_literal(p, &v, &r))
		return tpl_parse_fail(p, p->tok.at, "a filter argument must "
		    "be a string, number or boolean, not '%.*s'",
		    tpl_tok_width(&p->tok), p->tok.s);
	if (r < 0)
		return r;
	if (neg) {
		double d = tval_num(v);

		tval_free(v);
		v = tval_new_num(-d);
	}
	if (f->nargs == TPL_FILTER_MAX_ARGS) {
		tval_free(v);
		return tpl_parse_fail(p, p->tok.at, "filter '%s' takes at most "
		    "%d arguments", tpl_filter_defs[f->def].name,
		    tpl_filter_defs[f->def].max_args);
	}
	f->args[f->nargs++] = v;
	return tpl_lex(p);
}

/* "(" literal ("," literal)* ")" after a filter name; p->tok is '('. */
static int
parse_filter_args(struct parser *p, struct filter *f)
{
	int r;

	do {
		if ((r = tpl_lex(p)) < 0 || (r = parse_filter_arg(p, f)) < 0)
			return r;
	} while (p->tok.kind == TOK_COMMA);
	if (p->tok.kind != TOK_RPAREN)
		return tpl_parse_fail(p, p->tok.at, "expected ')' after the "
		    "filter's arguments");
	return tpl_lex(p);
}

/* Checks the number and kinds of f's arguments. */
static int
filter_check_args(struct parser *p, const struct filter *f)
{
	const struct tpl_filter_def *d = &tpl_filter_defs[f->def];

	if ((int)f->nargs < d->min_args && d->min_args == 1)
		return tpl_parse_fail(p, f->at, "filter '%s' needs an "
		    "argument", d->name);
	if ((int)f->nargs < d->min_args)
		return tpl_parse_fail(p, f->at, "filter '%s' needs %d "
		    "arguments", d->name, d->min_args);
	if ((int)f->nargs > d->max_args)
		return tpl_parse_fail(p, f->at, d->max_args == 0 ? "filter "
		    "'%s' takes no argument" : "filter '%s' takes at most %d "
		    "argument(s)", d->name, d->max_args);
	for (size_t i = 0; (int)i < d->string_args && i < f->nargs; i++)
		if (tval_kind(f->args[i]) != TVAL_STR)
			return tpl_parse_fail(p, f->at, "filter '%s' takes a "
			    "string", d->name);
	return 0;
}

/* One "| name" or "| name(args)"; p->tok is the name. */
static int
parse_filter(struct parser *p, struct expr *e)
{
	struct filter f;
	int r;

	memset(&f, 0, sizeof(f));
	f.at = p->tok.at;
	if (p->tok.kind != TOK_NAME || (f.def = filter_lookup(&p->tok)) < 0)
		return tpl_parse_fail(p, p->tok.at, "unknown filter '%.*s'",
		    tpl_tok_width(&p->tok), p->tok.s);
	if ((r = tpl_lex(p)) < 0)
		return r;
	e->filters = xgrow(e->filters, &e->capfilters, e->nfilters + 1,
	    sizeof(*e->filters));
	e->filters[e->nfilters] = f;
	/* In place, so the expression owns the arguments as they come. */
	if (p->tok.kind == TOK_LPAREN &&
	    (r = parse_filter_args(p, &e->filters[e->nfilters])) < 0) {
		e->nfilters++;
		return r;
	}
	e->nfilters++;
	return filter_check_args(p, &e->filters[e->nfilters - 1]);
}

int
tpl_parse_operand(struct parser *p, struct expr **out)
{
	int r;

	if ((r = parse_primary(p, out)) < 0)
		return r;
	while (p->tok.kind == TOK_PIPE)
		if ((r = tpl_lex(p)) < 0 || (r = parse_filter(p, *out)) < 0)
			return r;
	return 0;
}

/* Joins *out and the next operand with kind at the operator's position,
 * keeping the depth bounded. */
static int
parse_binary(struct parser *p, enum expr_kind kind, struct expr **out,
    int (*next)(struct parser *, struct expr **))
{
	struct tpl_at at = p->tok.at;
	struct expr *b = NULL;
	int r;

	if ((r = tpl_lex(p)) < 0)
		return r;
	r = next(p, &b);
	*out = expr_new(kind, at, *out, b);
	if (r < 0)
		return r;
	if ((*out)->depth > TPL_MAX_EXPR)
		return tpl_parse_fail(p, at, "expression nests deeper than "
		    "%d", TPL_MAX_EXPR);
	return 0;
}

/* Which operator, of those a level takes, the current token is. */
struct binop {
	enum tok	 tok;
	enum expr_kind	 kind;
};

static int
binop_of(const struct parser *p, const struct binop *ops, size_t n,
    enum expr_kind *kind)
{
	for (size_t i = 0; i < n; i++)
		if (p->tok.kind == ops[i].tok) {
			*kind = ops[i].kind;
			return 1;
		}
	return 0;
}

/* "-"* operand */
static int
parse_unary(struct parser *p, struct expr **out)
{
	struct tpl_at at = p->tok.at;
	struct expr *a = NULL;
	int r;

	*out = NULL;
	if (p->tok.kind != TOK_MINUS)
		return tpl_parse_operand(p, out);
	if ((r = nest(p)) < 0 || (r = tpl_lex(p)) < 0)
		return r;
	r = parse_unary(p, &a);
	*out = expr_new(EXPR_NEG, at, a, NULL);
	p->expr_depth--;
	return r;
}

static int
parse_mul(struct parser *p, struct expr **out)
{
	static const struct binop ops[] = {
		{ TOK_STAR, EXPR_MUL }, { TOK_SLASH, EXPR_DIV },
		{ TOK_DSLASH, EXPR_IDIV }, { TOK_PERCENT, EXPR_MOD },
	};
	enum expr_kind k;
	int r;

	if ((r = parse_unary(p, out)) < 0)
		return r;
	while (binop_of(p, ops, sizeof(ops) / sizeof(ops[0]), &k))
		if ((r = parse_binary(p, k, out, parse_unary)) < 0)
			return r;
	return 0;
}

static int
parse_add(struct parser *p, struct expr **out)
{
	static const struct binop ops[] = {
		{ TOK_PLUS, EXPR_ADD }, { TOK_MINUS, EXPR_SUB },
	};
	enum expr_kind k;
	int r;

	if ((r = parse_mul(p, out)) < 0)
		return r;
	while (binop_of(p, ops, sizeof(ops) / sizeof(ops[0]), &k))
		if ((r = parse_binary(p, k, out, parse_mul)) < 0)
			return r;
	return 0;
}

static int
parse_cat(struct parser *p, struct expr **out)
{
	int r;

	if ((r = parse_add(p, out)) < 0)
		return r;
	while (p->tok.kind == TOK_TILDE)
		if ((r = parse_binary(p, EXPR_CAT, out, parse_add)) < 0)
			return r;
	return 0;
}

/* cat (op cat)?: comparisons do not chain (a < b < c is an error). */
static int
parse_cmp(struct parser *p, struct expr **out)
{
	static const struct binop ops[] = {
		{ TOK_EQ, EXPR_EQ }, { TOK_NE, EXPR_NE }, { TOK_LT, EXPR_LT },
		{ TOK_LE, EXPR_LE }, { TOK_GT, EXPR_GT }, { TOK_GE, EXPR_GE },
	};
	enum expr_kind k;
	int r;

	if ((r = parse_cat(p, out)) < 0)
		return r;
	if (binop_of(p, ops, sizeof(ops) / sizeof(ops[0]), &k))
		r = parse_binary(p, k, out, parse_cat);
	else if (tpl_is_word(&p->tok, "in"))
		r = parse_binary(p, EXPR_IN, out, parse_cat);
	if (r == 0 && (binop_of(p, ops, sizeof(ops) / sizeof(ops[0]), &k) ||
	    tpl_is_word(&p->tok, "in")))
		return tpl_parse_fail(p, p->tok.at, "comparisons do not chain: "
		    "use 'and' (a < b and b < c)");
	return r;
}

/* "not"* cmp */
static int
parse_not(struct parser *p, struct expr **out)
{
	struct tpl_at at = p->tok.at;
	struct expr *a = NULL;
	int r;

	*out = NULL;
	if (!tpl_is_word(&p->tok, "not"))
		return parse_cmp(p, out);
	if ((r = nest(p)) < 0 || (r = tpl_lex(p)) < 0)
		return r;
	r = parse_not(p, &a);
	*out = expr_new(EXPR_NOT, at, a, NULL);
	p->expr_depth--;
	return r;
}

static int
parse_and(struct parser *p, struct expr **out)
{
	int r;

	if ((r = parse_not(p, out)) < 0)
		return r;
	while (tpl_is_word(&p->tok, "and"))
		if ((r = parse_binary(p, EXPR_AND, out, parse_not)) < 0)
			return r;
	return 0;
}

int
tpl_parse_expr(struct parser *p, struct expr **out)
{
	int r;

	*out = NULL;
	if ((r = parse_and(p, out)) < 0)
		return r;
	while (tpl_is_word(&p->tok, "or"))
		if ((r = parse_binary(p, EXPR_OR, out, parse_and)) < 0)
			return r;
	return 0;
}
