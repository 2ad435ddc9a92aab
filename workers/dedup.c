/*
 * dedup.c - medflagd's table of recent verdicts (see dedup.h). The
 * dispatcher (dispatch_core.c) uses it: a post arriving on ingest or
 * check is looked up before it is queued; a known one is answered (done)
 * or attached (in flight); the verdict of a new one is stored when it
 * comes back. No I/O but reading the key from /dev/urandom once.
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dedup.h"

#define S_HTCAP_MIN	((size_t)1 << 10)
#define S_HTCAP_MAX	((size_t)1 << 26)
/* Freed records kept for reuse with their verdict buffer (at steady
 * state every new post evicts the oldest record). */
#define S_SPARE_MAX	1024
#define S_SPARE_BYTES	4096

/* ---- SipHash-2-4 ------------------------------------------------------ */

#define S_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define S_ROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = S_ROTL(v1, 13); v1 ^= v0; v0 = S_ROTL(v0, 32);	\
	v2 += v3; v3 = S_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = S_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = S_ROTL(v1, 17); v1 ^= v2; v2 = S_ROTL(v2, 32);	\
} while (0)

typedef struct s_sip {
	uint64_t	v0, v1, v2, v3;
	uint64_t	tail;
	size_t		ntail, total;
} s_sip_t;

static void
s_sip_init(s_sip_t *s, uint64_t k0, uint64_t k1)
{
	s->v0 = 0x736f6d6570736575ULL ^ k0;
	s->v1 = 0x646f72616e646f6dULL ^ k1;
	s->v2 = 0x6c7967656e657261ULL ^ k0;
	s->v3 = 0x7465646279746573ULL ^ k1;
	s->v1 ^= 0xee;		/* the 128-bit variant */
	s->tail = 0;
	s->ntail = s->total = 0;
}

static void
s_sip_word(s_sip_t *s, uint64_t m)
{
	s->v3 ^= m;
	S_ROUND(s->v0, s->v1, s->v2, s->v3);
	S_ROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= m;
}

static void
s_sip_byte(s_sip_t *s, uint8_t c)
{
	s->tail |= (uint64_t)c << (8 * s->ntail);
	if (++s->ntail == 8) {
		s_sip_word(s, s->tail);
		s->tail = 0;
		s->ntail = 0;
	}
}

/* Little-endian load; compilers make it one instruction. */
static uint64_t
s_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

/* Whole words go in one step (the same words the byte loop would build):
 * every post is hashed twice on medflagd's hot path. */
static void
s_sip_add(s_sip_t *s, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 i = 0;

	while (i < len && s->ntail != 0)
		s_sip_byte(s, p[i++]);
	for (; len - i >= 8; i += 8)
		s_sip_word(s, s_le64(p + i));
	while (i < len)
		s_sip_byte(s, p[i++]);
	s->total += len;
}

/* SipHash-2-4 with its 128-bit output: one pass gives both halves of
 * the key (two 64-bit SipHashes under two keys hashed every post twice). */
static void
s_sip_end128(s_sip_t *s, uint64_t out[2])
{
	s_sip_word(s, s->tail | (uint64_t)(s->total & 0xff) << 56);
	s->v2 ^= 0xee;
	for (int i = 0; i < 4; i++)
		S_ROUND(s->v0, s->v1, s->v2, s->v3);
	out[0] = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
	s->v1 ^= 0xdd;
	for (int i = 0; i < 4; i++)
		S_ROUND(s->v0, s->v1, s->v2, s->v3);
	out[1] = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* ---- the table -------------------------------------------------------- */

int
mf_dedup_init(mf_dedup_t *self, int window_s, size_t max_entries,
    size_t max_bytes)
{
	int	fd;

	memset(self, 0, sizeof(*self));
	self->window_s = window_s;
	self->max_entries = max_entries;
	self->max_bytes = max_bytes;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		(void)!read(fd, self->sipkey, sizeof(self->sipkey));
		close(fd);
	}
	self->sipkey[0] ^= (uint64_t)mf_now_us();
	self->sipkey[3] ^= (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	if (window_s <= 0)
		return 0;
	/* Chains of one or two: twice the bound in buckets, in limits. */
	self->htcap = S_HTCAP_MIN;
	while (self->htcap < S_HTCAP_MAX && self->htcap / 2 < max_entries)
		self->htcap *= 2;
	self->ht = calloc(self->htcap, sizeof(*self->ht));
	return self->ht == NULL ? -1 : 0;
}

static void
s_rec_free(mf_drec_t *r)
{
	mf_dedup_clear_waiters(r);
	free(r->verdict);
	free(r);
}

/* Keeps 'r' for mf_dedup_begin when there is room, else frees it. */
static void
s_rec_release(mf_dedup_t *self, mf_drec_t *r)
{
	if (self->nspare >= S_SPARE_MAX || r->cap > S_SPARE_BYTES) {
		s_rec_free(r);
		return;
	}
	mf_dedup_clear_waiters(r);
	r->hnext = self->spare;
	self->spare = r;
	self->nspare++;
}

void
mf_dedup_free(mf_dedup_t *self)
{
	for (size_t i = 0; i < self->htcap; i++) {
		mf_drec_t	*r = self->ht[i], *next;

		for (; r != NULL; r = next) {
			next = r->hnext;
			s_rec_free(r);
		}
	}
	while (self->spare != NULL) {
		mf_drec_t	*r = self->spare;

		self->spare = r->hnext;
		s_rec_free(r);
	}
	self->nspare = 0;
	free(self->ht);
	self->ht = NULL;
	self->htcap = self->n = self->ndone = self->bytes = 0;
}

/* One field into the key: its tag, its length, its bytes (absent fields
 * are left out, so "" and none differ). */
static void
s_key_field(s_sip_t *a, uint8_t tag, const void *v, size_t n)
{
	uint64_t	len = n;

	if (v == NULL)
		return;
	s_sip_add(a, &tag, 1);
	s_sip_add(a, &len, sizeof(len));
	s_sip_add(a, v, n);
}

int
mf_dedup_key(const mf_dedup_t *self, const mf_post_t *p, uint64_t key[2])
{
	s_sip_t		a;
	uint8_t		fmt = (uint8_t)p->body_format;
	uint8_t		rev = (uint8_t)p->revision_is_int;
	int64_t		dl = p->deadline_ms;

	if (p->post_id == NULL)
		return -1;
	/* What the verdict depends on or echoes, as decoded: the same
	 * values the worker judges, whatever their msgpack encoding. */
	s_sip_init(&a, self->sipkey[0], self->sipkey[1]);
	s_key_field(&a, 0, p->instance, p->instance ?
	    strlen(p->instance) : 0);
	s_key_field(&a, 1, p->post_id, strlen(p->post_id));
	s_key_field(&a, 2, p->revision, p->revision ?
	    strlen(p->revision) : 0);
	s_key_field(&a, 3, &rev, 1);
	s_key_field(&a, 4, p->body, p->body_len);
	s_key_field(&a, 5, &fmt, 1);
	s_key_field(&a, 6, p->lang, p->lang ? strlen(p->lang) : 0);
	s_key_field(&a, 7, &dl, sizeof(dl));
	s_key_field(&a, 8, p->ext.len ? p->ext.data : NULL, p->ext.len);
	s_key_field(&a, 9, p->title, p->title ? strlen(p->title) : 0);
	s_sip_end128(&a, key);
	return 0;
}

static size_t
s_slot(const mf_dedup_t *self, const uint64_t key[2])
{
	return (size_t)key[0] & (self->htcap - 1);
}

static void
s_unlink_done(mf_dedup_t *self, mf_drec_t *r)
{
	if (r->older != NULL)
		r->older->newer = r->newer;
	else
		self->oldest = r->newer;
	if (r->newer != NULL)
		r->newer->older = r->older;
	else
		self->newest = r->older;
	r->older = r->newer = NULL;
	self->ndone--;
	self->bytes -= r->len;
}

static void
s_remove(mf_dedup_t *self, mf_drec_t *r)
{
	mf_drec_t	**pp = &self->ht[s_slot(self, r->k)];

	while (*pp != NULL && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp == r)
		*pp = r->hnext;
	if (r->done)
		s_unlink_done(self, r);
	self->n--;
	s_rec_release(self, r);
}

mf_drec_t *
mf_dedup_find(mf_dedup_t *self, const uint64_t key[2], int64_t now_ms)
{
	mf_drec_t	*r;

	if (self->ht == NULL)
		return NULL;
	for (r = self->ht[s_slot(self, key)]; r != NULL; r = r->hnext)
		if (r->k[0] == key[0] && r->k[1] == key[1])
			break;
	if (r != NULL && r->done &&
	    now_ms - r->t_ms > (int64_t)self->window_s * 1000) {
		self->expired++;
		s_remove(self, r);
		return NULL;
	}
	return r;
}

mf_drec_t *
mf_dedup_begin(mf_dedup_t *self, const uint64_t key[2])
{
	mf_drec_t	*r;
	size_t		 i;

	if (self->ht == NULL)
		return NULL;
	if ((r = self->spare) != NULL) {
		void	*v = r->verdict;
		size_t	 cap = r->cap;

		self->spare = r->hnext;
		self->nspare--;
		memset(r, 0, sizeof(*r));
		r->verdict = v;
		r->cap = cap;
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->k[0] = key[0];
	r->k[1] = key[1];
	i = s_slot(self, key);
	r->hnext = self->ht[i];
	self->ht[i] = r;
	self->n++;
	return r;
}

int
mf_dedup_wait(mf_dedup_t *self, mf_drec_t *r, const void *ident,
    size_t identlen, int from_check)
{
	mf_dwait_t	*w;

	if (r->nwait >= MF_DEDUP_MAX_WAITERS) {
		self->refused++;
		return -1;
	}
	w = realloc(r->wait, (r->nwait + 1) * sizeof(*w));
	if (w == NULL)
		return -1;
	r->wait = w;
	w = &r->wait[r->nwait];
	w->ident = NULL;
	w->identlen = identlen;
	w->from_check = from_check;
	if (identlen > 0) {
		if ((w->ident = malloc(identlen)) == NULL)
			return -1;
		memcpy(w->ident, ident, identlen);
	}
	r->nwait++;
	self->waited++;
	return 0;
}

void
mf_dedup_clear_waiters(mf_drec_t *r)
{
	for (size_t i = 0; i < r->nwait; i++)
		free(r->wait[i].ident);
	free(r->wait);
	r->wait = NULL;
	r->nwait = 0;
}

void
mf_dedup_abandon(mf_dedup_t *self, mf_drec_t *r)
{
	if (r != NULL && !r->done)
		s_remove(self, r);
}

void
mf_dedup_drop(mf_dedup_t *self, mf_drec_t *r)
{
	if (r != NULL)
		s_remove(self, r);
}

void
mf_dedup_trim(mf_dedup_t *self, int64_t now_ms)
{
	while (self->oldest != NULL &&
	    now_ms - self->oldest->t_ms > (int64_t)self->window_s * 1000) {
		self->expired++;
		s_remove(self, self->oldest);
	}
	while (self->oldest != NULL && (self->ndone > self->max_entries ||
	    self->bytes > self->max_bytes)) {
		self->evicted++;
		s_remove(self, self->oldest);
	}
}

int
mf_dedup_finish(mf_dedup_t *self, mf_drec_t *r, const void *verdict,
    size_t len, int action, int status, unsigned meta, int64_t now_ms)
{
	if (r->done)
		return 0;
	if (r->cap < len || r->verdict == NULL) {
		void	*v = malloc(len ? len : 1);

		if (v == NULL) {
			s_remove(self, r);
			return -1;
		}
		free(r->verdict);
		r->verdict = v;
		r->cap = len ? len : 1;
	}
	memcpy(r->verdict, verdict, len);
	r->len = len;
	r->action = action;
	r->status = status;
	r->meta = meta;
	r->t_ms = now_ms;
	r->done = 1;
	r->older = self->newest;
	r->newer = NULL;
	if (self->newest != NULL)
		self->newest->newer = r;
	else
		self->oldest = r;
	self->newest = r;
	self->ndone++;
	self->bytes += len;
	return 0;
}
