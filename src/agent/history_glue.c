/*
 * Run history in the agent (engine/history.h): every finished converge
 * is recorded in STATE_DIR/history.jsonl and counted for /metrics; the
 * history is answered to `tlaloc history` (CTL_HISTORY) and /v1/history,
 * here or, for another node, over a sealed PKT_HISTORY frame.
 *
 * Who may read another node's history: a member holding the cluster key
 * whose node key signs the request and who is a live member of the
 * asked node's view. Runs carry resource names, change summaries and
 * error messages, never file contents (engine/history.c keeps no diff);
 * that is what such a member can already learn through `tlaloc status`
 * and query replies. Answers are bounded (HISTORY_ANSWER_MAX).
 */
#include "agent/history.h"

#include <dirent.h>
#include <sys/stat.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/history.h"
#include "facts/facts.h"
#include "net/ident.h"
#include "net/stream.h"

#define HIST_TIMEOUT_MS	5000
#define HIST_FACTS_TTL_MS 60000	/* built-in facts are gathered again after */

/* Upper bounds of the run duration histogram, seconds (+Inf is last). */
const double agent_hist_bounds[AGENT_HIST_BUCKETS - 1] = { 0.1, 0.25, 0.5,
    1, 2.5, 5, 10, 30, 60, 120, 300 };

struct agent_hist {
	struct history		*h;
	struct agent_hist_stats	 st;
	struct buf		 facts;		/* JSON, of facts_ms */
	uint64_t		 facts_ms;	/* loop time; 0 never */
};

/* ---- recording ------------------------------------------------------------ */

/* Bytes under dir, two levels deep (the bucket's objects/xx/hash). */
static uint64_t
dir_bytes(const char *dir, int depth)
{
	uint64_t total = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (depth > 3 || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			total += dir_bytes(p, depth + 1);
		else if (S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
		free(p);
	}
	closedir(d);
	return total;
}

static void
count_run(struct agent_hist_stats *st, const struct history_run *run,
    unsigned changed, unsigned failed)
{
	double secs = run->duration_ms / 1000.0;
	size_t b = 0;

	if (run->status == 1 || run->status > 6 || run->error[0] != '\0')
		st->runs[AGENT_RUN_ERROR]++;
	else if (failed > 0)
		st->runs[AGENT_RUN_FAILED]++;
	else if (changed > 0)
		st->runs[AGENT_RUN_CHANGED]++;
	else
		st->runs[AGENT_RUN_UNCHANGED]++;
	st->res_changed += changed;
	st->res_failed += failed;
	if (strncmp(run->why, "drift", 5) == 0 && changed > 0)
		st->drift_repairs++;
	while (b < AGENT_HIST_BUCKETS - 1 && secs > agent_hist_bounds[b])
		b++;
	st->dur_buckets[b]++;
	st->dur_sum_s += secs;
	st->last_run_s = run->when_s;
}

/* A converge finished: recorded and counted (the dashboards hear of it
 * from the HTTP subsystem, after us in the table). */
static void
hist_on_run(struct agent *a, const struct agent_run *done)
{
	struct agent_hist *hs = a->hist;
	struct tl_err err = TL_ERR_INIT;
	struct history_run run;
	char *bucket;

	memset(&run, 0, sizeof(run));
	run.run = done->runs;
	run.when_s = done->when_s;
	run.serial = done->serial;
	run.status = done->status;
	run.duration_ms = done->duration_ms;
	run.why = done->why;
	run.error = done->error;
	count_run(&hs->st, &run, done->changed, done->failed);
	if (history_add(hs->h, &run, done->json, done->json_len, &err) < 0)
		log_warn("cannot save run history: %s", err.msg);
	bucket = xasprintf("%s/bucket", a->cfg.state_dir);
	hs->st.bucket_bytes = dir_bytes(bucket, 0);
	free(bucket);
	hs->st.history_runs = history_count(hs->h);
	hs->st.history_bytes = history_bytes(hs->h);
}

const struct agent_hist_stats *
agent_hist_stats(const struct agent *a)
{
	static const struct agent_hist_stats none;

	return a->hist != NULL ? &a->hist->st : &none;
}

static int
hist_open(struct agent *a, struct tl_err *err)
{
	struct agent_hist *hs = xcalloc(1, sizeof(*hs));
	char *path = xasprintf("%s/history.jsonl", a->cfg.state_dir);
	char *bucket = xasprintf("%s/bucket", a->cfg.state_dir);

	hs->h = history_open(path, NULL, err);
	free(path);
	if (hs->h == NULL) {
		free(bucket);
		free(hs);
		return err->code;
	}
	hs->st.bucket_bytes = dir_bytes(bucket, 0);
	hs->st.history_runs = history_count(hs->h);
	hs->st.history_bytes = history_bytes(hs->h);
	free(bucket);
	a->hist = hs;
	return 0;
}

static void
hist_close(struct agent *a)
{
	if (a->hist == NULL)
		return;
	history_free(a->hist->h);
	buf_release(&a->hist->facts);
	free(a->hist);
	a->hist = NULL;
}

/* ---- answering ---------------------------------------------------------------- */

/* This node's built-in facts (no facts.d: nothing private, no program
 * run on the loop), gathered at most once a minute. */
static void
facts_answer(struct agent *a, struct buf *out)
{
	struct agent_hist *hs = a->hist;
	struct facts *f;

	if (hs->facts_ms == 0 || agent_now(a) - hs->facts_ms >
	    HIST_FACTS_TTL_MS) {
		f = facts_new();
		facts_gather_builtin(f, a->cfg.root);
		buf_reset(&hs->facts);
		facts_to_json(f, &hs->facts);
		facts_free(f);
		hs->facts_ms = agent_now(a);
	}
	buf_add(out, hs->facts.data, hs->facts.len);
}

static void
local_answer(struct agent *a, int what, uint64_t since, const char *ref,
    unsigned limit, struct buf *out)
{
	if (a->hist != NULL && what == HISTORY_WHAT_FACTS) {
		facts_answer(a, out);
		return;
	}
	if (a->hist == NULL) {
		buf_addstr(out, "[]");
		return;
	}
	history_query(a->hist->h, since, ref != NULL && ref[0] ? ref : NULL,
	    limit, HISTORY_ANSWER_MAX, out);
}

static void
serve_reply(struct agent *a, struct stream_conn *c, const uint8_t *key_id,
    int status, const struct buf *json)
{
	struct buf body = BUF_INIT, pkt = BUF_INIT;

	buf_addch(&body, HISTORY_MSG_VERSION);
	buf_addch(&body, status);
	if (json != NULL)
		buf_add(&body, json->data, json->len);
	pkt_seal(a->kr, key_id, PKT_HISTORY, agent_wall_ms(),
	    (uint8_t *)body.data, body.len, &pkt);
	stream_respond(c, pkt.data, pkt.len);
	buf_release(&body);
	buf_release(&pkt);
}

static int
ask_check(struct agent *a, const struct history_ask *q, const uint8_t *body)
{
	int r = agent_peer_signed(a, q->sender, body, q->signed_len, q->sig,
	    NULL);

	if (r == TL_ECRYPTO)
		return HISTORY_ANS_REFUSED;
	return r < 0 ? HISTORY_ANS_NOT_MEMBER : HISTORY_ANS_OK;
}

static int
hist_on_frame(struct agent *a, struct stream_conn *c, uint8_t type,
    const uint8_t *p, size_t len)
{
	uint8_t id[KEYRING_ID_LEN];
	struct buf json = BUF_INIT, b = BUF_INIT;
	struct history_ask q;
	const uint8_t *body;
	size_t blen;
	int r, status;

	if (type != PKT_HISTORY)
		return 0;
	if ((r = agent_frame_open(a, PKT_HISTORY, p, len, AGENT_TCP_MAX, &b,
	    id)) < 0) {
		stream_respond(c, "", 0);	/* tells a stranger nothing */
		return 1;
	}
	body = (const uint8_t *)b.data;
	blen = b.len;
	if (history_ask_decode(body, blen, &q) < 0)
		status = HISTORY_ANS_REFUSED;
	else
		status = ask_check(a, &q, body);
	if (status == HISTORY_ANS_OK) {
		a->hist->st.served++;
		local_answer(a, q.what, q.since_s, q.ref, q.limit, &json);
	} else {
		a->hist->st.refused++;
		log_info("refused a history request from %s: %s",
		    stream_conn_peer(c), status == HISTORY_ANS_REFUSED ?
		    "bad request or signature" : "not a live member");
	}
	serve_reply(a, c, id, status, status == HISTORY_ANS_OK ? &json :
	    NULL);
	buf_release(&json);
	buf_release(&b);
	return 1;
}

/* ---- asking ----------------------------------------------------------------------- */

struct hist_ask_ctx {
	struct agent	*a;
	agent_hist_fn	 fn;
	void		*ctx;
	char		 node[SWIM_NAME_MAX + 1];
};

/*
 * Why the opened answer ans (version, status, then the JSON) to our ask
 * of node is no answer, into why; nothing when it is one.
 */
static void
ask_failure(const char *node, int rc, const struct buf *ans, struct buf *why)
{
	const uint8_t *p = (const uint8_t *)ans->data;

	if (rc == 0 && (ans->len < 2 || p[0] != HISTORY_MSG_VERSION))
		rc = TL_EINVAL;
	if (rc < 0)
		buf_addf(why, "node %s did not answer: %s", node,
		    tl_strerror(rc));
	else if (p[1] == HISTORY_ANS_NOT_MEMBER)
		buf_addf(why, "node %s does not know this node as a live "
		    "member yet; try again in a few seconds", node);
	else if (p[1] != HISTORY_ANS_OK)
		buf_addf(why, "node %s refused the request", node);
}

static void
ask_reply_cb(void *arg, int rc, const uint8_t *p, size_t len)
{
	struct hist_ask_ctx *q = arg;
	struct buf ans = BUF_INIT, why = BUF_INIT;

	if (rc == 0)
		rc = agent_frame_open(q->a, PKT_HISTORY, p, len, AGENT_TCP_MAX,
		    &ans, NULL);
	ask_failure(q->node, rc, &ans, &why);
	if (why.len > 0) {
		q->a->hist->st.ask_failures++;
		q->fn(q->ctx, 1, why.data, why.len);
	} else
		q->fn(q->ctx, 0, ans.data + 2, ans.len - 2);
	buf_release(&why);
	buf_release(&ans);
	free(q);
}

void
agent_hist_ask(struct agent *a, const char *node, int what, uint64_t since,
    const char *ref, unsigned limit, agent_hist_fn fn, void *ctx)
{
	char addr[ADDR_STR_MAX], sig[IDENT_SIG_LEN];
	struct buf msg = BUF_INIT, text = BUF_INIT;
	struct history_ask q;
	struct hist_ask_ctx *ac;
	int r;

	if (node == NULL || node[0] == '\0' || strcmp(node, a->cfg.name) == 0) {
		local_answer(a, what, since, ref, limit, &text);
		fn(ctx, 0, text.data, text.len);
		buf_release(&text);
		return;
	}
	if (!agent_member_named(a, node, 1, addr)) {
		buf_addf(&text, "no live member is called '%s' (see tlaloc "
		    "members)", node);
		fn(ctx, 1, text.data, text.len);
		buf_release(&text);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.what = (uint8_t)what;
	memcpy(q.sender, ident_public(a->ident), HISTORY_ID_LEN);
	q.since_s = since;
	q.limit = limit > 0xffff ? 0xffff : (uint16_t)limit;
	snprintf(q.ref, sizeof(q.ref), "%s", ref != NULL ? ref : "");
	history_ask_encode(&q, &msg);
	ident_sign(a->ident, (uint8_t *)msg.data, msg.len, (uint8_t *)sig);
	buf_add(&msg, sig, sizeof(sig));
	ac = xcalloc(1, sizeof(*ac));
	ac->a = a;
	ac->fn = fn;
	ac->ctx = ctx;
	snprintf(ac->node, sizeof(ac->node), "%s", node);
	a->hist->st.asked++;
	if ((r = agent_frame_request(a, addr, PKT_HISTORY, &msg, AGENT_TCP_MAX,
	    HIST_TIMEOUT_MS, ask_reply_cb, ac)) < 0)
		ask_reply_cb(ac, r, NULL, 0);	/* answers fn and frees ac */
	buf_release(&msg);
}

/* ---- `tlaloc history` ---------------------------------------------------------- */

struct hist_ctl {
	struct stream_conn	*c;
	int			 json;
	char			 node[SWIM_NAME_MAX + 1];
};

static void
ctl_answer(void *ctx, int status, const char *text, size_t len)
{
	struct hist_ctl *hc = ctx;
	struct buf out = BUF_INIT;

	if (status == 0 && !hc->json) {
		buf_addf(&out, "runs of %s, newest first:\n", hc->node);
		if (history_text(text, len, &out) < 0)
			buf_addstr(&out, "(an answer that is not run history)\n");
	} else if (status == 0) {
		buf_addstr(&out, "{\"node\":");
		buf_add_json_str(&out, hc->node, strlen(hc->node));
		buf_addstr(&out, ",\"runs\":");
		buf_add(&out, text, len);
		buf_addstr(&out, "}\n");
	} else {
		buf_add(&out, text, len);
		buf_addch(&out, '\n');
	}
	agent_ctl_reply(hc->c, status, out.data, out.len);
	buf_release(&out);
	free(hc);
}

static void
hist_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct hist_ctl *hc;
	unsigned long long since = 0, limit = 0;
	char *end;

	/* args: node ("" here), since (unix s, "" all), resource, limit */
	if (req->nargs != 4 || strlen(req->args[2]) > HISTORY_REF_MAX) {
		agent_ctl_reply_str(c, 1, "malformed history request\n");
		return;
	}
	if (req->args[1][0] != '\0')
		since = strtoull(req->args[1], &end, 10);
	if (req->args[3][0] != '\0')
		limit = strtoull(req->args[3], &end, 10);
	hc = xcalloc(1, sizeof(*hc));
	hc->c = c;
	hc->json = req->flags & CTL_F_JSON;
	snprintf(hc->node, sizeof(hc->node), "%s", req->args[0][0] ?
	    req->args[0] : a->cfg.name);
	agent_hist_ask(a, req->args[0], HISTORY_WHAT_RUNS, since, req->args[2],
	    limit > 0xffff ? 0xffff : (unsigned)limit, ctl_answer, hc);
}

static void
hist_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_RUN_DONE)
		hist_on_run(a, ev->done);
}

static const struct agent_ctl_op hist_ops[] = {
	{ CTL_HISTORY, hist_ctl }, { 0, NULL }
};

const struct agent_sub agent_hist_sub = { .name = "history",
	.open = hist_open, .close = hist_close, .ctl = hist_ops,
	.on_event = hist_on_event, .on_frame = hist_on_frame };
