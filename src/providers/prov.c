/*
 * What every provider shares: argv lists, running a tool for the managed
 * tree and quoting its own message when it fails, the package set and the
 * provider tables.
 */
#include "providers.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

void
argv_add(struct argv *a, const char *s)
{
	a->v = xgrow(a->v, &a->cap, a->n + 2, sizeof(char *));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void
argv_addf(struct argv *a, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	argv_add(a, b.data);
	buf_release(&b);
}

void
argv_addv(struct argv *a, const char *const *v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		argv_add(a, v[i]);
}

void
argv_addn(struct argv *a, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		argv_add(a, v[i]);
}

void
argv_add_root(struct argv *a, const char *flag, const char *root)
{
	if (root == NULL || strcmp(root, "/") == 0)
		return;
	argv_add(a, flag);
	argv_add(a, root);
}

void
argv_release(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

char *
argv_join(const struct argv *a)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < a->n; i++)
		buf_addf(&b, "%s%s", i ? " " : "", a->v[i]);
	return buf_detach(&b, NULL);
}

static int
root_is_host(const char *root)
{
	return root == NULL || strcmp(root, "/") == 0 || root[0] == '\0';
}

static int
prov_spawn(const char *root, const struct argv *argv, const char *const *env,
    const char *input, unsigned timeout_ms, struct spawn_result *res,
    struct tl_err *err);

int
prov_run(const char *root, const struct argv *argv, const char *const *env,
    unsigned timeout_ms, struct spawn_result *res, struct tl_err *err)
{
	return prov_spawn(root, argv, env, NULL, timeout_ms, res, err);
}

static int
prov_spawn(const char *root, const struct argv *argv, const char *const *env,
    const char *input, unsigned timeout_ms, struct spawn_result *res,
    struct tl_err *err)
{
	const char *envv[16];
	struct spawn_opts o = { 0 };
	size_t n = 0;

	TL_ASSERT(argv->n > 0);
	envv[n++] = "LC_ALL=C";
	envv[n++] = "LANG=C";
	envv[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin";
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		TL_ASSERT(n + 1 < sizeof(envv) / sizeof(envv[0]));
		envv[n++] = env[i];
	}
	envv[n] = NULL;
	o.argv = (const char *const *)argv->v;
	o.env = envv;
	o.chroot_dir = root_is_host(root) ? NULL : root;
	o.timeout_ms = timeout_ms;
	o.max_output = PROV_OUTPUT_MAX;
	o.input = input;
	o.input_len = input ? strlen(input) : 0;
	return spawn_run(&o, res, err);
}

void
prov_tail(struct buf *b, const char *text, size_t len)
{
	size_t from;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	from = len > PROV_TAIL ? len - PROV_TAIL : 0;
	if (from > 0)
		while (from < len && text[from - 1] != '\n')
			from++;
	for (size_t i = from; i < len; i++) {
		if (text[i] == '\n')
			buf_addstr(b, "; ");
		else
			buf_addch(b, text[i]);
	}
}

/* "apt-get install a b": the program and its words, options left out,
 * to quote in messages. */
static char *
prov_cmd_short(const struct argv *a)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, a->v[0]);
	for (size_t i = 1; i < a->n; i++) {
		/* OpenBSD's usermod -p HASH: never quote a hash. */
		if (strcmp(a->v[i], "-p") == 0) {
			i++;
			continue;
		}
		if (a->v[i][0] != '-')
			buf_addf(&b, " %s", a->v[i]);
	}
	return buf_detach(&b, NULL);
}

static int
prov_run_checked(const char *root, const struct argv *argv,
    const char *const *env, const char *input, unsigned timeout_ms,
    struct tl_err *err)
{
	struct spawn_result res;
	struct buf msg = BUF_INIT;
	char *cmd;
	int rc;

	spawn_result_init(&res);
	if (input != NULL)
		rc = prov_spawn(root, argv, env, input, timeout_ms, &res, err);
	else
		rc = prov_run(root, argv, env, timeout_ms, &res, err);
	if (rc < 0)
		goto out;
	if (!res.timed_out && res.status == 0)
		goto out;
	cmd = prov_cmd_short(argv);
	if (res.timed_out) {
		rc = tl_err_set(err, TL_ETIMEOUT, "'%s' killed after %u s",
		    cmd, timeout_ms / 1000);
	} else {
		prov_tail(&msg, res.errout.len ? res.errout.data :
		    res.out.data, res.errout.len ? res.errout.len :
		    res.out.len);
		rc = tl_err_set(err, TL_ECHILD, "'%s' exited %d%s%s", cmd,
		    res.status, msg.len ? ": " : "", msg.data);
	}
	free(cmd);
	buf_release(&msg);
out:
	spawn_result_release(&res);
	return rc;
}

void
prov_each_line(const char *text, size_t len, void (*fn)(char *line,
    void *arg), void *arg)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n);

		fn(line, arg);
		free(line);
		p += n + 1;
	}
}

struct prov_find {
	int		(*match)(char *line, const char *name);
	const char	*name;
	int		 found;
};

static void
prov_find_line(char *line, void *arg)
{
	struct prov_find *f = arg;

	if (!f->found)
		f->found = f->match(line, f->name);
}

int
prov_lists(const char *text, int (*match)(char *line, const char *name),
    const char *name)
{
	struct prov_find f = { match, name, 0 };

	prov_each_line(text, strlen(text), prov_find_line, &f);
	return f.found;
}

int
prov_split_name_version(char *s, int first, char **name, char **version)
{
	char *cut = NULL;

	*name = *version = NULL;
	for (char *p = s; *p; p++) {
		if (p[0] != '-' || p[1] < '0' || p[1] > '9' || p == s)
			continue;
		/* apk: "foo-1.2-r0": "-r0" is part of the version, and the
		 * '-' before "r0" is not followed by a digit anyway. */
		cut = p;
		if (first)
			break;
	}
	if (cut == NULL)
		return -1;
	*cut = '\0';
	*name = s;
	*version = cut + 1;
	return 0;
}

int
prov_run_ok(const char *root, const struct argv *argv,
    const char *const *env, unsigned timeout_ms, struct tl_err *err)
{
	return prov_run_checked(root, argv, env, NULL, timeout_ms, err);
}

int
prov_run_input(const char *root, const struct argv *argv, const char *input,
    unsigned timeout_ms, struct tl_err *err)
{
	return prov_run_checked(root, argv, NULL, input, timeout_ms, err);
}

int
prov_status(const char *root, const struct argv *argv, struct buf *out,
    struct tl_err *err)
{
	struct spawn_result res;
	int rc;

	spawn_result_init(&res);
	rc = prov_run(root, argv, NULL, 60 * 1000, &res, err);
	if (rc == 0 && res.timed_out)
		rc = tl_err_set(err, TL_ETIMEOUT, "'%s' timed out", argv->v[0]);
	else if (rc == 0)
		rc = res.status;
	if (out != NULL) {
		buf_add(out, res.out.data, res.out.len);
		buf_add(out, res.errout.data, res.errout.len);
	}
	spawn_result_release(&res);
	return rc;
}

int
prov_run_words(const char *root, const char *const *words,
    unsigned timeout_ms, struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_addv(&a, words);
	rc = prov_run_ok(root, &a, NULL, timeout_ms, err);
	argv_release(&a);
	return rc;
}

int
prov_status_words(const char *root, const char *const *words,
    struct buf *out, struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_addv(&a, words);
	rc = prov_status(root, &a, out, err);
	argv_release(&a);
	return rc;
}

int
prov_have(const char *root, const char *prog)
{
	static const char *const dirs[] = {
		"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/",
		"/usr/local/sbin/", "/usr/local/bin/", NULL
	};
	struct stat st;
	char path[512];
	int found = 0;

	for (size_t i = 0; !found && dirs[i] != NULL; i++) {
		char *real;
		int n = snprintf(path, sizeof(path), "%s%s",
		    strchr(prog, '/') ? "" : dirs[i], prog);

		if (n < 0 || (size_t)n >= sizeof(path))
			return 0;
		real = path_in_root(root, path);
		found = stat(real, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111);
		free(real);
		if (strchr(prog, '/'))
			break;
	}
	return found;
}

int
prov_have_in(const char *root, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int ok = prov_have(root, path);

	free(path);
	return ok;
}

struct pkg_state *
pkg_set_get(struct pkg_set *s, const char *name, int add)
{
	struct pkg_state *p;

	/* Linear: a run declares tens to hundreds of packages. */
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	if (!add)
		return NULL;
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	p = &s->v[s->n++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	return p;
}

void
pkg_set_release(struct pkg_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].installed);
		free(s->v[i].candidate);
		free(s->v[i].unknown_msg);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void
pkg_set_unknown(struct pkg_set *s, const char *name, const char *msg)
{
	struct pkg_state *p = pkg_set_get(s, name, 1);

	p->is_unknown = 1;
	free(p->unknown_msg);
	p->unknown_msg = xstrdup(msg);
}

void
pkg_query_argv(const struct pkg_provider *p, int is_candidate,
    struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, is_candidate ? p->candidates : p->query);
	if (is_candidate || !p->is_query_all)
		argv_addn(a, names, n);
}

void
pkg_parse_query(const struct pkg_provider *p, const char *out, size_t len,
    struct pkg_set *set)
{
	struct pkg_lines l = { set, 0, NULL };

	prov_each_line(out, len, p->query_line, &l);
}

void
pkg_parse_candidates(const struct pkg_provider *p, const char *out,
    size_t len, const char *errout, size_t errlen, struct pkg_set *set)
{
	struct pkg_lines l = { set, 1, NULL };

	prov_each_line(out, len, p->candidate_line, &l);
	if (p->unknown_line != NULL) {
		prov_each_line(errout, errlen, p->unknown_line, set);
		return;
	}
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].candidate == NULL && set->v[i].installed == NULL)
			set->v[i].is_unknown = 1;
}

struct pkg_state *
pkg_lines_put(struct pkg_lines *l, const char *name, const char *version)
{
	struct pkg_state *p = pkg_set_get(l->set, name, 1);
	char **slot = l->is_candidate ? &p->candidate : &p->installed;

	free(*slot);
	*slot = xstrdup(version);
	return p;
}

void
prov_add_want(struct argv *a, const struct pkg_want *w,
    const char *version_sep)
{
	if (w->version != NULL && version_sep != NULL)
		argv_addf(a, "%s%s%s", w->name, version_sep, w->version);
	else
		argv_add(a, w->name);
}

/* Adds one command of a transaction: words, then the names of w that
 * install (is_install), with their versions, or go, by name alone. */
static void
prov_txn_command(struct argv *a, const struct pkg_want *w, size_t n,
    unsigned lock_s, const struct prov_txn_words *words, int is_install)
{
	const char *const *v = is_install ? words->install : words->remove;

	argv_add(a, v[0]);
	if (words->lock_flag != NULL)
		argv_addf(a, "%s%u", words->lock_flag, lock_s);
	argv_addv(a, v + 1);
	for (size_t i = 0; i < n; i++) {
		if ((w[i].op == PKG_INSTALL) != is_install)
			continue;
		if (is_install && words->upgrade_by_version &&
		    w[i].upgrade_to != NULL && w[i].version == NULL)
			argv_addf(a, "%s%s%s", w[i].name, words->version_sep,
			    w[i].upgrade_to);
		else
			prov_add_want(a, &w[i], is_install ?
			    words->version_sep : NULL);
	}
}

/*
 * The install command in cmds[0] when any of w[0..n) is PKG_INSTALL, then
 * the remove command when any is not, each with its names in the order of
 * w (removals by name alone). Returns how many commands (0 to 2).
 */
static int
prov_txn_split(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s, const struct prov_txn_words *words)
{
	int ncmd = 0, have_in = 0, have_out = 0;

	for (size_t i = 0; i < n; i++) {
		have_in |= w[i].op == PKG_INSTALL;
		have_out |= w[i].op != PKG_INSTALL;
	}
	if (have_in)
		prov_txn_command(&cmds[ncmd++], w, n, lock_s, words, 1);
	if (have_out)
		prov_txn_command(&cmds[ncmd++], w, n, lock_s, words, 0);
	return ncmd;
}

int
pkg_txn_argv(const struct pkg_provider *p, struct argv cmds[2],
    const struct pkg_want *w, size_t n, unsigned lock_s)
{
	if (p->txn == NULL)
		return p->txn_argv(cmds, w, n, lock_s);
	return prov_txn_split(cmds, w, n, lock_s, p->txn);
}

const struct pkg_provider *const pkg_providers[] = {
	&pkg_apt, &pkg_dnf, &pkg_yum, &pkg_apk, &pkg_pacman, &pkg_freebsd,
	&pkg_openbsd, NULL
};

const struct pkg_provider *
pkg_provider_find(const char *name)
{
	for (size_t i = 0; pkg_providers[i] != NULL; i++)
		if (strcmp(pkg_providers[i]->name, name) == 0)
			return pkg_providers[i];
	return NULL;
}

const struct pkg_provider *
pkg_provider_detect(const char *root)
{
	for (size_t i = 0; pkg_providers[i] != NULL; i++)
		if (prov_have(root, pkg_providers[i]->probe))
			return pkg_providers[i];
	return NULL;
}

int
svc_observe_listed(const char *root, const char *name, const char *dir,
    const char *const *status, const char *const *list,
    int (*listed)(const char *out, const char *name), struct svc_state *st,
    struct tl_err *err)
{
	struct buf out = BUF_INIT;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!(st->exists = prov_have_in(root, dir, name)))
		return 0;
	st->is_running = prov_status_words(root, status, NULL, err) == 0;
	if ((rc = prov_status_words(root, list, &out, err)) >= 0)
		st->is_enabled = listed(out.data, name);
	buf_release(&out);
	return rc < 0 ? rc : 0;
}

const struct svc_provider *const svc_providers[] = {
	&svc_systemd, &svc_rcctl, &svc_freebsd, &svc_openrc, &svc_sysv, NULL
};

const struct svc_provider *
svc_provider_find(const char *name)
{
	if (strcmp(name, "bsdrc") == 0)		/* the init_system fact */
		name = "freebsd";
	for (size_t i = 0; svc_providers[i] != NULL; i++)
		if (strcmp(svc_providers[i]->name, name) == 0)
			return svc_providers[i];
	return NULL;
}

const struct svc_provider *
svc_provider_detect(const char *root)
{
	for (size_t i = 0; svc_providers[i] != NULL; i++)
		if (svc_providers[i]->detect(root))
			return svc_providers[i];
	return NULL;
}
