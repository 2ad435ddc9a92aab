/*
 * wire.h - msgpack and JSON codecs for posts, verdicts and feedback.
 *
 * Bytes in, objects out: nothing here touches a socket, so the decoders can
 * be fuzzed. Input is hostile: every declared count and length is checked
 * against the bytes that remain before anything is allocated, nesting is
 * bounded, and a missing or mistyped field is an error naming the field.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_WIRE_H
#define MF_WIRE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "feedback.h"
#include "post.h"
#include "verdict.h"

#define MF_WIRE_VERSION		1
#define MF_WIRE_MAX_MSG		(1u << 20)	/* 1 MiB per message */
/* The error of a post over MF_WIRE_MAX_MSG (msgpack or JSON text), in the
 * error verdict it gets from medflagd, check, push, scan and HTTP alike. */
#define MF_WIRE_TOO_BIG		"post: larger than 1 MiB (1048576 bytes), " \
				"the most medflag judges"
#define MF_WIRE_MAX_DEPTH	16		/* map/array nesting */
#define MF_WIRE_MAX_STR		(1u << 20)
/* A post_id is valid UTF-8 of at most this many bytes; anything else is
 * an error verdict that carries the id in its escaped form (below). */
#define MF_WIRE_MAX_POST_ID	256
/* Room for the escaped form of any post_id (mf_wire_safe_id). */
#define MF_WIRE_ID_CAP		(4 * MF_WIRE_MAX_POST_ID + 8)

/* On a decode failure with a known post id, 'err->where' holds "post_id=ID"
 * style context and mf_wire_last_post_id() fills 'id' so the caller can
 * still answer with an error verdict. */

/* msgpack. Decode returns NULL and fills 'err' on failure.
 * OWNS: caller (mf_post_destroy / mf_verdict_destroy). */
mf_post_t	*mf_wire_decode_post(const void *data, size_t len, mf_err_t *err);
int		 mf_wire_encode_post(const mf_post_t *post, mf_buf_t *out,
		    mf_err_t *err);
mf_verdict_t	*mf_wire_decode_verdict(const void *data, size_t len,
		    mf_err_t *err);
int		 mf_wire_encode_verdict(const mf_verdict_t *v, mf_buf_t *out,
		    mf_err_t *err);

/* JSON (one object, no trailing newline written). The same field names;
 * 'ext' and 'author' are converted between JSON and msgpack. */
mf_post_t	*mf_wire_decode_post_json(const char *text, size_t len,
		    mf_err_t *err);
int		 mf_wire_encode_post_json(const mf_post_t *post, mf_buf_t *out,
		    mf_err_t *err);
mf_verdict_t	*mf_wire_decode_verdict_json(const char *text, size_t len,
		    mf_err_t *err);
int		 mf_wire_encode_verdict_json(const mf_verdict_t *v,
		    mf_buf_t *out, mf_err_t *err);

/* Best effort: the post_id of a message that failed to decode, if the
 * bytes are a map with a string post_id, in the form of mf_wire_safe_id
 * (an id that is valid as a post_id comes back unchanged). Writes at
 * most 'cap' bytes (NUL-terminated; MF_WIRE_ID_CAP holds any) into
 * 'id'. Returns 0 if found, -1 if not. */
int		 mf_wire_peek_post_id(const void *data, size_t len, char *id,
		    size_t cap);
int		 mf_wire_peek_post_id_json(const char *text, size_t len,
		    char *id, size_t cap);

/*
 * The form of a post_id that is safe to echo and to log: 'id' ('len'
 * bytes) unchanged when it is valid as a post_id (valid UTF-8 without
 * NUL, at most MF_WIRE_MAX_POST_ID bytes); otherwise its first
 * MF_WIRE_MAX_POST_ID bytes with every byte that is not part of valid
 * UTF-8, every control character and the backslash written as \xHH
 * (\\ for the backslash), and "..." when it was longer. So a producer
 * can still find the post by the id it sent. Writes at most 'cap' bytes,
 * NUL-terminated; returns 1 when the id was rewritten, 0 when not.
 */
int		 mf_wire_safe_id(const char *id, size_t len, char *out,
		    size_t cap);
/* 0 if 'id' ('len' bytes) is valid as a post_id, else -1 with the
 * reason in 'err' (field "post_id"). */
int		 mf_wire_check_post_id(const char *id, size_t len,
		    mf_err_t *err);

/* Moderator feedback (feedback.h). */
mf_feedback_t	*mf_wire_decode_feedback(const void *data, size_t len,
		    mf_err_t *err);
mf_feedback_t	*mf_wire_decode_feedback_json(const char *text, size_t len,
		    mf_err_t *err);
int		 mf_wire_encode_feedback(const mf_feedback_t *f, mf_buf_t *out,
		    mf_err_t *err);

#endif
