/*
 * events.c - the console's live view: GET /v1/events streams medflagd's
 * verdicts as server-sent events, each from a SUB socket of its own on
 * the verdicts endpoint (as `medflag tail` subscribes), and the text
 * window that may add a post's text to its verdict.
 *
 * One event per verdict: "id: SEQ", "event: verdict", "data: " and the
 * verdict as JSON (the wire's fields, which hold no post text). A
 * comment line every 10 s keeps proxies from closing a quiet stream. A
 * client that falls behind loses verdicts at the socket's high-water
 * mark, never blocks medflagd; seq shows the gap. A page that
 * reconnects with Last-Event-ID gets what it missed from the journal.
 *
 * The text window is off unless console_text_window_s says: then
 * the text of a post checked through this gateway is kept in memory for
 * that many seconds and sent with its verdict. Nothing else keeps text.
 * Not responsible for access (http.c) nor for the pages (console.c).
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "console.h"
#include "store.h"
#include "wire.h"

#define S_KEEPALIVE_MS	10000
#define S_STREAMS_MAX	32	/* live views at once */
#define S_BLOCK		65536
#define S_REPLAY_MAX	1000	/* verdicts replayed on a reconnect */

/* ---- the text window ---------------------------------------------------- */

typedef struct s_text {
	char	*post_id;
	char	*text;
	size_t	 len;
	int64_t	 until_ms;
} s_text_t;

struct mf_textwin {
	pthread_mutex_t	 mu;
	int		 secs;
	s_text_t	 v[MF_TEXTWIN_POSTS];	/* a ring, oldest at 'head' */
	size_t		 head, n;
	size_t		 bytes;			/* of text held */
};

static void
s_wipe(s_text_t *t)
{
	if (t->text != NULL)
		explicit_bzero(t->text, t->len);
	free(t->text);
	free(t->post_id);
	memset(t, 0, sizeof(*t));
}

mf_textwin_t *
mf_textwin_new(int secs)
{
	mf_textwin_t *w = calloc(1, sizeof(*w));

	if (w != NULL) {
		pthread_mutex_init(&w->mu, NULL);
		w->secs = secs;
	}
	return w;
}

void
mf_textwin_destroy(mf_textwin_t **self_p)
{
	mf_textwin_t *w;

	if (self_p == NULL || (w = *self_p) == NULL)
		return;
	for (size_t i = 0; i < MF_TEXTWIN_POSTS; i++)
		s_wipe(&w->v[i]);
	pthread_mutex_destroy(&w->mu);
	free(w);
	*self_p = NULL;
}

/* Drops the oldest entry. Under the lock. */
static void
s_drop(mf_textwin_t *w)
{
	w->bytes -= w->v[w->head].len;
	s_wipe(&w->v[w->head]);
	w->head = (w->head + 1) % MF_TEXTWIN_POSTS;
	w->n--;
}

/* Drops what expired, oldest first. Under the lock. */
static void
s_expire(mf_textwin_t *w, int64_t now)
{
	while (w->n > 0 && w->v[w->head].until_ms <= now)
		s_drop(w);
}

void
mf_textwin_put(mf_textwin_t *w, const char *post_id, const char *text,
    size_t len)
{
	s_text_t	*t;
	int64_t		 now = mf_now_ms();

	if (w == NULL || post_id == NULL || text == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	s_expire(w, now);
	/* Full: the oldest go. */
	while (w->n > 0 && (w->n == MF_TEXTWIN_POSTS ||
	    w->bytes + len > MF_TEXTWIN_BYTES))
		s_drop(w);
	t = &w->v[(w->head + w->n) % MF_TEXTWIN_POSTS];
	if ((t->post_id = strdup(post_id)) != NULL &&
	    (t->text = malloc(len + 1)) != NULL) {
		memcpy(t->text, text, len);
		t->text[len] = '\0';
		t->len = len;
		t->until_ms = now + (int64_t)w->secs * 1000;
		w->bytes += len;
		w->n++;
	} else
		s_wipe(t);
	pthread_mutex_unlock(&w->mu);
}

json_t *
mf_textwin_json(mf_textwin_t *w, const char *post_id, json_t *event)
{
	if (w == NULL || post_id == NULL || event == NULL)
		return event;
	pthread_mutex_lock(&w->mu);
	s_expire(w, mf_now_ms());
	/* Newest first: a post checked again has its latest text. */
	for (size_t k = w->n; k-- > 0;) {
		const s_text_t *t = &w->v[(w->head + k) % MF_TEXTWIN_POSTS];

		if (strcmp(t->post_id, post_id) == 0) {
			event = mf_httpd_set(event, "body",
			    mf__json_string(t->text, t->len));
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return event;
}

/* ---- the stream ------------------------------------------------------------ */

static pthread_mutex_t	s_streams_mu = PTHREAD_MUTEX_INITIALIZER;
static int		s_streams;

typedef struct s_stream {
	mf_client_t		*client;
	const mf_config_t	*cfg;		/* client->cfg */
	mf_textwin_t		*win;
	void			*sub;	/* made in the connection's thread */
	mf_buf_t		 out;	/* what is yet to be sent */
	size_t			 sent;
	uint64_t		 since;	/* Last-Event-ID: replay after it */
	uint64_t		 last;	/* highest seq sent */
	int			 failed;
} s_stream_t;

/* One verdict as an event into s->out, unless its seq was sent already
 * (the journal's replay and the live stream overlap). */
static void
s_event(s_stream_t *s, const void *msg, size_t len)
{
	mf__mp_obj_t	 v;
	char		 id[MF_WIRE_MAX_POST_ID + 1];
	mf_buf_t	*o = &s->out;
	json_t		*ev;
	long long	 seq;

	if (mf__mp_open(&v, msg, len, len, 1, "verdict", NULL) == 0 &&
	    (seq = mf__mp_get_int(&v, "seq", 0)) >= 0) {
		/* seq 1 after more: medflagd restarted and counts anew. */
		if (seq == 1 && s->last > 1)
			s->last = 0;
		if ((uint64_t)seq <= s->last && seq > 0)
			return;
		if ((uint64_t)seq > s->last)
			s->last = (uint64_t)seq;
		mf__mp_get_str(&v, "post_id", id, sizeof(id));
		ev = mf_textwin_json(s->win, id, json_pack("{so}", "verdict",
		    mf__mp_json_tree(&v, NULL)));
		/* Compact JSON holds no newline: one data line. '|', so that
		 * 'ev' is taken whatever fails. */
		if ((mf_buf_printf(o, "id: %lld\nevent: verdict\ndata: ",
		    seq) != 0) | (mf_httpd_dump(ev, o) != 0) |
		    (mf_buf_puts(o, "\n\n") != 0))
			s->failed = 1;
	}
}

static int
s_on_journal(uint64_t seq, const void *msg, size_t len, void *arg)
{
	(void)seq;
	s_event(arg, msg, len);
	return 0;
}

/*
 * What a page missed while it reconnected: the journal from the seq
 * after its Last-Event-ID, at most S_REPLAY_MAX verdicts, after the
 * subscription (as `medflag tail --since`: nothing published meanwhile
 * is missed, and s_event() drops the overlap). Without Redis the page
 * sees the gap in seq.
 */
static void
s_replay(s_stream_t *s)
{
	mf_store_t	*st;
	char		 why[600];

	s->last = s->since;
	if ((st = mf_store_connect(s->cfg, 1000, why, sizeof(why))) == NULL)
		return;
	(void)mf_store_journal_since(st, s->since + 1, S_REPLAY_MAX,
	    s_on_journal, s);
	mf_store_destroy(&st);
}

/* Waits for verdicts until there is something to send: verdicts, or a
 * keep-alive comment. -1 when the gateway stops or the socket fails. */
static int
s_fill(s_stream_t *s)
{
	int64_t	quiet = 0;

	while (s->out.len == 0) {
		zmq_pollitem_t	it = { s->sub, 0, ZMQ_POLLIN, 0 };
		int		n;

		if (mf_client_stop || s->failed)
			return -1;
		if ((n = zmq_poll(&it, 1, 1000)) == -1)
			continue;	/* EINTR */
		if (n == 0) {
			if ((quiet += 1000) >= S_KEEPALIVE_MS &&
			    mf_buf_puts(&s->out, ": quiet\n\n") != 0)
				return -1;
			continue;
		}
		for (int k = 0; k < 64; k++) {	/* what is there, at most 64 */
			zmq_msg_t	m;
			int		parts;

			zmq_msg_init(&m);
			parts = mf_client_recv_verdict(s->sub, ZMQ_DONTWAIT, &m);
			if (parts == 2)
				s_event(s, zmq_msg_data(&m), zmq_msg_size(&m));
			zmq_msg_close(&m);
			if (parts == -1)
				break;
		}
	}
	return 0;
}

static ssize_t
s_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	s_stream_t	*s = cls;
	size_t		 n;

	(void)pos;
	if (s->sub == NULL) {
		static const char	topic[] = "verdict.";
		int			hwm = 10000;

		if ((s->sub = mf_client_socket(s->client, ZMQ_SUB,
		    s->cfg->verdicts)) == NULL)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		zmq_setsockopt(s->sub, ZMQ_RCVHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, topic, sizeof(topic) - 1);
		/* The first bytes say the stream is open before any
		 * verdict: a page shows "live" at once. */
		if (mf_buf_puts(&s->out, ": medflag verdicts\n\n") != 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (s->since > 0)
			s_replay(s);
	}
	if (s->sent == s->out.len) {
		mf_buf_reset(&s->out);
		s->sent = 0;
		if (s_fill(s) == -1)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = s->out.len - s->sent < max ? s->out.len - s->sent : max;
	memcpy(buf, s->out.data + s->sent, n);
	s->sent += n;
	return (ssize_t)n;
}

static void
s_release(void)
{
	pthread_mutex_lock(&s_streams_mu);
	s_streams--;
	pthread_mutex_unlock(&s_streams_mu);
}

static void
s_free(void *cls)
{
	s_stream_t	*s = cls;

	if (s->sub != NULL)
		zmq_close(s->sub);
	mf_buf_free(&s->out);
	free(s);
	s_release();
}

enum MHD_Result
mf_console_events(mf_client_t *client, mf_textwin_t *win,
    struct MHD_Connection *c)
{
	struct MHD_Response	*r;
	s_stream_t		*s;
	enum MHD_Result		 rc;
	int			 full;
	const char		*h;
	char			*end;

	pthread_mutex_lock(&s_streams_mu);
	if (!(full = s_streams >= S_STREAMS_MAX))
		s_streams++;
	pthread_mutex_unlock(&s_streams_mu);
	if (full)
		return mf_httpd_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too "
		    "many live views open (32); close one and try again");
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		s_release();
		return MHD_NO;
	}
	s->client = client;
	s->cfg = client->cfg;
	s->win = win;
	if ((h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Last-Event-ID")) != NULL) {
		s->since = strtoull(h, &end, 10);
		if (*h < '0' || *h > '9' || *end != '\0')
			s->since = 0;
	}
	/* The socket is made in s_read(), in the thread that uses it. */
	if ((r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, S_BLOCK,
	    s_read, s, s_free)) == NULL) {
		s_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}
