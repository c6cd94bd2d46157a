#include "re.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "strmap.h"
#include "xalloc.h"

struct re {
	pcre2_code		*code;
	pcre2_match_data	*md;
	char			*lead;	/* "^lead...": a subject matched from
					   offset 0 must start with it */
	size_t			 nlead;
};

/* The cache is bounded: recipes use a handful of patterns, but a loop
 * building patterns from data must not grow memory without end. */
#define RE_CACHE_MAX	512

static struct strmap re_index = STRMAP_INIT;
static struct re **re_slots;
static size_t re_nslots, re_capslots;

/* Bytes that stand for themselves in a pattern, whatever follows. */
static int
re_is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr(" _-=:,/\"'<>@%~!&;", c) != NULL);
}

/*
 * The literal text a match must start with, for a pattern "^text...":
 * a line test (file.replace_line's match) then rejects most lines with
 * a memcmp instead of a pcre2_match call and its UTF check. Only when
 * certain: no '|' anywhere (an alternative would not need the text),
 * ASCII bytes that are literal in any context, and the last one dropped
 * when a quantifier follows it ("^ab?" needs only "a").
 */
static void
re_find_lead(struct re *re, const char *pattern)
{
	size_t n = 0;

	if (pattern[0] != '^' || strchr(pattern, '|') != NULL)
		return;
	while (re_is_plain((unsigned char)pattern[1 + n]))
		n++;
	if (n > 0 && strchr("?*+{", pattern[1 + n]) != NULL &&
	    pattern[1 + n] != '\0')
		n--;
	if (n == 0)
		return;
	re->lead = xstrndup(pattern + 1, n);
	re->nlead = n;
}

static void
re_free(struct re *re)
{
	free(re->lead);
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}

void
re_cache_clear(void)
{
	for (size_t i = 0; i < re_nslots; i++)
		re_free(re_slots[i]);
	free(re_slots);
	re_slots = NULL;
	re_nslots = re_capslots = 0;
	strmap_release(&re_index);
}

const struct re *
re_get(const char *pattern, struct tl_err *err)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	struct re *re;
	size_t slot;
	int code;

	if (strmap_get(&re_index, pattern, &slot))
		return re_slots[slot];
	if (re_nslots >= RE_CACHE_MAX)
		re_cache_clear();
	re = xcalloc(1, sizeof(*re));
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		tl_err_set(err, TL_ESYNTAX, "bad regex '%s' at offset %zu: %s",
		    pattern, (size_t)off, (char *)msg);
		free(re);
		return NULL;
	}
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re_find_lead(re, pattern);
	re_slots = xgrow(re_slots, &re_capslots, re_nslots + 1,
	    sizeof(*re_slots));
	re_slots[re_nslots] = re;
	strmap_put(&re_index, pattern, re_nslots++);
	return re;
}

int
re_match(const struct re *re, const char *subject, size_t len, size_t start,
    size_t *ovec, size_t nvec)
{
	PCRE2_SIZE *v;
	int rc;

	/* The first byte first: most lines a line edit tests differ there,
	 * and a call to memcmp costs more than the byte. */
	if (start == 0 && re->nlead > 0 && (len < re->nlead ||
	    subject[0] != re->lead[0] ||
	    memcmp(subject, re->lead, re->nlead) != 0))
		return 0;	/* cannot match: re_find_lead() */
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start, 0, re->md,
	    NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	v = pcre2_get_ovector_pointer(re->md);
	if (rc == 0)
		rc = (int)pcre2_get_ovector_count(re->md);
	for (size_t i = 0; i < nvec; i++) {
		int set = i < (size_t)rc;
		ovec[2 * i] = set ? v[2 * i] : (size_t)-1;
		ovec[2 * i + 1] = set ? v[2 * i + 1] : (size_t)-1;
	}
	return rc;
}
