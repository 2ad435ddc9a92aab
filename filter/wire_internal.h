/*
 * wire_internal.h - the bounded msgpack reader and writer shared by the
 * codecs in wire.c and wire_json.c. Never installed.
 *
 * The reader never trusts a declared length or count: every read checks
 * the bytes that remain, so it can walk hostile input without allocating.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_WIRE_INTERNAL_H
#define MF_WIRE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "post.h"
#include "verdict.h"
#include "wire.h"

typedef enum mf__mp_type {
	MF__MP_NIL = 0,
	MF__MP_BOOL,
	MF__MP_UINT,		/* a non-negative integer: 'u' */
	MF__MP_INT,		/* a negative integer: 'i' */
	MF__MP_FLOAT,		/* float 32 or 64: 'f' */
	MF__MP_STR,		/* 's', 'len' bytes */
	MF__MP_BIN,		/* 's', 'len' bytes */
	MF__MP_ARRAY,		/* 'len' elements follow */
	MF__MP_MAP,		/* 'len' key/value pairs follow */
	MF__MP_EXT		/* payload skipped */
} mf__mp_type_t;

typedef struct mf__mp_val {
	mf__mp_type_t	 type;
	int		 b;
	uint64_t	 u;
	int64_t		 i;
	double		 f;
	const char	*s;	/* BORROWS: points into the input */
	size_t		 len;
} mf__mp_val_t;

typedef struct mf__mp_reader {
	const unsigned char	*p, *end;
} mf__mp_reader_t;

void		 mf__mp_reader_init(mf__mp_reader_t *r, const void *data,
		    size_t len);
/* Reads one value header (and the bytes of a str, bin or ext). -1 when
 * the input is truncated or holds the reserved byte 0xc1. */
int		 mf__mp_read(mf__mp_reader_t *r, mf__mp_val_t *v);
/* Skips one whole value, containers included, at most 'depth' levels
 * deep. -1 when truncated or too deep. Work is linear in the input. */
int		 mf__mp_skip(mf__mp_reader_t *r, int depth);
/* Checks that [data, data+len) is exactly one msgpack value within the
 * wire limits (size 'max', MF_WIRE_MAX_DEPTH, MF_WIRE_MAX_STR, counts no
 * larger than the bytes that remain, no ext types), and a map if
 * 'want_map'. 0, or -1 with 'err' filled (where = 'what'). */
int		 mf__mp_check(const void *data, size_t len, size_t max,
		    int want_map, const char *what, mf_err_t *err);
/* "a string", "an integer", ... for error messages. */
const char	*mf__mp_type_desc(mf__mp_type_t t);

/* Writers: append to 'b'; 0 or -1 (out of memory). */
int	mf__mp_put_map(mf_buf_t *b, size_t n);
int	mf__mp_put_array(mf_buf_t *b, size_t n);
int	mf__mp_put_str(mf_buf_t *b, const char *s, size_t len);
int	mf__mp_put_cstr(mf_buf_t *b, const char *s);
int	mf__mp_put_bin(mf_buf_t *b, const void *s, size_t len);
int	mf__mp_put_uint(mf_buf_t *b, uint64_t u);
int	mf__mp_put_int(mf_buf_t *b, int64_t i);
int	mf__mp_put_double(mf_buf_t *b, double f);
int	mf__mp_put_bool(mf_buf_t *b, int v);
int	mf__mp_put_nil(mf_buf_t *b);

/* wire_json.c's conversions by their short path ('fast': 0 done, 1 when
 * the text or message is not the common case) or by a jansson tree, for
 * the test that both give the same bytes. 0 or -1 with 'err' set. */
int	mf__json_to_mp(const char *text, size_t len, mf_buf_t *mp, int fast,
	    mf_err_t *err);
int	mf__mp_to_json(const mf_buf_t *mp, mf_buf_t *out, int fast,
	    mf_err_t *err);

/* The msgpack decoders with an explicit size limit (the JSON decoders
 * convert to msgpack first, and msgpack can be larger than its JSON). */
mf_post_t	*mf__wire_decode_post(const void *data, size_t len,
		    size_t max, mf_err_t *err);
mf_verdict_t	*mf__wire_decode_verdict(const void *data, size_t len,
		    size_t max, mf_err_t *err);
mf_feedback_t	*mf__wire_decode_feedback(const void *data, size_t len,
		    size_t max, mf_err_t *err);

#endif
