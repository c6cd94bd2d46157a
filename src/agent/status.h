#ifndef TLALOC_AGENT_STATUS_H
#define TLALOC_AGENT_STATUS_H

/*
 * `tlaloc status` (status.c): every node's last converge, read from the
 * run= tags the members gossip, judged ok, behind, failing, silent or
 * drift; the walk over judged nodes is shared with the HTTP endpoint.
 */

#include <stdint.h>

struct agent;
struct agent_sub;
struct swim_member;

extern const struct agent_sub agent_status_sub;

/* A member's last run, from its "run" tag. */
struct agent_node_run {
	int		 has_run;
	uint64_t	 serial, when_s;
	unsigned	 changed, failed, drift, dur_ms;
	const char	*error;		/* borrowed from the tag, "" none */
};

void	agent_run_parse(const struct swim_member *m, struct agent_node_run *r);
/*
 * The serial a member's policy= tag names: 1 and *serial when it is a
 * number, else 0 and *serial 0. The tag is the member's to write, so
 * anything else is shown as none, never copied into our text or JSON.
 */
int	agent_node_policy(const struct swim_member *m, uint64_t *serial);
/* "ok", "behind", "failing", "silent" or "drift" (docs/policy.md). */
const char *agent_node_judge(const struct agent *a,
	    const struct swim_member *m, const struct agent_node_run *r,
	    uint64_t newest, uint64_t now_s);
/*
 * Calls fn for every member but those that left, with its last run and
 * its state as judged against newest; the pointers live for the call.
 */
typedef void (*agent_node_fn)(void *ctx, const struct swim_member *m,
    const struct agent_node_run *r, const char *state);
void	agent_nodes_each(struct agent *a, uint64_t newest, agent_node_fn fn,
	    void *ctx);

#endif
