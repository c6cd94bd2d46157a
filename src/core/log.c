/*
 * The log: formatting (text or JSON), the target (stderr, a file rotated
 * by size, syslog), and the two guards against floods, all under one
 * mutex because worker threads log too.
 *
 * Order of a line through log_msg():
 *   1. below the level: dropped;
 *   2. formatted and made safe (log_safe_append: no control bytes, UTF-8);
 *   3. the same as the last line written: counted as a repeat;
 *   4. over its source's rate: counted as suppressed;
 *   5. otherwise the pending repeat summary, the source's suppressed
 *      summary and the line itself are written, in that order.
 * Repeats are compared against the last line *written*, so a flood of
 * identical lines costs one line per LOG_REPEAT_SUMMARY_S, and a flood of
 * varied lines costs LOG_RATE lines a second per source.
 */
#include "log.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log_int.h"
#include "spawn.h"
#include "xalloc.h"

#define LOG_SOURCES	64	/* rate-limit slots, hashed by source */
#define LOG_MSG_MAX	2048	/* bytes of one formatted message */

enum log_to { LOG_TO_STDERR, LOG_TO_FILE, LOG_TO_SYSLOG };

struct log_source {
	char			 name[64];	/* "" while unused */
	double			 tokens;	/* lines it may write now */
	unsigned long long	 refill_ms;	/* when tokens were topped up */
	unsigned long long	 dropped;	/* suppressed since last said */
	unsigned long long	 said_ms;	/* when dropped was last said */
};

static struct {
	pthread_mutex_t		 mu;
	enum log_level		 level;
	enum log_format		 format;
	char			 prefix[64];
	enum log_to		 to;
	int			 fd;		/* LOG_TO_FILE */
	char			*path;		/* LOG_TO_FILE */
	unsigned long long	 size;		/* bytes in the file now */
	unsigned long long	 max_bytes;
	unsigned		 keep;
	/* the last line written, for repeats */
	int			 last_level;	/* -1: none */
	char			 last_func[64];
	struct buf		 last_msg;
	unsigned long long	 repeats;	/* not yet said */
	unsigned long long	 repeat_said_ms; /* last summary or line */
	struct log_source	 src[LOG_SOURCES];
	unsigned		 burst, rate;
	unsigned long long	(*now)(void);
} L = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.level = LOG_NOTICE,
	.format = LOG_FORMAT_TEXT,
	.to = LOG_TO_STDERR,
	.fd = -1,
	.max_bytes = LOG_ROTATE_BYTES,
	.keep = LOG_ROTATE_KEEP,
	.last_level = -1,
	.last_msg = BUF_INIT,
	.burst = LOG_BURST,
	.rate = LOG_RATE,
};

static int	log_safe_append(struct buf *b, const char *p, size_t n,
		    size_t max, int quote);

static const char *const log_names[] = {
	"err", "warn", "notice", "info", "debug"
};

/* --- settings ---------------------------------------------------------- */

void
log_set_level(enum log_level level)
{
	L.level = level;
}

enum log_level
log_get_level(void)
{
	return L.level;
}

/* The words a setting takes and the value each names. */
struct log_word {
	const char	*word;
	int		 value;
};

static const struct log_word level_words[] = {
	{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warn", LOG_WARN },
	{ "warning", LOG_WARN }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};
static const struct log_word format_words[] = {
	{ "text", LOG_FORMAT_TEXT }, { "json", LOG_FORMAT_JSON },
};

#define NWORDS(w)	(sizeof(w) / sizeof((w)[0]))

static int
word_value(const struct log_word *w, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, w[i].word) == 0)
			return w[i].value;
	return -1;
}

int
log_level_parse(const char *s)
{
	return word_value(level_words, NWORDS(level_words), s);
}

void
log_set_prefix(const char *name)
{
	struct buf b = BUF_INIT;

	/* A node name may come from a config anyone wrote: made safe too. */
	if (name != NULL)
		log_safe_append(&b, name, strlen(name), sizeof(L.prefix) - 1,
		    1);
	pthread_mutex_lock(&L.mu);
	snprintf(L.prefix, sizeof(L.prefix), "%s", b.data);
	pthread_mutex_unlock(&L.mu);
	buf_release(&b);
}

void
log_set_format(enum log_format format)
{
	L.format = format;
}

int
log_format_parse(const char *s)
{
	return word_value(format_words, NWORDS(format_words), s);
}

void
log_set_rotation(unsigned long long max_bytes, unsigned keep)
{
	pthread_mutex_lock(&L.mu);
	L.max_bytes = max_bytes;
	L.keep = keep;
	pthread_mutex_unlock(&L.mu);
}

static int
log_open_file(const char *path, unsigned long long *size)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*size = (unsigned long long)st.st_size;
	return fd;
}

static void
log_close_target(void)
{
	if (L.to == LOG_TO_FILE && L.fd >= 0)
		close(L.fd);
	if (L.to == LOG_TO_SYSLOG)
		log_syslog_close();
	free(L.path);
	L.path = NULL;
	L.fd = -1;
	L.to = LOG_TO_STDERR;
}

int
log_set_target(const char *target, struct tl_err *err)
{
	unsigned long long size = 0;
	int fd = -1;

	if (strcmp(target, "stderr") != 0 && strcmp(target, "syslog") != 0 &&
	    (fd = log_open_file(target, &size)) < 0)
		return tl_err_sys(err, TL_EIO, "cannot open log file '%s'",
		    target);
	pthread_mutex_lock(&L.mu);
	log_close_target();
	if (fd >= 0) {
		L.to = LOG_TO_FILE;
		L.fd = fd;
		L.path = xstrdup(target);
		L.size = size;
	} else if (strcmp(target, "syslog") == 0) {
		L.to = LOG_TO_SYSLOG;
		log_syslog_open();
	}
	pthread_mutex_unlock(&L.mu);
	return 0;
}

void
log_set_clock(unsigned long long (*now_ms)(void))
{
	L.now = now_ms;
}

void
log_set_limits(unsigned burst, unsigned rate)
{
	L.burst = burst;
	L.rate = rate;
}

void
log_reset_state(void)
{
	pthread_mutex_lock(&L.mu);
	L.last_level = -1;
	buf_reset(&L.last_msg);
	L.repeats = 0;
	memset(L.src, 0, sizeof(L.src));
	pthread_mutex_unlock(&L.mu);
}

static unsigned long long
log_now(void)
{
	return L.now ? L.now() : spawn_now_ms();
}

/* --- making text safe -------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are not text. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Appends p[0..n) to b with control bytes and non-UTF-8 bytes escaped
 * (and backslashes doubled when quote is set); stops before passing max
 * output bytes and then appends "...". Returns 1 when it cut.
 */
static int
log_safe_append(struct buf *b, const char *p, size_t n, size_t max, int quote)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)p;
	size_t start = b->len, i = 0, k;
	char e[4] = { '\\', 'x', 0, 0 };

	while (i < n) {
		if (b->len - start + 4 > max) {
			buf_addstr(b, "...");
			return 1;
		}
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
			buf_addch(b, '\\');
			buf_addch(b, s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' :
			    't');
			i++;
		} else if (s[i] == '\\' && quote) {
			buf_add(b, "\\\\", 2);
			i++;
		} else if (s[i] < 0x20 || s[i] == 0x7f ||
		    (k = utf8_len(s + i, n - i)) == 0) {
			e[2] = hex[s[i] >> 4];
			e[3] = hex[s[i] & 15];
			buf_add(b, e, 4);
			i++;
		} else {
			buf_add(b, s + i, k);
			i += k;
		}
	}
	return 0;
}

const char *
log_escape(const char *s)
{
	static _Thread_local char ring[LOG_ESCAPE_RING][LOG_ESCAPE_MAX + 4];
	static _Thread_local unsigned next;
	char *out = ring[next++ % LOG_ESCAPE_RING];
	struct buf b = BUF_INIT;

	if (s == NULL)
		return "(null)";
	log_safe_append(&b, s, strlen(s), LOG_ESCAPE_MAX, 1);
	memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return out;
}

/* --- writing ----------------------------------------------------------- */

/* "1,234,567": counts in summaries read at a glance. */
static void
log_add_count(struct buf *b, unsigned long long n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%llu", n);

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf_addch(b, ',');
		buf_addch(b, digits[i]);
	}
}

static void
log_stamp(char *out, size_t n, int with_ms)
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (with_ms)
		snprintf(out, n, "%s.%03dZ", base,
		    (int)(ts.tv_nsec / 1000000) % 1000);
	else
		snprintf(out, n, "%sZ", base);
}

/* Drops the oldest file and shifts the rest: FILE -> FILE.1 -> ... */
static void
log_rotate(void)
{
	char *from, *to;

	close(L.fd);
	L.fd = -1;
	if (L.keep == 0) {
		L.fd = open(L.path, O_WRONLY | O_TRUNC | O_APPEND | O_NOFOLLOW |
		    O_CLOEXEC);
		L.size = 0;
		return;
	}
	for (unsigned i = L.keep; i >= 1; i--) {
		from = i == 1 ? xstrdup(L.path) :
		    xasprintf("%s.%u", L.path, i - 1);
		to = xasprintf("%s.%u", L.path, i);
		(void)rename(from, to);
		free(from);
		free(to);
	}
	L.fd = log_open_file(L.path, &L.size);
}

static void
log_write_line(enum log_level level, const struct buf *line, size_t skip)
{
	switch (L.to) {
	case LOG_TO_SYSLOG:
		/* syslog stamps lines itself: the text form loses ours. */
		log_syslog_write((int)level, line->data + skip);
		return;
	case LOG_TO_FILE:
		if (L.max_bytes > 0 && L.size > 0 &&
		    L.size + line->len + 1 > L.max_bytes)
			log_rotate();
		if (L.fd < 0)
			return;
		/* One write per line keeps lines whole between writers. */
		if (write(L.fd, line->data, line->len) > 0)
			L.size += line->len;
		return;
	case LOG_TO_STDERR:
		(void)!write(2, line->data, line->len);
		return;
	}
}

/*
 * Writes one line: msg is already safe. extra_key/extra (when extra_key
 * is not NULL) add a count to the JSON object: "repeated", "suppressed".
 */
static void
log_emit(enum log_level level, const char *func, const char *msg,
    const char *extra_key, unsigned long long extra)
{
	struct buf line = BUF_INIT;
	char stamp[40];
	size_t skip;

	log_stamp(stamp, sizeof(stamp), L.format == LOG_FORMAT_JSON);
	if (L.format == LOG_FORMAT_JSON) {
		buf_addf(&line, "{\"time\":\"%s\",\"level\":\"%s\"", stamp,
		    log_names[level]);
		skip = 0;
		if (L.prefix[0] != '\0') {
			buf_addstr(&line, ",\"node\":");
			buf_add_json_str(&line, L.prefix, strlen(L.prefix));
		}
		buf_addstr(&line, ",\"source\":");
		buf_add_json_str(&line, func, strlen(func));
		buf_addstr(&line, ",\"msg\":");
		buf_add_json_str(&line, msg, strlen(msg));
		if (extra_key != NULL)
			buf_addf(&line, ",\"%s\":%llu", extra_key, extra);
		buf_addstr(&line, "}\n");
	} else {
		buf_addf(&line, "%s ", stamp);
		skip = line.len;
		buf_addf(&line, "%s%s%s %s: %s\n", L.prefix,
		    L.prefix[0] ? " " : "", log_names[level], func, msg);
	}
	log_write_line(level, &line, skip);
	buf_release(&line);
}

static void
log_say_repeats(unsigned long long now)
{
	struct buf msg = BUF_INIT;

	if (L.repeats == 0)
		return;
	buf_addstr(&msg, "previous message repeated ");
	log_add_count(&msg, L.repeats);
	buf_addstr(&msg, L.repeats == 1 ? " time" : " times");
	log_emit((enum log_level)L.last_level, L.last_func, msg.data,
	    "repeated", L.repeats);
	buf_release(&msg);
	L.repeats = 0;
	L.repeat_said_ms = now;
}

static void
log_say_dropped(struct log_source *s)
{
	struct buf msg = BUF_INIT;

	if (s->dropped == 0)
		return;
	log_add_count(&msg, s->dropped);
	buf_addf(&msg, " message%s from %s suppressed by the rate limit",
	    s->dropped == 1 ? "" : "s", s->name);
	log_emit(LOG_WARN, s->name, msg.data, "suppressed", s->dropped);
	buf_release(&msg);
	s->dropped = 0;
	s->said_ms = log_now();
}

static int
log_is_repeat(enum log_level level, const char *func, const char *msg)
{
	return L.last_level == (int)level &&
	    strcmp(L.last_func, func) == 0 && strcmp(L.last_msg.data, msg) == 0;
}

static struct log_source *
log_source_of(const char *func)
{
	unsigned h = 2166136261u;
	struct log_source *s;

	for (const char *p = func; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	s = &L.src[h % LOG_SOURCES];
	if (strcmp(s->name, func) != 0) {
		/* Another source takes the slot: say what it lost first. */
		log_say_dropped(s);
		snprintf(s->name, sizeof(s->name), "%s", func);
		s->tokens = L.burst;
		s->refill_ms = s->said_ms = log_now();
	}
	return s;
}

/* May the source write a line now? Counts it as dropped if not. */
static int
log_take_token(struct log_source *s, unsigned long long now)
{
	if (L.burst == 0)
		return 1;
	if (now > s->refill_ms) {
		s->tokens += (double)(now - s->refill_ms) * L.rate / 1000.0;
		if (s->tokens > L.burst)
			s->tokens = L.burst;
		s->refill_ms = now;
	}
	if (s->tokens < 1.0) {
		s->dropped++;
		return 0;
	}
	s->tokens -= 1.0;
	return 1;
}

static void
log_line_locked(enum log_level level, const char *func, const char *msg)
{
	unsigned long long now = log_now();
	struct log_source *s;

	if (log_is_repeat(level, func, msg)) {
		L.repeats++;
		if (now - L.repeat_said_ms >= LOG_REPEAT_SUMMARY_S * 1000ull)
			log_say_repeats(now);
		return;
	}
	s = log_source_of(func);
	if (!log_take_token(s, now))
		return;
	log_say_repeats(now);
	log_say_dropped(s);
	log_emit(level, func, msg, NULL, 0);
	L.last_level = (int)level;
	snprintf(L.last_func, sizeof(L.last_func), "%s", func);
	buf_reset(&L.last_msg);
	buf_addstr(&L.last_msg, msg);
	L.repeat_said_ms = now;
}

void
log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	char raw[LOG_MSG_MAX];
	struct buf msg = BUF_INIT;
	va_list ap;
	int n;

	if (level > L.level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_safe_append(&msg, raw, strlen(raw), LOG_MSG_MAX, 0);
	pthread_mutex_lock(&L.mu);
	log_line_locked(level, func, msg.data);
	pthread_mutex_unlock(&L.mu);
	buf_release(&msg);
}

void
log_tick(void)
{
	unsigned long long now, wait = LOG_REPEAT_SUMMARY_S * 1000ull;

	pthread_mutex_lock(&L.mu);
	now = log_now();
	if (L.repeats > 0 && now - L.repeat_said_ms >= wait)
		log_say_repeats(now);
	for (size_t i = 0; i < LOG_SOURCES; i++)
		if (L.src[i].dropped > 0 && now - L.src[i].said_ms >= wait)
			log_say_dropped(&L.src[i]);
	pthread_mutex_unlock(&L.mu);
}

void
log_flush(void)
{
	pthread_mutex_lock(&L.mu);
	log_say_repeats(log_now());
	for (size_t i = 0; i < LOG_SOURCES; i++)
		log_say_dropped(&L.src[i]);
	pthread_mutex_unlock(&L.mu);
}
