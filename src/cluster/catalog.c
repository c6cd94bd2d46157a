/*
 * The service catalog as a pure function of the membership (catalog.h).
 */
#include "cluster/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define ENC_VERSION	1

int
catalog_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CATALOG_NAME_MAX || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int
catalog_stags_valid(const char *s)
{
	size_t n = strlen(s);

	if (n > CATALOG_STAGS_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+' && i > 0 && i + 1 < n && s[i + 1] != '+')
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

static int
state_valid(char c)
{
	return c == 'p' || c == 'w' || c == 'c' || c == 'm';
}

/* One "name:port:state[:tags]" entry of len bytes; 0 if it parsed. */
static int
svc_parse_one(const char *p, size_t len, struct catalog_svc *v)
{
	char tmp[CATALOG_NAME_MAX + CATALOG_STAGS_MAX + 16];
	char *f[4] = { NULL }, *s, *end;
	size_t nf = 0;
	unsigned long port;

	memset(v, 0, sizeof(*v));
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	for (s = tmp; nf < 4; nf++) {
		f[nf] = s;
		if ((s = strchr(s, ':')) == NULL) {
			nf++;
			break;
		}
		*s++ = '\0';
	}
	if (nf < 3 || s != NULL || !catalog_name_valid(f[0]) ||
	    strlen(f[2]) != 1 || !state_valid(f[2][0]))
		return -1;
	if (f[1][0] < '0' || f[1][0] > '9')
		return -1;
	port = strtoul(f[1], &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	if (nf == 4 && !catalog_stags_valid(f[3]))
		return -1;
	memcpy(v->name, f[0], strlen(f[0]) + 1);
	v->port = (uint16_t)port;
	v->state = f[2][0];
	if (nf == 4)
		memcpy(v->tags, f[3], strlen(f[3]) + 1);
	return 0;
}

size_t
catalog_svc_parse(const char *val, struct catalog_svc *out, size_t max)
{
	size_t n = 0;

	while (val != NULL && *val != '\0' && n < max) {
		const char *comma = strchr(val, ',');
		size_t len = comma ? (size_t)(comma - val) : strlen(val);

		if (svc_parse_one(val, len, &out[n]) == 0)
			n++;
		val = comma ? comma + 1 : NULL;
	}
	return n;
}

void
catalog_svc_format(const struct catalog_svc *v, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		buf_addf(out, "%s%s:%u:%c", i ? "," : "", v[i].name,
		    (unsigned)v[i].port, v[i].state);
		if (v[i].tags[0] != '\0')
			buf_addf(out, ":%s", v[i].tags);
	}
}

const char *
catalog_state_name(char state)
{
	switch (state) {
	case 'p': return "passing";
	case 'w': return "warning";
	case 'c': return "critical";
	case 'm': return "maintenance";
	case 'f': return "failed";
	case 's': return "suspect";
	default: return "unknown";
	}
}

int
catalog_inst_healthy(const struct catalog_inst *i)
{
	return i->state == 'p' || i->state == 'w';
}

/* Host part of "ip:port" or "[v6]:port". */
static void
addr_host(const char *addr, char *out, size_t cap)
{
	const char *colon = strrchr(addr, ':');
	size_t len = colon ? (size_t)(colon - addr) : strlen(addr);

	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len >= cap)
		len = cap - 1;
	memcpy(out, addr, len);
	out[len] = '\0';
}

/* The failing check named in a health tag ("critical:web-http"). */
static void
health_check_of(const struct swim_member *m, char *out, size_t cap)
{
	const char *h = swim_tag_get(m, CATALOG_TAG_HEALTH), *colon;

	out[0] = '\0';
	if (h == NULL || (colon = strchr(h, ':')) == NULL ||
	    strncmp(h, "maint", 5) == 0)
		return;
	snprintf(out, cap, "%s", colon + 1);
}

/* A node's own state letter from its health tag. */
static char
node_state(const struct swim_member *m)
{
	const char *h = swim_tag_get(m, CATALOG_TAG_HEALTH);

	if (h == NULL || strncmp(h, "passing", 7) == 0)
		return 'p';
	if (strncmp(h, "warning", 7) == 0)
		return 'w';
	if (strncmp(h, "maint", 5) == 0)
		return 'm';
	return 'c';
}

/* Whether member m is in answers at all, and the state it forces. */
static int
member_visible(const struct swim_member *m, uint64_t now_ms,
    uint64_t reap_ms, char *forced)
{
	*forced = 0;
	switch (m->status) {
	case SWIM_ALIVE:
		/* An odd number of health flips since its statement: the
		 * node said "critical" in a flip (swim_health_flip), which
		 * overrides the health its statement carries, unless that is
		 * already unhealthy (maintenance stays maintenance). */
		if ((m->health_flips & 1) && (node_state(m) == 'p' ||
		    node_state(m) == 'w'))
			*forced = 'c';
		return 1;
	case SWIM_SUSPECT:
		*forced = 's';
		return 1;
	case SWIM_DEAD:
		*forced = 'f';
		return now_ms < m->status_since_ms ||
		    now_ms - m->status_since_ms < reap_ms;
	default:
		return 0;	/* left: gone on purpose */
	}
}

static void
push(struct catalog_inst **v, size_t *n, const struct catalog_inst *i)
{
	/* Capacity 8, then doubling at each power of two from 8 on. */
	if (*n == 0)
		*v = xrealloc(*v, 8 * sizeof(**v));
	else if (*n >= 8 && (*n & (*n - 1)) == 0)
		*v = xrealloc(*v, *n * 2 * sizeof(**v));
	(*v)[(*n)++] = *i;
}

static int
cmp_inst(const void *a, const void *b)
{
	const struct catalog_inst *x = a, *y = b;
	int c = strcmp(x->node, y->node);

	if (c != 0)
		return c;
	return (int)x->port - (int)y->port;
}

static int
tag_matches(const struct swim_member *m, const char *kv)
{
	const char *eq = strchr(kv, '='), *v;
	char key[64];
	size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);

	if (kl == 0 || kl >= sizeof(key))
		return 0;
	memcpy(key, kv, kl);
	key[kl] = '\0';
	v = swim_tag_get(m, key);
	return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
}

static void
member_inst(const struct swim_member *m, char forced,
    struct catalog_inst *i)
{
	const char *pack = swim_tag_get(m, "pack");

	memset(i, 0, sizeof(*i));
	snprintf(i->node, sizeof(i->node), "%s", m->name);
	addr_host(m->addr, i->addr, sizeof(i->addr));
	i->state = forced ? forced : node_state(m);
	health_check_of(m, i->check, sizeof(i->check));
	if (pack != NULL && catalog_stags_valid(pack))
		snprintf(i->tags, sizeof(i->tags), "%s", pack);
}

size_t
catalog_answer(const struct swim_member *m, size_t n,
    const struct catalog_query *q, struct catalog_inst **out)
{
	struct catalog_svc svc[CATALOG_SVC_MAX];
	struct catalog_inst inst;
	size_t count = 0;

	*out = NULL;
	for (size_t k = 0; k < n && count < CATALOG_ANSWER_MAX; k++) {
		char forced;
		size_t ns;

		if (!member_visible(&m[k], q->now_ms, q->reap_ms, &forced))
			continue;
		if (q->service == NULL) {
			const char *pk = swim_tag_get(&m[k], "pack");

			if ((q->pack != NULL && (pk == NULL ||
			    strcmp(pk, q->pack) != 0)) ||
			    (q->tag != NULL && !tag_matches(&m[k], q->tag)))
				continue;
			member_inst(&m[k], forced, &inst);
			if (!q->healthy || catalog_inst_healthy(&inst))
				push(out, &count, &inst);
			continue;
		}
		ns = catalog_svc_parse(swim_tag_get(&m[k], CATALOG_TAG_SVC),
		    svc, CATALOG_SVC_MAX);
		for (size_t j = 0; j < ns; j++) {
			if (strcmp(svc[j].name, q->service) != 0)
				continue;
			member_inst(&m[k], forced, &inst);
			inst.port = svc[j].port;
			if (!forced)
				inst.state = svc[j].state;
			memcpy(inst.tags, svc[j].tags, sizeof(inst.tags));
			if (!q->healthy || catalog_inst_healthy(&inst))
				push(out, &count, &inst);
		}
	}
	if (count > 1)
		qsort(*out, count, sizeof(**out), cmp_inst);
	return count;
}

static int
cmp_count(const void *a, const void *b)
{
	return strcmp(((const struct catalog_count *)a)->name,
	    ((const struct catalog_count *)b)->name);
}

size_t
catalog_services(const struct swim_member *m, size_t n, uint64_t now_ms,
    uint64_t reap_ms, struct catalog_count **out)
{
	struct catalog_svc svc[CATALOG_SVC_MAX];
	size_t count = 0;

	*out = NULL;
	for (size_t k = 0; k < n; k++) {
		char forced;
		size_t ns;

		if (!member_visible(&m[k], now_ms, reap_ms, &forced))
			continue;
		ns = catalog_svc_parse(swim_tag_get(&m[k], CATALOG_TAG_SVC),
		    svc, CATALOG_SVC_MAX);
		for (size_t j = 0; j < ns; j++) {
			size_t i;

			for (i = 0; i < count; i++)
				if (strcmp((*out)[i].name, svc[j].name) == 0)
					break;
			if (i == count) {
				*out = xrealloc(*out, (count + 1) *
				    sizeof(**out));
				memset(&(*out)[i], 0, sizeof(**out));
				memcpy((*out)[i].name, svc[j].name,
				    sizeof(svc[j].name));
				count++;
			}
			(*out)[i].total++;
			if (!forced && (svc[j].state == 'p' ||
			    svc[j].state == 'w'))
				(*out)[i].healthy++;
		}
	}
	if (count > 1)
		qsort(*out, count, sizeof(**out), cmp_count);
	return count;
}

void
catalog_encode(const struct catalog_inst *v, size_t n, struct buf *out)
{
	codec_put_array(out, 2);
	codec_put_uint(out, ENC_VERSION);
	codec_put_array(out, n);
	for (size_t i = 0; i < n; i++) {
		codec_put_array(out, 6);
		codec_put_text(out, v[i].node, strlen(v[i].node));
		codec_put_text(out, v[i].addr, strlen(v[i].addr));
		codec_put_uint(out, v[i].port);
		codec_put_uint(out, (uint8_t)v[i].state);
		codec_put_text(out, v[i].tags, strlen(v[i].tags));
		codec_put_text(out, v[i].check, strlen(v[i].check));
	}
}

static int
decode_one(struct rd *rd, struct catalog_inst *i)
{
	uint64_t port, state;
	int r;

	memset(i, 0, sizeof(*i));
	if ((r = codec_get_array_exact(rd, 6)) < 0)
		return r;
	if ((r = codec_get_cstr(rd, SWIM_NAME_MAX, i->node)) < 0 ||
	    (r = codec_get_cstr(rd, SWIM_ADDR_MAX, i->addr)) < 0 ||
	    (r = codec_get_uint_max(rd, 65535, &port)) < 0 ||
	    (r = codec_get_uint_max(rd, 127, &state)) < 0 ||
	    (r = codec_get_cstr(rd, CATALOG_STAGS_MAX, i->tags)) < 0 ||
	    (r = codec_get_cstr(rd, CATALOG_NAME_MAX, i->check)) < 0)
		return r;
	i->port = (uint16_t)port;
	i->state = (char)state;
	if (i->node[0] == '\0' || strchr("pwcmfs", i->state) == NULL)
		return TL_EINVAL;
	return 0;
}

int
catalog_decode(const uint8_t *p, size_t len, struct catalog_inst **out)
{
	struct rd rd;
	uint64_t ver;
	size_t n;
	int r;

	*out = NULL;
	rd_init(&rd, p, len);
	if ((r = codec_get_array_exact(&rd, 2)) < 0 ||
	    (r = codec_get_uint(&rd, &ver)) < 0)
		return r;
	if (ver != ENC_VERSION)
		return TL_EINVAL;
	if ((r = codec_get_array(&rd, CATALOG_ANSWER_MAX, &n)) < 0)
		return r;
	/* Each instance takes at least 8 bytes: bound before allocating. */
	if (n > rd_left(&rd) / 8)
		return TL_ETRUNC;
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++)
		if ((r = decode_one(&rd, &(*out)[i])) < 0) {
			free(*out);
			*out = NULL;
			return r;
		}
	if (rd_left(&rd) != 0) {
		free(*out);
		*out = NULL;
		return TL_EINVAL;
	}
	return (int)n;
}

uint64_t
catalog_digest(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
