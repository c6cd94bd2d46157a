/*
 * Runs every registered case in a forked child, so a crash or a failed
 * assertion ends that case only. `unit-tests [SUBSTRING...]` runs the cases
 * whose file or name contains one of the substrings.
 */
#include "test.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/xalloc.h"

#ifdef __linux__
#include <net/if.h>
#include <sched.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_HAVE_ASAN 1
#endif

#ifdef TEST_HAVE_ASAN
int	__lsan_do_recoverable_leak_check(void);
#endif

/* Cases end with _exit() (a fork per case), which skips LeakSanitizer's
 * exit hook: ask it explicitly, so a leak fails the case. */
static void
test_leak_check(void)
{
#ifdef TEST_HAVE_ASAN
	if (__lsan_do_recoverable_leak_check() != 0) {
		fprintf(stderr, "  leak detected\n");
		_exit(1);
	}
#endif
}

static struct test_case *cases;
static size_t ncases, capcases;
static char scratch[256];

void
test_register(const char *name, const char *file, void (*fn)(void))
{
	cases = xgrow(cases, &capcases, ncases + 1, sizeof(*cases));
	cases[ncases++] = (struct test_case){ name, file, fn };
}

void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);
}

const char *
test_dir(void)
{
	return scratch;
}

char *
test_path(const char *name)
{
	return xasprintf("%s/%s", scratch, name);
}

char *
test_write(const char *name, const char *content)
{
	char *path = test_path(name), *p;
	FILE *f;

	for (p = path + strlen(scratch) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if ((f = fopen(path, "w")) == NULL)
		test_fail(__FILE__, __LINE__, "cannot write %s", path);
	fputs(content, f);
	fclose(f);
	return path;
}

/*
 * The cases bind fixed loopback ports, so two suites run at once (two
 * worktrees, or a suite beside a running agent) steal each other's ports
 * and fail at random. Where we may (root on Linux), the suite gets a
 * network namespace of its own with only its own loopback up. Elsewhere,
 * or with TLALOC_TEST_SHARED_NET=1, it shares the host's.
 */
static void
isolate_loopback(void)
{
#ifdef __linux__
	struct ifreq ifr;
	int fd;

	if (getenv("TLALOC_TEST_SHARED_NET") != NULL || geteuid() != 0)
		return;
	if (unshare(CLONE_NEWNET) != 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)) {
		fprintf(stderr, "unit: cannot bring up loopback in a private "
		    "network namespace\n");
		exit(2);
	}
	close(fd);
#endif
}

static int
selected(const struct test_case *tc, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(tc->name, argv[i]) || strstr(tc->file, argv[i]))
			return 1;
	return 0;
}

static int
run_case(const struct test_case *tc)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int status = 0;
	pid_t pid;

	snprintf(scratch, sizeof(scratch), "%s/tlaloc-unit-XXXXXX", tmp);
	if (mkdtemp(scratch) == NULL)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		tc->fn();
		fflush(NULL);
		test_leak_check();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	{
		char *cmd = xasprintf("rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "  cannot remove %s\n", scratch);
		free(cmd);
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "  killed by signal %d\n", WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int
main(int argc, char **argv)
{
	size_t passed = 0, failed = 0;

	isolate_loopback();
	for (size_t i = 0; i < ncases; i++) {
		const struct test_case *tc = &cases[i];

		if (!selected(tc, argc, argv))
			continue;
		if (run_case(tc)) {
			passed++;
			printf("ok   %s (%s)\n", tc->name, tc->file);
		} else {
			failed++;
			printf("FAIL %s (%s)\n", tc->name, tc->file);
		}
		fflush(stdout);
	}
	free(cases);
	printf("unit: %zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}
