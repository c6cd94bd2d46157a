#ifndef TLALOC_CORE_TEXT_H
#define TLALOC_CORE_TEXT_H

/*
 * Small helpers for text held as a range [p, end), not NUL-terminated:
 * lines of facts files, crontabs and package databases.
 */

/*
 * Narrows [*p, *end) past the blanks (spaces, tabs) at its start and the
 * blanks and carriage returns at its end, so a CRLF line reads like an LF
 * one. An all-blank range ends empty (*p == *end).
 */
void	text_trim(const char **p, const char **end);

#endif
