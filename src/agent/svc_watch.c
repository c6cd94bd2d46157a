/*
 * Live data in recipes: a compile asks this agent for catalog answers
 * (CTL_CATALOG with "cbor"), and hands back, with the run, every query it
 * read and the digest of the answer it got (CTL_SVC_WATCH). When the
 * membership moves, the answers are read again (after SVC_DEBOUNCE_MS of
 * quiet, at most every tick); when one differs from what the last run
 * read, one converge is asked after a random splay (consul-template#347:
 * a fleet of load balancers must not all reload in the same instant).
 * Until the run that converge starts hands its reads back, nothing more
 * is asked (consul#571, #4179: one converge per change burst, not one per
 * event); a run that never hands them back is given 30 s.
 *
 * Query text (what the recipe bindings send):
 *   s:SERVICE:h|a            instances of SERVICE, healthy or all
 *   m:h|a:PACK:TAG           members (PACK, TAG "k" or "k=v" may be "")
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/svc_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/xalloc.h"

#define REASK_MS	30000	/* a run that never handed its reads back */

/* Splits q at ':' into at most 4 fields (in place). */
static size_t
fields(char *q, char **f)
{
	size_t n = 0;

	while (n < 4) {
		f[n++] = q;
		if ((q = strchr(q, ':')) == NULL)
			break;
		*q++ = '\0';
	}
	return q == NULL ? n : 0;
}

int
svc_watch_answer(struct agent *a, const char *query, struct buf *out)
{
	char copy[SVC_WATCH_QUERY_MAX + 1], *f[4];
	struct catalog_query q;
	struct catalog_inst *v;
	struct swim_member *m;
	size_t n, k;

	if (strlen(query) > SVC_WATCH_QUERY_MAX)
		return TL_EINVAL;
	snprintf(copy, sizeof(copy), "%s", query);
	memset(&q, 0, sizeof(q));
	n = fields(copy, f);
	if (n == 3 && strcmp(f[0], "s") == 0 && catalog_name_valid(f[1]))
		q.service = f[1];
	else if (n == 4 && strcmp(f[0], "m") == 0) {
		q.pack = f[2][0] ? f[2] : NULL;
		q.tag = f[3][0] ? f[3] : NULL;
	} else
		return TL_EINVAL;
	if (strcmp(f[q.service ? 2 : 1], "h") == 0)
		q.healthy = 1;
	else if (strcmp(f[q.service ? 2 : 1], "a") != 0)
		return TL_EINVAL;
	q.now_ms = agent_now(a);
	q.reap_ms = (uint64_t)a->cfg.svc.reap_s * 1000;
	n = svc_members(a, &m);
	k = catalog_answer(m, n, &q, &v);
	catalog_encode(v, k, out);
	free(v);
	free(m);
	return 0;
}

/* The first watch whose answer moved, or -1. */
static int
watch_moved(struct agent_svc *sv)
{
	for (size_t i = 0; i < sv->nwatches; i++) {
		struct buf b = BUF_INIT;
		uint64_t d;
		int r = svc_watch_answer(sv->a, sv->watches[i].query, &b);

		d = catalog_digest((const uint8_t *)b.data, b.len);
		buf_release(&b);
		if (r == 0 && d != sv->watches[i].digest)
			return (int)i;
	}
	return -1;
}

void
svc_watch_tick(struct agent_svc *sv, uint64_t now)
{
	int i;

	if (sv->fire_ms != 0 && now >= sv->fire_ms) {
		sv->fire_ms = 0;
		sv->asked_ms = now;
		sv->watch_fires++;
		agent_converge_request(sv->a, sv->fire_why);
	}
	if (!sv->is_dirty || now - sv->dirty_ms < SVC_DEBOUNCE_MS)
		return;
	sv->is_dirty = 0;
	/* One converge per burst: wait for the reads of the run asked. */
	if (sv->fire_ms != 0 || (sv->asked_ms != 0 &&
	    now - sv->asked_ms < REASK_MS))
		return;
	if ((i = watch_moved(sv)) < 0)
		return;
	snprintf(sv->fire_why, sizeof(sv->fire_why), "catalog: '%s' changed",
	    sv->watches[i].query);
	sv->fire_ms = now + 1 + (sv->a->cfg.svc.splay_ms ?
	    tl_rng_below(&sv->a->rng, sv->a->cfg.svc.splay_ms) : 0);
	log_info("%s; converging in %" PRIu64 " ms", sv->fire_why,
	    sv->fire_ms - now);
}

int
svc_watch_parse(const char *line, struct svc_watch *w)
{
	const char *tab = strchr(line, '\t');
	size_t ql = tab ? (size_t)(tab - line) : 0;
	char *end;

	if (tab == NULL || ql == 0 || ql > SVC_WATCH_QUERY_MAX)
		return -1;
	memcpy(w->query, line, ql);
	w->query[ql] = '\0';
	w->digest = strtoull(tab + 1, &end, 16);
	return *end == '\0' ? 0 : -1;
}

int
svc_watch_load(struct agent_svc *sv)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *p, *nl;

	if (fileio_read(sv->watch_path, 1 << 20, &b, &err) < 0) {
		buf_release(&b);
		return 0;
	}
	buf_addch(&b, '\0');
	for (p = b.data; p && *p && sv->nwatches < SVC_WATCH_MAX; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (svc_watch_parse(p, &sv->watches[sv->nwatches]) == 0)
			sv->nwatches++;
	}
	buf_release(&b);
	/* The answers may have moved while we were down. */
	sv->is_dirty = sv->nwatches > 0;
	return 0;
}
