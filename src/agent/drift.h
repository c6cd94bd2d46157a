#ifndef TLALOC_AGENT_DRIFT_H
#define TLALOC_AGENT_DRIFT_H

/*
 * The drift watcher (drift.c): the files a converge left in place are
 * watched (libuv fs events on their parent directories: inotify on
 * Linux, kqueue on the BSDs, and editors replace files by rename), and a
 * change by hand is reported once, within a debounce, as "removed",
 * "replaced", "mode changed" or "content changed". A file that still
 * looks as the last run left it was changed by that run (its events
 * arrive after the child exits), not by hand.
 */

#include <stddef.h>

#include <uv.h>

struct drift;

/* Called once per change by hand; path is relative to the root. */
typedef void (*drift_fn)(void *ctx, const char *path, const char *what);

/* A watcher for files under root ("" or NULL: "/"); free with
 * drift_free(). */
struct drift *drift_new(uv_loop_t *loop, const char *root, drift_fn fn,
	    void *ctx);
/*
 * Watches paths (absolute, as the recipe names them; copied) from now,
 * as they are now: what the run just did is not drift. Replaces the set
 * watched before.
 */
void	drift_watch(struct drift *d, const char *const *paths, size_t n);
/* While held (a run under way) changes wait; released, they are looked
 * at again. */
void	drift_hold(struct drift *d, int is_held);
/* Closes the watches (the loop frees them) and the watcher. NULL ok. */
void	drift_free(struct drift *d);

#endif
