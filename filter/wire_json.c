/*
 * wire_json.c - the JSON codec of posts, verdicts and feedback: the same
 * field names as the msgpack wire format, for JSON Lines and HTTP.
 *
 * A JSON message is converted to msgpack and decoded by wire.c, and an
 * encoded msgpack message is converted to JSON, so both codecs accept and
 * reject the same things and name fields the same way. 'ext' and 'author'
 * are maps in both. JSON cannot hold invalid UTF-8: such bytes (a post
 * body may have them) are written as U+FFFD; read, a text holding them
 * (or unpaired surrogate escapes) is taken with the bytes kept, as
 * msgpack would carry them (s_escape_invalid). The common case takes a
 * short path each way, with no tree (s_text_to_mp_fast, s_mp_to_text_fast),
 * and gives the same bytes. mf_wire_decode_post_json() and
 * mf_wire_encode_verdict_json() first try the direct paths of
 * wire_json_direct.c (a plain post read, and a verdict written, without
 * msgpack at all) and go through msgpack when those decline. The string
 * scanner, the number parser and the writers of strings, numbers and
 * msgpack values (mf__json_scan, mf__json_parse_num, mf__json_put_*)
 * live here and serve the short and the direct paths alike, so all take
 * and give the same bytes; wire_test.c checks each path against the long
 * way. Not responsible for msgpack field handling (wire.c), nor for
 * reading a post or writing a verdict field by field (wire_json_direct.c).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "normalize.h"
#include "normalize_internal.h"
#include "wire_internal.h"

/* A string, appended as mf_buf_add() does. */
static inline int
s_puts(mf_buf_t *b, const char *s)
{
	return mf_buf_add(b, s, strlen(s));
}

/* msgpack made from JSON can be larger than the JSON (a real "1e0" takes
 * 9 bytes), so the converted message gets more room than MF_WIRE_MAX_MSG;
 * the JSON text itself is held to MF_WIRE_MAX_MSG. */
#define S_MAX_CONVERTED	(4 * (size_t)MF_WIRE_MAX_MSG)

/* A JSON string of 's' (NULs kept), invalid UTF-8 replaced by U+FFFD.
 * NULL when out of memory. */
static json_t *
s_json_str(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	mf_buf_t		 b = { 0 };
	json_t			*j;
	size_t			 i, k;

	for (i = 0; i < len; i += k)
		if ((k = mf_utf8_len(u + i, len - i)) == 0)
			break;
	if (i == len)
		return json_stringn_nocheck(s, len);
	if (mf_buf_reserve(&b, len + 16) == -1)
		return NULL;
	mf_buf_add(&b, s, i);
	while (i < len) {
		if ((k = mf_utf8_len(u + i, len - i)) == 0) {
			if (mf_buf_add(&b, "\xef\xbf\xbd", 3) == -1)
				goto fail;
			i++;
			continue;
		}
		if (mf_buf_add(&b, u + i, k) == -1)
			goto fail;
		i += k;
	}
	j = json_stringn_nocheck(b.data, b.len);
	mf_buf_free(&b);
	return j;
fail:
	mf_buf_free(&b);
	return NULL;
}

/* A JSON object key: as s_json_str(), and a NUL (which jansson does not
 * read back in a key) also becomes U+FFFD. */
static json_t *
s_json_key(const char *s, size_t len)
{
	mf_buf_t	 b = { 0 };
	json_t		*j;
	size_t		 i;

	if (memchr(s, '\0', len) == NULL)
		return s_json_str(s, len);
	for (i = 0; i < len; i++)
		if ((s[i] == '\0' ? mf_buf_add(&b, "\xef\xbf\xbd", 3) :
		    mf_buf_add(&b, s + i, 1)) == -1) {
			mf_buf_free(&b);
			return NULL;
		}
	j = s_json_str(b.data, b.len);
	mf_buf_free(&b);
	return j;
}

static int
s_oom(mf_err_t *err, const char *what)
{
	return mf_err_set(err, MF_ENOMEM, what, "%s: out of memory", what);
}

/* ---- msgpack -> JSON ------------------------------------------------- */

static json_t	*s_mp_to_json(mf__mp_reader_t *r, int depth, const char *what,
		    mf_err_t *err);

static json_t *
s_mp_map_to_json(mf__mp_reader_t *r, size_t n, int depth, const char *what,
    mf_err_t *err)
{
	json_t		*obj, *val, *key;
	mf__mp_val_t	 k;
	char		 num[32];
	size_t		 i;
	int		 rc;

	if ((obj = json_object()) == NULL) {
		s_oom(err, what);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		key = NULL;
		if (mf__mp_read(r, &k) == -1) {
			mf_err_set(err, MF_EWIRE, what, "%s: truncated", what);
			goto fail;
		}
		if (k.type == MF__MP_STR) {
			key = s_json_key(k.s, k.len);
		} else if (k.type == MF__MP_UINT || k.type == MF__MP_INT) {
			/* JSON keys are strings: 7 becomes "7". */
			if (k.type == MF__MP_UINT)
				snprintf(num, sizeof(num), "%llu",
				    (unsigned long long)k.u);
			else
				snprintf(num, sizeof(num), "%lld",
				    (long long)k.i);
			key = json_string_nocheck(num);
		} else {
			mf_err_set(err, MF_EFIELD, what,
			    "%s: a map key is %s; JSON keys are strings",
			    what, mf__mp_type_desc(k.type));
			goto fail;
		}
		if (key == NULL) {
			s_oom(err, what);
			goto fail;
		}
		if ((val = s_mp_to_json(r, depth + 1, what, err)) == NULL) {
			json_decref(key);
			goto fail;
		}
		rc = json_object_setn_new_nocheck(obj, json_string_value(key),
		    json_string_length(key), val);
		json_decref(key);
		if (rc == -1) {
			s_oom(err, what);
			goto fail;
		}
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static json_t *
s_mp_to_json(mf__mp_reader_t *r, int depth, const char *what, mf_err_t *err)
{
	mf__mp_val_t	 v;
	json_t		*j = NULL, *item;
	size_t		 i;

	if (mf__mp_read(r, &v) == -1) {
		mf_err_set(err, MF_EWIRE, what, "%s: truncated", what);
		return NULL;
	}
	switch (v.type) {
	case MF__MP_NIL:
		j = json_null();
		break;
	case MF__MP_BOOL:
		j = json_boolean(v.b);
		break;
	case MF__MP_UINT:
		j = v.u <= (uint64_t)INT64_MAX ?
		    json_integer((json_int_t)v.u) : json_real((double)v.u);
		break;
	case MF__MP_INT:
		j = json_integer((json_int_t)v.i);
		break;
	case MF__MP_FLOAT:
		/* JSON has no NaN or infinity. */
		j = isfinite(v.f) ? json_real(v.f) : json_null();
		break;
	case MF__MP_STR:
	case MF__MP_BIN:
		j = s_json_str(v.s, v.len);
		break;
	case MF__MP_ARRAY:
	case MF__MP_MAP:
		if (depth >= MF_WIRE_MAX_DEPTH) {
			mf_err_set(err, MF_ELIMIT, what,
			    "%s: nested deeper than %d levels", what,
			    MF_WIRE_MAX_DEPTH);
			return NULL;
		}
		if (v.len > (size_t)(r->end - r->p)) {
			mf_err_set(err, MF_EWIRE, what, "%s: truncated", what);
			return NULL;
		}
		if (v.type == MF__MP_MAP)
			return s_mp_map_to_json(r, v.len, depth, what, err);
		if ((j = json_array()) == NULL)
			break;
		for (i = 0; i < v.len; i++) {
			if ((item = s_mp_to_json(r, depth + 1, what,
			    err)) == NULL) {
				json_decref(j);
				return NULL;
			}
			if (json_array_append_new(j, item) == -1) {
				json_decref(j);
				j = NULL;
				break;
			}
		}
		break;
	case MF__MP_EXT:
		mf_err_set(err, MF_EWIRE, what,
		    "%s: msgpack ext types have no JSON form", what);
		return NULL;
	}
	if (j == NULL)
		s_oom(err, what);
	return j;
}

static int
s_dump_cb(const char *buffer, size_t size, void *data)
{
	return mf_buf_add(data, buffer, size);
}

/* Converts the msgpack message in 'mp' to JSON text in 'out'. */
static int
s_mp_to_text(const mf_buf_t *mp, mf_buf_t *out, const char *what,
    mf_err_t *err)
{
	mf__mp_reader_t	 r;
	json_t		*j;
	int		 rc;

	mf__mp_reader_init(&r, mp->data, mp->len);
	if ((j = s_mp_to_json(&r, 0, what, err)) == NULL)
		return -1;
	mf_buf_reset(out);
	rc = json_dump_callback(j, s_dump_cb, out, JSON_COMPACT);
	json_decref(j);
	if (rc == -1) {
		mf_buf_reset(out);
		return s_oom(err, what);
	}
	if (out->data == NULL && mf_buf_reserve(out, 0) == -1)
		return s_oom(err, what);
	return 0;
}

/* ---- JSON -> msgpack ------------------------------------------------- */

/* Appends string 's' to 'b' as msgpack; with 'raw', the stand-ins of
 * s_escape_invalid() become the bytes they stand for again. */
static int
s_put_str(mf_buf_t *b, const char *s, size_t len, int raw)
{
	mf_buf_t	 t = { 0 };
	size_t		 i;
	int		 rc;

	if (!raw || memmem(s, len, "\xf4\x8f", 2) == NULL)
		return mf__mp_put_str(b, s, len);
	for (i = 0; i < len; i++) {
		const unsigned char	*u = (const unsigned char *)s + i;
		unsigned char		 c;

		if (i + 3 < len && u[0] == 0xf4 && u[1] == 0x8f &&
		    u[2] >= 0xbc && u[2] <= 0xbf && u[3] >= 0x80 &&
		    u[3] <= 0xbf) {
			c = (unsigned char)(((u[2] - 0xbc) << 6) |
			    (u[3] & 0x3f));
			i += 3;
		} else
			c = u[0];
		if (mf_buf_add(&t, &c, 1) == -1) {
			mf_buf_free(&t);
			return -1;
		}
	}
	rc = mf__mp_put_str(b, t.data ? t.data : "", t.len);
	mf_buf_free(&t);
	return rc;
}

static int
s_json_to_mp(const json_t *j, mf_buf_t *b, int depth, int raw,
    const char *what, mf_err_t *err)
{
	const char	*key;
	size_t		 keylen, i;
	json_t		*val;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= MF_WIRE_MAX_DEPTH)
			return mf_err_set(err, MF_ELIMIT, what,
			    "%s: nested deeper than %d levels", what,
			    MF_WIRE_MAX_DEPTH);
		if (json_is_array(j)) {
			if (mf__mp_put_array(b, json_array_size(j)) == -1)
				return s_oom(err, what);
			json_array_foreach(j, i, val)
				if (s_json_to_mp(val, b, depth + 1, raw,
				    what, err) == -1)
					return -1;
			return 0;
		}
		if (mf__mp_put_map(b, json_object_size(j)) == -1)
			return s_oom(err, what);
		json_object_keylen_foreach((json_t *)j, key, keylen, val) {
			if (mf__mp_put_str(b, key, keylen) == -1)
				return s_oom(err, what);
			if (s_json_to_mp(val, b, depth + 1, raw, what,
			    err) == -1)
				return -1;
		}
		return 0;
	case JSON_STRING:
		if (s_put_str(b, json_string_value(j), json_string_length(j),
		    raw) == -1)
			return s_oom(err, what);
		return 0;
	case JSON_INTEGER:
		return mf__mp_put_int(b, json_integer_value(j)) == -1 ?
		    s_oom(err, what) : 0;
	case JSON_REAL:
		return mf__mp_put_double(b, json_real_value(j)) == -1 ?
		    s_oom(err, what) : 0;
	case JSON_TRUE:
	case JSON_FALSE:
		return mf__mp_put_bool(b, json_is_true(j)) == -1 ?
		    s_oom(err, what) : 0;
	case JSON_NULL:
		return mf__mp_put_nil(b) == -1 ? s_oom(err, what) : 0;
	}
	return mf_err_set(err, MF_EWIRE, what, "%s: unknown JSON type", what);
}

/* Appends the stand-in of byte 'c': U+10FF00 + c, in UTF-8. */
static int
s_stand_in(mf_buf_t *b, unsigned char c)
{
	unsigned char	u[4] = { 0xf4, 0x8f, (unsigned char)(0xbc + (c >> 6)),
			    (unsigned char)(0x80 | (c & 0x3f)) };

	return mf_buf_add(b, u, 4);
}

static int
s_hex4(const char *s, unsigned *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++) {
		char	c = s[i];

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*cp |= (unsigned)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/*
 * JSON cannot hold invalid UTF-8, but a post body may: it is repaired
 * before matching and the verdict says "invalid_utf8" (docs/protocol.md).
 * So that a post in JSON (JSON Lines, HTTP) is judged as the same bytes
 * over msgpack are, a text jansson refuses is rewritten: each invalid
 * byte, and each byte of the generalized UTF-8 form of an unpaired
 * \uD800..\uDFFF escape (what Python writes for surrogateescape'd bytes),
 * becomes U+10FF00 + the byte, which s_put_str() turns back into the
 * byte. The worker then repairs and flags them. (A body holding both
 * invalid bytes and real U+10FF00..U+10FFFF, private use of the last
 * plane, loses those characters.) Returns 1 when 'out' holds a
 * rewritten text, 0 when there was nothing to rewrite, -1 out of memory.
 */
static int
s_escape_invalid(const char *text, size_t len, mf_buf_t *out)
{
	const unsigned char	*u = (const unsigned char *)text;
	size_t			 i = 0, k;
	int			 in_str = 0, changed = 0;
	unsigned		 cp, lo;

	while (i < len) {
		if ((k = mf_utf8_len(u + i, len - i)) == 0) {
			if (s_stand_in(out, u[i]) == -1)
				return -1;
			changed = 1;
			i++;
			continue;
		}
		if (k == 1 && u[i] == '"')
			in_str = !in_str;
		if (!(k == 1 && in_str && u[i] == '\\' && i + 1 < len)) {
			if (mf_buf_add(out, u + i, k) == -1)
				return -1;
			i += k;
			continue;
		}
		/* An escape inside a string. */
		if (u[i + 1] != 'u' || i + 6 > len ||
		    s_hex4(text + i + 2, &cp) != 0 || cp < 0xd800 ||
		    cp > 0xdfff) {
			if (mf_buf_add(out, u + i, 2) == -1)
				return -1;
			i += 2;
			continue;
		}
		if (cp <= 0xdbff && i + 12 <= len && u[i + 6] == '\\' &&
		    u[i + 7] == 'u' && s_hex4(text + i + 8, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			if (mf_buf_add(out, u + i, 12) == -1)
				return -1;
			i += 12;
			continue;
		}
		if (s_stand_in(out, 0xed) == -1 ||
		    s_stand_in(out, (unsigned char)(0x80 | ((cp >> 6) &
		    0x3f))) == -1 ||
		    s_stand_in(out, (unsigned char)(0x80 | (cp & 0x3f))) == -1)
			return -1;
		changed = 1;
		i += 6;
	}
	return changed;
}

/* Parses one JSON object of at most MF_WIRE_MAX_MSG bytes; '*raw' says
 * whether s_escape_invalid() rewrote it. */
static json_t *
s_load(const char *text, size_t len, int *raw, const char *what,
    mf_err_t *err)
{
	json_error_t	 je;
	json_t		*j;
	mf_buf_t	 fixed = { 0 };
	int		 r;

	if (text == NULL || len == 0) {
		mf_err_set(err, MF_EWIRE, what, "%s: empty message", what);
		return NULL;
	}
	if (len > MF_WIRE_MAX_MSG) {
		mf_err_set(err, MF_ELIMIT, what,
		    "%s: %zu bytes is over the limit of %u", what, len,
		    MF_WIRE_MAX_MSG);
		return NULL;
	}
	*raw = 0;
	memset(&je, 0, sizeof(je));
	/* A key given twice is refused, as in msgpack (wire.c). */
	j = json_loadb(text, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
	if (j == NULL && json_error_code(&je) != json_error_out_of_memory &&
	    je.text[0] != '\0') {
		if ((r = s_escape_invalid(text, len, &fixed)) == -1) {
			mf_buf_free(&fixed);
			s_oom(err, what);
			return NULL;
		}
		if (r == 1 && (j = json_loadb(fixed.data, fixed.len,
		    JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL)) != NULL)
			*raw = 1;
		mf_buf_free(&fixed);
	}
	if (j == NULL) {
		/* jansson leaves the text empty when its first allocation
		 * fails, and says so in it for later ones. */
		if (je.text[0] == '\0' ||
		    json_error_code(&je) == json_error_out_of_memory)
			s_oom(err, what);
		else {
			/* jansson ends its text with "near '<the input>'":
			 * a piece of the post, which an error (logged,
			 * journalled in a verdict) must never carry. */
			char	*near = strstr(je.text, " near ");

			/* Except after a key given twice, where it is that
			 * key, which the error should name. */
			if (near != NULL && strncmp(je.text, "duplicate object "
			    "key", 20) != 0)
				*near = '\0';
			mf_err_set(err, MF_EWIRE, what,
			    "%s: invalid JSON at line %d, column %d: %s",
			    what, je.line, je.column, je.text);
		}
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		mf_err_set(err, MF_EWIRE, what, "%s: expected a JSON object",
		    what);
		return NULL;
	}
	return j;
}

/* JSON text -> msgpack in 'mp'. */
static int
s_text_to_mp(const char *text, size_t len, mf_buf_t *mp, const char *what,
    mf_err_t *err)
{
	json_t	*j;
	int	 rc, raw;

	mf_err_clear(err);
	if ((j = s_load(text, len, &raw, what, err)) == NULL)
		return -1;
	rc = s_json_to_mp(j, mp, 0, raw, what, err);
	json_decref(j);
	return rc;
}

/* ---- JSON text -> msgpack, without a tree ----------------------------- */

/*
 * The common case of s_text_to_mp() in one pass: an object of plain JSON
 * (valid UTF-8, no control character in a string, integers that fit in
 * 64 bits, finite reals, no key given twice, no key holding NUL, nested
 * less than MF_WIRE_MAX_DEPTH) gives the very bytes the tree gives:
 * members in their order, each container's count in its smallest form.
 * Anything else returns 1 and the tree path decides, with its errors;
 * so both paths accept and refuse the same texts, and name the same
 * faults. Parsing posts through a tree and then msgpack took 40% of
 * `medflag scan` (docs/performance.md).
 */
typedef struct s_jp {
	const char	*p, *end;
	mf_buf_t	*mp;
	mf_buf_t	 str;	/* a decoded string */
} s_jp_t;

static int	s_jp_value(s_jp_t *jp, int depth);

static void
s_jp_ws(s_jp_t *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

/*
 * The first byte from 'p' on that a JSON string does not hold as it is
 * ('"', '\\', a control character) or that starts a UTF-8 sequence, or
 * 'end'. Eight bytes at a time: a byte below 0x20 borrows into its high
 * bit when 0x20 is taken from it, a '"' or '\\' is zero after the xor
 * and borrows the same way, and a byte >= 0x80 has the bit already. A
 * borrow only flags bytes above a true one, so the lowest flagged byte
 * is the one (as in match.c's link search). Post bodies and verdict
 * strings are mostly ASCII; byte by byte this took about 7 instructions
 * a byte each way.
 */
static const unsigned char *
s_plain_end(const unsigned char *p, const unsigned char *end)
{
	const uint64_t	ones = 0x0101010101010101ULL, high = ones << 7;
	uint64_t	x, q, b, m;

	while (end - p >= 8) {
		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		m = (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
		    ((b - ones) & ~b) | x) & high;
		if (m != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + __builtin_ctzll(m) / 8;
#else
			break;
#endif
		}
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

/*
 * The JSON string at 'p' (its opening quote) as the short paths take it:
 * valid UTF-8, no control character, the escapes of JSON, a \uD800..
 * \uDBFF only with its low half after it. 0 with '*endp' past the
 * closing quote and '*esc' set when the string holds an escape; 1 for
 * anything else (the tree decides, and names the fault).
 */
int
mf__json_scan(const char *p, const char *end, const char **endp, int *esc)
{
	const unsigned char	*u = (const unsigned char *)p + 1;
	const unsigned char	*e = (const unsigned char *)end;
	unsigned		 cp, lo;
	size_t			 k;

	*esc = 0;
	for (;;) {
		if ((u = s_plain_end(u, e)) >= e)
			return 1;
		if (*u == '"') {
			*endp = (const char *)u + 1;
			return 0;
		}
		if (*u < 0x20)
			return 1;
		if (*u >= 0x80) {
			if ((k = mf_utf8_len(u, (size_t)(e - u))) == 0)
				return 1;
			u += k;
			continue;
		}
		/* A backslash. */
		*esc = 1;
		if (e - u < 2)
			return 1;
		switch (u[1]) {
		case '"': case '\\': case '/':
		case 'b': case 'f': case 'n': case 'r': case 't':
			u += 2;
			continue;
		case 'u':
			if (e - u < 6 || s_hex4((const char *)u + 2, &cp))
				return 1;
			u += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return 1;
			if (cp >= 0xd800 && cp <= 0xdbff && (e - u < 6 ||
			    u[0] != '\\' || u[1] != 'u' ||
			    s_hex4((const char *)u + 2, &lo) || lo < 0xdc00 ||
			    lo > 0xdfff))
				return 1;
			if (cp >= 0xd800 && cp <= 0xdbff)
				u += 6;
			continue;
		default:
			return 1;
		}
	}
}

/* The 'n' bytes between the quotes of a string mf__json_scan() took, with
 * its escapes decoded, into 'out', which has room for 'n' (no escape is
 * shorter than what it stands for). Returns the length written. */
size_t
mf__json_unescape(const char *s, size_t n, char *out)
{
	const char	*end = s + n, *bs;
	unsigned	 cp, lo;
	size_t		 o = 0;

	while (s < end) {
		if ((bs = memchr(s, '\\', (size_t)(end - s))) == NULL)
			bs = end;
		memcpy(out + o, s, (size_t)(bs - s));
		o += (size_t)(bs - s);
		if ((s = bs) == end)
			break;
		switch (s[1]) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			(void)s_hex4(s + 2, &cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				(void)s_hex4(s + 8, &lo);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				s += 6;
			}
			o += mf__utf8_enc(cp, out + o);
			s += 6;
			continue;
		default:	/* '"', '\\' and '/' */
			out[o++] = s[1];
			break;
		}
		s += 2;
	}
	return o;
}

/* A string at jp->p (its opening quote) into jp->str. 0, 1 (not the
 * common case) or -1 (out of memory). */
static int
s_jp_string(s_jp_t *jp)
{
	const char	*s = jp->p + 1, *e;
	size_t		 n;
	int		 esc;

	mf_buf_reset(&jp->str);
	if (mf__json_scan(jp->p, jp->end, &e, &esc) != 0)
		return 1;
	jp->p = e;
	if ((n = (size_t)(e - 1 - s)) == 0)
		return 0;
	if (!esc)
		return mf_buf_add(&jp->str, s, n);
	if (mf_buf_reserve(&jp->str, n) == -1)
		return -1;
	jp->str.len = mf__json_unescape(s, n, jp->str.data);
	jp->str.data[jp->str.len] = '\0';
	return 0;
}

/* A number at '*pp' as jansson reads it: an integer without '.' or an
 * exponent (into '*iv'), else a real (into '*dv', with '*real' set). 0
 * with '*pp' past it, or 1 when it is not the common case (malformed,
 * out of range, not finite). */
int
mf__json_parse_num(const char **pp, const char *end, int *real,
    long long *iv, double *dv)
{
	const char	*s = *pp, *q = *pp;
	char		 tmp[64], *endp;

	*real = 0;
	if (q < end && *q == '-')
		q++;
	if (q >= end || *q < '0' || *q > '9')
		return 1;
	if (*q == '0' && q + 1 < end && q[1] >= '0' && q[1] <= '9')
		return 1;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q < end && *q == '.') {
		*real = 1;
		if (++q >= end || *q < '0' || *q > '9')
			return 1;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		*real = 1;
		if (++q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return 1;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - s) >= sizeof(tmp))
		return 1;
	memcpy(tmp, s, (size_t)(q - s));
	tmp[q - s] = '\0';
	*pp = q;
	errno = 0;
	if (!*real) {
		*iv = strtoll(tmp, &endp, 10);
		return errno != 0 || *endp != '\0';
	}
	*dv = strtod(tmp, &endp);
	return errno != 0 || *endp != '\0' || !isfinite(*dv);
}

static int
s_jp_number(s_jp_t *jp)
{
	long long	iv;
	double		dv;
	int		real;

	if (mf__json_parse_num(&jp->p, jp->end, &real, &iv, &dv) != 0)
		return 1;
	return real ? mf__mp_put_double(jp->mp, dv) :
	    mf__mp_put_int(jp->mp, (int64_t)iv);
}

/* Writes the smallest header of a container of 'n' at 'at', where five
 * bytes were kept for it, and closes the gap. */
static int
s_jp_close(s_jp_t *jp, size_t at, size_t n, int map)
{
	mf_buf_t	h = { 0 };
	size_t		body = jp->mp->len - at - 5;

	if ((map ? mf__mp_put_map(&h, n) : mf__mp_put_array(&h, n)) == -1)
		return -1;
	memcpy(jp->mp->data + at, h.data, h.len);
	memmove(jp->mp->data + at + h.len, jp->mp->data + at + 5, body);
	jp->mp->len = at + h.len + body;
	mf_buf_free(&h);
	return 0;
}

/* Opens the container at jp->p: 0 with five bytes kept for its header
 * at '*at', 1 when it is too deep, -1 when memory runs out. */
static int
s_jp_open(s_jp_t *jp, int depth, size_t *at)
{
	if (depth >= MF_WIRE_MAX_DEPTH)
		return 1;
	*at = jp->mp->len;
	if (mf_buf_add(jp->mp, "\0\0\0\0\0", 5) == -1)
		return -1;
	jp->p++;
	s_jp_ws(jp);
	return 0;
}

/* After a member: 0 when a ',' says another follows, 2 at 'close', 1
 * on anything else. */
static int
s_jp_next(s_jp_t *jp, char close)
{
	s_jp_ws(jp);
	if (jp->p < jp->end && *jp->p == ',') {
		jp->p++;
		s_jp_ws(jp);
		return 0;
	}
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 2;
	}
	return 1;
}

static int
s_jp_object(s_jp_t *jp, int depth)
{
	size_t	at, n = 0, koff[MF__JSON_KEYS], klen[MF__JSON_KEYS];
	int	rc;

	if ((rc = s_jp_open(jp, depth, &at)) != 0)
		return rc;
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		return s_jp_close(jp, at, 0, 1);
	}
	for (;;) {
		if (jp->p >= jp->end || *jp->p != '"' || n == MF__JSON_KEYS)
			return 1;
		if ((rc = s_jp_string(jp)) != 0)
			return rc;
		if (jp->str.len > 0 && memchr(jp->str.data, '\0',
		    jp->str.len) != NULL)
			return 1;
		/* A key given twice: the tree refuses it, and says so. */
		for (size_t k = 0; k < n; k++)
			if (klen[k] == jp->str.len && (klen[k] == 0 ||
			    memcmp(jp->mp->data + koff[k], jp->str.data,
			    klen[k]) == 0))
				return 1;
		if (mf__mp_put_str(jp->mp, jp->str.data ? jp->str.data : "",
		    jp->str.len) == -1)
			return -1;
		koff[n] = jp->mp->len - jp->str.len;
		klen[n++] = jp->str.len;
		s_jp_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':')
			return 1;
		jp->p++;
		s_jp_ws(jp);
		if ((rc = s_jp_value(jp, depth + 1)) != 0)
			return rc;
		if ((rc = s_jp_next(jp, '}')) != 0)
			return rc == 2 ? s_jp_close(jp, at, n, 1) : rc;
	}
}

static int
s_jp_array(s_jp_t *jp, int depth)
{
	size_t	at, n = 0;
	int	rc;

	if ((rc = s_jp_open(jp, depth, &at)) != 0)
		return rc;
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		return s_jp_close(jp, at, 0, 0);
	}
	for (;;) {
		if ((rc = s_jp_value(jp, depth + 1)) != 0)
			return rc;
		n++;
		if ((rc = s_jp_next(jp, ']')) != 0)
			return rc == 2 ? s_jp_close(jp, at, n, 0) : rc;
	}
}

static int
s_jp_word(s_jp_t *jp, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, w, n) != 0)
		return 1;
	jp->p += n;
	return 0;
}

static int
s_jp_value(s_jp_t *jp, int depth)
{
	int rc;

	if (jp->p >= jp->end)
		return 1;
	switch (*jp->p) {
	case '{':
		return s_jp_object(jp, depth);
	case '[':
		return s_jp_array(jp, depth);
	case '"':
		if ((rc = s_jp_string(jp)) != 0)
			return rc;
		return mf__mp_put_str(jp->mp, jp->str.data ? jp->str.data :
		    "", jp->str.len);
	case 't':
		return s_jp_word(jp, "true") ? 1 : mf__mp_put_bool(jp->mp, 1);
	case 'f':
		return s_jp_word(jp, "false") ? 1 : mf__mp_put_bool(jp->mp,
		    0);
	case 'n':
		return s_jp_word(jp, "null") ? 1 : mf__mp_put_nil(jp->mp);
	default:
		return s_jp_number(jp);
	}
}

/* JSON text -> msgpack in 'mp' for the common case: 0, or 1 when the
 * tree must decide (s_text_to_mp), or -1 when memory runs out. */
static int
s_text_to_mp_fast(const char *text, size_t len, mf_buf_t *mp)
{
	s_jp_t	jp = { text, text + len, mp, { 0 } };
	int	rc;

	if (text == NULL || len == 0 || len > MF_WIRE_MAX_MSG)
		return 1;
	s_jp_ws(&jp);
	if (jp.p >= jp.end || *jp.p != '{')
		rc = 1;
	else if ((rc = s_jp_object(&jp, 0)) == 0) {
		s_jp_ws(&jp);
		rc = jp.p == jp.end ? 0 : 1;
	}
	mf_buf_free(&jp.str);
	if (rc != 0)
		mf_buf_reset(mp);
	return rc;
}

/* ---- msgpack -> JSON text, without a tree ----------------------------- */

/*
 * What s_mp_to_text() gives, written straight into 'out': jansson's
 * compact form (its escapes: \b \f \n \r \t, \uXXXX in capitals for the
 * other control characters, everything else as it is; reals as "%.17g"
 * with ".0" added to a whole number and the exponent's '+' and leading
 * zeros dropped), members in their order, invalid UTF-8 as U+FFFD and a
 * NUL in a key too (s_json_str, s_json_key). A map with a key twice
 * (jansson keeps its first place and its last value), or anything the
 * tree refuses, returns 1 and the tree decides. Encoding verdicts through
 * a tree took a third of `medflag scan`.
 */
int
mf__json_put_str(mf_buf_t *out, const char *s, size_t len, int key)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, k, from;
	char			 esc[8];

	if (mf_buf_add(out, "\"", 1) == -1)
		return -1;
	while (i < len) {
		from = i;
		i = (size_t)(s_plain_end(u + i, u + len) - u);
		if (i > from && mf_buf_add(out, s + from, i - from) == -1)
			return -1;
		if (i >= len)
			break;
		if (u[i] >= 0x80) {
			k = mf_utf8_len(u + i, len - i);
			if ((k == 0 ? mf_buf_add(out, "\xef\xbf\xbd", 3) :
			    mf_buf_add(out, s + i, k)) == -1)
				return -1;
			i += k ? k : 1;
			continue;
		}
		switch (u[i]) {
		case '"': strcpy(esc, "\\\""); break;
		case '\\': strcpy(esc, "\\\\"); break;
		case '\b': strcpy(esc, "\\b"); break;
		case '\f': strcpy(esc, "\\f"); break;
		case '\n': strcpy(esc, "\\n"); break;
		case '\r': strcpy(esc, "\\r"); break;
		case '\t': strcpy(esc, "\\t"); break;
		default:
			if (u[i] == 0 && key)
				strcpy(esc, "\xef\xbf\xbd");
			else
				snprintf(esc, sizeof(esc), "\\u%04X", u[i]);
			break;
		}
		if (s_puts(out, esc) == -1)
			return -1;
		i++;
	}
	return mf_buf_add(out, "\"", 1);
}

/* An integer in decimal, '-' first when 'neg' (then 'u' is its
 * magnitude): what "%lld" and "%llu" write, without the formatter. */
int
mf__json_put_int(mf_buf_t *out, uint64_t u, int neg)
{
	char	b[24], *p = b + sizeof(b);

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (neg)
		*--p = '-';
	return mf_buf_add(out, p, (size_t)(b + sizeof(b) - p));
}

/* A real as jansson writes it (jsonp_dtostr, precision 17). A whole
 * number below 10^15 (a score of 0, a count) is written without the
 * formatter: "%.17g" gives its digits, and ".0" follows. */
int
mf__json_put_real(mf_buf_t *out, double v)
{
	char	b[64], *e, *end;
	size_t	n;
	int	r;

	if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
		int64_t i = (int64_t)v;

		if (mf__json_put_int(out, i < 0 ? (uint64_t)-i : (uint64_t)i,
		    signbit(v) != 0) == -1)
			return -1;
		return mf_buf_add(out, ".0", 2);
	}
	r = snprintf(b, sizeof(b) - 3, "%.17g", v);

	if (r < 0 || (size_t)r >= sizeof(b) - 3)
		return -1;
	n = (size_t)r;
	if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(b, 'e')) != NULL) {
		e++;
		end = e + 1;
		if (*e == '-')
			e++;
		while (*end == '0')
			end++;
		if (end != e) {
			memmove(e, end, n - (size_t)(end - b) + 1);
			n -= (size_t)(end - e);
		}
	}
	return mf_buf_add(out, b, n);
}

int
mf__json_put_mp(mf__mp_reader_t *r, int depth, mf_buf_t *out)
{
	mf__mp_val_t	 v, k;
	char		 num[32];
	size_t		 koff[MF__JSON_KEYS], klen[MF__JSON_KEYS];
	int		 rc;

	if (mf__mp_read(r, &v) == -1)
		return 1;
	switch (v.type) {
	case MF__MP_NIL:
		return s_puts(out, "null");
	case MF__MP_BOOL:
		return s_puts(out, v.b ? "true" : "false");
	case MF__MP_UINT:
		if (v.u > (uint64_t)INT64_MAX)
			return mf__json_put_real(out, (double)v.u);
		return mf__json_put_int(out, v.u, 0);
	case MF__MP_INT:
		return mf__json_put_int(out, v.i < 0 ? 0 - (uint64_t)v.i :
		    (uint64_t)v.i, v.i < 0);
	case MF__MP_FLOAT:
		return isfinite(v.f) ? mf__json_put_real(out, v.f) :
		    s_puts(out, "null");
	case MF__MP_STR:
	case MF__MP_BIN:
		return mf__json_put_str(out, v.s, v.len, 0);
	case MF__MP_ARRAY:
		if (depth >= MF_WIRE_MAX_DEPTH || v.len > (size_t)(r->end -
		    r->p))
			return 1;
		if (mf_buf_add(out, "[", 1) == -1)
			return -1;
		for (size_t i = 0; i < v.len; i++) {
			if (i > 0 && mf_buf_add(out, ",", 1) == -1)
				return -1;
			if ((rc = mf__json_put_mp(r, depth + 1, out)) != 0)
				return rc;
		}
		return mf_buf_add(out, "]", 1);
	case MF__MP_MAP:
		if (depth >= MF_WIRE_MAX_DEPTH || v.len > (size_t)(r->end -
		    r->p) || v.len > MF__JSON_KEYS)
			return 1;
		if (mf_buf_add(out, "{", 1) == -1)
			return -1;
		for (size_t i = 0; i < v.len; i++) {
			if (i > 0 && mf_buf_add(out, ",", 1) == -1)
				return -1;
			if (mf__mp_read(r, &k) == -1)
				return 1;
			koff[i] = out->len;
			if (k.type == MF__MP_STR)
				rc = mf__json_put_str(out, k.s, k.len, 1);
			else if (k.type == MF__MP_UINT) {
				snprintf(num, sizeof(num), "\"%llu\"",
				    (unsigned long long)k.u);
				rc = s_puts(out, num);
			} else if (k.type == MF__MP_INT) {
				snprintf(num, sizeof(num), "\"%lld\"",
				    (long long)k.i);
				rc = s_puts(out, num);
			} else
				return 1;
			if (rc == -1)
				return -1;
			klen[i] = out->len - koff[i];
			for (size_t j = 0; j < i; j++)
				if (klen[j] == klen[i] && memcmp(out->data +
				    koff[j], out->data + koff[i], klen[i]) == 0)
					return 1;
			if (mf_buf_add(out, ":", 1) == -1)
				return -1;
			if ((rc = mf__json_put_mp(r, depth + 1, out)) != 0)
				return rc;
		}
		return mf_buf_add(out, "}", 1);
	case MF__MP_EXT:
		return 1;
	}
	return 1;
}

/* 'mp' as JSON text in 'out' for the common case: 0, 1 when the tree
 * must decide (s_mp_to_text), -1 when memory runs out. */
static int
s_mp_to_text_fast(const mf_buf_t *mp, mf_buf_t *out)
{
	mf__mp_reader_t	r;
	int		rc;

	mf__mp_reader_init(&r, mp->data, mp->len);
	mf_buf_reset(out);
	if ((rc = mf__json_put_mp(&r, 0, out)) != 0)
		mf_buf_reset(out);
	return rc;
}

/* Cuts 'out' back to 'len' bytes. */
static void
s_cut(mf_buf_t *out, size_t len)
{
	out->len = len;
	if (out->data != NULL)
		out->data[len] = '\0';
}

int
mf__mp_json(const mf__mp_obj_t *o, mf_buf_t *out, mf_err_t *err)
{
	mf__mp_reader_t	 r;
	json_t		*j;
	size_t		 at = out->len;
	int		 rc;

	if (o == NULL || o->p == NULL)
		return mf_err_set(err, MF_EWIRE, "msgpack",
		    "msgpack: no value");
	mf__mp_reader_init(&r, o->p, (size_t)(o->end - o->p));
	if ((rc = mf__json_put_mp(&r, 0, out)) == 0)
		return 0;
	s_cut(out, at);
	if (rc == -1)
		return s_oom(err, "msgpack");
	mf__mp_reader_init(&r, o->p, (size_t)(o->end - o->p));
	if ((j = s_mp_to_json(&r, 0, "msgpack", err)) == NULL)
		return -1;
	rc = json_dump_callback(j, s_dump_cb, out,
	    JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (rc == -1) {
		s_cut(out, at);
		return s_oom(err, "msgpack");
	}
	return 0;
}

json_t *
mf__mp_json_tree(const mf__mp_obj_t *o, mf_err_t *err)
{
	mf__mp_reader_t	r;

	if (o == NULL || o->p == NULL) {
		mf_err_set(err, MF_EWIRE, "msgpack", "msgpack: no value");
		return NULL;
	}
	mf__mp_reader_init(&r, o->p, (size_t)(o->end - o->p));
	return s_mp_to_json(&r, 0, "msgpack", err);
}

json_t *
mf__json_string(const char *s, size_t len)
{
	return s_json_str(s, len);
}

int
mf__json_to_mp(const char *text, size_t len, mf_buf_t *mp, int fast,
    mf_err_t *err)
{
	int rc = fast ? s_text_to_mp_fast(text, len, mp) :
	    s_text_to_mp(text, len, mp, "test", err);

	return rc == -1 ? s_oom(err, "test") : rc;
}

int
mf__mp_to_json(const mf_buf_t *mp, mf_buf_t *out, int fast, mf_err_t *err)
{
	int rc = fast ? s_mp_to_text_fast(mp, out) :
	    s_mp_to_text(mp, out, "test", err);

	return rc == -1 ? s_oom(err, "test") : rc;
}

static mf_post_t	*s_post_via_mp(const char *text, size_t len,
			    mf_err_t *err);
static int		 s_verdict_via_mp(const mf_verdict_t *v,
			    mf_buf_t *out, mf_err_t *err);

int
mf__json_post(const char *text, size_t len, int direct, mf_post_t **post,
    mf_err_t *err)
{
	int	rc;

	mf_err_clear(err);
	if (!direct)
		return (*post = s_post_via_mp(text, len, err)) ? 0 : -1;
	if ((rc = mf__json_post_direct(text, len, post)) == -1)
		s_oom(err, "post");
	return rc;
}

int
mf__json_verdict(const mf_verdict_t *v, mf_buf_t *out, int direct,
    mf_err_t *err)
{
	mf_err_clear(err);
	return direct ? mf__json_verdict_direct(v, out, err) :
	    s_verdict_via_mp(v, out, err);
}

/* ---- public ---------------------------------------------------------- */

/* A post the long way: JSON to msgpack (short path or tree), then
 * wire.c. */
static mf_post_t *
s_post_via_mp(const char *text, size_t len, mf_err_t *err)
{
	mf_buf_t	 mp = { 0 };
	mf_post_t	*p = NULL;
	int		 rc;

	mf_err_clear(err);
	if ((rc = s_text_to_mp_fast(text, len, &mp)) == 1)
		rc = s_text_to_mp(text, len, &mp, "post", err);
	else if (rc == -1)
		s_oom(err, "post");
	if (rc == 0)
		p = mf__wire_decode_post(mp.data, mp.len, S_MAX_CONVERTED,
		    err);
	mf_buf_free(&mp);
	return p;
}

mf_post_t *
mf_wire_decode_post_json(const char *text, size_t len, mf_err_t *err)
{
	mf_post_t	*p;
	int		 rc;

	mf_err_clear(err);
	if ((rc = mf__json_post_direct(text, len, &p)) == 0)
		return p;
	if (rc == -1) {
		s_oom(err, "post");
		return NULL;
	}
	return s_post_via_mp(text, len, err);
}

mf_verdict_t *
mf_wire_decode_verdict_json(const char *text, size_t len, mf_err_t *err)
{
	mf_buf_t	 mp = { 0 };
	mf_verdict_t	*v = NULL;

	if (s_text_to_mp(text, len, &mp, "verdict", err) == 0)
		v = mf__wire_decode_verdict(mp.data, mp.len, S_MAX_CONVERTED,
		    err);
	mf_buf_free(&mp);
	return v;
}

mf_feedback_t *
mf_wire_decode_feedback_json(const char *text, size_t len, mf_err_t *err)
{
	mf_buf_t	 mp = { 0 };
	mf_feedback_t	*f = NULL;

	if (s_text_to_mp(text, len, &mp, "feedback", err) == 0)
		f = mf__wire_decode_feedback(mp.data, mp.len,
		    S_MAX_CONVERTED, err);
	mf_buf_free(&mp);
	return f;
}

int
mf_wire_encode_post_json(const mf_post_t *post, mf_buf_t *out, mf_err_t *err)
{
	mf_buf_t	mp = { 0 };
	int		rc = -1;

	if (mf_wire_encode_post(post, &mp, err) == 0)
		rc = s_mp_to_text(&mp, out, "post", err);
	mf_buf_free(&mp);
	if (rc == -1)
		mf_buf_reset(out);
	return rc;
}

/* A verdict the long way: wire.c's msgpack, then JSON (short path or
 * tree). */
static int
s_verdict_via_mp(const mf_verdict_t *v, mf_buf_t *out, mf_err_t *err)
{
	mf_buf_t	mp = { 0 };
	int		rc = -1;

	if (mf_wire_encode_verdict(v, &mp, err) == 0) {
		if ((rc = s_mp_to_text_fast(&mp, out)) == 1)
			rc = s_mp_to_text(&mp, out, "verdict", err);
		else if (rc == -1)
			s_oom(err, "verdict");
	}
	mf_buf_free(&mp);
	if (rc == -1)
		mf_buf_reset(out);
	return rc;
}

int
mf_wire_encode_verdict_json(const mf_verdict_t *v, mf_buf_t *out,
    mf_err_t *err)
{
	int	rc;

	assert(v != NULL);
	assert(out != NULL);
	mf_err_clear(err);
	if ((rc = mf__json_verdict_direct(v, out, err)) == 0)
		return 0;
	mf_buf_reset(out);
	return rc == 1 ? s_verdict_via_mp(v, out, err) : -1;
}

/* The safe form of a post id of 'n' bytes (mf_wire_safe_id), unless it
 * is empty. */
static int
s_copy_id(const char *s, size_t n, char *id, size_t cap)
{
	if (n == 0)
		return -1;
	(void)mf_wire_safe_id(s, n, id, cap);
	return 0;
}

int
mf_wire_peek_post_id_json(const char *text, size_t len, char *id,
    size_t cap)
{
	static const char	 key[] = "\"post_id\"";
	json_error_t		 je;
	json_t			*j, *pid;
	char			 raw[MF_WIRE_MAX_POST_ID + 1];
	size_t			 i, n;
	int			 rc = -1;

	if (text == NULL || id == NULL || cap == 0)
		return -1;
	id[0] = '\0';
	if (len <= MF_WIRE_MAX_MSG &&
	    (j = json_loadb(text, len, JSON_ALLOW_NUL, &je)) != NULL) {
		pid = json_is_object(j) ? json_object_get(j, "post_id") :
		    NULL;
		if (json_is_string(pid))
			rc = s_copy_id(json_string_value(pid),
			    json_string_length(pid), id, cap);
		json_decref(j);
		return rc;
	}
	/* Not JSON: look for "post_id" : "..." in the text. Escapes are
	 * copied as the character after the backslash. */
	for (i = 0; i + sizeof(key) - 1 <= len; i++) {
		if (memcmp(text + i, key, sizeof(key) - 1) != 0)
			continue;
		i += sizeof(key) - 1;
		while (i < len && strchr(" \t\r\n", text[i]) && text[i])
			i++;
		if (i >= len || text[i++] != ':')
			return -1;
		while (i < len && strchr(" \t\r\n", text[i]) && text[i])
			i++;
		if (i >= len || text[i++] != '"')
			return -1;
		for (n = 0; i < len && text[i] != '"' && n < sizeof(raw);
		    i++) {
			if (text[i] == '\\' && ++i >= len)
				break;
			if (text[i] == '\0')
				return -1;
			raw[n++] = text[i];
		}
		return s_copy_id(raw, n, id, cap);
	}
	return -1;
}
