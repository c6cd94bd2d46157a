#ifndef TLALOC_NET_HTTP_H
#define TLALOC_NET_HTTP_H

/*
 * A small HTTP/1.1 request-head parser for the agent's read-only endpoint
 * (docs/http.md). It takes what a client has sent so far and either asks
 * for more, or gives the method, the decoded path, the raw query and a
 * bearer token, or refuses with the status to answer. It reads no body:
 * a request that announces one is refused, since nothing here changes
 * state. Every bound below is checked before anything is copied.
 *
 *   request-line   METHOD SP origin-form SP HTTP/1.x CRLF
 *   header-field   name ":" OWS value OWS CRLF      (at most HTTP_HDRS_MAX)
 *   end            CRLF
 *
 * Bare LF is taken for CRLF (RFC 9112 2.2); obsolete line folding, NUL
 * and other control bytes, a second Host or Authorization, absolute-form
 * targets and Transfer-Encoding are refused.
 */

#include <stddef.h>

#define HTTP_HEAD_MAX	8192	/* request line and headers, bytes */
#define HTTP_PATH_MAX	1024	/* decoded path, bytes */
#define HTTP_QUERY_MAX	1024
#define HTTP_HDRS_MAX	64
#define HTTP_TOKEN_MAX	256

struct http_req {
	int	 is_head;		/* HEAD: headers only */
	int	 minor;			/* HTTP/1.minor */
	char	 path[HTTP_PATH_MAX];	/* percent-decoded, starts with '/' */
	char	 query[HTTP_QUERY_MAX];	/* raw, without '?'; "" none */
	char	 bearer[HTTP_TOKEN_MAX]; /* Authorization: Bearer X; "" none */
	int	 has_auth;		/* an Authorization header came */
	int	 status;		/* set on a refusal: 400, 405, ... */
};

/*
 * Parses the head at the start of p[0..len). Returns the head's length
 * (> 0) once it is complete, 0 when more bytes are needed (and len is
 * still under HTTP_HEAD_MAX), or TL_EINVAL / TL_ETOOBIG with req->status
 * set to the HTTP status to answer (400, 405, 414, 431, 505). req is
 * cleared on entry.
 */
int	http_req_parse(const char *p, size_t len, struct http_req *req);

/*
 * Finds key in a raw query string ("a=1&b=x%20y") and percent-decodes
 * its value into out (size bytes, NUL-terminated; '+' is a space).
 * Returns 1 when found, 0 when absent, TL_EINVAL for a bad escape, a NUL
 * or a value that does not fit. A key given without '=' has value "".
 */
int	http_query_get(const char *query, const char *key, char *out,
	    size_t size);

/* The reason phrase for a status we send ("OK", "Not Found", ...). */
const char *http_reason(int status);

#endif
