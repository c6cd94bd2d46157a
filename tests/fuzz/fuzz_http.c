/*
 * The HTTP endpoint's input side under libFuzzer: a request head as a
 * client sends it (net/http.h), the query arguments every /v1 route reads
 * from it, and the run history decoders behind /v1/history and
 * `tlaloc history` (a peer's PKT_HISTORY request, a report to compact, an
 * answer to print). Never crash, leak or read out of bounds; a parsed
 * head must be consistent (a path starting with '/', bounded strings, a
 * status only on refusal).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "engine/history.h"
#include "net/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = { "node", "since", "resource", "limit",
    "status", "name", "channel", NULL };

static void
head(const char *p, size_t n)
{
	struct http_req req;
	char v[HTTP_QUERY_MAX];
	int r = http_req_parse(p, n, &req);

	if (r > 0) {
		if (req.path[0] != '/' || (size_t)r > n ||
		    strlen(req.path) >= HTTP_PATH_MAX ||
		    strlen(req.query) >= HTTP_QUERY_MAX || req.status != 0)
			abort();
		for (int i = 0; keys[i] != NULL; i++)
			if (http_query_get(req.query, keys[i], v,
			    sizeof(v)) == 1 && strlen(v) >= sizeof(v))
				abort();
	} else if (r < 0 && (req.status < 400 || req.status > 505))
		abort();
}

static void
history(const char *p, size_t n)
{
	struct buf out = BUF_INIT, text = BUF_INIT;
	struct history_ask q;
	int truncated;

	history_ask_decode((const uint8_t *)p, n, &q);
	if (history_compact(p, n, NULL, 4096, &out, &truncated) >= 0) {
		buf_reset(&out);
		history_compact(p, n, "file[/etc/motd]", 0, &out, &truncated);
	}
	history_text(p, n, &text);
	buf_release(&out);
	buf_release(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	/* The first byte picks the decoder; the rest is the input. */
	if (size == 0) {
		free(p);
		return 0;
	}
	memcpy(p, data + 1, size - 1);
	p[size - 1] = '\0';
	if (data[0] & 1)
		head(p, size - 1);
	else
		history(p, size - 1);
	free(p);
	return 0;
}
