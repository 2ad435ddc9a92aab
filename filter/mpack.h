/*
 * mpack.h - the one msgpack reader of medflag, bounded, and a small
 * writer: the codecs (wire.c, wire_json.c), medflagd's control requests
 * and every reply the `medflag` commands read go through it. Never
 * installed.
 *
 * The reader never trusts a declared length or count: every read checks
 * the bytes that remain, so it can walk hostile input without allocating.
 * A message from outside is checked whole first (mf__mp_check, or
 * mf__mp_open for the typed helpers), as OpenSMTPD reads imsg.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_MPACK_H
#define MF_MPACK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "wire.h"	/* the limits: MF_WIRE_MAX_* */

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

/*
 * Typed reading of a message as a tree, without building one: an
 * mf__mp_obj_t is one whole value, its bytes [p, end), found by skipping
 * (work linear in the bytes, nothing allocated). mf__mp_open() checks the
 * message before the first look; every helper still checks each read, so
 * a span that was never checked gives -1, an empty iteration or the
 * default, never a read past 'end'. BORROWS: a span and every string it
 * gives point into the message, valid while it is.
 */
typedef struct mf__mp_obj {
	const unsigned char	*p, *end;
} mf__mp_obj_t;

typedef struct mf__mp_iter {
	mf__mp_reader_t	 r;
	size_t		 left;	/* elements or pairs not yet read */
	int		 map;
} mf__mp_iter_t;

/* Checks [data, data+len) as mf__mp_check() does and points 'o' at it.
 * 0, or -1 with 'err' filled. */
int		 mf__mp_open(mf__mp_obj_t *o, const void *data, size_t len,
		    size_t max, int want_map, const char *what,
		    mf_err_t *err);
/* The header of 'o' into 'v' (a string's bytes too): 0 or -1. */
int		 mf__mp_obj_val(const mf__mp_obj_t *o, mf__mp_val_t *v);
/* The type of 'o'; MF__MP_NIL when it cannot be read. */
mf__mp_type_t	 mf__mp_obj_type(const mf__mp_obj_t *o);
/* The elements of an array or the pairs of a map; 0 for anything else. */
size_t		 mf__mp_obj_len(const mf__mp_obj_t *o);
/* Starts walking 'o' when it is of 'type' (MF__MP_ARRAY or MF__MP_MAP):
 * 0; -1 when it is not, and the walk is then empty. */
int		 mf__mp_iter_init(mf__mp_iter_t *it, const mf__mp_obj_t *o,
		    mf__mp_type_t type);
/* The next element ('key' is not touched and may be NULL) or pair: 1;
 * 0 at the end; -1 when the bytes are malformed (the walk then ends). */
int		 mf__mp_iter_next(mf__mp_iter_t *it, mf__mp_obj_t *key,
		    mf__mp_obj_t *val);
/* The value of string key 'key' in map 'map' into 'val': 0, or -1 when
 * 'map' is not a map or has no such key. */
int		 mf__mp_get(const mf__mp_obj_t *map, const char *key,
		    mf__mp_obj_t *val);
/* Scalars: 0, or -1 when 'o' is not of that type (an integer that does
 * not fit is not of that type). */
int		 mf__mp_obj_uint(const mf__mp_obj_t *o, uint64_t *u);
int		 mf__mp_obj_str(const mf__mp_obj_t *o, const char **s,
		    size_t *len);
/* 1 when 'o' is the string 's', else 0. */
int		 mf__mp_obj_streq(const mf__mp_obj_t *o, const char *s);
/* 'o' as a number (an integer; a float cut to one; a boolean as 0 or 1),
 * or 'def' when it is of another type: long long, as the commands print
 * it with %lld. */
long long	 mf__mp_obj_int(const mf__mp_obj_t *o, long long def);
/* mf__mp_obj_int() of the value at key 'key' of 'map'; 'def' when absent. */
long long	 mf__mp_get_int(const mf__mp_obj_t *map, const char *key,
		    long long def);
/* The string (or integer, in decimal) at key 'key' of 'map' copied into
 * 'out' and cut to 'cap'; "" when absent or of another type. Returns
 * 'out'. */
const char	*mf__mp_get_str(const mf__mp_obj_t *map, const char *key,
		    char *out, size_t cap);

/*
 * msgpack as JSON text, by wire_json.c's writer (jansson's compact form,
 * the one JSON writer): appends value 'o' to 'out'. Invalid UTF-8 becomes
 * U+FFFD, a NaN or infinity null. 0, or -1 with 'err' set (out of
 * memory, ext types, map keys that are not strings or integers); 'out'
 * is then as it was.
 */
int		 mf__mp_json(const mf__mp_obj_t *o, mf_buf_t *out,
		    mf_err_t *err);

/*
 * The same as jansson values, for a writer that builds a tree around
 * them (the gateways' replies): value 'o' with the conversions above, or
 * NULL with 'err' set; and 's' as a string, invalid UTF-8 as U+FFFD
 * (json_stringn() refuses it), or NULL when out of memory. OWNS: caller
 * (json_decref).
 */
struct json_t;
struct json_t	*mf__mp_json_tree(const mf__mp_obj_t *o, mf_err_t *err);
struct json_t	*mf__json_string(const char *s, size_t len);

#endif
