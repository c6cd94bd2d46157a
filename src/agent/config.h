#ifndef TLALOC_AGENT_CONFIG_H
#define TLALOC_AGENT_CONFIG_H

/*
 * Agent settings from an optional config file (`key = value` lines, '#'
 * comments) and command-line flags, which override the file. The same
 * names are used in both: name, bind, advertise, join (repeatable),
 * keyring, tag (repeatable, k=v), state_dir (flag --state-dir), profile
 * (lan|wan|local), log_level (flag --log-level), trust (repeatable: a file
 * of operator public keys whose signatures authorize queries that execute
 * and policy bundles; read when the setting is loaded, so a bad file stops
 * the start with its file:line), root (converge a scratch tree instead of
 * /), interval and splay (seconds between scheduled converges, and the
 * largest per-node offset), enforce (yes|no; flag --no-enforce),
 * backup_max_age and backup_max_size (bucket retention: "30d", "500M"),
 * bucket_replicas and replica_max_bytes (docs/backups.md: how many
 * peers keep copies of our backups, and how much we keep of each peer's),
 * log_format (text|json), log_target (stderr|syslog|FILE), log_max_size
 * and log_keep (a FILE target's rotation: "10M", 5; docs/agent.md),
 * pack (docs/pack.md; also the tag pack=NAME), pack_expect, program,
 * program_key and program_interval (docs/programs.md: a program the
 * pack's leader runs on a schedule), http and http_token (docs/http.md:
 * the read-only HTTP endpoint's ADDR:PORT, and the file holding the
 * bearer token non-local clients must send), and
 * policy_from (flag
 * --policy-from: ADDR:PORT of the member to fetch the published policy
 * from; written by `tlaloc bootstrap --policy-from`).
 *
 * Repeatable settings: joins given as flags replace the file's joins; a
 * tag flag replaces the file's tag with the same key.
 */

#include <stddef.h>

#include "bucket/bucket.h"
#include "core/buf.h"
#include "net/opkey.h"
#include "agent/svc_config.h"

struct tl_err;

enum agent_profile { AGENT_LAN, AGENT_WAN, AGENT_LOCAL };

#define AGENT_JOINS_MAX	64

struct agent_config {
	char		*config_path;	/* NULL when no --config */
	char		*name;		/* default: the host name */
	char		*bind;		/* "ip:port"; default 0.0.0.0:7946 */
	char		*advertise;	/* default: bind (must be specific) */
	char		*keyring_path;	/* default /etc/tlaloc/keyring */
	char		*state_dir;	/* default $TLALOC_STATE_DIR or
					   /var/lib/tlaloc */
	char		*joins[AGENT_JOINS_MAX];
	size_t		 njoins;
	char		*policy_from;	/* NULL when unset */
	struct buf	 tags;		/* "k=v\0k=v\0" (swim's format) */
	struct opkey_trust trust;	/* every --trust file's keys */
	enum agent_profile profile;
	int		 log_level;	/* enum log_level */
	int		 log_format;	/* enum log_format */
	char		*log_target;	/* "stderr", "syslog" or a path */
	unsigned long long log_max_size; /* rotate a file past this */
	unsigned	 log_keep;	/* rotated files kept */
	char		*root;		/* converge this tree, not "/" */
	unsigned	 interval_s;	/* scheduled converge; 0 = never */
	unsigned	 splay_s;	/* per-node offset, 0..splay_s */
	int		 is_no_enforce;	/* report drift, change nothing */
	struct bucket_retention backups; /* pruned after each converge */
	char		*backup_age, *backup_size; /* as given, for re-parse */
	char		*pack;		/* NULL: in no pack; also tag pack= */
	unsigned	 pack_expect;	/* voters of a new pack (bootstrap) */
	char		*program;	/* run on the pack leader's schedule */
	char		*program_key;	/* operator key it may sign with */
	unsigned	 program_interval_s;
	unsigned	 bucket_replicas; /* peers keeping our backups; 0 off */
	unsigned long long replica_max_bytes; /* per origin we keep */
	struct svc_config svc;		/* services, DNS (agent/svc_config.h) */
	char		*http;		/* "ip:port" of the HTTP endpoint;
					   NULL: off */
	char		*http_token;	/* file with the bearer token */
};

void	agent_config_init(struct agent_config *c);
void	agent_config_release(struct agent_config *c);

/*
 * Fills c from argv (argv[0] is the subcommand) and the --config file it
 * names, then applies defaults. On a bad flag, file line or value returns
 * < 0 with a sentence naming the setting in err.
 */
int	agent_config_load(struct agent_config *c, int argc, char **argv,
	    struct tl_err *err);

/* Applies the log settings of c (level, format, target, rotation); fails
 * when the log file cannot be opened, keeping the old target. */
int	agent_config_log(const struct agent_config *c, struct tl_err *err);

/*
 * Adds or replaces tag "k=v" in a swim tag list. TL_EINVAL when kv has no
 * '=' or an empty key. With is_delete, kv may be just "k".
 */
int	agent_tags_apply(struct buf *tags, const char *kv, int is_delete,
	    struct tl_err *err);

/*
 * Prefixes err's message with "prefix: " (err->msg cannot be passed to
 * tl_err_set() as an argument: it is the destination). Returns code.
 */
int	agent_err_wrap(struct tl_err *err, int code, const char *prefix);

#endif
