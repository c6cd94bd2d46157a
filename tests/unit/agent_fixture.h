#ifndef TLALOC_TESTS_AGENT_FIXTURE_H
#define TLALOC_TESTS_AGENT_FIXTURE_H

/*
 * An agent for unit tests of its subsystems: a real loop, state dir
 * (under test_dir()), keyring, node key and membership machine, no
 * sockets. fixture_open() opens the subsystems given, in order, through
 * their table entries, as agent.c does, then the membership machine with
 * the tags they contribute; fixture_close() closes them in reverse.
 *
 * A spy subsystem records what the others emit, and contributes the tag
 * spy=N (N: fixture_spy_tag) so tests can tell it is kept.
 */

#include <stddef.h>

#include <uv.h>

#include "agent/agent_int.h"

#define SPY_EVENTS	64

struct fixture {
	struct agent	 a;
	uv_loop_t	 loop;
	const struct agent_sub *subs[24];
	/* What the spy heard. */
	enum agent_ev_kind events[SPY_EVENTS];
	char		 whys[SPY_EVENTS][160];
	size_t		 nevents;
};

extern const struct agent_sub fixture_spy_sub;
extern unsigned fixture_spy_tag;

/*
 * Opens an agent called name with subs[0..n) (add &fixture_spy_sub to
 * hear events); extra config lines (key = value) may be NULL.
 */
void	fixture_open(struct fixture *f, const char *name,
	    const struct agent_sub *const *subs, size_t n, const char *config);
void	fixture_close(struct fixture *f);
/* How many times the spy heard kind. */
size_t	fixture_heard(const struct fixture *f, enum agent_ev_kind kind);
/* Runs the loop until nothing is pending or ms pass. */
void	fixture_run(struct fixture *f, unsigned ms);

#endif
