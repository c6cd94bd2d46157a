#ifndef TLALOC_RECIPE_TEMPLATE_H
#define TLALOC_RECIPE_TEMPLATE_H

#include <stddef.h>

struct buf;
struct tl_err;
struct tval;

/*
 * Templates for configuration files: {{ expr | filter }}, {% if %},
 * {% for %}, {% include %}, {# comments #} and {% raw %}; the syntax is in
 * docs/templates.md. A template is parsed once into a tree and can be
 * rendered many times. Every error names the template, line and column in
 * err->where ("templates/app.conf.tpl:12:9").
 */

struct tpl;

/* Arbitrary bounds, chosen far above any real config file. */
#define TPL_MAX_SIZE	(4u << 20)	/* bytes of template source */
#define TPL_MAX_DEPTH	64		/* nested if/for blocks */
#define TPL_MAX_EXPR	64		/* nested not/parentheses */
#define TPL_MAX_OUTPUT	(64u << 20)	/* bytes rendered per call */
#define TPL_MAX_STEPS	10000000ul	/* blocks, tags and iterations */

/*
 * Parses len bytes of src (NUL bytes allowed, no terminator needed); name
 * (copied; NULL means "template") is used in error locations. On success
 * *out is a new template to free with tpl_free(). Fails with TL_ESYNTAX or
 * TL_ETOOBIG (over TPL_MAX_SIZE), *out NULL.
 */
int	tpl_parse(const char *name, const char *src, size_t len,
	    struct tpl **out, struct tl_err *err);

/*
 * Appends the template rendered with vars (a map, or NULL for none) to out.
 * Fails with TL_ESYNTAX (unknown variable, wrong kind of value) or
 * TL_ETOOBIG (output or work over the limits); out then keeps what was
 * rendered before the error, so callers discard it.
 */
int	tpl_render(const struct tpl *t, const struct tval *vars,
	    struct buf *out, struct tl_err *err);

/*
 * Lowers the render limits for this template (0 keeps the default): bytes
 * of output per render and steps of work. For fuzzers and tests.
 */
void	tpl_set_limits(struct tpl *t, size_t max_output,
	    unsigned long max_steps);

/*
 * Where {% include "NAME" %} finds other templates: load() appends NAME's
 * source to out, or fails with err (a missing file, a path outside the
 * recipe directory). Templates included by t use the same loader.
 */
struct tpl_loader {
	int	(*load)(void *arg, const char *name, struct buf *out,
		    struct tl_err *err);
	void	*arg;
};

/* Sets t's loader (borrowed; NULL: include fails). */
void	tpl_set_loader(struct tpl *t, const struct tpl_loader *loader);

/* Frees t; accepts NULL. */
void	tpl_free(struct tpl *t);

/* tpl_parse + tpl_render + tpl_free. */
int	tpl_render_string(const char *name, const char *src, size_t len,
	    const struct tval *vars, struct buf *out, struct tl_err *err);

#endif
