/*
 * The program calls built on channels and queries: cluster.run,
 * cluster.say, cluster.wait, and what needs them (members of a channel,
 * facts of another node). This build has no channels, so each raises a
 * clear error; this file is the one place to wire them to the agent.
 */
#include "program/prog_int.h"

#include <lauxlib.h>

static int
no_channels(lua_State *L)
{
	return luaL_error(L, "channels are not available in this build");
}

void
prog_chan_register(lua_State *L)
{
	static const char *const names[] = {
		"run", "say", "wait", "_channel_members", "_remote_facts", NULL
	};

	for (size_t i = 0; names[i] != NULL; i++) {
		lua_pushcfunction(L, no_channels);
		lua_setfield(L, -2, names[i]);
	}
}
