/*
 * Answering queries. Every node gets each query through the broadcast;
 * those that match its filter answer the asker over TCP. A query is
 * answered only when the member that broadcast it (its signature on the
 * broadcast says who) is the asker the query names, and the answer goes
 * to that member's address from its signed statement. A query that
 * executes a command must also be signed by an operator key in our trust
 * list (--trust), be at most QUERY_WINDOW_MS away from our clock, and
 * carry a nonce we have not acted on, even before a restart
 * (STATE_DIR/query.nonces, core/nonces.h); anything else is refused,
 * counted, logged and answered with the reason. Every reply is signed
 * with our node key and names the query's nonce. Commands run on libuv's
 * thread pool (never in the loop), without a shell, with the query's
 * timeout.
 */
#include "agent/query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/converge.h"
#include "ctl/ctl.h"
#include "agent/refusals.h"
#include "cluster/bcast.h"
#include "cluster/qfilter.h"
#include "core/err.h"
#include "core/log.h"
#include "core/nonces.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "net/ident.h"
#include "net/opkey.h"
#include "net/stream.h"


struct job {
	uv_work_t		 w;
	struct agent		*a;
	struct query		 q;
	char			 addr[QUERY_ADDR_MAX + 1];
	struct spawn_result	 res;
	struct tl_err		 err;
	int			 rc;
	const char		*chroot_dir;	/* --root; NULL: the host */
};

/* Signs r with our node key and sends it to the asker at addr. */
static void
send_reply(struct agent *a, const char *addr, struct query_reply *r)
{
	struct buf body = BUF_INIT;

	query_reply_signed(r, &body);
	ident_sign(a->ident, (uint8_t *)body.data, body.len, r->sig);
	buf_reset(&body);
	query_reply_encode(r, &body);
	agent_frame_send(a, addr, PKT_QREPLY, &body, &a->query->st.replies_out,
	    &a->query->st.reply_failures);
	buf_release(&body);
}

static void
reply_init(struct agent *a, const struct query *q, struct query_reply *r,
    uint8_t outcome, const char *msg)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->id, q->id, QUERY_ID_LEN);
	memcpy(r->nonce, q->nonce, QUERY_NONCE_LEN);
	memcpy(r->node_id, ident_public(a->ident), QUERY_NODE_ID_LEN);
	snprintf(r->node, sizeof(r->node), "%s", a->cfg.name);
	r->outcome = outcome;
	snprintf(r->msg, sizeof(r->msg), "%.200s", msg);
}

/* ---- Running ---------------------------------------------------------- */

static void
job_work(uv_work_t *w)
{
	struct job *j = w->data;
	struct spawn_opts o;
	struct facts *f;

	if (j->q.type == QUERY_FACTS) {
		f = facts_new();
		j->rc = facts_gather(f, NULL, &j->err);
		facts_to_json(f, &j->res.out);
		facts_free(f);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.argv = (const char *const *)j->q.argv;
	o.timeout_ms = j->q.timeout_ms;
	o.max_output = QUERY_OUTPUT_MAX;
	/* Under --root, like every exec of a run: chrooted into the tree. */
	o.chroot_dir = j->chroot_dir;
	j->rc = spawn_run(&o, &j->res, &j->err);
}

static void
job_done(uv_work_t *w, int status)
{
	struct job *j = w->data;
	struct agent *a = j->a;
	struct query_reply r;

	(void)status;
	if (a->query != NULL)
		a->query->running--;
	reply_init(a, &j->q, &r, j->rc < 0 ? QUERY_FAILED : QUERY_RAN,
	    j->rc < 0 ? j->err.msg : "");
	r.status = (uint32_t)j->res.status;
	r.timed_out = j->res.timed_out;
	r.duration_ms = j->res.duration_ms;
	r.out = (uint8_t *)j->res.out.data;
	r.outlen = j->res.out.len > QUERY_OUTPUT_MAX ? QUERY_OUTPUT_MAX :
	    j->res.out.len;
	r.errout = (uint8_t *)j->res.errout.data;
	r.errlen = j->res.errout.len > QUERY_OUTPUT_MAX ? QUERY_OUTPUT_MAX :
	    j->res.errout.len;
	r.dropped = j->res.dropped;
	if (j->res.timed_out)
		snprintf(r.msg, sizeof(r.msg), "killed at its timeout of %u "
		    "ms", j->q.timeout_ms);
	if (a->query != NULL && !a->is_leaving)
		send_reply(a, j->addr, &r);
	log_info("query %s finished: status %d%s in %u ms", j->q.argv[0] ?
	    j->q.argv[0] : "facts", j->res.status, j->res.timed_out ?
	    " (timed out)" : "", j->res.duration_ms);
	spawn_result_release(&j->res);
	free(j);
}

static void
answer_status(struct agent *a, const struct query *q, const char *addr)
{
	struct query_reply r;
	struct buf out = BUF_INIT;

	buf_addstr(&out, "{\"name\":");
	buf_add_json_str(&out, a->cfg.name, strlen(a->cfg.name));
	buf_addf(&out, ",\"members_alive\":%zu,\"last_run\":",
	    swim_count_status(a->swim, SWIM_ALIVE));
	agent_conv_report_json(a, &out);
	buf_addf(&out, "}\n");
	reply_init(a, q, &r, QUERY_RAN, "");
	r.out = (uint8_t *)out.data;
	r.outlen = out.len;
	send_reply(a, addr, &r);
	buf_release(&out);
}

/* ---- Checking --------------------------------------------------------- */

/* NULL when an exec query may run, else why not (and counts it). */
static const char *
exec_refusal(struct agent *a, const struct query *q, const uint8_t *body,
    size_t blen, const uint8_t *key_id, const uint8_t *sig)
{
	struct query_stats *st = &a->query->st;
	struct tl_err err = TL_ERR_INIT;
	uint64_t now = agent_wall_ms();
	int r;

	if (key_id == NULL) {
		st->refused_unsigned++;
		return "unsigned: commands must be signed by a trusted "
		    "operator key (tlaloc run --key)";
	}
	r = opkey_verify(&a->cfg.trust, key_id, body, blen, sig);
	if (r == TL_EPERM) {
		st->refused_untrusted++;
		return "signed by a key this node does not trust";
	}
	if (r < 0) {
		st->refused_forged++;
		return "bad signature";
	}
	if (q->time_ms + QUERY_WINDOW_MS < now ||
	    q->time_ms > now + QUERY_WINDOW_MS) {
		st->refused_stale++;
		return "too old (or from the future): more than 60 s off";
	}
	if (a->query->nonces == NULL) {
		st->refused_stale++;
		return a->query->nonces_err;
	}
	r = nonces_check(a->query->nonces, q->nonce, q->time_ms, now, &err);
	if (r == TL_EEXIST) {
		st->refused_replayed++;
		return "replayed: this nonce was used";
	}
	if (r == TL_ETIMEOUT) {
		st->refused_stale++;
		return "too old for the replay window";
	}
	if (r < 0) {
		/* Not on disk: acting on it could let it run twice. */
		st->refused_stale++;
		log_err("cannot record a query's nonce: %s", err.msg);
		return "this node cannot record the query's nonce; see its log";
	}
	return NULL;
}

/*
 * 0 when the member that broadcast m is the asker q names, with addr set
 * to the address its signed statement gives; < 0 (counted, logged once a
 * minute) when another member sends a query naming someone else: a
 * signed command seen on the gossip, sent again to collect its output.
 */
static int
asker_addr(struct agent *a, const struct bcast_msg *m, const struct query *q,
    char addr[QUERY_ADDR_MAX + 1])
{
	struct swim_member mb;
	char hex[17];
	uint64_t n;

	addr[0] = '\0';
	if (memcmp(m->sender, q->asker, QUERY_NODE_ID_LEN) == 0 &&
	    swim_member_find(a->swim, q->asker, &mb) == 0) {
		snprintf(addr, QUERY_ADDR_MAX + 1, "%s", mb.addr);
		return 0;
	}
	a->query->st.refused_not_asker++;
	if (agent_refusal_due(a, REFUSAL_QUERY_ASKER, &n)) {
		agent_id_hex(q->asker, hex);
		log_warn("refused a query from %s that names another asker "
		    "(id %s); %llu such since the last line",
		    log_escape(m->sender_name), hex, (unsigned long long)n);
	}
	return -1;
}

static void
query_on_msg(struct agent *a, const struct bcast_msg *m)
{
	const uint8_t *body, *key_id, *sig;
	char addr[QUERY_ADDR_MAX + 1], kid[OPKEY_ID_HEX] = "none";
	struct qfilter f;
	struct query_reply r;
	const char *why;
	struct job *j;
	size_t blen;

	j = xcalloc(1, sizeof(*j));
	if (query_env_decode(m->payload, m->len, &body, &blen, &key_id,
	    &sig) < 0 || query_body_decode(body, blen, &j->q) < 0 ||
	    qfilter_parse(j->q.filter, &f, NULL) < 0) {
		a->query->st.malformed++;
		goto out;
	}
	if (!qfilter_match(&f, a->cfg.name, agent_tags_own(a)->data,
	    agent_tags_own(a)->len) || asker_addr(a, m, &j->q, addr) < 0)
		goto out;
	if (j->q.type == QUERY_STATUS) {
		answer_status(a, &j->q, addr);
		goto out;
	}
	if (j->q.type == QUERY_EXEC && (why = exec_refusal(a, &j->q, body,
	    blen, key_id, sig)) != NULL) {
		if (key_id != NULL)
			opkey_id_hex(key_id, kid);
		log_warn("refused query from %s (key %s) to run '%s': %s",
		    log_escape(m->sender_name), kid,
		    log_escape(j->q.argv[0]), why);
		reply_init(a, &j->q, &r, QUERY_REFUSED, why);
		send_reply(a, addr, &r);
		goto out;
	}
	if (a->query->running >= QUERY_RUNNING) {
		a->query->st.busy++;
		reply_init(a, &j->q, &r, QUERY_FAILED, "busy: too many "
		    "queries running here");
		send_reply(a, addr, &r);
		goto out;
	}
	if (j->q.type == QUERY_EXEC)
		log_notice("running query from %s: '%s' (%zu args, timeout "
		    "%u ms)", log_escape(m->sender_name),
		    log_escape(j->q.argv[0]), j->q.argc, j->q.timeout_ms);
	a->query->st.ran++;
	a->query->running++;
	j->a = a;
	if (a->cfg.root != NULL && strcmp(a->cfg.root, "/") != 0)
		j->chroot_dir = a->cfg.root;	/* fixed until exit */
	snprintf(j->addr, sizeof(j->addr), "%s", addr);
	spawn_result_init(&j->res);
	j->w.data = j;
	uv_queue_work(a->loop, &j->w, job_work, job_done);
	return;
out:
	free(j);
}

static const char *const reply_refusals[] = {
	"forged (its signature or its name is not its author's)",
	"from a node the query's filter did not pick",
	"for no query of ours that is still waiting"
};

/* Counts and logs (once a minute per reason) a reply we refuse. */
static void
reply_refuse(struct agent *a, const struct query_reply *r, unsigned why)
{
	uint64_t *ctr[] = { &a->query->st.replies_forged,
	    &a->query->st.replies_untargeted,
	    &a->query->st.replies_unsolicited };
	char hex[17];
	uint64_t n;

	(*ctr[why])++;
	if (!agent_refusal_due(a, REFUSAL_QREPLY + why, &n))
		return;
	agent_id_hex(r->node_id, hex);
	log_warn("refused a query reply as %s (id %s): %s; %llu such since "
	    "the last line", log_escape(r->node), hex, reply_refusals[why],
	    (unsigned long long)n);
}

/* 0 when r was signed by the member r->node_id, under its name. */
static int
reply_author(struct agent *a, const struct query_reply *r)
{
	struct buf sb = BUF_INIT;
	int rc;

	query_reply_signed(r, &sb);
	rc = agent_member_signed(a, r->node_id, r->node, &sb, r->sig);
	buf_release(&sb);
	return rc;
}

/* A reply's author is proven by its signature; from is not needed. */
static void
query_on_reply(struct agent *a, const char *from, const uint8_t *p,
    size_t len)
{
	struct query_reply r;
	int rc;

	(void)from;
	if (query_reply_decode(p, len, &r) < 0) {
		a->query->st.malformed++;
		return;
	}
	if (reply_author(a, &r) < 0) {
		reply_refuse(a, &r, 0);
		return;
	}
	if ((rc = query_ask_on_reply(a, &r)) < 0) {
		reply_refuse(a, &r, rc == TL_EPERM ? 1 : 2);
		return;
	}
	a->query->st.replies_in++;
}

static void
query_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_MSG && ev->msg->kind == BCAST_QUERY)
		query_on_msg(a, ev->msg);
}

/* A reply frame (PKT_QREPLY): opened, answered with an empty frame. */
static int
query_on_frame(struct agent *a, struct stream_conn *c, uint8_t type,
    const uint8_t *p, size_t len)
{
	if (type != PKT_QREPLY)
		return 0;
	agent_frame_deliver(a, c, PKT_QREPLY, p, len, "query reply",
	    query_on_reply);
	return 1;
}

const struct query_stats *
agent_query_stats(const struct agent *a)
{
	return &a->query->st;
}

static void
query_info(const struct agent *a, struct buf *out, int json)
{
	const struct query_stats *st = &a->query->st;

	buf_addf(out, json ?
	    "\"queries\":{\"ran\":%llu,\"refused_unsigned\":%llu,"
	    "\"refused_untrusted\":%llu,\"refused_forged\":%llu,"
	    "\"refused_stale\":%llu,\"refused_replayed\":%llu,"
	    "\"refused_not_asker\":%llu,\"busy\":%llu,"
	    "\"malformed\":%llu,\"replies_in\":%llu,\"replies_out\":%llu,"
	    "\"reply_failures\":%llu,\"replies_forged\":%llu,"
	    "\"replies_untargeted\":%llu,\"replies_unsolicited\":%llu},"
	    : "queries: ran %llu; refused: unsigned %llu, untrusted %llu, "
	    "forged %llu, stale %llu, replayed %llu, not asker %llu; busy "
	    "%llu, malformed %llu\nquery replies: in %llu, out %llu, failed "
	    "%llu; refused: forged %llu, untargeted %llu, unsolicited %llu\n",
	    (unsigned long long)st->ran,
	    (unsigned long long)st->refused_unsigned,
	    (unsigned long long)st->refused_untrusted,
	    (unsigned long long)st->refused_forged,
	    (unsigned long long)st->refused_stale,
	    (unsigned long long)st->refused_replayed,
	    (unsigned long long)st->refused_not_asker,
	    (unsigned long long)st->busy, (unsigned long long)st->malformed,
	    (unsigned long long)st->replies_in,
	    (unsigned long long)st->replies_out,
	    (unsigned long long)st->reply_failures,
	    (unsigned long long)st->replies_forged,
	    (unsigned long long)st->replies_untargeted,
	    (unsigned long long)st->replies_unsolicited);
}

static int
query_open(struct agent *a, struct tl_err *e)
{
	struct tl_err err = TL_ERR_INIT;

	(void)e;
	a->query = xcalloc(1, sizeof(*a->query));
	a->query->nonces = agent_nonces_open(a, "query.nonces", QUERY_NONCES,
	    QUERY_WINDOW_MS, "signed commands", &err);
	/* Exec queries are refused until it is fixed, with the reason: without
	 * it a command could run twice. */
	if (a->query->nonces == NULL)
		snprintf(a->query->nonces_err, sizeof(a->query->nonces_err),
		    "%s", err.msg);
	return 0;
}

static void
query_close(struct agent *a)
{
	if (a->query == NULL)
		return;
	query_ask_release(a->query);
	nonces_free(a->query->nonces);
	free(a->query);
	a->query = NULL;
}

static const struct agent_ctl_op query_ops[] = {
	{ CTL_RUN, query_ask_ctl }, { CTL_RUN_POLL, query_ask_ctl }, { 0, NULL }
};

const struct agent_sub agent_query_sub = { .name = "query",
	.open = query_open, .tick = query_ask_tick, .info = query_info,
	.close = query_close, .ctl = query_ops, .on_event = query_on_event,
	.on_frame = query_on_frame };
