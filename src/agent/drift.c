/*
 * The drift watcher (drift.h). The directories holding managed files are
 * watched; an event for one of our files starts a short debounce
 * (editors write in bursts), after which each file is compared with how
 * the last run left it (inode, size, mode, mtime): the first that
 * differs is reported, and remembered as it is now, so one change makes
 * one report.
 */
#include "agent/drift.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"

#define DRIFT_DEBOUNCE_MS	20	/* editors write in bursts */
#define DRIFT_HELD_MS		50	/* a run under way: look again */
#define DRIFT_DIRS_MAX		256	/* directories watched */

struct watch {
	uv_fs_event_t	 ev;
	char		*dir;
	struct drift	*d;
};

/* What a managed file looked like after our last run. */
struct path_state {
	int		 exists;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	mode_t		 mode;
};

struct drift {
	uv_loop_t	 *loop;
	char		 *root;		/* "" for / */
	drift_fn	  fn;
	void		 *ctx;
	uv_timer_t	 *debounce;
	int		  is_held;
	struct watch	 *watches[DRIFT_DIRS_MAX];
	size_t		  nwatches;
	char		**paths;	/* root included */
	struct path_state *states;	/* one per path */
	size_t		  npaths;
};

static void
handle_free_cb(uv_handle_t *h)
{
	free(h);
}

static void
watch_close_cb(uv_handle_t *h)
{
	struct watch *w = h->data;

	free(w->dir);
	free(w);
}

static void
watches_clear(struct drift *d)
{
	for (size_t i = 0; i < d->nwatches; i++)
		uv_close((uv_handle_t *)&d->watches[i]->ev, watch_close_cb);
	d->nwatches = 0;
}

static void
paths_clear(struct drift *d)
{
	for (size_t i = 0; i < d->npaths; i++)
		free(d->paths[i]);
	free(d->paths);
	free(d->states);
	d->paths = NULL;
	d->states = NULL;
	d->npaths = 0;
}

static void
state_of(const char *path, struct path_state *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (lstat(path, &st) < 0)
		return;
	s->exists = 1;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->mode = st.st_mode;
}

static int
state_same(const struct path_state *x, const struct path_state *y)
{
	return x->exists == y->exists && x->ino == y->ino &&
	    x->size == y->size && x->mode == y->mode &&
	    x->mtime.tv_sec == y->mtime.tv_sec &&
	    x->mtime.tv_nsec == y->mtime.tv_nsec;
}

static const char *
state_change(const struct path_state *now, const struct path_state *was)
{
	if (!now->exists)
		return "removed";
	if (now->ino != was->ino)
		return "replaced";
	if (now->mode != was->mode)
		return "mode changed";
	return "content changed";
}

static void
debounce_cb(uv_timer_t *t)
{
	struct drift *d = t->data;
	struct path_state now;
	size_t rl = strlen(d->root);
	const char *what;

	if (d->is_held) {
		uv_timer_start(d->debounce, debounce_cb, DRIFT_HELD_MS, 0);
		return;
	}
	for (size_t i = 0; i < d->npaths; i++) {
		state_of(d->paths[i], &now);
		if (state_same(&now, &d->states[i]))
			continue;
		what = state_change(&now, &d->states[i]);
		d->states[i] = now;	/* one report per change */
		d->fn(d->ctx, d->paths[i] + rl, what);
		return;
	}
}

static void
watch_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct watch *w = h->data;
	struct drift *d = w->d;
	size_t dl = strlen(w->dir);

	(void)events;
	if (status < 0 || name == NULL)
		return;
	for (size_t i = 0; i < d->npaths; i++) {
		const char *p = d->paths[i];

		if (strncmp(p, w->dir, dl) == 0 && p[dl] == '/' &&
		    strcmp(p + dl + 1, name) == 0) {
			uv_timer_start(d->debounce, debounce_cb,
			    DRIFT_DEBOUNCE_MS, 0);
			return;
		}
	}
}

static int
watch_has(const struct drift *d, const char *dir)
{
	for (size_t i = 0; i < d->nwatches; i++)
		if (strcmp(d->watches[i]->dir, dir) == 0)
			return 1;
	return 0;
}

/* Watches the parent directories: editors replace files by rename. */
static void
watches_set(struct drift *d)
{
	for (size_t i = 0; i < d->npaths && d->nwatches < DRIFT_DIRS_MAX;
	    i++) {
		char *dir = path_dirname(d->paths[i]);
		struct watch *w;

		if (watch_has(d, dir)) {
			free(dir);
			continue;
		}
		w = xcalloc(1, sizeof(*w));
		w->dir = dir;
		w->d = d;
		uv_fs_event_init(d->loop, &w->ev);
		w->ev.data = w;
		if (uv_fs_event_start(&w->ev, watch_cb, dir, 0) < 0) {
			log_info("cannot watch '%s' for drift", dir);
			uv_close((uv_handle_t *)&w->ev, watch_close_cb);
			continue;
		}
		d->watches[d->nwatches++] = w;
	}
}

struct drift *
drift_new(uv_loop_t *loop, const char *root, drift_fn fn, void *ctx)
{
	struct drift *d = xcalloc(1, sizeof(*d));

	d->loop = loop;
	d->root = xstrdup(root != NULL && strcmp(root, "/") != 0 ? root : "");
	d->fn = fn;
	d->ctx = ctx;
	d->debounce = xcalloc(1, sizeof(*d->debounce));
	uv_timer_init(loop, d->debounce);
	d->debounce->data = d;
	return d;
}

void
drift_watch(struct drift *d, const char *const *paths, size_t n)
{
	watches_clear(d);
	paths_clear(d);
	d->paths = xcalloc(n + 1, sizeof(*d->paths));
	d->states = xcalloc(n + 1, sizeof(*d->states));
	for (size_t i = 0; i < n; i++) {
		d->paths[i] = xasprintf("%s%s", d->root, paths[i]);
		state_of(d->paths[i], &d->states[i]);
	}
	d->npaths = n;
	watches_set(d);
}

void
drift_hold(struct drift *d, int is_held)
{
	d->is_held = is_held;
}

void
drift_free(struct drift *d)
{
	if (d == NULL)
		return;
	watches_clear(d);
	paths_clear(d);
	uv_close((uv_handle_t *)d->debounce, handle_free_cb);
	free(d->root);
	free(d);
}
