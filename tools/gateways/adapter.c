/*
 * adapter.c - the outbox, the reason text and the moderators' outcomes of
 * the forum adapters (see adapter.h).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "adapter.h"
#include "client.h"
#include "log.h"
#include "store.h"

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

/* An annotate verdict flagged review: the model asks a moderator to look
 * at a post no rule flagged, or the rules found a claim's words in a post
 * in a language medflag does not read (adapter_review raises it as a
 * flag). */
static int
s_for_review(const mf_verdict_t *v)
{
	return v->action == MF_ACT_ANNOTATE && (v->flags & MF_VF_REVIEW);
}

/* Why it is for review, in a sentence. */
static const char *
s_review_why(const mf_verdict_t *v)
{
	return v->flags & MF_VF_LANG_UNSUPPORTED ? ", for review: written in "
	    "a language medflag does not read, its rules found a claim's "
	    "words" : ", for review: no rule flagged it, the model asks a "
	    "moderator to look";
}

int
mf_adapter_reason(const mf_verdict_t *v, const char *body, size_t blen,
    size_t oneline, mf_buf_t *out)
{
	const char	*sep = oneline ? "; " : "\n- ", *q = oneline ? "" : "`";
	size_t		 start = out->len;
	char		 line[512];

	snprintf(line, sizeof(line), oneline ? "medflag %s (score %.2f)%s" :
	    "medflag: %s (score %.2f)%s\n", mf_action_name(v->action),
	    v->score, !s_for_review(v) ? "" : oneline ? ", for review" :
	    s_review_why(v));
	if (mf_buf_puts(out, line) != 0)
		return -1;
	for (size_t i = 0; i < v->nhits; i++) {
		const mf_hit_t	*h = &v->hits[i];

		if (h->mode != MF_MODE_ENFORCE)
			continue;
		snprintf(line, sizeof(line), "%sclaim %s%s%s%s%s%s, rule "
		    "%s%s%s%s%s", sep, q, h->claim ? h->claim : "?", q,
		    h->tier ? " (" : "", h->tier ? h->tier : "",
		    h->tier ? ")" : "", q, h->rule ? h->rule : "?", q,
		    h->question ? ", asked" : "", body != NULL ? ":" : "");
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

int
mf_adapter_raises(const struct mf_config *cfg, const mf_verdict_t *v)
{
	return v->action >= MF_ACT_FLAG || (cfg->adapter_review &&
	    s_for_review(v));
}

/* ---- the outbox ------------------------------------------------------- */

#define S_BACKOFF_MAX	8	/* 1 s << 8: at most 256 s between tries */
#define S_STORE_RETRY_MS 5000	/* between attempts to reach Redis */

typedef struct s_act {
	struct s_act		*next;
	mf_outbox_item_t	 it;
	int			 tries;
	int64_t			 due_ms;	/* monotonic */
	int64_t			 since;		/* unix ms, first queued */
	char			*kept;		/* OWNS: the reason in Redis */
	char			 field[48];	/* its field there; "" none */
} s_act_t;

/*
 * The outbox's state, under 'mu': (1) 'head' is the list of waiting
 * actions in rising 'due_ms', c.pending long; (2) with 'forum' set, each
 * action with a 'field' is in Redis under it, and none without; (3) an
 * action is in the list or being performed (s_perform holds it with 'mu'
 * released), never both.
 */
struct mf_outbox {
	char			 prog[64], noun[32], forum[600];
	const char		*hint;
	const mf_config_t	*cfg;
	size_t			 oneline;
	mf_outbox_fn		*fn;
	void			*arg;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th;
	int			 threaded, stopping;
	int64_t			 give_up_ms;	/* 0: none yet */
	s_act_t			*head;		/* 'due_ms' rises along it */
	mf_store_t		*st;		/* NULL until needed */
	int64_t			 st_next_ms;	/* next attempt to connect */
	unsigned long long	 seq;		/* for field names */
	mf_lograte_t		 st_warn;
	mf_outbox_counts_t	 c;
};

static int64_t
s_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_act_free(s_act_t *a)
{
	if (a != NULL) {
		free(a->it.reason);
		free(a->kept);
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

/* The Redis connection of a kept outbox, made when needed (under 'mu');
 * NULL, said in the log at most every minute, when it cannot be made. */
static mf_store_t *
s_st(mf_outbox_t *ob)
{
	char	why[400];

	if (ob->st != NULL && mf_store_broken(ob->st))
		mf_store_destroy(&ob->st);
	if (ob->st != NULL || mf_now_ms() < ob->st_next_ms)
		return ob->st;
	if ((ob->st = mf_client_store(ob->cfg, why, sizeof(why))) == NULL) {
		ob->st_next_ms = mf_now_ms() + S_STORE_RETRY_MS;
		mf_log_rated(&ob->st_warn, MF_LOG_WARN, "outbox: %s; actions "
		    "wait in memory only and are lost if the adapter stops",
		    why);
	}
	return ob->st;
}

/* Keeps 'a' in Redis (under 'mu'); leaves a->field "" when it cannot. */
static void
s_keep(mf_outbox_t *ob, s_act_t *a)
{
	json_t		*j;
	char		*js = NULL, field[48];
	mf_store_t	*st;

	if (ob->forum[0] == '\0' || a->kept == NULL || (st = s_st(ob)) ==
	    NULL)
		return;
	snprintf(field, sizeof(field), "%lld.%lld.%llu", a->it.id,
	    (long long)a->since, ++ob->seq);
	j = json_pack("{sIsisisisIss}", "id", (json_int_t)a->it.id, "hide",
	    a->it.hide, "edited", a->it.edited, "review", a->it.review,
	    "since", (json_int_t)a->since, "reason", a->kept);
	if (j != NULL && (js = json_dumps(j, JSON_COMPACT)) != NULL &&
	    mf_store_outbox_put(st, ob->forum, field, js) == 0)
		snprintf(a->field, sizeof(a->field), "%s", field);
	else
		mf_log_rated(&ob->st_warn, MF_LOG_WARN, "outbox: %s %lld is "
		    "not kept in redis (%s); it is lost if the adapter stops",
		    ob->noun, a->it.id, mf_store_error(st));
	free(js);
	json_decref(j);
}

/* Forgets 'a' in Redis (under 'mu'). */
static void
s_forget(mf_outbox_t *ob, s_act_t *a)
{
	mf_store_t	*st = NULL;

	if (a->field[0] == '\0')
		return;
	if ((st = s_st(ob)) == NULL ||
	    mf_store_outbox_del(st, ob->forum, a->field) != 0)
		mf_log_rated(&ob->st_warn, MF_LOG_WARN, "outbox: %s %lld "
		    "stays in redis (%s); a restart may act on it again",
		    ob->noun, a->it.id, st ? mf_store_error(st) :
		    "not connected");
	a->field[0] = '\0';
}

mf_outbox_t *
mf_outbox_new(const char *prog, const char *noun, const char *hint,
    const mf_config_t *cfg, size_t oneline, mf_outbox_fn *fn, void *arg)
{
	mf_outbox_t	*ob = calloc(1, sizeof(*ob));

	if (ob == NULL)
		return NULL;
	snprintf(ob->prog, sizeof(ob->prog), "%s", prog);
	snprintf(ob->noun, sizeof(ob->noun), "%s", noun);
	ob->hint = hint;
	ob->cfg = cfg;
	ob->oneline = oneline;
	ob->fn = fn;
	ob->arg = arg;
	ob->st_warn = (mf_lograte_t)MF_LOGRATE_INIT(1, 60);
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	return ob;
}

/* Queues 'a' now, counted against MF_OUTBOX_MAX (under 'mu'); takes it.
 * 0, or -1 (dropped, logged). */
static int
s_queue(mf_outbox_t *ob, s_act_t *a)
{
	if (ob->c.pending >= MF_OUTBOX_MAX) {
		ob->c.dropped++;
		mf_log_warnx("%s %lld: not acted on: %d actions already wait "
		    "for the forum", ob->noun, a->it.id, MF_OUTBOX_MAX);
		if (a->field[0] != '\0')
			s_forget(ob, a);
		s_act_free(a);
		return -1;
	}
	a->due_ms = mf_now_ms();
	s_insert(ob, a);
	pthread_cond_signal(&ob->cv);
	return 0;
}

/* One kept action of an earlier run, as JSON (mf_store_outbox_fn). */
static int
s_load(const char *field, const char *js, size_t len, void *arg)
{
	mf_outbox_t	*ob = arg;
	json_t		*j = json_loadb(js, len, 0, NULL);
	json_int_t	 id = 0, since = 0;
	int		 hide = 0, edited = 0, review = 0;
	const char	*reason = NULL;
	s_act_t		*a;

	/* "review" is absent from what an older adapter kept. */
	if (j == NULL || json_unpack(j, "{sIsisis?isIss}", "id", &id, "hide",
	    &hide, "edited", &edited, "review", &review, "since", &since,
	    "reason", &reason) != 0 || (a = calloc(1, sizeof(*a))) == NULL) {
		mf_log_warnx("outbox: redis field %s of %s is not an action; "
		    "left there", field, ob->forum);
		json_decref(j);
		return 0;
	}
	a->it.id = id;
	a->it.hide = hide;
	a->it.edited = edited;
	a->it.review = review;
	a->since = since;
	a->it.reason = strdup(reason);
	a->kept = strdup(reason);
	snprintf(a->field, sizeof(a->field), "%s", field);
	json_decref(j);
	if (a->it.reason == NULL || a->kept == NULL) {
		s_act_free(a);
		return -1;
	}
	if (s_queue(ob, a) == 0)
		ob->c.kept++;
	return 0;
}

int
mf_outbox_keep(mf_outbox_t *ob, const char *forum)
{
	mf_store_t	*st;
	int		 rc = -1;

	pthread_mutex_lock(&ob->mu);
	snprintf(ob->forum, sizeof(ob->forum), "%s", forum);
	if ((st = s_st(ob)) != NULL &&
	    mf_store_outbox_all(st, forum, s_load, ob) == 0) {
		rc = (int)ob->c.kept;
		if (rc > 0)
			mf_log_info("outbox: %d action%s kept from an earlier "
			    "run", rc, rc == 1 ? "" : "s");
	} else if (st != NULL)
		mf_log_warnx("outbox: reading what an earlier run left: %s",
		    mf_store_error(st));
	pthread_mutex_unlock(&ob->mu);
	return rc;
}

int
mf_outbox_put(mf_outbox_t *ob, long long id, int hide, int edited,
    const mf_verdict_t *v, const char *body, size_t blen)
{
	mf_buf_t	 r = {0}, k = {0};
	s_act_t		*a;
	int		 rc;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    mf_adapter_reason(v, body, blen, ob->oneline, &r) != 0 ||
	    mf_adapter_reason(v, NULL, 0, ob->oneline, &k) != 0) {
		mf_buf_free(&r);
		mf_buf_free(&k);
		free(a);
		pthread_mutex_lock(&ob->mu);
		ob->c.dropped++;
		pthread_mutex_unlock(&ob->mu);
		mf_log_warnx("%s %lld: not acted on: out of memory", ob->noun,
		    id);
		return -1;
	}
	a->it.id = id;
	a->it.hide = hide;
	a->it.edited = edited;
	a->it.review = s_for_review(v);
	a->it.reason = r.data;
	a->kept = k.data;
	a->since = s_wall_ms();
	pthread_mutex_lock(&ob->mu);
	s_keep(ob, a);
	rc = s_queue(ob, a);
	pthread_mutex_unlock(&ob->mu);
	return rc;
}

/* Performs the head (due) action with 'mu' released; under 'mu'. */
static void
s_perform(mf_outbox_t *ob)
{
	s_act_t	*a = ob->head;
	char	 why[400];
	long	 retry_s = 0;
	int64_t	 left, wait;
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
		if (a->it.review)
			ob->c.review++;
		mf_log_info("%s %lld: %s", ob->noun, a->it.id, why);
		s_forget(ob, a);
		s_act_free(a);
		return;
	}
	snprintf(ob->c.last_error, sizeof(ob->c.last_error), "%s %lld: "
	    "%.200s", ob->noun, a->it.id, why);
	a->tries++;
	left = a->since + (int64_t)ob->cfg->adapter_retry_s * 1000 -
	    s_wall_ms();
	if (r < 0 || left <= 0) {
		ob->c.failed++;
		mf_log_warnx("%s %lld: %s; gave up after %d tr%s%s; hint: %s",
		    ob->noun, a->it.id, why, a->tries, a->tries == 1 ? "y" :
		    "ies", r < 0 ? "" : " (adapter_retry_s passed)", ob->hint);
		s_forget(ob, a);
		s_act_free(a);
		return;
	}
	ob->c.retries++;
	wait = retry_s > 0 ? retry_s * 1000 : 1000LL << (a->tries - 1 <
	    S_BACKOFF_MAX ? a->tries - 1 : S_BACKOFF_MAX);
	if (wait > left)
		wait = left;	/* a last try at the horizon */
	a->due_ms = mf_now_ms() + wait;
	mf_log_warnx("%s %lld: %s; trying again in %lld ms", ob->noun,
	    a->it.id, why, (long long)wait);
	s_insert(ob, a);
}

void
mf_outbox_run(mf_outbox_t *ob)
{
	pthread_mutex_lock(&ob->mu);
	while (ob->head != NULL && ob->head->due_ms <= mf_now_ms())
		s_perform(ob);
	pthread_mutex_unlock(&ob->mu);
}

/* The thread, and mf_outbox_stop's drain: performs what falls due until
 * stopped with nothing left, or until the give-up time. Under 'mu'. */
static void
s_loop(mf_outbox_t *ob)
{
	for (;;) {
		int64_t		now = mf_now_ms(), wait;
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
	ob->give_up_ms = mf_now_ms() + drain_ms;
	pthread_cond_signal(&ob->cv);
	if (!ob->threaded)
		s_loop(ob);
	pthread_mutex_unlock(&ob->mu);
	if (ob->threaded) {
		pthread_join(ob->th, NULL);
		ob->threaded = 0;
	}
	if (ob->c.pending > 0) {
		size_t	kept = 0;

		for (s_act_t *a = ob->head; a != NULL; a = a->next)
			kept += a->field[0] != '\0';
		mf_log_warnx("stopped with %zu action%s not taken by the "
		    "forum: %zu kept in redis for the next run, %zu lost",
		    ob->c.pending, ob->c.pending == 1 ? "" : "s", kept,
		    ob->c.pending - kept);
	}
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
	mf_store_destroy(&ob->st);
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

char *
mf_adapter_secret(const char *prog, const char *key, const char *path,
    const char *what)
{
	FILE	*fp;
	char	 line[1024];
	size_t	 n;

	if (path[0] == '\0') {
		fprintf(stderr, "%s: %s is not set\n  hint: write %s to a file "
		    "only medflag can read (chmod 600) and name it in "
		    "medflag.conf: %s /etc/medflag/...\n", prog, key, what,
		    key);
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s %s: %s\n", prog, key, path,
		    strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "%s:1:1: error: %s: the file is empty\n  hint: "
		    "its first line must hold %s\n", path, key, what);
		return NULL;
	}
	return strdup(line);
}

/* ---- the moderators' outcomes ---------------------------------------- */

int
mf_adapter_acted(const mf_config_t *cfg, const char *forum, long long id,
    const mf_verdict_t *v)
{
	json_t		*rec, *rules;
	mf_store_t	*st = NULL;
	char		*js = NULL, num[32], why[400];
	int		 rc = -1;

	rec = json_object();
	rules = json_array();
	if (rec == NULL || rules == NULL)
		goto out;
	for (size_t i = 0; i < v->nhits; i++)
		if (v->hits[i].mode == MF_MODE_ENFORCE && v->hits[i].rule)
			json_array_append_new(rules,
			    json_string(v->hits[i].rule));
	if (json_array_size(rules) == 0) {
		rc = 0;			/* nothing a rule could be told */
		goto out;
	}
	json_object_set_new(rec, "post_id", json_string(v->post_id ?
	    v->post_id : ""));
	if (v->revision != NULL)
		json_object_set_new(rec, "revision", json_string(v->revision));
	json_object_set(rec, "rules", rules);
	if ((js = json_dumps(rec, JSON_COMPACT)) == NULL)
		goto out;
	snprintf(num, sizeof(num), "%lld", id);
	if ((st = mf_client_store(cfg, why, sizeof(why))) == NULL ||
	    mf_store_acted_put(st, forum, num, js, MF_ACTED_TTL_S) != 0) {
		mf_log_warnx("%s %lld: the rules acted on are not kept (%s); "
		    "the moderators' outcome will not count", forum, id,
		    st ? mf_store_error(st) : why);
		goto out;
	}
	rc = 0;
out:
	mf_store_destroy(&st);
	free(js);
	json_decref(rules);
	json_decref(rec);
	return rc;
}

int
mf_adapter_outcome(const mf_config_t *cfg, const char *forum, long long id,
    int agreed, const char *by, char *why, size_t cap)
{
	mf_store_t	*st;
	mf_buf_t	 b = {0};
	json_t		*rec = NULL;
	json_error_t	 jerr;
	char		 num[32], *js = NULL;
	int		 r;

	snprintf(num, sizeof(num), "%lld", id);
	if ((st = mf_client_store(cfg, why, cap)) == NULL)
		return -1;
	if ((r = mf_store_acted_take(st, forum, num, &b)) <= 0) {
		if (r < 0)
			snprintf(why, cap, "redis: %s", mf_store_error(st));
		else
			snprintf(why, cap, "no action of medflag's on record");
		goto out;
	}
	r = -1;
	if ((rec = json_loadb(b.data, b.len, 0, &jerr)) == NULL ||
	    !json_is_object(rec)) {
		snprintf(why, cap, "redis: the record of %s %lld is not JSON",
		    forum, id);
		goto out;
	}
	json_object_set_new(rec, "outcome", json_string(agreed ? "agreed" :
	    "overturned"));
	if (by != NULL && by[0] != '\0')
		json_object_set_new(rec, "by", json_string(by));
	if ((js = json_dumps(rec, JSON_COMPACT)) == NULL) {
		snprintf(why, cap, "out of memory");
		goto out;
	}
	/* The rules are those of medflag's own verdict, on record: not
	 * checked against the running set, which may have moved on. */
	if ((r = mf_feedback_record(cfg, st, NULL, NULL, js, strlen(js), why,
	    cap)) == 0) {
		mf_buf_t	l = {0};
		json_t		*x;
		size_t		 i;

		json_array_foreach(json_object_get(rec, "rules"), i, x)
			(void)mf_buf_printf(&l, "%s%s", i ? "," : "",
			    json_string_value(x));
		snprintf(why, cap, "%s for %s", agreed ? "agreed" :
		    "overturned", l.data ? l.data : "");
		mf_buf_free(&l);
		r = 1;
	} else
		r = -1;
out:
	free(js);
	json_decref(rec);
	mf_buf_free(&b);
	mf_store_destroy(&st);
	return r;
}
