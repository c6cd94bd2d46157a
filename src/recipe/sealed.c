/*
 * secret(name) in recipes: opens POLICY/secrets/NAME.sealed with this
 * node's key (recipe_opts.node_key) and returns the value as a string.
 * The value joins the redaction set (core/redact.h) before Lua sees it,
 * so whatever the recipe does with it, reports and errors mask it.
 * Without a node key (tlaloc check, render, lookup on an operator's
 * machine) it checks the sealed file and returns a placeholder, so a
 * policy compiles and lints without anyone's secrets.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/redact.h"
#include "facts/facts.h"
#include "net/ident.h"
#include "policy/secret.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

static int
sealed_fail(lua_State *L, const struct tl_err *err)
{
	return luaL_error(L, "secret: %s%s%s", err->where, err->where[0] ?
	    ": " : "", err->msg);
}

static const char *
sealed_self_name(const struct recipe_opts *o)
{
	const char *n = NULL;

	if (o->facts != NULL && (n = facts_get(o->facts, "agent.name")) ==
	    NULL)
		n = facts_get(o->facts, "hostname");
	return n != NULL ? n : "this node";
}

/*
 * Opens secret name as this node (key file o->node_key): the value is
 * appended to v. No Lua here, so nothing unwinds past what we hold.
 */
static int
sealed_open(const struct recipe_opts *o, const char *dir, const char *name,
    struct buf *v, struct tl_err *err)
{
	struct secret *s;
	struct ident *id;
	struct stat st;
	int r;

	if ((r = secret_read(dir, name, &s, err)) < 0)
		return r;
	if (o->node_key == NULL) {
		buf_addf(v, "<secret %s>", name);
		secret_free(s);
		return 0;
	}
	if (stat(o->node_key, &st) < 0) {
		secret_free(s);
		return tl_err_set(err, TL_ENOENT, "'%s' needs this node's key, "
		    "and there is none at %s (run `tlaloc init` or start the "
		    "agent once)", name, o->node_key);
	}
	if ((id = ident_load_or_create(o->node_key, err)) == NULL) {
		secret_free(s);
		return err->code;
	}
	r = secret_open_node(s, id, sealed_self_name(o), v, err);
	if (r == 0)
		redact_add(v->data, v->len);
	ident_free(id);
	secret_free(s);
	return r;
}

static int
recipe_secret(lua_State *L)
{
	struct compile *c = compile_of(L);
	const char *name = luaL_checkstring(L, 1);
	struct tl_err err = TL_ERR_INIT;
	struct buf v = BUF_INIT;
	int r;

	r = sealed_open(c->opts, c->rec->dir, name, &v, &err);
	if (r == 0)
		lua_pushlstring(L, v.data, v.len);
	sodium_memzero(v.data, v.len);
	buf_release(&v);
	if (r < 0)
		return sealed_fail(L, &err);
	return 1;
}

void
sealed_open_lib(lua_State *L)
{
	lua_register(L, "secret", recipe_secret);
}
