#include "recipe/lua_budget.h"

#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>

#define HOOK_EVERY	1000	/* instructions per hook call */

static void *
budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lua_budget *b = ud;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		b->mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && b->mem_used + (nsize - osize) > b->mem_max)
		return NULL;
	ptr = realloc(ptr, nsize);
	if (ptr != NULL)
		b->mem_used += nsize - osize;
	return ptr;
}

static void
budget_hook(lua_State *L, lua_Debug *ar)
{
	struct lua_budget *b;
	char msg[128];
	void *ud;

	(void)ar;
	lua_getallocf(L, &ud);
	b = ud;
	if (++b->steps * HOOK_EVERY <= b->max_instructions)
		return;
	/* lua_pushfstring knows no %llu. */
	snprintf(msg, sizeof(msg), "%s ran too long (over %llu "
	    "instructions); is there an endless loop?", b->what,
	    b->max_instructions);
	/* In a hook, level 0 is the Lua function being run. */
	luaL_where(L, 0);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	lua_error(L);
}

lua_State *
lua_budget_newstate(struct lua_budget *b)
{
	lua_State *L;

	if (b->mem_max == 0)
		b->mem_max = 256u << 20;
	if (b->max_instructions == 0)
		b->max_instructions = 1000000000ULL;
	if ((L = lua_newstate(budget_alloc, b)) != NULL)
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
	return L;
}

void *
lua_budget_owner(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ((struct lua_budget *)ud)->owner;
}

void
lua_budget_stop(lua_State *L)
{
	lua_sethook(L, NULL, 0, 0);
}
