/*
 * The template engine: a small language for configuration files.
 *
 * A template is parsed once into a tree of text, output, if and for nodes,
 * then rendered against a struct tval map. Parsing reads only through
 * (src, len) with explicit bounds; input may hold NUL bytes. The syntax is
 * a tiny subset of Jinja/Liquid with Mustache's "standalone tag" rule, so
 * block tags on lines of their own leave no blank lines in the output:
 *
 *   {{ EXPR | filter | filter(ARG, ARG) }}   output
 *   {% if EXPR %} {% elif EXPR %} {% else %} {% end %}
 *   {% for x in EXPR %} / {% for k, v in EXPR %} ... {% end %}
 *   {% include "NAME" %}   {# comment #}   {% raw %} ... {% endraw %}
 *
 * Expressions have comparisons, arithmetic, ~ for text, and/or/not and
 * `in` (template_expr.c).
 *
 * Unlike Jinja, a missing variable is an error when printed or looped over
 * (typos must not render empty files), and false only inside conditions,
 * so {% if node.tags.web %} works without ceremony. Values are not
 * escaped: config files have no single escaping rule, so the template picks
 * one per value with a filter (json, quote).
 *
 * Every loop iteration and rendered node counts as a step; steps, output
 * bytes, source size and nesting are bounded (template.h) so no template,
 * however hostile, runs forever or exhausts memory.
 */
#include "template.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/template_int.h"

/*
 * The work is split: template_parse.c builds the tree (template_int.h),
 * template_render.c walks it; this file owns struct tpl.
 */

/* Errors: every one carries "name:line". */

int
tpl_fail(struct tl_err *err, const char *name, struct tpl_at at, int code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = tpl_vfail(err, name, at, code, fmt, ap);
	va_end(ap);
	return code;
}

int
tpl_vfail(struct tl_err *err, const char *name, struct tpl_at at, int code,
    const char *fmt, va_list ap)
{
	char msg[sizeof(err->msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	tl_err_set(err, code, "%s", msg);
	if (err == NULL)
		return code;
	/* Ours is the innermost position: it replaces any other. */
	if (at.line > 0 && at.col > 0)
		snprintf(err->where, sizeof(err->where), "%s:%d:%d", name,
		    at.line, at.col);
	else if (at.line > 0)
		snprintf(err->where, sizeof(err->where), "%s:%d", name,
		    at.line);
	else
		snprintf(err->where, sizeof(err->where), "%s", name);
	return code;
}

/* "4 MiB" for round limits, bytes otherwise. */
void
tpl_size_desc(size_t n, char *s, size_t sz)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(s, sz, "%zu MiB", n >> 20);
	else
		snprintf(s, sz, "%zu bytes", n);
}

int
tpl_parse(const char *name, const char *src, size_t len, struct tpl **out,
    struct tl_err *err)
{
	struct tpl *t;
	char lim[32];
	int r;

	*out = NULL;
	if (name == NULL)
		name = "template";
	if (len > TPL_MAX_SIZE) {
		tpl_size_desc(TPL_MAX_SIZE, lim, sizeof(lim));
		return tpl_fail(err, name, (struct tpl_at){ 0, 0 }, TL_ETOOBIG,
		    "template is larger than %s", lim);
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->src = xmalloc(len + 1);
	if (len > 0)
		memcpy(t->src, src, len);
	t->src[len] = '\0';
	t->len = len;
	t->max_output = TPL_MAX_OUTPUT;
	t->max_steps = TPL_MAX_STEPS;
	if ((r = tpl_parse_body(t, err)) < 0) {
		tpl_free(t);
		return r;
	}
	*out = t;
	return 0;
}

void
tpl_set_limits(struct tpl *t, size_t max_output, unsigned long max_steps)
{
	if (max_output != 0 && max_output < t->max_output)
		t->max_output = max_output;
	if (max_steps != 0 && max_steps < t->max_steps)
		t->max_steps = max_steps;
}

void
tpl_set_loader(struct tpl *t, const struct tpl_loader *loader)
{
	t->loader = loader;
}

void
tpl_free(struct tpl *t)
{
	if (t == NULL)
		return;
	tpl_body_release(&t->body);
	free(t->name);
	free(t->src);
	free(t);
}

int
tpl_render_string(const char *name, const char *src, size_t len,
    const struct tval *vars, struct buf *out, struct tl_err *err)
{
	struct tpl *t;
	int rc;

	if ((rc = tpl_parse(name, src, len, &t, err)) < 0)
		return rc;
	rc = tpl_render(t, vars, out, err);
	tpl_free(t);
	return rc;
}
