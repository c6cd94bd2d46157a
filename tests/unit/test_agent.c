/* Control protocol codec and agent configuration. */
#include "test.h"

#include <stdlib.h>

#include "agent/config.h"
#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"

TEST(agent_ctl_roundtrip)
{
	char *argv[] = { "status=alive", "tag=role=web", "" };
	struct buf b = BUF_INIT;
	struct ctl_req req;

	ctl_req_init(&req);
	ctl_req_encode(CTL_MEMBERS, CTL_F_JSON, 3, argv, &b);
	ASSERT_EQ(ctl_req_decode((uint8_t *)b.data, b.len, &req), 0);
	ASSERT_EQ(req.op, CTL_MEMBERS);
	ASSERT_EQ(req.flags, CTL_F_JSON);
	ASSERT_EQ(req.nargs, 3);
	ASSERT_STR_EQ(req.args[0], "status=alive");
	ASSERT_STR_EQ(req.args[1], "tag=role=web");
	ASSERT_STR_EQ(req.args[2], "");
	ctl_req_release(&req);
	/* every truncation fails cleanly */
	for (size_t n = 0; n < b.len; n++) {
		ctl_req_init(&req);
		ASSERT(ctl_req_decode((uint8_t *)b.data, n, &req) < 0);
		ctl_req_release(&req);
	}
	/* trailing garbage, bad version, bad op */
	buf_addch(&b, 'x');
	ctl_req_init(&req);
	ASSERT_EQ(ctl_req_decode((uint8_t *)b.data, b.len, &req), TL_EINVAL);
	ctl_req_release(&req);
	b.data[0] = 9;
	ctl_req_init(&req);
	ASSERT_EQ(ctl_req_decode((uint8_t *)b.data, b.len - 1, &req),
	    TL_EINVAL);
	ctl_req_release(&req);
	buf_release(&b);
}

TEST(agent_config_file_and_flags)
{
	char *conf = test_write("agent.conf",
	    "# comment\nname = fromfile\nbind = 127.0.0.1:1\n"
	    "join = 127.0.0.1:2\ntag = role=web\ntag = zone=a\n"
	    "profile = wan\nlog_level = debug\nkeyring = /k\n");
	char *argv[] = { "agent", "--config", conf, "--name", "n1",
	    "--join", "127.0.0.1:3", "--tag=role=db", "--profile", "local" };
	struct tl_err err = TL_ERR_INIT;
	struct agent_config c;

	agent_config_init(&c);
	ASSERT_EQ(agent_config_load(&c, 10, argv, &err), 0);
	ASSERT_STR_EQ(c.name, "n1");
	ASSERT_STR_EQ(c.advertise, "127.0.0.1:1");
	ASSERT_EQ(c.njoins, 1);
	ASSERT_STR_EQ(c.joins[0], "127.0.0.1:3");
	ASSERT_EQ(c.profile, AGENT_LOCAL);
	ASSERT_EQ(c.tags.len, sizeof("zone=a\0role=db"));
	ASSERT_MEM_EQ(c.tags.data, "zone=a\0role=db", c.tags.len);
	ASSERT_STR_EQ(c.keyring_path, "/k");
	agent_config_release(&c);
	free(conf);
}

TEST(agent_config_errors_name_the_setting)
{
	char *conf = test_write("bad.conf", "name = a\n\nprofile = fast\n");
	char *argv[] = { "agent", "--config", conf };
	char *argv2[] = { "agent", "--bind", "0.0.0.0:7946" };
	char *argv3[] = { "agent", "--tag", "novalue" };
	struct tl_err err = TL_ERR_INIT;
	struct agent_config c;

	agent_config_init(&c);
	ASSERT(agent_config_load(&c, 3, argv, &err) < 0);
	ASSERT_CONTAINS(err.msg, "line 3: profile must be");
	agent_config_release(&c);
	ASSERT(agent_config_load(&c, 3, argv2, &err) < 0);
	ASSERT_CONTAINS(err.msg, "advertise must be set");
	agent_config_release(&c);
	ASSERT(agent_config_load(&c, 3, argv3, &err) < 0);
	ASSERT_CONTAINS(err.msg, "tag 'novalue'");
	agent_config_release(&c);
	free(conf);
}

TEST(agent_config_pack_sets_the_tag)
{
	char *argv[] = { "agent", "--bind", "127.0.0.1:1", "--pack", "web",
	    "--pack-expect", "5" };
	char *bad[] = { "agent", "--pack", "Web!" };
	char *bad2[] = { "agent", "--pack-expect", "0" };
	struct tl_err err = TL_ERR_INIT;
	struct agent_config c;

	agent_config_init(&c);
	ASSERT_EQ(agent_config_load(&c, 7, argv, &err), 0);
	ASSERT_STR_EQ(c.pack, "web");
	ASSERT_EQ(c.pack_expect, 5);
	ASSERT_MEM_EQ(c.tags.data, "pack=web", sizeof("pack=web"));
	agent_config_release(&c);
	ASSERT(agent_config_load(&c, 3, bad, &err) < 0);
	ASSERT_CONTAINS(err.msg, "pack name must be");
	agent_config_release(&c);
	ASSERT(agent_config_load(&c, 3, bad2, &err) < 0);
	ASSERT_CONTAINS(err.msg, "pack_expect must be 1 to 101");
	agent_config_release(&c);
}
