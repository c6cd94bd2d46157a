#ifndef TLALOC_RECIPE_TEMPLATE_INT_H
#define TLALOC_RECIPE_TEMPLATE_INT_H

#include <stddef.h>

struct tl_err;
struct tval;

/*
 * Internals of the template engine, seen only by template*.c and tests.
 * template_parse.c builds the tree below from the source, template_render.c
 * walks it, template.c owns struct tpl and the public entry points.
 */

/* The parsed tree. */

enum expr_kind {
	EXPR_LIT, EXPR_PATH, EXPR_NOT, EXPR_AND, EXPR_OR, EXPR_EQ, EXPR_NE
};

struct path {
	char	 *text;		/* as written, for messages */
	char	**segs;		/* the dotted parts, NUL-terminated */
	size_t	  nsegs;
};

struct filter {
	int		 def;	/* index into tpl_filter_defs[] */
	struct tval	*arg;	/* NULL when none was given */
};

struct expr {
	enum expr_kind	 kind;
	int		 depth;		/* 1 + deepest operand */
	struct tval	*lit;		/* EXPR_LIT */
	struct path	 path;		/* EXPR_PATH */
	struct expr	*a, *b;		/* operands; not uses only a */
	struct filter	*filters;	/* applied in order to the value */
	size_t		 nfilters, capfilters;
};

enum node_kind { NODE_TEXT, NODE_OUT, NODE_IF, NODE_FOR };

struct node;

struct body {
	struct node	*v;
	size_t		 n, cap;
};

struct branch {
	struct expr	*cond;		/* NULL for else */
	int		 line;		/* of its if/elif/else tag */
	struct body	 body;
};

struct node {
	enum node_kind	 kind;
	int		 line;		/* where the tag starts */
	const char	*text;		/* NODE_TEXT: points into tpl->src */
	size_t		 len;
	struct expr	*expr;		/* NODE_OUT value, NODE_FOR sequence */
	struct branch	*br;		/* NODE_IF: if, elifs, then else */
	size_t		 nbr, capbr;
	char		*key, *var;	/* NODE_FOR: key is NULL in "for x" */
	struct body	 body;		/* NODE_FOR */
};

struct tpl {
	char		*name;
	char		*src;		/* our copy; text nodes point into it */
	size_t		 len;
	struct body	 body;
	size_t		 max_output;	/* bytes per render */
	unsigned long	 max_steps;	/* per render */
};

/*
 * Filters: the parser checks names and arguments against this table, the
 * renderer applies them (template_render.c has one function per entry).
 */
enum tpl_filter {
	TPL_FILTER_DEFAULT, TPL_FILTER_UPPER, TPL_FILTER_LOWER,
	TPL_FILTER_TRIM, TPL_FILTER_JOIN, TPL_FILTER_JSON, TPL_FILTER_QUOTE,
	TPL_FILTER_LENGTH,
	TPL_FILTER_COUNT
};

struct tpl_filter_def {
	const char	*name;
	int		 min_args, max_args;
};

/* Indexed by enum tpl_filter; defined in template_parse.c. */
extern const struct tpl_filter_def tpl_filter_defs[TPL_FILTER_COUNT];

/* Shared helpers (template.c). */

/*
 * Fills err with the message and "name:line" as its only location;
 * returns code.
 */
int	tpl_fail(struct tl_err *err, const char *name, int line, int code,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes "4 MiB" for round limits, "N bytes" otherwise, into s. */
void	tpl_size_desc(size_t n, char *s, size_t sz);

/* Parsing (template_parse.c). */

/*
 * Parses t->src (t->len bytes, t->name for errors) into t->body. On
 * failure returns TL_ESYNTAX with err filled, and t->body may hold part of
 * the tree: free it with tpl_free() as usual.
 */
int	tpl_parse_body(struct tpl *t, struct tl_err *err);

/* Frees the nodes of b and empties it. */
void	tpl_body_release(struct body *b);

#endif
