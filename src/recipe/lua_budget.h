#ifndef TLALOC_RECIPE_LUA_BUDGET_H
#define TLALOC_RECIPE_LUA_BUDGET_H

/*
 * The limits every sandboxed Lua state runs under (recipes, programs): a
 * memory cap enforced by the allocator, so a script cannot take the node
 * down by building a huge table, and an instruction budget enforced by a
 * count hook, so an endless loop ends with file:line instead of hanging
 * the agent.
 */

#include <stddef.h>

struct lua_State;

struct lua_budget {
	size_t			 mem_used, mem_max;	/* bytes */
	unsigned long long	 steps;		/* hook calls so far */
	unsigned long long	 max_instructions;
	const char		*what;		/* "recipe", "program": for the
						   error message */
	void			*owner;		/* the compile or program the
						   state's C functions serve */
};

/*
 * A new Lua state counted against b (which must outlive it). Zero
 * mem_max / max_instructions mean the defaults: 256 MiB, 10^9. NULL when
 * Lua cannot start.
 */
struct lua_State *lua_budget_newstate(struct lua_budget *b);

/*
 * The owner of a state made by lua_budget_newstate(). It rides on the
 * allocator's pointer, which every state already carries, so the C
 * functions of a recipe or program need no registry slot to find it.
 */
void	*lua_budget_owner(struct lua_State *L);

/* Stops counting instructions (for work done after the script). */
void	lua_budget_stop(struct lua_State *L);

#endif
