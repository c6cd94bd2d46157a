/*
 * exec: runs a command when its guards say so. The command is an argv run
 * without a shell (a string is split on white space) unless shell = true.
 * Guards: creates (a path that, once present, means done), onlyif and
 * unless (commands whose exit status decides), refreshonly (run only when
 * notified). Guards run under --noop too, as they must not change anything.
 * Under --root, commands and guards run chrooted into the tree (in a mount
 * namespace of their own on Linux), so --root means the same for every
 * resource and a scratch tree never changes the host. A command that must
 * run on the host says so with host = true: it and its guards then run on
 * the host, with TLALOC_ROOT naming the tree to aim at. `creates`, like
 * every path a recipe names, is always looked up in the tree. The chroot
 * keeps a
 * command from touching the host by accident; it is not a sandbox
 * against a recipe written to escape it (recipes are trusted code).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "engine/predict.h"
#include "engine/res.h"
#include "engine/run.h"

#define EXEC_OUTPUT_MAX	(64u << 10)	/* captured per stream */
#define EXEC_TAIL	400		/* bytes of output quoted on failure */

static const struct attr_spec exec_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "a title" },
	{ "command", ATTR_LIST, ATTR_REQUIRED, NULL, NULL,
	    "argv list, or a string split on spaces (or run by sh with shell)" },
	{ "shell", ATTR_BOOL, 0, "false", NULL,
	    "run the command string with /bin/sh -c" },
	{ "creates", ATTR_STR, 0, NULL, NULL,
	    "skip when this path exists (in the tree under --root)" },
	{ "onlyif", ATTR_LIST, 0, NULL, NULL,
	    "run only if this command exits 0" },
	{ "unless", ATTR_LIST, 0, NULL, NULL,
	    "skip if this command exits 0" },
	{ "refreshonly", ATTR_BOOL, 0, "false", NULL,
	    "run only when notified by a changed resource" },
	{ "timeout", ATTR_INT, 0, "300", NULL,
	    "seconds before the command is killed (0: no limit)" },
	{ "env", ATTR_MAP, 0, NULL, NULL, "extra environment variables" },
	{ "cwd", ATTR_STR, 0, NULL, NULL, "working directory" },
	{ "returns", ATTR_LIST, 0, "0", NULL,
	    "exit codes that mean success" },
	{ "host", ATTR_BOOL, 0, "false", NULL,
	    "under --root, run on the host instead of chrooted into the tree "
	    "(TLALOC_ROOT names the tree)" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const args_run[] = { "name", "command", NULL };

static const struct res_short exec_shorts[] = {
	{ "exec", "run", args_run, NULL,
	    "exec.run(name, command [, {creates = ...}])" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static int
exec_validate(struct res *r, struct tl_err *err)
{
	const struct attr_val *c = res_val(r, "command");

	if (c->nitems == 0 || c->items[0][0] == '\0')
		return tl_err_set(err, TL_EINVAL, "exec needs a command");
	if (res_bool(r, "shell") && c->nitems != 1)
		return tl_err_set(err, TL_EINVAL, "with shell = true, give "
		    "the command as one string");
	if (res_int(r, "timeout") < 0)
		return tl_err_set(err, TL_EINVAL, "timeout must be >= 0");
	if (res_is_set(r, "creates") && !path_is_clean_abs(res_str(r,
	    "creates")))
		return tl_err_set(err, TL_EINVAL, "creates '%s' must be an "
		    "absolute path without '.', '..' or a trailing '/'",
		    res_str(r, "creates"));
	return 0;
}

/* Builds a NULL-terminated argv for a command attribute; free with
 * argv_free(). */
static char **
exec_argv(const struct attr_val *v, int shell)
{
	char **argv;
	size_t n = 0;

	if (shell || v->nitems > 1) {
		argv = xcalloc(v->nitems + 4, sizeof(char *));
		if (shell) {
			argv[n++] = xstrdup("/bin/sh");
			argv[n++] = xstrdup("-c");
		}
		for (size_t i = 0; i < v->nitems; i++)
			argv[n++] = xstrdup(v->items[i]);
		return argv;
	}
	/* One string: split on white space (no quoting; use a list). */
	argv = xcalloc(strlen(v->items[0]) / 2 + 2, sizeof(char *));
	for (const char *p = v->items[0]; *p;) {
		size_t len;
		p += strspn(p, " \t\n");
		if ((len = strcspn(p, " \t\n")) == 0)
			break;
		argv[n++] = xstrndup(p, len);
		p += len;
	}
	return argv;
}

static void
argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Does r run chrooted into the tree? Under --root, unless host = true. */
static int
exec_chrooted(const struct res *r, const struct run_ctx *ctx)
{
	return strcmp(ctx->root, "/") != 0 && !res_bool(r, "host");
}

/* Does the `creates` path exist in the tree? A path the tree reaches
 * through a link fsroot does not follow is an error. */
static int
exec_created(const struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	const char *creates = res_str(r, "creates");
	struct stat st;
	int rc;

	if (creates == NULL)
		return 0;
	if ((rc = run_lstat(ctx, creates, &st, err)) == TL_ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}

/* --noop: a guard runs on the node as it is, not as the resources before
 * this one would leave it; say so when they would change something. */
static void
exec_guard_assumed(struct res *r, const struct run_ctx *ctx,
    const char *attr)
{
	if (predict_size(ctx->predict) > 0)
		res_assume(r, "'%s' was judged on the node as it is now, "
		    "before the changes this run would make first", attr);
}

static int
exec_spawn(const struct res *r, const struct run_ctx *ctx,
    const struct attr_val *cmd, int shell, struct spawn_result *res,
    struct tl_err *err)
{
	const struct attr_val *env = res_val(r, "env");
	char **argv = exec_argv(cmd, shell);
	char **envv = xcalloc(env->nitems / 2 + 2, sizeof(char *));
	struct spawn_opts o = { 0 };
	size_t k = 0;
	int rc;

	for (size_t i = 0; i + 1 < env->nitems; i += 2)
		envv[k++] = xasprintf("%s=%s", env->items[i],
		    env->items[i + 1]);
	envv[k++] = xasprintf("TLALOC_ROOT=%s", exec_chrooted(r, ctx) ? "/" :
	    ctx->root);
	o.chroot_dir = exec_chrooted(r, ctx) ? ctx->root : NULL;
	o.argv = (const char *const *)argv;
	o.env = (const char *const *)envv;
	o.cwd = res_str(r, "cwd");
	o.timeout_ms = (unsigned)res_int(r, "timeout") * 1000;
	o.max_output = EXEC_OUTPUT_MAX;
	o.merge_stderr = 1;
	rc = spawn_run(&o, res, err);
	argv_free(argv);
	argv_free(envv);
	return rc;
}

/* Runs a guard; returns its exit status, or < 0 when it cannot run. */
static int
exec_guard(const struct res *r, const struct run_ctx *ctx, const char *attr,
    struct tl_err *err)
{
	struct spawn_result res;
	int rc;

	spawn_result_init(&res);
	rc = exec_spawn(r, ctx, res_val(r, attr), res_val(r, attr)->nitems ==
	    1 && res_bool(r, "shell"), &res, err);
	if (rc == 0)
		rc = res.timed_out ? tl_err_set(err, TL_ETIMEOUT, "'%s' guard "
		    "timed out", attr) : res.status;
	spawn_result_release(&res);
	return rc;
}

static int
exec_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	int rc;

	if (res_bool(r, "refreshonly"))
		return 0;
	if ((rc = exec_created(r, ctx, err)) != 0)
		return rc < 0 ? rc : 0;
	if (res_is_set(r, "onlyif")) {
		if ((rc = exec_guard(r, ctx, "onlyif", err)) < 0)
			return rc;
		if (rc != 0)
			return 0;
		exec_guard_assumed(r, ctx, "onlyif");
	}
	if (res_is_set(r, "unless")) {
		if ((rc = exec_guard(r, ctx, "unless", err)) < 0)
			return rc;
		if (rc == 0)
			return 0;
		exec_guard_assumed(r, ctx, "unless");
	}
	res_change(r, "run %s", res_val(r, "command")->items[0]);
	return 0;
}

/* --noop: the command would run; what it makes beyond `creates` is
 * anybody's guess, the package index included. */
static void
exec_predict(struct res *r, struct run_ctx *ctx)
{
	const char *creates = res_str(r, "creates");

	predict_note_command(ctx->predict, r->ref);
	if (creates != NULL && run_lstat(ctx, creates, &(struct stat){ 0 },
	    NULL) == TL_ENOENT)
		predict_set(ctx->predict, PS_PATH, creates, PRED_EXISTS,
		    r->ref)->mode = 0644;
}

/* A guarded exec that runs anyway needs no second run. */
static int
exec_would_refresh(const struct res *r, const struct run_ctx *ctx)
{
	(void)ctx;
	return res_bool(r, "refreshonly") || r->result != RES_CHANGED;
}

static int
exec_status_ok(const struct res *r, int status)
{
	const struct attr_val *ok = res_val(r, "returns");

	for (size_t i = 0; i < ok->nitems; i++)
		if (atoi(ok->items[i]) == status)
			return 1;
	return 0;
}

static int
exec_run(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct spawn_result res;
	int rc;

	spawn_result_init(&res);
	rc = exec_spawn(r, ctx, res_val(r, "command"), res_bool(r, "shell"),
	    &res, err);
	if (rc == 0 && res.timed_out)
		rc = tl_err_set(err, TL_ETIMEOUT, "killed after %lld s "
		    "(timeout)", res_int(r, "timeout"));
	else if (rc == 0 && !exec_status_ok(r, res.status)) {
		size_t n = res.out.len, from = n > EXEC_TAIL ? n - EXEC_TAIL :
		    0;
		while (n > from && res.out.data[n - 1] == '\n')
			n--;
		rc = tl_err_set(err, TL_ECHILD, "exited %d%s%.*s", res.status,
		    n > from ? ": " : "", (int)(n - from), res.out.data + from);
	}
	spawn_result_release(&res);
	return rc;
}

static int
exec_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	return exec_run(r, ctx, err);
}

static int
exec_refresh(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	if (!exec_would_refresh(r, ctx))
		return 1;	/* it just ran: not twice */
	return exec_run(r, ctx, err);
}

const struct res_type res_type_exec = {
	.name = "exec",
	.doc = "a command, run when its guards say it is needed",
	.attrs = exec_attrs,
	.shorts = exec_shorts,
	.validate = exec_validate,
	.check = exec_check,
	.fix = exec_fix,
	.refresh = exec_refresh,
	.predict = exec_predict,
	.would_refresh = exec_would_refresh,
};
