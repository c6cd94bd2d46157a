#ifndef TLALOC_CORE_LOG_H
#define TLALOC_CORE_LOG_H

/*
 * One event per line on stderr (or a file), greppable:
 *   2026-11-25T09:30:01Z notice apply: changed file[/etc/motd]
 * Levels by meaning: err (a resource failed, a peer misbehaved), warn (look
 * at this), notice (a change was made), info (progress), debug.
 * src/cluster never logs; it returns events.
 */
enum log_level { LOG_ERR, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "err", "warn", ...; returns -1 when unknown. */
int	log_level_parse(const char *s);
/* Prefixes every line with "name " (e.g. the node name); NULL for none. */
void	log_set_prefix(const char *name);
void	log_msg(enum log_level level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_err(...)	log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
