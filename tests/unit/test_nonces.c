/* Seen nonces that survive restarts (core/nonces.h). */
#include "core/nonces.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/fileio.h"
#include "test.h"

#define T0	1700000000000ULL
#define WIN	60000

static const uint8_t *
nonce(int k)
{
	static uint8_t n[8][NONCES_LEN];

	memset(n[k % 8], 0, NONCES_LEN);
	n[k % 8][0] = (uint8_t)k;
	n[k % 8][1] = (uint8_t)(k >> 8);
	return n[k % 8];
}

TEST(nonces_refuse_replays_and_what_they_forgot)
{
	struct tl_err err = TL_ERR_INIT;
	struct nonces *ns = nonces_open(NULL, 4, WIN, T0, &err);

	ASSERT(ns != NULL);
	ASSERT_EQ(nonces_check(ns, nonce(1), T0 + 1, T0, &err), 0);
	ASSERT_EQ(nonces_check(ns, nonce(1), T0 + 1, T0, &err), TL_EEXIST);
	for (int k = 2; k <= 4; k++)
		ASSERT_EQ(nonces_check(ns, nonce(k), T0 + k, T0, &err), 0);
	/* Full: taking a fifth forgets the first, and refuses anything as
	 * old as it from now on (it could be the first coming back). */
	ASSERT_EQ(nonces_check(ns, nonce(5), T0 + 5, T0, &err), 0);
	ASSERT_EQ(nonces_horizon(ns), T0 + 1);
	ASSERT_EQ(nonces_check(ns, nonce(1), T0 + 1, T0, &err), TL_ETIMEOUT);
	ASSERT_EQ(nonces_check(ns, nonce(6), T0, T0, &err), TL_ETIMEOUT);
	ASSERT_EQ(nonces_check(ns, nonce(6), T0 + 6, T0, &err), 0);
	ASSERT_EQ(nonces_count(ns), 4);
	nonces_free(ns);
}

TEST(nonces_survive_a_restart)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = test_path("nonces");
	struct nonces *ns = nonces_open(path, 4, WIN, T0, &err);

	ASSERT(ns != NULL);
	ASSERT_EQ(nonces_check(ns, nonce(1), T0, T0, &err), 0);
	for (int k = 2; k <= 5; k++)
		ASSERT_EQ(nonces_check(ns, nonce(k), T0 + k, T0 + k, &err), 0);
	nonces_free(ns);
	/* The agent restarts within the window: what it acted on is still
	 * refused, and so is what it had already forgotten. */
	ns = nonces_open(path, 4, WIN, T0 + 10, &err);
	ASSERT(ns != NULL);
	ASSERT_EQ(nonces_check(ns, nonce(3), T0 + 3, T0 + 10, &err),
	    TL_EEXIST);
	ASSERT_EQ(nonces_check(ns, nonce(1), T0, T0 + 10, &err),
	    TL_ETIMEOUT);
	ASSERT_EQ(nonces_check(ns, nonce(9), T0 + 9, T0 + 10, &err), 0);
	/* Long after, only what is inside the window stays on disk. */
	ASSERT_EQ(nonces_check(ns, nonce(10), T0 + 2 * WIN, T0 + 2 * WIN,
	    &err), 0);
	nonces_free(ns);
	ns = nonces_open(path, 4, WIN, T0 + 2 * WIN, &err);
	ASSERT(ns != NULL);
	ASSERT_EQ(nonces_count(ns), 1);
	ASSERT_EQ(nonces_horizon(ns), T0 + 3);	/* 2 and 3 forgotten */
	nonces_free(ns);
	free(path);
}

TEST(nonces_refuse_a_damaged_file_and_a_failed_write)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = test_write("nonces", "\x83\x01\x00\x81\x82\x41");
	struct nonces *ns = nonces_open(path, 4, WIN, T0, &err);
	char *bad;

	ASSERT(ns == NULL);
	ASSERT_CONTAINS(err.msg, "is damaged");
	ASSERT_CONTAINS(err.msg, path);
	tl_err_clear(&err);
	/* A nonce that cannot be written is not taken either: acting on it
	 * would let it be accepted again after a restart. */
	bad = test_path("no/such/dir/nonces");
	ns = nonces_open(bad, 4, WIN, T0, &err);
	ASSERT(ns != NULL);
	ASSERT(nonces_check(ns, nonce(1), T0, T0, &err) < 0);
	ASSERT_EQ(nonces_count(ns), 0);
	nonces_free(ns);
	free(bad);
	free(path);
}
