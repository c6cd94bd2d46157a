/*
 * Converge reports coming back to this agent (cluster/convrep.h) and
 * the programs waiting for them. We keep a report only when it answers a
 * request we carried (convreq.c), from the node we carried it to,
 * signed by that node (the member its signed statement names so);
 * anything else is counted as unsolicited or forged and dropped.
 * Programs read the
 * kept reports by cursor (CTL_CONVREQ_POLL), waiting until one comes or
 * their wait is over; a program still watches the gossiped runs tag, so a
 * report lost here costs it a gossip round, not a hang.
 */
#include "agent/convreq_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "agent/refusals.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"

static void timer_cb(uv_timer_t *t);

static struct convreq_asked *
asked_find(struct agent_convreq *cr, const uint8_t *nonce)
{
	for (unsigned i = 0; i < CONVREQ_ASKED; i++)
		if (cr->asked[i].node[0] != '\0' && memcmp(cr->asked[i].nonce,
		    nonce, CONVREQ_NONCE_LEN) == 0)
			return &cr->asked[i];
	return NULL;
}

void
convrep_asked(struct agent *a, const uint8_t *nonce, const char *node)
{
	struct agent_convreq *cr = a->convreq;
	struct convreq_asked *q;

	if (asked_find(cr, nonce) != NULL)
		return;		/* the program repeating its request */
	q = &cr->asked[cr->asked_next];
	cr->asked_next = (cr->asked_next + 1) % CONVREQ_ASKED;
	memcpy(q->nonce, nonce, CONVREQ_NONCE_LEN);
	snprintf(q->node, sizeof(q->node), "%s", node);
	q->is_answered = 0;
}

/* ---- Answering polls ------------------------------------------------ */

static void
report_json(const struct convrep *r, struct buf *out)
{
	char hex[2 * CONVREQ_NONCE_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), r->nonce, CONVREQ_NONCE_LEN);
	buf_addf(out, "{\"nonce\":\"%s\",\"node\":", hex);
	buf_add_json_str(out, r->node, strlen(r->node));
	buf_addf(out, ",\"runs\":%llu,\"serial\":%llu,\"status\":%u,"
	    "\"changed\":%u,\"failed\":%u,\"duration_ms\":%u,\"error\":",
	    (unsigned long long)r->runs, (unsigned long long)r->serial,
	    r->status, r->changed, r->failed, r->duration_ms);
	if (r->error[0] != '\0')
		buf_add_json_str(out, r->error, strlen(r->error));
	else
		buf_addstr(out, "null");
	buf_addstr(out, "}\n");
}

/* The oldest report still kept. */
static uint64_t
oldest(const struct agent_convreq *cr)
{
	return cr->nreports > CONVREQ_REPORTS ?
	    cr->nreports - CONVREQ_REPORTS : 0;
}

/* A cursor frame (ctl/ctl_frame.h): one JSON line per report from cursor
 * on. */
static void
answer(struct agent_convreq *cr, struct stream_conn *c, uint64_t cursor)
{
	struct buf text = BUF_INIT;
	struct ctl_cursor cur = { .cursor = cr->nreports };

	if (cursor > cr->nreports)
		cursor = 0;	/* from before a restart of ours */
	if (cursor < oldest(cr))
		cursor = oldest(cr);
	for (uint64_t i = cursor; i < cr->nreports; i++)
		report_json(&cr->reports[i % CONVREQ_REPORTS], &text);
	agent_ctl_reply_cursor(c, &cur, &text);
	buf_release(&text);
}

static void
waiter_drop(struct agent_convreq *cr, size_t i)
{
	cr->w[i] = cr->w[--cr->nw];
}

static void
timer_arm(struct agent *a)
{
	struct agent_convreq *cr = a->convreq;
	uint64_t first = UINT64_MAX, now = agent_now(a);

	for (size_t i = 0; i < cr->nw; i++)
		if (cr->w[i].deadline_ms < first)
			first = cr->w[i].deadline_ms;
	if (first == UINT64_MAX)
		uv_timer_stop(cr->timer);
	else
		uv_timer_start(cr->timer, timer_cb, first > now ?
		    first - now : 0, 0);
}

static void
timer_cb(uv_timer_t *t)
{
	struct agent *a = t->data;
	struct agent_convreq *cr = a->convreq;
	uint64_t now = agent_now(a);

	if (cr == NULL)
		return;
	for (size_t i = 0; i < cr->nw;) {
		if (cr->w[i].deadline_ms <= now) {
			answer(cr, cr->w[i].c, cr->w[i].cursor);
			waiter_drop(cr, i);
		} else
			i++;
	}
	timer_arm(a);
}

void
convrep_poll_ctl(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct agent_convreq *cr = a->convreq;
	unsigned long long cursor = 0, wait = 0;
	char *end1 = NULL, *end2 = NULL;

	if (req->nargs == 2) {
		cursor = strtoull(req->args[0], &end1, 10);
		wait = strtoull(req->args[1], &end2, 10);
	}
	if (req->nargs != 2 || *end1 != '\0' || *end2 != '\0' ||
	    end1 == req->args[0] || end2 == req->args[1]) {
		agent_ctl_reply_str(c, 1,
		    "give a cursor and a wait in ms\n");
		return;
	}
	if (cursor != cr->nreports || wait == 0 ||
	    cr->nw == CONVREQ_WAITERS) {
		answer(cr, c, cursor);
		return;
	}
	if (wait > CONVREQ_WAIT_MAX_MS)
		wait = CONVREQ_WAIT_MAX_MS;
	cr->w[cr->nw].c = c;
	cr->w[cr->nw].cursor = cursor;
	cr->w[cr->nw].deadline_ms = agent_now(a) + wait;
	cr->nw++;
	timer_arm(a);
}

/* ---- Reports arriving ----------------------------------------------- */

/* 0 when r was signed by the member of its node id, under its name,
 * with a key not evicted (an evicted member is still known as failed). */
static int
report_author(struct agent *a, const struct convrep *r)
{
	struct buf sb = BUF_INIT;
	int rc;

	convrep_signed(r, &sb);
	rc = agent_member_signed(a, r->node_id, r->node, &sb, r->sig);
	buf_release(&sb);
	return rc;
}

/* Counts a report we drop; logs it once a minute per reason. */
static void
report_refuse(struct agent *a, uint64_t *ctr, unsigned kind,
    const char *from, const char *node, const char *why)
{
	uint64_t n;

	(*ctr)++;
	if (agent_refusal_due(a, REFUSAL_CREPORT + kind, &n))
		log_warn("converge report from %s (as %s) %s: dropped; %llu "
		    "such since the last line", from, log_escape(node), why,
		    (unsigned long long)n);
}

void
convrep_on_report(struct agent *a, const char *from, const uint8_t *p,
    size_t n)
{
	struct agent_convreq *cr = a->convreq;
	struct convreq_asked *q;
	struct convrep r;

	if (convrep_decode(p, n, &r) < 0) {
		report_refuse(a, &cr->malformed, 0, from, "?", "is malformed");
		return;
	}
	if (report_author(a, &r) < 0) {
		report_refuse(a, &cr->forged, 1, from, r.node, "is not signed "
		    "by the node it names");
		return;
	}
	q = asked_find(cr, r.nonce);
	if (q == NULL || strcmp(q->node, r.node) != 0) {
		report_refuse(a, &cr->unsolicited, 2, from, r.node, "answers "
		    "no request we carried to it");
		return;
	}
	if (q->is_answered) {
		cr->duplicates++;
		return;
	}
	q->is_answered = 1;
	cr->reports_in++;
	cr->reports[cr->nreports % CONVREQ_REPORTS] = r;
	cr->nreports++;
	for (size_t i = 0; i < cr->nw; i++)
		answer(cr, cr->w[i].c, cr->w[i].cursor);
	cr->nw = 0;
	timer_arm(a);
}

/* ---- Shutdown ----------------------------------------------------- */

void
convrep_close(struct agent *a)
{
	struct agent_convreq *cr = a->convreq;

	for (size_t i = 0; i < cr->nw; i++)
		agent_ctl_reply_str(cr->w[i].c, 1, "agent stopping\n");
	cr->nw = 0;
}
