/*
 * err.c - error records and diagnostic lists.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

int
mf_err_set(mf_err_t *self, int code, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (self == NULL)
		return -1;
	self->code = code;
	snprintf(self->where, sizeof(self->where), "%s", where ? where : "");
	va_start(ap, fmt);
	vsnprintf(self->msg, sizeof(self->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
mf_err_clear(mf_err_t *self)
{
	if (self == NULL)
		return;
	self->code = 0;
	self->where[0] = self->msg[0] = '\0';
}

const char *
mf_strerror(int code)
{
	switch (code) {
	case MF_OK:	return "no error";
	case MF_ENOMEM:	return "out of memory";
	case MF_EINVAL:	return "invalid argument";
	case MF_EPARSE:	return "parse error";
	case MF_EIO:	return "input/output error";
	case MF_EWIRE:	return "malformed message";
	case MF_EFIELD:	return "bad field";
	case MF_ELIMIT:	return "limit exceeded";
	case MF_EREGEX:	return "regular expression error";
	}
	return "unknown error";
}

void
mf_diags_add(mf_diags_t *self, int severity, const char *file, size_t line,
    size_t col, const char *hint, const char *fmt, ...)
{
	mf_diag_t	*d;
	va_list		 ap;

	if (self == NULL)
		return;
	if (severity == MF_DIAG_ERROR)
		self->errors++;
	else if (severity == MF_DIAG_WARNING)
		self->warnings++;
	if (self->n == self->cap) {
		size_t	 cap = self->cap ? self->cap * 2 : 16;
		void	*p = mf_realloc(self->v, cap * sizeof(*self->v));

		if (p == NULL) {
			self->oom = 1;
			return;
		}
		self->v = p;
		self->cap = cap;
	}
	d = &self->v[self->n++];
	d->severity = severity;
	if (line && col)
		snprintf(d->where, sizeof(d->where), "%s:%zu:%zu",
		    file ? file : "", line, col);
	else if (line)
		snprintf(d->where, sizeof(d->where), "%s:%zu", file ? file : "",
		    line);
	else
		snprintf(d->where, sizeof(d->where), "%s", file ? file : "");
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	snprintf(d->hint, sizeof(d->hint), "%s", hint ? hint : "");
}

void
mf_diags_free(mf_diags_t *self)
{
	if (self == NULL)
		return;
	mf_free(self->v);
	memset(self, 0, sizeof(*self));
}
