#ifndef TLALOC_AGENT_REPLICA_INT_H
#define TLALOC_AGENT_REPLICA_INT_H

/* Shared by replica_push.c and replica_serve.c: bucket replication. */

#include <stddef.h>
#include <stdint.h>

#include "core/strmap.h"
#include "net/stream.h"

struct agent;
struct buf;

#define REPL_BUSY_MAX	16	/* peers pushed to at once (k <= 16) */

struct agent_repl {
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
};

/* Marks entry id as sent to peer ("" marks a too-big entry). */
void	repl_sent_mark(struct agent_repl *r, const char *id, const char *peer);
/* Signs msg (a request), seals it as PKT_REPLICA and sends it to addr;
 * fn gets the raw reply. 0, or < 0 when nothing was sent. */
int	agent_repl_send(struct agent *a, const char *addr, struct buf *msg,
	    stream_reply_fn fn, void *ctx);
/* Opens a PKT_REPLICA reply into body; < 0 (counted) when it fails. */
int	agent_repl_open_reply(struct agent *a, const uint8_t *p, size_t len,
	    struct buf *body);

#endif
