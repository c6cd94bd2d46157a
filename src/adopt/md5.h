#ifndef TLALOC_ADOPT_MD5_H
#define TLALOC_ADOPT_MD5_H

#include <stddef.h>

/* Writes the MD5 of data as 32 lowercase hex digits and a NUL to out. */
void	md5_hex(const void *data, size_t len, char out[33]);

#endif
