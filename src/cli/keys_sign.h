#ifndef TLALOC_CLI_KEYS_SIGN_H
#define TLALOC_CLI_KEYS_SIGN_H

/* keys_sign.c: the operator's statements for `tlaloc keys`. */

struct buf;

/*
 * Signs the statement for ctl_op (CTL_KEYS_INSTALL, _USE, _REMOVE) over
 * arg (a base64 key; use and remove take its 8-hex id too) with the
 * operator key in keyfile, as base64 into b64. 0, or 1 (the exit status;
 * the reason is printed).
 */
int	cli_keys_sign(const char *keyfile, int ctl_op, const char *arg,
	    struct buf *b64);
/* `tlaloc keys evict NODE --key FILE`: the exit status. */
int	cli_keys_evict(const char *state_dir, const char *node,
	    const char *keyfile, int flags);

/*
 * `tlaloc pack admit NODE... --key FILE` (nodes "*": every live member
 * tagged with a pack and not admitted yet): the exit status.
 */
int	cli_pack_admit(const char *state_dir, int nnodes, char **nodes,
	    const char *keyfile);

#endif
