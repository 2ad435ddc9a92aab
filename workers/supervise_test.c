/*
 * supervise_test.c - selftests of the local workers' restart schedule
 * (supervise.c): backoff from 100 ms doubling to 5 s, reset after a
 * stable run, and the next start the main loop waits for.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>

#include "broker.h"
#include "harness.h"

MF_TEST(supervise_backoff_doubles_to_five_seconds)
{
	mf_slot_t	s = { .pid = 42, .started_ms = 1000 };
	int		want[] = {
	    100, 200, 400, 800, 1600, 3200, 5000, 5000
	};
	int64_t		now = 1500;

	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		s.pid = 42;
		s.started_ms = now;
		now += 50;	/* crashed soon after it started */
		MF_ASSERT_EQ(want[i], mf_supervise_backoff(&s, now, 0));
		MF_ASSERT_EQ(0, s.pid);
		MF_ASSERT_EQ(now + want[i], s.next_start_ms);
	}
	MF_ASSERT_EQ(8, s.restarts);
	/* A worker that ran 10 s starts again from 100 ms. */
	s.started_ms = now;
	now += 10000;
	MF_ASSERT_EQ(100, mf_supervise_backoff(&s, now, 0));
}

MF_TEST(supervise_backoff_keeps_growing_while_draining)
{
	mf_slot_t	s = { .started_ms = 0, .backoff_ms = 400 };

	MF_ASSERT_EQ(800, mf_supervise_backoff(&s, 60000, 1));
}

MF_TEST(supervise_next_start_is_the_earliest_idle_slot)
{
	mf_slot_t	slots[3] = {
		{ .pid = 0, .next_start_ms = 700 },
		{ .pid = 9, .next_start_ms = 100 },	/* running */
		{ .pid = 0, .next_start_ms = 300 },
	};
	mf_broker_t	*b = calloc(1, sizeof(*b));

	MF_ASSERT_NOT_NULL(b);
	MF_ASSERT_EQ(INT64_MAX, mf_supervise_next_ms(b));
	b->slots = slots;
	b->nslots = 3;
	MF_ASSERT_EQ(300, mf_supervise_next_ms(b));
	slots[2].pid = 10;
	MF_ASSERT_EQ(700, mf_supervise_next_ms(b));
	free(b);
}
