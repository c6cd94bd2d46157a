/*
 * Control socket requests (agent/ctl.h): each goes to the subsystem that
 * registered its operation (struct agent_sub ctl). The core answers
 * members, join, leave, info and tags itself. Text output is for
 * people, JSON (CTL_F_JSON) is the stable interface documented in
 * docs/agent.md.
 */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"
#include "policy/secret.h"

static const char *const status_names[] = {
	[SWIM_ALIVE] = "alive", [SWIM_SUSPECT] = "suspect",
	[SWIM_DEAD] = "failed", [SWIM_LEFT] = "left"
};

void
agent_ctl_reply(struct stream_conn *c, int status, const char *text,
    size_t len)
{
	struct buf b = BUF_INIT;

	buf_addch(&b, status);
	buf_add(&b, text, len);
	stream_respond(c, b.data, b.len);
	buf_release(&b);
}

void
agent_ctl_reply_str(struct stream_conn *c, int status, const char *s)
{
	agent_ctl_reply(c, status, s, strlen(s));
}

void
agent_ctl_reply_list(struct stream_conn *c, int json, struct buf *out)
{
	buf_addstr(out, json ? "]}\n" : "");
	agent_ctl_reply(c, 0, out->data, out->len);
	buf_release(out);
}

void
agent_ctl_reply_cursor(struct stream_conn *c, struct ctl_cursor *cur,
    const struct buf *text)
{
	struct buf out = BUF_INIT;

	cur->text = text->data;
	cur->len = text->len;
	ctl_cursor_encode(cur, &out);
	agent_ctl_reply(c, 0, out.data, out.len);
	buf_release(&out);
}


/* ---- members -------------------------------------------------------- */

struct member_filter {
	int		 status;	/* -1: any */
	const char	*tags[CTL_ARGS_MAX];	/* "k=v" */
	size_t		 ntags;
};

static int
filter_parse(const struct ctl_req *req, struct member_filter *f,
    struct buf *errtext)
{
	f->status = -1;
	f->ntags = 0;
	for (size_t i = 0; i < req->nargs; i++) {
		const char *a = req->args[i];

		if (strncmp(a, "status=", 7) == 0) {
			for (int s = 0; s <= SWIM_LEFT; s++)
				if (strcmp(a + 7, status_names[s]) == 0)
					f->status = s;
			if (f->status < 0) {
				buf_addf(errtext, "status must be alive, "
				    "suspect, failed or left, not '%s'\n",
				    a + 7);
				return -1;
			}
		} else if (strncmp(a, "tag=", 4) == 0 && strchr(a + 4, '='))
			f->tags[f->ntags++] = a + 4;
		else {
			buf_addf(errtext, "unknown filter '%s'\n", a);
			return -1;
		}
	}
	return 0;
}

static int
filter_match(const struct member_filter *f, const struct swim_member *m)
{
	if (f->status >= 0 && (int)m->status != f->status)
		return 0;
	for (size_t i = 0; i < f->ntags; i++) {
		const char *eq = strchr(f->tags[i], '='), *v;
		char key[CTL_ARG_MAX + 1];
		size_t kl = (size_t)(eq - f->tags[i]);

		memcpy(key, f->tags[i], kl);
		key[kl] = '\0';
		if ((v = swim_tag_get(m, key)) == NULL || strcmp(v, eq + 1))
			return 0;
	}
	return 1;
}

/*
 * Control bytes become \xHH, so a member's name or tag cannot break a
 * line or send escape sequences to whoever reads `tlaloc members` or
 * `tlaloc status`.
 */
void
agent_text_safe(struct buf *out, const char *p, size_t n, size_t width)
{
	size_t start = out->len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\x%02x", c);
		else
			buf_addch(out, c);
	}
	while (out->len - start < width)
		buf_addch(out, ' ');
}

static void
member_tags(struct buf *out, const struct swim_member *m, int json)
{
	size_t i = 0, n = 0;

	buf_addstr(out, json ? "{" : "");
	while (i < m->tags_len) {
		const char *t = m->tags + i, *eq;
		size_t len = strnlen(t, m->tags_len - i);

		i += len + 1;
		if ((eq = memchr(t, '=', len)) == NULL)
			continue;
		if (json) {
			buf_addstr(out, n ? "," : "");
			buf_add_json_str(out, t, (size_t)(eq - t));
			buf_addch(out, ':');
			buf_add_json_str(out, eq + 1, len - (size_t)(eq - t)
			    - 1);
		} else {
			buf_addstr(out, n ? "," : "");
			agent_text_safe(out, t, len, 0);
		}
		n++;
	}
	buf_addstr(out, json ? "}" : "");
}

static void
member_line(struct buf *out, const struct swim_member *m, int json,
    int first)
{
	char id[17];

	agent_id_hex(m->id, id);
	if (!json) {
		agent_text_safe(out, m->name, strlen(m->name), 20);
		buf_addch(out, ' ');
		agent_text_safe(out, m->addr, strlen(m->addr), 22);
		buf_addf(out, " %-8s %-16s ", status_names[m->status], id);
		member_tags(out, m, 0);
		buf_addch(out, '\n');
		return;
	}
	if (!first)
		buf_addch(out, ',');
	agent_member_json(out, m);
}

void
agent_member_json(struct buf *out, const struct swim_member *m)
{
	char id[17];

	agent_id_hex(m->id, id);
	buf_addstr(out, "{\"name\":");
	buf_add_json_str(out, m->name, strlen(m->name));
	buf_addstr(out, ",\"addr\":");
	buf_add_json_str(out, m->addr, strlen(m->addr));
	buf_addf(out, ",\"id\":\"%s\",\"status\":\"%s\",\"incarnation\":%u,"
	    "\"self\":%s,\"tags\":", id, status_names[m->status],
	    m->incarnation, m->is_self ? "true" : "false");
	member_tags(out, m, 1);
	buf_addch(out, '}');
}

const char *
agent_status_name(int status)
{
	return status >= 0 && status <= SWIM_LEFT ? status_names[status] :
	    "unknown";
}

static int
member_cmp(const void *pa, const void *pb)
{
	const struct swim_member *a = pa, *b = pb;
	int r = strcmp(a->name, b->name);

	return r != 0 ? r : memcmp(a->id, b->id, SWIM_ID_LEN);
}

struct swim_member *
agent_members_sorted(struct agent *a, size_t *n)
{
	size_t count = swim_member_count(a->swim);
	struct swim_member *v = xcalloc(count + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < count; i++)
		if (swim_member_at(a->swim, i, &v[*n]) == 0)
			(*n)++;
	qsort(v, *n, sizeof(*v), member_cmp);
	return v;
}

static void
ctl_members(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	int json = req->flags & CTL_F_JSON, first = 1;
	struct member_filter f;
	struct buf out = BUF_INIT;
	struct swim_member *v;
	size_t n;

	if (filter_parse(req, &f, &out) < 0) {
		agent_ctl_reply(c, 1, out.data, out.len);
		buf_release(&out);
		return;
	}
	buf_addstr(&out, json ? "{\"members\":[" : "");
	if (!json && (req->flags & CTL_F_HEADER))
		buf_addf(&out, "%-20s %-22s %-8s %-16s TAGS\n", "NAME",
		    "ADDRESS", "STATUS", "ID");
	v = agent_members_sorted(a, &n);
	for (size_t i = 0; i < n; i++) {
		if (!filter_match(&f, &v[i]))
			continue;
		member_line(&out, &v[i], json, first);
		first = 0;
	}
	free(v);
	agent_ctl_reply_list(c, json, &out);
}

/* The member list `tlaloc secret` seals to: public keys, not secrets. */
static void
ctl_member_keys(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct buf out = BUF_INIT;
	struct swim_member m;

	(void)req;
	secret_members_begin(&out);
	for (size_t i = 0; i < swim_member_count(a->swim); i++)
		if (swim_member_at(a->swim, i, &m) == 0)
			secret_members_add(&out, &m);
	agent_ctl_reply(c, 0, out.data, out.len);
	buf_release(&out);
}

/* ---- info ----------------------------------------------------------- */

#define U(x)	((unsigned long long)(x))

/*
 * Bytes the allocator has handed out and not got back: what the agent
 * really holds, unlike RSS (pages, shared libraries). Only glibc tells;
 * elsewhere 0, which `tlaloc info` documents as unknown (the BSDs'
 * jemalloc has its own call, left out until a BSD build is tested).
 */
static unsigned long long
heap_in_use(void)
{
#ifdef __GLIBC__
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	return 0;
#endif
}

static void
info_packets(const struct agent *a, struct buf *out, int json)
{
	const struct agent_stats *st = &a->st;

	buf_addf(out, json ?
	    "\"packets_in\":%llu,\"packets_out\":%llu,\"bytes_in\":%llu,"
	    "\"bytes_out\":%llu,\"dropped\":%llu,\"decrypt_failures\":%llu,"
	    "\"unknown_key\":%llu,\"replays\":%llu,\"stale\":%llu,"
	    "\"malformed\":%llu,\"send_errors\":%llu," :
	    "packets: in %llu, out %llu\nbytes: in %llu, out %llu\n"
	    "dropped: %llu (decrypt failures %llu, of which unknown key "
	    "%llu; replays %llu; stale %llu; malformed %llu)\n"
	    "send errors: %llu\n",
	    U(st->pkts_in), U(st->pkts_out), U(st->bytes_in),
	    U(st->bytes_out), U(pkt_stats_dropped(&st->pkt)),
	    U(st->pkt.decrypt_failures + st->pkt.unknown_key),
	    U(st->pkt.unknown_key), U(st->pkt.replays), U(st->pkt.stale),
	    U(st->pkt.malformed + st->pkt.truncated + st->pkt.oversized +
	    st->pkt.bad_header), U(st->send_errors));
}

static void
info_swim(const struct agent *a, struct buf *out, int json)
{
	const struct agent_stats *st = &a->st;
	struct swim_stats ss;

	swim_get_stats(a->swim, &ss);
	buf_addf(out, json ?
	    "\"members\":{\"alive\":%zu,\"suspect\":%zu,\"failed\":%zu,"
	    "\"left\":%zu}," :
	    "members: alive %zu, suspect %zu, failed %zu, left %zu\n",
	    swim_count_status(a->swim, SWIM_ALIVE),
	    swim_count_status(a->swim, SWIM_SUSPECT),
	    swim_count_status(a->swim, SWIM_DEAD),
	    swim_count_status(a->swim, SWIM_LEFT));
	buf_addf(out, json ?
	    "\"probes\":%llu,\"probe_failures\":%llu,\"suspicions\":%llu,"
	    "\"deaths\":%llu,\"refutations\":%llu,\"incarnation\":%u,"
	    "\"health\":%u,\"pushpull_in\":%llu,\"pushpull_out\":%llu,"
	    "\"pushpull_failures\":%llu,\"swim_bad_packets\":%llu,"
	    "\"claims_parked\":%llu,\"claims_unrefuted\":%llu,"
	    "\"stale_answers\":%llu," :
	    "probes: %llu (failed %llu)\nsuspicions: %llu\ndeaths: %llu\n"
	    "refutations: %llu\nincarnation: %u\nhealth: %u\n"
	    "push-pull: in %llu, out %llu, failed %llu\n"
	    "swim bad packets: %llu\n"
	    "push-pull claims held back: %llu (unrefuted %llu)\n"
	    "stale claims answered: %llu\n",
	    U(ss.probes), U(ss.probe_failures), U(ss.suspicions),
	    U(ss.deaths), U(ss.refutations), ss.incarnation, ss.awareness,
	    U(st->tcp_in), U(st->tcp_out), U(st->tcp_failures),
	    U(ss.bad_packets), U(ss.claims_parked), U(ss.claims_unrefuted),
	    U(ss.stale_answers));
	buf_addf(out, json ? "\"claims_refused\":%llu,\"refutes_held\":%llu,"
	    "\"name_conflicts\":%llu," : "claims refused: %llu\nrefutations "
	    "held back: %llu\nname conflicts: %llu\n", U(ss.claims_refused),
	    U(ss.refutes_held), U(ss.name_conflicts));
}

/* The core's lines, then every subsystem's, in table order. */
static void
ctl_info(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	int json = req->flags & CTL_F_JSON;
	struct buf out = BUF_INIT;
	char id[17];

	agent_id_hex(ident_public(a->ident), id);
	if (json) {
		buf_addstr(&out, "{\"name\":");
		buf_add_json_str(&out, a->cfg.name, strlen(a->cfg.name));
		buf_addf(&out, ",\"id\":\"%s\",\"addr\":", id);
		buf_add_json_str(&out, a->cfg.advertise,
		    strlen(a->cfg.advertise));
		buf_addch(&out, ',');
	} else
		buf_addf(&out, "name: %s\nid: %s\naddr: %s\n", a->cfg.name,
		    id, a->cfg.advertise);
	info_swim(a, &out, json);
	info_packets(a, &out, json);
	agent_guard_info(a, &out, json);
	agent_keyauth_info(a, &out, json);
	for (size_t i = 0; i < a->nsubs; i++)
		if (a->subs[i]->info != NULL)
			a->subs[i]->info(a, &out, json);
	buf_addf(&out, json ? "\"heap_in_use\":%llu,\"tcp_refused\":%llu}\n" :
	    "heap in use: %llu bytes\n"
	    "tcp connections refused (over the limit): %llu\n",
	    heap_in_use(), U(stream_srv_refused(a->tcp)));
	agent_ctl_reply(c, 0, out.data, out.len);
	buf_release(&out);
}

/* ---- join, leave, tags ---------------------------------------------- */

static void
ctl_join(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	char addr[ADDR_STR_MAX];
	struct buf out = BUF_INIT;
	int status = 0;

	if (req->nargs == 0)
		buf_addstr(&out, "join needs at least one ADDR:PORT\n");
	for (size_t i = 0; i < req->nargs; i++) {
		if (addr_resolve(req->args[i], addr, &err) < 0) {
			buf_addf(&out, "%s\n", err.msg);
			status = 1;
			continue;
		}
		agent_join(a, addr);
		buf_addf(&out, "joining through %s\n", addr);
	}
	agent_ctl_reply(c, req->nargs == 0 ? 1 : status, out.data, out.len);
	buf_release(&out);
}

static void
ctl_leave(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	(void)req;
	agent_ctl_reply_str(c, 0, a->is_leaving ? "already leaving\n" :
	    "leaving\n");
	agent_leave(a);
}

static void
ctl_tags(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf tags = BUF_INIT;
	int r = 0;

	buf_add(&tags, a->cfg.tags.data, a->cfg.tags.len);
	for (size_t i = 0; i < req->nargs && r == 0; i++)
		r = agent_tags_apply(&tags, req->args[i],
		    req->op == CTL_TAGS_DELETE, &err);
	if (r == 0 && req->nargs == 0)
		r = tl_err_set(&err, TL_EINVAL, "give at least one k=v");
	if (r == 0)
		r = agent_tags_replace(a, &tags, &err);
	if (r == 0)
		agent_ctl_reply_str(c, 0, "tags unchanged\n");
	else if (r > 0) {
		log_notice("tags changed through the control socket");
		agent_ctl_reply_str(c, 0, "tags updated\n");
	} else
		agent_ctl_reply_err(c, &err);
	buf_release(&tags);
}

void
agent_ctl_reply_err(struct stream_conn *c, const struct tl_err *err)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s\n", err->msg);
	agent_ctl_reply(c, 1, b.data, b.len);
	buf_release(&b);
}

/* The function of the open subsystem that registered op, or NULL. */
static agent_ctl_fn
ctl_lookup(const struct agent *a, uint8_t op)
{
	for (size_t i = 0; i < a->nsubs; i++)
		for (const struct agent_ctl_op *o = a->subs[i]->ctl;
		    o != NULL && o->op != 0; o++)
			if (o->op == op)
				return o->fn;
	return NULL;
}

void
agent_ctl_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
    size_t len)
{
	struct agent *a = ctx;
	struct ctl_req req;
	agent_ctl_fn fn;

	ctl_req_init(&req);
	if (ctl_req_decode(p, len, &req) < 0)
		agent_ctl_reply_str(c, 1, "malformed control request\n");
	else if ((fn = ctl_lookup(a, req.op)) == NULL)
		agent_ctl_reply_str(c, 1,
		    "this agent does not answer that request\n");
	else
		fn(a, c, &req);
	ctl_req_release(&req);
}

static const struct agent_ctl_op core_ops[] = {
	{ CTL_MEMBERS, ctl_members }, { CTL_INFO, ctl_info },
	{ CTL_JOIN, ctl_join }, { CTL_LEAVE, ctl_leave },
	{ CTL_TAGS_SET, ctl_tags }, { CTL_TAGS_DELETE, ctl_tags },
	{ CTL_PACK_ADMIT, agent_keyauth_admit_ctl },
	{ CTL_MEMBER_KEYS, ctl_member_keys }, { 0, NULL }
};

const struct agent_sub agent_core_sub = { .name = "core",
	.ctl = core_ops };
