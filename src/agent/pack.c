/*
 * The agent's side of packs (docs/pack.md): drives the pure election
 * machine of src/cluster/pack.h with the loop's clock, the agent's rng,
 * the SWIM view and the UDP socket, saves its state, and answers
 * `tlaloc packs` and `tlaloc pack step-down`.
 *
 * Authentication: the cluster key only proves a packet came from some
 * member; a pack message must also prove which member sent it, since a
 * vote counts once per node. So every pack message travels as
 *   PKT_PART_PACK = message || Ed25519 signature of message (64 bytes)
 * signed with the sender's node key, whose public half is the id the
 * message names as its sender. A bad signature is a forgery: dropped and
 * counted, as is a sender that SWIM does not show as a live member with
 * tag pack=OUR-PACK (a node claiming a pack it is not configured for).
 */
#include "agent/pack.h"

#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/chan.h"
#include "ctl/ctl.h"
#include "agent/msgs.h"
#include "agent/refusals.h"
#include "cluster/bcast.h"
#include "cluster/chan.h"
#include "cluster/pack.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"

#define PACK_STATE_MAX	(64u * 1024)

struct agent_pack {
	struct pack		*m;		/* NULL: in no pack */
	struct pack_config	 cfg;
	struct pack_outbox	 ob;
	uv_timer_t		*timer;		/* the machine's deadlines */
	char			*path;		/* saved term, vote, voters */
	uint64_t		 changed_wall;	/* last leader change */
	struct agent_pack_stats	 st;
};

static const char *const role_names[] = {
	[PACK_FOLLOWER] = "follower", [PACK_PRECANDIDATE] = "pre-candidate",
	[PACK_CANDIDATE] = "candidate", [PACK_LEADER] = "leader"
};

static const char *const reason_names[] = {
	[PACK_R_NONE] = "none", [PACK_R_HIGHER_TERM] = "saw a newer term",
	[PACK_R_NO_QUORUM] = "lost contact with a majority",
	[PACK_R_REQUESTED] = "asked to step down",
	[PACK_R_REMOVED] = "removed from the voters"
};

/* The member's name, or its id in hex when SWIM does not know it. */
static void
name_of(struct agent *a, const uint8_t *id, char *out, size_t n)
{
	struct swim_member m;
	char hex[17];

	if (swim_member_find(a->swim, id, &m) == 0) {
		snprintf(out, n, "%s", m.name);
		return;
	}
	agent_id_hex(id, hex);
	snprintf(out, n, "%s", hex);
}

/* ---- Leader changes: logs, gossip, and the hook channels will use ----- */

/*
 * pack=NAME while we are in a pack, and pack_leader=TERM while we lead
 * it. Leaders publish their term so that nodes of other packs can list
 * every pack's leader from gossip alone (`tlaloc packs`).
 */
static void
pack_tags(const struct agent *a, struct buf *tags)
{
	const struct pack *m = a->pack != NULL ? a->pack->m : NULL;
	char kv[48 + PACK_NAME_MAX];

	if (m != NULL) {
		snprintf(kv, sizeof(kv), "pack=%s", pack_name(m));
		(void)agent_tags_apply(tags, kv, 0, NULL);
	}
	if (m == NULL || pack_role(m) != PACK_LEADER) {
		(void)agent_tags_apply(tags, "pack_leader", 1, NULL);
		return;
	}
	snprintf(kv, sizeof(kv), "pack_leader=%llu",
	    (unsigned long long)pack_term(m));
	(void)agent_tags_apply(tags, kv, 0, NULL);
}

/* "#pack-NAME", or 0 when the name is too long for a channel. */
static int
pack_channel(const struct agent *a, char out[CHAN_NAME_MAX + 1])
{
	int n = snprintf(out, CHAN_NAME_MAX + 1, "#pack-%s",
	    pack_name(a->pack->m));

	return n > 0 && n < CHAN_NAME_MAX;
}

/* Pack members listen on #pack-NAME, where leaders announce themselves. */
static void
pack_channel_join(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	char ch[CHAN_NAME_MAX + 1];

	if (!pack_channel(a, ch))
		return;
	if (agent_chan_set(a, ch, 1, &err) < 0)
		log_warn("pack %s: cannot join %s: %s", pack_name(a->pack->m), ch,
		    err.msg);
}

/*
 * A leader's own change of state, said once on #pack-NAME by the node it
 * happened to: `tlaloc listen '#pack-web'` and recipe handlers
 * (on("#pack-web", "^leader ", fn)) follow the pack without polling.
 */
static void
pack_channel_say(struct agent *a, const struct pack_event *ev)
{
	struct tl_err err = TL_ERR_INIT;
	char ch[CHAN_NAME_MAX + 1], text[160];
	uint64_t ltime;

	if (!pack_channel(a, ch))
		return;
	if (ev->kind == PACK_EV_ELECTED)
		snprintf(text, sizeof(text), "leader %s term %llu",
		    a->cfg.name, (unsigned long long)ev->term);
	else
		snprintf(text, sizeof(text), "stepped-down %s term %llu: %s",
		    a->cfg.name, (unsigned long long)ev->term,
		    reason_names[ev->reason]);
	if (agent_msgs_send(a, BCAST_CHANNEL, ch, text, strlen(text), &ltime,
	    &err) < 0)
		log_warn("pack %s: cannot announce on %s: %s",
		    pack_name(a->pack->m), ch, err.msg);
}

/*
 * Every leadership event of our pack (elected, new leader, leader lost,
 * stepped down, voters changed, election started) passes through here
 * once, after the state is saved: it logs it, and a change of our own
 * leadership is gossiped (tags) and said on #pack-NAME.
 */
static void
pack_announce(struct agent *a, const struct pack_event *ev)
{
	const char *pn = pack_name(a->pack->m);
	char who[80];

	name_of(a, ev->id, who, sizeof(who));
	switch (ev->kind) {
	case PACK_EV_ELECTED:
		log_notice("pack %s: elected leader for term %llu", pn,
		    (unsigned long long)ev->term);
		break;
	case PACK_EV_LEADER:
		log_notice("pack %s: leader %s for term %llu", pn, who,
		    (unsigned long long)ev->term);
		break;
	case PACK_EV_LEADER_LOST:
		log_info("pack %s: no leader known (was %s, term %llu)", pn,
		    who, (unsigned long long)ev->term);
		break;
	case PACK_EV_STEPPED_DOWN:
		log_notice("pack %s: stepped down in term %llu: %s", pn,
		    (unsigned long long)ev->term, reason_names[ev->reason]);
		break;
	case PACK_EV_VOTERS:
		log_notice("pack %s: voters now %zu (version %llu)", pn,
		    pack_voters(a->pack->m)->n,
		    (unsigned long long)pack_voters(a->pack->m)->version);
		break;
	case PACK_EV_ELECTION:
		log_info("pack %s: standing for election in term %llu", pn,
		    (unsigned long long)ev->term);
		break;
	}
	if (ev->kind == PACK_EV_LEADER || ev->kind == PACK_EV_LEADER_LOST ||
	    ev->kind == PACK_EV_ELECTED || ev->kind == PACK_EV_STEPPED_DOWN)
		a->pack->changed_wall = agent_wall_ms();
	if (ev->kind == PACK_EV_LEADER || ev->kind == PACK_EV_ELECTED)
		a->pack->st.leader_changes++;
	if (ev->kind == PACK_EV_ELECTED || ev->kind == PACK_EV_STEPPED_DOWN) {
		agent_tags_publish(a);
		pack_channel_say(a, ev);
	}
}

/* ---- Driving the machine ------------------------------------------------ */

static void
pack_io_of(struct agent *a, struct pack_io *io)
{
	io->now_ms = agent_now(a);
	io->rng = &a->rng;
	io->out = &a->pack->ob;
}

static int
save_state(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	int r;

	pack_persist_encode(a->pack->m, &b);
	if ((r = fileio_write_private(a->pack->path, b.data, b.len,
	    &err)) < 0)
		log_err("pack %s: cannot save its state, sending nothing: %s",
		    pack_name(a->pack->m), err.msg);
	buf_release(&b);
	return r;
}

static void
send_one(struct agent *a, const uint8_t *to, const uint8_t *msg, size_t len)
{
	uint8_t sig[IDENT_SIG_LEN];
	struct swim_member m;
	struct buf part = BUF_INIT;

	if (swim_member_find(a->swim, to, &m) < 0 || m.status == SWIM_LEFT) {
		a->pack->st.unreachable++;
		return;
	}
	ident_sign(a->ident, msg, len, sig);
	buf_add(&part, msg, len);
	buf_add(&part, sig, sizeof(sig));
	agent_send_part(a, m.addr, PKT_PART_PACK, part.data, part.len);
	buf_release(&part);
}

static void pack_tick_cb(uv_timer_t *t);

/* Saves (before anything leaves), sends, announces, re-arms the timer. */
static void
pack_flush(struct agent *a)
{
	struct pack_outbox *ob = &a->pack->ob;
	struct pack_io io;
	int next;

	/* A few passes at most: a tick at the same instant settles. */
	for (int pass = 0; pass < 4; pass++) {
		/* A vote not on disk must not leave: a restart could vote
		 * again in the same term. */
		if (ob->persist && save_state(a) < 0)
			ob->nmsgs = 0;
		for (size_t i = 0; i < ob->nmsgs; i++)
			send_one(a, ob->msgs[i].to, ob->bytes +
			    ob->msgs[i].off, ob->msgs[i].len);
		for (size_t i = 0; i < ob->nevents; i++)
			pack_announce(a, &ob->events[i]);
		pack_outbox_reset(ob);
		/* An input may have moved a deadline: ask again. */
		pack_io_of(a, &io);
		next = pack_on_tick(a->pack->m, &io);
		if (ob->nmsgs == 0 && ob->nevents == 0 && !ob->persist)
			break;
	}
	uv_timer_start(a->pack->timer, pack_tick_cb, (uint64_t)next, 0);
}

static void
pack_tick_cb(uv_timer_t *t)
{
	struct agent *a = t->data;

	if (a->pack != NULL && a->pack->m != NULL)
		pack_flush(a);
}

/*
 * Is the member with this id tagged with our pack, and alive or suspect
 * (or, with even_dead, declared dead: a node that signs messages is not
 * dead, and its messages should not wait for SWIM to take it back after
 * a partition heals)? Left members are gone for good.
 */
static int
claims_our_pack(struct agent *a, const uint8_t *id, int even_dead)
{
	struct swim_member m;
	const char *tag;

	if (swim_member_find(a->swim, id, &m) < 0 || m.status == SWIM_LEFT ||
	    (m.status == SWIM_DEAD && !even_dead))
		return 0;
	tag = swim_tag_get(&m, "pack");
	/* The tag says which pack; only an operator's admission makes a
	 * voter of it (docs/pack.md). */
	return tag != NULL && strcmp(tag, pack_name(a->pack->m)) == 0 &&
	    agent_keyauth_admitted(a, id, tag);
}

/*
 * A pack message refused: said with its sender, once a minute per kind
 * (a member that is not an admitted voter of our pack, or a forgery, may
 * send one every election round).
 */
static void
pack_refused(struct agent *a, unsigned kind, const char *from,
    const uint8_t *sender, const char *why)
{
	struct swim_member m;
	char id[17];
	uint64_t n;

	if (!agent_refusal_due(a, REFUSAL_PACK + kind, &n))
		return;
	agent_id_hex(sender, id);
	log_warn("refused a message for pack %s from %s (as '%s', id %s): %s; "
	    "%llu such since the last line", pack_name(a->pack->m), from,
	    swim_member_find(a->swim, sender, &m) == 0 ? log_escape(m.name) :
	    "?", id, why, (unsigned long long)n);
}

static void
pack_take_part(struct agent *a, const char *from, const uint8_t *p, size_t n)
{
	uint8_t sender[PACK_ID_LEN];
	const char *name;
	size_t mlen, nlen;
	struct pack_io io;

	if (a->pack->m == NULL) {
		a->pack->st.not_in_pack++;
		return;
	}
	if (n <= IDENT_SIG_LEN ||
	    pack_msg_peek(p, n - IDENT_SIG_LEN, &name, &nlen, sender) < 0) {
		a->pack->st.malformed++;
		log_debug("pack: malformed message from %s", from);
		return;
	}
	mlen = n - IDENT_SIG_LEN;
	if (ident_verify(a->ident, sender, p, mlen, p + mlen) < 0) {
		a->pack->st.forged++;
		pack_refused(a, 0, from, sender, "its signature does not "
		    "verify (or its key was evicted)");
		return;
	}
	if (!claims_our_pack(a, sender, 1)) {
		a->pack->st.wrong_claim++;
		pack_refused(a, 1, from, sender, "not a member of this pack "
		    "that an operator admitted (tlaloc pack admit)");
		return;
	}
	pack_io_of(a, &io);
	(void)pack_on_message(a->pack->m, &io, p, mlen);
	pack_flush(a);
}

static int
pack_on_part(struct agent *a, uint8_t kind, const char *from,
    const uint8_t *p, size_t n)
{
	if (kind != PKT_PART_PACK)
		return 0;
	pack_take_part(a, from, p, n);
	return 1;
}

/* Every second: the live members of our pack, as SWIM sees them. */
static void
pack_tick(struct agent *a)
{
	size_t n = swim_member_count(a->swim), k = 0;
	uint8_t (*ids)[PACK_ID_LEN];
	struct pack_io io;

	if (a->pack->m == NULL)
		return;
	ids = xcalloc(n + 1, PACK_ID_LEN);
	for (size_t i = 0; i < n; i++) {
		struct swim_member m;

		if (swim_member_at(a->swim, i, &m) < 0)
			continue;
		if (m.is_self ? agent_keyauth_admitted(a, m.id,
		    pack_name(a->pack->m)) : claims_our_pack(a, m.id, 0))
			memcpy(ids[k++], m.id, PACK_ID_LEN);
	}
	pack_io_of(a, &io);
	if (k <= 4 * PACK_VOTERS_MAX)
		(void)pack_set_members(a->pack->m, &io,
		    (const uint8_t (*)[PACK_ID_LEN])ids, k);
	free(ids);
	pack_flush(a);
}

/* ---- Start and stop ----------------------------------------------------- */

/* The pack a recipe declared on an earlier run (STATE_DIR/pack.name). */
static void
recipe_pack_load(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/pack.name", a->cfg.state_dir);

	if (fileio_read(path, PACK_NAME_MAX + 2, &b, &err) == 0 && b.len > 0) {
		b.data[strcspn(b.data, "\n")] = '\0';
		a->cfg.pack = xstrdup(b.data);
		log_info("pack %s: declared by a recipe", a->cfg.pack);
	}
	buf_release(&b);
	free(path);
}

/* Opens the machine of pack cfg.pack, its saved state restored. */
static int
machine_open(struct agent *a, struct tl_err *err)
{
	struct pack_persist ps;
	struct buf b = BUF_INIT;
	int r, has = 0;

	if (a->cfg.profile == AGENT_WAN)
		pack_config_wan(&a->pack->cfg);
	else
		pack_config_lan(&a->pack->cfg);
	a->pack->cfg.bootstrap_expect = a->cfg.pack_expect;
	/* One file per pack name: another pack's votes are not ours. */
	a->pack->path = xasprintf("%s/pack-%s.state", a->cfg.state_dir,
	    a->cfg.pack);
	r = fileio_read(a->pack->path, PACK_STATE_MAX, &b, err);
	if (r == 0) {
		if ((r = pack_persist_decode(&ps, (const uint8_t *)b.data,
		    b.len)) < 0) {
			buf_release(&b);
			/* Starting afresh could cast a second vote in a term. */
			return tl_err_set(err, r, "pack state '%s' is "
			    "unreadable (%s); move it away only if this node "
			    "has not voted in the last term", a->pack->path,
			    tl_strerror(r));
		}
		has = 1;
	} else if (r != TL_ENOENT) {
		buf_release(&b);
		return r;
	}
	buf_release(&b);
	*err = (struct tl_err)TL_ERR_INIT;
	a->pack->m = pack_new(&a->pack->cfg, a->cfg.pack, ident_public(a->ident),
	    has ? &ps : NULL, agent_now(a), err);
	if (a->pack->m == NULL)
		return err->code ? err->code : TL_EINVAL;
	log_info("pack %s: %s, term %llu, %zu voters", a->cfg.pack,
	    has ? "state restored" : "new", (unsigned long long)
	    pack_term(a->pack->m), pack_voters(a->pack->m)->n);
	uv_timer_start(a->pack->timer, pack_tick_cb, 0, 0);
	pack_channel_join(a);
	agent_tags_publish(a);
	return 0;
}

static void
machine_close(struct agent *a)
{
	pack_free(a->pack->m);
	a->pack->m = NULL;
	free(a->pack->path);
	a->pack->path = NULL;
}

/*
 * A recipe said `pack "NAME"` (tlaloc apply tells us): join that pack
 * unless we are in one already, and remember it across restarts.
 */
static void
join_from_recipe(struct agent *a, const char *name, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	char *path, *line;

	if (a->pack->m != NULL) {
		if (strcmp(pack_name(a->pack->m), name) == 0)
			buf_addf(out, "already in pack %s\n", name);
		else
			buf_addf(out, "this node is in pack '%s'; a node "
			    "belongs to one pack\n", pack_name(a->pack->m));
		return;
	}
	free(a->cfg.pack);
	a->cfg.pack = xstrdup(name);
	if (machine_open(a, &err) < 0) {
		buf_addf(out, "cannot join pack '%s': %s\n", name, err.msg);
		machine_close(a);
		free(a->cfg.pack);
		a->cfg.pack = NULL;
		return;
	}
	path = xasprintf("%s/pack.name", a->cfg.state_dir);
	line = xasprintf("%s\n", name);
	if (fileio_write_private(path, line, strlen(line), &err) < 0)
		log_warn("pack %s: cannot remember it: %s", name, err.msg);
	free(path);
	free(line);
	log_notice("pack %s: joined, as a recipe declared", name);
	buf_addf(out, "joined pack %s\n", name);
}

static int
pack_open(struct agent *a, struct tl_err *err)
{
	a->pack = xcalloc(1, sizeof(*a->pack));
	pack_outbox_init(&a->pack->ob);
	a->pack->timer = agent_timer_new(a);
	if (a->cfg.pack == NULL)
		recipe_pack_load(a);
	return a->cfg.pack != NULL ? machine_open(a, err) : 0;
}

static void
pack_close(struct agent *a)
{
	if (a->pack == NULL)
		return;
	machine_close(a);
	pack_outbox_release(&a->pack->ob);
	agent_timer_free(a->pack->timer);
	free(a->pack);
	a->pack = NULL;
}

/* Leaving the cluster: a leader hands over rather than go silent. */
static void
pack_on_event(struct agent *a, const struct agent_event *ev)
{
	struct pack_io io;

	if (ev->kind != AGENT_EV_LEAVE || a->pack->m == NULL ||
	    pack_role(a->pack->m) != PACK_LEADER)
		return;
	pack_io_of(a, &io);
	if (pack_step_down(a->pack->m, &io) == 0)
		log_notice("pack %s: handing leadership over before leaving",
		    pack_name(a->pack->m));
	pack_flush(a);
}

const char *
agent_pack_name(const struct agent *a)
{
	return a->pack != NULL && a->pack->m != NULL ? pack_name(a->pack->m) :
	    NULL;
}

int
agent_pack_am_leader(const struct agent *a)
{
	return a->pack != NULL && a->pack->m != NULL &&
	    pack_am_leader_with_lease(a->pack->m, agent_now(a));
}

const struct pack *
agent_pack_machine(const struct agent *a)
{
	return a->pack != NULL ? a->pack->m : NULL;
}

void
agent_pack_drops(const struct agent *a, struct agent_pack_stats *st)
{
	*st = a->pack->st;
}

/* ---- Control: tlaloc packs, tlaloc pack step-down ---------------------- */

static void
id_list(struct agent *a, struct buf *out, const uint8_t (*ids)[PACK_ID_LEN],
    size_t n, int json)
{
	for (size_t i = 0; i < n; i++) {
		char name[80], hex[17];

		name_of(a, ids[i], name, sizeof(name));
		agent_id_hex(ids[i], hex);
		if (json) {
			buf_addstr(out, i ? ",{\"name\":" : "{\"name\":");
			buf_add_json_str(out, name, strlen(name));
			buf_addf(out, ",\"id\":\"%s\"}", hex);
		} else
			buf_addf(out, "%s%s", i ? " " : "", name);
	}
}

static void
live_members(struct agent *a, uint8_t (**ids)[PACK_ID_LEN], size_t *n)
{
	size_t total = swim_member_count(a->swim);

	*ids = xcalloc(total + 1, PACK_ID_LEN);
	*n = 0;
	for (size_t i = 0; i < total; i++) {
		struct swim_member m;

		if (swim_member_at(a->swim, i, &m) == 0 &&
		    (m.is_self || claims_our_pack(a, m.id, 0)))
			memcpy((*ids)[(*n)++], m.id, PACK_ID_LEN);
	}
}

/* The pack tag of alive member i, or NULL. */
static const char *
pack_of_member(struct agent *a, size_t i, struct swim_member *m)
{
	if (swim_member_at(a->swim, i, m) < 0 ||
	    (m->status != SWIM_ALIVE && m->status != SWIM_SUSPECT))
		return NULL;
	return swim_tag_get(m, "pack");
}

/*
 * Packs this node is not in, as gossip shows them: their live members and
 * the member that publishes the highest pack_leader term.
 */
static void
other_packs(struct agent *a, struct buf *out, int json)
{
	size_t n = swim_member_count(a->swim);
	const char *ours = a->pack->m ? pack_name(a->pack->m) : "";
	struct swim_member m, o;

	for (size_t i = 0; i < n; i++) {
		const char *pk = pack_of_member(a, i, &m), *t;
		unsigned long long best = 0;
		char lname[80] = "";
		int first = 1, seen = 0;

		if (pk == NULL || strcmp(pk, ours) == 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++) {
			const char *q = pack_of_member(a, j, &o);

			seen = q != NULL && strcmp(q, pk) == 0;
		}
		if (seen)
			continue;
		buf_addstr(out, json ? ",{\"name\":" : "pack ");
		if (json)
			buf_add_json_str(out, pk, strlen(pk));
		else
			buf_addf(out, "%s (gossip): members ", pk);
		buf_addstr(out, json ? ",\"members\":[" : "");
		for (size_t j = i; j < n; j++) {
			const char *q = pack_of_member(a, j, &o);
			char hex[17];

			if (q == NULL || strcmp(q, pk) != 0)
				continue;
			if ((t = swim_tag_get(&o, "pack_leader")) != NULL &&
			    strtoull(t, NULL, 10) > best) {
				best = strtoull(t, NULL, 10);
				snprintf(lname, sizeof(lname), "%s", o.name);
			}
			agent_id_hex(o.id, hex);
			if (json) {
				buf_addstr(out, first ? "{\"name\":" :
				    ",{\"name\":");
				buf_add_json_str(out, o.name, strlen(o.name));
				buf_addf(out, ",\"id\":\"%s\"}", hex);
			} else
				buf_addf(out, "%s%s", first ? "" : " ", o.name);
			first = 0;
		}
		if (json) {
			buf_addstr(out, "],\"leader\":");
			if (best > 0) {
				buf_addstr(out, "{\"name\":");
				buf_add_json_str(out, lname, strlen(lname));
				buf_addf(out, "},\"term\":%llu", best);
			} else
				buf_addstr(out, "null");
			buf_addstr(out, ",\"from_gossip\":true}");
		} else if (best > 0)
			buf_addf(out, "; leader %s, term %llu\n", lname, best);
		else
			buf_addstr(out, "; no leader published\n");
	}
}

static void
packs_report(struct agent *a, struct buf *out, int json)
{
	const struct pack_voters *v = pack_voters(a->pack->m);
	uint8_t lid[PACK_ID_LEN], (*mem)[PACK_ID_LEN];
	char lname[80] = "", lhex[17] = "";
	uint64_t now = agent_now(a), lease = pack_lease_until(a->pack->m);
	int has_leader = pack_leader(a->pack->m, lid);
	int am = pack_am_leader_with_lease(a->pack->m, now);
	size_t nmem;
	double ago = a->pack->changed_wall ? (double)(agent_wall_ms() -
	    a->pack->changed_wall) / 1000.0 : -1;

	if (has_leader) {
		name_of(a, lid, lname, sizeof(lname));
		agent_id_hex(lid, lhex);
	}
	live_members(a, &mem, &nmem);
	if (json) {
		buf_addstr(out, "{\"packs\":[{\"name\":");
		buf_add_json_str(out, pack_name(a->pack->m),
		    strlen(pack_name(a->pack->m)));
		if (has_leader) {
			buf_addstr(out, ",\"leader\":{\"name\":");
			buf_add_json_str(out, lname, strlen(lname));
			buf_addf(out, ",\"id\":\"%s\"}", lhex);
		} else
			buf_addstr(out, ",\"leader\":null");
		buf_addf(out, ",\"term\":%llu,\"role\":\"%s\",\"am_leader\":%s,"
		    "\"lease_ms\":%llu,\"voters_version\":%llu,"
		    "\"voters_committed\":%s,\"voters\":[",
		    (unsigned long long)pack_term(a->pack->m),
		    role_names[pack_role(a->pack->m)], am ? "true" : "false",
		    (unsigned long long)(am ? lease - now : 0),
		    (unsigned long long)v->version,
		    v->committed ? "true" : "false");
		id_list(a, out, (const uint8_t (*)[PACK_ID_LEN])v->ids, v->n,
		    1);
		buf_addstr(out, "],\"members\":[");
		id_list(a, out, (const uint8_t (*)[PACK_ID_LEN])mem, nmem, 1);
		buf_addf(out, "],\"last_change_s_ago\":%.1f}", ago);
		other_packs(a, out, 1);
		buf_addstr(out, "]}\n");
	} else {
		buf_addf(out, "pack %s: leader %s, term %llu; this node: %s%s\n",
		    pack_name(a->pack->m), has_leader ? lname : "(none)",
		    (unsigned long long)pack_term(a->pack->m),
		    role_names[pack_role(a->pack->m)], am ? " (holds the lease)"
		    : "");
		buf_addf(out, "  voters (%zu, version %llu%s): ", v->n,
		    (unsigned long long)v->version, v->committed ? "" :
		    ", change pending");
		id_list(a, out, (const uint8_t (*)[PACK_ID_LEN])v->ids, v->n,
		    0);
		buf_addf(out, "\n  live members (%zu): ", nmem);
		id_list(a, out, (const uint8_t (*)[PACK_ID_LEN])mem, nmem, 0);
		if (ago >= 0)
			buf_addf(out, "\n  last leader change: %.1f s ago\n",
			    ago);
		else
			buf_addstr(out, "\n  last leader change: none seen\n");
		other_packs(a, out, 0);
	}
	free(mem);
}

static void
pack_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct buf out = BUF_INIT;
	struct pack_io io;
	int status = 0, r;

	/* The loop's cached time may lag; a lease answer must not. */
	uv_update_time(a->loop);
	if (req->op == CTL_PACK_JOIN) {
		if (req->nargs == 1)
			join_from_recipe(a, req->args[0], &out);
		else
			buf_addstr(&out, "pack join needs one name\n");
		status = a->pack->m == NULL || req->nargs != 1 ||
		    strcmp(pack_name(a->pack->m), req->args[0]) != 0;
	} else if (a->pack->m == NULL && req->op == CTL_PACKS &&
	    req->nargs == 0) {
		/* Still worth listing the packs others gossip. */
		struct buf others = BUF_INIT;
		int json = req->flags & CTL_F_JSON;

		other_packs(a, &others, json);
		if (json)
			buf_addf(&out, "{\"packs\":[%s]}\n", others.len ?
			    others.data + 1 : "");
		else
			buf_addf(&out, "this node is in no pack (agent --pack "
			    "NAME)\n%s", others.data);
		buf_release(&others);
	} else if (a->pack->m == NULL) {
		buf_addstr(&out, "this node is in no pack (agent --pack NAME)\n");
		status = 1;
	} else if (req->op == CTL_PACK_STEP_DOWN) {
		pack_io_of(a, &io);
		r = pack_step_down(a->pack->m, &io);
		pack_flush(a);
		if (r == TL_EPERM)
			buf_addstr(&out, "this node is not the leader\n");
		else if (r < 0)
			buf_addstr(&out, "no other voter to hand over to\n");
		else
			buf_addf(&out, "stepped down from pack %s\n",
			    pack_name(a->pack->m));
		status = r < 0;
	} else if (req->nargs == 1 && strcmp(req->args[0], "am-leader") == 0) {
		status = !pack_am_leader_with_lease(a->pack->m, agent_now(a));
		buf_addstr(&out, status ? "no\n" : "yes\n");
	} else
		packs_report(a, &out, req->flags & CTL_F_JSON);
	agent_ctl_reply(c, status, out.data, out.len);
	buf_release(&out);
}

static void
pack_info(const struct agent *a, struct buf *out, int json)
{
	struct pack_stats ps;
	const struct agent_pack_stats *st = &a->pack->st;

	memset(&ps, 0, sizeof(ps));
	if (a->pack->m != NULL)
		pack_get_stats(a->pack->m, &ps);
	buf_addf(out, json ?
	    "\"pack_forged\":%llu,\"pack_wrong_claim\":%llu,"
	    "\"pack_malformed\":%llu,\"pack_wrong_pack\":%llu,"
	    "\"pack_stale_term\":%llu,\"pack_not_voter\":%llu," :
	    "pack drops: forged %llu, claimed a pack they are not in %llu, "
	    "malformed %llu, other pack %llu, stale term %llu, "
	    "not a voter %llu\n",
	    (unsigned long long)st->forged,
	    (unsigned long long)(st->wrong_claim + st->not_in_pack),
	    (unsigned long long)(st->malformed + ps.bad_msgs),
	    (unsigned long long)ps.wrong_pack,
	    (unsigned long long)ps.stale_term,
	    (unsigned long long)ps.not_voter);
}

static const struct agent_ctl_op pack_ops[] = {
	{ CTL_PACKS, pack_ctl }, { CTL_PACK_STEP_DOWN, pack_ctl },
	{ CTL_PACK_JOIN, pack_ctl }, { 0, NULL }
};

const struct agent_sub agent_pack_sub = { .name = "pack",
	.open = pack_open, .tick = pack_tick, .tags = pack_tags,
	.info = pack_info, .close = pack_close, .ctl = pack_ops,
	.on_event = pack_on_event, .on_part = pack_on_part };
