#ifndef TLALOC_CLUSTER_QFILTER_H
#define TLALOC_CLUSTER_QFILTER_H

/*
 * Query filters: which nodes a `tlaloc run` or `tlaloc query` is for.
 * Terms are separated by spaces and all must match:
 *   #web        the node is in channel #web (#all: every node)
 *   pack=NAME   the node's "pack" tag is NAME
 *   name=REGEX  the node's name matches the PCRE REGEX (anywhere; anchor
 *               with ^ and $)
 *   tag:K=V     the node's tag K is V
 * At most QFILTER_TERMS terms. Matching reads a node's name and swim tags
 * ("k=v\0..."), so an asker can tell whom to expect from its member list.
 */

#include <stddef.h>

struct tl_err;

#define QFILTER_TERMS	16
#define QFILTER_MAX	256	/* bytes of filter text */

enum qfilter_kind { QF_CHANNEL, QF_PACK, QF_NAME, QF_TAG };

struct qfilter_term {
	enum qfilter_kind kind;
	char		 key[64];	/* QF_TAG */
	char		 value[QFILTER_MAX + 1];
};

struct qfilter {
	struct qfilter_term terms[QFILTER_TERMS];
	size_t		 n;
};

/* Parses s into f. TL_EINVAL/TL_ETOOBIG with err naming the rule. */
int	qfilter_parse(const char *s, struct qfilter *f, struct tl_err *err);
/* 1 when the node (name, tags of tags_len bytes) matches every term. */
int	qfilter_match(const struct qfilter *f, const char *name,
	    const char *tags, size_t tags_len);

#endif
