/*
 * discourse.c - `medflag discourse`: the Discourse adapter.
 *
 *   medflag discourse [--listen HOST:PORT] [--timeout MS]
 *
 * Discourse sends a webhook for every new or edited post (Admin > API >
 * Webhooks, "Post Event", content type application/json, with a secret).
 * The adapter checks the signature (X-Discourse-Event-Signature, HMAC-
 * SHA256 of the body), sends the post through medflagd's check endpoint,
 * and answers Discourse once the verdict is in. A flag verdict becomes a
 * "Something else" flag (notify_moderators) whose message says why: each
 * claim, the rule, the words it matched, and the counter-evidence; so
 * does an annotate verdict flagged review (adapter_review), its message
 * saying the model asks a moderator to look. A hold
 * or block verdict raises the same flag and asks Discourse to hide the
 * post until a moderator reviews it (queue_for_review; the API user must
 * be staff). The flags are raised by a thread of their own, retried with
 * backoff while Discourse is down or rate-limits, so a slow forum never
 * holds up its webhooks.
 *
 * medflagd not answering is a 503 to Discourse, which redelivers the
 * event later; medflagd's dedup gives a redelivered post the stored
 * verdict flagged duplicate, and a duplicate raises no second flag.
 * Private messages, small actions and whispers, and the API user's own
 * posts (its flag messages are PMs) are not judged. Never logs post text.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <zmq.h>

#include "adapter.h"
#include "client.h"
#include "httpd.h"
#include "log.h"
#include "store.h"
#include "wire.h"

#define S_PATH		"/v1/discourse"

typedef struct s_ad {
	mf_config_t	 cfg;
	mf_client_t	*client;	/* over 'cfg' */
	int		 timeout_ms;
	char		 forum[600];	/* "discourse:URL", in redis keys */
	char		*api_key;
	char		*secret;
	size_t		 secret_len;
	CURL		*curl;		/* the outbox thread's */
	mf_outbox_t	*outbox;
	pthread_mutex_t	 mu;
	/* counters, under 'mu' */
	unsigned long long webhooks, judged, ignored, bad_signature,
			 bad_request, unavailable, outcomes, replayed;
} s_ad_t;

static void
s_count(s_ad_t *ad, unsigned long long *c)
{
	pthread_mutex_lock(&ad->mu);
	(*c)++;
	pthread_mutex_unlock(&ad->mu);
}

/* ---- raising flags: libcurl, from the outbox's thread ----------------- */

#define S_ANSWER_MAX	(256u << 10)	/* bytes of Discourse's answer kept */
#define S_NOTIFY_MODS	7		/* notify_moderators: takes a message */

static size_t
s_curl_body(char *p, size_t size, size_t n, void *arg)
{
	mf_buf_t	*b = arg;
	size_t		 len = size * n;

	if (b->len < S_ANSWER_MAX)
		(void)mf_buf_append(b, p, len < S_ANSWER_MAX - b->len ? len :
		    S_ANSWER_MAX - b->len);
	return len;
}

/* The first of Discourse's {"errors": [...]} in 'why', or the body. */
static void
s_discourse_error(const mf_buf_t *b, char *why, size_t cap)
{
	json_t		*root, *e;
	json_error_t	 err;

	root = json_loadb(b->data ? b->data : "", b->len, 0, &err);
	e = json_is_object(root) ? json_object_get(root, "errors") : NULL;
	if (json_is_array(e) && json_is_string(json_array_get(e, 0)))
		snprintf(why, cap, "%s", json_string_value(json_array_get(e,
		    0)));
	else
		snprintf(why, cap, "%.*s", (int)(b->len < 200 ? b->len : 200),
		    b->data ? b->data : "");
	json_decref(root);
}

/*
 * One call of Discourse's API as discourse_api_user: GET 'path', or POST
 * it with 'form' (URL-encoded) when not NULL. The answer goes to 'body',
 * its status to '*code' (0: no answer; 'why' says why), Retry-After to
 * '*retry_s'.
 */
static void
s_api(const s_ad_t *ad, const char *path, const char *form, mf_buf_t *body,
    long *code, long *retry_s, char *why, size_t cap)
{
	CURL			*h = ad->curl;
	char			 url[700], head[2][1200];
	struct curl_slist	*hl = NULL;
	curl_off_t		 ra = 0;
	CURLcode		 cc;

	*code = 0;
	*retry_s = 0;
	snprintf(url, sizeof(url), "%s%s", ad->cfg.discourse_url, path);
	snprintf(head[0], sizeof(head[0]), "Api-Key: %s", ad->api_key);
	snprintf(head[1], sizeof(head[1]), "Api-Username: %s",
	    ad->cfg.discourse_api_user);
	hl = curl_slist_append(hl, head[0]);
	hl = curl_slist_append(hl, head[1]);
	hl = curl_slist_append(hl, "Accept: application/json");
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (form != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_curl_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "medflag-discourse/1");
	cc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	if (cc != CURLE_OK) {
		snprintf(why, cap, "%.200s: %s", url, curl_easy_strerror(cc));
		return;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0)
		*retry_s = ra > 86400 ? 86400 : (long)ra;
}

/*
 * Whether discourse_api_user has flagged post 'id' for the moderators
 * already, from the post's actions_summary ({"id": 7, "acted": true}):
 * 1, 0, or -1 when Discourse did not say. A refused flag is told apart
 * this way, not by the words of the refusal, which are in the forum's
 * language.
 */
static int
s_flagged(const s_ad_t *ad, long long id)
{
	char		 path[64], why[300];
	mf_buf_t	 body = {0};
	json_t		*root, *a;
	json_error_t	 jerr;
	long		 code, ra;
	size_t		 i;
	int		 rc = -1;

	snprintf(path, sizeof(path), "/posts/%lld.json", id);
	s_api(ad, path, NULL, &body, &code, &ra, why, sizeof(why));
	if (code != 200) {
		mf_buf_free(&body);
		return -1;
	}
	root = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	mf_buf_free(&body);
	if (json_is_array(json_object_get(root, "actions_summary")))
		rc = 0;
	json_array_foreach(json_object_get(root, "actions_summary"), i, a)
		if (json_integer_value(json_object_get(a, "id")) ==
		    S_NOTIFY_MODS && json_is_true(json_object_get(a, "acted")))
			rc = 1;
	json_decref(root);
	return rc;
}

/*
 * Tells the moderators of the verdict on an edit of post 'a->id' that is
 * flagged already: Discourse refuses a second flag of one user on one
 * post, so a message to the moderators group (POST /posts.json, a
 * private message; the API user must be staff) carries the new reason.
 * 0, 1 or -1 as s_raise.
 */
static int
s_tell_moderators(const s_ad_t *ad, const mf_outbox_item_t *a,
    long *retry_s, char *why, size_t cap)
{
	mf_buf_t	 form = {0}, raw = {0}, body = {0};
	char		 title[128], *t = NULL, *r = NULL, e[300];
	long		 code;
	int		 rc = 1;

	snprintf(title, sizeof(title), "medflag: post %lld was edited after "
	    "its flag", a->id);
	if (mf_buf_printf(&raw, "%s/p/%lld was edited after medflag flagged "
	    "it; Discourse takes one flag per post, so here is the verdict on "
	    "the edit.\n\n%s", ad->cfg.discourse_url, a->id, a->reason) != 0 ||
	    (t = curl_easy_escape(ad->curl, title, 0)) == NULL ||
	    (r = curl_easy_escape(ad->curl, raw.data, 0)) == NULL ||
	    mf_buf_printf(&form, "archetype=private_message"
	    "&target_recipients=moderators&title=%s&raw=%s", t, r) != 0) {
		snprintf(why, cap, "out of memory");
		goto out;
	}
	s_api(ad, "/posts.json", form.data, &body, &code, retry_s, why, cap);
	if (code == 0)
		goto out;
	if (code >= 200 && code < 300) {
		snprintf(why, cap, "flagged already; the verdict on the edit "
		    "went to the moderators in a message (HTTP %ld)", code);
		rc = 0;
		goto out;
	}
	s_discourse_error(&body, e, sizeof(e));
	snprintf(why, cap, "flagged already, and the message on the edit "
	    "was refused: Discourse answered %ld: %s", code, e);
	rc = code == 429 || code >= 500 ? 1 : -1;
out:
	curl_free(t);
	curl_free(r);
	mf_buf_free(&form);
	mf_buf_free(&raw);
	mf_buf_free(&body);
	return rc;
}

/* POSTs the flag: "id=...&..." into 'form'; 'hide' asks for review. */
static char *
s_flag_form(const s_ad_t *ad, long long id, int hide, const char *reason)
{
	char	*msg, *form;
	size_t	 flen;

	if ((msg = curl_easy_escape(ad->curl, reason, 0)) == NULL)
		return NULL;
	flen = strlen(msg) + 128;
	if ((form = malloc(flen)) != NULL)
		snprintf(form, flen, "id=%lld&post_action_type_id=%d"
		    "&flag_topic=false%s&message=%s", id, S_NOTIFY_MODS,
		    hide ? "&queue_for_review=true" : "", msg);
	curl_free(msg);
	return form;
}

/*
 * Raises one flag. Returns 0 when done (raised, or Discourse says it
 * already was), 1 to try again later (after '*retry_s' seconds when
 * Discourse said so), -1 to give up; 'why' says what happened.
 *
 * A 403 is one of three things, told apart by asking the post (not by
 * the refusal's words, which are in the forum's language): the flag is
 * already there (done); a hold from an API user that is not staff
 * (Discourse lets only staff queue a post for review: a plain flag is
 * raised instead, and the log says so); or the key or user may not flag
 * (given up, with the hint).
 */
static int
s_raise(void *arg, mf_outbox_item_t *a, long *retry_s, char *why,
    size_t cap)
{
	const s_ad_t	*ad = arg;
	char		*form = NULL, e[300];
	mf_buf_t	 body = {0};
	long		 code = 0;
	int		 rc = 1, plain = 0;

	*retry_s = 0;
	if (ad->curl == NULL) {
		snprintf(why, cap, "libcurl did not start");
		return 1;
	}
again:
	free(form);
	mf_buf_reset(&body);
	if ((form = s_flag_form(ad, a->id, a->hide, a->reason)) == NULL) {
		snprintf(why, cap, "out of memory");
		goto out;
	}
	s_api(ad, "/post_actions.json", form, &body, &code, retry_s, why, cap);
	if (code == 0)
		goto out;
	if (code >= 200 && code < 300) {
		snprintf(why, cap, "%s (HTTP %ld)", a->hide ? "flagged and "
		    "hidden for review" : plain ? "flagged for moderators, not "
		    "hidden: discourse_api_user is not staff" : "flagged for "
		    "moderators", code);
		rc = 0;
		goto out;
	}
	s_discourse_error(&body, e, sizeof(e));
	snprintf(why, cap, "Discourse answered %ld: %s", code, e);
	if (code == 429 || code >= 500)
		goto out;
	rc = -1;
	if (code != 403)
		goto out;
	switch (s_flagged(ad, a->id)) {
	case 1:
		if (a->edited) {
			rc = s_tell_moderators(ad, a, retry_s, why, cap);
			break;
		}
		snprintf(why, cap, "flagged already (the post's "
		    "actions_summary says so)");
		rc = 0;
		break;
	case 0:
		if (a->hide) {
			mf_log_warnx("post %lld: Discourse refused to hide it "
			    "for review (%s); raising a plain flag: only a "
			    "staff discourse_api_user can hold a post", a->id,
			    e);
			a->hide = 0;
			plain = 1;
			goto again;
		}
		break;
	default:
		snprintf(why + strlen(why), cap - strlen(why), "; reading the "
		    "post back failed too");
		break;
	}
out:
	free(form);
	mf_buf_free(&body);
	return rc;
}

/* ---- the webhook ------------------------------------------------------ */

/* 1 if 'sig' ("sha256=<hex>") is the HMAC-SHA256 of the body. */
static int
s_signed(const s_ad_t *ad, const char *sig, const mf_httpd_req_t *rq)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			mac[crypto_auth_hmacsha256_BYTES];
	unsigned char			got[crypto_auth_hmacsha256_BYTES];
	size_t				n = 0;

	if (sig == NULL || strncmp(sig, "sha256=", 7) != 0 ||
	    strlen(sig + 7) != 2 * sizeof(got) ||
	    sodium_hex2bin(got, sizeof(got), sig + 7, strlen(sig + 7), NULL,
	    &n, NULL) != 0 || n != sizeof(got))
		return 0;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)ad->secret,
	    ad->secret_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)(rq->body ?
	    rq->body : ""), rq->len);
	crypto_auth_hmacsha256_final(&st, mac);
	return sodium_memcmp(mac, got, sizeof(mac)) == 0;
}

static const char *
s_jstr(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* 200 {"ignored": why}: a valid event medflag does not judge. */
static enum MHD_Result
s_ignored(struct MHD_Connection *c, const char *why)
{
	return mf_httpd_send_json(c, MHD_HTTP_OK, mf_httpd_set(json_object(),
	    "ignored", mf_httpd_string(why)));
}

/* Builds medflag's post from Discourse's; NULL with 'why' when it is not
 * one to judge (then '*skip' is set) or not valid. */
static mf_post_t *
s_post(const s_ad_t *ad, json_t *p, long long *id, int *skip, char *why,
    size_t cap)
{
	const char	*raw = s_jstr(p, "raw"), *s;
	json_t		*v;
	mf_post_t	*post;
	char		 num[32], url[1200];
	int		 html = 0;

	*skip = 0;
	if (!json_is_integer(json_object_get(p, "id"))) {
		snprintf(why, cap, "post.id: expected an integer");
		return NULL;
	}
	*id = (long long)json_integer_value(json_object_get(p, "id"));
	if (raw == NULL && (raw = s_jstr(p, "cooked")) != NULL)
		html = 1;
	if (raw == NULL) {
		snprintf(why, cap, "post.raw: expected a string (and no "
		    "post.cooked either)");
		return NULL;
	}
	v = json_object_get(p, "post_type");
	if (json_is_integer(v) && json_integer_value(v) != 1) {
		*skip = 1;
		snprintf(why, cap, "not a regular post (post_type %lld)",
		    (long long)json_integer_value(v));
		return NULL;
	}
	if ((s = s_jstr(p, "topic_archetype")) != NULL &&
	    strcmp(s, "private_message") == 0) {
		*skip = 1;
		snprintf(why, cap, "a private message");
		return NULL;
	}
	/* Discourse's usernames are unique without regard to case. */
	if ((s = s_jstr(p, "username")) != NULL &&
	    strcasecmp(s, ad->cfg.discourse_api_user) == 0) {
		*skip = 1;
		snprintf(why, cap, "posted by %s, the adapter's own user", s);
		return NULL;
	}
	if (json_object_get(p, "deleted_at") != NULL &&
	    !json_is_null(json_object_get(p, "deleted_at"))) {
		*skip = 1;
		snprintf(why, cap, "deleted");
		return NULL;
	}
	snprintf(num, sizeof(num), "%lld", *id);
	if ((post = mf_post_new(num, raw)) == NULL) {
		snprintf(why, cap, "out of memory");
		return NULL;
	}
	post->body_format = html ? MF_FMT_HTML : MF_FMT_MARKDOWN;
	v = json_object_get(p, "version");
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		(void)mf_verdict_set_str(&post->revision, num);
		post->revision_is_int = 1;
	}
	(void)mf_verdict_set_str(&post->instance, ad->cfg.discourse_url);
	v = json_object_get(p, "topic_id");
	if (json_is_integer(v)) {
		long long	 topic = (long long)json_integer_value(v);
		json_t		*pn = json_object_get(p, "post_number");

		snprintf(num, sizeof(num), "%lld", topic);
		(void)mf_verdict_set_str(&post->thread_id, num);
		snprintf(url, sizeof(url), "%s/t/%s/%lld/%lld",
		    ad->cfg.discourse_url, s_jstr(p, "topic_slug") ?
		    s_jstr(p, "topic_slug") : "-", topic, json_is_integer(pn) ?
		    (long long)json_integer_value(pn) : 1LL);
		(void)mf_verdict_set_str(&post->url, url);
		/* The title is part of what the first post says. */
		if (json_is_integer(pn) && json_integer_value(pn) == 1)
			(void)mf_verdict_set_str(&post->title,
			    s_jstr(p, "topic_title"));
	}
	return post;
}

/*
 * The object 'key' of a webhook's JSON body (an event of 'kind'), or NULL
 * with 'why' naming the line and column, or the missing key. '*root'
 * holds the body (OWNS: caller, json_decref; NULL on failure).
 */
static json_t *
s_body(const mf_httpd_req_t *rq, const char *key, const char *kind,
    json_t **root, char *why, size_t cap)
{
	json_error_t	 jerr;
	json_t		*o;

	*root = json_loadb(rq->body ? rq->body : "", rq->len, 0, &jerr);
	if (*root == NULL) {
		snprintf(why, cap, "body:%d:%d: %s", jerr.line, jerr.column,
		    jerr.text);
		return NULL;
	}
	if (!json_is_object(o = json_object_get(*root, key))) {
		snprintf(why, cap, "body: no \"%s\" object; is the webhook's "
		    "event %s?", key, kind);
		json_decref(*root);
		*root = NULL;
		return NULL;
	}
	return o;
}

/*
 * A Reviewable Event: moderators decided on a flagged post. The score of
 * discourse_api_user's flag says how (ReviewableScore statuses: 1 agreed,
 * 2 disagreed, 3 ignored; by number or by name), and an agreed or
 * disagreed flag is recorded as feedback (agreed, overturned) for the
 * rules of the verdict it was raised for. Ignored and pending ones are
 * not counted. Redis down is a 503: Discourse delivers it again later.
 */
static const char *const s_score_status[] = { "pending", "agreed",
    "disagreed", "ignored" };

static enum MHD_Result
s_reviewable(s_ad_t *ad, struct MHD_Connection *c, const mf_httpd_req_t *rq)
{
	json_t		*root, *r, *sc, *mine = NULL, *st;
	const char	*type, *by = NULL;
	long long	 id;
	size_t		 i;
	int		 status = -1, rc;
	char		 why[600];

	if ((r = s_body(rq, "reviewable", "a Reviewable Event", &root, why,
	    sizeof(why))) == NULL) {
		s_count(ad, &ad->bad_request);
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, why);
	}
	type = s_jstr(r, "type");
	if (type == NULL || strcmp(type, "ReviewableFlaggedPost") != 0) {
		snprintf(why, sizeof(why), "a reviewable of type %.60s; "
		    "medflag's flags are ReviewableFlaggedPost", type ? type :
		    "(none)");
		json_decref(root);
		s_count(ad, &ad->ignored);
		return s_ignored(c, why);
	}
	id = json_integer_value(json_object_get(r, json_is_integer(
	    json_object_get(r, "post_id")) ? "post_id" : "target_id"));
	json_array_foreach(json_object_get(r, "reviewable_scores"), i, sc) {
		const char *u = s_jstr(json_object_get(sc, "user"),
		    "username");

		if (u != NULL && strcasecmp(u, ad->cfg.discourse_api_user) ==
		    0)
			mine = sc;
	}
	st = json_object_get(mine, "status");
	if (json_is_integer(st))
		status = (int)json_integer_value(st);
	else if (json_is_string(st))
		for (int k = 0; k < 4; k++)
			if (strcmp(json_string_value(st), s_score_status[k]) ==
			    0)
				status = k;
	by = s_jstr(json_object_get(mine, "reviewed_by"), "username");
	if (id <= 0 || mine == NULL || status < 1 || status > 3) {
		snprintf(why, sizeof(why), id <= 0 ? "no post_id" : mine ==
		    NULL ? "no flag of discourse_api_user's in it" :
		    "its flag is not decided");
		json_decref(root);
		s_count(ad, &ad->ignored);
		return s_ignored(c, why);
	}
	if (status == 3) {
		mf_log_info("post %lld: moderators ignored its flag; not "
		    "counted", id);
		rc = 0;
	} else {
		rc = mf_adapter_outcome(&ad->cfg, ad->forum, id, status == 1,
		    by, why, sizeof(why));
		if (rc < 0) {
			json_decref(root);
			s_count(ad, &ad->unavailable);
			return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    why);
		}
		mf_log_info("post %lld: moderators %s its flag: %s", id,
		    s_score_status[status], rc ? why : "not counted (no flag "
		    "of medflag's on record)");
	}
	json_decref(root);
	s_count(ad, &ad->outcomes);
	return mf_httpd_send_json(c, MHD_HTTP_OK, json_pack("{sI ss sb}",
	    "post_id", (json_int_t)id, "outcome", s_score_status[status],
	    "recorded", rc > 0));
}


/*
 * Replays. A delivery's signature covers its body only, with no time in
 * it, so a delivery kept by anyone (or sent again by Discourse) would be
 * judged and flagged again once medflagd's dedup has forgotten it (it
 * lives in memory). Each judged delivery's X-Discourse-Event-Id is kept
 * in redis for discourse_replay_window_s, and a post whose updated_at
 * (or created_at) is older than that window is not judged at all.
 */

/* The event id of the delivery when it is one Discourse writes (digits,
 * at most 20), else NULL. */
static const char *
s_event_id(struct MHD_Connection *c)
{
	const char	*e = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			    "X-Discourse-Event-Id");
	size_t		 n = e ? strspn(e, "0123456789") : 0;

	return n > 0 && n <= 20 && e[n] == '\0' ? e : NULL;
}

/* Seconds since the post was last changed, from its updated_at (or
 * created_at) "2026-12-04T15:33:18.123Z"; -1 when it has none. */
static long long
s_post_age(json_t *p)
{
	const char	*t = s_jstr(p, "updated_at");
	struct tm	 tm = {0};
	const char	*end;

	if (t == NULL)
		t = s_jstr(p, "created_at");
	if (t == NULL || (end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm)) ==
	    NULL)
		return -1;
	return (long long)time(NULL) - (long long)timegm(&tm);
}

/* 1 when delivery 'ev' was judged already, 0 when not or unknown (redis
 * down: judged, as before there was a memory). */
static int
s_replayed(s_ad_t *ad, const char *ev)
{
	struct mf_store	*st;
	char		 why[300];
	int		 r;

	if (ev == NULL || (st = mf_client_store(&ad->cfg, why,
	    sizeof(why))) == NULL)
		return 0;
	if ((r = mf_store_event_seen(st, ad->forum, ev)) < 0)
		mf_log_warnx("event %s: cannot tell whether it was delivered "
		    "before (redis: %s); judged", ev, mf_store_error(st));
	mf_store_destroy(&st);
	return r == 1;
}

static void
s_remember(s_ad_t *ad, const char *ev)
{
	struct mf_store	*st;
	char		 why[300];

	if (ev == NULL)
		return;
	if ((st = mf_client_store(&ad->cfg, why, sizeof(why))) == NULL ||
	    mf_store_event_put(st, ad->forum, ev,
	    ad->cfg.discourse_replay_window_s) != 0)
		mf_log_warnx("event %s: not remembered (redis: %s); a replay "
		    "of it would be judged again", ev, st ? mf_store_error(st) :
		    why);
	mf_store_destroy(&st);
}

static enum MHD_Result
s_webhook(s_ad_t *ad, struct MHD_Connection *c, const mf_httpd_req_t *rq)
{
	const char	*ev, *sig;
	json_t		*root, *p;
	mf_post_t	*post;
	mf_verdict_t	*v;
	mf_buf_t	 mp = {0}, vb = {0};
	mf_err_t	 err = {0};
	long long	 id = 0, age;
	const char	*evid;
	int		 skip;
	char		 why[600];
	json_t		*out;

	s_count(ad, &ad->webhooks);
	if (rq->too_big) {
		s_count(ad, &ad->bad_request);
		return mf_httpd_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body "
		    "is over 1 MiB");
	}
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Discourse-Event-Signature");
	if (!s_signed(ad, sig, rq)) {
		s_count(ad, &ad->bad_signature);
		return mf_httpd_error(c, MHD_HTTP_UNAUTHORIZED, sig == NULL ?
		    "no X-Discourse-Event-Signature header; set the webhook's "
		    "Secret in Discourse to the one in "
		    "discourse_webhook_secret_file" : "X-Discourse-Event-"
		    "Signature does not match the body; the webhook's Secret "
		    "in Discourse and discourse_webhook_secret_file differ");
	}
	ev = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Discourse-Event");
	if (ev != NULL && strcmp(ev, "ping") == 0)
		return mf_httpd_send_json(c, MHD_HTTP_OK, json_pack("{sb}",
		    "ok", 1));
	if (ev != NULL && strcmp(ev, "reviewable_transitioned_to") == 0)
		return s_reviewable(ad, c, rq);
	if (ev == NULL || (strcmp(ev, "post_created") != 0 &&
	    strcmp(ev, "post_edited") != 0)) {
		s_count(ad, &ad->ignored);
		snprintf(why, sizeof(why), "event %.100s; medflag judges "
		    "post_created and post_edited", ev ? ev : "(none)");
		return s_ignored(c, why);
	}
	if ((p = s_body(rq, "post", "a Post Event", &root, why,
	    sizeof(why))) == NULL) {
		s_count(ad, &ad->bad_request);
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, why);
	}
	evid = s_event_id(c);
	if ((age = s_post_age(p)) > ad->cfg.discourse_replay_window_s ||
	    s_replayed(ad, evid)) {
		json_decref(root);
		s_count(ad, &ad->replayed);
		if (age > ad->cfg.discourse_replay_window_s)
			snprintf(why, sizeof(why), "the post was last changed "
			    "%lld s ago, over discourse_replay_window_s: a "
			    "delivery replayed", age);
		else
			snprintf(why, sizeof(why), "event %s was judged "
			    "before: a delivery replayed", evid);
		return s_ignored(c, why);
	}
	post = s_post(ad, p, &id, &skip, why, sizeof(why));
	json_decref(root);
	if (post == NULL) {
		s_count(ad, skip ? &ad->ignored : &ad->bad_request);
		return skip ? s_ignored(c, why) : mf_httpd_error(c,
		    MHD_HTTP_BAD_REQUEST, why);
	}
	if (mf_wire_encode_post(post, &mp, &err) != 0) {
		mf_post_destroy(&post);
		s_count(ad, &ad->bad_request);
		return mf_httpd_error(c, MHD_HTTP_BAD_REQUEST, err.msg);
	}
	if (mf_client_check_one(ad->client, ad->cfg.check, mp.data, mp.len,
	    ad->timeout_ms, &vb, why, sizeof(why)) != 0) {
		mf_post_destroy(&post);
		mf_buf_free(&mp);
		mf_buf_free(&vb);
		s_count(ad, &ad->unavailable);
		/* Discourse keeps the event and can deliver it again. */
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	}
	mf_buf_free(&mp);
	if ((v = mf_wire_decode_verdict(vb.data, vb.len, &err)) == NULL) {
		mf_post_destroy(&post);
		mf_buf_free(&vb);
		s_count(ad, &ad->unavailable);
		return mf_httpd_error(c, MHD_HTTP_BAD_GATEWAY, "medflagd's "
		    "answer is not a verdict");
	}
	mf_buf_free(&vb);
	s_count(ad, &ad->judged);
	s_remember(ad, evid);
	out = json_pack("{sI ss ss sb}", "post_id", (json_int_t)id, "action",
	    mf_action_name(v->action), "status", mf_status_name(v->status),
	    "duplicate", (v->flags & MF_VF_DUPLICATE) != 0);
	/* Detect only (mode shadow): the verdict says what would be done. */
	if (v->flags & MF_VF_SHADOW)
		out = mf_httpd_set(out, "flag", json_string("shadow"));
	else if (mf_adapter_raises(&ad->cfg, v) &&
	    !(v->flags & MF_VF_DUPLICATE)) {
		int	edit = v->revision != NULL &&
			    strcmp(v->revision, "1") != 0;
		int	queued = mf_outbox_put(ad->outbox, id, v->action >=
			    MF_ACT_HOLD && ad->cfg.discourse_review, edit, v,
			    post->body, post->body_len);

		if (queued == 0)
			(void)mf_adapter_acted(&ad->cfg, ad->forum, id, v);
		out = mf_httpd_set(out, "flag", json_string(queued == 0 ?
		    "queued" : "dropped"));
	}
	mf_verdict_destroy(&v);
	mf_post_destroy(&post);
	return mf_httpd_send_json(c, MHD_HTTP_OK, out);
}

static enum MHD_Result
s_health(s_ad_t *ad, struct MHD_Connection *c)
{
	mf_outbox_counts_t	 oc;
	json_t			*j;

	mf_outbox_counts(ad->outbox, &oc);
	pthread_mutex_lock(&ad->mu);
	{
		/* The counters copied under the lock, written after. */
		const struct {
			const char		*key;
			unsigned long long	 n;
		} k[] = {
			{ "webhooks", ad->webhooks },
			{ "judged", ad->judged },
			{ "flagged", oc.done - oc.hidden },
			{ "review", oc.review },
			{ "held", oc.hidden },
			{ "pending", oc.pending },
			{ "retries", oc.retries },
			{ "failed", oc.failed },
			{ "dropped", oc.dropped },
			{ "ignored", ad->ignored },
			{ "bad_signature", ad->bad_signature },
			{ "bad_request", ad->bad_request },
			{ "unavailable", ad->unavailable },
			{ "outcomes", ad->outcomes },
			{ "replayed", ad->replayed },
		};

		pthread_mutex_unlock(&ad->mu);
		j = json_pack("{sb}", "ok", 1);
		for (size_t i = 0; i < sizeof(k) / sizeof(*k); i++)
			j = mf_httpd_set(j, k[i].key, json_integer(
			    (json_int_t)k[i].n));
	}
	return mf_httpd_send_json(c, MHD_HTTP_OK, mf_httpd_set(j, "last_error",
	    mf_httpd_string(oc.last_error)));
}

static enum MHD_Result
s_handle(void *arg, struct MHD_Connection *c, const char *url,
    const char *method, const mf_httpd_req_t *rq)
{
	s_ad_t	*ad = arg;

	if (strcmp(url, S_PATH) == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return mf_httpd_not_allowed(c, "POST");
		return s_webhook(ad, c, rq);
	}
	if (strcmp(url, "/healthz") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return mf_httpd_not_allowed(c, "GET, HEAD");
		return s_health(ad, c);
	}
	return mf_httpd_error(c, MHD_HTTP_NOT_FOUND, "no such path; there are "
	    "POST " S_PATH " (the webhook) and GET /healthz");
}

static const char *const s_paths[] = { S_PATH, "/healthz", NULL };

/* ---- setup ------------------------------------------------------------ */

int
mf_cmd_discourse(int argc, char **argv, const mf_cli_t *cli)
{
	s_ad_t		 ad;
	mf_client_t	 cl = {0};
	const char	*listen = NULL;
	char		 banner[1200];
	void		*probe;
	size_t		 n;
	int		 rc;

	memset(&ad, 0, sizeof(ad));
	ad.timeout_ms = 10000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (mf_cli_ms("medflag discourse", argv[i], argv[i + 1],
			    &ad.timeout_ms) != 0)
				return 2;
			i++;
		} else {
			fprintf(stderr, "usage: medflag discourse [--listen "
			    "HOST:PORT] [--timeout MS]\n");
			return 2;
		}
	}
	if (mf_client_config(cli, &ad.cfg) == -1)
		return 1;
	mf_log_init("medflag-discourse", ad.cfg.log_level);
	(void)mf_log_set_sink(ad.cfg.log);
	if (listen == NULL)
		listen = ad.cfg.discourse_listen;
	n = strlen(ad.cfg.discourse_url);
	while (n > 0 && ad.cfg.discourse_url[n - 1] == '/')
		ad.cfg.discourse_url[--n] = '\0';
	if (strncmp(ad.cfg.discourse_url, "https://", 8) != 0 &&
	    strncmp(ad.cfg.discourse_url, "http://", 7) != 0) {
		fprintf(stderr, "medflag discourse: discourse_url is %s\n  "
		    "hint: set it in medflag.conf to the forum's address, as "
		    "discourse_url https://forum.example.org\n",
		    n ? ad.cfg.discourse_url : "not set");
		return 1;
	}
	snprintf(ad.forum, sizeof(ad.forum), "discourse:%s",
	    ad.cfg.discourse_url);
	if (sodium_init() < 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "medflag discourse: libsodium or libcurl did "
		    "not start\n");
		return 1;
	}
	if ((ad.api_key = mf_adapter_secret("medflag discourse",
	    "discourse_api_key_file",
	    ad.cfg.discourse_api_key_file, "an API key made in Discourse "
	    "(Admin > API > New API Key, for discourse_api_user)")) == NULL ||
	    (ad.secret = mf_adapter_secret("medflag discourse",
	    "discourse_webhook_secret_file",
	    ad.cfg.discourse_webhook_secret_file, "the Secret of the "
	    "webhook (Admin > API > Webhooks)")) == NULL) {
		free(ad.api_key);
		curl_global_cleanup();
		return 1;
	}
	ad.secret_len = strlen(ad.secret);
	/* WebHook validates secret, length: { minimum: 12 }: a shorter one
	 * cannot be what Discourse signs with. */
	if (ad.secret_len < 12) {
		fprintf(stderr, "%s:1:1: error: discourse_webhook_secret_file: "
		    "the secret has %zu characters\n  hint: Discourse refuses "
		    "a webhook secret of fewer than 12; make a long random one "
		    "(openssl rand -hex 24) and give the same to the webhook\n",
		    ad.cfg.discourse_webhook_secret_file, ad.secret_len);
		rc = 1;
		goto out;
	}
	/* The context and the CURVE keys, made once before the threads. */
	ad.client = &cl;
	if (mf_client_init(&cl, &ad.cfg) == -1 || (probe =
	    mf_client_socket(&cl, ZMQ_DEALER, ad.cfg.check)) == NULL) {
		rc = 1;
		goto out;
	}
	zmq_close(probe);
	pthread_mutex_init(&ad.mu, NULL);
	ad.curl = curl_easy_init();
	if ((ad.outbox = mf_outbox_new("medflag discourse", "post", "check "
	    "discourse_url and that the API key is a global one (no granular "
	    "scope of Discourse covers flagging) for discourse_api_user, a "
	    "user who may flag (staff, to hide)", &ad.cfg, 0, s_raise,
	    &ad)) == NULL) {
		fprintf(stderr, "medflag discourse: out of memory\n");
		rc = 1;
		goto out;
	}
	(void)mf_outbox_keep(ad.outbox, ad.forum);	/* -1: logged */
	if (mf_outbox_start(ad.outbox) != 0) {
		fprintf(stderr, "medflag discourse: cannot start a thread\n");
		rc = 1;
		goto out;
	}
	mf_client_catch_signals();
	snprintf(banner, sizeof(banner), "(webhook POST %s; flags to %s as "
	    "%s; check %s)", S_PATH, ad.cfg.discourse_url,
	    ad.cfg.discourse_api_user, ad.cfg.check);
	rc = mf_httpd_run("medflag discourse", "--listen", listen, &ad.cfg,
	    s_handle, &ad, banner, s_paths);
	/* What the forum did not take yet is kept in redis for the next
	 * run: a short last try. */
	mf_outbox_stop(ad.outbox, 2000);
	if (rc == 0) {
		mf_outbox_counts_t	oc;

		mf_outbox_counts(ad.outbox, &oc);
		mf_log_info("stopped: %llu webhooks, %llu judged, %llu "
		    "flagged (%llu for review), %llu hidden, %llu failed, "
		    "%llu outcomes", ad.webhooks, ad.judged, oc.done -
		    oc.hidden, oc.review, oc.hidden, oc.failed, ad.outcomes);
	}
out:
	mf_outbox_destroy(&ad.outbox);
	if (ad.curl != NULL)
		curl_easy_cleanup(ad.curl);
	mf_client_term(&cl);
	sodium_memzero(ad.secret, ad.secret_len);
	free(ad.secret);
	free(ad.api_key);
	curl_global_cleanup();
	return rc;
}
