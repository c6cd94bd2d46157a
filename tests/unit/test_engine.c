#include <stdlib.h>

#include "core/buf.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/re.h"
#include "core/strmap.h"
#include "engine/graph.h"
#include "engine/predict.h"
#include "engine/registry.h"
#include "engine/res.h"
#include "test.h"

static struct res *
mkres(const char *type, const char *title, const char *where)
{
	const struct res_type *t = res_type_find(type);
	struct res *r;
	struct tl_err err = TL_ERR_INIT;

	ASSERT(t != NULL);
	r = res_new(t, title, where);
	ASSERT_EQ(res_set_str(r, t->attrs[0].name, title, &err), 0);
	return r;
}

static struct res *
mkexec(const char *name)
{
	const struct res_type *t = res_type_find("exec");
	struct res *r = res_new(t, name, "t.lua:1");
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(res_set_str(r, "name", name, &err), 0);
	ASSERT_EQ(res_set_str(r, "command", "/bin/true", &err), 0);
	ASSERT_EQ(res_finish(r, &err), 0);
	return r;
}

TEST(res_attributes_are_typed_and_defaulted)
{
	struct res *r = mkres("file", "/etc/motd", "site.lua:3");
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(res_set_str(r, "mode", "0640", &err), 0);
	ASSERT_EQ(res_int(r, "mode"), 0640);
	ASSERT_EQ(res_set_str(r, "mode", "0999", &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "octal mode");
	ASSERT_EQ(res_set_str(r, "ensure", "gone", &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "'present', 'absent'");
	ASSERT_EQ(res_set_str(r, "colour", "red", &err), TL_EINVAL);
	ASSERT_EQ(res_finish(r, &err), 0);
	ASSERT_STR_EQ(res_str(r, "ensure"), "present");
	ASSERT(res_bool(r, "backup"));
	ASSERT_STR_EQ(r->ref, "file[/etc/motd]");
	res_free(r);
}

TEST(res_rejects_relative_paths_at_compile_time)
{
	struct res *r = mkres("file", "etc/motd", "site.lua:3");
	struct tl_err err = TL_ERR_INIT;

	ASSERT(res_finish(r, &err) < 0);
	ASSERT_CONTAINS(err.msg, "must be absolute");
	res_free(r);
}

TEST(graph_refuses_duplicates_naming_both_places)
{
	struct graph g;
	struct tl_err err = TL_ERR_INIT;

	graph_init(&g);
	ASSERT_EQ(graph_add(&g, mkres("file", "/a", "a.lua:1"), &err), 0);
	ASSERT_EQ(graph_add(&g, mkres("file", "/a", "b.lua:7"), &err),
	    TL_EDUP);
	ASSERT_CONTAINS(err.msg, "first at a.lua:1");
	ASSERT_STR_EQ(err.where, "b.lua:7");
	graph_release(&g);
}

TEST(graph_orders_by_edges_then_declaration)
{
	struct graph g;
	struct tl_err err = TL_ERR_INIT;
	struct res *a = mkexec("a"), *b = mkexec("b"), *c = mkexec("c");

	graph_init(&g);
	refs_add(&a->require, "exec[c]");	/* c before a */
	graph_add(&g, a, &err);
	graph_add(&g, b, &err);
	graph_add(&g, c, &err);
	ASSERT_EQ(graph_build(&g, &err), 0);
	ASSERT_STR_EQ(g.res[g.order[0]]->title, "b");
	ASSERT_STR_EQ(g.res[g.order[1]]->title, "c");
	ASSERT_STR_EQ(g.res[g.order[2]]->title, "a");
	graph_release(&g);
}

TEST(graph_puts_parent_directories_first)
{
	struct graph g;
	struct tl_err err = TL_ERR_INIT;
	struct res *f = mkres("file", "/srv/x/f", "t:1");
	struct res *d = mkres("directory", "/srv/x", "t:2");

	graph_init(&g);
	ASSERT_EQ(res_finish(f, &err), 0);
	ASSERT_EQ(res_finish(d, &err), 0);
	graph_add(&g, f, &err);
	graph_add(&g, d, &err);
	ASSERT_EQ(graph_build(&g, &err), 0);
	ASSERT_STR_EQ(g.res[g.order[0]]->ref, "directory[/srv/x]");
	graph_release(&g);
}

/* Each type names what it needs by type and title: a service its package,
 * a line its file, a user its groups, a file its owner. */
TEST(graph_puts_implicit_requirements_first)
{
	struct graph g;
	struct tl_err err = TL_ERR_INIT;
	struct res *svc = mkres("service", "web", "t:1");
	struct res *f = mkres("file", "/srv/f", "t:2");
	struct res *u = mkres("user", "ann", "t:3");
	struct res *grp = mkres("group", "ann", "t:4");
	struct res *pkg = mkres("package", "web", "t:5");

	graph_init(&g);
	ASSERT_EQ(res_set_str(f, "owner", "ann", &err), 0);
	ASSERT_EQ(res_finish(svc, &err), 0);
	ASSERT_EQ(res_finish(f, &err), 0);
	ASSERT_EQ(res_finish(u, &err), 0);
	ASSERT_EQ(res_finish(grp, &err), 0);
	ASSERT_EQ(res_finish(pkg, &err), 0);
	graph_add(&g, svc, &err);
	graph_add(&g, f, &err);
	graph_add(&g, u, &err);
	graph_add(&g, grp, &err);
	graph_add(&g, pkg, &err);
	ASSERT_EQ(graph_build(&g, &err), 0);
	ASSERT_STR_EQ(g.res[g.order[0]]->ref, "group[ann]");
	ASSERT_STR_EQ(g.res[g.order[1]]->ref, "user[ann]");
	ASSERT_STR_EQ(g.res[g.order[2]]->ref, "file[/srv/f]");
	ASSERT_STR_EQ(g.res[g.order[3]]->ref, "package[web]");
	ASSERT_STR_EQ(g.res[g.order[4]]->ref, "service[web]");
	graph_release(&g);
}

TEST(graph_reports_a_cycle_with_its_path)
{
	struct graph g;
	struct tl_err err = TL_ERR_INIT;
	struct res *a = mkexec("a"), *b = mkexec("b"), *c = mkexec("c");

	graph_init(&g);
	refs_add(&a->require, "exec[b]");
	refs_add(&b->require, "exec[c]");
	refs_add(&c->require, "exec[a]");
	graph_add(&g, a, &err);
	graph_add(&g, b, &err);
	graph_add(&g, c, &err);
	ASSERT_EQ(graph_build(&g, &err), TL_ECYCLE);
	ASSERT_CONTAINS(err.msg, "exec[a]");
	ASSERT_CONTAINS(err.msg, "exec[b]");
	ASSERT_CONTAINS(err.msg, "exec[c]");
	ASSERT_STR_EQ(err.where, "t.lua:1");
	graph_release(&g);
}

TEST(graph_names_an_undeclared_reference)
{
	struct graph g;
	struct tl_err err = TL_ERR_INIT;
	struct res *a = mkexec("a");

	graph_init(&g);
	refs_add(&a->notify, "service[nginx]");
	graph_add(&g, a, &err);
	ASSERT_EQ(graph_build(&g, &err), TL_ENOENT);
	ASSERT_CONTAINS(err.msg, "service[nginx], which is not declared");
	graph_release(&g);
}

TEST(diff_shows_one_changed_line_with_context)
{
	struct buf out = BUF_INIT;
	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n";
	const char *b = "1\n2\n3\n4\nfive\n6\n7\n8\n";

	diff_unified(a, strlen(a), b, strlen(b), "x", "x", &out);
	ASSERT_STR_EQ(out.data, "--- x\n+++ x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n"
	    "-5\n+five\n 6\n 7\n 8\n");
	buf_release(&out);
	diff_unified(a, strlen(a), a, strlen(a), "x", "x", &out);
	ASSERT_EQ(out.len, 0);
}

TEST(diff_handles_insertions_deletions_and_empty_sides)
{
	struct buf out = BUF_INIT;

	diff_unified("", 0, "a\nb\n", 4, "/dev/null", "f", &out);
	ASSERT_STR_EQ(out.data, "--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+a\n"
	    "+b\n");
	buf_release(&out);
	diff_unified("a\nb\nc\n", 6, "a\nc\n", 4, "f", "f", &out);
	ASSERT_STR_EQ(out.data, "--- f\n+++ f\n@@ -1,3 +1,2 @@\n a\n-b\n c\n");
	buf_release(&out);
}

TEST(diff_of_large_rewrites_stays_bounded)
{
	struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT;

	for (int i = 0; i < 5000; i++) {
		buf_addf(&a, "a%d\n", i);
		buf_addf(&b, "b%d\n", i);
	}
	diff_unified(a.data, a.len, b.data, b.len, "f", "f", &out);
	ASSERT_CONTAINS(out.data, "@@ -1,5000 +1,5000 @@");
	buf_release(&a);
	buf_release(&b);
	buf_release(&out);
}

TEST(regex_is_perl_compatible_and_cached)
{
	struct tl_err err = TL_ERR_INIT;
	const struct re *re = re_get("^app-(\\d+)\\.dmz\\.", &err);
	size_t ov[4];

	ASSERT(re != NULL);
	ASSERT(re_get("^app-(\\d+)\\.dmz\\.", &err) == re);
	ASSERT_EQ(re_match(re, "app-12.dmz.x", 12, 0, ov, 2), 2);
	ASSERT_EQ(ov[2], 4);
	ASSERT_EQ(ov[3], 6);
	ASSERT_EQ(re_match(re, "db-1.dmz.x", 10, 0, ov, 2), 0);
	ASSERT(re_get("(unclosed", &err) == NULL);
	ASSERT_CONTAINS(err.msg, "bad regex '(unclosed'");
	re_cache_clear();
}

/* The literal lead of "^text" patterns rejects lines early; matches
 * must be exactly pcre2's, lead or not. */
TEST(regex_lead_agrees_with_pcre2)
{
	static const struct {
		const char	*re, *subject;
		int		 hit;
	} c[] = {
		{ "^option_00 = ", "option_00 = 1", 1 },
		{ "^option_00 = ", "option_01 = 1", 0 },
		{ "^option_00 = ", "option_0", 0 },
		{ "^ab?c", "ac", 1 },		/* b is optional */
		{ "^ab*", "a", 1 },
		{ "^ab{2}", "abb", 1 },
		{ "^ab|^x", "x", 1 },		/* an alternative */
		{ "^a(?i)b", "aB", 1 },
		{ "^a(?i)b", "AB", 0 },
		{ "^x.y", "x\ny", 0 },
		{ "^", "", 1 },
		{ "^key=", "key=", 1 },
	};
	size_t ov[2];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const struct re *re = re_get(c[i].re, NULL);

		ASSERT(re != NULL);
		ASSERT_EQ(re_match(re, c[i].subject, strlen(c[i].subject), 0,
		    ov, 1) > 0, c[i].hit);
	}
	/* Past offset 0 the lead says nothing: pcre2 decides. */
	ASSERT_EQ(re_match(re_get("^b", NULL), "ab", 2, 1, ov, 1), 0);
	re_cache_clear();
}

TEST(strmap_grows_and_finds)
{
	struct strmap m = STRMAP_INIT;
	char key[32];
	size_t v;

	for (size_t i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		ASSERT_EQ(strmap_put(&m, key, i), 1);
	}
	ASSERT_EQ(strmap_put(&m, "k5", 55), 0);
	ASSERT(strmap_get(&m, "k5", &v));
	ASSERT_EQ(v, 55);
	ASSERT(strmap_get(&m, "k999", &v));
	ASSERT_EQ(v, 999);
	ASSERT(!strmap_get(&m, "nope", &v));
	strmap_release(&m);
}

TEST(ids_come_from_the_managed_tree)
{
	uid_t uid;
	gid_t gid;

	free(test_write("r/etc/passwd", "root:x:0:0::/root:/bin/sh\n"
	    "web:x:1234:1234::/srv:/bin/false\nbroken line\n"));
	free(test_write("r/etc/group", "web:x:4321:\n"));
	char *root = test_path("r");
	ASSERT_EQ(ids_uid(root, "web", &uid), 0);
	ASSERT_EQ(uid, 1234);
	ASSERT_EQ(ids_gid(root, "web", &gid), 0);
	ASSERT_EQ(gid, 4321);
	ASSERT_EQ(ids_uid(root, "nobody-here", &uid), -1);
	ASSERT_EQ(ids_uid(root, "77", &uid), 0);
	ASSERT_EQ(uid, 77);
	ASSERT_STR_EQ(ids_user_name(root, 1234), "web");
	ASSERT_STR_EQ(ids_user_name(root, 99), "99");
	ids_reset();
	free(root);
}

/* --noop predictions (issue 18). */

TEST(predict_paths_accounts_and_removed_parents)
{
	struct predict *p = predict_new();
	const struct pred *e;
	struct pred *w;
	unsigned long a, b;

	ASSERT(predict_get(p, PS_PATH, "/srv/app") == NULL);
	ASSERT_EQ(predict_size(p), 0);
	w = predict_set(p, PS_PATH, "/srv/app", PRED_DIR, "directory[/srv/app]");
	w->mode = 0750;
	e = predict_get(p, PS_PATH, "/srv/app");
	ASSERT(e != NULL && e->kind == PRED_DIR && e->mode == 0750);
	ASSERT_STR_EQ(e->by, "directory[/srv/app]");
	/* a child is not predicted by its parent being made... */
	ASSERT(predict_get(p, PS_PATH, "/srv/app/x") == NULL);
	/* ...but a removed parent takes its children with it */
	predict_set(p, PS_PATH, "/srv", PRED_ABSENT, "directory[/srv]");
	e = predict_get(p, PS_PATH, "/srv/app/x");
	ASSERT(e != NULL && e->kind == PRED_ABSENT);
	ASSERT_STR_EQ(e->by, "directory[/srv]");
	/* remaking replaces */
	w = predict_set(p, PS_PATH, "/srv/app", PRED_FILE, "file[/srv/app]");
	buf_addstr(&w->content, "x");
	w->has_content = 1;
	ASSERT_EQ(predict_get(p, PS_PATH, "/srv/app")->content.len, 1);
	/* placeholder ids are distinct, far from real ones, and named */
	a = predict_new_id(p);
	b = predict_new_id(p);
	ASSERT(a != b && a >= 4000000000ul && a < (unsigned long)(uid_t)-1);
	predict_set(p, PS_USER, "app", PRED_PRESENT, "user[app]")->uid =
	    (uid_t)a;
	predict_set(p, PS_GROUP, "app", PRED_PRESENT, "user[app]")->gid =
	    (gid_t)b;
	ASSERT_STR_EQ(predict_id_name(p, PS_USER, a), "app");
	ASSERT_STR_EQ(predict_id_name(p, PS_GROUP, b), "app");
	ASSERT(predict_id_name(p, PS_USER, b) == NULL);
	/* spaces do not mix */
	ASSERT(predict_get(p, PS_PACKAGE, "app") == NULL);
	ASSERT(predict_any_install(p) == NULL);
	predict_set(p, PS_PACKAGE, "php", PRED_PRESENT, "package[php]");
	ASSERT_STR_EQ(predict_any_install(p), "package[php]");
	ASSERT(predict_last_command(p) == NULL);
	predict_note_command(p, "exec[a]");
	predict_note_command(p, "exec[b]");
	ASSERT_STR_EQ(predict_last_command(p), "exec[b]");
	ASSERT(predict_size(p) > 0);
	predict_free(p);
	predict_free(NULL);
}
