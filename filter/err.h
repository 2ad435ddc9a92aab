/*
 * err.h - error and diagnostic records of libmedflag.
 *
 * Not responsible for printing: tools and workers format these records.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_ERR_H
#define MF_ERR_H

#include <stddef.h>

enum {
	MF_OK = 0,
	MF_ENOMEM,		/* an allocation failed */
	MF_EINVAL,		/* a bad argument or value */
	MF_EPARSE,		/* a rule, policy or list file did not parse */
	MF_EIO,			/* a file could not be read */
	MF_EWIRE,		/* bytes are not a valid message */
	MF_EFIELD,		/* a message field is missing or has the wrong type */
	MF_ELIMIT,		/* a size, depth or count limit was exceeded */
	MF_EREGEX		/* PCRE2 failed while matching */
};

typedef struct mf_err {
	int	code;		/* MF_E* value; 0 when there is no error */
	char	where[256];	/* "rules/vaccines.rules:42:17", a field, or "" */
	char	msg[512];	/* what is wrong; then what to do about it */
} mf_err_t;

/* Fills 'self' (which may be NULL: then does nothing). Returns -1 so that
 * callers can write 'return mf_err_set(...)'. */
int		 mf_err_set(mf_err_t *self, int code, const char *where,
		    const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
void		 mf_err_clear(mf_err_t *self);
/* BORROWS: static string naming 'code'. */
const char	*mf_strerror(int code);

/*
 * Diagnostics: the rule compiler and the config readers collect every
 * problem of a pass here and refuse the whole input if any is an error.
 */
enum { MF_DIAG_ERROR = 0, MF_DIAG_WARNING = 1, MF_DIAG_NOTE = 2 };

typedef struct mf_diag {
	int	severity;	/* MF_DIAG_* */
	char	where[256];	/* "file:line:col" */
	char	msg[512];	/* what is wrong */
	char	hint[512];	/* what to do about it, or "" */
} mf_diag_t;

typedef struct mf_diags {
	mf_diag_t	*v;
	size_t		 n, cap;
	size_t		 errors, warnings;
	int		 oom;	/* a diagnostic was lost for lack of memory */
} mf_diags_t;

/* Appends one diagnostic. 'hint' may be NULL. Never fails visibly: when
 * memory runs out the diagnostic is counted and 'oom' set. */
void		 mf_diags_add(mf_diags_t *self, int severity, const char *file,
		    size_t line, size_t col, const char *hint, const char *fmt,
		    ...) __attribute__((format(printf, 7, 8)));
void		 mf_diags_free(mf_diags_t *self);

#endif
