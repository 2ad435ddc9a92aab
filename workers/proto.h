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
 *     RELOADED ruleset | RELOADFAIL message
 *     BYE
 *   medflagd -> worker
 *     POST     did(8 bytes) post(msgpack)
 *     POSTS    index posts   several at once, only to a worker whose READY
 *              had a 6th frame "batch" (max posts per message): 'index'
 *              holds, per post, did(8) len(4, little endian); 'posts'
 *              their msgpack maps back to back. Batching cuts the
 *              messages (and wakeups) per post on both sides; credit
 *              still counts posts, and each did is answered on its own.
 *     HB | RELOAD | EXIT
 *     RESET    "I do not know you": the worker sends READY again
 * medflagd takes a VERDICT(S) entry only from the registered worker that
 * holds its did, and only when the verdict passes
 * mf_proto_verdict_check and agrees with its meta; other entries are
 * dropped and counted (dispatch.c, s_verdict).
 * Not responsible for dispatch policy (dispatch.c) or supervision.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "buf.h"

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
 * entries replaced (or added) by the given values and, when 'shadow', the
 * flag "shadow" added to its "flags" (mode shadow: medflagd's mark, so
 * that no worker's configuration can leave it out); other entries are
 * copied byte for byte. Returns 0, or -1 if 'in' is not a well-formed map.
 */
int	 mf_proto_stamp(const void *in, size_t len, uint64_t seq,
	    uint64_t latency_us, int shadow, mf_buf_t *out);
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
/* Little-endian 32-bit lengths of the POSTS and VERDICTS indexes. */
void	 mf_proto_put_le32(uint8_t *p, uint32_t v);
uint32_t mf_proto_le32(const uint8_t *p);

/* Bytes taken by the msgpack object at 'p' (depth-bounded), 0 if it is
 * truncated or malformed. */
size_t	 mf_proto_mp_skip(const uint8_t *p, size_t len, int depth);

#endif
