/*
 * proto.h - the messages between medflagd and medflag-worker, and small
 * ZeroMQ and msgpack helpers the daemons share.
 *
 * Backend protocol (worker DEALER -> medflagd ROUTER; frames, strings are
 * not NUL-terminated on the wire):
 *   worker -> medflagd
 *     READY    credit pid host ruleset [batch [maxmsg]]   announce;
 *              credit = posts it takes; maxmsg = the largest frame its
 *              socket takes (ZMQ_MAXMSGSIZE; MF_PROTO_MAX_SOCKET_MSG when
 *              absent): no POSTS body or POST frame sent to it is larger
 *     HB       ruleset sources_version stale("0"|"1") auto_shadowed
 *              [rule_hits [demoted]]
 *              (auto_shadowed: rule ids the worker judges as shadow,
 *              comma-separated; rule_hits: the hits since the last HB,
 *              lines "RULE_ID HITS SHADOW", see rulehits.h; demoted: the
 *              rule ids the moderators' feedback demoted, which it also
 *              judges as shadow; an older worker sends no such frames)
 *     VERDICT  did(8 bytes, host order) meta(3 bytes) verdict(msgpack)
 *              meta = action, status, MF_PROTO_M_* bits
 *     VERDICTS index verdicts   several at once: 'index' holds, per
 *              verdict, did(8, host order) meta(3) len(4, little endian);
 *              'verdicts' their msgpack maps back to back
 *     RELOADED gen hash    it now runs generation 'gen' of medflagd's
 *              rule sets, whose content hash is 'hash'
 *     RELOADFAIL gen why   it did not take generation 'gen' (its rules
 *              do not compile, or their hash is not the one medflagd
 *              checked) and keeps running what it ran
 *              (an older worker sends RELOADED hash, RELOADFAIL why)
 *     BYE
 *   medflagd -> worker
 *     POST     did(8 bytes) post(msgpack)
 *     POSTS    index posts   several at once, only to a worker whose READY
 *              had a 6th frame "batch" (max posts per message): 'index'
 *              holds, per post, did(8) len(4, little endian); 'posts'
 *              their msgpack maps back to back. Batching cuts the
 *              messages (and wakeups) per post on both sides; credit
 *              still counts posts, and each did is answered on its own.
 *     RELOAD gen hash   load the rules again and run them as
 *              generation 'gen' only if their content hash is 'hash',
 *              the one medflagd compiled and checked (an older medflagd
 *              sends RELOAD alone)
 *     HB | EXIT
 *     RESET    "I do not know you": the worker sends READY again
 * medflagd takes a VERDICT(S) entry only from the registered worker that
 * holds its did, and only when the verdict passes
 * mf_proto_verdict_check and agrees with its meta; other entries are
 * dropped and counted (dispatch.c, s_verdict).
 *
 * Both programs read and write these messages only through the codec
 * below (mf_proto_parse_up/down, mf_proto_build): one typed struct per
 * message, every frame count, size and number checked, no socket
 * involved. Numbers are decimal ASCII without sign or leading zero.
 * Not responsible for dispatch policy (dispatch.c) or supervision.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "buf.h"
#include "err.h"

#define MF_PROTO_READY		"READY"
#define MF_PROTO_HB		"HB"
#define MF_PROTO_VERDICT	"VERDICT"
#define MF_PROTO_RELOADED	"RELOADED"
#define MF_PROTO_RELOADFAIL	"RELOADFAIL"
#define MF_PROTO_BYE		"BYE"
#define MF_PROTO_POST		"POST"
#define MF_PROTO_RELOAD		"RELOAD"
#define MF_PROTO_EXIT		"EXIT"
#define MF_PROTO_RESET		"RESET"
#define MF_PROTO_POSTS		"POSTS"
#define MF_PROTO_VERDICTS	"VERDICTS"

/* Most posts (and verdicts) in one POSTS (VERDICTS) message. */
#define MF_PROTO_BATCH_MAX	32
#define MF_PROTO_POSTS_ENT	12	/* did 8, len 4 */
#define MF_PROTO_VERDICTS_ENT	15	/* did 8, meta 3, len 4 */

#define MF_PROTO_M_BAD_INPUT	0x01u	/* the post did not decode */
#define MF_PROTO_M_STALE	0x02u	/* sources_stale was set */
#define MF_PROTO_M_REVIEW	0x04u	/* review was set */
#define MF_PROTO_M_LANG		0x08u	/* lang_unsupported was set */

/* Largest message accepted on any socket (ZMQ_MAXMSGSIZE); bigger ones
 * make libzmq drop the peer. Between MF_WIRE_MAX_MSG and this, medflagd
 * answers with an error verdict. */
#define MF_PROTO_MAX_SOCKET_MSG	((int64_t)2 << 20)

/* Frames of one multipart message (at most MF_PROTO_MAX_FRAMES kept; the
 * rest are read and counted in 'extra'). */
#define MF_PROTO_MAX_FRAMES	8
typedef struct mf_frames {
	void	*data[MF_PROTO_MAX_FRAMES];	/* OWNS: mf_frames_free */
	size_t	 len[MF_PROTO_MAX_FRAMES];
	int	 n;
	int	 extra;
} mf_frames_t;

/*
 * libzmq fails a call with EINTR when a signal lands while it checks its
 * command mailbox, with ZMQ_DONTWAIT too and between two frames of one
 * message. A frame not sent there would leave the next message glued to
 * the half-sent one, and a frame not read would split a message in two;
 * every send below and every frame after the first received is retried.
 * (medflagd gets a SIGCHLD for each worker death.)
 */
int	 mf_zsend(void *sock, const void *data, size_t len, int flags);
int	 mf_zmsg_send(zmq_msg_t *m, void *sock, int flags);
/* Receives a frame known to be there (the rest of a message). */
int	 mf_zmsg_recv_more(zmq_msg_t *m, void *sock);

/* Receives one whole multipart message. 'flags' 0 or ZMQ_DONTWAIT.
 * Returns 0, or -1 (errno from libzmq; nothing kept). Only the first
 * frame may fail with EINTR, so a blocking caller can still stop. */
int	 mf_frames_recv(void *sock, mf_frames_t *f, int flags);
void	 mf_frames_free(mf_frames_t *f);
/* 1 if frame 'i' exists and equals the string 's'. */
int	 mf_frames_is(const mf_frames_t *f, int i, const char *s);
/* Sends 'n' frames; returns 0 or -1. */
int	 mf_frames_send(void *sock, int n, const void *const *data,
	    const size_t *len, int flags);

/*
 * Writes to 'out' the msgpack map 'in' with its "seq" and "latency_us"
 * entries replaced (or added) by the given values, its "gen" (the rule
 * set generation that judged it, as medflagd knows it) replaced by 'gen'
 * (kept as it is when 'gen' is 0: a stored verdict answered again, or
 * one medflagd wrote) and, when 'shadow', the flag "shadow" added
 * to its "flags" (mode shadow: medflagd's mark, so that no worker's
 * configuration can leave it out); other entries are copied byte for
 * byte. Returns 0, or -1 if 'in' is not a well-formed map.
 */
int	 mf_proto_stamp(const void *in, size_t len, uint64_t seq,
	    uint64_t latency_us, uint64_t gen, int shadow, mf_buf_t *out);
/*
 * Checks a verdict from a worker before medflagd publishes it: one
 * well-formed msgpack map (nesting bounded) holding "action" and
 * "status" (known names, each once) and, when present, "post_id" (a
 * string, once). Their values in '*action', '*status' and '*post_id'
 * ('*idlen' bytes, BORROWS from 'verdict'; NULL when absent). 0, or -1
 * when it is not such a map.
 */
int	 mf_proto_verdict_check(const void *verdict, size_t len, int *action,
	    int *status, const uint8_t **post_id, size_t *idlen);
/* ---- the backend codec ------------------------------------------------ */

/* Longest host, ruleset and sources_version a message carries. */
#define MF_PROTO_NAME_MAX	255

typedef enum mf_proto_type {
	/* worker -> medflagd */
	MF_PROTO_T_READY,
	MF_PROTO_T_HB,		/* the worker's heartbeat, with its state */
	MF_PROTO_T_VERDICT,
	MF_PROTO_T_VERDICTS,
	MF_PROTO_T_RELOADED,
	MF_PROTO_T_RELOADFAIL,
	MF_PROTO_T_BYE,
	/* medflagd -> worker */
	MF_PROTO_T_POST,
	MF_PROTO_T_POSTS,
	MF_PROTO_T_HB_BROKER,	/* medflagd's heartbeat: "HB" alone */
	MF_PROTO_T_RELOAD,
	MF_PROTO_T_EXIT,
	MF_PROTO_T_RESET
} mf_proto_type_t;

/* Bytes of a frame; not NUL-terminated. BORROWS. */
typedef struct mf_proto_str {
	const char	*s;
	size_t		 len;
} mf_proto_str_t;

/* READY. Parsed from an older worker's shorter message, 'batch' is 0
 * (POST only) and 'maxmsg' MF_PROTO_MAX_SOCKET_MSG. */
typedef struct mf_proto_ready {
	int		 credit;	/* 1..INT_MAX: posts it may hold */
	long		 pid;		/* 1..INT_MAX */
	mf_proto_str_t	 host;		/* at most MF_PROTO_NAME_MAX bytes */
	mf_proto_str_t	 ruleset;	/* likewise */
	int		 batch;		/* 0..INT_MAX: posts per POSTS */
	int64_t		 maxmsg;	/* 1..INT64_MAX: its ZMQ_MAXMSGSIZE */
} mf_proto_ready_t;

/* The worker's HB. Frames an older worker does not send are empty. */
typedef struct mf_proto_hb {
	mf_proto_str_t	 ruleset;	/* at most MF_PROTO_NAME_MAX bytes */
	mf_proto_str_t	 sources_version;	/* likewise */
	int		 stale;		/* "0" or "1" on the wire */
	mf_proto_str_t	 auto_shadowed;	/* rule ids, comma-separated */
	mf_proto_str_t	 rule_hits;	/* "RULE_ID HITS SHADOW" lines */
	mf_proto_str_t	 demoted;	/* rule ids, comma-separated */
} mf_proto_hb_t;

/* RELOAD, RELOADED and RELOADFAIL. 'gen' 0 is an older peer's form,
 * without a generation: RELOAD alone, RELOADED hash, RELOADFAIL why. */
typedef struct mf_proto_reload {
	uint64_t	 gen;		/* 0, or 1..INT64_MAX */
	mf_proto_str_t	 hash;		/* RELOAD, RELOADED: at most
					 * MF_PROTO_NAME_MAX bytes; not
					 * empty when 'gen' is set */
	mf_proto_str_t	 why;		/* RELOADFAIL: any bytes */
} mf_proto_reload_t;

/* One post (POST) or verdict (VERDICT); an entry of POSTS or VERDICTS. */
typedef struct mf_proto_item {
	uint64_t	 did;		/* 8 bytes, host order */
	uint8_t		 meta[3];	/* verdicts: action, status, M_ bits */
	const void	*data;		/* BORROWS: the msgpack post/verdict */
	size_t		 len;		/* at most UINT32_MAX in a batch */
} mf_proto_item_t;

/* POSTS or VERDICTS: 1..MF_PROTO_BATCH_MAX items whose bytes lie back
 * to back in memory, in order, as in the message's last frame. */
typedef struct mf_proto_batch {
	size_t		 n;
	mf_proto_item_t	 v[MF_PROTO_BATCH_MAX];
} mf_proto_batch_t;

typedef struct mf_proto_msg {
	mf_proto_type_t	 type;
	union {
		mf_proto_ready_t ready;		/* READY */
		mf_proto_hb_t	 hb;		/* HB (worker's) */
		mf_proto_item_t	 item;		/* VERDICT, POST */
		mf_proto_batch_t batch;		/* VERDICTS, POSTS */
		mf_proto_reload_t reload;	/* RELOAD, RELOADED,
						 * RELOADFAIL */
	} u;
} mf_proto_msg_t;

/* A message built for sending: frames 0..n-1, the name first (not the
 * ROUTER's identity frame). BORROWS the bytes of the message it was
 * built from; the numbers, did, meta and index live in it. */
typedef struct mf_proto_out {
	const void	*data[MF_PROTO_MAX_FRAMES];
	size_t		 len[MF_PROTO_MAX_FRAMES];
	int		 n;
	char		 num[4][24];	/* READY's numbers, a gen */
	uint8_t		 fixed[11];	/* did and meta of POST/VERDICT */
	uint8_t		 idx[MF_PROTO_BATCH_MAX * MF_PROTO_VERDICTS_ENT];
} mf_proto_out_t;

/*
 * Parses the 'n' frames 'data'/'len' (the name first; medflagd drops
 * the identity frame before) of a message a worker sent (up) or
 * medflagd sent (down) into '*m', whose pointers BORROW the frames.
 * Returns 0, or -1 with 'err' (MF_EWIRE: unknown name or wrong frame
 * count; MF_ELIMIT: a frame too long or short, a batch too large or its
 * index not matching its bytes; MF_EFIELD: a bad number or flag). The
 * message is then dropped whole; 'err' never quotes frame bytes.
 */
int	 mf_proto_parse_up(const void *const *data, const size_t *len, int n,
	    mf_proto_msg_t *m, mf_err_t *err);
int	 mf_proto_parse_down(const void *const *data, const size_t *len,
	    int n, mf_proto_msg_t *m, mf_err_t *err);
/* Frames 'first'.. of a received message, parsed as mf_proto_parse_up
 * (with 'up') or _down does; a message with more frames than 'f' kept
 * fails (MF_ELIMIT). */
int	 mf_frames_parse(const mf_frames_t *f, int first, int up,
	    mf_proto_msg_t *m, mf_err_t *err);
/*
 * Builds the frames of '*m' into '*o', checking what parse checks, so a
 * built message always parses back to 'm'. A READY or HB always has
 * every frame. Returns 0, or -1 with 'err' as above.
 */
int	 mf_proto_build(const mf_proto_msg_t *m, mf_proto_out_t *o,
	    mf_err_t *err);
/* A string of 's' (BORROWS 's'). */
mf_proto_str_t mf_proto_str(const char *s);
/* Wire name of 't' ("HB" for both heartbeats). */
const char	*mf_proto_name(mf_proto_type_t t);
/*
 * Sends the routing identity 'ident' (unless NULL) and the frames of
 * 'o'; with 'last', that message goes (zero-copy) in place of o's last
 * frame, whose bytes it holds, and is left empty once sent. 'flags' 0
 * or ZMQ_DONTWAIT. Returns 0, or -1 (errno from libzmq).
 */
int	 mf_proto_send(void *sock, const void *ident, size_t identlen,
	    const mf_proto_out_t *o, zmq_msg_t *last, int flags);

/* Bytes taken by the msgpack object at 'p' (depth-bounded), 0 if it is
 * truncated or malformed. */
size_t	 mf_proto_mp_skip(const uint8_t *p, size_t len, int depth);

#endif
