/*
 * DNS query parsing and answer building (dns.h). Every read goes through
 * struct rd, so a short or lying message fails with TL_ETRUNC or
 * TL_EINVAL, never a read past its end.
 */
#include "net/dns.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"

#define HDR_LEN		12
#define F_QR		0x8000u
#define F_OPCODE	0x7800u
#define F_AA		0x0400u
#define F_TC		0x0200u
#define F_RD		0x0100u

static int
label_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* An uncompressed name into lowercase dotted text. */
static int
read_name(struct rd *rd, char *out)
{
	size_t pos = 0, wire = 0;
	uint8_t len;
	int r;

	out[0] = '\0';
	for (;;) {
		const uint8_t *lab;

		if ((r = rd_u8(rd, &len)) < 0)
			return r;
		if (len == 0)
			break;
		if (len > 63)		/* 0xc0 pointers and 0x40 types */
			return TL_EINVAL;
		wire += 1u + len;
		if (wire + 1 > DNS_NAME_MAX)
			return TL_ETOOBIG;
		if ((r = rd_bytes(rd, &lab, len)) < 0)
			return r;
		if (pos > 0)
			out[pos++] = '.';
		for (size_t i = 0; i < len; i++) {
			if (!label_char_ok(lab[i]))
				return TL_EINVAL;
			out[pos++] = (char)(lab[i] >= 'A' && lab[i] <= 'Z' ?
			    lab[i] + 32 : lab[i]);
		}
	}
	out[pos] = '\0';
	return 0;
}

static int
read_opt(struct rd *rd, struct dns_query *q)
{
	uint8_t root;
	uint16_t type, size, rdlen;
	uint32_t ttl;
	const uint8_t *skip;
	int r;

	if ((r = rd_u8(rd, &root)) < 0 || (r = rd_u16(rd, &type)) < 0 ||
	    (r = rd_u16(rd, &size)) < 0 || (r = rd_u32(rd, &ttl)) < 0 ||
	    (r = rd_u16(rd, &rdlen)) < 0 ||
	    (r = rd_bytes(rd, &skip, rdlen)) < 0)
		return r;
	if (root != 0 || type != DNS_T_OPT)
		return TL_EINVAL;
	q->has_edns = 1;
	q->udp_size = size < DNS_UDP_MIN ? DNS_UDP_MIN :
	    size > DNS_UDP_MAX ? DNS_UDP_MAX : size;
	return 0;
}

int
dns_parse_query(const uint8_t *p, size_t len, struct dns_query *q)
{
	uint16_t qd, an, ns, ar;
	struct rd rd;
	int r;

	memset(q, 0, sizeof(*q));
	q->udp_size = DNS_UDP_MIN;
	rd_init(&rd, p, len);
	if (len > DNS_UDP_MAX)
		return TL_ETOOBIG;
	if ((r = rd_u16(&rd, &q->id)) < 0 || (r = rd_u16(&rd, &q->flags)) < 0 ||
	    (r = rd_u16(&rd, &qd)) < 0 || (r = rd_u16(&rd, &an)) < 0 ||
	    (r = rd_u16(&rd, &ns)) < 0 || (r = rd_u16(&rd, &ar)) < 0)
		return r;
	if ((q->flags & F_QR) || qd != 1 || an != 0 || ns != 0 || ar > 1)
		return TL_EINVAL;
	if ((r = read_name(&rd, q->name)) < 0 ||
	    (r = rd_u16(&rd, &q->qtype)) < 0 ||
	    (r = rd_u16(&rd, &q->qclass)) < 0)
		return r;
	if (ar == 1 && (r = read_opt(&rd, q)) < 0)
		return r;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

static void
put16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	buf_add(b, x, 2);
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b, (uint16_t)v);
}

/* Dotted text as labels; TL_EINVAL for an empty or long label. */
static int
put_name(struct buf *b, const char *name)
{
	size_t total = 0;

	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		if (n == 0 || n > 63 || (total += n + 1) + 1 > DNS_NAME_MAX)
			return TL_EINVAL;
		buf_addch(b, (int)n);
		buf_add(b, name, n);
		name += n + (dot != NULL);
	}
	buf_addch(b, 0);
	return 0;
}

static int
put_rr(struct buf *b, const struct dns_rr *rr)
{
	size_t at;
	int r;

	if (rr->name == NULL)
		put16(b, 0xc000u | HDR_LEN);	/* the question's name */
	else if ((r = put_name(b, rr->name)) < 0)
		return r;
	put16(b, rr->type);
	put16(b, DNS_C_IN);
	put32(b, rr->ttl);
	switch (rr->type) {
	case DNS_T_A:
		put16(b, 4);
		buf_add(b, rr->addr, 4);
		return 0;
	case DNS_T_AAAA:
		put16(b, 16);
		buf_add(b, rr->addr, 16);
		return 0;
	case DNS_T_SRV:
		at = b->len;
		put16(b, 0);
		put16(b, rr->prio);
		put16(b, rr->weight);
		put16(b, rr->port);
		if ((r = put_name(b, rr->target ? rr->target : "")) < 0)
			return r;
		b->data[at] = (char)((b->len - at - 2) >> 8);
		b->data[at + 1] = (char)(b->len - at - 2);
		return 0;
	default:
		return TL_EINVAL;
	}
}

/* Appends what fits of rr[0..n) to b; returns how many did. */
static int
put_section(struct buf *b, const struct dns_rr *rr, size_t n, size_t max,
    size_t *fitted)
{
	int r;

	*fitted = 0;
	for (size_t i = 0; i < n; i++) {
		size_t before = b->len;

		if ((r = put_rr(b, &rr[i])) < 0)
			return r;
		if (b->len > max) {
			buf_truncate(b, before);
			return 1;	/* truncated */
		}
		(*fitted)++;
	}
	return 0;
}

int
dns_build_reply(const struct dns_query *q, int rcode,
    const struct dns_rr *an, size_t nan, const struct dns_rr *ad,
    size_t nad, struct buf *out)
{
	size_t start = out->len, max = q->has_edns ? q->udp_size : DNS_UDP_MIN;
	size_t fit_an = 0, fit_ad = 0;
	uint16_t flags;
	int tc = 0, r;

	max -= q->has_edns ? 11 : 0;	/* room for our OPT record */
	flags = (uint16_t)(F_QR | F_AA | (q->flags & (F_OPCODE | F_RD)) |
	    (rcode & 0xf));
	put16(out, q->id);
	put16(out, flags);
	put16(out, 1);
	put16(out, 0);
	put16(out, 0);
	put16(out, 0);
	if ((r = put_name(out, q->name)) < 0)
		goto fail;
	put16(out, q->qtype);
	put16(out, q->qclass);
	if ((r = put_section(out, an, nan, start + max, &fit_an)) < 0)
		goto fail;
	tc = r;
	/* Additional records are a courtesy: leaving some out is no
	 * truncation (RFC 2181 9). */
	if (!tc && (r = put_section(out, ad, nad, start + max, &fit_ad)) < 0)
		goto fail;
	if (q->has_edns) {
		buf_addch(out, 0);
		put16(out, DNS_T_OPT);
		put16(out, DNS_UDP_MAX);
		put32(out, 0);
		put16(out, 0);
	}
	if (tc)
		out->data[start + 2] |= (char)(F_TC >> 8);
	out->data[start + 6] = (char)(fit_an >> 8);
	out->data[start + 7] = (char)fit_an;
	out->data[start + 10] = (char)((fit_ad + (q->has_edns != 0)) >> 8);
	out->data[start + 11] = (char)(fit_ad + (q->has_edns != 0));
	return 0;
fail:
	buf_truncate(out, start);
	return r;
}

/* Skips a possibly compressed name. */
static int
skip_name(struct rd *rd)
{
	uint8_t len;
	const uint8_t *x;
	int r;

	for (int n = 0; n < 128; n++) {
		if ((r = rd_u8(rd, &len)) < 0)
			return r;
		if (len == 0)
			return 0;
		if ((len & 0xc0) == 0xc0)
			return rd_u8(rd, &len);	/* pointer: ends the name */
		if (len > 63)
			return TL_EINVAL;
		if ((r = rd_bytes(rd, &x, len)) < 0)
			return r;
	}
	return TL_EINVAL;
}

int
dns_reply_answers(const uint8_t *p, size_t len, uint16_t *types,
    size_t max, int *rcode, int *is_truncated)
{
	uint16_t id, flags, qd, an, ns, ar, type, cls, rdlen;
	uint32_t ttl;
	const uint8_t *x;
	struct rd rd;
	int r;

	*rcode = -1;
	*is_truncated = 0;
	rd_init(&rd, p, len);
	if ((r = rd_u16(&rd, &id)) < 0 || (r = rd_u16(&rd, &flags)) < 0 ||
	    (r = rd_u16(&rd, &qd)) < 0 || (r = rd_u16(&rd, &an)) < 0 ||
	    (r = rd_u16(&rd, &ns)) < 0 || (r = rd_u16(&rd, &ar)) < 0)
		return r;
	*rcode = flags & 0xf;
	*is_truncated = (flags & F_TC) != 0;
	for (uint16_t i = 0; i < qd; i++)
		if ((r = skip_name(&rd)) < 0 || (r = rd_u16(&rd, &type)) < 0 ||
		    (r = rd_u16(&rd, &cls)) < 0)
			return r;
	for (uint16_t i = 0; i < an; i++) {
		if ((r = skip_name(&rd)) < 0 || (r = rd_u16(&rd, &type)) < 0 ||
		    (r = rd_u16(&rd, &cls)) < 0 || (r = rd_u32(&rd, &ttl)) < 0 ||
		    (r = rd_u16(&rd, &rdlen)) < 0 ||
		    (r = rd_bytes(&rd, &x, rdlen)) < 0)
			return r;
		if (types != NULL && i < max)
			types[i] = type;
	}
	return an;
}
