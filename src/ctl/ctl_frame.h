#ifndef TLALOC_CTL_CTL_FRAME_H
#define TLALOC_CTL_CTL_FRAME_H

/*
 * Typed control-socket replies a program acts on (core/codec.h), so no
 * client reads a cursor or a query id out of free text:
 *
 *   started  CTL_RUN:          [id (16 bytes), expected uint]
 *   cursor   CTL_RUN_POLL,     [cursor uint, done bool, ok bool,
 *            CTL_LISTEN,        text bytes]
 *            CTL_CONVREQ_POLL
 *
 * text is what a human reads (lines, JSON lines with CTL_F_JSON); a
 * decoder refuses a frame with fewer or more items or trailing bytes.
 * Error replies (status 1) stay plain text.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;

#define CTL_FRAME_ID_LEN	16	/* a query id (cluster/query.h) */
#define CTL_FRAME_TEXT_MAX	(16u << 20)	/* CTL_REPLY_MAX */

struct ctl_started {
	uint8_t		 id[CTL_FRAME_ID_LEN];
	uint64_t	 expected;	/* nodes the filter matched */
};

struct ctl_cursor {
	uint64_t	 cursor;	/* where the next poll starts */
	int		 done;		/* no more will come */
	int		 ok;		/* done, and all went well */
	const char	*text;		/* into the frame, not terminated */
	size_t		 len;
};

void	ctl_started_encode(const struct ctl_started *s, struct buf *out);
/* 0, or TL_ETRUNC/TL_EINVAL on bytes that are not exactly one frame. */
int	ctl_started_decode(const uint8_t *p, size_t n, struct ctl_started *s);
void	ctl_cursor_encode(const struct ctl_cursor *c, struct buf *out);
/* As ctl_started_decode; c->text points into p. */
int	ctl_cursor_decode(const uint8_t *p, size_t n, struct ctl_cursor *c);

#endif
