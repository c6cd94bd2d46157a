/*
 * Converge requests for other nodes, from programs (docs/programs.md).
 * The client signs a request with an operator key and hands it to its
 * agent over the control socket; the agent carries it to the named node
 * in a policy part; that node checks the signature against its --trust
 * keys, the name and the time, and converges once per request nonce.
 * The client repeats a request until the node reports, so a lost
 * datagram costs a repeat, not a run.
 *
 * The request travels with our address (cluster/convrep.h), and the node
 * owes us a report: when the first run that started after the request
 * ends, it sends the run's summary straight back over TCP (convreq_wait.c
 * takes it from there), so the program need not wait for gossip.
 */
#include "agent/convreq_int.h"

#include <sodium.h>
#include <string.h>

#include "agent/converge.h"
#include "ctl/ctl.h"
#include "agent/policy.h"
#include "core/err.h"
#include "core/log.h"
#include "core/nonces.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/packet.h"
#include "net/stream.h"
#include "program/convreq_sign.h"

static const char *
refusal(int r)
{
	switch (r) {
	case TL_EINVAL:		return "it names another node";
	case TL_ETIMEOUT:	return "it is stale (check the clocks)";
	case TL_EPERM:		return "its key is not trusted here (--trust)";
	case TL_EIO:		return "its nonce cannot be recorded here";
	default:		return "its signature does not verify";
	}
}

/*
 * 1 when req is new (now recorded, on disk: a restart does not let it act
 * again), 0 for a repeat of one we acted on, < 0 to refuse it.
 */
static int
nonce_fresh(struct agent *a, const struct convreq *req)
{
	struct agent_convreq *cr = a->convreq;
	struct tl_err err = TL_ERR_INIT;
	int r;

	if (cr->seen == NULL)
		return TL_EIO;
	r = nonces_check(cr->seen, req->nonce, req->issued_ms,
	    agent_wall_ms(), &err);
	if (r == 0)
		return 1;
	if (r == TL_EEXIST)
		return 0;
	if (r != TL_ETIMEOUT) {
		log_err("cannot record a converge request's nonce: %s",
		    err.msg);
		r = TL_EIO;
	}
	return r;
}

static void
owe_report(struct agent *a, const uint8_t *nonce, const char *addr)
{
	struct agent_convreq *cr = a->convreq;
	struct convreq_owed *o = &cr->owed[cr->owed_next];

	/* Full: the oldest asker falls back on the gossiped runs tag. */
	cr->owed_next = (cr->owed_next + 1) % CONVREQ_OWED;
	o->is_used = 1;
	memcpy(o->nonce, nonce, CONVREQ_NONCE_LEN);
	snprintf(o->addr, sizeof(o->addr), "%s", addr);
	o->after = agent_conv_starts(a);
}

/*
 * Checks and acts on a request; 0, or the refusal code. A report is owed
 * to reply_to when it is not NULL.
 */
static int
convreq_act(struct agent *a, const char *from, const uint8_t *p, size_t n,
    const char *reply_to)
{
	struct convreq req;
	char why[128], id[OPKEY_ID_HEX];
	int r;

	if ((r = convreq_decode(p, n, &req)) < 0)
		r = TL_EINVAL;
	else
		r = convreq_sign_check(&req, &a->cfg.trust, a->cfg.name,
		    agent_wall_ms());
	if (r == 0 && (r = nonce_fresh(a, &req)) == 0)
		return 0;		/* a repeat of one we acted on */
	if (r < 0) {
		a->convreq->refused++;
		log_warn("converge request from %s refused: %s", from,
		    refusal(r));
		return r;
	}
	a->convreq->done++;
	opkey_id_hex(req.key_id, id);
	snprintf(why, sizeof(why), "program request by operator key %s", id);
	if (reply_to != NULL)
		owe_report(a, req.nonce, reply_to);
	agent_converge_request(a, why);
	return 0;
}

/* PKT_PART_POLICY ops 2 and 3 (the others: policy.c). */
static int
convreq_on_part(struct agent *a, uint8_t kind, const char *from,
    const uint8_t *p, size_t n)
{
	char addr[CONVREP_ADDR_MAX + 1];
	const uint8_t *req;
	size_t rlen;

	if (kind != PKT_PART_POLICY || n == 0 ||
	    (p[0] != POL_PART_CONVERGE && p[0] != POL_PART_CONVERGE_R))
		return 0;
	if (p[0] == POL_PART_CONVERGE) {
		convreq_act(a, from, p + 1, n - 1, NULL);
		return 1;
	}
	if (convrep_env_decode(p + 1, n - 1, addr, &req, &rlen) < 0) {
		a->convreq->refused++;
		log_warn("converge request from %s refused: malformed", from);
		return 1;
	}
	convreq_act(a, from, req, rlen, addr);
	return 1;
}

/* Run number `run` ended: the reports it answers go back. */
static void
run_done(struct agent *a, uint64_t run)
{
	struct agent_convreq *cr = a->convreq;
	struct buf body = BUF_INIT;
	struct convrep r;

	if (a->is_leaving)
		return;
	for (unsigned i = 0; i < CONVREQ_OWED; i++) {
		struct convreq_owed *o = &cr->owed[i];

		if (!o->is_used || run <= o->after)
			continue;
		memset(&r, 0, sizeof(r));
		memcpy(r.nonce, o->nonce, CONVREQ_NONCE_LEN);
		memcpy(r.node_id, ident_public(a->ident), CONVREP_ID_LEN);
		snprintf(r.node, sizeof(r.node), "%s", a->cfg.name);
		agent_conv_summary(a, &r);
		buf_reset(&body);
		convrep_signed(&r, &body);
		ident_sign(a->ident, (uint8_t *)body.data, body.len, r.sig);
		buf_reset(&body);
		convrep_encode(&r, &body);
		agent_frame_send(a, o->addr, PKT_CREPORT, &body,
		    &cr->reports_out, &cr->report_failures);
		o->is_used = 0;
	}
	buf_release(&body);
}

/* CTL_CONVERGE_NODE: a program's signed request, for a node. */
static void
convreq_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	uint8_t raw[CONVREQ_MAX + 1];
	struct buf body = BUF_INIT, msg = BUF_INIT;
	struct swim_member m;
	struct convreq cr;
	size_t len = 0, i;
	int r;

	if (req->nargs != 2 ||
	    sodium_base642bin(raw, sizeof(raw), req->args[1],
	    strlen(req->args[1]), NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    convreq_decode(raw, len, &cr) < 0 ||
	    strcmp(cr.name, req->args[0]) != 0) {
		buf_addstr(&msg, "malformed converge request\n");
		goto fail;
	}
	for (i = 0; i < swim_member_count(a->swim); i++)
		if (swim_member_at(a->swim, i, &m) == 0 &&
		    strcmp(m.name, cr.name) == 0)
			break;
	if (i == swim_member_count(a->swim) || m.status != SWIM_ALIVE) {
		buf_addf(&msg, "no alive member named '%s'\n", cr.name);
		goto fail;
	}
	if (m.is_self) {
		if ((r = convreq_act(a, "the control socket", raw, len,
		    NULL)) < 0) {
			buf_addf(&msg, "refused: %s\n", refusal(r));
			goto fail;
		}
	} else {
		buf_addch(&body, POL_PART_CONVERGE_R);
		if (convrep_env_encode(a->cfg.advertise, raw, len,
		    &body) < 0) {
			buf_addf(&msg, "advertise address '%s' too long for "
			    "converge reports\n", a->cfg.advertise);
			goto fail;
		}
		if (agent_send_part(a, m.addr, PKT_PART_POLICY, body.data,
		    body.len) < 0) {
			buf_addf(&msg, "cannot send to %s\n", m.addr);
			goto fail;
		}
		convrep_asked(a, cr.nonce, cr.name);
	}
	buf_release(&body);
	agent_ctl_reply_str(c, 0, "converge request sent\n");
	return;
fail:
	buf_release(&body);
	agent_ctl_reply(c, 1, msg.data, msg.len);
	buf_release(&msg);
}

/* A converge report (PKT_CREPORT): opened, answered with an empty frame. */
static int
convreq_on_frame(struct agent *a, struct stream_conn *c, uint8_t type,
    const uint8_t *p, size_t len)
{
	if (type != PKT_CREPORT)
		return 0;
	agent_frame_deliver(a, c, PKT_CREPORT, p, len, "converge report",
	    convrep_on_report);
	return 1;
}

static void
convreq_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_RUN_DONE)
		run_done(a, ev->done->starts);
}

static void
convreq_info(const struct agent *a, struct buf *out, int json)
{
	const struct agent_convreq *cr = a->convreq;

	buf_addf(out, json ? "\"converge_requests\":%llu,"
	    "\"converge_requests_refused\":%llu,"
	    "\"converge_reports\":{\"in\":%llu,\"unsolicited\":%llu,"
	    "\"duplicates\":%llu,\"malformed\":%llu,\"out\":%llu,"
	    "\"failed\":%llu,\"forged\":%llu}," :
	    "converge requests (programs): %llu, refused %llu\n"
	    "converge reports (programs): in %llu, unsolicited %llu, "
	    "duplicates %llu, malformed %llu; out %llu, failed %llu; "
	    "forged %llu\n",
	    (unsigned long long)cr->done, (unsigned long long)cr->refused,
	    (unsigned long long)cr->reports_in,
	    (unsigned long long)cr->unsolicited,
	    (unsigned long long)cr->duplicates,
	    (unsigned long long)cr->malformed,
	    (unsigned long long)cr->reports_out,
	    (unsigned long long)cr->report_failures,
	    (unsigned long long)cr->forged);
}

static int
convreq_open(struct agent *a, struct tl_err *err)
{
	struct agent_convreq *cr = xcalloc(1, sizeof(*cr));
	struct tl_err e2 = TL_ERR_INIT;

	(void)err;
	a->convreq = cr;
	cr->timer = agent_timer_new(a);
	cr->seen = agent_nonces_open(a, "convreq.nonces", CONVREQ_SEEN,
	    CONVREQ_SKEW_MS, "converge requests", &e2);
	return 0;
}

static void
convreq_close(struct agent *a)
{
	if (a->convreq == NULL)
		return;
	convrep_close(a);
	agent_timer_free(a->convreq->timer);
	nonces_free(a->convreq->seen);
	free(a->convreq);
	a->convreq = NULL;
}

static const struct agent_ctl_op convreq_ops[] = {
	{ CTL_CONVERGE_NODE, convreq_ctl },
	{ CTL_CONVREQ_POLL, convrep_poll_ctl }, { 0, NULL }
};

const struct agent_sub agent_convreq_sub = { .name = "convreq",
	.open = convreq_open, .info = convreq_info, .close = convreq_close,
	.ctl = convreq_ops, .on_event = convreq_on_event,
	.on_part = convreq_on_part, .on_frame = convreq_on_frame };
