/*
 * cron: one entry in a user's crontab, identified by its name. Each entry
 * tlaloc manages sits between its own markers,
 *
 *   # BEGIN tlaloc cron: backup
 *   0 3 * * * /usr/local/bin/backup
 *   # END tlaloc cron: backup
 *
 * so a run changes or removes only what it manages; lines outside the
 * markers (a user's own entries) are never touched. The crontab is read
 * and written with the crontab(1) tool (chrooted under --root), which
 * validates it and signals the daemon.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "engine/res.h"
#include "engine/run.h"
#include "providers/providers.h"

#define CRON_BEGIN	"# BEGIN tlaloc cron: "
#define CRON_END	"# END tlaloc cron: "

static const char *const present_absent[] = { "present", "absent", NULL };
static const char *const specials[] = { "reboot", "yearly", "annually",
	"monthly", "weekly", "daily", "midnight", "hourly", NULL };

static const struct attr_spec cron_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "identifies the entry (its markers) in the crontab" },
	{ "ensure", ATTR_ENUM, 0, "present", present_absent,
	    "present or absent" },
	{ "user", ATTR_STR, 0, "root", NULL, "whose crontab" },
	{ "command", ATTR_STR, 0, NULL, NULL,
	    "the command line (required when present)" },
	{ "minute", ATTR_STR, 0, "*", NULL, "0-59, lists, ranges, steps" },
	{ "hour", ATTR_STR, 0, "*", NULL, "0-23" },
	{ "monthday", ATTR_STR, 0, "*", NULL, "1-31" },
	{ "month", ATTR_STR, 0, "*", NULL, "1-12 or jan-dec" },
	{ "weekday", ATTR_STR, 0, "*", NULL, "0-7 or sun-sat" },
	{ "special", ATTR_ENUM, 0, NULL, specials,
	    "@reboot, @daily ...: instead of the five time fields" },
	{ "environment", ATTR_LIST, 0, NULL, NULL,
	    "\"NAME=value\" lines placed before the entry" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const time_fields[] = { "minute", "hour", "monthday",
	"month", "weekday", NULL };

struct cron_priv {
	char	*new_text;	/* the whole crontab to install */
};

static int
cron_validate(struct res *r, struct tl_err *err)
{
	const struct attr_val *env = res_val(r, "environment");
	const char *cmd = res_str(r, "command");

	if (strpbrk(r->title, "\n") != NULL || r->title[0] == '\0')
		return tl_err_set(err, TL_EINVAL, "a cron name is one line");
	if (strcmp(res_str(r, "ensure"), "present") == 0 &&
	    (cmd == NULL || cmd[0] == '\0'))
		return tl_err_set(err, TL_EINVAL, "cron needs a command");
	if (cmd != NULL && strpbrk(cmd, "\n\r") != NULL)
		return tl_err_set(err, TL_EINVAL, "a cron command is one line");
	for (size_t i = 0; time_fields[i] != NULL; i++) {
		const char *v = res_str(r, time_fields[i]);
		if (v[0] == '\0' || strpbrk(v, " \t\n") != NULL)
			return tl_err_set(err, TL_EINVAL, "%s '%s' must be one "
			    "word", time_fields[i], v);
	}
	for (size_t i = 0; i < env->nitems; i++)
		if (strchr(env->items[i], '=') == NULL ||
		    strchr(env->items[i], '\n') != NULL)
			return tl_err_set(err, TL_EINVAL, "environment takes "
			    "NAME=value lines, not '%s'", env->items[i]);
	if (strpbrk(res_str(r, "user"), " /:\n") != NULL)
		return tl_err_set(err, TL_EINVAL, "'%s' is not a user name",
		    res_str(r, "user"));
	return 0;
}

static void
cron_autorequire(const struct res *r, void (*add)(void *, const char *),
    void *ctx)
{
	char *ref = xasprintf("user[%s]", res_str(r, "user"));

	add(ctx, ref);
	free(ref);
}

/* Appends r's block (markers included) to b. */
static void
cron_block(const struct res *r, struct buf *b)
{
	const struct attr_val *env = res_val(r, "environment");

	buf_addf(b, CRON_BEGIN "%s\n", r->title);
	for (size_t i = 0; i < env->nitems; i++)
		buf_addf(b, "%s\n", env->items[i]);
	if (res_str(r, "special") != NULL)
		buf_addf(b, "@%s", res_str(r, "special"));
	else
		for (size_t i = 0; time_fields[i] != NULL; i++)
			buf_addf(b, "%s%s", i ? " " : "",
			    res_str(r, time_fields[i]));
	buf_addf(b, " %s\n", res_str(r, "command"));
	buf_addf(b, CRON_END "%s\n", r->title);
}

/*
 * Returns the crontab text with name's block replaced by block (NULL:
 * removed; appended when missing). Everything else is kept byte for
 * byte. Exposed to the unit tests through cron_rewrite().
 */
char	*cron_rewrite(const char *text, const char *name, const char *block);

char *
cron_rewrite(const char *text, const char *name, const char *block)
{
	struct buf out = BUF_INIT;
	char *begin = xasprintf(CRON_BEGIN "%s", name);
	char *end = xasprintf(CRON_END "%s", name);
	const char *p = text;
	int inside = 0, done = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");
		int nl = p[len] == '\n';

		if (!inside && len == strlen(begin) &&
		    strncmp(p, begin, len) == 0 && !done) {
			inside = 1;
			if (block != NULL)
				buf_addstr(&out, block);
			done = 1;
		} else if (inside) {
			if (len == strlen(end) && strncmp(p, end, len) == 0)
				inside = 0;
		} else {
			buf_add(&out, p, len);
			buf_addch(&out, '\n');
		}
		p += len + nl;
	}
	if (!done && block != NULL)
		buf_addstr(&out, block);
	free(begin);
	free(end);
	return buf_detach(&out, NULL);
}

/* Reads user's crontab into out ("" when there is none). */
static int
cron_read(const struct run_ctx *ctx, const char *user, struct buf *out,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	struct spawn_result res;
	int rc;

	argv_add(&a, "crontab");
	argv_add(&a, "-u");
	argv_add(&a, user);
	argv_add(&a, "-l");
	spawn_result_init(&res);
	rc = prov_run(ctx->root, &a, NULL, 30 * 1000, &res, err);
	if (rc == 0 && res.status == 0) {
		buf_add(out, res.out.data, res.out.len);
	} else if (rc == 0 && strstr(res.errout.data, "no crontab for") ==
	    NULL) {
		struct buf msg = BUF_INIT;
		prov_tail(&msg, res.errout.data, res.errout.len);
		rc = tl_err_set(err, TL_ECHILD, "'crontab -u %s -l' exited "
		    "%d: %s", user, res.status, msg.data);
		buf_release(&msg);
	}
	spawn_result_release(&res);
	argv_release(&a);
	return rc;
}

static int
cron_user_exists(const struct run_ctx *ctx, const char *user)
{
	char *real = path_in_root(ctx->root, "/etc/passwd");
	struct buf text = BUF_INIT;
	struct acct_user u;
	int found;

	fileio_read(real, 64u << 20, &text, NULL);
	found = acct_passwd_find(text.data, user, &u);
	acct_user_release(&u);
	buf_release(&text);
	free(real);
	return found;
}

static int
cron_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct cron_priv *p;
	struct buf cur = BUF_INIT, block = BUF_INIT;
	int present = strcmp(res_str(r, "ensure"), "present") == 0;
	int rc;

	r->priv = p = xcalloc(1, sizeof(*p));
	/* A user the run has yet to create (--noop) has no crontab yet. */
	if (cron_user_exists(ctx, res_str(r, "user")) &&
	    (rc = cron_read(ctx, res_str(r, "user"), &cur, err)) < 0)
		goto out;
	rc = 0;
	if (present)
		cron_block(r, &block);
	p->new_text = cron_rewrite(cur.data, r->title, present ? block.data :
	    NULL);
	if (strcmp(p->new_text, cur.data) != 0) {
		char *name = xasprintf("crontab of %s", res_str(r, "user"));
		if (!present)
			res_change(r, "remove entry from %s", name);
		else if (strstr(cur.data, CRON_BEGIN) != NULL &&
		    strstr(cur.data, r->title) != NULL)
			res_change(r, "change entry in %s", name);
		else
			res_change(r, "add entry to %s", name);
		if (ctx->want_diff)
			diff_unified(cur.data, cur.len, p->new_text,
			    strlen(p->new_text), name, name, &r->diff);
		free(name);
	}
out:
	buf_release(&cur);
	buf_release(&block);
	return rc;
}

static int
cron_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct cron_priv *p = r->priv;
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "crontab");
	argv_add(&a, "-u");
	argv_add(&a, res_str(r, "user"));
	argv_add(&a, "-");
	rc = prov_run_input(ctx->root, &a, p->new_text, 30 * 1000, err);
	argv_release(&a);
	return rc;
}

static void
cron_release(struct res *r)
{
	struct cron_priv *p = r->priv;

	if (p == NULL)
		return;
	free(p->new_text);
	free(p);
	r->priv = NULL;
}

const struct res_type res_type_cron = {
	.name = "cron",
	.doc = "an entry in a user's crontab, between its own markers",
	.attrs = cron_attrs,
	.providers = "crontab(1)",
	.validate = cron_validate,
	.autorequire = cron_autorequire,
	.check = cron_check,
	.fix = cron_fix,
	.release = cron_release,
};
