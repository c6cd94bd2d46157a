/*
 * tlaloc check DIR [--node NAME]... [--fact k=v]...: compiles a policy the
 * way each named node would (this machine's facts, with the node's name
 * in name, hostname, fqdn and agent.name, then the --fact overrides) and
 * lints it (recipe/lint.c). Nothing is changed and no root is needed.
 * `tlaloc publish` runs the same check for every member its agent knows.
 *
 * tlaloc render TEMPLATE [--node NAME] [--fact k=v]... [--var k=v]...
 * [--vars FILE.lua] [--recipes DIR]: prints a template as a recipe on that
 * node would render it.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "recipe/recipe.h"

#define CHECK_MAX_NODES	1024	/* --node flags, or members checked */
#define CHECK_MAX_VARS	256

static const char check_usage[] =
    "tlaloc check DIR|SITE.lua [--node NAME]... [--fact k=v]... [--json]\n"
    "                    [--notes] [--facts-d DIR] [--root DIR] "
    "[--state-dir DIR]\n"
    "Compiles the policy as each node would (this machine's facts, named\n"
    "NAME, with the --fact overrides) and lints it: missing source files,\n"
    "commands that depend on PATH, accounts nothing declares, recipe files\n"
    "the node never reads. Changes nothing. Exit 0 when every node compiles\n"
    "without errors, 1 otherwise.";

static const char render_usage[] =
    "tlaloc render TEMPLATE [--node NAME] [--fact k=v]... [--var k=v]...\n"
    "                    [--vars FILE.lua] [--recipes DIR] [--facts-d DIR]\n"
    "Prints the template rendered as a recipe on that node would render it:\n"
    "node holds the facts, data/ tables are there, --vars FILE.lua returns\n"
    "a table of variables and --var k=v adds string ones. Includes and\n"
    "--vars are found in --recipes DIR (default: the directory that holds\n"
    "templates/, else the template's own).";

/* Sets the name facts of node (as `tlaloc agent --name` would give it). */
static void
node_name_facts(struct facts *f, const char *node)
{
	char *shortname = xstrndup(node, strcspn(node, "."));

	facts_set(f, "name", FACT_STR, node);
	facts_set(f, "hostname", FACT_STR, shortname);
	facts_set(f, "fqdn", FACT_STR, node);
	facts_set(f, "agent.name", FACT_STR, node);
	free(shortname);
}

/* This machine's facts, gathered once per command. */
static struct facts *
machine_facts(const struct cli_node_opts *o)
{
	static struct facts *cached;
	struct cli_node_opts machine = *o;

	if (cached != NULL)
		return cached;
	cached = facts_new();
	machine.user = NULL;	/* set per node, over its name facts */
	if (cli_node_gather(&machine, cached) < 0) {
		facts_free(cached);
		cached = NULL;
	}
	return cached;
}

int
cli_fact_arg(struct facts *f, const char *k_eq_v)
{
	struct tl_err err = TL_ERR_INIT;

	if (facts_set_arg(f, k_eq_v, &err) < 0) {
		cli_error(&err);
		return -1;
	}
	return 0;
}

int
cli_node_getopt(struct cli_node_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'f':
		return cli_fact_arg(o->user, arg) < 0 ? -1 : 1;
	case 'F':
		o->facts_d = arg;
		return 1;
	case 'r':
		o->root = arg;
		return 1;
	case 's':
		o->state_flag = arg;
		return 1;
	default:
		return 0;
	}
}

int
cli_node_gather(const struct cli_node_opts *o, struct facts *f)
{
	struct facts_opts fopts = { 0 };
	struct tl_err err = TL_ERR_INIT;

	fopts.facts_d = o->facts_d;
	fopts.root = o->root;
	if (facts_gather(f, &fopts, &err) < 0) {
		cli_error(&err);
		return -1;
	}
	if (o->user != NULL)
		facts_merge(f, o->user);	/* --fact wins over them all */
	return 0;
}

int
cli_node_facts(const struct cli_node_opts *o, const char *node,
    struct facts **out)
{
	const struct facts *machine = machine_facts(o);

	*out = NULL;
	if (machine == NULL)
		return -1;
	*out = facts_new();
	facts_merge(*out, machine);
	if (node != NULL)
		node_name_facts(*out, node);
	if (o->user != NULL)
		facts_merge(*out, o->user);
	return 0;
}

/* Errors and warnings one a line; notes too with notes, else counted. */
static void
lint_print(const struct lint *l, int notes, FILE *out)
{
	static const char *const names[] = { "error", "warning", "note" };
	size_t skipped = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].level == LINT_NOTE && !notes) {
			skipped++;
			continue;
		}
		fprintf(out, "  %s: %s%s%s\n", names[l->v[i].level],
		    l->v[i].where, l->v[i].where[0] ? ": " : "", l->v[i].msg);
	}
	if (skipped > 0)
		fprintf(out, "  (%zu recipe file%s not read for this node; "
		    "--notes lists them)\n", skipped, skipped == 1 ? "" : "s");
}

static void
lint_json(const struct lint *l, struct buf *b)
{
	static const char *const names[] = { "error", "warning", "note" };

	buf_addch(b, '[');
	for (size_t i = 0; i < l->n; i++) {
		buf_addf(b, "%s{\"level\":\"%s\",\"where\":", i ? "," : "",
		    names[l->v[i].level]);
		buf_add_json_str(b, l->v[i].where, strlen(l->v[i].where));
		buf_addstr(b, ",\"message\":");
		buf_add_json_str(b, l->v[i].msg, strlen(l->v[i].msg));
		buf_addch(b, '}');
	}
	buf_addch(b, ']');
}

/* Compiles and lints path for node (NULL: this machine, as it is);
 * fills l. Returns 0 when it compiled. */
static int
check_node(const char *path, const struct cli_node_opts *o,
    const char *node, struct lint *l, size_t *nres)
{
	struct recipe_opts ropts = { 0 };
	struct tl_err err = TL_ERR_INIT;
	struct recipe *rec = NULL;
	struct facts *f;
	int rc;

	*nres = 0;
	if (cli_node_facts(o, node, &f) < 0)
		return -1;
	ropts.path = path;
	ropts.facts = f;
	ropts.cluster_ask = o->state_flag != NULL ? cli_cluster_ask : NULL;
	ropts.cluster_ctx = (void *)o->state_flag;
	if ((rc = recipe_compile(&ropts, &rec, &err)) < 0) {
		lint_add(l, LINT_ERROR, err.where, "%s", err.msg[0] ? err.msg :
		    tl_strerror(err.code));
	} else {
		*nres = rec->graph.n;
		recipe_lint(rec, o->root != NULL ? o->root : "/", l);
	}
	recipe_free(rec);
	facts_free(f);
	return rc < 0 ? -1 : 0;
}

int
cli_check_nodes(const char *path, const struct cli_node_opts *o,
    const char *const *nodes, size_t n, int json, size_t *failed)
{
	struct buf js = BUF_INIT;
	size_t nres;

	*failed = 0;
	if (json)
		buf_addstr(&js, "{\"nodes\":[");
	for (size_t i = 0; i < (n == 0 ? 1 : n); i++) {
		const char *node = n == 0 ? NULL : nodes[i];
		const char *shown = node != NULL ? node : "this node";
		struct lint l = { 0 };

		if (check_node(path, o, node, &l, &nres) < 0 && l.n == 0) {
			lint_release(&l);
			buf_release(&js);
			return -1;	/* facts could not be gathered */
		}
		*failed += l.errors > 0;
		if (json) {
			buf_addf(&js, "%s{\"node\":", i ? "," : "");
			buf_add_json_str(&js, shown, strlen(shown));
			buf_addf(&js, ",\"ok\":%s,\"resources\":%zu,"
			    "\"findings\":", l.errors ? "false" : "true", nres);
			lint_json(&l, &js);
			buf_addch(&js, '}');
		} else if (l.errors > 0 || !o->only_failures) {
			printf("%s: %s (%zu resources)\n", shown, l.errors ?
			    "FAILS" : "ok", nres);
			lint_print(&l, o->notes, stdout);
		}
		lint_release(&l);
	}
	if (json) {
		buf_addf(&js, "],\"failed\":%zu}\n", *failed);
		fputs(js.data, stdout);
	}
	fflush(stdout);
	buf_release(&js);
	return 0;
}

/* The flags check and render share; returns 1 when taken, 0 when not
 * one of them, -1 after an error. */
static int
node_opt(struct cli_node_opts *o, int argc, char **argv, int *i,
    const char **nodes, size_t *nnodes)
{
	const char *a = argv[*i];

	if (strcmp(a, "--node") && strcmp(a, "--fact") &&
	    strcmp(a, "--facts-d") && strcmp(a, "--root") &&
	    strcmp(a, "--state-dir"))
		return 0;
	if (*i + 1 >= argc) {
		cli_errorf("%s needs a value", a);
		return -1;
	}
	(*i)++;
	if (strcmp(a, "--node") == 0) {
		if (*nnodes == CHECK_MAX_NODES) {
			cli_errorf("at most %d --node flags", CHECK_MAX_NODES);
			return -1;
		}
		nodes[(*nnodes)++] = argv[*i];
	} else if (strcmp(a, "--fact") == 0) {
		if (cli_fact_arg(o->user, argv[*i]) < 0)
			return -1;
	} else if (strcmp(a, "--facts-d") == 0)
		o->facts_d = argv[*i];
	else if (strcmp(a, "--root") == 0)
		o->root = argv[*i];
	else
		o->state_flag = argv[*i];
	return 1;
}

int
cmd_check(int argc, char **argv)
{
	struct cli_node_opts o = { 0 };
	const char **nodes = xcalloc(CHECK_MAX_NODES, sizeof(char *));
	const char *path = NULL;
	size_t nnodes = 0, failed = 0;
	int json = 0, r = 1, t = 0;

	if (cli_help(argc, argv, check_usage)) {
		free(nodes);
		return 0;
	}
	o.user = facts_new();
	for (int i = 1; i < argc && t >= 0; i++) {
		if ((t = node_opt(&o, argc, argv, &i, nodes, &nnodes)) != 0)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--notes") == 0)
			o.notes = 1;
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			t = -1, cli_errorf("usage: %s", check_usage);
	}
	if (t >= 0 && path == NULL)
		cli_errorf("usage: %s", check_usage);
	else if (t >= 0 && cli_check_nodes(path, &o, nodes, nnodes, json,
	    &failed) == 0)
		r = failed > 0;
	facts_free(o.user);
	free(nodes);
	return r;
}

/* The recipe directory a template belongs to: the one holding its
 * templates/ directory, else the template's own directory. Sets *rel to
 * the template's path from there. Returns a new string. */
static char *
render_dir(const char *tpl, const char **rel)
{
	const char *t = strstr(tpl, "templates/");

	while (t != NULL && t != tpl && t[-1] != '/')
		t = strstr(t + 1, "templates/");
	if (t != NULL) {
		*rel = t;
		return t == tpl ? xstrdup(".") : xstrndup(tpl,
		    (size_t)(t - tpl - 1));
	}
	t = strrchr(tpl, '/');
	*rel = t != NULL ? t + 1 : tpl;
	return t != NULL ? xstrndup(tpl, (size_t)(t - tpl)) : xstrdup(".");
}

/* Makes path relative to dir when it is under it (as given). */
static const char *
render_rel(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static int
render_run(const char *tpl, const char *recipes, const char *vars,
    const struct cli_node_opts *o, const char *node,
    const char *const *kv, size_t nkv)
{
	struct recipe_opts ropts = { 0 };
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	struct facts *f;
	const char *rel = tpl;
	char *dir = recipes != NULL ? xstrdup(recipes) : render_dir(tpl, &rel);
	int r = 1;

	if (recipes != NULL)
		rel = render_rel(recipes, tpl);
	if (cli_node_facts(o, node, &f) == 0) {
		ropts.facts = f;
		if (recipe_render(&ropts, dir, rel, vars != NULL ?
		    render_rel(dir, vars) : NULL, kv, nkv, &out, &err) < 0)
			cli_error(&err);
		else {
			fwrite(out.data, 1, out.len, stdout);
			r = 0;
		}
		facts_free(f);
	}
	buf_release(&out);
	free(dir);
	return r;
}

int
cmd_render(int argc, char **argv)
{
	struct cli_node_opts o = { 0 };
	const char *nodes[CHECK_MAX_NODES], *kv[CHECK_MAX_VARS];
	const char *tpl = NULL, *vars = NULL, *recipes = NULL;
	size_t nnodes = 0, nkv = 0;
	int r = 1, t = 0;

	if (cli_help(argc, argv, render_usage))
		return 0;
	o.user = facts_new();
	for (int i = 1; i < argc && t >= 0; i++) {
		const char *a = argv[i];

		if ((t = node_opt(&o, argc, argv, &i, nodes, &nnodes)) != 0)
			continue;
		if ((strcmp(a, "--var") == 0 || strcmp(a, "--vars") == 0 ||
		    strcmp(a, "--recipes") == 0) && i + 1 < argc) {
			if (strcmp(a, "--vars") == 0)
				vars = argv[++i];
			else if (strcmp(a, "--recipes") == 0)
				recipes = argv[++i];
			else if (nkv < CHECK_MAX_VARS)
				kv[nkv++] = argv[++i];
		} else if (a[0] != '-' && tpl == NULL)
			tpl = a;
		else
			t = -1, cli_errorf("usage: %s", render_usage);
	}
	if (t >= 0 && (tpl == NULL || nnodes > 1))
		cli_errorf("usage: %s", render_usage);
	else if (t >= 0)
		r = render_run(tpl, recipes, vars, &o, nnodes ? nodes[0] :
		    NULL, kv, nkv);
	facts_free(o.user);
	return r;
}
