/*
 * Asking queries for `tlaloc run` and `tlaloc query`: the client hands
 * us a body it built (and signed, for run) naming this node as its asker,
 * we work out whom to expect from our member list, broadcast it (nodes
 * answer the member that broadcast it, at its signed address), collect
 * the replies that come over TCP and let the client long-poll them
 * (CTL_RUN_POLL) as they arrive, then summarise who answered, who failed
 * and who never replied. Both answer in typed frames (ctl/ctl_frame.h). A reply counts only when it carries the query's
 * nonce and comes from a node the filter picks (query.c has checked its
 * signature): nobody can answer for a node, or answer a query it was not
 * asked.
 */
#include "agent/query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "agent/msgs.h"
#include "cluster/bcast.h"
#include "cluster/qfilter.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"

#define POLL_WAIT_MS	1000	/* a poll with nothing new waits this */
#define KEEP_MS		30000	/* finished queries stay pollable */

struct answer {
	char		 node[QUERY_NODE_MAX + 1];
	int		 is_ok;		/* ran and exited 0 */
	struct buf	 text;		/* formatted for the client */
};

struct pending {
	uint8_t		 id[QUERY_ID_LEN];
	uint8_t		 nonce[QUERY_NONCE_LEN];
	struct qfilter	 filter;
	int		 json;
	uint64_t	 deadline_ms;	/* agent_now(): replies until then */
	char		**expected;
	size_t		 nexpected;
	struct answer	*answers;
	size_t		 nanswers;
	struct stream_conn *waiter;
	uint64_t	 waiter_cursor;
	uint64_t	 waiter_deadline_ms;
};

static void
pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	if (p->waiter != NULL)
		agent_ctl_reply_str(p->waiter, 1, "agent stopping\n");
	for (size_t i = 0; i < p->nexpected; i++)
		free(p->expected[i]);
	for (size_t i = 0; i < p->nanswers; i++)
		buf_release(&p->answers[i].text);
	free(p->expected);
	free(p->answers);
	free(p);
}

void
query_ask_release(struct agent_query *aq)
{
	for (size_t i = 0; i < QUERY_PENDING; i++)
		pending_free(aq->pending[i]);
}

static void
pending_drop(struct agent_query *aq, struct pending *p)
{
	for (size_t i = 0; i < QUERY_PENDING; i++)
		if (aq->pending[i] == p)
			aq->pending[i] = NULL;
	pending_free(p);
}

static struct pending *
pending_find(struct agent_query *aq, const uint8_t id[QUERY_ID_LEN])
{
	for (size_t i = 0; i < QUERY_PENDING; i++)
		if (aq->pending[i] != NULL && memcmp(aq->pending[i]->id, id,
		    QUERY_ID_LEN) == 0)
			return aq->pending[i];
	return NULL;
}

/* ---- Formatting answers ------------------------------------------------ */

static void
add_lines(struct buf *out, const char *prefix, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '\n')
			j++;
		buf_addstr(out, prefix);
		for (size_t k = i; k < j; k++)
			buf_addch(out, p[k] < ' ' && p[k] != '\t' ? '?' :
			    p[k]);
		buf_addch(out, '\n');
		i = j + 1;
	}
}

static const char *const outcome_names[] = { "ran", "refused", "failed" };

static void
answer_format(const struct query_reply *r, int json, struct buf *out)
{
	if (json) {
		buf_addstr(out, "{\"node\":");
		buf_add_json_str(out, r->node, strlen(r->node));
		buf_addf(out, ",\"outcome\":\"%s\",\"exit\":%u,"
		    "\"timed_out\":%s,\"duration_ms\":%u,\"stdout\":",
		    outcome_names[r->outcome], r->status,
		    r->timed_out ? "true" : "false", r->duration_ms);
		buf_add_json_str(out, (const char *)r->out, r->outlen);
		buf_addstr(out, ",\"stderr\":");
		buf_add_json_str(out, (const char *)r->errout, r->errlen);
		buf_addf(out, ",\"truncated_bytes\":%llu,\"message\":",
		    (unsigned long long)r->dropped);
		buf_add_json_str(out, r->msg, strlen(r->msg));
		buf_addstr(out, "}\n");
		return;
	}
	if (r->outcome == QUERY_RAN && !r->timed_out)
		buf_addf(out, "%s: exit %u in %u ms\n", r->node, r->status,
		    r->duration_ms);
	else if (r->outcome == QUERY_RAN)
		buf_addf(out, "%s: %s (exit %u)\n", r->node, r->msg,
		    r->status);
	else
		buf_addf(out, "%s: %s: %s\n", r->node,
		    outcome_names[r->outcome], r->msg);
	add_lines(out, "  | ", r->out, r->outlen);
	add_lines(out, "  ! ", r->errout, r->errlen);
	if (r->dropped > 0)
		buf_addf(out, "  (%llu more bytes of output dropped)\n",
		    (unsigned long long)r->dropped);
}

static void
summary_names(struct buf *out, const char *label, char **names, size_t n,
    int json)
{
	if (json) {
		buf_addf(out, "%s\"%s\":[", label[0] == 'a' ? "" : ",",
		    label);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				buf_addch(out, ',');
			buf_add_json_str(out, names[i], strlen(names[i]));
		}
		buf_addch(out, ']');
		return;
	}
	buf_addf(out, "%s: %zu", label, n);
	for (size_t i = 0; i < n; i++)
		buf_addf(out, "%s%s", i ? ", " : " (", names[i]);
	buf_addstr(out, n ? ")\n" : "\n");
}

/* The final lines; returns 1 when everyone expected answered ok. */
static int
summary(const struct pending *p, struct buf *out)
{
	char **ok = xcalloc(p->nanswers + 1, sizeof(char *));
	char **bad = xcalloc(p->nanswers + 1, sizeof(char *));
	char **missing = xcalloc(p->nexpected + 1, sizeof(char *));
	size_t nok = 0, nbad = 0, nmissing = 0;
	int all_ok;

	for (size_t i = 0; i < p->nanswers; i++) {
		if (p->answers[i].is_ok)
			ok[nok++] = (char *)p->answers[i].node;
		else
			bad[nbad++] = (char *)p->answers[i].node;
	}
	for (size_t i = 0; i < p->nexpected; i++) {
		size_t k;

		for (k = 0; k < p->nanswers; k++)
			if (strcmp(p->answers[k].node, p->expected[i]) == 0)
				break;
		if (k == p->nanswers)
			missing[nmissing++] = p->expected[i];
	}
	buf_addstr(out, p->json ? "{\"summary\":{" : "--\n");
	summary_names(out, "answered", ok, nok, p->json);
	summary_names(out, "failed", bad, nbad, p->json);
	summary_names(out, "never replied", missing, nmissing, p->json);
	buf_addstr(out, p->json ? "}}\n" : "");
	all_ok = nbad == 0 && nmissing == 0;
	free(ok);
	free(bad);
	free(missing);
	return all_ok;
}

/* ---- Long poll --------------------------------------------------------- */

/* Answers a poll if there is news or it is over; 1 when answered. */
static int
poll_answer(struct agent *a, struct pending *p, struct stream_conn *c,
    uint64_t cursor, int force)
{
	int done = agent_now(a) >= p->deadline_ms ||
	    p->nanswers >= p->nexpected;
	struct buf tail = BUF_INIT;
	struct ctl_cursor cur;
	int all_ok = 0;

	if (cursor >= p->nanswers && !done && !force)
		return 0;
	for (size_t i = cursor; i < p->nanswers; i++)
		buf_add(&tail, p->answers[i].text.data,
		    p->answers[i].text.len);
	if (done)
		all_ok = summary(p, &tail);
	cur.cursor = p->nanswers;
	cur.done = done;
	cur.ok = all_ok;
	agent_ctl_reply_cursor(c, &cur, &tail);
	buf_release(&tail);
	return 1;
}

/* 1 when the filter picks r's author: expected, or matching now. */
static int
is_targeted(struct agent *a, const struct pending *p,
    const struct query_reply *r)
{
	struct swim_member mb;

	for (size_t i = 0; i < p->nexpected; i++)
		if (strcmp(p->expected[i], r->node) == 0)
			return 1;
	/* Someone we did not expect: it joined a channel meanwhile. Its
	 * signed tags must say so. */
	return swim_member_find(a->swim, r->node_id, &mb) == 0 &&
	    qfilter_match(&p->filter, mb.name, mb.tags, mb.tags_len);
}

int
query_ask_on_reply(struct agent *a, const struct query_reply *r)
{
	struct pending *p = pending_find(a->query, r->id);
	struct answer *an;

	if (p == NULL || memcmp(p->nonce, r->nonce, QUERY_NONCE_LEN) != 0)
		return TL_ENOENT;	/* too late, or not ours */
	if (!is_targeted(a, p, r))
		return TL_EPERM;
	for (size_t i = 0; i < p->nanswers; i++)
		if (strcmp(p->answers[i].node, r->node) == 0)
			return 0;	/* sent again: we have it */
	p->answers = xrealloc(p->answers, (p->nanswers + 1) *
	    sizeof(*p->answers));
	an = &p->answers[p->nanswers++];
	snprintf(an->node, sizeof(an->node), "%s", r->node);
	an->is_ok = r->outcome == QUERY_RAN && r->status == 0 &&
	    !r->timed_out;
	buf_init(&an->text);
	answer_format(r, p->json, &an->text);
	if (p->waiter != NULL && poll_answer(a, p, p->waiter,
	    p->waiter_cursor, 0))
		p->waiter = NULL;
	return 0;
}

void
query_ask_tick(struct agent *a)
{
	uint64_t now = agent_now(a);

	for (size_t i = 0; i < QUERY_PENDING; i++) {
		struct pending *p = a->query->pending[i];

		if (p == NULL)
			continue;
		if (p->waiter != NULL && (now >= p->waiter_deadline_ms ||
		    now >= p->deadline_ms) && poll_answer(a, p, p->waiter,
		    p->waiter_cursor, 1))
			p->waiter = NULL;
		if (p->waiter == NULL && now >= p->deadline_ms + KEEP_MS) {
			pending_free(p);
			a->query->pending[i] = NULL;
		}
	}
}

/* ---- Control requests -------------------------------------------------- */

static int
b64_decode(const char *s, uint8_t *out, size_t max, size_t *n)
{
	return sodium_base642bin(out, max, s, strlen(s), NULL, n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 ? 0 : TL_EINVAL;
}

static void
expect_matching(struct agent *a, struct pending *p, const struct qfilter *f)
{
	struct swim_member m;

	for (size_t i = 0; i < swim_member_count(a->swim); i++) {
		if (swim_member_at(a->swim, i, &m) < 0 ||
		    m.status != SWIM_ALIVE ||
		    !qfilter_match(f, m.name, m.tags, m.tags_len))
			continue;
		p->expected = xrealloc(p->expected, (p->nexpected + 1) *
		    sizeof(char *));
		p->expected[p->nexpected++] = xstrdup(m.name);
	}
}

static int
pending_slot(struct agent_query *aq, struct tl_err *err)
{
	for (size_t i = 0; i < QUERY_PENDING; i++)
		if (aq->pending[i] == NULL)
			return (int)i;
	return tl_err_set(err, TL_EAGAIN, "too many queries in flight "
	    "here (%d): wait for one to finish", QUERY_PENDING);
}

static int
ask(struct agent *a, const struct ctl_req *req, struct buf *out,
    struct tl_err *err)
{
	uint8_t body[BCAST_PAYLOAD_MAX], kid[QUERY_KEYID_LEN],
	    sig[QUERY_SIG_LEN];
	size_t blen, klen = 0, slen = 0;
	struct buf env = BUF_INIT;
	struct pending *p;
	struct query q;
	struct qfilter f;
	struct ctl_started st;
	int r, slot;

	if (req->nargs != 3 || b64_decode(req->args[0], body, sizeof(body),
	    &blen) < 0 || query_body_decode(body, blen, &q) < 0 ||
	    (req->args[1][0] != '\0' && (b64_decode(req->args[1], kid,
	    sizeof(kid), &klen) < 0 || b64_decode(req->args[2], sig,
	    sizeof(sig), &slen) < 0 || klen != sizeof(kid) ||
	    slen != sizeof(sig))))
		return tl_err_set(err, TL_EINVAL, "malformed query request");
	if ((p = pending_find(a->query, q.id)) != NULL) {
		if (agent_now(a) < p->deadline_ms)
			return tl_err_set(err, TL_EEXIST, "this query is "
			    "already in flight here");
		/* Sent again once over (--resend): the new one replaces
		 * what was kept of it for polls. */
		pending_drop(a->query, p);
	}
	if (memcmp(q.asker, ident_public(a->ident), QUERY_NODE_ID_LEN) != 0)
		return tl_err_set(err, TL_EPERM, "this query names another "
		    "node as its asker: nodes answer only the node it names, "
		    "so send it from there (or sign it again here)");
	if ((r = qfilter_parse(q.filter, &f, err)) < 0 ||
	    (slot = pending_slot(a->query, err)) < 0)
		return r < 0 ? r : TL_EAGAIN;
	query_env_encode(body, blen, klen ? kid : NULL, slen ? sig : NULL,
	    &env);
	if ((r = agent_msgs_send(a, BCAST_QUERY, "", env.data, env.len,
	    NULL, err)) < 0) {
		if (r == TL_ETOOBIG)
			tl_err_set(err, r, "query is %zu bytes, the limit is "
			    "%d: shorten the command or the filter", env.len,
			    BCAST_PAYLOAD_MAX);
		buf_release(&env);
		return r;
	}
	buf_release(&env);
	p = xcalloc(1, sizeof(*p));
	memcpy(p->id, q.id, QUERY_ID_LEN);
	memcpy(p->nonce, q.nonce, QUERY_NONCE_LEN);
	p->filter = f;
	p->json = req->flags & CTL_F_JSON;
	p->deadline_ms = agent_now(a) + q.timeout_ms + QUERY_GRACE_MS;
	expect_matching(a, p, &f);
	a->query->pending[slot] = p;
	memcpy(st.id, q.id, sizeof(st.id));
	st.expected = p->nexpected;
	ctl_started_encode(&st, out);
	return 0;
}

static void
poll_req(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	uint8_t id[QUERY_ID_LEN];
	struct pending *p = NULL;
	uint64_t cursor;
	char *end;

	if (req->nargs == 2 && sodium_hex2bin(id, sizeof(id), req->args[0],
	    strlen(req->args[0]), NULL, NULL, NULL) == 0)
		p = pending_find(a->query, id);
	if (p == NULL) {
		agent_ctl_reply_str(c, 1, "unknown or expired query\n");
		return;
	}
	cursor = strtoull(req->args[1], &end, 10);
	if (p->waiter != NULL) {
		/* One client per query; the newer poll wins. */
		poll_answer(a, p, p->waiter, p->waiter_cursor, 1);
		p->waiter = NULL;
	}
	if (poll_answer(a, p, c, cursor, 0))
		return;
	p->waiter = c;
	p->waiter_cursor = cursor;
	p->waiter_deadline_ms = agent_now(a) + POLL_WAIT_MS;
}

void
query_ask_ctl(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;

	if (req->op == CTL_RUN_POLL) {
		poll_req(a, c, req);
		return;
	}
	if (ask(a, req, &out, &err) < 0)
		agent_ctl_reply_err(c, &err);
	else
		agent_ctl_reply(c, 0, out.data, out.len);
	buf_release(&out);
}
