/*
 * mpack.c - a bounded msgpack reader and a small msgpack writer.
 *
 * msgpack-c's unpacker trusts declared counts: a 5-byte "array of 2^32
 * elements" makes it reserve gigabytes. This reader checks every length and
 * count against the bytes that remain before the codecs allocate anything,
 * bounds nesting, and never recurses deeper than MF_WIRE_MAX_DEPTH.
 * The typed helpers (mf__mp_get, mf__mp_iter_next, ...) read a checked
 * message as a tree without building one, for control requests and
 * replies. Not responsible for the meaning of fields (wire.c).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "mpack.h"

void
mf__mp_reader_init(mf__mp_reader_t *r, const void *data, size_t len)
{
	r->p = data;
	r->end = r->p + len;
}

static int
s_need(const mf__mp_reader_t *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n ? 0 : -1;
}

static uint64_t
s_be(const unsigned char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Reads an n-byte big-endian unsigned integer. */
static int
s_uint(mf__mp_reader_t *r, size_t n, uint64_t *out)
{
	if (s_need(r, n) == -1)
		return -1;
	*out = s_be(r->p, n);
	r->p += n;
	return 0;
}

/* Reads 'len' payload bytes into v->s. */
static int
s_bytes(mf__mp_reader_t *r, mf__mp_val_t *v, uint64_t len)
{
	if ((uint64_t)(r->end - r->p) < len)
		return -1;
	v->s = (const char *)r->p;
	v->len = (size_t)len;
	r->p += len;
	return 0;
}

int
mf__mp_read(mf__mp_reader_t *r, mf__mp_val_t *v)
{
	unsigned char	c;
	uint64_t	n;

	memset(v, 0, sizeof(*v));
	if (s_need(r, 1) == -1)
		return -1;
	c = *r->p++;
	if (c <= 0x7f) {
		v->type = MF__MP_UINT;
		v->u = c;
		return 0;
	}
	if (c >= 0xe0) {
		v->type = MF__MP_INT;
		v->i = (int8_t)c;
		return 0;
	}
	if ((c & 0xf0) == 0x80) {
		v->type = MF__MP_MAP;
		v->len = c & 0x0f;
		return 0;
	}
	if ((c & 0xf0) == 0x90) {
		v->type = MF__MP_ARRAY;
		v->len = c & 0x0f;
		return 0;
	}
	if ((c & 0xe0) == 0xa0) {
		v->type = MF__MP_STR;
		return s_bytes(r, v, c & 0x1f);
	}
	switch (c) {
	case 0xc0:
		v->type = MF__MP_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		v->type = MF__MP_BOOL;
		v->b = c == 0xc3;
		return 0;
	case 0xc4: case 0xc5: case 0xc6:
		v->type = MF__MP_BIN;
		if (s_uint(r, (size_t)1 << (c - 0xc4), &n) == -1)
			return -1;
		return s_bytes(r, v, n);
	case 0xc7: case 0xc8: case 0xc9:
		v->type = MF__MP_EXT;
		if (s_uint(r, (size_t)1 << (c - 0xc7), &n) == -1 ||
		    s_need(r, 1) == -1)
			return -1;
		r->p++;		/* the ext type byte */
		return s_bytes(r, v, n);
	case 0xca: {
		float		f;
		uint32_t	w;

		if (s_uint(r, 4, &n) == -1)
			return -1;
		w = (uint32_t)n;
		memcpy(&f, &w, sizeof(f));
		v->type = MF__MP_FLOAT;
		v->f = f;
		return 0;
	}
	case 0xcb:
		if (s_uint(r, 8, &n) == -1)
			return -1;
		memcpy(&v->f, &n, sizeof(v->f));
		v->type = MF__MP_FLOAT;
		return 0;
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		v->type = MF__MP_UINT;
		return s_uint(r, (size_t)1 << (c - 0xcc), &v->u);
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		size_t	w = (size_t)1 << (c - 0xd0);

		if (s_uint(r, w, &n) == -1)
			return -1;
		/* Sign-extend the w-byte two's complement value. */
		if (w < 8 && (n >> (w * 8 - 1)) & 1)
			n |= ~(uint64_t)0 << (w * 8);
		v->i = (int64_t)n;
		if (v->i >= 0) {
			v->type = MF__MP_UINT;
			v->u = (uint64_t)v->i;
		} else
			v->type = MF__MP_INT;
		return 0;
	}
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		v->type = MF__MP_EXT;
		if (s_need(r, 1) == -1)
			return -1;
		r->p++;
		return s_bytes(r, v, (uint64_t)1 << (c - 0xd4));
	case 0xd9: case 0xda: case 0xdb:
		v->type = MF__MP_STR;
		if (s_uint(r, (size_t)1 << (c - 0xd9), &n) == -1)
			return -1;
		return s_bytes(r, v, n);
	case 0xdc: case 0xdd:
		v->type = MF__MP_ARRAY;
		if (s_uint(r, c == 0xdc ? 2 : 4, &n) == -1)
			return -1;
		v->len = (size_t)n;
		return 0;
	case 0xde: case 0xdf:
		v->type = MF__MP_MAP;
		if (s_uint(r, c == 0xde ? 2 : 4, &n) == -1)
			return -1;
		v->len = (size_t)n;
		return 0;
	}
	return -1;	/* 0xc1: never used */
}

int
mf__mp_skip(mf__mp_reader_t *r, int depth)
{
	mf__mp_val_t	v;
	size_t		i, n;

	if (mf__mp_read(r, &v) == -1)
		return -1;
	if (v.type != MF__MP_ARRAY && v.type != MF__MP_MAP)
		return 0;
	if (depth <= 0)
		return -1;
	/* Every element takes at least one byte, so a count larger than
	 * what remains fails here, before any loop runs. */
	n = v.len;
	if (n > (size_t)(r->end - r->p) ||
	    (v.type == MF__MP_MAP && n > (size_t)(r->end - r->p) / 2))
		return -1;
	if (v.type == MF__MP_MAP)
		n *= 2;
	for (i = 0; i < n; i++)
		if (mf__mp_skip(r, depth - 1) == -1)
			return -1;
	return 0;
}

static int
s_check(mf__mp_reader_t *r, int depth, const char *what, mf_err_t *err)
{
	mf__mp_val_t	v;
	size_t		i, n, left;

	if (mf__mp_read(r, &v) == -1)
		return mf_err_set(err, MF_EWIRE, what,
		    "%s: truncated or malformed msgpack", what);
	switch (v.type) {
	case MF__MP_EXT:
		return mf_err_set(err, MF_EWIRE, what,
		    "%s: msgpack ext types are not accepted", what);
	case MF__MP_STR:
	case MF__MP_BIN:
		if (v.len > MF_WIRE_MAX_STR)
			return mf_err_set(err, MF_ELIMIT, what,
			    "%s: a string of %zu bytes is over the limit of "
			    "%u", what, v.len, MF_WIRE_MAX_STR);
		return 0;
	case MF__MP_ARRAY:
	case MF__MP_MAP:
		break;
	default:
		return 0;
	}
	if (depth >= MF_WIRE_MAX_DEPTH)
		return mf_err_set(err, MF_ELIMIT, what,
		    "%s: nested deeper than %d levels", what,
		    MF_WIRE_MAX_DEPTH);
	left = (size_t)(r->end - r->p);
	n = v.len;
	if (n > left || (v.type == MF__MP_MAP && n > left / 2))
		return mf_err_set(err, MF_EWIRE, what,
		    "%s: a count of %zu elements is larger than the %zu bytes "
		    "that remain", what, n, left);
	if (v.type == MF__MP_MAP)
		n *= 2;
	for (i = 0; i < n; i++)
		if (s_check(r, depth + 1, what, err) == -1)
			return -1;
	return 0;
}

int
mf__mp_check(const void *data, size_t len, size_t max, int want_map,
    const char *what, mf_err_t *err)
{
	mf__mp_reader_t	r;

	if (data == NULL || len == 0)
		return mf_err_set(err, MF_EWIRE, what, "%s: empty message",
		    what);
	if (len > max)
		return mf_err_set(err, MF_ELIMIT, what,
		    "%s: %zu bytes is over the limit of %zu", what, len, max);
	if (want_map && (((const unsigned char *)data)[0] & 0xf0) != 0x80 &&
	    ((const unsigned char *)data)[0] != 0xde &&
	    ((const unsigned char *)data)[0] != 0xdf)
		return mf_err_set(err, MF_EWIRE, what,
		    "%s: expected a msgpack map", what);
	mf__mp_reader_init(&r, data, len);
	if (s_check(&r, 0, what, err) == -1)
		return -1;
	if (r.p != r.end)
		return mf_err_set(err, MF_EWIRE, what,
		    "%s: %zu trailing bytes after the message", what,
		    (size_t)(r.end - r.p));
	return 0;
}

const char *
mf__mp_type_desc(mf__mp_type_t t)
{
	switch (t) {
	case MF__MP_NIL:	return "nil";
	case MF__MP_BOOL:	return "a boolean";
	case MF__MP_UINT:
	case MF__MP_INT:	return "an integer";
	case MF__MP_FLOAT:	return "a float";
	case MF__MP_STR:	return "a string";
	case MF__MP_BIN:	return "binary data";
	case MF__MP_ARRAY:	return "an array";
	case MF__MP_MAP:	return "a map";
	case MF__MP_EXT:	return "an ext value";
	}
	return "an unknown type";
}

/* ---- typed reading -------------------------------------------------- */

int
mf__mp_open(mf__mp_obj_t *o, const void *data, size_t len, size_t max,
    int want_map, const char *what, mf_err_t *err)
{
	o->p = o->end = NULL;
	if (mf__mp_check(data, len, max, want_map, what, err) == -1)
		return -1;
	o->p = data;
	o->end = o->p + len;
	return 0;
}

int
mf__mp_obj_val(const mf__mp_obj_t *o, mf__mp_val_t *v)
{
	mf__mp_reader_t	r;

	if (o == NULL || o->p == NULL) {
		memset(v, 0, sizeof(*v));
		return -1;
	}
	mf__mp_reader_init(&r, o->p, (size_t)(o->end - o->p));
	return mf__mp_read(&r, v);
}

mf__mp_type_t
mf__mp_obj_type(const mf__mp_obj_t *o)
{
	mf__mp_val_t	v;

	return mf__mp_obj_val(o, &v) == 0 ? v.type : MF__MP_NIL;
}

size_t
mf__mp_obj_len(const mf__mp_obj_t *o)
{
	mf__mp_val_t	v;

	if (mf__mp_obj_val(o, &v) == -1 ||
	    (v.type != MF__MP_ARRAY && v.type != MF__MP_MAP))
		return 0;
	return v.len;
}

int
mf__mp_iter_init(mf__mp_iter_t *it, const mf__mp_obj_t *o,
    mf__mp_type_t type)
{
	mf__mp_val_t	v;

	memset(it, 0, sizeof(*it));
	if (o == NULL || o->p == NULL)
		return -1;
	mf__mp_reader_init(&it->r, o->p, (size_t)(o->end - o->p));
	if (mf__mp_read(&it->r, &v) == -1 || v.type != type ||
	    (type != MF__MP_ARRAY && type != MF__MP_MAP))
		return -1;
	it->left = v.len;
	it->map = type == MF__MP_MAP;
	return 0;
}

/* Points 'o' at the next whole value of 'r' and skips it. */
static int
s_take(mf__mp_reader_t *r, mf__mp_obj_t *o)
{
	const unsigned char	*from = r->p;

	if (mf__mp_skip(r, MF_WIRE_MAX_DEPTH) == -1)
		return -1;
	if (o != NULL) {
		o->p = from;
		o->end = r->p;
	}
	return 0;
}

int
mf__mp_iter_next(mf__mp_iter_t *it, mf__mp_obj_t *key, mf__mp_obj_t *val)
{
	if (it->left == 0)
		return 0;
	it->left--;
	if ((it->map && s_take(&it->r, key) == -1) ||
	    s_take(&it->r, val) == -1) {
		it->left = 0;
		return -1;
	}
	return 1;
}

int
mf__mp_get(const mf__mp_obj_t *map, const char *key, mf__mp_obj_t *val)
{
	mf__mp_iter_t	it;
	mf__mp_obj_t	k, v;

	if (mf__mp_iter_init(&it, map, MF__MP_MAP) == -1)
		return -1;
	while (mf__mp_iter_next(&it, &k, &v) == 1)
		if (mf__mp_obj_streq(&k, key)) {
			*val = v;
			return 0;
		}
	return -1;
}

int
mf__mp_obj_uint(const mf__mp_obj_t *o, uint64_t *u)
{
	mf__mp_val_t	v;

	if (mf__mp_obj_val(o, &v) == -1 || v.type != MF__MP_UINT)
		return -1;
	*u = v.u;
	return 0;
}

int
mf__mp_obj_str(const mf__mp_obj_t *o, const char **s, size_t *len)
{
	mf__mp_val_t	v;

	if (mf__mp_obj_val(o, &v) == -1 || v.type != MF__MP_STR)
		return -1;
	*s = v.s;
	*len = v.len;
	return 0;
}

int
mf__mp_obj_streq(const mf__mp_obj_t *o, const char *s)
{
	const char	*p;
	size_t		 n;

	return mf__mp_obj_str(o, &p, &n) == 0 && n == strlen(s) &&
	    memcmp(p, s, n) == 0;
}

long long
mf__mp_obj_int(const mf__mp_obj_t *o, long long def)
{
	mf__mp_val_t	v;

	if (mf__mp_obj_val(o, &v) == -1)
		return def;
	switch (v.type) {
	case MF__MP_UINT:
		return (long long)v.u;
	case MF__MP_INT:
		return v.i;
	case MF__MP_FLOAT:
		/* Only a float that fits is cut to an integer. */
		return v.f > -9.2e18 && v.f < 9.2e18 ? (long long)v.f : def;
	case MF__MP_BOOL:
		return v.b;
	default:
		return def;
	}
}

long long
mf__mp_get_int(const mf__mp_obj_t *map, const char *key, long long def)
{
	mf__mp_obj_t	o;

	return mf__mp_get(map, key, &o) == 0 ? mf__mp_obj_int(&o, def) : def;
}

const char *
mf__mp_get_str(const mf__mp_obj_t *map, const char *key, char *out,
    size_t cap)
{
	mf__mp_obj_t	o;
	mf__mp_val_t	v;

	if (cap == 0)
		return out;
	out[0] = '\0';
	if (mf__mp_get(map, key, &o) == -1 || mf__mp_obj_val(&o, &v) == -1)
		return out;
	if (v.type == MF__MP_STR)
		snprintf(out, cap, "%.*s", (int)(v.len > (size_t)INT32_MAX ?
		    INT32_MAX : v.len), v.s);
	else if (v.type == MF__MP_UINT)
		snprintf(out, cap, "%llu", (unsigned long long)v.u);
	else if (v.type == MF__MP_INT)
		snprintf(out, cap, "%lld", (long long)v.i);
	return out;
}

/* ---- writer ---------------------------------------------------------- */

static int
s_put_be(mf_buf_t *b, unsigned char tag, uint64_t v, size_t n)
{
	unsigned char	t[9];
	size_t		i;

	t[0] = tag;
	for (i = 0; i < n; i++)
		t[1 + i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	return mf_buf_add(b, t, 1 + n);
}

static int
s_put_head(mf_buf_t *b, size_t n, unsigned char fix, size_t fixmax,
    unsigned char t16, unsigned char t32)
{
	if (n <= fixmax)
		return s_put_be(b, (unsigned char)(fix | n), 0, 0);
	if (n <= 0xffff)
		return s_put_be(b, t16, n, 2);
	if ((uint64_t)n > 0xffffffffu)
		return -1;
	return s_put_be(b, t32, n, 4);
}

int
mf__mp_put_map(mf_buf_t *b, size_t n)
{
	return s_put_head(b, n, 0x80, 15, 0xde, 0xdf);
}

int
mf__mp_put_array(mf_buf_t *b, size_t n)
{
	return s_put_head(b, n, 0x90, 15, 0xdc, 0xdd);
}

int
mf__mp_put_str(mf_buf_t *b, const char *s, size_t len)
{
	int	rc;

	if (len <= 31)
		rc = s_put_be(b, (unsigned char)(0xa0 | len), 0, 0);
	else if (len <= 0xff)
		rc = s_put_be(b, 0xd9, len, 1);
	else if (len <= 0xffff)
		rc = s_put_be(b, 0xda, len, 2);
	else if ((uint64_t)len <= 0xffffffffu)
		rc = s_put_be(b, 0xdb, len, 4);
	else
		rc = -1;
	return rc == -1 ? -1 : mf_buf_add(b, s, len);
}

int
mf__mp_put_cstr(mf_buf_t *b, const char *s)
{
	return mf__mp_put_str(b, s, strlen(s));
}

int
mf__mp_put_bin(mf_buf_t *b, const void *s, size_t len)
{
	int	rc;

	if (len <= 0xff)
		rc = s_put_be(b, 0xc4, len, 1);
	else if (len <= 0xffff)
		rc = s_put_be(b, 0xc5, len, 2);
	else if ((uint64_t)len <= 0xffffffffu)
		rc = s_put_be(b, 0xc6, len, 4);
	else
		rc = -1;
	return rc == -1 ? -1 : mf_buf_add(b, s, len);
}

int
mf__mp_put_uint(mf_buf_t *b, uint64_t u)
{
	if (u <= 0x7f)
		return s_put_be(b, (unsigned char)u, 0, 0);
	if (u <= 0xff)
		return s_put_be(b, 0xcc, u, 1);
	if (u <= 0xffff)
		return s_put_be(b, 0xcd, u, 2);
	if (u <= 0xffffffffu)
		return s_put_be(b, 0xce, u, 4);
	return s_put_be(b, 0xcf, u, 8);
}

int
mf__mp_put_int(mf_buf_t *b, int64_t i)
{
	if (i >= 0)
		return mf__mp_put_uint(b, (uint64_t)i);
	if (i >= -32)
		return s_put_be(b, (unsigned char)(int8_t)i, 0, 0);
	if (i >= INT8_MIN)
		return s_put_be(b, 0xd0, (uint64_t)i, 1);
	if (i >= INT16_MIN)
		return s_put_be(b, 0xd1, (uint64_t)i, 2);
	if (i >= INT32_MIN)
		return s_put_be(b, 0xd2, (uint64_t)i, 4);
	return s_put_be(b, 0xd3, (uint64_t)i, 8);
}

int
mf__mp_put_double(mf_buf_t *b, double f)
{
	uint64_t	u;

	memcpy(&u, &f, sizeof(u));
	return s_put_be(b, 0xcb, u, 8);
}

int
mf__mp_put_bool(mf_buf_t *b, int v)
{
	return s_put_be(b, v ? 0xc3 : 0xc2, 0, 0);
}

int
mf__mp_put_nil(mf_buf_t *b)
{
	return s_put_be(b, 0xc0, 0, 0);
}
