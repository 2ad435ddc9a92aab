/*
 * buf.h - a growable byte buffer (the output side of the codecs).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_BUF_H
#define MF_BUF_H

#include <stddef.h>

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
void	 mf_buf_free(mf_buf_t *self);

#endif
