/*
 * The agent's gate in front of the pack machine (src/agent/pack_glue.c):
 * a message whose signature is not the claimed sender's is counted as
 * forged, one from a node SWIM does not show in our pack as a false
 * claim, and neither reaches the machine.
 */
#include "test.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "cluster/pack_int.h"
#include "core/err.h"
#include "net/ident.h"

static void
fake_agent(struct agent *a, struct ident *me)
{
	struct swim_self self;
	struct pack_config pc;

	memset(a, 0, sizeof(*a));
	swim_config_lan(&a->swim_cfg);
	a->swim_cfg.sign = ident_sign;
	a->swim_cfg.verify = ident_verify;
	a->swim_cfg.crypto_ctx = me;
	memset(&self, 0, sizeof(self));
	memcpy(self.id, ident_public(me), SWIM_ID_LEN);
	self.name = "n1";
	self.addr = "127.0.0.1:1";
	self.tags = "pack=web";
	self.tags_len = sizeof("pack=web");
	a->ident = me;
	a->swim = swim_new(&a->swim_cfg, &self, NULL);
	pack_config_lan(&pc);
	a->pack = pack_new(&pc, "web", ident_public(me), NULL, 0, NULL);
}

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

TEST(agent_pack_drops_forged_and_false_claims)
{
	struct ident *me, *peer, *thief;
	struct agent a;
	struct buf part = BUF_INIT;
	struct pack_stats ps;

	ASSERT(sodium_init() >= 0);
	me = ident_new_random();
	peer = ident_new_random();
	thief = ident_new_random();
	fake_agent(&a, me);
	ASSERT(a.swim != NULL && a.pack != NULL);

	/* peer's id, thief's signature: forged. */
	signed_prevote(peer, thief, &part);
	agent_pack_on_part(&a, "127.0.0.1:2", (const uint8_t *)part.data,
	    part.len);
	ASSERT_EQ(a.pack_st.forged, 1);

	/* Honestly signed, but SWIM knows no such member of pack web. */
	buf_reset(&part);
	signed_prevote(peer, peer, &part);
	agent_pack_on_part(&a, "127.0.0.1:2", (const uint8_t *)part.data,
	    part.len);
	ASSERT_EQ(a.pack_st.wrong_claim, 1);

	/* Too short to hold a signature. */
	agent_pack_on_part(&a, "127.0.0.1:2", (const uint8_t *)part.data, 10);
	ASSERT_EQ(a.pack_st.malformed, 1);

	pack_get_stats(a.pack, &ps);
	ASSERT_EQ(ps.msgs_received, 0);		/* none got through */
	buf_release(&part);
	pack_free(a.pack);
	swim_free(a.swim);
	ident_free(me);
	ident_free(peer);
	ident_free(thief);
}
