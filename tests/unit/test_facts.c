#include <sys/socket.h>
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/if_packet.h>
#endif

#include "core/buf.h"
#include "core/err.h"
#include "core/platform.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "facts/facts_int.h"
#include "test.h"

/* Joins the keys of f with spaces, for order checks. */
static char *
keys_of(const struct facts *f)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < facts_count(f); i++)
		buf_addf(&b, "%s%s", i ? " " : "", facts_key(f, i));
	return buf_detach(&b, NULL);
}

static void
write_exec(const char *name, const char *content)
{
	char *p = test_write(name, content);

	chmod(p, 0755);
	free(p);
}

/* --- the store --- */

TEST(facts_set_replaces_and_keeps_tree_order)
{
	struct facts *f = facts_new();
	char *keys;

	facts_set(f, "b", FACT_STR, "1");
	facts_set(f, "a-b", FACT_STR, "2");
	facts_set(f, "a.x", FACT_NUM, "3");
	facts_set(f, "a.a", FACT_BOOL, "true");
	facts_set(f, "b", FACT_NUM, "4");
	keys = keys_of(f);
	/* '.' sorts lowest, so the "a" group comes before "a-b". */
	ASSERT_STR_EQ(keys, "a.a a.x a-b b");
	ASSERT_EQ(facts_count(f), 4);
	ASSERT_STR_EQ(facts_get(f, "b"), "4");
	ASSERT_EQ(facts_kind(f, 3), FACT_NUM);
	ASSERT_EQ(facts_kind(f, 0), FACT_BOOL);
	ASSERT(facts_get(f, "a") == NULL);
	ASSERT(facts_get(f, "c") == NULL);
	free(keys);
	facts_free(f);
	facts_free(NULL);
}

TEST(facts_set_leaf_and_group_replace_each_other)
{
	struct facts *f = facts_new();
	char *keys;

	facts_set(f, "os", FACT_STR, "linux");
	facts_set(f, "net.eth0.ipv4", FACT_STR, "10.0.0.1");
	facts_set(f, "net.eth0.mac", FACT_STR, "aa");
	facts_set(f, "net.eth1", FACT_STR, "x");
	facts_set(f, "netz", FACT_STR, "y");
	facts_set(f, "net.eth0", FACT_STR, "gone");	/* drops the group */
	keys = keys_of(f);
	ASSERT_STR_EQ(keys, "net.eth0 net.eth1 netz os");
	free(keys);
	facts_set(f, "net.eth0.ipv6.x", FACT_STR, "::1"); /* drops the leaf */
	facts_set(f, "os.name", FACT_STR, "linux");
	keys = keys_of(f);
	ASSERT_STR_EQ(keys, "net.eth0.ipv6.x net.eth1 netz os.name");
	free(keys);
	facts_free(f);
}

TEST(facts_kind_of_follows_json_numbers)
{
	static const struct {
		const char	*v;
		enum fact_kind	 k;
	} cases[] = {
		{ "4", FACT_NUM }, { "-1", FACT_NUM }, { "0", FACT_NUM },
		{ "1.5e3", FACT_NUM }, { "2E-2", FACT_NUM }, { "0.25", FACT_NUM },
		{ "true", FACT_BOOL }, { "false", FACT_BOOL },
		{ "True", FACT_STR }, { "0755", FACT_STR }, { "1.", FACT_STR },
		{ "+1", FACT_STR }, { "0x10", FACT_STR }, { "1.2.3", FACT_STR },
		{ "12 ", FACT_STR }, { "", FACT_STR }, { "-", FACT_STR },
		{ "1e", FACT_STR }, { "nan", FACT_STR }, { ".5", FACT_STR },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (facts_kind_of(cases[i].v) != cases[i].k)
			test_fail(__FILE__, __LINE__, "kind of '%s' is %d, "
			    "want %d", cases[i].v, facts_kind_of(cases[i].v),
			    cases[i].k);
}

TEST(facts_key_check_rejects_bad_keys)
{
	static const char *const bad[] = { "", ".a", "a.", "a..b", "a b",
	    "a=b", "é", "a/b" };
	struct tl_err err = TL_ERR_INIT;
	char long_key[FACTS_KEY_MAX + 2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (facts_key_check(bad[i], NULL) != TL_EINVAL)
			test_fail(__FILE__, __LINE__, "'%s' passed", bad[i]);
	ASSERT_EQ(facts_key_check("interfaces.eth0-1.ipv4", &err), 0);
	ASSERT_EQ(facts_key_check("A_b.9", &err), 0);
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	ASSERT_EQ(facts_key_check(long_key, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "over 255 bytes");
	ASSERT_EQ(facts_key_check("a b", &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "bad fact key 'a b'");
}

TEST(facts_set_arg_infers_kinds)
{
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(facts_set_arg(f, "cpus=4", &err), 0);
	ASSERT_EQ(facts_set_arg(f, "debug=true", &err), 0);
	ASSERT_EQ(facts_set_arg(f, "mode=0755", &err), 0);
	ASSERT_EQ(facts_set_arg(f, "url=http://x/?a=b", &err), 0);
	ASSERT_EQ(facts_set_arg(f, "empty=", &err), 0);
	ASSERT_STR_EQ(facts_get(f, "cpus"), "4");
	ASSERT_EQ(facts_kind(f, 0), FACT_NUM);		/* cpus */
	ASSERT_EQ(facts_kind(f, 1), FACT_BOOL);		/* debug */
	ASSERT_STR_EQ(facts_key(f, 3), "mode");
	ASSERT_EQ(facts_kind(f, 3), FACT_STR);
	ASSERT_STR_EQ(facts_get(f, "url"), "http://x/?a=b");
	ASSERT_STR_EQ(facts_get(f, "empty"), "");
	facts_free(f);
}

TEST(facts_set_arg_errors_leave_the_store_alone)
{
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(facts_set_arg(f, "x", &err), TL_EINVAL);
	ASSERT_STR_EQ(err.msg, "fact 'x' must look like key=value");
	ASSERT_EQ(facts_set_arg(f, "=v", &err), TL_EINVAL);
	ASSERT_STR_EQ(err.msg, "fact '=v' must look like key=value");
	ASSERT_EQ(facts_set_arg(f, "a b=1", &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "bad fact key 'a b'");
	ASSERT_EQ(facts_set_arg(f, "k=a\nb", &err), TL_EINVAL);
	ASSERT_STR_EQ(err.msg, "value of fact 'k' holds a control character");
	ASSERT_EQ(facts_count(f), 0);
	facts_free(f);
}

TEST(facts_merge_overrides)
{
	struct facts *f = facts_new(), *user = facts_new();

	facts_set(f, "os", FACT_STR, "linux");
	facts_set(f, "cpus", FACT_NUM, "8");
	facts_set(user, "cpus", FACT_NUM, "2");
	facts_set(user, "role", FACT_STR, "web");
	facts_merge(f, user);
	ASSERT_EQ(facts_count(f), 3);
	ASSERT_STR_EQ(facts_get(f, "cpus"), "2");
	ASSERT_STR_EQ(facts_get(f, "role"), "web");
	ASSERT_STR_EQ(facts_get(f, "os"), "linux");
	facts_free(f);
	facts_free(user);
}

/* --- output --- */

TEST(facts_to_json_nests_and_types)
{
	struct facts *f = facts_new();
	struct buf b = BUF_INIT;

	facts_to_json(f, &b);
	ASSERT_STR_EQ(b.data, "{}");
	buf_reset(&b);
	facts_set(f, "os", FACT_STR, "li\"nux");
	facts_set(f, "cpus", FACT_NUM, "4");
	facts_set(f, "virtual", FACT_BOOL, "false");
	facts_set(f, "interfaces.eth0.ipv4", FACT_STR, "10.0.0.1");
	facts_set(f, "interfaces.eth0.mac", FACT_STR, "aa:bb");
	facts_set(f, "interfaces.lo.ipv4", FACT_STR, "127.0.0.1");
	facts_set(f, "interfaces-count", FACT_NUM, "2");
	facts_set(f, "a.b.c.d", FACT_NUM, "-1.5");
	facts_to_json(f, &b);
	ASSERT_STR_EQ(b.data,
	    "{\n"
	    "  \"a\": {\n"
	    "    \"b\": {\n"
	    "      \"c\": {\n"
	    "        \"d\": -1.5\n"
	    "      }\n"
	    "    }\n"
	    "  },\n"
	    "  \"cpus\": 4,\n"
	    "  \"interfaces\": {\n"
	    "    \"eth0\": {\n"
	    "      \"ipv4\": \"10.0.0.1\",\n"
	    "      \"mac\": \"aa:bb\"\n"
	    "    },\n"
	    "    \"lo\": {\n"
	    "      \"ipv4\": \"127.0.0.1\"\n"
	    "    }\n"
	    "  },\n"
	    "  \"interfaces-count\": 2,\n"
	    "  \"os\": \"li\\\"nux\",\n"
	    "  \"virtual\": false\n"
	    "}");
	buf_release(&b);
	facts_free(f);
}

TEST(facts_to_text_aligns_and_sorts)
{
	struct facts *f = facts_new();
	struct buf b = BUF_INIT;

	facts_set(f, "os", FACT_STR, "linux");
	facts_set(f, "interfaces.lo.ipv4", FACT_STR, "127.0.0.1");
	facts_set(f, "cpus", FACT_NUM, "4");
	facts_set(f, "codename", FACT_STR, "");
	facts_to_text(f, &b);
	ASSERT_STR_EQ(b.data,
	    "codename           =>\n"
	    "cpus               => 4\n"
	    "interfaces.lo.ipv4 => 127.0.0.1\n"
	    "os                 => linux\n");
	buf_release(&b);
	facts_free(f);
}

/* --- os.c --- */

TEST(facts_osrel_get_unquotes)
{
	static const char text[] =
	    "# comment\n"
	    "ID_LIKE=\"rhel centos fedora\"\n"
	    "ID=rocky\n"
	    "PRETTY_NAME='Rocky Linux 9'\n"
	    "NAME=\"say \\\"hi\\\" \\$x\"\n"
	    "  VERSION_ID=\"9.3\" # trailing\n"
	    "EMPTY=";
	struct buf b = BUF_INIT;

	ASSERT_EQ(facts_osrel_get(text, strlen(text), "ID", &b), 1);
	ASSERT_STR_EQ(b.data, "rocky");
	buf_reset(&b);
	ASSERT_EQ(facts_osrel_get(text, strlen(text), "ID_LIKE", &b), 1);
	ASSERT_STR_EQ(b.data, "rhel centos fedora");
	buf_reset(&b);
	ASSERT_EQ(facts_osrel_get(text, strlen(text), "PRETTY_NAME", &b), 1);
	ASSERT_STR_EQ(b.data, "Rocky Linux 9");
	buf_reset(&b);
	ASSERT_EQ(facts_osrel_get(text, strlen(text), "NAME", &b), 1);
	ASSERT_STR_EQ(b.data, "say \"hi\" $x");
	buf_reset(&b);
	ASSERT_EQ(facts_osrel_get(text, strlen(text), "VERSION_ID", &b), 1);
	ASSERT_STR_EQ(b.data, "9.3");
	buf_reset(&b);
	ASSERT_EQ(facts_osrel_get(text, strlen(text), "VERSION", &b), 0);
	ASSERT_EQ(facts_osrel_get(text, strlen(text), "comment", &b), 0);
	ASSERT_EQ(b.len, 0);
	buf_release(&b);
}

TEST(facts_family_from_id_and_id_like)
{
	ASSERT_STR_EQ(facts_family_of("debian", NULL), "debian");
	ASSERT_STR_EQ(facts_family_of("ubuntu", "debian"), "debian");
	ASSERT_STR_EQ(facts_family_of("rocky", "rhel centos fedora"),
	    "redhat");
	ASSERT_STR_EQ(facts_family_of("fedora", NULL), "redhat");
	ASSERT_STR_EQ(facts_family_of("opensuse-leap", "suse opensuse"),
	    "suse");
	ASSERT_STR_EQ(facts_family_of("alpine", NULL), "alpine");
	ASSERT_STR_EQ(facts_family_of("someday", "  arch "), "arch");
	ASSERT_STR_EQ(facts_family_of("freebsd", NULL), "bsd");
	ASSERT(facts_family_of("gentoo", NULL) == NULL);
	ASSERT(facts_family_of(NULL, "debianish") == NULL);
	ASSERT(facts_family_of(NULL, NULL) == NULL);
}

TEST(facts_numeric_version_cuts_suffixes)
{
	static const char *const cases[][2] = {
		{ "6.1.0-18-amd64", "6.1.0" }, { "14.0-RELEASE-p3", "14.0" },
		{ "7.4", "7.4" }, { "10", "10" }, { "5.", "5" },
		{ "x1", "" }, { "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;

		facts_numeric_version(cases[i][0], &b);
		ASSERT_STR_EQ(b.data, cases[i][1]);
		buf_release(&b);
	}
}

/* --- net.c --- */

TEST(facts_fqdn_from_hosts_file)
{
	static const char hosts[] =
	    "127.0.0.1\tlocalhost\n"
	    "# 10.0.0.9 web1.wrong.org web1\n"
	    "10.0.0.8 web10.example.org web10\n"
	    "127.0.1.1   web1.example.org\tweb1 # ours\n"
	    "::1 ip6-localhost web1.other.org\n";
	struct buf b = BUF_INIT;

	ASSERT_EQ(facts_fqdn_from_hosts(hosts, strlen(hosts), "web1", &b), 1);
	ASSERT_STR_EQ(b.data, "web1.example.org");
	buf_reset(&b);
	ASSERT_EQ(facts_fqdn_from_hosts(hosts, strlen(hosts), "db", &b), 0);
	ASSERT_EQ(facts_fqdn_from_hosts(hosts, strlen(hosts), "localhost",
	    &b), 0);
	/* The address column never counts as a name. */
	ASSERT_EQ(facts_fqdn_from_hosts(hosts, strlen(hosts), "127", &b), 0);
	ASSERT_EQ(facts_fqdn_from_hosts(hosts, strlen(hosts), "", &b), 0);
	ASSERT_EQ(b.len, 0);
	buf_release(&b);
}

TEST(facts_ifname_key_replaces_dots)
{
	struct buf b = BUF_INIT;

	facts_ifname_key("eth0.100", &b);
	buf_addch(&b, ' ');
	facts_ifname_key("eth0:1", &b);
	buf_addch(&b, ' ');
	facts_ifname_key("br-lan_2", &b);
	ASSERT_STR_EQ(b.data, "eth0_100 eth0_1 br-lan_2");
	buf_release(&b);
}

/* --- sys.c --- */

TEST(facts_detect_pkg_from_family_and_binaries)
{
	char *empty = test_path("empty"), *rh = test_path("rh");
	char *both = test_path("both"), *al = test_path("al");

	mkdir(empty, 0755);
	free(test_write("rh/usr/bin/yum", ""));
	free(test_write("both/usr/bin/yum", ""));
	free(test_write("both/usr/bin/dnf", ""));
	free(test_write("al/sbin/apk", ""));
	ASSERT_STR_EQ(facts_detect_pkg("linux", "redhat", rh), "yum");
	ASSERT_STR_EQ(facts_detect_pkg("linux", "redhat", both), "dnf");
	ASSERT_STR_EQ(facts_detect_pkg("linux", "redhat", empty), "dnf");
	ASSERT_STR_EQ(facts_detect_pkg("linux", "debian", empty), "apt");
	ASSERT_STR_EQ(facts_detect_pkg("linux", "gentoo", al), "apk");
	ASSERT_STR_EQ(facts_detect_pkg("openbsd", "bsd", empty), "pkg_add");
	ASSERT_STR_EQ(facts_detect_pkg("freebsd", "bsd", empty), "pkg");
	ASSERT(facts_detect_pkg("linux", "gentoo", empty) == NULL);
	ASSERT(facts_detect_pkg(NULL, NULL, empty) == NULL);
	free(empty);
	free(rh);
	free(both);
	free(al);
}

TEST(facts_detect_init_from_markers)
{
	char *sd = test_path("sd"), *tree = test_path("tree");
	char *rc = test_path("rc"), *sysv = test_path("sysv");
	char *empty = test_path("empty"), *link = test_path("tree/sbin/init");

	mkdir(empty, 0755);
	free(test_write("sd/run/systemd/system/.keep", ""));
	free(test_write("tree/sbin/.keep", ""));
	ASSERT_EQ(symlink("/lib/systemd/systemd", link), 0);
	free(test_write("rc/sbin/openrc-run", ""));
	free(test_write("rc/etc/init.d/sshd", ""));
	free(test_write("sysv/etc/init.d/ssh", ""));
	ASSERT_STR_EQ(facts_detect_init("linux", sd), "systemd");
	ASSERT_STR_EQ(facts_detect_init("linux", tree), "systemd");
	ASSERT_STR_EQ(facts_detect_init("linux", rc), "openrc");
	ASSERT_STR_EQ(facts_detect_init("linux", sysv), "sysv");
	ASSERT_STR_EQ(facts_detect_init("openbsd", empty), "rcctl");
	ASSERT_STR_EQ(facts_detect_init("freebsd", empty), "bsdrc");
	ASSERT(facts_detect_init("linux", empty) == NULL);
	free(sd);
	free(tree);
	free(rc);
	free(sysv);
	free(empty);
	free(link);
}

/* --- user.c --- */

TEST(facts_parse_lines_reads_key_values)
{
	static const char text[] =
	    "# site facts\r\n"
	    "\n"
	    "  role = web \r\n"
	    "weight=10\n"
	    "dc.rack=r7\n"
	    "url=http://x/?a=b";
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(facts_parse_lines(f, text, strlen(text), "t", &err), 0);
	ASSERT_EQ(facts_count(f), 4);
	ASSERT_STR_EQ(facts_get(f, "role"), "web");
	ASSERT_STR_EQ(facts_get(f, "weight"), "10");
	ASSERT_STR_EQ(facts_get(f, "dc.rack"), "r7");
	ASSERT_STR_EQ(facts_get(f, "url"), "http://x/?a=b");
	ASSERT_EQ(facts_kind(f, 3), FACT_NUM);	/* weight */
	facts_free(f);
}

TEST(facts_parse_lines_reports_file_and_line)
{
	static const char text[] = "a=1\n\njust words\nb=2\n";
	static const char nul[] = "a=1\nb=x\0y\n";
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(facts_parse_lines(f, text, strlen(text), "/d/site.txt",
	    &err), TL_ESYNTAX);
	ASSERT_EQ(err.code, TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "/d/site.txt:3");
	ASSERT_STR_EQ(err.msg, "expected key=value, got 'just words'");
	ASSERT_STR_EQ(facts_get(f, "a"), "1");
	ASSERT(facts_get(f, "b") == NULL);
	tl_err_clear(&err);
	ASSERT_EQ(facts_parse_lines(f, "x y=1", 5, "f", &err), TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "f:1");
	ASSERT_CONTAINS(err.msg, "bad fact key 'x y'");
	tl_err_clear(&err);
	ASSERT_EQ(facts_parse_lines(f, nul, sizeof(nul) - 1, "f", &err),
	    TL_ESYNTAX);
	ASSERT_STR_EQ(err.where, "f:2");
	ASSERT_STR_EQ(err.msg, "line holds a NUL byte");
	facts_free(f);
}

TEST(facts_user_files_and_programs)
{
	char *dir = test_path("facts.d");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	free(test_write("facts.d/10-site.txt", "role=web\ndc=ams\n"));
	free(test_write("facts.d/20-override.conf", "dc=fra\n"));
	free(test_write("facts.d/30-plain", "plain=yes\n"));
	free(test_write("facts.d/40-ignored.json", "{\"x\": 1}\n"));
	free(test_write("facts.d/.hidden", "hidden=1\n"));
	free(test_write("facts.d/50-backup.txt~", "backup=1\n"));
	write_exec("facts.d/60-prog.sh",
	    "#!/bin/sh\necho \"cwd=$(pwd)\"\necho weight=12\n");
	{
		char *sub = test_path("facts.d/sub");
		mkdir(sub, 0755);
		free(sub);
	}
	ASSERT_EQ(facts_gather_user(f, dir, 1, &err), 0);
	ASSERT_STR_EQ(facts_get(f, "role"), "web");
	ASSERT_STR_EQ(facts_get(f, "dc"), "fra");	/* later file wins */
	ASSERT_STR_EQ(facts_get(f, "plain"), "yes");
	ASSERT_STR_EQ(facts_get(f, "weight"), "12");
	ASSERT_STR_EQ(facts_get(f, "cwd"), dir);	/* runs in facts.d */
	ASSERT(facts_get(f, "x") == NULL);
	ASSERT(facts_get(f, "hidden") == NULL);
	ASSERT(facts_get(f, "backup") == NULL);
	ASSERT_EQ(facts_count(f), 5);
	facts_free(f);
	free(dir);
}

TEST(facts_user_program_failure_is_an_error)
{
	char *dir = test_path("d");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	write_exec("d/bad", "#!/bin/sh\necho 'no db' >&2\nexit 3\n");
	ASSERT_EQ(facts_gather_user(f, dir, 1, &err), TL_ECHILD);
	ASSERT_CONTAINS(err.msg, "/d/bad' exited with status 3: no db");
	facts_free(f);
	free(dir);
}

TEST(facts_user_program_bad_output_has_line)
{
	char *dir = test_path("d"), *where;
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	write_exec("d/prog", "#!/bin/sh\necho a=1\necho oops\n");
	ASSERT_EQ(facts_gather_user(f, dir, 1, &err), TL_ESYNTAX);
	where = test_path("d/prog:2");
	ASSERT_STR_EQ(err.where, where);
	free(where);
	facts_free(f);
	free(dir);
}

TEST(facts_user_refuses_world_writable)
{
	char *dir = test_path("d"), *p = test_write("d/open.txt", "a=1\n");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;

	chmod(p, 0666);
	ASSERT_EQ(facts_gather_user(f, dir, 1, &err), TL_EPERM);
	ASSERT_CONTAINS(err.msg, "anyone can write it");
	ASSERT_EQ(facts_count(f), 0);
	facts_free(f);
	free(dir);
	free(p);
}

TEST(facts_user_missing_dir)
{
	char *dir = test_path("nope");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;
	struct facts_opts o = { 0 };

	ASSERT_EQ(facts_gather_user(f, dir, 0, &err), 0);
	ASSERT_EQ(facts_gather_user(f, dir, 1, &err), TL_ENOENT);
	ASSERT_CONTAINS(err.msg, "does not exist");
	o.facts_d = dir;
	o.root = dir;
	ASSERT_EQ(facts_gather(f, &o, &err), TL_ENOENT);
	facts_free(f);
	free(dir);
}

/* --- facts_gather --- */

TEST(facts_gather_reads_the_root_tree)
{
	char *root = test_path("root"), *fd = test_path("fd");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;
	struct facts_opts o = { 0 };
	const char *v;

	free(test_write("root/etc/os-release", "NAME=\"Alpine Linux\"\n"
	    "ID=alpine\nVERSION_ID=3.19.1\n"));
	free(test_write("root/etc/timezone", "Europe/Amsterdam\n"));
	free(test_write("root/sbin/openrc", ""));
	free(test_write("fd/site.txt", "role=db\ncpus=64\n"));
	o.root = root;
	o.facts_d = fd;
	ASSERT_EQ(facts_gather(f, &o, &err), 0);
	ASSERT_STR_EQ(facts_get(f, "distribution"), "alpine");
	ASSERT_STR_EQ(facts_get(f, "version"), "3.19.1");
	ASSERT_STR_EQ(facts_get(f, "family"), "alpine");
	ASSERT(facts_get(f, "codename") == NULL);
	ASSERT_STR_EQ(facts_get(f, "package_manager"), "apk");
	ASSERT_STR_EQ(facts_get(f, "init_system"), "openrc");
	ASSERT_STR_EQ(facts_get(f, "timezone"), "Europe/Amsterdam");
	ASSERT_STR_EQ(facts_get(f, "role"), "db");
	ASSERT_STR_EQ(facts_get(f, "cpus"), "64");	/* user wins */
	/* Host facts are there and typed. */
	ASSERT((v = facts_get(f, "hostname")) != NULL);
	ASSERT(strchr(v, '.') == NULL);
	ASSERT_STR_EQ(facts_get(f, "name"), v);
	ASSERT(facts_get(f, "fqdn") != NULL);
	ASSERT(facts_get(f, "os") != NULL);
	ASSERT(facts_get(f, "kernel") != NULL);
	ASSERT(facts_get(f, "arch") != NULL);
	ASSERT((v = facts_get(f, "memory_mb")) != NULL);
	ASSERT(atol(v) > 0);
	ASSERT(facts_get(f, "uptime_seconds") != NULL);
	for (size_t i = 0; i < facts_count(f); i++)
		if (strcmp(facts_key(f, i), "memory_mb") == 0)
			ASSERT_EQ(facts_kind(f, i), FACT_NUM);
	facts_free(f);
	free(root);
	free(fd);
}

TEST(facts_gather_finds_loopback)
{
	char *root = test_path("r"), *fd = test_path("fd");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;
	struct facts_opts o = { fd, root };
	struct buf b = BUF_INIT;
	const char *lo = NULL;
	char *mac;

	mkdir(root, 0755);
	mkdir(fd, 0755);
	ASSERT_EQ(facts_gather(f, &o, &err), 0);
	/* lo on Linux, lo0 on the BSDs. */
	for (size_t i = 0; i < facts_count(f); i++)
		if (strcmp(facts_value(f, i), "127.0.0.1") == 0 &&
		    strncmp(facts_key(f, i), "interfaces.", 11) == 0)
			lo = facts_key(f, i);
	ASSERT(lo != NULL);
	ASSERT_CONTAINS(lo, ".ipv4");
	/* Loopback has no MAC and is never the node's address. */
	mac = xstrndup(lo, strlen(lo) - 4);
	buf_addstr(&b, mac);
	buf_addstr(&b, "mac");
	ASSERT(facts_get(f, b.data) == NULL);
	ASSERT(facts_get(f, "ipaddress") == NULL ||
	    strcmp(facts_get(f, "ipaddress"), "127.0.0.1") != 0);
	free(mac);
	buf_release(&b);
	facts_free(f);
	free(root);
	free(fd);
}

/* Lazy sources: the store reads as the eager order made it (built-in
 * first, user facts over them), whichever fact is read first. */
TEST(facts_lazy_reads_as_eager)
{
	char *root = test_path("r"), *fd = test_path("fd");
	struct facts *eager = facts_new(), *lazy, *over;
	struct tl_err err = TL_ERR_INIT;
	struct facts_opts o = { fd, root };
	const char *first[] = { "package_manager", "interfaces", "cpus",
	    "hostname", "os", "role" };
	char *want, *got;

	mkdir(root, 0755);
	free(test_write("fd/site.txt", "role=db\nos=plan9\n"
	    "interfaces=flat\ncpus.n=3\n"));
	/* The eager order by hand: built-in, then facts.d over it. */
	facts_gather_builtin(eager, root);
	ASSERT_EQ(facts_gather_user(eager, fd, 1, &err), 0);
	want = keys_of(eager);
	for (size_t k = 0; k < sizeof(first) / sizeof(first[0]); k++) {
		lazy = facts_new();
		ASSERT_EQ(facts_gather(lazy, &o, &err), 0);
		(void)facts_get(lazy, first[k]);	/* read first */
		ASSERT_STR_EQ(facts_get(lazy, "os"), "plan9");
		ASSERT_STR_EQ(facts_get(lazy, "interfaces"), "flat");
		ASSERT(facts_get(lazy, "interfaces.lo.ipv4") == NULL);
		ASSERT(facts_get(lazy, "cpus") == NULL);	/* cpus.n won */
		got = keys_of(lazy);
		ASSERT_STR_EQ(got, want);
		free(got);
		for (size_t i = 0; i < facts_count(eager); i++)
			if (strcmp(facts_key(eager, i), "uptime_seconds"))
				ASSERT_STR_EQ(facts_get(lazy,
				    facts_key(eager, i)),
				    facts_value(eager, i));
		facts_free(lazy);
	}
	/* --fact (facts_merge) before the first read wins too. */
	lazy = facts_new();
	over = facts_new();
	ASSERT_EQ(facts_gather(lazy, &o, &err), 0);
	facts_set(over, "hostname", FACT_STR, "given");
	facts_merge(lazy, over);
	ASSERT_STR_EQ(facts_get(lazy, "hostname"), "given");
	ASSERT(facts_get(lazy, "fqdn") != NULL);
	free(want);
	facts_free(over);
	facts_free(lazy);
	facts_free(eager);
	free(root);
	free(fd);
}

TEST(facts_range_gathers_one_name)
{
	char *root = test_path("r"), *fd = test_path("fd");
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;
	struct facts_opts o = { fd, root };
	size_t i, n;

	mkdir(root, 0755);
	mkdir(fd, 0755);
	ASSERT_EQ(facts_gather(f, &o, &err), 0);
	i = facts_range(f, "interfaces", 10, &n);
	ASSERT(n > 0);
	for (size_t k = i; k < i + n; k++)
		ASSERT(strncmp(facts_key(f, k), "interfaces.", 11) == 0);
	i = facts_range(f, "cpus", 4, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(facts_key(f, i), "cpus");
	facts_range(f, "nosuch", 6, &n);
	ASSERT_EQ(n, 0);
	facts_free(f);
	free(root);
	free(fd);
}

/* --- platform --- */

TEST(platform_sysctl_u64_decodes_4_and_8_bytes)
{
	int32_t v32 = 123456, neg = -5;
	int64_t v64 = 17179869184LL;
	uint64_t out = 7;

	ASSERT_EQ(platform_sysctl_u64(&v32, 4, &out), 0);
	ASSERT_EQ(out, 123456);
	ASSERT_EQ(platform_sysctl_u64(&v64, 8, &out), 0);
	ASSERT_EQ(out, 17179869184LL);
	ASSERT_EQ(platform_sysctl_u64(&neg, 4, &out), -1);
	ASSERT_EQ(out, 0);
	ASSERT_EQ(platform_sysctl_u64(&v64, 3, &out), -1);
	ASSERT_EQ(platform_uptime_from_boot(1000, 400), 600);
	ASSERT_EQ(platform_uptime_from_boot(400, 1000), 0);
}

TEST(platform_host_values_are_sane)
{
	uint64_t v;

	ASSERT(platform_cpu_count() >= 1);
	ASSERT_EQ(platform_mem_total(&v), 0);
	ASSERT(v > 16 * 1024 * 1024);
	ASSERT_EQ(platform_uptime(&v), 0);
}

#ifdef __linux__
TEST(platform_link_mac_reads_af_packet)
{
	struct sockaddr_ll ll = { 0 };
	struct sockaddr_storage in = { 0 };
	uint8_t mac[6] = { 0 };

	ll.sll_family = AF_PACKET;
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, "\x02\xfc\x00\x00\x00\x01", 6);
	ASSERT_EQ(platform_link_mac((struct sockaddr *)&ll, mac), 1);
	ASSERT_MEM_EQ(mac, "\x02\xfc\x00\x00\x00\x01", 6);
	ll.sll_halen = 0;
	ASSERT_EQ(platform_link_mac((struct sockaddr *)&ll, mac), 0);
	in.ss_family = AF_INET;
	ASSERT_EQ(platform_link_mac((struct sockaddr *)&in, mac), 0);
	ASSERT_EQ(platform_link_mac(NULL, mac), 0);
}
#endif
