/*
 * buf.h - a growable byte buffer (the output side of the codecs).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_BUF_H
#define MF_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct mf_buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len, cap;
} mf_buf_t;

int	 mf_buf_reserve(mf_buf_t *self, size_t extra);	/* 0 or -1 (ENOMEM) */
int	 mf_buf_append(mf_buf_t *self, const void *p, size_t n);
int	 mf_buf_puts(mf_buf_t *self, const char *s);
int	 mf_buf_printf(mf_buf_t *self, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 mf_buf_reset(mf_buf_t *self);	/* len = 0, keeps memory */

/* mf_buf_append() with the copy inline while there is room, for the
 * codecs' writers, which append a byte or a few at a time. */
static inline int
mf_buf_add(mf_buf_t *self, const void *p, size_t n)
{
	if (self->len + n + 1 > self->cap)
		return mf_buf_append(self, p, n);
	if (n > 0)
		memcpy(self->data + self->len, p, n);
	self->len += n;
	self->data[self->len] = '\0';
	return 0;
}
void	 mf_buf_free(mf_buf_t *self);

#endif
