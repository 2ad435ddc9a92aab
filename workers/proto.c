/*
 * proto.c - the backend codec (each message between medflagd and
 * medflag-worker parsed from and built into frames, with no socket
 * involved), the multipart frame helpers that move those frames, and
 * the verdict stamp (seq, latency_us and gen written by medflagd into a
 * worker's encoded verdict without decoding it). Not responsible for
 * what the messages make the programs do (dispatch.c, worker.c).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "proto.h"
#include "verdict.h"

/* Empty frames (the REQ-style delimiter of every check request) share
 * this instead of a malloc'd byte; no caller takes an empty frame. */
static char	s_empty[1];

int
mf_zsend(void *sock, const void *data, size_t len, int flags)
{
	int	rc;

	while ((rc = zmq_send(sock, data, len, flags)) < 0 && errno == EINTR)
		;
	return rc;
}

int
mf_zmsg_send(zmq_msg_t *m, void *sock, int flags)
{
	int	rc;

	while ((rc = zmq_msg_send(m, sock, flags)) < 0 && errno == EINTR)
		;
	return rc;
}

int
mf_zmsg_recv_more(zmq_msg_t *m, void *sock)
{
	int	rc;

	while ((rc = zmq_msg_recv(m, sock, 0)) < 0 && errno == EINTR)
		;
	return rc;
}

int
mf_frames_recv(void *sock, mf_frames_t *f, int flags)
{
	int	more;

	memset(f, 0, sizeof(*f));
	do {
		zmq_msg_t	m;
		int		rc;

		zmq_msg_init(&m);
		/* The rest of a message is there once its first frame is. */
		rc = f->n || f->extra ? mf_zmsg_recv_more(&m, sock) :
		    zmq_msg_recv(&m, sock, flags);
		if (rc < 0) {
			int	e = errno;

			zmq_msg_close(&m);
			mf_frames_free(f);
			errno = e;
			return -1;
		}
		if (f->n < MF_PROTO_MAX_FRAMES) {
			size_t	n = zmq_msg_size(&m);

			f->data[f->n] = n == 0 ? s_empty : malloc(n + 1);
			if (f->data[f->n] == NULL)
				f->extra++;
			else {
				if (n > 0) {
					memcpy(f->data[f->n], zmq_msg_data(&m),
					    n);
					((char *)f->data[f->n])[n] = '\0';
				}
				f->len[f->n++] = n;
			}
		} else
			f->extra++;
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	} while (more);
	return 0;
}

void
mf_frames_free(mf_frames_t *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->data[i] != s_empty)
			free(f->data[i]);
	f->n = 0;
	f->extra = 0;
}

int
mf_frames_is(const mf_frames_t *f, int i, const char *s)
{
	size_t	n = strlen(s);

	return i < f->n && f->len[i] == n && memcmp(f->data[i], s, n) == 0;
}

int
mf_frames_send(void *sock, int n, const void *const *data, const size_t *len,
    int flags)
{
	for (int i = 0; i < n; i++)
		if (mf_zsend(sock, data[i], len[i],
		    flags | (i + 1 < n ? ZMQ_SNDMORE : 0)) < 0)
			return -1;
	return 0;
}

static uint32_t
s_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
s_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Header of the object at 'p': its header size, payload bytes that follow
 * (for str/bin/ext) and child objects (arrays count 1 each, maps 2).
 * Returns 0 on a truncated header or the never-used byte 0xc1.
 */
static size_t
s_head(const uint8_t *p, size_t len, size_t *payload, uint64_t *children)
{
	uint8_t	b;

	*payload = 0;
	*children = 0;
	if (len < 1)
		return 0;
	b = p[0];
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 1;
	if ((b & 0xf0) == 0x80) {
		*children = 2u * (b & 0x0f);
		return 1;
	}
	if ((b & 0xf0) == 0x90) {
		*children = b & 0x0f;
		return 1;
	}
	if ((b & 0xe0) == 0xa0) {
		*payload = b & 0x1f;
		return 1;
	}
	switch (b) {
	case 0xcc: case 0xd0: return 2;
	case 0xcd: case 0xd1: return 3;
	case 0xca: case 0xce: case 0xd2: return 5;
	case 0xcb: case 0xcf: case 0xd3: return 9;
	case 0xd4: *payload = 1 + 1; return 1;
	case 0xd5: *payload = 2 + 1; return 1;
	case 0xd6: *payload = 4 + 1; return 1;
	case 0xd7: *payload = 8 + 1; return 1;
	case 0xd8: *payload = 16 + 1; return 1;
	case 0xc4: case 0xd9:
		if (len < 2) return 0;
		*payload = p[1];
		return 2;
	case 0xc5: case 0xda:
		if (len < 3) return 0;
		*payload = s_be16(p + 1);
		return 3;
	case 0xc6: case 0xdb:
		if (len < 5) return 0;
		*payload = s_be32(p + 1);
		return 5;
	case 0xc7:
		if (len < 2) return 0;
		*payload = (size_t)p[1] + 1;
		return 2;
	case 0xc8:
		if (len < 3) return 0;
		*payload = s_be16(p + 1) + 1;
		return 3;
	case 0xc9:
		if (len < 5) return 0;
		*payload = (size_t)s_be32(p + 1) + 1;
		return 5;
	case 0xdc:
		if (len < 3) return 0;
		*children = s_be16(p + 1);
		return 3;
	case 0xdd:
		if (len < 5) return 0;
		*children = s_be32(p + 1);
		return 5;
	case 0xde:
		if (len < 3) return 0;
		*children = 2u * s_be16(p + 1);
		return 3;
	case 0xdf:
		if (len < 5) return 0;
		*children = 2u * (uint64_t)s_be32(p + 1);
		return 5;
	}
	return 0;
}

size_t
mf_proto_mp_skip(const uint8_t *p, size_t len, int depth)
{
	size_t		h, payload, off;
	uint64_t	children;

	if (depth <= 0)
		return 0;
	h = s_head(p, len, &payload, &children);
	if (h == 0 || payload > len - h)
		return 0;
	off = h + payload;
	/* Every child takes at least one byte: a huge declared count fails
	 * on the bytes that remain before any loop runs long. */
	if (children > len - off)
		return 0;
	for (uint64_t i = 0; i < children; i++) {
		size_t	n = mf_proto_mp_skip(p + off, len - off, depth - 1);

		if (n == 0)
			return 0;
		off += n;
	}
	return off;
}

static int
s_put_u64(mf_buf_t *out, uint64_t v)
{
	uint8_t	b[9];

	b[0] = 0xcf;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (uint8_t)(v >> (56 - 8 * i));
	return mf_buf_append(out, b, sizeof(b));
}

static int
s_key_is(const uint8_t *p, size_t n, const char *k)
{
	size_t	kl = strlen(k);

	/* fixstr or str8 keys only; the stamp keys are short. */
	if (n == kl + 1 && (p[0] & 0xe0) == 0xa0 && (p[0] & 0x1f) == kl)
		return memcmp(p + 1, k, kl) == 0;
	if (n == kl + 2 && p[0] == 0xd9 && p[1] == kl)
		return memcmp(p + 2, k, kl) == 0;
	return 0;
}

/*
 * Appends the entry "flags" (key 'k' of 'kn' bytes, then an array of 'vn'
 * bytes) with "shadow" added, unless the array holds it already.
 */
static int
s_flags_shadow(const uint8_t *k, size_t kn, size_t vn, mf_buf_t *out)
{
	const uint8_t	*a = k + kn;
	size_t		 h, payload, off;
	uint64_t	 n;
	uint8_t		 hdr[5];

	h = s_head(a, vn, &payload, &n);
	if (h == 0 || payload != 0 || !((a[0] & 0xf0) == 0x90 ||
	    a[0] == 0xdc || a[0] == 0xdd) || n >= UINT32_MAX)
		return -1;
	for (off = h; off < vn; ) {
		size_t	en = mf_proto_mp_skip(a + off, vn - off, 2);

		if (en == 0)
			return -1;
		if (s_key_is(a + off, en, "shadow"))
			return mf_buf_append(out, k, kn + vn);
		off += en;
	}
	hdr[0] = 0xdd;
	hdr[1] = (uint8_t)((n + 1) >> 24);
	hdr[2] = (uint8_t)((n + 1) >> 16);
	hdr[3] = (uint8_t)((n + 1) >> 8);
	hdr[4] = (uint8_t)(n + 1);
	if (mf_buf_append(out, k, kn) != 0 || mf_buf_append(out, hdr, 5) ||
	    mf_buf_append(out, a + h, vn - h) != 0 ||
	    mf_buf_append(out, "\xa6" "shadow", 7) != 0)
		return -1;
	return 0;
}

int
mf_proto_stamp(const void *in, size_t len, uint64_t seq, uint64_t latency_us,
    uint64_t gen, int shadow, mf_buf_t *out)
{
	const uint8_t	*p = in;
	size_t		 h, payload, off, kept = 0, body_at;
	int		 flagged = 0;
	uint64_t	 children;
	uint8_t		 hdr[5];

	h = s_head(p, len, &payload, &children);
	if (h == 0 || payload != 0 || !(p[0] == 0xde || p[0] == 0xdf ||
	    (p[0] & 0xf0) == 0x80))
		return -1;
	mf_buf_reset(out);
	/* Reserve a map32 header; fill in the count at the end. */
	if (mf_buf_append(out, "\xdf\0\0\0\0", 5) != 0)
		return -1;
	body_at = out->len;
	(void)body_at;
	off = h;
	for (uint64_t i = 0; i < children / 2; i++) {
		size_t	kn, vn;

		kn = mf_proto_mp_skip(p + off, len - off, 2);
		if (kn == 0)
			return -1;
		vn = mf_proto_mp_skip(p + off + kn, len - off - kn, 32);
		if (vn == 0)
			return -1;
		if (shadow && s_key_is(p + off, kn, "flags")) {
			if (s_flags_shadow(p + off, kn, vn, out) != 0)
				return -1;
			kept++;
			flagged = 1;
		} else if (!s_key_is(p + off, kn, "seq") &&
		    !s_key_is(p + off, kn, "latency_us") &&
		    !(gen > 0 && s_key_is(p + off, kn, "gen"))) {
			if (mf_buf_append(out, p + off, kn + vn) != 0)
				return -1;
			kept++;
		}
		off += kn + vn;
	}
	if (shadow && !flagged) {
		if (mf_buf_append(out, "\xa5" "flags" "\x91\xa6" "shadow",
		    14) != 0)
			return -1;
		kept++;
	}
	if (mf_buf_append(out, "\xa3seq", 4) != 0 || s_put_u64(out, seq) ||
	    mf_buf_append(out, "\xaalatency_us", 11) != 0 ||
	    s_put_u64(out, latency_us))
		return -1;
	kept += 2;
	if (gen > 0) {
		if (mf_buf_append(out, "\xa3gen", 4) != 0 ||
		    s_put_u64(out, gen) != 0)
			return -1;
		kept++;
	}
	hdr[0] = 0xdf;
	hdr[1] = (uint8_t)(kept >> 24);
	hdr[2] = (uint8_t)(kept >> 16);
	hdr[3] = (uint8_t)(kept >> 8);
	hdr[4] = (uint8_t)kept;
	memcpy(out->data, hdr, 5);
	return 0;
}

/* Little-endian 32-bit lengths of the POSTS and VERDICTS indexes. */
static void
s_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
s_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* The string at 'p' (a msgpack str of any width, 'n' bytes taken):
 * its bytes in '*s' and '*slen', or -1 when it is not a string. */
static int
s_str_at(const uint8_t *p, size_t n, const uint8_t **s, size_t *slen)
{
	size_t		h, payload;
	uint64_t	children;

	if (n == 0 || !((p[0] & 0xe0) == 0xa0 || p[0] == 0xd9 ||
	    p[0] == 0xda || p[0] == 0xdb))
		return -1;
	h = s_head(p, n, &payload, &children);
	if (h == 0 || h + payload != n)
		return -1;
	*s = p + h;
	*slen = payload;
	return 0;
}

int
mf_proto_verdict_check(const void *verdict, size_t len, int *action,
    int *status, const uint8_t **post_id, size_t *idlen)
{
	const uint8_t	*p = verdict, *s;
	size_t		 h, payload, off, slen;
	uint64_t	 children;
	char		 name[16];
	int		 seen = 0;

	*post_id = NULL;
	*idlen = 0;
	if (len == 0 || mf_proto_mp_skip(p, len, 17) != len)
		return -1;
	h = s_head(p, len, &payload, &children);
	if (!(p[0] == 0xde || p[0] == 0xdf || (p[0] & 0xf0) == 0x80))
		return -1;
	off = h;
	for (uint64_t i = 0; i < children / 2; i++) {
		size_t	kn = mf_proto_mp_skip(p + off, len - off, 17);
		size_t	vn = mf_proto_mp_skip(p + off + kn, len - off - kn, 17);
		int	which = s_key_is(p + off, kn, "action") ? 1 :
			    s_key_is(p + off, kn, "status") ? 2 :
			    s_key_is(p + off, kn, "post_id") ? 3 : 0;

		if (which != 0) {
			if (seen & (1 << which) || s_str_at(p + off + kn, vn,
			    &s, &slen) != 0)
				return -1;	/* twice, or not a string */
			seen |= 1 << which;
			if (which == 3) {
				*post_id = s;
				*idlen = slen;
			} else {
				mf_action_t	a;
				mf_status_t	st;

				if (slen >= sizeof(name))
					return -1;
				memcpy(name, s, slen);
				name[slen] = '\0';
				if (which == 1 &&
				    mf_action_parse(name, &a) == 0)
					*action = (int)a;
				else if (which == 2 &&
				    mf_status_parse(name, &st) == 0)
					*status = (int)st;
				else
					return -1;
			}
		}
		off += kn + vn;
	}
	return (seen & 0x6) == 0x6 ? 0 : -1;
}

/* ---- the backend codec ------------------------------------------------ */

/*
 * One row per message: its name, its direction and how many frames it
 * takes (the name included). The per-message readers below check each
 * frame's size and value; nothing here reads past a frame's length.
 */
static const struct s_kind {
	mf_proto_type_t	 type;
	const char	*name;
	int		 up;		/* sent by the worker */
	int		 min, max;	/* frames, the name included */
} s_kinds[] = {
	{ MF_PROTO_T_READY,	 MF_PROTO_READY,	1, 5, 7 },
	{ MF_PROTO_T_HB,	 MF_PROTO_HB,		1, 5, 7 },
	{ MF_PROTO_T_VERDICT,	 MF_PROTO_VERDICT,	1, 4, 4 },
	{ MF_PROTO_T_VERDICTS,	 MF_PROTO_VERDICTS,	1, 3, 3 },
	{ MF_PROTO_T_RELOADED,	 MF_PROTO_RELOADED,	1, 2, 3 },
	{ MF_PROTO_T_RELOADFAIL, MF_PROTO_RELOADFAIL,	1, 2, 3 },
	{ MF_PROTO_T_BYE,	 MF_PROTO_BYE,		1, 1, 1 },
	{ MF_PROTO_T_POST,	 MF_PROTO_POST,		0, 3, 3 },
	{ MF_PROTO_T_POSTS,	 MF_PROTO_POSTS,	0, 3, 3 },
	{ MF_PROTO_T_HB_BROKER,	 MF_PROTO_HB,		0, 1, 1 },
	{ MF_PROTO_T_RELOAD,	 MF_PROTO_RELOAD,	0, 1, 3 },
	{ MF_PROTO_T_EXIT,	 MF_PROTO_EXIT,		0, 1, 1 },
	{ MF_PROTO_T_RESET,	 MF_PROTO_RESET,	0, 1, 1 },
};
#define S_NKINDS	(sizeof(s_kinds) / sizeof(s_kinds[0]))

static const struct s_kind *
s_kind(mf_proto_type_t t)
{
	for (size_t i = 0; i < S_NKINDS; i++)
		if (s_kinds[i].type == t)
			return &s_kinds[i];
	return NULL;
}

const char *
mf_proto_name(mf_proto_type_t t)
{
	const struct s_kind	*k = s_kind(t);

	return k ? k->name : "?";
}

mf_proto_str_t
mf_proto_str(const char *s)
{
	mf_proto_str_t	r = { s, strlen(s) };

	return r;
}

/* Frame 'i' of a message being parsed. */
typedef struct s_in {
	const void *const	*data;
	const size_t		*len;
	int			 n;
	const char		*name;
} s_in_t;

static mf_proto_str_t
s_frame(const s_in_t *in, int i)
{
	mf_proto_str_t	r = { "", 0 };

	if (i < in->n && in->len[i] > 0) {
		r.s = in->data[i];
		r.len = in->len[i];
	}
	return r;
}

/* A name (host, ruleset, sources version): at most MF_PROTO_NAME_MAX. */
static int
s_get_name(const s_in_t *in, int i, const char *what, mf_proto_str_t *out,
    mf_err_t *err)
{
	*out = s_frame(in, i);
	if (out->len > MF_PROTO_NAME_MAX)
		return mf_err_set(err, MF_ELIMIT, in->name, "frame %d (%s): "
		    "%zu bytes, more than %d", i, what, out->len,
		    MF_PROTO_NAME_MAX);
	return 0;
}

/* A decimal number in lo..hi (lo >= 0): digits only, no sign, no
 * leading zero, no silent 0 for what strtoll cannot read. */
static int
s_get_num(const s_in_t *in, int i, const char *what, long long lo,
    long long hi, long long *out, mf_err_t *err)
{
	mf_proto_str_t	 f = s_frame(in, i);
	char		 buf[24], *end;
	long long	 v;
	int		 ok = f.len > 0 && f.len < sizeof(buf) &&
			    (f.s[0] != '0' || f.len == 1);

	for (size_t k = 0; ok && k < f.len; k++)
		ok = f.s[k] >= '0' && f.s[k] <= '9';
	if (ok) {
		memcpy(buf, f.s, f.len);
		buf[f.len] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		ok = errno == 0 && end == buf + f.len && v >= lo && v <= hi;
	}
	if (!ok)
		return mf_err_set(err, MF_EFIELD, in->name, "frame %d (%s): "
		    "not a decimal number in %lld..%lld", i, what, lo, hi);
	*out = v;
	return 0;
}

static int
s_get_fixed(const s_in_t *in, int i, const char *what, size_t want,
    mf_err_t *err)
{
	if (in->len[i] != want)
		return mf_err_set(err, MF_ELIMIT, in->name, "frame %d (%s): "
		    "%zu bytes, not %zu", i, what, in->len[i], want);
	return 0;
}

static int
s_parse_ready(const s_in_t *in, mf_proto_ready_t *r, mf_err_t *err)
{
	long long	v;

	if (s_get_num(in, 1, "credit", 1, INT32_MAX, &v, err) != 0)
		return -1;
	r->credit = (int)v;
	if (s_get_num(in, 2, "pid", 1, INT32_MAX, &v, err) != 0)
		return -1;
	r->pid = (long)v;
	if (s_get_name(in, 3, "host", &r->host, err) != 0 ||
	    s_get_name(in, 4, "ruleset", &r->ruleset, err) != 0)
		return -1;
	r->batch = 0;
	r->maxmsg = MF_PROTO_MAX_SOCKET_MSG;
	if (in->n > 5) {
		if (s_get_num(in, 5, "batch", 0, INT32_MAX, &v, err) != 0)
			return -1;
		r->batch = (int)v;
	}
	if (in->n > 6) {
		if (s_get_num(in, 6, "maxmsg", 1, INT64_MAX, &v, err) != 0)
			return -1;
		r->maxmsg = v;
	}
	return 0;
}

static int
s_parse_hb(const s_in_t *in, mf_proto_hb_t *h, mf_err_t *err)
{
	mf_proto_str_t	stale = s_frame(in, 3);

	if (s_get_name(in, 1, "ruleset", &h->ruleset, err) != 0 ||
	    s_get_name(in, 2, "sources_version", &h->sources_version,
	    err) != 0)
		return -1;
	if (stale.len != 1 || (stale.s[0] != '0' && stale.s[0] != '1'))
		return mf_err_set(err, MF_EFIELD, in->name, "frame 3 "
		    "(stale): not \"0\" or \"1\"");
	h->stale = stale.s[0] == '1';
	h->auto_shadowed = s_frame(in, 4);
	h->rule_hits = s_frame(in, 5);
	h->demoted = s_frame(in, 6);
	return 0;
}

/* POST or VERDICT: did(8) [meta(3)] data. */
static int
s_parse_item(const s_in_t *in, int meta, mf_proto_item_t *it, mf_err_t *err)
{
	if (s_get_fixed(in, 1, "did", 8, err) != 0 ||
	    (meta && s_get_fixed(in, 2, "meta", 3, err) != 0))
		return -1;
	memcpy(&it->did, in->data[1], 8);
	memset(it->meta, 0, sizeof(it->meta));
	if (meta)
		memcpy(it->meta, in->data[2], 3);
	it->data = s_frame(in, in->n - 1).s;
	it->len = in->len[in->n - 1];
	return 0;
}

/*
 * POSTS or VERDICTS: index, then the bytes. The whole index is checked
 * against the bytes before any item is taken: its lengths add up to the
 * last frame exactly, or the message is refused.
 */
static int
s_parse_batch(const s_in_t *in, int meta, mf_proto_batch_t *b,
    mf_err_t *err)
{
	size_t		 ent = meta ? MF_PROTO_VERDICTS_ENT :
			    MF_PROTO_POSTS_ENT;
	size_t		 ixlen = in->len[1], blen = in->len[2], off = 0;
	const uint8_t	*ix = in->data[1];
	const uint8_t	*body = (const uint8_t *)s_frame(in, 2).s;

	if (ixlen == 0 || ixlen % ent != 0 ||
	    ixlen / ent > MF_PROTO_BATCH_MAX)
		return mf_err_set(err, MF_ELIMIT, in->name, "frame 1 (index):"
		    " %zu bytes, not 1 to %d entries of %zu", ixlen,
		    MF_PROTO_BATCH_MAX, ent);
	b->n = ixlen / ent;
	for (size_t k = 0; k < b->n; k++, ix += ent) {
		mf_proto_item_t	*it = &b->v[k];

		it->len = s_le32(ix + ent - 4);
		if (it->len > blen - off)
			return mf_err_set(err, MF_ELIMIT, in->name, "entry %zu "
			    "of the index: %zu bytes past the %zu of frame 2",
			    k, it->len, blen);
		memcpy(&it->did, ix, 8);
		memset(it->meta, 0, sizeof(it->meta));
		if (meta)
			memcpy(it->meta, ix + 8, 3);
		it->data = body + off;
		off += it->len;
	}
	if (off != blen)
		return mf_err_set(err, MF_ELIMIT, in->name, "frame 2: %zu "
		    "bytes, but the index accounts for %zu", blen, off);
	return 0;
}

/*
 * RELOAD [gen hash], RELOADED [gen] hash, RELOADFAIL [gen] why: the
 * generation is there when the message has its every frame, and is
 * 1..INT64_MAX then (an older peer's form, without it, reads as gen 0).
 */
static int
s_parse_reload(const s_in_t *in, mf_proto_type_t t, mf_proto_reload_t *r,
    mf_err_t *err)
{
	int		full = in->n == 3, at;
	long long	v;

	memset(r, 0, sizeof(*r));
	if (t == MF_PROTO_T_RELOAD && in->n == 2)
		return mf_err_set(err, MF_EWIRE, in->name, "2 frames, not 1 "
		    "or 3");
	if (full) {
		if (s_get_num(in, 1, "gen", 1, INT64_MAX, &v, err) != 0)
			return -1;
		r->gen = (uint64_t)v;
	}
	at = full ? 2 : 1;
	if (t == MF_PROTO_T_RELOADFAIL) {
		r->why = s_frame(in, at);
		return 0;
	}
	if (in->n == 1)
		return 0;	/* an older medflagd's RELOAD */
	if (s_get_name(in, at, "hash", &r->hash, err) != 0)
		return -1;
	if (full && r->hash.len == 0)
		return mf_err_set(err, MF_EFIELD, in->name, "frame 2 (hash): "
		    "empty");
	return 0;
}

static int
s_parse(int up, const void *const *data, const size_t *len, int n,
    mf_proto_msg_t *m, mf_err_t *err)
{
	const struct s_kind	*k = NULL;
	s_in_t			 in = { data, len, n, "" };

	if (n < 1)
		return mf_err_set(err, MF_EWIRE, "", "no frames");
	for (size_t i = 0; i < S_NKINDS; i++)
		if (s_kinds[i].up == up &&
		    len[0] == strlen(s_kinds[i].name) &&
		    memcmp(data[0], s_kinds[i].name, len[0]) == 0)
			k = &s_kinds[i];
	if (k == NULL)
		return mf_err_set(err, MF_EWIRE, "", "unknown message for %s",
		    up ? "medflagd" : "a worker");
	in.name = k->name;
	if (n < k->min || n > k->max)
		return mf_err_set(err, MF_EWIRE, k->name, "%d frames, not "
		    "%d to %d", n, k->min, k->max);
	m->type = k->type;
	switch (k->type) {
	case MF_PROTO_T_READY:
		return s_parse_ready(&in, &m->u.ready, err);
	case MF_PROTO_T_HB:
		return s_parse_hb(&in, &m->u.hb, err);
	case MF_PROTO_T_VERDICT:
	case MF_PROTO_T_POST:
		return s_parse_item(&in, k->type == MF_PROTO_T_VERDICT,
		    &m->u.item, err);
	case MF_PROTO_T_VERDICTS:
	case MF_PROTO_T_POSTS:
		return s_parse_batch(&in, k->type == MF_PROTO_T_VERDICTS,
		    &m->u.batch, err);
	case MF_PROTO_T_RELOAD:
	case MF_PROTO_T_RELOADED:
	case MF_PROTO_T_RELOADFAIL:
		return s_parse_reload(&in, k->type, &m->u.reload, err);
	default:
		return 0;
	}
}

int
mf_proto_parse_up(const void *const *data, const size_t *len, int n,
    mf_proto_msg_t *m, mf_err_t *err)
{
	return s_parse(1, data, len, n, m, err);
}

int
mf_proto_parse_down(const void *const *data, const size_t *len, int n,
    mf_proto_msg_t *m, mf_err_t *err)
{
	return s_parse(0, data, len, n, m, err);
}

int
mf_frames_parse(const mf_frames_t *f, int first, int up, mf_proto_msg_t *m,
    mf_err_t *err)
{
	if (f->extra > 0)
		return mf_err_set(err, MF_ELIMIT, "", "more than %d frames",
		    MF_PROTO_MAX_FRAMES - first);
	if (first >= f->n)
		return mf_err_set(err, MF_EWIRE, "", "no frames");
	return s_parse(up, (const void *const *)f->data + first, f->len +
	    first, f->n - first, m, err);
}

/* ---- building --------------------------------------------------------- */

static void
s_put(mf_proto_out_t *o, const void *data, size_t len)
{
	o->data[o->n] = data;
	o->len[o->n++] = len;
}

static int
s_put_name(mf_proto_out_t *o, const char *msg, const char *what,
    mf_proto_str_t s, mf_err_t *err)
{
	if (s.len > MF_PROTO_NAME_MAX)
		return mf_err_set(err, MF_ELIMIT, msg, "%s: %zu bytes, more "
		    "than %d", what, s.len, MF_PROTO_NAME_MAX);
	s_put(o, s.len ? s.s : "", s.len);
	return 0;
}

static int
s_put_num(mf_proto_out_t *o, int slot, const char *msg, const char *what,
    long long v, long long lo, long long hi, mf_err_t *err)
{
	if (v < lo || v > hi)
		return mf_err_set(err, MF_EFIELD, msg, "%s: %lld, not in "
		    "%lld..%lld", what, v, lo, hi);
	snprintf(o->num[slot], sizeof(o->num[slot]), "%lld", v);
	s_put(o, o->num[slot], strlen(o->num[slot]));
	return 0;
}

/* RELOAD, RELOADED, RELOADFAIL (see s_parse_reload): with 'gen' 0 the
 * older form, without a generation, so what parses builds back. */
static int
s_build_reload(const mf_proto_reload_t *r, mf_proto_type_t t,
    mf_proto_out_t *o, const char *msg, mf_err_t *err)
{
	long long	gen = r->gen > INT64_MAX ? -1 : (long long)r->gen;

	if (r->gen > 0 && s_put_num(o, 0, msg, "gen", gen, 1, INT64_MAX,
	    err) != 0)
		return -1;
	if (t == MF_PROTO_T_RELOADFAIL) {
		s_put(o, r->why.len ? r->why.s : "", r->why.len);
		return 0;
	}
	if (t == MF_PROTO_T_RELOAD && r->gen == 0)
		return 0;
	if (r->gen > 0 && r->hash.len == 0)
		return mf_err_set(err, MF_EFIELD, msg, "hash: empty");
	return s_put_name(o, msg, "hash", r->hash, err);
}

/* The index and the bytes of a batch (see mf_proto_batch_t). */
static int
s_build_batch(const mf_proto_batch_t *b, int meta, mf_proto_out_t *o,
    const char *msg, mf_err_t *err)
{
	size_t		 ent = meta ? MF_PROTO_VERDICTS_ENT :
			    MF_PROTO_POSTS_ENT, total = 0;
	uintptr_t	 next;

	if (b->n < 1 || b->n > MF_PROTO_BATCH_MAX)
		return mf_err_set(err, MF_ELIMIT, msg, "%zu items, not 1 to "
		    "%d", b->n, MF_PROTO_BATCH_MAX);
	next = (uintptr_t)b->v[0].data;
	for (size_t k = 0; k < b->n; k++) {
		const mf_proto_item_t	*it = &b->v[k];
		uint8_t			*ix = o->idx + k * ent;

		if ((uintptr_t)it->data != next || it->len > UINT32_MAX)
			return mf_err_set(err, MF_ELIMIT, msg, "item %zu: not "
			    "right after the one before, or over 4 GiB", k);
		memcpy(ix, &it->did, 8);
		if (meta)
			memcpy(ix + 8, it->meta, 3);
		s_put_le32(ix + ent - 4, (uint32_t)it->len);
		next += it->len;
		total += it->len;
	}
	s_put(o, o->idx, b->n * ent);
	s_put(o, b->v[0].data, total);
	return 0;
}

int
mf_proto_build(const mf_proto_msg_t *m, mf_proto_out_t *o, mf_err_t *err)
{
	const struct s_kind	*k = s_kind(m->type);
	const char		*name;
	int			 rc = 0;

	o->n = 0;
	if (k == NULL)
		return mf_err_set(err, MF_EINVAL, "", "no message of type %d",
		    (int)m->type);
	name = k->name;
	s_put(o, name, strlen(name));
	switch (m->type) {
	case MF_PROTO_T_READY: {
		const mf_proto_ready_t	*r = &m->u.ready;

		if (s_put_num(o, 0, name, "credit", r->credit, 1, INT32_MAX,
		    err) != 0 || s_put_num(o, 1, name, "pid", r->pid, 1,
		    INT32_MAX, err) != 0 || s_put_name(o, name, "host",
		    r->host, err) != 0 || s_put_name(o, name, "ruleset",
		    r->ruleset, err) != 0 || s_put_num(o, 2, name, "batch",
		    r->batch, 0, INT32_MAX, err) != 0 || s_put_num(o, 3, name,
		    "maxmsg", r->maxmsg, 1, INT64_MAX, err) != 0)
			return -1;
		break;
	}
	case MF_PROTO_T_HB: {
		const mf_proto_hb_t	*h = &m->u.hb;

		if (s_put_name(o, name, "ruleset", h->ruleset, err) != 0 ||
		    s_put_name(o, name, "sources_version",
		    h->sources_version, err) != 0)
			return -1;
		s_put(o, h->stale ? "1" : "0", 1);
		s_put(o, h->auto_shadowed.len ? h->auto_shadowed.s : "",
		    h->auto_shadowed.len);
		s_put(o, h->rule_hits.len ? h->rule_hits.s : "",
		    h->rule_hits.len);
		s_put(o, h->demoted.len ? h->demoted.s : "", h->demoted.len);
		break;
	}
	case MF_PROTO_T_VERDICT:
	case MF_PROTO_T_POST:
		memcpy(o->fixed, &m->u.item.did, 8);
		s_put(o, o->fixed, 8);
		if (m->type == MF_PROTO_T_VERDICT) {
			memcpy(o->fixed + 8, m->u.item.meta, 3);
			s_put(o, o->fixed + 8, 3);
		}
		s_put(o, m->u.item.data, m->u.item.len);
		break;
	case MF_PROTO_T_VERDICTS:
	case MF_PROTO_T_POSTS:
		rc = s_build_batch(&m->u.batch, m->type == MF_PROTO_T_VERDICTS,
		    o, name, err);
		break;
	case MF_PROTO_T_RELOAD:
	case MF_PROTO_T_RELOADED:
	case MF_PROTO_T_RELOADFAIL:
		rc = s_build_reload(&m->u.reload, m->type, o, name, err);
		break;
	default:
		break;
	}
	return rc;
}

int
mf_proto_send(void *sock, const void *ident, size_t identlen,
    const mf_proto_out_t *o, zmq_msg_t *last, int flags)
{
	int	n = last != NULL ? o->n - 1 : o->n;

	if (ident != NULL && mf_zsend(sock, ident, identlen, flags |
	    ZMQ_SNDMORE) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (mf_zsend(sock, o->data[i], o->len[i], flags |
		    (i + 1 < o->n ? ZMQ_SNDMORE : 0)) < 0)
			return -1;
	if (last != NULL && mf_zmsg_send(last, sock, flags) < 0)
		return -1;
	return 0;
}
