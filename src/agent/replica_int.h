#ifndef TLALOC_AGENT_REPLICA_INT_H
#define TLALOC_AGENT_REPLICA_INT_H

/* Shared by replica_push.c and replica_serve.c: bucket replication. */

#include <stddef.h>
#include <stdint.h>

#include "agent/agent_int.h"
#include "agent/replica.h"
#include "bucket/replica.h"
#include "core/buf.h"
#include "core/strmap.h"
#include "net/stream.h"

struct tl_err;

#define REPL_BUSY_MAX	16	/* peers pushed to at once (k <= 16) */

struct agent_repl {
	/* Our backup secret: derived from the node key (net/ident.h). */
	uint8_t		 secret[REPL_SECRET_LEN];
	/* Our ESCROW request, unsigned ("" when we trust no operator). */
	struct buf	 escrow;
	char		 escrow_stamp[16];	/* "escrow-" 8 hex */
	struct strmap	 sent;		/* "id\tpeer" -> 1 (0: forgotten) */
	char		*sent_path;
	/* Peers (node key hex) with a PUSH in flight: one each at most. */
	char		 busy[REPL_BUSY_MAX][17];
	uint64_t	 next_scan_ms;
	char		*idle_stamp;	/* the last scan found nothing to send */
	unsigned	 n_jobs;	/* PUSHes being stored by workers */
	uint64_t	 n_sent;	/* entries a peer acknowledged */
	uint64_t	 n_bytes_sent;	/* their PUSH frames, on the wire */
	uint64_t	 n_stored;	/* peers' entries we stored */
	uint64_t	 n_refused;	/* frames or entries we refused */
	uint64_t	 n_too_big;	/* ours, over REPL_ENTRY_MAX */
	size_t		 n_peers;	/* chosen at the last scan */
	int		 is_alone;	/* no peer to keep copies: said */
};

/* Sends backups not yet replicated (after a converge; at most one push
 * in flight per peer). */
void	agent_repl_kick(struct agent *a);
/* replica_serve.c, replica_ask.c: the table entry's pieces. */
int	agent_repl_on_frame(struct agent *a, struct stream_conn *c,
	    uint8_t type, const uint8_t *p, size_t len);
void	agent_repl_info(const struct agent *a, struct buf *out, int json);
/* CTL_BACKUPS_FROM: list or fetch our backups held by a peer. */
void	agent_repl_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);

/* Marks entry id as sent to peer ("" marks a too-big entry). */
void	repl_sent_mark(struct agent_repl *r, const char *id, const char *peer);
/* Signs msg (a request), seals it as PKT_REPLICA and sends it to addr;
 * fn gets the raw reply. 0, or < 0 when nothing was sent. */
int	agent_repl_send(struct agent *a, const char *addr, struct buf *msg,
	    stream_reply_fn fn, void *ctx);
/* replica_keys.c: the backup secret, the escrow, recovered origins. */
/* Derives the secret and builds the escrow; from agent_repl_open(). */
void	agent_repl_keys_open(struct agent *a);
/* 1 when peer (agent_id_hex) should get our escrow before backups. */
int	agent_repl_escrow_due(struct agent *a, const char *peer);
/* Appends our ESCROW request (unsigned) to msg. */
void	agent_repl_escrow_msg(struct agent *a, struct buf *msg);
/*
 * The backup secret of origin: ours, or one recovered from an escrow
 * into STATE_DIR/backup-keys/ (`tlaloc backups recover`). 0, or
 * TL_ENOENT with err.
 */
int	agent_repl_secret(struct agent *a, const uint8_t origin[REPL_ID_LEN],
	    uint8_t secret[REPL_SECRET_LEN], struct tl_err *err);

#endif
