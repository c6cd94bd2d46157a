/* Package providers: every parser against real captured output (or the
 * documented samples, see tests/system/captures/README.md), and the
 * commands of one transaction. */
#include "test.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "providers/providers.h"

#define CAPTURES "tests/system/captures/"

static char *
capture(const char *name)
{
	struct buf b = BUF_INIT;
	char *path = NULL;
	size_t n = strlen(CAPTURES) + strlen(name) + 1;

	path = malloc(n);
	snprintf(path, n, "%s%s", CAPTURES, name);
	if (fileio_read(path, 1 << 20, &b, NULL) < 0)
		test_fail(__FILE__, __LINE__, "cannot read %s (run from the "
		    "repository root)", path);
	free(path);
	return buf_detach(&b, NULL);
}

static const char *
installed(struct pkg_set *s, const char *name)
{
	struct pkg_state *p = pkg_set_get(s, name, 0);

	return p && p->installed ? p->installed : "(absent)";
}

TEST(pkg_apt_parses_dpkg_query)
{
	char *out = capture("dpkg-query.out");
	struct pkg_set s = { 0 };

	pkg_parse_query(&pkg_apt, out, strlen(out), &s);
	ASSERT_STR_EQ(installed(&s, "dpkg"), "1.21.22");
	ASSERT_STR_EQ(installed(&s, "bash"), "5.2.15-2+b8");
	ASSERT_STR_EQ(installed(&s, "nosuchpkg"), "(absent)");
	ASSERT_EQ(s.n, 2);
	pkg_set_release(&s);
	free(out);
}

TEST(pkg_apt_status_letters)
{
	const char *out = "a\tii \t1.0\nb\trc \t2.0\nc\tiU \t3.0\n"
	    "d\tun \t\nbroken-line\n";
	struct pkg_set s = { 0 };

	pkg_parse_query(&pkg_apt, out, strlen(out), &s);
	ASSERT_STR_EQ(installed(&s, "a"), "1.0");
	ASSERT_STR_EQ(installed(&s, "b"), "(absent)");
	ASSERT(pkg_set_get(&s, "b", 0)->is_config);
	ASSERT_STR_EQ(installed(&s, "c"), "3.0");
	ASSERT(pkg_set_get(&s, "c", 0)->is_broken);
	ASSERT(pkg_set_get(&s, "d", 0) == NULL);
	pkg_set_release(&s);
}

TEST(pkg_apt_parses_policy)
{
	char *out = capture("apt-cache-policy.out");
	char *err = capture("apt-cache-policy.err");
	const char *unknown = "N: Unable to locate package zzz\n";
	struct pkg_set s = { 0 };

	pkg_parse_candidates(&pkg_apt, out, strlen(out), err, strlen(err),
	    &s);
	ASSERT_STR_EQ(pkg_set_get(&s, "dpkg", 0)->candidate, "1.21.23");
	ASSERT(pkg_set_get(&s, "nosuchpkg", 0) == NULL);
	pkg_parse_candidates(&pkg_apt, "", 0, unknown, strlen(unknown), &s);
	ASSERT(pkg_set_get(&s, "zzz", 0)->is_unknown);
	ASSERT_CONTAINS(pkg_set_get(&s, "zzz", 0)->unknown_msg,
	    "Unable to locate package zzz");
	pkg_set_release(&s);
	free(out);
	free(err);
}

TEST(pkg_apt_one_transaction)
{
	struct argv cmds[2] = { ARGV_INIT, ARGV_INIT };
	struct pkg_want w[] = {
		{ "a", NULL, PKG_INSTALL, 0, NULL },
		{ "b", "1.2-3", PKG_INSTALL, 0, NULL },
		{ "c", NULL, PKG_REMOVE, 0, NULL },
		{ "d", NULL, PKG_PURGE, 0, NULL },
	};
	char *cmd;

	ASSERT_EQ(pkg_txn_argv(&pkg_apt, cmds, w, 4, 30), 1);
	cmd = argv_join(&cmds[0]);
	ASSERT_CONTAINS(cmd, "apt-get -y -q -oDPkg::Lock::Timeout=30 ");
	ASSERT_CONTAINS(cmd, " install a b=1.2-3 c- d_");
	free(cmd);
	argv_release(&cmds[0]);
}

TEST(pkg_rpm_parses_real_rpm_q)
{
	char *out = capture("rpm-q.out");
	struct pkg_set s = { 0 };
	struct argv cmds[2] = { ARGV_INIT, ARGV_INIT };
	struct pkg_want w[] = {
		{ "a", NULL, PKG_INSTALL, 0, NULL },
		{ "b", "2:1.0-1", PKG_INSTALL, 0, NULL },
		{ "c", NULL, PKG_REMOVE, 0, NULL },
	};
	char *c0, *c1;

	pkg_parse_query(&pkg_dnf, out, strlen(out), &s);
	ASSERT_STR_EQ(installed(&s, "tl-rpm"), "1.2-3");
	ASSERT_STR_EQ(installed(&s, "tl-epoch"), "2:0.9-1");
	ASSERT_STR_EQ(installed(&s, "nosuchpkg"), "(absent)");
	ASSERT_EQ(pkg_txn_argv(&pkg_dnf, cmds, w, 3, 0), 2);
	c0 = argv_join(&cmds[0]);
	c1 = argv_join(&cmds[1]);
	ASSERT_STR_EQ(c0, "dnf -y install a b-2:1.0-1");
	ASSERT_STR_EQ(c1, "dnf -y remove c");
	free(c0);
	free(c1);
	argv_release(&cmds[0]);
	argv_release(&cmds[1]);
	pkg_set_release(&s);
	free(out);
}

/* `dnf install NAME` leaves an older installed NAME alone ("already
 * installed"), so ensure = "latest" must name the newer version; apt's
 * install upgrades by name, and keeps doing so. */
TEST(pkg_upgrade_names_the_version_only_where_the_tool_needs_it)
{
	struct argv cmds[2] = { ARGV_INIT, ARGV_INIT };
	struct pkg_want w[] = {
		{ "up", NULL, PKG_INSTALL, 0, "1.1-1" },
		{ "new", NULL, PKG_INSTALL, 0, NULL },
	};
	char *cmd;

	ASSERT_EQ(pkg_txn_argv(&pkg_dnf, cmds, w, 2, 0), 1);
	cmd = argv_join(&cmds[0]);
	ASSERT_STR_EQ(cmd, "dnf -y install up-1.1-1 new");
	free(cmd);
	argv_release(&cmds[0]);
	ASSERT_EQ(pkg_txn_argv(&pkg_apt, cmds, w, 2, 0), 1);
	cmd = argv_join(&cmds[0]);
	ASSERT_CONTAINS(cmd, " install up new");
	free(cmd);
	argv_release(&cmds[0]);
}

TEST(pkg_pacman_parses_real_pacman_q)
{
	char *out = capture("pacman-Q.out");
	const char *err = "error: target not found: nope\n";
	const char *sp = "bash 5.2.037-1\n";
	struct pkg_set s = { 0 };

	pkg_parse_query(&pkg_pacman, out, strlen(out), &s);
	ASSERT_STR_EQ(installed(&s, "bash"), "5.2.026-1");
	ASSERT_STR_EQ(installed(&s, "zlib"), "1:1.3.1-2");
	ASSERT_STR_EQ(installed(&s, "nosuchpkg"), "(absent)");
	pkg_parse_candidates(&pkg_pacman, sp, strlen(sp), err, strlen(err),
	    &s);
	ASSERT_STR_EQ(pkg_set_get(&s, "bash", 0)->candidate, "5.2.037-1");
	ASSERT(pkg_set_get(&s, "nope", 0)->is_unknown);
	pkg_set_release(&s);
	free(out);
}

TEST(pkg_apk_freebsd_openbsd_samples)
{
	char *apk = capture("apk-info-v.sample");
	char *fb = capture("freebsd-pkg-query.sample");
	char *ob = capture("openbsd-pkg_info-q.sample");
	struct pkg_set a = { 0 }, f = { 0 }, o = { 0 };

	pkg_parse_query(&pkg_apk, apk, strlen(apk), &a);
	ASSERT_STR_EQ(installed(&a, "busybox"), "1.36.1-r29");
	ASSERT_STR_EQ(installed(&a, "py3-setuptools"), "70.3.0-r0");
	ASSERT_STR_EQ(installed(&a, "ca-certificates-bundle"),
	    "20240705-r0");
	pkg_parse_query(&pkg_freebsd, fb, strlen(fb), &f);
	ASSERT_STR_EQ(installed(&f, "sudo"), "1.9.15p5_4");
	pkg_parse_query(&pkg_openbsd, ob, strlen(ob), &o);
	ASSERT_STR_EQ(installed(&o, "rsync"), "3.3.0p0-iconv");
	ASSERT_STR_EQ(installed(&o, "py3-setuptools"), "68.0.0p0v0");
	pkg_set_release(&a);
	pkg_set_release(&f);
	pkg_set_release(&o);
	free(apk);
	free(fb);
	free(ob);
}

/* Real apk output found in public sources (captures/README.md). The
 * WARNING lines are apk's stderr, pasted with stdout as the terminal
 * showed them; the one package is a virtual one, without -rN. */
TEST(pkg_apk_parses_real_apk_info_v)
{
	char *apk = capture("apk-info-v.real");
	struct pkg_set s = { 0 };

	pkg_parse_query(&pkg_apk, apk, strlen(apk), &s);
	ASSERT_EQ(s.n, 1);
	ASSERT_STR_EQ(installed(&s, ".python-rundeps"), "20240627.001414");
	ASSERT(pkg_set_get(&s, "WARNING:", 0) == NULL);
	pkg_set_release(&s);
	free(apk);
}

/* `apk -vv info | sort` (the -v lines with " - description" added). */
TEST(pkg_apk_parses_real_apk_info_vv)
{
	char *apk = capture("apk-info-vv.real");
	struct pkg_set s = { 0 };

	pkg_parse_query(&pkg_apk, apk, strlen(apk), &s);
	ASSERT_EQ(s.n, 58);
	ASSERT_STR_EQ(installed(&s, "acct"), "6.6.2-r0");
	ASSERT_STR_EQ(installed(&s, "apk-tools"), "2.6.8-r1");
	ASSERT_STR_EQ(installed(&s, "c-client"), "2007f-r4");
	ASSERT_STR_EQ(installed(&s, "kmod"), "23-r1");
	ASSERT_STR_EQ(installed(&s, "libcrypto1.0"), "1.0.2j-r2");
	ASSERT_STR_EQ(installed(&s, "libressl2.4-libcrypto"), "2.4.4-r0");
	ASSERT_STR_EQ(installed(&s, "libstdc++"), "6.2.1-r1");
	ASSERT_STR_EQ(installed(&s, "openssh-sftp-server"), "7.4_p1-r0");
	ASSERT_STR_EQ(installed(&s, "syslinux"), "6.04_pre1-r0");
	ASSERT_STR_EQ(installed(&s, "zlib"), "1.2.8-r2");
	ASSERT_STR_EQ(installed(&s, "openssh"), "7.4_p1-r0");
	pkg_set_release(&s);
	free(apk);
}

/* Real OpenBSD `pkg_info` (-a) output: `pkg_info -q` prints the same
 * first column without the comment. */
TEST(pkg_openbsd_parses_real_pkg_info)
{
	char *ob = capture("openbsd-pkg_info.real");
	struct pkg_set s = { 0 };

	pkg_parse_query(&pkg_openbsd, ob, strlen(ob), &s);
	ASSERT_EQ(s.n, 10);
	ASSERT_STR_EQ(installed(&s, "bash"), "3.1.17");
	ASSERT_STR_EQ(installed(&s, "gettext"), "0.14.5p1");
	ASSERT_STR_EQ(installed(&s, "libiconv"), "1.9.2p3");
	ASSERT_STR_EQ(installed(&s, "python"), "2.4.3p0");
	ASSERT_STR_EQ(installed(&s, "vim"), "7.0.42-no_x11");
	ASSERT_STR_EQ(installed(&s, "wget"), "1.10.2p0");
	pkg_set_release(&s);
	free(ob);
}

TEST(pkg_split_name_version)
{
	char s1[] = "py3-foo-1.2-r0", s2[] = "bash-5.2.26", s3[] = "noversion";
	char *n, *v;

	ASSERT_EQ(prov_split_name_version(s1, 0, &n, &v), 0);
	ASSERT_STR_EQ(n, "py3-foo");
	ASSERT_STR_EQ(v, "1.2-r0");
	ASSERT_EQ(prov_split_name_version(s2, 1, &n, &v), 0);
	ASSERT_STR_EQ(n, "bash");
	ASSERT_EQ(prov_split_name_version(s3, 1, &n, &v), -1);
}

TEST(pkg_provider_tables)
{
	for (size_t i = 0; pkg_providers[i] != NULL; i++) {
		const struct pkg_provider *p = pkg_providers[i];

		ASSERT(p->query != NULL && p->query_line != NULL);
		ASSERT((p->candidates == NULL) == (p->candidate_line == NULL));
		ASSERT((p->txn == NULL) != (p->txn_argv == NULL));
		ASSERT(pkg_provider_find(pkg_providers[i]->name) ==
		    pkg_providers[i]);
	}
	ASSERT(pkg_provider_find("zypper") == NULL);
}

/* A query names the packages, unless the tool lists every installed one
 * (apk info -v); the candidate query always names them. */
TEST(pkg_query_argv_names_the_packages_unless_the_tool_lists_all)
{
	const char *names[] = { "a", "b" };
	struct argv a = ARGV_INIT;
	char *cmd;

	pkg_query_argv(&pkg_pacman, 0, &a, names, 2);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "pacman -Q a b");
	free(cmd);
	argv_release(&a);
	pkg_query_argv(&pkg_apk, 0, &a, names, 2);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "apk info -v");
	free(cmd);
	argv_release(&a);
	pkg_query_argv(&pkg_apk, 1, &a, names, 2);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "apk list a b");
	free(cmd);
	argv_release(&a);
}

TEST(pkg_prov_tail_quotes_last_lines)
{
	struct buf b = BUF_INIT;
	const char *t = "Reading package lists...\nE: Unable to locate "
	    "package x\n\n";

	prov_tail(&b, t, strlen(t));
	ASSERT_STR_EQ(b.data, "Reading package lists...; E: Unable to "
	    "locate package x");
	buf_release(&b);
}

/* `tlaloc resources` says how each provider is proven: none is left out
 * when one is added. */
static int
proof_names(const char *proof, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = proof; (p = strstr(p, name)) != NULL; p++)
		if ((p == proof || p[-1] == '\n') &&
		    (p[n] == ':' || p[n] == ' '))
			return 1;
	return 0;
}

TEST(every_provider_says_how_it_is_tested)
{
	for (size_t i = 0; pkg_providers[i] != NULL; i++)
		ASSERT_EQ(proof_names(PKG_PROVIDER_PROOF,
		    pkg_providers[i]->name), 1);
	for (size_t i = 0; svc_providers[i] != NULL; i++)
		ASSERT_EQ(proof_names(SVC_PROVIDER_PROOF,
		    svc_providers[i]->name), 1);
	ASSERT_EQ(proof_names(ACCT_PROVIDER_PROOF, acct_shadow.name), 1);
	ASSERT_EQ(proof_names(ACCT_PROVIDER_PROOF, acct_pw.name), 1);
	ASSERT_EQ(proof_names(ACCT_PROVIDER_PROOF, acct_openbsd.name), 1);
	ASSERT_EQ(proof_names(PKG_PROVIDER_PROOF, "nosuch"), 0);
}
