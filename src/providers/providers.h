#ifndef TLALOC_PROVIDERS_PROVIDERS_H
#define TLALOC_PROVIDERS_PROVIDERS_H

/*
 * Backends of the system resources: how a package manager, an init system
 * or an account tool is asked what the system looks like (one query, parsed
 * from the tool's own output) and told to change it (an argv, never a
 * shell). The resource types (resources/package.c, service.c, user.c,
 * group.c) hold the logic; a provider is a table of argv builders and
 * output parsers, so each backend is one small file and every parser can be
 * unit-tested against real output without the tool.
 *
 * Tools run chrooted into the managed tree when --root is not "/", or with
 * their own root flag where they have one (systemctl --root, useradd
 * --root).
 */

#include <stddef.h>

#include "core/buf.h"
#include "core/spawn.h"

struct tl_err;

/* ------------------------------------------------------------------ */
/* argv lists */

/* A NULL-terminated, growable argv; every string is owned. */
struct argv {
	char	**v;		/* always NULL-terminated once anything added */
	size_t	  n, cap;
};
#define ARGV_INIT { NULL, 0, 0 }

void	argv_add(struct argv *a, const char *s);
void	argv_addf(struct argv *a, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Adds every string of a NULL-terminated list. */
void	argv_addv(struct argv *a, const char *const *v);
/* Adds v[0..n). */
void	argv_addn(struct argv *a, const char *const *v, size_t n);
/* Adds flag and root ("-R", "/srv/tree") unless root is NULL or "/": for
 * tools that reach into a tree with a flag of their own. */
void	argv_add_root(struct argv *a, const char *flag, const char *root);
void	argv_release(struct argv *a);
/* "apt-get -y install a b", for reports and messages; caller frees. */
char	*argv_join(const struct argv *a);

/* ------------------------------------------------------------------ */
/* running tools */

#define PROV_OUTPUT_MAX	(16u << 20)	/* captured per stream */
#define PROV_TAIL	400		/* bytes of output quoted on failure */

/*
 * Runs argv for the tree at root: chrooted into it unless root is "/" or
 * NULL (or the caller already put a root flag in argv and passes NULL).
 * LC_ALL=C, so output parses the same everywhere. timeout_ms 0: no limit.
 * Returns 0 when it ran (status in res), TL_ECHILD when it could not start.
 */
int	prov_run(const char *root, const struct argv *argv,
	    const char *const *env, unsigned timeout_ms,
	    struct spawn_result *res, struct tl_err *err);

/*
 * Runs argv and fails unless it exits 0: err then quotes the tool's own
 * message (the last lines of stderr, else stdout), e.g.
 * "'apt-get install nosuch' exited 100: E: Unable to locate package nosuch".
 */
int	prov_run_ok(const char *root, const struct argv *argv,
	    const char *const *env, unsigned timeout_ms, struct tl_err *err);

/* Like prov_run_ok, with input written to the tool's stdin (secrets go
 * here, never in argv, so they do not show in ps or in messages). */
int	prov_run_input(const char *root, const struct argv *argv,
	    const char *input, unsigned timeout_ms, struct tl_err *err);

/* Runs argv and returns its exit status (>= 0), or < 0 when it could not
 * run or timed out; stdout (and stderr, merged) is appended to out when
 * out is not NULL. For status queries: `init.d/x status`, `is-enabled`. */
int	prov_status(const char *root, const struct argv *argv,
	    struct buf *out, struct tl_err *err);

/* prov_run_ok and prov_status for a command of a few words (words is
 * NULL-terminated): the service tools' "rcctl check NAME" and the like. */
int	prov_run_words(const char *root, const char *const *words,
	    unsigned timeout_ms, struct tl_err *err);
int	prov_status_words(const char *root, const char *const *words,
	    struct buf *out, struct tl_err *err);

/* Appends the last PROV_TAIL bytes of text to b, trailing new lines and
 * leading partial line dropped, new lines turned into "; ". */
void	prov_tail(struct buf *b, const char *text, size_t len);

/* Calls fn on every line of text (a writable copy without the new line;
 * fn may cut it up). */
void	prov_each_line(const char *text, size_t len,
	    void (*fn)(char *line, void *arg), void *arg);

/* Does match(line, name) hold for any line of text (a writable copy that
 * match may cut up)? For "is name listed" parsers of a tool's output. */
int	prov_lists(const char *text, int (*match)(char *line, const char *name),
	    const char *name);

/* Splits "name-1.2.3" where the version starts: at the last '-' followed
 * by a digit (apk: "-r<N>" release suffixes are kept in the version), or
 * the first such '-' when first is set (OpenBSD). Returns 0 and borrowed
 * pieces cut in place, or -1 when there is no version. */
int	prov_split_name_version(char *s, int first, char **name,
	    char **version);

/* Does the program exist (as an executable) under root? Tries the usual
 * bin and sbin directories when prog has no slash. */
int	prov_have(const char *root, const char *prog);
/* Is there an executable dir/name under root (an init script)? */
int	prov_have_in(const char *root, const char *dir, const char *name);

/* ------------------------------------------------------------------ */
/* packages */

/* What one query found about one package name. */
struct pkg_state {
	char	*name;
	char	*installed;	/* installed version, or NULL when absent */
	char	*candidate;	/* newest installable version, or NULL */
	int	 is_config;	/* removed, configuration files left (dpkg) */
	int	 is_broken;	/* half installed or unpacked: reinstall */
	int	 is_unknown;	/* the repositories do not have it */
	char	*unknown_msg;	/* the tool's words for that, or NULL */
};

/* The packages of one query, by name. */
struct pkg_set {
	struct pkg_state *v;
	size_t		  n, cap;
};

/* Returns the entry for name, adding an empty one when add is set and it
 * is missing; NULL otherwise. Borrowed until the set changes. */
struct pkg_state *pkg_set_get(struct pkg_set *s, const char *name, int add);
void	pkg_set_release(struct pkg_set *s);

enum pkg_op {
	PKG_INSTALL,	/* install, or upgrade/downgrade to version */
	PKG_REMOVE,
	PKG_PURGE	/* remove with its configuration (dpkg) */
};

/* One package of a transaction. */
struct pkg_want {
	const char	*name;
	const char	*version;	/* exact version, or NULL for any */
	enum pkg_op	 op;
	int		 reinstall;	/* broken: install again */
	const char	*upgrade_to;	/* latest, installed and older: the
					   newer version the tool offered */
};

/* The argument of a provider's line readers: the set they fill, and
 * which version the lines give. */
struct pkg_lines {
	struct pkg_set	 *set;
	int		  is_candidate;	/* candidates, else installed ones */
	struct pkg_state *cur;		/* formats of several lines a package
					   (apt-cache policy): the package
					   of the lines read; starts NULL */
};

/* How a tool that installs with one command and removes with another (all
 * but apt) spells them: "apk --wait=30 add --upgrade a b=1.2" then
 * "apk --wait=30 del c". */
struct prov_txn_words {
	const char *const *install;	/* program, then its words before the
					   names; NULL-terminated */
	const char *const *remove;	/* the same for PKG_REMOVE and
					   PKG_PURGE (no tool but apt purges) */
	const char	  *lock_flag;	/* "--wait=": lock_s appended to it,
					   right after the program in both
					   commands; NULL: the tool has none */
	const char	  *version_sep;	/* "=": "name=1.2"; NULL: the tool
					   takes no version (pacman) */
	int		   upgrade_by_version; /* the install command leaves
					   an installed package alone unless
					   the newer version is named (dnf) */
};

/*
 * A package manager, as data: its two queries (a command each, whose
 * output is read a line at a time) and how it spells a transaction.
 * pkg_query_argv(), pkg_parse_query(), pkg_parse_candidates() and
 * pkg_txn_argv() serve every provider from these.
 */
struct pkg_provider {
	const char	*name;		/* "apt": the `provider` attribute */
	const char	*probe;		/* program that selects it under root */
	const char	*lock;		/* path of the manager's lock, or NULL */
	int		 lock_is_file;	/* lock held while the file exists
					   (pacman); else an fcntl lock */
	/* The installed-state query, one command for all names: these
	 * words (NULL-terminated), then the names. */
	const char *const *query;
	int		 is_query_all;	/* the words alone list every
					   installed package (no names); the
					   ones asked about are picked out */
	/* Reads one line of its stdout (arg: a struct pkg_lines). */
	void	(*query_line)(char *line, void *arg);
	/* The candidate-version query (newest available), words then the
	 * names, or NULL when the provider cannot say: then "latest"
	 * always asks the tool. */
	const char *const *candidates;
	void	(*candidate_line)(char *line, void *arg);	/* stdout */
	/* Reads one line of its stderr (arg: the struct pkg_set), marking
	 * with pkg_set_unknown() the names no repository has. NULL: the
	 * tool prints nothing for those, so every entry left with neither
	 * version is unknown. */
	void	(*unknown_line)(char *line, void *arg);
	/* How it installs and removes, or NULL when
	 * txn_argv builds the commands (apt: one command does both). */
	const struct prov_txn_words *txn;
	/* Adds up to 2 argvs to cmds[0..1]; returns how many. */
	int	(*txn_argv)(struct argv cmds[2], const struct pkg_want *w,
		    size_t n, unsigned lock_s);
	/* Extra environment for every command, or NULL. */
	const char *const *env;
	/* The tool installs only the version its repositories hold
	 * (pacman): another version asked for is refused when planning. */
	int	 is_repo_version_only;
};

/* Adds to a the query for names[0..n): the installed-state one, or the
 * candidate one when is_candidate (p->candidates is then not NULL). */
void	pkg_query_argv(const struct pkg_provider *p, int is_candidate,
	    struct argv *a, const char *const *names, size_t n);
/* Reads the query's stdout into set (entries for the names it reports;
 * a line it cannot read is skipped). */
void	pkg_parse_query(const struct pkg_provider *p, const char *out,
	    size_t len, struct pkg_set *set);
/* Reads the candidate query's stdout and stderr into set: candidates, and
 * names the repositories lack (is_unknown, with the tool's message when it
 * gives one). */
void	pkg_parse_candidates(const struct pkg_provider *p, const char *out,
	    size_t len, const char *errout, size_t errlen,
	    struct pkg_set *set);
/* The commands of one transaction (installs and removals), in the order
 * to run them: adds up to 2 argvs to cmds[0..1]; returns how many. lock_s
 * is the lock wait the tool itself should allow. */
int	pkg_txn_argv(const struct pkg_provider *p, struct argv cmds[2],
	    const struct pkg_want *w, size_t n, unsigned lock_s);

/* The providers, NULL-terminated, in detection order. */
extern const struct pkg_provider *const pkg_providers[];
const struct pkg_provider *pkg_provider_find(const char *name);
/* The first provider whose probe exists under root, or NULL. */
const struct pkg_provider *pkg_provider_detect(const char *root);

/* Names of the package providers, "apt, dnf, ...", for docs. */
#define PKG_PROVIDER_NAMES \
	"apt (dpkg), dnf, yum (rpm), apk, pacman, pkg (FreeBSD), pkg_add " \
	"(OpenBSD)"
/*
 * How far each provider is proven, one line each, for `tlaloc resources`
 * and docs/resources-system.md. "Tested live" means a system test
 * converges through the real tool in a throwaway root; "captured output"
 * means only the parsers ran, on the tool's real output
 * (tests/system/captures/README.md says where each came from).
 */
#define PKG_PROVIDER_PROOF \
	"apt (dpkg): tested live (Debian 12: apt 2.6, dpkg 1.21)\n" \
	"dnf (rpm): tested live (Debian's dnf 4.14, rpm 4.18, createrepo_c " \
	"0.17)\n" \
	"yum (rpm): rpm side tested live; yum and repoquery never run " \
	"(only the command lines are unit-tested)\n" \
	"apk: tested against captured output (apk info -v, Alpine 3.20)\n" \
	"pacman: tested live (Debian's pacman 6.0.2, makepkg, repo-add)\n" \
	"pkg (FreeBSD): tested against a sample written from pkg-query(8); " \
	"no real capture yet\n" \
	"pkg_add (OpenBSD): tested against captured output (pkg_info; " \
	"release not stated)\n"

/* Backends, exposed for the unit tests. */
extern const struct pkg_provider pkg_apt, pkg_dnf, pkg_yum, pkg_apk,
    pkg_pacman, pkg_freebsd, pkg_openbsd;

/* What the backends share. */

/* Sets name's installed or candidate version (as l says) to a copy of
 * version, replacing the one before (the last line wins), adding name
 * when missing. Returns the entry, borrowed until the set changes. */
struct pkg_state *pkg_lines_put(struct pkg_lines *l, const char *name,
	    const char *version);

/* Marks name unknown (adding it when missing), with msg, the tool's own
 * words, copied as its unknown_msg. */
void	pkg_set_unknown(struct pkg_set *s, const char *name, const char *msg);

/* Adds w's name to a, as name, version_sep and version when w wants a
 * version and version_sep is not NULL. */
void	prov_add_want(struct argv *a, const struct pkg_want *w,
	    const char *version_sep);

/* ------------------------------------------------------------------ */
/* services */

struct svc_state {
	int	 exists;	/* the service is known (unit, script) */
	int	 is_running;
	int	 is_enabled;
};

struct svc_provider {
	const char	*name;		/* "systemd", "sysv", ... */
	/* Is this provider the tree's init system? */
	int	(*detect)(const char *root);
	/* Observes one service. Changes nothing. is_running may be left 0
	 * when root is not "/" and nothing can run there. */
	int	(*observe)(const char *root, const char *name,
		    struct svc_state *st, struct tl_err *err);
	/* start, stop, restart, reload: one action on a running system. */
	int	(*action)(const char *root, const char *name, const char *verb,
		    struct tl_err *err);
	/* Enables (on = 1) or disables boot start; offline where the tool
	 * allows it. */
	int	(*enable)(const char *root, const char *name, int on,
		    struct tl_err *err);
};

extern const struct svc_provider *const svc_providers[];
const struct svc_provider *svc_provider_find(const char *name);
const struct svc_provider *svc_provider_detect(const char *root);
extern const struct svc_provider svc_systemd, svc_sysv, svc_openrc,
    svc_freebsd, svc_rcctl;

#define SVC_PROVIDER_NAMES \
	"systemd, sysv (/etc/init.d with update-rc.d, insserv or " \
	"chkconfig), openrc, freebsd (service, sysrc), rcctl (OpenBSD)"
#define SVC_PROVIDER_PROOF \
	"systemd: enable/disable tested live offline (systemctl --root, " \
	"systemd 252); start/stop never run here (PID 1 is not systemd)\n" \
	"sysv: tested live (Debian 12 init scripts, update-rc.d from " \
	"init-system-helpers 1.65)\n" \
	"openrc: tested live (Debian's openrc 0.45.2 in a throwaway root)\n" \
	"freebsd: tested against captured output (rc.conf of a FreeBSD " \
	"desktop; release not stated)\n" \
	"rcctl (OpenBSD): tested against captured output (rcctl ls on, " \
	"OpenBSD 7.6)\n"

#define SVC_TIMEOUT_MS	(90u * 1000)	/* arbitrary: a slow stop */

/*
 * observe() for an init system whose services are executable scripts in
 * dir, running when the status command exits 0, and enabled when listed()
 * finds name in the output of the list command (OpenRC, rcctl). status and
 * list are NULL-terminated words.
 */
int	svc_observe_listed(const char *root, const char *name, const char *dir,
	    const char *const *status, const char *const *list,
	    int (*listed)(const char *out, const char *name),
	    struct svc_state *st, struct tl_err *err);

/* Parsers, exposed for the unit tests. */
/* `systemctl is-enabled` words: enabled, static, alias... -> 1. */
int	svc_systemd_enabled_word(const char *word);
/* rc.conf text: is NAME_enable (FreeBSD) "YES"? */
int	svc_freebsd_rcconf_enabled(const char *text, const char *name);
/* `rcctl ls on` output: is name listed? */
int	svc_rcctl_listed(const char *out, const char *name);
/* `rc-update show -v` output: does name run in runlevel "default"? */
int	svc_openrc_in_default(const char *out, const char *name);

/* ------------------------------------------------------------------ */
/* accounts */

/* One passwd entry (and its shadow hash), read from the tree's files. */
struct acct_user {
	char	*name;
	long	 uid, gid;
	char	*comment, *home, *shell;
	char	*hash;		/* from shadow/master.passwd; secret */
};

/* One group entry. */
struct acct_group {
	char	*name;
	long	 gid;
	char	**members;
	size_t	  nmembers;
};

/* Parsers over the text of passwd, master.passwd (10 fields), shadow and
 * group. Each returns 1 and fills its out-parameter when found, else 0. */
int	acct_passwd_find(const char *text, const char *name,
	    struct acct_user *u);
int	acct_shadow_hash(const char *text, const char *name, char **hash);
int	acct_group_find(const char *text, const char *name,
	    struct acct_group *g);
/* The name of the user (group) with this id other than except, or NULL;
 * caller frees. For "uid already taken" messages. */
char	*acct_uid_owner(const char *passwd, long uid, const char *except);
char	*acct_gid_owner(const char *group, long gid, const char *except);
/* Names of the groups listing user as a member, sorted, NULL-terminated;
 * free with acct_names_free(). */
char	**acct_groups_of(const char *group, const char *user, size_t *n);
void	acct_names_free(char **v);
void	acct_user_release(struct acct_user *u);
void	acct_group_release(struct acct_group *g);

/* What the recipe wants of an account; NULL/-1: leave alone. */
struct acct_spec {
	const char	 *name;
	long		  id;		/* uid or gid; -1 */
	const char	 *group;	/* primary group, name or number */
	const char *const *groups;	/* supplementary, exact set; or NULL */
	size_t		  ngroups;
	const char	 *home, *shell, *comment;
	int		  managehome;	/* create (add) or move (modify) */
	int		  purge_home;	/* delete: remove the home too */
	int		  is_system;
};

enum acct_op { ACCT_ADD, ACCT_MODIFY, ACCT_DELETE };

/* The tool for each acct_op, indexed by it: shadow's and OpenBSD's
 * programs and pw's subcommands all go by these names. */
extern const char *const acct_user_tools[];	/* useradd usermod userdel */
extern const char *const acct_group_tools[];	/* groupadd ... */

struct acct_provider {
	const char	*name;		/* "shadow", "pw", "openbsd" */
	const char	*secret_file;	/* "/etc/shadow", "/etc/master.passwd" */
	/* The command for op on a user or a group. root is passed for tools
	 * with a root flag; returns 1 when it took root (run it unchrooted),
	 * 0 when it must run chrooted. */
	int	(*user_argv)(struct argv *a, const char *root, enum acct_op op,
		    const struct acct_spec *s);
	int	(*group_argv)(struct argv *a, const char *root,
		    enum acct_op op, const struct acct_spec *s);
	/* Sets a password hash: argv plus the text for its stdin. */
	int	(*passwd_argv)(struct argv *a, const char *root,
		    const char *name, const char *hash, struct buf *input);
};

extern const struct acct_provider acct_shadow, acct_pw, acct_openbsd;
const struct acct_provider *acct_provider_find(const char *name);
/* pw on FreeBSD, useradd-with-master.passwd on OpenBSD, else shadow. */
const struct acct_provider *acct_provider_detect(const char *root);

/* "-G a,b,c": the exact supplementary set, as shadow's and the BSDs'
 * tools all take it. */
void	acct_argv_groups(struct argv *a, const struct acct_spec *s);
/* Runs a provider command for root (see user_argv's return). */
int	acct_run(const char *root, int took_root, const struct argv *a,
	    const char *input, struct tl_err *err);

#define ACCT_PROVIDER_NAMES \
	"shadow (useradd, usermod, userdel, groupadd ... with --root), " \
	"pw (FreeBSD), openbsd (useradd, usermod, groupadd)"
#define ACCT_PROVIDER_PROOF \
	"shadow: tested live (Debian 12's passwd 4.13)\n" \
	"pw (FreeBSD): never run here (only the command lines are " \
	"unit-tested)\n" \
	"openbsd: never run here (only the command lines are unit-tested)\n"

#endif
