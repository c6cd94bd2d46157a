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
	const void			*render_job;	/* recipe_render()'s */
};

/* Where the running code is, in recipe terms (frames.c). */
struct recipe_frames {
	char	outer[160];	/* innermost main chunk: "site.lua:12" */
	char	inner[160];	/* innermost recipe frame: "lib/web.lua:4" */
	char	func[64];	/* the function running at inner */
	int	via_helper;	/* inner is inside a function outer called */
};

/* Fills f from the stack, from level up ("" when no recipe code runs). */
void	recipe_frames(lua_State *L, int level, struct recipe_frames *f);
/* Writes the declaration site of the running call: "site.lua:12", or
 * "site.lua:12 (in vhost, lib/web.lua:4)" from inside a helper. */
void	recipe_where(lua_State *L, char *out, size_t sz);
/* lua_pcall message handler: positions the error at the recipe's frame
 * (see frames.c). */
int	recipe_msgh(lua_State *L);

/* The compile of the running state, from the registry. */
struct compile *compile_of(lua_State *L);

/* Registers the resource-type globals (file{...}, file.replace_line...). */
void	declare_open(lua_State *L);
/* Registers string.match_re, string.gsub_re, re.* */
void	regex_open(lua_State *L);
/* check{}, cluster.service/members, service{port=, checks=}. */
void	services_open(lua_State *L);
/* Builds the `node` global from the facts, filled as it is read. */
void	node_open(lua_State *L, const struct compile *c);
/* Sets every fact into the node table at idx (for a reader that walks
 * it: pairs, templates); other tables are left alone. */
void	node_fill(lua_State *L, int idx);

/* Loads and runs one file (relative to the recipe dir), leaving nret of
 * its results on the stack. Errors are raised in Lua. */
void	recipe_run_file(lua_State *L, const char *rel, int nret);
/* Pushes a Lua list of the sorted *.lua names in dir rel (relative to the
 * recipe root dir; "" for the root itself); a missing dir lists none. */
void	recipe_list_dir(lua_State *L, const char *root, const char *rel);
/* lookup() over the policy's hiera.yaml hierarchy (lookup.c). */
void	lookup_open(lua_State *L);
/* secret(name): sealed.c. */
void	sealed_open_lib(lua_State *L);
/* data, strict() and maybe() (strict.c); after node_open. */
void	strict_open(lua_State *L);

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
