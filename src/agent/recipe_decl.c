/*
 * The channels and tags a converged recipe declared about its node
 * (`channel "#web"`, `tags{role = "web"}`, and on()'s channels), handed
 * over by `tlaloc apply` after each compile (CTL_RECIPE_DECL). The agent
 * keeps the last set in STATE_DIR/recipe.decl so that what a later recipe
 * no longer declares is undone: its channels parted, its tag keys
 * deleted. Channels joined and tags set by hand are left alone unless the
 * recipe had declared them too.
 */
#include "agent/recipe_decl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/chan.h"
#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/stream.h"

#define DECL_FILE_MAX	(64u * 1024)

/* Is "c:#web" / "t:role=web" (by key for tags) in args? */
static int
decl_has(const char *const *args, size_t n, const char *d)
{
	size_t klen = strcspn(d, "=");

	for (size_t i = 0; i < n; i++) {
		if (d[0] == 'c' && strcmp(args[i], d) == 0)
			return 1;
		if (d[0] == 't' && strncmp(args[i], d, klen) == 0 &&
		    args[i][klen] == '=')
			return 1;
	}
	return 0;
}

static int
decl_check(const char *const *args, size_t n, struct tl_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *d = args[i];

		if (strncmp(d, "c:#", 3) != 0 && (strncmp(d, "t:", 2) != 0 ||
		    strchr(d + 2, '=') == NULL || d[2] == '='))
			return tl_err_set(err, TL_EINVAL, "'%s' is neither "
			    "c:#CHANNEL nor t:KEY=VALUE", d);
	}
	return 0;
}

/* Splits the saved set into lines (in place); returns how many. */
static size_t
decl_load(char *text, const char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l != NULL && n < max;
	    l = strtok_r(NULL, "\n", &save))
		out[n++] = l;
	return n;
}

static void
decl_save(const char *path, const char *const *args, size_t n)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s\n", args[i]);
	if (fileio_write_private(path, b.len ? b.data : "", b.len, &err) < 0)
		log_warn("cannot save the recipe's declarations: %s", err.msg);
	buf_release(&b);
}

/* Applies tag changes to cfg.tags and gossips them when they changed. */
static int
tags_apply(struct agent *a, const char *const *prev, size_t nprev,
    const char *const *args, size_t n, struct tl_err *err)
{
	struct buf tags = BUF_INIT;
	int r = 0;

	buf_add(&tags, a->cfg.tags.data, a->cfg.tags.len);
	for (size_t i = 0; i < nprev && r == 0; i++)
		if (prev[i][0] == 't' && !decl_has(args, n, prev[i]))
			r = agent_tags_apply(&tags, prev[i] + 2, 1, err);
	for (size_t i = 0; i < n && r == 0; i++)
		if (args[i][0] == 't')
			r = agent_tags_apply(&tags, args[i] + 2, 0, err);
	if (r == 0 && (r = agent_tags_replace(a, &tags, err)) > 0)
		log_notice("tags changed as the recipe declares");
	buf_release(&tags);
	return r < 0 ? r : 0;
}

static void
decl_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf old = BUF_INIT;
	const char *prev[CTL_ARGS_MAX];
	char *path = xasprintf("%s/recipe.decl", a->cfg.state_dir);
	size_t nprev = 0;
	int r;

	if ((r = decl_check(req->args, req->nargs, &err)) < 0)
		goto out;
	if (fileio_read(path, DECL_FILE_MAX, &old, &err) == 0)
		nprev = decl_load(old.data, prev, CTL_ARGS_MAX);
	err = (struct tl_err)TL_ERR_INIT;
	for (size_t i = 0; i < nprev && r == 0; i++)
		if (prev[i][0] == 'c' && !decl_has(req->args, req->nargs,
		    prev[i]))
			r = agent_chan_set(a, prev[i] + 2, 0, &err);
	for (size_t i = 0; i < req->nargs && r == 0; i++)
		if (req->args[i][0] == 'c')
			r = agent_chan_set(a, req->args[i] + 2, 1, &err);
	if (r == 0)
		r = tags_apply(a, prev, nprev, req->args, req->nargs, &err);
	if (r == 0)
		decl_save(path, req->args, req->nargs);
out:
	if (r < 0)
		agent_ctl_reply_err(c, &err);
	else
		agent_ctl_reply_str(c, 0, "ok\n");
	buf_release(&old);
	free(path);
}

static const struct agent_ctl_op decl_ops[] = {
	{ CTL_RECIPE_DECL, decl_ctl }, { 0, NULL }
};

const struct agent_sub agent_recipe_decl_sub = { .name = "recipe_decl",
	.ctl = decl_ops };
