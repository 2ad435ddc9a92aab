/*
 * store.c - the Redis store of medflag over hiredis: connection (URL,
 * AUTH, SELECT, timeouts), the source lists and the verdict journal.
 *
 * Not responsible for retrying: a command that fails on the connection
 * marks the store broken, and its owner makes a new one. Only the hiredis
 * API that 0.14 and 1.x share is used.
 * SPDX-License-Identifier: MIT
 */
#include <sys/time.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "store.h"

#define MF_STORE_BATCH	512	/* SADD members / stream entries per call */

struct mf_store {
	redisContext	*c;
	char		 name[1100];	/* "host:port" or "unix:/path" */
	char		 prefix[64];
	char		 err[1024];
	int		 broken;
};

static void
s_seterr(mf_store_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_seterr(mf_store_t *s, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(s->err, sizeof(s->err), "redis %s: ", s->name);
	if (n < 0 || (size_t)n >= sizeof(s->err))
		return;
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A hint for a failure of the connection itself. */
static const char *
s_conn_hint(const redisContext *c)
{
	if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == ETIMEDOUT
	    || strstr(c->errstr, "timed out") != NULL))
		return "redis did not answer in time; is it overloaded or "
		    "stopped (SIGSTOP)?";
	if (strstr(c->errstr, "refused") != NULL ||
	    strstr(c->errstr, "No such file") != NULL)
		return "is redis-server running? check 'redis' in the config";
	if (c->err == REDIS_ERR_EOF)
		return "the server closed the connection; reconnect";
	return "check 'redis' in the config and that redis-server is up";
}

/* Hint for an error reply. */
static const char *
s_reply_hint(const char *msg)
{
	if (strncmp(msg, "NOAUTH", 6) == 0)
		return "the server wants a password: set redis_password";
	if (strncmp(msg, "WRONGPASS", 9) == 0 ||
	    strstr(msg, "invalid password") != NULL ||
	    strstr(msg, "invalid username") != NULL)
		return "check redis_password (or the password in the URL)";
	if (strstr(msg, "no password is set") != NULL ||
	    strstr(msg, "without any password") != NULL)
		return "the server has no password: remove redis_password";
	if (strstr(msg, "DB index") != NULL)
		return "the database number in 'redis' is out of range";
	if (strncmp(msg, "WRONGTYPE", 9) == 0)
		return "another program uses this key; change redis_prefix";
	if (strstr(msg, "unknown command") != NULL)
		return "medflag needs Redis 5.0 or later (streams)";
	if (strncmp(msg, "READONLY", 8) == 0)
		return "this is a replica; point 'redis' at the primary";
	if (strncmp(msg, "OOM", 3) == 0)
		return "Redis is out of memory; check maxmemory";
	return "see the Redis log";
}

/*
 * Runs one command (argv form). Returns the reply, or NULL with the error
 * set: a connection failure (store marked broken) or an error reply.
 * OWNS: caller (freeReplyObject).
 */
static redisReply *
s_cmd(mf_store_t *s, int argc, const char **argv, const size_t *lens)
{
	redisReply	*r;

	if (s->broken || s->c == NULL) {
		s_seterr(s, "connection is in error; reconnect");
		return NULL;
	}
	r = redisCommandArgv(s->c, argc, argv, lens);
	if (r == NULL) {
		s->broken = 1;
		s_seterr(s, "%s: %s; %s", argv[0], s->c->errstr[0] ?
		    s->c->errstr : "no reply", s_conn_hint(s->c));
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		s_seterr(s, "%s: %s; %s", argv[0], r->str, s_reply_hint(r->str));
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* Convenience: a command of NUL-terminated words. */
static redisReply *
s_cmdv(mf_store_t *s, int argc, ...)
{
	const char	*argv[8];
	size_t		 lens[8];
	va_list		 ap;

	assert(argc > 0 && argc <= 8);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++) {
		argv[i] = va_arg(ap, const char *);
		lens[i] = strlen(argv[i]);
	}
	va_end(ap);
	return s_cmd(s, argc, argv, lens);
}

/* Runs a command whose reply does not matter beyond success. */
static int
s_ok(mf_store_t *s, int argc, ...)
{
	const char	*argv[8];
	size_t		 lens[8];
	va_list		 ap;
	redisReply	*r;

	assert(argc > 0 && argc <= 8);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++) {
		argv[i] = va_arg(ap, const char *);
		lens[i] = strlen(argv[i]);
	}
	va_end(ap);
	if ((r = s_cmd(s, argc, argv, lens)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

static void
s_key(const mf_store_t *s, const char *suffix, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", s->prefix, suffix);
}

int
mf_store_parse_url(const char *url, char *host, size_t hostcap, int *port,
    int *db, char *password, size_t pwcap, char *errbuf, size_t errcap)
{
	const char	*p, *at, *end, *slash, *colon;
	char		*e;
	long		 n;

	assert(url && host && port && db && password && errbuf);
	*port = 0;
	*db = 0;
	host[0] = '\0';
	password[0] = '\0';
	if (strncmp(url, "unix://", 7) == 0) {
		p = url + 7;
		end = strchr(p, '?');
		if (end == NULL)
			end = p + strlen(p);
		if (*p != '/' || end == p + 1) {
			snprintf(errbuf, errcap, "redis %s: expected "
			    "unix:///absolute/path[?db=N]", url);
			return -1;
		}
		if ((size_t)(end - p) >= hostcap) {
			snprintf(errbuf, errcap, "redis %s: socket path too "
			    "long", url);
			return -1;
		}
		memcpy(host, p, (size_t)(end - p));
		host[end - p] = '\0';
		if (*end == '?') {
			if (strncmp(end, "?db=", 4) != 0) {
				snprintf(errbuf, errcap, "redis %s: the only "
				    "option is ?db=N", url);
				return -1;
			}
			errno = 0;
			n = strtol(end + 4, &e, 10);
			if (errno || e == end + 4 || *e || n < 0 || n > 65535) {
				snprintf(errbuf, errcap, "redis %s: bad "
				    "database number", url);
				return -1;
			}
			*db = (int)n;
		}
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(errbuf, errcap, "redis %s: expected "
		    "redis://[:password@]host:port/db or unix:///path", url);
		return -1;
	}
	p = url + 8;
	slash = strchr(p, '/');
	end = slash ? slash : p + strlen(p);
	/* The last '@' before the path ends the credentials. */
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		const char *pw = memchr(p, ':', (size_t)(at - p));

		pw = pw ? pw + 1 : p;	/* "user:pass@" or "pass@" */
		if ((size_t)(at - pw) >= pwcap) {
			snprintf(errbuf, errcap, "redis: password too long");
			return -1;
		}
		memcpy(password, pw, (size_t)(at - pw));
		password[at - pw] = '\0';
		p = at + 1;
	}
	colon = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == ':')
			colon = q;
	if (colon == NULL)
		colon = end;
	if (colon == p || (size_t)(colon - p) >= hostcap) {
		snprintf(errbuf, errcap, "redis %s: missing or bad host", url);
		return -1;
	}
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	*port = 6379;
	if (colon < end) {
		errno = 0;
		n = strtol(colon + 1, &e, 10);
		if (errno || e != end || n < 1 || n > 65535) {
			snprintf(errbuf, errcap, "redis %s: bad port", url);
			return -1;
		}
		*port = (int)n;
	}
	if (slash != NULL && slash[1] != '\0') {
		errno = 0;
		n = strtol(slash + 1, &e, 10);
		if (errno || *e || n < 0 || n > 65535) {
			snprintf(errbuf, errcap, "redis %s: bad database "
			    "number after '/'", url);
			return -1;
		}
		*db = (int)n;
	}
	return 0;
}

mf_store_t *
mf_store_connect(const mf_config_t *cfg, int timeout_ms, char *errbuf,
    size_t errcap)
{
	mf_store_t	*s = NULL, *ret = NULL;
	char		 host[1024], pw[256], dbs[16];
	int		 port, db;
	struct timeval	 tv;

	assert(cfg != NULL && errbuf != NULL);
	errbuf[0] = '\0';
	if (mf_store_parse_url(cfg->redis, host, sizeof(host), &port, &db,
	    pw, sizeof(pw), errbuf, errcap) == -1)
		return NULL;
	if (pw[0] == '\0' && cfg->redis_password[0] != '\0')
		snprintf(pw, sizeof(pw), "%s", cfg->redis_password);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(errbuf, errcap, "redis: out of memory");
		return NULL;
	}
	if (port)
		snprintf(s->name, sizeof(s->name), "%s:%d", host, port);
	else
		snprintf(s->name, sizeof(s->name), "unix:%s", host);
	snprintf(s->prefix, sizeof(s->prefix), "%s", cfg->redis_prefix);
	if (timeout_ms <= 0)
		timeout_ms = 1000;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	s->c = port ? redisConnectWithTimeout(host, port, tv) :
	    redisConnectUnixWithTimeout(host, tv);
	if (s->c == NULL) {
		s_seterr(s, "cannot allocate a connection; out of memory?");
		goto out;
	}
	if (s->c->err) {
		s_seterr(s, "%s; %s", s->c->errstr, s_conn_hint(s->c));
		goto out;
	}
	if (redisSetTimeout(s->c, tv) != REDIS_OK) {
		s_seterr(s, "cannot set the command timeout");
		goto out;
	}
	if (pw[0] != '\0' && s_ok(s, 2, "AUTH", pw) == -1)
		goto out;
	if (db != 0) {
		snprintf(dbs, sizeof(dbs), "%d", db);
		if (s_ok(s, 2, "SELECT", dbs) == -1)
			goto out;
	} else if (s_ok(s, 1, "PING") == -1) {
		goto out;
	}
	ret = s;
	s = NULL;
out:
	if (s != NULL) {
		snprintf(errbuf, errcap, "%s", s->err);
		mf_store_destroy(&s);
	}
	return ret;
}

void
mf_store_destroy(mf_store_t **self_p)
{
	mf_store_t	*s;

	if (self_p == NULL || (s = *self_p) == NULL)
		return;
	if (s->c != NULL)
		redisFree(s->c);
	free(s);
	*self_p = NULL;
}

const char *
mf_store_error(const mf_store_t *s)
{
	return s ? s->err : "redis: no connection";
}

int
mf_store_broken(const mf_store_t *s)
{
	return s == NULL || s->broken;
}

const char *
mf_store_name(const mf_store_t *s)
{
	return s ? s->name : "";
}

/* ---- source lists ---------------------------------------------------- */

static const char *
s_list_key(mf_list_t list)
{
	return list == MF_LIST_VETTED ? "sources:vetted" :
	    "sources:unreliable";
}

/* What `medflag sources add` put on a list, kept apart so that `sources
 * load` can put it back over the files' entries. */
static const char *
s_local_key(mf_list_t list)
{
	return list == MF_LIST_VETTED ? "sources:local:vetted" :
	    "sources:local:unreliable";
}


/* The integer at version key 'suffix' into '*version' (0 when it is not
 * set yet). 0 or -1. */
static int
s_version(mf_store_t *s, const char *suffix, long long *version)
{
	char		 key[128];
	redisReply	*r;

	assert(s && version);
	s_key(s, suffix, key, sizeof(key));
	if ((r = s_cmdv(s, 2, "GET", key)) == NULL)
		return -1;
	*version = 0;
	if (r->type == REDIS_REPLY_STRING)
		*version = strtoll(r->str, NULL, 10);
	freeReplyObject(r);
	return 0;
}

int
mf_store_sources_version(mf_store_t *s, long long *version)
{
	return s_version(s, "sources:version", version);
}

/* Adds the string members of SMEMBERS reply 'r' to 'src'. */
static void
s_add_members(mf_sources_t *src, const redisReply *r, mf_list_t list)
{
	char	d[256];

	if (r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *m = r->element[i];

		if (m->type != REDIS_REPLY_STRING || m->len >= sizeof(d))
			continue;
		memcpy(d, m->str, m->len);
		d[m->len] = '\0';
		(void)mf_sources_add(src, d, list, NULL);
	}
}

mf_sources_t *
mf_store_sources_fetch(mf_store_t *s)
{
	char		 kver[128], kvet[128], kunr[128], ver[32];
	redisReply	*r = NULL;
	mf_sources_t	*src = NULL, *ret = NULL;

	assert(s != NULL);
	s_key(s, "sources:version", kver, sizeof(kver));
	s_key(s, s_list_key(MF_LIST_VETTED), kvet, sizeof(kvet));
	s_key(s, s_list_key(MF_LIST_UNRELIABLE), kunr, sizeof(kunr));
	/* One transaction, so the version names exactly these members. */
	if (s_ok(s, 1, "MULTI") == -1)
		return NULL;
	if (s_ok(s, 2, "GET", kver) == -1 ||
	    s_ok(s, 2, "SMEMBERS", kvet) == -1 ||
	    s_ok(s, 2, "SMEMBERS", kunr) == -1) {
		(void)s_ok(s, 1, "DISCARD");
		return NULL;
	}
	if ((r = s_cmdv(s, 1, "EXEC")) == NULL)
		return NULL;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
		s_seterr(s, "EXEC: unexpected reply; see the Redis log");
		goto out;
	}
	snprintf(ver, sizeof(ver), "0");
	if (r->element[0]->type == REDIS_REPLY_STRING)
		snprintf(ver, sizeof(ver), "%lld",
		    strtoll(r->element[0]->str, NULL, 10));
	if ((src = mf_sources_new(ver)) == NULL) {
		s_seterr(s, "out of memory for the source lists");
		goto out;
	}
	s_add_members(src, r->element[1], MF_LIST_VETTED);
	s_add_members(src, r->element[2], MF_LIST_UNRELIABLE);
	ret = src;
	src = NULL;
out:
	mf_sources_destroy(&src);
	freeReplyObject(r);
	return ret;
}

/* Cleans 'domain' into 'out' or sets the error. */
static int
s_clean(mf_store_t *s, const char *domain, char *out, size_t cap)
{
	if (strlen(domain) >= cap) {
		s_seterr(s, "domain too long: %.40s...", domain);
		return -1;
	}
	snprintf(out, cap, "%s", domain);
	if (mf_domain_clean(out) == -1) {
		snprintf(s->err, sizeof(s->err), "'%s' is not a valid domain "
		    "name; hint: give a host name such as example.org", domain);
		return -1;
	}
	return 0;
}

int
mf_store_sources_add(mf_store_t *s, const char *domain, mf_list_t list)
{
	char	 d[256], kver[128], kin[128], kother[128];
	char	 klin[128], klother[128];

	assert(s && domain);
	if (list != MF_LIST_VETTED && list != MF_LIST_UNRELIABLE) {
		snprintf(s->err, sizeof(s->err), "a source goes on the vetted "
		    "or the unreliable list");
		return -1;
	}
	if (s_clean(s, domain, d, sizeof(d)) == -1)
		return -1;
	s_key(s, "sources:version", kver, sizeof(kver));
	s_key(s, s_list_key(list), kin, sizeof(kin));
	s_key(s, s_list_key(list == MF_LIST_VETTED ? MF_LIST_UNRELIABLE :
	    MF_LIST_VETTED), kother, sizeof(kother));
	s_key(s, s_local_key(list), klin, sizeof(klin));
	s_key(s, s_local_key(list == MF_LIST_VETTED ? MF_LIST_UNRELIABLE :
	    MF_LIST_VETTED), klother, sizeof(klother));
	if (s_ok(s, 1, "MULTI") == -1)
		return -1;
	if (s_ok(s, 3, "SREM", kother, d) == -1 ||
	    s_ok(s, 3, "SADD", kin, d) == -1 ||
	    s_ok(s, 3, "SREM", klother, d) == -1 ||
	    s_ok(s, 3, "SADD", klin, d) == -1 ||
	    s_ok(s, 2, "INCR", kver) == -1) {
		(void)s_ok(s, 1, "DISCARD");
		return -1;
	}
	return s_ok(s, 1, "EXEC");
}

int
mf_store_sources_remove(mf_store_t *s, const char *domain)
{
	char		 d[256], kver[128], kvet[128], kunr[128];
	char		 klvet[128], klunr[128];
	redisReply	*r;
	long long	 n = 0;

	assert(s && domain);
	if (s_clean(s, domain, d, sizeof(d)) == -1)
		return -1;
	s_key(s, "sources:version", kver, sizeof(kver));
	s_key(s, s_list_key(MF_LIST_VETTED), kvet, sizeof(kvet));
	s_key(s, s_list_key(MF_LIST_UNRELIABLE), kunr, sizeof(kunr));
	s_key(s, s_local_key(MF_LIST_VETTED), klvet, sizeof(klvet));
	s_key(s, s_local_key(MF_LIST_UNRELIABLE), klunr, sizeof(klunr));
	if (s_ok(s, 1, "MULTI") == -1)
		return -1;
	if (s_ok(s, 3, "SREM", kvet, d) == -1 ||
	    s_ok(s, 3, "SREM", kunr, d) == -1 ||
	    s_ok(s, 3, "SREM", klvet, d) == -1 ||
	    s_ok(s, 3, "SREM", klunr, d) == -1) {
		(void)s_ok(s, 1, "DISCARD");
		return -1;
	}
	if ((r = s_cmdv(s, 1, "EXEC")) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_INTEGER)
				n += r->element[i]->integer;
	freeReplyObject(r);
	if (n == 0)
		return 1;
	return s_ok(s, 2, "INCR", kver);
}

/* Collects the entries of one list for mf_sources_each(). */
typedef struct s_members {
	mf_list_t	  list;
	const char	**v;
	size_t		  n, cap;
	int		  oom;
} s_members_t;

static void
s_collect(const char *domain, mf_list_t list, void *arg)
{
	s_members_t	*m = arg;
	const char	**nv;

	if (list != m->list || m->oom)
		return;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		if ((nv = realloc(m->v, m->cap * sizeof(*nv))) == NULL) {
			m->oom = 1;
			return;
		}
		m->v = nv;
	}
	m->v[m->n++] = domain;
}

/* SADD key members[0..n) in batches (inside the caller's MULTI). */
static int
s_sadd_all(mf_store_t *s, const char *key, const s_members_t *m)
{
	const char	*argv[MF_STORE_BATCH + 2];
	size_t		 lens[MF_STORE_BATCH + 2];
	redisReply	*r;

	for (size_t i = 0; i < m->n; ) {
		int argc = 0;

		argv[argc] = "SADD";
		lens[argc++] = 4;
		argv[argc] = key;
		lens[argc++] = strlen(key);
		for (; i < m->n && argc < MF_STORE_BATCH + 2; i++) {
			argv[argc] = m->v[i];
			lens[argc++] = strlen(m->v[i]);
		}
		if ((r = s_cmd(s, argc, argv, lens)) == NULL)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

int
mf_store_sources_replace(mf_store_t *s, const mf_sources_t *src,
    long long kept[2])
{
	char		 kver[128], kvet[128], kunr[128], klvet[128], klunr[128];
	s_members_t	 vet = { .list = MF_LIST_VETTED },
			 unr = { .list = MF_LIST_UNRELIABLE };
	redisReply	*r;
	int		 rc = -1;

	assert(s && src);
	mf_sources_each(src, s_collect, &vet);
	mf_sources_each(src, s_collect, &unr);
	if (vet.oom || unr.oom) {
		s_seterr(s, "out of memory for the source lists");
		goto out;
	}
	s_key(s, "sources:version", kver, sizeof(kver));
	s_key(s, s_list_key(MF_LIST_VETTED), kvet, sizeof(kvet));
	s_key(s, s_list_key(MF_LIST_UNRELIABLE), kunr, sizeof(kunr));
	s_key(s, s_local_key(MF_LIST_VETTED), klvet, sizeof(klvet));
	s_key(s, s_local_key(MF_LIST_UNRELIABLE), klunr, sizeof(klunr));
	if (s_ok(s, 1, "MULTI") == -1)
		goto out;
	/* The files' entries, then what `sources add` put there over them
	 * (a local addition wins where the two lists disagree); the two
	 * SCARDs come last in the EXEC reply. */
	if (s_ok(s, 3, "DEL", kvet, kunr) == -1 ||
	    s_sadd_all(s, kvet, &vet) == -1 ||
	    s_sadd_all(s, kunr, &unr) == -1 ||
	    s_ok(s, 4, "SDIFFSTORE", kvet, kvet, klunr) == -1 ||
	    s_ok(s, 4, "SDIFFSTORE", kunr, kunr, klvet) == -1 ||
	    s_ok(s, 4, "SUNIONSTORE", kvet, kvet, klvet) == -1 ||
	    s_ok(s, 4, "SUNIONSTORE", kunr, kunr, klunr) == -1 ||
	    s_ok(s, 2, "INCR", kver) == -1 ||
	    s_ok(s, 2, "SCARD", klvet) == -1 ||
	    s_ok(s, 2, "SCARD", klunr) == -1) {
		(void)s_ok(s, 1, "DISCARD");
		goto out;
	}
	if ((r = s_cmdv(s, 1, "EXEC")) == NULL)
		goto out;
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
	    r->element[r->elements - 2]->type == REDIS_REPLY_INTEGER &&
	    r->element[r->elements - 1]->type == REDIS_REPLY_INTEGER) {
		if (kept != NULL) {
			kept[0] = r->element[r->elements - 2]->integer;
			kept[1] = r->element[r->elements - 1]->integer;
		}
		rc = 0;
	} else
		s_seterr(s, "the source lists were not replaced (EXEC)");
	freeReplyObject(r);
out:
	free(vet.v);
	free(unr.v);
	return rc;
}

/* ---- verdict journal --------------------------------------------------- */

/*
 * The journal uses automatic stream IDs and keeps seq as a field: seq is
 * numbered per medflagd run and may start again at 1 after a restart, which
 * an explicit "<seq>-0" ID would refuse (IDs must grow). Replay therefore
 * walks back from the newest entry (XREVRANGE, a page at a time) to the
 * first entry with seq >= since, stopping early where seq goes backwards
 * (a run boundary), and then reads forward from there (XRANGE). Catch-up
 * usually asks for the recent end, so the walk is short.
 */

int
mf_store_journal_entry(const struct redisReply *e, const char **id,
    uint64_t *seq, const char **msg, size_t *len)
{
	const redisReply	*f;
	int			 have = 0;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	*id = e->element[0]->str;
	*msg = NULL;
	*len = 0;
	f = e->element[1];
	for (size_t i = 0; i + 1 < f->elements; i += 2) {
		const redisReply *k = f->element[i], *v = f->element[i + 1];

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "seq") == 0) {
			*seq = strtoull(v->str, NULL, 10);
			have = 1;
		} else if (strcmp(k->str, "v") == 0) {
			*msg = v->str;
			*len = v->len;
		}
	}
	return have ? 0 : -1;
}

/* XRANGE/XREVRANGE key a b COUNT n. OWNS: caller. */
static redisReply *
s_range(mf_store_t *s, const char *cmd, const char *key, const char *a,
    const char *b, size_t count)
{
	char		 n[32];
	const char	*argv[6];
	size_t		 lens[6];

	snprintf(n, sizeof(n), "%zu", count);
	argv[0] = cmd; argv[1] = key; argv[2] = a; argv[3] = b;
	argv[4] = "COUNT"; argv[5] = n;
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	return s_cmd(s, 6, argv, lens);
}

/*
 * The stream ID just after (dir > 0) or just before (dir < 0) 'id' ("ms-n"),
 * so that paging works on Redis 5 and 6.0 too, which lack exclusive "("
 * ranges.
 */
static void
s_step(const char *id, int dir, char *out, size_t cap)
{
	unsigned long long	 ms = 0, n = 0;

	(void)sscanf(id, "%llu-%llu", &ms, &n);
	if (dir > 0) {
		if (n == ULLONG_MAX)
			snprintf(out, cap, "%llu-0", ms + 1);
		else
			snprintf(out, cap, "%llu-%llu", ms, n + 1);
	} else if (n > 0) {
		snprintf(out, cap, "%llu-%llu", ms, n - 1);
	} else if (ms > 0) {
		snprintf(out, cap, "%llu-%llu", ms - 1, ULLONG_MAX);
	} else {
		snprintf(out, cap, "0-0");
	}
}

int
mf_store_journal_append(mf_store_t *s, uint64_t seq, const void *msg,
    size_t len, size_t max)
{
	char		 key[128], seqs[32], maxs[32];
	const char	*argv[10];
	size_t		 lens[10];
	redisReply	*r;

	assert(s && (msg || len == 0));
	s_key(s, "journal", key, sizeof(key));
	snprintf(seqs, sizeof(seqs), "%" PRIu64, seq);
	snprintf(maxs, sizeof(maxs), "%zu", max ? max : 100000);
	argv[0] = "XADD";	argv[1] = key;	argv[2] = "MAXLEN";
	argv[3] = "~";		argv[4] = maxs;	argv[5] = "*";
	argv[6] = "seq";	argv[7] = seqs;	argv[8] = "v";
	for (int i = 0; i < 9; i++)
		lens[i] = strlen(argv[i]);
	argv[9] = msg ? msg : "";	/* binary-safe: length, not NUL */
	lens[9] = len;
	if ((r = s_cmd(s, 10, argv, lens)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

/*
 * Reads the replies of 'n' pipelined commands named 'cmd'. '*ok' (may be
 * NULL) receives how many succeeded before the first error reply. Returns
 * 0 when all did, -1 otherwise: an error reply (the first one is the
 * error) or a lost connection (the store is then broken; '*ok' is not
 * set).
 */
static int
s_replies(mf_store_t *s, size_t n, const char *cmd, size_t *ok)
{
	size_t	good = 0;
	int	rc = 0;

	for (size_t i = 0; i < n; i++) {
		void		*rv = NULL;
		redisReply	*r;

		if (redisGetReply(s->c, &rv) != REDIS_OK || rv == NULL) {
			s->broken = 1;
			s_seterr(s, "%s: %s; %s", cmd, s->c->errstr[0] ?
			    s->c->errstr : "no reply", s_conn_hint(s->c));
			return -1;
		}
		r = rv;
		if (r->type == REDIS_REPLY_ERROR) {
			if (rc == 0)
				s_seterr(s, "%s: %s; %s", cmd, r->str,
				    s_reply_hint(r->str));
			rc = -1;
		} else if (rc == 0)
			good++;
		freeReplyObject(r);
	}
	if (ok != NULL)
		*ok = good;
	return rc;
}

/* Pipelined: every XADD is written with redisAppendCommandArgv, then the
 * replies are read in order, so a batch of verdicts costs one round trip
 * instead of one each (the journal thread keeps up with medflagd). */
int
mf_store_journal_append_many(mf_store_t *s, size_t n, const uint64_t *seq,
    const void *const *msg, const size_t *len, size_t max, size_t *done)
{
	char		 key[128], seqs[32], maxs[32];
	const char	*argv[10];
	size_t		 lens[10];
	size_t		 sent = 0, ok = 0;
	int		 rc = 0;

	assert(s && done && (n == 0 || (seq && msg && len)));
	*done = 0;
	if (s->broken || s->c == NULL) {
		s_seterr(s, "connection is in error; reconnect");
		return -1;
	}
	s_key(s, "journal", key, sizeof(key));
	snprintf(maxs, sizeof(maxs), "%zu", max ? max : 100000);
	argv[0] = "XADD";	argv[1] = key;	argv[2] = "MAXLEN";
	argv[3] = "~";		argv[4] = maxs;	argv[5] = "*";
	argv[6] = "seq";	argv[7] = seqs;	argv[8] = "v";
	for (; sent < n; sent++) {
		snprintf(seqs, sizeof(seqs), "%" PRIu64, seq[sent]);
		for (int i = 0; i < 9; i++)
			lens[i] = strlen(argv[i]);
		argv[9] = msg[sent] ? msg[sent] : "";
		lens[9] = len[sent];
		if (redisAppendCommandArgv(s->c, 10, argv, lens) != REDIS_OK)
			break;
	}
	if (s_replies(s, sent, "XADD", &ok) != 0)
		rc = -1;
	*done = ok;
	if (s->broken)
		return -1;	/* the connection's error stands */
	if (sent < n) {
		s->broken = 1;
		s_seterr(s, "XADD: out of memory");
		return -1;
	}
	return rc;
}

int
mf_store_journal_last(mf_store_t *s, uint64_t *seq)
{
	char		 key[128];
	redisReply	*r;
	const char	*id, *msg;
	size_t		 len;

	assert(s && seq);
	*seq = 0;
	s_key(s, "journal", key, sizeof(key));
	if ((r = s_range(s, "XREVRANGE", key, "+", "-", 1)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0)
		(void)mf_store_journal_entry(r->element[0], &id, seq, &msg, &len);
	freeReplyObject(r);
	return 0;
}

int
mf_store_journal_size(mf_store_t *s, uint64_t *n, uint64_t *bytes)
{
	char		 key[128];
	redisReply	*r;

	assert(s && n && bytes);
	*n = *bytes = 0;
	s_key(s, "journal", key, sizeof(key));
	if ((r = s_cmdv(s, 2, "XLEN", key)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		*n = (uint64_t)r->integer;
	freeReplyObject(r);
	if (*n == 0)
		return 0;
	if ((r = s_cmdv(s, 3, "MEMORY", "USAGE", key)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		*bytes = (uint64_t)r->integer;
	freeReplyObject(r);
	return 0;
}

int
mf_store_journal_since(mf_store_t *s, uint64_t since, size_t limit,
    mf_store_journal_fn fn, void *arg)
{
	char		 key[128], from[64], end[64];
	redisReply	*r = NULL;
	uint64_t	 newer = UINT64_MAX, seq = 0;
	const char	*id, *msg;
	size_t		 len;
	int		 found = 0, stop = 0, delivered = 0;

	assert(s && fn);
	s_key(s, "journal", key, sizeof(key));
	/* 1. Walk back to the oldest entry of the newest run with seq >=
	 *    since; 'from' ends as its ID. */
	snprintf(end, sizeof(end), "+");
	while (!stop) {
		if ((r = s_range(s, "XREVRANGE", key, end, "-",
		    MF_STORE_BATCH)) == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
			break;
		for (size_t i = 0; i < r->elements; i++) {
			if (mf_store_journal_entry(r->element[i], &id, &seq, &msg, &len))
				continue;
			if (seq < since || seq >= newer) {
				stop = 1;
				break;
			}
			newer = seq;
			snprintf(from, sizeof(from), "%s", id);
			found = 1;
		}
		if (!stop) {
			if (r->elements < MF_STORE_BATCH)
				break;
			s_step(r->element[r->elements - 1]->element[0]->str,
			    -1, end, sizeof(end));
		}
		freeReplyObject(r);
		r = NULL;
	}
	freeReplyObject(r);
	r = NULL;
	if (!found)
		return 0;
	/* 2. Read forward from 'from', through the newest entry. */
	for (;;) {
		size_t	 want = MF_STORE_BATCH;

		if (limit && limit - (size_t)delivered < want)
			want = limit - (size_t)delivered;
		if ((r = s_range(s, "XRANGE", key, from, "+", want)) == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
			break;
		for (size_t i = 0; i < r->elements; i++) {
			if (mf_store_journal_entry(r->element[i], &id, &seq, &msg, &len))
				continue;
			if (seq < since)
				continue;
			delivered++;
			if (fn(seq, msg, len, arg) != 0 ||
			    (limit && (size_t)delivered >= limit)) {
				freeReplyObject(r);
				return delivered;
			}
		}
		if (r->elements < want)
			break;
		s_step(r->element[r->elements - 1]->element[0]->str, 1,
		    from, sizeof(from));
		freeReplyObject(r);
		r = NULL;
	}
	freeReplyObject(r);
	return delivered;
}

int
mf_store_feedback_add(mf_store_t *s, const char *post_id,
    const char *revision, int agreed, const char *const *rules, size_t nrules,
    const char *by, size_t max)
{
	char		 kcount[128], kstream[128], maxs[32];
	mf_buf_t	 list = {0};
	const char	*argv[16];
	size_t		 lens[16];
	redisReply	*r;
	int		 rc = -1;

	assert(s && post_id && revision && by && (rules || nrules == 0));
	s_key(s, agreed ? "feedback:agreed" : "feedback:overturned", kcount,
	    sizeof(kcount));
	s_key(s, "feedback", kstream, sizeof(kstream));
	snprintf(maxs, sizeof(maxs), "%zu", max);
	for (size_t i = 0; i < nrules; i++)
		if (mf_buf_printf(&list, "%s%s", i ? "," : "", rules[i]) != 0) {
			s_seterr(s, "out of memory");
			goto out;
		}
	if (s_ok(s, 1, "MULTI") == -1)
		goto out;
	for (size_t i = 0; i < nrules; i++)
		if (s_ok(s, 4, "HINCRBY", kcount, rules[i], "1") == -1)
			goto discard;
	argv[0] = "XADD";	argv[1] = kstream;	argv[2] = "MAXLEN";
	argv[3] = "~";		argv[4] = maxs;		argv[5] = "*";
	argv[6] = "post_id";	argv[7] = post_id;
	argv[8] = "revision";	argv[9] = revision;
	argv[10] = "outcome";	argv[11] = agreed ? "agreed" : "overturned";
	argv[12] = "rules";	argv[13] = list.data ? list.data : "";
	argv[14] = "by";	argv[15] = by;
	for (int i = 0; i < 16; i++)
		lens[i] = strlen(argv[i]);
	if ((r = s_cmd(s, 16, argv, lens)) == NULL)
		goto discard;
	freeReplyObject(r);
	rc = s_ok(s, 1, "EXEC");
	goto out;
discard:
	(void)s_ok(s, 1, "DISCARD");
out:
	mf_buf_free(&list);
	return rc;
}

int
mf_store_acted_put(mf_store_t *s, const char *forum, const char *id,
    const char *record, long ttl_s)
{
	char	key[1200], ttl[32];

	assert(s && forum && id && record && ttl_s > 0);
	snprintf(key, sizeof(key), "%sacted:%s:%s", s->prefix, forum, id);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	return s_ok(s, 5, "SET", key, record, "EX", ttl);
}

int
mf_store_event_seen(mf_store_t *s, const char *forum, const char *event)
{
	char		 key[1200];
	redisReply	*r;
	int		 rc = -1;

	assert(s && forum && event);
	snprintf(key, sizeof(key), "%sevent:%s:%s", s->prefix, forum, event);
	if ((r = s_cmdv(s, 2, "EXISTS", key)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER)
		rc = r->integer > 0;
	else
		s_seterr(s, "EXISTS: an unexpected reply");
	freeReplyObject(r);
	return rc;
}

int
mf_store_event_put(mf_store_t *s, const char *forum, const char *event,
    long ttl_s)
{
	char	key[1200], ttl[32];

	assert(s && forum && event && ttl_s > 0);
	snprintf(key, sizeof(key), "%sevent:%s:%s", s->prefix, forum, event);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	return s_ok(s, 5, "SET", key, "1", "EX", ttl);
}

int
mf_store_acted_take(mf_store_t *s, const char *forum, const char *id,
    mf_buf_t *out)
{
	char		 key[1200];
	redisReply	*r, *g;
	int		 rc = -1;

	assert(s && forum && id && out);
	snprintf(key, sizeof(key), "%sacted:%s:%s", s->prefix, forum, id);
	/* GET and DEL in one transaction: GETDEL needs Redis 6.2. */
	if (s_ok(s, 1, "MULTI") == -1 || s_ok(s, 2, "GET", key) == -1 ||
	    s_ok(s, 2, "DEL", key) == -1 ||
	    (r = s_cmdv(s, 1, "EXEC")) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		s_seterr(s, "EXEC: an unexpected reply");
		goto out;
	}
	g = r->element[0];
	if (g->type == REDIS_REPLY_NIL)
		rc = 0;
	else if (g->type != REDIS_REPLY_STRING)
		s_seterr(s, "%s: not a string", key);
	else
		rc = mf_buf_append(out, g->str, g->len) == 0 ? 1 : -1;
out:
	freeReplyObject(r);
	return rc;
}

int
mf_store_outbox_put(mf_store_t *s, const char *forum, const char *field,
    const char *json)
{
	char	key[1200];

	assert(s && forum && field && json);
	snprintf(key, sizeof(key), "%soutbox:%s", s->prefix, forum);
	return s_ok(s, 4, "HSET", key, field, json);
}

int
mf_store_outbox_del(mf_store_t *s, const char *forum, const char *field)
{
	char	key[1200];

	assert(s && forum && field);
	snprintf(key, sizeof(key), "%soutbox:%s", s->prefix, forum);
	return s_ok(s, 3, "HDEL", key, field);
}

int
mf_store_outbox_all(mf_store_t *s, const char *forum, mf_store_outbox_fn *fn,
    void *arg)
{
	char		 key[1200];
	redisReply	*r;
	int		 rc = 0;

	assert(s && forum && fn);
	snprintf(key, sizeof(key), "%soutbox:%s", s->prefix, forum);
	if ((r = s_cmdv(s, 2, "HGETALL", key)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		s_seterr(s, "HGETALL %s: an unexpected reply", key);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i + 1 < r->elements; i += 2) {
		redisReply	*f = r->element[i], *v = r->element[i + 1];

		if (f->type == REDIS_REPLY_STRING &&
		    v->type == REDIS_REPLY_STRING &&
		    fn(f->str, v->str, v->len, arg) != 0)
			break;
	}
	freeReplyObject(r);
	return rc;
}

/* Adds two hashes of rule id -> count to 'out': the first as 'hits', the
 * second as 'shadow' (ids that are not rule ids are skipped). */
static int
s_read_counts(mf_store_t *s, const char *key_hits, const char *key_shadow,
    mf_rulehits_t *out)
{
	const char	*which[2] = { key_hits, key_shadow };

	for (int k = 0; k < 2; k++) {
		char		 key[128];
		redisReply	*r;

		s_key(s, which[k], key, sizeof(key));
		if ((r = s_cmdv(s, 2, "HGETALL", key)) == NULL)
			return -1;
		for (size_t i = 0; r->type == REDIS_REPLY_ARRAY &&
		    i + 1 < r->elements; i += 2) {
			const redisReply	*f = r->element[i];
			const redisReply	*v = r->element[i + 1];
			unsigned long long	 n;

			if (f->type != REDIS_REPLY_STRING ||
			    v->type != REDIS_REPLY_STRING)
				continue;
			n = strtoull(v->str, NULL, 10);
			(void)mf_rulehits_add(out, f->str, f->len, k ? 0 : n,
			    k ? n : 0);
		}
		freeReplyObject(r);
	}
	return 0;
}

int
mf_store_feedback_counts(mf_store_t *s, mf_rulehits_t *out)
{
	return s_read_counts(s, "feedback:agreed", "feedback:overturned", out);
}

int
mf_store_rule_hits(mf_store_t *s, mf_rulehits_t *out)
{
	return s_read_counts(s, "rules:hits", "rules:shadow_hits", out);
}

int
mf_store_restored(mf_store_t *s, mf_rulehits_t *out)
{
	return s_read_counts(s, "rules:restored:agreed",
	    "rules:restored:overturned", out);
}

int
mf_store_demote(mf_store_t *s, const char *id, uint64_t agreed,
    uint64_t overturned)
{
	char		 key[128], kver[128], val[96];
	redisReply	*r;
	int		 rc;

	assert(s && id);
	s_key(s, "rules:demoted", key, sizeof(key));
	s_key(s, "rules:demoted:version", kver, sizeof(kver));
	snprintf(val, sizeof(val), "%llu %llu %lld",
	    (unsigned long long)agreed, (unsigned long long)overturned,
	    (long long)time(NULL));
	if ((r = s_cmdv(s, 4, "HSETNX", key, id, val)) == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	if (rc == 1 && s_ok(s, 2, "INCR", kver) != 0)
		return -1;
	return rc;
}

int
mf_store_restore(mf_store_t *s, const char *id)
{
	static const char *const from[2] = { "feedback:agreed",
	    "feedback:overturned" };
	static const char *const to[2] = { "rules:restored:agreed",
	    "rules:restored:overturned" };
	char		 key[128], kver[128], k2[128];
	redisReply	*r;
	int		 rc = -1;

	assert(s && id);
	s_key(s, "rules:demoted", key, sizeof(key));
	s_key(s, "rules:demoted:version", kver, sizeof(kver));
	if ((r = s_cmdv(s, 3, "HDEL", key, id)) == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	if (rc == 0)
		return 0;
	for (int k = 0; k < 2; k++) {
		s_key(s, from[k], k2, sizeof(k2));
		if ((r = s_cmdv(s, 3, "HGET", k2, id)) == NULL)
			return -1;
		s_key(s, to[k], k2, sizeof(k2));
		rc = s_ok(s, 4, "HSET", k2, id, r->type == REDIS_REPLY_STRING ?
		    r->str : "0");
		freeReplyObject(r);
		if (rc != 0)
			return -1;
	}
	return s_ok(s, 2, "INCR", kver) == 0 ? 1 : -1;
}

int
mf_store_demoted(mf_store_t *s, mf_buf_t *ids, mf_buf_t *detail)
{
	char		 key[128];
	redisReply	*r;
	int		 rc = 0;

	assert(s && ids);
	s_key(s, "rules:demoted", key, sizeof(key));
	if ((r = s_cmdv(s, 2, "HGETALL", key)) == NULL)
		return -1;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		const redisReply	*f = r->element[i];
		const redisReply	*v = r->element[i + 1];

		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING ||
		    !mf_rule_id_valid(f->str, f->len))
			continue;
		if ((ids->len > 0 && mf_buf_append(ids, ",", 1) != 0) ||
		    mf_buf_append(ids, f->str, f->len) != 0 ||
		    (detail != NULL && mf_buf_printf(detail, "%s %s\n", f->str,
		    v->str) != 0))
			rc = -1;
	}
	freeReplyObject(r);
	if (rc == 0 && (mf_buf_reserve(ids, 1) != 0 ||
	    (detail != NULL && mf_buf_reserve(detail, 1) != 0)))
		rc = -1;
	if (rc == 0) {
		ids->data[ids->len] = '\0';
		if (detail != NULL)
			detail->data[detail->len] = '\0';
	} else
		s_seterr(s, "out of memory");
	return rc;
}

int
mf_store_demoted_version(mf_store_t *s, long long *version)
{
	return s_version(s, "rules:demoted:version", version);
}

int
mf_store_rule_hits_add(mf_store_t *s, const mf_rulehits_t *h)
{
	char		 kh[128], ks[128], num[32];
	const char	*argv[4];
	size_t		 lens[4], sent = 0;
	int		 rc = 0;

	if (s->broken || s->c == NULL) {
		s_seterr(s, "connection is in error; reconnect");
		return -1;
	}
	s_key(s, "rules:hits", kh, sizeof(kh));
	s_key(s, "rules:shadow_hits", ks, sizeof(ks));
	argv[0] = "HINCRBY";
	for (size_t i = 0; i < h->cap && rc == 0; i++)
		for (int k = 0; k < 2 && h->v[i].id != NULL && rc == 0; k++) {
			uint64_t n = k ? h->v[i].shadow : h->v[i].hits;

			if (n == 0)
				continue;
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)n);
			argv[1] = k ? ks : kh;
			argv[2] = h->v[i].id;
			argv[3] = num;
			for (int a = 0; a < 4; a++)
				lens[a] = strlen(argv[a]);
			if (redisAppendCommandArgv(s->c, 4, argv, lens) !=
			    REDIS_OK) {
				s->broken = 1;
				s_seterr(s, "HINCRBY: out of memory");
				rc = -1;
				continue;
			}
			sent++;
		}
	if (s_replies(s, sent, "HINCRBY", NULL) != 0)
		rc = -1;
	return rc;
}

/* ---- what moderators taught the model ---------------------------------- */

/* PREFIXlearn:WHAT:HASH */
static void
s_learn_key(const mf_store_t *s, const char *what, const char *model_hash,
    char *out, size_t cap)
{
	char suffix[64];

	snprintf(suffix, sizeof(suffix), "learn:%s:%.16s", what, model_hash);
	s_key(s, suffix, out, cap);
}

int
mf_store_learn_add(mf_store_t *s, const char *model_hash,
    const mf_model_delta_t *d, size_t n, const char *by, double p_before,
    int label)
{
	char		 kd[160], kby[160], krec[160], kver[128], kn[160];
	char		 field[16], val[32], rec[64], last[16];
	const char	*argv[4];
	size_t		 lens[4], sent = 0;

	if (s->broken || s->c == NULL) {
		s_seterr(s, "connection is in error; reconnect");
		return -1;
	}
	s_learn_key(s, "delta", model_hash, kd, sizeof(kd));
	s_learn_key(s, "by", model_hash, kby, sizeof(kby));
	s_learn_key(s, "recent", model_hash, krec, sizeof(krec));
	s_learn_key(s, "taught", model_hash, kn, sizeof(kn));
	s_key(s, "learn:version", kver, sizeof(kver));
	snprintf(rec, sizeof(rec), "%.3f %d", p_before, label != 0);
	snprintf(last, sizeof(last), "%d", MF_LEARN_RECENT - 1);
#define S_APPEND(argc) do {						\
	for (int a = 0; a < (argc); a++)				\
		lens[a] = strlen(argv[a]);				\
	if (redisAppendCommandArgv(s->c, (argc), argv, lens) != REDIS_OK) \
		goto oom;						\
	sent++;								\
} while (0)
	argv[0] = "MULTI";
	S_APPEND(1);
	argv[0] = "HINCRBYFLOAT";
	argv[1] = kd;
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "%u", d[i].bucket);
		snprintf(val, sizeof(val), "%.9g", (double)d[i].delta);
		argv[2] = field;
		argv[3] = val;
		S_APPEND(4);
	}
	argv[0] = "HINCRBY";	argv[1] = kby;	argv[2] = by[0] ? by : "-";
	argv[3] = "1";
	S_APPEND(4);
	argv[0] = "LPUSH";	argv[1] = krec;	argv[2] = rec;
	S_APPEND(3);
	argv[0] = "LTRIM";	argv[1] = krec;	argv[2] = "0";	argv[3] = last;
	S_APPEND(4);
	argv[0] = "INCR";	argv[1] = kn;
	S_APPEND(2);
	argv[0] = "INCR";	argv[1] = kver;
	S_APPEND(2);
	argv[0] = "EXEC";
	S_APPEND(1);
#undef S_APPEND
	return s_replies(s, sent, "learn", NULL);
oom:
	s->broken = 1;
	s_seterr(s, "learn: out of memory");
	return -1;
}

int
mf_store_learn_version(mf_store_t *s, long long *version)
{
	return s_version(s, "learn:version", version);
}

int
mf_store_learn_fetch(mf_store_t *s, const char *model_hash,
    mf_model_delta_t **out, size_t *n)
{
	char		 key[160];
	redisReply	*r;

	*out = NULL;
	*n = 0;
	s_learn_key(s, "delta", model_hash, key, sizeof(key));
	if ((r = s_cmdv(s, 2, "HGETALL", key)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
	    (*out = calloc(r->elements / 2, sizeof(**out))) == NULL) {
		freeReplyObject(r);
		s_seterr(s, "HGETALL: out of memory");
		return -1;
	}
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY &&
	    i + 1 < r->elements; i += 2) {
		const redisReply	*f = r->element[i];
		const redisReply	*v = r->element[i + 1];

		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		(*out)[*n].bucket = (uint32_t)strtoul(f->str, NULL, 10);
		(*out)[*n].delta = strtof(v->str, NULL);
		(*n)++;
	}
	freeReplyObject(r);
	return 0;
}

int
mf_store_learn_status(mf_store_t *s, const char *model_hash,
    mf_learn_status_t *st)
{
	char		 key[160];
	redisReply	*r;

	memset(st, 0, sizeof(*st));
	s_learn_key(s, "taught", model_hash, key, sizeof(key));
	if ((r = s_cmdv(s, 2, "GET", key)) == NULL)
		return -1;
	st->taught = r->type == REDIS_REPLY_STRING ?
	    strtoll(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	s_learn_key(s, "delta", model_hash, key, sizeof(key));
	if ((r = s_cmdv(s, 2, "HLEN", key)) == NULL)
		return -1;
	st->buckets = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	s_learn_key(s, "by", model_hash, key, sizeof(key));
	if ((r = s_cmdv(s, 2, "HGETALL", key)) == NULL)
		return -1;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY &&
	    i + 1 < r->elements; i += 2) {
		long long	 c = strtoll(r->element[i + 1]->str ?
				    r->element[i + 1]->str : "0", NULL, 10);
		size_t		 at = st->nby;

		/* Keep the most active, in order. */
		while (at > 0 && st->by_n[at - 1] < c)
			at--;
		if (at >= 8)
			continue;
		if (st->nby < 8)
			st->nby++;
		memmove(&st->by[at + 1], &st->by[at],
		    (st->nby - 1 - at) * sizeof(st->by[0]));
		memmove(&st->by_n[at + 1], &st->by_n[at],
		    (st->nby - 1 - at) * sizeof(st->by_n[0]));
		snprintf(st->by[at], sizeof(st->by[at]), "%s",
		    r->element[i]->str ? r->element[i]->str : "");
		st->by_n[at] = c;
	}
	freeReplyObject(r);
	s_learn_key(s, "recent", model_hash, key, sizeof(key));
	if ((r = s_cmdv(s, 4, "LRANGE", key, "0", "-1")) == NULL)
		return -1;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
	    i++) {
		double	p;
		int	label;

		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    sscanf(r->element[i]->str, "%lf %d", &p, &label) != 2)
			continue;
		st->recent++;
		st->recent_right += (p >= 0.5) == (label != 0);
		if (p >= 0.5) {
			st->recent_flagged++;
			st->recent_flagged_right += label != 0;
		}
	}
	freeReplyObject(r);
	return 0;
}
