/*
 * config.c - reads medflag.conf into an mf_config_t.
 *
 * One table lists every directive; parsing, checking (`medflagd -n`) and
 * the documentation follow it. Every problem of a file is reported with
 * file:line:col and a hint, then the caller refuses the whole file.
 * Not responsible for applying values (the daemons do that).
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define F(x)	offsetof(mf_config_t, x)
#define S(x)	sizeof(((mf_config_t *)0)->x)

static const mf_config_directive_t s_table[] = {
	{ "ingest", MF_CONF_ENDPOINT, F(ingest), S(ingest), 0, 0,
	    "tcp://127.0.0.1:7701", 0,
	    "PULL endpoint for fire-and-forget posts" },
	{ "check", MF_CONF_ENDPOINT, F(check), S(check), 0, 0,
	    "tcp://127.0.0.1:7702", 0,
	    "ROUTER endpoint for check requests (one verdict per post)" },
	{ "verdicts", MF_CONF_ENDPOINT, F(verdicts), S(verdicts), 0, 0,
	    "tcp://127.0.0.1:7703", 0,
	    "PUB endpoint: topic verdict.<action>, msgpack verdict" },
	{ "control", MF_CONF_ENDPOINT, F(control), S(control), 0, 0,
	    "tcp://127.0.0.1:7704", 0,
	    "ROUTER endpoint for stats, health, workers, reload" },
	{ "backend", MF_CONF_ENDPOINT, F(backend), S(backend), 0, 0,
	    "tcp://127.0.0.1:7705", 0,
	    "ROUTER endpoint medflag-worker processes connect to" },
	{ "rules", MF_CONF_STR, F(rules), S(rules), 0, 0, "rules", 1,
	    "rules directory (*.rules, policy.conf, sources/*.list)" },
	{ "redis", MF_CONF_REDIS, F(redis), S(redis), 0, 0,
	    "redis://127.0.0.1:6379/0", 0,
	    "Redis server: redis://host:port/db or unix:///path[?db=N]" },
	{ "redis_password", MF_CONF_STR, F(redis_password),
	    S(redis_password), 0, 0, "", 0,
	    "password sent with AUTH; empty for none" },
	{ "redis_prefix", MF_CONF_STR, F(redis_prefix), S(redis_prefix),
	    0, 0, "medflag:", 0, "prefix of every Redis key" },
	{ "redis_timeout_ms", MF_CONF_INT, F(redis_timeout_ms), 0, 10, 60000,
	    "200", 0, "Redis connect and command timeout" },
	{ "workers", MF_CONF_INT, F(workers), 0, 0, 1024, "ncpu", 0,
	    "local medflag-worker processes to start; 0 = remote only" },
	{ "worker_credit", MF_CONF_INT, F(worker_credit), 0, 1, 10000, "64",
	    0, "posts one worker may hold at a time" },
	{ "heartbeat_ms", MF_CONF_INT, F(heartbeat_ms), 0, 50, 60000, "1000",
	    0, "heartbeat interval between medflagd and workers" },
	{ "worker_timeout_ms", MF_CONF_INT, F(worker_timeout_ms), 0, 100,
	    600000, "3000", 0,
	    "silence after which a worker is dead and its posts requeued" },
	{ "poison_kills", MF_CONF_INT, F(poison_kills), 0, 1, 100, "3", 0,
	    "worker deaths a post may cause before it gets an error verdict" },
	{ "max_queue", MF_CONF_INT, F(max_queue), 0, 1, 10000000, "10000", 0,
	    "posts queued before ingest stops reading and check says busy" },
	{ "journal_max", MF_CONF_INT, F(journal_max), 0, 0, 100000000,
	    "100000", 0, "verdicts kept in the Redis journal (0 = none)" },
	{ "dedup_window_s", MF_CONF_INT, F(dedup_window_s), 0, 0, 86400 * 30,
	    "600", 0, "seconds a repeated post gets the stored verdict" },
	{ "dedup_max_entries", MF_CONF_INT, F(dedup_max_entries), 0, 1,
	    50000000, "50000", 0,
	    "verdicts dedup holds at most (oldest dropped first)" },
	{ "dedup_max_mb", MF_CONF_INT, F(dedup_max_mb), 0, 1, 65536, "32", 0,
	    "MiB of verdicts dedup holds at most" },
	{ "curve_secret_key", MF_CONF_STR, F(curve_secret_key),
	    S(curve_secret_key), 0, 0, "", 0,
	    "medflagd's CURVE secret key file (medflag keygen); set: every "
	    "endpoint encrypts and authenticates" },
	{ "curve_allow", MF_CONF_STR, F(curve_allow), S(curve_allow), 0, 0,
	    "", 0, "directory of producers.keys, subscribers.keys, "
	    "operators.keys, workers.keys (public keys allowed)" },
	{ "curve_server_key", MF_CONF_STR, F(curve_server_key),
	    S(curve_server_key), 0, 0, "", 0,
	    "for clients and remote workers: medflagd's public key (default: "
	    "from curve_secret_key when readable)" },
	{ "curve_client_key", MF_CONF_STR, F(curve_client_key),
	    S(curve_client_key), 0, 0, "", 0,
	    "for clients and remote workers: their own secret key file "
	    "(default: curve_secret_key)" },
	{ "discourse_url", MF_CONF_STR, F(discourse_url), S(discourse_url),
	    0, 0, "", 0, "medflag discourse: the forum's base URL, as "
	    "https://forum.example.org" },
	{ "discourse_api_key_file", MF_CONF_STR, F(discourse_api_key_file),
	    S(discourse_api_key_file), 0, 0, "", 0,
	    "medflag discourse: a file holding the Discourse API key" },
	{ "discourse_api_user", MF_CONF_STR, F(discourse_api_user),
	    S(discourse_api_user), 0, 0, "system", 0,
	    "medflag discourse: the user the flags are raised as" },
	{ "discourse_webhook_secret_file", MF_CONF_STR,
	    F(discourse_webhook_secret_file),
	    S(discourse_webhook_secret_file), 0, 0, "", 0,
	    "medflag discourse: a file holding the webhook's secret" },
	{ "discourse_listen", MF_CONF_STR, F(discourse_listen),
	    S(discourse_listen), 0, 0, "127.0.0.1:7781", 0,
	    "medflag discourse: where the webhook is served" },
	{ "discourse_review", MF_CONF_INT, F(discourse_review), 0, 0, 1, "1",
	    0, "medflag discourse: a hold verdict hides the post until "
	    "reviewed (needs a staff user); 0 = flag only" },
	{ "log_level", MF_CONF_LEVEL, F(log_level), S(log_level), 0, 0,
	    "info", 1, "debug, info or warn" },
};

#define NTABLE	(sizeof(s_table) / sizeof(s_table[0]))

const mf_config_directive_t *
mf_config_directives(size_t *n)
{
	if (n != NULL)
		*n = NTABLE;
	return s_table;
}

static int
s_ncpu(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/*
 * Sets one directive. On error writes the problem to 'msg' and what to do
 * to 'hint' and returns -1.
 */
static int
s_set(mf_config_t *c, const mf_config_directive_t *d, const char *v,
    char *msg, size_t msgcap, char *hint, size_t hintcap)
{
	char	*p = (char *)c + d->offset;
	char	*end;
	long	 n;

	hint[0] = '\0';
	switch (d->type) {
	case MF_CONF_INT:
		if (strcmp(d->name, "workers") == 0 && strcmp(v, "ncpu") == 0) {
			*(int *)p = s_ncpu();
			return 0;
		}
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0) {
			snprintf(msg, msgcap, "%s: '%s' is not an integer",
			    d->name, v);
			snprintf(hint, hintcap, "write a whole number between "
			    "%ld and %ld", d->min, d->max);
			return -1;
		}
		if (n < d->min || n > d->max) {
			snprintf(msg, msgcap, "%s: %ld is out of range",
			    d->name, n);
			snprintf(hint, hintcap, "allowed: %ld to %ld",
			    d->min, d->max);
			return -1;
		}
		*(int *)p = (int)n;
		return 0;
	case MF_CONF_ENDPOINT:
		if (strncmp(v, "tcp://", 6) && strncmp(v, "ipc://", 6) &&
		    strncmp(v, "inproc://", 9)) {
			snprintf(msg, msgcap, "%s: '%s' is not a ZeroMQ "
			    "endpoint", d->name, v);
			snprintf(hint, hintcap, "use tcp://HOST:PORT or "
			    "ipc:///path/to/socket");
			return -1;
		}
		break;
	case MF_CONF_REDIS:
		if (strncmp(v, "redis://", 8) && strncmp(v, "unix://", 7)) {
			snprintf(msg, msgcap, "redis: '%s' is not a Redis "
			    "address", v);
			snprintf(hint, hintcap, "use redis://HOST:PORT/DB or "
			    "unix:///path/redis.sock?db=N");
			return -1;
		}
		break;
	case MF_CONF_LEVEL:
		if (strcmp(v, "debug") && strcmp(v, "info") &&
		    strcmp(v, "warn")) {
			snprintf(msg, msgcap, "log_level: unknown level '%s'",
			    v);
			snprintf(hint, hintcap, "use debug, info or warn");
			return -1;
		}
		break;
	case MF_CONF_STR:
		break;
	}
	if (strlen(v) >= d->size) {
		snprintf(msg, msgcap, "%s: value is too long (%zu bytes)",
		    d->name, strlen(v));
		snprintf(hint, hintcap, "at most %zu bytes", d->size - 1);
		return -1;
	}
	memcpy(p, v, strlen(v) + 1);
	return 0;
}

static const mf_config_directive_t *
s_find(const char *name)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (strcmp(s_table[i].name, name) == 0)
			return &s_table[i];
	return NULL;
}

void
mf_config_defaults(mf_config_t *c)
{
	char	msg[512], hint[512];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NTABLE; i++)
		(void)s_set(c, &s_table[i], s_table[i].def, msg, sizeof(msg),
		    hint, sizeof(hint));
}

int
mf_config_set(mf_config_t *c, const char *name, const char *value,
    mf_err_t *err)
{
	const mf_config_directive_t	*d = s_find(name);
	char				 msg[512], hint[512];

	if (d == NULL)
		return mf_err_set(err, MF_EINVAL, name, "unknown directive "
		    "'%s'", name);
	if (s_set(c, d, value, msg, sizeof(msg), hint, sizeof(hint)) != 0)
		return mf_err_set(err, MF_EINVAL, name, "%s%s%s", msg,
		    hint[0] ? "; " : "", hint);
	return 0;
}

/* Edit distance of two short names (capped at 32 characters). */
static size_t
s_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t	diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t	up = row[j], best;

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* A close directive name for "did you mean" hints, or NULL. */
static const char *
s_suggest(const char *name)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (s_distance(name, s_table[i].name) <= 2)
			return s_table[i].name;
	return NULL;
}

int
mf_config_load(mf_config_t *c, const char *path, mf_diags_t *diags)
{
	FILE	*fp;
	char	 line[4096];
	size_t	 lineno = 0, errors0;
	mf_diags_t	 local = {0};

	if (diags == NULL)
		diags = &local;	/* count only */
	errors0 = diags->errors;
	fp = fopen(path, "r");
	if (fp == NULL) {
		mf_diags_add(diags, MF_DIAG_ERROR, path, 0, 0,
		    "check the path given with -c or $MEDFLAG_CONF",
		    "cannot open: %s", strerror(errno));
		mf_diags_free(&local);
		return 1;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char				*k, *v, *e, msg[512], hint[512];
		const mf_config_directive_t	*d;
		size_t				 kcol, vcol;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int	ch;

			mf_diags_add(diags, MF_DIAG_ERROR, path, lineno, 1,
			    NULL, "line is longer than %zu bytes",
			    sizeof(line) - 2);
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			continue;
		}
		/* Comments: '#' at the start or after white space. */
		for (e = line; *e; e++)
			if (*e == '#' && (e == line || isspace(
			    (unsigned char)e[-1]))) {
				*e = '\0';
				break;
			}
		e = line + strlen(line);
		while (e > line && isspace((unsigned char)e[-1]))
			*--e = '\0';
		k = line;
		while (isspace((unsigned char)*k))
			k++;
		if (*k == '\0')
			continue;
		kcol = (size_t)(k - line) + 1;
		v = k;
		while (*v && !isspace((unsigned char)*v) && *v != '=')
			v++;
		if (*v != '\0')
			*v++ = '\0';
		while (isspace((unsigned char)*v) || *v == '=')
			v++;
		vcol = (size_t)(v - line) + 1;
		/* Optional double quotes around the value. */
		if (v[0] == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		d = s_find(k);
		if (d == NULL) {
			const char	*s = s_suggest(k);
			char		 h[128];

			if (s != NULL)
				snprintf(h, sizeof(h), "did you mean '%s'? "
				    "see docs/operations.md", s);
			else
				snprintf(h, sizeof(h), "known keys are listed "
				    "in docs/operations.md");
			mf_diags_add(diags, MF_DIAG_ERROR, path, lineno, kcol,
			    h, "unknown key '%s'", k);
			continue;
		}
		if (*v == '\0' && d->type != MF_CONF_STR) {
			mf_diags_add(diags, MF_DIAG_ERROR, path, lineno, vcol,
			    "write the key, a space, then the value",
			    "%s: missing value", k);
			continue;
		}
		if (s_set(c, d, v, msg, sizeof(msg), hint, sizeof(hint)) != 0)
			mf_diags_add(diags, MF_DIAG_ERROR, path, lineno, vcol,
			    hint[0] ? hint : NULL, "%s", msg);
	}
	if (ferror(fp))
		mf_diags_add(diags, MF_DIAG_ERROR, path, lineno, 0, NULL,
		    "read error: %s", strerror(errno));
	fclose(fp);
	errors0 = diags->errors - errors0;
	mf_diags_free(&local);
	return (int)errors0;
}

const char *
mf_config_default_path(void)
{
	const char	*e = getenv("MEDFLAG_CONF");

	if (e != NULL && *e != '\0')
		return e;
	if (access("medflag.conf", R_OK) == 0)
		return "medflag.conf";
	return NULL;
}
