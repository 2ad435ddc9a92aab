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
 * msgpack would carry them (s_escape_invalid). Not responsible for
 * msgpack field handling (wire.c).
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "wire_internal.h"

/* msgpack made from JSON can be larger than the JSON (a real "1e0" takes
 * 9 bytes), so the converted message gets more room than MF_WIRE_MAX_MSG;
 * the JSON text itself is held to MF_WIRE_MAX_MSG. */
#define S_MAX_CONVERTED	(4 * (size_t)MF_WIRE_MAX_MSG)

/* Length of the valid UTF-8 sequence at 's' (1..4), or 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid,
 * as jansson requires. */
static size_t
s_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char	c = s[0], lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

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
		if ((k = s_utf8_seq(u + i, len - i)) == 0)
			break;
	if (i == len)
		return json_stringn_nocheck(s, len);
	if (mf_buf_reserve(&b, len + 16) == -1)
		return NULL;
	mf_buf_append(&b, s, i);
	while (i < len) {
		if ((k = s_utf8_seq(u + i, len - i)) == 0) {
			if (mf_buf_append(&b, "\xef\xbf\xbd", 3) == -1)
				goto fail;
			i++;
			continue;
		}
		if (mf_buf_append(&b, u + i, k) == -1)
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
		if ((s[i] == '\0' ? mf_buf_append(&b, "\xef\xbf\xbd", 3) :
		    mf_buf_append(&b, s + i, 1)) == -1) {
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
	return mf_buf_append(data, buffer, size);
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
		if (mf_buf_append(&t, &c, 1) == -1) {
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

	return mf_buf_append(b, u, 4);
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
		if ((k = s_utf8_seq(u + i, len - i)) == 0) {
			if (s_stand_in(out, u[i]) == -1)
				return -1;
			changed = 1;
			i++;
			continue;
		}
		if (k == 1 && u[i] == '"')
			in_str = !in_str;
		if (!(k == 1 && in_str && u[i] == '\\' && i + 1 < len)) {
			if (mf_buf_append(out, u + i, k) == -1)
				return -1;
			i += k;
			continue;
		}
		/* An escape inside a string. */
		if (u[i + 1] != 'u' || i + 6 > len ||
		    s_hex4(text + i + 2, &cp) != 0 || cp < 0xd800 ||
		    cp > 0xdfff) {
			if (mf_buf_append(out, u + i, 2) == -1)
				return -1;
			i += 2;
			continue;
		}
		if (cp <= 0xdbff && i + 12 <= len && u[i + 6] == '\\' &&
		    u[i + 7] == 'u' && s_hex4(text + i + 8, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			if (mf_buf_append(out, u + i, 12) == -1)
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

/* ---- public ---------------------------------------------------------- */

mf_post_t *
mf_wire_decode_post_json(const char *text, size_t len, mf_err_t *err)
{
	mf_buf_t	 mp = { 0 };
	mf_post_t	*p = NULL;

	if (s_text_to_mp(text, len, &mp, "post", err) == 0)
		p = mf__wire_decode_post(mp.data, mp.len, S_MAX_CONVERTED,
		    err);
	mf_buf_free(&mp);
	return p;
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

int
mf_wire_encode_verdict_json(const mf_verdict_t *v, mf_buf_t *out,
    mf_err_t *err)
{
	mf_buf_t	mp = { 0 };
	int		rc = -1;

	if (mf_wire_encode_verdict(v, &mp, err) == 0)
		rc = s_mp_to_text(&mp, out, "verdict", err);
	mf_buf_free(&mp);
	if (rc == -1)
		mf_buf_reset(out);
	return rc;
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
