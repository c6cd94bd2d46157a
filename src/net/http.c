/*
 * HTTP/1.1 request heads (net/http.h). Written for one job: a read-only
 * endpoint that answers GET and HEAD. Why the project has its own parser
 * rather than a library is in docs/http.md; in short, Debian 12 has no
 * parser-only library (llhttp arrived later), and the servers it has
 * bring their own threads or event loop.
 *
 * The head is parsed only once it is complete (the caller buffers up to
 * HTTP_HEAD_MAX bytes), so no state survives between calls and every
 * line is checked with its whole length known.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/hex.h"

static int
refuse(struct http_req *req, int status, int code)
{
	req->status = status;
	return code;
}

/* Offset just past the blank line ending the head, or 0 if none yet. */
static size_t
head_end(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < len && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Length of the line at p (up to end), without its CR LF or LF. */
static size_t
line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* Percent-decodes p[0..n) into out; plus_space turns '+' into ' '. */
static int
pct_decode(const char *p, size_t n, char *out, size_t size, int plus_space)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			uint8_t v;

			if (i + 2 >= n || hex_decode(&v, 1, p + i + 1) < 0 ||
			    v == 0)
				return TL_EINVAL;
			c = v;
			i += 2;
		} else if (c == '+' && plus_space)
			c = ' ';
		if (o + 1 >= size)
			return TL_ETOOBIG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Visible ASCII only: no space, no control bytes, nothing >= 0x7f. */
static int
is_vchar_run(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return 0;
	return 1;
}

static int
parse_target(const char *t, size_t n, struct http_req *req)
{
	const char *q = memchr(t, '?', n);
	size_t pl = q != NULL ? (size_t)(q - t) : n;
	int r;

	if (n == 0 || t[0] != '/' || !is_vchar_run(t, n))
		return refuse(req, 400, TL_EINVAL);
	if (q != NULL) {
		size_t ql = n - pl - 1;

		if (ql >= sizeof(req->query))
			return refuse(req, 414, TL_ETOOBIG);
		memcpy(req->query, q + 1, ql);
		req->query[ql] = '\0';
	}
	if ((r = pct_decode(t, pl, req->path, sizeof(req->path), 0)) < 0)
		return refuse(req, r == TL_ETOOBIG ? 414 : 400, r);
	return 0;
}

static int
parse_request_line(const char *p, size_t n, struct http_req *req)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *ver;
	size_t ml, tl, vl;

	if (sp1 == NULL)
		return refuse(req, 400, TL_EINVAL);
	ml = (size_t)(sp1 - p);
	sp2 = memchr(sp1 + 1, ' ', n - ml - 1);
	if (sp2 == NULL)
		return refuse(req, 400, TL_EINVAL);
	tl = (size_t)(sp2 - sp1 - 1);
	ver = sp2 + 1;
	vl = n - (size_t)(ver - p);
	if (vl != 8 || memcmp(ver, "HTTP/1.", 7) != 0)
		return refuse(req, vl == 8 && memcmp(ver, "HTTP/", 5) == 0 ?
		    505 : 400, TL_EINVAL);
	if (ver[7] != '0' && ver[7] != '1')
		return refuse(req, 505, TL_EINVAL);
	req->minor = ver[7] - '0';
	if (tl >= HTTP_PATH_MAX + HTTP_QUERY_MAX)
		return refuse(req, 414, TL_ETOOBIG);
	if (ml == 3 && memcmp(p, "GET", 3) == 0)
		req->is_head = 0;
	else if (ml == 4 && memcmp(p, "HEAD", 4) == 0)
		req->is_head = 1;
	else
		return refuse(req, ml > 0 && is_vchar_run(p, ml) ? 405 : 400,
		    TL_EINVAL);
	return parse_target(sp1 + 1, tl, req);
}

static int
is_token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static int
name_is(const char *name, size_t nl, const char *want)
{
	return strlen(want) == nl && strncasecmp(name, want, nl) == 0;
}

static int
parse_auth(const char *v, size_t vl, struct http_req *req)
{
	if (req->has_auth)
		return refuse(req, 400, TL_EINVAL);
	req->has_auth = 1;
	if (vl < 7 || strncasecmp(v, "Bearer ", 7) != 0)
		return 0;	/* another scheme: no token */
	v += 7;
	vl -= 7;
	while (vl > 0 && *v == ' ') {
		v++;
		vl--;
	}
	if (vl >= sizeof(req->bearer) || !is_vchar_run(v, vl))
		return refuse(req, 400, TL_EINVAL);
	memcpy(req->bearer, v, vl);
	req->bearer[vl] = '\0';
	return 0;
}

/* One header line; *seen_host counts Host headers. */
static int
parse_header(const char *p, size_t n, struct http_req *req, int *seen_host)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t nl, vl;

	if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		return refuse(req, 400, TL_EINVAL);	/* obs-fold */
	if (colon == NULL || colon == p)
		return refuse(req, 400, TL_EINVAL);
	nl = (size_t)(colon - p);
	for (size_t i = 0; i < nl; i++)
		if (!is_token_char((unsigned char)p[i]))
			return refuse(req, 400, TL_EINVAL);
	v = colon + 1;
	vl = n - nl - 1;
	for (size_t i = 0; i < vl; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return refuse(req, 400, TL_EINVAL);
	}
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (name_is(p, nl, "host") && ++*seen_host > 1)
		return refuse(req, 400, TL_EINVAL);
	if (name_is(p, nl, "transfer-encoding"))
		return refuse(req, 400, TL_EINVAL);
	if (name_is(p, nl, "content-length") &&
	    !(vl == 1 && v[0] == '0'))
		return refuse(req, 400, TL_EINVAL);
	if (name_is(p, nl, "authorization"))
		return parse_auth(v, vl, req);
	return 0;
}

int
http_req_parse(const char *p, size_t len, struct http_req *req)
{
	const char *end, *line, *next;
	size_t hl, n;
	int r, nhdrs = 0, seen_host = 0;

	memset(req, 0, sizeof(*req));
	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	if ((hl = head_end(p, len)) == 0)
		return len >= HTTP_HEAD_MAX ? refuse(req, 431, TL_ETOOBIG) : 0;
	end = p + hl;
	n = line_len(p, end, &next);
	if ((r = parse_request_line(p, n, req)) < 0)
		return r;
	for (line = next; line < end; line = next) {
		n = line_len(line, end, &next);
		if (n == 0)
			break;		/* the blank line */
		if (++nhdrs > HTTP_HDRS_MAX)
			return refuse(req, 431, TL_ETOOBIG);
		if ((r = parse_header(line, n, req, &seen_host)) < 0)
			return r;
	}
	if (req->minor == 1 && seen_host == 0)
		return refuse(req, 400, TL_EINVAL);	/* RFC 9112 3.2 */
	return (int)hl;
}

int
http_query_get(const char *query, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	const char *p = query;

	if (size > 0)
		out[0] = '\0';
	while (*p != '\0') {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		size_t nl = eq != NULL ? (size_t)(eq - p) : n;

		if (nl == kl && memcmp(p, key, kl) == 0) {
			if (eq == NULL)
				return 1;
			if (pct_decode(eq + 1, n - nl - 1, out, size, 1) < 0)
				return TL_EINVAL;
			return 1;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

const char *
http_reason(int status)
{
	static const struct {
		int		 code;
		const char	*text;
	} reasons[] = {
		{ 200, "OK" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 414, "URI Too Long" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "Error";
}
