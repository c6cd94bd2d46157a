/*
 * The template parser: lexing, the expression grammar, tags and blocks,
 * building the tree of template_int.h; every syntax error names the
 * template and line. The language itself is described in template.c.
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

/* Freeing. Recursion is bounded by TPL_MAX_DEPTH and TPL_MAX_EXPR. */

static void
expr_free(struct expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	tval_free(e->lit);
	free(e->path.text);
	for (i = 0; i < e->path.nsegs; i++)
		free(e->path.segs[i]);
	free(e->path.segs);
	expr_free(e->a);
	expr_free(e->b);
	for (i = 0; i < e->nfilters; i++)
		tval_free(e->filters[i].arg);
	free(e->filters);
	free(e);
}

static void
node_release(struct node *n)
{
	size_t i;

	expr_free(n->expr);
	for (i = 0; i < n->nbr; i++) {
		expr_free(n->br[i].cond);
		tpl_body_release(&n->br[i].body);
	}
	free(n->br);
	free(n->key);
	free(n->var);
	tpl_body_release(&n->body);
}

void
tpl_body_release(struct body *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		node_release(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

/* Takes the contents of n. */
static void
body_push(struct body *b, const struct node *n)
{
	b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof(*b->v));
	b->v[b->n++] = *n;
}


/*
 * The parser. Outside tags it looks for "{{", "{%" and "{#"; inside a tag a
 * small tokenizer reads up to the closer, so "}}" inside a string literal
 * does not end the tag.
 */

enum tok {
	TOK_CLOSE, TOK_NAME, TOK_STR, TOK_NUM, TOK_EQ, TOK_NE, TOK_PIPE,
	TOK_LPAREN, TOK_RPAREN, TOK_COMMA
};

struct token {
	enum tok	 kind;
	const char	*s;		/* into the source */
	size_t		 n;
};

struct parser {
	const char	*name;
	const char	*src;
	size_t		 len;
	size_t		 pos;		/* next byte to read */
	int		 line;		/* line of src[pos] */
	int		 tag_line;	/* line where the current tag opened */
	char		 closer;	/* '}' in {{ }}, '%' in {% %} */
	struct token	 tok;		/* current token inside a tag */
	int		 expr_depth;	/* open parentheses and nots */
	int		 depth;		/* open if/for blocks */
	struct tl_err	*err;
};

enum tag_kind {
	TAG_EOF, TAG_IF, TAG_ELIF, TAG_ELSE, TAG_END, TAG_ENDIF, TAG_ENDFOR,
	TAG_FOR, TAG_RAW, TAG_ENDRAW
};

static const char *const tag_names[] = {
	"end of template", "if", "elif", "else", "end", "endif", "endfor",
	"for", "raw", "endraw"
};

struct tag {
	enum tag_kind	 kind;
	int		 line;
	struct expr	*expr;		/* if, elif, for */
	char		*key, *var;	/* for */
};

static int parse_or(struct parser *, struct expr **);
static int parse_body(struct parser *, struct body *, struct tag *);

static int
parse_fail(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
parse_fail(struct parser *p, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tpl_fail(p->err, p->name, line, TL_ESYNTAX, "%s", msg);
}

/* Moves to to, counting the newlines passed. */
static void
parse_advance(struct parser *p, size_t to)
{
	const char *s = p->src + p->pos, *end = p->src + to, *nl;

	TL_ASSERT(to >= p->pos && to <= p->len);
	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		p->line++;
		s = nl + 1;
	}
	p->pos = to;
}

static int
is_word(const struct token *t, const char *w)
{
	size_t n = strlen(w);

	return t->kind == TOK_NAME && t->n == n && memcmp(t->s, w, n) == 0;
}

static int
is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* How a token reads in a message: quoted, and cut short if long. */
static int
tok_width(const struct token *t)
{
	return t->n > 40 ? 40 : (int)t->n;
}

/* name(.segment)*: segments are letters, digits, '_' and '-'. */
static int
lex_name(struct parser *p, size_t i, size_t *n)
{
	size_t j = i;

	for (;;) {
		while (j < p->len && is_name_char((unsigned char)p->src[j]))
			j++;
		if (j >= p->len || p->src[j] != '.')
			break;
		if (j + 1 >= p->len ||
		    !is_name_char((unsigned char)p->src[j + 1]))
			return parse_fail(p, p->line, "bad variable name "
			    "'%.*s'", (int)(j - i > 40 ? 40 : j - i + 1),
			    p->src + i);
		j++;
	}
	*n = j - i;
	return 0;
}

/* -?digits(.digits)? */
static int
lex_number(struct parser *p, size_t i, size_t *n)
{
	size_t j = i;

	if (p->src[j] == '-')
		j++;
	while (j < p->len && is_digit((unsigned char)p->src[j]))
		j++;
	if (j + 1 < p->len && p->src[j] == '.' &&
	    is_digit((unsigned char)p->src[j + 1])) {
		j++;
		while (j < p->len && is_digit((unsigned char)p->src[j]))
			j++;
	}
	if (j - i > 40 || (j < p->len && is_name_char(
	    (unsigned char)p->src[j])))
		return parse_fail(p, p->line, "bad number '%.*s'",
		    (int)(j - i > 40 ? 40 : j - i), p->src + i);
	*n = j - i;
	return 0;
}

/* A quoted string; escapes are decoded later, by literal_str(). */
static int
lex_string(struct parser *p, size_t i, size_t *n)
{
	char q = p->src[i];
	size_t j = i + 1;

	while (j < p->len && p->src[j] != q && p->src[j] != '\n')
		j += p->src[j] == '\\' ? 2 : 1;
	if (j >= p->len || p->src[j] != q)
		return parse_fail(p, p->line, "unclosed string");
	*n = j + 1 - i;
	return 0;
}

static int
lex_punct(struct parser *p, size_t i, size_t *n)
{
	static const struct { char s[3]; enum tok kind; } punct[] = {
		{ "==", TOK_EQ }, { "!=", TOK_NE }, { "|", TOK_PIPE },
		{ "(", TOK_LPAREN }, { ")", TOK_RPAREN }, { ",", TOK_COMMA },
	};
	unsigned char c = (unsigned char)p->src[i];
	size_t k, m;

	for (k = 0; k < sizeof(punct) / sizeof(punct[0]); k++) {
		m = strlen(punct[k].s);
		if (i + m <= p->len && memcmp(p->src + i, punct[k].s, m) == 0) {
			p->tok.kind = punct[k].kind;
			*n = m;
			return 0;
		}
	}
	if (c == '=')
		return parse_fail(p, p->line, "'=' is not an operator; "
		    "use '=='");
	if (c >= 0x20 && c < 0x7f)
		return parse_fail(p, p->line, "unexpected character '%c'", c);
	return parse_fail(p, p->line, "unexpected byte 0x%02x", c);
}

/* Reads the next token of the current tag into p->tok. */
static int
lex(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos, n = 0;
	int r = 0;

	while (i < p->len && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	parse_advance(p, i);
	if (i >= p->len)
		return parse_fail(p, p->tag_line, "unclosed '%s' tag",
		    p->closer == '}' ? "{{" : "{%");
	p->tok.s = s + i;
	if ((s[i] == '}' || s[i] == '%') && i + 1 < p->len &&
	    s[i + 1] == '}') {
		if (s[i] != p->closer)
			return parse_fail(p, p->line, "'%c}' cannot close "
			    "a '%s' tag", s[i],
			    p->closer == '}' ? "{{" : "{%");
		p->tok.kind = TOK_CLOSE;
		n = 2;
	} else if (s[i] == '"' || s[i] == '\'') {
		p->tok.kind = TOK_STR;
		r = lex_string(p, i, &n);
	} else if (is_digit((unsigned char)s[i]) || (s[i] == '-' &&
	    i + 1 < p->len && is_digit((unsigned char)s[i + 1]))) {
		p->tok.kind = TOK_NUM;
		r = lex_number(p, i, &n);
	} else if (is_name_char((unsigned char)s[i]) && s[i] != '-') {
		p->tok.kind = TOK_NAME;
		r = lex_name(p, i, &n);
	} else
		r = lex_punct(p, i, &n);
	if (r < 0)
		return r;
	p->tok.n = n;
	parse_advance(p, i + n);
	return 0;
}

static int
expect_close(struct parser *p, const char *what)
{
	if (p->tok.kind == TOK_CLOSE)
		return 0;
	return parse_fail(p, p->line, "unexpected '%.*s' in '%s' tag",
	    tok_width(&p->tok), p->tok.s, what);
}

/* Expressions. */

static struct expr *
expr_new(enum expr_kind kind, struct expr *a, struct expr *b)
{
	struct expr *e = xcalloc(1, sizeof(*e));

	e->kind = kind;
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
	size_t i;

	for (i = 1; i + 1 < t->n; i++) {
		if (t->s[i] != '\\') {
			buf_addch(&b, t->s[i]);
			continue;
		}
		i++;
		k = t->s[i] != '\0' ? strchr(from, t->s[i]) : NULL;
		if (k == NULL) {
			buf_release(&b);
			return parse_fail(p, p->line, "unknown escape in "
			    "string: only \\\\ \\\" \\' \\n \\t \\r");
		}
		buf_addch(&b, to[k - from]);
	}
	*out = tval_new_str(b.data, b.len);
	buf_release(&b);
	return 0;
}

/* Returns 1 and sets *out for a literal token, 0 for anything else. */
static int
literal(struct parser *p, struct tval **out, int *r)
{
	char num[48];

	*r = 0;
	*out = NULL;
	if (p->tok.kind == TOK_STR)
		*r = literal_str(p, &p->tok, out);
	else if (p->tok.kind == TOK_NUM) {
		/* lex_number() keeps numbers under 41 bytes. */
		memcpy(num, p->tok.s, p->tok.n);
		num[p->tok.n] = '\0';
		*out = tval_new_num(strtod(num, NULL));
	} else if (is_word(&p->tok, "true") || is_word(&p->tok, "false"))
		*out = tval_new_bool(p->tok.s[0] == 't');
	else
		return 0;
	return 1;
}

static int
is_keyword(const struct token *t)
{
	static const char *const words[] = { "and", "or", "not", "in" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (is_word(t, words[i]))
			return 1;
	return 0;
}

static void
path_init(struct path *path, const char *s, size_t n)
{
	size_t i, start = 0;

	path->text = xstrndup(s, n);
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		path->segs = xrealloc(path->segs,
		    (path->nsegs + 1) * sizeof(*path->segs));
		path->segs[path->nsegs++] = xstrndup(s + start, i - start);
		start = i + 1;
	}
}

/* A parenthesized expression; p->tok is the '('. */
static int
parse_group(struct parser *p, struct expr **out)
{
	int r;

	if (++p->expr_depth > TPL_MAX_EXPR)
		return parse_fail(p, p->line, "expression nests deeper "
		    "than %d", TPL_MAX_EXPR);
	if ((r = lex(p)) < 0 || (r = parse_or(p, out)) < 0)
		return r;
	p->expr_depth--;
	if (p->tok.kind != TOK_RPAREN)
		return parse_fail(p, p->line, "expected ')' before '%.*s'",
		    tok_width(&p->tok), p->tok.s);
	return lex(p);
}

/* A literal, a path or a parenthesized expression. */
static int
parse_primary(struct parser *p, struct expr **out)
{
	struct tval *lit;
	int r;

	*out = NULL;
	if (literal(p, &lit, &r)) {
		if (r < 0)
			return r;
		*out = expr_new(EXPR_LIT, NULL, NULL);
		(*out)->lit = lit;
		return lex(p);
	}
	if (p->tok.kind == TOK_LPAREN)
		return parse_group(p, out);
	if (p->tok.kind != TOK_NAME || is_keyword(&p->tok))
		return parse_fail(p, p->line, "expected a value, got '%.*s'",
		    tok_width(&p->tok), p->tok.s);
	*out = expr_new(EXPR_PATH, NULL, NULL);
	path_init(&(*out)->path, p->tok.s, p->tok.n);
	return lex(p);
}

/* Filters: parsed here, applied by template_render.c. */

const struct tpl_filter_def tpl_filter_defs[TPL_FILTER_COUNT] = {
	[TPL_FILTER_DEFAULT] = { "default", 1, 1 },
	[TPL_FILTER_UPPER] = { "upper", 0, 0 },
	[TPL_FILTER_LOWER] = { "lower", 0, 0 },
	[TPL_FILTER_TRIM] = { "trim", 0, 0 },
	[TPL_FILTER_JOIN] = { "join", 0, 1 },
	[TPL_FILTER_JSON] = { "json", 0, 0 },
	[TPL_FILTER_QUOTE] = { "quote", 0, 0 },
	[TPL_FILTER_LENGTH] = { "length", 0, 0 },
};

static int
filter_lookup(const struct token *t)
{
	int i;

	for (i = 0; i < TPL_FILTER_COUNT; i++)
		if (is_word(t, tpl_filter_defs[i].name))
			return i;
	return -1;
}

/* "(" literal ")" after a filter name; p->tok is the '('. */
static int
parse_filter_arg(struct parser *p, struct tval **arg)
{
	int r;

	if ((r = lex(p)) < 0)
		return r;
	if (!literal(p, arg, &r))
		return parse_fail(p, p->line, "a filter argument must be "
		    "a string, number or boolean, not '%.*s'",
		    tok_width(&p->tok), p->tok.s);
	if (r < 0 || (r = lex(p)) < 0)
		return r;
	if (p->tok.kind != TOK_RPAREN)
		return parse_fail(p, p->line, "expected ')' after the filter "
		    "argument");
	return lex(p);
}

/* One "| name" or "| name(arg)"; p->tok is the name. */
static int
parse_filter(struct parser *p, struct expr *e)
{
	struct filter f = { -1, NULL };
	const struct tpl_filter_def *d;
	int r;

	if (p->tok.kind != TOK_NAME || (f.def = filter_lookup(&p->tok)) < 0)
		return parse_fail(p, p->line, "unknown filter '%.*s'",
		    tok_width(&p->tok), p->tok.s);
	d = &tpl_filter_defs[f.def];
	if ((r = lex(p)) < 0)
		return r;
	if (p->tok.kind == TOK_LPAREN &&
	    (r = parse_filter_arg(p, &f.arg)) < 0) {
		tval_free(f.arg);
		return r;
	}
	e->filters = xgrow(e->filters, &e->capfilters, e->nfilters + 1,
	    sizeof(*e->filters));
	e->filters[e->nfilters++] = f;
	if (f.arg == NULL && d->min_args > 0)
		return parse_fail(p, p->line, "filter '%s' needs an argument",
		    d->name);
	if (f.arg != NULL && d->max_args == 0)
		return parse_fail(p, p->line, "filter '%s' takes no argument",
		    d->name);
	if (f.arg != NULL && f.def == TPL_FILTER_JOIN &&
	    tval_kind(f.arg) != TVAL_STR)
		return parse_fail(p, p->line, "filter 'join' takes a string");
	return 0;
}

/* primary ("|" filter)* */
static int
parse_operand(struct parser *p, struct expr **out)
{
	int r;

	if ((r = parse_primary(p, out)) < 0)
		return r;
	while (p->tok.kind == TOK_PIPE) {
		if ((r = lex(p)) < 0 || (r = parse_filter(p, *out)) < 0)
			return r;
	}
	return 0;
}

/* Joins *out and the next operand with kind, keeping the depth bounded. */
static int
parse_binary(struct parser *p, enum expr_kind kind, struct expr **out,
    int (*next)(struct parser *, struct expr **))
{
	struct expr *b = NULL;
	int r;

	if ((r = lex(p)) < 0)
		return r;
	r = next(p, &b);
	*out = expr_new(kind, *out, b);
	if (r < 0)
		return r;
	if ((*out)->depth > TPL_MAX_EXPR)
		return parse_fail(p, p->line, "expression nests deeper "
		    "than %d", TPL_MAX_EXPR);
	return 0;
}

/* operand (("==" | "!=") operand)? */
static int
parse_cmp(struct parser *p, struct expr **out)
{
	int r;

	if ((r = parse_operand(p, out)) < 0)
		return r;
	if (p->tok.kind == TOK_EQ)
		return parse_binary(p, EXPR_EQ, out, parse_operand);
	if (p->tok.kind == TOK_NE)
		return parse_binary(p, EXPR_NE, out, parse_operand);
	return 0;
}

/* "not"* cmp */
static int
parse_not(struct parser *p, struct expr **out)
{
	struct expr *a = NULL;
	int r;

	*out = NULL;
	if (!is_word(&p->tok, "not"))
		return parse_cmp(p, out);
	if (++p->expr_depth > TPL_MAX_EXPR)
		return parse_fail(p, p->line, "expression nests deeper "
		    "than %d", TPL_MAX_EXPR);
	if ((r = lex(p)) < 0)
		return r;
	r = parse_not(p, &a);
	*out = expr_new(EXPR_NOT, a, NULL);
	p->expr_depth--;
	return r;
}

static int
parse_and(struct parser *p, struct expr **out)
{
	int r;

	if ((r = parse_not(p, out)) < 0)
		return r;
	while (is_word(&p->tok, "and"))
		if ((r = parse_binary(p, EXPR_AND, out, parse_not)) < 0)
			return r;
	return 0;
}

/* The whole expression grammar: or > and > not > comparison > operand. */
static int
parse_or(struct parser *p, struct expr **out)
{
	int r;

	*out = NULL;
	if ((r = parse_and(p, out)) < 0)
		return r;
	while (is_word(&p->tok, "or"))
		if ((r = parse_binary(p, EXPR_OR, out, parse_and)) < 0)
			return r;
	return 0;
}

/* Tags. */

static int
parse_loop_name(struct parser *p, char **out)
{
	int r;

	if (p->tok.kind != TOK_NAME || is_keyword(&p->tok) ||
	    memchr(p->tok.s, '.', p->tok.n) != NULL)
		return parse_fail(p, p->line, "bad loop variable '%.*s'",
		    tok_width(&p->tok), p->tok.s);
	if (is_word(&p->tok, "loop"))
		return parse_fail(p, p->line, "'loop' is reserved; name the "
		    "loop variable something else");
	*out = xstrndup(p->tok.s, p->tok.n);
	if ((r = lex(p)) < 0)
		return r;
	return 0;
}

/* for NAME [, NAME] in OPERAND; p->tok is the first name. */
static int
parse_for_tag(struct parser *p, struct tag *tag)
{
	int r;

	if ((r = parse_loop_name(p, &tag->var)) < 0)
		return r;
	if (p->tok.kind == TOK_COMMA) {
		tag->key = tag->var;
		tag->var = NULL;
		if ((r = lex(p)) < 0 ||
		    (r = parse_loop_name(p, &tag->var)) < 0)
			return r;
	}
	if (!is_word(&p->tok, "in"))
		return parse_fail(p, p->line, "expected 'in' after the loop "
		    "variable, got '%.*s'", tok_width(&p->tok), p->tok.s);
	if ((r = lex(p)) < 0)
		return r;
	return parse_operand(p, &tag->expr);
}

/* The inside of {% ... %}; p->pos is just past the "{%". */
static int
parse_tag(struct parser *p, struct tag *tag)
{
	size_t k;
	int r;

	memset(tag, 0, sizeof(*tag));
	tag->line = p->tag_line;
	p->closer = '%';
	if ((r = lex(p)) < 0)
		return r;
	if (p->tok.kind == TOK_CLOSE)
		return parse_fail(p, p->line, "empty '{%% %%}' tag");
	for (k = 1; k < sizeof(tag_names) / sizeof(tag_names[0]); k++)
		if (is_word(&p->tok, tag_names[k]))
			break;
	if (k == sizeof(tag_names) / sizeof(tag_names[0]))
		return parse_fail(p, p->line, "unknown tag '%.*s'",
		    tok_width(&p->tok), p->tok.s);
	tag->kind = (enum tag_kind)k;
	if ((r = lex(p)) < 0)
		return r;
	if (tag->kind == TAG_IF || tag->kind == TAG_ELIF)
		r = parse_or(p, &tag->expr);
	else if (tag->kind == TAG_FOR)
		r = parse_for_tag(p, tag);
	if (r < 0)
		return r;
	return expect_close(p, tag_names[k]);
}

static void
tag_release(struct tag *tag)
{
	expr_free(tag->expr);
	free(tag->key);
	free(tag->var);
	memset(tag, 0, sizeof(*tag));
}

/*
 * A tag alone on its line (blanks around it allowed) takes the whole line
 * with it, newline included, so block tags leave no blank lines behind.
 * Sets where the text before the tag ends and where the text after starts.
 */
static void
standalone(const struct parser *p, size_t text_start, size_t open,
    size_t close, size_t *text_end, size_t *next)
{
	const char *s = p->src;
	size_t a = open, z = close;

	*text_end = open;
	*next = close;
	while (a > text_start && (s[a - 1] == ' ' || s[a - 1] == '\t'))
		a--;
	if (a > 0 && s[a - 1] != '\n')
		return;
	while (z < p->len && (s[z] == ' ' || s[z] == '\t'))
		z++;
	if (z + 1 < p->len && s[z] == '\r' && s[z + 1] == '\n')
		z++;
	if (z < p->len && s[z] != '\n')
		return;
	*text_end = a;
	*next = z < p->len ? z + 1 : z;
}

static void
push_text(struct body *b, const char *s, size_t n)
{
	struct node node;

	if (n == 0)
		return;
	memset(&node, 0, sizeof(node));
	node.kind = NODE_TEXT;
	node.text = s;
	node.len = n;
	body_push(b, &node);
}

/* Offset of the next "{{", "{%" or "{#" at or after from, or len. */
static size_t
find_open(const struct parser *p, size_t from)
{
	const char *s = p->src, *c;
	size_t i = from;

	while (i + 1 < p->len &&
	    (c = memchr(s + i, '{', p->len - i - 1)) != NULL) {
		i = (size_t)(c - s);
		if (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')
			return i;
		i++;
	}
	return p->len;
}

/* Returns the end of a "{% endraw %}" opening at i, or 0. */
static size_t
match_endraw(const struct parser *p, size_t i)
{
	const char *s = p->src;
	size_t j = i + 2;

	while (j < p->len && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
		j++;
	if (p->len - j < 6 || memcmp(s + j, "endraw", 6) != 0)
		return 0;
	j += 6;
	while (j < p->len && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
		j++;
	if (p->len - j < 2 || memcmp(s + j, "%}", 2) != 0)
		return 0;
	return j + 2;
}

/* Everything up to {% endraw %} is text; p->pos is past {% raw %}. */
static int
parse_raw(struct parser *p, struct body *b, int line)
{
	size_t open = p->pos, close = 0, text_end, next;

	while ((open = find_open(p, open)) < p->len) {
		if (p->src[open + 1] == '%' &&
		    (close = match_endraw(p, open)) != 0)
			break;
		open++;
	}
	if (close == 0)
		return parse_fail(p, line, "unclosed 'raw' block");
	standalone(p, p->pos, open, close, &text_end, &next);
	push_text(b, p->src + p->pos, text_end - p->pos);
	parse_advance(p, next);
	return 0;
}

/* Blocks. */

static int
block_enter(struct parser *p, int line)
{
	if (++p->depth > TPL_MAX_DEPTH)
		return parse_fail(p, line, "blocks nest deeper than %d",
		    TPL_MAX_DEPTH);
	return 0;
}

/* Takes the tag's condition. */
static struct branch *
branch_add(struct node *n, struct tag *tag)
{
	n->br = xgrow(n->br, &n->capbr, n->nbr + 1, sizeof(*n->br));
	memset(&n->br[n->nbr], 0, sizeof(n->br[0]));
	n->br[n->nbr].cond = tag->expr;
	n->br[n->nbr].line = tag->line;
	tag->expr = NULL;
	return &n->br[n->nbr++];
}

/* Checks the tag that ended a block opened by `kind` at line. */
static int
block_end(struct parser *p, const struct tag *end, enum tag_kind kind,
    int line)
{
	const char *name = tag_names[kind];

	if (end->kind == TAG_END || (kind == TAG_IF && end->kind ==
	    TAG_ENDIF) || (kind == TAG_FOR && end->kind == TAG_ENDFOR))
		return 0;
	if (end->kind == TAG_EOF)
		return parse_fail(p, line, "unclosed '%s' block", name);
	if (end->kind == TAG_ENDIF || end->kind == TAG_ENDFOR)
		return parse_fail(p, end->line, "'%s' cannot close the '%s' "
		    "block opened at line %d", tag_names[end->kind], name,
		    line);
	if (kind == TAG_IF)
		return parse_fail(p, end->line, "'%s' after 'else'",
		    tag_names[end->kind]);
	return parse_fail(p, end->line, "'%s' without 'if'",
	    tag_names[end->kind]);
}

/* if/elif/else up to the end; takes tag->expr. */
static int
parse_if(struct parser *p, struct tag *tag, struct node *n)
{
	struct tag end;
	struct branch *br;
	int r, has_else = 0;

	n->kind = NODE_IF;
	n->line = tag->line;
	br = branch_add(n, tag);
	if ((r = block_enter(p, tag->line)) < 0)
		return r;
	for (;;) {
		if ((r = parse_body(p, &br->body, &end)) < 0)
			return r;
		if ((end.kind != TAG_ELIF && end.kind != TAG_ELSE) ||
		    has_else)
			break;
		has_else = end.kind == TAG_ELSE;
		br = branch_add(n, &end);
	}
	r = block_end(p, &end, TAG_IF, tag->line);
	tag_release(&end);
	p->depth--;
	return r;
}

/* for ... up to the end; takes the tag's names and expression. */
static int
parse_for(struct parser *p, struct tag *tag, struct node *n)
{
	struct tag end;
	int r;

	n->kind = NODE_FOR;
	n->line = tag->line;
	n->expr = tag->expr;
	n->key = tag->key;
	n->var = tag->var;
	memset(tag, 0, sizeof(*tag));
	if ((r = block_enter(p, n->line)) < 0)
		return r;
	if ((r = parse_body(p, &n->body, &end)) < 0)
		return r;
	r = block_end(p, &end, TAG_FOR, n->line);
	tag_release(&end);
	p->depth--;
	return r;
}

/* {{ EXPR }}; p->pos is just past the "{{". */
static int
parse_output(struct parser *p, struct body *b)
{
	struct node n;
	int r;

	memset(&n, 0, sizeof(n));
	n.kind = NODE_OUT;
	n.line = p->tag_line;
	p->closer = '}';
	if ((r = lex(p)) < 0)
		return r;
	if (p->tok.kind == TOK_CLOSE)
		return parse_fail(p, p->line, "empty '{{ }}' tag");
	r = parse_or(p, &n.expr);
	if (r == 0)
		r = expect_close(p, "{{ }}");
	if (r < 0) {
		node_release(&n);
		return r;
	}
	body_push(b, &n);
	return 0;
}

/* {# ... #}; returns where it ends. */
static int
parse_comment(struct parser *p, size_t open, size_t *close)
{
	const char *s = p->src;
	size_t i;

	for (i = open + 2; i + 1 < p->len; i++)
		if (s[i] == '#' && s[i + 1] == '}') {
			*close = i + 2;
			return 0;
		}
	return parse_fail(p, p->tag_line, "unclosed comment");
}

/* A block tag just read: builds its node into b, or reports a closer. */
static int
parse_block_tag(struct parser *p, struct body *b, struct tag *tag,
    int *closes)
{
	struct node n;
	int r;

	*closes = 0;
	memset(&n, 0, sizeof(n));
	switch (tag->kind) {
	case TAG_IF:
		r = parse_if(p, tag, &n);
		break;
	case TAG_FOR:
		r = parse_for(p, tag, &n);
		break;
	case TAG_RAW:
		return parse_raw(p, b, tag->line);
	case TAG_ENDRAW:
		return parse_fail(p, tag->line, "'endraw' without 'raw'");
	default:
		*closes = 1;
		return 0;
	}
	if (r < 0) {
		node_release(&n);
		return r;
	}
	body_push(b, &n);
	return 0;
}

/* A comment or block tag at open: the text before it, then the tag. */
static int
parse_standalone_tag(struct parser *p, struct body *b, size_t open,
    struct tag *tag, int *closes)
{
	size_t text_start = p->pos, close = 0, text_end, next;
	int r;

	*closes = 0;
	parse_advance(p, open);
	p->tag_line = p->line;
	if (p->src[open + 1] == '#')
		r = parse_comment(p, open, &close);
	else {
		parse_advance(p, open + 2);
		r = parse_tag(p, tag);
		close = p->pos;
	}
	if (r < 0)
		return r;
	standalone(p, text_start, open, close, &text_end, &next);
	push_text(b, p->src + text_start, text_end - text_start);
	parse_advance(p, next);
	if (p->src[open + 1] == '#')
		return 0;
	return parse_block_tag(p, b, tag, closes);
}

/*
 * Parses nodes into b until a tag it cannot place (elif, else, end...) or
 * the end of the template; *end says which, and owns its expression.
 */
static int
parse_body(struct parser *p, struct body *b, struct tag *end)
{
	size_t open;
	int r, closes;

	memset(end, 0, sizeof(*end));
	for (;;) {
		open = find_open(p, p->pos);
		if (open == p->len) {
			push_text(b, p->src + p->pos, p->len - p->pos);
			parse_advance(p, p->len);
			end->kind = TAG_EOF;
			end->line = p->line;
			return 0;
		}
		if (p->src[open + 1] == '{') {
			push_text(b, p->src + p->pos, open - p->pos);
			parse_advance(p, open);
			p->tag_line = p->line;
			parse_advance(p, open + 2);
			if ((r = parse_output(p, b)) < 0) {
				end->kind = TAG_EOF;
				return r;
			}
			continue;
		}
		r = parse_standalone_tag(p, b, open, end, &closes);
		if (r < 0)
			tag_release(end);
		if (r < 0 || closes)
			return r;
		tag_release(end);
	}
}

int
tpl_parse_body(struct tpl *t, struct tl_err *err)
{
	struct parser p;
	struct tag end;
	int r;

	memset(&p, 0, sizeof(p));
	p.name = t->name;
	p.src = t->src;
	p.len = t->len;
	p.line = 1;
	p.err = err;
	if ((r = parse_body(&p, &t->body, &end)) == 0 && end.kind != TAG_EOF)
		r = parse_fail(&p, end.line, "'%s' without an open block",
		    tag_names[end.kind]);
	tag_release(&end);
	return r;
}
