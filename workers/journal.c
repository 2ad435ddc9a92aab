/*
 * journal.c - medflagd's verdict journal writer: a thread that appends
 * published verdicts to the Redis stream (mf_store_journal_append) so that
 * dispatch never waits on Redis.
 *
 * The queue between the main loop and the thread is bounded: while Redis
 * is down verdicts wait in it (a failed append is retried on the next
 * connection); when it is full, a verdict is not journalled and the skip
 * is counted (stats: journal_skipped) and its seq kept as a gap that
 * `replay` reports, never hidden. The thread
 * reconnects with backoff (100 ms doubling to 5 s).
 *
 * At rest a verdict keeps less than on the wire: the links of a post are
 * journalled as their host only (docs/protocol.md: no text of a post
 * reaches Redis, and a path or query string is text), and a verdict over
 * S_ENTRY_MAX without its ext. The stream is bounded by entries
 * (journal_max) and by bytes (journal_max_mb): streamwin.c counts the
 * bytes of the newest entries, so that each XADD trims it to as many
 * entries as fit.
 *
 * The queue lives in medflagd, so a SIGKILL takes what it holds: with
 * Redis frozen for seconds that was every verdict of those seconds,
 * published but never journalled, out of reach of a subscriber's
 * catch-up. Each verdict queued is therefore also appended to a spool, a
 * shared memory object (shm_open: RAM, never disk, mode 0600) that
 * outlives the process; it is emptied whenever the queue is (everything
 * in it is in Redis), so it holds about what the queue holds. The next
 * medflagd on the same endpoints queues what it finds there, with its
 * seq, ahead of its own verdicts; what had landed all the same is
 * dropped as after any reconnect (s_drop_landed). A clean stop that
 * wrote everything removes the spool. One write(2) per verdict, into
 * memory: the appends to Redis stay batched and pipelined.
 * SPDX-License-Identifier: MIT
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "store.h"
#include "streamwin.h"

#define S_RING		65536
#define S_BATCH		256
#define S_GATHER_US	2000
/* A journalled verdict bigger than this loses its ext (flag ext_dropped):
 * verdicts are about 1 KiB, and 100 posts with a 900 KB ext added 92 MB
 * to Redis and made one replay page 90 MB. */
#define S_ENTRY_MAX	(16 * 1024)
/* What Redis adds to each entry besides the verdict (ID, "seq", "v"). */
#define S_ENTRY_COST	48
/* The spool: this magic, then records of seq (u64), length (u32), both
 * little-endian, and the verdict as published. Bounded like the queue
 * (S_RING verdicts of up to a few KiB); beyond it a verdict is queued
 * but not spooled. */
#define S_SPOOL_MAGIC	"MFSPOOL1"
#define S_SPOOL_HEAD	8
#define S_SPOOL_REC	12
#define S_SPOOL_MAX	((uint64_t)512 << 20)

/*
 * The at-rest form of the verdict in 'm' (replaced in place): links cut
 * to their host, ext dropped from a verdict over S_ENTRY_MAX. A verdict
 * without a url or ext to cut is kept as it is, undecoded. -1 when it
 * cannot be made so (undecodable, or out of memory): it is not
 * journalled.
 */
int
mf_journal_at_rest(zmq_msg_t *m)
{
	const void	*data = zmq_msg_data(m);
	size_t		 len = zmq_msg_size(m);
	mf_verdict_t	*v;
	mf_buf_t	 out = { 0 };
	mf_err_t	 err;
	int		 rc = -1;

	if (len <= S_ENTRY_MAX && memmem(data, len, "\xa3url", 4) == NULL)
		return 0;
	if ((v = mf_wire_decode_verdict(data, len, &err)) == NULL)
		return -1;
	if (mf_verdict_links_to_hosts(v) != 0 ||
	    mf_wire_encode_verdict(v, &out, &err) != 0)
		goto out;
	if (out.len > S_ENTRY_MAX && v->ext.len > 0) {
		mf_free(v->ext.data);
		v->ext = (mf_raw_t){ NULL, 0 };
		v->flags |= MF_VF_EXT_DROPPED;
		out.len = 0;
		if (mf_wire_encode_verdict(v, &out, &err) != 0)
			goto out;
	}
	zmq_msg_close(m);
	if (zmq_msg_init_size(m, out.len) != 0) {
		zmq_msg_init(m);
		goto out;
	}
	memcpy(zmq_msg_data(m), out.data, out.len);
	rc = 0;
out:
	mf_buf_free(&out);
	mf_verdict_destroy(&v);
	return rc;
}

static void
s_sleep_ms(mf_journal_t *j, int ms)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mu);
	if (!j->stop)
		pthread_cond_timedwait(&j->cv, &j->mu, &ts);
	pthread_mutex_unlock(&j->mu);
}

/* ---- the spool ---------------------------------------------------------- */

/* Stops spooling after a failed write (under mu); s_push warns. */
static void
s_spool_fail(mf_journal_t *j)
{
	close(j->spool);
	j->spool = -1;
	j->spool_failed = 1;
}

/* Empties the spool (under mu): all it held is in Redis. 'spool_bytes'
 * is 0 until the first reset, so that one always truncates. */
static void
s_spool_reset(mf_journal_t *j)
{
	if (j->spool < 0 || j->spool_bytes == S_SPOOL_HEAD)
		return;
	if (ftruncate(j->spool, 0) != 0 ||
	    lseek(j->spool, 0, SEEK_SET) != 0 ||
	    write(j->spool, S_SPOOL_MAGIC, S_SPOOL_HEAD) != S_SPOOL_HEAD) {
		s_spool_fail(j);
		return;
	}
	j->spool_bytes = S_SPOOL_HEAD;
}

/* Appends one queued verdict to the spool (under mu). */
static void
s_spool_add(mf_journal_t *j, uint64_t seq, const zmq_msg_t *m)
{
	unsigned char	 h[S_SPOOL_REC];
	struct iovec	 iov[2];
	size_t		 len = zmq_msg_size((zmq_msg_t *)m);

	if (j->spool < 0 ||
	    j->spool_bytes + S_SPOOL_REC + len > S_SPOOL_MAX)
		return;
	for (int i = 0; i < 8; i++)
		h[i] = (unsigned char)(seq >> (8 * i));
	for (int i = 0; i < 4; i++)
		h[8 + i] = (unsigned char)((uint64_t)len >> (8 * i));
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ zmq_msg_data((zmq_msg_t *)m), len };
	if (writev(j->spool, iov, 2) != (ssize_t)(S_SPOOL_REC + len)) {
		s_spool_fail(j);
		return;
	}
	j->spool_bytes += S_SPOOL_REC + len;
}

/*
 * Opens the spool 'name' and queues what a killed run left in it, oldest
 * first, up to the first record that is cut short, out of order or
 * larger than a message may be (a run killed in mid-write). Before the
 * thread starts. The records queued stay in the spool until written.
 */
static void
s_spool_open(mf_journal_t *j, const char *name)
{
	struct stat	 sb;
	unsigned char	*p = MAP_FAILED;
	size_t		 size = 0, off = S_SPOOL_HEAD;
	int		 fd;

	fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		mf_log_warn("journal spool %s: cannot open; verdicts waiting "
		    "for Redis are lost if medflagd is killed", name);
		return;
	}
	snprintf(j->spool_name, sizeof(j->spool_name), "%s", name);
	j->spool = fd;
	if (fstat(fd, &sb) == 0 && sb.st_size > S_SPOOL_HEAD) {
		size = (size_t)sb.st_size;
		p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	}
	if (p != MAP_FAILED && memcmp(p, S_SPOOL_MAGIC, S_SPOOL_HEAD) == 0) {
		while (off + S_SPOOL_REC <= size && j->len < j->cap) {
			uint64_t	 seq = 0, len = 0;
			mf_jitem_t	*it;

			for (int i = 7; i >= 0; i--)
				seq = seq << 8 | p[off + i];
			for (int i = 3; i >= 0; i--)
				len = len << 8 | p[off + 8 + i];
			if (len > (uint64_t)MF_PROTO_MAX_SOCKET_MSG ||
			    off + S_SPOOL_REC + len > size ||
			    (j->recovered > 0 && seq <= j->recovered_last))
				break;
			it = &j->ring[j->len];
			if (zmq_msg_init_size(&it->msg, len) != 0)
				break;
			memcpy(zmq_msg_data(&it->msg), p + off + S_SPOOL_REC,
			    len);
			it->seq = seq;
			j->len++;
			if (j->recovered++ == 0)
				j->recovered_from = seq;
			j->recovered_last = seq;
			off += S_SPOOL_REC + len;
		}
	}
	if (p != MAP_FAILED)
		munmap(p, size);
	if (off < size && j->len == j->cap)
		mf_log_warnx("journal spool %s: %llu bytes beyond the %zu "
		    "verdicts the queue holds not journalled", name,
		    (unsigned long long)(size - off), j->cap);
	/* Appends go after what was queued again. */
	if (j->recovered == 0)
		s_spool_reset(j);
	else if (ftruncate(fd, (off_t)off) != 0 ||
	    lseek(fd, (off_t)off, SEEK_SET) != (off_t)off)
		s_spool_fail(j);
	else
		j->spool_bytes = off;
	if (j->recovered > 0)
		mf_log_info("journal: %zu verdict%s a stopped medflagd had not "
		    "journalled (seq %llu to %llu) queued again from spool %s",
		    j->recovered, j->recovered == 1 ? "" : "s",
		    (unsigned long long)j->recovered_from,
		    (unsigned long long)j->recovered_last, name);
}

/* ---- the queue ------------------------------------------------------------ */

/* Records 'seq' as never journalled (called under mu). */
static void
s_gap(mf_journal_t *j, uint64_t seq)
{
	size_t	last;

	j->skipped++;
	if (j->ngaps > 0) {
		last = (j->gapnext + MF_JOURNAL_GAPS - 1) % MF_JOURNAL_GAPS;
		if (j->gaps[last][1] + 1 == seq) {
			j->gaps[last][1] = seq;
			return;
		}
	}
	j->gaps[j->gapnext][0] = j->gaps[j->gapnext][1] = seq;
	j->gapnext = (j->gapnext + 1) % MF_JOURNAL_GAPS;
	if (j->ngaps < MF_JOURNAL_GAPS)
		j->ngaps++;
}

/* Puts back at the front of the ring what a failed append left
 * unwritten (under mu); what no longer fits is a gap. */
static void
s_unshift(mf_journal_t *j, mf_jitem_t *items, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (j->len < j->cap) {
			j->head = (j->head + j->cap - 1) % j->cap;
			j->ring[j->head] = items[i];
			j->len++;
		} else {
			s_gap(j, items[i].seq);
			zmq_msg_close(&items[i].msg);
		}
	}
}

/*
 * After a reconnect: appends that timed out on the old connection may have
 * landed all the same (Redis was frozen, not gone). seq only grows and
 * Redis applies one connection's commands in order, so whatever is queued
 * with a seq up to the newest journalled one is already there: drop it
 * rather than write it twice.
 */
static void
s_drop_landed(mf_journal_t *j, mf_store_t *st)
{
	uint64_t	last = 0;

	if (mf_store_journal_last(st, &last) != 0 || last == 0)
		return;
	pthread_mutex_lock(&j->mu);
	if (last < (j->recovered > 0 ? j->recovered_from : j->first_seq)) {
		/* The newest entry is an older run's (this run could not
		 * continue its numbering), older than what the spool gave
		 * back: nothing of ours landed yet. */
		pthread_mutex_unlock(&j->mu);
		return;
	}
	while (j->len > 0 && j->ring[j->head].seq <= last) {
		zmq_msg_close(&j->ring[j->head].msg);
		j->head = (j->head + 1) % j->cap;
		j->len--;
		j->written++;
	}
	if (j->len == 0)
		s_spool_reset(j);
	pthread_mutex_unlock(&j->mu);
}

/* Writes the rule hits gathered since the last time (taken out of the
 * journal under mu, so the main loop never waits on Redis); on failure
 * they go back for the next connection. */
static void
s_flush_hits(mf_journal_t *j, mf_store_t **st)
{
	mf_rulehits_t	h;

	pthread_mutex_lock(&j->mu);
	if (!j->hits_dirty) {
		pthread_mutex_unlock(&j->mu);
		return;
	}
	h = j->hits;
	memset(&j->hits, 0, sizeof(j->hits));
	j->hits_dirty = 0;
	pthread_mutex_unlock(&j->mu);
	if (mf_store_rule_hits_add(*st, &h) != 0) {
		mf_log_warnx("redis: rule hits: %s; reconnecting",
		    mf_store_error(*st));
		mf_store_destroy(st);
		pthread_mutex_lock(&j->mu);
		(void)mf_rulehits_merge(&j->hits, &h);
		j->hits_dirty = 1;
		pthread_mutex_unlock(&j->mu);
	}
	mf_rulehits_free(&h);
}

void
mf_journal_rule_hits(mf_journal_t *j, const mf_rulehits_t *h)
{
	if (!j->started)
		return;
	pthread_mutex_lock(&j->mu);
	/* An id the table cannot take was counted by the caller already. */
	(void)mf_rulehits_merge(&j->hits, h);
	if (!j->hits_dirty && j->hits.len > 0) {
		j->hits_dirty = 1;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
}

static void *
s_main(void *arg)
{
	mf_journal_t	*j = arg;
	mf_store_t	*st = NULL;
	int		 backoff = 0;
	mf_jitem_t	 batch[S_BATCH];
	char		 err[256];
	mf_streamwin_t	 win = { NULL, 0, 0, 0, 0, 0, 0, 0 };
	int		 seeded = 0;

	win.max_bytes = (uint64_t)j->cfg->journal_max_mb << 20;
	win.max_n = (uint64_t)j->cfg->journal_max;

	for (;;) {
		size_t	n = 0;
		int	stop;

		if (st == NULL) {
			st = mf_store_connect(j->cfg, j->cfg->redis_timeout_ms,
			    err, sizeof(err));
			pthread_mutex_lock(&j->mu);
			j->redis_up = st != NULL;
			stop = j->stop;
			pthread_mutex_unlock(&j->mu);
			if (st == NULL) {
				backoff = backoff ? backoff * 2 : 100;
				if (backoff > 5000)
					backoff = 5000;
				if (backoff == 100 || backoff == 5000)
					mf_log_warnx("redis: %s; journal "
					    "paused, retrying in %d ms", err,
					    backoff);
				if (stop)
					break;
				s_sleep_ms(j, backoff);
				continue;
			}
			if (backoff)
				mf_log_info("redis: connected to %s; journal "
				    "resumed", mf_store_name(st));
			s_drop_landed(j, st);
			backoff = 0;
			/* What earlier runs left counts against the bound:
			 * once, at the first connection. */
			if (!seeded) {
				uint64_t	had = 0, bytes = 0;

				if (mf_store_journal_size(st, &had, &bytes) ==
				    0) {
					seeded = 1;
					if (had > 0)
						mf_streamwin_push(&win,
						    bytes / had, had);
				}
			}
		}
		pthread_mutex_lock(&j->mu);
		while (j->len == 0 && !j->hits_dirty && !j->stop)
			pthread_cond_wait(&j->cv, &j->mu);
		while (n < S_BATCH && j->len > 0) {
			batch[n++] = j->ring[j->head];
			j->head = (j->head + 1) % j->cap;
			j->len--;
		}
		stop = j->stop;
		pthread_mutex_unlock(&j->mu);
		if (n > 0) {
			uint64_t	 seqs[S_BATCH];
			const void	*msgs[S_BATCH];
			size_t		 lens[S_BATCH], done = 0, kept = 0;
			int		 ok;

			/* At rest form; what cannot take it is a gap. */
			for (size_t i = 0; i < n; i++) {
				if (mf_journal_at_rest(&batch[i].msg) != 0) {
					pthread_mutex_lock(&j->mu);
					s_gap(j, batch[i].seq);
					pthread_mutex_unlock(&j->mu);
					zmq_msg_close(&batch[i].msg);
					continue;
				}
				batch[kept++] = batch[i];
			}
			n = kept;
			/* One pipelined round trip for the whole batch,
			 * trimmed to the entries that fit the bounds. */
			for (size_t i = 0; i < n; i++) {
				seqs[i] = batch[i].seq;
				msgs[i] = zmq_msg_data(&batch[i].msg);
				lens[i] = zmq_msg_size(&batch[i].msg);
				mf_streamwin_push(&win, lens[i] + S_ENTRY_COST,
				    1);
			}
			ok = n == 0 || (st != NULL &&
			    mf_store_journal_append_many(st, n, seqs, msgs,
			    lens, (size_t)win.count, &done) == 0);
			if (!ok && st != NULL) {
				mf_log_warnx("redis: journal: %s; reconnecting",
				    mf_store_error(st));
				mf_store_destroy(&st);
			}
			for (size_t i = 0; i < done; i++)
				zmq_msg_close(&batch[i].msg);
			pthread_mutex_lock(&j->mu);
			j->written += done;
			if (done == n && j->len == 0)
				s_spool_reset(j);
			/* What was not written waits for the next connection
			 * (an append that timed out may still land: replay
			 * readers drop a repeated seq); at stop it is a gap. */
			if (done < n && !stop)
				s_unshift(j, batch + done, n - done);
			else
				for (size_t i = done; i < n; i++) {
					s_gap(j, batch[i].seq);
					zmq_msg_close(&batch[i].msg);
				}
			j->redis_up = st != NULL;
			pthread_mutex_unlock(&j->mu);
			/* A short batch: let verdicts gather for a moment
			 * rather than wake for each one (every wakeup costs
			 * medflagd and redis a context switch; the journal may
			 * lag by S_GATHER_US). */
			if (n < S_BATCH && !stop) {
				struct timespec	ts = { 0, S_GATHER_US * 1000L };

				nanosleep(&ts, NULL);
			}
		}
		if (st != NULL)
			s_flush_hits(j, &st);
		if (stop && n == 0)
			break;
	}
	mf_store_destroy(&st);
	mf_streamwin_free(&win);
	return NULL;
}

int
mf_journal_start(mf_journal_t *j, const mf_config_t *cfg, const char *spool)
{
	memset(j, 0, sizeof(*j));
	j->cfg = cfg;
	j->cap = S_RING;
	j->spool = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (cfg->journal_max <= 0)
		return 0;
	j->ring = calloc(j->cap, sizeof(*j->ring));
	if (j->ring == NULL)
		return -1;
	if (spool != NULL)
		s_spool_open(j, spool);
	if (pthread_create(&j->thread, NULL, s_main, j) != 0) {
		for (size_t i = 0; i < j->len; i++)
			zmq_msg_close(&j->ring[i].msg);
		free(j->ring);
		j->ring = NULL;
		return -1;
	}
	j->started = 1;
	return 0;
}

/* Queues 'm' (taken on success, closed on failure). */
static void
s_push(mf_journal_t *j, uint64_t seq, zmq_msg_t *m, int ok)
{
	mf_jitem_t	*it;

	pthread_mutex_lock(&j->mu);
	j->last_seq = seq;
	if (!ok || j->len == j->cap) {
		s_gap(j, seq);
		pthread_mutex_unlock(&j->mu);
		zmq_msg_close(m);
		return;
	}
	it = &j->ring[(j->head + j->len) % j->cap];
	it->seq = seq;
	/* zmq_msg_move needs an initialised destination. */
	zmq_msg_init(&it->msg);
	(void)zmq_msg_move(&it->msg, m);
	s_spool_add(j, seq, &it->msg);
	/* The thread waits only on an empty queue: wake it once per batch. */
	if (j->len++ == 0)
		pthread_cond_signal(&j->cv);
	if (j->spool_failed == 1) {
		j->spool_failed = 2;
		mf_log_warn("journal spool %s: cannot write; verdicts waiting "
		    "for Redis are lost if medflagd is killed", j->spool_name);
	}
	pthread_mutex_unlock(&j->mu);
	zmq_msg_close(m);
}

void
mf_journal_push(mf_journal_t *j, uint64_t seq, const void *msg, size_t len)
{
	zmq_msg_t	m;
	int		ok;

	if (!j->started)
		return;
	ok = zmq_msg_init_size(&m, len) == 0;
	if (ok)
		memcpy(zmq_msg_data(&m), msg, len);
	else
		zmq_msg_init(&m);
	s_push(j, seq, &m, ok);
}

void
mf_journal_push_msg(mf_journal_t *j, uint64_t seq, zmq_msg_t *msg)
{
	zmq_msg_t	m;
	int		ok;

	if (!j->started)
		return;
	zmq_msg_init(&m);
	ok = zmq_msg_copy(&m, msg) == 0;
	s_push(j, seq, &m, ok);
}

/* Stops the thread. With Redis up it writes what is queued first, for at
 * most about 'flush_ms'; whatever is left is counted skipped. */
void
mf_journal_stop(mf_journal_t *j, int flush_ms)
{
	int64_t	deadline = mf_now_ms() + flush_ms;

	if (!j->started)
		return;
	for (;;) {
		size_t	left;
		int	up;

		pthread_mutex_lock(&j->mu);
		left = j->len;
		up = j->redis_up;
		pthread_mutex_unlock(&j->mu);
		if (left == 0 || !up || mf_now_ms() >= deadline)
			break;
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&j->mu);
	while (j->len > 0) {
		s_gap(j, j->ring[j->head].seq);
		zmq_msg_close(&j->ring[j->head].msg);
		j->head = (j->head + 1) % j->cap;
		j->len--;
	}
	j->stop = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	/* The thread's last batch is written or not by now. All written:
	 * the spool is empty and goes. Else it keeps the rest for the next
	 * start (counted skipped for this run all the same). */
	if (j->spool >= 0) {
		if (j->spool_bytes == S_SPOOL_HEAD)
			(void)shm_unlink(j->spool_name);
		else
			mf_log_warnx("journal: what Redis did not take waits "
			    "in spool %s (%llu bytes); the next start "
			    "journals it", j->spool_name,
			    (unsigned long long)j->spool_bytes);
		close(j->spool);
		j->spool = -1;
	}
	j->started = 0;
	mf_rulehits_free(&j->hits);
	free(j->ring);
	j->ring = NULL;
}

void
mf_journal_status(mf_journal_t *j, int *up, uint64_t *written,
    uint64_t *skipped, size_t *queued)
{
	pthread_mutex_lock(&j->mu);
	*up = j->redis_up;
	*written = j->written;
	*skipped = j->skipped;
	*queued = j->len;
	pthread_mutex_unlock(&j->mu);
}

size_t
mf_journal_gaps(mf_journal_t *j, uint64_t since, uint64_t (*out)[2],
    size_t cap)
{
	size_t	n = 0;

	pthread_mutex_lock(&j->mu);
	for (size_t k = 0; k < j->ngaps && n < cap; k++) {
		size_t	i = (j->gapnext + MF_JOURNAL_GAPS - j->ngaps + k) %
		    MF_JOURNAL_GAPS;

		if (j->gaps[i][1] >= since) {
			out[n][0] = j->gaps[i][0];
			out[n][1] = j->gaps[i][1];
			n++;
		}
	}
	pthread_mutex_unlock(&j->mu);
	return n;
}
