#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_names[] = {
	"ok", "invalid input", "not found", "i/o error", "truncated input",
	"too big", "syntax error", "dependency cycle", "duplicate",
	"not permitted", "timed out", "authentication failed", "already exists",
	"command failed", "busy, try again",
};

/* The message of tl_err_set and tl_err_sys; nothing when err is NULL. */
static void
err_vset(struct tl_err *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
tl_err_set(struct tl_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
tl_err_sys(struct tl_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	if (err != NULL && (n = strlen(err->msg)) < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
		    strerror(saved));
	errno = saved;
	return code;
}

void
tl_err_where(struct tl_err *err, const char *file, int line)
{
	if (err == NULL || err->where[0] != '\0')
		return;
	if (line > 0)
		snprintf(err->where, sizeof(err->where), "%s:%d", file, line);
	else
		snprintf(err->where, sizeof(err->where), "%s", file);
}

void
tl_err_clear(struct tl_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
	err->where[0] = '\0';
}

const char *
tl_strerror(int code)
{
	int i = -code;

	if (i < 0 || i >= (int)(sizeof(err_names) / sizeof(err_names[0])))
		return "unknown error";
	return err_names[i];
}

void
tl_assert_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
	abort();
}
