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
	xfree_strs(e->path.segs, e->path.nsegs);
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

/* An operator: a token, or a word ("and", "in"). */
struct op {
	enum tok	 tok;
	const char	*word;		/* NULL: the token alone */
	enum expr_kind	 kind;
};

static const struct op or_ops[] = { { TOK_NAME, "or", EXPR_OR } };
static const struct op and_ops[] = { { TOK_NAME, "and", EXPR_AND } };
static const struct op not_ops[] = { { TOK_NAME, "not", EXPR_NOT } };
static const struct op cmp_ops[] = {
	{ TOK_EQ, NULL, EXPR_EQ }, { TOK_NE, NULL, EXPR_NE },
	{ TOK_LT, NULL, EXPR_LT }, { TOK_LE, NULL, EXPR_LE },
	{ TOK_GT, NULL, EXPR_GT }, { TOK_GE, NULL, EXPR_GE },
	{ TOK_NAME, "in", EXPR_IN },
};
static const struct op cat_ops[] = { { TOK_TILDE, NULL, EXPR_CAT } };
static const struct op add_ops[] = {
	{ TOK_PLUS, NULL, EXPR_ADD }, { TOK_MINUS, NULL, EXPR_SUB },
};
static const struct op mul_ops[] = {
	{ TOK_STAR, NULL, EXPR_MUL }, { TOK_SLASH, NULL, EXPR_DIV },
	{ TOK_DSLASH, NULL, EXPR_IDIV }, { TOK_PERCENT, NULL, EXPR_MOD },
};
static const struct op neg_ops[] = { { TOK_MINUS, NULL, EXPR_NEG } };

enum level_form {
	LEVEL_LEFT,		/* a op b op c: left-associative */
	LEVEL_ONCE,		/* a op b, not chained (comparisons) */
	LEVEL_PREFIX		/* op op a */
};

#define LEVEL(ops, form)	{ ops, sizeof(ops) / sizeof((ops)[0]), form }

/* The precedence levels of the essay above, lowest first; past the last,
 * an operand. */
static const struct level {
	const struct op	*ops;
	size_t		 nops;
	enum level_form	 form;
} levels[] = {
	LEVEL(or_ops, LEVEL_LEFT),
	LEVEL(and_ops, LEVEL_LEFT),
	LEVEL(not_ops, LEVEL_PREFIX),
	LEVEL(cmp_ops, LEVEL_ONCE),
	LEVEL(cat_ops, LEVEL_LEFT),
	LEVEL(add_ops, LEVEL_LEFT),
	LEVEL(mul_ops, LEVEL_LEFT),
	LEVEL(neg_ops, LEVEL_PREFIX),
};

#define NLEVELS	(sizeof(levels) / sizeof(levels[0]))

/* Which of level's operators the current token is. */
static int
op_of(const struct parser *p, const struct level *l, enum expr_kind *kind)
{
	for (size_t i = 0; i < l->nops; i++)
		if (p->tok.kind == l->ops[i].tok && (l->ops[i].word == NULL ||
		    tpl_is_word(&p->tok, l->ops[i].word))) {
			*kind = l->ops[i].kind;
			return 1;
		}
	return 0;
}

static int	parse_level(struct parser *, size_t, struct expr **);

/* Joins *out and the next operand (of level lv + 1) with kind at the
 * operator's position, keeping the depth bounded. */
static int
parse_binary(struct parser *p, size_t lv, enum expr_kind kind,
    struct expr **out)
{
	struct tpl_at at = p->tok.at;
	struct expr *b = NULL;
	int r;

	if ((r = tpl_lex(p)) < 0)
		return r;
	r = parse_level(p, lv + 1, &b);
	*out = expr_new(kind, at, *out, b);
	if (r < 0)
		return r;
	if ((*out)->depth > TPL_MAX_EXPR)
		return tpl_parse_fail(p, at, "expression nests deeper than "
		    "%d", TPL_MAX_EXPR);
	return 0;
}

/* op* next: a prefix operator, any number of times. */
static int
parse_prefix(struct parser *p, size_t lv, struct expr **out)
{
	struct tpl_at at = p->tok.at;
	struct expr *a = NULL;
	enum expr_kind k;
	int r;

	if (!op_of(p, &levels[lv], &k))
		return parse_level(p, lv + 1, out);
	if ((r = nest(p)) < 0 || (r = tpl_lex(p)) < 0)
		return r;
	r = parse_prefix(p, lv, &a);
	*out = expr_new(k, at, a, NULL);
	p->expr_depth--;
	return r;
}

/* An expression of level lv or tighter into *out (NULL first). */
static int
parse_level(struct parser *p, size_t lv, struct expr **out)
{
	enum expr_kind k;
	int r;

	*out = NULL;
	if (lv == NLEVELS)
		return tpl_parse_operand(p, out);
	if (levels[lv].form == LEVEL_PREFIX)
		return parse_prefix(p, lv, out);
	if ((r = parse_level(p, lv + 1, out)) < 0)
		return r;
	if (levels[lv].form == LEVEL_ONCE) {
		if (op_of(p, &levels[lv], &k) &&
		    (r = parse_binary(p, lv, k, out)) < 0)
			return r;
		if (op_of(p, &levels[lv], &k))
			return tpl_parse_fail(p, p->tok.at, "comparisons do "
			    "not chain: use 'and' (a < b and b < c)");
		return 0;
	}
	while (op_of(p, &levels[lv], &k))
		if ((r = parse_binary(p, lv, k, out)) < 0)
			return r;
	return 0;
}

int
tpl_parse_expr(struct parser *p, struct expr **out)
{
	return parse_level(p, 0, out);
}
