/*
 * The program calls built on channels and queries (docs/channels.md):
 * the C halves of cluster.run, cluster.say and cluster.wait, talking to
 * the local agent's CTL_RUN/CTL_RUN_POLL, CTL_SAY and CTL_LISTEN ops.
 * Filters, recording and dry runs are the prelude's (Lua) business.
 */
#include "program/prog_int.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "cluster/qfilter.h"
#include "cluster/query.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/opkey.h"

#define SAY_TIMEOUT_MS		5000
#define POLL_TIMEOUT_MS		15000	/* > the agent's 10 s long poll */

int
prog_cursor_lines(lua_State *L, struct buf *ans)
{
	struct ctl_cursor cur;

	if (ctl_cursor_decode((uint8_t *)ans->data, ans->len, &cur) < 0) {
		buf_release(ans);
		return luaL_error(L, "unexpected answer from the agent");
	}
	lua_pushfstring(L, "%I", (lua_Integer)cur.cursor);
	lua_newtable(L);
	prog_json_lines(L, cur.text, cur.len, lua_gettop(L));
	buf_release(ans);
	return 2;
}

void
prog_json_lines(lua_State *L, const char *text, size_t len, int t)
{
	const char *p = text, *end = text + len, *nl, *why;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p && prog_json_push(L, p, (size_t)(nl - p),
		    &why) == 0)
			lua_rawseti(L, t, (lua_Integer)lua_rawlen(L, t) + 1);
		p = nl + 1;
	}
}

/* Raises with the agent's error reply ans, released. */
static int
ctl_raise(lua_State *L, struct buf *ans)
{
	lua_pushlstring(L, ans->data, ans->len);
	buf_release(ans);
	return lua_error(L);
}

static void
query_fill(lua_State *L, struct query *q)
{
	const char *filter = luaL_checkstring(L, 1);
	const char *type = luaL_checkstring(L, 2);
	lua_Number timeout = luaL_optnumber(L, 4, 10);
	struct tl_err err = TL_ERR_INIT;
	struct qfilter f;
	size_t used = 0;

	memset(q, 0, sizeof(*q));
	if (strlen(filter) > QFILTER_MAX || qfilter_parse(filter, &f,
	    &err) < 0)
		luaL_error(L, "bad filter '%s': %s", filter, err.msg[0] ?
		    err.msg : "too long");
	snprintf(q->filter, sizeof(q->filter), "%s", filter);
	if (timeout <= 0 || timeout > QUERY_TIMEOUT_MAX_MS / 1000)
		luaL_error(L, "timeout must be more than 0 and at most %d s",
		    QUERY_TIMEOUT_MAX_MS / 1000);
	q->timeout_ms = (uint32_t)(timeout * 1000);
	q->type = strcmp(type, "exec") == 0 ? QUERY_EXEC :
	    strcmp(type, "facts") == 0 ? QUERY_FACTS : QUERY_STATUS;
	if (q->type != QUERY_EXEC)
		return;
	luaL_checktype(L, 3, LUA_TTABLE);
	for (lua_Integer i = 1; lua_rawgeti(L, 3, i) != LUA_TNIL; i++) {
		size_t n;
		const char *s = lua_tolstring(L, -1, &n);

		if (s == NULL)
			luaL_error(L, "the command must be a list of strings");
		if (q->argc == QUERY_ARGV_MAX || used + n >= QUERY_ARGS_BYTES)
			luaL_error(L, "the command is too long: at most %d "
			    "arguments and %d bytes", QUERY_ARGV_MAX,
			    QUERY_ARGS_BYTES);
		memcpy(q->store + used, s, n + 1);
		q->argv[q->argc++] = q->store + used;
		used += n + 1;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (q->argc == 0)
		luaL_error(L, "the command is empty");
}

/*
 * The local agent's node id, which the query names as its asker (nodes
 * answer only that member), or raises.
 */
static void
prog_asker(lua_State *L, uint8_t asker[QUERY_NODE_ID_LEN])
{
	const struct prog *p = prog_of(L);
	struct tl_err err = TL_ERR_INIT;
	char *path;
	int r;

	if (p->o->state_dir == NULL)
		luaL_error(L, "queries need the local agent (--state-dir)");
	path = xasprintf("%s/node.key", p->o->state_dir);
	r = ident_read_public(path, asker, &err);
	free(path);
	if (r < 0)
		luaL_error(L, "cannot name this node as the query's asker: %s",
		    err.msg);
}

/*
 * query(filter, "exec"|"facts"|"status", argv, timeout_s)
 *   -> list of reply objects, summary object
 * Exec queries are signed with the program's operator key.
 */
static int
l_query(lua_State *L)
{
	struct buf body = BUF_INIT, ans = BUF_INIT;
	uint8_t sig[OPKEY_SIG_LEN];
	char *args[3], id[2 * CTL_FRAME_ID_LEN + 1], cursor[32] = "0";
	struct ctl_started st;
	struct ctl_cursor cur = { 0 };
	struct query q;
	int list, summary;

	query_fill(L, &q);
	prog_guard(L);
	prog_asker(L, q.asker);
	randombytes_buf(q.id, sizeof(q.id));
	randombytes_buf(q.nonce, sizeof(q.nonce));
	q.time_ms = (uint64_t)time(NULL) * 1000;
	query_body_encode(&q, &body);
	prog_push_b64(L, (uint8_t *)body.data, body.len);
	lua_pushstring(L, "");
	lua_pushstring(L, "");
	if (q.type == QUERY_EXEC) {
		const struct opkey *k;

		/* May raise: the body must not be left behind. */
		lua_pushlstring(L, body.data, body.len);
		buf_release(&body);
		k = prog_key(L, "running a command on nodes");
		opkey_sign(k, (const uint8_t *)lua_tostring(L, -1),
		    lua_rawlen(L, -1), sig);
		lua_pop(L, 3);
		prog_push_b64(L, opkey_public(k)->id, OPKEY_ID_LEN);
		prog_push_b64(L, sig, sizeof(sig));
	}
	buf_release(&body);
	for (int i = 0; i < 3; i++)
		args[i] = (char *)lua_tostring(L, -3 + i);
	if (prog_ctl(L, CTL_RUN, CTL_F_JSON, 3, args, POLL_TIMEOUT_MS,
	    &ans) != 0)
		return ctl_raise(L, &ans);
	if (ctl_started_decode((uint8_t *)ans.data, ans.len, &st) < 0) {
		buf_release(&ans);
		return luaL_error(L, "unexpected answer from the agent");
	}
	buf_release(&ans);
	sodium_bin2hex(id, sizeof(id), st.id, sizeof(st.id));
	lua_newtable(L);
	list = lua_gettop(L);
	lua_newtable(L);
	summary = lua_gettop(L);
	while (!cur.done) {
		args[0] = id;
		args[1] = cursor;
		if (prog_ctl(L, CTL_RUN_POLL, CTL_F_JSON, 2, args,
		    POLL_TIMEOUT_MS, &ans) != 0)
			return ctl_raise(L, &ans);
		if (ctl_cursor_decode((uint8_t *)ans.data, ans.len,
		    &cur) < 0) {
			buf_release(&ans);
			return luaL_error(L, "unexpected answer from the "
			    "agent");
		}
		snprintf(cursor, sizeof(cursor), "%llu",
		    (unsigned long long)cur.cursor);
		prog_json_lines(L, cur.text, cur.len, list);
		buf_release(&ans);
	}
	/* The summary is the last line: move it out of the list. */
	if (lua_rawgeti(L, list, (lua_Integer)lua_rawlen(L, list)) ==
	    LUA_TTABLE && lua_getfield(L, -1, "summary") == LUA_TTABLE) {
		lua_replace(L, summary);
		lua_pop(L, 1);
		lua_pushnil(L);
		lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list));
	} else
		lua_pop(L, 2);
	return 2;
}

/* say(target, text) -> true | nil, why */
static int
l_say(lua_State *L)
{
	struct buf ans = BUF_INIT;
	char *args[2];
	int st;

	args[0] = (char *)luaL_checkstring(L, 1);
	args[1] = (char *)luaL_checkstring(L, 2);
	prog_guard(L);
	st = prog_ctl(L, CTL_SAY, 0, 2, args, SAY_TIMEOUT_MS, &ans);
	if (st == 0) {
		buf_release(&ans);
		lua_pushboolean(L, 1);
		return 1;
	}
	return prog_push_refusal(L, &ans);
}

/*
 * listen(target, cursor, wait_ms) -> cursor, list of messages
 * One long poll of the agent's message log ("" cursor: from now).
 */
static int
l_listen(lua_State *L)
{
	struct tl_err err = TL_ERR_INIT;
	struct prog *p = prog_of(L);
	struct buf ans = BUF_INIT;
	char *args[2];
	lua_Integer wait = luaL_checkinteger(L, 3);
	int st, r;

	args[0] = (char *)luaL_checkstring(L, 1);
	args[1] = (char *)luaL_checkstring(L, 2);
	if (p->sock == NULL)
		return luaL_error(L, "no agent: this program needs a running "
		    "agent (--state-dir)");
	/* The agent holds a poll up to 10 s; a shorter wait just ends. */
	r = ctl_call(p->sock, CTL_LISTEN, CTL_F_JSON, 2, args,
	    (uint32_t)(wait > 0 ? wait : 1), &st, &ans, &err);
	if (r == TL_ETIMEOUT) {
		buf_release(&ans);
		lua_pushvalue(L, 2);
		lua_newtable(L);
		return 2;
	}
	if (r < 0) {
		buf_release(&ans);
		return luaL_error(L, "%s", err.msg);
	}
	if (st != 0) {
		lua_pushlstring(L, ans.data, ans.len);
		buf_release(&ans);
		return lua_error(L);
	}
	return prog_cursor_lines(L, &ans);
}

void
prog_chan_register(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "query", l_query }, { "say", l_say }, { "listen", l_listen },
		{ NULL, NULL }
	};

	luaL_setfuncs(L, fns, 0);
}
