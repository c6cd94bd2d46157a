/*
 * lookup(key [, default]) and lookup(key, {default =, merge =, type =}) in
 * recipes: the hierarchy of hiera.h, opened on the first call (a recipe
 * that never looks anything up reads no data file). Maps and lists come
 * back as strict tables, like data.NAME. A miss without a default is an
 * error at the caller's line naming every level tried.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/err.h"
#include "recipe/hiera.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"
#include "recipe/tval.h"

#define LOOKUP_MAX_DEPTH	64

static void
tval_push(lua_State *L, const struct tval *v, int depth)
{
	const char *k, *s;
	const struct tval *e;
	size_t n;

	luaL_checkstack(L, 3, "lookup");
	if (depth > LOOKUP_MAX_DEPTH)
		luaL_error(L, "lookup: value nested too deep");
	switch (tval_kind(v)) {
	case TVAL_STR:
		s = tval_str(v, &n);
		lua_pushlstring(L, s, n);
		break;
	case TVAL_NUM:
		if (tval_num(v) == (double)(lua_Integer)tval_num(v))
			lua_pushinteger(L, (lua_Integer)tval_num(v));
		else
			lua_pushnumber(L, tval_num(v));
		break;
	case TVAL_BOOL:
		lua_pushboolean(L, tval_bool(v));
		break;
	case TVAL_LIST:
		lua_createtable(L, (int)tval_len(v), 0);
		for (size_t i = 0; i < tval_len(v); i++) {
			tval_push(L, tval_list_get(v, i), depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case TVAL_MAP:
		lua_createtable(L, 0, (int)tval_len(v));
		for (size_t i = 0; (e = tval_map_at(v, i, &k)) != NULL; i++) {
			tval_push(L, e, depth + 1);
			lua_setfield(L, -2, k);
		}
		break;
	default:
		lua_pushnil(L);
	}
}

static int
hiera_gc(lua_State *L)
{
	struct hiera **box = lua_touserdata(L, 1);

	hiera_free(*box);
	*box = NULL;
	return 0;
}

/* The compile's hierarchy, opened on first use; freed with the state. */
static struct hiera *
lookup_hiera(lua_State *L)
{
	static const char key = 'h';
	struct compile *c = compile_of(L);
	struct tl_err err = TL_ERR_INIT;
	struct hiera *h;
	struct hiera **box;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &key);
	if (lua_type(L, -1) == LUA_TUSERDATA) {
		box = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return *box;
	}
	lua_pop(L, 1);
	if (hiera_open(c->rec->dir, c->opts->facts, &h, &err) < 0)
		luaL_error(L, "%s%s%s", err.where, err.where[0] ? ": " : "",
		    err.msg);
	box = lua_newuserdatauv(L, sizeof(*box), 0);
	*box = h;
	if (luaL_newmetatable(L, "tlaloc.hiera")) {
		lua_pushcfunction(L, hiera_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
	return h;
}

/*
 * Reads lookup()'s second argument: a default, or a table with any of
 * default, merge and type (then the default, if any, replaces it at 2).
 * Returns 1 when there is a default.
 */
static int
lookup_args(lua_State *L, enum hiera_merge *merge, const char **type)
{
	int has_default = !lua_isnone(L, 2);
	int m, t, d;

	*merge = HIERA_MERGE_UNSET;
	*type = NULL;
	lua_settop(L, 2);
	if (lua_type(L, 2) != LUA_TTABLE)
		return has_default;
	m = lua_getfield(L, 2, "merge");
	t = lua_getfield(L, 2, "type");
	d = lua_getfield(L, 2, "default");
	if (m == LUA_TNIL && t == LUA_TNIL && d == LUA_TNIL) {
		lua_settop(L, 2);
		return 1;	/* a table given as the default */
	}
	if (m != LUA_TNIL && (m != LUA_TSTRING || (*merge = hiera_merge_parse(
	    lua_tostring(L, 3))) == HIERA_MERGE_UNSET))
		luaL_error(L, "lookup: merge must be first, unique, hash or "
		    "deep");
	if (t != LUA_TNIL && t != LUA_TSTRING)
		luaL_error(L, "lookup: type must be a string such as "
		    "\"Array[String]\"");
	/* type's string must outlive the call: keep it on the stack. */
	*type = lua_tostring(L, 4);
	lua_pushvalue(L, 5);
	lua_replace(L, 2);
	return d != LUA_TNIL;
}

static int
recipe_lookup(lua_State *L)
{
	const char *key = luaL_checkstring(L, 1), *type;
	struct tl_err err = TL_ERR_INIT;
	enum hiera_merge merge;
	struct tval *v = NULL;
	int has_default, rc;

	has_default = lookup_args(L, &merge, &type);
	rc = hiera_lookup(lookup_hiera(L), key, merge, &v, NULL, &err);
	if (rc == TL_ENOENT && has_default) {
		lua_pushvalue(L, 2);
		return 1;
	}
	if (rc == 0 && type != NULL)
		rc = hiera_check_type(key, type, v, &err);
	if (rc < 0) {
		tval_free(v);
		return luaL_error(L, "lookup: %s%s%s", err.where[0] ? err.where
		    : "", err.where[0] ? ": " : "", err.msg);
	}
	tval_push(L, v, 0);
	tval_free(v);
	if (lua_type(L, -1) == LUA_TTABLE) {
		lua_getglobal(L, "strict");
		lua_insert(L, -2);
		lua_pushfstring(L, "lookup('%s')", key);
		lua_call(L, 2, 1);
	}
	return 1;
}

void
lookup_open(lua_State *L)
{
	lua_register(L, "lookup", recipe_lookup);
}
