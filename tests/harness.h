/*
 * harness.h - the selftest harness: MF_TEST(name) registers a test; the
 * runner (tests/unit.c) forks each one, kills it after a timeout and prints
 * "N passed, N failed".
 * SPDX-License-Identifier: MIT
 */
#ifndef MF_HARNESS_H
#define MF_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*mf_test_fn)(void);
void	mf__test_register(const char *name, const char *file, mf_test_fn fn);
void	mf__test_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
/* Path of ../shared/data (or $MF_SHARED_DATA); NULL if absent. */
const char *mf_test_shared_data(void);
/* Path of the project's top directory (where rules/ is). */
const char *mf_test_top(void);
/* xorshift64: the next state of '*state' (not 0), stored and returned;
 * random enough for generated test inputs, the same on every run. */
uint64_t mf_test_xorshift(uint64_t *state);
/* Skip this test with a reason (exit 77); a failure under CI=true. */
void	mf_test_skip(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#define MF_TEST(name)							\
	static void mf_test_##name(void);				\
	__attribute__((constructor)) static void			\
	mf_test_reg_##name(void)					\
	{ mf__test_register(#name, __FILE__, mf_test_##name); }	\
	static void mf_test_##name(void)

#define MF_ASSERT(c) do { if (!(c))					\
	mf__test_fail(__FILE__, __LINE__, "assertion failed: %s", #c);	\
	} while (0)
#define MF_ASSERT_EQ(a, b) do {						\
	long long mf__a = (long long)(a), mf__b = (long long)(b);	\
	if (mf__a != mf__b) mf__test_fail(__FILE__, __LINE__,		\
	    "%s == %s: %lld != %lld", #a, #b, mf__a, mf__b);		\
	} while (0)
#define MF_ASSERT_NOT_NULL(p) do { if ((p) == NULL)			\
	mf__test_fail(__FILE__, __LINE__, "%s is NULL", #p); } while (0)
#define MF_ASSERT_NULL(p) do { if ((p) != NULL)				\
	mf__test_fail(__FILE__, __LINE__, "%s is not NULL", #p); } while (0)
#define MF_ASSERT_STR_EQ(a, b) do {					\
	const char *mf__a = (a), *mf__b = (b);				\
	if (mf__a == NULL || mf__b == NULL || strcmp(mf__a, mf__b))	\
	mf__test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"",	\
	    #a, #b, mf__a ? mf__a : "(null)", mf__b ? mf__b : "(null)");	\
	} while (0)
#define MF_ASSERT_STR_CONTAINS(hay, needle) do {			\
	const char *mf__h = (hay), *mf__n = (needle);			\
	if (mf__h == NULL || strstr(mf__h, mf__n) == NULL)		\
	mf__test_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", \
	    #hay, mf__n, mf__h ? mf__h : "(null)");			\
	} while (0)

#endif
