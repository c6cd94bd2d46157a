#ifndef TLALOC_CORE_LOG_INT_H
#define TLALOC_CORE_LOG_INT_H

/*
 * For log.c and the unit tests only: a clock to drive the rate limit and
 * the repeat summaries by hand, and limits small enough to test.
 */

/* Milliseconds, any epoch; NULL restores the monotonic clock. */
void	log_set_clock(unsigned long long (*now_ms)(void));
/* burst lines at once, then rate a second; 0, 0 turns the limit off. */
void	log_set_limits(unsigned burst, unsigned rate);
/* Forgets the last line, the counts and the per-source state. */
void	log_reset_state(void);

/* log_syslog.c: kept apart because <syslog.h> defines LOG_ERR too. */
void	log_syslog_open(void);
void	log_syslog_write(int level, const char *line);
void	log_syslog_close(void);

#endif
