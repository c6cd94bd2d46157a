/*
 * Fuzzes the query decoders: the first byte picks the envelope, the body,
 * a reply or a filter; the rest is the input. Seeds:
 * tests/fuzz/corpus/query/ (each kind, from the encoders).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/qfilter.h"
#include "cluster/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct query q;
	static struct qfilter f;
	char text[QFILTER_MAX + 2];
	const uint8_t *body, *kid, *sig;
	struct query_reply r;
	size_t blen;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (query_env_decode(data + 1, size - 1, &body, &blen, &kid,
		    &sig) == 0)
			query_body_decode(body, blen, &q);
		break;
	case 1:
		if (query_body_decode(data + 1, size - 1, &q) == 0 &&
		    qfilter_parse(q.filter, &f, NULL) == 0)
			qfilter_match(&f, "web1", "pack=db\0channels=#web",
			    22);
		break;
	case 2:
		query_reply_decode(data + 1, size - 1, &r);
		break;
	default:
		if (size - 1 >= sizeof(text))
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (qfilter_parse(text, &f, NULL) == 0)
			qfilter_match(&f, "web1", "pack=db\0channels=#web",
			    22);
		break;
	}
	return 0;
}
