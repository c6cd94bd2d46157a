/*
 * platform.h on Linux: sysconf(3), sysinfo(2), CLOCK_BOOTTIME and AF_PACKET
 * link addresses. The body builds only under __linux__; elsewhere this file
 * compiles to nothing.
 */
#include "platform.h"

#ifdef __linux__

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/if_packet.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
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

int
platform_open_beneath(int dirfd, const char *rel, int flags)
{
#ifdef SYS_openat2
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)flags;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
#else
	(void)dirfd;
	(void)rel;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

int
platform_chown_link(int dirfd, const char *name, const struct stat *seen,
    uid_t uid, gid_t gid)
{
	struct stat st;
	int fd, r;

	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode) ||
	    st.st_dev != seen->st_dev || st.st_ino != seen->st_ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	r = fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
	close(fd);
	return r;
}

/* Writes text to a /proc/self file (async-signal-safe). */
static int
proc_self_write(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return r;
}

/* Maps our own ids to themselves in a new user namespace, where we may
 * chroot. snprintf is not on the async-signal-safe list; the digits are
 * written by hand. */
static int
userns_enter(void)
{
	char line[64], digits[24];
	unsigned long ids[2] = { (unsigned long)geteuid(),
	    (unsigned long)getegid() };
	const char *files[2] = { "/proc/self/uid_map", "/proc/self/gid_map" };

	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	if (proc_self_write("/proc/self/setgroups", "deny") < 0 &&
	    errno != ENOENT)
		return -1;
	for (int i = 0; i < 2; i++) {
		size_t n = 0, k = 0;
		unsigned long v = ids[i];

		do
			digits[k++] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		for (int rep = 0; rep < 2; rep++) {
			for (size_t j = k; j > 0; j--)
				line[n++] = digits[j - 1];
			line[n++] = ' ';
		}
		line[n++] = '1';
		line[n++] = '\n';
		line[n] = '\0';
		if (proc_self_write(files[i], line) < 0)
			return -1;
	}
	return 0;
}

int
platform_private_mounts(void)
{
	if (geteuid() != 0 && userns_enter() < 0)
		return -1;
	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	/* Without this, mounts under a shared / would still propagate. */
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

void
platform_writeback_start(int fd)
{
	/* Advice only: a failure shows up at the fsync that follows. */
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int
platform_syncfs(int fd)
{
	return syncfs(fd);
}

struct build_ids {
	uintptr_t	 addr;		/* code whose object must have an id */
	uint8_t		*out;
	size_t		 max, len;
	int		 addr_found;	/* addr's object had an id */
	int		 overflow;	/* out was too small: no answer */
	size_t		 objects;	/* seen so far; the first is the
					   program itself */
};

/* The NT_GNU_BUILD_ID note in the PT_NOTE segment [p, end), or NULL. */
static const uint8_t *
build_id_note(const char *p, const char *end, size_t align, size_t *n)
{
	while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
		size_t name = (nh->n_namesz + align - 1) & ~(align - 1);
		size_t desc = (nh->n_descsz + align - 1) & ~(align - 1);
		const char *nm = p + sizeof(*nh);

		if (name > (size_t)(end - nm) ||
		    desc > (size_t)(end - nm) - name)
			return NULL;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(nm, "GNU", 4) == 0) {
			*n = nh->n_descsz;
			return (const uint8_t *)nm + name;
		}
		p = nm + name + desc;
	}
	return NULL;
}

static int
build_ids_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct build_ids *b = arg;
	const uint8_t *id = NULL;
	int holds_addr = 0;
	size_t n = 0;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && b->addr >= lo &&
		    b->addr - lo < ph->p_memsz)
			holds_addr = 1;
		if (ph->p_type == PT_NOTE && id == NULL)
			id = build_id_note((const char *)lo, (const char *)lo +
			    ph->p_memsz, ph->p_align == 8 ? 8 : 4, &n);
	}
	/* Only the program and addr's object: a preloaded library
	 * (valgrind's, a profiler's) must not change the answer. */
	if (b->objects++ > 0 && !holds_addr)
		return 0;
	if (id == NULL)
		return 0;
	b->addr_found |= holds_addr;
	if (n > b->max - b->len) {
		b->overflow = 1;
		return 1;		/* stops the walk */
	}
	memcpy(b->out + b->len, id, n);
	b->len += n;
	return 0;
}

size_t
platform_build_ids(const void *addr, uint8_t *out, size_t max)
{
	struct build_ids b = { (uintptr_t)addr, out, max, 0, 0, 0, 0 };

	dl_iterate_phdr(build_ids_one, &b);
	return b.addr_found && !b.overflow ? b.len : 0;
}

#endif /* __linux__ */

#if !defined(__linux__) && !defined(__FreeBSD__) && !defined(__OpenBSD__) && \
    !defined(__NetBSD__) && !defined(__DragonFly__)
#error "no platform layer for this system: see src/core/platform.h"
#endif
