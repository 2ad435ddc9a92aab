/*
 * wire_internal.h - what the codecs in wire.c and wire_json.c share
 * besides the msgpack reader and writer (mpack.h). Never installed.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_WIRE_INTERNAL_H
#define MF_WIRE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "mpack.h"
#include "post.h"
#include "verdict.h"
#include "wire.h"

/* wire_json.c's conversions by their short path ('fast': 0 done, 1 when
 * the text or message is not the common case) or by a jansson tree, for
 * the test that both give the same bytes. 0 or -1 with 'err' set. */
int	mf__json_to_mp(const char *text, size_t len, mf_buf_t *mp, int fast,
	    mf_err_t *err);
int	mf__mp_to_json(const mf_buf_t *mp, mf_buf_t *out, int fast,
	    mf_err_t *err);

/* mf_wire_decode_post_json() and mf_wire_encode_verdict_json() by their
 * direct path only ('direct': 1 when the message is not its common case)
 * or the long way, through msgpack and wire.c, for the test that both
 * give the same. 0 or -1 with 'err' set. OWNS: caller (*post). */
int	mf__json_post(const char *text, size_t len, int direct,
	    mf_post_t **post, mf_err_t *err);
int	mf__json_verdict(const mf_verdict_t *v, mf_buf_t *out, int direct,
	    mf_err_t *err);

/* The msgpack decoders with an explicit size limit (the JSON decoders
 * convert to msgpack first, and msgpack can be larger than its JSON). */
mf_post_t	*mf__wire_decode_post(const void *data, size_t len,
		    size_t max, mf_err_t *err);
mf_verdict_t	*mf__wire_decode_verdict(const void *data, size_t len,
		    size_t max, mf_err_t *err);
mf_feedback_t	*mf__wire_decode_feedback(const void *data, size_t len,
		    size_t max, mf_err_t *err);

#endif
