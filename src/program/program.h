#ifndef TLALOC_PROGRAM_PROGRAM_H
#define TLALOC_PROGRAM_PROGRAM_H

/*
 * Programs: Lua scripts that put the cluster to work (docs/programs.md).
 * A program runs in the recipe sandbox on the node that starts it and
 * talks to that node's agent over its control socket; everything it does
 * to a node is recorded and reported, also when it stops on an error.
 */

#include <stddef.h>
#include <stdio.h>

struct program_opts {
	const char	 *script;	/* a .lua file */
	char *const	 *args;		/* the script's arg[1..] */
	int		  nargs;
	const char	 *state_dir;	/* selects the agent; NULL: offline */
	const char	 *key_path;	/* operator key, for other nodes */
	int		  is_dry_run;
	int		  is_json;
	size_t		  max_memory;	/* bytes; 0 means 256 MiB */
	unsigned long long max_instructions; /* 0 means 1e9 */
	unsigned	  poll_ms;	/* report polling; 0 means 100 */
	FILE		 *out;		/* the final report */
	FILE		 *progress;	/* progress lines; NULL: quiet */
};

/*
 * Runs the program and writes its report to opts->out. Returns 0 when
 * the program ran to its end and nothing it did failed, 1 when something
 * failed, a rolling run stopped, or the program raised an error.
 */
int	program_run(const struct program_opts *opts);

#endif
