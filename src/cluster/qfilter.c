/* Query filters (qfilter.h). */
#include "cluster/qfilter.h"

#include <stdio.h>
#include <string.h>

#include "cluster/chan.h"
#include "core/err.h"
#include "core/re.h"

static const char *
tag_value(const char *tags, size_t len, const char *key)
{
	size_t kl = strlen(key), i = 0;

	while (i < len) {
		const char *t = tags + i;
		size_t tl = strnlen(t, len - i);

		if (tl > kl && memcmp(t, key, kl) == 0 && t[kl] == '=')
			return t + kl + 1;
		i += tl + 1;
	}
	return NULL;
}

static int
term_parse(const char *t, size_t n, struct qfilter_term *q,
    struct tl_err *err)
{
	const char *eq;

	memset(q, 0, sizeof(*q));
	if (t[0] == '#') {
		q->kind = QF_CHANNEL;
		memcpy(q->value, t, n);
		return chan_name_check(q->value, err);
	}
	if (n > 5 && strncmp(t, "pack=", 5) == 0) {
		q->kind = QF_PACK;
		memcpy(q->value, t + 5, n - 5);
		return 0;
	}
	if (n > 5 && strncmp(t, "name=", 5) == 0) {
		q->kind = QF_NAME;
		memcpy(q->value, t + 5, n - 5);
		return re_get(q->value, err) == NULL ? TL_EINVAL : 0;
	}
	if (n > 4 && strncmp(t, "tag:", 4) == 0 &&
	    (eq = memchr(t + 4, '=', n - 4)) != NULL && eq > t + 4 &&
	    (size_t)(eq - t - 4) < sizeof(q->key)) {
		q->kind = QF_TAG;
		memcpy(q->key, t + 4, (size_t)(eq - t - 4));
		memcpy(q->value, eq + 1, n - (size_t)(eq + 1 - t));
		return 0;
	}
	return tl_err_set(err, TL_EINVAL, "bad filter term '%.*s': use "
	    "'#channel', 'pack=NAME', 'name=REGEX' or 'tag:K=V'", (int)n, t);
}

int
qfilter_parse(const char *s, struct qfilter *f, struct tl_err *err)
{
	const char *p = s;
	int r;

	f->n = 0;
	if (strlen(s) > QFILTER_MAX)
		return tl_err_set(err, TL_ETOOBIG, "filter is over %d bytes",
		    QFILTER_MAX);
	for (;;) {
		size_t n;

		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t");
		if (f->n == QFILTER_TERMS)
			return tl_err_set(err, TL_ETOOBIG, "filter has more "
			    "than %d terms", QFILTER_TERMS);
		if ((r = term_parse(p, n, &f->terms[f->n], err)) < 0)
			return r;
		f->n++;
		p += n;
	}
	if (f->n == 0)
		return tl_err_set(err, TL_EINVAL, "empty filter: give "
		    "'#all' for every node");
	return 0;
}

static int
term_match(const struct qfilter_term *q, const char *name, const char *tags,
    size_t tags_len)
{
	const struct re *re;
	const char *v;
	size_t ov[2];

	switch (q->kind) {
	case QF_CHANNEL:
		return strcmp(q->value, CHAN_ALL) == 0 ||
		    chan_list_has(tag_value(tags, tags_len, CHAN_TAG),
		    q->value);
	case QF_PACK:
		v = tag_value(tags, tags_len, "pack");
		return v != NULL && strcmp(v, q->value) == 0;
	case QF_TAG:
		v = tag_value(tags, tags_len, q->key);
		return v != NULL && strcmp(v, q->value) == 0;
	case QF_NAME:
		re = re_get(q->value, NULL);
		return re != NULL && re_match(re, name, strlen(name), 0, ov,
		    1) > 0;
	}
	return 0;
}

int
qfilter_match(const struct qfilter *f, const char *name, const char *tags,
    size_t tags_len)
{
	for (size_t i = 0; i < f->n; i++)
		if (!term_match(&f->terms[i], name, tags, tags_len))
			return 0;
	return f->n > 0;
}
