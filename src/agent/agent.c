/*
 * The agent's life: the subsystem table, and the loop that drives it.
 * Start: state dir, identity, keyring, sockets, then every subsystem's
 * open in table order, then the membership machine (with the tags the
 * subsystems contribute), then the timers and signals. A second: every
 * subsystem's tick. Stop: sockets first, then every subsystem's close in
 * reverse order while the loop still runs, so whoever waits gets an
 * answer. Packets are handled in wire.c, membership in membership.c, the
 * node's tags in tags.c, control requests in ctl_srv.c.
 *
 * Time: swim gets uv_now() (monotonic ms); packets carry the wall clock
 * for the replay window (net/packet.h). Randomness: the rng is seeded
 * once from randombytes, so a run is replayable from the logged seed.
 */
#include "agent/agent.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "agent/chan.h"
#include "agent/converge.h"
#include "agent/convreq.h"
#include "agent/handlers.h"
#include "agent/history.h"
#include "agent/http.h"
#include "agent/keys.h"
#include "agent/membership.h"
#include "agent/msgs.h"
#include "agent/pack.h"
#include "agent/policy.h"
#include "agent/program_sched.h"
#include "agent/query.h"
#include "agent/recipe_decl.h"
#include "agent/replica.h"
#include "agent/rollout.h"
#include "agent/status.h"
#include "agent/svc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"
#include "net/udp.h"

#define REPLAY_CAP	1024	/* nonces at first: 24 KiB */
#define REPLAY_MAX	65536	/* 1.5 MiB, ~1000 packets/s for a minute */
#define REPLAY_PAST_MS	60000	/* delivery delay plus clock skew */
#define REPLAY_FUTURE_MS 10000	/* the clock-skew bound */

/*
 * Every subsystem, in the order they open (and hear events, and add
 * their tags); they close in reverse. A subsystem may call those above
 * it through their headers, never those below (docs/hacking.md).
 */
static const struct agent_sub *const subsystems[] = {
	&agent_core_sub,	/* members, join, leave, info, tags */
	&agent_keys_sub,	/* keyring rotation */
	&agent_msgs_sub,	/* broadcast messages */
	&agent_svc_sub,		/* services and health checks */
	&agent_rollout_sub,	/* rollouts gated by health */
	&agent_policy_sub,	/* signed bundles: store, fetch, serve */
	&agent_chan_sub,	/* channels, listeners */
	&agent_pack_sub,	/* pack elections */
	&agent_handlers_sub,	/* recipe on() handlers */
	&agent_recipe_decl_sub,	/* what a recipe declares */
	&agent_conv_sub,	/* the converge loop */
	&agent_hist_sub,	/* every node's last runs */
	&agent_status_sub,	/* tlaloc status */
	&agent_query_sub,	/* cluster-wide queries */
	&agent_convreq_sub,	/* programs' converge requests */
	&agent_prog_sub,	/* the leader's scheduled program */
	&agent_repl_sub,	/* bucket replicas */
	&agent_http_sub,	/* the read-only HTTP endpoint */
};
#define NSUBS	(sizeof(subsystems) / sizeof(subsystems[0]))

const struct agent_sub *const *
agent_table(size_t *n)
{
	*n = NSUBS;
	return subsystems;
}

/* ---- Timers, leave, signals ------------------------------------------ */

static void
house_cb(uv_timer_t *t)
{
	struct agent *a = t->data;

	agent_members_tick(a);
	agent_frames_tick(a);
	agent_keyauth_house(a);
	for (size_t i = 0; i < a->nsubs; i++)
		if (a->subs[i]->tick != NULL)
			a->subs[i]->tick(a);
	log_tick();
}

/*
 * SIGHUP: re-reads the config file and flags. Only what can change live
 * is taken (tags, log level, keyring, replica and program settings); the
 * rest waits for a restart. Bad new settings keep the old ones.
 */
static void
agent_reload(struct agent *a)
{
	struct agent_event ev = { .kind = AGENT_EV_RELOAD };
	struct tl_err err = TL_ERR_INIT;
	struct agent_config nc;

	agent_config_init(&nc);
	if (agent_config_load(&nc, a->argc, a->argv, &err) < 0) {
		log_err("reload failed, keeping the old settings: %s",
		    err.msg);
		agent_config_release(&nc);
		return;
	}
	if (keyring_load(a->kr, nc.keyring_path, &err) < 0)
		log_err("reload: keeping the old keyring: %s", err.msg);
	else
		agent_peer_keys_prune(a);
	if (agent_config_log(&nc, &err) < 0)
		log_err("reload: keeping the old log target: %s", err.msg);
	a->cfg.log_level = nc.log_level;
	a->cfg.log_format = nc.log_format;
	a->cfg.bucket_replicas = nc.bucket_replicas;
	a->cfg.replica_max_bytes = nc.replica_max_bytes;
	ev.config = &nc;
	agent_emit(a, &ev);
	if (agent_tags_replace(a, &nc.tags, &err) < 0)
		log_err("reload: cannot set tags: %s", err.msg);
	agent_config_release(&nc);
	log_notice("reloaded configuration");
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct agent *a = s->data;

	if (signum == SIGHUP)
		agent_reload(a);
	else if (a->is_leaving) {
		log_notice("second signal: stopping now");
		agent_stop(a);
	} else
		agent_leave(a);
}

/* ---- Start and stop --------------------------------------------------- */

static int
subs_open(struct agent *a, struct tl_err *err)
{
	int r;

	a->subs = subsystems;
	for (size_t i = 0; i < NSUBS; i++) {
		/* Counted before it opens: a failed open is closed too. */
		a->nsubs = i + 1;
		if (subsystems[i]->open != NULL &&
		    (r = subsystems[i]->open(a, err)) < 0)
			return r;
	}
	return 0;
}

static void
loop_start(struct agent *a)
{
	uv_timer_init(a->loop, &a->house);
	uv_timer_init(a->loop, &a->leave_timer);
	a->house.data = a->leave_timer.data = a;
	uv_timer_start(&a->house, house_cb, 0, 1000);
	uv_signal_init(a->loop, &a->sig_term);
	uv_signal_init(a->loop, &a->sig_int);
	uv_signal_init(a->loop, &a->sig_hup);
	a->sig_term.data = a->sig_int.data = a->sig_hup.data = a;
	uv_signal_start(&a->sig_term, signal_cb, SIGTERM);
	uv_signal_start(&a->sig_int, signal_cb, SIGINT);
	uv_signal_start(&a->sig_hup, signal_cb, SIGHUP);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
agent_release(struct agent *a)
{
	if (a->loop != NULL) {
		/* Sockets free their state in their own close callbacks. */
		udp_close(a->udp);
		stream_srv_close(a->tcp);
		stream_srv_close(a->ctl);
		if (a->house.data != NULL)
			uv_timer_stop(&a->house);
		agent_frames_close(a);
		while (a->nsubs > 0) {
			const struct agent_sub *s = a->subs[--a->nsubs];

			if (s->close != NULL)
				s->close(a);
		}
		/* Answers given at close need a few turns to be sent. */
		for (int i = 0; i < 8; i++)
			uv_run(a->loop, UV_RUN_NOWAIT);
		uv_walk(a->loop, close_walk_cb, NULL);
		uv_run(a->loop, UV_RUN_DEFAULT);
		uv_loop_close(a->loop);
	}
	if (a->sock_path != NULL && a->ctl != NULL)
		unlink(a->sock_path);
	agent_after_loop_run(a);
	agent_members_close(a);
	agent_refusals_free(a);
	agent_keyauth_free(a);	/* before the ident that borrows its list */
	agent_guard_free(a);
	free(a->frames);
	keyring_free(a->kr);
	ident_free(a->ident);
	replay_free(a->replay);
	buf_release(&a->tags_own);
	free(a->sock_path);
	free(a->snap_path);
}

int
agent_run(struct agent_config *cfg, int argc, char **argv,
    struct tl_err *err)
{
	static uv_loop_t loop;
	struct agent *a = xcalloc(1, sizeof(*a));
	int r;

	a->cfg = *cfg;		/* taken; cfg is left empty */
	agent_config_init(cfg);
	a->argc = argc;
	a->argv = argv;
	a->kr = keyring_new();
	a->replay = replay_new(REPLAY_CAP, REPLAY_MAX, REPLAY_PAST_MS,
	    REPLAY_FUTURE_MS);
	buf_init(&a->tags_own);
	log_set_prefix(a->cfg.name);
	if ((r = agent_config_log(&a->cfg, err)) < 0 ||
	    (r = agent_members_state(a, err)) < 0)
		goto out;
	TL_ASSERT(uv_loop_init(&loop) == 0);
	a->loop = &loop;
	agent_members_config(a);
	if ((r = agent_keyauth_open(a, err)) < 0 ||
	    (r = agent_members_sockets(a, err)) < 0 ||
	    (r = subs_open(a, err)) < 0 ||
	    (r = agent_members_open(a, err)) < 0)
		goto out;
	loop_start(a);
	log_notice("agent started: name=%s bind=%s advertise=%s pack=%s "
	    "profile=%s", a->cfg.name, a->cfg.bind, a->cfg.advertise,
	    a->cfg.pack ? a->cfg.pack : "-",
	    a->cfg.profile == AGENT_LOCAL ? "local" :
	    a->cfg.profile == AGENT_WAN ? "wan" : "lan");
	uv_run(a->loop, UV_RUN_DEFAULT);
	r = 0;
out:
	log_flush();
	agent_release(a);
	agent_config_release(&a->cfg);
	free(a);
	return r;
}
