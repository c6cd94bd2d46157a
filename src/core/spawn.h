#ifndef TLALOC_CORE_SPAWN_H
#define TLALOC_CORE_SPAWN_H

#include <stddef.h>

#include "buf.h"

struct tl_err;

/*
 * Runs a program without a shell: argv[0] is looked up in PATH, output is
 * captured (each stream up to max_output bytes; the rest is read and
 * counted as dropped), and the whole process group is killed at timeout.
 */
struct spawn_opts {
	const char *const *argv;	/* NULL-terminated; argv[0] required */
	const char *const *env;		/* extra "K=V" entries, or NULL */
	int		 clear_env;	/* start from an empty environment */
	const char	*cwd;		/* or NULL */
	const char	*chroot_dir;	/* or NULL: chroot(2) before exec,
					   in a mount namespace of its own
					   (platform_private_mounts) */
	const char	*input;		/* written to stdin, or NULL for /dev/null */
	size_t		 input_len;
	unsigned	 timeout_ms;	/* 0: no limit */
	size_t		 max_output;	/* per stream; 0 means 1 MiB */
	int		 merge_stderr;	/* stderr goes to out */
};

struct spawn_result {
	int		status;		/* exit code, or 128+signal */
	int		timed_out;	/* killed at timeout_ms */
	unsigned	duration_ms;
	struct buf	out;		/* captured stdout */
	struct buf	errout;		/* captured stderr */
	size_t		dropped;	/* bytes past max_output, both streams */
};

void	spawn_result_init(struct spawn_result *res);
void	spawn_result_release(struct spawn_result *res);

/*
 * Returns 0 when the program ran (whatever its exit status, see res), or
 * TL_ECHILD when it could not be started (err says why, e.g. not found).
 */
int	spawn_run(const struct spawn_opts *opts, struct spawn_result *res,
	    struct tl_err *err);

/* Convenience: runs argv and returns its exit status, or < 0. */
int	spawn_simple(const char *const *argv, struct tl_err *err);

/* Monotonic milliseconds, for durations. */
unsigned long long spawn_now_ms(void);

#endif
