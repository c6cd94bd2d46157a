/* An agent for unit tests of its subsystems (agent_fixture.h). */
#include "agent_fixture.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/membership.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "test.h"

unsigned fixture_spy_tag = 1;
static struct fixture *spying;

static void
spy_on_event(struct agent *a, const struct agent_event *ev)
{
	struct fixture *f = spying;

	(void)a;
	if (f == NULL || f->nevents == SPY_EVENTS)
		return;
	f->events[f->nevents] = ev->kind;
	snprintf(f->whys[f->nevents], sizeof(f->whys[0]), "%s",
	    ev->kind == AGENT_EV_CONVERGE ? ev->why : "");
	f->nevents++;
}

static void
spy_tags(const struct agent *a, struct buf *tags)
{
	char kv[32];

	(void)a;
	snprintf(kv, sizeof(kv), "spy=%u", fixture_spy_tag);
	ASSERT(agent_tags_apply(tags, kv, 0, NULL) == 0);
}

const struct agent_sub fixture_spy_sub = {
	.name = "spy",
	.tags = spy_tags,
	.on_event = spy_on_event,
};

void
fixture_open(struct fixture *f, const char *name,
    const struct agent_sub *const *subs, size_t n, const char *config)
{
	struct tl_err err = TL_ERR_INIT;
	struct agent *a = &f->a;
	struct keyring *kr = keyring_new();
	uint8_t key[KEYRING_KEY_LEN];
	char *kpath = test_path("keyring");
	int r;

	memset(f, 0, sizeof(*f));
	spying = f;
	ASSERT(sodium_init() >= 0);
	log_set_level(LOG_ERR);
	keyring_generate(key);
	ASSERT(keyring_add(kr, key) == 0);
	ASSERT(keyring_save(kr, kpath, &err) == 0);
	ASSERT(chmod(kpath, 0600) == 0);
	keyring_free(kr);
	agent_config_init(&a->cfg);
	a->cfg.name = xstrdup(name);
	a->cfg.advertise = xstrdup("127.0.0.1:1");
	a->cfg.bind = xstrdup("127.0.0.1:1");
	a->cfg.keyring_path = kpath;
	a->cfg.state_dir = test_path(name);
	a->cfg.bucket_replicas = 2;
	a->cfg.interval_s = 1800;
	a->cfg.profile = AGENT_LOCAL;
	if (config != NULL) {
		char *path = test_write("agent.conf", config);
		char *argv[] = { "agent", "--config", path, "--bind",
		    "127.0.0.1:1", "--state-dir", a->cfg.state_dir,
		    "--keyring", kpath, NULL };
		struct agent_config c;

		agent_config_init(&c);
		if (agent_config_load(&c, 9, argv, &err) < 0)
			test_fail(__FILE__, __LINE__, "config: %s", err.msg);
		free(a->cfg.pack);
		a->cfg.pack = c.pack != NULL ? xstrdup(c.pack) : NULL;
		buf_add(&a->cfg.tags, c.tags.data, c.tags.len);
		agent_config_release(&c);
		free(path);
	}
	a->kr = keyring_new();
	buf_init(&a->tags_own);
	ASSERT(uv_loop_init(&f->loop) == 0);
	a->loop = &f->loop;
	if ((r = agent_members_state(a, &err)) < 0)
		test_fail(__FILE__, __LINE__, "state: %s", err.msg);
	agent_members_config(a);
	ASSERT(n <= sizeof(f->subs) / sizeof(f->subs[0]));
	if (n > 0)
		memcpy(f->subs, subs, n * sizeof(*subs));
	a->subs = f->subs;
	for (size_t i = 0; i < n; i++) {
		a->nsubs = i + 1;
		if (subs[i]->open != NULL && (r = subs[i]->open(a, &err)) < 0)
			test_fail(__FILE__, __LINE__, "open %s: %s",
			    subs[i]->name, err.msg);
	}
	if ((r = agent_members_open(a, &err)) < 0)
		test_fail(__FILE__, __LINE__, "swim: %s", err.msg);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
fixture_close(struct fixture *f)
{
	struct agent *a = &f->a;

	while (a->nsubs > 0) {
		const struct agent_sub *s = a->subs[--a->nsubs];

		if (s->close != NULL)
			s->close(a);
	}
	agent_frames_close(a);
	uv_walk(&f->loop, walk_close, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	ASSERT(uv_loop_close(&f->loop) == 0);
	agent_after_loop_run(a);
	agent_members_close(a);
	agent_refusals_free(a);
	free(a->frames);
	keyring_free(a->kr);
	ident_free(a->ident);
	buf_release(&a->tags_own);
	free(a->sock_path);
	free(a->snap_path);
	agent_config_release(&a->cfg);
	spying = NULL;
}

size_t
fixture_heard(const struct fixture *f, enum agent_ev_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nevents; i++)
		n += f->events[i] == kind;
	return n;
}

static void
stop_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

void
fixture_run(struct fixture *f, unsigned ms)
{
	uv_timer_t t;

	uv_timer_init(&f->loop, &t);
	uv_timer_start(&t, stop_cb, ms, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}
