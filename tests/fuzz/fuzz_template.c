/*
 * The template engine under libFuzzer: any bytes must parse and render
 * against a fixed vars tree, or fail with an error that names the template,
 * within the output and work bounds; never crash, leak, hang or read past
 * the input (libFuzzer's buffer ends exactly at size).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "recipe/template.h"
#include "recipe/tval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tval *
str(const char *s)
{
	return tval_new_str(s, strlen(s));
}

/* node, site.ports (list), users (map of maps), and scalars of each kind. */
static struct tval *
fuzz_vars(void)
{
	struct tval *vars = tval_new_map(), *node = tval_new_map();
	struct tval *ports = tval_new_list(), *users = tval_new_map();
	struct tval *site = tval_new_map(), *u, *tags = tval_new_list();

	tval_map_set(node, "hostname", str("web-1"));
	tval_map_set(node, "cpus", tval_new_num(4));
	tval_map_set(node, "load", tval_new_num(0.25));
	tval_list_push(tags, str("web"));
	tval_list_push(tags, str("it's \"quoted\"\n"));
	tval_list_push(tags, tval_new_nil());
	tval_map_set(node, "tags", tags);
	tval_map_set(vars, "node", node);
	tval_list_push(ports, tval_new_num(80));
	tval_list_push(ports, tval_new_num(443));
	tval_list_push(ports, tval_new_num(-1e300));
	tval_map_set(site, "ports", ports);
	tval_map_set(site, "name", tval_new_str("exa\0mple", 8));
	tval_map_set(vars, "site", site);
	u = tval_new_map();
	tval_map_set(u, "uid", tval_new_num(1000));
	tval_map_set(u, "shell", str("/bin/sh"));
	tval_map_set(users, "ana", u);
	u = tval_new_map();
	tval_map_set(u, "uid", tval_new_num(1001));
	tval_map_set(users, "bo", u);
	tval_map_set(vars, "users", users);
	tval_map_set(vars, "yes", tval_new_bool(1));
	tval_map_set(vars, "no", tval_new_bool(0));
	tval_map_set(vars, "empty", str(""));
	tval_map_set(vars, "none", tval_new_map());
	return vars;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tval *vars;
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	struct tpl *t;
	int rc;

	if (vars == NULL)
		vars = fuzz_vars();	/* kept for the whole run */
	rc = tpl_parse("fuzz.tpl", (const char *)data, size, &t, &err);
	if (rc == 0) {
		/* Lower bounds keep each input fast; the logic is the same. */
		tpl_set_limits(t, 1u << 20, 200000);
		rc = tpl_render(t, vars, &out, &err);
		if (rc == 0 && out.len > (1u << 20))
			abort();
		tpl_free(t);
	} else if (t != NULL)
		abort();
	if (rc < 0 && (err.msg[0] == '\0' ||
	    strncmp(err.where, "fuzz.tpl", 8) != 0))
		abort();	/* every failure must say why and where */
	buf_release(&out);
	return 0;
}
