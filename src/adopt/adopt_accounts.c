/*
 * Accounts, read from the tree's own files (never the host's NSS): users
 * and groups whose ids lie in the ranges /etc/login.defs gives to normal
 * accounts (UID_MIN..UID_MAX, GID_MIN..GID_MAX; 1000..60000 without the
 * file), with each user's supplementary groups from /etc/group, also
 * system groups like sudo. Password hashes from /etc/shadow are secrets:
 * a placeholder unless --include-secrets. The same files give the names
 * of file owners (adopt_user_name) for the file collector.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

#define ACCT_MAX	(64u << 20)	/* bytes of passwd, group, shadow */

struct id_range {
	unsigned long	uid_min, uid_max, gid_min, gid_max;
};

static int
read_etc(const struct adopt *a, const char *path, struct buf *out)
{
	char *p = adopt_path(a, path);
	int rc = fileio_read(p, ACCT_MAX, out, &(struct tl_err)TL_ERR_INIT);

	free(p);
	return rc;
}

static int
parse_id(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > 0xffffffffUL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void
load_names(const struct adopt *a, const char *path, char ***names,
    unsigned **ids, size_t *n)
{
	struct buf text = BUF_INIT;
	char *line, *save = NULL, *f[4];
	size_t cap = 0, cap2 = 0;
	unsigned id;

	if (read_etc(a, path, &text) == 0)
		for (line = strtok_r(text.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (adopt_split(line, ':', f, 4) < 3 ||
			    parse_id(f[2], &id) < 0)
				continue;
			*names = xgrow(*names, &cap, *n + 1, sizeof(char *));
			*ids = xgrow(*ids, &cap2, *n + 1, sizeof(unsigned));
			(*names)[*n] = xstrdup(f[0]);
			(*ids)[(*n)++] = id;
		}
	buf_release(&text);
}

void
adopt_ids_load(struct adopt *a)
{
	load_names(a, "/etc/passwd", &a->ids.users, &a->ids.uids,
	    &a->ids.nusers);
	load_names(a, "/etc/group", &a->ids.groups, &a->ids.gids,
	    &a->ids.ngroups);
}

void
adopt_ids_release(struct adopt_ids *ids)
{
	for (size_t i = 0; i < ids->nusers; i++)
		free(ids->users[i]);
	for (size_t i = 0; i < ids->ngroups; i++)
		free(ids->groups[i]);
	free(ids->users);
	free(ids->uids);
	free(ids->groups);
	free(ids->gids);
	memset(ids, 0, sizeof(*ids));
}

/* The name next to id in a list load_names() read, or NULL. */
static const char *
name_of(char *const *names, const unsigned *ids, size_t n, unsigned id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return names[i];
	return NULL;
}

const char *
adopt_user_name(const struct adopt *a, unsigned uid)
{
	return name_of(a->ids.users, a->ids.uids, a->ids.nusers, uid);
}

const char *
adopt_group_name(const struct adopt *a, unsigned gid)
{
	return name_of(a->ids.groups, a->ids.gids, a->ids.ngroups, gid);
}

static void
load_ranges(const struct adopt *a, struct id_range *r)
{
	struct buf text = BUF_INIT;
	char *line, *save = NULL, key[32];
	unsigned long v;

	r->uid_min = r->gid_min = 1000;
	r->uid_max = r->gid_max = 60000;
	if (read_etc(a, "/etc/login.defs", &text) == 0)
		for (line = strtok_r(text.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, " %31s %lu", key, &v) != 2)
				continue;
			if (strcmp(key, "UID_MIN") == 0)
				r->uid_min = v;
			else if (strcmp(key, "UID_MAX") == 0)
				r->uid_max = v;
			else if (strcmp(key, "GID_MIN") == 0)
				r->gid_min = v;
			else if (strcmp(key, "GID_MAX") == 0)
				r->gid_max = v;
		}
	buf_release(&text);
}

static void
adopt_groups(struct adopt *a, const struct id_range *r, const char *text)
{
	struct buf lua = BUF_INIT;
	char *copy = xstrdup(text), *line, *save = NULL, *f[4], *ref;
	unsigned gid;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (adopt_split(line, ':', f, 4) < 3 || parse_id(f[2], &gid) <
		    0 || gid < r->gid_min || gid > r->gid_max)
			continue;
		buf_reset(&lua);
		buf_addstr(&lua, "group{name = ");
		adopt_lua_str(&lua, f[0]);
		buf_addf(&lua, ", gid = %u}", gid);
		ref = xasprintf("group[%s]", f[0]);
		adopt_add(a, "users", ADOPT_RANK_GROUP, ref, lua.data,
		    "/etc/group, gid in GID_MIN..GID_MAX of /etc/login.defs");
		free(ref);
	}
	free(copy);
	buf_release(&lua);
}

/* Appends `, groups = {...}`: every group of /etc/group listing user. */
static void
add_memberships(struct buf *lua, const char *user, const char *group_text)
{
	char *copy = xstrdup(group_text), *line, *save = NULL, *f[4];
	char *m, *msave;
	int n = 0;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (adopt_split(line, ':', f, 4) < 4)
			continue;
		for (m = strtok_r(f[3], ",", &msave); m != NULL;
		    m = strtok_r(NULL, ",", &msave))
			if (strcmp(m, user) == 0) {
				buf_addstr(lua, n++ ? ", " :
				    ",\n     groups = {");
				adopt_lua_str(lua, f[0]);
			}
	}
	if (n > 0)
		buf_addstr(lua, "}");
	free(copy);
}

/* The password hash of user in shadow text, or NULL; caller frees. */
static char *
shadow_hash(const char *shadow, const char *user)
{
	char *copy = xstrdup(shadow), *line, *save = NULL, *f[3], *hash = NULL;

	for (line = strtok_r(copy, "\n", &save); line != NULL && !hash;
	    line = strtok_r(NULL, "\n", &save))
		if (adopt_split(line, ':', f, 3) >= 2 &&
		    strcmp(f[0], user) == 0 && f[1][0] != '\0' &&
		    f[1][0] != '!' && f[1][0] != '*')
			hash = xstrdup(f[1]);
	free(copy);
	return hash;
}

static void
add_field(struct buf *lua, const char *key, const char *value)
{
	if (value[0] == '\0')
		return;
	buf_addf(lua, ", %s = ", key);
	adopt_lua_str(lua, value);
}

static int
home_exists(const struct adopt *a, const char *home)
{
	return home[0] == '/' && path_in_root_is_dir(a->opts.root, home);
}

static void
adopt_user(struct adopt *a, char **f, unsigned uid, const char *group_text,
    const char *shadow_text)
{
	struct buf lua = BUF_INIT;
	char *ref = xasprintf("user[%s]", f[0]), *hash;
	const char *gname;
	unsigned gid = 0;

	buf_addstr(&lua, "user{name = ");
	adopt_lua_str(&lua, f[0]);
	buf_addf(&lua, ", uid = %u", uid);
	if (parse_id(f[3], &gid) == 0 && (gname = adopt_group_name(a, gid)))
		add_field(&lua, "gid", gname);
	else
		add_field(&lua, "gid", f[3]);
	add_field(&lua, "comment", f[4]);
	add_field(&lua, "home", f[5]);
	add_field(&lua, "shell", f[6]);
	/* Only a home that exists is made again ("/nonexistent" is not). */
	if (home_exists(a, f[5]))
		buf_addstr(&lua, ", managehome = true");
	add_memberships(&lua, f[0], group_text);
	hash = shadow_hash(shadow_text, f[0]);
	if (hash != NULL && a->opts.include_secrets) {
		buf_addstr(&lua, ",\n     password = ");
		adopt_lua_str(&lua, hash);
		buf_addstr(&lua, "}");
	} else if (hash != NULL) {
		/* The comment ends the line, so the brace goes on the next. */
		buf_addstr(&lua, ",\n     -- password = \"...\": the hash in "
		    "/etc/shadow is a secret, not copied\n}");
		a->nsecrets++;
	} else
		buf_addstr(&lua, "}");
	adopt_add(a, "users", ADOPT_RANK_USER, ref, lua.data,
	    "/etc/passwd, uid in UID_MIN..UID_MAX of /etc/login.defs");
	if (hash != NULL)
		sodium_memzero(hash, strlen(hash));
	free(hash);
	free(ref);
	buf_release(&lua);
}

void
adopt_accounts(struct adopt_ctx *c)
{
	struct buf passwd = BUF_INIT, group = BUF_INIT, shadow = BUF_INIT;
	struct id_range r;
	char *line, *save = NULL, *f[7];
	unsigned uid;

	load_ranges(c->a, &r);
	read_etc(c->a, "/etc/group", &group);
	read_etc(c->a, "/etc/shadow", &shadow);
	adopt_groups(c->a, &r, group.data);
	if (read_etc(c->a, "/etc/passwd", &passwd) == 0)
		for (line = strtok_r(passwd.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (adopt_split(line, ':', f, 7) == 7 &&
			    parse_id(f[2], &uid) == 0 && uid >= r.uid_min &&
			    uid <= r.uid_max)
				adopt_user(c->a, f, uid, group.data,
				    shadow.data);
	sodium_memzero(shadow.data, shadow.len);
	buf_release(&passwd);
	buf_release(&group);
	buf_release(&shadow);
}
