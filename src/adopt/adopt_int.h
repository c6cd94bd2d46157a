#ifndef TLALOC_ADOPT_ADOPT_INT_H
#define TLALOC_ADOPT_ADOPT_INT_H

/* Shared by the adopt collectors (adopt*.c) and the unit tests. */

#include <sys/stat.h>

#include <stddef.h>

#include "adopt/adopt.h"
#include "adopt/dpkg_db.h"
#include "core/buf.h"

struct tl_err;

/* What the collectors share: the package database and path owners. */
struct adopt_ctx {
	struct adopt	*a;
	struct dpkg_db	 db;
	int		 has_dpkg;	/* the tree has /var/lib/dpkg/status */
	struct strmap	 owner;		/* path -> package index, DPKG_SHARED */
	struct strmap	 conffiles;	/* every conffile path -> package */
};

/*
 * Adds an item (strings copied; lua and note may be NULL) unless its ref
 * is already there or its title matches --exclude. Returns the new item,
 * or NULL when it was not added. Borrowed until the next add.
 */
struct adopt_item *adopt_add(struct adopt *a, const char *concern,
	    enum adopt_rank rank, const char *ref, const char *lua,
	    const char *note);

/* Is title (a path or a name) excluded by --exclude? */
int	adopt_is_excluded(const struct adopt *a, const char *title);

/* Appends s as a Lua string literal ("..." with escapes). */
void	adopt_lua_str(struct buf *b, const char *s);

/* root + path; caller frees. */
char	*adopt_path(const struct adopt *a, const char *path);

/* The name of uid/gid in the tree's own passwd/group, or NULL. */
const char *adopt_user_name(const struct adopt *a, unsigned uid);
const char *adopt_group_name(const struct adopt *a, unsigned gid);
/* Reads ROOT/etc/passwd and ROOT/etc/group into a->ids. */
void	adopt_ids_load(struct adopt *a);
void	adopt_ids_release(struct adopt_ids *ids);

/* Splits a ':'-separated line in place into at most max fields; returns
 * the count. */
size_t	adopt_split(char *line, char sep, char **f, size_t max);

/*
 * Noise: paths under /etc that say which machine this is or that a tool
 * regenerates (machine-id, host keys, ld.so.cache, resolv.conf, the account
 * files that users/groups already cover ...). See docs/adopt.md.
 */
int	adopt_is_noise(const char *path);

/* Is this file a secret (private key, token, a file others cannot read)?
 * content may be NULL. */
int	adopt_is_secret(const char *path, const struct stat *st,
	    const char *content, size_t len);

/*
 * Declares the file at path (its content stored as an asset, or a
 * placeholder when it is a secret), plus directory resources for parents
 * no package owns. pkg (or NULL) is the package it belongs to.
 */
void	adopt_file(struct adopt_ctx *c, const char *concern, const char *path,
	    const char *pkg, const char *note);

/* Declares package name (installed) in the "packages" concern. */
void	adopt_package(struct adopt *a, const char *name, const char *note);

/* How a package manager's "installed on request" answer is written. */
enum adopt_pkgq_form {
	PKGQ_NAMES,		/* one name per line (pacman, dnf, pkg) */
	PKGQ_APK_WORLD,		/* apk world: "name>=ver", "name@tag", ... */
	PKGQ_NAME_VERSION	/* "name-1.2.3" (OpenBSD pkg_info -mq) */
};

/* Calls fn with each package name text holds; returns the count. */
size_t	adopt_pkgq_parse(enum adopt_pkgq_form form, const char *text,
	    size_t len, void (*fn)(const char *name, void *arg), void *arg);

/* Adopts the packages of the first non-dpkg manager the tree has. */
void	adopt_pkgq(struct adopt *a);

/* How a package manager reports changed configuration files. */
enum adopt_conf_form {
	CONF_RPM_V,		/* rpm -Va */
	CONF_PACMAN_QII,	/* pacman -Qii */
	CONF_APK_AUDIT		/* apk audit --backup */
};

/* Calls fn with each changed config file in text and its package (or
 * NULL when the tool does not say); returns the count. */
size_t	adopt_conf_parse(enum adopt_conf_form form, const char *text,
	    size_t len, void (*fn)(const char *path, const char *pkg,
	    void *arg), void *arg);

/* Changed config files of the first non-dpkg manager the tree has. */
void	adopt_pkgconf(struct adopt_ctx *c);

/* Services enabled in rc files (adopt_svc_rc.c): each calls fn with
 * every enabled name. FreeBSD: the text of rc.conf and rc.conf.local;
 * OpenRC: the output of `rc-update show`; OpenBSD: rc.conf.local. */
void	adopt_rc_freebsd(const char *rcconf, void (*fn)(const char *name,
	    void *arg), void *arg);
void	adopt_rc_openrc(const char *out, void (*fn)(const char *name,
	    void *arg), void *arg);
void	adopt_rc_openbsd(const char *rcconf_local,
	    void (*fn)(const char *name, void *arg), void *arg);
/* Declares the services of whichever of those the tree has. */
void	adopt_rc_services(struct adopt *a);

/* The collectors. */
void	adopt_packages(struct adopt_ctx *c);
void	adopt_conffiles(struct adopt_ctx *c);
void	adopt_unowned(struct adopt_ctx *c);
void	adopt_services(struct adopt_ctx *c);
void	adopt_accounts(struct adopt_ctx *c);
void	adopt_cron(struct adopt_ctx *c);

/* Parses one crontab (the text of /var/spool/cron/crontabs/USER) into
 * cron items for user. */
void	adopt_crontab(struct adopt *a, const char *user, const char *text,
	    const char *note);

/* The service named by an rc?.d link ("S01nginx" -> "nginx"), or NULL. */
const char *adopt_rc_link_service(const char *link);

#endif
