/*
 * Fuzzes the transport decoders. The first input byte picks one:
 *   0  pkt_open() on the rest: hostile sealed packets (header, key id,
 *      tag, replay cache), with a fixed keyring
 *   1  pkt_part_next() over the rest, as if it had been authenticated
 *   2  ctl_req_decode(): control socket requests
 *   3  seal the rest, then open it: must round-trip, and the same packet
 *      again must be refused as a replay
 *   4  keyring_parse(): keyring files
 *   5  the replay cache driven by a script of (nonce, send time, clock
 *      step) records: a nonce once accepted must never be again, and the
 *      horizon never moves past the clock plus the skew bound
 * Seeds: tests/fuzz/corpus/packet/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"
#include "net/keyring.h"
#include "net/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1790000000000ull

static struct keyring *kr;
static struct replay *rp;

static void
setup(void)
{
	uint8_t key[KEYRING_KEY_LEN];

	if (kr != NULL)
		return;
	kr = keyring_new();
	for (int i = 0; i < 3; i++) {
		memset(key, 0x41 + i, sizeof(key));
		keyring_add(kr, key);
	}
	rp = replay_new(16, 256, 60000, 10000);
}

static void
fuzz_open(const uint8_t *p, size_t n)
{
	uint8_t *plain = malloc(n + 1), id[KEYRING_ID_LEN];
	const uint8_t *body;
	size_t blen;

	pkt_peek(kr, ~0u, p, n);
	pkt_open(kr, rp, PKT_UDP, NOW, p, n, PKT_UDP_MAX, plain, &body, &blen,
	    id);
	free(plain);
}

static void
fuzz_parts(const uint8_t *p, size_t n)
{
	const uint8_t *part;
	static volatile uint8_t sink;
	struct rd rd;
	uint8_t kind;
	size_t len;

	rd_init(&rd, p, n);
	/* Touch every byte of every part, so ASan sees any overrun. */
	while (pkt_part_next(&rd, &kind, &part, &len) == 1)
		for (size_t i = 0; i < len; i++)
			sink ^= part[i];
}

static void
fuzz_ctl(const uint8_t *p, size_t n)
{
	struct ctl_req req;

	ctl_req_init(&req);
	if (ctl_req_decode(p, n, &req) == 0)
		for (size_t i = 0; i < req.nargs; i++)
			if (strlen(req.args[i]) > CTL_ARG_MAX)
				abort();
	ctl_req_release(&req);
}

static void
fuzz_roundtrip(const uint8_t *p, size_t n)
{
	struct replay *fresh = replay_new(4, 4, 60000, 10000);
	struct buf pkt = BUF_INIT;
	uint8_t *plain, id[KEYRING_ID_LEN];
	const uint8_t *body;
	size_t blen;

	if (n > PKT_UDP_MAX - PKT_OVERHEAD)
		n = PKT_UDP_MAX - PKT_OVERHEAD;
	if (pkt_seal(kr, NULL, PKT_UDP, NOW, p, n, &pkt) < 0)
		abort();
	plain = malloc(pkt.len);
	if (pkt_open(kr, fresh, PKT_UDP, NOW, (uint8_t *)pkt.data, pkt.len,
	    PKT_UDP_MAX, plain, &body, &blen, id) != 0 || blen != n ||
	    memcmp(body, p, n) != 0)
		abort();
	if (pkt_open(kr, fresh, PKT_UDP, NOW, (uint8_t *)pkt.data, pkt.len,
	    PKT_UDP_MAX, plain, &body, &blen, id) != TL_EEXIST)
		abort();
	replay_free(fresh);
	free(plain);
	buf_release(&pkt);
}

static void
fuzz_replay(const uint8_t *p, size_t n)
{
	struct replay *c = replay_new(2, 16, 60000, 10000);
	static uint64_t took[256];	/* send time accepted, 0: none */
	uint8_t nonce[PKT_NONCE_LEN];
	uint64_t now = NOW;

	memset(took, 0, sizeof(took));
	/* 4 bytes a record: nonce id, send offset (s16, x 100 ms), step. */
	for (size_t i = 0; i + 4 <= n; i += 4) {
		int16_t off = (int16_t)((uint16_t)p[i + 1] << 8 | p[i + 2]);
		uint64_t sent = now + (uint64_t)((int64_t)off * 100);
		int r;

		memset(nonce, 0, sizeof(nonce));
		nonce[0] = p[i];
		nonce[1] = 0x5a;
		r = replay_check(c, nonce, sent, now);
		/* A replay carries its first send time (authenticated). */
		if (r == 0 && took[p[i]] == sent)
			abort();
		if (r == 0)
			took[p[i]] = sent;
		if (replay_horizon(c) > now + 10000)
			abort();
		now += (uint64_t)p[i + 3] * 50;
	}
	replay_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring *tmp;

	setup();
	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0: fuzz_open(data + 1, size - 1); break;
	case 1: fuzz_parts(data + 1, size - 1); break;
	case 2: fuzz_ctl(data + 1, size - 1); break;
	case 3: fuzz_roundtrip(data + 1, size - 1); break;
	case 5: fuzz_replay(data + 1, size - 1); break;
	default:
		tmp = keyring_new();
		keyring_parse(tmp, (const char *)data + 1, size - 1, NULL);
		keyring_free(tmp);
		break;
	}
	return 0;
}
