/*
 * A small deterministic random generator for the kernel's randomised host tests (xorshift64*).
 * The seed is fixed so a failure reproduces; QUIRE_TEST_SEED in the environment picks another one,
 * and each test prints the seed it used.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct test_rng {
	uint64_t state;
};

static inline struct test_rng test_rng_seeded(const char *who)
{
	const char *env = getenv("QUIRE_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x9e3779b97f4a7c15ull;

	printf("# %s: seed 0x%llx (set QUIRE_TEST_SEED to change)\n", who,
	       (unsigned long long)seed);
	return (struct test_rng){.state = seed != 0 ? seed : 1};
}

static inline uint64_t test_rng_next(struct test_rng *r)
{
	r->state ^= r->state >> 12;
	r->state ^= r->state << 25;
	r->state ^= r->state >> 27;
	return r->state * 0x2545f4914f6cdd1dull;
}

/* Uniform enough in [0, n) for test purposes; n > 0. */
static inline uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	return test_rng_next(r) % n;
}
