#ifndef TLALOC_CORE_ERR_H
#define TLALOC_CORE_ERR_H

/*
 * Errors from input, the environment or a peer: functions return a negative
 * TL_E* code and fill a struct tl_err with one plain sentence. Our own bugs
 * go through TL_ASSERT, which stays on in release builds.
 */

enum {
	TL_OK = 0,
	TL_EINVAL = -1,		/* bad argument or input */
	TL_ENOENT = -2,		/* no such file, resource, member */
	TL_EIO = -3,		/* read/write/system call failed */
	TL_ETRUNC = -4,		/* input ended early */
	TL_ETOOBIG = -5,	/* input over a documented bound */
	TL_ESYNTAX = -6,	/* recipe, template or config syntax */
	TL_ECYCLE = -7,		/* dependency cycle */
	TL_EDUP = -8,		/* duplicate declaration */
	TL_EPERM = -9,		/* not allowed */
	TL_ETIMEOUT = -10,	/* took too long */
	TL_ECRYPTO = -11,	/* authentication, signature or key failure */
	TL_EEXIST = -12,	/* already exists or taken */
	TL_ECHILD = -13,	/* a command we ran failed */
	TL_EAGAIN = -14,	/* try again later (lock held, busy) */
	TL_ELAST = -15
};

struct tl_err {
	int	 code;		/* TL_E* (negative), 0 when clear */
	char	 msg[512];	/* one line, lowercase, no final period */
	char	 where[256];	/* "recipes/app.lua:12" or "" */
};

#define TL_ERR_INIT { 0, "", "" }

/* Fills err (which may be NULL) and returns code. */
int	tl_err_set(struct tl_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Like tl_err_set, with ": <strerror(errno)>" appended; returns code. */
int	tl_err_sys(struct tl_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Sets err->where ("file:line") unless one is already recorded. */
void	tl_err_where(struct tl_err *err, const char *file, int line);

void	tl_err_clear(struct tl_err *err);

/* A short name for a TL_E* code; never NULL. */
const char *tl_strerror(int code);

/* Prints "file:line: assertion failed: expr" and aborts. */
void	tl_assert_fail(const char *file, int line, const char *expr)
	    __attribute__((noreturn));

#define TL_ASSERT(c) \
	((c) ? (void)0 : tl_assert_fail(__FILE__, __LINE__, #c))

#endif
