#ifndef TLALOC_RECIPE_TEMPLATE_INT_H
#define TLALOC_RECIPE_TEMPLATE_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"
#include "recipe/template.h"

struct buf;
struct tpl_loader;
struct tval;

/*
 * Internals of the template engine, seen only by template*.c and tests.
 * template_lex.c reads tokens, template_expr.c builds expressions,
 * template_parse.c builds the tree of tags and blocks from the source;
 * template_eval.c and template_filter.c compute values, template_render.c
 * walks the tree; template.c owns struct tpl and the public entry points.
 */

/* A position in a template: 1-based line and byte column (0: unknown). */
struct tpl_at {
	int	line, col;
};

/* The parsed tree. */

enum expr_kind {
	EXPR_LIT, EXPR_PATH,
	EXPR_NOT, EXPR_NEG,				/* a only */
	EXPR_AND, EXPR_OR,
	EXPR_EQ, EXPR_NE, EXPR_LT, EXPR_LE, EXPR_GT, EXPR_GE, EXPR_IN,
	EXPR_ADD, EXPR_SUB, EXPR_MUL, EXPR_DIV, EXPR_IDIV, EXPR_MOD,
	EXPR_CAT					/* "~": text */
};

struct path {
	char	 *text;		/* as written, for messages */
	char	**segs;		/* the dotted parts, NUL-terminated */
	size_t	  nsegs;
};

#define TPL_FILTER_MAX_ARGS	2

struct filter {
	int		 def;	/* index into tpl_filter_defs[] */
	struct tval	*args[TPL_FILTER_MAX_ARGS];	/* literals */
	size_t		 nargs;
	struct tpl_at	 at;	/* of the filter's name */
};

struct expr {
	enum expr_kind	 kind;
	int		 depth;		/* 1 + deepest operand */
	struct tpl_at	 at;		/* where it starts (operators: the
					   operator) */
	struct tval	*lit;		/* EXPR_LIT */
	struct path	 path;		/* EXPR_PATH */
	struct expr	*a, *b;		/* operands; not and minus use a */
	struct filter	*filters;	/* applied in order to the value */
	size_t		 nfilters, capfilters;
};

enum node_kind { NODE_TEXT, NODE_OUT, NODE_IF, NODE_FOR, NODE_INCLUDE };

struct node;

struct body {
	struct node	*v;
	size_t		 n, cap;
};

struct branch {
	struct expr	*cond;		/* NULL for else */
	struct tpl_at	 at;		/* of its if/elif/else tag */
	struct body	 body;
};

struct node {
	enum node_kind	 kind;
	struct tpl_at	 at;		/* where the tag starts */
	const char	*text;		/* NODE_TEXT: points into tpl->src */
	size_t		 len;
	struct expr	*expr;		/* NODE_OUT value, NODE_FOR sequence */
	struct branch	*br;		/* NODE_IF: if, elifs, then else */
	size_t		 nbr, capbr;
	char		*key, *var;	/* NODE_FOR: key is NULL in "for x" */
	struct body	 body;		/* NODE_FOR */
	char		*include;	/* NODE_INCLUDE: the template's name */
};

struct tpl {
	char		*name;
	char		*src;		/* our copy; text nodes point into it */
	size_t		 len;
	struct body	 body;
	size_t		 max_output;	/* bytes per render */
	unsigned long	 max_steps;	/* per render */
	const struct tpl_loader *loader; /* for include; NULL: none */
};

/*
 * Filters: the parser checks names and arguments against this table, the
 * renderer applies them (template_filter.c has one function per entry).
 */
enum tpl_filter {
	TPL_FILTER_DEFAULT, TPL_FILTER_UPPER, TPL_FILTER_LOWER,
	TPL_FILTER_TRIM, TPL_FILTER_JOIN, TPL_FILTER_JSON, TPL_FILTER_QUOTE,
	TPL_FILTER_LENGTH, TPL_FILTER_SORT, TPL_FILTER_REVERSE,
	TPL_FILTER_UNIQUE, TPL_FILTER_FIRST, TPL_FILTER_LAST, TPL_FILTER_MIN,
	TPL_FILTER_MAX, TPL_FILTER_SUM, TPL_FILTER_KEYS, TPL_FILTER_VALUES,
	TPL_FILTER_MAP, TPL_FILTER_SELECT, TPL_FILTER_REJECT,
	TPL_FILTER_WHERE, TPL_FILTER_SPLIT,
	TPL_FILTER_COUNT
};

struct tpl_filter_def {
	const char	*name;
	int		 min_args, max_args;
	int		 string_args;	/* how many of the first arguments
					   must be strings */
};

/* Indexed by enum tpl_filter; defined in template_filter.c. */
extern const struct tpl_filter_def tpl_filter_defs[TPL_FILTER_COUNT];

/* Shared helpers (template.c). */

/*
 * Fills err with the message and "name:line:col" (or less, for unknown
 * parts) as its only location; returns code.
 */
int	tpl_fail(struct tl_err *err, const char *name, struct tpl_at at,
	    int code, const char *fmt, ...) __attribute__((format(printf, 5,
	    6)));
/* tpl_fail() with a va_list, for the parser's and renderer's own. */
int	tpl_vfail(struct tl_err *err, const char *name, struct tpl_at at,
	    int code, const char *fmt, va_list ap)
	    __attribute__((format(printf, 5, 0)));

/* Writes "4 MiB" for round limits, "N bytes" otherwise, into s. */
void	tpl_size_desc(size_t n, char *s, size_t sz);

/* Lexing (template_lex.c). */

enum tok {
	TOK_CLOSE, TOK_NAME, TOK_STR, TOK_NUM, TOK_EQ, TOK_NE, TOK_LT,
	TOK_LE, TOK_GT, TOK_GE, TOK_PLUS, TOK_MINUS, TOK_STAR, TOK_SLASH,
	TOK_DSLASH, TOK_PERCENT, TOK_TILDE, TOK_PIPE, TOK_LPAREN, TOK_RPAREN,
	TOK_COMMA
};

struct token {
	enum tok	 kind;
	const char	*s;		/* into the source */
	size_t		 n;
	struct tpl_at	 at;
};

struct parser {
	const char	*name;
	const char	*src;
	size_t		 len;
	size_t		 pos;		/* next byte to read */
	int		 line;		/* line of src[pos] */
	size_t		 line_start;	/* offset where that line starts */
	struct tpl_at	 tag_at;	/* where the current tag opened */
	char		 closer;	/* '}' in {{ }}, '%' in {% %} */
	struct token	 tok;		/* current token inside a tag */
	int		 expr_depth;	/* open parentheses, nots, minuses */
	int		 depth;		/* open if/for blocks */
	struct tl_err	*err;
};

/* Moves to offset to, counting the lines passed. */
void	tpl_advance(struct parser *p, size_t to);
/* The position of offset off, which is on the current line. */
struct tpl_at tpl_at_of(const struct parser *p, size_t off);
/* Reads the next token of the current tag into p->tok. */
int	tpl_lex(struct parser *p);
/* A syntax error at at; returns TL_ESYNTAX. */
int	tpl_parse_fail(struct parser *p, struct tpl_at at, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
int	tpl_is_word(const struct token *t, const char *w);
/* "and", "or", "not", "in": not variable names. */
int	tpl_is_keyword(const struct token *t);
/* How much of a token to quote in a message. */
int	tpl_tok_width(const struct token *t);

/* Expressions (template_expr.c). */

/* The whole grammar: or > and > not > comparison > ~ > + - > * / // % >
 * unary minus > operand (a value and its filters). */
int	tpl_parse_expr(struct parser *p, struct expr **out);
/* An operand alone (what a for loop walks). */
int	tpl_parse_operand(struct parser *p, struct expr **out);
/* Returns 1 and sets *out for a literal token (r < 0 on a bad one), else
 * 0. */
int	tpl_parse_literal(struct parser *p, struct tval **out, int *r);
void	tpl_expr_free(struct expr *e);

/* Parsing (template_parse.c). */

/*
 * Parses t->src (t->len bytes, t->name for errors) into t->body. On
 * failure returns TL_ESYNTAX with err filled, and t->body may hold part of
 * the tree: free it with tpl_free() as usual.
 */
int	tpl_parse_body(struct tpl *t, struct tl_err *err);

/* Frees the nodes of b and empties it. */
void	tpl_body_release(struct body *b);

/* Rendering (template_render.c, template_eval.c, template_filter.c). */

#define TPL_MAX_INCLUDE		16	/* nested includes */
#define TPL_MAX_INCLUDED	256	/* distinct templates per render */

/* A value: borrowed from the vars or the template, or owned. */
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
	const struct tpl	*t;		/* the template being walked */
	const struct tval	*vars;
	struct buf		*out;
	size_t			 start;		/* out->len at the start */
	unsigned long		 steps;
	struct frame		 frames[TPL_MAX_DEPTH * (TPL_MAX_INCLUDE + 1)];
	int			 nframes;
	int			 includes;	/* nested now */
	struct tpl		*included[TPL_MAX_INCLUDED];	/* parsed */
	size_t			 nincluded;
	struct tl_err		*err;
};

int	tpl_render_fail(struct render *r, struct tpl_at at, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* Counts one step of work (or units of it); fails past the limit. */
int	tpl_step(struct render *r, struct tpl_at at);
int	tpl_charge(struct render *r, struct tpl_at at, size_t units);
/* "a string", "a list", ... */
const char *tpl_kind_name(const struct tval *v);
void	tpl_val_release(struct val *v);
/* Replaces v with new, which v then owns. */
void	tpl_val_set(struct val *v, struct tval *new);
/* What a value is called in a message: its path, or "the value". */
const char *tpl_expr_name(const struct expr *e);

/* The value of e; out->v is NULL for a missing variable. */
int	tpl_eval(struct render *r, const struct expr *e, struct val *out);
/* Truth of a condition: missing variables are simply false. */
int	tpl_eval_truth(struct render *r, const struct expr *e, int *truth);
/* Applies filter f to v in place. */
int	tpl_filter_apply(struct render *r, const struct filter *f,
	    struct val *v);

#endif
