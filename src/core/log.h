#ifndef TLALOC_CORE_LOG_H
#define TLALOC_CORE_LOG_H

/*
 * One event per line, greppable, on stderr, in a file or to syslog:
 *   2026-11-25T09:30:01Z n1 notice apply: changed file[/etc/motd]
 * or, with the JSON format, one object per line with stable keys:
 *   {"time":"2026-11-25T09:30:01.123Z","level":"notice","node":"n1",
 *    "source":"apply","msg":"changed file[/etc/motd]"}
 * (docs/agent.md lists the keys). Levels by meaning: err (a resource
 * failed, a peer misbehaved), warn (look at this), notice (a change was
 * made), info (progress), debug. src/cluster never logs; it returns events.
 *
 * A flood cannot fill the disk: a line identical to the one before it
 * (same level, source and text) is counted, not written, and said once as
 * "previous message repeated 1,234 times" when another line comes, at
 * log_flush(), or every LOG_REPEAT_SUMMARY_S while the repeats go on. Each
 * source (the calling function) may write LOG_BURST lines at once and
 * LOG_RATE lines a second after that; what it writes beyond is dropped and
 * counted ("312 messages from f suppressed by the rate limit"). A file
 * target is rotated by size (FILE.1 ... FILE.N).
 *
 * Every line is made safe before it is written: control bytes (a newline
 * in a peer's name or an argv) become \n, \t or \xHH, and bytes that are
 * not UTF-8 become \xHH, so no input can forge a second line or break a
 * JSON reader. Thread-safe.
 */

#include <stddef.h>

struct tl_err;

enum log_level { LOG_ERR, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

#define LOG_BURST		200	/* lines a source may write at once */
#define LOG_RATE		20	/* lines a second after the burst */
#define LOG_REPEAT_SUMMARY_S	30	/* say "repeated N times" this often */
#define LOG_ROTATE_BYTES	(10ull << 20)	/* default file size cap */
#define LOG_ROTATE_KEEP		5	/* default old files kept */

/* --- settings ---------------------------------------------------------- */

void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "err", "warn", ...; returns -1 when unknown. */
int	log_level_parse(const char *s);
/* Prefixes every line with "name " (e.g. the node name); NULL for none. */
void	log_set_prefix(const char *name);
void	log_set_format(enum log_format format);
/* Parses "text" or "json"; returns -1 when unknown. */
int	log_format_parse(const char *s);
/*
 * Where lines go: "stderr" (the default), "syslog" (facility daemon,
 * ident "tlaloc"), or a file path, opened for appending (0640, created if
 * missing, never through a symbolic link). Returns < 0 with err filled when
 * the file cannot be opened; the previous target is kept then.
 */
int	log_set_target(const char *target, struct tl_err *err);
/* A file target is rotated when it would pass max_bytes: FILE becomes
 * FILE.1, FILE.1 FILE.2 ... and FILE.keep is dropped. keep 0 truncates. */
void	log_set_rotation(unsigned long long max_bytes, unsigned keep);

/* --- writing ----------------------------------------------------------- */

void	log_msg(enum log_level level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Writes the pending "repeated N times" and "suppressed" summaries now
 * (before exit). */
void	log_flush(void);
/* Writes the summaries that have waited LOG_REPEAT_SUMMARY_S or more, so
 * a flood that stopped is still told; call it about once a second. */
void	log_tick(void);

/*
 * Returns s made safe to quote in a log field or a one-line message:
 * control bytes become \n, \r, \t or \xHH, a backslash becomes \\, bytes
 * that are not UTF-8 become \xHH, and more than LOG_ESCAPE_MAX bytes are
 * cut, ending in "...". NULL gives "(null)". The result lives in a
 * thread-local ring of LOG_ESCAPE_RING buffers: it stays valid until that
 * many more calls in the same thread, so several may appear in one
 * log_msg() call. Use it for every name, path or argv that came from a
 * peer, a recipe or a user.
 */
#define LOG_ESCAPE_MAX	256
#define LOG_ESCAPE_RING	8
const char *log_escape(const char *s);

#define log_err(...)	log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
