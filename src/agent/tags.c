/*
 * The node's tags, with one owner. What a node says about itself in its
 * signed membership statement is built here, in one place, from what
 * each part contributes: each subsystem's own keys (channels=, pack=,
 * pack_leader=, policy=, run=, runs=, ...) in table order, then the
 * configured and set tags (cfg.tags: config file, --tag, `tlaloc tags`,
 * a recipe's tags{}), which win: a key an operator sets by hand is said
 * as set (with a warning when it hides a subsystem's own). Every change
 * anywhere calls agent_tags_publish(), which composes the whole set
 * again, so no part can wipe another's keys (a channel join used to drop
 * the policy and run tags until the next converge, and `tlaloc status`
 * showed a healthy node silent).
 */
#include "agent/agent_int.h"

#include <string.h>

#include "core/err.h"
#include "core/log.h"

/* Calls fn for each "k=v" of a tag list. */
static void
tags_each(const struct buf *tags, void (*fn)(void *, const char *),
    void *ctx)
{
	for (size_t i = 0; i < tags->len; i += strlen(tags->data + i) + 1)
		fn(ctx, tags->data + i);
}

static void
put_one(void *ctx, const char *kv)
{
	(void)agent_tags_apply(ctx, kv, 0, NULL);
}

/* The subsystems' keys alone. */
static void
subs_tags(const struct agent *a, struct buf *out)
{
	for (size_t i = 0; i < a->nsubs; i++)
		if (a->subs[i]->tags != NULL)
			a->subs[i]->tags(a, out);
}

void
agent_tags_compose(const struct agent *a, struct buf *out)
{
	subs_tags(a, out);
	tags_each(&a->cfg.tags, put_one, out);
}

struct hides {
	const struct buf	*own;
	size_t			 n;
};

static void
warn_hidden(void *ctx, const char *kv)
{
	struct hides *h = ctx;
	size_t kl = strcspn(kv, "=");

	for (size_t i = 0; i < h->own->len; i += strlen(h->own->data + i) + 1) {
		const char *t = h->own->data + i;

		if (strncmp(t, kv, kl + 1) == 0 && strcmp(t, kv) != 0) {
			log_warn("tag %s set by hand hides the agent's own "
			    "(%s)", kv, t);
			h->n++;
		}
	}
}

const struct buf *
agent_tags_own(const struct agent *a)
{
	return &a->tags_own;
}

int
agent_tags_publish(struct agent *a)
{
	struct buf tags = BUF_INIT;
	struct swim_io io;
	int r;

	/* Before the machine exists, agent_members_open() composes. */
	if (a->swim == NULL)
		return 0;
	agent_tags_compose(a, &tags);
	if (tags.len == a->tags_own.len &&
	    memcmp(tags.data, a->tags_own.data, tags.len) == 0) {
		buf_release(&tags);
		return 0;
	}
	agent_io(a, &io);
	r = a->tags_publish != NULL ? a->tags_publish(a, &io, &tags) :
	    swim_set_tags(a->swim, &io, tags.data, tags.len);
	if (r < 0) {
		log_err("cannot gossip the node's tags (%zu bytes): %s",
		    tags.len, tl_strerror(r));
		buf_release(&tags);
		return r;
	}
	buf_release(&a->tags_own);
	a->tags_own = tags;
	agent_flush(a);
	return 1;
}

int
agent_tags_replace(struct agent *a, struct buf *tags, struct tl_err *err)
{
	struct buf old = a->cfg.tags, own = BUF_INIT;
	struct hides h = { &own, 0 };
	int r;

	subs_tags(a, &own);
	tags_each(tags, warn_hidden, &h);
	buf_release(&own);
	a->cfg.tags = *tags;
	buf_init(tags);
	if ((r = agent_tags_publish(a)) < 0) {
		/* The old set stays: it fitted. */
		buf_release(&a->cfg.tags);
		a->cfg.tags = old;
		return tl_err_set(err, r, "cannot gossip the tags: %s",
		    tl_strerror(r));
	}
	buf_release(&old);
	return r;
}
