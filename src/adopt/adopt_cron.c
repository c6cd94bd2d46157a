/*
 * Crontabs: every user's table in the cron spool (Debian's
 * /var/spool/cron/crontabs, Red Hat's /var/spool/cron, the BSDs'
 * /var/cron/tabs), one cron resource per entry. An entry a tlaloc recipe
 * wrote keeps the name between its markers; others are named USER-N in
 * the order of the table. NAME=value lines go with the entry that follows
 * them, so they land before it again. /etc/cron.d and /etc/crontab are
 * plain files: the file collector puts them into the cron recipe too.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

#define CRONTAB_MAX	(1u << 20)
#define MARK_BEGIN	"# BEGIN tlaloc cron: "

static const char *const spools[] = {
	"/var/spool/cron/crontabs", "/var/spool/cron", "/var/cron/tabs", NULL
};

static const char *const fields[] = {
	"minute", "hour", "monthday", "month", "weekday"
};

/* Pending state while reading one table. */
struct tab {
	struct adopt	*a;
	const char	*user;
	const char	*note;
	struct buf	 env;		/* Lua list items, ", "-separated */
	char		*name;		/* from a BEGIN marker, or NULL */
	unsigned	 count;		/* entries so far */
};

static int
is_env_line(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '=';
}

static char *
next_word(char **s)
{
	char *w;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	if (**s == '\0')
		return NULL;
	w = *s;
	while (**s && **s != ' ' && **s != '\t')
		(*s)++;
	if (**s)
		*(*s)++ = '\0';
	return w;
}

/* Appends the schedule of line to lua and leaves *line at the command;
 * 0 on success, -1 when the line is not an entry. */
static int
schedule(struct buf *lua, char **line)
{
	char *w[5];

	if (**line == '@') {
		char *sp = next_word(line);
		buf_addstr(lua, ", special = ");
		adopt_lua_str(lua, sp + 1);
		return 0;
	}
	for (int i = 0; i < 5; i++)
		if ((w[i] = next_word(line)) == NULL)
			return -1;
	for (int i = 0; i < 5; i++)
		if (strcmp(w[i], "*") != 0) {
			buf_addf(lua, ", %s = ", fields[i]);
			adopt_lua_str(lua, w[i]);
		}
	return 0;
}

static void
entry(struct tab *t, char *line)
{
	struct buf lua = BUF_INIT, sched = BUF_INIT;
	char *name, *ref;

	if (schedule(&sched, &line) < 0)
		goto out;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0')
		goto out;
	t->count++;
	name = t->name ? t->name : xasprintf("%s-%u", t->user, t->count);
	t->name = NULL;
	buf_addstr(&lua, "cron{name = ");
	adopt_lua_str(&lua, name);
	buf_addstr(&lua, ", user = ");
	adopt_lua_str(&lua, t->user);
	buf_add(&lua, sched.data, sched.len);
	buf_addstr(&lua, ",\n     command = ");
	adopt_lua_str(&lua, line);
	if (t->env.len > 0)
		buf_addf(&lua, ", environment = {%s}", t->env.data);
	buf_addstr(&lua, "}");
	buf_reset(&t->env);
	ref = xasprintf("cron[%s]", name);
	adopt_add(t->a, "cron", ADOPT_RANK_CRON, ref, lua.data, t->note);
	free(ref);
	free(name);
out:
	buf_release(&lua);
	buf_release(&sched);
}

static void
tab_line(struct tab *t, char *line)
{
	line[strcspn(line, "\r")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, MARK_BEGIN, strlen(MARK_BEGIN)) == 0) {
		free(t->name);
		t->name = line[strlen(MARK_BEGIN)] ?
		    xstrdup(line + strlen(MARK_BEGIN)) : NULL;
	} else if (*line == '\0' || *line == '#')
		return;
	else if (is_env_line(line)) {
		if (t->env.len > 0)
			buf_addstr(&t->env, ", ");
		adopt_lua_str(&t->env, line);
	} else
		entry(t, line);
}

void
adopt_crontab(struct adopt *a, const char *user, const char *text,
    const char *note)
{
	struct tab t = { a, user, note, BUF_INIT, NULL, 0 };
	char *copy = xstrdup(text), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		tab_line(&t, line);
	free(t.name);
	buf_release(&t.env);
	free(copy);
}

static void
read_spool(struct adopt *a, const char *spool)
{
	char *dir = adopt_path(a, spool), *path, *note;
	struct buf text = BUF_INIT;
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		buf_reset(&text);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    fileio_read(path, CRONTAB_MAX, &text, &(struct tl_err)
		    TL_ERR_INIT) == 0 && memchr(text.data, '\0', text.len) ==
		    NULL) {
			note = xasprintf("crontab of %s (%s/%s)", e->d_name,
			    spool, e->d_name);
			adopt_crontab(a, e->d_name, text.data, note);
			free(note);
		}
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	buf_release(&text);
}

void
adopt_cron(struct adopt_ctx *c)
{
	for (size_t i = 0; spools[i] != NULL; i++)
		read_spool(c->a, spools[i]);
}
