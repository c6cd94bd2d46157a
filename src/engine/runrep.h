#ifndef TLALOC_ENGINE_RUNREP_H
#define TLALOC_ENGINE_RUNREP_H

/*
 * The run report as the converge child hands it to its agent: what the
 * agent needs to judge a run (the summary, each resource's type, title,
 * result and message), in the project's binary codec (core/codec.h), so
 * the agent never reads `tlaloc apply --json` back by string search. A
 * title is any bytes but NUL: quotes, backslashes and non-ASCII survive
 * as they are, and a managed path that holds them is still watched for
 * drift (agent/converge.c).
 *
 * `tlaloc apply --report FILE` writes it atomically; a run that could
 * not start writes only its error.
 *
 *   report = [ version (1), exit_code, noop (bool), duration_ms,
 *              [ total, changed, unchanged, failed, skipped, refreshed ],
 *              error (text, "" when the run started),
 *              [ resource... ] ]
 *   resource = [ type (text), title (text), result (uint, enum
 *                res_result), message (text, "" none) ]
 *
 * The decoder is bounded (RUNREP_* below) and refuses trailing bytes; a
 * report that decodes encodes back to the same bytes.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct graph;
struct converge_stats;

#define RUNREP_VERSION	 1
#define RUNREP_RES_MAX	 200000	/* resources in one report */
#define RUNREP_TYPE_MAX	 32
#define RUNREP_TITLE_MAX 4096
#define RUNREP_MSG_MAX	 4096	/* a resource's message, the run's error */
#define RUNREP_FILE_MAX	 (64u << 20)	/* bytes read from a report file */

struct runrep_res {
	char		 type[RUNREP_TYPE_MAX + 1];
	char		*title;		/* owned */
	int		 result;	/* enum res_result */
	char		*message;	/* owned; "" none */
};

struct runrep {
	unsigned	 exit_code;	/* apply's: 0, 2, 4, 6; 1 not started */
	int		 is_noop;
	unsigned	 duration_ms;
	uint64_t	 total, changed, unchanged, failed, skipped, refreshed;
	char		*error;		/* owned; "" when the run started */
	struct runrep_res *res;		/* owned, nres of them */
	size_t		 nres, cap;
};

void	runrep_init(struct runrep *rep);
void	runrep_release(struct runrep *rep);

/* Appends a resource; copies the strings (message may be NULL). */
void	runrep_add(struct runrep *rep, const char *type, const char *title,
	    int result, const char *message);
/* Fills a fresh rep from a finished run (resources left out by --tags
 * are left out here too). */
void	runrep_of_run(struct runrep *rep, const struct graph *g,
	    const struct converge_stats *st, int noop, int exit_code);

void	runrep_encode(const struct runrep *rep, struct buf *out);
/*
 * Decodes p into a fresh rep (runrep_init); on failure rep is left empty
 * and the result is TL_ETRUNC, TL_ETOOBIG or TL_EINVAL.
 */
int	runrep_decode(const uint8_t *p, size_t len, struct runrep *rep);

/* "type[title]" into out (truncated to size). */
void	runrep_ref(const struct runrep_res *r, char *out, size_t size);

#endif
