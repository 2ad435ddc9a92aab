/*
 * revdiff.h - what one revision of a page added to the one before: the
 * part of a wiki edit that is judged (`medflag mediawiki`).
 *
 * A claim that stood on the page before the edit is not the editor's;
 * judging the whole page again at every edit would tag each later edit
 * of a page that quotes a myth. Not responsible for fetching revisions.
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_REVDIFF_H
#define MF_REVDIFF_H

#include <stddef.h>

#include "buf.h"

/*
 * Appends to 'out' the lines of 'cur' (length 'clen') that 'old' (length
 * 'olen') does not hold, in their order, each ended by '\n': a line that
 * is in 'old' k times is passed over k times (a multiset difference, so
 * a copied line counts as added). Blank lines are left out. 'old' may be
 * NULL (a new page: every line is added). NUL-terminates 'out' without
 * counting the NUL in out->len. Returns 0, or -1 when out of memory.
 */
int	 mf_revdiff_added(const char *old, size_t olen, const char *cur,
	    size_t clen, mf_buf_t *out);

#endif
