#ifndef TLALOC_CORE_FSROOT_INT_H
#define TLALOC_CORE_FSROOT_INT_H

/* fsroot internals: for fsroot*.c and the unit tests only. */

#include <sys/types.h>

#include <stddef.h>

#include "buf.h"

struct tl_err;

struct fsroot {
	int	 fd;		/* the root directory; O_RDONLY|O_DIRECTORY */
	char	*dir;		/* as given to fsroot_open, for messages */
	uid_t	 euid;		/* its links count as trusted, like root's */
	int	 try_beneath;	/* 1 until openat2 says ENOSYS */
	char	*ledger_dir;	/* NULL: temporary names are not noted */
	int	 ledger_fd;	/* -1 until the first note */
	size_t	 pending;	/* temporary files not yet renamed/removed */
	int	 look_fd;	/* the last parent a lookup opened, kept
				   until a change (fsroot_forget); -1 */
	struct buf look_dir;	/* its managed path */
};

/*
 * Opens the directory at the managed path dir ("/" included) beneath the
 * root: openat2 first, the component walk when it finds a link. With
 * follow_any, every link is followed (fsroot_follow); otherwise only
 * trusted ones (fsroot.h). for_path names what the caller is after, for
 * the message. When resolved is not NULL it gets the directory's link-free
 * managed path (new string). Returns the fd, or < 0 with err.
 */
int	fsroot_open_dir(struct fsroot *fr, const char *dir, const char *for_path,
	    int follow_any, char **resolved, struct tl_err *err);

/*
 * Opens the directory that holds path (trusted links only) and points
 * *base at path's last component. path "/" has no parent: TL_EINVAL.
 * Returns the fd (caller closes), or < 0 with err.
 */
int	fsroot_parent(struct fsroot *fr, const char *path, const char **base,
	    struct tl_err *err);

/*
 * fsroot_parent() for a lookup (stat, read, readlink): the fd is
 * borrowed (do not close it), kept open for the next lookup in the same
 * directory until fsroot_forget() or any change through fr.
 */
int	fsroot_parent_look(struct fsroot *fr, const char *path,
	    const char **base, struct tl_err *err);

/*
 * fsroot_parent_look(), as an fd of the caller's own (close it), for a
 * change that leaves every directory what it is: a regular file written
 * and renamed over a regular file (fsroot_stage). The kept directory
 * stays kept.
 */
int	fsroot_parent_keep(struct fsroot *fr, const char *path,
	    const char **base, struct tl_err *err);
/* Is the directory kept by lookups the managed path dir? */
int	fsroot_look_has(const struct fsroot *fr, const char *dir);

/* Tests: never try openat2, so the walk runs on Linux too. */
void	fsroot_force_walk(struct fsroot *fr);

/* The ledger (fsroot.c): note a temporary file before creating it, and
 * say when it is gone (renamed or removed). */
int	fsroot_ledger_note(struct fsroot *fr, const char *tmp_path,
	    struct tl_err *err);
void	fsroot_ledger_done(struct fsroot *fr);

#endif
