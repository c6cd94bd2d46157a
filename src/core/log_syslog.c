/*
 * The syslog target of log.c, in a file of its own: <syslog.h> defines
 * LOG_ERR, LOG_NOTICE, LOG_INFO and LOG_DEBUG, which log.h's levels use.
 */
#include "log_int.h"

#include <syslog.h>

void
log_syslog_open(void)
{
	openlog("tlaloc", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_syslog_write(int level, const char *line)
{
	/* log.h's order: err, warn, notice, info, debug. */
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE,
	    LOG_INFO, LOG_DEBUG };

	if (level < 0 || level > 4)
		level = 4;
	syslog(prio[level], "%s", line);
}

void
log_syslog_close(void)
{
	closelog();
}
