#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "engine/res.h"
#include "facts/facts.h"
#include "recipe/hiera.h"
#include "recipe/recipe.h"
#include "recipe/tval.h"
#include "recipe/yaml.h"
#include "test.h"

static struct tval *
yaml(const char *text, struct tl_err *err)
{
	struct tval *v = NULL;

	if (yaml_parse("t.yaml", text, strlen(text), &v, err) < 0)
		return NULL;
	return v;
}

static char *
json(const struct tval *v)
{
	struct buf b = BUF_INIT;

	tval_json(v, &b);
	return buf_detach(&b, NULL);
}

TEST(yaml_scalars_are_typed_like_yaml_1_2)
{
	struct tl_err err = TL_ERR_INIT;
	struct tval *v = yaml("a: 80\nb: '80'\nc: true\nd: ~\ne: 1.5\n"
	    "f: hello world\ng: [1, two, \"3\"]\nh: {x: no}\n", &err);
	char *j;

	ASSERT(v != NULL);
	j = json(v);
	/* "no" stays a string: YAML 1.2, not 1.1's booleans */
	ASSERT_STR_EQ(j, "{\"a\":80,\"b\":\"80\",\"c\":true,\"d\":null,"
	    "\"e\":1.5,\"f\":\"hello world\",\"g\":[1,\"two\",\"3\"],"
	    "\"h\":{\"x\":\"no\"}}");
	free(j);
	tval_free(v);
}

TEST(yaml_errors_name_file_line_and_column)
{
	struct tl_err err = TL_ERR_INIT;

	ASSERT(yaml("a: 1\nb: [1, 2\n", &err) == NULL);
	ASSERT_EQ(err.code, TL_ESYNTAX);
	ASSERT_CONTAINS(err.where, "t.yaml:");
	err = (struct tl_err)TL_ERR_INIT;
	ASSERT(yaml("a: 1\nb: 2\na: 3\n", &err) == NULL);
	ASSERT_STR_EQ(err.where, "t.yaml:3:1");
	ASSERT_CONTAINS(err.msg, "key 'a' given twice");
	err = (struct tl_err)TL_ERR_INIT;
	ASSERT(yaml("a: 1\n---\nb: 2\n", &err) == NULL);
	ASSERT_CONTAINS(err.msg, "second YAML document");
	err = (struct tl_err)TL_ERR_INIT;
	ASSERT(yaml("a: *nowhere\n", &err) == NULL);
	ASSERT_CONTAINS(err.msg, "unknown anchor");
}

TEST(yaml_aliases_copy_and_cannot_explode)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf bomb = BUF_INIT;
	struct tval *v = yaml("base: &b {port: 80}\nweb: *b\n", &err);

	ASSERT(v != NULL);
	ASSERT_EQ(tval_num(tval_map_get(tval_map_get(v, "web"), "port")), 80);
	tval_free(v);
	/* nine levels of ten aliases each: a billion values if expanded */
	buf_addstr(&bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++)
		buf_addf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, "
		    "*a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1, i - 1,
		    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	err = (struct tl_err)TL_ERR_INIT;
	ASSERT(yaml(bomb.data, &err) == NULL);
	ASSERT_EQ(err.code, TL_ETOOBIG);
	buf_release(&bomb);
}

/* A four-level hierarchy (node, role, os, common) in scratch dir "h". */
static char *
hierarchy(void)
{
	free(test_write("h/hiera.yaml", "version: 5\n"
	    "defaults: {datadir: data}\n"
	    "hierarchy:\n"
	    "  - {name: node, path: 'node/%{trusted.certname}.yaml'}\n"
	    "  - {name: role, path: 'role/%{facts.role}.yaml'}\n"
	    "  - {name: os, path: 'os/%{facts.family}.yaml'}\n"
	    "  - {name: common, path: common.yaml}\n"));
	free(test_write("h/data/node/web-1.yaml",
	    "port: 8081\nusers: {ana: {shell: /bin/zsh}}\n"));
	free(test_write("h/data/role/web.yaml",
	    "port: 8080\npackages: [nginx, curl]\n"
	    "users: {ana: {groups: [www]}, www: {shell: /bin/false}}\n"
	    "motd: 'web node %{trusted.certname}'\n"));
	free(test_write("h/data/os/debian.yaml",
	    "packages: [apt-listchanges]\n"));
	free(test_write("h/data/common.yaml",
	    "port: 80\npackages: [curl, vim]\n"
	    "users: {ana: {shell: /bin/bash, groups: [adm]}, bob: {}}\n"
	    "ntp: {servers: [pool.ntp.org], iburst: true}\n"
	    "lookup_options:\n"
	    "  packages: {merge: unique, type: 'Array[String]'}\n"
	    "  ntp: {type: 'Hash[String, Integer]'}\n"));
	return test_path("h");
}

static struct hiera *
open_as(const char *dir, const char *name, const char *role)
{
	static struct facts *f;
	struct tl_err err = TL_ERR_INIT;
	struct hiera *h = NULL;

	facts_free(f);
	f = facts_new();
	facts_set(f, "name", FACT_STR, name);
	facts_set(f, "family", FACT_STR, "debian");
	if (role != NULL)
		facts_set(f, "role", FACT_STR, role);
	if (hiera_open(dir, f, &h, &err) < 0)
		return NULL;
	return h;
}

static char *
look(struct hiera *h, const char *key, enum hiera_merge m,
    struct tl_err *err)
{
	struct tval *v = NULL;
	char *j;

	if (hiera_lookup(h, key, m, &v, NULL, err) < 0)
		return NULL;
	j = json(v);
	tval_free(v);
	return j;
}

#define LOOK_EQ(h, key, m, want) do {					\
	struct tl_err e_ = TL_ERR_INIT;					\
	char *got_ = look((h), (key), (m), &e_);			\
	ASSERT_STR_EQ(got_ ? got_ : e_.msg, (want));			\
	free(got_);							\
} while (0)

TEST(hiera_merges_four_levels_each_way)
{
	char *dir = hierarchy();
	struct hiera *h = open_as(dir, "web-1", "web");

	ASSERT(h != NULL);
	/* first: the most specific level that has it */
	LOOK_EQ(h, "port", HIERA_MERGE_UNSET, "8081");
	/* unique, from lookup_options: every level, each value once,
	 * most specific first */
	LOOK_EQ(h, "packages", HIERA_MERGE_UNSET,
	    "[\"nginx\",\"curl\",\"apt-listchanges\",\"vim\"]");
	/* hash: top-level keys, the most specific map wins each */
	LOOK_EQ(h, "users", HIERA_HASH, "{\"ana\":{\"shell\":\"/bin/zsh\"},"
	    "\"bob\":{},\"www\":{\"shell\":\"/bin/false\"}}");
	/* deep: all the way down */
	LOOK_EQ(h, "users", HIERA_DEEP, "{\"ana\":{\"groups\":[\"www\"],"
	    "\"shell\":\"/bin/zsh\"},\"bob\":{},\"www\":{\"shell\":"
	    "\"/bin/false\"}}");
	/* the caller's strategy beats lookup_options */
	LOOK_EQ(h, "packages", HIERA_FIRST, "[\"nginx\",\"curl\"]");
	/* dotted keys dig; values are interpolated */
	LOOK_EQ(h, "users.ana.shell", HIERA_MERGE_UNSET, "\"/bin/zsh\"");
	LOOK_EQ(h, "motd", HIERA_MERGE_UNSET, "\"web node web-1\"");
	hiera_free(h);
	/* another node of the same role, and one without a role */
	h = open_as(dir, "web-2", "web");
	LOOK_EQ(h, "port", HIERA_MERGE_UNSET, "8080");
	hiera_free(h);
	h = open_as(dir, "db-1", NULL);
	LOOK_EQ(h, "port", HIERA_MERGE_UNSET, "80");
	LOOK_EQ(h, "packages", HIERA_MERGE_UNSET,
	    "[\"apt-listchanges\",\"curl\",\"vim\"]");
	hiera_free(h);
	free(dir);
}

TEST(hiera_missing_key_names_every_level_tried)
{
	char *dir = hierarchy();
	struct hiera *h = open_as(dir, "db-1", NULL);
	struct tl_err err = TL_ERR_INIT;
	struct tval *v = NULL;

	ASSERT_EQ(hiera_lookup(h, "nope", HIERA_MERGE_UNSET, &v, NULL, &err),
	    TL_ENOENT);
	ASSERT_STR_EQ(err.msg, "no value for 'nope' (tried "
	    "data/node/db-1.yaml: no file; role: skipped, %{facts.role} is "
	    "not set on this node; data/os/debian.yaml: no key; "
	    "data/common.yaml: no key)");
	hiera_free(h);
	free(dir);
}

TEST(hiera_explain_says_where_a_value_came_from)
{
	char *dir = hierarchy();
	struct hiera *h = open_as(dir, "web-1", "web");
	struct buf ex = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	struct tval *v = NULL;

	ASSERT_EQ(hiera_lookup(h, "port", HIERA_MERGE_UNSET, &v, &ex, &err),
	    0);
	ASSERT_CONTAINS(ex.data, "Searching for \"port\" (merge: first)");
	ASSERT_CONTAINS(ex.data, "1. node \"data/node/web-1.yaml\": found 8081");
	ASSERT_CONTAINS(ex.data, "3. os \"data/os/debian.yaml\": no key");
	ASSERT_CONTAINS(ex.data, "4. common \"data/common.yaml\": found 80");
	ASSERT_CONTAINS(ex.data, "=> 8081");
	tval_free(v);
	buf_release(&ex);
	hiera_free(h);
	free(dir);
}

TEST(hiera_types_from_lookup_options_are_checked)
{
	char *dir = hierarchy();
	struct hiera *h;
	struct tl_err err = TL_ERR_INIT;
	struct tval *v = NULL;

	/* ntp must be Hash[String, Integer]: servers is a list */
	h = open_as(dir, "db-1", NULL);
	ASSERT_EQ(hiera_lookup(h, "ntp", HIERA_MERGE_UNSET, &v, NULL, &err),
	    TL_EINVAL);
	ASSERT_STR_EQ(err.msg, "'ntp' must be Hash[String, Integer]: it is a "
	    "map holding another type");
	hiera_free(h);
	ASSERT(hiera_check_type("k", "Optional[Array[Integer]]", NULL,
	    NULL) == 0);
	v = tval_new_num(3.5);
	ASSERT(hiera_check_type("k", "Integer", v, NULL) < 0);
	ASSERT(hiera_check_type("k", "Numeric", v, NULL) == 0);
	tval_free(v);
	free(dir);
}

TEST(hiera_paths_never_leave_the_policy)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = hierarchy(), *out, *link;
	struct facts *f = facts_new();
	struct hiera *h = NULL;
	struct tval *v = NULL;

	/* a fact that climbs out is refused, not followed */
	facts_set(f, "name", FACT_STR, "../../../../etc/passwd-");
	facts_set(f, "family", FACT_STR, "debian");
	ASSERT(hiera_open(dir, f, &h, &err) < 0);
	ASSERT_CONTAINS(err.msg, "outside the policy directory");
	facts_free(f);
	free(dir);
	/* a level whose file is a link out of the policy is refused */
	free(test_write("l/hiera.yaml", "version: 5\nhierarchy:\n"
	    "  - {name: x, path: x.yaml}\n"));
	free(test_write("l/data/keep", ""));
	out = test_write("outside.yaml", "secret: 1\n");
	link = test_path("l/data/x.yaml");
	ASSERT_EQ(symlink(out, link), 0);
	dir = test_path("l");
	f = facts_new();
	ASSERT_EQ(hiera_open(dir, f, &h, &err), 0);
	err = (struct tl_err)TL_ERR_INIT;
	ASSERT_EQ(hiera_lookup(h, "secret", HIERA_MERGE_UNSET, &v, NULL, &err),
	    TL_EPERM);
	ASSERT_CONTAINS(err.msg, "leads outside the policy directory");
	ASSERT(v == NULL);
	hiera_free(h);
	facts_free(f);
	free(out);
	free(link);
	free(dir);
}

TEST(recipe_lookup_with_defaults_options_and_errors)
{
	char *dir = hierarchy();
	struct facts *f = facts_new();
	struct recipe_opts o = { 0 };
	struct recipe *rec = NULL;
	struct tl_err err = TL_ERR_INIT;

	facts_set(f, "name", FACT_STR, "web-1");
	facts_set(f, "family", FACT_STR, "debian");
	facts_set(f, "role", FACT_STR, "web");
	free(test_write("h/site.lua",
	    "file{path = '/p', content = tostring(lookup('port'))}\n"
	    "assert(lookup('nope', 'dflt') == 'dflt')\n"
	    "assert(lookup('nope', {default = 7}) == 7)\n"
	    "assert(#lookup('nope', {}) == 0)\n"
	    "assert(lookup('users', {merge = 'deep'}).ana.groups[1] == "
	    "'www')\n"
	    "local u = lookup('users')\n"
	    "assert(not pcall(function() return u.ana.shel end))\n"));
	o.path = dir;
	o.facts = f;
	ASSERT_EQ(recipe_compile(&o, &rec, &err), 0);
	ASSERT_STR_EQ(res_str(rec->graph.res[0], "content"), "8081");
	recipe_free(rec);
	free(test_write("h/site.lua", "local x = 1\n"
	    "file{path = '/p', content = lookup('prot')}\n"));
	ASSERT(recipe_compile(&o, &rec, &err) < 0);
	ASSERT_STR_EQ(err.where, "site.lua:2");
	ASSERT_CONTAINS(err.msg, "no value for 'prot' (tried "
	    "data/node/web-1.yaml: no key;");
	facts_free(f);
	free(dir);
}
