/*
 * integ_util.h - what every integration test shares: a fresh mkdtemp
 * directory, a private redis-server on a unix socket there (persistence
 * off), a medflag.conf with ipc:// endpoints in that directory, the real
 * build/medflagd, health checks with deadlines, control commands, and a
 * cleanup that always kills the children and removes the directory (at
 * exit, on a failed assertion and on the harness's alarm).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_INTEG_UTIL_H
#define MF_INTEG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"	/* mf_now_ms() */

typedef struct mf_integ {
	char	dir[256];
	char	conf[320];
	char	redis_sock[320];
	char	ingest[320], check[320], verdicts[320], control[320],
		backend[320];
	char	log[320];		/* medflagd's stderr */
	pid_t	redis_pid;
	pid_t	medflagd_pid;
	void	*zctx;			/* for the test's own sockets */
} mf_integ_t;

/* Creates the directory, starts redis-server and writes medflag.conf
 * ('workers' local workers, 'extra' appended verbatim, may be NULL).
 * Skips the test (77) when redis-server is missing. */
void	mf_integ_setup(mf_integ_t *t, int workers, const char *extra);
/* Path of a built program ("medflagd", "medflag"): $MF_BUILD/NAME. */
/* 'ms' times MF_TEST_TIMEOUT_MULT (make asan sets it: a sanitized build
 * starts and loads rules several times slower). The waits below scale
 * by it; a test's own waits call it. */
int	mf_integ_ms(int ms);
const char *mf_integ_bin(const char *name, char *buf, size_t cap);

/* Starts medflagd and waits (deadline 'ms') until health reports
 * 'workers' workers alive. Fails the test on timeout. */
void	mf_integ_medflagd_start(mf_integ_t *t, int workers, int ms);
/* Sends 'sig' and waits up to 'ms' for exit; returns the exit status
 * (128+signal if killed), -1 on timeout (then it is SIGKILLed). */
int	mf_integ_medflagd_stop(mf_integ_t *t, int sig, int ms);
int	mf_integ_redis_start(mf_integ_t *t);
void	mf_integ_redis_stop(mf_integ_t *t);
/* Sends a control command; returns the msgpack answer (malloc'd) or NULL
 * after 'ms'. */
void	*mf_integ_control(mf_integ_t *t, const char *cmd, size_t *len, int ms);
/* A number from the stats answer by dotted path ("status.error",
 * "posts_in"); -1 if absent or medflagd does not answer. */
long long mf_integ_stat(mf_integ_t *t, const char *path);
/* A string from the stats answer (e.g. "ruleset") into buf; "" if none. */
const char *mf_integ_stat_str(mf_integ_t *t, const char *path, char *buf,
	    size_t cap);
/* Waits until health says 'workers' alive; 0 or -1 at the deadline. */
int	mf_integ_wait_workers(mf_integ_t *t, int workers, int ms);
/* Kills everything and removes the directory (idempotent). */
void	mf_integ_teardown(mf_integ_t *t);

/* Encodes a post {v:1, post_id, body} as msgpack into 'out' (cap bytes);
 * returns the length. */
size_t	mf_integ_post(char *out, size_t cap, const char *post_id,
	    const char *body);
/* Reads a string field of a msgpack map into buf; "" if absent. */
const char *mf_integ_field(const void *msg, size_t len, const char *key,
	    char *buf, size_t cap);
/* An unsigned field; -1 if absent. */
long long mf_integ_field_u(const void *msg, size_t len, const char *key);
/* 1 if the "flags" array holds 'flag'. */
int	mf_integ_has_flag(const void *msg, size_t len, const char *flag);

#endif
