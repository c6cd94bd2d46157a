#ifndef TLALOC_BOOTSTRAP_BOOTSTRAP_H
#define TLALOC_BOOTSTRAP_BOOTSTRAP_H

/*
 * Bootstrap artifacts: text that turns a new machine into a cluster member
 * (docs/bootstrap.md). Every kind installs the binary from the chosen
 * source, writes the cluster keyring (0600), the operator trust files and
 * the agent config, starts the agent as a service and joins the cluster.
 *
 * Everything a caller passes is validated here before it is embedded, so
 * no value can break out of the shell, YAML, Puppet or Ruby quoting it
 * lands in: keys are re-encoded from their parsed form, other values are
 * limited to characters that need no quoting.
 */

#include <stddef.h>

#include "core/buf.h"

struct tl_err;

enum bootstrap_install {
	BOOTSTRAP_FROM_NONE,	/* the binary is already at --bin */
	BOOTSTRAP_FROM_URL,	/* a .deb, .rpm or .tar.gz to download */
	BOOTSTRAP_FROM_PKG	/* the OS package manager, package "tlaloc" */
};

#define BOOTSTRAP_LIST_MAX	32

/*
 * How the new node takes part in the cluster: what both a bootstrap
 * artifact and `tlaloc init` write into its agent.conf, and what the
 * flags --join, --tag, --trust, --pack, --policy-from and --port set.
 */
struct bootstrap_member {
	const char	*joins[BOOTSTRAP_LIST_MAX];
	size_t		 njoins;
	const char	*tags[BOOTSTRAP_LIST_MAX];	/* "k=v" */
	size_t		 ntags;
	const char	*trust_paths[BOOTSTRAP_LIST_MAX];
	size_t		 ntrust;
	const char	*pack;
	const char	*policy_from;
	int		 port;		/* 0: 7946 */
};

struct bootstrap_opts {
	const char	*via;		/* a kind name, see bootstrap_kinds() */
	const char	*part;		/* NULL: the whole artifact */
	struct bootstrap_member member;
	const char	*keyring_path;	/* NULL: leave a placeholder */
	enum bootstrap_install from;
	const char	*package_url;	/* with BOOTSTRAP_FROM_URL */
	const char	*bin;		/* NULL: the platform's default */
	int		 dhcp_option;	/* 0: 224 */
};

/* "cloud-init systemd ..." : the kind names, for usage messages. */
const char *bootstrap_kinds(void);

/*
 * Appends the artifact to out. TL_EINVAL with a sentence naming the bad
 * flag; TL_ENOENT/TL_EIO when a key file cannot be read. The cluster key
 * appears in out only, never in err.
 */
int	bootstrap_render(const struct bootstrap_opts *o, struct buf *out,
	    struct tl_err *err);

/* ---- tlaloc init: a node's config and keys ------------------------- */

struct bootstrap_node {
	const char	*config_dir;	/* agent.conf and keyring go here */
	const char	*state_dir;	/* node.key goes here */
	const char	*name;		/* NULL: the agent's default */
	const char	*advertise;	/* NULL: found from the route */
	struct bootstrap_member member;
	int		 force;		/* rewrite an existing agent.conf */
};

struct bootstrap_node_result {
	int	wrote_config;		/* 0: kept the existing one */
	int	made_keyring;		/* 1: a new cluster was founded */
	char	node_id[17];		/* first 8 bytes of the key, hex */
	char	advertise[80];		/* what the config says */
};

/*
 * Writes config_dir/agent.conf (commented; kept unless force), creates
 * config_dir/keyring (0600) when absent and state_dir/node.key when
 * absent. Existing keys are never replaced.
 */
int	bootstrap_node_init(const struct bootstrap_node *n,
	    struct bootstrap_node_result *res, struct tl_err *err);

#endif
