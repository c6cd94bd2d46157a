#include <stdlib.h>

#include "core/err.h"
#include "engine/graph.h"
#include "engine/res.h"
#include "facts/facts.h"
#include "recipe/recipe.h"
#include "test.h"

/* Compiles `src` as site.lua in a scratch dir with a few facts, as if
 * msg (may be NULL) had woken the converge. */
static int
compile_msg(const char *src, const struct recipe_message *msg,
    struct recipe **rec, struct tl_err *err)
{
	struct facts *f = facts_new();
	struct recipe_opts o = { 0 };
	char *path = test_write("r/site.lua", src), *dir = test_path("r");
	int rc;

	facts_set(f, "hostname", FACT_STR, "app-12.dmz.example");
	facts_set(f, "name", FACT_STR, "app-12");
	facts_set(f, "cpus", FACT_NUM, "4");
	facts_set(f, "interfaces.eth0.ipv4", FACT_STR, "10.1.2.3");
	o.path = dir;
	o.facts = f;
	o.message = msg;
	rc = recipe_compile(&o, rec, err);
	facts_free(f);
	free(path);
	free(dir);
	return rc;
}

static int
compile(const char *src, struct recipe **rec, struct tl_err *err)
{
	return compile_msg(src, NULL, rec, err);
}

TEST(recipe_node_facts_nest_and_keep_their_types)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(compile("assert(node.cpus == 4)\n"
	    "assert(math.type(node.cpus) == 'integer')\n"
	    "file{path='/ip', content=node.interfaces.eth0.ipv4}\n",
	    &rec, &err), 0);
	ASSERT_STR_EQ(res_str(rec->graph.res[0], "content"), "10.1.2.3");
	recipe_free(rec);
}

TEST(recipe_regex_matches_like_preg_match)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(compile(
	    "local n = node.hostname:match_re('^app-(\\\\d+)\\\\.dmz\\\\.')\n"
	    "assert(n == '12', n)\n"
	    "assert(node.hostname:match_re('^db-') == nil)\n"
	    "local s, c = ('a.b.c'):gsub_re('\\\\.', '[$0]')\n"
	    "assert(s == 'a[.]b[.]c' and c == 2, s)\n"
	    "assert(re.match('x1', '\\\\d') == '1')\n", &rec, &err), 0);
	recipe_free(rec);
}

TEST(recipe_shorthands_declare_the_same_resources_as_tables)
{
	struct recipe *a, *b;
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(compile("file.replace_line('/etc/ntpd.conf', '^Server ', "
	    "'Server ntp')\n", &a, &err), 0);
	ASSERT_EQ(compile("line{path='/etc/ntpd.conf', match='^Server ', "
	    "line='Server ntp'}\n", &b, &err), 0);
	ASSERT_EQ(a->graph.n, 1);
	ASSERT_EQ(b->graph.n, 1);
	ASSERT_STR_EQ(a->graph.res[0]->ref, b->graph.res[0]->ref);
	ASSERT_STR_EQ(a->graph.res[0]->ref, "line[/etc/ntpd.conf:^Server ]");
	ASSERT_STR_EQ(res_str(a->graph.res[0], "line"), "Server ntp");
	recipe_free(a);
	recipe_free(b);
}

TEST(recipe_handles_and_strings_make_edges)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(compile("local c = file{path='/c', content='x'}\n"
	    "exec{name='e', command='/bin/true', subscribe=c, "
	    "require={'file[/c]'}}\n"
	    "assert(tostring(c) == 'file[/c]')\n", &rec, &err), 0);
	ASSERT_EQ(rec->graph.res[1]->subscribe.n, 1);
	ASSERT_STR_EQ(rec->graph.res[1]->subscribe.v[0], "file[/c]");
	ASSERT_STR_EQ(rec->graph.res[1]->require.v[0], "file[/c]");
	ASSERT_EQ(rec->graph.nodes[0].nnotifies, 1);
	recipe_free(rec);
}

TEST(recipe_include_runs_each_file_once)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	free(test_write("r/recipes/a.lua", "file{path='/a', content='a'}\n"));
	ASSERT_EQ(compile("include 'recipes/a.lua'\ninclude 'recipes/a.lua'\n"
	    "include 'recipes'\n", &rec, &err), 0);
	ASSERT_EQ(rec->graph.n, 1);
	ASSERT_EQ(rec->nfiles, 2);
	ASSERT_STR_EQ(rec->files[1], "recipes/a.lua");
	recipe_free(rec);
}

TEST(recipe_node_declarations_are_stored)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(compile("pack 'web'\ntag 'edge'\ntags{role='lb'}\n"
	    "channel '#web'\n", &rec, &err), 0);
	ASSERT_STR_EQ(rec->pack, "web");
	ASSERT_EQ(rec->ntags, 2);
	ASSERT_STR_EQ(rec->tags[1], "role=lb");
	ASSERT_STR_EQ(rec->channels[0], "#web");
	recipe_free(rec);
	ASSERT(compile("pack 'web'\npack 'db'\n", &rec, &err) < 0);
	ASSERT_CONTAINS(err.msg, "already in pack 'web'");
	ASSERT_EQ(compile("pack 'web'\nassert(pack.is_leader() == false)\n",
	    &rec, &err), 0);
	recipe_free(rec);
	ASSERT(compile("channel 'web'\n", &rec, &err) < 0);
	ASSERT_CONTAINS(err.msg, "bad channel name 'web'");
}

static const char handlers_src[] =
    "on('#web', '^deploy (\\\\S+)$', function(m)\n"
    "  file{path='/srv/version', content=m.match[1] .. ' from ' .. m.from}\n"
    "end)\n"
    "on('#web', '^restart', function(m) exec{name='r', command='true'} end)\n"
    "on('#db', 'deploy', function(m) error('not this one') end)\n";

TEST(recipe_on_handlers_are_declared_and_run_for_their_message)
{
	struct recipe_message deploy = { "#web", "deploy v2.1", "n3" };
	struct recipe_message other = { "#web", "hello deploy v3", "n3" };
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;
	struct res *r;

	/* No message: declared (and the channels joined), nothing run. */
	ASSERT_EQ(compile(handlers_src, &rec, &err), 0);
	ASSERT_EQ(rec->nhandlers, 6);
	ASSERT_STR_EQ(rec->handlers[0], "#web");
	ASSERT_STR_EQ(rec->handlers[1], "^deploy (\\S+)$");
	ASSERT_STR_EQ(rec->handlers[4], "#db");
	ASSERT_EQ(rec->nchannels, 2);
	ASSERT_EQ(rec->graph.n, 0);
	recipe_free(rec);
	/* The message that matches runs its handler, and only it. */
	ASSERT_EQ(compile_msg(handlers_src, &deploy, &rec, &err), 0);
	ASSERT_EQ(rec->graph.n, 1);
	ASSERT((r = graph_find(&rec->graph, "file[/srv/version]")) != NULL);
	recipe_free(rec);
	ASSERT_EQ(compile_msg(handlers_src, &other, &rec, &err), 0);
	ASSERT_EQ(rec->graph.n, 0);
	recipe_free(rec);
	/* An error inside a handler names its line; a bad pattern too. */
	deploy.channel = "#db";
	ASSERT(compile_msg(handlers_src, &deploy, &rec, &err) < 0);
	ASSERT_STR_EQ(err.where, "site.lua:5");
	ASSERT_CONTAINS(err.msg, "not this one");
	ASSERT(compile("\non('#web', 'a(', function() end)\n", &rec,
	    &err) < 0);
	ASSERT_STR_EQ(err.where, "site.lua:2");
	ASSERT_CONTAINS(err.msg, "bad regex 'a('");
	ASSERT(compile("on('web', 'x', function() end)\n", &rec, &err) < 0);
	ASSERT_CONTAINS(err.msg, "bad channel name 'web'");
}

TEST(recipe_errors_name_file_and_line)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	free(test_write("r/inc.lua", "\n\nfile{path='/x', mdoe='0644'}\n"));
	ASSERT(compile("-- first\ninclude 'inc.lua'\n", &rec, &err) < 0);
	ASSERT_STR_EQ(err.where, "inc.lua:3");
	ASSERT_STR_EQ(err.msg, "file has no attribute 'mdoe' (did you mean "
	    "'mode'?)");
	ASSERT(compile("file{path='/x', content={1,2}}\n", &rec, &err) < 0);
	ASSERT_STR_EQ(err.msg, "'content' takes a single value, not a table");
	ASSERT(compile("exec{name='e'}\n", &rec, &err) < 0);
	ASSERT_CONTAINS(err.msg, "exec[e] needs 'command'");
}

TEST(recipe_memory_is_capped)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;
	struct recipe_opts o = { 0 };
	char *p = test_write("m/site.lua",
	    "local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end\n");
	char *dir = test_path("m");

	o.path = dir;
	o.max_memory = 16u << 20;
	ASSERT(recipe_compile(&o, &rec, &err) < 0);
	ASSERT_CONTAINS(err.msg, "not enough memory");
	free(p);
	free(dir);
}

TEST(recipe_templates_render_at_compile_time)
{
	struct recipe *rec;
	struct tl_err err = TL_ERR_INIT;

	free(test_write("r/t.tpl", "host {{ node.hostname }}\n"
	    "{% for p in ports %}\nlisten {{ p }}\n{% end %}\n"));
	free(test_write("r/bad.tpl", "ok\n{{ node.hostnme }}\n"));
	ASSERT_EQ(compile("file{path='/t', template='t.tpl', "
	    "vars={ports={80,443}}}\n", &rec, &err), 0);
	ASSERT_STR_EQ(res_str(rec->graph.res[0], "content"),
	    "host app-12.dmz.example\nlisten 80\nlisten 443\n");
	recipe_free(rec);
	ASSERT(compile("file{path='/t', template='bad.tpl'}\n", &rec,
	    &err) < 0);
	ASSERT_STR_EQ(err.where, "bad.tpl:2:4");
	ASSERT_CONTAINS(err.msg, "unknown variable 'node.hostnme'");
}
