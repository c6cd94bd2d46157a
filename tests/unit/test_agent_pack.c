/*
 * The agent's gate in front of the pack machine (src/agent/pack.c): a
 * message whose signature is not the claimed sender's is counted as
 * forged, one from a node SWIM does not show in our pack as a false
 * claim, and neither reaches the machine. Its table entry: the part kind
 * it takes, and the tags it adds.
 */
#include "test.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agent/chan.h"
#include "agent/msgs.h"
#include "agent/pack.h"
#include "agent_fixture.h"
#include "cluster/pack_int.h"
#include "core/err.h"
#include "net/ident.h"

/* A PREVOTE from `from`, signed by `signer`, as it travels in a part. */
static void
signed_prevote(struct ident *from, struct ident *signer, struct buf *part)
{
	struct pack_msg m;
	uint8_t sig[IDENT_SIG_LEN];

	memset(&m, 0, sizeof(m));
	m.type = PACK_MSG_PREVOTE;
	m.name = "web";
	m.name_len = 3;
	memcpy(m.from, ident_public(from), PACK_ID_LEN);
	m.term = 1;
	pack_msg_encode(&m, part);
	ident_sign(signer, (const uint8_t *)part->data, part->len, sig);
	buf_add(part, sig, sizeof(sig));
}

static const struct agent_sub *const pack_subs[] = {
	&agent_msgs_sub, &agent_chan_sub, &agent_pack_sub
};

static int
take(struct fixture *f, const struct buf *part, size_t len)
{
	return agent_pack_sub.on_part(&f->a, PKT_PART_PACK, "127.0.0.1:2",
	    (const uint8_t *)part->data, len);
}

TEST(agent_pack_drops_forged_and_false_claims)
{
	struct ident *peer, *thief;
	struct fixture f;
	struct buf part = BUF_INIT;
	struct agent_pack_stats st;

	fixture_open(&f, "n1", pack_subs, 3, "pack = web\npack_expect = 1\n");
	ASSERT_STR_EQ(agent_pack_name(&f.a), "web");
	peer = ident_new_random();
	thief = ident_new_random();

	/* Not its kind: left for others. */
	ASSERT_EQ(agent_pack_sub.on_part(&f.a, PKT_PART_KEYS, "x",
	    (const uint8_t *)"", 0), 0);

	/* peer's id, thief's signature: forged. */
	signed_prevote(peer, thief, &part);
	ASSERT_EQ(take(&f, &part, part.len), 1);
	agent_pack_drops(&f.a, &st);
	ASSERT_EQ(st.forged, 1);

	/* Honestly signed, but SWIM knows no such member of pack web. */
	buf_reset(&part);
	signed_prevote(peer, peer, &part);
	take(&f, &part, part.len);
	agent_pack_drops(&f.a, &st);
	ASSERT_EQ(st.wrong_claim, 1);

	/* Too short to hold a signature. */
	take(&f, &part, 10);
	agent_pack_drops(&f.a, &st);
	ASSERT_EQ(st.malformed, 1);
	buf_release(&part);
	ident_free(peer);
	ident_free(thief);
	fixture_close(&f);
}

TEST(agent_pack_tags_and_channel)
{
	const struct buf *t;
	struct fixture f;

	fixture_open(&f, "n1", pack_subs, 3, "pack = web\n");
	t = agent_tags_own(&f.a);
	/* pack=web once (the config's and the subsystem's are one key),
	 * no pack_leader while not leading, and #pack-web joined. */
	ASSERT(memmem(t->data, t->len, "pack=web", 9) != NULL);
	ASSERT(memmem(t->data, t->len, "pack_leader=", 12) == NULL);
	ASSERT(memmem(t->data, t->len, "channels=#pack-web", 19) != NULL);
	ASSERT(agent_chan_is_member(&f.a, "#pack-web"));
	fixture_close(&f);
}
