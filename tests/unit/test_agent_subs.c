/*
 * The agent's subsystem table (docs/hacking.md): every control operation
 * has exactly one owner, every entry opens and closes, the node's tags
 * have one owner that keeps every part's keys, and each subsystem's
 * entry does what it says: the kinds of parts and frames it takes, the
 * tags it adds, the events it hears and emits, its info.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/chan.h"
#include "agent/converge.h"
#include "agent/convreq.h"
#include "ctl/ctl.h"
#include "agent/handlers.h"
#include "agent/keys.h"
#include "agent/msgs.h"
#include "agent/pack.h"
#include "agent/policy.h"
#include "agent/program_sched.h"
#include "agent/query.h"
#include "agent/recipe_decl.h"
#include "agent/replica.h"
#include "agent/rollout.h"
#include "agent/status.h"
#include "agent_fixture.h"
#include "cluster/bcast.h"
#include "cluster/policy.h"
#include "core/buf.h"
#include "core/err.h"
#include "net/ident.h"
#include "net/keystmt.h"

static int
has_tag(const struct agent *a, const char *kv)
{
	const struct buf *t = agent_tags_own(a);

	for (size_t i = 0; i < t->len; i += strlen(t->data + i) + 1)
		if (strcmp(t->data + i, kv) == 0)
			return 1;
	return 0;
}

static int
has_key(const struct agent *a, const char *k)
{
	const struct buf *t = agent_tags_own(a);
	size_t kl = strlen(k);

	for (size_t i = 0; i < t->len; i += strlen(t->data + i) + 1)
		if (strncmp(t->data + i, k, kl) == 0 && t->data[i + kl] == '=')
			return 1;
	return 0;
}

/* The whole table, then the spy. */
static size_t
all_subs(const struct agent_sub **v)
{
	size_t n;
	const struct agent_sub *const *t = agent_table(&n);

	memcpy(v, t, n * sizeof(*t));
	v[n] = &fixture_spy_sub;
	return n + 1;
}

TEST(agent_table_registers_each_op_once)
{
	static const uint8_t ops[] = {
		CTL_MEMBERS, CTL_JOIN, CTL_LEAVE, CTL_INFO, CTL_KEYS_INSTALL,
		CTL_KEYS_USE, CTL_KEYS_REMOVE, CTL_KEYS_LIST, CTL_TAGS_SET,
		CTL_TAGS_DELETE, CTL_HANDLERS_SET, CTL_RECIPE_DECL,
		CTL_POLICY_PUBLISH, CTL_POLICY_STATUS, CTL_STATUS,
		CTL_CONVERGE, CTL_PACKS, CTL_PACK_STEP_DOWN, CTL_PACK_JOIN,
		CTL_CHAN_JOIN, CTL_CHAN_PART, CTL_CHANNELS, CTL_WHO, CTL_SAY,
		CTL_LISTEN, CTL_RUN, CTL_RUN_POLL, CTL_CONVERGE_NODE,
		CTL_CONVREQ_POLL, CTL_BACKUPS_FROM, CTL_SVC_DECL,
		CTL_SVC_WATCH, CTL_SERVICES, CTL_CATALOG, CTL_CHECKS,
		CTL_CHECK_IN, CTL_MAINT, CTL_HISTORY, CTL_KEYS_EVICT,
		CTL_PACK_ADMIT, CTL_MEMBER_KEYS
	};
	size_t n, total = 0;
	const struct agent_sub *const *t = agent_table(&n);

	for (size_t k = 0; k < sizeof(ops); k++) {
		size_t owners = 0;

		for (size_t i = 0; i < n; i++)
			for (const struct agent_ctl_op *o = t[i]->ctl;
			    o != NULL && o->op != 0; o++)
				owners += o->op == ops[k];
		if (owners != 1)
			test_fail(__FILE__, __LINE__, "op %u has %zu owners",
			    ops[k], owners);
	}
	for (size_t i = 0; i < n; i++) {
		ASSERT(t[i]->name != NULL);
		for (const struct agent_ctl_op *o = t[i]->ctl;
		    o != NULL && o->op != 0; o++) {
			ASSERT(o->fn != NULL);
			total++;
		}
	}
	ASSERT_EQ(total, sizeof(ops));	/* none registered twice */
}

TEST(agent_table_opens_and_closes_every_entry)
{
	const struct agent_sub *v[32];
	struct fixture f;
	size_t n = all_subs(v);

	fixture_open(&f, "n1", v, n, "tag = role=web\n");
	ASSERT_EQ(f.a.nsubs, n);
	ASSERT(has_tag(&f.a, "role=web"));
	ASSERT(has_tag(&f.a, "spy=1"));
	fixture_run(&f, 20);
	fixture_close(&f);
}

/* The bug of issue 17: a channel join rebuilt the tags from the config
 * and the channels alone, and the policy and run tags were lost. */
TEST(agent_tags_one_owner_keeps_every_part)
{
	const struct agent_sub *v[32];
	struct tl_err err = TL_ERR_INIT;
	struct buf mine = BUF_INIT;
	struct fixture f;

	fixture_spy_tag = 1;
	fixture_open(&f, "n1", v, all_subs(v), NULL);
	ASSERT(has_tag(&f.a, "spy=1"));
	ASSERT_EQ(agent_chan_set(&f.a, "#web", 1, &err), 0);
	ASSERT(has_tag(&f.a, "channels=#web"));
	ASSERT(has_tag(&f.a, "spy=1"));
	fixture_spy_tag = 2;
	ASSERT_EQ(agent_tags_publish(&f.a), 1);
	ASSERT(has_tag(&f.a, "spy=2"));
	ASSERT(has_tag(&f.a, "channels=#web"));
	ASSERT_EQ(agent_tags_publish(&f.a), 0);	/* nothing changed */
	/* New configured tags (tlaloc tags set, SIGHUP) keep them too. */
	buf_add(&mine, "role=db", 8);
	ASSERT_EQ(agent_tags_replace(&f.a, &mine, &err), 1);
	ASSERT(has_tag(&f.a, "role=db"));
	ASSERT(has_tag(&f.a, "channels=#web"));
	ASSERT(has_tag(&f.a, "spy=2"));
	ASSERT_EQ(agent_chan_set(&f.a, "#web", 0, &err), 0);
	ASSERT(!has_key(&f.a, "channels"));
	ASSERT(has_tag(&f.a, "role=db"));
	/* A key set by hand wins (tests make rogue members so), and is
	 * kept across the owner's changes. */
	buf_add(&mine, "role=db\0spy=9\0", 15);
	ASSERT_EQ(agent_tags_replace(&f.a, &mine, &err), 1);
	ASSERT(has_tag(&f.a, "spy=9"));
	ASSERT_EQ(agent_chan_set(&f.a, "#web", 1, &err), 0);
	ASSERT(has_tag(&f.a, "spy=9"));
	ASSERT(has_tag(&f.a, "channels=#web"));
	fixture_spy_tag = 1;
	fixture_close(&f);
}

TEST(agent_sub_chan_remembers_its_channels)
{
	static const struct agent_sub *const subs[] = {
		&agent_msgs_sub, &agent_chan_sub
	};
	struct tl_err err = TL_ERR_INIT;
	struct fixture f;

	fixture_open(&f, "n1", subs, 2, NULL);
	ASSERT(agent_chan_is_member(&f.a, "#all"));
	ASSERT(!agent_chan_is_member(&f.a, "#db"));
	ASSERT_EQ(agent_chan_set(&f.a, "#db", 1, &err), 0);
	ASSERT(agent_chan_set(&f.a, "#all", 0, &err) < 0);
	ASSERT(agent_chan_set(&f.a, "bad name", 1, &err) < 0);
	fixture_close(&f);
	fixture_open(&f, "n1", subs, 2, NULL);
	ASSERT(agent_chan_is_member(&f.a, "#db"));
	ASSERT(has_tag(&f.a, "channels=#db"));
	fixture_close(&f);
}

/* Query replies and converge reports name their author through one check:
 * a member under its own name, its signature, and a key not evicted
 * (converge reports took evicted keys before). */
TEST(agent_member_signed_refuses_evicted_keys)
{
	const uint8_t *pk;
	struct keylist *evicted = keylist_new(KEYSTMT_EVICT);
	struct keystmt s;
	struct buf msg = BUF_INIT;
	uint8_t sig[IDENT_SIG_LEN];
	struct fixture f;

	fixture_open(&f, "n1", NULL, 0, NULL);
	pk = ident_public(f.a.ident);
	buf_addstr(&msg, "a converge report");
	ident_sign(f.a.ident, (const uint8_t *)msg.data, msg.len, sig);
	ASSERT_EQ(agent_member_signed(&f.a, pk, "n1", &msg, sig), 0);
	ASSERT(agent_member_signed(&f.a, pk, "n2", &msg, sig) < 0);
	sig[0] ^= 1;
	ASSERT_EQ(agent_member_signed(&f.a, pk, "n1", &msg, sig), TL_ECRYPTO);
	sig[0] ^= 1;
	memset(&s, 0, sizeof(s));
	s.op = KEYSTMT_EVICT;
	memcpy(s.node, pk, KEYSTMT_NODE_LEN);
	ASSERT_EQ(keylist_add(evicted, &s), 1);
	ident_set_revoked(f.a.ident, evicted);
	ASSERT_EQ(agent_member_signed(&f.a, pk, "n1", &msg, sig), TL_EPERM);
	ident_set_revoked(f.a.ident, NULL);
	keylist_free(evicted);
	buf_release(&msg);
	fixture_close(&f);
}

TEST(agent_sub_keys_takes_its_parts)
{
	static const struct agent_sub *const subs[] = { &agent_keys_sub };
	struct fixture f;

	fixture_open(&f, "n1", subs, 1, NULL);
	ASSERT_EQ(agent_keys_sub.on_part(&f.a, PKT_PART_PACK, "x",
	    (const uint8_t *)"", 0), 0);
	ASSERT_EQ(agent_keys_sub.on_part(&f.a, PKT_PART_KEYS, "x",
	    (const uint8_t *)"\1", 1), 1);
	ASSERT_EQ(f.a.st.pkt.malformed, 1);
	fixture_close(&f);
}

/* A message we say on #all is delivered here too: msgs emits it, chan
 * passes it on as ours, in that order. */
TEST(agent_sub_msgs_and_chan_deliver)
{
	static const struct agent_sub *const subs[] = {
		&agent_msgs_sub, &agent_chan_sub, &fixture_spy_sub
	};
	struct tl_err err = TL_ERR_INIT;
	struct fixture f;
	uint64_t lt = 0;

	fixture_open(&f, "n1", subs, 3, NULL);
	ASSERT_EQ(agent_msgs_send(&f.a, BCAST_CHANNEL, "#all", "hi", 2, &lt,
	    &err), 0);
	ASSERT(lt > 0);
	ASSERT_EQ(fixture_heard(&f, AGENT_EV_MSG), 1);
	ASSERT_EQ(fixture_heard(&f, AGENT_EV_CHAN_MSG), 1);
	/* #db: not ours, so msgs delivers it and chan keeps it back. */
	ASSERT_EQ(agent_msgs_send(&f.a, BCAST_CHANNEL, "#db", "hi", 2, &lt,
	    &err), 0);
	ASSERT_EQ(fixture_heard(&f, AGENT_EV_MSG), 2);
	ASSERT_EQ(fixture_heard(&f, AGENT_EV_CHAN_MSG), 1);
	ASSERT_EQ(agent_msgs_sub.on_part(&f.a, PKT_PART_KEYS, "x",
	    (const uint8_t *)"", 0), 0);
	fixture_close(&f);
}

/* policy= is the policy subsystem's key: none while it holds none. */
TEST(agent_sub_policy_owns_its_tag_and_part)
{
	static const struct agent_sub *const subs[] = { &agent_policy_sub };
	static const uint8_t claim[] = { POLICY_OP_CLAIM, 0, 0, 0, 0, 0,
	    0, 0, 9 }, request[] = { POL_PART_CONVERGE, 1 };
	struct buf info = BUF_INIT;
	struct fixture f;

	fixture_open(&f, "n1", subs, 1, NULL);
	ASSERT_EQ(agent_policy_current(&f.a), 0);
	ASSERT(!has_key(&f.a, "policy"));
	/* A claim cut short: policy's, refused and counted. */
	ASSERT_EQ(agent_policy_sub.on_part(&f.a, PKT_PART_POLICY, "x",
	    claim, sizeof(claim)), 1);
	agent_policy_sub.info(&f.a, &info, 1);
	ASSERT_CONTAINS(info.data, "\"policy_bad_claims\":1,");
	buf_release(&info);
	/* Converge requests ride the same part kind: not policy's. */
	ASSERT_EQ(agent_policy_sub.on_part(&f.a, PKT_PART_POLICY, "x",
	    request, sizeof(request)), 0);
	ASSERT_EQ(agent_policy_sub.on_frame(&f.a, NULL, PKT_QREPLY,
	    (const uint8_t *)"", 0), 0);
	fixture_close(&f);
}

/* A matching channel message queues a converge that carries it. */
TEST(agent_sub_handlers_queue_a_converge)
{
	static const struct agent_sub *const subs[] = {
		&agent_msgs_sub, &agent_chan_sub, &agent_handlers_sub,
		&fixture_spy_sub
	};
	struct tl_err err = TL_ERR_INIT;
	struct buf info = BUF_INIT;
	const char *arg, *from;
	struct fixture f;
	char *h = test_write("n1/handlers", "#web\t^deploy \n");

	free(h);
	fixture_open(&f, "n1", subs, 4, NULL);
	ASSERT_EQ(agent_chan_set(&f.a, "#web", 1, &err), 0);
	ASSERT_EQ(agent_msgs_send(&f.a, BCAST_CHANNEL, "#web", "other", 5,
	    NULL, &err), 0);
	ASSERT_EQ(fixture_heard(&f, AGENT_EV_CONVERGE), 0);
	ASSERT(!agent_handlers_waiting(&f.a));
	ASSERT_EQ(agent_msgs_send(&f.a, BCAST_CHANNEL, "#web", "deploy v2",
	    9, NULL, &err), 0);
	ASSERT_EQ(fixture_heard(&f, AGENT_EV_CONVERGE), 1);
	for (size_t i = 0; i < f.nevents; i++)
		if (f.events[i] == AGENT_EV_CONVERGE)
			ASSERT_STR_EQ(f.whys[i], "message on #web from n1 "
			    "(recipe handler)");
	ASSERT(agent_handlers_waiting(&f.a));
	ASSERT_EQ(agent_handlers_take(&f.a, &arg, &from), 1);
	ASSERT_STR_EQ(arg, "#web deploy v2");
	ASSERT_STR_EQ(from, "n1");
	ASSERT_EQ(agent_handlers_take(&f.a, &arg, &from), 0);
	agent_handlers_sub.info(&f.a, &info, 1);
	ASSERT_STR_EQ(info.data,
	    "\"handler_messages\":1,\"handler_overflows\":0,");
	buf_release(&info);
	fixture_close(&f);
}

/* With no policy there is nothing to converge, and no run tag. */
TEST(agent_sub_converge_without_policy)
{
	static const struct agent_sub *const subs[] = {
		&agent_policy_sub, &agent_msgs_sub, &agent_chan_sub,
		&agent_handlers_sub, &agent_conv_sub
	};
	struct fixture f;

	fixture_open(&f, "n1", subs, 5, NULL);
	agent_converge_request(&f.a, "test");
	ASSERT_EQ(agent_conv_starts(&f.a), 0);
	ASSERT(!agent_conv_is_running(&f.a));
	ASSERT(!has_key(&f.a, "run"));
	ASSERT(!has_key(&f.a, "runs"));
	fixture_close(&f);
}

TEST(agent_sub_query_and_convreq_take_their_frames)
{
	static const struct agent_sub *const subs[] = {
		&agent_policy_sub, &agent_msgs_sub, &agent_chan_sub,
		&agent_handlers_sub, &agent_conv_sub, &agent_query_sub,
		&agent_convreq_sub
	};
	static const uint8_t junk[] = { POL_PART_CONVERGE, 1, 2, 3 };
	struct buf info = BUF_INIT;
	struct fixture f;

	fixture_open(&f, "n1", subs, 7, NULL);
	ASSERT_EQ(agent_query_sub.on_frame(&f.a, NULL, PKT_CREPORT,
	    (const uint8_t *)"", 0), 0);
	ASSERT_EQ(agent_convreq_sub.on_frame(&f.a, NULL, PKT_QREPLY,
	    (const uint8_t *)"", 0), 0);
	ASSERT_EQ(agent_convreq_sub.on_part(&f.a, PKT_PART_POLICY, "x", junk,
	    sizeof(junk)), 1);
	agent_convreq_sub.info(&f.a, &info, 1);
	ASSERT_CONTAINS(info.data, "\"converge_requests_refused\":1,");
	buf_reset(&info);
	agent_query_sub.info(&f.a, &info, 1);
	ASSERT_CONTAINS(info.data, "\"queries\":{\"ran\":0,");
	ASSERT(info.data[info.len - 1] == ',');
	buf_release(&info);
	fixture_close(&f);
}

/* A pack of one keeps its backups alone: said in `tlaloc info`. */
TEST(agent_sub_replicas_pack_of_one)
{
	static const struct agent_sub *const subs[] = {
		&agent_msgs_sub, &agent_chan_sub, &agent_pack_sub,
		&agent_repl_sub, &agent_prog_sub
	};
	struct agent_run done = { .starts = 1, .runs = 1, .why = "test",
	    .error = "", .json = "" };
	struct agent_event ev = { .kind = AGENT_EV_RUN_DONE, .done = &done };
	struct buf info = BUF_INIT;
	struct fixture f;

	fixture_open(&f, "n1", subs, 5, "pack = solo\npack_expect = 1\n");
	agent_emit(&f.a, &ev);
	agent_repl_sub.info(&f.a, &info, 0);
	ASSERT_CONTAINS(info.data, "bucket replicas: none: this node's pack "
	    "has no other live member");
	buf_reset(&info);
	agent_repl_sub.info(&f.a, &info, 1);
	ASSERT_CONTAINS(info.data, "\"replica_peers\":0,");
	buf_reset(&info);
	agent_prog_sub.info(&f.a, &info, 1);
	ASSERT_STR_EQ(info.data, "\"program_runs\":0,\"program_failures\":0,");
	buf_release(&info);
	fixture_close(&f);
}

/* STATE_DIR/rollout (agent/rollout.h): a typed record that comes back as
 * it went; the old text form, a cut, a later version or a state past
 * "bad" is refused. */
TEST(rollout_state_file_is_a_typed_record)
{
	struct agent_rollout_file f = { 41, 5, 40 }, back;
	struct buf b = BUF_INIT;

	agent_rollout_file_encode(&f, &b);
	ASSERT_EQ(agent_rollout_file_decode((uint8_t *)b.data, b.len,
	    &back), 0);
	ASSERT_EQ(back.serial, 41);
	ASSERT_EQ(back.state, 5);
	ASSERT_EQ(back.last_ok, 40);
	for (size_t n = 0; n < b.len; n++)
		ASSERT(agent_rollout_file_decode((uint8_t *)b.data, n,
		    &back) < 0);
	buf_reset(&b);
	f.state = 6;
	agent_rollout_file_encode(&f, &b);
	ASSERT(agent_rollout_file_decode((uint8_t *)b.data, b.len,
	    &back) < 0);
	ASSERT(agent_rollout_file_decode((const uint8_t *)"41 5 40\n", 8,
	    &back) < 0);
	buf_reset(&b);
	f.state = 1;
	agent_rollout_file_encode(&f, &b);
	b.data[1] = 2;	/* version 2 */
	ASSERT(agent_rollout_file_decode((uint8_t *)b.data, b.len,
	    &back) < 0);
	buf_release(&b);
}
