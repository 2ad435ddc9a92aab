/*
 * post.c - the post model: construction, destruction and the names of
 * body formats.
 *
 * Not responsible for decoding (wire.c) or judging (match.c).
 * SPDX-License-Identifier: MIT
 */
#include <assert.h>
#include <string.h>

#include "alloc.h"
#include "post.h"

static const char *const s_format_names[] = {
	[MF_FMT_TEXT] = "text",
	[MF_FMT_MARKDOWN] = "markdown",
	[MF_FMT_BBCODE] = "bbcode",
	[MF_FMT_HTML] = "html",
	[MF_FMT_WIKITEXT] = "wikitext"
};
#define S_NFORMATS	(sizeof(s_format_names) / sizeof(s_format_names[0]))

mf_post_t *
mf_post_new_len(const char *post_id, const char *body, size_t body_len)
{
	mf_post_t	*self;

	assert(body != NULL || body_len == 0);
	if ((self = mf_calloc(1, sizeof(*self))) == NULL)
		return NULL;
	self->v = 1;
	self->body_format = MF_FMT_TEXT;
	if (post_id != NULL && (self->post_id = mf_strdup(post_id)) == NULL)
		goto fail;
	/* The body is always NUL-terminated past body_len, so text bodies
	 * can be used as C strings. */
	if ((self->body = mf_malloc(body_len + 1)) == NULL)
		goto fail;
	if (body_len)
		memcpy(self->body, body, body_len);
	self->body[body_len] = '\0';
	self->body_len = body_len;
	return self;
fail:
	mf_post_destroy(&self);
	return NULL;
}

mf_post_t *
mf_post_new(const char *post_id, const char *body)
{
	return mf_post_new_len(post_id, body, body ? strlen(body) : 0);
}

void
mf_post_destroy(mf_post_t **self_p)
{
	mf_post_t	*self;

	assert(self_p != NULL);
	if ((self = *self_p) == NULL)
		return;
	mf_free(self->post_id);
	mf_free(self->body);
	mf_free(self->revision);
	mf_free(self->instance);
	mf_free(self->thread_id);
	mf_free(self->title);
	mf_free(self->lang);
	mf_free(self->url);
	mf_free(self->author.data);
	mf_free(self->ext.data);
	mf_free(self);
	*self_p = NULL;
}

const char *
mf_post_text(const mf_post_t *self)
{
	assert(self != NULL);
	return self->body ? self->body : "";
}

const char *
mf_post_field(const mf_post_t *self, mf_field_t f, size_t *len)
{
	assert(self != NULL && len != NULL);
	if (f == MF_FIELD_TITLE) {
		*len = self->title ? strlen(self->title) : 0;
		return self->title ? self->title : "";
	}
	*len = self->body ? self->body_len : 0;
	return mf_post_text(self);
}

const char *
mf_field_name(mf_field_t f)
{
	return f == MF_FIELD_TITLE ? "title" : "body";
}

const char *
mf_format_name(mf_format_t f)
{
	if ((unsigned)f >= S_NFORMATS)
		return "text";
	return s_format_names[f];
}

int
mf_format_parse(const char *name, mf_format_t *out)
{
	size_t	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < S_NFORMATS; i++)
		if (strcmp(name, s_format_names[i]) == 0) {
			if (out)
				*out = (mf_format_t)i;
			return 0;
		}
	return -1;
}
