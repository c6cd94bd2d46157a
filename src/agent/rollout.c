/*
 * Rollouts gated by health (docs/services.md, "Rollouts"). A serial
 * published with `--canary/--wave/--wait-healthy/--max-unhealthy` carries
 * its plan in the signed bundle (the file .tlaloc-rollout). Every node
 * works out the same waves by itself, with no coordinator: the nodes are
 * ranked by a hash of the serial and their id, the first `canary` of them
 * are wave 0, then waves of `wave_pct` percent. A node of wave k converges
 * the serial only once every node of the waves before it says, in its
 * signed tag rollout=SERIAL:STATE, that it is ok (converged, then passing
 * its checks for wait_healthy) and no more than max_unhealthy of them are
 * bad. A node whose run fails or whose checks go critical within
 * wait_healthy is bad: it goes back to the last serial it ran well, by
 * itself, at once. A rollout with too many bad nodes is stopped: nobody
 * else converges that serial, which stays held until a newer one comes.
 * Until its wave may go a node keeps converging its last good serial.
 *
 * A member that ran the serial and then failed counts as bad; members are
 * ranked as the node sees them when it decides (a node joining during a
 * rollout can shift later waves; one that already converged keeps its
 * state).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "agent/rollout.h"
#include "agent/svc.h"
#include "cluster/health.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define RO_FILE		".tlaloc-rollout"
#define RO_TAG		"rollout"
#define RO_GATE_MS	500	/* how often a held node looks again */
#define RO_FILE_VERSION	1	/* STATE_DIR/rollout */

enum ro_state { RO_NONE, RO_HELD, RO_RUN, RO_WAIT, RO_OK, RO_BAD };
static const char *const ro_names[] = { "none", "held", "run", "wait",
	"ok", "bad" };

struct ro_spec {
	unsigned	 canary, canary_pct, wave_pct;
	uint64_t	 wait_ms;
	unsigned	 max_bad;
};

struct agent_rollout {
	uint64_t	 serial;	/* the serial being rolled out here */
	struct ro_spec	 spec;
	enum ro_state	 state;
	uint64_t	 since_ms;	/* RO_WAIT: since the run ended */
	uint64_t	 last_ok;	/* the last serial that ran well here */
	uint64_t	 gate_ms;	/* next look at the gate (held) */
	int		 is_stopped;
	char		*path;
	uv_timer_t	*timer;		/* health and gate, every 100 ms */
};

static struct agent_rollout *
ro_of(struct agent *a)
{
	if (a->rollout == NULL) {
		a->rollout = xcalloc(1, sizeof(*a->rollout));
		a->rollout->path = xasprintf("%s/rollout", a->cfg.state_dir);
	}
	return a->rollout;
}

void
agent_rollout_file_encode(const struct agent_rollout_file *f,
    struct buf *out)
{
	codec_put_array(out, 4);
	codec_put_uint(out, RO_FILE_VERSION);
	codec_put_uint(out, f->serial);
	codec_put_uint(out, f->state);
	codec_put_uint(out, f->last_ok);
}

int
agent_rollout_file_decode(const uint8_t *p, size_t n,
    struct agent_rollout_file *f)
{
	uint64_t ver, st;
	struct rd rd;
	int r;

	memset(f, 0, sizeof(*f));
	rd_init(&rd, p, n);
	if ((r = codec_get_array_exact(&rd, 4)) < 0)
		return r;
	if ((r = codec_get_uint_max(&rd, RO_FILE_VERSION, &ver)) < 0 ||
	    (r = codec_get_uint(&rd, &f->serial)) < 0 ||
	    (r = codec_get_uint_max(&rd, RO_BAD, &st)) < 0 ||
	    (r = codec_get_uint(&rd, &f->last_ok)) < 0)
		return r;
	f->state = (int)st;
	return ver == RO_FILE_VERSION && rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

static void
ro_save(struct agent_rollout *ro)
{
	struct agent_rollout_file f = { ro->serial, ro->state, ro->last_ok };
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	agent_rollout_file_encode(&f, &b);
	if (fileio_write_quick(ro->path, b.data, b.len, &err) < 0)
		log_warn("cannot save rollout state: %s", err.msg);
	buf_release(&b);
}

void
agent_rollout_open(struct agent *a)
{
	struct agent_rollout *ro = ro_of(a);
	struct tl_err err = TL_ERR_INIT;
	struct agent_rollout_file f;
	struct buf b = BUF_INIT;

	if (fileio_read(ro->path, 4096, &b, &err) == 0) {
		if (agent_rollout_file_decode((uint8_t *)b.data, b.len,
		    &f) == 0) {
			ro->serial = f.serial;
			ro->state = (enum ro_state)f.state;
			ro->last_ok = f.last_ok;
			/* A wait cut by a restart starts over. */
			if (ro->state == RO_WAIT || ro->state == RO_RUN)
				ro->state = RO_HELD;
		} else
			log_warn("%s is not a rollout state this version "
			    "reads: this node's rollout starts afresh",
			    ro->path);
	}
	buf_release(&b);
}

void
agent_rollout_free(struct agent *a)
{
	if (a->rollout == NULL)
		return;
	free(a->rollout->path);
	free(a->rollout);
	a->rollout = NULL;
}

/* The plan in tree/.tlaloc-rollout; 0 when there is none. */
static int
spec_read(const char *tree, struct ro_spec *sp)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", tree, RO_FILE), *line, *save;
	int found = 0;

	memset(sp, 0, sizeof(*sp));
	sp->wave_pct = 100;
	if (fileio_read(path, 4096, &b, &err) == 0) {
		found = 1;
		buf_addch(&b, '\0');
		for (line = strtok_r(b.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			unsigned long long v;
			char key[32];

			if (sscanf(line, "%31[a-z_]=%llu", key, &v) != 2)
				continue;
			if (strcmp(key, "canary") == 0)
				sp->canary = (unsigned)v;
			else if (strcmp(key, "canary_pct") == 0)
				sp->canary_pct = (unsigned)v;
			else if (strcmp(key, "wave_pct") == 0 && v > 0 &&
			    v <= 100)
				sp->wave_pct = (unsigned)v;
			else if (strcmp(key, "wait_healthy_ms") == 0)
				sp->wait_ms = v;
			else if (strcmp(key, "max_unhealthy") == 0)
				sp->max_bad = (unsigned)v;
		}
	}
	free(path);
	buf_release(&b);
	return found;
}

/* ---- Waves ------------------------------------------------------------ */

struct ranked {
	uint64_t	 key;
	char		 name[SWIM_NAME_MAX + 1];
	enum ro_state	 state;
	int		 is_self;
	unsigned	 wave;
};

static uint64_t
rank_key(uint64_t serial, const uint8_t *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(serial >> (8 * i))) * 0x100000001b3ULL;
	for (int i = 0; i < SWIM_ID_LEN; i++)
		h = (h ^ id[i]) * 0x100000001b3ULL;
	return h;
}

static enum ro_state
tag_state(const struct swim_member *m, uint64_t serial)
{
	const char *t = swim_tag_get(m, RO_TAG), *colon;

	if (t == NULL || strtoull(t, NULL, 10) != serial ||
	    (colon = strchr(t, ':')) == NULL)
		return RO_NONE;
	for (int i = RO_HELD; i <= RO_BAD; i++)
		if (strcmp(colon + 1, ro_names[i]) == 0)
			return (enum ro_state)i;
	return RO_NONE;
}

static int
cmp_ranked(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;

	return a->key < b->key ? -1 : a->key > b->key;
}

/*
 * Every member taking part, ranked and given its wave. Members that are
 * down count only if they said they ran this serial, and then as bad.
 */
static size_t
waves(struct agent *a, uint64_t serial, const struct ro_spec *sp,
    struct ranked **out, unsigned *nwaves)
{
	struct agent_rollout *ro = a->rollout;
	size_t n = swim_member_count(a->swim), k = 0, canary, wave;
	struct ranked *v = xcalloc(n ? n : 1, sizeof(*v));
	struct swim_member m;

	for (size_t i = 0; i < n; i++) {
		enum ro_state st;

		if (swim_member_at(a->swim, i, &m) < 0)
			continue;
		st = m.is_self ? ro->state : tag_state(&m, serial);
		if (m.status == SWIM_LEFT || (m.status == SWIM_DEAD &&
		    st == RO_NONE))
			continue;
		if (m.status == SWIM_DEAD)
			st = RO_BAD;
		v[k].key = rank_key(serial, m.id);
		snprintf(v[k].name, sizeof(v[k].name), "%s", m.name);
		v[k].state = st;
		v[k].is_self = m.is_self;
		k++;
	}
	qsort(v, k, sizeof(*v), cmp_ranked);
	canary = sp->canary ? sp->canary : sp->canary_pct ?
	    (k * sp->canary_pct + 99) / 100 : 0;
	if (canary > k)
		canary = k;
	wave = (k * sp->wave_pct + 99) / 100;
	if (wave == 0)
		wave = 1;
	*nwaves = 0;
	for (size_t i = 0; i < k; i++) {
		v[i].wave = i < canary ? 0 : (unsigned)(1 + (i - canary) / wave -
		    (canary == 0));
		if (v[i].wave + 1 > *nwaves)
			*nwaves = v[i].wave + 1;
	}
	*out = v;
	return k;
}

/* 1: my wave may go; 0: not yet; -1: the rollout is stopped. */
static int
gate(struct agent *a, uint64_t serial, const struct ro_spec *sp)
{
	struct ranked *v;
	unsigned nw, mine = 0, bad = 0;
	size_t n = waves(a, serial, sp, &v, &nw);
	int open = 1;

	for (size_t i = 0; i < n; i++)
		if (v[i].is_self)
			mine = v[i].wave;
	for (size_t i = 0; i < n; i++) {
		if (v[i].state == RO_BAD)
			bad++;
		if (v[i].wave < mine && v[i].state != RO_OK &&
		    v[i].state != RO_BAD)
			open = 0;
	}
	free(v);
	if (bad > sp->max_bad)
		return -1;
	return open;
}

/* ---- The converge loop's side ---------------------------------------- */

static void
ro_set(struct agent *a, enum ro_state st, const char *why)
{
	struct agent_rollout *ro = a->rollout;

	if (ro->state == st)
		return;
	log_notice("rollout of serial %" PRIu64 ": %s -> %s%s%s", ro->serial,
	    ro_names[ro->state], ro_names[st], why ? " (" : "",
	    why ? why : "");
	ro->state = st;
	ro_save(ro);
	agent_tags_publish(a);
}

uint64_t
agent_rollout_pick(struct agent *a, uint64_t serial, const char *tree)
{
	struct agent_rollout *ro = ro_of(a);
	struct ro_spec sp;
	int g;

	if (!spec_read(tree, &sp)) {
		if (ro->serial != 0 && ro->serial < serial) {
			ro->serial = 0;
			ro->state = RO_NONE;
			ro_save(ro);
		}
		return serial;
	}
	if (ro->serial != serial) {
		ro->serial = serial;
		ro->state = RO_NONE;
		ro->is_stopped = 0;
	}
	ro->spec = sp;
	switch (ro->state) {
	case RO_BAD:
		return ro->last_ok;
	case RO_RUN:
	case RO_WAIT:
	case RO_OK:
		return serial;
	default:
		break;
	}
	g = gate(a, serial, &sp);
	if (g > 0) {
		ro_set(a, RO_RUN, NULL);
		return serial;
	}
	ro->is_stopped = g < 0;
	ro_set(a, RO_HELD, g < 0 ? "stopped: too many unhealthy nodes" :
	    NULL);
	ro->gate_ms = agent_now(a) + RO_GATE_MS;
	return ro->last_ok;
}

void
agent_rollout_run_done(struct agent *a, uint64_t serial, int status)
{
	struct agent_rollout *ro = ro_of(a);
	int ok = status == 0 || status == 2;

	/* Exit 1: the serial did not even compile here. */
	if (ro->serial == serial && ro->state == RO_RUN) {
		if (!ok) {
			ro_set(a, RO_BAD, "the run failed; back to the last "
			    "good serial");
			agent_converge_request(a, "rollout: back to the last "
			    "good serial");
			return;
		}
		ro->since_ms = agent_now(a);
		if (ro->spec.wait_ms == 0)
			ro->last_ok = serial;
		ro_set(a, ro->spec.wait_ms ? RO_WAIT : RO_OK, NULL);
		return;
	}
	/* The rollout's serial is good here only once it proved healthy. */
	if (ok && (ro->serial != serial || ro->state == RO_OK) &&
	    ro->last_ok != serial) {
		ro->last_ok = serial;
		ro_save(ro);
	}
}

void
agent_rollout_tick(struct agent *a, uint64_t now)
{
	struct agent_rollout *ro = a->rollout;

	if (ro == NULL || ro->serial == 0)
		return;
	if (ro->state == RO_WAIT) {
		if (agent_svc_health(a) == HEALTH_CRITICAL) {
			ro_set(a, RO_BAD, "checks critical while waiting to "
			    "be healthy; back to the last good serial");
			agent_converge_request(a, "rollout: back to the last "
			    "good serial");
		} else if (now - ro->since_ms >= ro->spec.wait_ms) {
			ro->last_ok = ro->serial;
			ro_set(a, RO_OK, NULL);
		}
		return;
	}
	if (ro->state == RO_HELD && !ro->is_stopped && now >= ro->gate_ms) {
		int g = gate(a, ro->serial, &ro->spec);

		ro->gate_ms = now + RO_GATE_MS;
		if (g > 0)
			agent_converge_request(a, "rollout: our wave may go");
		else if (g < 0) {
			ro->is_stopped = 1;
			log_notice("rollout of serial %" PRIu64 " stopped: too "
			    "many unhealthy nodes; staying on serial %" PRIu64,
			    ro->serial, ro->last_ok);
		}
	}
}

void
agent_rollout_tags(const struct agent *a, struct buf *tags)
{
	const struct agent_rollout *ro = a->rollout;

	if (ro == NULL || ro->serial == 0 || ro->state == RO_NONE)
		return;
	buf_addf(tags, RO_TAG "=%" PRIu64 ":%s", ro->serial,
	    ro_names[ro->state]);
	buf_addch(tags, '\0');
}

void
agent_rollout_status(struct agent *a, struct buf *out, int json)
{
	struct agent_rollout *ro = a->rollout;
	struct ranked *v;
	unsigned nw, bad = 0;
	size_t n;

	if (ro == NULL || ro->serial == 0) {
		if (json)
			buf_addstr(out, ",\"rollout\":null");
		return;
	}
	n = waves(a, ro->serial, &ro->spec, &v, &nw);
	for (size_t i = 0; i < n; i++)
		bad += v[i].state == RO_BAD;
	if (json)
		buf_addf(out, ",\"rollout\":{\"serial\":%" PRIu64 ",\"canary\":"
		    "%u,\"canary_pct\":%u,\"wave_pct\":%u,\"wait_healthy_ms\":%"
		    PRIu64 ",\"max_unhealthy\":%u,\"unhealthy\":%u,"
		    "\"stopped\":%s,\"last_good\":%" PRIu64 ",\"nodes\":[",
		    ro->serial, ro->spec.canary, ro->spec.canary_pct,
		    ro->spec.wave_pct, ro->spec.wait_ms, ro->spec.max_bad, bad,
		    bad > ro->spec.max_bad ? "true" : "false", ro->last_ok);
	else
		buf_addf(out, "rollout of serial %" PRIu64 ": %u waves, %u "
		    "unhealthy (at most %u)%s; this node: %s, last good serial %"
		    PRIu64 "\n", ro->serial, nw, bad, ro->spec.max_bad,
		    bad > ro->spec.max_bad ? ", STOPPED" : "",
		    ro_names[ro->state], ro->last_ok);
	for (unsigned w = 0; w < nw; w++) {
		if (!json)
			buf_addf(out, "  wave %u%s:", w, w == 0 &&
			    (ro->spec.canary || ro->spec.canary_pct) ?
			    " (canary)" : "");
		for (size_t i = 0; i < n; i++) {
			if (v[i].wave != w)
				continue;
			if (json) {
				buf_addf(out, "%s{\"node\":", i ? "," : "");
				buf_add_json_str(out, v[i].name,
				    strlen(v[i].name));
				buf_addf(out, ",\"wave\":%u,\"state\":\"%s\"}",
				    w, v[i].state == RO_NONE ? "pending" :
				    ro_names[v[i].state]);
			} else
				buf_addf(out, " %s=%s", v[i].name,
				    v[i].state == RO_NONE ? "pending" :
				    ro_names[v[i].state]);
		}
		if (!json)
			buf_addch(out, '\n');
	}
	if (json)
		buf_addstr(out, "]}");
	free(v);
}

static void
timer_cb(uv_timer_t *t)
{
	struct agent *a = t->data;

	if (a->rollout != NULL)
		agent_rollout_tick(a, agent_now(a));
}

static int
rollout_open(struct agent *a, struct tl_err *err)
{
	(void)err;
	agent_rollout_open(a);
	a->rollout->timer = agent_timer_new(a);
	uv_timer_start(a->rollout->timer, timer_cb, 100, 100);
	return 0;
}

static void
rollout_close(struct agent *a)
{
	if (a->rollout != NULL)
		agent_timer_free(a->rollout->timer);
	agent_rollout_free(a);
}

static void
rollout_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_RUN_DONE)
		agent_rollout_run_done(a, ev->done->serial, ev->done->status);
}

const struct agent_sub agent_rollout_sub = { .name = "rollout",
	.open = rollout_open, .tags = agent_rollout_tags,
	.close = rollout_close, .on_event = rollout_on_event };
