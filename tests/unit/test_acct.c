/* Accounts: reading passwd/shadow/group text, and the commands each
 * provider builds (the password hash never in shadow's argv). */
#include "test.h"

#include <stdlib.h>

#include "core/buf.h"
#include "providers/providers.h"

static const char passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment\n"
    "deploy:x:1500:1600:Deploy user:/home/deploy:/bin/sh\n"
    "broken:line\n";
static const char master[] =
    "root:$2b$hash:0:0::0:0:Charlie &:/root:/bin/ksh\n";
static const char shadow[] = "deploy:$6$s$h:19000:0:99999:7:::\n";
static const char group[] =
    "root:x:0:\nwww:x:1600:deploy,alice\nops:x:1601:alice\n"
    "dev:x:1602:deploy\n";

TEST(acct_passwd_and_master_passwd)
{
	struct acct_user u;

	ASSERT(acct_passwd_find(passwd, "deploy", &u));
	ASSERT_EQ(u.uid, 1500);
	ASSERT_EQ(u.gid, 1600);
	ASSERT_STR_EQ(u.comment, "Deploy user");
	ASSERT_STR_EQ(u.home, "/home/deploy");
	ASSERT_STR_EQ(u.shell, "/bin/sh");
	acct_user_release(&u);
	ASSERT(!acct_passwd_find(passwd, "broken", &u));
	ASSERT(!acct_passwd_find(passwd, "depl", &u));
	ASSERT(acct_passwd_find(master, "root", &u));
	ASSERT_STR_EQ(u.shell, "/bin/ksh");
	ASSERT_STR_EQ(u.hash, "$2b$hash");
	acct_user_release(&u);
}

TEST(acct_shadow_group_and_owners)
{
	struct acct_group g;
	char *hash, *owner, **gs;
	size_t n;

	ASSERT(acct_shadow_hash(shadow, "deploy", &hash));
	ASSERT_STR_EQ(hash, "$6$s$h");
	free(hash);
	ASSERT(acct_group_find(group, "www", &g));
	ASSERT_EQ(g.gid, 1600);
	ASSERT_EQ(g.nmembers, 2);
	ASSERT_STR_EQ(g.members[1], "alice");
	acct_group_release(&g);
	gs = acct_groups_of(group, "deploy", &n);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(gs[0], "dev");
	ASSERT_STR_EQ(gs[1], "www");
	acct_names_free(gs);
	owner = acct_uid_owner(passwd, 0, NULL);
	ASSERT_STR_EQ(owner, "root");
	free(owner);
	ASSERT(acct_uid_owner(passwd, 1500, "deploy") == NULL);
	owner = acct_gid_owner(group, 1601, NULL);
	ASSERT_STR_EQ(owner, "ops");
	free(owner);
}

TEST(acct_shadow_commands)
{
	const char *groups[] = { "www", "ops" };
	struct acct_spec s = { "deploy", 1500, "www", groups, 2, "/home/d",
	    "/bin/bash", NULL, 1, 0, 0 };
	struct argv a = ARGV_INIT;
	struct buf in = BUF_INIT;
	char *cmd;

	ASSERT_EQ(acct_shadow.user_argv(&a, "/tmp/tree", ACCT_ADD, &s), 1);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "useradd --root /tmp/tree --uid=1500 --gid=www "
	    "-G www,ops --home-dir=/home/d --create-home --shell=/bin/bash "
	    "deploy");
	free(cmd);
	argv_release(&a);
	acct_shadow.passwd_argv(&a, "/", "deploy", "$6$secret", &in);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "chpasswd --encrypted");
	ASSERT_STR_EQ(in.data, "deploy:$6$secret\n");
	free(cmd);
	argv_release(&a);
	buf_release(&in);
	s.purge_home = 0;
	acct_shadow.user_argv(&a, "/", ACCT_DELETE, &s);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "userdel deploy");	/* the home stays */
	free(cmd);
	argv_release(&a);
}

TEST(acct_pw_and_openbsd_commands)
{
	struct acct_spec s = { "www", 1600, NULL, NULL, 0, NULL, NULL, NULL,
	    0, 0, 0 };
	struct argv a = ARGV_INIT;
	char *cmd;

	ASSERT_EQ(acct_pw.group_argv(&a, "/jail", ACCT_ADD, &s), 1);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "pw -R /jail groupadd www -g1600");
	free(cmd);
	argv_release(&a);
	ASSERT_EQ(acct_openbsd.group_argv(&a, "/", ACCT_MODIFY, &s), 0);
	cmd = argv_join(&a);
	ASSERT_STR_EQ(cmd, "groupmod -g 1600 www");
	free(cmd);
	argv_release(&a);
}
