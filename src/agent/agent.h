#ifndef TLALOC_AGENT_AGENT_H
#define TLALOC_AGENT_AGENT_H

/*
 * `tlaloc agent`: one libuv loop that wires the UDP and TCP sockets, the
 * timers, the signals and the control socket to the pure SWIM machine.
 * See docs/agent.md for the operator's view.
 */

#include <stddef.h>

struct agent_config;
struct agent_sub;
struct tl_err;

/*
 * Runs the agent in the foreground until SIGTERM/SIGINT (graceful leave)
 * or `tlaloc leave`. argc/argv are kept so SIGHUP can re-read the config
 * file and re-apply the flags. Returns 0 after a clean leave, or < 0 with
 * err when a setting is unusable at start (bind in use, keyring
 * unreadable, state dir not writable).
 */
int	agent_run(struct agent_config *cfg, int argc, char **argv,
	    struct tl_err *err);

/* The subsystem table, in open order (for tests); *n gets its length. */
const struct agent_sub *const *agent_table(size_t *n);

#endif
