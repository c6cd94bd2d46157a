/*
 * Fuzzes the DNS query parser; a query that parses is answered with one
 * record of each kind and the answer must read back. Seeds:
 * tests/fuzz/corpus/dns/ (queries dig sent).
 */
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "net/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_rr rr[3] = { { DNS_T_A, NULL, 0, { 10, 0, 0, 1 }, 0, 0, 0,
	    NULL }, { DNS_T_SRV, NULL, 0, { 0 }, 1, 1, 80, "n1.node.x" },
	    { DNS_T_AAAA, "n1.node.x", 0, { 0xfd }, 0, 0, 0, NULL } };
	struct dns_query q;
	struct buf b = BUF_INIT;
	int rcode, tc;

	if (dns_parse_query(data, size, &q) == 0 &&
	    dns_build_reply(&q, 0, rr, 2, rr + 2, 1, &b) == 0) {
		if (dns_reply_answers((const uint8_t *)b.data, b.len, NULL, 0,
		    &rcode, &tc) < 0)
			__builtin_trap();
	}
	buf_release(&b);
	return 0;
}
