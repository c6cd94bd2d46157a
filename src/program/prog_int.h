#ifndef TLALOC_PROGRAM_PROG_INT_H
#define TLALOC_PROGRAM_PROG_INT_H

#include <lua.h>
#include <stdint.h>

#include "core/buf.h"
#include "program/program.h"
#include "recipe/lua_budget.h"

struct opkey;

/* One thing the program did (or would do) to one node. */
struct prog_action {
	char	*node, *action, *result, *detail;
};

struct prog {
	const struct program_opts *o;
	char		*sock;		/* NULL: no agent (offline) */
	struct opkey	*key;		/* loaded on first use */
	struct prog_action *acts;
	size_t		 nacts;
	size_t		 nfailed;	/* actions whose result is not ok */
	struct lua_budget budget;	/* memory, instructions */
	char		 guard_pack[128]; /* on_leader: lease to keep */
};

struct prog *prog_of(lua_State *L);

/* Pushes the value of JSON text; -1 and *why on bad text. */
int	prog_json_push(lua_State *L, const char *text, size_t len,
	    const char **why);
/* Pushes the JSON lines of text (len bytes) into list t. */
void	prog_json_lines(lua_State *L, const char *text, size_t len, int t);
/* Pushes the cursor of the cursor frame ans (ctl/ctl_frame.h), as a
 * string, and its JSON lines as a list (returns 2), or raises with ans;
 * releases ans either way. */
int	prog_cursor_lines(lua_State *L, struct buf *ans);
/* Appends the Lua value at idx as JSON. */
void	prog_json_encode(lua_State *L, int idx, struct buf *out);

/* The prelude: cluster, batches, rolling, pack, on_leader (Lua). */
extern const char prog_prelude[];

/* Registers the C primitives the prelude builds on into the table on top. */
void	prog_prims_register(lua_State *L);
/* The channel and query primitives (query, say, listen) likewise. */
void	prog_chan_register(lua_State *L);
/* Pushes base64 (standard alphabet) of p. */
void	prog_push_b64(lua_State *L, const uint8_t *p, size_t n);
/* The operator key (--key, $TLALOC_OPERATOR_KEY), or raises: what needs
 * it is named in the error. */
const struct opkey *prog_key(lua_State *L, const char *what);

/* One control request; 0 with the answer in body, or raises. */
int	prog_ctl(lua_State *L, int op, int flags, int argc, char **argv,
	    unsigned timeout_ms, struct buf *body);
/* A refused request's "nil, why" for Lua: pushes nil and the agent's
 * answer without its final new lines, releases ans; returns 2. */
int	prog_push_refusal(lua_State *L, struct buf *ans);
/* Raises unless the on_leader lease is still held (if one is kept). */
void	prog_guard(lua_State *L);
void	prog_record(struct prog *p, const char *node, const char *action,
	    const char *result, const char *detail);

#endif
