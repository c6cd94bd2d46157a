/*
 * Accounts on Linux through shadow's tools: useradd, usermod, userdel,
 * groupadd, groupmod, groupdel with --root (they chroot themselves, so the
 * tree needs no copy of the tools' libraries), and `chpasswd -e` for a
 * password hash given on stdin, never in argv. usermod -G sets the exact
 * supplementary set.
 */
#include "providers.h"

#include "core/err.h"
#include "core/xalloc.h"

static int
shadow_root(struct argv *a, const char *root)
{
	argv_add_root(a, "--root", root);
	return 1;
}

static int
shadow_user_argv(struct argv *a, const char *root, enum acct_op op,
    const struct acct_spec *s)
{
	int took;

	argv_add(a, acct_user_tools[op]);
	took = shadow_root(a, root);
	if (op == ACCT_DELETE) {
		if (s->purge_home)
			argv_add(a, "--remove");
		argv_add(a, s->name);
		return took;
	}
	if (s->id >= 0)
		argv_addf(a, "--uid=%ld", s->id);
	if (s->group != NULL)
		argv_addf(a, "--gid=%s", s->group);
	if (s->groups != NULL)
		acct_argv_groups(a, s);
	if (s->home != NULL) {
		argv_addf(a, "--home%s=%s", op == ACCT_ADD ? "-dir" : "",
		    s->home);
		if (op == ACCT_MODIFY && s->managehome)
			argv_add(a, "--move-home");
	}
	if (op == ACCT_ADD)
		argv_add(a, s->managehome ? "--create-home" :
		    "--no-create-home");
	if (op == ACCT_ADD && s->group == NULL)
		argv_add(a, "--user-group");
	if (s->shell != NULL)
		argv_addf(a, "--shell=%s", s->shell);
	if (s->comment != NULL)
		argv_addf(a, "--comment=%s", s->comment);
	if (op == ACCT_ADD && s->is_system)
		argv_add(a, "--system");
	argv_add(a, s->name);
	return took;
}

static int
shadow_group_argv(struct argv *a, const char *root, enum acct_op op,
    const struct acct_spec *s)
{
	int took;

	argv_add(a, acct_group_tools[op]);
	took = shadow_root(a, root);
	if (op != ACCT_DELETE && s->id >= 0)
		argv_addf(a, "--gid=%ld", s->id);
	if (op == ACCT_ADD && s->is_system)
		argv_add(a, "--system");
	argv_add(a, s->name);
	return took;
}

static int
shadow_passwd_argv(struct argv *a, const char *root, const char *name,
    const char *hash, struct buf *input)
{
	int took;

	argv_add(a, "chpasswd");
	argv_add(a, "--encrypted");
	took = shadow_root(a, root);
	buf_addf(input, "%s:%s\n", name, hash);
	return took;
}

const struct acct_provider acct_shadow = {
	.name = "shadow",
	.secret_file = "/etc/shadow",
	.user_argv = shadow_user_argv,
	.group_argv = shadow_group_argv,
	.passwd_argv = shadow_passwd_argv,
};
