/*
 * Frames that carry an answer back to an asker over TCP (a query reply,
 * a converge report), sealed with the cluster key. An asker accepts a
 * bounded number of connections at once (they carry frames not yet
 * authenticated), so when a whole channel answers together some are
 * refused. Each is tried again: at once, then from the 1 s tick,
 * FRAME_TRIES times in all.
 */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/stream.h"

#define FRAME_TIMEOUT_MS 10000
#define FRAME_TRIES	4

struct frame_send {
	struct agent		*a;
	struct frame_send	*next;		/* in agent_frames.retry */
	char			*addr;
	uint8_t			*pkt;
	size_t			 len;
	unsigned		 tries;
	const char		*what;		/* for the log */
	uint64_t		*sent, *failed;	/* counters to bump */
};

struct agent_frames {
	struct frame_send	*retry;		/* sent again by the tick */
	int			 is_closed;	/* sends in flight free */
};

static void frame_start(struct frame_send *fs);

static void
frame_free(struct frame_send *fs)
{
	free(fs->addr);
	free(fs->pkt);
	free(fs);
}

static void
frame_sent_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct frame_send *fs = ctx;
	struct agent *a = fs->a;

	(void)p;
	(void)len;
	if (a->frames == NULL || a->frames->is_closed) {
		frame_free(fs);
		return;
	}
	if (rc >= 0) {
		(*fs->sent)++;
		frame_free(fs);
	} else if (fs->tries >= FRAME_TRIES) {
		(*fs->failed)++;
		log_warn("%s to %s failed %u times; dropped", fs->what,
		    fs->addr, fs->tries);
		frame_free(fs);
	} else if (fs->tries == 1) {
		frame_start(fs);
	} else {
		fs->next = a->frames->retry;
		a->frames->retry = fs;
	}
}

static void
frame_start(struct frame_send *fs)
{
	fs->tries++;
	stream_request_tcp(fs->a->loop, fs->addr, fs->pkt, fs->len, 64,
	    FRAME_TIMEOUT_MS, frame_sent_cb, fs);
}

void
agent_frame_send(struct agent *a, const char *addr, uint8_t type,
    const struct buf *body, uint64_t *sent, uint64_t *failed)
{
	struct buf pkt = BUF_INIT;
	struct frame_send *fs;

	if (a->frames == NULL)
		a->frames = xcalloc(1, sizeof(*a->frames));
	if (a->frames->is_closed || pkt_seal(a->kr, NULL, type,
	    agent_wall_ms(), (uint8_t *)body->data, body->len, &pkt) < 0) {
		(*failed)++;
		buf_release(&pkt);
		return;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->a = a;
	fs->what = type == PKT_QREPLY ? "query reply" : "converge report";
	fs->sent = sent;
	fs->failed = failed;
	fs->addr = xstrdup(addr);
	fs->pkt = (uint8_t *)buf_detach(&pkt, &fs->len);
	frame_start(fs);
}

void
agent_frames_tick(struct agent *a)
{
	struct frame_send *fs;

	if (a->frames == NULL)
		return;
	fs = a->frames->retry;
	a->frames->retry = NULL;
	while (fs != NULL) {
		struct frame_send *next = fs->next;

		frame_start(fs);
		fs = next;
	}
}

void
agent_frames_close(struct agent *a)
{
	struct frame_send *fs;

	if (a->frames == NULL)
		return;
	/* Sends in flight free themselves when their callback comes. */
	a->frames->is_closed = 1;
	while ((fs = a->frames->retry) != NULL) {
		a->frames->retry = fs->next;
		frame_free(fs);
	}
}
