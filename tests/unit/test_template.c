#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/template.h"
#include "recipe/tval.h"
#include "test.h"

static struct tval *
str(const char *s)
{
	return tval_new_str(s, strlen(s));
}

/* node = {hostname, cpus, load, tags = {web = true}}, site, admins, ... */
static struct tval *
fixture(void)
{
	struct tval *vars = tval_new_map(), *node = tval_new_map();
	struct tval *tags = tval_new_map(), *site = tval_new_map();
	struct tval *ports = tval_new_list(), *admins = tval_new_list();
	struct tval *users = tval_new_map(), *u;

	tval_map_set(node, "hostname", str("web-1"));
	tval_map_set(node, "cpus", tval_new_num(4));
	tval_map_set(node, "load", tval_new_num(0.5));
	tval_map_set(tags, "web", tval_new_bool(1));
	tval_map_set(node, "tags", tags);
	tval_map_set(vars, "node", node);
	tval_list_push(ports, tval_new_num(80));
	tval_list_push(ports, tval_new_num(443));
	tval_map_set(site, "ports", ports);
	tval_map_set(site, "name", str("example"));
	tval_map_set(vars, "site", site);
	tval_list_push(admins, str("ana"));
	tval_list_push(admins, str("bo"));
	tval_map_set(vars, "admins", admins);
	u = tval_new_map();
	tval_map_set(u, "uid", tval_new_num(1001));
	tval_map_set(users, "bo", u);
	u = tval_new_map();
	tval_map_set(u, "uid", tval_new_num(1000));
	tval_map_set(users, "ana", u);
	tval_map_set(vars, "users", users);
	tval_map_set(vars, "flag", tval_new_bool(0));
	tval_map_set(vars, "zero", tval_new_num(0));
	tval_map_set(vars, "empty", str(""));
	tval_map_set(vars, "nolist", tval_new_map());
	tval_map_set(vars, "padded", str("  x y \n"));
	tval_map_set(vars, "quoted", str("it's \"so\""));
	return vars;
}

/* Renders src against the fixture; returns the output (caller frees) and
 * leaves *rc and *err for error cases. */
static char *
render(const char *src, int *rc, struct tl_err *err)
{
	struct tval *vars = fixture();
	struct buf out = BUF_INIT;

	tl_err_clear(err);
	*rc = tpl_render_string("t.conf", src, strlen(src), vars, &out, err);
	tval_free(vars);
	return buf_detach(&out, NULL);
}

#define ASSERT_RENDERS(src, want) do {					\
	struct tl_err _e = TL_ERR_INIT;					\
	int _rc;							\
	char *_o = render((src), &_rc, &_e);				\
	if (_rc != 0)							\
		test_fail(__FILE__, __LINE__, "render failed: %s: %s",	\
		    _e.where, _e.msg);					\
	ASSERT_STR_EQ(_o, (want));					\
	free(_o);							\
} while (0)

#define ASSERT_FAILS(src, want_code, want_where, want_msg) do {	\
	struct tl_err _e = TL_ERR_INIT;					\
	int _rc;							\
	free(render((src), &_rc, &_e));					\
	ASSERT_EQ(_rc, (want_code));					\
	ASSERT_EQ(_e.code, (want_code));				\
	ASSERT_STR_EQ(_e.where, (want_where));				\
	ASSERT_STR_EQ(_e.msg, (want_msg));				\
} while (0)

/* The value tree. */

TEST(tval_map_keeps_keys_sorted_and_replaces)
{
	struct tval *m = tval_new_map();
	const char *k;

	tval_map_set(m, "b", str("2"));
	tval_map_set(m, "c", str("3"));
	tval_map_set(m, "a", str("1"));
	tval_map_set(m, "b", str("two"));
	ASSERT_EQ(tval_len(m), 3);
	ASSERT_STR_EQ(tval_str(tval_map_at(m, 0, &k), NULL), "1");
	ASSERT_STR_EQ(k, "a");
	ASSERT_STR_EQ(tval_str(tval_map_at(m, 1, &k), NULL), "two");
	ASSERT_STR_EQ(k, "b");
	ASSERT(tval_map_at(m, 3, &k) == NULL);
	ASSERT(k == NULL);
	tval_map_set(m, "b", NULL);
	tval_map_set(m, "zz", NULL);
	ASSERT_EQ(tval_len(m), 2);
	ASSERT(tval_map_get(m, "b") == NULL);
	ASSERT_STR_EQ(tval_str(tval_map_get(m, "c"), NULL), "3");
	tval_free(m);
	tval_free(NULL);
}

TEST(tval_kinds_truth_and_equality)
{
	struct tval *a = str("1"), *b = tval_new_num(1), *c = tval_new_num(1);
	struct tval *l = tval_new_list(), *z = tval_new_num(0);

	ASSERT_EQ(tval_kind(NULL), TVAL_NIL);
	ASSERT(!tval_equal(a, b));
	ASSERT(tval_equal(b, c));
	ASSERT(tval_equal(NULL, NULL));
	ASSERT(!tval_truthy(l));
	ASSERT(tval_truthy(z));
	tval_list_push(l, tval_new_nil());
	ASSERT(tval_truthy(l));
	ASSERT(tval_list_get(l, 1) == NULL);
	ASSERT_EQ(tval_kind(tval_list_get(l, 0)), TVAL_NIL);
	ASSERT(tval_equal(l, l));
	tval_free(a);
	tval_free(b);
	tval_free(c);
	tval_free(l);
	tval_free(z);
}

TEST(tval_numbers_print_like_lua)
{
	static const struct { double d; const char *s; } cases[] = {
		{ 4, "4" }, { -3, "-3" }, { 0.5, "0.5" }, { 0.1, "0.1" },
		{ 1.0 / 3, "0.33333333333333" }, { 1e20, "1e+20" },
		{ 9007199254740993.0, "9007199254740992" }, { -0.0, "0" },
		{ 1.0 / 0.0, "inf" }, { -1.0 / 0.0, "-inf" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		tval_format_num(cases[i].d, &b);
		ASSERT_STR_EQ(b.data, cases[i].s);
	}
	buf_release(&b);
}

TEST(tval_json_sorts_keys_and_escapes)
{
	struct tval *m = tval_new_map(), *l = tval_new_list();
	struct buf b = BUF_INIT;

	tval_list_push(l, tval_new_num(1.5));
	tval_list_push(l, tval_new_bool(1));
	tval_list_push(l, tval_new_nil());
	tval_list_push(l, tval_new_num(0.0 / 0.0));
	tval_map_set(m, "z", l);
	tval_map_set(m, "a", str("q\"\n"));
	ASSERT_EQ(tval_json(m, &b), 0);
	ASSERT_STR_EQ(b.data,
	    "{\"a\":\"q\\\"\\n\",\"z\":[1.5,true,null,null]}");
	buf_release(&b);
	tval_free(m);
}

/* Output. */

TEST(template_substitutes_paths)
{
	ASSERT_RENDERS("host={{ node.hostname }} cpus={{node.cpus}} "
	    "load={{ node.load }} port={{ site.ports.2 }} {{ flag }}\n",
	    "host=web-1 cpus=4 load=0.5 port=443 false\n");
	ASSERT_RENDERS("{{ users.ana.uid }} {{ 'lit' }} {{ 42 }} {{ -1.25 }} "
	    "{{ true }}", "1000 lit 42 -1.25 true");
	ASSERT_RENDERS("", "");
	ASSERT_RENDERS("no tags at all } { %} #}", "no tags at all } { %} #}");
}

TEST(template_missing_variable_names_file_line_and_path)
{
	ASSERT_FAILS("line one\n{{ node.hostnme }}\n", TL_ESYNTAX,
	    "t.conf:2:4", "unknown variable 'node.hostnme'");
	ASSERT_FAILS("{{ site.ports.3 }}", TL_ESYNTAX, "t.conf:1:4",
	    "unknown variable 'site.ports.3'");
	ASSERT_FAILS("{{ node.hostname.x }}", TL_ESYNTAX, "t.conf:1:4",
	    "unknown variable 'node.hostname.x'");
	ASSERT_FAILS("{{ nope | upper }}", TL_ESYNTAX, "t.conf:1:4",
	    "unknown variable 'nope'");
	ASSERT_FAILS("{{ admins }}", TL_ESYNTAX, "t.conf:1:4",
	    "cannot print 'admins': it is a list (use join or json)");
}

TEST(template_filters)
{
	ASSERT_RENDERS("{{ nope | default(\"x\") }}|{{ node.hostname | "
	    "default('x') }}|{{ nope | upper | default(1) }}", "x|web-1|1");
	ASSERT_RENDERS("{{ node.hostname | upper }} {{ 'MiXed' | lower }} "
	    "[{{ padded | trim }}]", "WEB-1 mixed [x y]");
	ASSERT_RENDERS("{{ admins | join(', ') }}|{{ site.ports | join }}|"
	    "{{ nolist | join(',') }}", "ana, bo|80443|");
	ASSERT_RENDERS("{{ users | json }} {{ quoted | json }}",
	    "{\"ana\":{\"uid\":1000},\"bo\":{\"uid\":1001}} "
	    "\"it's \\\"so\\\"\"");
	ASSERT_RENDERS("echo {{ quoted | quote }} {{ 'a b' | quote }}",
	    "echo 'it'\\''s \"so\"' 'a b'");
	ASSERT_RENDERS("{{ admins | length }} {{ node.hostname | length }} "
	    "{{ users | length }} {{ node.cpus | upper }}", "2 5 2 4");
}

TEST(template_filter_errors)
{
	ASSERT_FAILS("\n{{ x | uper }}", TL_ESYNTAX, "t.conf:2:8",
	    "unknown filter 'uper'");
	ASSERT_FAILS("{{ x | default }}", TL_ESYNTAX, "t.conf:1:8",
	    "filter 'default' needs an argument");
	ASSERT_FAILS("{{ x | upper(1) }}", TL_ESYNTAX, "t.conf:1:8",
	    "filter 'upper' takes no argument");
	ASSERT_FAILS("{{ x | join(1) }}", TL_ESYNTAX, "t.conf:1:8",
	    "filter 'join' takes a string");
	ASSERT_FAILS("{{ x | default(y) }}", TL_ESYNTAX, "t.conf:1:16",
	    "a filter argument must be a string, number or boolean, not 'y'");
	ASSERT_FAILS("{{ admins | upper }}", TL_ESYNTAX, "t.conf:1:13",
	    "filter 'upper' needs a string, got a list");
	ASSERT_FAILS("{{ node.hostname | join }}", TL_ESYNTAX, "t.conf:1:20",
	    "filter 'join' needs a list, got a string");
	ASSERT_FAILS("{{ flag | length }}", TL_ESYNTAX, "t.conf:1:11",
	    "filter 'length' needs a string, list or map, got a boolean");
	ASSERT_FAILS("{% if flag %}\n{% elif node.hostname | join %}\n"
	    "{% end %}", TL_ESYNTAX, "t.conf:2:25",
	    "filter 'join' needs a list, got a string");
}

/* Conditions. */

TEST(template_if_elif_else_with_standalone_lines)
{
	ASSERT_RENDERS("a\n{% if flag %}\nflag\n{% elif node.tags.web %}\n"
	    "web\n  {% else %}  \nother\n{% end %}\nz\n", "a\nweb\nz\n");
	ASSERT_RENDERS("{% if nope %}x{% else %}y{% endif %}", "y");
	ASSERT_RENDERS("[{% if empty %}e{% end %}{% if zero %}0{% end %}"
	    "{% if nolist %}m{% end %}{% if admins %}l{% end %}]", "[0l]");
}

TEST(template_conditions)
{
	ASSERT_RENDERS("{% if node.hostname == 'web-1' %}y{% end %}"
	    "{% if node.cpus == 4 %}y{% end %}"
	    "{% if node.cpus == '4' %}n{% end %}"
	    "{% if node.cpus != 5 %}y{% end %}"
	    "{% if not flag %}y{% end %}"
	    "{% if not nope.deeper %}y{% end %}"
	    "{% if nope == nada %}y{% end %}", "yyyyyy");
	/* not > comparison > and > or */
	ASSERT_RENDERS("{% if flag and flag or true %}1{% end %}"
	    "{% if true or flag and flag %}2{% end %}"
	    "{% if not flag == true %}3{% end %}"
	    "{% if (true or flag) and flag %}4{% end %}"
	    "{% if not (flag or zero) %}5{% end %}", "123");
	ASSERT_RENDERS("{{ node.cpus == 4 }} {{ not node.tags.web }} "
	    "{{ (flag or 'x') | upper }}", "true false TRUE");
	ASSERT_RENDERS("{% if node.hostname | upper == 'WEB-1' %}y{% end %}"
	    "{% if admins | length == 2 %}y{% end %}", "yy");
}

TEST(template_expression_errors)
{
	ASSERT_FAILS("{% if a = 'b' %}{% end %}", TL_ESYNTAX, "t.conf:1:9",
	    "'=' is not an operator; use '=='");
	ASSERT_FAILS("{% if %}{% end %}", TL_ESYNTAX, "t.conf:1:7",
	    "expected a value, got '%}'");
	ASSERT_FAILS("{% if a and %}{% end %}", TL_ESYNTAX, "t.conf:1:13",
	    "expected a value, got '%}'");
	ASSERT_FAILS("{% if a b %}{% end %}", TL_ESYNTAX, "t.conf:1:9",
	    "unexpected 'b' in 'if' tag");
	ASSERT_FAILS("{% if (a %}{% end %}", TL_ESYNTAX, "t.conf:1:10",
	    "expected ')' before '%}'");
	ASSERT_FAILS("{{ 'abc }}", TL_ESYNTAX, "t.conf:1:4", "unclosed string");
	ASSERT_FAILS("{{ 'a\\qb' }}", TL_ESYNTAX, "t.conf:1:4",
	    "unknown escape in string: only \\\\ \\\" \\' \\n \\t \\r");
	ASSERT_FAILS("{{ a. }}", TL_ESYNTAX, "t.conf:1:4",
	    "bad variable name 'a.'");
	ASSERT_FAILS("{{ 12ab }}", TL_ESYNTAX, "t.conf:1:4",
	    "bad number '12'");
	ASSERT_FAILS("{{ a & b }}", TL_ESYNTAX, "t.conf:1:6",
	    "unexpected character '&'");
	ASSERT_FAILS("{{ a %}", TL_ESYNTAX, "t.conf:1:6",
	    "'%}' cannot close a '{{' tag");
	ASSERT_FAILS("{{ }}", TL_ESYNTAX, "t.conf:1:4", "empty '{{ }}' tag");
	ASSERT_FAILS("{{ and }}", TL_ESYNTAX, "t.conf:1:4",
	    "expected a value, got 'and'");
}

/* Loops. */

TEST(template_for_over_list_with_loop_vars)
{
	ASSERT_RENDERS("{% for a in admins %}\n"
	    "{{ loop.index }}/{{ loop.length }} {{ a }}"
	    "{% if loop.first %} first{% end %}"
	    "{% if loop.last %} last{% end %}\n"
	    "{% end %}\n", "1/2 ana first\n2/2 bo last\n");
	ASSERT_RENDERS("{% for p in site.ports %}{{ p }};{% endfor %}",
	    "80;443;");
	ASSERT_RENDERS("{% for i, a in admins %}{{ i }}={{ a }} {% end %}",
	    "1=ana 2=bo ");
	ASSERT_RENDERS("[{% for x in nolist %}x{% end %}]", "[]");
}

TEST(template_for_over_map_is_sorted)
{
	ASSERT_RENDERS("{% for name, u in users %}\n"
	    "{{ name }}:{{ u.uid }}\n{% end %}", "ana:1000\nbo:1001\n");
	ASSERT_RENDERS("{% for a in admins %}{% for b in admins %}"
	    "{{ a }}{{ b }}{{ loop.index }} {% end %}{% end %}",
	    "anaana1 anabo2 boana1 bobo2 ");
	/* A loop variable hides a global of the same name. */
	ASSERT_RENDERS("{% for site in admins %}{{ site }}{% end %}",
	    "anabo");
}

TEST(template_for_errors)
{
	ASSERT_FAILS("\n\n{% for x in node.hostname %}{% end %}", TL_ESYNTAX,
	    "t.conf:3:13", "cannot loop over 'node.hostname': it is a string");
	ASSERT_FAILS("{% for x in users %}{% end %}", TL_ESYNTAX,
	    "t.conf:1:13", "'users' is a map: loop over it with "
	    "'for key, value in users'");
	ASSERT_FAILS("{% for x in nope %}{% end %}", TL_ESYNTAX, "t.conf:1:13",
	    "unknown variable 'nope'");
	ASSERT_FAILS("{% for loop in admins %}{% end %}", TL_ESYNTAX,
	    "t.conf:1:8", "'loop' is reserved; name the loop variable "
	    "something else");
	ASSERT_FAILS("{% for x of admins %}{% end %}", TL_ESYNTAX,
	    "t.conf:1:10", "expected 'in' after the loop variable, got 'of'");
	ASSERT_FAILS("{% for a.b in admins %}{% end %}", TL_ESYNTAX,
	    "t.conf:1:8", "bad loop variable 'a.b'");
}

/* Blocks and tags. */

TEST(template_block_errors_name_the_line)
{
	ASSERT_FAILS("a\n{% if x %}\nb\n", TL_ESYNTAX, "t.conf:2:1",
	    "unclosed 'if' block");
	ASSERT_FAILS("{% for x in admins %}\n{% if x %}\n{% end %}\n",
	    TL_ESYNTAX, "t.conf:1:1", "unclosed 'for' block");
	ASSERT_FAILS("a\n\n{% end %}\n", TL_ESYNTAX, "t.conf:3:1",
	    "'end' without an open block");
	ASSERT_FAILS("{% else %}", TL_ESYNTAX, "t.conf:1:1",
	    "'else' without an open block");
	ASSERT_FAILS("{% if a %}\n{% else %}\n{% else %}\n{% end %}",
	    TL_ESYNTAX, "t.conf:3:1", "'else' after 'else'");
	ASSERT_FAILS("{% if a %}\n{% endfor %}", TL_ESYNTAX, "t.conf:2:1",
	    "'endfor' cannot close the 'if' block opened at line 1");
	ASSERT_FAILS("{% for a in b %}{% elif c %}{% end %}", TL_ESYNTAX,
	    "t.conf:1:17", "'elif' without 'if'");
	ASSERT_FAILS("x {{ a", TL_ESYNTAX, "t.conf:1:3", "unclosed '{{' tag");
	ASSERT_FAILS("\n{% if a\n\n", TL_ESYNTAX, "t.conf:2:1",
	    "unclosed '{%' tag");
	ASSERT_FAILS("{# a\n\n", TL_ESYNTAX, "t.conf:1:1", "unclosed comment");
	ASSERT_FAILS("{% iff a %}", TL_ESYNTAX, "t.conf:1:4",
	    "unknown tag 'iff'");
	ASSERT_FAILS("{% %}", TL_ESYNTAX, "t.conf:1:4", "empty '{% %}' tag");
	ASSERT_FAILS("{% else x %}", TL_ESYNTAX, "t.conf:1:9",
	    "unexpected 'x' in 'else' tag");
	ASSERT_FAILS("{% endraw %}", TL_ESYNTAX, "t.conf:1:1",
	    "'endraw' without 'raw'");
	ASSERT_FAILS("\n{% raw %}{{ x }}", TL_ESYNTAX, "t.conf:2:1",
	    "unclosed 'raw' block");
}

TEST(template_comments_and_escaping)
{
	ASSERT_RENDERS("a{# note #}b\n  {# alone #}\nc\n{# two\nlines #}\nd",
	    "ab\nc\nd");
	ASSERT_RENDERS("{{ \"{{\" }} x {{ '}}' }} {{ \"%}\" }}",
	    "{{ x }} %}");
	ASSERT_RENDERS("{% raw %}\n{{ not parsed }} {% if %}\n"
	    "  {%endraw%}\nafter {{ site.name }}\n",
	    "{{ not parsed }} {% if %}\nafter example\n");
	ASSERT_RENDERS("x{% raw %}{#{% endraw  %}y", "x{#y");
}

TEST(template_whitespace_rules)
{
	/* Indented standalone tags vanish; inline tags keep their line. */
	ASSERT_RENDERS("server {\n"
	    "    {% for p in site.ports %}\n"
	    "    listen {{ p }};\n"
	    "    {% end %}\n"
	    "}\n", "server {\n    listen 80;\n    listen 443;\n}\n");
	ASSERT_RENDERS("  {% if true %}x{% end %}  \n", "  x  \n");
	ASSERT_RENDERS("a\r\n{% if true %}\r\nb\r\n{% end %}\r\n",
	    "a\r\nb\r\n");
	ASSERT_RENDERS("{% if true %}a\n  {% end %}  ", "a\n");
	ASSERT_RENDERS("{{ site.name }}  {% if true %}\nx{% end %}",
	    "example  \nx");
	ASSERT_RENDERS("\t\n \t{# c #}\t \n\n", "\t\n\n");
}

TEST(template_reads_only_len_bytes)
{
	/* No terminator after the template, and a NUL inside it. */
	static const char src[] = "a\0b {{ site.name }}{{ x";
	struct tval *vars = fixture();
	struct buf out = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	char *heap = xmalloc(19);

	memcpy(heap, src, 19);
	ASSERT_EQ(tpl_render_string(NULL, heap, 19, vars, &out, &err), 0);
	ASSERT_EQ(out.len, 11);
	ASSERT_MEM_EQ(out.data, "a\0b example", 11);
	buf_reset(&out);
	ASSERT_EQ(tpl_render_string(NULL, heap, 17, vars, &out, &err),
	    TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "template:1:5");
	ASSERT_STR_EQ(err.msg, "unclosed '{{' tag");
	free(heap);
	buf_release(&out);
	tval_free(vars);
}

TEST(template_parse_once_render_twice)
{
	static const char src[] = "{{ who }}\n";
	struct tval *a = tval_new_map(), *b = tval_new_map();
	struct buf out = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	struct tpl *t;

	tval_map_set(a, "who", str("a"));
	tval_map_set(b, "who", str("b"));
	ASSERT_EQ(tpl_parse("x", src, strlen(src), &t, &err), 0);
	ASSERT_EQ(tpl_render(t, a, &out, &err), 0);
	ASSERT_EQ(tpl_render(t, b, &out, &err), 0);
	ASSERT_STR_EQ(out.data, "a\nb\n");
	ASSERT_EQ(tpl_render(t, NULL, &out, &err), TL_ESYNTAX);
	ASSERT_STR_EQ(err.msg, "unknown variable 'who'");
	tpl_free(t);
	tpl_free(NULL);
	tval_free(a);
	tval_free(b);
	buf_release(&out);
}

/* Bounds. */

TEST(template_size_limit)
{
	size_t n = TPL_MAX_SIZE + 1;
	char *big = xmalloc(n);
	struct tl_err err = TL_ERR_INIT;
	struct tpl *t = (struct tpl *)&err;

	memset(big, 'x', n);
	ASSERT_EQ(tpl_parse("big.tpl", big, n, &t, &err), TL_ETOOBIG);
	ASSERT(t == NULL);
	ASSERT_STR_EQ(err.where, "big.tpl");
	ASSERT_STR_EQ(err.msg, "template is larger than 4 MiB");
	free(big);
}

TEST(template_nesting_limits)
{
	struct buf src = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	struct tpl *t;
	int i;

	for (i = 0; i < TPL_MAX_DEPTH; i++)
		buf_addstr(&src, "{% if true %}");
	for (i = 0; i < TPL_MAX_DEPTH; i++)
		buf_addstr(&src, "{% end %}");
	ASSERT_EQ(tpl_parse("n", src.data, src.len, &t, &err), 0);
	tpl_free(t);
	buf_reset(&src);
	for (i = 0; i < TPL_MAX_DEPTH + 1; i++)
		buf_addstr(&src, "{% if true %}\n");
	ASSERT_EQ(tpl_parse("n", src.data, src.len, &t, &err), TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "n:65:1");
	ASSERT_STR_EQ(err.msg, "blocks nest deeper than 64");
	buf_reset(&src);
	buf_addstr(&src, "{{ a");
	for (i = 0; i < 100; i++)
		buf_addstr(&src, " or a");
	buf_addstr(&src, " }}");
	ASSERT_EQ(tpl_parse("n", src.data, src.len, &t, &err), TL_ESYNTAX);
	ASSERT_STR_EQ(err.msg, "expression nests deeper than 64");
	buf_reset(&src);
	buf_addstr(&src, "{{ ");
	for (i = 0; i < 100; i++)
		buf_addstr(&src, "(");
	ASSERT_EQ(tpl_parse("n", src.data, src.len, &t, &err), TL_ESYNTAX);
	ASSERT_STR_EQ(err.msg, "expression nests deeper than 64");
	buf_release(&src);
}

TEST(template_output_and_work_limits)
{
	static const char loops[] = "{% for a in l %}{% for b in l %}"
	    "{% for c in l %}{{ a }}{% end %}{% end %}{% end %}";
	struct tval *vars = tval_new_map(), *l = tval_new_list();
	struct buf out = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	struct tpl *t;
	int i;

	for (i = 0; i < 100; i++)
		tval_list_push(l, str("0123456789"));
	tval_map_set(vars, "l", l);
	ASSERT_EQ(tpl_parse("l", loops, strlen(loops), &t, &err), 0);
	tpl_set_limits(t, 1u << 20, 0);
	ASSERT_EQ(tpl_render(t, vars, &out, &err), TL_ETOOBIG);
	ASSERT_STR_EQ(err.where, "l:1:49");
	ASSERT_STR_EQ(err.msg, "output is larger than 1 MiB");
	ASSERT(out.len <= (1u << 20));
	tpl_set_limits(t, 0, 5000);
	buf_reset(&out);
	ASSERT_EQ(tpl_render(t, vars, &out, &err), TL_ETOOBIG);
	ASSERT_STR_EQ(err.msg, "too much work: more than 5000 steps "
	    "(loops inside loops?)");
	/* join costs a step per item: 100 loop turns of 100 items each. */
	tpl_free(t);
	ASSERT_EQ(tpl_parse("l", "{% for a in l %}{{ l | join }}{% end %}",
	    39, &t, &err), 0);
	tpl_set_limits(t, 0, 5000);
	buf_reset(&out);
	ASSERT_EQ(tpl_render(t, vars, &out, &err), TL_ETOOBIG);
	ASSERT_STR_EQ(err.msg, "too much work: more than 5000 steps "
	    "(loops inside loops?)");
	tpl_free(t);
	tval_free(vars);
	buf_release(&out);
}

/* Operators (issue 18): comparisons, arithmetic, ~, in. */

TEST(template_compares_and_computes)
{
	ASSERT_RENDERS("{% if node.cpus > 2 %}big{% else %}small{% end %}",
	    "big");
	ASSERT_RENDERS("{{ node.cpus >= 4 }} {{ node.cpus < 4 }} "
	    "{{ node.cpus <= 4 }} {{ 'a' < 'b' }} {{ 'ab' > 'a' }}",
	    "true false true true true");
	ASSERT_RENDERS("{{ node.cpus * 2 + 1 }} {{ node.cpus - 1 }} "
	    "{{ 7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ -node.cpus }}",
	    "9 3 3 1 2 3.5 -4");
	ASSERT_RENDERS("{{ (1 + 2) * 3 }} {{ 1 + 2 * 3 }} {{ 10 - 2 - 3 }}",
	    "9 7 5");
	ASSERT_RENDERS("{{ node.hostname ~ ':' ~ site.ports.1 }}",
	    "web-1:80");
	ASSERT_RENDERS("{{ admins | length + 1 }}", "3");
	ASSERT_RENDERS("{% if 'ana' in admins and 443 in site.ports and "
	    "'ana' in users and 'eb' in node.hostname and not 'x' in admins "
	    "and not 'x' in nope %}yes{% end %}", "yes");
	ASSERT_RENDERS("{% if node.cpus > 2 and not flag or zero %}y{% end %}",
	    "y");
}

TEST(template_operator_errors_name_the_column)
{
	ASSERT_FAILS("{{ node.hostname + 1 }}", TL_ESYNTAX, "t.conf:1:18",
	    "'+' needs two numbers, got a string and a number (use '~' to "
	    "join text)");
	ASSERT_FAILS("\n  {{ 1 / zero }}", TL_ESYNTAX, "t.conf:2:8",
	    "division by zero");
	ASSERT_FAILS("{% if nope > 1 %}{% end %}", TL_ESYNTAX, "t.conf:1:7",
	    "unknown variable 'nope'");
	ASSERT_FAILS("{% if node.cpus > '2' %}{% end %}", TL_ESYNTAX,
	    "t.conf:1:17", "cannot compare a number with a string using '>'");
	ASSERT_FAILS("{{ 1 < 2 < 3 }}", TL_ESYNTAX, "t.conf:1:10",
	    "comparisons do not chain: use 'and' (a < b and b < c)");
	ASSERT_FAILS("{{ admins ~ 'x' }}", TL_ESYNTAX, "t.conf:1:11",
	    "'~' joins strings, numbers and booleans, not a list");
	ASSERT_FAILS("{{ 1 in 2 }}", TL_ESYNTAX, "t.conf:1:6",
	    "'in' needs a list, map or string on its right, got a number");
	ASSERT_FAILS("{{ - }}", TL_ESYNTAX, "t.conf:1:6",
	    "expected a value, got '}}'");
}

TEST(template_list_filters)
{
	ASSERT_RENDERS("{{ site.ports | reverse | join(',') }} "
	    "{{ site.ports | sort | first }} {{ site.ports | last }} "
	    "{{ site.ports | max }} {{ site.ports | min }} "
	    "{{ site.ports | sum }}", "443,80 80 443 443 80 523");
	ASSERT_RENDERS("{{ users | keys | join(' ') }} "
	    "{{ users | values | map('uid') | join(' ') }} "
	    "{{ users | values | sort('uid') | map('uid') | join(' ') }}",
	    "ana bo 1000 1001 1000 1001");
	ASSERT_RENDERS("{{ users | values | where('uid', 1001) | length }} "
	    "{{ admins | select | length }} {{ admins | reject | length }} "
	    "{{ nolist | first | default('none') }} {{ nolist | sum }}",
	    "1 2 0 none 0");
	ASSERT_RENDERS("{{ 'b a b' | split | unique | sort | join(',') }} "
	    "{{ 'a,,b' | split(',') | length }}", "a,b 3");
	ASSERT_FAILS("{{ admins | map('x') }}", TL_ESYNTAX, "t.conf:1:13",
	    "filter 'map': item 1 has no 'x'");
	ASSERT_FAILS("{{ node.hostname | sort }}", TL_ESYNTAX, "t.conf:1:20",
	    "filter 'sort' needs a list, got a string");
	ASSERT_FAILS("{{ admins | where('x') }}", TL_ESYNTAX, "t.conf:1:13",
	    "filter 'where' needs 2 arguments");
	ASSERT_FAILS("{{ admins | keys }}", TL_ESYNTAX, "t.conf:1:13",
	    "filter 'keys' needs a map, got a list");
}

/* A loader over a few named sources, for include. */
static int
test_load(void *arg, const char *name, struct buf *out, struct tl_err *err)
{
	const char *const *files = arg;

	for (size_t i = 0; files[i] != NULL; i += 2)
		if (strcmp(files[i], name) == 0) {
			buf_addstr(out, files[i + 1]);
			return 0;
		}
	return tl_err_set(err, TL_ENOENT, "no such template");
}

static int
render_with(const char *src, const char *const *files, struct buf *out,
    struct tl_err *err)
{
	const struct tpl_loader loader = { test_load, (void *)files };
	struct tval *vars = fixture();
	struct tpl *t;
	int rc;

	if ((rc = tpl_parse("main", src, strlen(src), &t, err)) == 0) {
		tpl_set_loader(t, &loader);
		rc = tpl_render(t, vars, out, err);
	}
	tpl_free(t);
	tval_free(vars);
	return rc;
}

TEST(template_include)
{
	static const char *const files[] = {
		"head", "# {{ node.hostname }}\n",
		"item", "- {{ a }}\n",
		"bad", "ok\n  {{ nope }}\n",
		"self", "{% include \"self\" %}",
		NULL, NULL
	};
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	struct tpl *t;

	ASSERT_EQ(render_with("{% include \"head\" %}\n{% for a in admins %}\n"
	    "  {% include \"item\" %}\n{% end %}\n", files, &out, &err), 0);
	ASSERT_STR_EQ(out.data, "# web-1\n- ana\n- bo\n");
	buf_reset(&out);
	ASSERT_EQ(render_with("x\n{% include \"bad\" %}", files, &out, &err),
	    TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "bad:2:6");
	ASSERT_STR_EQ(err.msg, "unknown variable 'nope' (included from "
	    "main:2:1)");
	buf_reset(&out);
	ASSERT_EQ(render_with("{% include \"gone\" %}", files, &out, &err),
	    TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "main:1:1");
	ASSERT_STR_EQ(err.msg, "cannot include 'gone': no such template");
	buf_reset(&out);
	ASSERT_EQ(render_with("{% include \"self\" %}", files, &out, &err),
	    TL_ESYNTAX);
	ASSERT_CONTAINS(err.msg, "includes nest deeper than 16");
	/* without a loader (no recipe directory), include says so */
	ASSERT_EQ(tpl_parse("x", "{% include \"a\" %}", 17, &t, &err), 0);
	buf_reset(&out);
	ASSERT_EQ(tpl_render(t, NULL, &out, &err), TL_ESYNTAX);
	ASSERT_CONTAINS(err.msg, "cannot include 'a' here");
	tpl_free(t);
	ASSERT_FAILS("{% include nope %}", TL_ESYNTAX, "t.conf:1:12",
	    "include takes a template name in quotes");
	buf_release(&out);
}
