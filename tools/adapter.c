/*
 * adapter.c - the outbox and the reason text of the forum adapters (see
 * adapter.h).
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter.h"
#include "log.h"
#include "client.h"

#define S_QUOTE_MAX	120	/* bytes of matched text quoted per span */

/* ---- the reason ------------------------------------------------------- */

/* Appends at most S_QUOTE_MAX bytes of body[start, end), cut at a UTF-8
 * boundary, with line breaks, backticks and '|' made blanks. */
static int
s_quote(mf_buf_t *out, const char *body, size_t blen, size_t start,
    size_t end)
{
	size_t	n;

	if (start >= end || end > blen)
		return 0;
	n = end - start;
	if (n > S_QUOTE_MAX) {
		n = S_QUOTE_MAX;
		while (n > 0 && ((unsigned char)body[start + n] & 0xc0) == 0x80)
			n--;
	}
	if (mf_buf_puts(out, " \"") != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char	c = body[start + i];

		if (c == '\n' || c == '\r' || c == '`' || c == '\0' || c == '|')
			c = ' ';
		if (mf_buf_append(out, &c, 1) != 0)
			return -1;
	}
	return mf_buf_puts(out, n < end - start ? "...\"" : "\"");
}

int
mf_adapter_reason(const mf_verdict_t *v, const char *body, size_t blen,
    size_t oneline, mf_buf_t *out)
{
	const char	*sep = oneline ? "; " : "\n- ", *q = oneline ? "" : "`";
	size_t		 start = out->len;
	char		 line[512];

	snprintf(line, sizeof(line), oneline ? "medflag %s (score %.2f)" :
	    "medflag: %s (score %.2f)\n", mf_action_name(v->action), v->score);
	if (mf_buf_puts(out, line) != 0)
		return -1;
	for (size_t i = 0; i < v->nhits; i++) {
		const mf_hit_t	*h = &v->hits[i];

		if (h->mode != MF_MODE_ENFORCE)
			continue;
		snprintf(line, sizeof(line), "%sclaim %s%s%s%s%s%s, rule "
		    "%s%s%s%s:", sep, q, h->claim ? h->claim : "?", q,
		    h->tier ? " (" : "", h->tier ? h->tier : "",
		    h->tier ? ")" : "", q, h->rule ? h->rule : "?", q,
		    h->question ? ", asked" : "");
		if (mf_buf_puts(out, line) != 0)
			return -1;
		for (size_t k = 0; k < h->nspans; k++)
			if (h->spans[k].field == MF_FIELD_BODY &&
			    s_quote(out, body, blen, h->spans[k].start,
			    h->spans[k].end) != 0)
				return -1;
	}
	for (size_t i = 0; i < v->nsources; i++) {
		if (v->sources[i].list != MF_LIST_UNRELIABLE)
			continue;
		snprintf(line, sizeof(line), "%slinks to %s, on the list of "
		    "unreliable sources", sep, v->sources[i].domain ?
		    v->sources[i].domain : "?");
		if (mf_buf_puts(out, line) != 0)
			return -1;
	}
	if (oneline) {
		if (v->nevidence > 0 && (mf_buf_puts(out, "; counter-evidence "
		    ) != 0 || mf_buf_puts(out, v->evidence[0]) != 0))
			return -1;
		/* Cut to 'oneline' bytes at a UTF-8 boundary. */
		if (out->len - start > oneline) {
			size_t	n = start + oneline - 3;

			while (n > start && ((unsigned char)out->data[n] &
			    0xc0) == 0x80)
				n--;
			out->len = n;
			if (mf_buf_puts(out, "...") != 0)
				return -1;
		}
		return mf_buf_append(out, "", 1);
	}
	if (v->nevidence > 0 && mf_buf_puts(out, "\n\nCounter-evidence:") != 0)
		return -1;
	for (size_t i = 0; i < v->nevidence; i++)
		if (mf_buf_puts(out, "\n- ") != 0 ||
		    mf_buf_puts(out, v->evidence[i]) != 0)
			return -1;
	snprintf(line, sizeof(line), "\n\nRule set %s, verdict %llu.",
	    v->ruleset ? v->ruleset : "?", (unsigned long long)v->seq);
	if (mf_buf_puts(out, line) != 0)
		return -1;
	return mf_buf_append(out, "", 1);
}

/* ---- the outbox ------------------------------------------------------- */

typedef struct s_act {
	struct s_act		*next;
	mf_outbox_item_t	 it;
	int			 tries;
	int64_t			 due_ms;
} s_act_t;

struct mf_outbox {
	char			 prog[64], noun[32];
	const char		*hint;
	mf_outbox_fn		*fn;
	void			*arg;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th;
	int			 threaded, stopping;
	int64_t			 give_up_ms;	/* 0: none yet */
	s_act_t			*head;		/* 'due_ms' rises along it */
	mf_outbox_counts_t	 c;
};

static void
s_act_free(s_act_t *a)
{
	if (a != NULL) {
		free(a->it.reason);
		free(a);
	}
}

/* Puts 'a' in due order (under 'mu'). */
static void
s_insert(mf_outbox_t *ob, s_act_t *a)
{
	s_act_t	**pp = &ob->head;

	while (*pp != NULL && (*pp)->due_ms <= a->due_ms)
		pp = &(*pp)->next;
	a->next = *pp;
	*pp = a;
	ob->c.pending++;
}

mf_outbox_t *
mf_outbox_new(const char *prog, const char *noun, const char *hint,
    mf_outbox_fn *fn, void *arg)
{
	mf_outbox_t	*ob = calloc(1, sizeof(*ob));

	if (ob == NULL)
		return NULL;
	snprintf(ob->prog, sizeof(ob->prog), "%s", prog);
	snprintf(ob->noun, sizeof(ob->noun), "%s", noun);
	ob->hint = hint;
	ob->fn = fn;
	ob->arg = arg;
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	return ob;
}

int
mf_outbox_put(mf_outbox_t *ob, long long id, int hide, char *reason)
{
	s_act_t	*a;

	pthread_mutex_lock(&ob->mu);
	if (ob->c.pending >= MF_OUTBOX_MAX || (a = calloc(1,
	    sizeof(*a))) == NULL) {
		ob->c.dropped++;
		pthread_mutex_unlock(&ob->mu);
		free(reason);
		mf_log_warnx("%s %lld: not acted on: %d actions already wait "
		    "for the forum", ob->noun, id, MF_OUTBOX_MAX);
		return -1;
	}
	a->it.id = id;
	a->it.hide = hide;
	a->it.reason = reason;
	a->due_ms = mf_client_now_ms();
	s_insert(ob, a);
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	return 0;
}

/* Performs the head (due) action with 'mu' released; under 'mu'. */
static void
s_perform(mf_outbox_t *ob)
{
	s_act_t	*a = ob->head;
	char	 why[400];
	long	 retry_s = 0;
	int	 r;

	ob->head = a->next;
	ob->c.pending--;
	pthread_mutex_unlock(&ob->mu);
	why[0] = '\0';
	r = ob->fn(ob->arg, &a->it, &retry_s, why, sizeof(why));
	pthread_mutex_lock(&ob->mu);
	if (r == 0) {
		ob->c.done++;
		if (a->it.hide)
			ob->c.hidden++;
		mf_log_info("%s %lld: %s", ob->noun, a->it.id, why);
		s_act_free(a);
		return;
	}
	snprintf(ob->c.last_error, sizeof(ob->c.last_error), "%s %lld: "
	    "%.200s", ob->noun, a->it.id, why);
	if (r < 0 || ++a->tries >= MF_OUTBOX_TRIES) {
		ob->c.failed++;
		mf_log_warnx("%s %lld: %s; gave up after %d tr%s; hint: %s",
		    ob->noun, a->it.id, why, a->tries + (r < 0),
		    a->tries + (r < 0) == 1 ? "y" : "ies", ob->hint);
		s_act_free(a);
		return;
	}
	ob->c.retries++;
	a->due_ms = mf_client_now_ms() + (retry_s > 0 ? retry_s * 1000 :
	    1000LL << (a->tries - 1 < 6 ? a->tries - 1 : 6));
	mf_log_warnx("%s %lld: %s; trying again in %lld ms", ob->noun,
	    a->it.id, why, (long long)(a->due_ms - mf_client_now_ms()));
	s_insert(ob, a);
}

void
mf_outbox_run(mf_outbox_t *ob)
{
	pthread_mutex_lock(&ob->mu);
	while (ob->head != NULL && ob->head->due_ms <= mf_client_now_ms())
		s_perform(ob);
	pthread_mutex_unlock(&ob->mu);
}

/* The thread, and mf_outbox_stop's drain: performs what falls due until
 * stopped with nothing left, or until the give-up time. Under 'mu'. */
static void
s_loop(mf_outbox_t *ob)
{
	for (;;) {
		int64_t		now = mf_client_now_ms(), wait;
		struct timespec	ts;

		if (ob->stopping && (ob->head == NULL || (ob->give_up_ms &&
		    now >= ob->give_up_ms)))
			return;
		if (ob->head != NULL && ob->head->due_ms <= now) {
			s_perform(ob);
			continue;
		}
		wait = ob->head != NULL ? ob->head->due_ms - now : 1000;
		if (wait > 1000)
			wait = 1000;
		if (ob->give_up_ms && ob->give_up_ms - now < wait)
			wait = ob->give_up_ms - now;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait / 1000;
		ts.tv_nsec += (wait % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ob->cv, &ob->mu, &ts);
	}
}

static void *
s_main(void *arg)
{
	mf_outbox_t	*ob = arg;

	pthread_mutex_lock(&ob->mu);
	s_loop(ob);
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

int
mf_outbox_start(mf_outbox_t *ob)
{
	if (pthread_create(&ob->th, NULL, s_main, ob) != 0)
		return -1;
	ob->threaded = 1;
	return 0;
}

void
mf_outbox_stop(mf_outbox_t *ob, int drain_ms)
{
	pthread_mutex_lock(&ob->mu);
	ob->stopping = 1;
	ob->give_up_ms = mf_client_now_ms() + drain_ms;
	pthread_cond_signal(&ob->cv);
	if (!ob->threaded)
		s_loop(ob);
	pthread_mutex_unlock(&ob->mu);
	if (ob->threaded) {
		pthread_join(ob->th, NULL);
		ob->threaded = 0;
	}
	if (ob->c.pending > 0)
		mf_log_warnx("stopped with %zu action%s not taken by the forum",
		    ob->c.pending, ob->c.pending == 1 ? "" : "s");
}

void
mf_outbox_destroy(mf_outbox_t **self_p)
{
	mf_outbox_t	*ob = *self_p;

	if (ob == NULL)
		return;
	while (ob->head != NULL) {
		s_act_t	*a = ob->head;

		ob->head = a->next;
		s_act_free(a);
	}
	pthread_mutex_destroy(&ob->mu);
	pthread_cond_destroy(&ob->cv);
	free(ob);
	*self_p = NULL;
}

void
mf_outbox_counts(mf_outbox_t *ob, mf_outbox_counts_t *c)
{
	pthread_mutex_lock(&ob->mu);
	*c = ob->c;
	pthread_mutex_unlock(&ob->mu);
}
