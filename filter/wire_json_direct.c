/*
 * wire_json_direct.c - the direct paths of the JSON codec: a plain post
 * read straight into an mf_post_t, and a verdict written straight to
 * JSON text, with no msgpack between (for `medflag scan`, which reads
 * a post and writes a verdict for every line).
 *
 * Each path takes only its common case and says 1 for anything else;
 * wire_json.c then goes the long way, through msgpack and wire.c, which
 * accepts, refuses and writes the same things and names every fault.
 * Strings are scanned and unescaped, numbers parsed, and strings,
 * numbers and 'ext' written by wire_json.c's own helpers (mf__json_*),
 * so both ways take and give the same bytes; wire_test.c checks that
 * (wire_json_direct_*). Not responsible for the public entry points,
 * the long way or its errors (wire_json.c), nor for the fields of the
 * msgpack format (wire.c): what this file writes follows wire.c's order.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "wire_internal.h"

/* ---- JSON text -> post, without msgpack ------------------------------ */

/*
 * The common post, {"post_id":"p-1","body":"...","lang":"en",...}, read
 * straight into an mf_post_t. Taken: an object of at most MF__JSON_KEYS
 * members, each key a string without escapes and given once; post_id
 * valid as one (mf_wire_check_post_id) and body as strings; instance,
 * thread_id, title, lang and url as strings without NUL, or null; any
 * key wire.c does not know with a string, number, true, false or null
 * value (what wire_json.c's short path takes), skipped. Anything else
 * (the other fields of wire.c, containers, a fault of any kind) returns
 * 1, and the text goes the long way, through msgpack and wire.c, which
 * takes the same posts, builds the same ones and names every fault.
 * Converting each line to msgpack and decoding that took `medflag scan`
 * ~11,800 instructions a post of ~169,000; this way takes ~3,000
 * (callgrind, 3,000 tweets of the CONSTRAINT set).
 */
#define S_KEY_IS(k, klen, name)						\
	((klen) == sizeof(name) - 1 && memcmp((k), (name), (klen)) == 0)

static const char *
s_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* The string at '*pp' decoded into a new allocation, NUL-terminated,
 * of '*len' bytes: 0 with '*pp' past it, 1 not taken, -1 out of
 * memory. */
static int
s_direct_str(const char **pp, const char *end, char **out, size_t *len)
{
	const char	*s = *pp + 1, *e;
	size_t		 n;
	int		 esc;

	if (*pp >= end || **pp != '"' ||
	    mf__json_scan(*pp, end, &e, &esc) != 0)
		return 1;
	n = (size_t)(e - 1 - s);
	if ((*out = mf_malloc(n + 1)) == NULL)
		return -1;
	if (esc)
		n = mf__json_unescape(s, n, *out);
	else
		memcpy(*out, s, n);
	(*out)[n] = '\0';
	*len = n;
	*pp = e;
	return 0;
}

/* Skips the value at '*pp' of a key wire.c does not know: 0, or 1 when
 * it is not a scalar the short path takes. */
static int
s_direct_skip(const char **pp, const char *end)
{
	const char	*e, *word;
	size_t		 left = (size_t)(end - *pp), n;
	long long	 iv;
	double		 dv;
	int		 esc, real;

	switch (left > 0 ? **pp : 0) {
	case '"':
		if (mf__json_scan(*pp, end, &e, &esc) != 0)
			return 1;
		*pp = e;
		return 0;
	case 't': case 'f': case 'n':
		word = **pp == 't' ? "true" : **pp == 'f' ? "false" : "null";
		n = strlen(word);
		if (left < n || memcmp(*pp, word, n) != 0)
			return 1;
		*pp += n;
		return 0;
	case '{': case '[': case 0:
		return 1;
	default:
		return mf__json_parse_num(pp, end, &real, &iv, &dv);
	}
}

/* The optional string field of 'p' that key 'k' names, or NULL. */
static char **
s_direct_field(mf_post_t *p, const char *k, size_t n)
{
	if (S_KEY_IS(k, n, "instance"))
		return &p->instance;
	if (S_KEY_IS(k, n, "thread_id"))
		return &p->thread_id;
	if (S_KEY_IS(k, n, "title"))
		return &p->title;
	if (S_KEY_IS(k, n, "lang"))
		return &p->lang;
	if (S_KEY_IS(k, n, "url"))
		return &p->url;
	return NULL;
}

/* A member's value at '*pp' into 'p': 0, 1 not taken, -1 out of
 * memory. */
static int
s_direct_value(const char **pp, const char *end, mf_post_t *p,
    const char *k, size_t kn)
{
	char	**field;
	size_t	  n;
	int	  rc;

	if (S_KEY_IS(k, kn, "body"))
		return s_direct_str(pp, end, &p->body, &p->body_len);
	if (S_KEY_IS(k, kn, "post_id")) {
		if ((rc = s_direct_str(pp, end, &p->post_id, &n)) != 0)
			return rc;
		return n == 0 || mf_wire_check_post_id(p->post_id, n,
		    NULL) != 0;
	}
	if ((field = s_direct_field(p, k, kn)) != NULL) {
		if (end - *pp >= 4 && memcmp(*pp, "null", 4) == 0) {
			*pp += 4;
			return 0;
		}
		if ((rc = s_direct_str(pp, end, field, &n)) != 0)
			return rc;
		return memchr(*field, '\0', n) != NULL;
	}
	if (S_KEY_IS(k, kn, "v") || S_KEY_IS(k, kn, "body_format") ||
	    S_KEY_IS(k, kn, "revision") || S_KEY_IS(k, kn, "ts") ||
	    S_KEY_IS(k, kn, "deadline_ms") || S_KEY_IS(k, kn, "author") ||
	    S_KEY_IS(k, kn, "ext"))
		return 1;
	return s_direct_skip(pp, end);
}

int
mf__json_post_direct(const char *text, size_t len, mf_post_t **out)
{
	const char	*p = text, *end = text + len, *k, *e;
	const char	*key[MF__JSON_KEYS];
	size_t		 klen[MF__JSON_KEYS], n = 0, kn;
	mf_post_t	*post;
	int		 rc, esc;

	*out = NULL;
	if (text == NULL || len == 0 || len > MF_WIRE_MAX_MSG)
		return 1;
	if ((p = s_ws(p, end)) >= end || *p != '{')
		return 1;
	if ((post = mf_calloc(1, sizeof(*post))) == NULL)
		return -1;
	post->v = 1;
	p = s_ws(p + 1, end);
	for (;;) {
		rc = 1;
		if (p >= end || *p != '"' || n == MF__JSON_KEYS ||
		    mf__json_scan(p, end, &e, &esc) != 0 || esc)
			goto out;
		k = p + 1;
		kn = (size_t)(e - 1 - k);
		for (size_t i = 0; i < n; i++)
			if (klen[i] == kn && memcmp(key[i], k, kn) == 0)
				goto out;
		key[n] = k;
		klen[n++] = kn;
		if ((p = s_ws(e, end)) >= end || *p != ':')
			goto out;
		p = s_ws(p + 1, end);
		if ((rc = s_direct_value(&p, end, post, k, kn)) != 0)
			goto out;
		rc = 1;
		if ((p = s_ws(p, end)) < end && *p == ',') {
			p = s_ws(p + 1, end);
			continue;
		}
		if (p >= end || *p != '}')
			goto out;
		break;
	}
	if (s_ws(p + 1, end) != end || post->post_id == NULL ||
	    post->body == NULL)
		goto out;
	*out = post;
	return 0;
out:
	mf_post_destroy(&post);
	return rc;
}

/* ---- verdict -> JSON text, without msgpack ---------------------------- */

/*
 * What mf_wire_encode_verdict() and then mf__json_put_mp() give, written
 * from the verdict: the members in wire.c's order, each value as
 * mf__json_put_mp() writes what wire.c puts (an unsigned integer over
 * INT64_MAX as a real, a NaN or infinity as null). 'ext' is checked as
 * wire.c checks it and written by mf__json_put_mp(); when that declines
 * (a key twice, a key that is not a string), 1 sends the verdict the
 * long way. wire_test.c checks both ways give the same bytes. Encoding
 * each verdict to msgpack and that to JSON took `medflag scan` ~13,700
 * instructions a post; this way takes ~3,700 (callgrind, 3,000 tweets
 * of the CONSTRAINT set).
 */
#define S_LIT(out, s)	mf_buf_add((out), (s), sizeof(s) - 1)
/* Member "k" of the object whose '{' is at 'at'. */
#define S_KEY(out, at, k)						\
	s_w_key((out), (at), ",\"" k "\":", sizeof(",\"" k "\":") - 1)

/* Starts a member of the object opened at 'at': 'key' is its JSON form
 * after a comma, which is left out for the first member. */
static int
s_w_key(mf_buf_t *out, size_t at, const char *key, size_t n)
{
	if (out->len == at + 1)
		return mf_buf_add(out, key + 1, n - 1);
	return mf_buf_add(out, key, n);
}

static int
s_w_cstr(mf_buf_t *out, const char *s)
{
	return mf__json_put_str(out, s, strlen(s), 0);
}

static int
s_w_i64(mf_buf_t *out, int64_t i)
{
	return mf__json_put_int(out, i < 0 ? 0 - (uint64_t)i : (uint64_t)i,
	    i < 0);
}

static int
s_w_u64(mf_buf_t *out, uint64_t u)
{
	return u > (uint64_t)INT64_MAX ? mf__json_put_real(out,
	    (double)u) : mf__json_put_int(out, u, 0);
}

static int
s_w_f64(mf_buf_t *out, double f)
{
	return isfinite(f) ? mf__json_put_real(out, f) : S_LIT(out, "null");
}

/* Member 'key' (its JSON form) with string 'value', unless it is NULL
 * (wire.c's s_put_kstr). */
static int
s_w_kstr(mf_buf_t *out, size_t at, const char *key, size_t n,
    const char *value)
{
	if (value == NULL)
		return 0;
	if (s_w_key(out, at, key, n) == -1)
		return -1;
	return s_w_cstr(out, value);
}
#define S_KSTR(out, at, k, v)						\
	s_w_kstr((out), (at), ",\"" k "\":", sizeof(",\"" k "\":") - 1, (v))

static int
s_w_span(mf_buf_t *out, const mf_span_t *sp)
{
	if (S_LIT(out, "[") == -1 || s_w_u64(out, sp->start) == -1 ||
	    S_LIT(out, ",") == -1 || s_w_u64(out, sp->end) == -1)
		return -1;
	if (sp->field == MF_FIELD_TITLE && S_LIT(out, ",\"title\"") == -1)
		return -1;
	return S_LIT(out, "]");
}

static int
s_w_hit(mf_buf_t *out, const mf_hit_t *h)
{
	size_t	at = out->len;

	if (S_LIT(out, "{") == -1 ||
	    S_KSTR(out, at, "rule", h->rule) == -1 ||
	    S_KSTR(out, at, "claim", h->claim) == -1 ||
	    S_KSTR(out, at, "category", h->category) == -1 ||
	    S_KSTR(out, at, "tier", h->tier) == -1 ||
	    S_KEY(out, at, "score") == -1 || s_w_f64(out, h->score) == -1 ||
	    S_KSTR(out, at, "mode", mf_mode_name(h->mode)) == -1)
		return -1;
	if (h->question && (S_KEY(out, at, "question") == -1 ||
	    S_LIT(out, "true") == -1))
		return -1;
	if (h->probability > 0 && (S_KEY(out, at, "probability") == -1 ||
	    s_w_f64(out, h->probability) == -1))
		return -1;
	if (S_KSTR(out, at, "error", h->error) == -1)
		return -1;
	if (h->unless != NULL && (S_KSTR(out, at, "unless", h->unless) == -1 ||
	    S_KEY(out, at, "unless_span") == -1 ||
	    s_w_span(out, &h->unless_span) == -1))
		return -1;
	if (S_KEY(out, at, "spans") == -1 || S_LIT(out, "[") == -1)
		return -1;
	for (size_t i = 0; i < h->nspans; i++)
		if ((i > 0 && S_LIT(out, ",") == -1) ||
		    s_w_span(out, &h->spans[i]) == -1)
			return -1;
	return S_LIT(out, "]}");
}

static int
s_w_hits(mf_buf_t *out, const mf_hit_t *h, size_t n)
{
	if (S_LIT(out, "[") == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && S_LIT(out, ",") == -1) ||
		    s_w_hit(out, &h[i]) == -1)
			return -1;
	return S_LIT(out, "]");
}

/* 'revision' as wire.c's s_put_revision() puts it. */
static int
s_w_revision(mf_buf_t *out, size_t at, const char *rev, int is_int)
{
	long long	 ll;

	if (rev == NULL)
		return 0;
	if (S_KEY(out, at, "revision") == -1)
		return -1;
	if (mf__wire_rev_int(rev, is_int, &ll))
		return s_w_i64(out, ll);
	return s_w_cstr(out, rev);
}

/* The rest of the verdict, after 'ext'. */
static int
s_w_verdict_tail(mf_buf_t *out, const mf_verdict_t *vd)
{
	size_t	i, at;

	if (S_KSTR(out, 0, "status", mf_status_name(vd->status)) == -1 ||
	    S_KSTR(out, 0, "error", vd->error) == -1 ||
	    S_KSTR(out, 0, "action", mf_action_name(vd->action)) == -1 ||
	    S_KEY(out, 0, "score") == -1 || s_w_f64(out, vd->score) == -1 ||
	    S_KEY(out, 0, "hits") == -1 ||
	    s_w_hits(out, vd->hits, vd->nhits) == -1)
		return -1;
	if (vd->nsuppressed > 0 && (S_KEY(out, 0, "suppressed") == -1 ||
	    s_w_hits(out, vd->suppressed, vd->nsuppressed) == -1))
		return -1;
	if (S_KEY(out, 0, "sources") == -1 || S_LIT(out, "[") == -1)
		return -1;
	for (i = 0; i < vd->nsources; i++) {
		const mf_srcref_t	*s = &vd->sources[i];

		if (i > 0 && S_LIT(out, ",") == -1)
			return -1;
		at = out->len;
		if (S_LIT(out, "{") == -1 ||
		    S_KSTR(out, at, "url", s->url) == -1 ||
		    S_KSTR(out, at, "domain", s->domain) == -1 ||
		    S_KSTR(out, at, "list", mf_list_name(s->list)) == -1 ||
		    S_LIT(out, "}") == -1)
			return -1;
	}
	if (S_LIT(out, "]") == -1 || S_KEY(out, 0, "evidence") == -1 ||
	    S_LIT(out, "[") == -1)
		return -1;
	for (i = 0; i < vd->nevidence; i++)
		if ((i > 0 && S_LIT(out, ",") == -1) || s_w_cstr(out,
		    vd->evidence[i] ? vd->evidence[i] : "") == -1)
			return -1;
	if (S_LIT(out, "]") == -1 ||
	    S_KSTR(out, 0, "ruleset", vd->ruleset) == -1 ||
	    S_KSTR(out, 0, "sources_version", vd->sources_version) == -1 ||
	    S_KSTR(out, 0, "worker", vd->worker) == -1 ||
	    S_KEY(out, 0, "latency_us") == -1 ||
	    s_w_u64(out, vd->latency_us) == -1 ||
	    S_KEY(out, 0, "seq") == -1 || s_w_u64(out, vd->seq) == -1)
		return -1;
	/* Only medflagd stamps a generation (wire.c). */
	if (vd->gen > 0 && (S_KEY(out, 0, "gen") == -1 ||
	    s_w_u64(out, vd->gen) == -1))
		return -1;
	if (S_KEY(out, 0, "flags") == -1 || S_LIT(out, "[") == -1)
		return -1;
	for (i = 0, at = out->len; i < MF_VF_COUNT; i++)
		if ((vd->flags & (1u << i)) && ((out->len > at &&
		    S_LIT(out, ",") == -1) || s_w_cstr(out,
		    mf_vflag_name(1u << i)) == -1))
			return -1;
	return S_LIT(out, "]}");
}

/* Every failure to grow 'out' ends at 'oom', which sets 'err' as the
 * long way does ("verdict: out of memory"). */
int
mf__json_verdict_direct(const mf_verdict_t *vd, mf_buf_t *out,
    mf_err_t *err)
{
	mf__mp_reader_t	r;
	int		rc;

	mf_buf_reset(out);
	if (S_LIT(out, "{\"v\":") == -1 ||
	    s_w_i64(out, vd->v ? vd->v : MF_WIRE_VERSION) == -1 ||
	    S_KSTR(out, 0, "post_id", vd->post_id) == -1 ||
	    s_w_revision(out, 0, vd->revision, vd->revision_is_int) == -1 ||
	    S_KSTR(out, 0, "instance", vd->instance) == -1)
		goto oom;
	if (vd->ext.len > 0) {
		if (mf__mp_check(vd->ext.data, vd->ext.len, MF_WIRE_MAX_MSG, 1,
		    "ext", err) == -1)
			return -1;
		if (S_KEY(out, 0, "ext") == -1)
			goto oom;
		mf__mp_reader_init(&r, vd->ext.data, vd->ext.len);
		if ((rc = mf__json_put_mp(&r, 1, out)) == 1)
			return 1;
		if (rc != 0)
			goto oom;
	}
	if (s_w_verdict_tail(out, vd) == -1)
		goto oom;
	return 0;
oom:
	return mf_err_set(err, MF_ENOMEM, "verdict", "verdict: out of memory");
}
