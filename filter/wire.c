/*
 * wire.c - the msgpack codec of posts, verdicts and feedback (wire format
 * v1, see DESIGN.md).
 *
 * Decoding happens in two passes over the bytes: mf__mp_check() first
 * proves the whole message is one map within the limits (size, depth,
 * string length, counts no larger than what remains, no ext types), then
 * the field pass below reads it with the bounded reader and allocates only
 * what the message holds. A missing or mistyped field is MF_EFIELD with
 * err->where naming it ("post_id", "hits[2].spans[0]"). Unknown keys are
 * skipped. The encoders replace the contents of the output buffer.
 * Not responsible for JSON (wire_json.c) or for sockets.
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "normalize.h"
#include "wire_internal.h"

/* At most this many hits, sources, evidence links, spans or feedback
 * rules in one message: a 1 MiB message of empty maps would otherwise
 * become ~90 MiB of hit structures. Real verdicts hold a handful. */
#define S_MAX_ITEMS	4096

typedef struct s_dec {
	mf__mp_reader_t	 r;
	mf_err_t	*err;
} s_dec_t;

#define S_KEY_IS(k, klen, name)						\
	((klen) == sizeof(name) - 1 && memcmp((k), (name), (klen)) == 0)

static int
s_type_err(s_dec_t *d, const char *field, const char *expected,
    const mf__mp_val_t *got)
{
	return mf_err_set(d->err, MF_EFIELD, field, "%s: expected %s, got %s",
	    field, expected, mf__mp_type_desc(got->type));
}

static int
s_oom(mf_err_t *err, const char *field)
{
	return mf_err_set(err, MF_ENOMEM, field, "%s: out of memory", field);
}

/* Reads the next value; the message was checked, so failing here means a
 * bug or a verdict built in memory with a broken raw field. */
static int
s_read(s_dec_t *d, const char *field, mf__mp_val_t *v)
{
	if (mf__mp_read(&d->r, v) == -1)
		return mf_err_set(d->err, MF_EWIRE, field,
		    "%s: truncated message", field);
	return 0;
}

static int
s_skip(s_dec_t *d, const char *field)
{
	if (mf__mp_skip(&d->r, MF_WIRE_MAX_DEPTH) == -1)
		return mf_err_set(d->err, MF_EWIRE, field,
		    "%s: truncated message", field);
	return 0;
}

/* Reads a map key. 1: a string key in *k; 0: a key of another type, which
 * was skipped with its value; -1: error. */
static int
s_key(s_dec_t *d, const char *field, const char **k, size_t *klen)
{
	const unsigned char	*at = d->r.p;
	mf__mp_val_t		 v;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_STR) {
		*k = v.s;
		*klen = v.len;
		return 1;
	}
	d->r.p = at;
	if (s_skip(d, field) == -1 || s_skip(d, field) == -1)
		return -1;
	return 0;
}

/* A C string field: nil leaves it absent (or fails if 'required'). */
static int
s_str(s_dec_t *d, const char *field, char **out, int required)
{
	mf__mp_val_t	 v;
	char		*s;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_NIL && !required) {
		mf_free(*out);
		*out = NULL;
		return 0;
	}
	if (v.type != MF__MP_STR)
		return s_type_err(d, field, "a string", &v);
	if (memchr(v.s, '\0', v.len) != NULL)
		return mf_err_set(d->err, MF_EFIELD, field,
		    "%s: contains a NUL byte", field);
	if ((s = mf_strndup(v.s, v.len)) == NULL)
		return s_oom(d->err, field);
	mf_free(*out);
	*out = s;
	return 0;
}

/* Reads a short string naming an enum value into 'buf' (truncated,
 * non-printable bytes replaced by '?', so it can go in a message). */
static int
s_name(s_dec_t *d, const char *field, char *buf, size_t cap)
{
	mf__mp_val_t	v;
	size_t		i, n;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type != MF__MP_STR)
		return s_type_err(d, field, "a string", &v);
	n = v.len < cap - 1 ? v.len : cap - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v.s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[n] = '\0';
	if (v.len >= cap)	/* too long to be any known name */
		buf[0] = buf[0] == '?' ? '!' : '?';
	return 0;
}

static int
s_unknown(s_dec_t *d, const char *field, const char *name,
    const char *expected)
{
	return mf_err_set(d->err, MF_EFIELD, field,
	    "%s: unknown value \"%s\"; expected %s", field, name, expected);
}

static int
s_i64(s_dec_t *d, const char *field, int64_t *out)
{
	mf__mp_val_t	v;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_NIL)
		return 0;
	if (v.type == MF__MP_INT)
		*out = v.i;
	else if (v.type == MF__MP_UINT && v.u <= INT64_MAX)
		*out = (int64_t)v.u;
	else if (v.type == MF__MP_UINT)
		return mf_err_set(d->err, MF_EFIELD, field,
		    "%s: %" PRIu64 " is out of range", field, v.u);
	else
		return s_type_err(d, field, "an integer", &v);
	return 0;
}

static int
s_u64(s_dec_t *d, const char *field, uint64_t *out)
{
	mf__mp_val_t	v;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_NIL)
		return 0;
	if (v.type != MF__MP_UINT)
		return s_type_err(d, field, "a non-negative integer", &v);
	/* JSON (jansson) integers are int64: keep both codecs alike. */
	if (v.u > INT64_MAX)
		return mf_err_set(d->err, MF_EFIELD, field,
		    "%s: %" PRIu64 " is out of range", field, v.u);
	*out = v.u;
	return 0;
}

static int
s_f64(s_dec_t *d, const char *field, double *out)
{
	mf__mp_val_t	v;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_FLOAT)
		*out = v.f;
	else if (v.type == MF__MP_UINT)
		*out = (double)v.u;
	else if (v.type == MF__MP_INT)
		*out = (double)v.i;
	else if (v.type != MF__MP_NIL)
		return s_type_err(d, field, "a number", &v);
	return 0;
}

static int
s_bool(s_dec_t *d, const char *field, int *out)
{
	mf__mp_val_t	v;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_BOOL)
		*out = v.b;
	else if (v.type != MF__MP_NIL)
		return s_type_err(d, field, "a boolean", &v);
	return 0;
}

/* A map kept as its raw msgpack bytes (author, ext). */
static int
s_raw_map(s_dec_t *d, const char *field, mf_raw_t *out)
{
	const unsigned char	*at = d->r.p;
	mf__mp_val_t		 v;
	char			*copy;
	size_t			 n;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_NIL) {
		mf_free(out->data);
		out->data = NULL;
		out->len = 0;
		return 0;
	}
	if (v.type != MF__MP_MAP)
		return s_type_err(d, field, "a map", &v);
	d->r.p = at;
	if (s_skip(d, field) == -1)
		return -1;
	n = (size_t)(d->r.p - at);
	if ((copy = mf_malloc(n)) == NULL)
		return s_oom(d->err, field);
	memcpy(copy, at, n);
	mf_free(out->data);
	out->data = copy;
	out->len = n;
	return 0;
}

/* 'revision': an integer (kept as its decimal text) or a string. */
static int
s_revision(s_dec_t *d, const char *field, char **out, int *is_int)
{
	mf__mp_val_t	 v;
	char		 num[32], *s;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_NIL) {
		mf_free(*out);
		*out = NULL;
		*is_int = 0;
		return 0;
	}
	if (v.type == MF__MP_UINT && v.u > INT64_MAX)
		return mf_err_set(d->err, MF_EFIELD, field,
		    "%s: %" PRIu64 " is out of range", field, v.u);
	if (v.type == MF__MP_UINT || v.type == MF__MP_INT) {
		if (v.type == MF__MP_UINT)
			snprintf(num, sizeof(num), "%" PRIu64, v.u);
		else
			snprintf(num, sizeof(num), "%" PRId64, v.i);
		s = mf_strdup(num);
		*is_int = 1;
	} else if (v.type == MF__MP_STR) {
		if (memchr(v.s, '\0', v.len) != NULL)
			return mf_err_set(d->err, MF_EFIELD, field,
			    "%s: contains a NUL byte", field);
		s = mf_strndup(v.s, v.len);
		*is_int = 0;
	} else
		return s_type_err(d, field, "an integer or a string", &v);
	if (s == NULL)
		return s_oom(d->err, field);
	mf_free(*out);
	*out = s;
	return 0;
}

/* Reads an array header of at most S_MAX_ITEMS elements; *n = -1 for
 * nil. */
static int
s_array(s_dec_t *d, const char *field, size_t *n, int *absent)
{
	mf__mp_val_t	v;

	*absent = 0;
	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type == MF__MP_NIL) {
		*absent = 1;
		*n = 0;
		return 0;
	}
	if (v.type != MF__MP_ARRAY)
		return s_type_err(d, field, "an array", &v);
	if (v.len > S_MAX_ITEMS)
		return mf_err_set(d->err, MF_ELIMIT, field,
		    "%s: %zu elements is over the limit of %d", field, v.len,
		    S_MAX_ITEMS);
	*n = v.len;
	return 0;
}

static int
s_map(s_dec_t *d, const char *field, size_t *n)
{
	mf__mp_val_t	v;

	if (s_read(d, field, &v) == -1)
		return -1;
	if (v.type != MF__MP_MAP)
		return s_type_err(d, field, "a map", &v);
	*n = v.len;
	return 0;
}

static int
s_twice(s_dec_t *d, const char *field)
{
	return mf_err_set(d->err, MF_EFIELD, field, "%s: given twice", field);
}

static int
s_missing(mf_err_t *err, const char *field, const char *what)
{
	return mf_err_set(err, MF_EFIELD, field, "%s: missing; %s", field,
	    what);
}

/* ---- post ------------------------------------------------------------ */

/*
 * A key given twice in a post is refused. msgpack allows it, and readers
 * disagree on which copy counts (this decoder kept the last, medflagd's
 * dedup key read the first), so a post could be judged on one body and
 * remembered under another. Keys are compared after the whole map was
 * read: sorted, then neighbours; most posts have a handful of keys, on
 * the stack.
 */
#define S_KEYS_STACK	16

typedef struct s_keyref {
	const char	*s;
	size_t		 len;
} s_keyref_t;

static int
s_keycmp(const void *a, const void *b)
{
	const s_keyref_t	*x = a, *y = b;
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c = memcmp(x->s, y->s, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int
s_keys_once(s_dec_t *d, s_keyref_t *keys, size_t n)
{
	char	name[40];

	if (n < 2)
		return 0;
	qsort(keys, n, sizeof(*keys), s_keycmp);
	for (size_t i = 1; i < n; i++) {
		size_t	m;

		if (s_keycmp(&keys[i - 1], &keys[i]) != 0)
			continue;
		m = keys[i].len < sizeof(name) - 1 ? keys[i].len :
		    sizeof(name) - 1;
		for (size_t j = 0; j < m; j++) {
			unsigned char	c = (unsigned char)keys[i].s[j];

			name[j] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		name[m] = '\0';
		return mf_err_set(d->err, MF_EFIELD, name, "%s: given twice; "
		    "each key of a post may appear once", name);
	}
	return 0;
}

static int
s_body(s_dec_t *d, mf_post_t *p)
{
	mf__mp_val_t	 v;
	char		*s;

	if (s_read(d, "body", &v) == -1)
		return -1;
	if (v.type != MF__MP_STR && v.type != MF__MP_BIN)
		return s_type_err(d, "body", "a string", &v);
	if ((s = mf_malloc(v.len + 1)) == NULL)
		return s_oom(d->err, "body");
	memcpy(s, v.s, v.len);
	s[v.len] = '\0';
	mf_free(p->body);
	p->body = s;
	p->body_len = v.len;
	return 0;
}

static int
s_post_field(s_dec_t *d, mf_post_t *p, const char *k, size_t klen)
{
	char	name[32];
	int64_t	i = 0;

	if (S_KEY_IS(k, klen, "v")) {
		if (s_i64(d, "v", &i) == -1)
			return -1;
		if (i < 0 || i > INT_MAX)
			return mf_err_set(d->err, MF_EFIELD, "v",
			    "v: %" PRId64 " is not a version", i);
		p->v = i ? (int)i : 1;
		return 0;
	}
	if (S_KEY_IS(k, klen, "post_id")) {
		if (s_str(d, "post_id", &p->post_id, 1) == -1)
			return -1;
		return mf_wire_check_post_id(p->post_id, strlen(p->post_id),
		    d->err);
	}
	if (S_KEY_IS(k, klen, "body"))
		return s_body(d, p);
	if (S_KEY_IS(k, klen, "body_format")) {
		if (s_name(d, "body_format", name, sizeof(name)) == -1)
			return -1;
		if (mf_format_parse(name, &p->body_format) == -1)
			return s_unknown(d, "body_format", name,
			    "text, markdown, bbcode, html or wikitext");
		return 0;
	}
	if (S_KEY_IS(k, klen, "revision"))
		return s_revision(d, "revision", &p->revision,
		    &p->revision_is_int);
	if (S_KEY_IS(k, klen, "instance"))
		return s_str(d, "instance", &p->instance, 0);
	if (S_KEY_IS(k, klen, "thread_id"))
		return s_str(d, "thread_id", &p->thread_id, 0);
	if (S_KEY_IS(k, klen, "title"))
		return s_str(d, "title", &p->title, 0);
	if (S_KEY_IS(k, klen, "lang"))
		return s_str(d, "lang", &p->lang, 0);
	if (S_KEY_IS(k, klen, "url"))
		return s_str(d, "url", &p->url, 0);
	if (S_KEY_IS(k, klen, "ts"))
		return s_i64(d, "ts", &p->ts);
	if (S_KEY_IS(k, klen, "deadline_ms")) {
		if (s_i64(d, "deadline_ms", &p->deadline_ms) == -1)
			return -1;
		if (p->deadline_ms < 0)
			return mf_err_set(d->err, MF_EFIELD, "deadline_ms",
			    "deadline_ms: must not be negative");
		return 0;
	}
	if (S_KEY_IS(k, klen, "author"))
		return s_raw_map(d, "author", &p->author);
	if (S_KEY_IS(k, klen, "ext"))
		return s_raw_map(d, "ext", &p->ext);
	return s_skip(d, "post");
}

mf_post_t *
mf__wire_decode_post(const void *data, size_t len, size_t max,
    mf_err_t *err)
{
	s_dec_t		 d;
	mf_post_t	*p = NULL;
	const char	*k;
	size_t		 i, n, klen, nkeys = 0;
	int		 rc = -1, kr;
	s_keyref_t	 stack[S_KEYS_STACK], *keys = stack;

	mf_err_clear(err);
	if (mf__mp_check(data, len, max, 1, "post", err) == -1)
		return NULL;
	mf__mp_reader_init(&d.r, data, len);
	d.err = err;
	if (s_map(&d, "post", &n) == -1)
		goto out;
	if ((p = mf_calloc(1, sizeof(*p))) == NULL) {
		s_oom(err, "post");
		goto out;
	}
	p->v = 1;
	if (n > S_KEYS_STACK && (keys = mf_calloc(n, sizeof(*keys))) == NULL) {
		s_oom(err, "post");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((kr = s_key(&d, "post", &k, &klen)) == -1)
			goto out;
		if (kr == 1) {
			keys[nkeys].s = k;
			keys[nkeys++].len = klen;
		}
		if (kr == 1 && s_post_field(&d, p, k, klen) == -1)
			goto out;
	}
	if (s_keys_once(&d, keys, nkeys) == -1)
		goto out;
	if (p->post_id == NULL) {
		s_missing(err, "post_id", "every post needs a string post_id");
		goto out;
	}
	if (p->post_id[0] == '\0') {
		mf_err_set(err, MF_EFIELD, "post_id", "post_id: empty");
		goto out;
	}
	if (p->body == NULL) {
		s_missing(err, "body", "every post needs a string body");
		goto out;
	}
	rc = 0;
out:
	if (keys != stack)
		mf_free(keys);
	if (rc == -1)
		mf_post_destroy(&p);
	return p;
}

mf_post_t *
mf_wire_decode_post(const void *data, size_t len, mf_err_t *err)
{
	return mf__wire_decode_post(data, len, MF_WIRE_MAX_MSG, err);
}

/* ---- verdict --------------------------------------------------------- */

/* The third element of a span: the field it points into. */
static int
s_span_field(s_dec_t *d, const char *field, mf_span_t *sp)
{
	char	name[16];

	if (s_name(d, field, name, sizeof(name)) == -1)
		return -1;
	if (strcmp(name, "title") == 0)
		sp->field = MF_FIELD_TITLE;
	else if (strcmp(name, "body") != 0)
		return s_unknown(d, field, name, "\"title\" or \"body\"");
	return 0;
}

static int
s_spans(s_dec_t *d, const char *field, mf_hit_t *h)
{
	mf__mp_val_t	v;
	char		f[160];
	size_t		i, n;
	int		absent;
	uint64_t	se[2];

	if (h->spans != NULL)
		return s_twice(d, field);
	if (s_array(d, field, &n, &absent) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((h->spans = mf_calloc(n, sizeof(*h->spans))) == NULL)
		return s_oom(d->err, field);
	for (i = 0; i < n; i++) {
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (s_read(d, f, &v) == -1)
			return -1;
		if (v.type != MF__MP_ARRAY || (v.len != 2 && v.len != 3))
			return mf_err_set(d->err, MF_EFIELD, f,
			    "%s: expected [start, end] or [start, end, "
			    "\"title\"], got %s", f,
			    v.type == MF__MP_ARRAY ? "an array of another "
			    "length" : mf__mp_type_desc(v.type));
		se[0] = se[1] = 0;
		if (s_u64(d, f, &se[0]) == -1 || s_u64(d, f, &se[1]) == -1)
			return -1;
		if (se[1] < se[0] || se[1] > SIZE_MAX)
			return mf_err_set(d->err, MF_EFIELD, f,
			    "%s: end before start", f);
		h->spans[i].start = (size_t)se[0];
		h->spans[i].end = (size_t)se[1];
		h->spans[i].field = MF_FIELD_BODY;
		if (v.len == 3 && s_span_field(d, f, &h->spans[i]) == -1)
			return -1;
		h->nspans++;
	}
	return 0;
}

static int
s_hit(s_dec_t *d, const char *field, mf_hit_t *h)
{
	const char	*k;
	char		 f[96], name[32];
	size_t		 i, n, klen;
	int		 kr;

	if (s_map(d, field, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((kr = s_key(d, field, &k, &klen)) == -1)
			return -1;
		if (kr == 0)
			continue;
		snprintf(f, sizeof(f), "%s.%.*s", field,
		    (int)(klen < 32 ? klen : 32), k);
		if (S_KEY_IS(k, klen, "rule"))
			kr = s_str(d, f, &h->rule, 0);
		else if (S_KEY_IS(k, klen, "claim"))
			kr = s_str(d, f, &h->claim, 0);
		else if (S_KEY_IS(k, klen, "category"))
			kr = s_str(d, f, &h->category, 0);
		else if (S_KEY_IS(k, klen, "tier"))
			kr = s_str(d, f, &h->tier, 0);
		else if (S_KEY_IS(k, klen, "error"))
			kr = s_str(d, f, &h->error, 0);
		else if (S_KEY_IS(k, klen, "score"))
			kr = s_f64(d, f, &h->score);
		else if (S_KEY_IS(k, klen, "question"))
			kr = s_bool(d, f, &h->question);
		else if (S_KEY_IS(k, klen, "probability"))
			kr = s_f64(d, f, &h->probability);
		else if (S_KEY_IS(k, klen, "spans"))
			kr = s_spans(d, f, h);
		else if (S_KEY_IS(k, klen, "mode")) {
			if ((kr = s_name(d, f, name, sizeof(name))) == 0 &&
			    mf_mode_parse(name, &h->mode) == -1)
				kr = s_unknown(d, f, name,
				    "enforce, shadow or off");
		} else
			kr = s_skip(d, f);
		if (kr == -1)
			return -1;
	}
	return 0;
}

/*
 * An array of maps (hits, sources): 'n' elements of 'size' bytes allocated
 * into the pointer field at 'fieldp', each read by 'one' under the field
 * name "name[i]". *np counts each element before it is read, so that the
 * destructor frees what a half-read element holds. The pointer is stored
 * with memcpy: 'fieldp' is an mf_hit_t ** or mf_srcref_t **, not void **.
 */
static int
s_objects(s_dec_t *d, const char *name, void *fieldp, size_t *np,
    size_t size, int (*one)(s_dec_t *, const char *, void *))
{
	char	 f[32];
	size_t	 i, n;
	int	 absent;
	char	*v;

	memcpy(&v, fieldp, sizeof(v));
	if (v != NULL)
		return s_twice(d, name);
	if (s_array(d, name, &n, &absent) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((v = mf_calloc(n, size)) == NULL)
		return s_oom(d->err, name);
	memcpy(fieldp, &v, sizeof(v));
	for (i = 0; i < n; i++) {
		snprintf(f, sizeof(f), "%s[%zu]", name, i);
		(*np)++;
		if (one(d, f, v + i * size) == -1)
			return -1;
	}
	return 0;
}

static int
s_hit_any(s_dec_t *d, const char *field, void *h)
{
	return s_hit(d, field, h);
}

static int
s_source(s_dec_t *d, const char *field, mf_srcref_t *s)
{
	const char	*k;
	char		 f[96], name[32];
	size_t		 i, n, klen;
	int		 kr;

	if (s_map(d, field, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((kr = s_key(d, field, &k, &klen)) == -1)
			return -1;
		if (kr == 0)
			continue;
		snprintf(f, sizeof(f), "%s.%.*s", field,
		    (int)(klen < 32 ? klen : 32), k);
		if (S_KEY_IS(k, klen, "url"))
			kr = s_str(d, f, &s->url, 0);
		else if (S_KEY_IS(k, klen, "domain"))
			kr = s_str(d, f, &s->domain, 0);
		else if (S_KEY_IS(k, klen, "list")) {
			if ((kr = s_name(d, f, name, sizeof(name))) == 0 &&
			    mf_list_parse(name, &s->list) == -1)
				kr = s_unknown(d, f, name,
				    "vetted, unreliable or unknown");
		} else
			kr = s_skip(d, f);
		if (kr == -1)
			return -1;
	}
	return 0;
}

static int
s_source_any(s_dec_t *d, const char *field, void *src)
{
	return s_source(d, field, src);
}

/* An array of strings ('evidence', feedback 'rules'). */
static int
s_strings(s_dec_t *d, const char *field, char ***out, size_t *nout)
{
	char	f[64];
	size_t	i, n;
	int	absent;

	if (*out != NULL)
		return s_twice(d, field);
	if (s_array(d, field, &n, &absent) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((*out = mf_calloc(n, sizeof(**out))) == NULL)
		return s_oom(d->err, field);
	for (i = 0; i < n; i++) {
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		(*nout)++;
		if (s_str(d, f, &(*out)[i], 1) == -1)
			return -1;
	}
	return 0;
}

/* 'flags': names of MF_VF_* bits; names this version does not know are
 * ignored, as unknown keys are. */
static int
s_flags(s_dec_t *d, unsigned *flags)
{
	char		f[32], name[32];
	size_t		i, n;
	int		absent;
	unsigned	bit;

	if (s_array(d, "flags", &n, &absent) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(f, sizeof(f), "flags[%zu]", i);
		if (s_name(d, f, name, sizeof(name)) == -1)
			return -1;
		if (mf_vflag_parse(name, &bit) == 0)
			*flags |= bit;
	}
	return 0;
}

static int
s_verdict_field(s_dec_t *d, mf_verdict_t *vd, const char *k, size_t klen)
{
	char	name[32];
	int64_t	i = 0;

	if (S_KEY_IS(k, klen, "v")) {
		if (s_i64(d, "v", &i) == -1)
			return -1;
		if (i < 0 || i > INT_MAX)
			return mf_err_set(d->err, MF_EFIELD, "v",
			    "v: %" PRId64 " is not a version", i);
		vd->v = i ? (int)i : 1;
		return 0;
	}
	if (S_KEY_IS(k, klen, "post_id"))
		return s_str(d, "post_id", &vd->post_id, 0);
	if (S_KEY_IS(k, klen, "revision"))
		return s_revision(d, "revision", &vd->revision,
		    &vd->revision_is_int);
	if (S_KEY_IS(k, klen, "instance"))
		return s_str(d, "instance", &vd->instance, 0);
	if (S_KEY_IS(k, klen, "ext"))
		return s_raw_map(d, "ext", &vd->ext);
	if (S_KEY_IS(k, klen, "status")) {
		if (s_name(d, "status", name, sizeof(name)) == -1)
			return -1;
		if (mf_status_parse(name, &vd->status) == -1)
			return s_unknown(d, "status", name,
			    "ok, error, timeout or skipped");
		return 0;
	}
	if (S_KEY_IS(k, klen, "error"))
		return s_str(d, "error", &vd->error, 0);
	if (S_KEY_IS(k, klen, "action")) {
		if (s_name(d, "action", name, sizeof(name)) == -1)
			return -1;
		if (mf_action_parse(name, &vd->action) == -1)
			return s_unknown(d, "action", name,
			    "none, annotate, flag, hold or block");
		return 0;
	}
	if (S_KEY_IS(k, klen, "score"))
		return s_f64(d, "score", &vd->score);
	if (S_KEY_IS(k, klen, "hits"))
		return s_objects(d, "hits", &vd->hits, &vd->nhits,
		    sizeof(*vd->hits), s_hit_any);
	if (S_KEY_IS(k, klen, "sources"))
		return s_objects(d, "sources", &vd->sources,
		    &vd->nsources, sizeof(*vd->sources), s_source_any);
	if (S_KEY_IS(k, klen, "evidence"))
		return s_strings(d, "evidence", &vd->evidence,
		    &vd->nevidence);
	if (S_KEY_IS(k, klen, "ruleset"))
		return s_str(d, "ruleset", &vd->ruleset, 0);
	if (S_KEY_IS(k, klen, "sources_version"))
		return s_str(d, "sources_version", &vd->sources_version, 0);
	if (S_KEY_IS(k, klen, "worker"))
		return s_str(d, "worker", &vd->worker, 0);
	if (S_KEY_IS(k, klen, "latency_us"))
		return s_u64(d, "latency_us", &vd->latency_us);
	if (S_KEY_IS(k, klen, "seq"))
		return s_u64(d, "seq", &vd->seq);
	if (S_KEY_IS(k, klen, "gen"))
		return s_u64(d, "gen", &vd->gen);
	if (S_KEY_IS(k, klen, "flags"))
		return s_flags(d, &vd->flags);
	return s_skip(d, "verdict");
}

mf_verdict_t *
mf__wire_decode_verdict(const void *data, size_t len, size_t max,
    mf_err_t *err)
{
	s_dec_t		 d;
	mf_verdict_t	*vd = NULL;
	const char	*k;
	size_t		 i, n, klen;
	int		 rc = -1, kr;

	mf_err_clear(err);
	if (mf__mp_check(data, len, max, 1, "verdict", err) == -1)
		return NULL;
	mf__mp_reader_init(&d.r, data, len);
	d.err = err;
	if (s_map(&d, "verdict", &n) == -1)
		goto out;
	if ((vd = mf_verdict_new(NULL)) == NULL) {
		s_oom(err, "verdict");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((kr = s_key(&d, "verdict", &k, &klen)) == -1)
			goto out;
		if (kr == 1 && s_verdict_field(&d, vd, k, klen) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		mf_verdict_destroy(&vd);
	return vd;
}

mf_verdict_t *
mf_wire_decode_verdict(const void *data, size_t len, mf_err_t *err)
{
	return mf__wire_decode_verdict(data, len, MF_WIRE_MAX_MSG, err);
}

/* ---- feedback -------------------------------------------------------- */

mf_feedback_t *
mf__wire_decode_feedback(const void *data, size_t len, size_t max,
    mf_err_t *err)
{
	s_dec_t		 d;
	mf_feedback_t	*f = NULL;
	const char	*k;
	char		 name[32];
	size_t		 i, n, klen;
	int		 rc = -1, kr, is_int, outcome = -1;

	mf_err_clear(err);
	if (mf__mp_check(data, len, max, 1, "feedback", err) == -1)
		return NULL;
	mf__mp_reader_init(&d.r, data, len);
	d.err = err;
	if (s_map(&d, "feedback", &n) == -1)
		goto out;
	if ((f = mf_feedback_new()) == NULL) {
		s_oom(err, "feedback");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((kr = s_key(&d, "feedback", &k, &klen)) == -1)
			goto out;
		if (kr == 0)
			continue;
		if (S_KEY_IS(k, klen, "post_id"))
			kr = s_str(&d, "post_id", &f->post_id, 1);
		else if (S_KEY_IS(k, klen, "revision"))
			kr = s_revision(&d, "revision", &f->revision,
			    &is_int);
		else if (S_KEY_IS(k, klen, "by"))
			kr = s_str(&d, "by", &f->by, 0);
		else if (S_KEY_IS(k, klen, "body"))
			kr = s_str(&d, "body", &f->body, 0);
		else if (S_KEY_IS(k, klen, "lang"))
			kr = s_str(&d, "lang", &f->lang, 0);
		else if (S_KEY_IS(k, klen, "rules"))
			kr = s_strings(&d, "rules", &f->rules, &f->nrules);
		else if (S_KEY_IS(k, klen, "outcome")) {
			if ((kr = s_name(&d, "outcome", name,
			    sizeof(name))) == 0) {
				outcome = mf_feedback_outcome_parse(name);
				if (outcome == -1)
					kr = s_unknown(&d, "outcome", name,
					    "agreed or overturned");
			}
		} else
			kr = s_skip(&d, "feedback");
		if (kr == -1)
			goto out;
	}
	if (f->post_id == NULL) {
		s_missing(err, "post_id", "feedback names the post it is for");
		goto out;
	}
	if (outcome == -1) {
		s_missing(err, "outcome", "expected agreed or overturned");
		goto out;
	}
	f->agreed = outcome;
	rc = 0;
out:
	if (rc == -1)
		mf_feedback_destroy(&f);
	return f;
}

mf_feedback_t *
mf_wire_decode_feedback(const void *data, size_t len, mf_err_t *err)
{
	return mf__wire_decode_feedback(data, len, MF_WIRE_MAX_MSG, err);
}

/* ---- post_id ---------------------------------------------------------- */

int
mf_wire_check_post_id(const char *id, size_t len, mf_err_t *err)
{
	const unsigned char	*p = (const unsigned char *)id;

	if (len > MF_WIRE_MAX_POST_ID)
		return mf_err_set(err, MF_EFIELD, "post_id", "post_id: %zu "
		    "bytes, longer than %d", len, MF_WIRE_MAX_POST_ID);
	/* ASCII without a call: each post's id passes here. */
	for (size_t i = 0, n; i < len; i += n)
		if (p[i] == 0 || (n = p[i] < 0x80 ? 1 :
		    mf_utf8_len(p + i, len - i)) == 0)
			return mf_err_set(err, MF_EFIELD, "post_id",
			    "post_id: not valid UTF-8 (byte %zu)", i);
	return 0;
}

int
mf_wire_safe_id(const char *id, size_t len, char *out, size_t cap)
{
	const unsigned char	*p = (const unsigned char *)id;
	size_t			 i, n, o = 0, end;

	assert(out != NULL && cap > 0);
	if (mf_wire_check_post_id(id, len, NULL) == 0) {
		n = len < cap - 1 ? len : cap - 1;
		memcpy(out, id, n);
		out[n] = '\0';
		return 0;
	}
	end = len < MF_WIRE_MAX_POST_ID ? len : MF_WIRE_MAX_POST_ID;
	for (i = 0; i < end; i += n) {
		n = mf_utf8_len(p + i, end - i);
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\'))
			n = 0;
		if (n == 0) {
			if (o + 5 > cap)
				break;
			if (p[i] == '\\') {
				memcpy(out + o, "\\\\", 2);
				o += 2;
			} else
				o += (size_t)snprintf(out + o, cap - o,
				    "\\x%02x", p[i]);
			n = 1;
			continue;
		}
		if (o + n + 1 > cap)
			break;
		memcpy(out + o, p + i, n);
		o += n;
	}
	if (len > i && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return 1;
}

/* ---- peek ------------------------------------------------------------ */

int
mf_wire_peek_post_id(const void *data, size_t len, char *id, size_t cap)
{
	mf__mp_reader_t	r;
	mf__mp_val_t	v;
	size_t		i, n;

	if (data == NULL || id == NULL || cap == 0)
		return -1;
	id[0] = '\0';
	mf__mp_reader_init(&r, data, len);
	if (mf__mp_read(&r, &v) == -1 || v.type != MF__MP_MAP)
		return -1;
	/* Each key takes at least one byte: the loop ends with the input. */
	for (i = 0, n = v.len; i < n; i++) {
		if (mf__mp_read(&r, &v) == -1)
			return -1;
		if (v.type == MF__MP_STR && S_KEY_IS(v.s, v.len, "post_id")) {
			if (mf__mp_read(&r, &v) == -1 ||
			    v.type != MF__MP_STR || v.len == 0)
				return -1;
			(void)mf_wire_safe_id(v.s, v.len, id, cap);
			return 0;
		}
		if (v.type == MF__MP_ARRAY || v.type == MF__MP_MAP) {
			/* A container key: skip what it holds. */
			size_t j, m = v.type == MF__MP_MAP ? v.len * 2 : v.len;

			if (v.len > (size_t)(r.end - r.p))
				return -1;
			for (j = 0; j < m; j++)
				if (mf__mp_skip(&r, MF_WIRE_MAX_DEPTH) == -1)
					return -1;
		}
		if (mf__mp_skip(&r, MF_WIRE_MAX_DEPTH) == -1)
			return -1;
	}
	return -1;
}

/* ---- encoders -------------------------------------------------------- */

/* Map headers are written as map16 with a placeholder count, patched when
 * the map is complete: simpler than counting the optional fields twice. */
static int
s_map_open(mf_buf_t *b, size_t *at)
{
	static const unsigned char	hdr[3] = { 0xde, 0, 0 };

	*at = b->len;
	return mf_buf_append(b, hdr, sizeof(hdr));
}

static void
s_map_close(mf_buf_t *b, size_t at, size_t n)
{
	assert(n <= 0xffff);
	b->data[at + 1] = (char)(n >> 8);
	b->data[at + 2] = (char)(n & 0xff);
}

/* [start, end] for a span of the body, [start, end, "title"] for one of
 * the title: a client that knows only bodies still reads the pair. */
static int
s_put_span(mf_buf_t *b, const mf_span_t *sp)
{
	int	title = sp->field == MF_FIELD_TITLE;

	return mf__mp_put_array(b, title ? 3 : 2) |
	    mf__mp_put_uint(b, sp->start) | mf__mp_put_uint(b, sp->end) |
	    (title ? mf__mp_put_cstr(b, "title") : 0);
}

/* Appends "key": "value" unless 'value' is NULL; counts it in '*n'. */
static int
s_put_kstr(mf_buf_t *b, size_t *n, const char *key, const char *value)
{
	if (value == NULL)
		return 0;
	(*n)++;
	return mf__mp_put_cstr(b, key) | mf__mp_put_cstr(b, value);
}

static int
s_put_kraw(mf_buf_t *b, size_t *n, const char *key, const mf_raw_t *raw,
    mf_err_t *err)
{
	if (raw->len == 0)
		return 0;
	if (mf__mp_check(raw->data, raw->len, MF_WIRE_MAX_MSG, 1, key,
	    err) == -1)
		return -1;
	(*n)++;
	return mf__mp_put_cstr(b, key) |
	    mf_buf_append(b, raw->data, raw->len);
}

int
mf__wire_rev_int(const char *rev, int is_int, long long *v)
{
	char	*end;

	if (!is_int || rev[0] == '\0')
		return 0;
	errno = 0;
	*v = strtoll(rev, &end, 10);
	return errno == 0 && *end == '\0';
}

/* 'revision' as an integer when it came as one (and still reads as one),
 * else as a string. */
static int
s_put_revision(mf_buf_t *b, size_t *n, const char *rev, int is_int)
{
	long long	 ll;

	if (rev == NULL)
		return 0;
	(*n)++;
	if (mf__mp_put_cstr(b, "revision") == -1)
		return -1;
	if (mf__wire_rev_int(rev, is_int, &ll))
		return mf__mp_put_int(b, ll);
	return mf__mp_put_cstr(b, rev);
}

static int
s_encode_fail(mf_buf_t *out, mf_err_t *err, const char *what)
{
	mf_buf_reset(out);
	if (err != NULL && err->code == 0)
		s_oom(err, what);
	return -1;
}

int
mf_wire_encode_post(const mf_post_t *p, mf_buf_t *out, mf_err_t *err)
{
	size_t	at, n = 0;
	int	rc = 0;

	assert(p != NULL);
	assert(out != NULL);
	mf_err_clear(err);
	mf_buf_reset(out);
	if (p->post_id == NULL)
		return mf_err_set(err, MF_EFIELD, "post_id",
		    "post_id: missing; every post needs one");
	if (s_map_open(out, &at) == -1)
		return s_encode_fail(out, err, "post");
	n += 3;
	rc |= mf__mp_put_cstr(out, "v");
	rc |= mf__mp_put_int(out, p->v ? p->v : MF_WIRE_VERSION);
	rc |= mf__mp_put_cstr(out, "post_id");
	rc |= mf__mp_put_cstr(out, p->post_id);
	rc |= mf__mp_put_cstr(out, "body");
	rc |= mf__mp_put_str(out, p->body ? p->body : "",
	    p->body ? p->body_len : 0);
	if (p->body_format != MF_FMT_TEXT)
		rc |= s_put_kstr(out, &n, "body_format",
		    mf_format_name(p->body_format));
	rc |= s_put_revision(out, &n, p->revision, p->revision_is_int);
	rc |= s_put_kstr(out, &n, "instance", p->instance);
	rc |= s_put_kstr(out, &n, "thread_id", p->thread_id);
	rc |= s_put_kstr(out, &n, "title", p->title);
	if (rc == 0 && s_put_kraw(out, &n, "author", &p->author, err) == -1)
		return s_encode_fail(out, err, "post");
	rc |= s_put_kstr(out, &n, "lang", p->lang);
	rc |= s_put_kstr(out, &n, "url", p->url);
	if (p->ts != 0) {
		n++;
		rc |= mf__mp_put_cstr(out, "ts") | mf__mp_put_int(out, p->ts);
	}
	if (p->deadline_ms != 0) {
		n++;
		rc |= mf__mp_put_cstr(out, "deadline_ms") |
		    mf__mp_put_int(out, p->deadline_ms);
	}
	if (rc == 0 && s_put_kraw(out, &n, "ext", &p->ext, err) == -1)
		return s_encode_fail(out, err, "post");
	if (rc != 0)
		return s_encode_fail(out, err, "post");
	s_map_close(out, at, n);
	return 0;
}

static int
s_put_hit(mf_buf_t *b, const mf_hit_t *h)
{
	size_t	at, n = 3, i;
	int	rc = 0;

	if (s_map_open(b, &at) == -1)
		return -1;
	rc |= s_put_kstr(b, &n, "rule", h->rule);
	rc |= s_put_kstr(b, &n, "claim", h->claim);
	rc |= s_put_kstr(b, &n, "category", h->category);
	rc |= s_put_kstr(b, &n, "tier", h->tier);
	rc |= mf__mp_put_cstr(b, "score") | mf__mp_put_double(b, h->score);
	rc |= mf__mp_put_cstr(b, "mode") |
	    mf__mp_put_cstr(b, mf_mode_name(h->mode));
	if (h->question) {
		n++;
		rc |= mf__mp_put_cstr(b, "question") |
		    mf__mp_put_bool(b, 1);
	}
	if (h->probability > 0) {
		n++;
		rc |= mf__mp_put_cstr(b, "probability") |
		    mf__mp_put_double(b, h->probability);
	}
	rc |= s_put_kstr(b, &n, "error", h->error);
	if (h->unless != NULL) {
		n++;
		rc |= s_put_kstr(b, &n, "unless", h->unless);
		rc |= mf__mp_put_cstr(b, "unless_span") |
		    s_put_span(b, &h->unless_span);
	}
	rc |= mf__mp_put_cstr(b, "spans") | mf__mp_put_array(b, h->nspans);
	for (i = 0; i < h->nspans; i++)
		rc |= s_put_span(b, &h->spans[i]);
	if (rc == 0)
		s_map_close(b, at, n);
	return rc ? -1 : 0;
}

int
mf_wire_encode_verdict(const mf_verdict_t *vd, mf_buf_t *out, mf_err_t *err)
{
	size_t		at, n = 0, i, nflags = 0;
	unsigned	bit;
	int		rc = 0;

	assert(vd != NULL);
	assert(out != NULL);
	mf_err_clear(err);
	mf_buf_reset(out);
	if (s_map_open(out, &at) == -1)
		return s_encode_fail(out, err, "verdict");
	n++;
	rc |= mf__mp_put_cstr(out, "v");
	rc |= mf__mp_put_int(out, vd->v ? vd->v : MF_WIRE_VERSION);
	rc |= s_put_kstr(out, &n, "post_id", vd->post_id);
	rc |= s_put_revision(out, &n, vd->revision, vd->revision_is_int);
	rc |= s_put_kstr(out, &n, "instance", vd->instance);
	if (rc == 0 && s_put_kraw(out, &n, "ext", &vd->ext, err) == -1)
		return s_encode_fail(out, err, "verdict");
	n += 3;
	rc |= mf__mp_put_cstr(out, "status") |
	    mf__mp_put_cstr(out, mf_status_name(vd->status));
	rc |= s_put_kstr(out, &n, "error", vd->error);
	rc |= mf__mp_put_cstr(out, "action") |
	    mf__mp_put_cstr(out, mf_action_name(vd->action));
	rc |= mf__mp_put_cstr(out, "score") |
	    mf__mp_put_double(out, vd->score);
	n += 3;
	rc |= mf__mp_put_cstr(out, "hits") | mf__mp_put_array(out, vd->nhits);
	for (i = 0; i < vd->nhits && rc == 0; i++)
		rc |= s_put_hit(out, &vd->hits[i]);
	if (vd->nsuppressed > 0) {
		n++;
		rc |= mf__mp_put_cstr(out, "suppressed") |
		    mf__mp_put_array(out, vd->nsuppressed);
		for (i = 0; i < vd->nsuppressed && rc == 0; i++)
			rc |= s_put_hit(out, &vd->suppressed[i]);
	}
	rc |= mf__mp_put_cstr(out, "sources") |
	    mf__mp_put_array(out, vd->nsources);
	for (i = 0; i < vd->nsources && rc == 0; i++) {
		const mf_srcref_t	*s = &vd->sources[i];
		size_t			 sat, sn = 1;

		rc |= s_map_open(out, &sat);
		rc |= s_put_kstr(out, &sn, "url", s->url);
		rc |= s_put_kstr(out, &sn, "domain", s->domain);
		rc |= mf__mp_put_cstr(out, "list") |
		    mf__mp_put_cstr(out, mf_list_name(s->list));
		if (rc == 0)
			s_map_close(out, sat, sn);
	}
	rc |= mf__mp_put_cstr(out, "evidence") |
	    mf__mp_put_array(out, vd->nevidence);
	for (i = 0; i < vd->nevidence; i++)
		rc |= mf__mp_put_cstr(out,
		    vd->evidence[i] ? vd->evidence[i] : "");
	rc |= s_put_kstr(out, &n, "ruleset", vd->ruleset);
	rc |= s_put_kstr(out, &n, "sources_version", vd->sources_version);
	rc |= s_put_kstr(out, &n, "worker", vd->worker);
	n += 3;
	rc |= mf__mp_put_cstr(out, "latency_us") |
	    mf__mp_put_uint(out, vd->latency_us);
	rc |= mf__mp_put_cstr(out, "seq") | mf__mp_put_uint(out, vd->seq);
	/* Only medflagd stamps a generation: other verdicts go without. */
	if (vd->gen > 0) {
		n++;
		rc |= mf__mp_put_cstr(out, "gen") |
		    mf__mp_put_uint(out, vd->gen);
	}
	for (i = 0; i < MF_VF_COUNT; i++)
		if (vd->flags & (1u << i))
			nflags++;
	rc |= mf__mp_put_cstr(out, "flags") | mf__mp_put_array(out, nflags);
	for (i = 0; i < MF_VF_COUNT; i++) {
		bit = 1u << i;
		if (vd->flags & bit)
			rc |= mf__mp_put_cstr(out, mf_vflag_name(bit));
	}
	if (rc != 0)
		return s_encode_fail(out, err, "verdict");
	s_map_close(out, at, n);
	return 0;
}

int
mf_wire_encode_feedback(const mf_feedback_t *f, mf_buf_t *out, mf_err_t *err)
{
	size_t	at, n = 2, i;
	int	rc = 0;

	assert(f != NULL);
	assert(out != NULL);
	mf_err_clear(err);
	mf_buf_reset(out);
	if (f->post_id == NULL)
		return mf_err_set(err, MF_EFIELD, "post_id",
		    "post_id: missing; feedback names the post it is for");
	if (s_map_open(out, &at) == -1)
		return s_encode_fail(out, err, "feedback");
	rc |= mf__mp_put_cstr(out, "post_id") |
	    mf__mp_put_cstr(out, f->post_id);
	rc |= s_put_revision(out, &n, f->revision, 0);
	rc |= mf__mp_put_cstr(out, "outcome") |
	    mf__mp_put_cstr(out, mf_feedback_outcome_name(f->agreed));
	if (f->nrules) {
		n++;
		rc |= mf__mp_put_cstr(out, "rules") |
		    mf__mp_put_array(out, f->nrules);
		for (i = 0; i < f->nrules; i++)
			rc |= mf__mp_put_cstr(out,
			    f->rules[i] ? f->rules[i] : "");
	}
	rc |= s_put_kstr(out, &n, "by", f->by);
	rc |= s_put_kstr(out, &n, "body", f->body);
	rc |= s_put_kstr(out, &n, "lang", f->lang);
	if (rc != 0)
		return s_encode_fail(out, err, "feedback");
	s_map_close(out, at, n);
	return 0;
}
