/*
 * The /v1 JSON of the HTTP endpoint (docs/http.md is the contract; keys
 * are only ever added within v1). Everything is read from this node's
 * view: the member list with its tags (pack, pack_leader, channels,
 * policy, run), the channel log, and the run history, here or asked of
 * another node.
 */
#include "agent/agent_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/chan.h"
#include "agent/history.h"
#include "agent/http_int.h"
#include "agent/policy.h"
#include "agent/status.h"
#include "agent/svc.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "engine/history.h"
#include "net/http.h"
#include "net/httpd.h"

#define V1_MESSAGES_MAX	256
#define V1_PACKS_MAX	1024	/* distinct packs listed; arbitrary */

/* A query value, or "" when absent; 0 or < 0 for a bad one. */
static int
query_arg(const struct http_req *req, const char *key, char *out,
    size_t size)
{
	int r = http_query_get(req->query, key, out, size);

	if (r == 0)
		out[0] = '\0';
	return r < 0 ? r : 0;
}

static int
query_u64(const struct http_req *req, const char *key, uint64_t *v)
{
	char s[32], *end;

	*v = 0;
	if (query_arg(req, key, s, sizeof(s)) < 0)
		return TL_EINVAL;
	if (s[0] == '\0')
		return 0;
	*v = strtoull(s, &end, 10);
	return *end == '\0' && s[0] != '-' ? 0 : TL_EINVAL;
}

void
http_v1_self(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct buf b = BUF_INIT;

	(void)req;
	buf_addstr(&b, "{\"api\":1,\"name\":");
	buf_add_json_str(&b, a->cfg.name, strlen(a->cfg.name));
	buf_addstr(&b, ",\"addr\":");
	buf_add_json_str(&b, a->cfg.advertise, strlen(a->cfg.advertise));
	buf_addf(&b, ",\"policy\":%" PRIu64 ",\"now\":%" PRIu64 "}\n",
	    agent_policy_current(a), agent_wall_ms() / 1000);
	http_reply_json(c, &b);
	buf_release(&b);
}

void
http_v1_members(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct buf b = BUF_INIT;
	struct swim_member m;
	char want[16], name[SWIM_NAME_MAX + 1];
	int first = 1;

	if (query_arg(req, "status", want, sizeof(want)) < 0 ||
	    query_arg(req, "name", name, sizeof(name)) < 0) {
		http_reply_error(c, 400, "bad status or name filter");
		return;
	}
	buf_addstr(&b, "{\"members\":[");
	for (size_t i = 0; i < swim_member_count(a->swim); i++) {
		if (swim_member_at(a->swim, i, &m) < 0 || (want[0] != '\0' &&
		    strcmp(want, agent_status_name(m.status)) != 0) ||
		    (name[0] != '\0' && strcmp(name, m.name) != 0))
			continue;
		if (!first)
			buf_addch(&b, ',');
		first = 0;
		agent_member_json(&b, &m);
	}
	buf_addstr(&b, "]}\n");
	http_reply_json(c, &b);
	buf_release(&b);
}

/* ---- status: one row per node, for the dashboard ---------------------------- */

static void
json_kv_str(struct buf *b, const char *key, const char *v)
{
	buf_addf(b, ",\"%s\":", key);
	if (v == NULL)
		buf_addstr(b, "null");
	else
		buf_add_json_str(b, v, strlen(v));
}

static void
status_row(struct buf *b, const struct swim_member *m, const char *state,
    const struct agent_node_run *r)
{
	const char *leader = swim_tag_get(m, "pack_leader");
	uint64_t pol;

	(void)agent_node_policy(m, &pol);
	buf_addstr(b, "{\"name\":");
	buf_add_json_str(b, m->name, strlen(m->name));
	json_kv_str(b, "addr", m->addr);
	json_kv_str(b, "status", agent_status_name(m->status));
	json_kv_str(b, "state", state);
	json_kv_str(b, "pack", swim_tag_get(m, "pack"));
	buf_addf(b, ",\"leader\":%s,\"policy\":%" PRIu64 ",\"run_serial\":%"
	    PRIu64 ",\"changed\":%u,\"failed\":%u,\"drift\":%u,\"when\":%" PRIu64
	    ",\"duration_ms\":%u", leader != NULL && m->status == SWIM_ALIVE ?
	    "true" : "false", pol, r->serial, r->changed,
	    r->failed, r->drift, r->when_s, r->dur_ms);
	json_kv_str(b, "error", r->error[0] ? r->error : NULL);
	json_kv_str(b, "health", swim_tag_get(m, "health"));
	buf_addf(b, ",\"self\":%s}", m->is_self ? "true" : "false");
}

static const char *const row_states[] = { "ok", "changed", "behind",
    "failing", "silent", "drift" };

struct status_rows {
	struct buf	 b;
	uint64_t	 newest, counts[6], converged, alive;
};

/* One row; the dashboard's "changed" is an ok node whose last run
 * changed something. */
static void
status_node(void *ctx, const struct swim_member *m,
    const struct agent_node_run *r, const char *state)
{
	struct status_rows *sr = ctx;

	if (strcmp(state, "ok") == 0 && r->changed > 0)
		state = "changed";
	for (size_t k = 0; k < 6; k++)
		sr->counts[k] += strcmp(state, row_states[k]) == 0;
	sr->alive += m->status == SWIM_ALIVE;
	sr->converged += m->status == SWIM_ALIVE && r->has_run &&
	    r->serial >= sr->newest;
	if (sr->b.data[sr->b.len - 1] != '[')
		buf_addch(&sr->b, ',');
	status_row(&sr->b, m, state, r);
}

void
http_v1_status(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct status_rows sr;

	(void)req;
	memset(&sr, 0, sizeof(sr));
	buf_init(&sr.b);
	sr.newest = agent_policy_newest(a);
	buf_addstr(&sr.b, "{\"api\":1,\"self\":");
	buf_add_json_str(&sr.b, a->cfg.name, strlen(a->cfg.name));
	buf_addf(&sr.b, ",\"now\":%" PRIu64 ",\"newest\":%" PRIu64
	    ",\"nodes\":[", agent_wall_ms() / 1000, sr.newest);
	agent_nodes_each(a, sr.newest, status_node, &sr);
	buf_addstr(&sr.b, "],\"counts\":{");
	for (size_t k = 0; k < 6; k++)
		buf_addf(&sr.b, "%s\"%s\":%" PRIu64, k ? "," : "",
		    row_states[k], sr.counts[k]);
	/* nodes: the alive ones, those a rollout can reach */
	buf_addf(&sr.b, "},\"rollout\":{\"serial\":%" PRIu64 ",\"converged\":%"
	    PRIu64 ",\"nodes\":%" PRIu64 "}}\n", sr.newest, sr.converged,
	    sr.alive);
	http_reply_json(c, &sr.b);
	buf_release(&sr.b);
}

/* ---- packs and channels ------------------------------------------------------ */

struct pack_row {
	char		 name[SWIM_NAME_MAX + 1];
	char		 leader[SWIM_NAME_MAX + 1];
	uint64_t	 term;
	size_t		 members, alive;
};

static struct pack_row *
pack_find(struct pack_row **v, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0)
			return &(*v)[i];
	if (*n == V1_PACKS_MAX)
		return NULL;
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	snprintf((*v)[*n].name, sizeof((*v)[*n].name), "%s", name);
	return &(*v)[(*n)++];
}

void
http_v1_packs(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct pack_row *v = NULL, *p;
	size_t n = 0, cap = 0;
	struct buf b = BUF_INIT;
	struct swim_member m;

	(void)req;
	for (size_t i = 0; i < swim_member_count(a->swim); i++) {
		const char *name, *lt;
		uint64_t term;

		if (swim_member_at(a->swim, i, &m) < 0 ||
		    m.status == SWIM_LEFT ||
		    (name = swim_tag_get(&m, "pack")) == NULL ||
		    (p = pack_find(&v, &n, &cap, name)) == NULL)
			continue;
		p->members++;
		p->alive += m.status == SWIM_ALIVE;
		lt = swim_tag_get(&m, "pack_leader");
		term = lt != NULL ? strtoull(lt, NULL, 10) : 0;
		if (lt != NULL && m.status == SWIM_ALIVE && term >= p->term) {
			p->term = term;
			snprintf(p->leader, sizeof(p->leader), "%s", m.name);
		}
	}
	buf_addstr(&b, "{\"packs\":[");
	for (size_t i = 0; i < n; i++) {
		buf_addstr(&b, i ? ",{\"name\":" : "{\"name\":");
		buf_add_json_str(&b, v[i].name, strlen(v[i].name));
		json_kv_str(&b, "leader", v[i].leader[0] ? v[i].leader : NULL);
		buf_addf(&b, ",\"term\":%" PRIu64 ",\"members\":%zu,"
		    "\"alive\":%zu}", v[i].term, v[i].members, v[i].alive);
	}
	buf_addstr(&b, "]}\n");
	http_reply_json(c, &b);
	buf_release(&b);
	free(v);
}

void
http_v1_channels(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct pack_row *v = NULL, *p;	/* name and a count suffice */
	size_t n = 0, cap = 0;
	struct buf b = BUF_INIT;
	struct swim_member m;

	(void)req;
	for (size_t i = 0; i < swim_member_count(a->swim); i++) {
		const char *list, *s;

		if (swim_member_at(a->swim, i, &m) < 0 ||
		    m.status != SWIM_ALIVE ||
		    (list = swim_tag_get(&m, "channels")) == NULL)
			continue;
		for (s = list; *s != '\0';) {
			size_t len = strcspn(s, ",");
			char name[SWIM_NAME_MAX + 1];

			snprintf(name, sizeof(name), "%.*s", (int)len, s);
			if (len > 0 && (p = pack_find(&v, &n, &cap, name)))
				p->members++;
			s += len + (s[len] == ',');
		}
	}
	buf_addstr(&b, "{\"channels\":[");
	for (size_t i = 0; i < n; i++) {
		buf_addstr(&b, i ? ",{\"name\":" : "{\"name\":");
		buf_add_json_str(&b, v[i].name, strlen(v[i].name));
		buf_addf(&b, ",\"members\":%zu,\"here\":%s}", v[i].members,
		    agent_chan_is_member(a, v[i].name) ? "true" : "false");
	}
	buf_addstr(&b, "]}\n");
	http_reply_json(c, &b);
	buf_release(&b);
	free(v);
}

void
http_v1_messages(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	char chan[SWIM_NAME_MAX + 2];
	struct buf b = BUF_INIT;
	uint64_t limit;

	if (query_arg(req, "channel", chan, sizeof(chan)) < 0 ||
	    query_u64(req, "limit", &limit) < 0) {
		http_reply_error(c, 400, "bad channel or limit");
		return;
	}
	if (chan[0] == '\0')
		snprintf(chan, sizeof(chan), "*");
	if (limit == 0 || limit > V1_MESSAGES_MAX)
		limit = V1_MESSAGES_MAX;
	buf_addstr(&b, "{\"channel\":");
	buf_add_json_str(&b, chan, strlen(chan));
	buf_addstr(&b, ",\"messages\":");
	agent_chan_recent_json(a, chan, (size_t)limit, &b);
	buf_addstr(&b, "}\n");
	http_reply_json(c, &b);
	buf_release(&b);
}

/* ---- history ------------------------------------------------------------------ */

struct v1_hist {
	struct httpd_conn	*c;
	const char		*key;		/* "runs" or "facts" */
	char			 node[SWIM_NAME_MAX + 1];
};

static void
history_done(void *ctx, int status, const char *text, size_t len)
{
	struct v1_hist *h = ctx;
	struct buf b = BUF_INIT;

	if (status != 0) {
		buf_add(&b, text, len);
		http_reply_error(h->c, 502, b.data);
	} else {
		buf_addstr(&b, "{\"node\":");
		buf_add_json_str(&b, h->node, strlen(h->node));
		buf_addf(&b, ",\"%s\":", h->key);
		buf_add(&b, text, len);
		buf_addstr(&b, "}\n");
		http_reply_json(h->c, &b);
	}
	buf_release(&b);
	free(h);
}

/* Asks node ("" for this one) for its history under key, answering c. */
static void
history_ask(struct agent *a, struct httpd_conn *c, const char *node,
    const char *key, int what, uint64_t since, const char *ref,
    unsigned limit)
{
	struct v1_hist *h = xcalloc(1, sizeof(*h));

	h->c = c;
	h->key = key;
	snprintf(h->node, sizeof(h->node), "%s", node[0] ? node :
	    a->cfg.name);
	agent_hist_ask(a, node, what, since, ref, limit, history_done, h);
}

void
http_v1_history(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	char node[SWIM_NAME_MAX + 1], ref[512];
	uint64_t since, limit;

	if (query_arg(req, "node", node, sizeof(node)) < 0 ||
	    query_arg(req, "resource", ref, sizeof(ref)) < 0 ||
	    query_u64(req, "since", &since) < 0 ||
	    query_u64(req, "limit", &limit) < 0) {
		http_reply_error(c, 400, "bad node, resource, since or limit");
		return;
	}
	history_ask(a, c, node, "runs", HISTORY_WHAT_RUNS, since, ref,
	    limit > 0xffff ? 0xffff : (unsigned)limit);
}

void
http_v1_facts(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	char node[SWIM_NAME_MAX + 1];

	if (query_arg(req, "node", node, sizeof(node)) < 0) {
		http_reply_error(c, 400, "bad node");
		return;
	}
	history_ask(a, c, node, "facts", HISTORY_WHAT_FACTS, 0, "", 0);
}

/* ---- checks and services (docs/services.md) ---------------------------------- */

void
http_v1_checks(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct buf b = BUF_INIT;

	(void)req;
	agent_svc_checks_json(a, &b);
	http_reply_json(c, &b);
	buf_release(&b);
}

void
http_v1_services(struct agent *a, struct httpd_conn *c,
    const struct http_req *req)
{
	struct buf b = BUF_INIT;

	(void)req;
	agent_svc_services_json(a, &b);
	http_reply_json(c, &b);
	buf_release(&b);
}
