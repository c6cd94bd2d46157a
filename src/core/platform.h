#ifndef TLALOC_CORE_PLATFORM_H
#define TLALOC_CORE_PLATFORM_H

/*
 * The calls that differ between Linux and the BSDs, behind one interface:
 * platform_linux.c and platform_bsd.c each compile their body only on their
 * own systems, so every file builds everywhere and logic never tests OS
 * names. The pure decoders at the end are built on every system, so the
 * BSD code paths are unit-tested on Linux too.
 */

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* --- system calls (one implementation per OS) --- */

/* CPUs online; at least 1. */
unsigned platform_cpu_count(void);

/* Physical memory in bytes into *bytes; returns 0, or -1 when unknown
 * (*bytes is 0 then). */
int	platform_mem_total(uint64_t *bytes);

/* Seconds since boot into *secs; returns 0, or -1 when unknown (*secs 0). */
int	platform_uptime(uint64_t *secs);

/*
 * If sa (an ifa_addr from getifaddrs(3)) is a link-layer address (AF_PACKET
 * on Linux, AF_LINK on the BSDs) of exactly 6 bytes, copies them to mac
 * and returns 1; else returns 0.
 */
int	platform_link_mac(const struct sockaddr *sa, uint8_t mac[6]);

/* --- pure decoders (every OS) --- */

/*
 * Decodes an unsigned integer sysctl(3) value of len bytes (4 or 8, host
 * byte order: hw.physmem is a u_long on FreeBSD, hw.physmem64 an int64 on
 * OpenBSD and NetBSD). Returns 0, or -1 for another length or a negative
 * value (*out is 0 then).
 */
int	platform_sysctl_u64(const void *p, size_t len, uint64_t *out);

/*
 * Seconds between boot and now (both seconds since the epoch, as
 * kern.boottime and clock_gettime give them); 0 when the clock is behind
 * the boot time, as after a clock step.
 */
uint64_t platform_uptime_from_boot(int64_t now, int64_t boot);

#endif
