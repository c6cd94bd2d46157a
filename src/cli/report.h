#ifndef TLALOC_CLI_REPORT_H
#define TLALOC_CLI_REPORT_H

/*
 * How a converge run is shown: a line per change as it happens (colour on
 * a terminal, a progress line on long runs), a summary line, and a JSON
 * report for programs (also saved as STATE_DIR/last_run.json).
 */

#include <pthread.h>
#include <stdio.h>

struct buf;
struct converge_stats;
struct graph;
struct res;
struct tl_err;

/* Says what has been running for more than a second (report_watch). */
struct report_watch {
	pthread_t	 thread;
	pthread_mutex_t	 lock;		/* also held to print to out */
	pthread_cond_t	 wake;
	char		 what[128];	/* the running step, "" between */
	unsigned long long since_ms;	/* when it started */
	unsigned	 said_s;	/* its last "running" line, seconds */
	int		 stop;
	int		 running;	/* the thread was started */
};

struct report_opts {
	FILE		*out;
	int		 color;
	int		 progress;	/* show a progress line on stderr */
	int		 noop;
	int		 diff;		/* print diffs under changed lines */
	int		 quiet;		/* summary only */
	unsigned long long started_ms;
	struct report_watch watch;	/* report_watch_start() fills it */
};

/*
 * "running   package[php]: 1 s so far" once a step has run for a second,
 * and every 10 s after, so a long install is never silent. A thread
 * watches the clock; report_started() (converge_hooks.on_start) tells it
 * what runs. Started only for text output that is not quiet; stop it
 * before the summary.
 */
void	report_watch_start(struct report_opts *o);
void	report_started(void *arg, const char *what);
void	report_watch_stop(struct report_opts *o);

/* converge_hooks.on_result for text output; arg is a report_opts. */
void	report_line(void *arg, const struct res *r, size_t done, size_t total);
void	report_summary(const struct report_opts *o,
	    const struct converge_stats *st);
/* Appends a run that could not start (a recipe error) as one JSON object:
 * {"version":1,"error":{"where","message"},"summary":{"exit_code":1}}. */
void	report_json_error(const struct tl_err *err, int noop, struct buf *out);
/* Appends the whole run as one JSON object. */
void	report_json(const struct graph *g, const struct converge_stats *st,
	    const char *run_id, int noop, long long started, struct buf *out);

#endif
