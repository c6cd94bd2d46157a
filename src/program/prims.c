/*
 * The C primitives under the program API: agent requests, the clock,
 * regexes, local facts and the action record. The API itself is Lua
 * (prelude.c); these stay small so each is easy to trust.
 */
#include "program/prog_int.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "core/err.h"
#include "core/re.h"
#include "facts/facts.h"
#include "net/opkey.h"
#include "cluster/convreq.h"
#include "program/convreq_sign.h"
#include "core/xalloc.h"

#include <sodium.h>

#define CTL_QUICK_MS	5000

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
prog_record(struct prog *p, const char *node, const char *action,
    const char *result, const char *detail)
{
	struct prog_action *a;

	p->acts = xrealloc(p->acts, (p->nacts + 1) * sizeof(*p->acts));
	a = &p->acts[p->nacts++];
	a->node = xstrdup(node);
	a->action = xstrdup(action);
	a->result = xstrdup(result);
	a->detail = xstrdup(detail != NULL ? detail : "");
	if (strcmp(result, "done") != 0 && strcmp(result, "would") != 0)
		p->nfailed++;
}

int
prog_ctl(lua_State *L, int op, int flags, int argc, char **argv,
    unsigned timeout_ms, struct buf *body)
{
	struct prog *p = prog_of(L);
	struct tl_err err = TL_ERR_INIT;
	int status;

	if (p->sock == NULL)
		return luaL_error(L, "no agent: this program needs a running "
		    "agent (--state-dir)");
	if (ctl_call(p->sock, (uint8_t)op, (uint8_t)flags, argc, argv,
	    timeout_ms, &status, body, &err) < 0) {
		buf_release(body);
		return luaL_error(L, "%s", err.msg);
	}
	return status;
}

int
prog_push_refusal(lua_State *L, struct buf *ans)
{
	while (ans->len > 0 && ans->data[ans->len - 1] == '\n')
		ans->len--;
	lua_pushnil(L);
	lua_pushlstring(L, ans->data, ans->len);
	buf_release(ans);
	return 2;
}

/* Pushes the agent's JSON answer to op as a table. */
static int
ctl_json(lua_State *L, int op, int argc, char **argv)
{
	struct buf body = BUF_INIT;
	const char *why;
	int st = prog_ctl(L, op, CTL_F_JSON, argc, argv, CTL_QUICK_MS, &body);

	if (st != 0) {
		lua_pushlstring(L, body.data, body.len);
		buf_release(&body);
		return lua_error(L);
	}
	if (prog_json_push(L, body.data, body.len, &why) < 0) {
		buf_release(&body);
		return luaL_error(L, "the agent's answer is not JSON: %s",
		    why);
	}
	buf_release(&body);
	return 1;
}

static int
l_members(lua_State *L)
{
	return ctl_json(L, CTL_MEMBERS, 0, NULL);
}

static int
l_packs(lua_State *L)
{
	return ctl_json(L, CTL_PACKS, 0, NULL);
}

/* true, false, or nil when the agent is in no pack. */
static int
am_leader(lua_State *L)
{
	struct buf body = BUF_INIT;
	char *args[] = { "am-leader" };
	int st = prog_ctl(L, CTL_PACKS, 0, 1, args, CTL_QUICK_MS, &body);
	int r = st == 0 ? 1 : strncmp(body.data, "no\n", 3) == 0 ? 0 : -1;

	buf_release(&body);
	return r;
}

static int
l_am_leader(lua_State *L)
{
	int r = am_leader(L);

	if (r < 0)
		lua_pushnil(L);
	else
		lua_pushboolean(L, r);
	return 1;
}

void
prog_guard(lua_State *L)
{
	struct prog *p = prog_of(L);

	if (p->guard_pack[0] != '\0' && am_leader(L) != 1)
		luaL_error(L, "this node no longer holds the lease of pack "
		    "'%s': stopping before touching anything more",
		    p->guard_pack);
}

static int
l_guard_set(lua_State *L)
{
	struct prog *p = prog_of(L);

	snprintf(p->guard_pack, sizeof(p->guard_pack), "%s",
	    luaL_optstring(L, 1, ""));
	return 0;
}

void
prog_push_b64(lua_State *L, const uint8_t *p, size_t n)
{
	size_t len = sodium_base64_encoded_len(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *s = xmalloc(len);

	sodium_bin2base64(s, len, p, n, sodium_base64_VARIANT_ORIGINAL);
	lua_pushstring(L, s);
	free(s);
}

const struct opkey *
prog_key(lua_State *L, const char *what)
{
	struct tl_err err = TL_ERR_INIT;
	struct prog *p = prog_of(L);
	const char *path = p->o->key_path;

	if (p->key != NULL)
		return p->key;
	if (path == NULL || path[0] == '\0')
		path = getenv("TLALOC_OPERATOR_KEY");
	if (path == NULL || path[0] == '\0') {
		luaL_error(L, "%s needs an operator key the nodes trust: "
		    "--key FILE or TLALOC_OPERATOR_KEY", what);
		return NULL;
	}
	if ((p->key = opkey_load(path, &err)) == NULL)
		luaL_error(L, "%s", err.msg);
	return p->key;
}

/*
 * Pushes a request for node name, signed now, in base64 (a ctl arg),
 * then its nonce in hex (what the node's direct report names).
 */
static void
convreq_push(lua_State *L, const char *name)
{
	struct buf req = BUF_INIT;
	const struct opkey *k = prog_key(L, "converging another node");
	char hex[2 * CONVREQ_NONCE_LEN + 1];
	struct convreq cr;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (convreq_sign_encode(k, name, (uint64_t)ts.tv_sec * 1000 +
	    (uint64_t)ts.tv_nsec / 1000000, &req) < 0 ||
	    convreq_decode((uint8_t *)req.data, req.len, &cr) < 0) {
		buf_release(&req);
		luaL_error(L, "bad node name '%s'", name);
	}
	prog_push_b64(L, (uint8_t *)req.data, req.len);
	sodium_bin2hex(hex, sizeof(hex), cr.nonce, CONVREQ_NONCE_LEN);
	lua_pushstring(L, hex);
	buf_release(&req);
}

/*
 * request_converge(name, is_self [, request])
 *   -> true [, request, nonce] | nil, why
 *   (this node: true, nil, nil, queued: a run was under way, so the
 *   request is served by the one after it)
 * Another node's request is returned so that it can be sent again as is
 * (same nonce: the node converges once however many copies arrive), with
 * its nonce in hex (the first time only) to match the node's report.
 */
static int
l_request_converge(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int is_self = lua_toboolean(L, 2), st;
	struct buf body = BUF_INIT;
	char *args[2];

	prog_guard(L);
	if (is_self) {
		args[0] = "program request on this node";
		st = prog_ctl(L, CTL_CONVERGE, 0, 1, args, CTL_QUICK_MS,
		    &body);
	} else {
		if (lua_isstring(L, 3)) {
			lua_pushvalue(L, 3);
			lua_pushstring(L, "");
		} else
			convreq_push(L, name);
		args[0] = (char *)name;
		args[1] = (char *)lua_tostring(L, -2);
		st = prog_ctl(L, CTL_CONVERGE_NODE, 0, 2, args, CTL_QUICK_MS,
		    &body);
	}
	if (st == 0) {
		int queued = body.len >= 15 &&
		    strncmp(body.data, "converge queued", 15) == 0;

		buf_release(&body);
		lua_pushboolean(L, 1);
		if (is_self) {
			/* true, nil, nil, queued behind a run under way */
			lua_pushnil(L);
			lua_pushnil(L);
			lua_pushboolean(L, queued);
			return 4;
		}
		lua_pushvalue(L, -3);
		lua_pushvalue(L, -3);
		return 3;
	}
	return prog_push_refusal(L, &body);
}

/*
 * convreq_poll(cursor, wait_ms) -> cursor, list of reports
 * Converge reports that came back to the agent (agent/convrep_wait.c)
 * from cursor on, waiting up to wait_ms for one when there is none.
 */
static int
l_convreq_poll(lua_State *L)
{
	struct buf ans = BUF_INIT;
	char *args[2], cur[32], wait[32];
	lua_Integer w = luaL_checkinteger(L, 2);

	snprintf(cur, sizeof(cur), "%s", luaL_checkstring(L, 1));
	snprintf(wait, sizeof(wait), "%lld", (long long)(w > 0 ? w : 0));
	args[0] = cur;
	args[1] = wait;
	if (prog_ctl(L, CTL_CONVREQ_POLL, CTL_F_JSON, 2, args,
	    (unsigned)(w > 0 ? w : 0) + CTL_QUICK_MS, &ans) != 0) {
		lua_pushlstring(L, ans.data, ans.len);
		buf_release(&ans);
		return lua_error(L);
	}
	return prog_cursor_lines(L, &ans);
}

static int
l_facts_local(lua_State *L)
{
	struct tl_err err = TL_ERR_INIT;
	struct facts *f = facts_new();
	struct buf js = BUF_INIT;
	const char *why;
	int r = facts_gather(f, NULL, &err);

	if (r == 0)
		facts_to_json(f, &js);
	facts_free(f);
	if (r < 0) {
		buf_release(&js);
		return luaL_error(L, "facts: %s", err.msg);
	}
	r = prog_json_push(L, js.data, js.len, &why);
	buf_release(&js);
	if (r < 0)
		return luaL_error(L, "facts: %s", why);
	return 1;
}

static int
l_now_ms(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)mono_ms());
	return 1;
}

static int
l_sleep(lua_State *L)
{
	lua_Integer ms = luaL_checkinteger(L, 1);
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) *
	    1000000 };

	if (ms > 0)
		nanosleep(&ts, NULL);
	return 0;
}

static int
l_match(lua_State *L)
{
	struct tl_err err = TL_ERR_INIT;
	const char *pat = luaL_checkstring(L, 1);
	size_t len;
	const char *s = luaL_checklstring(L, 2, &len);
	const struct re *re = re_get(pat, &err);

	if (re == NULL)
		return luaL_error(L, "bad regex '%s': %s", pat, err.msg);
	lua_pushboolean(L, re_match(re, s, len, 0, NULL, 0) > 0);
	return 1;
}

static int
l_record(lua_State *L)
{
	prog_record(prog_of(L), luaL_checkstring(L, 1), luaL_checkstring(L, 2),
	    luaL_checkstring(L, 3), luaL_optstring(L, 4, ""));
	return 0;
}

static int
l_progress(lua_State *L)
{
	struct prog *p = prog_of(L);

	if (p->o->progress != NULL) {
		fprintf(p->o->progress, "tlaloc: %s\n", luaL_checkstring(L, 1));
		fflush(p->o->progress);
	}
	return 0;
}

static int
l_json(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len), *why;

	if (prog_json_push(L, s, len, &why) < 0)
		return luaL_error(L, "bad JSON: %s", why);
	return 1;
}

void
prog_prims_register(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "members", l_members }, { "packs", l_packs },
		{ "am_leader", l_am_leader }, { "guard_set", l_guard_set },
		{ "request_converge", l_request_converge },
		{ "convreq_poll", l_convreq_poll },
		{ "facts_local", l_facts_local }, { "now_ms", l_now_ms },
		{ "sleep", l_sleep }, { "match", l_match },
		{ "record", l_record }, { "progress", l_progress },
		{ "json", l_json }, { NULL, NULL }
	};

	luaL_setfuncs(L, fns, 0);
	prog_chan_register(L);
	lua_pushboolean(L, prog_of(L)->o->is_dry_run);
	lua_setfield(L, -2, "dry");
	lua_pushinteger(L, prog_of(L)->o->poll_ms ? prog_of(L)->o->poll_ms :
	    100);
	lua_setfield(L, -2, "poll_ms");
}
