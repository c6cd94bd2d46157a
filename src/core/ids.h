#ifndef TLALOC_CORE_IDS_H
#define TLALOC_CORE_IDS_H

#include <sys/types.h>

/*
 * User and group names of the managed tree. Under --root the names come
 * from ROOT/etc/passwd and ROOT/etc/group, never from the host's NSS, so a
 * scratch tree resolves its own accounts. The files are read once per root
 * and cached until ids_reset().
 */

/* Resolves a name (or a decimal id) to an id; returns -1 if unknown. */
int	ids_uid(const char *root, const char *name, uid_t *uid);
int	ids_gid(const char *root, const char *name, gid_t *gid);
/* Name of an id for reports, or its decimal text; borrowed until the next
 * call. */
const char *ids_user_name(const char *root, uid_t uid);
const char *ids_group_name(const char *root, gid_t gid);
/* Forgets the cache (after a run changed accounts). */
void	ids_reset(void);

#endif
