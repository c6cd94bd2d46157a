/*
 * /metrics: the agent's counters in the Prometheus text format 0.0.4,
 * named after Prometheus' conventions (tlaloc_ prefix, base units,
 * _total for counters, _seconds and _bytes). docs/http.md lists each.
 *
 * Counters are this agent's since it started; gauges are its view of
 * the cluster now. Everything is read through the subsystems' own stats
 * calls (swim_get_stats, bcast_get_stats, pack_get_stats, the agent's
 * packet and history counters).
 */
#include "agent/agent_int.h"

#include <sys/resource.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/converge.h"
#include "agent/history.h"
#include "agent/http_int.h"
#include "agent/msgs.h"
#include "agent/pack.h"
#include "agent/policy.h"
#include "agent/query.h"
#include "agent/status.h"
#include "cluster/bcast.h"
#include "cluster/pack.h"
#include "net/httpd.h"

static void
meta(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample without labels. */
static void
sample(struct buf *b, const char *name, const char *type, const char *help,
    uint64_t v)
{
	meta(b, name, type, help);
	buf_addf(b, "%s %" PRIu64 "\n", name, v);
}

/* name{label="value"} v, for label values we choose (no escaping). */
static void
lsample(struct buf *b, const char *name, const char *label,
    const char *value, uint64_t v)
{
	buf_addf(b, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, value, v);
}

/* One sample of a labelled family: the label's value and the count. */
struct lval {
	const char	*value;
	uint64_t	 n;
};

#define NVALS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A family whose samples differ by one label of ours: its HELP and TYPE
 * once, then a sample a value, in the order given.
 */
static void
family(struct buf *b, const char *name, const char *type, const char *help,
    const char *label, const struct lval *v, size_t n)
{
	meta(b, name, type, help);
	for (size_t i = 0; i < n; i++)
		lsample(b, name, label, v[i].value, v[i].n);
}

/* A label value from the cluster: escaped as the format wants. */
static void
label_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addch(b, '\\');
		if (*s == '\n') {
			buf_addstr(b, "\\n");
			continue;
		}
		buf_addch(b, *s);
	}
}

static void
members_block(struct agent *a, struct buf *b)
{
	meta(b, "tlaloc_members", "gauge", "Members in this node's view, by "
	    "status.");
	for (int s = SWIM_ALIVE; s <= SWIM_LEFT; s++)
		lsample(b, "tlaloc_members", "status", agent_status_name(s),
		    swim_count_status(a->swim, (enum swim_status)s));
}

static void
gossip_block(struct agent *a, struct buf *b)
{
	const struct agent_stats *st = &a->st;
	const struct pkt_stats *p = &st->pkt;
	struct swim_stats ss;

	const struct lval pkts[] = { { "in", st->pkts_in },
	    { "out", st->pkts_out } };
	const struct lval bytes[] = { { "in", st->bytes_in },
	    { "out", st->bytes_out } };
	const struct lval dropped[] = { { "decrypt", p->decrypt_failures },
	    { "unknown_key", p->unknown_key }, { "replay", p->replays },
	    { "stale", p->stale }, { "malformed", p->malformed },
	    { "truncated", p->truncated }, { "oversized", p->oversized },
	    { "bad_header", p->bad_header } };
	const struct lval pushpull[] = { { "in", st->tcp_in },
	    { "out", st->tcp_out } };

	swim_get_stats(a->swim, &ss);
	family(b, "tlaloc_gossip_packets_total", "counter", "UDP gossip "
	    "packets, sealed.", "direction", pkts, NVALS(pkts));
	family(b, "tlaloc_gossip_bytes_total", "counter", "UDP gossip bytes, "
	    "sealed.", "direction", bytes, NVALS(bytes));
	family(b, "tlaloc_packets_dropped_total", "counter", "Packets and "
	    "frames dropped before use, by reason.", "reason", dropped,
	    NVALS(dropped));
	sample(b, "tlaloc_gossip_send_errors_total", "counter", "Datagrams "
	    "that could not be sent.", st->send_errors);
	sample(b, "tlaloc_swim_probes_total", "counter", "Direct probes "
	    "sent.", ss.probes);
	sample(b, "tlaloc_swim_probe_failures_total", "counter", "Probes "
	    "with no ack, even indirect.", ss.probe_failures);
	sample(b, "tlaloc_swim_suspicions_total", "counter", "Members this "
	    "node started suspecting.", ss.suspicions);
	sample(b, "tlaloc_swim_deaths_total", "counter", "Members this node "
	    "declared failed.", ss.deaths);
	sample(b, "tlaloc_swim_refutations_total", "counter", "Times this "
	    "node refuted a suspicion of itself.", ss.refutations);
	sample(b, "tlaloc_swim_bad_messages_total", "counter", "Authentic "
	    "gossip messages dropped as malformed or badly signed.",
	    ss.bad_packets);
	sample(b, "tlaloc_swim_health_score", "gauge", "Lifeguard local "
	    "health (0 is best).", ss.awareness);
	sample(b, "tlaloc_swim_incarnation", "gauge", "This node's "
	    "incarnation.", ss.incarnation);
	family(b, "tlaloc_pushpull_total", "counter", "Full state exchanges "
	    "over TCP.", "direction", pushpull, NVALS(pushpull));
	sample(b, "tlaloc_pushpull_failures_total", "counter", "Failed "
	    "state exchanges.", st->tcp_failures);
}

static void
converge_block(struct agent *a, struct buf *b)
{
	static const char *const results[AGENT_RUN_RESULTS] = { "unchanged",
	    "changed", "failed", "error" };
	const struct agent_hist_stats *h = agent_hist_stats(a);
	uint64_t cum = 0;

	meta(b, "tlaloc_converges_total", "counter", "Finished converge "
	    "runs, by result.");
	for (int i = 0; i < AGENT_RUN_RESULTS; i++)
		lsample(b, "tlaloc_converges_total", "result", results[i],
		    h->runs[i]);
	sample(b, "tlaloc_resources_changed_total", "counter", "Resources "
	    "changed, summed over runs.", h->res_changed);
	sample(b, "tlaloc_resources_failed_total", "counter", "Resources "
	    "failed, summed over runs.", h->res_failed);
	sample(b, "tlaloc_drift_repairs_total", "counter", "Runs started by "
	    "a hand edit that changed something back.", h->drift_repairs);
	sample(b, "tlaloc_converge_running", "gauge", "1 while a converge "
	    "runs.", (uint64_t)agent_conv_is_running(a));
	sample(b, "tlaloc_last_converge_timestamp_seconds", "gauge", "When "
	    "the last run ended, unix time.", h->last_run_s);
	meta(b, "tlaloc_converge_duration_seconds", "histogram", "Converge "
	    "run durations.");
	for (int i = 0; i < AGENT_HIST_BUCKETS; i++) {
		cum += h->dur_buckets[i];
		if (i < AGENT_HIST_BUCKETS - 1)
			buf_addf(b, "tlaloc_converge_duration_seconds_bucket"
			    "{le=\"%g\"} %" PRIu64 "\n", agent_hist_bounds[i],
			    cum);
		else
			buf_addf(b, "tlaloc_converge_duration_seconds_bucket"
			    "{le=\"+Inf\"} %" PRIu64 "\n", cum);
	}
	buf_addf(b, "tlaloc_converge_duration_seconds_sum %.3f\n"
	    "tlaloc_converge_duration_seconds_count %" PRIu64 "\n",
	    h->dur_sum_s, cum);
	sample(b, "tlaloc_history_runs", "gauge", "Run reports kept.",
	    h->history_runs);
	sample(b, "tlaloc_history_bytes", "gauge", "Bytes of run reports "
	    "kept.", h->history_bytes);
	sample(b, "tlaloc_bucket_bytes", "gauge", "Bytes in the backup "
	    "bucket, as of the last run.", h->bucket_bytes);
}

/* Cluster view: node states and how far the newest policy has spread. */
static const char *const node_states[] = { "ok", "behind", "failing",
    "silent", "drift" };

struct policy_tally {
	uint64_t	newest, counts[5], behind;
};

static void
policy_node(void *ctx, const struct swim_member *m,
    const struct agent_node_run *r, const char *state)
{
	struct policy_tally *t = ctx;

	for (size_t k = 0; k < 5; k++)
		t->counts[k] += strcmp(state, node_states[k]) == 0;
	t->behind += m->status == SWIM_ALIVE && r->serial < t->newest;
}

static void
policy_block(struct agent *a, struct buf *b)
{
	uint64_t ours = agent_policy_current(a), newest;
	struct policy_tally t;

	memset(&t, 0, sizeof(t));
	newest = t.newest = agent_policy_newest(a);
	agent_nodes_each(a, newest, policy_node, &t);
	sample(b, "tlaloc_policy_serial", "gauge", "Policy serial this node "
	    "holds.", ours);
	sample(b, "tlaloc_policy_newest_serial", "gauge", "Newest serial an "
	    "alive member announces.", newest);
	sample(b, "tlaloc_policy_rollout_lag", "gauge", "Serials this node "
	    "is behind the newest.", newest > ours ? newest - ours : 0);
	sample(b, "tlaloc_policy_members_behind", "gauge", "Alive members "
	    "whose last run was on an older serial.", t.behind);
	meta(b, "tlaloc_nodes", "gauge", "Nodes by converge state (tlaloc "
	    "status).");
	for (size_t k = 0; k < 5; k++)
		lsample(b, "tlaloc_nodes", "state", node_states[k],
		    t.counts[k]);
}

static void
pack_block(struct agent *a, struct buf *b)
{
	const struct pack *pk = agent_pack_machine(a);
	struct agent_pack_stats drops, *ps = &drops;
	struct pack_stats st;

	memset(&st, 0, sizeof(st));
	agent_pack_drops(a, &drops);
	if (pk != NULL) {
		pack_get_stats(pk, &st);
		meta(b, "tlaloc_pack_term", "gauge", "Election term of this "
		    "node's pack.");
		buf_addstr(b, "tlaloc_pack_term{pack=\"");
		label_escaped(b, pack_name(pk));
		buf_addf(b, "\"} %" PRIu64 "\n", pack_term(pk));
		sample(b, "tlaloc_pack_leader", "gauge", "1 while this node "
		    "leads its pack.", (uint64_t)(pack_role(pk) ==
		    PACK_LEADER));
	}
	sample(b, "tlaloc_pack_leader_changes_total", "counter", "Times a "
	    "new leader of this node's pack became known.",
	    ps->leader_changes);
	sample(b, "tlaloc_pack_elections_total", "counter", "Elections this "
	    "node stood in.", st.elections);
	sample(b, "tlaloc_pack_step_downs_total", "counter", "Times this "
	    "node stopped leading.", st.step_downs);
	const struct lval dropped[] = { { "forged", ps->forged },
	    { "wrong_claim", ps->wrong_claim },
	    { "malformed", ps->malformed + st.bad_msgs } };

	family(b, "tlaloc_pack_messages_dropped_total", "counter", "Pack "
	    "messages dropped, by reason.", "reason", dropped,
	    NVALS(dropped));
}

static void
messages_block(struct agent *a, struct buf *b)
{
	const struct query_stats *q = agent_query_stats(a);
	struct bcast_stats bs;

	agent_msgs_stats(a, &bs);
	const struct lval msgs[] = { { "sent", bs.sent },
	    { "delivered", bs.delivered } };
	const struct lval dropped[] = { { "duplicate", bs.duplicates },
	    { "stale", bs.stale }, { "rate_limited", bs.rate_limited },
	    { "malformed", bs.malformed } };
	const struct lval refused[] = { { "unsigned", q->refused_unsigned },
	    { "untrusted", q->refused_untrusted },
	    { "forged", q->refused_forged }, { "stale", q->refused_stale },
	    { "replayed", q->refused_replayed } };
	const struct lval replies[] = { { "in", q->replies_in },
	    { "out", q->replies_out } };

	family(b, "tlaloc_channel_messages_total", "counter", "Channel and "
	    "direct messages.", "direction", msgs, NVALS(msgs));
	family(b, "tlaloc_channel_messages_dropped_total", "counter",
	    "Messages dropped, by reason.", "reason", dropped,
	    NVALS(dropped));
	sample(b, "tlaloc_queries_run_total", "counter", "Queries this node "
	    "ran.", q->ran);
	family(b, "tlaloc_queries_refused_total", "counter", "Queries "
	    "refused, by reason.", "reason", refused, NVALS(refused));
	family(b, "tlaloc_query_replies_total", "counter", "Query replies.",
	    "direction", replies, NVALS(replies));
}

static void
process_block(struct agent *a, struct buf *b)
{
	const struct agent_hist_stats *h = agent_hist_stats(a);
	struct httpd_stats hs;
	struct rusage ru;

	http_get_stats(a, &hs);
	memset(&ru, 0, sizeof(ru));
	getrusage(RUSAGE_SELF, &ru);
	meta(b, "process_cpu_seconds_total", "counter", "User and system "
	    "CPU time.");
	buf_addf(b, "process_cpu_seconds_total %.3f\n",
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	const struct lval refused[] = { { "auth", hs.refused },
	    { "malformed", hs.bad }, { "over_limit", hs.over_limit } };
	const struct lval history[] = { { "served", h->served },
	    { "refused", h->refused } };

	sample(b, "tlaloc_http_requests_total", "counter", "HTTP requests "
	    "answered.", hs.requests);
	family(b, "tlaloc_http_refused_total", "counter", "HTTP requests "
	    "refused, by reason.", "reason", refused, NVALS(refused));
	family(b, "tlaloc_history_requests_total", "counter", "Run history "
	    "asked of this node by peers.", "result", history,
	    NVALS(history));
}

void
http_metrics_render(struct agent *a, struct buf *out)
{
	members_block(a, out);
	gossip_block(a, out);
	converge_block(a, out);
	policy_block(a, out);
	pack_block(a, out);
	messages_block(a, out);
	process_block(a, out);
	meta(out, "tlaloc_build_info", "gauge", "Always 1; labels name the "
	    "node.");
	buf_addstr(out, "tlaloc_build_info{node=\"");
	label_escaped(out, a->cfg.name);
	buf_addstr(out, "\"} 1\n");
}
