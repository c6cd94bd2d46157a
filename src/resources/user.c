/*
 * user: a login account, present or absent, with its uid, primary and
 * supplementary groups, home, shell, comment and password hash. The
 * account is read from the tree's own passwd, group and shadow files (never
 * the host's NSS) and changed through the platform's tools
 * (providers/acct_*.c). The hash is ATTR_SECRET: reports say "password
 * changed", never the value, and it reaches the tool on stdin where the
 * tool allows. A home directory is removed only when purge_home says so.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/ids.h"
#include "core/xalloc.h"
#include "engine/predict.h"
#include "engine/res.h"
#include "engine/run.h"
#include "providers/providers.h"

#define ACCT_FILE_MAX	(64u << 20)

static const char *const membership[] = { "minimum", "inclusive", NULL };

static const struct attr_spec user_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "the login name" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "uid", ATTR_INT, 0, NULL, NULL, "user id; unset: the tool picks" },
	{ "gid", ATTR_ACCOUNT, 0, NULL, NULL,
	    "primary group, a name or a number; unset: a group named after "
	    "the user (Linux) or the tool's default" },
	{ "groups", ATTR_LIST, 0, NULL, NULL, "supplementary groups" },
	{ "membership", ATTR_ENUM, 0, "minimum", membership,
	    "minimum: in at least these groups; inclusive: in exactly these" },
	{ "home", ATTR_STR, 0, NULL, NULL, "home directory" },
	{ "managehome", ATTR_BOOL, 0, "false", NULL,
	    "create the home when the user is created (move it when home "
	    "changes)" },
	{ "purge_home", ATTR_BOOL, 0, "false", NULL,
	    "with ensure = absent, delete the home too (never otherwise)" },
	{ "shell", ATTR_STR, 0, NULL, NULL, "login shell" },
	{ "comment", ATTR_STR, 0, NULL, NULL, "the GECOS field" },
	{ "system", ATTR_BOOL, 0, "false", NULL,
	    "a system account (id from the system range, no aging)" },
	{ "password", ATTR_STR, ATTR_SECRET, NULL, NULL,
	    "password hash (crypt(3) format); never shown" },
	{ "provider", ATTR_STR, 0, NULL, NULL,
	    "shadow, pw or openbsd; default: what the tree has" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

/* The tree's account files, read once per check. */
struct acct_files {
	struct buf	passwd, group, secret;
};

/* What check planned. */
struct user_priv {
	const struct acct_provider *prov;
	enum acct_op	 op;
	int		 do_account;	/* run op */
	int		 do_password;
	struct acct_spec spec;		/* strings borrowed from r or held */
	int		 user_group;	/* add makes the group named after it */
	long		 uid, gid;	/* an existing account's, or -1 */
	char		**groups_hold;	/* owned list behind spec.groups */
};

static int
user_validate(struct res *r, struct tl_err *err)
{
	const struct attr_val *g = res_val(r, "groups");
	const char *prov = res_str(r, "provider");

	if (!res_account_name_ok(r->title))
		return tl_err_set(err, TL_EINVAL, "'%s' is not a user name",
		    r->title);
	if (res_is_set(r, "uid") && res_int(r, "uid") < 0)
		return tl_err_set(err, TL_EINVAL, "uid must be >= 0");
	for (size_t i = 0; i < g->nitems; i++)
		if (!res_account_name_ok(g->items[i]))
			return tl_err_set(err, TL_EINVAL, "'%s' is not a "
			    "group name", g->items[i]);
	if (prov != NULL && acct_provider_find(prov) == NULL)
		return tl_err_set(err, TL_EINVAL, "unknown account provider "
		    "'%s' (one of shadow, pw, openbsd)", prov);
	return 0;
}

static void
user_autorequire(const struct res *r, res_require_fn add, void *ctx)
{
	const struct attr_val *g = res_val(r, "groups");
	const char *gid = res_str(r, "gid");

	/* Without gid, the primary group is the one named after the user:
	 * a declared group of that name is made first and then used. */
	if (gid == NULL || (gid[0] < '0' || gid[0] > '9'))
		add(ctx, "group", gid != NULL ? gid : r->title);
	for (size_t i = 0; i < g->nitems; i++)
		add(ctx, "group", g->items[i]);
}

static void
acct_files_read(const struct run_ctx *ctx, const struct acct_provider *prov,
    struct acct_files *f)
{
	const char *paths[] = { "/etc/passwd", "/etc/group", prov->secret_file };
	struct buf *bufs[] = { &f->passwd, &f->group, &f->secret };

	for (size_t i = 0; i < 3; i++) {
		char *real = path_in_root(ctx->root, paths[i]);
		buf_init(bufs[i]);
		fileio_read(real, ACCT_FILE_MAX, bufs[i], NULL);
		free(real);
	}
}

static void
acct_files_release(struct acct_files *f)
{
	if (f->secret.len > 0)
		memset(f->secret.data, 0, f->secret.len);
	buf_release(&f->passwd);
	buf_release(&f->group);
	buf_release(&f->secret);
}

/* The gid a group name (or number) stands for in the tree (or, under
 * --noop, would once the resources before this one ran), or -1. */
static long
group_gid(const struct run_ctx *ctx, const struct acct_files *f,
    const char *g)
{
	const struct pred *e = predict_get(ctx->predict, PS_GROUP, g);
	struct acct_group grp;
	long gid = -1;
	char *end;

	if (g[0] >= '0' && g[0] <= '9') {
		gid = strtol(g, &end, 10);
		return *end == '\0' ? gid : -1;
	}
	if (e != NULL)
		return e->kind == PRED_PRESENT ? (long)e->gid : -1;
	if (acct_group_find(f->group.data, g, &grp))
		gid = grp.gid;
	acct_group_release(&grp);
	return gid;
}

static int
in_list(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Plans the supplementary groups; returns 1 when they change. */
static int
user_plan_groups(struct res *r, struct user_priv *p,
    const struct acct_files *f)
{
	const struct attr_val *want = res_val(r, "groups");
	int inclusive = strcmp(res_str(r, "membership"), "inclusive") == 0;
	size_t nhave, n = 0;
	char **have = acct_groups_of(f->group.data, r->title, &nhave);
	char **set = xcalloc(nhave + want->nitems + 1, sizeof(char *));
	int differ = 0;

	if (!inclusive)
		for (size_t i = 0; i < nhave; i++)
			set[n++] = xstrdup(have[i]);
	for (size_t i = 0; i < want->nitems; i++) {
		if (!in_list(set, n, want->items[i]))
			set[n++] = xstrdup(want->items[i]);
		differ |= !in_list(have, nhave, want->items[i]);
	}
	if (inclusive)
		for (size_t i = 0; i < nhave; i++)
			differ |= !in_list(want->items, want->nitems, have[i]);
	if (differ) {
		struct buf a = BUF_INIT, b = BUF_INIT;
		for (size_t i = 0; i < nhave; i++)
			buf_addf(&a, "%s%s", i ? "," : "", have[i]);
		for (size_t i = 0; i < n; i++)
			buf_addf(&b, "%s%s", i ? "," : "", set[i]);
		res_change(r, "groups '%s' -> '%s'", a.data, b.data);
		buf_release(&a);
		buf_release(&b);
		p->groups_hold = set;
		p->spec.groups = (const char *const *)set;
		p->spec.ngroups = n;
	} else {
		acct_names_free(set);
	}
	acct_names_free(have);
	return differ;
}

/* Compares one string attribute; plans it into *slot when it differs. */
static int
user_plan_str(struct res *r, const char *attr, const char *have,
    const char **slot)
{
	const char *want = res_str(r, attr);

	if (want == NULL || (have != NULL && strcmp(have, want) == 0))
		return 0;
	res_change(r, "%s '%s' -> '%s'", attr, have ? have : "", want);
	*slot = want;
	return 1;
}

static void
user_plan_modify(struct res *r, const struct run_ctx *ctx,
    struct user_priv *p, const struct acct_files *f,
    const struct acct_user *u)
{
	const char *gid = res_str(r, "gid");
	const char *hash = res_str(r, "password");
	char *have_hash = NULL;
	int n = 0;

	if (res_is_set(r, "uid") && res_int(r, "uid") != u->uid) {
		res_change(r, "uid %ld -> %lld", u->uid, res_int(r, "uid"));
		p->spec.id = (long)res_int(r, "uid");
		n++;
	}
	if (gid != NULL && group_gid(ctx, f, gid) != u->gid) {
		res_change(r, "primary group %ld -> %s", u->gid, gid);
		p->spec.group = gid;
		n++;
	}
	if (res_is_set(r, "groups"))
		n += user_plan_groups(r, p, f);
	n += user_plan_str(r, "home", u->home, &p->spec.home);
	n += user_plan_str(r, "shell", u->shell, &p->spec.shell);
	n += user_plan_str(r, "comment", u->comment, &p->spec.comment);
	p->do_account = n > 0;
	p->op = ACCT_MODIFY;
	if (hash != NULL) {
		if (u->hash != NULL)
			have_hash = xstrdup(u->hash);
		else
			acct_shadow_hash(f->secret.data, r->title, &have_hash);
		if (have_hash == NULL || strcmp(have_hash, hash) != 0) {
			res_change(r, "password changed");
			p->do_password = 1;
		}
		free(have_hash);
	}
}

static void
user_plan_add(struct res *r, const struct run_ctx *ctx, struct user_priv *p,
    const struct acct_files *f)
{
	const struct attr_val *g = res_val(r, "groups");
	struct buf what = BUF_INIT;

	p->op = ACCT_ADD;
	p->do_account = 1;
	p->do_password = res_str(r, "password") != NULL;
	p->spec.id = res_is_set(r, "uid") ? (long)res_int(r, "uid") : -1;
	p->spec.group = res_str(r, "gid");
	/* The group named after the user may exist already (declared before
	 * it, or made by hand): useradd refuses to create it again, so it is
	 * named as the primary group instead. */
	if (p->spec.group == NULL && group_gid(ctx, f, r->title) >= 0)
		p->spec.group = r->title;
	p->user_group = p->spec.group == NULL;
	if (g->nitems > 0) {
		p->spec.groups = (const char *const *)g->items;
		p->spec.ngroups = g->nitems;
	}
	p->spec.home = res_str(r, "home");
	p->spec.shell = res_str(r, "shell");
	p->spec.comment = res_str(r, "comment");
	if (p->spec.id >= 0)
		buf_addf(&what, " uid %ld", p->spec.id);
	for (size_t i = 0; i < g->nitems; i++)
		buf_addf(&what, "%s%s", i ? "," : " groups ", g->items[i]);
	if (p->spec.home != NULL)
		buf_addf(&what, " home %s%s", p->spec.home, p->spec.managehome ?
		    " (created)" : "");
	res_change(r, "create user%s%s", what.data, p->do_password ?
	    " with a password" : "");
	buf_release(&what);
}

static int
user_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	const char *pname = res_str(r, "provider");
	struct user_priv *p;
	struct acct_files f;
	struct acct_user u;
	char *owner;
	int exists, rc = 0;

	r->priv = p = xcalloc(1, sizeof(*p));
	p->prov = pname ? acct_provider_find(pname) :
	    acct_provider_detect(ctx->root);
	p->spec.name = r->title;
	p->spec.id = -1;
	p->uid = p->gid = -1;
	p->spec.managehome = res_bool(r, "managehome");
	p->spec.purge_home = res_bool(r, "purge_home");
	p->spec.is_system = res_bool(r, "system");
	acct_files_read(ctx, p->prov, &f);
	exists = acct_passwd_find(f.passwd.data, r->title, &u);
	if (res_is_absent(r)) {
		if (exists) {
			p->op = ACCT_DELETE;
			p->do_account = 1;
			res_change(r, "remove user (home %s)", p->spec.purge_home
			    ? "deleted" : "kept");
		}
	} else if (!exists) {
		user_plan_add(r, ctx, p, &f);
		/* Under --noop say now what the tool would refuse; a real
		 * run lets the tool say it in its own words. */
		if (ctx->noop && p->spec.id >= 0 && (owner =
		    acct_uid_owner(f.passwd.data, p->spec.id, NULL)) != NULL) {
			rc = tl_err_set(err, TL_EEXIST, "uid %ld is already "
			    "taken by '%s'", p->spec.id, owner);
			free(owner);
		}
	} else {
		p->uid = u.uid;
		p->gid = u.gid;
		user_plan_modify(r, ctx, p, &f, &u);
	}
	acct_user_release(&u);
	acct_files_release(&f);
	return rc;
}

static int
user_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct user_priv *p = r->priv;
	struct argv a = ARGV_INIT;
	struct buf input = BUF_INIT;
	int rc = 0, took;

	if (p->do_account) {
		took = p->prov->user_argv(&a, ctx->root, p->op, &p->spec);
		rc = acct_run(ctx->root, took, &a, NULL, err);
		argv_release(&a);
	}
	if (rc == 0 && p->do_password) {
		took = p->prov->passwd_argv(&a, ctx->root, r->title,
		    res_str(r, "password"), &input);
		rc = acct_run(ctx->root, took, &a, input.len ? input.data :
		    NULL, err);
		argv_release(&a);
	}
	if (input.len > 0)
		memset(input.data, 0, input.len);
	buf_release(&input);
	ids_reset();
	return rc;
}

/* The mode useradd gives a new home: login.defs' HOME_MODE, else what
 * its UMASK leaves of 0777 (shadow's rule); 0755 when neither is set. */
static mode_t
home_mode(const struct run_ctx *ctx)
{
	struct buf defs = BUF_INIT;
	mode_t mode = 0755;
	unsigned long v;
	char *end;

	if (fsroot_read(ctx->fs, "/etc/login.defs", 1u << 20, &defs, NULL,
	    NULL) < 0) {
		buf_release(&defs);
		return mode;
	}
	for (const char *p = defs.data; *p != '\0'; p += strcspn(p, "\n"),
	    p += *p == '\n') {
		int is_home = strncmp(p, "HOME_MODE", 9) == 0;

		if (!is_home && strncmp(p, "UMASK", 5) != 0)
			continue;
		v = strtoul(p + (is_home ? 9 : 5) + strspn(p + (is_home ? 9 :
		    5), " \t"), &end, 8);
		if (end == p || v > 07777)
			continue;
		mode = is_home ? (mode_t)v : (mode_t)(0777 & ~v);
		if (is_home)
			break;
	}
	buf_release(&defs);
	return mode;
}

/* --noop: a new user's home, as useradd --create-home makes it. */
static void
user_predict_home(struct res *r, struct run_ctx *ctx, const struct pred *u)
{
	const char *home = res_str(r, "home");
	char *path = home != NULL ? xstrdup(home) : xasprintf("/home/%s",
	    r->title);
	uid_t uid = u->uid;	/* predict_set() may move u */
	gid_t gid = u->gid;
	struct pred *e;

	if (run_lstat(ctx, path, &(struct stat){ 0 }, NULL) == TL_ENOENT) {
		e = predict_set(ctx->predict, PS_PATH, path, PRED_DIR, r->ref);
		e->mode = home_mode(ctx);
		e->uid = uid;
		e->gid = gid;
		res_assume(r, "useradd makes the home '%s' (mode %04o from "
		    "login.defs, files from /etc/skel)", path,
		    (unsigned)e->mode);
	}
	free(path);
}

/* --noop: the account as the tool would leave it (ids it would pick
 * stood for by placeholders), with the group useradd would make beside
 * it, so files owned by them can be judged. */
static void
user_predict(struct res *r, struct run_ctx *ctx)
{
	struct user_priv *p = r->priv;
	struct pred *e;
	gid_t gid;

	if (p->op == ACCT_DELETE) {
		predict_set(ctx->predict, PS_USER, r->title, PRED_ABSENT,
		    r->ref);
		return;
	}
	if (p->op == ACCT_ADD && p->user_group)
		predict_set(ctx->predict, PS_GROUP, r->title, PRED_PRESENT,
		    r->ref)->gid = (gid_t)predict_new_id(ctx->predict);
	e = predict_set(ctx->predict, PS_USER, r->title, PRED_PRESENT, r->ref);
	e->uid = p->spec.id >= 0 ? (uid_t)p->spec.id : p->uid >= 0 ?
	    (uid_t)p->uid : (uid_t)predict_new_id(ctx->predict);
	e->gid = p->gid >= 0 ? (gid_t)p->gid : 0;
	if (run_gid(ctx, p->spec.group != NULL ? p->spec.group : r->title,
	    &gid) == 0)
		e->gid = gid;
	if (p->op == ACCT_ADD && p->spec.managehome)
		user_predict_home(r, ctx, e);
}

static void
user_release(void *priv)
{
	struct user_priv *p = priv;

	acct_names_free(p->groups_hold);
}

const struct res_type res_type_user = {
	.name = "user",
	.doc = "a login account: uid, groups, home, shell, password hash",
	.attrs = user_attrs,
	.providers = ACCT_PROVIDER_NAMES,
	.provider_proof = ACCT_PROVIDER_PROOF,
	.validate = user_validate,
	.autorequire = user_autorequire,
	.check = user_check,
	.fix = user_fix,
	.predict = user_predict,
	.release = user_release,
};
