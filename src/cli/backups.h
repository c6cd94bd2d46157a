#ifndef TLALOC_CLI_BACKUPS_H
#define TLALOC_CLI_BACKUPS_H

/* Shared by backups.c and backups_from.c (tlaloc backups). */

#include <stddef.h>

struct bucket;
struct bucket_entry;
struct tl_err;

/* "2026-11-25T09:30:01Z", or the number when it cannot be formatted. */
void	cli_iso_time(long long t, char *s, size_t n);
/* "restore-<UTC stamp>": the run id of a restore's own backup. */
char	*cli_restore_run_id(void);
/* bucket_restore_entry() of e beneath root (NULL: "/"), with its own run
 * id, its temporary file noted in STATE/tmp (swept if it is killed);
 * fills saved and err the same way. */
int	cli_restore_entry(struct bucket *b, const struct bucket_entry *e,
	    const char *root, const char *state_flag, char saved[16],
	    struct tl_err *err);
/* Tells what a restore did; r is bucket_restore_entry()'s result. */
void	cli_restore_say(const struct bucket_entry *e, const char *root, int r,
	    const char *saved);
/*
 * restore PATH --from PEER: asks the local agent to fetch this node's
 * backup of path from peer (the newest, or the one saved at time), or
 * that of origin (hex node id of a former self, NULL: this node), then
 * puts it into our bucket and restores it under root; with is_list only
 * prints what peer holds. Returns the exit status.
 */
int	cli_backups_from(const char *state_flag, const char *peer,
	    const char *path, const char *time, int is_list, const char *origin,
	    const char *root);
/*
 * recover --from PEER --origin ID --key OPERATOR.key: fetches origin's
 * escrow from peer through the agent, opens it with the operator's key
 * and keeps the backup key in STATE_DIR/backup-keys/. Exit status.
 */
int	cli_backups_recover(const char *state_flag, const char *peer,
	    const char *origin, const char *keyfile);

#endif
