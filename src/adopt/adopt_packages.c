/*
 * Packages the administrator installed: on dpkg systems what `apt-mark
 * showmanual` says (installed and not marked Auto-Installed in apt's
 * extended_states) minus the base system (Essential, or Priority required
 * or important), read straight from the database files so it works the
 * same under --root. Other package managers are asked their own "installed
 * on request" question (adopt_pkgq.c).
 */
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/buf.h"
#include "core/xalloc.h"

void
adopt_package(struct adopt *a, const char *name, const char *note)
{
	struct buf lua = BUF_INIT;
	char *ref = xasprintf("package[%s]", name);

	buf_addstr(&lua, "package.install ");
	adopt_lua_str(&lua, name);
	if (adopt_add(a, "packages", ADOPT_RANK_PACKAGE, ref, lua.data,
	    note) != NULL)
		strmap_put(&a->manual, name, 1);
	free(ref);
	buf_release(&lua);
}

void
adopt_packages(struct adopt_ctx *c)
{
	if (!c->has_dpkg) {
		adopt_pkgq(c->a);
		return;
	}
	for (size_t i = 0; i < c->db.n; i++)
		if (dpkg_is_manual(&c->db.v[i]))
			adopt_package(c->a, c->db.v[i].name, "installed by "
			    "hand: not Auto-Installed in /var/lib/apt/"
			    "extended_states, not in the base system");
}
