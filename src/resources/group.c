/*
 * group: a group, present or absent, with its gid. Read from the tree's
 * /etc/group, changed with groupadd/groupmod/groupdel (shadow, --root),
 * pw (FreeBSD) or OpenBSD's tools. Members are managed from the user side
 * (user.groups), as on every platform's tools.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/ids.h"
#include "core/xalloc.h"
#include "engine/predict.h"
#include "engine/res.h"
#include "engine/run.h"
#include "providers/providers.h"

static const struct attr_spec group_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "the group name" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "gid", ATTR_INT, 0, NULL, NULL, "group id; unset: the tool picks" },
	{ "system", ATTR_BOOL, 0, "false", NULL,
	    "a system group (gid from the system range)" },
	{ "provider", ATTR_STR, 0, NULL, NULL,
	    "shadow, pw or openbsd; default: what the tree has" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

struct group_priv {
	const struct acct_provider *prov;
	enum acct_op	 op;
	struct acct_spec spec;
	long		 gid;		/* the existing group's, or -1 */
};

static int
group_validate(struct res *r, struct tl_err *err)
{
	const char *prov = res_str(r, "provider");

	if (!res_account_name_ok(r->title))
		return tl_err_set(err, TL_EINVAL, "'%s' is not a group name",
		    r->title);
	if (res_is_set(r, "gid") && res_int(r, "gid") < 0)
		return tl_err_set(err, TL_EINVAL, "gid must be >= 0");
	if (prov != NULL && acct_provider_find(prov) == NULL)
		return tl_err_set(err, TL_EINVAL, "unknown account provider "
		    "'%s' (one of shadow, pw, openbsd)", prov);
	return 0;
}

static int
group_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	const char *pname = res_str(r, "provider");
	struct group_priv *p;
	struct acct_group g;
	struct buf text = BUF_INIT;
	char *real = path_in_root(ctx->root, "/etc/group");
	int exists;

	(void)err;
	r->priv = p = xcalloc(1, sizeof(*p));
	p->prov = pname ? acct_provider_find(pname) :
	    acct_provider_detect(ctx->root);
	p->spec.name = r->title;
	p->spec.id = -1;
	p->spec.is_system = res_bool(r, "system");
	fileio_read(real, 64u << 20, &text, NULL);
	free(real);
	exists = acct_group_find(text.data, r->title, &g);
	p->gid = exists ? g.gid : -1;
	if (res_is_absent(r)) {
		if (exists) {
			p->op = ACCT_DELETE;
			res_change(r, "remove group");
		}
	} else if (!exists) {
		p->op = ACCT_ADD;
		if (res_is_set(r, "gid")) {
			p->spec.id = (long)res_int(r, "gid");
			res_change(r, "create group gid %ld", p->spec.id);
		} else {
			res_change(r, "create group");
		}
	} else if (res_is_set(r, "gid") && res_int(r, "gid") != g.gid) {
		p->op = ACCT_MODIFY;
		p->spec.id = (long)res_int(r, "gid");
		res_change(r, "gid %ld -> %ld", g.gid, p->spec.id);
	}
	acct_group_release(&g);
	buf_release(&text);
	return 0;
}

static int
group_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct group_priv *p = r->priv;
	struct argv a = ARGV_INIT;
	int took, rc;

	took = p->prov->group_argv(&a, ctx->root, p->op, &p->spec);
	rc = acct_run(ctx->root, took, &a, NULL, err);
	argv_release(&a);
	ids_reset();
	return rc;
}

/* --noop: the group as the tool would leave it (a placeholder gid when the
 * tool picks it). */
static void
group_predict(struct res *r, struct run_ctx *ctx)
{
	struct group_priv *p = r->priv;

	if (p->op == ACCT_DELETE) {
		predict_set(ctx->predict, PS_GROUP, r->title, PRED_ABSENT,
		    r->ref);
		return;
	}
	predict_set(ctx->predict, PS_GROUP, r->title, PRED_PRESENT,
	    r->ref)->gid = p->spec.id >= 0 ? (gid_t)p->spec.id : p->gid >= 0 ?
	    (gid_t)p->gid : (gid_t)predict_new_id(ctx->predict);
}

const struct res_type res_type_group = {
	.name = "group",
	.doc = "a group and its gid (members are set on the user side)",
	.attrs = group_attrs,
	.providers = ACCT_PROVIDER_NAMES,
	.provider_proof = ACCT_PROVIDER_PROOF,
	.validate = group_validate,
	.check = group_check,
	.fix = group_fix,
	.predict = group_predict,
};
