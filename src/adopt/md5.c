/*
 * MD5 (RFC 1321), only because dpkg records conffile checksums in it: a
 * changed conffile is one whose MD5 differs from the one in dpkg's status
 * file. Not for anything that needs a secure hash. The sine table is
 * computed as the RFC defines it, once.
 */
#include "adopt/md5.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t md5_k[64];

static const uint8_t md5_shift[4][4] = {
	{ 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 },
	{ 6, 10, 15, 21 },
};

static uint32_t
rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void
md5_block(uint32_t h[4], const uint8_t *p)
{
	uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3];

	for (int i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, t;
		int g;

		switch (i / 16) {
		case 0:
			f = (b & c) | (~b & d), g = i;
			break;
		case 1:
			f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d, g = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d), g = (7 * i) % 16;
			break;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol(a + f + md5_k[i] + m[g], md5_shift[i / 16][i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void
md5_hex(const void *data, size_t len, char out[33])
{
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const uint8_t *p = data;
	uint8_t tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, n;

	if (md5_k[0] == 0)
		for (int i = 0; i < 64; i++)
			md5_k[i] = (uint32_t)floor(fabs(sin(i + 1)) *
			    4294967296.0);
	for (; len >= 64; len -= 64, p += 64)
		md5_block(h, p);
	rest = len;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[n - 8 + i] = (uint8_t)(bits >> (8 * i));
	md5_block(h, tail);
	if (n == 128)
		md5_block(h, tail + 64);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x",
		    (unsigned)(h[i / 4] >> (8 * (i % 4))) & 0xff);
}
