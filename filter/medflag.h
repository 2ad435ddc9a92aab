/*
 * medflag.h - the public interface of libmedflag.
 * SPDX-License-Identifier: MIT
 */
#ifndef MEDFLAG_H
#define MEDFLAG_H

#define MF_VERSION	"0.1.0"

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "post.h"
#include "verdict.h"
#include "source.h"
#include "normalize.h"
#include "ruleset.h"
#include "match.h"
#include "learn.h"
#include "feedback.h"
#include "wire.h"

#endif
