/*
 * platform.h on FreeBSD, OpenBSD, NetBSD and DragonFly: sysctl(3) and
 * AF_LINK link addresses. sysctl(3) rather than running sysctl(8): facts
 * are gathered on every run, and a fork per fact would cost more than all
 * the rest. The pure decoders at the top build on every OS (and are
 * unit-tested on Linux); the system calls only on the BSDs.
 */
#include "platform.h"

#include <string.h>

int
platform_sysctl_u64(const void *p, size_t len, uint64_t *out)
{
	int32_t v32;
	int64_t v64;

	*out = 0;
	if (len == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		/* OpenBSD's old hw.physmem is a signed int: past 2 GiB it
		 * goes negative, which means "ask hw.physmem64". */
		if (v32 < 0)
			return -1;
		*out = (uint64_t)v32;
		return 0;
	}
	if (len == sizeof(v64)) {
		memcpy(&v64, p, sizeof(v64));
		if (v64 < 0)
			return -1;
		*out = (uint64_t)v64;
		return 0;
	}
	return -1;
}

uint64_t
platform_uptime_from_boot(int64_t now, int64_t boot)
{
	return now > boot ? (uint64_t)(now - boot) : 0;
}

#if defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysctl.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if_dl.h>
#include <time.h>
#include <unistd.h>

/* Reads an integer sysctl of 4 or 8 bytes. */
static int
sysctl_u64(int a, int b, uint64_t *out)
{
	int mib[2] = { a, b };
	unsigned char v[8];
	size_t len = sizeof(v);

	*out = 0;
	if (sysctl(mib, 2, v, &len, NULL, 0) < 0)
		return -1;
	return platform_sysctl_u64(v, len, out);
}

unsigned
platform_cpu_count(void)
{
	uint64_t n = 0;

#ifdef HW_NCPUONLINE
	/* OpenBSD: hw.ncpu counts CPUs disabled by hw.smt too. */
	if (sysctl_u64(CTL_HW, HW_NCPUONLINE, &n) == 0 && n > 0)
		return (unsigned)n;
#endif
	if (sysctl_u64(CTL_HW, HW_NCPU, &n) == 0 && n > 0)
		return (unsigned)n;
	return 1;
}

int
platform_mem_total(uint64_t *bytes)
{
#ifdef HW_PHYSMEM64
	if (sysctl_u64(CTL_HW, HW_PHYSMEM64, bytes) == 0)
		return 0;
#endif
	return sysctl_u64(CTL_HW, HW_PHYSMEM, bytes);
}

int
platform_uptime(uint64_t *secs)
{
	int mib[2] = { CTL_KERN, KERN_BOOTTIME };
	struct timeval boot;
	struct timespec now;
	size_t len = sizeof(boot);

	*secs = 0;
	if (sysctl(mib, 2, &boot, &len, NULL, 0) < 0 ||
	    len != sizeof(boot) || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -1;
	*secs = platform_uptime_from_boot((int64_t)now.tv_sec,
	    (int64_t)boot.tv_sec);
	return 0;
}

int
platform_link_mac(const struct sockaddr *sa, uint8_t mac[6])
{
	const struct sockaddr_dl *dl = (const struct sockaddr_dl *)sa;

	if (sa == NULL || sa->sa_family != AF_LINK || dl->sdl_alen != 6)
		return 0;
	memcpy(mac, LLADDR(dl), 6);
	return 1;
}

int
platform_open_beneath(int dirfd, const char *rel, int flags)
{
	/* FreeBSD's O_RESOLVE_BENEATH still follows links beneath; the
	 * component walk in core/fsroot.c refuses them instead. */
	(void)dirfd;
	(void)rel;
	(void)flags;
	errno = ENOSYS;
	return -1;
}

int
platform_chown_link(int dirfd, const char *name, const struct stat *seen,
    uid_t uid, gid_t gid)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISLNK(st.st_mode) || st.st_dev != seen->st_dev ||
	    st.st_ino != seen->st_ino) {
		errno = ESTALE;
		return -1;
	}
	return fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
}

int
platform_private_mounts(void)
{
	/* No mount namespaces: chroot alone is the boundary. */
	return 0;
}

void
platform_writeback_start(int fd)
{
	(void)fd;
}

int
platform_syncfs(int fd)
{
	/* sync(2) would wait for every filesystem: fsync file by file. */
	(void)fd;
	errno = ENOSYS;
	return -1;
}

size_t
platform_build_ids(const void *addr, uint8_t *out, size_t max)
{
	/* Not looked for here: a cache keyed by them stays off. */
	(void)addr;
	(void)out;
	(void)max;
	return 0;
}

#endif /* BSD */
