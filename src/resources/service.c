/*
 * service: a daemon running or stopped now (ensure), started at boot or
 * not (enable), restarted (or reloaded) when a resource it subscribes to
 * changes. Leaving ensure or enable out leaves that side alone. Providers
 * (providers/svc_*.c) come from the init_system fact, else from what the
 * tree has; enabling works offline (systemctl --root, update-rc.d), so a
 * service can be prepared in a tree nothing runs in.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "engine/predict.h"
#include "engine/res.h"
#include "engine/run.h"
#include "facts/facts.h"
#include "providers/providers.h"

static const char *const svc_ensure[] = { "running", "stopped", NULL };
static const char *const svc_on_notify[] = { "restart", "reload", NULL };

static const struct attr_spec service_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "the service (init script or unit) name" },
	{ "ensure", ATTR_ENUM, 0, NULL, svc_ensure,
	    "running or stopped now; unset: not managed" },
	{ "enable", ATTR_BOOL, 0, NULL, NULL,
	    "start at boot (true) or not (false); unset: not managed" },
	{ "on_notify", ATTR_ENUM, 0, "restart", svc_on_notify,
	    "what a notification does to a running service" },
	{ "provider", ATTR_STR, 0, NULL, NULL,
	    "systemd, sysv, openrc, freebsd or rcctl; default: the "
	    "init_system fact, else what the tree has" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const args_name[] = { "name", NULL };
static const char *const fixed_start[] = { "ensure=running", NULL };
static const char *const fixed_stop[] = { "ensure=stopped", NULL };
static const char *const fixed_enable[] = { "enable=true", NULL };
static const char *const fixed_disable[] = { "enable=false", NULL };

static const struct res_short service_shorts[] = {
	{ "service", "start", args_name, fixed_start,
	    "service.start(name [, {enable = true}]): running" },
	{ "service", "stop", args_name, fixed_stop,
	    "service.stop(name): stopped" },
	{ "service", "enable", args_name, fixed_enable,
	    "service.enable(name): started at boot" },
	{ "service", "disable", args_name, fixed_disable,
	    "service.disable(name): not started at boot" },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* What check planned, for fix. */
struct svc_priv {
	const struct svc_provider *prov;
	int	 do_start, do_stop, do_enable, do_disable;
	int	 started;	/* fix started it: a refresh need not */
	struct svc_state seen;	/* what check observed (or assumed) */
};

/*
 * --noop: a service the node lacks yet may come with a package an earlier
 * resource would install (its init script or unit is in the package).
 * Returns that package's resource, or NULL when no package would be
 * installed before this service: then it is missing in the real run too.
 */
static const char *
service_from_package(const struct res *r, const struct run_ctx *ctx)
{
	const struct pred *e = predict_get(ctx->predict, PS_PACKAGE,
	    r->title);

	if (e != NULL && e->kind == PRED_PRESENT)
		return e->by;
	return predict_any_install(ctx->predict);
}

static int
service_validate(struct res *r, struct tl_err *err)
{
	const char *name = res_str(r, "name");
	const char *prov = res_str(r, "provider");

	if (name[0] == '\0' || name[0] == '.' || name[0] == '-' ||
	    strchr(name, '/') != NULL)
		return tl_err_set(err, TL_EINVAL, "'%s' is not a service "
		    "name", name);
	if (prov != NULL && svc_provider_find(prov) == NULL)
		return tl_err_set(err, TL_EINVAL, "unknown service provider "
		    "'%s' (one of systemd, sysv, openrc, freebsd, rcctl)",
		    prov);
	return 0;
}

static void
service_autorequire(const struct res *r, res_require_fn add, void *ctx)
{
	add(ctx, "package", res_str(r, "name"));
}

static const struct svc_provider *
svc_choose(const struct res *r, const struct run_ctx *ctx)
{
	const char *name = res_str(r, "provider");
	const struct svc_provider *p;

	if (name != NULL)
		return svc_provider_find(name);
	if (ctx->facts != NULL &&
	    (name = facts_get(ctx->facts, "init_system")) != NULL &&
	    (p = svc_provider_find(name)) != NULL)
		return p;
	return svc_provider_detect(ctx->root);
}

static int
service_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	const char *ensure = res_str(r, "ensure");
	struct svc_priv *p;
	struct svc_state st;
	const char *pkg;
	int rc;

	free(r->priv);
	r->priv = p = xcalloc(1, sizeof(*p));
	if ((p->prov = svc_choose(r, ctx)) == NULL)
		return tl_err_set(err, TL_ENOENT, "no init system found under "
		    "'%s' (set provider)", ctx->root);
	if ((rc = p->prov->observe(ctx->root, r->title, &st, err)) < 0)
		return rc;
	if (!st.exists && (pkg = service_from_package(r, ctx)) != NULL) {
		res_assume(r, "no init script or unit '%s' yet: assumed to "
		    "come with %s, stopped and not enabled", r->title, pkg);
		st = (struct svc_state){ 1, 0, 0 };
	}
	if (!st.exists)
		return tl_err_set(err, TL_ENOENT, "no service '%s' (%s: no "
		    "init script or unit of that name)", r->title,
		    p->prov->name);
	p->seen = st;
	if (ensure != NULL && strcmp(ensure, "running") == 0 &&
	    !st.is_running) {
		p->do_start = 1;
		res_change(r, "start (was stopped)");
	} else if (ensure != NULL && strcmp(ensure, "stopped") == 0 &&
	    st.is_running) {
		p->do_stop = 1;
		res_change(r, "stop (was running)");
	}
	if (res_is_set(r, "enable") && res_bool(r, "enable") !=
	    st.is_enabled) {
		if (res_bool(r, "enable"))
			p->do_enable = 1;
		else
			p->do_disable = 1;
		res_change(r, "%s at boot", p->do_enable ? "enable" :
		    "disable");
	}
	return 0;
}

static int
service_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct svc_priv *p = r->priv;
	int rc = 0;

	/* Boot links first: a start that fails still leaves them right. */
	if (p->do_enable || p->do_disable)
		rc = p->prov->enable(ctx->root, r->title, p->do_enable, err);
	if (rc == 0 && p->do_start) {
		rc = p->prov->action(ctx->root, r->title, "start", err);
		p->started = rc == 0;
	}
	if (rc == 0 && p->do_stop)
		rc = p->prov->action(ctx->root, r->title, "stop", err);
	return rc;
}

static int
service_refresh(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct svc_priv *p = r->priv;
	const char *ensure = res_str(r, "ensure");
	struct svc_state st;
	int rc;

	/* 1: nothing needed doing (it just started, or is not running). */
	if (p == NULL || p->prov == NULL || p->started ||
	    (ensure != NULL && strcmp(ensure, "stopped") == 0))
		return 1;
	if ((rc = p->prov->observe(ctx->root, r->title, &st, err)) < 0)
		return rc;
	if (!st.is_running)
		return 1;	/* nothing to restart */
	return p->prov->action(ctx->root, r->title, res_str(r, "on_notify"),
	    err);
}

/* --noop: would a notification restart it? Only when it runs now and
 * this run neither starts nor stops it. */
static int
service_would_refresh(const struct res *r, const struct run_ctx *ctx)
{
	const struct svc_priv *p = r->priv;
	const char *ensure = res_str(r, "ensure");

	(void)ctx;
	return p != NULL && !p->do_start && !p->do_stop && p->seen.is_running &&
	    (ensure == NULL || strcmp(ensure, "stopped") != 0);
}

/* --noop: running and enabled as fix would leave it. */
static void
service_predict(struct res *r, struct run_ctx *ctx)
{
	const struct svc_priv *p = r->priv;
	struct pred *e = predict_set(ctx->predict, PS_SERVICE, r->title,
	    PRED_PRESENT, r->ref);

	e->running = p->do_start ? 1 : p->do_stop ? 0 : p->seen.is_running;
	e->enabled = p->do_enable ? 1 : p->do_disable ? 0 :
	    p->seen.is_enabled;
}

const struct res_type res_type_service = {
	.name = "service",
	.doc = "a daemon: running or stopped, started at boot or not, "
	    "restarted (or reloaded) when notified",
	.attrs = service_attrs,
	.shorts = service_shorts,
	.providers = SVC_PROVIDER_NAMES,
	.provider_proof = SVC_PROVIDER_PROOF,
	.validate = service_validate,
	.autorequire = service_autorequire,
	.check = service_check,
	.fix = service_fix,
	.refresh = service_refresh,
	.predict = service_predict,
	.would_refresh = service_would_refresh,
};
