/*
 * post.h - the post model: what a forum sends medflag to judge.
 *
 * Plain data with a constructor and a destructor. Not responsible for
 * decoding (wire.c) or judging (match.c).
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_POST_H
#define MF_POST_H

#include <stddef.h>
#include <stdint.h>

typedef enum mf_format {
	MF_FMT_TEXT = 0,
	MF_FMT_MARKDOWN,
	MF_FMT_BBCODE,
	MF_FMT_HTML,
	MF_FMT_WIKITEXT
} mf_format_t;

/* The fields of a post that are judged (and a span points into). */
typedef enum mf_field {
	MF_FIELD_BODY = 0,
	MF_FIELD_TITLE
} mf_field_t;

/* A raw msgpack object (a map for 'author' and 'ext'), kept as bytes so it
 * can be echoed back unchanged. len == 0 means absent. */
typedef struct mf_raw {
	char	*data;
	size_t	 len;
} mf_raw_t;

typedef struct mf_post {
	int		 v;		/* wire version, 1 */
	char		*post_id;	/* required */
	char		*body;		/* required; may hold invalid UTF-8 and NULs */
	size_t		 body_len;
	mf_format_t	 body_format;
	char		*revision;	/* NULL when absent */
	int		 revision_is_int; /* echo it back as an integer */
	char		*instance;
	char		*thread_id;
	char		*title;
	char		*lang;
	char		*url;
	int64_t		 ts;		/* unix ms, 0 when absent */
	int64_t		 deadline_ms;	/* 0 when absent */
	mf_raw_t	 author;	/* msgpack map; never logged */
	mf_raw_t	 ext;		/* msgpack map; echoed in the verdict */
} mf_post_t;

/* New post with copies of 'post_id' and 'body' (NUL-terminated). NULL if
 * out of memory. OWNS: caller; free with mf_post_destroy(). */
mf_post_t	*mf_post_new(const char *post_id, const char *body);
/* Same with an explicit body length (the body may hold NULs). */
mf_post_t	*mf_post_new_len(const char *post_id, const char *body,
		    size_t body_len);
void		 mf_post_destroy(mf_post_t **self_p);
/* BORROWS */
const char	*mf_post_text(const mf_post_t *self);

/* The text of field 'f' and its length in *len ("" and 0 for a post
 * without a title). BORROWS. */
const char	*mf_post_field(const mf_post_t *self, mf_field_t f,
		    size_t *len);
/* "body", "title". */
const char	*mf_field_name(mf_field_t f);

/* "text" <-> MF_FMT_TEXT ...; parse returns -1 for an unknown name. */
const char	*mf_format_name(mf_format_t f);
int		 mf_format_parse(const char *name, mf_format_t *out);

#endif
