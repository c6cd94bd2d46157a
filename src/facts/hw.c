/*
 * Hardware facts: cpus, memory_mb, uptime_seconds, through platform.h so
 * this file holds no OS names.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/platform.h"
#include "facts/facts.h"
#include "facts/facts_int.h"

static void
set_num(struct facts *f, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	facts_set(f, key, FACT_NUM, s);
}

void
facts_gather_hw(struct facts *f)
{
	uint64_t v;

	set_num(f, "cpus", platform_cpu_count());
	if (platform_mem_total(&v) == 0)
		set_num(f, "memory_mb", v / (1024 * 1024));
	else
		log_debug("total memory unknown");
	if (platform_uptime(&v) == 0)
		set_num(f, "uptime_seconds", v);
	else
		log_debug("uptime unknown");
}
