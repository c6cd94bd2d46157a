/*
 * Programs (src/program): the rolling and batch logic over plain node
 * tables (no agent), the sandbox and limits, error positions, the JSON
 * bridge, and signed converge requests.
 */
#include "test.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/opkey.h"
#include "cluster/convreq.h"
#include "program/convreq_sign.h"
#include "program/prog_int.h"
#include "program/program.h"

/* Runs src as a program with no agent; the report (JSON) goes in out. */
static int
run(const char *src, int dry, struct buf *out)
{
	char *path = test_write("p.lua", src), *rp = test_path("report");
	struct program_opts o;
	FILE *f = fopen(rp, "w+");
	char chunk[4096];
	size_t n;
	int rc;

	memset(&o, 0, sizeof(o));
	o.script = path;
	o.is_json = 1;
	o.is_dry_run = dry;
	o.max_instructions = 2000000;
	o.out = f;
	rc = program_run(&o);
	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	buf_addch(out, '\0');
	fclose(f);
	free(path);
	free(rp);
	return rc;
}

static const char nodes7[] =
    "local nodes = {}\n"
    "for i = 1, 7 do nodes[i] = { name = 'n' .. i } end\n";

TEST(program_batches_split_in_order)
{
	struct buf out = BUF_INIT;

	ASSERT_EQ(run("local nodes = {}\n"
	    "for i = 1, 7 do nodes[i] = { name = 'n' .. i } end\n"
	    "local b = batches(nodes, 3)\n"
	    "assert(#b == 3 and #b[1] == 3 and #b[3] == 1)\n"
	    "assert(b[3][1].name == 'n7' and b[2][1].name == 'n4')\n"
	    "assert(#batches({}, 2) == 0)\n"
	    "assert(not pcall(batches, nodes, 0))\n", 0, &out), 0);
	buf_release(&out);
}

TEST(program_rolling_stops_at_first_failing_batch)
{
	struct buf out = BUF_INIT;
	struct buf src = BUF_INIT;

	buf_addf(&src, "%s"
	    "local seen = {}\n"
	    "local r = rolling(nodes, { batch = 2 }, function(n)\n"
	    "  seen[#seen + 1] = n.name\n"
	    "  return n.name ~= 'n3', 'broken' end)\n"
	    "assert(r.stopped_at == 2 and r.batches == 4)\n"
	    "assert(#seen == 4, 'the batch is finished, no more')\n"
	    "assert(table.concat(r.finished, ' ') == 'n1 n2 n4')\n"
	    "assert(table.concat(r.untouched, ' ') == 'n5 n6 n7')\n"
	    "assert(r.failed[1].node == 'n3' and r.failed[1].error == 'broken')\n",
	    nodes7);
	ASSERT_EQ(run(src.data, 0, &out), 1);	/* a stopped run fails */
	ASSERT_CONTAINS(out.data, "\"stopped_at\":2");
	ASSERT_CONTAINS(out.data, "\"ok\":false");
	buf_release(&out);
	buf_release(&src);
}

TEST(program_rolling_max_failures_and_check)
{
	struct buf out = BUF_INIT;
	struct buf src = BUF_INIT;

	buf_addf(&src, "%s"
	    "local r = rolling(nodes, { batch = 3, max_failures = 1 },\n"
	    "  function(n) return n.name ~= 'n2' end)\n"
	    "assert(r.ok and r.batches_done == 3 and #r.finished == 6)\n"
	    "local checks = 0\n"
	    "r = rolling(nodes, { batch = 2, check = function(b, rep)\n"
	    "  checks = checks + 1\n"
	    "  return checks < 2, 'latency too high' end },\n"
	    "  function(n) return true end)\n"
	    "assert(r.stopped_at == 2 and checks == 2)\n"
	    "assert(r.reason:find('latency too high'))\n"
	    "assert(#r.finished == 4 and #r.untouched == 3)\n", nodes7);
	ASSERT_EQ(run(src.data, 0, &out), 1);
	ASSERT_CONTAINS(out.data, "\"action\":\"check\"");
	buf_release(&out);
	buf_release(&src);
}

TEST(program_lua_error_has_file_line)
{
	struct buf out = BUF_INIT;

	ASSERT_EQ(run("local a = 1\nlocal b = nil\nb.x = a\n", 0, &out), 1);
	ASSERT_CONTAINS(out.data, "p.lua:3: attempt to index a nil value");
	buf_reset(&out);
	/* An error inside the API still points at the caller's line. */
	ASSERT_EQ(run("\n\nrolling({}, 'no')\n", 0, &out), 1);
	ASSERT_CONTAINS(out.data, "p.lua:3: ");
	buf_reset(&out);
	ASSERT_EQ(run("\ncluster.members{}\n", 0, &out), 1);
	ASSERT_CONTAINS(out.data, "p.lua:2: no agent");
	buf_release(&out);
}

TEST(program_sandbox_and_limits)
{
	struct buf out = BUF_INIT;

	ASSERT_EQ(run("assert(io == nil and require == nil)\n"
	    "assert(os.execute == nil and os.remove == nil)\n"
	    "assert(dofile == nil and loadfile == nil)\n", 0, &out), 0);
	buf_reset(&out);
	ASSERT_EQ(run("while true do end\n", 0, &out), 1);
	ASSERT_CONTAINS(out.data, "ran too long");
	buf_reset(&out);
	ASSERT_EQ(run("local t = {}\n"
	    "for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end\n",
	    0, &out), 1);
	ASSERT_CONTAINS(out.data, "\"error\":");
	buf_reset(&out);
	buf_release(&out);
}

TEST(program_dry_run_records_and_touches_nothing)
{
	struct buf out = BUF_INIT;

	ASSERT_EQ(run("local nodes = { { name = 'n1' }, { name = 'n2' } }\n"
	    "local res = cluster.run(nodes, { 'systemctl', 'restart', 'x' })\n"
	    "assert(res.n1.ok and res.n2.dry_run)\n"
	    "assert(cluster.say('#ops', 'restarting'))\n"
	    "assert(cluster.wait('#ops', 'done', 5) == nil)\n"
	    "local t = cluster.clock_ms()\n"
	    "cluster.sleep(30)\n"
	    "assert(cluster.clock_ms() - t < 1000, 'slept in a dry run')\n",
	    1, &out), 0);
	ASSERT_CONTAINS(out.data, "{\"node\":\"n2\",\"action\":\"run\","
	    "\"result\":\"would\",\"detail\":\"systemctl restart x\"}");
	ASSERT_CONTAINS(out.data, "\"action\":\"say\",\"result\":\"would\"");
	ASSERT_CONTAINS(out.data, "\"dry_run\":true,\"ok\":true");
	buf_reset(&out);
	ASSERT_EQ(run("cluster.run({}, 'uptime')\n", 0, &out), 1);
	ASSERT_CONTAINS(out.data, "p.lua:1: cluster.run: the command is a list");
	buf_release(&out);
}

TEST(program_report_survives_what_the_program_leaves)
{
	struct buf out = BUF_INIT;
	char *path = test_write("m.lua", "local t = {}\n"
	    "for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n");
	struct program_opts o;
	FILE *f = tmpfile();
	char chunk[4096];
	size_t n;

	/* The memory cap, hit with the table still referenced. */
	memset(&o, 0, sizeof(o));
	o.script = path;
	o.is_json = 1;
	o.max_memory = 4u << 20;
	o.out = f;
	ASSERT_EQ(program_run(&o), 1);
	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&out, chunk, n);
	buf_addch(&out, '\0');
	fclose(f);
	free(path);
	ASSERT_CONTAINS(out.data, "not enough memory");
	buf_reset(&out);
	/* A cycle, shared subtables, odd keys and a hostile metatable. */
	ASSERT_EQ(run("local t = { 1 }\n"
	    "t[2] = t\n"
	    "local d = {}\n"
	    "for i = 1, 40 do d = { d, d } end\n"
	    "return setmetatable({ cyc = t, dag = d, [true] = 1, [2.5] = 'x' },\n"
	    "  { __index = function() error('boom') end,\n"
	    "    __tostring = function() error('boom') end })\n", 0, &out),
	    0);
	ASSERT_CONTAINS(out.data, "\"2.5\":\"x\"");
	ASSERT_CONTAINS(out.data, "\"ok\":true");
	buf_release(&out);
}

TEST(program_result_and_args_in_report)
{
	struct buf out = BUF_INIT;

	ASSERT_EQ(run("return { disk = { n1 = 40, n2 = 71.5 }, "
	    "list = { 'a', 'b' }, empty = {} }\n", 0, &out), 0);
	ASSERT_CONTAINS(out.data, "\"n2\":71.5");
	ASSERT_CONTAINS(out.data, "\"list\":[\"a\",\"b\"]");
	ASSERT_CONTAINS(out.data, "\"empty\":[]");
	buf_release(&out);
}

static int
json_roundtrip(const char *in, struct buf *out)
{
	lua_State *L = luaL_newstate();
	const char *why;
	int r = prog_json_push(L, in, strlen(in), &why);

	if (r == 0)
		prog_json_encode(L, -1, out);
	buf_addch(out, '\0');
	lua_close(L);
	return r;
}

TEST(program_json_bridge)
{
	struct buf out = BUF_INIT;

	ASSERT_EQ(json_roundtrip("{\"a\":[1,2.5,\"x\\u00e9\\n\"],"
	    "\"b\":null}", &out), 0);
	ASSERT_STR_EQ(out.data, "{\"a\":[1,2.5,\"x\xc3\xa9\\n\"]}");
	buf_reset(&out);
	ASSERT_EQ(json_roundtrip("[true, false, -3e2]", &out), 0);
	ASSERT_STR_EQ(out.data, "[true,false,-300]");
	buf_reset(&out);
	ASSERT(json_roundtrip("{\"a\":1", &out) < 0);
	buf_reset(&out);
	ASSERT(json_roundtrip("[1] x", &out) < 0);
	buf_reset(&out);
	ASSERT(json_roundtrip("\"\\q\"", &out) < 0);
	buf_release(&out);
}

TEST(program_convreq_signed_and_checked)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey_trust trust = { .n = 0 };
	struct opkey_pub pub;
	struct opkey *k;
	struct convreq req;
	struct buf b = BUF_INIT;
	char *skp = test_path("operator.key");
	uint64_t now = 1700000000000ull;

	ASSERT_EQ(opkey_generate(test_dir(), NULL, &pub, &err), 0);
	ASSERT((k = opkey_load(skp, &err)) != NULL);
	ASSERT_EQ(convreq_sign_encode(k, "web3", now, &b), 0);
	ASSERT_EQ(convreq_decode((uint8_t *)b.data, b.len, &req), 0);
	ASSERT_STR_EQ(req.name, "web3");
	/* Untrusted until its key is in the list. */
	ASSERT_EQ(convreq_sign_check(&req, &trust, "web3", now), TL_EPERM);
	ASSERT_EQ(opkey_trust_add(&trust, &pub, &err), 0);
	ASSERT_EQ(convreq_sign_check(&req, &trust, "web3", now + 1000), 0);
	ASSERT_EQ(convreq_sign_check(&req, &trust, "web4", now), TL_EINVAL);
	ASSERT_EQ(convreq_sign_check(&req, &trust, "web3",
	    now + CONVREQ_SKEW_MS + 1), TL_ETIMEOUT);
	b.data[3] ^= 1;		/* the name, under the signature */
	ASSERT_EQ(convreq_decode((uint8_t *)b.data, b.len, &req), 0);
	ASSERT_EQ(convreq_sign_check(&req, &trust, req.name, now), TL_ECRYPTO);
	ASSERT(convreq_decode((uint8_t *)b.data, b.len - 1, &req) < 0);
	ASSERT(convreq_decode((uint8_t *)b.data, 3, &req) < 0);
	opkey_free(k);
	free(skp);
	buf_release(&b);
}
