/*
 * User facts from facts.d, like Facter's external facts. Every entry is
 * taken in byte order of its name, so a later file overrides an earlier
 * one for the same key:
 *
 *   NAME.txt, NAME.conf   key=value lines, never run even if executable
 *   NAME (no extension)   run if executable, else read as key=value lines
 *   NAME.other            run if executable, else skipped with a warning
 *   .NAME, NAME~          skipped (editor and backup files)
 *
 * A program runs without a shell, in facts.d, with a 10 s limit, and its
 * stdout is parsed as key=value lines. A bad line fails the run with
 * file:line rather than being skipped: a fact that silently went missing
 * could flip a recipe's `if` and change the node the wrong way. Files
 * writable by anyone or owned by a user other than root (or us) are
 * refused, since their facts steer what root does.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/spawn.h"
#include "core/text.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "facts/facts_int.h"

enum user_kind { USER_SKIP, USER_DATA, USER_PROGRAM };

/* Marks err as a syntax error at file:line; returns TL_ESYNTAX. */
static int
line_fail(struct tl_err *err, const char *file, int line)
{
	if (err != NULL) {
		err->code = TL_ESYNTAX;
		tl_err_where(err, file, line);
	}
	return TL_ESYNTAX;
}

/* Parses one non-blank, non-comment line [p, end). */
static int
parse_line(struct facts *f, const char *p, const char *end,
    struct tl_err *err)
{
	const char *eq = memchr(p, '=', (size_t)(end - p));
	const char *kend, *v;
	char *key, *value;
	int r;

	if (eq == NULL)
		return tl_err_set(err, TL_ESYNTAX, "expected key=value, got "
		    "'%.*s'", (int)(end - p > 60 ? 60 : end - p), p);
	if (memchr(p, '\0', (size_t)(end - p)) != NULL)
		return tl_err_set(err, TL_ESYNTAX, "line holds a NUL byte");
	kend = eq;
	v = eq + 1;
	text_trim(&p, &kend);
	text_trim(&v, &end);
	key = xstrndup(p, (size_t)(kend - p));
	value = xstrndup(v, (size_t)(end - v));
	if ((r = facts_key_check(key, err)) == 0 &&
	    (r = facts_value_check(key, value, err)) == 0)
		facts_set(f, key, facts_kind_of(value), value);
	free(key);
	free(value);
	return r;
}

int
facts_parse_lines(struct facts *f, const char *text, size_t len,
    const char *file, struct tl_err *err)
{
	const char *p = text, *end = text + len, *eol, *s, *e;
	int line = 0;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		line++;
		s = p;
		e = eol;
		text_trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		if (parse_line(f, s, e, err) < 0)
			return line_fail(err, file, line);
	}
	return 0;
}

static enum user_kind
user_classify(const char *name, const struct stat *st)
{
	const char *ext = strrchr(name, '.');

	if (!S_ISREG(st->st_mode))
		return USER_SKIP;
	if (ext != NULL && (strcmp(ext, ".txt") == 0 ||
	    strcmp(ext, ".conf") == 0))
		return USER_DATA;
	if (st->st_mode & 0111)
		return USER_PROGRAM;
	if (ext == NULL)
		return USER_DATA;
	log_warn("skipping '%s' in facts.d: not executable, and not .txt or "
	    ".conf", name);
	return USER_SKIP;
}

static int
user_check_owner(const char *path, const struct stat *st,
    struct tl_err *err)
{
	if (st->st_mode & S_IWOTH)
		return tl_err_set(err, TL_EPERM, "refusing fact file '%s': "
		    "anyone can write it", path);
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return tl_err_set(err, TL_EPERM, "refusing fact file '%s': "
		    "owned by uid %ld, not root", path, (long)st->st_uid);
	return 0;
}

static int
user_read(struct facts *f, const char *path, struct tl_err *err)
{
	struct buf text = BUF_INIT;
	int r;

	if ((r = fileio_read(path, FACTS_USER_MAX_BYTES, &text, err)) == 0)
		r = facts_parse_lines(f, text.data, text.len, path, err);
	buf_release(&text);
	return r;
}

/* Returns the first line of s, at most 200 bytes, for a message. */
static int
first_line_len(const char *s)
{
	size_t n = strcspn(s, "\n");

	return (int)(n > 200 ? 200 : n);
}

static int
user_run(struct facts *f, const char *dir, const char *path,
    struct tl_err *err)
{
	const char *argv[] = { path, NULL };
	struct spawn_opts o = { 0 };
	struct spawn_result res;
	int r;

	o.argv = argv;
	o.cwd = dir;
	o.timeout_ms = FACTS_USER_TIMEOUT_MS;
	o.max_output = FACTS_USER_MAX_BYTES;
	spawn_result_init(&res);
	r = spawn_run(&o, &res, err);
	if (r < 0)
		;	/* could not start; err says why */
	else if (res.timed_out)
		r = tl_err_set(err, TL_ETIMEOUT, "fact program '%s' ran over "
		    "%d s and was killed", path, FACTS_USER_TIMEOUT_MS / 1000);
	else if (res.status != 0)
		r = tl_err_set(err, TL_ECHILD, "fact program '%s' exited with "
		    "status %d%s%.*s", path, res.status,
		    res.errout.len > 0 ? ": " : "",
		    first_line_len(res.errout.data), res.errout.data);
	else if (res.dropped > 0)
		r = tl_err_set(err, TL_ETOOBIG, "fact program '%s' wrote over "
		    "%d bytes", path, FACTS_USER_MAX_BYTES);
	else
		r = facts_parse_lines(f, res.out.data, res.out.len, path, err);
	spawn_result_release(&res);
	return r;
}

static int
user_entry(struct facts *f, const char *dir, const char *name,
    struct tl_err *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	int r = 0;

	if (stat(path, &st) < 0) {
		/* Gone since readdir, or a dangling link: nothing to read. */
		if (errno != ENOENT)
			r = tl_err_sys(err, TL_EIO, "cannot stat '%s'", path);
	} else {
		switch (user_classify(name, &st)) {
		case USER_DATA:
			if ((r = user_check_owner(path, &st, err)) == 0)
				r = user_read(f, path, err);
			break;
		case USER_PROGRAM:
			if ((r = user_check_owner(path, &st, err)) == 0)
				r = user_run(f, dir, path, err);
			break;
		case USER_SKIP:
			break;
		}
	}
	free(path);
	return r;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_ignored_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || n == 0 || name[n - 1] == '~';
}

/* Lists the names in dir worth a look, sorted. */
static int
user_list(DIR *d, const char *dir, char ***names, size_t *n,
    struct tl_err *err)
{
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	while ((de = readdir(d)) != NULL) {
		if (is_ignored_name(de->d_name))
			continue;
		if (*n == FACTS_USER_MAX_FILES)
			return tl_err_set(err, TL_ETOOBIG, "facts directory "
			    "'%s' holds over %d entries", dir,
			    FACTS_USER_MAX_FILES);
		*names = xgrow(*names, &cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

int
facts_gather_user(struct facts *f, const char *dir, int must_exist,
    struct tl_err *err)
{
	DIR *d = opendir(dir);
	char **names;
	size_t n, i;
	int r;

	if (d == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		if (errno == ENOENT)
			return tl_err_set(err, TL_ENOENT, "facts directory "
			    "'%s' does not exist", dir);
		return tl_err_sys(err, TL_EIO, "cannot read facts directory "
		    "'%s'", dir);
	}
	r = user_list(d, dir, &names, &n, err);
	closedir(d);
	for (i = 0; r == 0 && i < n; i++)
		r = user_entry(f, dir, names[i], err);
	xfree_strs(names, n);
	return r;
}
