/*
 * package: software installed, absent, at its newest or at one version,
 * through the node's package manager (providers/pkg_*.c).
 *
 * Batching. prefetch observes every package of the run with one query per
 * provider (dpkg-query for all names at once) and plans each resource.
 * The first package resource whose fix runs installs, in the same
 * transaction, the planned packages of every other package resource that
 * is ready: not excluded, not failed, and whose dependencies have all
 * converged already (they come before this one in the run's order). Those
 * resources then report their change as made "with package[x]" when their
 * turn comes; their own fix only checks the outcome. If the shared
 * transaction fails, this resource retries alone, so one bad package fails
 * only its own resource, with the tool's message.
 *
 * Names a repository lacks are found before anything runs (the candidate
 * query), so they fail their resource and stay out of the transaction.
 * Package-manager locks are waited for up to lock_timeout seconds.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/predict.h"
#include "engine/res.h"
#include "engine/run.h"
#include "facts/facts.h"
#include "providers/providers.h"

#define PKG_QUERY_TIMEOUT_MS	(120u * 1000)	/* arbitrary */
#define PKG_TXN_TIMEOUT_MS	(3600u * 1000)	/* arbitrary: big upgrades */

static const struct attr_spec package_attrs[] = {
	{ "name", ATTR_LIST, ATTR_NAMEVAR, NULL, NULL,
	    "package name, or a list of names managed together" },
	{ "names", ATTR_LIST, 0, NULL, NULL,
	    "more package names (same as giving name a list)" },
	{ "ensure", ATTR_STR, 0, "installed", NULL,
	    "installed (present), absent, purged (apt: also its config "
	    "files), latest, or an exact version such as \"1.2-3\"" },
	{ "provider", ATTR_STR, 0, NULL, NULL,
	    "apt, dnf, yum, apk, pacman, pkg or pkg_add; default: the "
	    "package_manager fact, else the first tool found under --root" },
	{ "lock_timeout", ATTR_INT, 0, "300", NULL,
	    "seconds to wait for another package manager to finish" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const args_name[] = { "name", NULL };
static const char *const fixed_absent[] = { "ensure=absent", NULL };
static const char *const fixed_latest[] = { "ensure=latest", NULL };
static const char *const fixed_installed[] = { "ensure=installed", NULL };

static const struct res_short package_shorts[] = {
	{ "package", "install", args_name, fixed_installed,
	    "package.install(name or {names}): installed" },
	{ "package", "remove", args_name, fixed_absent,
	    "package.remove(name or {names}): absent" },
	{ "package", "latest", args_name, fixed_latest,
	    "package.latest(name or {names}): the newest version" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const char *const package_title_from[] = { "names", NULL };

/* Every package resource of one provider in a run shares a batch. */
struct pkg_batch {
	const struct pkg_provider *prov;
	struct pkg_set	 set;		/* observed; refreshed after a txn */
	size_t		 refs;		/* resources pointing here */
};

/* One planned change of one package. */
struct pkg_step {
	struct pkg_want	 want;		/* name borrowed from the resource */
	const char	*expect;	/* version to find afterwards, or NULL */
	char		*text;		/* "install a 1.0" */
};

struct pkg_priv {
	struct pkg_batch *batch;
	struct pkg_step	*steps;
	size_t		 nsteps;
	char		*error;		/* planning failed: why */
	char		*done_with;	/* ref whose transaction did ours */
	int		 has_unknown;	/* a name no repository has: alone */
	int		 noop;		/* planned for --noop */
	char		*unknown;	/* --noop: why the first such name
					   cannot be installed today */
};

enum pkg_goal { GOAL_INSTALLED, GOAL_ABSENT, GOAL_PURGED, GOAL_LATEST,
	GOAL_VERSION };

static enum pkg_goal
pkg_goal(const struct res *r)
{
	const char *e = res_str(r, "ensure");

	if (strcmp(e, "installed") == 0 || strcmp(e, "present") == 0)
		return GOAL_INSTALLED;
	if (strcmp(e, "absent") == 0)
		return GOAL_ABSENT;
	if (strcmp(e, "purged") == 0)
		return GOAL_PURGED;
	if (strcmp(e, "latest") == 0)
		return GOAL_LATEST;
	return GOAL_VERSION;
}

/* Package names: letters, digits and "+-._:@/", not starting with '-'. */
static int
pkg_name_ok(const char *s)
{
	if (s[0] == '\0' || s[0] == '-' || strlen(s) > 200)
		return 0;
	for (const char *p = s; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("+-._:@/", *p))
			return 0;
	return 1;
}

/* Moves `names` into `name` (the one list the rest of the code reads)
 * and titles a resource declared only by names. */
static void
pkg_merge_names(struct res *r)
{
	const struct attr_val *names = res_val(r, "names");
	const struct attr_val *name = res_val(r, "name");
	char **all;
	size_t n = 0;
	struct tl_err err = TL_ERR_INIT;

	if (names->nitems == 0)
		return;
	/* Copies: res_set_list() frees the old items first. */
	all = xcalloc(name->nitems + names->nitems + 1, sizeof(char *));
	for (size_t i = 0; i < name->nitems; i++)
		if (name->items[i][0] != '\0')
			all[n++] = xstrdup(name->items[i]);
	for (size_t i = 0; i < names->nitems; i++)
		all[n++] = xstrdup(names->items[i]);
	res_set_list(r, "name", (const char *const *)all, n, &err);
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	free(all);
}

static int
package_validate(struct res *r, struct tl_err *err)
{
	const struct attr_val *name;
	const char *prov = res_str(r, "provider");
	const char *e = res_str(r, "ensure");

	pkg_merge_names(r);
	name = res_val(r, "name");
	if (name->nitems == 0)
		return tl_err_set(err, TL_EINVAL, "package needs a name");
	for (size_t i = 0; i < name->nitems; i++)
		if (!pkg_name_ok(name->items[i]))
			return tl_err_set(err, TL_EINVAL, "'%s' is not a "
			    "package name", name->items[i]);
	if (prov != NULL && pkg_provider_find(prov) == NULL)
		return tl_err_set(err, TL_EINVAL, "unknown package provider "
		    "'%s' (one of apt, dnf, yum, apk, pacman, pkg, pkg_add)",
		    prov);
	if (e[0] == '\0' || e[0] == '-' || strspn(e, "abcdefghijklmnopqrst"
	    "uvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+~:_-") != strlen(e))
		return tl_err_set(err, TL_EINVAL, "ensure must be installed, "
		    "absent, purged, latest or a version, not '%s'", e);
	if (pkg_goal(r) == GOAL_VERSION && (e[0] < '0' || e[0] > '9'))
		return tl_err_set(err, TL_EINVAL, "ensure must be installed, "
		    "absent, purged, latest or a version (starting with a "
		    "digit), not '%s'", e);
	if (res_int(r, "lock_timeout") < 0)
		return tl_err_set(err, TL_EINVAL, "lock_timeout must be >= 0");
	return 0;
}

/* ------------------------------------------------------------------ */
/* choosing the provider */

static const struct pkg_provider *
pkg_choose(const struct res *r, const struct run_ctx *ctx)
{
	const char *name = res_str(r, "provider");
	const struct pkg_provider *p;

	if (name != NULL)
		return pkg_provider_find(name);
	if (ctx->facts != NULL &&
	    (name = facts_get(ctx->facts, "package_manager")) != NULL &&
	    (p = pkg_provider_find(name)) != NULL)
		return p;
	return pkg_provider_detect(ctx->root);
}

/* ------------------------------------------------------------------ */
/* observing */

/* Runs a query and hands its output to the parser. The exit status is not
 * a verdict: dpkg-query, rpm and pacman exit non-zero when some name is
 * not installed, and still print the others. */
static int
pkg_query(const struct run_ctx *ctx, const struct pkg_provider *prov,
    int candidates, const char *const *names, size_t n, struct pkg_set *set,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	struct spawn_result res;
	int rc;

	pkg_query_argv(prov, candidates, &a, names, n);
	spawn_result_init(&res);
	rc = prov_run(ctx->root, &a, prov->env, PKG_QUERY_TIMEOUT_MS, &res,
	    err);
	if (rc == 0 && res.timed_out)
		rc = tl_err_set(err, TL_ETIMEOUT, "'%s' timed out", a.v[0]);
	else if (rc == 0 && candidates)
		pkg_parse_candidates(prov, res.out.data, res.out.len,
		    res.errout.data, res.errout.len, set);
	else if (rc == 0)
		pkg_parse_query(prov, res.out.data, res.out.len, set);
	log_debug("%s: %zu names, %u ms", a.v[0], n, res.duration_ms);
	spawn_result_release(&res);
	argv_release(&a);
	return rc;
}

/* Adds name to list unless it is there. */
static void
names_add(const char ***list, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], name) == 0)
			return;
	*list = xgrow(*list, cap, *n + 2, sizeof(char *));
	(*list)[(*n)++] = name;
}

/* Does this package of r need the repositories' word (a candidate)? */
static int
pkg_needs_candidate(const struct res *r, const struct pkg_provider *prov,
    const struct pkg_state *st)
{
	enum pkg_goal g = pkg_goal(r);

	if (g == GOAL_ABSENT || g == GOAL_PURGED)
		return 0;
	if (g == GOAL_VERSION && prov->is_repo_version_only)
		return 1;
	/* A version is asked for by name=version: the tool says if the
	 * repositories lack it. */
	return st == NULL || st->installed == NULL || g == GOAL_LATEST;
}

/* Observes every package of the resources in rs[0..n) that use prov. */
static int
pkg_observe(struct pkg_batch *b, struct res **rs, size_t n,
    const struct run_ctx *ctx, struct tl_err *err)
{
	const char **all = NULL, **want = NULL;
	size_t nall = 0, capall = 0, nwant = 0, capwant = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct attr_val *v = res_val(rs[i], "name");
		for (size_t k = 0; k < v->nitems; k++)
			names_add(&all, &nall, &capall, v->items[k]);
	}
	rc = pkg_query(ctx, b->prov, 0, all, nall, &b->set, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct attr_val *v = res_val(rs[i], "name");
		for (size_t k = 0; k < v->nitems; k++)
			if (pkg_needs_candidate(rs[i], b->prov,
			    pkg_set_get(&b->set, v->items[k], 0)))
				names_add(&want, &nwant, &capwant,
				    v->items[k]);
	}
	if (rc == 0 && nwant > 0 && b->prov->candidates != NULL)
		rc = pkg_query(ctx, b->prov, 1, want, nwant, &b->set, err);
	/* Some tools (apt-cache policy) just leave out what they lack. */
	for (size_t i = 0; rc == 0 && b->prov->candidates != NULL &&
	    i < nwant; i++) {
		struct pkg_state *st = pkg_set_get(&b->set, want[i], 1);
		if (st->installed == NULL && st->candidate == NULL)
			st->is_unknown = 1;
	}
	free(all);
	free(want);
	return rc;
}

/* ------------------------------------------------------------------ */
/* planning */

static void
pkg_step_add(struct pkg_priv *p, const char *name, enum pkg_op op,
    const char *version, const char *expect, char *text)
{
	struct pkg_step *s;

	p->steps = xrealloc(p->steps, (p->nsteps + 1) * sizeof(*p->steps));
	s = &p->steps[p->nsteps++];
	memset(s, 0, sizeof(*s));
	s->want.name = name;
	s->want.op = op;
	s->want.version = version;
	s->expect = expect;
	s->text = text;
}

/* Plans one package; returns < 0 (with err) when it cannot be done. */
static int
pkg_plan_one(struct res *r, struct pkg_priv *p, const char *name,
    struct pkg_state *st, struct tl_err *err)
{
	const char *have = st ? st->installed : NULL;
	const char *e = res_str(r, "ensure");

	switch (pkg_goal(r)) {
	case GOAL_ABSENT:
	case GOAL_PURGED:
		if (have != NULL)
			pkg_step_add(p, name, pkg_goal(r) == GOAL_PURGED ?
			    PKG_PURGE : PKG_REMOVE, NULL, NULL,
			    xasprintf("remove %s %s", name, have));
		else if (pkg_goal(r) == GOAL_PURGED && st && st->is_config)
			pkg_step_add(p, name, PKG_PURGE, NULL, NULL,
			    xasprintf("purge %s (configuration left)", name));
		return 0;
	default:
		break;
	}
	if (have == NULL && st != NULL && st->is_unknown) {
		/* Planned anyway, alone: the fix runs the tool by itself,
		 * so the failure quotes the tool's own words. Under --noop
		 * the check decides (an earlier command may refresh the
		 * index first). */
		p->has_unknown = 1;
		if (p->noop && p->unknown == NULL)
			p->unknown = xasprintf("no package '%s' in the "
			    "repositories%s%s%s", name, st->unknown_msg ?
			    " (" : "", st->unknown_msg ? st->unknown_msg : "",
			    st->unknown_msg ? ")" : "");
	}
	if (pkg_goal(r) == GOAL_VERSION) {
		const char *c = st ? st->candidate : NULL;
		if (p->batch->prov->is_repo_version_only &&
		    (have == NULL || strcmp(have, e) != 0) &&
		    (c == NULL || strcmp(c, e) != 0))
			return tl_err_set(err, TL_EINVAL, "%s installs only "
			    "the version its repositories hold (%s), not "
			    "'%s'", p->batch->prov->name, c ? c : "none", e);
		if (have == NULL || strcmp(have, e) != 0)
			pkg_step_add(p, name, PKG_INSTALL, e, e, have ?
			    xasprintf("%s %s -> %s", name, have, e) :
			    xasprintf("install %s %s", name, e));
	} else if (have == NULL) {
		const char *c = st ? st->candidate : NULL;
		pkg_step_add(p, name, PKG_INSTALL, NULL, NULL, c ?
		    xasprintf("install %s %s", name, c) :
		    xasprintf("install %s", name));
	} else if (st->is_broken) {
		pkg_step_add(p, name, PKG_INSTALL, NULL, NULL,
		    xasprintf("reinstall %s %s (half installed)", name, have));
		p->steps[p->nsteps - 1].want.reinstall = 1;
	} else if (pkg_goal(r) == GOAL_LATEST && st->candidate != NULL &&
	    strcmp(st->candidate, have) != 0) {
		pkg_step_add(p, name, PKG_INSTALL, NULL, st->candidate,
		    xasprintf("upgrade %s %s -> %s", name, have,
		    st->candidate));
		p->steps[p->nsteps - 1].want.upgrade_to = st->candidate;
	}
	return 0;
}

static void
pkg_priv_free_steps(struct pkg_priv *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		free(p->steps[i].text);
	free(p->steps);
	p->steps = NULL;
	p->nsteps = 0;
}

static void
pkg_plan(struct res *r, struct pkg_priv *p)
{
	const struct attr_val *v = res_val(r, "name");
	struct tl_err err = TL_ERR_INIT;

	pkg_priv_free_steps(p);
	for (size_t i = 0; i < v->nitems; i++) {
		struct pkg_state *st = pkg_set_get(&p->batch->set,
		    v->items[i], 0);
		if (pkg_plan_one(r, p, v->items[i], st, &err) < 0) {
			free(p->error);
			p->error = xstrdup(err.msg);
			pkg_priv_free_steps(p);
			return;
		}
	}
}

static int
package_prefetch(struct res **rs, size_t n, struct run_ctx *ctx,
    struct tl_err *err)
{
	struct res **mine = xcalloc(n + 1, sizeof(*mine));

	(void)err;

	for (size_t i = 0; i < n; i++) {
		const struct pkg_provider *prov;
		struct pkg_batch *b;
		size_t nmine = 0;
		struct tl_err qerr = TL_ERR_INIT;

		if (rs[i]->priv != NULL)
			continue;	/* planned with an earlier provider */
		if ((prov = pkg_choose(rs[i], ctx)) == NULL) {
			struct pkg_priv *p = xcalloc(1, sizeof(*p));
			p->error = xasprintf("no package manager found under "
			    "'%s' (set provider)", ctx->root);
			rs[i]->priv = p;
			continue;
		}
		b = xcalloc(1, sizeof(*b));
		b->prov = prov;
		for (size_t k = i; k < n; k++)
			if (rs[k]->priv == NULL && pkg_choose(rs[k], ctx) ==
			    prov)
				mine[nmine++] = rs[k];
		pkg_observe(b, mine, nmine, ctx, &qerr);
		for (size_t k = 0; k < nmine; k++) {
			struct pkg_priv *p = xcalloc(1, sizeof(*p));
			p->batch = b;
			p->noop = ctx->noop;
			b->refs++;
			mine[k]->priv = p;
			if (qerr.code == 0)
				pkg_plan(mine[k], p);
			else
				p->error = xstrdup(qerr.msg);
		}
	}
	free(mine);
	/* Failures are per resource (priv->error), reported by check. */
	return 0;
}

static int
package_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct pkg_priv *p = r->priv;

	if (p == NULL) {
		/* Not prefetched (a unit test, or a lone resource). */
		int rc = package_prefetch(&r, 1, ctx, err);
		if (rc < 0)
			return rc;
		p = r->priv;
	}
	if (p->error != NULL)
		return tl_err_set(err, TL_ECHILD, "%s", p->error);
	if (p->unknown != NULL) {
		/* The real run installs it after the commands before it,
		 * one of which may refresh the index; without one, it
		 * would fail as it fails now. */
		if (predict_last_command(ctx->predict) == NULL)
			return tl_err_set(err, TL_ENOENT, "%s", p->unknown);
		res_assume(r, "%s yet: %s runs before it and may refresh the "
		    "package index", p->unknown, predict_last_command(
		    ctx->predict));
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		if (p->done_with != NULL)
			res_change(r, "%s (with %s)", p->steps[i].text,
			    p->done_with);
		else
			res_change(r, "%s", p->steps[i].text);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* fixing */

/* Waits up to timeout_s for the package manager's lock to be free. */
static int
pkg_lock_wait(const struct run_ctx *ctx, const struct pkg_provider *prov,
    unsigned timeout_s, struct tl_err *err)
{
	unsigned long long until = spawn_now_ms() + 1000ull * timeout_s;
	char *path;
	int rc = 0, said = 0;

	if (prov->lock == NULL)
		return 0;
	path = path_in_root(ctx->root, prov->lock);
	for (;;) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		struct stat st;
		int held = 0, fd;

		if (prov->lock_is_file) {
			held = stat(path, &st) == 0;
		} else if ((fd = open(path, O_RDWR | O_CLOEXEC)) >= 0) {
			held = fcntl(fd, F_GETLK, &fl) == 0 &&
			    fl.l_type != F_UNLCK;
			close(fd);
		}
		if (!held)
			break;
		if (spawn_now_ms() >= until) {
			rc = tl_err_set(err, TL_EAGAIN, "%s lock '%s' still "
			    "held by another process after %u s "
			    "(lock_timeout)", prov->name, prov->lock,
			    timeout_s);
			break;
		}
		if (!said++)
			log_info("waiting up to %u s for %s lock '%s'",
			    timeout_s, prov->name, prov->lock);
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	}
	free(path);
	return rc;
}

static size_t
graph_pos(const struct graph *g, const struct res *r, size_t *idx)
{
	size_t i = 0;

	while (i < g->n && g->res[i] != r)
		i++;
	*idx = i;
	for (size_t k = 0; k < g->n; k++)
		if (g->order[k] == i)
			return k;
	return (size_t)-1;
}

/* May other's planned changes join self's transaction? Only when every
 * dependency of other has converged already, without failing. */
static int
pkg_ready(const struct graph *g, const struct res *self,
    const struct res *other)
{
	const struct pkg_priv *p = other->priv, *mine = self->priv;
	size_t si, oi, spos, opos;

	if (other == self || other->type != self->type || p == NULL ||
	    p->batch != mine->batch || p->nsteps == 0 || p->error != NULL ||
	    p->done_with != NULL || p->has_unknown || other->is_excluded ||
	    other->result == RES_FAILED)
		return 0;
	spos = graph_pos(g, self, &si);
	opos = graph_pos(g, other, &oi);
	if (oi >= g->n || opos == (size_t)-1 || opos < spos)
		return 0;
	for (size_t k = 0; k < g->nodes[oi].ndeps; k++) {
		size_t d = g->nodes[oi].deps[k], dpos;
		const struct res *dr = g->res[d];

		dpos = graph_pos(g, dr, &d);
		if (dpos >= spos || dr->result == RES_FAILED ||
		    dr->result == RES_SKIPPED)
			return 0;
	}
	return 1;
}

/* Adds r's steps to the transaction's wants. */
static void
pkg_wants_add(struct pkg_want **w, size_t *n, const struct res *r)
{
	const struct pkg_priv *p = r->priv;

	*w = xrealloc(*w, (*n + p->nsteps + 1) * sizeof(**w));
	for (size_t i = 0; i < p->nsteps; i++)
		(*w)[(*n)++] = p->steps[i].want;
}

static int
pkg_txn(const struct run_ctx *ctx, const struct pkg_provider *prov,
    const struct pkg_want *w, size_t n, unsigned lock_s, struct tl_err *err)
{
	struct argv cmds[2] = { ARGV_INIT, ARGV_INIT };
	int ncmd, rc = 0;

	if ((rc = pkg_lock_wait(ctx, prov, lock_s, err)) < 0)
		return rc;
	ncmd = pkg_txn_argv(prov, cmds, w, n, lock_s);
	for (int i = 0; rc == 0 && i < ncmd; i++) {
		char *cmd = argv_join(&cmds[i]);
		log_info("%s", cmd);
		free(cmd);
		rc = prov_run_ok(ctx->root, &cmds[i], prov->env,
		    PKG_TXN_TIMEOUT_MS, err);
	}
	argv_release(&cmds[0]);
	argv_release(&cmds[1]);
	return rc;
}

/* Observes again the packages of the wants, after a transaction. */
static int
pkg_reobserve(const struct run_ctx *ctx, struct pkg_batch *b,
    const struct pkg_want *w, size_t n, struct tl_err *err)
{
	const char **names = xcalloc(n + 1, sizeof(char *));
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct pkg_state *st = pkg_set_get(&b->set, w[i].name, 1);
		free(st->installed);
		st->installed = NULL;
		st->is_config = st->is_broken = 0;
		names[i] = w[i].name;
	}
	rc = pkg_query(ctx, b->prov, 0, names, n, &b->set, err);
	free(names);
	return rc;
}

/* Did the transaction do what r planned? */
static int
pkg_verify(struct res *r, struct tl_err *err)
{
	struct pkg_priv *p = r->priv;

	for (size_t i = 0; i < p->nsteps; i++) {
		const struct pkg_step *s = &p->steps[i];
		struct pkg_state *st = pkg_set_get(&p->batch->set,
		    s->want.name, 0);
		const char *have = st ? st->installed : NULL;
		int ok;

		if (s->want.op == PKG_INSTALL)
			ok = have != NULL && !st->is_broken &&
			    (s->expect == NULL || strcmp(have, s->expect) == 0);
		else
			ok = have == NULL && (s->want.op != PKG_PURGE ||
			    !st->is_config);
		if (!ok)
			return tl_err_set(err, TL_ECHILD, "%s ran, but %s is "
			    "%s%s", p->batch->prov->name, s->want.name,
			    have ? "at " : "not installed", have ? have : "");
	}
	return 0;
}

static int
package_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct pkg_priv *p = r->priv;
	unsigned lock_s = (unsigned)res_int(r, "lock_timeout");
	struct pkg_want *w = NULL;
	struct res **joined = NULL;
	size_t nw = 0, nj = 0;
	int rc;

	if (p->done_with != NULL)
		return pkg_verify(r, err);
	pkg_wants_add(&w, &nw, r);
	for (size_t i = 0; ctx->graph != NULL && !p->has_unknown &&
	    i < ctx->graph->n; i++) {
		struct res *o = ctx->graph->res[i];
		if (!pkg_ready(ctx->graph, r, o))
			continue;
		joined = xrealloc(joined, (nj + 1) * sizeof(*joined));
		joined[nj++] = o;
		pkg_wants_add(&w, &nw, o);
	}
	rc = pkg_txn(ctx, p->batch->prov, w, nw, lock_s, err);
	if (rc < 0 && nj > 0 && rc != TL_EAGAIN) {
		/* One bad package fails the shared transaction: retry alone,
		 * the others run theirs in their turn. */
		log_info("%s: shared transaction failed, retrying alone",
		    r->ref);
		tl_err_clear(err);
		nj = 0;
		nw = p->nsteps;
		rc = pkg_txn(ctx, p->batch->prov, w, nw, lock_s, err);
	} else if (rc < 0) {
		nj = 0;		/* the lock: nobody's packages changed */
	}
	if (rc == 0)
		rc = pkg_reobserve(ctx, p->batch, w, nw, err);
	if (rc == 0)
		rc = pkg_verify(r, err);
	for (size_t i = 0; i < nj; i++) {
		struct pkg_priv *op = joined[i]->priv;
		op->done_with = xstrdup(r->ref);
	}
	free(joined);
	free(w);
	return rc;
}

static void
package_release(void *priv)
{
	struct pkg_priv *p = priv;

	pkg_priv_free_steps(p);
	free(p->error);
	free(p->unknown);
	free(p->done_with);
	if (p->batch != NULL && --p->batch->refs == 0) {
		pkg_set_release(&p->batch->set);
		free(p->batch);
	}
}

/* --noop: installed or removed, for the services (and anything else)
 * that come with a package. */
static void
package_predict(struct res *r, struct run_ctx *ctx)
{
	struct pkg_priv *p = r->priv;

	for (size_t i = 0; i < p->nsteps; i++)
		predict_set(ctx->predict, PS_PACKAGE, p->steps[i].want.name,
		    p->steps[i].want.op == PKG_INSTALL ? PRED_PRESENT :
		    PRED_ABSENT, r->ref);
}

const struct res_type res_type_package = {
	.name = "package",
	.doc = "software packages: installed, absent, latest or a version; "
	    "all packages of a run are observed with one query and "
	    "installed in one transaction per provider",
	.attrs = package_attrs,
	.shorts = package_shorts,
	.providers = PKG_PROVIDER_NAMES,
	.provider_proof = PKG_PROVIDER_PROOF,
	.title_from = package_title_from,
	.validate = package_validate,
	.prefetch = package_prefetch,
	.check = package_check,
	.fix = package_fix,
	.predict = package_predict,
	.release = package_release,
};
