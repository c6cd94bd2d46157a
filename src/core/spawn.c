#include "spawn.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "platform.h"
#include "xalloc.h"

extern char **environ;

unsigned long long
spawn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000;
}

void
spawn_result_init(struct spawn_result *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->out);
	buf_init(&res->errout);
}

void
spawn_result_release(struct spawn_result *res)
{
	buf_release(&res->out);
	buf_release(&res->errout);
}

static char **
spawn_build_env(const struct spawn_opts *opts)
{
	size_t n = 0, m = 0, i, j;
	char **env;

	if (!opts->clear_env)
		while (environ[n] != NULL)
			n++;
	if (opts->env != NULL)
		while (opts->env[m] != NULL)
			m++;
	env = xcalloc(n + m + 1, sizeof(*env));
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	/* Later entries replace earlier ones with the same name. */
	for (j = 0; j < m; j++) {
		const char *eq = strchr(opts->env[j], '=');
		size_t klen = eq ? (size_t)(eq - opts->env[j]) : 0;
		size_t k;

		for (k = 0; k < i; k++)
			if (klen && strncmp(env[k], opts->env[j], klen + 1) == 0)
				break;
		env[k] = (char *)opts->env[j];
		if (k == i)
			i++;
	}
	env[i] = NULL;
	return env;
}

/* What the child was doing when it failed, sent with errno. */
enum spawn_stage { SPAWN_AT_EXEC, SPAWN_AT_ROOT, SPAWN_AT_CWD };

/*
 * In the child: never returns. Reports a failure (stage, errno) through
 * errpipe. A chroot comes with mounts of its own (platform.h), so nothing
 * the command mounts reaches the host.
 */
static void __attribute__((noreturn))
spawn_child(const struct spawn_opts *opts, char **env, int in_fd, int out_fd,
    int err_fd, int errpipe)
{
	int e[2] = { SPAWN_AT_ROOT, 0 };

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(opts->merge_stderr ? out_fd : err_fd, 2);
	if (opts->chroot_dir != NULL && (platform_private_mounts() < 0 ||
	    chroot(opts->chroot_dir) < 0 || chdir("/") < 0))
		goto fail;
	e[0] = SPAWN_AT_CWD;
	if (opts->cwd != NULL && chdir(opts->cwd) < 0)
		goto fail;
	e[0] = SPAWN_AT_EXEC;
	environ = env;
	execvp(opts->argv[0], (char *const *)opts->argv);
fail:
	e[1] = errno;
	(void)!write(errpipe, e, sizeof(e));
	_exit(127);
}

static int
spawn_fail(const struct spawn_opts *opts, const int e[2], struct tl_err *err)
{
	errno = e[1];
	if (e[0] == SPAWN_AT_ROOT)
		return tl_err_sys(err, TL_ECHILD, "cannot run '%s' chrooted "
		    "into '%s'", opts->argv[0], opts->chroot_dir);
	if (e[0] == SPAWN_AT_CWD)
		return tl_err_sys(err, TL_ECHILD, "cannot run '%s' in '%s'",
		    opts->argv[0], opts->cwd);
	if (opts->chroot_dir != NULL)
		return tl_err_sys(err, TL_ECHILD, "cannot run '%s' (looked up "
		    "inside '%s', where it runs chrooted)", opts->argv[0],
		    opts->chroot_dir);
	return tl_err_sys(err, TL_ECHILD, "cannot run '%s'", opts->argv[0]);
}

static void
spawn_drain(int *fd, struct buf *b, size_t max, size_t *dropped)
{
	char chunk[16384];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (b->len < max) {
		size_t take = (size_t)n;

		if (take > max - b->len)
			take = max - b->len;
		buf_add(b, chunk, take);
		*dropped += (size_t)n - take;
	} else
		*dropped += (size_t)n;
}

static int
spawn_open_pipes(int out[2], int errp[2], int in[2], int ep[2])
{
	/* Close-on-exec everywhere: dup2() clears it on the child's 0-2, and
	 * no stray write end keeps a pipe from reaching EOF. */
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(in, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0)
		return -1;
	return 0;
}

static void
spawn_pump(const struct spawn_opts *opts, struct spawn_result *res, pid_t pid,
    int out_fd, int err_fd, int in_fd, unsigned long long start)
{
	size_t max = opts->max_output ? opts->max_output : 1 << 20;
	size_t in_off = 0;
	int status = 0, reaped = 0;

	while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
		struct pollfd pf[3];
		int n = 0, wait_ms = -1;

		if (out_fd >= 0)
			pf[n++] = (struct pollfd){ out_fd, POLLIN, 0 };
		if (err_fd >= 0)
			pf[n++] = (struct pollfd){ err_fd, POLLIN, 0 };
		if (in_fd >= 0)
			pf[n++] = (struct pollfd){ in_fd, POLLOUT, 0 };
		if (opts->timeout_ms) {
			unsigned long long el = spawn_now_ms() - start;

			if (el >= opts->timeout_ms && !res->timed_out) {
				res->timed_out = 1;
				kill(-pid, SIGKILL);
			}
			wait_ms = res->timed_out ? 100 :
			    (int)(opts->timeout_ms - el);
		}
		if (poll(pf, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
			break;
		/* A grandchild that escaped the process group may hold the
		 * pipes open: stop reading shortly after the kill. */
		if (res->timed_out &&
		    spawn_now_ms() - start > opts->timeout_ms + 500)
			break;
		for (int i = 0; i < n; i++) {
			if (pf[i].revents == 0)
				continue;
			if (pf[i].fd == out_fd)
				spawn_drain(&out_fd, &res->out, max,
				    &res->dropped);
			else if (pf[i].fd == err_fd)
				spawn_drain(&err_fd, &res->errout, max,
				    &res->dropped);
			else {
				ssize_t w = (pf[i].revents & POLLOUT) ?
				    write(in_fd, opts->input + in_off,
				    opts->input_len - in_off) : -1;
				if (w > 0)
					in_off += (size_t)w;
				if (w < 0 || in_off >= opts->input_len) {
					close(in_fd);
					in_fd = -1;
				}
			}
		}
	}
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	if (in_fd >= 0)
		close(in_fd);
	while (!reaped) {
		pid_t w = waitpid(pid, &status, 0);

		if (w == pid)
			reaped = 1;
		else if (w < 0 && errno != EINTR)
			break;
	}
	if (WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->status = 128 + WTERMSIG(status);
	res->duration_ms = (unsigned)(spawn_now_ms() - start);
}

int
spawn_run(const struct spawn_opts *opts, struct spawn_result *res,
    struct tl_err *err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 };
	int ep[2] = { -1, -1 }, child_err[2] = { 0, 0 };
	unsigned long long start = spawn_now_ms();
	char **env;
	pid_t pid;
	ssize_t n;

	res->status = -1;
	res->timed_out = 0;
	if (opts->argv == NULL || opts->argv[0] == NULL)
		return tl_err_set(err, TL_EINVAL, "no command to run");
	if (spawn_open_pipes(out, errp, in, ep) < 0) {
		int fds[] = { out[0], out[1], errp[0], errp[1], in[0], in[1],
		    ep[0], ep[1] };
		for (size_t i = 0; i < 8; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return tl_err_sys(err, TL_ECHILD, "cannot create pipes");
	}
	env = spawn_build_env(opts);
	pid = fork();
	if (pid == 0)
		spawn_child(opts, env, in[0], out[1], errp[1], ep[1]);
	free(env);
	close(out[1]);
	close(errp[1]);
	close(in[0]);
	close(ep[1]);
	if (pid < 0) {
		close(out[0]);
		close(errp[0]);
		close(in[1]);
		close(ep[0]);
		return tl_err_sys(err, TL_ECHILD, "cannot fork '%s'",
		    opts->argv[0]);
	}
	do
		n = read(ep[0], child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (opts->input == NULL) {
		close(in[1]);
		in[1] = -1;
	} else
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	spawn_pump(opts, res, pid, out[0], errp[0], in[1], start);
	if (n == (ssize_t)sizeof(child_err))
		return spawn_fail(opts, child_err, err);
	return 0;
}

int
spawn_simple(const char *const *argv, struct tl_err *err)
{
	struct spawn_opts o = { .argv = argv };
	struct spawn_result res;
	int r;

	spawn_result_init(&res);
	r = spawn_run(&o, &res, err);
	if (r == 0)
		r = res.status;
	spawn_result_release(&res);
	return r;
}
