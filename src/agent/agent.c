/*
 * The agent's life: start (state dir, identity, keyring, sockets, swim,
 * snapshot, seeds), the tick and housekeeping timers, signals, graceful
 * leave and shutdown. Packets are handled in wire.c, key rotation in
 * keys.c, control requests in ctl_srv.c.
 *
 * Time: swim gets uv_now() (monotonic ms); packets carry the wall clock
 * for the replay window (net/packet.h). Randomness: swim's rng is seeded
 * once from randombytes, so a run is replayable from the logged seed.
 */
#include "agent.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/agent_int.h"
#include "agent/svc.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "agent/ctl.h"
#include "net/ident.h"
#include "net/stream.h"
#include "net/udp.h"

#define REPLAY_CAP	1024	/* nonces at first: 24 KiB */
#define REPLAY_MAX	65536	/* 1.5 MiB, ~1000 packets/s for a minute */
#define REPLAY_PAST_MS	60000	/* delivery delay plus clock skew */
#define REPLAY_FUTURE_MS 10000	/* the clock-skew bound */
#define TICK_MAX_MS	100	/* inputs may create earlier deadlines */

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
}

/* ---- Seeds: --join addresses, retried with capped backoff forever ---- */

static int
seed_is_alive(struct agent *a, const char *addr)
{
	struct swim_member m;

	for (size_t i = 1; i < swim_member_count(a->swim); i++)
		if (swim_member_at(a->swim, i, &m) == 0 &&
		    strcmp(m.addr, addr) == 0 && (m.status == SWIM_ALIVE ||
		    m.status == SWIM_SUSPECT))
			return 1;
	return 0;
}

void
agent_join(struct agent *a, const char *addr)
{
	struct swim_io io;

	agent_io(a, &io);
	if (swim_join(a->swim, &io, addr) < 0)
		log_warn("cannot join through '%s': address too long", addr);
	agent_flush(a);
}

static void
seeds_house(struct agent *a)
{
	uint64_t now = agent_now(a);

	for (size_t i = 0; i < a->nseeds; i++) {
		struct seed *s = &a->seeds[i];

		if (seed_is_alive(a, s->addr)) {
			s->backoff_ms = AGENT_SEED_BACKOFF_MIN_MS;
			s->next_ms = now + s->backoff_ms;
			continue;
		}
		if (now < s->next_ms)
			continue;
		log_info("joining through seed %s (next try in %u ms)",
		    s->addr, s->backoff_ms);
		agent_join(a, s->addr);
		s->next_ms = now + s->backoff_ms;
		s->backoff_ms *= 2;
		if (s->backoff_ms > AGENT_SEED_BACKOFF_MAX_MS)
			s->backoff_ms = AGENT_SEED_BACKOFF_MAX_MS;
	}
}

static int
seeds_init(struct agent *a, struct tl_err *err)
{
	for (size_t i = 0; i < a->cfg.njoins; i++) {
		struct seed *s = &a->seeds[a->nseeds];

		if (addr_resolve(a->cfg.joins[i], s->addr, err) < 0)
			return agent_err_wrap(err, err->code, "join");
		if (strcmp(s->addr, a->cfg.advertise) == 0)
			continue;
		s->backoff_ms = AGENT_SEED_BACKOFF_MIN_MS;
		s->next_ms = 0;
		a->nseeds++;
	}
	return 0;
}

/* ---- Snapshot ------------------------------------------------------- */

static void
snapshot_save(struct agent *a)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	meta.mode = 0600;
	swim_snapshot_encode(a->swim, &b);
	if (fileio_write_atomic(a->snap_path, b.data, b.len, &meta, &err) < 0)
		log_warn("cannot save snapshot: %s", err.msg);
	else
		a->is_snap_dirty = 0;
	buf_release(&b);
}

static void
snapshot_restore(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	int r;

	r = fileio_read(a->snap_path, SWIM_PUSHPULL_MAX, &b, &err);
	if (r == TL_ENOENT)
		goto out;
	if (r == 0)
		r = swim_snapshot_restore(a->swim, (uint8_t *)b.data, b.len);
	if (r < 0)
		log_warn("ignoring snapshot '%s': %s", a->snap_path,
		    err.msg[0] ? err.msg : tl_strerror(r));
	else
		log_info("restored snapshot %s (%zu bytes)", a->snap_path,
		    b.len);
out:
	buf_release(&b);
}

/* ---- Timers --------------------------------------------------------- */

static void
tick_cb(uv_timer_t *t)
{
	struct agent *a = t->data;
	struct swim_io io;
	int next;

	agent_io(a, &io);
	next = swim_on_tick(a->swim, &io);
	agent_flush(a);
	if (a->bcast != NULL) {
		int bn = agent_msgs_tick(a);

		if (bn < next)
			next = bn;
	}
	if (next < 1)
		next = 1;
	uv_timer_start(&a->tick, tick_cb, next > TICK_MAX_MS ? TICK_MAX_MS :
	    (uint64_t)next, 0);
}

static void
drops_house(struct agent *a)
{
	uint64_t now = agent_now(a), d = pkt_stats_dropped(&a->st.pkt);

	/* One summary line a minute at most, not one line per packet. */
	if (d == a->st.logged_drops || now - a->last_drop_log_ms < 60000)
		return;
	log_warn("dropped %llu bad packets since the last report (%llu "
	    "decrypt failures, %llu unknown key, %llu replays, %llu stale, "
	    "%llu stamped in the future)",
	    (unsigned long long)(d - a->st.logged_drops),
	    (unsigned long long)a->st.pkt.decrypt_failures,
	    (unsigned long long)a->st.pkt.unknown_key,
	    (unsigned long long)a->st.pkt.replays,
	    (unsigned long long)a->st.pkt.stale,
	    (unsigned long long)a->st.pkt.future);
	a->st.logged_drops = d;
	a->last_drop_log_ms = now;
}

static void
house_cb(uv_timer_t *t)
{
	struct agent *a = t->data;

	if (!a->is_leaving)
		seeds_house(a);
	agent_keys_house(a);
	agent_policy_house(a);
	agent_pack_house(a);
	agent_prog_house(a);
	agent_chan_house(a);
	agent_keyauth_house(a);
	agent_query_house(a);
	agent_repl_house(a);
	drops_house(a);
	log_tick();
	if (a->is_snap_dirty)
		snapshot_save(a);
}

/* ---- Leave and stop ------------------------------------------------- */

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
agent_stop(struct agent *a)
{
	snapshot_save(a);
	uv_stop(a->loop);
}

static void
leave_timer_cb(uv_timer_t *t)
{
	struct agent *a = t->data;

	log_notice("left the cluster");
	agent_stop(a);
}

void
agent_leave(struct agent *a)
{
	struct swim_io io;
	uint64_t wait;
	int r;

	if (a->is_leaving)
		return;
	a->is_leaving = 1;
	agent_pack_leave(a);
	agent_io(a, &io);
	if ((r = swim_leave(a->swim, &io)) < 0)
		log_err("cannot sign leave: %s", tl_strerror(r));
	agent_flush(a);
	/* Keep gossiping the leave a while: about what swim's retransmit
	 * limit needs for a small cluster, bounded both ways. */
	wait = (uint64_t)a->swim_cfg.gossip_interval_ms *
	    a->swim_cfg.retransmit_mult * 2;
	wait = wait < 500 ? 500 : wait > 3000 ? 3000 : wait;
	log_notice("leaving: broadcasting for %llu ms",
	    (unsigned long long)wait);
	uv_timer_start(&a->leave_timer, leave_timer_cb, wait, 0);
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct agent *a = s->data;

	if (signum != SIGHUP) {
		if (a->is_leaving) {
			log_notice("second signal: stopping now");
			agent_stop(a);
			return;
		}
		agent_leave(a);
		return;
	}
	agent_reload(a);
}

void
agent_reload(struct agent *a)
{
	struct agent_config nc;
	struct tl_err err = TL_ERR_INIT;
	int r;

	agent_config_init(&nc);
	if (agent_config_load(&nc, a->argc, a->argv, &err) < 0) {
		log_err("reload failed, keeping the old settings: %s",
		    err.msg);
		agent_config_release(&nc);
		return;
	}
	agent_pack_tags(a, &nc.tags);	/* maybe not in the config file */
	if (keyring_load(a->kr, nc.keyring_path, &err) < 0)
		log_err("reload: keeping the old keyring: %s", err.msg);
	else
		agent_peer_keys_prune(a);
	if (agent_config_log(&nc, &err) < 0)
		log_err("reload: keeping the old log target: %s", err.msg);
	agent_chan_tags(a, &nc.tags);
	if (nc.tags.len != a->cfg.tags.len ||
	    memcmp(nc.tags.data, a->cfg.tags.data, nc.tags.len) != 0) {
		if ((r = agent_tags_push(a, &nc.tags)) < 0)
			log_err("reload: cannot set tags: %s", tl_strerror(r));
	}
	/* Only what can change live is taken; the rest waits a restart. */
	buf_release(&a->cfg.tags);
	a->cfg.tags = nc.tags;
	buf_init(&nc.tags);
	a->cfg.log_level = nc.log_level;
	a->cfg.log_format = nc.log_format;
	a->cfg.bucket_replicas = nc.bucket_replicas;
	a->cfg.replica_max_bytes = nc.replica_max_bytes;
	agent_prog_reload(a, &nc);
	agent_config_release(&nc);
	log_notice("reloaded configuration");
}

/* ---- Start ---------------------------------------------------------- */

static void
swim_config_for(const struct agent_config *c, struct swim_config *sc)
{
	if (c->profile == AGENT_WAN)
		swim_config_wan(sc);
	else if (c->profile == AGENT_LOCAL)
		swim_config_local(sc);
	else
		swim_config_lan(sc);
	sc->max_datagram = PKT_UDP_MAX - PKT_OVERHEAD - PKT_PART_HDR;
	sc->sign = ident_sign;
	sc->verify = ident_verify;
}

static int
agent_open_state(struct agent *a, struct tl_err *err)
{
	const char *dir = a->cfg.state_dir;
	char *keypath;

	if (fileio_mkdirs(dir, 0700, err) < 0 || chmod(dir, 0700) < 0)
		return tl_err_sys(err, TL_EIO,
		    "state dir '%s' is not usable", dir);
	if (keyring_load(a->kr, a->cfg.keyring_path, err) < 0) {
		char pre[300];

		snprintf(pre, sizeof(pre), "keyring '%s'",
		    a->cfg.keyring_path);
		return agent_err_wrap(err, err->code, pre);
	}
	keypath = xasprintf("%s/node.key", dir);
	a->ident = ident_load_or_create(keypath, err);
	free(keypath);
	if (a->ident == NULL)
		return err->code;
	a->sock_path = xasprintf("%s/agent.sock", dir);
	a->snap_path = xasprintf("%s/members.snap", dir);
	return 0;
}

/*
 * What a killed run or agent left in the state dir (docs/recipes.md):
 * the temporary files the converge's and the bucket's ledgers name, and
 * the agent's own older than a minute. Called once the sockets prove no
 * other agent runs on this state dir.
 */
static void
agent_sweep_leftovers(struct agent *a)
{
	static const char *const ledgers[] = { "tmp", "bucket/tmp" };
	struct tl_err err = TL_ERR_INIT;
	int n = 0, r;

	for (size_t i = 0; i < 2; i++) {
		char *d = xasprintf("%s/%s", a->cfg.state_dir, ledgers[i]);

		if ((r = fsroot_sweep(d, &err)) < 0)
			log_warn("%s", err.msg);
		n += r > 0 ? r : 0;
		free(d);
	}
	if ((r = fsroot_sweep_names(a->cfg.state_dir, 60, &err)) > 0)
		n += r;
	if (n > 0)
		log_notice("removed %d temporary file%s left by an interrupted "
		    "run", n, n == 1 ? "" : "s");
}

static int
agent_open_sockets(struct agent *a, struct tl_err *err)
{
	struct buf probe = BUF_INIT;
	int status;

	a->udp = udp_open(a->loop, a->cfg.bind, agent_udp_recv, a, err);
	if (a->udp == NULL)
		return agent_err_wrap(err, TL_EIO, "bind");
	a->tcp = stream_listen_tcp(a->loop, a->cfg.bind, AGENT_TCP_MAX,
	    AGENT_TCP_TIMEOUT_MS, agent_tcp_serve, a, err);
	if (a->tcp == NULL)
		return agent_err_wrap(err, TL_EIO, "bind");
	/* Another agent on this state dir answers; do not steal its socket. */
	if (ctl_call(a->sock_path, CTL_INFO, 0, 0, NULL, 1000, &status,
	    &probe, NULL) == 0) {
		buf_release(&probe);
		return tl_err_set(err, TL_EEXIST, "state dir '%s': another "
		    "agent is running there", a->cfg.state_dir);
	}
	buf_release(&probe);
	a->ctl = stream_listen_unix(a->loop, a->sock_path, CTL_REQ_MAX,
	    60000, agent_ctl_serve, a, err);
	if (a->ctl == NULL)
		return TL_EIO;
	stream_srv_set_max_conns(a->ctl, 8);
	agent_guard_open(a);
	return 0;
}

static int
agent_open_swim(struct agent *a, struct tl_err *err)
{
	struct swim_self self;
	struct buf tags = BUF_INIT;
	uint64_t seed;

	swim_config_for(&a->cfg, &a->swim_cfg);
	a->swim_cfg.crypto_ctx = a->ident;
	memset(&self, 0, sizeof(self));
	memcpy(self.id, ident_public(a->ident), SWIM_ID_LEN);
	self.name = a->cfg.name;
	self.addr = a->cfg.advertise;
	buf_add(&tags, a->cfg.tags.data, a->cfg.tags.len);
	agent_policy_tags(a, &tags);
	agent_svc_tags(a, &tags);
	self.tags = tags.data;
	self.tags_len = tags.len;
	randombytes_buf(&seed, sizeof(seed));
	tl_rng_seed(&a->rng, seed);
	log_info("rng seed %llu", (unsigned long long)seed);
	a->swim = swim_new(&a->swim_cfg, &self, err);
	buf_release(&tags);
	if (a->swim == NULL)
		return err->code ? err->code : TL_EINVAL;
	swim_outbox_init(&a->ob);
	snapshot_restore(a);
	return seeds_init(a, err);
}

static void
agent_start_loop(struct agent *a)
{
	uv_timer_init(a->loop, &a->tick);
	uv_timer_init(a->loop, &a->house);
	uv_timer_init(a->loop, &a->leave_timer);
	a->tick.data = a->house.data = a->leave_timer.data = a;
	uv_timer_start(&a->tick, tick_cb, 0, 0);
	uv_timer_start(&a->house, house_cb, 0, 1000);
	agent_pack_start(a);
	uv_signal_init(a->loop, &a->sig_term);
	uv_signal_init(a->loop, &a->sig_int);
	uv_signal_init(a->loop, &a->sig_hup);
	a->sig_term.data = a->sig_int.data = a->sig_hup.data = a;
	uv_signal_start(&a->sig_term, signal_cb, SIGTERM);
	uv_signal_start(&a->sig_int, signal_cb, SIGINT);
	uv_signal_start(&a->sig_hup, signal_cb, SIGHUP);
}

static void
agent_release(struct agent *a)
{
	if (a->loop != NULL) {
		/* Sockets free their state in their own close callbacks;
		 * what is left (timers, signals) lives inside *a. */
		udp_close(a->udp);
		stream_srv_close(a->tcp);
		stream_srv_close(a->ctl);
		agent_http_close(a);
		agent_conv_close(a);
		agent_svc_close(a);
		if (a->tick.data != NULL) {
			uv_timer_stop(&a->tick);
			uv_timer_stop(&a->house);
		}
		/* Waiting control clients (listen, run) get an answer, and
		 * the loop a few turns to send it and close their
		 * connections before everything else is closed. */
		agent_repl_stop(a);
		agent_chan_close(a);
		agent_convreq_close(a);
		agent_query_close(a);
		for (int i = 0; i < 8; i++)
			uv_run(a->loop, UV_RUN_NOWAIT);
		uv_walk(a->loop, close_walk_cb, NULL);
		uv_run(a->loop, UV_RUN_DEFAULT);
		uv_loop_close(a->loop);
	}
	if (a->sock_path != NULL && a->ctl != NULL)
		unlink(a->sock_path);
	agent_conv_free(a);
	agent_svc_free(a);
	agent_hist_close(a);
	agent_repl_close(a);
	agent_convreq_free(a);
	agent_handlers_free(a);
	agent_prog_free(a);
	agent_policy_close(a);
	agent_pack_release(a);
	agent_msgs_close(a);
	agent_refusals_free(a);
	swim_free(a->swim);
	swim_outbox_release(&a->ob);
	keyring_free(a->kr);
	agent_keyauth_free(a);	/* before the ident that borrows its list */
	ident_free(a->ident);
	replay_free(a->replay);
	agent_guard_free(a);
	free(a->keyop);
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
	log_set_prefix(a->cfg.name);
	if ((r = agent_config_log(&a->cfg, err)) < 0 ||
	    (r = agent_open_state(a, err)) < 0)
		goto out;
	TL_ASSERT(uv_loop_init(&loop) == 0);
	a->loop = &loop;
	if ((r = agent_keyauth_open(a, err)) < 0 ||
	    (r = agent_open_sockets(a, err)) < 0 ||
	    (r = agent_policy_open(a, err)) < 0 ||
	    (r = agent_chan_open(a, err)) < 0 ||
	    (r = agent_svc_open(a, err)) < 0 ||
	    (r = agent_open_swim(a, err)) < 0 ||
	    (r = agent_pack_open(a, err)) < 0 ||
	    (r = agent_msgs_open(a, err)) < 0 ||
	    (r = agent_hist_open(a, err)) < 0 ||
	    (r = agent_http_open(a, err)) < 0)
		goto out;
	agent_sweep_leftovers(a);
	agent_query_open(a);
	agent_repl_open(a);
	agent_start_loop(a);
	agent_handlers_open(a);
	agent_conv_open(a, err);
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

void
agent_id_hex(const uint8_t *id, char out[17])
{
	sodium_bin2hex(out, 17, id, 8);
}
