/*
 * scan.c - `medflag scan`: JSON Lines posts on stdin, one verdict as JSON
 * per line on stdout, in order. A line that is not a post still gets an
 * error verdict (with its line number), never a crash or a gap.
 *
 * Lines are read in batches: what stdin holds, and what comes within a
 * millisecond after (at most S_BATCH_LINES lines or S_BATCH_BYTES, and
 * for at most S_WAIT_MS), so a producer that sends one post and waits
 * gets its verdict at once, and a file or a fast pipe is read in big
 * pieces.
 * The next batch is read in a thread of its own while the jobs judge
 * this one.
 * A batch is cut into chunks of S_CHUNK lines; each of --jobs threads (one
 * scanner each; the rule set is shared) takes the next chunk left until
 * none is, and writes its verdicts into that chunk's buffer; the buffers
 * are written in order, so the verdicts keep the order of the input
 * whatever the number of jobs. Taking chunks rather than a fixed share
 * matters on a busy machine: a thread the kernel sets aside for a few
 * milliseconds no longer keeps the others waiting at the end of a batch
 * (two fixed halves made --jobs 2 slower than one job at a load of 4). --stats adds up, per job, where the time goes and which
 * rules run (mf_scan_stats_t) and prints it after the verdicts.
 *
 * Not responsible for judging (match.c) nor for the JSON codec (wire_json.c).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "prefilter.h"

#define S_BATCH_LINES	4096
#define S_CHUNK		64	/* lines a thread takes at a time */
#define S_NCHUNKS	(S_BATCH_LINES / S_CHUNK)
#define S_BATCH_BYTES	(1u << 20)
#define S_READ		(256u << 10)
#define S_WAIT_MS	20	/* the most a line waits for its batch */
#define S_MAX_JOBS	256
#define S_TOP_RULES	10

typedef struct s_line {
	size_t	off, len, lineno;
} s_line_t;

/* The verdicts of one chunk of a batch. 'failed' is the line whose
 * verdict could not be written (0: none); the chunk stops there, and the
 * output after it, as the single-threaded loop did. */
typedef struct s_chunk {
	mf_buf_t	 out;
	size_t		 failed;
	char		 msg[512];
} s_chunk_t;

/* A batch, shared by the jobs: they take its chunks in turn. */
typedef struct s_batch {
	const char		*text;
	const s_line_t		*lines;
	size_t			 n, nchunks;
	mf_verdict_t		**table;	/* --table: kept per line */
	s_chunk_t		*chunks;	/* S_NCHUNKS */
	atomic_size_t		 next;
} s_batch_t;

/* One job: its scanner, statistics and scratch. */
typedef struct s_job {
	const mf_ruleset_t	*rs;
	const mf_sources_t	*src;
	mf_scanner_t		*sc;
	s_batch_t		*b;
	mf_buf_t		 one;	/* a verdict */
	int			 stats;
	mf_scan_stats_t		 st;
	uint64_t		 ns_decode, ns_encode;
	pthread_t		 tid;
} s_job_t;

/* An error verdict for a line that did not decode. */
static mf_verdict_t *
s_bad_line(const char *line, size_t len, size_t lineno, const mf_err_t *err)
{
	char		 id[256];
	mf_verdict_t	*v;

	v = mf_verdict_new(mf_wire_peek_post_id_json(line, len, id,
	    sizeof(id)) == 0 ? id : NULL);
	if (v)
		mf_verdict_set_error(v, MF_STATUS_ERROR, "line %zu: %s",
		    lineno, err->msg);
	return v;
}

/* A line over MF_WIRE_MAX_MSG: the error verdict medflagd would give. */
static mf_verdict_t *
s_too_big(const char *line, size_t len)
{
	char	id[256];

	return mf_cli_too_big(mf_wire_peek_post_id_json(line, len, id,
	    sizeof(id)) == 0 ? id : NULL);
}

/* The verdict of one line; NULL only when memory runs out. */
static mf_verdict_t *
s_judge(s_job_t *j, const char *line, size_t n, size_t lineno)
{
	mf_err_t	 err = {0};
	mf_post_t	*post = NULL;
	mf_verdict_t	*v = NULL;
	int64_t		 t0 = j->stats ? mf_now_ns() : 0;

	if (n > MF_WIRE_MAX_MSG)
		v = s_too_big(line, n);
	else if ((post = mf_wire_decode_post_json(line, n, &err)) == NULL)
		v = s_bad_line(line, n, lineno, &err);
	if (j->stats)
		j->ns_decode += (uint64_t)(mf_now_ns() - t0);
	if (post == NULL)
		return v;
	if (mf_cli_post_too_big(post) != 0)
		v = mf_cli_too_big(post->post_id);
	else if (mf_scan(j->sc, j->rs, j->src, post, 0, &v, &err) == -1)
		v = NULL;
	mf_post_destroy(&post);
	return v;
}

/* One past the last line of chunk 'c' of the batch. */
static size_t
s_chunk_end(const s_batch_t *b, size_t c)
{
	return (c + 1) * S_CHUNK < b->n ? (c + 1) * S_CHUNK : b->n;
}

/* Judges the lines of chunk 'c' of the batch into its buffer. */
static void
s_chunk_run(s_job_t *j, size_t c)
{
	s_batch_t	*b = j->b;
	s_chunk_t	*ch = &b->chunks[c];
	size_t		 end = s_chunk_end(b, c);

	mf_buf_reset(&ch->out);
	ch->failed = 0;
	for (size_t i = c * S_CHUNK; i < end; i++) {
		const s_line_t	*l = &b->lines[i];
		mf_err_t	 err = {0};
		mf_verdict_t	*v = s_judge(j, b->text + l->off, l->len,
				    l->lineno);
		int64_t		 t0;

		if (v && b->table) {
			b->table[i] = v;
			continue;
		}
		t0 = j->stats ? mf_now_ns() : 0;
		if (v == NULL || mf_wire_encode_verdict_json(v, &j->one,
		    &err) == -1 || mf_buf_append(&ch->out, j->one.data,
		    j->one.len) == -1 || mf_buf_append(&ch->out, "\n", 1) ==
		    -1) {
			ch->failed = l->lineno;
			snprintf(ch->msg, sizeof(ch->msg), "%s", err.msg[0] ?
			    err.msg : "out of memory");
			mf_verdict_destroy(&v);
			break;
		}
		if (j->stats)
			j->ns_encode += (uint64_t)(mf_now_ns() - t0);
		mf_verdict_destroy(&v);
	}
}

static void *
s_job_run(void *arg)
{
	s_job_t	*j = arg;
	size_t	 c;

	while ((c = atomic_fetch_add(&j->b->next, 1)) < j->b->nchunks)
		s_chunk_run(j, c);
	return NULL;
}

/*
 * The input, read with read(2) so that what is buffered is known. Two
 * buffers: the jobs judge the lines of b[cur] while the next batch is
 * read into the other; 'used' bytes of b[cur] were handed out, the rest
 * (a line not yet whole) starts the next batch.
 */
typedef struct s_in {
	mf_buf_t	b[2];
	int		cur;
	size_t		used, lineno;
	int		eof;
} s_in_t;

/* The reading of the next batch, in a thread of its own. */
typedef struct s_reader {
	s_in_t		*in;
	s_line_t	*lines;
	ssize_t		 n;
	pthread_t	 tid;
} s_reader_t;

/* 1 if stdin has bytes ready (or is at its end) within 'ms'. */
static int
s_ready(int ms)
{
	struct pollfd p = { 0, POLLIN, 0 };

	return poll(&p, 1, ms) > 0;
}

/* The next batch of lines into 'lines' (room for S_BATCH_LINES), read
 * into the buffer the jobs are not using, which becomes b[cur]; how
 * many, 0 at the end, -1 on a read error (said on stderr). Each line is
 * NUL-terminated in place, without its "\n" or "\r\n". */
static ssize_t
s_batch(s_in_t *in, s_line_t *lines)
{
	mf_buf_t	*old = &in->b[in->cur], *b = &in->b[!in->cur];
	size_t		 n = 0, at, nl = 0;
	int		 have = 0;	/* a whole line is buffered */
	int64_t		 first = 0;	/* when it was */

	mf_buf_reset(b);
	if (old->len > in->used && mf_buf_append(b, old->data + in->used,
	    old->len - in->used) == -1) {
		fprintf(stderr, "medflag scan: out of memory\n");
		return -1;
	}
	in->cur = !in->cur;
	in->used = 0;
	while (!in->eof) {
		ssize_t r;

		if (!have && b->len > nl &&
		    memchr(b->data + nl, '\n', b->len - nl) != NULL) {
			have = 1;
			first = mf_now_ns();
		}
		/* A pipe is refilled in pieces of 64 KiB: wait a little
		 * for the next one, so that the jobs get batches worth
		 * sharing, but a post that waits for its verdict gets it
		 * within S_WAIT_MS. */
		if (have && (b->len >= S_BATCH_BYTES || mf_now_ns() - first >
		    S_WAIT_MS * 1000000LL || !s_ready(1)))
			break;
		nl = b->len;
		if (mf_buf_reserve(b, S_READ) == -1) {
			fprintf(stderr, "medflag scan: out of memory\n");
			return -1;
		}
		if ((r = read(0, b->data + b->len, S_READ)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "medflag scan: stdin: %s\n",
			    strerror(errno));
			return -1;
		}
		if (r == 0)
			in->eof = 1;
		b->len += (size_t)r;
	}
	for (at = 0; at < b->len && n < S_BATCH_LINES; ) {
		char	*s = b->data + at;
		char	*e = memchr(s, '\n', b->len - at);
		size_t	 len;

		if (e == NULL && !in->eof)
			break;
		len = e ? (size_t)(e - s) : b->len - at;
		at += len + (e != NULL);
		in->lineno++;
		s[len] = '\0';
		while (len > 0 && s[len - 1] == '\r')
			s[--len] = '\0';
		if (len == 0)
			continue;
		lines[n].off = (size_t)(s - b->data);
		lines[n].len = len;
		lines[n].lineno = in->lineno;
		n++;
	}
	in->used = at;
	return (ssize_t)n;
}

/* The rules in order of a per-rule figure, the largest first: their
 * runs, or their time when 'ns' is set. */
typedef struct s_by {
	const size_t	*runs;
	const uint64_t	*ns;
} s_by_t;

static int
s_cmp_by(const void *a, const void *b, void *arg)
{
	const s_by_t	*by = arg;
	size_t		 i = *(const size_t *)a, j = *(const size_t *)b;
	uint64_t	 x = by->ns ? by->ns[i] : by->runs[i];
	uint64_t	 y = by->ns ? by->ns[j] : by->runs[j];

	if (x != y)
		return x < y ? 1 : -1;
	return i < j ? -1 : 1;
}

/* One line of the time split: 'ns' of 'total'. */
static void
s_split(FILE *fp, const char *what, uint64_t ns, uint64_t total,
    size_t posts)
{
	fprintf(fp, "    %-16s %9.1f ms %5.1f %%  %7.2f us/post\n", what,
	    (double)ns / 1e6, total ? 100.0 * (double)ns / (double)total : 0,
	    posts ? (double)ns / 1e3 / (double)posts : 0);
}

/* --stats: what the run cost and which rules ran on the most posts. */
static int
s_print_stats(FILE *fp, const mf_ruleset_t *rs, const s_job_t *sum,
    size_t njobs, double wall)
{
	const mf_scan_stats_t	*st = &sum->st;
	const mf_prefilter_t	*pf = mf_ruleset_prefilter(rs);
	size_t			 nr = mf_ruleset_size(rs), *ix;
	uint64_t		 total;
	mf_buf_t		 lits = {0};
	double			 n = st->posts ? (double)st->posts : 1;

	total = sum->ns_decode + st->ns_normalize + st->ns_litscan +
	    st->ns_pcre + st->ns_model + st->ns_other + sum->ns_encode;
	fprintf(fp, "medflag scan: %zu posts judged, %zu rules, %zu job%s, "
	    "%.3f s, %.0f posts/s\n", st->posts, nr, njobs, njobs > 1 ?
	    "s" : "", wall, wall > 0 ? (double)st->posts / wall : 0);
	fprintf(fp, "  rules run per post   %9.2f (by PCRE2)\n",
	    (double)st->rules_run / n);
	fprintf(fp, "  prefilter pass rate  %9.2f %% (%.2f of %zu rules per "
	    "post)\n", st->rules ? 100.0 * (double)st->candidates /
	    (double)st->rules : 0, (double)st->candidates / n, nr);
	fprintf(fp, "  time, all jobs     %9.1f ms\n", (double)total / 1e6);
	s_split(fp, "JSON decode", sum->ns_decode, total, st->posts);
	s_split(fp, "normalize", st->ns_normalize, total, st->posts);
	s_split(fp, "literal scan", st->ns_litscan, total, st->posts);
	s_split(fp, "PCRE2 (rules)", st->ns_pcre, total, st->posts);
	s_split(fp, "model", st->ns_model, total, st->posts);
	s_split(fp, "context, sources", st->ns_other, total, st->posts);
	s_split(fp, "verdict encode", sum->ns_encode, total, st->posts);
	if (st->runs == NULL || nr == 0)
		return 0;
	if ((ix = malloc(nr * sizeof(*ix))) == NULL)
		return -1;
	for (size_t i = 0; i < nr; i++)
		ix[i] = i;
	qsort_r(ix, nr, sizeof(*ix), s_cmp_by, &(s_by_t){ st->runs, NULL });
	fprintf(fp, "  rules run on the most posts (share of posts, rule, "
	    "the literals it needs: one of each part, rarest first):\n");
	for (size_t k = 0; k < nr && k < S_TOP_RULES && st->runs[ix[k]];
	    k++) {
		const char	*why = NULL;

		mf_buf_reset(&lits);
		if (mf_prefilter_rule_always(pf, ix[k], &why) ||
		    mf_prefilter_rule_lits(pf, ix[k], &lits) == -1 ||
		    lits.len == 0)
			fprintf(fp, "    %5.1f %%  %s  always: %s\n", 100.0 *
			    (double)st->runs[ix[k]] / n,
			    mf_ruleset_rule(rs, ix[k])->id, why ? why :
			    "no prefilter");
		else
			fprintf(fp, "    %5.1f %%  %s  %s\n", 100.0 *
			    (double)st->runs[ix[k]] / n,
			    mf_ruleset_rule(rs, ix[k])->id, lits.data);
	}
	mf_buf_free(&lits);
	/* A rule that runs on few posts can still cost the most: a pattern
	 * that backtracks over a long post. */
	if (st->ns != NULL) {
		qsort_r(ix, nr, sizeof(*ix), s_cmp_by,
		    &(s_by_t){ st->runs, st->ns });
		fprintf(fp, "  rules that took the most time (share of PCRE2's "
		    "time, rule, runs, us per run):\n");
		for (size_t k = 0; k < nr && k < S_TOP_RULES && st->ns[ix[k]];
		    k++)
			fprintf(fp, "    %5.1f %%  %s  %zu runs  %.2f us\n",
			    st->ns_pcre ? 100.0 * (double)st->ns[ix[k]] /
			    (double)st->ns_pcre : 0,
			    mf_ruleset_rule(rs, ix[k])->id, st->runs[ix[k]],
			    st->runs[ix[k]] ? (double)st->ns[ix[k]] / 1e3 /
			    (double)st->runs[ix[k]] : 0);
	}
	free(ix);
	return 0;
}

static void *
s_read_run(void *arg)
{
	s_reader_t	*rd = arg;

	rd->n = s_batch(rd->in, rd->lines);
	return NULL;
}

/* Judges one batch of 'n' lines with up to 'njobs' jobs and writes the
 * verdicts in order. 0, or -1 after a line whose verdict could not be
 * written. */
static int
s_run_batch(s_job_t *jobs, size_t njobs, s_batch_t *b, size_t n, int quiet)
{
	size_t	use;
	int	rc = 0;

	b->n = n;
	b->nchunks = (n + S_CHUNK - 1) / S_CHUNK;
	atomic_store(&b->next, 0);
	use = njobs < b->nchunks ? njobs : b->nchunks;
	/* The other jobs in threads; one whose thread cannot start leaves
	 * its chunks to the others. */
	for (size_t k = 1; k < use; k++)
		if (pthread_create(&jobs[k].tid, NULL, s_job_run, &jobs[k]) != 0)
			jobs[k].tid = pthread_self();
	s_job_run(&jobs[0]);
	for (size_t k = 1; k < use; k++)
		if (!pthread_equal(jobs[k].tid, pthread_self()))
			pthread_join(jobs[k].tid, NULL);
	for (size_t c = 0; c < b->nchunks && rc == 0; c++) {
		s_chunk_t	*ch = &b->chunks[c];
		size_t		 end = s_chunk_end(b, c);

		if (!quiet)
			fwrite(ch->out.data, 1, ch->out.len, stdout);
		for (size_t i = c * S_CHUNK; b->table && i < end; i++) {
			if (b->table[i] == NULL) {
				ch->failed = b->lines[i].lineno;
				snprintf(ch->msg, sizeof(ch->msg),
				    "out of memory");
			}
			if (ch->failed)
				break;
			if (!quiet)
				mf_cli_table_row(stdout, b->table[i]);
		}
		if (ch->failed) {
			fprintf(stderr, "medflag scan: line %zu: %s\n",
			    ch->failed, ch->msg);
			rc = -1;
		}
	}
	for (size_t i = 0; b->table && i < n; i++)
		mf_verdict_destroy(&b->table[i]);
	return rc;
}

/* The number of cores, the default of --jobs. */
static size_t
s_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > S_MAX_JOBS ? S_MAX_JOBS : (size_t)n;
}

static int
s_usage(void)
{
	fprintf(stderr, "usage: medflag scan [--rules DIR] [--table] "
	    "[--jobs N] [--stats | --stats-only] < posts.jsonl\n");
	return 2;
}

int
mf_cmd_scan(int argc, char **argv, const mf_cli_t *cli)
{
	const char	*dir = NULL;
	mf_ruleset_t	*rs;
	mf_sources_t	*src = NULL;
	s_job_t		*jobs = NULL;
	s_line_t	*lines[2] = { NULL, NULL };
	mf_verdict_t	**table = NULL;
	s_chunk_t	*chunks = NULL;
	s_batch_t	 batch = {0};
	s_in_t		 in = {0};
	size_t		 njobs = s_cores(), nr;
	ssize_t		 n;
	double		 t0;
	int		 rc = 1, use_table = 0, stats = 0, quiet = 0;

	(void)cli;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--table") == 0)
			use_table = 1;
		else if (strcmp(argv[i], "--stats") == 0)
			stats = 1;
		else if (strcmp(argv[i], "--stats-only") == 0)
			stats = quiet = 1;
		else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
			char	*end;
			long	 v = strtol(argv[++i], &end, 10);

			if (*argv[i] == '\0' || *end != '\0' || v < 1 ||
			    v > S_MAX_JOBS) {
				fprintf(stderr, "medflag scan: --jobs '%s': "
				    "not a number from 1 to %d\n  hint: the "
				    "default is the number of cores (%zu)\n",
				    argv[i], S_MAX_JOBS, s_cores());
				return 2;
			}
			njobs = (size_t)v;
		} else
			return s_usage();
	}
	if (dir == NULL)
		dir = mf_cli_rules_dir();
	if ((rs = mf_cli_load_rules(dir, &src, MF_CLI_QUIET)) == NULL)
		return 1;
	nr = mf_ruleset_size(rs);
	if ((jobs = calloc(njobs, sizeof(*jobs))) == NULL ||
	    (lines[0] = calloc(S_BATCH_LINES, sizeof(s_line_t))) == NULL ||
	    (lines[1] = calloc(S_BATCH_LINES, sizeof(s_line_t))) == NULL ||
	    (chunks = calloc(S_NCHUNKS, sizeof(*chunks))) == NULL ||
	    (use_table && (table = calloc(S_BATCH_LINES,
	    sizeof(*table))) == NULL))
		goto oom;
	batch.table = table;
	batch.chunks = chunks;
	for (size_t k = 0; k < njobs; k++) {
		jobs[k].b = &batch;
		jobs[k].rs = rs;
		jobs[k].src = src;
		jobs[k].stats = stats;
		if ((jobs[k].sc = mf_scanner_new(NULL)) == NULL)
			goto oom;
		if (!stats)
			continue;
		if ((jobs[k].st.runs = calloc(nr + 1, sizeof(size_t))) ==
		    NULL || (jobs[k].st.ns = calloc(nr + 1,
		    sizeof(uint64_t))) == NULL)
			goto oom;
		jobs[k].st.nruns = nr;
		mf_scanner_stats(jobs[k].sc, &jobs[k].st);
	}
	if (use_table && !quiet)
		mf_cli_table_head(stdout);
	/* A pipe holds 64 KiB unless asked: grown to a batch, the producer
	 * fills the next batch while the jobs judge this one, and reading
	 * it takes a few calls instead of a round trip per 64 KiB. Not a
	 * pipe, or not allowed: reads work as before. */
	(void)fcntl(0, F_SETPIPE_SZ, (int)S_BATCH_BYTES);
	t0 = (double)mf_now_ns() / 1e9;
	rc = 0;
	/* While the jobs judge a batch, a thread reads the next: on a
	 * machine with as many jobs as cores, the reading no longer leaves
	 * them waiting. */
	n = s_batch(&in, lines[0]);
	for (int k = 0; n > 0; k = !k) {
		s_reader_t	rd = { &in, lines[!k], 0, pthread_self() };
		int		bad;

		batch.text = in.b[in.cur].data;
		batch.lines = lines[k];
		if (pthread_create(&rd.tid, NULL, s_read_run, &rd) != 0)
			rd.tid = pthread_self();
		bad = s_run_batch(jobs, njobs, &batch, (size_t)n, quiet);
		/* The verdicts out before waiting for more posts: a
		 * producer may wait for them before it sends the next. */
		if (!bad && fflush(stdout) != 0)
			bad = 1;
		if (pthread_equal(rd.tid, pthread_self()))
			s_read_run(&rd);
		else
			pthread_join(rd.tid, NULL);
		if (bad) {
			rc = 1;
			break;
		}
		n = rd.n;
	}
	if (n < 0)
		rc = 1;
	if (stats) {
		double	wall = (double)mf_now_ns() / 1e9 - t0;
		s_job_t	sum = jobs[0];	/* its runs are job 0's array */

		for (size_t k = 1; k < njobs; k++) {
			mf_scan_stats_add(&sum.st, &jobs[k].st);
			sum.ns_decode += jobs[k].ns_decode;
			sum.ns_encode += jobs[k].ns_encode;
		}
		if (fflush(stdout) != 0 || s_print_stats(quiet ? stdout :
		    stderr, rs, &sum, njobs, wall) == -1)
			rc = 1;
	}
	goto out;
oom:
	fprintf(stderr, "medflag scan: out of memory\n");
	rc = 1;
out:
	for (size_t k = 0; jobs && k < njobs; k++) {
		mf_scanner_destroy(&jobs[k].sc);
		mf_buf_free(&jobs[k].one);
		free(jobs[k].st.runs);
		free(jobs[k].st.ns);
	}
	for (size_t c = 0; chunks && c < S_NCHUNKS; c++)
		mf_buf_free(&chunks[c].out);
	free(chunks);
	free(jobs);
	free(lines[0]);
	free(lines[1]);
	free(table);
	mf_buf_free(&in.b[0]);
	mf_buf_free(&in.b[1]);
	mf_ruleset_destroy(&rs);
	mf_sources_destroy(&src);
	return fflush(stdout) == 0 ? rc : 1;
}
