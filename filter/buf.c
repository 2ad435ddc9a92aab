/*
 * buf.c - a growable byte buffer.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

int
mf_buf_reserve(mf_buf_t *self, size_t extra)
{
	size_t	 cap;
	char	*p;

	if (self->len + extra + 1 <= self->cap)
		return 0;
	if (extra > ((size_t)-1) / 4)
		return -1;
	cap = self->cap ? self->cap : 64;
	while (cap < self->len + extra + 1)
		cap *= 2;
	if ((p = mf_realloc(self->data, cap)) == NULL)
		return -1;
	self->data = p;
	self->cap = cap;
	return 0;
}

int
mf_buf_append(mf_buf_t *self, const void *p, size_t n)
{
	if (mf_buf_reserve(self, n) == -1)
		return -1;
	if (n)
		memcpy(self->data + self->len, p, n);
	self->len += n;
	self->data[self->len] = '\0';
	return 0;
}

int
mf_buf_puts(mf_buf_t *self, const char *s)
{
	return mf_buf_append(self, s, strlen(s));
}

int
mf_buf_printf(mf_buf_t *self, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || mf_buf_reserve(self, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(self->data + self->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	self->len += (size_t)n;
	return 0;
}

void
mf_buf_reset(mf_buf_t *self)
{
	self->len = 0;
	if (self->data)
		self->data[0] = '\0';
}

void
mf_buf_free(mf_buf_t *self)
{
	mf_free(self->data);
	self->data = NULL;
	self->len = self->cap = 0;
}
