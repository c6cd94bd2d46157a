#ifndef TLALOC_FACTS_FACTS_INT_H
#define TLALOC_FACTS_FACTS_INT_H

/*
 * Internals shared by the src/facts files and tests/unit/test_facts.c: one
 * gatherer per source, and the pure parsers behind them (unit-tested on
 * any OS). Built-in gatherers never fail: a fact they cannot read is left
 * out, with a debug line in the log.
 */

#include <stddef.h>

struct buf;
struct facts;
struct tl_err;

/* --- os.c: os, kernel, kernel_version, arch, distribution, version,
 * codename, family --- */

void	facts_gather_os(struct facts *f, const char *root);

/*
 * Finds NAME=value in os-release text (shell-like quoting: "..." with \\,
 * \", \$, \` escapes, or '...') and appends the unquoted value to out.
 * Returns 1 when found, 0 when not (out untouched).
 */
int	facts_osrel_get(const char *text, size_t len, const char *name,
	    struct buf *out);

/*
 * The family for an os-release ID and ID_LIKE (either may be NULL):
 * "debian", "redhat", "suse", "alpine", "arch" or "bsd", from ID first,
 * then each word of ID_LIKE. Returns a static string, or NULL if unknown.
 */
const char *facts_family_of(const char *id, const char *id_like);

/* Appends the leading "digits(.digits)*" of a release string to out:
 * "6.1.0-18-amd64" -> "6.1.0", "14.0-RELEASE-p3" -> "14.0". */
void	facts_numeric_version(const char *release, struct buf *out);

/* --- hw.c: cpus, memory_mb, uptime_seconds --- */

void	facts_gather_hw(struct facts *f);

/* --- net.c: hostname, name, fqdn, interfaces.*, ipaddress, ipaddress6 */

/* In two halves, gathered apart: hostname, name, fqdn (uname and
 * /etc/hosts); interfaces.*, ipaddress, ipaddress6 (getifaddrs). */
void	facts_gather_names(struct facts *f);
void	facts_gather_interfaces(struct facts *f);

/*
 * Finds the domain name of host `shortname` in /etc/hosts text: the first
 * name on a line naming shortname that reads "shortname.domain". Appends
 * it to out and returns 1, or returns 0.
 */
int	facts_fqdn_from_hosts(const char *text, size_t len,
	    const char *shortname, struct buf *out);

/* Appends an interface name made fit for one key segment: every byte but
 * letters, digits, '_' and '-' becomes '_' ("eth0.100" -> "eth0_100"). */
void	facts_ifname_key(const char *name, struct buf *out);

/* --- sys.c: package_manager, init_system, timezone --- */

/* Needs os and family already in f. */
void	facts_gather_sys(struct facts *f, const char *root);

/* The package manager for os/family (either may be NULL) given the
 * binaries under root; a static string, or NULL when none is known. */
const char *facts_detect_pkg(const char *os, const char *family,
	    const char *root);

/* The init system under root for os; a static string, or NULL. */
const char *facts_detect_init(const char *os, const char *root);

/* --- user.c: facts.d --- */

#define FACTS_USER_TIMEOUT_MS	10000	/* per fact program */
#define FACTS_USER_MAX_BYTES	65536	/* per file or program output */
#define FACTS_USER_MAX_FILES	256	/* entries read from facts.d */

/*
 * Reads every user fact file and runs every fact program in dir (see
 * docs/facts.md). A missing dir is fine unless must_exist. Errors as for
 * facts_gather().
 */
int	facts_gather_user(struct facts *f, const char *dir, int must_exist,
	    struct tl_err *err);

/*
 * Parses key=value lines ('#' comments, blank lines, surrounding blanks and
 * a final '\r' ignored) into f. A bad line fails with TL_ESYNTAX and
 * err->where "file:line" (file is only used for that). Lines before the
 * bad one are set already.
 */
int	facts_parse_lines(struct facts *f, const char *text, size_t len,
	    const char *file, struct tl_err *err);

#endif
