/*
 * config.h - medflag.conf: the one configuration file read by medflagd,
 * medflag-worker and the `medflag` client subcommands.
 *
 * The format is line-based: "key value", '#' starts a comment, blank lines
 * are ignored. Every directive is listed once in a table in config.c (name,
 * type, bounds, default, whether reload may change it, help); the parser,
 * `medflagd -n` and docs/operations.md follow that table.
 * Not responsible for acting on a value: the daemons read the struct.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_CONFIG_H
#define MF_CONFIG_H

#include <stddef.h>

#include "err.h"

#define MF_CONFIG_MAX_KEYS	64	/* directives in the table, at most */
#define MF_CONFIG_MAX_FILES	16	/* the file and those of local.d/ */

typedef struct mf_config {
	/* ZeroMQ endpoints; defaults tcp://127.0.0.1:7701..7705 */
	char	ingest[256], check[256], verdicts[256], control[256],
		backend[256];
	/* rules directory; default $datadir/medflag/rules; absolute once
	 * read from a file */
	char	rules[1024];
	/* redis://host:port/db or unix:///path[?db=N];
	 * default redis://127.0.0.1:6379/0 */
	char	redis[1024];
	char	redis_password[256];	/* AUTH; "" none */
	char	redis_prefix[64];	/* key prefix, default "medflag:" */
	/* local workers to start; default: number of cores; 0 = none */
	int	workers;
	int	heartbeat_ms;		/* default 1000 */
	/* default 3000: missed heartbeats -> worker dead, posts requeued */
	int	worker_timeout_ms;
	int	max_queue;		/* posts queued before ingest stops */
	int	journal_max;		/* verdict journal length in Redis */
	int	journal_max_mb;		/* and its bytes, MiB; default 256 */
	int	verdicts_hwm;		/* verdicts queued per subscriber */
	int	dedup_window_s;		/* default 600 */
	int	dedup_max_entries;	/* verdicts held; default 50000 */
	int	dedup_max_mb;		/* their bytes, MiB; default 32 */
	char	log_level[16];		/* debug|info|warn */
	char	log[16];		/* stderr|syslog|json|journald (log.h) */
	char	path[1024];		/* file it was read from, "" defaults */
	/* Additions beyond the shared minimum (all have defaults). */
	int	worker_credit;		/* posts in flight per worker; 64 */
	int	poison_kills;		/* worker deaths before error verdict */
	int	redis_timeout_ms;	/* connect/command timeout; 200 */
	/* CURVE (curve.h); all "" by default: no encryption. */
	char	curve_secret_key[1024];	/* medflagd's secret key file */
	char	curve_allow[1024];	/* dir of <role>.keys allow lists */
	char	curve_server_key[64];	/* clients: medflagd's public key */
	char	curve_client_key[1024];	/* clients: own secret key file */
	/* medflag discourse (docs/adapters.md); "" = not set. */
	char	discourse_url[512];	/* the forum, https://forum.example */
	char	discourse_api_key_file[1024];	/* file holding the API key */
	char	discourse_api_user[64];	/* Api-Username; default "system" */
	char	discourse_webhook_secret_file[1024];
	char	discourse_listen[64];	/* default 127.0.0.1:7781 */
	int	discourse_review;	/* hold: hide until reviewed; 1 */
	/* 1: rules load only beside RULES/canary.jsonl (canary.c) */
	int	canary;
	char	pidfile[1024];		/* medflagd's lock; "" automatic */
	/* medflag http's web console (docs/operations.md); off by default. */
	int	console;		/* 1: /ui/ and its /v1/ paths */
	char	console_token_file[1024];	/* "": loopback reads only */
	char	console_ui[1024];	/* the pages' folder */
	char	console_corpus[1024];	/* backtests' posts; "" none */
	int	console_text_window_s;	/* 0: no post text, ever */
	/* medflag http and discourse: each connection's limits (httpd.h) */
	int	http_header_timeout_s;	/* from connect to a whole header */
	int	http_body_timeout_s;	/* from the header to the whole body */
	int	http_per_client;	/* connections per client address */
	/* `mode shadow` (1): detect only, every verdict flagged "shadow" by
	 * medflagd and no adapter acts on it; 0: enforce, the default. */
	int	shadow;
	/* local.d/ beside the file read ("" without one): *.conf files read
	 * after it, *.rules and sources/ *.list added to the rules. */
	char	local[1024];
	/* Where each directive's value came from, for `medflag config`:
	 * files[from_file[i] - 1], line from_line[i]; 0 is the default. i
	 * indexes the directive table. */
	char	files[MF_CONFIG_MAX_FILES][1024];
	size_t	nfiles;
	unsigned char from_file[MF_CONFIG_MAX_KEYS];
	unsigned from_line[MF_CONFIG_MAX_KEYS];
	int	adapter_retry_s;	/* an adapter's action, retried */
	int	adapter_review;		/* 1: annotate + review raises a flag */
	int	discourse_replay_window_s;	/* event ids remembered */
	/* Auto-demotion by the moderators' precision (feedback.c). */
	int	demote_below;		/* percent; 0: never */
	int	demote_min_outcomes;	/* outcomes before it may */
	/* medflag mediawiki (docs/adapters.md); "" = not set. */
	char	mediawiki_api[512];	/* https://wiki.example/w/api.php */
	char	mediawiki_user[128];	/* a bot password's login name */
	char	mediawiki_password_file[1024];
	char	mediawiki_namespaces[128];	/* "0|2", default "0" */
	char	mediawiki_rc_listen[64];	/* UDP RC feed; "" none */
	int	mediawiki_poll_ms;	/* default 30000 */
	char	mediawiki_state_file[1024];	/* where the cursor is kept */
	char	mediawiki_tag_flag[64], mediawiki_tag_hold[64];
	/* Control: 1 lets a control endpoint other hosts can reach run
	 * without CURVE (medflagd refuses to start so otherwise). */
	int	control_open;
	int	reload_min_interval_ms;	/* reloads start at most this often */
	int	reload_timeout_ms;	/* a reload waits this long for acks */
} mf_config_t;

/* Fills every field with its default. */
void		 mf_config_defaults(mf_config_t *c);
/* Reads "key value" lines ('#' comments) over the current values of 'c'
 * (call mf_config_defaults() first), then every local.d/ *.conf beside
 * the file, sorted by name, the same way. Unknown keys and bad values go
 * to 'diags' with file:line:col and a hint; returns the number of errors
 * (-1 style failures such as an unreadable file count as one error). */
int		 mf_config_load(mf_config_t *c, const char *path,
		    mf_diags_t *diags);
/* The path used when -c is not given: $MEDFLAG_CONF, else
 * MF_CONFIG_SYSTEM if it exists, else NULL (defaults).
 * BORROWS: static or environment storage. */
const char	*mf_config_default_path(void);
/* The system configuration, $sysconfdir/medflag/medflag.conf of the
 * build (Makefile: SYSCONFDIR). */
extern const char mf_config_system[];
#define MF_CONFIG_SYSTEM	mf_config_system
/*
 * What every program does: the defaults, then 'path' (-c) or the default
 * path. Relative paths in a file (rules, key files) resolve against the
 * file's folder. Without any file, and when the installed rules directory
 * does not exist, ./rules is used if there is one (a build run from its
 * source tree). Returns the number of errors, as mf_config_load().
 */
int		 mf_config_read(mf_config_t *c, const char *path,
		    mf_diags_t *diags);

/* The directive table, for `medflagd -n`, docs and `medflag top`. */
/* MF_CONF_PATH: a string that, when relative, is made absolute against
 * the folder of the file it was read from. */
typedef enum { MF_CONF_STR, MF_CONF_INT, MF_CONF_ENDPOINT, MF_CONF_REDIS,
	MF_CONF_LEVEL, MF_CONF_PATH, MF_CONF_ONOFF, MF_CONF_SINK,
	MF_CONF_MODE }
	mf_conf_type_t;

typedef struct mf_config_directive {
	const char	*name;
	mf_conf_type_t	 type;
	size_t		 offset;	/* into mf_config_t */
	size_t		 size;		/* for strings: buffer size */
	long		 min, max;	/* for integers */
	const char	*def;		/* default as text ("ncpu" for workers) */
	int		 reloadable;	/* may change on reload */
	const char	*help;
} mf_config_directive_t;

/* BORROWS: the static table; '*n' receives its length. */
const mf_config_directive_t *mf_config_directives(size_t *n);
/* Sets one directive from text, as a config line would. Returns 0, or -1
 * with a message (and hint) in 'err'. */
int		 mf_config_set(mf_config_t *c, const char *name,
		    const char *value, mf_err_t *err);

#endif
