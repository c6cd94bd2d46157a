/*
 * platform.h on Linux: sysconf(3), sysinfo(2), CLOCK_BOOTTIME and AF_PACKET
 * link addresses. The body builds only under __linux__; elsewhere this file
 * compiles to nothing.
 */
#include "platform.h"

#ifdef __linux__

#include <sys/socket.h>
#include <sys/sysinfo.h>

#include <linux/if_packet.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

unsigned
platform_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (unsigned)n;
}

int
platform_mem_total(uint64_t *bytes)
{
	struct sysinfo si;

	*bytes = 0;
	if (sysinfo(&si) < 0)
		return -1;
	*bytes = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	return 0;
}

int
platform_uptime(uint64_t *secs)
{
	struct timespec ts;

	/* CLOCK_BOOTTIME counts suspended time too, like uptime(1). */
	*secs = 0;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return -1;
	*secs = (uint64_t)ts.tv_sec;
	return 0;
}

int
platform_link_mac(const struct sockaddr *sa, uint8_t mac[6])
{
	const struct sockaddr_ll *ll = (const struct sockaddr_ll *)sa;

	if (sa == NULL || sa->sa_family != AF_PACKET || ll->sll_halen != 6)
		return 0;
	memcpy(mac, ll->sll_addr, 6);
	return 1;
}

#endif /* __linux__ */

#if !defined(__linux__) && !defined(__FreeBSD__) && !defined(__OpenBSD__) && \
    !defined(__NetBSD__) && !defined(__DragonFly__)
#error "no platform layer for this system: see src/core/platform.h"
#endif
