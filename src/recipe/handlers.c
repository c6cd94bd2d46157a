/*
 * on("#web", "^deploy (\\S+)", fn): a recipe's channel message handlers.
 *
 * A recipe is compiled afresh for every converge, so a handler is two
 * things: a declaration the agent keeps (which channel, which pattern:
 * a message that matches makes the agent converge), and, in the converge
 * that a matching message caused, a call of fn with that message while
 * the recipe is compiled, so whatever fn declares is converged in that
 * run. Without a message, or when it does not match, fn is not called.
 */
#include <lauxlib.h>
#include <string.h>

#include "core/err.h"
#include "core/re.h"
#include "core/xalloc.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

#define MATCH_GROUPS	10

static void
handler_add(struct recipe *rec, const char *channel, const char *pattern)
{
	for (size_t i = 0; i + 1 < rec->nhandlers; i += 2)
		if (strcmp(rec->handlers[i], channel) == 0 &&
		    strcmp(rec->handlers[i + 1], pattern) == 0)
			return;
	rec->handlers = xrealloc(rec->handlers,
	    (rec->nhandlers + 2) * sizeof(char *));
	rec->handlers[rec->nhandlers++] = xstrdup(channel);
	rec->handlers[rec->nhandlers++] = xstrdup(pattern);
}

/* Pushes {channel=, text=, from=, match={captures...}}. */
static void
push_message(lua_State *L, const struct recipe_message *m, const size_t *ovec,
    int ngroups)
{
	lua_createtable(L, 0, 4);
	lua_pushstring(L, m->channel);
	lua_setfield(L, -2, "channel");
	lua_pushstring(L, m->text);
	lua_setfield(L, -2, "text");
	lua_pushstring(L, m->from != NULL ? m->from : "");
	lua_setfield(L, -2, "from");
	lua_createtable(L, ngroups, 0);
	for (int g = 0; g < ngroups; g++) {
		if (ovec[2 * g] == (size_t)-1)
			lua_pushboolean(L, 0);	/* an unset group */
		else
			lua_pushlstring(L, m->text + ovec[2 * g],
			    ovec[2 * g + 1] - ovec[2 * g]);
		lua_rawseti(L, -2, g);	/* [0]: the whole match */
	}
	lua_setfield(L, -2, "match");
}

int
recipe_on(lua_State *L)
{
	struct compile *c = compile_of(L);
	const char *channel = luaL_checkstring(L, 1);
	const char *pattern = luaL_checkstring(L, 2);
	const struct recipe_message *m = c->opts->message;
	struct tl_err err = TL_ERR_INIT;
	size_t ovec[2 * MATCH_GROUPS];
	const struct re *re;
	int n;

	recipe_check_channel(L, channel);
	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (strlen(pattern) > 512)
		return luaL_error(L, "on(): the pattern is longer than 512 "
		    "bytes");
	if ((re = re_get(pattern, &err)) == NULL)
		return luaL_error(L, "on(): %s", err.msg);
	/* Listening on a channel means being in it. */
	recipe_str_push(&c->rec->channels, &c->rec->nchannels, channel);
	handler_add(c->rec, channel, pattern);
	if (m == NULL || strcmp(m->channel, channel) != 0)
		return 0;
	n = re_match(re, m->text, strlen(m->text), 0, ovec, MATCH_GROUPS);
	if (n < 0)
		return luaL_error(L, "on(): matching '%s' failed (match limit)",
		    pattern);
	if (n == 0)
		return 0;
	if (n > MATCH_GROUPS)
		n = MATCH_GROUPS;
	lua_pushvalue(L, 3);
	push_message(L, m, ovec, n);
	lua_call(L, 1, 0);
	return 0;
}
