#ifndef TLALOC_ADOPT_ADOPT_H
#define TLALOC_ADOPT_ADOPT_H

/*
 * Adopting a hand-made node: read what the administrator changed (packages
 * installed by hand, configuration files changed from their package's
 * default or owned by no package, enabled services, non-system accounts,
 * crontabs) and write it out as a recipe directory that reproduces it.
 *
 * Each source is one collector (adopt_packages.c with adopt_pkgq.c,
 * adopt_files.c with adopt_pkgconf.c, adopt_services.c, adopt_accounts.c,
 * adopt_cron.c; dpkg_db.c parses dpkg's database) that reads the tree
 * under opts.root and adds items: one resource declaration each, with the
 * concern it belongs to (the recipe file it goes in) and a note saying
 * where the fact came from. adopt_write.c turns the items into files;
 * adopt_diff.c compares them with an existing recipe. Nothing here changes
 * the tree it reads.
 */

#include <stddef.h>
#include <stdio.h>

#include "core/strmap.h"

struct fsroot;

struct tl_err;

enum adopt_source {
	ADOPT_PACKAGES = 1 << 0,
	ADOPT_FILES = 1 << 1,
	ADOPT_SERVICES = 1 << 2,
	ADOPT_USERS = 1 << 3,
	ADOPT_CRON = 1 << 4,
	ADOPT_ALL = (1 << 5) - 1
};

struct adopt_opts {
	const char		*root;		/* the tree to read; "/" */
	unsigned		 only;		/* enum adopt_source mask */
	const char *const	*exclude;	/* fnmatch globs on titles */
	size_t			 nexclude;
	int			 include_secrets; /* copy, no placeholder */
};

/* Where an item sorts inside its recipe file. */
enum adopt_rank {
	ADOPT_RANK_GROUP,
	ADOPT_RANK_USER,
	ADOPT_RANK_PACKAGE,
	ADOPT_RANK_DIR,
	ADOPT_RANK_FILE,
	ADOPT_RANK_SERVICE,
	ADOPT_RANK_CRON
};

/* One declaration of the recipe to write. Every string is owned. */
struct adopt_item {
	char		*concern;	/* recipe file, no .lua: "nginx" */
	char		*ref;		/* "package[nginx]" */
	char		*lua;		/* the declaration, one or more lines */
	char		*note;		/* where the fact came from, one line */
	char		*asset;		/* path under the output dir, or NULL */
	char		*asset_from;	/* its path in the tree (read through
					   adopt.fs), to copy there */
	char		*pkg;		/* the package it belongs to, or NULL */
	enum adopt_rank	 rank;
	int		 is_secret;	/* written commented out, not copied */
};

/* Accounts of the tree, read once: ids to names for owners. */
struct adopt_ids {
	char	**users;	/* users[i] has uid uids[i] (passwd order) */
	unsigned *uids;
	size_t	  nusers;
	char	**groups;
	unsigned *gids;
	size_t	  ngroups;
};

struct adopt {
	struct adopt_opts	 opts;
	struct fsroot		*fs;		/* opts.root: every file of the
						   tree is read through it */
	struct adopt_item	*v;		/* in collection order */
	size_t			 n, cap;
	struct strmap		 refs;		/* ref -> index in v */
	struct strmap		 manual;	/* packages adopted by name */
	struct adopt_ids	 ids;
	size_t			 nsecrets;	/* items left as placeholders */
	size_t			 nnoise;	/* files the noise filter
						   dropped */
	size_t			 nunread;	/* files too big or
						   unreadable */
};

/*
 * Reads the tree under opts->root with every source opts->only names and
 * fills *a (release with adopt_release). Fails only when the tree cannot
 * be read at all; a source the tree lacks (no dpkg, no crontabs) adds
 * nothing.
 */
int	adopt_scan(const struct adopt_opts *opts, struct adopt *a,
	    struct tl_err *err);
void	adopt_release(struct adopt *a);

/*
 * Writes the recipe directory: site.lua, recipes/CONCERN.lua, files/...
 * and README.md (what was adopted, the secrets left out). out must not
 * exist or be empty. Returns 0, or < 0 with err set.
 */
int	adopt_write(const struct adopt *a, const char *out, struct tl_err *err);

/*
 * Prints to f every adopted item whose resource the recipe at recipes does
 * not declare. Returns the count (>= 0), or < 0 with err set when the
 * recipe does not compile.
 */
int	adopt_diff(const struct adopt *a, const char *recipes, FILE *f,
	    struct tl_err *err);

/* "packages,files" -> mask; 0 with err set on an unknown name. */
unsigned adopt_parse_only(const char *list, struct tl_err *err);

#endif
