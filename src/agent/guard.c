/*
 * Transport guards (docs/protocol.md, docs/security.md). The TCP
 * listener gets a guard against strangers (net/stream.h): a connection
 * must show a sealed frame's header (our version, a TCP type, a key id
 * in our ring) within GUARD_FIRST_MS before it takes one of the places
 * that may buffer a frame, and one address holds at most
 * GUARD_PER_SOURCE connections. Every refusal, here or in the packet
 * layer, is counted in `tlaloc info` and logged once per sender and
 * reason, so a flood costs one log line, not one per packet.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/stream.h"

#define GUARD_FIRST_MS		2000	/* length + header of a frame */
#define GUARD_PENDING_MAX	64	/* connections waiting for it */
#define GUARD_PER_SOURCE	8	/* connections from one address */
#define GUARD_SEEN_MAX		256	/* (reason, sender) pairs logged */

/* Every sealed type except the UDP datagram may arrive over TCP. */
#define GUARD_TCP_TYPES	(~((uint32_t)1 | (uint32_t)1 << PKT_UDP))

struct guard_seen {
	char		host[ADDR_STR_MAX];
	int		why;
};

struct agent_guard {
	struct guard_seen seen[GUARD_SEEN_MAX];
	size_t		 nseen;		/* slots used; then round robin */
	size_t		 next;
};

static const char *const refusal_text[] = {
	[STREAM_REFUSED_FULL] = "TCP connection refused: every place taken",
	[STREAM_REFUSED_SOURCE] = "TCP connection refused: too many from "
	    "one address",
	[STREAM_REFUSED_EVICTED] = "TCP connection closed: it sent no frame "
	    "header while newer ones waited",
	[STREAM_REFUSED_FIRST] = "TCP connection closed: no frame header "
	    "within 2 s",
	[STREAM_REFUSED_SLOW] = "TCP connection closed: its frame came too "
	    "slowly",
	[STREAM_REFUSED_HEADER] = "TCP connection closed: not a sealed frame "
	    "for our keyring",
};

/* The address without its port ("ip:port", "[v6]:port"). */
static void
guard_host(const char *from, char out[ADDR_STR_MAX])
{
	const char *end = strrchr(from, ':');
	size_t n = end != NULL ? (size_t)(end - from) : strlen(from);

	if (n > 1 && from[0] == '[' && from[n - 1] == ']') {
		from++;
		n -= 2;
	}
	snprintf(out, ADDR_STR_MAX, "%.*s", (int)n, from);
}

int
agent_guard_note(struct agent *a, int why, const char *from,
    const char *what, const char *detail)
{
	struct agent_guard *g = a->guard;
	char host[ADDR_STR_MAX];
	struct guard_seen *s;

	if (g == NULL)
		return 0;
	guard_host(from, host);
	for (size_t i = 0; i < g->nseen; i++)
		if (g->seen[i].why == why &&
		    strcmp(g->seen[i].host, host) == 0)
			return 0;
	if (g->nseen < GUARD_SEEN_MAX)
		s = &g->seen[g->nseen++];
	else {
		s = &g->seen[g->next];
		g->next = (g->next + 1) % GUARD_SEEN_MAX;
	}
	s->why = why;
	snprintf(s->host, sizeof(s->host), "%s", host);
	log_warn("%s from %s%s%s (logged once per sender; counted in tlaloc "
	    "info)", what, host, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	return 1;
}

static int
guard_check(void *ctx, const uint8_t *p, size_t n)
{
	struct agent *a = ctx;

	return pkt_peek(a->kr, GUARD_TCP_TYPES, p, n);
}

static void
guard_refused(void *ctx, enum stream_refusal why, const char *host)
{
	/* Every place taken is a load report, not a sender's fault. */
	if (why != STREAM_REFUSED_FULL)
		agent_guard_note(ctx, GUARD_WHY_TCP + (int)why, host,
		    refusal_text[why], NULL);
}

void
agent_guard_open(struct agent *a)
{
	struct stream_guard g = {
		.first_ms = GUARD_FIRST_MS,
		.peek = PKT_PEEK_LEN,
		.pending_max = GUARD_PENDING_MAX,
		.per_source = GUARD_PER_SOURCE,
		.check = guard_check,
		.note = guard_refused,
	};

	a->guard = xcalloc(1, sizeof(*a->guard));
	stream_srv_set_guard(a->tcp, &g);
}

void
agent_guard_free(struct agent *a)
{
	free(a->guard);
	a->guard = NULL;
}

void
agent_guard_on_drop(struct agent *a, const char *from, int rc)
{
	if (rc == TL_EAGAIN)
		agent_guard_note(a, GUARD_WHY_FUTURE, from, "packets stamped "
		    "beyond the 10 s clock-skew bound refused (is its clock "
		    "ahead?)", NULL);
}

void
agent_guard_info(const struct agent *a, struct buf *out, int json)
{
	const struct stream_stats *t = stream_srv_stats(a->tcp);

	buf_addf(out, json ? "\"tcp_refused_source\":%llu,"
	    "\"tcp_evicted\":%llu,\"tcp_first_timeouts\":%llu,"
	    "\"tcp_slow\":%llu,\"tcp_bad_header\":%llu,\"future\":%llu," :
	    "tcp connections refused from one address: %llu\n"
	    "tcp connections closed before a frame header: %llu evicted, "
	    "%llu timed out; %llu too slow; %llu bad header\n"
	    "packets stamped beyond the clock-skew bound: %llu\n",
	    (unsigned long long)t->refused_source,
	    (unsigned long long)t->evicted,
	    (unsigned long long)t->first_timeouts,
	    (unsigned long long)t->slow, (unsigned long long)t->bad_header,
	    (unsigned long long)a->st.pkt.future);
}
