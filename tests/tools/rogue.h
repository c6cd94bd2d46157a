#ifndef TLALOC_TESTS_TOOLS_ROGUE_H
#define TLALOC_TESTS_TOOLS_ROGUE_H

/*
 * tlaloc-rogue: a packet-crafting tool for the security tests
 * (tests/security/). It plays a member that holds the cluster key (or a
 * stranger that holds none) and says whatever it likes: any part kind
 * with any bytes (so any sender, epoch or serial it cares to claim),
 * any timestamp, any packet type over UDP or TCP, replays of captured
 * packets byte for byte, floods, and TCP connections that say nothing.
 * It links the project's own sealing code, so what it sends is exactly
 * what a member would, and nothing it sends is more than bytes.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Options shared by the subcommands (rogue.c parses them). */
struct rogue_opts {
	const char	*keyring;	/* --keyring FILE */
	const char	*key_id;	/* --key-id HEX8: seal with that key */
	const char	*to;		/* --to ADDR:PORT */
	const char	*bind;		/* --bind IP[:PORT] (source address) */
	const char	*save;		/* --save FILE: the sealed bytes */
	const char	*file;		/* --file FILE (raw) */
	const char	*send_hex;	/* --send-hex HEX (idle) */
	int		 type;		/* --type: a PKT_* number */
	int64_t		 stamp_off;	/* --stamp +MS / -MS from now */
	uint64_t	 stamp_abs;	/* --stamp @MS (0: use stamp_off) */
	long		 count;		/* --count N (1) */
	long		 rate;		/* --rate N per second (0: at once) */
	long		 conns;		/* --conns N (idle) */
	long		 hold_ms;	/* --hold MS (idle, listen) */
	long		 timeout_ms;	/* --timeout MS (TCP reply, listen) */
	int		 is_tcp;	/* --tcp (raw) */
	int		 is_quiet;	/* --quiet: counts only */
	struct buf	*body;		/* parts or TCP body built so far */
};

/* rogue_net.c */
/* Binds fd to o->bind when given; 0 or -1 (message printed). */
int	rogue_bind(int fd, const char *bind);
/* Fills out with datagram number i (out is empty on entry). */
typedef void (*rogue_next_fn)(void *ctx, long i, struct buf *out);
/*
 * Sends o->count datagrams made by next to o->to over UDP, at o->rate
 * per second (0: as fast as the kernel takes them); prints a summary
 * unless o->is_quiet. 0, or 1 when some could not be sent.
 */
int	rogue_udp_send(const struct rogue_opts *o, rogue_next_fn next,
	    void *ctx);
/*
 * One TCP exchange: writes the length-prefixed frame p, reads the answer
 * frame into reply (empty when the peer closed without one). Returns 0,
 * or -1 when the connection failed (message printed).
 */
int	rogue_tcp_exchange(const struct rogue_opts *o, const uint8_t *p,
	    size_t n, struct buf *reply);
/* `idle`: opens o->conns connections and reports what the peer did. */
int	rogue_idle(const struct rogue_opts *o);

/* rogue_forge.c: the forge-* subcommands (argv[1] names one). */
int	rogue_forge(int argc, char **argv);

/* Parses hex (whitespace allowed) into out; -1 when it is not hex. */
int	rogue_hex(const char *s, struct buf *out);
/* Prints p as lowercase hex and a newline. */
void	rogue_print_hex(const uint8_t *p, size_t n);
/* Wall clock, unix ms. */
uint64_t rogue_now_ms(void);

#endif
