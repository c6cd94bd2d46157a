/*
 * Health flips from the agent (docs/services.md, "What is gossiped"): when
 * the node's health goes from what its statement says to critical, or
 * back, and nothing else in its tags moved, the change goes out as a swim
 * health flip (~30 bytes, cluster/swim_health.c) instead of a new signed
 * statement with every tag. Each new statement carries the anchor of a
 * fresh hash chain (hc=), its seed drawn at random and kept only here.
 */
#include "agent/svc_int.h"

#include <sodium.h>
#include <string.h>

#include "agent/agent_int.h"
#include "cluster/swim.h"
#include "core/err.h"
#include "net/ident.h"

static size_t
tag_count(const struct buf *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->len; i += strlen(t->data + i) + 1)
		n++;
	return n;
}

/* Whether the svc= values differ only by healthy states made critical. */
static int
svc_all_critical(const char *base, const char *now)
{
	struct catalog_svc b[CATALOG_SVC_MAX], n[CATALOG_SVC_MAX];
	size_t nb = catalog_svc_parse(base, b, CATALOG_SVC_MAX);

	if (catalog_svc_parse(now, n, CATALOG_SVC_MAX) != nb)
		return 0;
	for (size_t i = 0; i < nb; i++) {
		if (strcmp(b[i].name, n[i].name) != 0 ||
		    b[i].port != n[i].port || strcmp(b[i].tags, n[i].tags) != 0)
			return 0;
		if (n[i].state != 'c' || (b[i].state != 'p' &&
		    b[i].state != 'w'))
			return 0;
	}
	return 1;
}

/*
 * 1 when now is base with the node critical: every tag equal but svc=
 * (each service critical) and health= (critical:CHECK), which is what the
 * catalog makes of an odd flip count.
 */
static int
is_critical_form(const struct buf *base, const struct buf *now)
{
	size_t i = 0, j = 0;

	if (tag_count(base) != tag_count(now))
		return 0;
	while (i < base->len && j < now->len) {
		const char *b = base->data + i, *n = now->data + j;

		if (strncmp(b, CATALOG_TAG_HEALTH "=", 7) == 0) {
			if (strncmp(n, CATALOG_TAG_HEALTH "=critical:", 16) != 0)
				return 0;
		} else if (strncmp(b, CATALOG_TAG_SVC "=", 4) == 0) {
			if (strncmp(n, CATALOG_TAG_SVC "=", 4) != 0 ||
			    !svc_all_critical(b + 4, n + 4))
				return 0;
		} else if (strcmp(b, n) != 0) {
			return 0;
		}
		i += strlen(b) + 1;
		j += strlen(n) + 1;
	}
	return 1;
}

/* Tries to tell now as a flip; 1 when it did. */
static int
try_flip(struct agent_svc *sv, struct swim *s, struct swim_io *io,
    const struct buf *now)
{
	uint8_t e[SWIM_HC_LEN];
	int want_odd;

	if (!sv->has_chain)
		return 0;
	if (now->len == sv->chain_base.len &&
	    memcmp(now->data, sv->chain_base.data, now->len) == 0)
		want_odd = 0;
	else if (is_critical_form(&sv->chain_base, now))
		want_odd = 1;
	else
		return 0;
	if ((int)(sv->chain_k & 1) == want_odd)
		return 0;
	if (sv->chain_k + 1 > SWIM_HC_STEPS_MAX)
		return 0;
	swim_hc_element(ident_chain_hash, NULL, sv->chain_seed,
	    SWIM_HC_STEPS_MAX, sv->chain_k + 1, e);
	if (swim_health_flip(s, io, sv->chain_k + 1, e) < 0)
		return 0;
	sv->chain_k++;
	sv->health_flips++;
	return 1;
}

int
svc_flip_publish(struct agent *a, struct swim_io *io, const struct buf *now)
{
	struct agent_svc *sv = svc_of(a);
	struct buf stmt = BUF_INIT;
	const char *h = NULL;
	uint8_t anchor[SWIM_HC_LEN];
	int r;

	if (sv != NULL && try_flip(sv, a->swim, io, now))
		return 0;
	buf_add(&stmt, now->data, now->len);
	for (size_t i = 0; i < now->len; i += strlen(now->data + i) + 1)
		if (strncmp(now->data + i, CATALOG_TAG_HEALTH "=", 7) == 0)
			h = now->data + i + 7;
	/* A chain only from a healthy statement (a flip says "critical"),
	 * and only while the anchor fits. */
	if (sv != NULL && h != NULL && (strncmp(h, "passing", 7) == 0 ||
	    strncmp(h, "warning", 7) == 0) &&
	    now->len + 4 + 2 * SWIM_HC_LEN <= SWIM_TAGS_MAX) {
		randombytes_buf(sv->chain_seed, sizeof(sv->chain_seed));
		swim_hc_element(ident_chain_hash, NULL, sv->chain_seed,
		    SWIM_HC_STEPS_MAX, 0, anchor);
		buf_addstr(&stmt, "hc=");
		for (size_t i = 0; i < SWIM_HC_LEN; i++)
			buf_addf(&stmt, "%02x", anchor[i]);
		buf_addch(&stmt, '\0');
	}
	r = swim_set_tags(a->swim, io, stmt.data, stmt.len);
	if (sv != NULL) {
		sv->has_chain = r == 0 && stmt.len > now->len;
		sv->chain_k = 0;
		buf_reset(&sv->chain_base);
		buf_add(&sv->chain_base, now->data, now->len);
	}
	buf_release(&stmt);
	return r;
}
