#ifndef TLALOC_BOOTSTRAP_BOOTSTRAP_INT_H
#define TLALOC_BOOTSTRAP_BOOTSTRAP_INT_H

/* Shared by the files of src/bootstrap only. */

#include "bootstrap/bootstrap.h"

/* Where a service manager family puts things. */
struct bs_layout {
	const char	*init;		/* systemd sysv openrc freebsd openbsd */
	const char	*bin;
	const char	*etc;
	const char	*state;
	const char	*service_path;	/* where the definition goes */
	const char	*template;	/* from dist/, embedded */
};

/* A --trust file, checked and re-encoded. */
struct bs_trust {
	char		 name[64];	/* basename on the target, *.pub */
	struct buf	 text;		/* public-key lines */
};

/* The validated options with their files read. */
struct bs_ctx {
	const struct bootstrap_opts *o;
	struct buf	 keyring;	/* key lines, empty: placeholder */
	struct bs_trust	 trust[BOOTSTRAP_LIST_MAX];
	size_t		 ntrust;
	int		 port;
	int		 dhcp_option;
};

/* Every service manager, in the order the installer tries them. */
extern const char *const bs_all_inits[];

#define BS_PLACEHOLDER	"TLALOC-CLUSTER-KEY-PLACEHOLDER"

/* A @NAME@ token of a template and its text. */
struct bs_var {
	const char	*name;
	const char	*value;
};

/* Appends tmpl with every @NAME@ of vars replaced; others stay as they are. */
void	bs_fill(struct buf *out, const char *tmpl, const struct bs_var *vars,
	    size_t n);

const struct bs_layout *bs_layout(const char *init);
/* The layout's binary, unless --bin overrides it. */
const char *bs_bin(const struct bs_ctx *c, const struct bs_layout *l);
/* The service definition of layout l with its paths filled in. */
void	bs_service_text(const struct bs_ctx *c, const struct bs_layout *l,
	    struct buf *out);
/*
 * agent.conf for the target, as `tlaloc init` writes it. advertise is
 * copied verbatim, so a caller can put an interpolation there.
 */
void	bs_config_text(const struct bootstrap_node *n, const char *advertise,
	    struct buf *out);
/* A struct bootstrap_node matching the options, paths under etc. */
void	bs_node_from_opts(const struct bs_ctx *c, const char *etc,
	    const char *state, struct buf *trust_paths,
	    struct bootstrap_node *n);
/* Appends text with every line prefixed by indent. */
void	bs_indent(struct buf *out, const char *indent, const char *text);

/*
 * The installer script. inits: the service managers it supports (one, or
 * several picked at run time); dhcp: also install the DHCP hooks instead
 * of joining fixed seeds; keys_outside: the keyring is written by the
 * wrapper (cloud-init), so the script only checks it.
 */
void	bs_installer(const struct bs_ctx *c, const char *const *inits,
	    int dhcp, int keys_outside, struct buf *out);
/* `set -- "$@" --tag ...` lines giving tlaloc init the options. */
void	bs_init_args(const struct bs_ctx *c, int joins, const char *indent,
	    struct buf *b);
/* install_dhcp_hooks(), a shell function of the dhcp installer. */
void	bs_dhcp_install_funcs(const struct bs_ctx *c, struct buf *out);
void	bs_dhcp_hook(const struct bs_ctx *c, const char *which,
	    struct buf *out);
/* The join helper the DHCP hooks call, for layout l. */
void	bs_dhcp_helper(const struct bs_ctx *c, const struct bs_layout *l,
	    struct buf *out);
void	bs_dhcp_server_doc(const struct bs_ctx *c, struct buf *out);

int	bs_cloud_init(const struct bs_ctx *c, struct buf *out);
int	bs_puppet(const struct bs_ctx *c, struct buf *out);
int	bs_chef(const struct bs_ctx *c, struct buf *out);

#endif
