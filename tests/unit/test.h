#ifndef TLALOC_TESTS_TEST_H
#define TLALOC_TESTS_TEST_H

/*
 * The unit-test harness. TEST(name) { ... } registers a case at load time,
 * so a new test file needs no list edit. Assertions print both expressions
 * and both values, survive -DNDEBUG, and end the case (not the run).
 * Each case gets a fresh scratch directory: test_dir().
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char	*name;
	const char	*file;
	void		(*fn)(void);
};

void	test_register(const char *name, const char *file, void (*fn)(void));
void	test_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
/* A scratch directory for this case, removed afterwards. */
const char *test_dir(void);
/* Returns a new path under test_dir(); caller frees. */
char	*test_path(const char *name);
/* Writes a file under test_dir() (creating parents); returns its path. */
char	*test_write(const char *name, const char *content);

#define TEST(name)							\
	static void test_##name(void);					\
	__attribute__((constructor)) static void reg_##name(void)	\
	{ test_register(#name, __FILE__, test_##name); }		\
	static void test_##name(void)

#define ASSERT(c) do { if (!(c))					\
	test_fail(__FILE__, __LINE__, "assertion failed: %s", #c);	\
} while (0)

#define ASSERT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld",	\
		    #a, #b, _a, _b);					\
} while (0)

#define ASSERT_NE(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a == _b)							\
		test_fail(__FILE__, __LINE__, "%s != %s: both %lld",	\
		    #a, #b, _a);					\
} while (0)

#define ASSERT_STR_EQ(a, b) do {					\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
		    #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");	\
} while (0)

#define ASSERT_MEM_EQ(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0)					\
		test_fail(__FILE__, __LINE__, "%s == %s over %zu bytes", \
		    #a, #b, (size_t)(n));				\
} while (0)

#define ASSERT_CONTAINS(hay, needle) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (_h == NULL || strstr(_h, _n) == NULL)			\
		test_fail(__FILE__, __LINE__, "%s contains \"%s\": got \"%s\"", \
		    #hay, _n, _h ? _h : "(null)");			\
} while (0)

#endif
