#ifndef TLALOC_ENGINE_HISTORY_H
#define TLALOC_ENGINE_HISTORY_H

/*
 * Run history: a node's last converge reports, kept in one file of JSON
 * lines (STATE_DIR/history.jsonl) and in memory, bounded by a count and a
 * total size; the oldest go first. `tlaloc history` and the agent's
 * /v1/history read it (docs/http.md).
 *
 * A record is the agent's view of the run (run number, serial, why,
 * exit status, error) joined with the report of `tlaloc apply --json`,
 * compacted: resources that did not change are left out (the summary
 * counts them), and a resource's "diff" is never kept, since it may
 * carry file contents. A record over HISTORY_RECORD_MAX keeps its
 * failed resources first and says "truncated": true.
 *
 *   {"run":12,"when":1796315521,"serial":4,"status":2,"why":"schedule",
 *    "duration_ms":78,"error":null,"summary":{...},
 *    "resources":[{"ref":"file[/etc/motd]","result":"changed",...}],
 *    "truncated":false}
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct tl_err;
struct history;

#define HISTORY_RUNS_DEFAULT	50
#define HISTORY_BYTES_DEFAULT	(1u << 20)
#define HISTORY_RECORD_MAX	(64u << 10)
#define HISTORY_DEPTH_MAX	32	/* JSON nesting read from a report */

struct history_limits {
	unsigned	max_runs;	/* 0: HISTORY_RUNS_DEFAULT */
	size_t		max_bytes;	/* 0: HISTORY_BYTES_DEFAULT */
};

/* What the agent knows about a run besides the child's report. */
struct history_run {
	uint64_t	 run;		/* run number on this node */
	uint64_t	 when_s;	/* unix seconds at the end */
	uint64_t	 serial;
	int		 status;	/* apply's exit status */
	unsigned	 duration_ms;
	const char	*why;		/* "schedule", "drift: ...", ... */
	const char	*error;		/* "" none */
};

/*
 * Opens the history kept at path (created on the first add); lines that
 * are not records (a torn write, a hand edit) are dropped. NULL with err
 * only when path exists and cannot be read.
 */
struct history *history_open(const char *path,
	    const struct history_limits *lim, struct tl_err *err);
void	history_free(struct history *h);

/*
 * Adds a run: report is apply's JSON output (may be empty or not JSON
 * when the run could not start). Evicts the oldest records over the
 * bounds and rewrites the file atomically. < 0 with err when the file
 * cannot be written (the record is kept in memory).
 */
int	history_add(struct history *h, const struct history_run *run,
	    const char *report, size_t len, struct tl_err *err);

/* Records held, and the bytes they take. */
size_t	history_count(const struct history *h);
size_t	history_bytes(const struct history *h);

/*
 * Appends a JSON array of the records at or after since_s (0: all),
 * newest first, at most limit (0: all) and at most max_bytes of output
 * (0: no bound). With resource non-NULL only runs that touched a
 * resource whose ref or title equals it are given, holding only those.
 */
void	history_query(const struct history *h, uint64_t since_s,
	    const char *resource, size_t limit, size_t max_bytes,
	    struct buf *out);

/*
 * Compacts one apply report into out (the JSON object body fields,
 * without braces, starting with ',' when anything is written): top-level
 * fields but "resources" copied as they are; resources changed, failed
 * or skipped, without "diff"; with ref non-NULL only the matching ones.
 * Stops adding resources past budget bytes and sets *truncated. Returns
 * the number of resources written, or TL_EINVAL when report is not a
 * JSON object.
 */
int	history_compact(const char *report, size_t len, const char *ref,
	    size_t budget, struct buf *out, int *truncated);

/*
 * Appends runs (a JSON array as history_query() gives) as text for a
 * terminal: a line per run, then a line per resource kept. Control
 * bytes in names and messages are shown as '?'. TL_EINVAL when runs is
 * not such an array (what was readable is appended).
 */
int	history_text(const char *runs, size_t len, struct buf *out);

/*
 * Asking another node for its history (agent/history_glue.c), inside a
 * sealed PKT_HISTORY frame; the asker signs with its node key, so the
 * answering node knows which member asks:
 *
 *   +-------+------+-------------+-----------+-----------+---------+--------+
 *   | ver=1 | what | sender (32) | since u64 | limit u16 | ref     | sig 64 |
 *   |       |      | node key    |           |           | u16+len |        |
 *   +-------+------+-------------+-----------+-----------+---------+--------+
 *
 * what: HISTORY_WHAT_RUNS (the runs) or HISTORY_WHAT_FACTS (the node's
 * built-in facts; since, limit and ref unused). The answer: ver=1, a
 * status byte (HISTORY_ANS_*), the JSON text.
 */
#define HISTORY_MSG_VERSION	1
#define HISTORY_ID_LEN		32
#define HISTORY_SIG_LEN		64
#define HISTORY_REF_MAX		512
#define HISTORY_ANSWER_MAX	(512u << 10)	/* JSON bytes in an answer */

enum history_ans {
	HISTORY_ANS_OK = 0,
	HISTORY_ANS_REFUSED = 1,	/* bad signature or request */
	HISTORY_ANS_NOT_MEMBER = 2	/* the asker is not a live member */
};

enum history_what {
	HISTORY_WHAT_RUNS = 0,
	HISTORY_WHAT_FACTS = 1
};

struct history_ask {
	uint8_t		 what;		/* enum history_what */
	uint8_t		 sender[HISTORY_ID_LEN];
	uint64_t	 since_s;
	uint16_t	 limit;
	char		 ref[HISTORY_REF_MAX + 1];	/* "" none */
	const uint8_t	*sig;		/* into the decoded frame */
	size_t		 signed_len;	/* bytes the signature covers */
};

/* Appends the request without its signature (the caller signs out). */
void	history_ask_encode(const struct history_ask *q, struct buf *out);
/* Decodes a request; TL_ETRUNC, TL_ETOOBIG or TL_EINVAL on bad input. */
int	history_ask_decode(const uint8_t *p, size_t len, struct history_ask *q);

#endif
