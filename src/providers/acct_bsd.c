/*
 * Accounts on the BSDs. FreeBSD: pw(8), which takes -R ROOT and reads a
 * password hash from a file descriptor (-H 0: stdin). OpenBSD: useradd,
 * usermod, userdel, groupadd, groupmod, groupdel, chrooted under --root;
 * its usermod takes the hash only as an argument (-p), so the message of
 * a failure never quotes that command (see prov.c).
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

const char *const acct_user_tools[] = { "useradd", "usermod", "userdel" };
const char *const acct_group_tools[] = { "groupadd", "groupmod",
	"groupdel" };

void
acct_argv_groups(struct argv *a, const struct acct_spec *s)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < s->ngroups; i++)
		buf_addf(&b, "%s%s", i ? "," : "", s->groups[i]);
	argv_add(a, "-G");
	argv_add(a, b.data);
	buf_release(&b);
}

/* The flags both pw and OpenBSD's tools share. */
static void
bsd_user_flags(struct argv *a, enum acct_op op, const struct acct_spec *s)
{
	if (s->id >= 0)
		argv_addf(a, "-u%ld", s->id);
	if (s->group != NULL) {
		argv_add(a, "-g");
		argv_add(a, s->group);
	}
	if (s->groups != NULL)
		acct_argv_groups(a, s);
	if (s->home != NULL) {
		argv_add(a, "-d");
		argv_add(a, s->home);
	}
	if (s->managehome && (op == ACCT_ADD || s->home != NULL))
		argv_add(a, "-m");
	if (s->shell != NULL) {
		argv_add(a, "-s");
		argv_add(a, s->shell);
	}
	if (s->comment != NULL) {
		argv_add(a, "-c");
		argv_add(a, s->comment);
	}
}

static int
pw_root(struct argv *a, const char *root)
{
	argv_add(a, "pw");
	argv_add_root(a, "-R", root);
	return 1;
}

static int
pw_user_argv(struct argv *a, const char *root, enum acct_op op,
    const struct acct_spec *s)
{
	pw_root(a, root);
	argv_add(a, acct_user_tools[op]);
	argv_add(a, s->name);
	if (op == ACCT_DELETE) {
		if (s->purge_home)
			argv_add(a, "-r");
		return 1;
	}
	bsd_user_flags(a, op, s);
	return 1;
}

static int
pw_group_argv(struct argv *a, const char *root, enum acct_op op,
    const struct acct_spec *s)
{
	pw_root(a, root);
	argv_add(a, acct_group_tools[op]);
	argv_add(a, s->name);
	if (op != ACCT_DELETE && s->id >= 0)
		argv_addf(a, "-g%ld", s->id);
	return 1;
}

static int
pw_passwd_argv(struct argv *a, const char *root, const char *name,
    const char *hash, struct buf *input)
{
	pw_root(a, root);
	argv_add(a, "usermod");
	argv_add(a, name);
	argv_add(a, "-H");
	argv_add(a, "0");
	buf_addf(input, "%s\n", hash);
	return 1;
}

const struct acct_provider acct_pw = {
	.name = "pw",
	.secret_file = "/etc/master.passwd",
	.user_argv = pw_user_argv,
	.group_argv = pw_group_argv,
	.passwd_argv = pw_passwd_argv,
};

static int
obsd_user_argv(struct argv *a, const char *root, enum acct_op op,
    const struct acct_spec *s)
{
	(void)root;
	argv_add(a, acct_user_tools[op]);
	if (op == ACCT_DELETE) {
		if (s->purge_home)
			argv_add(a, "-r");
	} else {
		bsd_user_flags(a, op, s);
	}
	argv_add(a, s->name);
	return 0;
}

static int
obsd_group_argv(struct argv *a, const char *root, enum acct_op op,
    const struct acct_spec *s)
{
	(void)root;
	argv_add(a, acct_group_tools[op]);
	if (op != ACCT_DELETE && s->id >= 0) {
		argv_add(a, "-g");
		argv_addf(a, "%ld", s->id);
	}
	argv_add(a, s->name);
	return 0;
}

static int
obsd_passwd_argv(struct argv *a, const char *root, const char *name,
    const char *hash, struct buf *input)
{
	(void)root;
	(void)input;
	argv_add(a, "usermod");
	argv_add(a, "-p");
	argv_add(a, hash);
	argv_add(a, name);
	return 0;
}

const struct acct_provider acct_openbsd = {
	.name = "openbsd",
	.secret_file = "/etc/master.passwd",
	.user_argv = obsd_user_argv,
	.group_argv = obsd_group_argv,
	.passwd_argv = obsd_passwd_argv,
};

const struct acct_provider *
acct_provider_find(const char *name)
{
	static const struct acct_provider *const all[] = {
		&acct_shadow, &acct_pw, &acct_openbsd, NULL
	};

	for (size_t i = 0; all[i] != NULL; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

const struct acct_provider *
acct_provider_detect(const char *root)
{
	if (prov_have(root, "pw"))
		return &acct_pw;
	if (path_in_root_is_file(root, "/etc/master.passwd") ||
	    prov_have(root, "/usr/sbin/rcctl"))
		return &acct_openbsd;
	return &acct_shadow;
}

int
acct_run(const char *root, int took_root, const struct argv *a,
    const char *input, struct tl_err *err)
{
	const char *where = took_root ? NULL : root;

	if (input != NULL)
		return prov_run_input(where, a, input, 120 * 1000, err);
	return prov_run_ok(where, a, NULL, 120 * 1000, err);
}
