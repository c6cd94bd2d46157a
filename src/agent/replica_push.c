/*
 * Bucket replication, the sending side (docs/backups.md): after each
 * converge, and every few seconds for anything not yet sent (a fresh
 * start, a chosen peer that died), our backups go, sealed for us, to the
 * k live peers of our pack that rendezvous hashing keyed with our backup
 * secret picks (bucket/replica.h). Each peer first gets our escrow (the
 * secret sealed to the operator keys we trust), then the backups. One
 * frame is in flight per peer at a time; a peer's acknowledgement is
 * recorded in STATE_DIR/replicas.sealed ("<entry id> TAB <peer key>"
 * lines, "escrow-XXXXXXXX" for the escrow) so that a restart does not
 * send everything again. Peers are chosen and recorded by node key (a
 * rebuilt peer lost what it held, so it gets everything again).
 */
#include "agent/replica_int.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/agent_int.h"
#include "agent/pack.h"
#include "ctl/ctl.h"
#include "bucket/replica.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"

#define REPL_SCAN_MS	5000	/* look for unsent backups this often */

struct repl_peer {
	char		 addr[ADDR_STR_MAX];
	char		 key[17];	/* agent_id_hex() of its node id */
	char		 name[SWIM_NAME_MAX + 1];	/* for the logs */
};

struct repl_push {
	struct agent	*a;
	struct repl_peer to;
	int		 is_escrow;
	char		(*ids)[16];	/* entries in the frame */
	size_t		 n;
	size_t		 bytes;		/* the frame on the wire */
};

/* ---- the sent record --------------------------------------------------- */

static void
sent_key(char *out, size_t size, const char *id, const char *peer)
{
	snprintf(out, size, "%s\t%s", id, peer);
}

static int
sent_has(const struct agent_repl *r, const char *id, const char *peer)
{
	char key[16 + SWIM_NAME_MAX + 2];
	size_t v;

	sent_key(key, sizeof(key), id, peer);
	return strmap_get(&r->sent, key, &v) && v == 1;
}

static void
sent_load(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *line, *next;

	if (fileio_read(a->repl->sent_path, (size_t)64 << 20, &b, &err) < 0 ||
	    b.len == 0)
		goto out;
	buf_addch(&b, '\0');
	for (line = b.data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strchr(line, '\t') != NULL)
			strmap_put(&a->repl->sent, line, 1);
	}
out:
	buf_release(&b);
}

static void
sent_save(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	const struct strmap *m = &a->repl->sent;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != NULL && m->vals[i] == 1)
			buf_addf(&b, "%s\n", m->keys[i]);
	/* Losing the record only costs a resend, so no fsync. */
	if (fileio_write_quick(a->repl->sent_path, b.data, b.len, &err) < 0)
		log_warn("cannot save the replica record: %s", err.msg);
	buf_release(&b);
}

/* Forgets pairs whose entry the bucket no longer has (pruned). */
static void
sent_trim(struct agent *a, const struct bucket_entry *v, size_t n)
{
	struct strmap live = STRMAP_INIT;
	struct strmap *m = &a->repl->sent;
	size_t x, dropped = 0;

	for (size_t i = 0; i < n; i++)
		strmap_put(&live, v[i].id, 1);
	for (size_t i = 0; i < m->cap; i++) {
		char id[16];

		if (m->keys[i] == NULL || m->vals[i] != 1)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)strcspn(m->keys[i],
		    "\t"), m->keys[i]);
		if (strncmp(id, "escrow-", 7) == 0 ?
		    strcmp(id, a->repl->escrow_stamp) != 0 :
		    !strmap_get(&live, id, &x)) {
			m->vals[i] = 0;		/* strmap has no delete */
			dropped++;
		}
	}
	strmap_release(&live);
	if (dropped > 0)
		sent_save(a);
}

/* ---- choosing peers ---------------------------------------------------- */

/*
 * Live members that may keep our copies: those of our pack when we are
 * in one, else every live member. Their ids and addresses are copied.
 */
static size_t
repl_candidates(struct agent *a, uint8_t (**ids)[REPL_ID_LEN],
    struct repl_peer **peers)
{
	size_t total = swim_member_count(a->swim), n = 0;
	const char *ours = agent_pack_name(a);

	*ids = xcalloc(total + 1, sizeof(**ids));
	*peers = xcalloc(total + 1, sizeof(**peers));
	for (size_t i = 0; i < total; i++) {
		struct swim_member m;
		const char *tag;

		if (swim_member_at(a->swim, i, &m) < 0 || m.is_self ||
		    m.status != SWIM_ALIVE)
			continue;
		tag = swim_tag_get(&m, "pack");
		if (ours != NULL && (tag == NULL || strcmp(tag, ours) != 0))
			continue;
		snprintf((*peers)[n].addr, sizeof((*peers)[n].addr), "%s",
		    m.addr);
		snprintf((*peers)[n].name, sizeof((*peers)[n].name), "%s",
		    m.name);
		agent_id_hex(m.id, (*peers)[n].key);
		memcpy((*ids)[n++], m.id, REPL_ID_LEN);
	}
	return n;
}

/* ---- pushing ----------------------------------------------------------- */

/* Finds key in the in-flight set (key "" finds a free slot). */
static char *
busy_slot(struct agent_repl *r, const char *key)
{
	for (size_t i = 0; i < REPL_BUSY_MAX; i++)
		if (strcmp(r->busy[i], key) == 0)
			return r->busy[i];
	return NULL;
}

static void
push_reply_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct repl_push *ps = ctx;
	struct agent *a = ps->a;
	struct tl_err err = TL_ERR_INIT;
	struct repl_msg m;
	struct buf body = BUF_INIT;
	char *slot;

	memset(&m, 0, sizeof(m));
	if (a->repl == NULL)
		goto out;
	if ((slot = busy_slot(a->repl, ps->to.key)) != NULL)
		slot[0] = '\0';
	if (rc == 0)
		rc = agent_frame_open(a, PKT_REPLICA, p, len, AGENT_TCP_MAX,
		    &body, NULL);
	if (rc == 0)
		rc = repl_msg_decode((uint8_t *)body.data, body.len, &m, &err);
	if (rc == 0 && m.status != REPL_OK)
		rc = m.status == REPL_NOT_MEMBER ? TL_ENOENT : TL_EPERM;
	if (rc == 0 && m.op != ((ps->is_escrow ? REPL_ESCROW : REPL_PUSH) |
	    REPL_REPLY))
		rc = TL_EINVAL;
	if (rc < 0) {
		log_info("replicating %s to %s (%s) failed: %s", ps->is_escrow ?
		    "our escrow" : "backups", log_escape(ps->to.name),
		    ps->to.addr, tl_strerror(rc));
		goto out;
	}
	if (ps->is_escrow) {
		repl_sent_mark(a->repl, a->repl->escrow_stamp, ps->to.key);
		sent_save(a);
		log_info("our escrow is held by %s", log_escape(ps->to.name));
		agent_repl_kick(a);
		goto out;
	}
	for (size_t i = 0; i < ps->n; i++)
		repl_sent_mark(a->repl, ps->ids[i], ps->to.key);
	a->repl->n_sent += ps->n;
	a->repl->n_bytes_sent += ps->bytes;
	sent_save(a);
	log_info("replicated %zu backups to %s (%u new there)", ps->n,
	    log_escape(ps->to.name), m.stored);
	/* The next batch, or the next peer. */
	agent_repl_kick(a);
out:
	repl_msg_release(&m);
	buf_release(&body);
	free(ps->ids);
	free(ps);
}

/* Adds unsent entries for peer to a PUSH body; how many were added. */
static size_t
push_fill(struct agent *a, struct bucket *b, const struct bucket_entry *v,
    size_t n, struct repl_push *ps, struct buf *msg)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf data = BUF_INIT, items = BUF_INIT, obj = BUF_INIT;
	uint8_t tag[REPL_TAG_LEN];
	size_t bytes = 0, count = 0;

	ps->ids = xcalloc(n + 1, sizeof(*ps->ids));
	for (size_t i = 0; i < n && count < REPL_ITEMS_MAX; i++) {
		if (sent_has(a->repl, v[i].id, ps->to.key))
			continue;
		if (v[i].size > REPL_ENTRY_MAX) {
			if (!sent_has(a->repl, v[i].id, "")) {
				a->repl->n_too_big++;
				log_warn("backup %s of '%s' (%llu bytes) is too "
				    "big to replicate", v[i].id, v[i].path,
				    v[i].size);
				repl_sent_mark(a->repl, v[i].id, "");
			}
			continue;
		}
		if (count > 0 && bytes + v[i].size > REPL_BATCH_BYTES)
			break;
		buf_reset(&data);
		if (bucket_read(b, v[i].id, &data, &err) < 0) {
			log_warn("cannot replicate backup %s: %s", v[i].id,
			    err.msg);
			continue;
		}
		buf_reset(&obj);
		repl_seal(a->repl->secret, ident_public(a->ident), ident_sign,
		    a->ident, &v[i], data.data, tag, &obj);
		repl_add_item(&items, tag, v[i].time, obj.data, obj.len);
		memcpy(ps->ids[count++], v[i].id, 16);
		bytes += v[i].size;
	}
	ps->n = count;
	repl_begin(msg, REPL_PUSH, ident_public(a->ident));
	buf_add_be(msg, (unsigned)count, 2);
	buf_add(msg, items.data, items.len);
	buf_release(&items);
	sodium_memzero(data.data, data.len);
	buf_release(&data);
	buf_release(&obj);
	return count;
}

/* The peers chosen now, as indexes into the live candidates. */
struct repl_choice {
	struct repl_peer	*peers;
	uint8_t			(*ids)[REPL_ID_LEN];
	size_t			 nc;
	size_t			*pick;
	size_t			 k;
};

static void
choice_make(struct agent *a, struct repl_choice *ch)
{
	ch->nc = repl_candidates(a, &ch->ids, &ch->peers);
	ch->pick = xcalloc(a->cfg.bucket_replicas + 1, sizeof(*ch->pick));
	ch->k = repl_pick(a->repl->secret, (const uint8_t (*)[REPL_ID_LEN])
	    ch->ids, ch->nc, a->cfg.bucket_replicas, ch->pick);
}

/*
 * A node whose pack has no other live member (or a node alone in the
 * cluster) keeps its backups on its own disk only: said once in the log
 * when it happens, and in `tlaloc info` while it lasts.
 */
static void
choice_note(struct agent *a, const struct repl_choice *ch)
{
	const char *pack = agent_pack_name(a);

	a->repl->n_peers = ch->k;
	if (ch->k == 0 && !a->repl->is_alone)
		log_warn("backups have no replica: %s%s has no other live "
		    "member to keep copies (bucket_replicas %u)", pack ?
		    "pack " : "the cluster", pack ? pack : "",
		    a->cfg.bucket_replicas);
	else if (ch->k > 0 && a->repl->is_alone)
		log_notice("backups replicate again, to %zu peer%s", ch->k,
		    ch->k == 1 ? "" : "s");
	a->repl->is_alone = ch->k == 0;
}

static void
choice_free(struct repl_choice *ch)
{
	free(ch->pick);
	free(ch->ids);
	free(ch->peers);
}

/*
 * What a scan depends on: the chosen peers' keys and the index file's
 * size and time. A scan that found nothing to send is not repeated until
 * one of them changes, so an idle agent does not re-read a big index
 * every few seconds.
 */
static char *
scan_stamp(const struct repl_choice *ch, const char *dir)
{
	char *index = xasprintf("%s/index", dir);
	struct buf b = BUF_INIT;
	struct stat st;

	for (size_t j = 0; j < ch->k; j++)
		buf_addf(&b, "%s,", ch->peers[ch->pick[j]].key);
	if (stat(index, &st) == 0)
		buf_addf(&b, "%lld.%lld.%lld", (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec,
		    (long long)st.st_mtim.tv_nsec);
	free(index);
	return buf_detach(&b, NULL);
}

static int
any_busy(const struct agent_repl *r)
{
	for (size_t i = 0; i < REPL_BUSY_MAX; i++)
		if (r->busy[i][0] != '\0')
			return 1;
	return 0;
}

/* Starts a PUSH to each chosen peer that lacks something and has none
 * in flight. */
static void
push_next(struct agent *a, const struct repl_choice *ch, struct bucket *b,
    const struct bucket_entry *v, size_t nv)
{
	for (size_t j = 0; j < ch->k; j++) {
		const struct repl_peer *to = &ch->peers[ch->pick[j]];
		struct repl_push *ps;
		struct buf msg = BUF_INIT;
		char *slot;

		if (busy_slot(a->repl, to->key) != NULL ||
		    (slot = busy_slot(a->repl, "")) == NULL)
			continue;
		ps = xcalloc(1, sizeof(*ps));
		ps->a = a;
		ps->to = *to;
		if (agent_repl_escrow_due(a, to->key)) {
			ps->is_escrow = 1;
			agent_repl_escrow_msg(a, &msg);
		}
		if ((ps->is_escrow || push_fill(a, b, v, nv, ps, &msg) > 0) &&
		    agent_repl_send(a, ps->to.addr, &msg, push_reply_cb,
		    ps) == 0) {
			/* msg now holds the signature too; + the length. */
			ps->bytes = msg.len + PKT_OVERHEAD + 4;
			memcpy(slot, ps->to.key, sizeof(ps->to.key));
		} else {
			free(ps->ids);
			free(ps);
		}
		buf_release(&msg);
	}
}

void
agent_repl_kick(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry *v = NULL;
	struct repl_choice ch;
	struct bucket *b = NULL;
	struct stat st;
	size_t n = 0;
	char *dir, *stamp;

	if (a->repl == NULL || a->cfg.bucket_replicas == 0 || a->is_leaving)
		return;
	a->repl->next_scan_ms = agent_now(a) + REPL_SCAN_MS;
	dir = xasprintf("%s/bucket", a->cfg.state_dir);
	choice_make(a, &ch);
	choice_note(a, &ch);
	stamp = scan_stamp(&ch, dir);
	if (a->repl->idle_stamp != NULL &&
	    strcmp(stamp, a->repl->idle_stamp) == 0)
		goto out;	/* nothing changed since a scan found nothing */
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		goto out;	/* nothing backed up yet */
	if (bucket_open(dir, &b, &err) < 0 ||
	    bucket_list(b, NULL, &v, &n, &err) < 0) {
		log_warn("cannot read the bucket to replicate it: %s", err.msg);
		goto out;
	}
	sent_trim(a, v, n);
	push_next(a, &ch, b, v, n);
	free(a->repl->idle_stamp);
	a->repl->idle_stamp = NULL;
	if (!any_busy(a->repl)) {
		a->repl->idle_stamp = stamp;
		stamp = NULL;
	}
out:
	free(stamp);
	choice_free(&ch);
	bucket_entries_free(v, n);
	bucket_close(b);
	free(dir);
}

static void
repl_tick(struct agent *a)
{
	if (agent_now(a) >= a->repl->next_scan_ms)
		agent_repl_kick(a);
}

static void
repl_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_RUN_DONE && !a->cfg.is_no_enforce)
		agent_repl_kick(a);
}

void
repl_sent_mark(struct agent_repl *r, const char *id, const char *peer)
{
	char key[16 + SWIM_NAME_MAX + 2];

	sent_key(key, sizeof(key), id, peer);
	strmap_put(&r->sent, key, 1);
}

static int
repl_open(struct agent *a, struct tl_err *err)
{
	char *old;

	(void)err;
	a->repl = xcalloc(1, sizeof(*a->repl));
	/* replicas.sent recorded plaintext copies: sealed ones go again. */
	old = xasprintf("%s/replicas.sent", a->cfg.state_dir);
	unlink(old);
	free(old);
	a->repl->sent_path = xasprintf("%s/replicas.sealed",
	    a->cfg.state_dir);
	/* The first scan waits for the membership to form. */
	a->repl->next_scan_ms = agent_now(a) + REPL_SCAN_MS;
	agent_repl_keys_open(a);
	sent_load(a);
	return 0;
}

static void
repl_close(struct agent *a)
{
	if (a->repl == NULL)
		return;
	/* A worker cannot be cancelled; its answer must go out before the
	 * connections are closed under it. */
	while (a->repl->n_jobs > 0)
		uv_run(a->loop, UV_RUN_ONCE);
	strmap_release(&a->repl->sent);
	free(a->repl->sent_path);
	free(a->repl->idle_stamp);
	buf_release(&a->repl->escrow);
	sodium_memzero(a->repl->secret, sizeof(a->repl->secret));
	free(a->repl);
	a->repl = NULL;
}

static const struct agent_ctl_op repl_ops[] = {
	{ CTL_BACKUPS_FROM, agent_repl_ctl }, { 0, NULL }
};

const struct agent_sub agent_repl_sub = { .name = "replicas",
	.open = repl_open, .tick = repl_tick, .info = agent_repl_info,
	.close = repl_close, .ctl = repl_ops, .on_event = repl_on_event,
	.on_frame = agent_repl_on_frame };
