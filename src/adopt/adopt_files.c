/*
 * Files: conffiles changed from their package's default (dpkg's MD5 in
 * the status file against the file's own), conffiles deleted by hand, and
 * files under /etc that no package owns (dpkg's .list files). Each becomes
 * a file (or link) resource with its content stored beside the recipe;
 * directories no package owns are declared too, so the file has somewhere
 * to go on a fresh node.
 *
 * The noise filter (docs/adopt.md keeps the list for users) drops what
 * identifies this one machine or what a tool writes by itself; the secret
 * test keeps private keys and unreadable files out of the recipe unless
 * --include-secrets.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt/adopt_int.h"
#include "adopt/md5.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"

#define FILE_MAX	(16u << 20)	/* bytes of one adopted file */

static const char *const noise[] = {
	/* which machine this is */
	"/etc/machine-id", "/etc/hostname", "/etc/hosts", "/etc/mailname",
	"/etc/ssh/ssh_host_*", "/etc/adjtime", "/etc/resolv.conf",
	"/etc/mtab", "/etc/fstab", "/etc/.pwd.lock", "/etc/.updated",
	/* accounts: the users and groups sources cover them */
	"/etc/passwd", "/etc/passwd-", "/etc/group", "/etc/group-",
	"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
	"/etc/subuid", "/etc/subuid-", "/etc/subgid", "/etc/subgid-",
	/* written by tools: caches, links, package-manager leftovers */
	"/etc/ld.so.cache", "/etc/alternatives/*", "/etc/rc[0-6S].d/*",
	"/etc/systemd/system/*.wants/*", "/etc/ssl/certs/*",
	"/etc/ca-certificates.conf", "/etc/udev/hwdb.bin",
	"/etc/apparmor.d/cache/*", "/etc/console-setup/cached_*",
	"/etc/apt/trusted.gpg~", "/etc/tlaloc/*", "/etc/shells",
	"/etc/xml/*", "/etc/.java/*", "/etc/ld.so.conf.d/*.cache",
	"*~", "*.dpkg-old", "*.dpkg-dist", "*.dpkg-new", "*.dpkg-bak",
	"*.dpkg-tmp", "*.ucf-old", "*.ucf-dist", "*.ucf-new", "*.swp", "*.old",
	NULL
};

int
adopt_is_noise(const char *path)
{
	for (size_t i = 0; noise[i] != NULL; i++)
		if (fnmatch(noise[i], path, 0) == 0)
			return 1;
	return 0;
}

int
adopt_is_secret(const char *path, const struct stat *st, const char *content,
    size_t len)
{
	static const char *const key_paths[] = {
		"/etc/ssl/private/*", "*.key", "*_key", "*/id_rsa",
		"*/id_ed25519", "*/id_ecdsa", "*.secret", "*token*", NULL
	};

	for (size_t i = 0; key_paths[i] != NULL; i++)
		if (fnmatch(key_paths[i], path, 0) == 0)
			return 1;
	/* Not readable by others: its owner meant it to stay private. */
	if (st != NULL && S_ISREG(st->st_mode) && !(st->st_mode & S_IROTH))
		return 1;
	return content != NULL && memmem(content, len, "PRIVATE KEY-----",
	    16) != NULL;
}

static void
add_owner(struct buf *b, const struct adopt *a, const struct stat *st)
{
	const char *u = adopt_user_name(a, st->st_uid);
	const char *g = adopt_group_name(a, st->st_gid);

	if (u != NULL) {
		buf_addstr(b, ", owner = ");
		adopt_lua_str(b, u);
	} else
		buf_addf(b, ", owner = \"%u\"", (unsigned)st->st_uid);
	if (g != NULL) {
		buf_addstr(b, ", group = ");
		adopt_lua_str(b, g);
	} else
		buf_addf(b, ", group = \"%u\"", (unsigned)st->st_gid);
}

static int
is_owned(const struct adopt_ctx *c, const char *path)
{
	size_t i;

	return strmap_get(&c->owner, path, &i) || !c->has_dpkg;
}

/* Directories between /etc and path that no package owns, outermost
 * first. Without dpkg every directory counts as owned (nothing to say). */
static void
adopt_parents(struct adopt_ctx *c, const char *concern, const char *path)
{
	char *dir = path_dirname(path), *slash;
	struct buf lua = BUF_INIT, ref = BUF_INIT;
	struct stat st;

	for (slash = strchr(dir + 1, '/'); ; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		/* Only under /etc: a conffile elsewhere (/opt/x/etc) lives
		 * in a tree its package makes. */
		if (strncmp(dir, "/etc/", 5) == 0 && !is_owned(c, dir)) {
			if (fsroot_lstat(c->a->fs, dir, &st, NULL) == 0 &&
			    S_ISDIR(st.st_mode)) {
				buf_reset(&lua);
				buf_reset(&ref);
				buf_addstr(&lua, "directory{path = ");
				adopt_lua_str(&lua, dir);
				buf_addf(&lua, ", mode = \"%04o\"",
				    (unsigned)(st.st_mode & 07777));
				add_owner(&lua, c->a, &st);
				buf_addstr(&lua, "}");
				buf_addf(&ref, "directory[%s]", dir);
				adopt_add(c->a, concern, ADOPT_RANK_DIR,
				    ref.data, lua.data, "no package owns it");
			}
		}
		if (slash == NULL)
			break;
		*slash = '/';
	}
	free(dir);
	buf_release(&lua);
	buf_release(&ref);
}

static void
adopt_link(struct adopt_ctx *c, const char *concern, const char *path,
    const char *note)
{
	struct buf lua = BUF_INIT, ref = BUF_INIT, target = BUF_INIT;

	if (fsroot_readlink(c->a->fs, path, &target, NULL) < 0 ||
	    target.len == 0) {
		buf_release(&target);
		return;
	}
	buf_addstr(&lua, "link{path = ");
	adopt_lua_str(&lua, path);
	buf_addstr(&lua, ", target = ");
	adopt_lua_str(&lua, target.data);
	buf_release(&target);
	buf_addstr(&lua, ", force = true}");
	buf_addf(&ref, "link[%s]", path);
	adopt_add(c->a, concern, ADOPT_RANK_FILE, ref.data, lua.data, note);
	buf_release(&lua);
	buf_release(&ref);
}

static void
declare_file(struct adopt_ctx *c, const char *concern, const char *path,
    const struct stat *st, const char *pkg, const char *note)
{
	struct buf lua = BUF_INIT, ref = BUF_INIT, text = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	struct adopt_item *it;
	size_t dummy;
	int secret;

	if (fsroot_read(c->a->fs, path, FILE_MAX, &text, NULL, &err) < 0) {
		c->a->nunread++;
		goto out;
	}
	secret = adopt_is_secret(path, st, text.data, text.len);
	buf_addstr(&lua, "file{path = ");
	adopt_lua_str(&lua, path);
	buf_addf(&lua, ", source = \"files%s\", mode = \"%04o\"", path,
	    (unsigned)(st->st_mode & 07777));
	add_owner(&lua, c->a, st);
	if (pkg != NULL && strmap_get(&c->a->manual, pkg, &dummy))
		buf_addf(&lua, ",\n     require = \"package[%s]\"", pkg);
	buf_addstr(&lua, "}");
	buf_addf(&ref, "file[%s]", path);
	it = adopt_add(c->a, concern, ADOPT_RANK_FILE, ref.data, lua.data,
	    note);
	if (it == NULL)
		goto out;
	it->asset = xasprintf("files%s", path);
	it->pkg = pkg ? xstrdup(pkg) : NULL;
	if (secret && !c->a->opts.include_secrets) {
		it->is_secret = 1;
		c->a->nsecrets++;
	} else
		it->asset_from = xstrdup(path);
out:
	buf_release(&lua);
	buf_release(&ref);
	buf_release(&text);
}

void
adopt_file(struct adopt_ctx *c, const char *concern, const char *path,
    const char *pkg, const char *note)
{
	struct stat st;

	/* Through the tree's fsroot: a path behind a user's link is not
	 * read (it fails the lstat and is left out). */
	if (adopt_is_excluded(c->a, path) ||
	    fsroot_lstat(c->a->fs, path, &st, NULL) < 0)
		return;
	adopt_parents(c, concern, path);
	if (S_ISLNK(st.st_mode))
		adopt_link(c, concern, path, note);
	else if (S_ISREG(st.st_mode))
		declare_file(c, concern, path, &st, pkg, note);
}

/* One conffile: declared when changed, absent when deleted. */
static void
adopt_conffile(struct adopt_ctx *c, const struct dpkg_pkg *p,
    const struct dpkg_conffile *cf)
{
	struct buf text = BUF_INIT, note = BUF_INIT, lua = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	char sum[33], *ref;
	struct stat st;
	int r;

	if (cf->is_obsolete || cf->md5[0] == '\0' || adopt_is_noise(cf->path))
		goto out;
	if ((r = fsroot_lstat(c->a->fs, cf->path, &st, NULL)) == TL_ENOENT) {
		buf_addstr(&lua, "file.absent ");
		adopt_lua_str(&lua, cf->path);
		buf_addf(&note, "conffile of package %s, deleted "
		    "(/var/lib/dpkg/status)", p->name);
		ref = xasprintf("file[%s]", cf->path);
		adopt_add(c->a, p->name, ADOPT_RANK_FILE, ref, lua.data,
		    note.data);
		free(ref);
		goto out;
	}
	if (r < 0 || !S_ISREG(st.st_mode) || fsroot_read(c->a->fs, cf->path,
	    FILE_MAX, &text, NULL, &err) < 0)
		goto out;
	md5_hex(text.data, text.len, sum);
	if (strcmp(sum, cf->md5) == 0)
		goto out;
	buf_addf(&note, "conffile of package %s, changed from the packaged "
	    "default (md5 in /var/lib/dpkg/status)", p->name);
	adopt_file(c, p->name, cf->path, p->name, note.data);
out:
	buf_release(&text);
	buf_release(&note);
	buf_release(&lua);
}

void
adopt_conffiles(struct adopt_ctx *c)
{
	for (size_t i = 0; i < c->db.n; i++) {
		const struct dpkg_pkg *p = &c->db.v[i];

		if (!p->is_installed)
			continue;
		for (size_t k = 0; k < p->nconf; k++)
			adopt_conffile(c, p, &p->conf[k]);
	}
}

/* The concern of an unowned file: cron.d entries go with cron; a file in
 * a directory that one package owns goes with that package. */
static const char *
unowned_concern(struct adopt_ctx *c, const char *path, char *buf, size_t n)
{
	size_t pkg;
	char *slash;

	if (strncmp(path, "/etc/cron.", 10) == 0 || strcmp(path,
	    "/etc/crontab") == 0)
		return "cron";
	snprintf(buf, n, "%s", path);
	while ((slash = strrchr(buf, '/')) != NULL && slash != buf) {
		*slash = '\0';
		if (strcmp(buf, "/etc") == 0)
			break;
		if (strmap_get(&c->owner, buf, &pkg) && pkg != DPKG_SHARED)
			return c->db.v[pkg].name;
	}
	return "etc";
}

static void
walk_etc(struct adopt_ctx *c, const char *dir, unsigned depth)
{
	char concern[4096], **names;
	size_t n;

	if (depth > 32 || fsroot_list(c->a->fs, dir, &names, &n, NULL) < 0)
		return;
	for (size_t k = 0; k < n; k++) {
		char *path;
		struct stat st;
		size_t i;

		path = xasprintf("%s/%s", dir, names[k]);
		if (fsroot_lstat(c->a->fs, path, &st, NULL) < 0 ||
		    adopt_is_excluded(c->a, path))
			;
		else if (S_ISDIR(st.st_mode))
			walk_etc(c, path, depth + 1);
		else if (strmap_get(&c->owner, path, &i) ||
		    strmap_get(&c->conffiles, path, &i))
			;
		else if (adopt_is_noise(path))
			c->a->nnoise++;
		else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
			adopt_file(c, unowned_concern(c, path, concern,
			    sizeof(concern)), path, NULL,
			    "under /etc, owned by no package (dpkg *.list)");
		free(path);
	}
	fsroot_names_free(names);
}

void
adopt_unowned(struct adopt_ctx *c)
{
	/* Without a package database every file would look unowned. */
	if (c->has_dpkg)
		walk_etc(c, "/etc", 0);
}
