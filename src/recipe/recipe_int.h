#ifndef TLALOC_RECIPE_RECIPE_INT_H
#define TLALOC_RECIPE_RECIPE_INT_H

/* Shared by the recipe modules only. */

#include <lua.h>

#include "core/strmap.h"
#include "recipe/lua_budget.h"

struct recipe;
struct recipe_opts;
struct tl_err;

struct compile {
	struct recipe			*rec;
	const struct recipe_opts	*opts;
	char				*root_real;	/* realpath of rec->dir */
	struct strmap			 included;	/* realpaths run */
	const char			*cur_file;	/* relative, for where */
	struct lua_budget		 budget;	/* memory, instructions */
};

/* The compile of the running state, from the registry. */
struct compile *compile_of(lua_State *L);

/* Registers the resource-type globals (file{...}, file.replace_line...). */
void	declare_open(lua_State *L);
/* Registers string.match_re, string.gsub_re, re.* */
void	regex_open(lua_State *L);
/* check{}, cluster.service/members, service{port=, checks=}. */
void	services_open(lua_State *L);
/* Builds the `node` global from the facts. */
void	node_open(lua_State *L, const struct compile *c);

/* Appends a copy of s to the string vector *v of *n entries. */
void	recipe_str_push(char ***v, size_t *n, const char *s);
/* Raises a Lua error unless name is a channel name ("#web"). */
void	recipe_check_channel(lua_State *L, const char *name);
/* on(channel, pattern, fn): channel message handlers (handlers.c). */
int	recipe_on(lua_State *L);

/* Converts the table at idx into a template value tree; NULL with a Lua
 * error raised on unconvertible values (functions, cycles, too deep). */
struct tval *lua_to_tval(lua_State *L, int idx, int depth);

/* Renders template file `path` (relative to the recipe dir) with the vars
 * table at vars_idx (0: none) and pushes the result string. Raises a Lua
 * error naming the template's file:line on failure. */
void	template_push(lua_State *L, const char *path, int vars_idx);

#endif
