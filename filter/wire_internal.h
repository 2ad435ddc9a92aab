/*
 * wire_internal.h - what the codecs in wire.c, wire_json.c and
 * wire_json_direct.c share besides the msgpack reader and writer
 * (mpack.h). Never installed.
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

/*
 * JSON scanning and writing, in wire_json.c, shared by its short paths
 * and the direct paths of wire_json_direct.c, so that all of them take
 * and give the same bytes.
 */

/* Members of one object the short and direct paths take (each key is
 * checked against the others for a twin); more go the long way. */
#define MF__JSON_KEYS	64

/* The JSON string at 'p' (its opening quote), before 'end', as the short
 * paths take it: valid UTF-8, no control character, JSON's escapes, a
 * high surrogate escape only with its low half. 0 with '*endp' past the
 * closing quote and '*esc' set when it holds an escape; 1 for anything
 * else (the long way decides and names the fault). */
int	mf__json_scan(const char *p, const char *end, const char **endp,
	    int *esc);
/* The 'n' bytes between the quotes of a string mf__json_scan() took,
 * escapes decoded, into 'out' (room for 'n'). Returns the length. */
size_t	mf__json_unescape(const char *s, size_t n, char *out);
/* The number at '*pp' as jansson reads it: an integer into '*iv', or a
 * real into '*dv' with '*real' set. 0 with '*pp' past it; 1 when it is
 * malformed, out of range or not finite. */
int	mf__json_parse_num(const char **pp, const char *end, int *real,
	    long long *iv, double *dv);

/* Append to 'out' as jansson's compact form writes them: the string 's'
 * of 'len' bytes (invalid UTF-8 as U+FFFD; with 'key', a NUL too); an
 * integer, '-' first when 'neg' ('u' its magnitude); a real ("%.17g",
 * ".0" after a whole number). 0, or -1 when memory runs out. */
int	mf__json_put_str(mf_buf_t *out, const char *s, size_t len, int key);
int	mf__json_put_int(mf_buf_t *out, uint64_t u, int neg);
int	mf__json_put_real(mf_buf_t *out, double v);
/* The msgpack value at 'r', nested 'depth' deep, appended as that JSON
 * text: 0; 1 when it is not the common case (malformed, too deep, an ext
 * type, a map of more than MF__JSON_KEYS members, with a key twice or
 * one neither string nor integer) and a jansson tree must write it; -1
 * when memory runs out. On 1 or -1 'out' is partly written. */
int	mf__json_put_mp(mf__mp_reader_t *r, int depth, mf_buf_t *out);

/* wire_json_direct.c: a plain post read straight into '*post' (0), or
 * 1 when the text is not that common case and must go the long way, or
 * -1 when memory runs out. OWNS: caller (*post, NULL unless 0). */
int	mf__json_post_direct(const char *text, size_t len,
	    mf_post_t **post);
/* wire_json_direct.c: 'vd' written straight as JSON text into 'out'
 * (reset first): 0; 1 when it must go the long way (its 'ext' is one
 * only the tree writes; 'out' is then partly written); -1 with 'err' set
 * (a bad 'ext', out of memory). */
int	mf__json_verdict_direct(const mf_verdict_t *vd, mf_buf_t *out,
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
/* Whether a verdict's 'revision' goes on the wire as an integer: it came
 * as one ('is_int') and still reads as one, into '*v'. */
int	mf__wire_rev_int(const char *rev, int is_int, long long *v);
mf_post_t	*mf__wire_decode_post(const void *data, size_t len,
		    size_t max, mf_err_t *err);
mf_verdict_t	*mf__wire_decode_verdict(const void *data, size_t len,
		    size_t max, mf_err_t *err);
mf_feedback_t	*mf__wire_decode_feedback(const void *data, size_t len,
		    size_t max, mf_err_t *err);

#endif
