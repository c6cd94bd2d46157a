/*
 * The fact store and its output, and facts_gather(), which runs one
 * gatherer per source (os.c, hw.c, net.c, sys.c, user.c), each when a
 * reader first asks for one of its facts (see "Lazy sources" below).
 *
 * The store is a sorted array: there are tens of facts, set once per run
 * and read by key now and then, so binary search and memmove beat a hash
 * map, and sorted is the order every output wants anyway. Sorting treats
 * '.' as the lowest byte ("tree order"), which puts "a.b" right after "a"
 * and before "a-b": each subtree is then one contiguous run, so the JSON
 * writer nests objects in a single pass and facts_set() finds the subtree
 * a new leaf replaces in one place.
 */
#include "facts/facts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "facts/facts_int.h"

#define FACTS_D_DEFAULT	"/etc/tlaloc/facts.d"

struct fact {
	char		*key;
	char		*value;
	enum fact_kind	 kind;
};

struct facts {
	struct fact	*v;		/* sorted in tree order */
	size_t		 n;
	size_t		 cap;
	unsigned	 pending;	/* SRC_* not gathered yet */
	char		*root;		/* for them; NULL: the host */
};

struct facts *
facts_new(void)
{
	return xcalloc(1, sizeof(struct facts));
}

void
facts_free(struct facts *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].key);
		free(f->v[i].value);
	}
	free(f->v);
	free(f->root);
	free(f);
}

static void facts_load(struct facts *f, unsigned want);
static unsigned facts_src_of(const char *key, size_t len);

/* End of key < '.' < any other key byte: the tree order. */
static int
key_rank(unsigned char c)
{
	return c == '.' ? 1 : c;
}

/* Compares a with the first blen bytes of b, in tree order. */
static int
key_cmp(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen && a[i] != '\0' && a[i] == b[i]; i++)
		;
	if (i == blen)
		return a[i] == '\0' ? 0 : 1;
	return key_rank((unsigned char)a[i]) - key_rank((unsigned char)b[i]);
}

/* The index of the first fact not below key[0..len); *found if equal. */
static size_t
facts_find(const struct facts *f, const char *key, size_t len, int *found)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(f->v[mid].key, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < f->n && key_cmp(f->v[lo].key, key, len) == 0;
	return lo;
}

static void
facts_remove(struct facts *f, size_t i)
{
	free(f->v[i].key);
	free(f->v[i].value);
	memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(f->v[0]));
	f->n--;
}

/* Is key "prefix.something"? */
static int
key_is_below(const char *key, const char *prefix, size_t plen)
{
	return strncmp(key, prefix, plen) == 0 && key[plen] == '.';
}

void
facts_set(struct facts *f, const char *key, enum fact_kind kind,
    const char *value)
{
	size_t i, len = strlen(key);
	int found;

	TL_ASSERT(facts_key_check(key, NULL) == 0);
	TL_ASSERT(value != NULL);
	TL_ASSERT(kind == FACT_STR || facts_kind_of(value) == kind);
	/* A leaf "a" and a subtree "a.b" cannot both be: the new one wins. */
	for (const char *dot = strchr(key, '.'); dot != NULL;
	    dot = strchr(dot + 1, '.')) {
		i = facts_find(f, key, (size_t)(dot - key), &found);
		if (found)
			facts_remove(f, i);
	}
	i = facts_find(f, key, len, &found);
	if (found) {
		free(f->v[i].value);
		f->v[i].value = xstrdup(value);
		f->v[i].kind = kind;
		return;
	}
	while (i < f->n && key_is_below(f->v[i].key, key, len))
		facts_remove(f, i);
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof(f->v[0]));
	memmove(&f->v[i + 1], &f->v[i], (f->n - i) * sizeof(f->v[0]));
	f->v[i] = (struct fact){ xstrdup(key), xstrdup(value), kind };
	f->n++;
}

static int
key_byte_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
facts_key_check(const char *key, struct tl_err *err)
{
	size_t i, n = strlen(key);
	int seg = 0;		/* bytes in the current segment */

	if (n == 0)
		return tl_err_set(err, TL_EINVAL, "fact key is empty");
	if (n > FACTS_KEY_MAX)
		return tl_err_set(err, TL_EINVAL, "fact key '%.40s...' is "
		    "over %d bytes", key, FACTS_KEY_MAX);
	for (i = 0; i < n; i++) {
		if (key[i] == '.' && seg > 0)
			seg = 0;
		else if (key_byte_ok((unsigned char)key[i]))
			seg++;
		else
			break;
	}
	if (i < n || seg == 0)
		return tl_err_set(err, TL_EINVAL, "bad fact key '%s': use "
		    "letters, digits, '_' and '-', with single dots between "
		    "parts", key);
	return 0;
}

int
facts_value_check(const char *key, const char *value, struct tl_err *err)
{
	size_t n = strlen(value);

	if (n > FACTS_VALUE_MAX)
		return tl_err_set(err, TL_EINVAL, "value of fact '%s' is over "
		    "%d bytes", key, FACTS_VALUE_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f)
			return tl_err_set(err, TL_EINVAL, "value of fact '%s' "
			    "holds a control character", key);
	}
	return 0;
}

static const char *
skip_digits(const char *p)
{
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/* JSON's number grammar, so the text can go into JSON as it is. */
static int
is_json_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p = skip_digits(p);
	else
		return 0;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return 0;
		p = skip_digits(p + 1);
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		p = skip_digits(p);
	}
	return *p == '\0';
}

enum fact_kind
facts_kind_of(const char *value)
{
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
		return FACT_BOOL;
	if (is_json_number(value))
		return FACT_NUM;
	return FACT_STR;
}

int
facts_set_arg(struct facts *f, const char *k_eq_v, struct tl_err *err)
{
	const char *eq = strchr(k_eq_v, '=');
	char *key;
	int r;

	if (eq == NULL || eq == k_eq_v)
		return tl_err_set(err, TL_EINVAL, "fact '%s' must look like "
		    "key=value", k_eq_v);
	key = xstrndup(k_eq_v, (size_t)(eq - k_eq_v));
	if ((r = facts_key_check(key, err)) < 0 ||
	    (r = facts_value_check(key, eq + 1, err)) < 0) {
		free(key);
		return r;
	}
	facts_set(f, key, facts_kind_of(eq + 1), eq + 1);
	free(key);
	return 0;
}

void
facts_merge(struct facts *dst, const struct facts *src)
{
	for (size_t i = 0; i < facts_count(src); i++)
		facts_set(dst, src->v[i].key, src->v[i].kind,
		    src->v[i].value);
}

/*
 * A reader's question may need a source gathered first. The store is
 * const to its readers and stays so in what they can see: a fact that
 * appears is one that was always going to be there, and nothing a reader
 * borrowed is freed by it (facts_load never replaces or removes).
 */
const char *
facts_get(const struct facts *f, const char *key)
{
	size_t i, len = strlen(key);
	int found;

	facts_load((struct facts *)f, facts_src_of(key, len));
	i = facts_find(f, key, len, &found);
	return found ? f->v[i].value : NULL;
}

size_t
facts_count(const struct facts *f)
{
	facts_load((struct facts *)f, f->pending);
	return f->n;
}

size_t
facts_range(const struct facts *f, const char *top, size_t len,
    size_t *n)
{
	size_t i, k;
	int found;

	facts_load((struct facts *)f, facts_src_of(top, len));
	i = facts_find(f, top, len, &found);
	for (k = i; k < f->n && (key_cmp(f->v[k].key, top, len) == 0 ||
	    (strncmp(f->v[k].key, top, len) == 0 &&
	    f->v[k].key[len] == '.')); k++)
		;
	*n = k - i;
	return i;
}

const char *
facts_key(const struct facts *f, size_t i)
{
	TL_ASSERT(i < f->n);
	return f->v[i].key;
}

const char *
facts_value(const struct facts *f, size_t i)
{
	TL_ASSERT(i < f->n);
	return f->v[i].value;
}

enum fact_kind
facts_kind(const struct facts *f, size_t i)
{
	TL_ASSERT(i < f->n);
	return f->v[i].kind;
}

/* How many leading object segments ("a." in "a.b") a and b share. */
static size_t
json_common_depth(const char *a, const char *b)
{
	const char *da, *db;
	size_t n = 0;

	while ((da = strchr(a, '.')) != NULL && (db = strchr(b, '.')) != NULL) {
		if (da - a != db - b || memcmp(a, b, (size_t)(da - a)) != 0)
			break;
		n++;
		a = da + 1;
		b = db + 1;
	}
	return n;
}

/* Starts a member at nesting depth: comma unless first, newline, indent. */
static void
json_member(struct buf *out, size_t depth, int *first, const char *name,
    size_t len)
{
	buf_addstr(out, *first ? "\n" : ",\n");
	*first = 0;
	for (size_t i = 0; i <= depth; i++)
		buf_addstr(out, "  ");
	buf_add_json_str(out, name, len);
	buf_addstr(out, ": ");
}

static void
json_close(struct buf *out, size_t depth)
{
	buf_addch(out, '\n');
	for (size_t i = 0; i < depth; i++)
		buf_addstr(out, "  ");
	buf_addch(out, '}');
}

void
facts_to_json(const struct facts *f, struct buf *out)
{
	facts_load((struct facts *)f, f->pending);
	size_t depth = 0;	/* objects open inside the outer one */
	int first = 1;		/* no member yet in the innermost object */

	buf_addch(out, '{');
	for (size_t i = 0; i < f->n; i++) {
		const char *key = f->v[i].key, *dot;
		size_t keep = i == 0 ? 0 : json_common_depth(f->v[i - 1].key,
		    key);

		for (; depth > keep; depth--)
			json_close(out, depth);
		/* Skip the segments already open, open the rest. */
		for (size_t d = 0; d < depth; d++)
			key = strchr(key, '.') + 1;
		while ((dot = strchr(key, '.')) != NULL) {
			json_member(out, depth, &first, key,
			    (size_t)(dot - key));
			buf_addch(out, '{');
			first = 1;
			depth++;
			key = dot + 1;
		}
		json_member(out, depth, &first, key, strlen(key));
		if (f->v[i].kind == FACT_STR)
			buf_add_json_str(out, f->v[i].value,
			    strlen(f->v[i].value));
		else
			buf_addstr(out, f->v[i].value);
	}
	for (; depth > 0; depth--)
		json_close(out, depth);
	if (f->n > 0)
		buf_addch(out, '\n');
	buf_addch(out, '}');
}

void
facts_to_text(const struct facts *f, struct buf *out)
{
	facts_load((struct facts *)f, f->pending);
	size_t width = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->v[i].key) > width)
			width = strlen(f->v[i].key);
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].value[0] == '\0')
			buf_addf(out, "%-*s =>\n", (int)width, f->v[i].key);
		else
			buf_addf(out, "%-*s => %s\n", (int)width, f->v[i].key,
			    f->v[i].value);
	}
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Lazy sources. facts_gather() gathers no built-in fact: it notes the
 * sources as pending, and the first reader of a fact (facts_get,
 * facts_range, or anything that lists them all) gathers the source
 * that owns the fact's first segment, all of that source's facts at
 * once (one uname, one getifaddrs...). An apply whose recipe reads no
 * fact pays for none. Each source is gathered at most once per store:
 * the store lives for one run (an apply, a `tlaloc facts`), so that is
 * the facts' lifetime. No built-in source starts a process; facts.d
 * programs do, and they run in facts_gather() as before, since any of
 * them may set any key.
 *
 * Built-in facts used to be set first and user facts (facts.d, --fact)
 * over them, so a source gathered late adds only the facts that no fact
 * already in the store overrides: not the same key, not a leaf above it
 * ("a" for "a.b"), not a subtree below it ("a.b" for "a"). That is the
 * store the eager order made.
 */
#define SRC_OS		0x01
#define SRC_HW		0x02
#define SRC_NAMES	0x04
#define SRC_IFS		0x08
#define SRC_SYS		0x10
#define SRC_ALL		0x1f

static const struct {
	const char	*top;		/* a fact's first segment */
	unsigned	 src;
} fact_srcs[] = {
	{ "arch", SRC_OS }, { "codename", SRC_OS },
	{ "distribution", SRC_OS }, { "family", SRC_OS },
	{ "kernel", SRC_OS }, { "kernel_version", SRC_OS },
	{ "os", SRC_OS }, { "version", SRC_OS },
	{ "cpus", SRC_HW }, { "memory_mb", SRC_HW },
	{ "uptime_seconds", SRC_HW },
	{ "fqdn", SRC_NAMES }, { "hostname", SRC_NAMES },
	{ "name", SRC_NAMES },
	{ "interfaces", SRC_IFS }, { "ipaddress", SRC_IFS },
	{ "ipaddress6", SRC_IFS },
	{ "init_system", SRC_SYS }, { "package_manager", SRC_SYS },
	{ "timezone", SRC_SYS },
};

/* The source owning key[0..len)'s first segment; 0 for a name no
 * built-in source sets (a user fact, a typo). */
static unsigned
facts_src_of(const char *key, size_t len)
{
	const char *dot = memchr(key, '.', len);
	size_t n = dot != NULL ? (size_t)(dot - key) : len;

	for (size_t i = 0; i < sizeof(fact_srcs) / sizeof(fact_srcs[0]); i++)
		if (strlen(fact_srcs[i].top) == n &&
		    memcmp(fact_srcs[i].top, key, n) == 0)
			return fact_srcs[i].src;
	return 0;
}

/* Does a fact in f override key (see above)? */
static int
facts_overridden(const struct facts *f, const char *key)
{
	size_t i, len = strlen(key);
	int found;

	for (const char *dot = strchr(key, '.'); dot != NULL;
	    dot = strchr(dot + 1, '.')) {
		facts_find(f, key, (size_t)(dot - key), &found);
		if (found)
			return 1;
	}
	i = facts_find(f, key, len, &found);
	return found || (i < f->n && key_is_below(f->v[i].key, key, len));
}

/* Runs the gatherers of want into a scratch store, then keeps what no
 * fact in f overrides. */
static void
facts_load(struct facts *f, unsigned want)
{
	struct facts *g;
	long long t0;

	if ((want &= f->pending) == 0)
		return;
	if (want & SRC_SYS)
		want |= f->pending & SRC_OS;	/* gathered below anyway */
	f->pending &= ~want;
	t0 = now_us();
	g = facts_new();
	if (want & (SRC_OS | SRC_SYS))
		facts_gather_os(g, f->root);
	if (want & SRC_HW)
		facts_gather_hw(g);
	if (want & SRC_NAMES)
		facts_gather_names(g);
	if (want & SRC_IFS)
		facts_gather_interfaces(g);
	if (want & SRC_SYS)
		facts_gather_sys(g, f->root);
	for (size_t i = 0; i < g->n; i++) {
		/* sys reads os and family: os comes along (kept only where
		 * the store lacks it). */
		TL_ASSERT(facts_src_of(g->v[i].key, strlen(g->v[i].key)) &
		    (want & SRC_SYS ? want | SRC_OS : want));
		if (!facts_overridden(f, g->v[i].key))
			facts_set(f, g->v[i].key, g->v[i].kind,
			    g->v[i].value);
	}
	log_debug("gathered %zu built-in facts (sources 0x%x) in %lld us",
	    g->n, want, now_us() - t0);
	facts_free(g);
}

void
facts_gather_builtin(struct facts *f, const char *root)
{
	facts_gather_os(f, root);
	facts_gather_hw(f);
	facts_gather_names(f);
	facts_gather_interfaces(f);
	facts_gather_sys(f, root);
}

int
facts_gather(struct facts *f, const struct facts_opts *opts,
    struct tl_err *err)
{
	const char *root = opts != NULL ? opts->root : NULL;
	const char *dir = opts != NULL ? opts->facts_d : NULL;
	long long t0 = now_us();
	int r;

	/* Lazy: what a gathered source would have set under f's facts, a
	 * later load sets around them (facts_load). */
	free(f->root);
	f->root = root != NULL ? xstrdup(root) : NULL;
	f->pending = SRC_ALL;
	r = facts_gather_user(f, dir != NULL ? dir : FACTS_D_DEFAULT,
	    dir != NULL, err);
	log_debug("gathered %zu user facts in %lld us; built-in ones wait "
	    "for a reader", f->n, now_us() - t0);
	return r;
}
