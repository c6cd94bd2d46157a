/*
 * `tlaloc status`: the whole cluster's last converges, from any node, with
 * no report server. Each node gossips its last run in its swim tag
 * "run=SERIAL,CHANGED,FAILED,DRIFT,WHEN,DURATION_MS[,ERROR]" (see
 * converge.c); this file reads every member's tag and judges it:
 *
 *   failing  the last run failed or the policy did not compile (ERROR)
 *   behind   its last run was on a serial older than the newest we
 *            believe (held here, or its manifest verified here: a tag
 *            claiming more makes nobody behind)
 *   silent   not alive, no run yet, or no run for 2 x interval + splay
 *   drift    (--no-enforce nodes) resources differ from the policy
 *   ok       none of the above
 *
 * The reply's status byte is the verdict, which `tlaloc status` exits
 * with: 0 no node failing or silent, CTL_STATUS_FAILING | CTL_STATUS_SILENT when
 * some are (1 stays "could not answer").
 */
#include "agent/status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "agent/policy.h"
#include "core/buf.h"

void
agent_run_parse(const struct swim_member *m, struct agent_node_run *r)
{
	const char *v = swim_tag_get(m, "run");
	char *end;

	memset(r, 0, sizeof(*r));
	r->error = "";
	if (v == NULL)
		return;
	r->serial = strtoull(v, &end, 10);
	if (*end != ',')
		return;
	r->changed = (unsigned)strtoul(end + 1, &end, 10);
	if (*end == ',')
		r->failed = (unsigned)strtoul(end + 1, &end, 10);
	if (*end == ',')
		r->drift = (unsigned)strtoul(end + 1, &end, 10);
	if (*end == ',')
		r->when_s = strtoull(end + 1, &end, 10);
	if (*end == ',')
		r->dur_ms = (unsigned)strtoul(end + 1, &end, 10);
	if (*end == ',')
		r->error = end + 1;
	r->has_run = 1;
}

const char *
agent_node_judge(const struct agent *a, const struct swim_member *m,
    const struct agent_node_run *r, uint64_t newest, uint64_t now_s)
{
	uint64_t quiet = 2ull * (a->cfg.interval_s + a->cfg.splay_s) + 60;

	if (m->status != SWIM_ALIVE || !r->has_run)
		return "silent";
	if (r->error[0] != '\0' || r->failed > 0)
		return "failing";
	if (r->serial < newest)
		return "behind";
	if (a->cfg.interval_s > 0 && now_s > r->when_s + quiet)
		return "silent";
	if (r->drift > 0)
		return "drift";
	return "ok";
}

int
agent_node_policy(const struct swim_member *m, uint64_t *serial)
{
	const char *v = swim_tag_get(m, "policy");
	char *end;

	*serial = 0;
	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	*serial = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0') {
		*serial = 0;
		return 0;
	}
	return 1;
}

static void
node_json(struct buf *out, const struct swim_member *m,
    const struct agent_node_run *r, const char *state)
{
	uint64_t pol = 0;

	(void)agent_node_policy(m, &pol);
	buf_addstr(out, "{\"name\":");
	buf_add_json_str(out, m->name, strlen(m->name));
	buf_addstr(out, ",\"addr\":");
	buf_add_json_str(out, m->addr, strlen(m->addr));
	buf_addf(out, ",\"state\":\"%s\",\"policy\":%" PRIu64 ",", state,
	    pol);
	buf_addf(out, "\"run_serial\":%" PRIu64 ",\"changed\":%u,"
	    "\"failed\":%u,\"drift\":%u,\"when\":%" PRIu64 ","
	    "\"duration_ms\":%u,\"error\":", r->serial, r->changed,
	    r->failed, r->drift, r->when_s, r->dur_ms);
	buf_add_json_str(out, r->error, strlen(r->error));
	buf_addch(out, '}');
}

static void
node_text(struct buf *out, const struct swim_member *m,
    const struct agent_node_run *r, const char *state, uint64_t now_s)
{
	char pol[24] = "-";
	uint64_t serial;

	if (agent_node_policy(m, &serial))
		snprintf(pol, sizeof(pol), "%" PRIu64, serial);
	agent_text_safe(out, m->name, strlen(m->name), 20);
	buf_addf(out, " %-8s %8s %8" PRIu64 " %7u %6u %5u ", state, pol,
	    r->serial, r->changed, r->failed, r->drift);
	if (r->has_run)
		buf_addf(out, "%6llus", (unsigned long long)(now_s >
		    r->when_s ? now_s - r->when_s : 0));
	else
		buf_addstr(out, "      -");
	buf_addstr(out, r->error[0] ? "  " : "");
	agent_text_safe(out, r->error, strlen(r->error), 0);
	buf_addch(out, '\n');
}

void
agent_nodes_each(struct agent *a, uint64_t newest, agent_node_fn fn,
    void *ctx)
{
	uint64_t now_s = agent_wall_ms() / 1000;
	struct agent_node_run r;
	struct swim_member *v;
	size_t n;

	v = agent_members_sorted(a, &n);
	for (size_t i = 0; i < n; i++) {
		if (v[i].status == SWIM_LEFT)
			continue;
		agent_run_parse(&v[i], &r);
		fn(ctx, &v[i], &r, agent_node_judge(a, &v[i], &r, newest,
		    now_s));
	}
	free(v);
}

struct status_out {
	struct buf	 out;
	size_t		 counts[5];
	uint64_t	 now_s;
	int		 json;
};

static void
status_node(void *ctx, const struct swim_member *m,
    const struct agent_node_run *r, const char *state)
{
	static const char *const states[] = { "ok", "behind", "failing",
	    "silent", "drift" };
	struct status_out *so = ctx;

	for (size_t k = 0; k < 5; k++)
		if (strcmp(states[k], state) == 0)
			so->counts[k]++;
	if (so->json) {
		if (so->out.data[so->out.len - 1] != '[')
			buf_addch(&so->out, ',');
		node_json(&so->out, m, r, state);
	} else
		node_text(&so->out, m, r, state, so->now_s);
}

static void
status_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	int json = req->flags & CTL_F_JSON;
	uint64_t newest = agent_policy_newest(a);
	struct status_out so;
	struct buf *out = &so.out;

	memset(&so, 0, sizeof(so));
	buf_init(out);
	so.json = json;
	so.now_s = agent_wall_ms() / 1000;
	if (json)
		buf_addf(out, "{\"newest\":%" PRIu64 ",\"nodes\":[", newest);
	else
		buf_addf(out, "%-20s %-8s %8s %8s %7s %6s %5s %7s\n", "NAME",
		    "STATE", "POLICY", "RAN", "CHANGED", "FAILED", "DRIFT",
		    "AGE");
	agent_nodes_each(a, newest, status_node, &so);
	if (json)
		buf_addstr(out, "]");
	else
		buf_addf(out, "newest serial %" PRIu64 ": ", newest);
	buf_addf(out, json ? ",\"ok\":%zu,\"behind\":%zu,\"failing\":%zu,"
	    "\"silent\":%zu,\"drift\":%zu}\n" :
	    "%zu ok, %zu behind, %zu failing, %zu silent, %zu drifting\n",
	    so.counts[0], so.counts[1], so.counts[2], so.counts[3],
	    so.counts[4]);
	agent_ctl_reply(c, (so.counts[2] ? CTL_STATUS_FAILING : 0) |
	    (so.counts[3] ? CTL_STATUS_SILENT : 0), out->data, out->len);
	buf_release(out);
}

static const struct agent_ctl_op status_ops[] = {
	{ CTL_STATUS, status_ctl }, { 0, NULL }
};

const struct agent_sub agent_status_sub = { .name = "status",
	.ctl = status_ops };
