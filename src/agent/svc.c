/*
 * Services and health on this node: what the last converged recipe
 * declared (services, checks), maintenance mode, the two tags that carry
 * them in our signed statement, and the control ops (docs/services.md).
 * Checks run in svc_checks.c, recipe reads are watched in svc_watch.c,
 * the DNS responder is svc_dns.c.
 */
#include "agent/svc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "agent/svc_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"

/* ---- Settings --------------------------------------------------------- */

void
svc_config_init(struct svc_config *c)
{
	memset(c, 0, sizeof(*c));
	c->reap_s = 600;
	c->splay_ms = 500;
}

void
svc_config_release(struct svc_config *c)
{
	free(c->dns_bind);
	free(c->dns_domain);
	svc_config_init(c);
}

static int
config_uint(unsigned *out, const char *key, const char *val,
    unsigned long max, struct tl_err *err)
{
	char *end;
	unsigned long n = strtoul(val, &end, 10);

	if (*val < '0' || *val > '9' || *end != '\0' || n > max)
		return tl_err_set(err, TL_EINVAL, "%s must be 0 to %lu, not "
		    "'%s'", key, max, val);
	*out = (unsigned)n;
	return 0;
}

int
svc_config_set(struct svc_config *c, const char *key, const char *val,
    struct tl_err *err)
{
	if (strcmp(key, "dns") == 0) {
		free(c->dns_bind);
		c->dns_bind = xstrdup(val);
		return 0;
	}
	if (strcmp(key, "dns_domain") == 0 || strcmp(key, "dns-domain") == 0) {
		for (const char *p = val; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '.' ||
			    (*p >= '0' && *p <= '9') || *p == '-'))
				return tl_err_set(err, TL_EINVAL, "dns_domain "
				    "takes lowercase letters, digits, '-' and "
				    "'.', not '%s'", val);
		if (*val == '\0' || *val == '.' || strlen(val) > 100)
			return tl_err_set(err, TL_EINVAL, "bad dns_domain "
			    "'%s'", val);
		free(c->dns_domain);
		c->dns_domain = xstrdup(val);
		return 0;
	}
	if (strcmp(key, "dns_ttl") == 0 || strcmp(key, "dns-ttl") == 0)
		return config_uint(&c->dns_ttl_s, key, val, 86400, err);
	if (strcmp(key, "catalog_reap") == 0 ||
	    strcmp(key, "catalog-reap") == 0)
		return config_uint(&c->reap_s, key, val, 30 * 86400, err);
	if (strcmp(key, "watch_splay") == 0 ||
	    strcmp(key, "watch-splay") == 0)
		return config_uint(&c->splay_ms, key, val, 600000, err);
	return 1;
}

/* ---- Helpers ------------------------------------------------------- */

struct agent_svc *
svc_of(const struct agent *a)
{
	return a->svc;
}

uint64_t
svc_now(const struct agent_svc *sv)
{
	return agent_now(sv->a);
}

size_t
svc_members(const struct agent *a, struct swim_member **out)
{
	size_t n = a->swim ? swim_member_count(a->swim) : 0, k = 0;

	*out = n ? xcalloc(n, sizeof(**out)) : NULL;
	for (size_t i = 0; i < n; i++)
		if (swim_member_at(a->swim, i, &(*out)[k]) == 0)
			k++;
	return k;
}

static void
reply_buf(struct stream_conn *c, int status, struct buf *b)
{
	agent_ctl_reply(c, status, b->data ? b->data : "", b->len);
}

/* ---- Tags ------------------------------------------------------------ */

/* The worst status among the checks of service (NULL: all), and which. */
static enum health_status
worst(const struct agent_svc *sv, const char *service, const char **which)
{
	enum health_status w = HEALTH_PASSING;

	*which = NULL;
	for (size_t i = 0; i < sv->nchecks; i++) {
		const struct svc_check *c = sv->checks[i];

		if (service != NULL && c->service[0] != '\0' &&
		    strcmp(c->service, service) != 0)
			continue;
		if (c->h.status > w) {
			w = c->h.status;
			*which = c->name;
		}
	}
	return w;
}

static char
state_letter(const struct agent_svc *sv, const char *service)
{
	const char *which;

	if (sv->is_maint)
		return 'm';
	switch (worst(sv, service, &which)) {
	case HEALTH_PASSING: return 'p';
	case HEALTH_WARNING: return 'w';
	default: return 'c';
	}
}

static void
agent_svc_tags(const struct agent *a, struct buf *tags)
{
	const struct agent_svc *sv = a->svc;
	struct catalog_svc v[CATALOG_SVC_MAX];
	enum health_status w;
	const char *which;

	if (sv == NULL || (sv->nservices == 0 && sv->nchecks == 0 &&
	    !sv->is_maint))
		return;
	if (sv->nservices > 0) {
		for (size_t i = 0; i < sv->nservices; i++) {
			v[i] = sv->services[i];
			v[i].state = state_letter(sv, v[i].name);
		}
		buf_addstr(tags, CATALOG_TAG_SVC "=");
		catalog_svc_format(v, sv->nservices, tags);
		buf_addch(tags, '\0');
	}
	buf_addstr(tags, CATALOG_TAG_HEALTH "=");
	w = worst(sv, NULL, &which);
	if (sv->is_maint)
		buf_addf(tags, "maint%s%s", sv->maint_reason[0] ? ":" : "",
		    sv->maint_reason);
	else if (w == HEALTH_PASSING)
		buf_addstr(tags, "passing");
	else
		buf_addf(tags, "%s:%s", health_status_name(w), which);
	buf_addch(tags, '\0');
}

int
agent_svc_health(const struct agent *a)
{
	const char *which;

	return a->svc == NULL ? HEALTH_PASSING : (int)worst(a->svc, NULL,
	    &which);
}

void
svc_tags_refresh(struct agent_svc *sv)
{
	struct buf now = BUF_INIT;
	int r;

	/* Our own answer moved too: recipes reading it see it. */
	if (!sv->is_dirty)
		sv->dirty_ms = svc_now(sv);
	sv->is_dirty = sv->nwatches > 0;

	/* Restating the same health (every converge declares again) is
	 * no news: only a change is signed and gossiped. */
	agent_svc_tags(sv->a, &now);
	if (now.len == sv->said.len && (now.len == 0 ||
	    memcmp(now.data, sv->said.data, now.len) == 0)) {
		buf_release(&now);
		return;
	}
	buf_release(&sv->said);
	sv->said = now;
	if ((r = agent_tags_publish(sv->a)) < 0)
		log_err("cannot gossip services and health: tags too long "
		    "(%s)", tl_strerror(r));
}

/* ---- Declarations ---------------------------------------------------- */

static void
checks_clear(struct agent_svc *sv)
{
	for (size_t i = 0; i < sv->nchecks; i++)
		svc_check_free(sv, sv->checks[i]);
	sv->nchecks = 0;
}

/*
 * Takes a declaration set ("s:..." and "k:..." strings). A check declared
 * again unchanged keeps its state, so re-converging never resets health.
 */
static int
decl_apply(struct agent_svc *sv, size_t n, const char *const *args,
    struct tl_err *err)
{
	struct catalog_svc svcs[CATALOG_SVC_MAX];
	struct svc_check *checks[SVC_CHECKS_MAX];
	size_t ns = 0, nc = 0;
	struct buf fmt = BUF_INIT;
	uint64_t now = svc_now(sv);
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		const char *d = args[i];

		if (strncmp(d, "s:", 2) == 0) {
			if (ns == CATALOG_SVC_MAX)
				r = tl_err_set(err, TL_ETOOBIG, "more than %d "
				    "services", CATALOG_SVC_MAX);
			else if (catalog_svc_parse(d + 2, &svcs[ns], 1) != 1)
				r = tl_err_set(err, TL_EINVAL, "bad service "
				    "declaration '%s'", d + 2);
			else
				ns++;
		} else if (strncmp(d, "k:", 2) == 0) {
			struct svc_check *c = NULL;

			for (size_t j = 0; j < sv->nchecks; j++)
				if (sv->checks[j] != NULL &&
				    strcmp(sv->checks[j]->def, d) == 0) {
					c = sv->checks[j];
					sv->checks[j] = NULL;
					break;
				}
			if (c == NULL)
				c = svc_check_parse(d, now, err);
			if (c == NULL)
				r = err->code;
			else if (nc == SVC_CHECKS_MAX) {
				svc_check_free(sv, c);
				r = tl_err_set(err, TL_ETOOBIG, "more than %d "
				    "checks", SVC_CHECKS_MAX);
			} else
				checks[nc++] = c;
		} else
			r = tl_err_set(err, TL_EINVAL, "bad declaration '%s'",
			    d);
	}
	catalog_svc_format(svcs, ns, &fmt);
	if (r == 0 && fmt.len > SVC_TAGS_BUDGET)
		r = tl_err_set(err, TL_ETOOBIG, "the services take %zu bytes "
		    "of tags, more than the %d they may", fmt.len,
		    SVC_TAGS_BUDGET);
	buf_release(&fmt);
	if (r < 0) {
		/* Checks taken from the old set go back there. */
		for (size_t i = 0; i < nc; i++) {
			size_t j;

			for (j = 0; j < sv->nchecks; j++)
				if (sv->checks[j] == NULL) {
					sv->checks[j] = checks[i];
					break;
				}
			if (j == sv->nchecks)
				svc_check_free(sv, checks[i]);
		}
		return r;
	}
	for (size_t j = 0; j < sv->nchecks; j++)
		if (sv->checks[j] != NULL)
			svc_check_free(sv, sv->checks[j]);
	memcpy(sv->checks, checks, nc * sizeof(checks[0]));
	sv->nchecks = nc;
	memcpy(sv->services, svcs, ns * sizeof(svcs[0]));
	sv->nservices = ns;
	return 0;
}

static void
decl_save(struct agent_svc *sv, size_t n, const char *const *args)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s\n", args[i]);
	if (fileio_write_quick(sv->decl_path, b.data ? b.data : "", b.len,
	    &err) < 0)
		log_warn("cannot save services: %s", err.msg);
	buf_release(&b);
}

/* Splits saved lines into args (in place in b). */
static size_t
lines_split(struct buf *b, const char **args, size_t max)
{
	size_t n = 0;
	char *p = b->data;

	while (p != NULL && *p != '\0' && n < max) {
		char *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl++ = '\0';
		if (*p != '\0')
			args[n++] = p;
		p = nl;
	}
	return n;
}

static void
decl_load(struct agent_svc *sv)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	const char *args[CTL_ARGS_MAX];
	size_t n;

	if (fileio_read(sv->decl_path, 1 << 20, &b, &err) < 0) {
		buf_release(&b);
		return;
	}
	buf_addch(&b, '\0');
	n = lines_split(&b, args, CTL_ARGS_MAX);
	if (decl_apply(sv, n, args, &err) < 0)
		log_warn("ignoring saved services '%s': %s", sv->decl_path,
		    err.msg);
	buf_release(&b);
}

static void
ctl_decl(struct agent_svc *sv, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf msg = BUF_INIT;

	if (decl_apply(sv, req->nargs, req->args, &err) < 0) {
		buf_addf(&msg, "services and checks not taken: %s\n",
		    err.msg);
		reply_buf(c, 1, &msg);
		buf_release(&msg);
		return;
	}
	decl_save(sv, req->nargs, req->args);
	svc_tags_refresh(sv);
	agent_ctl_reply_str(c, 0, "ok\n");
}

/* ---- Maintenance ------------------------------------------------------ */

static void
maint_load(struct agent_svc *sv)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	if (fileio_read(sv->maint_path, 4096, &b, &err) == 0) {
		sv->is_maint = 1;
		snprintf(sv->maint_reason, sizeof(sv->maint_reason), "%.*s",
		    (int)strcspn(b.data ? b.data : "", "\n"),
		    b.data ? b.data : "");
		log_notice("in maintenance since before the restart%s%s",
		    sv->maint_reason[0] ? ": " : "", sv->maint_reason);
	}
	buf_release(&b);
}

/* A reason goes into a tag: keep it short and plain. */
static void
maint_reason_set(struct agent_svc *sv, const char *r)
{
	size_t k = 0;

	for (; *r != '\0' && k + 1 < sizeof(sv->maint_reason) && k < 40; r++)
		sv->maint_reason[k++] = (*r >= 0x21 && *r < 0x7f &&
		    *r != ',') ? *r : '_';
	sv->maint_reason[k] = '\0';
}

static void
ctl_maint(struct agent_svc *sv, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf msg = BUF_INIT;
	const char *what = req->nargs > 0 ? req->args[0] : "";

	if (strcmp(what, "on") == 0) {
		maint_reason_set(sv, req->nargs > 1 ? req->args[1] : "");
		if (fileio_write_atomic(sv->maint_path, sv->maint_reason,
		    strlen(sv->maint_reason), NULL, &err) < 0) {
			buf_addf(&msg, "cannot save maintenance: %s\n",
			    err.msg);
			reply_buf(c, 1, &msg);
			buf_release(&msg);
			return;
		}
		if (!sv->is_maint)
			log_notice("maintenance on%s%s", sv->maint_reason[0] ?
			    ": " : "", sv->maint_reason);
		sv->is_maint = 1;
	} else if (strcmp(what, "off") == 0) {
		if (unlink(sv->maint_path) < 0 && errno != ENOENT) {
			agent_ctl_reply_str(c, 1,
			    "cannot remove the maintenance file\n");
			return;
		}
		if (sv->is_maint)
			log_notice("maintenance off");
		sv->is_maint = 0;
		sv->maint_reason[0] = '\0';
	} else if (what[0] != '\0') {
		agent_ctl_reply_str(c, 1, "maint takes on or off\n");
		return;
	}
	svc_tags_refresh(sv);
	buf_addf(&msg, "maintenance %s%s%s\n", sv->is_maint ? "on" : "off",
	    sv->is_maint && sv->maint_reason[0] ? ": " : "",
	    sv->is_maint ? sv->maint_reason : "");
	reply_buf(c, 0, &msg);
	buf_release(&msg);
}

/* ---- Listing ---------------------------------------------------------- */

static void
checks_render(struct agent_svc *sv, struct buf *out, int json)
{
	uint64_t now = svc_now(sv);
	static const char *const kinds[] = { "script", "http", "tcp", "ttl" };

	if (json)
		buf_addf(out, "{\"maintenance\":%s,\"checks\":[",
		    sv->is_maint ? "true" : "false");
	else
		buf_addf(out, "%-20s %-12s %-7s %-9s %8s %s\n", "CHECK",
		    "SERVICE", "KIND", "STATUS", "AGE", "OUTPUT");
	for (size_t i = 0; i < sv->nchecks; i++) {
		const struct svc_check *k = sv->checks[i];
		uint64_t age = k->last_ms ? (now - k->last_ms) / 1000 : 0;

		if (json) {
			buf_addf(out, "%s{\"name\":", i ? "," : "");
			buf_add_json_str(out, k->name, strlen(k->name));
			buf_addstr(out, ",\"service\":");
			buf_add_json_str(out, k->service, strlen(k->service));
			buf_addf(out, ",\"kind\":\"%s\",\"status\":\"%s\","
			    "\"last\":\"%s\",\"suppressed\":%s,\"runs\":%"
			    PRIu64 ",\"timeouts\":%" PRIu64 ",\"changes\":%"
			    PRIu64 ",\"changed_at_ms\":%" PRIu64
			    ",\"output\":", kinds[k->kind],
			    health_status_name(k->h.status),
			    k->last_ms ? health_status_name(k->last) : "none",
			    k->h.is_suppressed ? "true" : "false", k->runs,
			    k->timeouts, k->h.changes, k->changed_wall_ms);
			buf_add_json_str(out, k->output, strlen(k->output));
			buf_addch(out, '}');
		} else
			buf_addf(out, "%-20s %-12s %-7s %-9s %7" PRIu64
			    "s %.*s%s\n", k->name, k->service[0] ?
			    k->service : "-", kinds[k->kind],
			    health_status_name(k->h.status), age,
			    (int)strcspn(k->output, "\n"), k->output,
			    k->h.is_suppressed ? " (held: flapping)" : "");
	}
	if (json)
		buf_addstr(out, "]}\n");
	else if (sv->is_maint)
		buf_addf(out, "maintenance on%s%s\n", sv->maint_reason[0] ?
		    ": " : "", sv->maint_reason);
}

static void
ctl_checks(struct agent_svc *sv, struct stream_conn *c, int json)
{
	struct buf out = BUF_INIT;

	checks_render(sv, &out, json);
	reply_buf(c, 0, &out);
	buf_release(&out);
}

static void
ctl_check_in(struct agent_svc *sv, struct stream_conn *c,
    const struct ctl_req *req)
{
	enum health_status st = HEALTH_PASSING;
	const char *note = req->nargs > 2 ? req->args[2] : "";
	struct buf msg = BUF_INIT;

	if (req->nargs < 1) {
		agent_ctl_reply_str(c, 1, "check-in needs a check name\n");
		return;
	}
	if (req->nargs > 1 && req->args[1][0] != '\0' &&
	    health_status_parse(req->args[1], &st) < 0) {
		agent_ctl_reply_str(c, 1, "status must be passing, warning or "
		    "critical\n");
		return;
	}
	for (size_t i = 0; i < sv->nchecks; i++) {
		struct svc_check *k = sv->checks[i];

		if (strcmp(k->name, req->args[0]) != 0)
			continue;
		if (k->kind != CK_TTL) {
			buf_addf(&msg, "check '%s' is not a ttl check\n",
			    k->name);
			reply_buf(c, 1, &msg);
			buf_release(&msg);
			return;
		}
		k->ttl_deadline_ms = svc_now(sv) + k->interval_ms;
		svc_check_result(sv, k, st, note, strlen(note));
		buf_addf(&msg, "%s: %s\n", k->name,
		    health_status_name(k->h.status));
		reply_buf(c, 0, &msg);
		buf_release(&msg);
		return;
	}
	buf_addf(&msg, "no check named '%s' here\n", req->args[0]);
	reply_buf(c, 1, &msg);
	buf_release(&msg);
}

static void
services_render(struct agent *a, struct buf *out, int json)
{
	struct swim_member *m;
	struct catalog_count *v;
	size_t n = svc_members(a, &m), k;

	k = catalog_services(m, n, agent_now(a),
	    (uint64_t)a->cfg.svc.reap_s * 1000, &v);
	if (json)
		buf_addstr(out, "{\"services\":[");
	else
		buf_addf(out, "%-24s %9s %9s\n", "SERVICE", "INSTANCES",
		    "HEALTHY");
	for (size_t i = 0; i < k; i++)
		if (json)
			buf_addf(out, "%s{\"name\":\"%s\",\"instances\":%u,"
			    "\"healthy\":%u}", i ? "," : "", v[i].name,
			    v[i].total, v[i].healthy);
		else
			buf_addf(out, "%-24s %9u %9u\n", v[i].name,
			    v[i].total, v[i].healthy);
	if (json)
		buf_addstr(out, "]}\n");
	free(v);
	free(m);
}

static void
ctl_services(struct agent *a, struct stream_conn *c, int json)
{
	struct buf out = BUF_INIT;

	services_render(a, &out, json);
	reply_buf(c, 0, &out);
	buf_release(&out);
}

void
agent_svc_checks_json(struct agent *a, struct buf *out)
{
	if (a->svc == NULL)
		buf_addstr(out, "{\"maintenance\":false,\"checks\":[]}\n");
	else
		checks_render(a->svc, out, 1);
}

void
agent_svc_services_json(struct agent *a, struct buf *out)
{
	services_render(a, out, 1);
}

static void
catalog_text(const struct catalog_inst *v, size_t n, int json,
    struct buf *out)
{
	if (json)
		buf_addstr(out, "{\"instances\":[");
	else
		buf_addf(out, "%-20s %-24s %5s %-11s %s\n", "NODE", "ADDRESS",
		    "PORT", "STATUS", "TAGS");
	for (size_t i = 0; i < n; i++) {
		if (!json) {
			buf_addf(out, "%-20s %-24s %5u %-11s %s%s%s\n",
			    v[i].node, v[i].addr, (unsigned)v[i].port,
			    catalog_state_name(v[i].state), v[i].tags,
			    v[i].check[0] ? " check=" : "", v[i].check);
			continue;
		}
		buf_addf(out, "%s{\"node\":", i ? "," : "");
		buf_add_json_str(out, v[i].node, strlen(v[i].node));
		buf_addstr(out, ",\"addr\":");
		buf_add_json_str(out, v[i].addr, strlen(v[i].addr));
		buf_addf(out, ",\"port\":%u,\"status\":\"%s\",\"healthy\":%s,"
		    "\"tags\":", (unsigned)v[i].port,
		    catalog_state_name(v[i].state),
		    catalog_inst_healthy(&v[i]) ? "true" : "false");
		buf_add_json_str(out, v[i].tags, strlen(v[i].tags));
		buf_addstr(out, ",\"check\":");
		buf_add_json_str(out, v[i].check, strlen(v[i].check));
		buf_addch(out, '}');
	}
	if (json)
		buf_addstr(out, "]}\n");
}

static void
ctl_catalog(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct buf out = BUF_INIT, enc = BUF_INIT;
	struct catalog_inst *v = NULL;
	int n;

	if (req->nargs < 1 ||
	    svc_watch_answer(a, req->args[0], &enc) < 0) {
		agent_ctl_reply_str(c, 1, "bad catalog query\n");
		goto out;
	}
	if (req->nargs > 1 && strcmp(req->args[1], "cbor") == 0) {
		reply_buf(c, 0, &enc);
		goto out;
	}
	n = catalog_decode((const uint8_t *)enc.data, enc.len, &v);
	TL_ASSERT(n >= 0);
	catalog_text(v, (size_t)n, req->flags & CTL_F_JSON, &out);
	reply_buf(c, 0, &out);
out:
	free(v);
	buf_release(&out);
	buf_release(&enc);
}

static void
ctl_watch(struct agent_svc *sv, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < req->nargs && n < SVC_WATCH_MAX; i++) {
		if (svc_watch_parse(req->args[i], &sv->watches[n]) < 0)
			continue;
		buf_addf(&b, "%s\n", req->args[i]);
		n++;
	}
	sv->nwatches = n;
	sv->asked_ms = 0;	/* this run's reads replace what fired */
	sv->is_dirty = 1;	/* the answer may have moved already */
	sv->dirty_ms = svc_now(sv);
	if (fileio_write_quick(sv->watch_path, b.data ? b.data : "", b.len,
	    &err) < 0)
		log_warn("cannot save catalog reads: %s", err.msg);
	buf_release(&b);
	agent_ctl_reply_str(c, 0, "ok\n");
}

static void
agent_svc_ctl(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct agent_svc *sv = a->svc;
	int json = req->flags & CTL_F_JSON;

	switch (req->op) {
	case CTL_SVC_DECL:	ctl_decl(sv, c, req); break;
	case CTL_SVC_WATCH:	ctl_watch(sv, c, req); break;
	case CTL_SERVICES:	ctl_services(a, c, json); break;
	case CTL_CATALOG:	ctl_catalog(a, c, req); break;
	case CTL_CHECKS:	ctl_checks(sv, c, json); break;
	case CTL_CHECK_IN:	ctl_check_in(sv, c, req); break;
	case CTL_MAINT:		ctl_maint(sv, c, req); break;
	default:
		agent_ctl_reply_str(c, 1, "unknown request\n");
		break;
	}
}

/* ---- Life ------------------------------------------------------------- */

static void
timer_cb(uv_timer_t *t)
{
	struct agent_svc *sv = t->data;
	uint64_t now = svc_now(sv);

	if (sv->is_closing)
		return;
	svc_checks_tick(sv, now);
	svc_watch_tick(sv, now);
}

/* Membership changed: answers may have (debounced re-check). */
static void
agent_svc_on_event(struct agent *a, const struct agent_event *ev)
{
	struct agent_svc *sv = a->svc;

	if (ev->kind != AGENT_EV_MEMBER || sv == NULL || sv->nwatches == 0)
		return;
	if (!sv->is_dirty)
		sv->dirty_ms = agent_now(a);
	sv->is_dirty = 1;
}

static int
agent_svc_open(struct agent *a, struct tl_err *err)
{
	struct agent_svc *sv = xcalloc(1, sizeof(*sv));
	const char *dir = a->cfg.state_dir;

	buf_init(&sv->chain_base);
	sv->a = a;
	a->tags_publish = svc_flip_publish;
	a->svc = sv;
	sv->decl_path = xasprintf("%s/services.decl", dir);
	sv->maint_path = xasprintf("%s/maint", dir);
	sv->watch_path = xasprintf("%s/catalog.reads", dir);
	decl_load(sv);
	maint_load(sv);
	svc_watch_load(sv);
	uv_timer_init(a->loop, &sv->timer);
	sv->timer.data = sv;
	sv->is_timer_open = 1;
	uv_timer_start(&sv->timer, timer_cb, SVC_TICK_MS, SVC_TICK_MS);
	return svc_dns_open(a, err);
}

static void
agent_svc_info(const struct agent *a, struct buf *out, int json)
{
	const struct agent_svc *sv = a->svc;
	const char *which;
	enum health_status w;

	if (sv == NULL)
		return;
	w = worst(sv, NULL, &which);
	if (json) {
		buf_addf(out, "\"node_health\":\"%s\",\"maintenance\":%s,"
		    "\"services\":%zu,\"checks\":{\"declared\":%zu,\"runs\":%"
		    PRIu64 ",\"timeouts\":%" PRIu64 ",\"changes\":%" PRIu64
		    ",\"flips\":%" PRIu64 "},\"catalog_reads\":%zu,\"catalog_converges\":%" PRIu64
		    ",\"dns\":{\"queries\":%" PRIu64 ",\"answered\":%" PRIu64
		    ",\"nxdomain\":%" PRIu64 ",\"refused\":%" PRIu64
		    ",\"malformed\":%" PRIu64 "},", health_status_name(w),
		    sv->is_maint ? "true" : "false", sv->nservices,
		    sv->nchecks, sv->checks_run, sv->check_timeouts,
		    sv->health_changes, sv->health_flips, sv->nwatches,
		    sv->watch_fires, sv->dns_queries, sv->dns_answers, sv->dns_nx,
		    sv->dns_refused, sv->dns_malformed);
		return;
	}
	buf_addf(out, "health: %s%s%s, %zu services, %zu checks (%" PRIu64
	    " runs, %" PRIu64 " timeouts, %" PRIu64 " changes, %" PRIu64
	    " told as flips)\n",
	    sv->is_maint ? "maintenance" : health_status_name(w),
	    which && !sv->is_maint ? " " : "", which && !sv->is_maint ?
	    which : "", sv->nservices, sv->nchecks, sv->checks_run,
	    sv->check_timeouts, sv->health_changes, sv->health_flips);
	buf_addf(out, "catalog reads: %zu, converges they caused: %" PRIu64
	    "; dns: %" PRIu64 " queries, %" PRIu64 " answered, %" PRIu64
	    " nxdomain, %" PRIu64 " refused, %" PRIu64 " malformed\n",
	    sv->nwatches, sv->watch_fires, sv->dns_queries, sv->dns_answers,
	    sv->dns_nx, sv->dns_refused, sv->dns_malformed);
}

static void
agent_svc_close(struct agent *a)
{
	struct agent_svc *sv = a->svc;

	if (sv == NULL)
		return;
	sv->is_closing = 1;
	checks_clear(sv);
	if (sv->is_timer_open) {
		uv_timer_stop(&sv->timer);
		uv_close((uv_handle_t *)&sv->timer, NULL);
		sv->is_timer_open = 0;
	}
	svc_dns_close(sv);
}

/* After the loop ended: the timer and the DNS socket live in *sv. */
static void
agent_svc_free(void *ctx)
{
	struct agent *a = ctx;
	struct agent_svc *sv = a->svc;

	if (sv == NULL)
		return;
	checks_clear(sv);
	buf_release(&sv->said);
	buf_release(&sv->chain_base);
	free(sv->decl_path);
	free(sv->maint_path);
	free(sv->watch_path);
	free(sv);
	a->svc = NULL;
}

/* Stops checks, timers and the DNS socket now; frees after the loop. */
static void
svc_close(struct agent *a)
{
	a->tags_publish = NULL;
	agent_svc_close(a);
	agent_after_loop(a, agent_svc_free, a);
}

static const struct agent_ctl_op svc_ops[] = {
	{ CTL_SVC_DECL, agent_svc_ctl }, { CTL_SVC_WATCH, agent_svc_ctl },
	{ CTL_SERVICES, agent_svc_ctl }, { CTL_CATALOG, agent_svc_ctl },
	{ CTL_CHECKS, agent_svc_ctl }, { CTL_CHECK_IN, agent_svc_ctl },
	{ CTL_MAINT, agent_svc_ctl }, { 0, NULL }
};

const struct agent_sub agent_svc_sub = { .name = "services",
	.open = agent_svc_open, .tags = agent_svc_tags,
	.info = agent_svc_info, .close = svc_close, .ctl = svc_ops,
	.on_event = agent_svc_on_event };
