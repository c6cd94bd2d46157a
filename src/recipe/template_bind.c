/*
 * Templates from recipes: Lua values become a struct tval tree and the
 * template engine renders it. Rendering happens while the recipe compiles,
 * so a template error stops the run before anything changes, and names
 * the template's file:line.
 */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"
#include "recipe/template.h"
#include "recipe/tval.h"

#define TVAL_MAX_DEPTH	32
#define TPL_MAX_FILE	(4u << 20)

static struct tval *
scalar_to_tval(lua_State *L, int idx)
{
	size_t n;
	const char *s;

	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		return tval_new_str(s, n);
	case LUA_TNUMBER:
		return tval_new_num((double)lua_tonumber(L, idx));
	case LUA_TBOOLEAN:
		return tval_new_bool(lua_toboolean(L, idx));
	case LUA_TNIL:
		return NULL;
	}
	return NULL;
}

/* Returns NULL and leaves an error message on the stack on failure. */
static struct tval *
table_to_tval(lua_State *L, int idx, int depth)
{
	lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
	struct tval *t, *v;

	if (depth > TVAL_MAX_DEPTH) {
		lua_pushstring(L, "template vars nest too deep (a cycle?)");
		return NULL;
	}
	if (len > 0) {
		t = tval_new_list();
		for (lua_Integer i = 1; i <= len; i++) {
			lua_rawgeti(L, idx, i);
			v = lua_to_tval(L, lua_gettop(L), depth + 1);
			if (v == NULL && lua_type(L, -1) == LUA_TSTRING &&
			    lua_type(L, -2) != LUA_TSTRING) {
				lua_remove(L, -2);
				tval_free(t);
				return NULL;
			}
			lua_pop(L, 1);
			tval_list_push(t, v ? v : tval_new_str("", 0));
		}
		return t;
	}
	t = tval_new_map();
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			lua_pop(L, 2);
			tval_free(t);
			lua_pushstring(L, "template vars: table keys must be "
			    "strings (or make it a list)");
			return NULL;
		}
		v = lua_to_tval(L, lua_gettop(L), depth + 1);
		if (v == NULL && lua_type(L, -1) == LUA_TSTRING &&
		    lua_type(L, -2) != LUA_TSTRING) {
			lua_remove(L, -2);
			lua_remove(L, -2);
			tval_free(t);
			return NULL;
		}
		if (v != NULL)
			tval_map_set(t, lua_tostring(L, -2), v);
		lua_pop(L, 1);
	}
	return t;
}

/*
 * A NULL return with a string pushed on top means an error; a NULL return
 * with nothing pushed means nil (or a value with no template meaning).
 */
struct tval *
lua_to_tval(lua_State *L, int idx, int depth)
{
	if (lua_type(L, idx) == LUA_TTABLE)
		return table_to_tval(L, idx, depth);
	if (lua_type(L, idx) == LUA_TFUNCTION ||
	    lua_type(L, idx) == LUA_TUSERDATA) {
		lua_pushfstring(L, "template vars cannot hold a %s",
		    luaL_typename(L, idx));
		return NULL;
	}
	return scalar_to_tval(L, idx);
}

/* Builds {node = ..., <vars>...}; raises on unconvertible values. */
static struct tval *
template_vars(lua_State *L, int vars_idx)
{
	struct tval *vars, *node;
	int top = lua_gettop(L);

	if (vars_idx != 0) {
		vars = lua_to_tval(L, vars_idx, 0);
		if (vars == NULL && lua_gettop(L) > top)
			lua_error(L);
		if (vars == NULL || tval_kind(vars) != TVAL_MAP) {
			tval_free(vars);
			vars = tval_new_map();
		}
	} else
		vars = tval_new_map();
	lua_getglobal(L, "node");
	node_fill(L, -1);	/* a template may read any fact */
	node = lua_to_tval(L, lua_gettop(L), 0);
	lua_pop(L, 1);
	if (node != NULL && tval_map_get(vars, "node") == NULL)
		tval_map_set(vars, "node", node);
	else
		tval_free(node);
	return vars;
}

/* Reads template path (relative to the recipe directory, and inside it)
 * into out: for template() and file{template=} and for {% include %}. */
static int
template_load(void *arg, const char *path, struct buf *out,
    struct tl_err *err)
{
	const struct compile *c = arg;
	char *full;
	int rc;

	if (path[0] == '/' || strstr(path, "..") != NULL)
		return tl_err_set(err, TL_EINVAL, "template '%s' must be a "
		    "path inside the recipe directory", path);
	full = xasprintf("%s/%s", c->rec->dir, path);
	rc = fileio_read(full, TPL_MAX_FILE, out, err);
	free(full);
	return rc;
}

/* Parses and renders src (template path) with vars into out. */
static int
template_render(struct compile *c, const char *path, const struct buf *src,
    const struct tval *vars, struct buf *out, struct tl_err *err)
{
	const struct tpl_loader loader = { template_load, c };
	struct tpl *t;
	int rc;

	if ((rc = tpl_parse(path, src->data, src->len, &t, err)) < 0)
		return rc;
	tpl_set_loader(t, &loader);
	rc = tpl_render(t, vars, out, err);
	tpl_free(t);
	return rc;
}

void
template_push(lua_State *L, const char *path, int vars_idx)
{
	struct compile *c = compile_of(L);
	struct tl_err err = TL_ERR_INIT;
	struct buf src = BUF_INIT, out = BUF_INIT;
	struct tval *vars;
	int rc;

	if (template_load(c, path, &src, &err) < 0) {
		/* No template position yet: the recipe's line says which. */
		buf_release(&src);
		luaL_error(L, "template '%s': %s", path, err.msg);
	}
	vars = template_vars(L, vars_idx);
	rc = template_render(c, path, &src, vars, &out, &err);
	tval_free(vars);
	buf_release(&src);
	if (rc < 0) {
		buf_release(&out);
		/* The template's own position comes first; the recipe's
		 * follows (frames.c). */
		if (err.where[0] != '\0')
			lua_pushfstring(L, "%s: %s", err.where, err.msg);
		else
			lua_pushfstring(L, "%s", err.msg);
		lua_error(L);
	}
	lua_pushlstring(L, out.data, out.len);
	buf_release(&out);
}
