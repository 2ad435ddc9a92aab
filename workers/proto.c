/*
 * proto.c - multipart frame helpers and the verdict stamp (seq and
 * latency_us written by medflagd into a worker's encoded verdict without
 * decoding it).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
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
    int shadow, mf_buf_t *out)
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
		    !s_key_is(p + off, kn, "latency_us")) {
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
	hdr[0] = 0xdf;
	hdr[1] = (uint8_t)(kept >> 24);
	hdr[2] = (uint8_t)(kept >> 16);
	hdr[3] = (uint8_t)(kept >> 8);
	hdr[4] = (uint8_t)kept;
	memcpy(out->data, hdr, 5);
	return 0;
}

void
mf_proto_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t
mf_proto_le32(const uint8_t *p)
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
