/*
 * What a recipe reads about its node: the `node` table built from the facts
 * (dotted keys become nested tables: node.interfaces.eth0.ipv4), and Perl
 * regular expressions on strings, as in the vision's preg_match:
 *
 *   if node.name:match_re("^app-[0-9]+\\.dmz\\.") then ... end
 */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/re.h"
#include "facts/facts.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

#define RE_MAX_GROUPS	32

static void
push_fact_value(lua_State *L, const struct facts *f, size_t i)
{
	const char *v = facts_value(f, i);

	switch (facts_kind(f, i)) {
	case FACT_NUM:
		if (lua_stringtonumber(L, v) == 0)
			lua_pushstring(L, v);
		break;
	case FACT_BOOL:
		lua_pushboolean(L, strcmp(v, "true") == 0);
		break;
	default:
		lua_pushstring(L, v);
	}
}

/* Sets node[a][b][c] = value for the key "a.b.c" (table at top). */
static void
node_set(lua_State *L, const char *key, const struct facts *f, size_t i)
{
	const char *dot;
	int depth = 0;

	lua_pushvalue(L, -1);
	while ((dot = strchr(key, '.')) != NULL) {
		lua_pushlstring(L, key, (size_t)(dot - key));
		if (lua_rawget(L, -2) != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushlstring(L, key, (size_t)(dot - key));
			lua_pushvalue(L, -2);
			lua_rawset(L, -4);
		}
		lua_remove(L, -2);
		key = dot + 1;
		depth++;
	}
	push_fact_value(L, f, i);
	lua_setfield(L, -2, key);
	lua_pop(L, 1);
	(void)depth;
}

void
node_open(lua_State *L, const struct compile *c)
{
	const struct facts *f = c->opts->facts;

	lua_newtable(L);
	if (f != NULL)
		for (size_t i = 0; i < facts_count(f); i++)
			node_set(L, facts_key(f, i), f, i);
	lua_pushstring(L, c->rec->dir);
	lua_setfield(L, -2, "recipe_dir");
	lua_setglobal(L, "node");
}

static const struct re *
check_re(lua_State *L, int idx)
{
	struct tl_err err = TL_ERR_INIT;
	const struct re *re = re_get(luaL_checkstring(L, idx), &err);

	if (re == NULL)
		luaL_error(L, "%s", err.msg);
	return re;
}

/* s:match_re(re [, init]) -> the match, or its captures; nil if none. */
static int
str_match_re(lua_State *L)
{
	size_t len, ov[2 * RE_MAX_GROUPS];
	const char *s = luaL_checklstring(L, 1, &len);
	const struct re *re = check_re(L, 2);
	lua_Integer init = luaL_optinteger(L, 3, 1);
	int n;

	if (init < 1 || (size_t)init > len + 1)
		return lua_pushnil(L), 1;
	n = re_match(re, s, len, (size_t)init - 1, ov, RE_MAX_GROUPS);
	if (n < 0)
		return luaL_error(L, "regex match failed (too complex?)");
	if (n == 0)
		return lua_pushnil(L), 1;
	if (n > RE_MAX_GROUPS)
		n = RE_MAX_GROUPS;
	if (n == 1) {
		lua_pushlstring(L, s + ov[0], ov[1] - ov[0]);
		return 1;
	}
	for (int i = 1; i < n; i++) {
		if (ov[2 * i] == (size_t)-1)
			lua_pushnil(L);
		else
			lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] -
			    ov[2 * i]);
	}
	return n - 1;
}

/* Appends repl with $0..$9 replaced by the groups of the match. */
static void
expand_repl(luaL_Buffer *b, const char *s, const char *repl, size_t rlen,
    const size_t *ov, int n)
{
	for (size_t i = 0; i < rlen; i++) {
		if (repl[i] == '$' && i + 1 < rlen && repl[i + 1] >= '0' &&
		    repl[i + 1] <= '9') {
			int g = repl[++i] - '0';
			if (g < n && ov[2 * g] != (size_t)-1)
				luaL_addlstring(b, s + ov[2 * g],
				    ov[2 * g + 1] - ov[2 * g]);
		} else if (repl[i] == '$' && i + 1 < rlen &&
		    repl[i + 1] == '$') {
			luaL_addchar(b, '$');
			i++;
		} else
			luaL_addchar(b, repl[i]);
	}
}

/* s:gsub_re(re, repl) -> new string, count. repl may use $0..$9. */
static int
str_gsub_re(lua_State *L)
{
	size_t len, rlen, ov[2 * RE_MAX_GROUPS], at = 0, count = 0;
	const char *s = luaL_checklstring(L, 1, &len);
	const struct re *re = check_re(L, 2);
	const char *repl = luaL_checklstring(L, 3, &rlen);
	luaL_Buffer b;
	int n;

	luaL_buffinit(L, &b);
	while (at <= len && (n = re_match(re, s, len, at, ov,
	    RE_MAX_GROUPS)) > 0) {
		if (n > RE_MAX_GROUPS)
			n = RE_MAX_GROUPS;
		luaL_addlstring(&b, s + at, ov[0] - at);
		expand_repl(&b, s, repl, rlen, ov, n);
		count++;
		if (ov[1] == ov[0]) {	/* empty match: step one byte */
			if (ov[1] < len)
				luaL_addchar(&b, s[ov[1]]);
			at = ov[1] + 1;
		} else
			at = ov[1];
	}
	if (at < len)
		luaL_addlstring(&b, s + at, len - at);
	luaL_pushresult(&b);
	lua_pushinteger(L, (lua_Integer)count);
	return 2;
}

void
regex_open(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "match_re", str_match_re },
		{ "gsub_re", str_gsub_re },
		{ NULL, NULL }
	};

	/* On the string table, so both s:match_re(p) and
	 * string.match_re(s, p) work. */
	lua_getglobal(L, "string");
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
	/* And as re.match(s, p), re.gsub(s, p, r). */
	lua_newtable(L);
	lua_pushcfunction(L, str_match_re);
	lua_setfield(L, -2, "match");
	lua_pushcfunction(L, str_gsub_re);
	lua_setfield(L, -2, "gsub");
	lua_setglobal(L, "re");
}
