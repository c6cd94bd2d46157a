/* Bootstrap artifacts and tlaloc init: what goes in, what never does. */
#include "test.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "bootstrap/bootstrap.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "net/keyring.h"

#define KEY_B64	"nDaKiDTSd2KyiUDDdmTdVVxU3pitmvApOZK8DjjD5n8="

static int
render(struct bootstrap_opts *o, struct buf *out, struct tl_err *err)
{
	buf_reset(out);
	return bootstrap_render(o, out, err);
}

static void
opts(struct bootstrap_opts *o, const char *via)
{
	memset(o, 0, sizeof(*o));
	o->via = via;
	o->member.joins[o->member.njoins++] = "10.0.0.1:7946";
}

TEST(bootstrap_every_kind_renders_with_placeholder_key)
{
	static const char *const kinds[] = { "cloud-init", "systemd", "sysv",
	    "openrc", "freebsd-rc", "openbsd-rc", "dhcp", "puppet", "chef",
	    "shell" };
	struct tl_err err = TL_ERR_INIT;
	struct bootstrap_opts o;
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		opts(&o, kinds[i]);
		o.member.policy_from = "10.0.0.1:7946";
		ASSERT_EQ(render(&o, &out, &err), 0);
		/* No key given: a marked placeholder says where it goes. */
		ASSERT(strstr(out.data, "TLALOC-CLUSTER-KEY-PLACEHOLDER"));
		if (strcmp(kinds[i], "dhcp") != 0)
			ASSERT(strstr(out.data, "10.0.0.1:7946"));
	}
	buf_release(&out);
}

TEST(bootstrap_embeds_the_key_only_with_keyring)
{
	struct tl_err err = TL_ERR_INIT;
	struct bootstrap_opts o;
	struct buf out = BUF_INIT;
	char *kr = test_write("keyring", "# comment\n" KEY_B64 "\n");

	opts(&o, "shell");
	ASSERT_EQ(render(&o, &out, &err), 0);
	ASSERT(strstr(out.data, KEY_B64) == NULL);
	o.keyring_path = kr;
	ASSERT_EQ(render(&o, &out, &err), 0);
	ASSERT(strstr(out.data, KEY_B64) != NULL);
	ASSERT(strstr(out.data, "umask 077") != NULL);
	ASSERT(strstr(out.data, "# comment") == NULL);	/* re-encoded */
	ASSERT(strstr(out.data, "TLALOC-CLUSTER-KEY-PLACEHOLDER") == NULL);
	/* A bad keyring file is refused, and its bytes stay out of err. */
	free(kr);
	kr = test_write("bad", "not-a-key-" KEY_B64 "\n");
	o.keyring_path = kr;
	ASSERT(render(&o, &out, &err) < 0);
	ASSERT(strstr(err.msg, KEY_B64) == NULL);
	free(kr);
	buf_release(&out);
}

TEST(bootstrap_refuses_values_that_need_quoting)
{
	static const char *const bad_tags[] = { "a=b'c", "a=$(id)", "a=b c",
	    "a=\"x\"", "a=b\nc", "=v", "novalue", "a=`x`" };
	struct tl_err err = TL_ERR_INIT;
	struct bootstrap_opts o;
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(bad_tags) / sizeof(bad_tags[0]); i++) {
		opts(&o, "shell");
		o.member.tags[o.member.ntags++] = bad_tags[i];
		ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
		ASSERT(strstr(err.msg, "--tag") != NULL);
	}
	opts(&o, "chef");
	o.member.joins[0] = "10.0.0.1;reboot:7946";
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	opts(&o, "puppet");
	o.package_url = "http://x/'y.deb";
	o.from = BOOTSTRAP_FROM_URL;
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	opts(&o, "puppet");
	o.from = BOOTSTRAP_FROM_URL;	/* no URL */
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	opts(&o, "shell");
	o.bin = "relative/tlaloc";
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	opts(&o, "teleport");
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	ASSERT(strstr(err.msg, "cloud-init") != NULL);
	opts(&o, "dhcp");
	o.dhcp_option = 80;		/* not site-local */
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	buf_release(&out);
}

TEST(bootstrap_parts_and_paths)
{
	struct tl_err err = TL_ERR_INIT;
	struct bootstrap_opts o;
	struct buf out = BUF_INIT;

	opts(&o, "systemd");
	o.part = "service";
	ASSERT_EQ(render(&o, &out, &err), 0);
	ASSERT(strncmp(out.data, "# tlaloc agent under systemd", 28) == 0);
	ASSERT(strstr(out.data, "ExecStart=/usr/bin/tlaloc agent --config "
	    "/etc/tlaloc/agent.conf") != NULL);
	ASSERT(strstr(out.data, "@") == NULL);
	opts(&o, "freebsd-rc");
	o.part = "service";
	ASSERT_EQ(render(&o, &out, &err), 0);
	ASSERT(strstr(out.data, "procname=\"/usr/local/bin/tlaloc\""));
	ASSERT(strstr(out.data, "/usr/local/etc/tlaloc/agent.conf"));
	opts(&o, "openbsd-rc");
	o.part = "service";
	o.bin = "/opt/tlaloc/bin/tlaloc";
	ASSERT_EQ(render(&o, &out, &err), 0);
	ASSERT(strstr(out.data, "daemon=\"/opt/tlaloc/bin/tlaloc\""));
	opts(&o, "dhcp");
	o.part = "dhclient-hook";
	o.dhcp_option = 230;
	ASSERT_EQ(render(&o, &out, &err), 0);
	ASSERT(strstr(out.data, "code 230 = text"));
	opts(&o, "puppet");
	o.part = "service";
	ASSERT_EQ(render(&o, &out, &err), TL_EINVAL);
	buf_release(&out);
}

TEST(init_writes_config_and_keys_then_keeps_them)
{
	struct tl_err err = TL_ERR_INIT;
	struct bootstrap_node n;
	struct bootstrap_node_result res;
	struct agent_config cfg;
	char *etc = test_path("etc"), *state = test_path("state");
	char *conf = test_path("etc/agent.conf"), *kr = test_path("etc/keyring");
	char *argv[] = { (char *)"agent", (char *)"--config", conf, NULL };
	struct keyring *ring = keyring_new();
	uint8_t first[KEYRING_KEY_LEN];
	struct stat st;

	memset(&n, 0, sizeof(n));
	n.config_dir = etc;
	n.state_dir = state;
	n.member.joins[n.member.njoins++] = "127.0.0.1:7946";
	n.member.tags[n.member.ntags++] = "role=web";
	n.member.pack = "base";
	n.member.policy_from = "127.0.0.1:7946";
	ASSERT_EQ(bootstrap_node_init(&n, &res, &err), 0);
	ASSERT_EQ(res.wrote_config, 1);
	ASSERT_EQ(res.made_keyring, 1);
	ASSERT_STR_EQ(res.advertise, "127.0.0.1:7946");	/* route to seed */
	ASSERT_EQ(strlen(res.node_id), 16);
	ASSERT_EQ(stat(kr, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(stat(state, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0700);
	/* The agent loads what init wrote. */
	agent_config_init(&cfg);
	ASSERT_EQ(agent_config_load(&cfg, 3, argv, &err), 0);
	ASSERT_STR_EQ(cfg.policy_from, "127.0.0.1:7946");
	ASSERT_STR_EQ(cfg.pack, "base");
	ASSERT_EQ(cfg.njoins, 1);
	ASSERT_STR_EQ(cfg.advertise, "127.0.0.1:7946");
	ASSERT_STR_EQ(cfg.keyring_path, kr);
	agent_config_release(&cfg);
	ASSERT_EQ(keyring_load(ring, kr, &err), 0);
	memcpy(first, keyring_at(ring, 0, NULL), sizeof(first));
	/* Again: config and keys kept; --force rewrites only the config. */
	ASSERT_EQ(bootstrap_node_init(&n, &res, &err), 0);
	ASSERT_EQ(res.wrote_config, 0);
	ASSERT_EQ(res.made_keyring, 0);
	n.force = 1;
	n.member.tags[0] = "role=db";
	ASSERT_EQ(bootstrap_node_init(&n, &res, &err), 0);
	ASSERT_EQ(res.wrote_config, 1);
	ASSERT_EQ(keyring_load(ring, kr, &err), 0);
	ASSERT_MEM_EQ(keyring_at(ring, 0, NULL), first, KEYRING_KEY_LEN);
	/* A config the agent would refuse is not written. */
	n.member.tags[0] = "role";
	ASSERT(bootstrap_node_init(&n, &res, &err) < 0);
	ASSERT(strstr(err.msg, "key=value") != NULL);
	agent_config_init(&cfg);
	ASSERT_EQ(agent_config_load(&cfg, 3, argv, &err), 0);
	/* The config's pack is also the tag pack=NAME (docs/pack.md). */
	ASSERT(memmem(cfg.tags.data, cfg.tags.len, "role=db",
	    sizeof("role=db")) != NULL);
	ASSERT(cfg.pack != NULL);
	{
		char *kv = xasprintf("pack=%s", cfg.pack);

		ASSERT(memmem(cfg.tags.data, cfg.tags.len, kv,
		    strlen(kv) + 1) != NULL);
		free(kv);
	}
	agent_config_release(&cfg);
	keyring_free(ring);
	free(etc);
	free(state);
	free(conf);
	free(kr);
}
