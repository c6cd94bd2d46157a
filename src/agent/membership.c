/*
 * The membership machine in the agent (docs/membership.md): the state
 * dir and node identity it signs with, the sockets, the swim machine and
 * what it queues (datagrams, push-pulls, events), the --join seeds it
 * retries and the snapshot that makes a restart rejoin fast. Every
 * membership event is logged here once and handed to the subsystems
 * (AGENT_EV_MEMBER).
 */
#include "agent/membership.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/log.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"
#include "net/udp.h"

#define SEED_BACKOFF_MIN_MS	1000
#define SEED_BACKOFF_MAX_MS	30000
#define TICK_MAX_MS		100	/* inputs may create earlier deadlines */

struct agent_members {
	uv_timer_t	 tick;		/* swim's deadlines; closed with the
					   loop, freed after it */
	/* What the log remembers of each member: a hash of its name and
	 * address, so that "member updated" is said at notice only when
	 * one changed. */
	struct strmap	 seen;		/* id hex -> hash */
};

/* ---- State dir, identity, sockets ------------------------------------- */

int
agent_members_state(struct agent *a, struct tl_err *err)
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
	a->members = xcalloc(1, sizeof(*a->members));
	return 0;
}

void
agent_members_config(struct agent *a)
{
	struct swim_config *sc = &a->swim_cfg;

	if (a->cfg.profile == AGENT_WAN)
		swim_config_wan(sc);
	else if (a->cfg.profile == AGENT_LOCAL)
		swim_config_local(sc);
	else
		swim_config_lan(sc);
	sc->max_datagram = PKT_UDP_MAX - PKT_OVERHEAD - PKT_PART_HDR;
	sc->sign = ident_sign;
	sc->verify = ident_verify;
	sc->hash16 = ident_chain_hash;
	sc->crypto_ctx = a->ident;
}

/*
 * What a killed run or agent left in the state dir (docs/recipes.md):
 * the temporary files the converge's and the bucket's ledgers name, and
 * the agent's own older than a minute. Called once the sockets prove no
 * other agent runs on this state dir.
 */
static void
sweep_leftovers(struct agent *a)
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

int
agent_members_sockets(struct agent *a, struct tl_err *err)
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
	sweep_leftovers(a);
	return 0;
}

/* ---- Seeds: --join addresses, retried with capped backoff forever ---- */

void
agent_join(struct agent *a, const char *addr)
{
	struct swim_io io;

	agent_io(a, &io);
	if (swim_join(a->swim, &io, addr) < 0)
		log_warn("cannot join through '%s': address too long", addr);
	agent_flush(a);
}

int
agent_member_named(struct agent *a, const char *name, int even_suspect,
    char *addr)
{
	struct swim_member m;

	for (size_t i = 1; i < swim_member_count(a->swim); i++)
		if (swim_member_at(a->swim, i, &m) == 0 &&
		    strcmp(m.name, name) == 0 && (m.status == SWIM_ALIVE ||
		    (even_suspect && m.status == SWIM_SUSPECT))) {
			if (addr != NULL)
				snprintf(addr, ADDR_STR_MAX, "%s", m.addr);
			return 1;
		}
	return 0;
}

int
agent_member_signed(struct agent *a, const uint8_t *id, const char *name,
    const struct buf *msg, const uint8_t *sig)
{
	struct swim_member m;

	if (swim_member_find(a->swim, id, &m) < 0 || m.status == SWIM_LEFT ||
	    strcmp(m.name, name) != 0)
		return -1;
	return ident_verify(a->ident, id, (const uint8_t *)msg->data,
	    msg->len, sig);
}

int
agent_peer_signed(struct agent *a, const uint8_t *id, const uint8_t *msg,
    size_t len, const uint8_t *sig, struct swim_member *m)
{
	struct swim_member found;

	if (m == NULL)
		m = &found;
	if (ident_verify(a->ident, id, msg, len, sig) < 0)
		return TL_ECRYPTO;
	if (swim_member_find(a->swim, id, m) < 0 || m->is_self ||
	    (m->status != SWIM_ALIVE && m->status != SWIM_SUSPECT))
		return TL_ENOENT;
	return 0;
}

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

static void
seeds_tick(struct agent *a)
{
	uint64_t now = agent_now(a);

	for (size_t i = 0; i < a->nseeds; i++) {
		struct seed *s = &a->seeds[i];

		if (seed_is_alive(a, s->addr)) {
			s->backoff_ms = SEED_BACKOFF_MIN_MS;
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
		if (s->backoff_ms > SEED_BACKOFF_MAX_MS)
			s->backoff_ms = SEED_BACKOFF_MAX_MS;
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
		s->backoff_ms = SEED_BACKOFF_MIN_MS;
		s->next_ms = 0;
		a->nseeds++;
	}
	return 0;
}

/* ---- Snapshot ------------------------------------------------------- */

void
agent_members_save(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	if (a->swim == NULL)
		return;
	swim_snapshot_encode(a->swim, &b);
	if (fileio_write_private(a->snap_path, b.data, b.len, &err) < 0)
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

/* ---- Open, tick, leave, close ---------------------------------------- */

static void
tick_cb(uv_timer_t *t)
{
	struct agent *a = t->data;
	struct swim_io io;
	int next;

	agent_io(a, &io);
	next = swim_on_tick(a->swim, &io);
	agent_flush(a);
	if (next < 1)
		next = 1;
	uv_timer_start(t, tick_cb, next > TICK_MAX_MS ? TICK_MAX_MS :
	    (uint64_t)next, 0);
}

int
agent_members_open(struct agent *a, struct tl_err *err)
{
	struct swim_self self;
	uint64_t seed;

	memset(&self, 0, sizeof(self));
	memcpy(self.id, ident_public(a->ident), SWIM_ID_LEN);
	self.name = a->cfg.name;
	self.addr = a->cfg.advertise;
	buf_reset(&a->tags_own);
	agent_tags_compose(a, &a->tags_own);
	self.tags = a->tags_own.data;
	self.tags_len = a->tags_own.len;
	randombytes_buf(&seed, sizeof(seed));
	tl_rng_seed(&a->rng, seed);
	log_info("rng seed %llu", (unsigned long long)seed);
	swim_outbox_init(&a->ob);
	a->swim = swim_new(&a->swim_cfg, &self, err);
	if (a->swim == NULL)
		return err->code ? err->code : TL_EINVAL;
	snapshot_restore(a);
	uv_timer_init(a->loop, &a->members->tick);
	a->members->tick.data = a;
	uv_timer_start(&a->members->tick, tick_cb, 0, 0);
	return seeds_init(a, err);
}

static void
drops_tick(struct agent *a)
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

void
agent_members_tick(struct agent *a)
{
	if (!a->is_leaving)
		seeds_tick(a);
	drops_tick(a);
	if (a->is_snap_dirty)
		agent_members_save(a);
}

uint64_t
agent_members_leave(struct agent *a)
{
	struct swim_io io;
	uint64_t wait;
	int r;

	agent_io(a, &io);
	if ((r = swim_leave(a->swim, &io)) < 0)
		log_err("cannot sign leave: %s", tl_strerror(r));
	agent_flush(a);
	/* Keep gossiping the leave a while: about what swim's retransmit
	 * limit needs for a small cluster, bounded both ways. */
	wait = (uint64_t)a->swim_cfg.gossip_interval_ms *
	    a->swim_cfg.retransmit_mult * 2;
	return wait < 500 ? 500 : wait > 3000 ? 3000 : wait;
}

void
agent_members_close(struct agent *a)
{
	swim_free(a->swim);
	a->swim = NULL;
	swim_outbox_release(&a->ob);
	if (a->members != NULL)
		strmap_release(&a->members->seen);
	free(a->members);
	a->members = NULL;
}

/* ---- Events --------------------------------------------------------- */

static const char *const ev_names[] = {
	[SWIM_EV_JOINED] = "joined", [SWIM_EV_ALIVE] = "alive",
	[SWIM_EV_SUSPECT] = "suspect", [SWIM_EV_FAILED] = "failed",
	[SWIM_EV_LEFT] = "left", [SWIM_EV_UPDATED] = "updated",
	[SWIM_EV_NAME_CONFLICT] = "name-conflict",
	[SWIM_EV_REFUTED] = "refuted",
};

/*
 * Did the member's name or address change since we last logged it? Tags
 * change on every converge of every node (run=, policy=): those updates
 * are no news to a human, and go to debug.
 */
static int
member_moved(struct agent *a, const struct swim_event *ev, const char *id)
{
	size_t h = 14695981039346656037ull, old;
	int known;

	for (const char *p = ev->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ '\t') * 1099511628211ull;
	for (const char *p = ev->addr; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	known = strmap_get(&a->members->seen, id, &old);
	strmap_put(&a->members->seen, id, h);
	return known && old != h;
}

static void
log_event(struct agent *a, const struct swim_event *ev)
{
	char id[17], other[17];
	int moved;

	agent_id_hex(ev->id, id);
	moved = member_moved(a, ev, id);
	if (ev->kind == SWIM_EV_NAME_CONFLICT) {
		agent_id_hex(ev->other_id, other);
		log_warn("member name-conflict name=%s id=%s holder=%s "
		    "addr=%s", ev->name, id, other, ev->addr);
	} else if (ev->kind == SWIM_EV_SUSPECT || ev->kind == SWIM_EV_FAILED) {
		agent_id_hex(ev->other_id, other);
		log_warn("member %s name=%s id=%s addr=%s incarnation=%u "
		    "by=%s", ev_names[ev->kind], ev->name, id, ev->addr,
		    ev->incarnation, other);
	} else if (ev->kind == SWIM_EV_UPDATED && !moved)
		log_debug("member updated name=%s id=%s addr=%s "
		    "incarnation=%u", ev->name, id, ev->addr,
		    ev->incarnation);
	else
		log_notice("member %s name=%s id=%s addr=%s incarnation=%u",
		    ev_names[ev->kind], ev->name, id, ev->addr,
		    ev->incarnation);
}

/* ---- TCP push-pull -------------------------------------------------- */

struct pp_client {
	struct agent	*a;
	char		 addr[SWIM_ADDR_MAX + 1];
};

static void
pp_reply_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct pp_client *pc = ctx;
	struct agent *a = pc->a;
	struct buf body = BUF_INIT;
	struct swim_io io;

	if (rc == 0 && a->swim != NULL && (rc = agent_frame_open(a, PKT_TCP,
	    p, len, AGENT_TCP_MAX, &body, NULL)) == 0) {
		agent_io(a, &io);
		rc = swim_pushpull_merge(a->swim, &io, (uint8_t *)body.data,
		    body.len, NULL);
		a->is_snap_dirty = 1;
		agent_flush(a);
	}
	if (rc < 0) {
		a->st.tcp_failures++;
		log_info("push-pull with %s failed: %s", pc->addr,
		    tl_strerror(rc));
	} else
		a->st.tcp_out++;
	buf_release(&body);
	free(pc);
}

static void
pp_start(struct agent *a, const struct swim_pushpull_req *req)
{
	struct buf state = BUF_INIT, pkt = BUF_INIT;
	struct pp_client *pc;

	swim_pushpull_encode(a->swim, req->is_join, &state);
	if (agent_seal_for(a, req->addr, PKT_TCP, &state, &pkt) == 0) {
		pc = xcalloc(1, sizeof(*pc));
		pc->a = a;
		snprintf(pc->addr, sizeof(pc->addr), "%s", req->addr);
		stream_request_tcp(a->loop, req->addr, pkt.data, pkt.len,
		    AGENT_TCP_MAX, AGENT_TCP_TIMEOUT_MS, pp_reply_cb, pc);
	}
	buf_release(&state);
	buf_release(&pkt);
}

/* A push-pull from a peer: merge, answer with our state. */
void
agent_pushpull_serve(struct agent *a, struct stream_conn *c,
    const uint8_t *p, size_t len)
{
	struct buf body = BUF_INIT, state = BUF_INIT, pkt = BUF_INIT;
	uint8_t id[KEYRING_ID_LEN];
	struct swim_io io;
	int r;

	if ((r = agent_frame_open(a, PKT_TCP, p, len, AGENT_TCP_MAX, &body,
	    id)) == 0) {
		agent_io(a, &io);
		r = swim_pushpull_merge(a->swim, &io, (uint8_t *)body.data,
		    body.len, NULL);
	}
	if (r == 0) {
		/* Answer with the key the peer used: it may lack ours. */
		swim_pushpull_encode(a->swim, 0, &state);
		r = pkt_seal(a->kr, id, PKT_TCP, agent_wall_ms(),
		    (uint8_t *)state.data, state.len, &pkt);
		a->st.tcp_in++;
		a->is_snap_dirty = 1;
	} else {
		a->st.tcp_failures++;
		log_info("push-pull from %s refused: %s", stream_conn_peer(c),
		    tl_strerror(r));
		agent_guard_on_drop(a, stream_conn_peer(c), r);
	}
	/* An empty frame tells a refused peer nothing it can use. */
	stream_respond(c, pkt.data, pkt.len);
	buf_release(&body);
	buf_release(&state);
	buf_release(&pkt);
	agent_flush(a);
}

/* ---- Flush ---------------------------------------------------------- */

/* Sends every queued datagram, coalescing those for one address. */
static void
flush_dgrams(struct agent *a)
{
	const size_t room = PKT_UDP_MAX - PKT_OVERHEAD;
	struct swim_outbox *ob = &a->ob;
	struct buf body = BUF_INIT;
	uint8_t *sent = xcalloc(ob->ndgrams + 1, 1);

	for (size_t i = 0; i < ob->ndgrams; i++) {
		if (sent[i])
			continue;
		buf_reset(&body);
		for (size_t j = i; j < ob->ndgrams; j++) {
			struct swim_dgram *d = &ob->dgrams[j];

			if (sent[j] || strcmp(d->addr, ob->dgrams[i].addr) ||
			    body.len + PKT_PART_HDR + d->len > room)
				continue;
			pkt_part_add(&body, PKT_PART_SWIM, d->data, d->len);
			sent[j] = 1;
		}
		if (body.len > 0)
			agent_send_body(a, ob->dgrams[i].addr,
			    (uint8_t *)body.data, body.len);
	}
	free(sent);
	buf_release(&body);
}

void
agent_flush(struct agent *a)
{
	struct swim_outbox *ob = &a->ob;
	struct agent_event ev = { .kind = AGENT_EV_MEMBER };
	struct swim_event *evs;
	size_t n = ob->nevents;

	flush_dgrams(a);
	for (size_t i = 0; i < ob->npushpulls; i++)
		pp_start(a, &ob->pushpulls[i]);
	for (size_t i = 0; i < n; i++) {
		log_event(a, &ob->events[i]);
		a->is_snap_dirty = 1;
	}
	if (n == 0) {
		swim_outbox_reset(ob);
		return;
	}
	/* Events are handed out after the reset: a subsystem may queue new
	 * swim datagrams (a tag change) through agent_flush() again. */
	evs = xcalloc(n, sizeof(*evs));
	memcpy(evs, ob->events, n * sizeof(*evs));
	swim_outbox_reset(ob);
	for (size_t i = 0; i < n; i++) {
		agent_keyauth_on_event(a, &evs[i]);
		ev.member = &evs[i];
		agent_emit(a, &ev);
	}
	free(evs);
}
