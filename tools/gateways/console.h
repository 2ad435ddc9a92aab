/*
 * console.h - the web console of `medflag http --console`: the static
 * pages under /ui/ and the JSON they read under /v1/ (docs/protocol.md,
 * "Web console"): stats, live verdicts as server-sent events, a post
 * explained, the rules with their hits and precision, a rule's backtest.
 *
 * Not responsible for access (http.c checks the token before calling in)
 * nor for check and feedback (http.c). Never logs, stores or sends post
 * text, but for the posts of the text window (events.c), which lives in
 * memory only and only when the operator turns it on.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CONSOLE_H
#define MF_CONSOLE_H

#include "client.h"
#include "httpd.h"

typedef struct mf_console mf_console_t;

typedef struct mf_console_opts {
	const char	*ui;		/* the pages' folder */
	const char	*corpus;	/* for backtests; NULL: none */
	int		 text_window_s;	/* 0: off */
	int		 timeout_ms;	/* for medflagd's control endpoint */
	int		 token;		/* 1: requests carry a token */
} mf_console_opts_t;

/* Loads the rules of client->cfg->rules (as `medflag explain` does) for
 * "Try a post" and the rules pages. BORROWS: 'client' and the strings of
 * 'o' for the console's life. NULL with the problems on stderr. OWNS:
 * caller. */
mf_console_t	*mf_console_new(mf_client_t *client,
		    const mf_console_opts_t *o);
void		 mf_console_destroy(mf_console_t **self_p);

/* Answers 'url' when it is the console's (/ui/..., /v1/stats,
 * /v1/events, /v1/try, /v1/rules...): 1 with '*rc' set; 0 when it is
 * not one of its paths. */
int		 mf_console_handle(mf_console_t *self,
		    struct MHD_Connection *c, const char *url,
		    const char *method, const mf_httpd_req_t *rq,
		    enum MHD_Result *rc);

/* Whether 'url' is one of the console's paths: 0 if not; public (the
 * pages, /v1/console: nothing of medflag's data) or private (the rest,
 * which needs the token when there is one). */
#define MF_CONSOLE_PUBLIC	1
#define MF_CONSOLE_PRIVATE	2
int		 mf_console_path(const char *url);

/* Keeps the text of 'post' for the live view for the text window's
 * seconds (does nothing when it is off). */
void		 mf_console_remember(mf_console_t *self,
		    const mf_post_t *post);

/*
 * The text window (events.c): post id -> text, each for at most 'secs'
 * seconds, at most MF_TEXTWIN_POSTS posts and MF_TEXTWIN_BYTES of text,
 * in memory only; an entry is wiped (zeroed) when it expires or is
 * pushed out. Thread-safe.
 */
#define MF_TEXTWIN_POSTS	1000
#define MF_TEXTWIN_BYTES	(16u << 20)
typedef struct mf_textwin mf_textwin_t;

mf_textwin_t	*mf_textwin_new(int secs);
void		 mf_textwin_destroy(mf_textwin_t **self_p);
void		 mf_textwin_put(mf_textwin_t *self, const char *post_id,
		    const char *text, size_t len);
/* 'event' with "body" set to the text of 'post_id' when it is in the
 * window (invalid UTF-8 as U+FFFD). TAKES: 'event'; NULL when it is
 * NULL or memory runs out (mf_httpd_set). */
json_t		*mf_textwin_json(mf_textwin_t *self, const char *post_id,
		    json_t *event);

/* GET /v1/events: verdicts from client->cfg->verdicts as server-sent
 * events (events.c). 'win' may be NULL. */
enum MHD_Result	 mf_console_events(mf_client_t *client,
		    mf_textwin_t *win, struct MHD_Connection *c);

#endif
