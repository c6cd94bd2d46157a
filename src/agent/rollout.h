#ifndef TLALOC_AGENT_ROLLOUT_H
#define TLALOC_AGENT_ROLLOUT_H

/*
 * Rollouts gated by health (agent/rollout.c, docs/services.md): which
 * serial this node converges while a serial published with a rollout plan
 * spreads in waves, and going back to the last good one by itself.
 */

#include <stddef.h>
#include <stdint.h>

struct agent;
struct agent_sub;
struct buf;

/* Its table entry: state (STATE_DIR/rollout), tag rollout=, a 100 ms
 * watch of health and the gate, and the end of each run. */
extern const struct agent_sub agent_rollout_sub;

/* STATE_DIR/rollout: [version 1, serial, state (0..5), last_ok] in the
 * binary codec (core/codec.h). */
struct agent_rollout_file {
	uint64_t	 serial;	/* the serial being rolled out */
	int		 state;		/* none held run wait ok bad */
	uint64_t	 last_ok;	/* the last serial that ran well */
};

void	agent_rollout_file_encode(const struct agent_rollout_file *f,
	    struct buf *out);
/* 0, or < 0 on bytes that are not exactly one such record. */
int	agent_rollout_file_decode(const uint8_t *p, size_t n,
	    struct agent_rollout_file *f);
/* Loads STATE_DIR/rollout (before swim starts: it is in our tags). */
void	agent_rollout_open(struct agent *a);
void	agent_rollout_free(struct agent *a);
/*
 * The serial to converge when the newest is serial, built in tree: serial
 * itself, or (held back, or gone bad) the last serial that ran well here
 * (0: none, nothing to converge).
 */
uint64_t agent_rollout_pick(struct agent *a, uint64_t serial,
	    const char *tree);
/* A converge of serial ended with apply's exit status. */
void	agent_rollout_run_done(struct agent *a, uint64_t serial, int status);
/* Watches health while waiting; looks at the gate while held. */
void	agent_rollout_tick(struct agent *a, uint64_t now_ms);
/* rollout=SERIAL:STATE while a rollout is under way here. */
void	agent_rollout_tags(const struct agent *a, struct buf *tags);
/* `tlaloc policy status`: the waves (JSON: a leading comma field). */
void	agent_rollout_status(struct agent *a, struct buf *out, int json);

#endif
