#ifndef TLALOC_CORE_REDACT_H
#define TLALOC_CORE_REDACT_H

/*
 * The redaction set: values this process opened from secrets
 * (policy/secret.h). Everything the process prints or saves about a run
 * (report lines, diffs, --json, the saved report, error messages) passes
 * through redact_buf, so a secret that reaches a resource, an error or a
 * log line shows as REDACT_MASK. A value is masked whole, and a
 * multi-line value also line by line (a diff shows it a line at a time).
 *
 * One set per process, on purpose: it must cover every printer, including
 * error paths far from the recipe that opened the secret, and it only
 * grows while the process lives. Values are kept in sodium_malloc memory
 * and wiped by redact_clear().
 *
 * What it cannot catch: a value the recipe transformed (encoded, split,
 * case-changed) before it reached output. docs/secrets.md says so.
 */

#include <stddef.h>

struct buf;

#define REDACT_MASK	"[sensitive]"
#define REDACT_MIN	4	/* shorter pieces are not masked alone */

/* Adds value (n bytes) to the set. */
void	redact_add(const char *value, size_t n);
/* Is the set empty? */
int	redact_empty(void);
/* Does p[0..n) contain any value of the set? */
int	redact_contains(const char *p, size_t n);
/* Replaces every value of the set in b by REDACT_MASK. */
void	redact_buf(struct buf *b);
/* A new copy of s with the set masked; caller frees. NULL for NULL. */
char	*redact_str(const char *s);
/* Wipes and empties the set (tests, and before exit). */
void	redact_clear(void);

#endif
