#ifndef TLALOC_AGENT_HISTORY_H
#define TLALOC_AGENT_HISTORY_H

/*
 * Every node's last runs (history_glue.c, engine/history.h): each run
 * that ends here is recorded (AGENT_EV_RUN_DONE), and asked for here or
 * of another node over PKT_HISTORY; counted for /metrics.
 */

#include <stddef.h>
#include <stdint.h>

struct agent;
struct agent_sub;

extern const struct agent_sub agent_hist_sub;

enum agent_run_result {
	AGENT_RUN_UNCHANGED, AGENT_RUN_CHANGED, AGENT_RUN_FAILED,
	AGENT_RUN_ERROR, AGENT_RUN_RESULTS
};
#define AGENT_HIST_BUCKETS	12	/* run duration histogram, +Inf too */
extern const double agent_hist_bounds[AGENT_HIST_BUCKETS - 1];
struct agent_hist_stats {
	uint64_t	runs[AGENT_RUN_RESULTS];	/* since start */
	uint64_t	res_changed, res_failed;	/* resources, summed */
	uint64_t	drift_repairs;	/* drift runs that changed something */
	uint64_t	dur_buckets[AGENT_HIST_BUCKETS]; /* not cumulative */
	double		dur_sum_s;
	uint64_t	last_run_s;	/* unix seconds; 0 none yet */
	uint64_t	bucket_bytes;	/* STATE_DIR/bucket, after each run */
	uint64_t	history_runs, history_bytes;
	uint64_t	served, refused;	/* PKT_HISTORY asked of us */
	uint64_t	asked, ask_failures;	/* we asked others */
};
const struct agent_hist_stats *agent_hist_stats(const struct agent *a);
/*
 * The runs of node ("" or our name: here) at or after since (0 all),
 * touching ref ("" any), at most limit (0 all), with what
 * HISTORY_WHAT_RUNS; its built-in facts with HISTORY_WHAT_FACTS: fn gets
 * status 0 and the JSON, or 1 and a sentence; now or later, once.
 */
typedef void (*agent_hist_fn)(void *ctx, int status, const char *text,
    size_t len);
void	agent_hist_ask(struct agent *a, const char *node, int what,
	    uint64_t since, const char *ref, unsigned limit, agent_hist_fn fn,
	    void *ctx);

#endif
