#ifndef TLALOC_CORE_PLATFORM_H
#define TLALOC_CORE_PLATFORM_H

/*
 * The calls that differ between Linux and the BSDs, behind one interface:
 * platform_linux.c and platform_bsd.c each compile their body only on their
 * own systems, so every file builds everywhere and logic never tests OS
 * names. The pure decoders at the end are built on every system, so the
 * BSD code paths are unit-tested on Linux too.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct stat;

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

/*
 * Opens rel (relative, no leading '/') under the directory dirfd with
 * flags, resolving it strictly beneath dirfd and following no symbolic
 * link in any component (Linux >= 5.6: openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS). Returns the fd, or -1
 * with errno: ELOOP when a component is a link, EXDEV when rel would
 * leave dirfd, ENOSYS where the call does not exist (the BSDs, older
 * kernels, a seccomp filter): the caller then walks component by
 * component (core/fsroot.c).
 */
int	platform_open_beneath(int dirfd, const char *rel, int flags);

/*
 * Changes the owner of the symbolic link name in dirfd, and only if it is
 * still the link seen (seen->st_dev, st_ino): on Linux through an O_PATH
 * descriptor of the link itself, so a file swapped in at name is never
 * changed; elsewhere fchownat(AT_SYMLINK_NOFOLLOW) right after a check.
 * Returns 0, or -1 with errno (ESTALE: name is no longer that link).
 */
int	platform_chown_link(int dirfd, const char *name,
	    const struct stat *seen, uid_t uid, gid_t gid);

/*
 * In a child about to chroot and exec: gives it mounts of its own (Linux:
 * unshare(CLONE_NEWNS) and every mount made private), so nothing the
 * command mounts or unmounts reaches the host. When the process may not
 * chroot (not root), it first enters a user namespace of its own where it
 * may (mapping its uid and gid to themselves). Returns 0, or -1 with errno.
 * Elsewhere a no-op returning 0. Only async-signal-safe calls: it runs
 * between fork and exec.
 */
int	platform_private_mounts(void);

/*
 * Durability in batches (core/fsbatch.c). platform_writeback_start()
 * starts writing fd's dirty pages to the disk and returns without waiting
 * (Linux: sync_file_range(SYNC_FILE_RANGE_WRITE)), so that the fsyncs that
 * follow for a batch of files find their data on its way; elsewhere a
 * no-op. platform_syncfs() makes everything written to the filesystem
 * holding fd durable in one call (Linux syncfs(2), which reports a
 * writeback error met since fd was opened); returns 0, or -1 with errno:
 * ENOSYS where there is no such call, so the caller fsyncs file by file.
 */
void	platform_writeback_start(int fd);
int	platform_syncfs(int fd);

/*
 * The build ids (ELF NT_GNU_BUILD_ID notes) of the running program and of
 * the object that holds the code at addr (a shared library, or the
 * program again), concatenated into out[0..max). Returns their bytes, or
 * 0 when addr's object has none or the system cannot say (the BSDs
 * here): what changes when that code changes (recipe/chunk_cache.c).
 * Other objects (libc, a preloaded library) are left out.
 */
size_t	platform_build_ids(const void *addr, uint8_t *out, size_t max);

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
