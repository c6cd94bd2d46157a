/*
 * `tlaloc adopt --diff --recipes DIR`: what changed on a managed node
 * outside its recipes. The recipe is compiled (nothing converges) and
 * every adopted item whose resource it does not declare is listed: a
 * package installed by hand, a file edited or added under /etc, a service
 * enabled, a user added, a crontab entry. Secrets are compared only with
 * --include-secrets (adopt left them out of the recipe). Drift *inside*
 * the recipes (a declared file edited since) is what `tlaloc apply
 * --noop` shows.
 */
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "engine/res.h"
#include "facts/facts.h"
#include "recipe/recipe.h"

static void
put_packages(struct strmap *out, const struct res *r, const char *attr)
{
	int ai = res_attr_index(r->type, attr);

	for (size_t k = 0; ai >= 0 && k < r->vals[ai].nitems; k++) {
		char *ref = xasprintf("package[%s]", r->vals[ai].items[k]);
		strmap_put(out, ref, 1);
		free(ref);
	}
}

/* Every "type[name]" the recipe covers; a package resource managing a
 * list of names covers each. */
static void
declared_refs(const struct recipe *rec, struct strmap *out)
{
	for (size_t i = 0; i < rec->graph.n; i++) {
		const struct res *r = rec->graph.res[i];

		strmap_put(out, r->ref, 1);
		if (strcmp(r->type->name, "package") == 0) {
			put_packages(out, r, "name");
			put_packages(out, r, "names");
		}
	}
}

int
adopt_diff(const struct adopt *a, const char *recipes, FILE *f,
    struct tl_err *err)
{
	struct recipe_opts ro = { 0 };
	struct strmap have = STRMAP_INIT;
	struct recipe *rec = NULL;
	struct facts *facts = facts_new();
	int count = 0, rc;
	size_t dummy;

	facts_gather(facts, NULL, &(struct tl_err)TL_ERR_INIT);
	ro.path = recipes;
	ro.facts = facts;
	rc = recipe_compile(&ro, &rec, err);
	facts_free(facts);
	if (rc < 0)
		return rc;
	declared_refs(rec, &have);
	for (size_t i = 0; i < a->n; i++) {
		const struct adopt_item *it = &a->v[i];

		/* A recipe declares a secret only when asked to (adopt wrote
		 * it commented out), so one missing is not drift. */
		if (strmap_get(&have, it->ref, &dummy) || it->is_secret)
			continue;
		fprintf(f, "+ %s", it->ref);
		if (it->note != NULL)
			fprintf(f, "  (%s)", it->note);
		fputc('\n', f);
		count++;
	}
	strmap_release(&have);
	recipe_free(rec);
	return count;
}
