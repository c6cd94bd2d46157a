/*
 * The core's small services (agent_int.h): clocks, ids, events, and the
 * graceful leave.
 */
#include "agent/agent_int.h"

#include <time.h>

#include <sodium.h>

#include <stdlib.h>

#include "agent/membership.h"
#include "core/err.h"
#include "core/log.h"
#include "core/nonces.h"
#include "core/xalloc.h"

struct agent_later {
	struct agent_later	*next;
	void			(*fn)(void *);
	void			*ctx;
};

uint64_t
agent_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
agent_now(const struct agent *a)
{
	return uv_now(a->loop);
}

void
agent_io(struct agent *a, struct swim_io *io)
{
	io->now_ms = agent_now(a);
	io->rng = &a->rng;
	io->out = &a->ob;
	/* The clock agents agree on (NTP): it numbers the probe rounds of
	 * the shared schedule (docs/membership.md, "Probing"). */
	io->wall_ms = agent_wall_ms();
}

void
agent_id_hex(const uint8_t *id, char out[17])
{
	sodium_bin2hex(out, 17, id, 8);
}

void
agent_emit(struct agent *a, const struct agent_event *ev)
{
	/* nsubs counts the open ones: a closed subsystem hears nothing. */
	for (size_t i = 0; i < a->nsubs; i++)
		if (a->subs[i]->on_event != NULL)
			a->subs[i]->on_event(a, ev);
}

void
agent_converge_request(struct agent *a, const char *why)
{
	struct agent_event ev = { .kind = AGENT_EV_CONVERGE, .why = why };

	agent_emit(a, &ev);
}

/* ---- Leave and stop ------------------------------------------------- */

void
agent_stop(struct agent *a)
{
	agent_members_save(a);
	uv_stop(a->loop);
}

static void
leave_timer_cb(uv_timer_t *t)
{
	log_notice("left the cluster");
	agent_stop(t->data);
}

void
agent_leave(struct agent *a)
{
	struct agent_event ev = { .kind = AGENT_EV_LEAVE };
	uint64_t wait;

	if (a->is_leaving)
		return;
	a->is_leaving = 1;
	agent_emit(a, &ev);
	wait = agent_members_leave(a);
	log_notice("leaving: broadcasting for %llu ms",
	    (unsigned long long)wait);
	uv_timer_start(&a->leave_timer, leave_timer_cb, wait, 0);
}


void
agent_after_loop(struct agent *a, void (*fn)(void *), void *ctx)
{
	struct agent_later *l = xcalloc(1, sizeof(*l));

	l->fn = fn;
	l->ctx = ctx;
	l->next = a->later;
	a->later = l;
}

void
agent_after_loop_run(struct agent *a)
{
	struct agent_later *l;

	while ((l = a->later) != NULL) {
		a->later = l->next;
		l->fn(l->ctx);
		free(l);
	}
}

struct nonces *
agent_nonces_open(struct agent *a, const char *file, size_t max,
    uint64_t window_ms, const char *what, struct tl_err *err)
{
	char *path = xasprintf("%s/%s", a->cfg.state_dir, file);
	struct nonces *ns;

	ns = nonces_open(path, max, window_ms, agent_wall_ms(), err);
	if (ns == NULL)
		log_err("%s will be refused: %s", what, err->msg);
	free(path);
	return ns;
}

uv_timer_t *
agent_timer_new(struct agent *a)
{
	uv_timer_t *t = xcalloc(1, sizeof(*t));

	uv_timer_init(a->loop, t);
	t->data = a;
	return t;
}

static void
handle_free_cb(uv_handle_t *h)
{
	free(h);
}

void
agent_handle_free(uv_handle_t *h)
{
	if (h != NULL)
		uv_close(h, handle_free_cb);
}

void
agent_timer_free(uv_timer_t *t)
{
	agent_handle_free((uv_handle_t *)t);
}
