#ifndef TLALOC_ADOPT_DPKG_DB_H
#define TLALOC_ADOPT_DPKG_DB_H

/*
 * dpkg's own database, read as files (so it works the same under --root
 * and costs no process): /var/lib/dpkg/status (packages, their state,
 * priority and conffile checksums), apt's /var/lib/apt/extended_states
 * (which packages were installed automatically, as dependencies) and
 * /var/lib/dpkg/info/NAME.list (the paths each package owns). The parsers
 * take (text, len), never read past it and accept any bytes: a malformed
 * stanza is skipped, not fatal (fuzzed by tests/fuzz/fuzz_dpkg_status.c).
 */

#include <stddef.h>

#include "core/strmap.h"

/* One conffile line: " /etc/x.conf 0123...cdef [obsolete]". */
struct dpkg_conffile {
	char	*path;
	char	 md5[33];	/* lowercase hex; "" when dpkg has none yet */
	int	 is_obsolete;	/* no longer shipped: not the package's now */
};

struct dpkg_pkg {
	char			*name;		/* without ":arch" */
	char			*version;	/* or NULL */
	int			 is_installed;	/* Status: ... installed */
	int			 is_base;	/* Essential: yes, or Priority
						   required/important */
	int			 is_auto;	/* apt: Auto-Installed: 1 */
	struct dpkg_conffile	*conf;
	size_t			 nconf;
};

struct dpkg_db {
	struct dpkg_pkg	*v;
	size_t		 n, cap;
	struct strmap	 by_name;	/* name -> index in v */
};

#define DPKG_SHARED	((size_t)-1)	/* path owned by several packages */

void	dpkg_db_init(struct dpkg_db *db);
void	dpkg_db_release(struct dpkg_db *db);

/* Adds every stanza of a status file; the last stanza of a name wins. */
void	dpkg_status_parse(struct dpkg_db *db, const char *text, size_t len);

/* Marks the packages extended_states lists with "Auto-Installed: 1". */
void	dpkg_auto_parse(struct dpkg_db *db, const char *text, size_t len);

/* Records every path of a .list file in owner as owned by package index
 * pkg (DPKG_SHARED when another package owns it too: directories). */
void	dpkg_list_parse(struct strmap *owner, size_t pkg, const char *text,
	    size_t len);

/* The package of a .list file name ("libc6:amd64.list" -> "libc6"), cut
 * in place; NULL when the name does not end in .list. */
char	*dpkg_list_name(char *file);

/* Is this package one the administrator asked for: installed, not
 * automatic, not part of the base system? */
int	dpkg_is_manual(const struct dpkg_pkg *p);

#endif
