/*
 * Host tests of kernel/lib/spinlock.c and kernel/lib/alloc_check.c: the per-CPU bookkeeping (held
 * count, innermost lock, release out of order), the irqsave variants' handling of IF, and that
 * each debug check fires: rank inversion, equal ranks, recursion, unlocking a free lock or another
 * CPU's, allocating under a lock or in the fault path. Failed checks reach
 * debug_check_host_hook(), which jumps back into the test with the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/lib/alloc_check.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/spinlock_internal.h"

unsigned host_cpu_id;

static jmp_buf check_jump;
static bool expecting_failure;
static char failure[256];

void debug_check_host_hook(const char *func, const char *message)
{
	if (!expecting_failure)
		return; /* not expected: debug_check_host_fail() prints and aborts */
	snprintf(failure, sizeof(failure), "%s: %s", func, message);
	expecting_failure = false;
	longjmp(check_jump, 1);
}

/* Runs STMT, which must fail a debug check whose message contains WANT. */
#define EXPECT_CHECK_FAILS(stmt, want)                                                             \
	do {                                                                                       \
		failure[0] = '\0';                                                                 \
		expecting_failure = true;                                                          \
		if (setjmp(check_jump) == 0) {                                                     \
			stmt;                                                                      \
			expecting_failure = false;                                                 \
			fail_msg("%s did not fail a check", #stmt);                                \
		}                                                                                  \
		if (strstr(failure, (want)) == NULL)                                               \
			fail_msg("check said \"%s\", want \"%s\"", failure, (want));               \
	} while (0)

/* After a check fired mid-operation the bookkeeping is whatever it was: start each test clean. */
static int reset_cpu(void **state)
{
	host_cpu_id = 0;
	while (spin_innermost_held() != NULL)
		spin_unlock((struct spinlock *)spin_innermost_held());
	return 0;
}

static void test_rising_ranks(void **state)
{
	struct spinlock outer, inner, heap;

	spin_init(&outer, "outer", LOCK_RANK_TEST_OUTER);
	spin_init(&inner, "inner", LOCK_RANK_TEST_INNER);
	spin_init(&heap, "heap", LOCK_RANK_KHEAP);
	assert_int_equal(spin_held_count(), 0);
	assert_null(spin_innermost_held());
	spin_lock(&outer);
	spin_lock(&inner);
	spin_lock(&heap);
	assert_int_equal(spin_held_count(), 3);
	assert_ptr_equal(spin_innermost_held(), &heap);
	assert_true(spin_held(&outer) && spin_held(&inner) && spin_held(&heap));
	assert_int_equal(outer.locked, 1);
	assert_int_equal(outer.owner_cpu, 0);
	/* Out of order: the stack closes the gap and the top stays the highest rank. */
	spin_unlock(&inner);
	assert_int_equal(spin_held_count(), 2);
	assert_false(spin_held(&inner));
	assert_ptr_equal(spin_innermost_held(), &heap);
	spin_unlock(&heap);
	assert_ptr_equal(spin_innermost_held(), &outer);
	/* A rank above the top is fine again, even one released a moment ago. */
	spin_lock(&inner);
	spin_unlock(&inner);
	spin_unlock(&outer);
	assert_int_equal(spin_held_count(), 0);
	assert_int_equal(outer.locked, 0);
	assert_int_equal(outer.owner_cpu, -1);
}

static void test_static_initializer(void **state)
{
	static struct spinlock lock = SPINLOCK_INIT("static", LOCK_RANK_PMM);

	spin_lock(&lock);
	assert_true(spin_held(&lock));
	spin_unlock(&lock);
	assert_false(spin_held(&lock));
}

static void test_per_cpu_bookkeeping(void **state)
{
	struct spinlock a, b;

	spin_init(&a, "a", LOCK_RANK_PMM);
	spin_init(&b, "b", LOCK_RANK_TEST_OUTER);
	host_cpu_id = 3;
	spin_lock(&a);
	host_cpu_id = 5;
	/* CPU 5 holds nothing, so a lower rank is fine there. */
	assert_int_equal(spin_held_count(), 0);
	assert_false(spin_held(&a));
	spin_lock(&b);
	assert_int_equal(b.owner_cpu, 5);
	/* Unlocking CPU 3's lock from CPU 5 is a bug. */
	EXPECT_CHECK_FAILS(spin_unlock(&a), "does not hold");
	spin_unlock(&b);
	host_cpu_id = 3;
	assert_int_equal(spin_held_count(), 1);
	spin_unlock(&a);
	assert_int_equal(spin_held_count(), 0);
	host_cpu_id = 0;
}

static void test_irqsave_restores_if(void **state)
{
	struct spinlock lock;
	const uint64_t IF = 1u << 9;

	spin_init(&lock, "irq", LOCK_RANK_CONSOLE);
	spin_host_rflags = IF | 0x2;
	uint64_t flags = spin_lock_irqsave(&lock);
	assert_true(flags & IF);
	assert_false(spin_host_rflags & IF);
	assert_true(spin_held(&lock));
	spin_unlock_irqrestore(&lock, flags);
	assert_true(spin_host_rflags & IF);
	assert_false(spin_held(&lock));

	/* Interrupts already off stay off. */
	spin_host_rflags = 0x2;
	flags = spin_lock_irqsave(&lock);
	assert_false(flags & IF);
	spin_unlock_irqrestore(&lock, flags);
	assert_false(spin_host_rflags & IF);
	spin_host_rflags = IF | 0x2;
}

static void test_rank_inversion_fails(void **state)
{
	struct spinlock outer, inner;

	spin_init(&outer, "test-outer", LOCK_RANK_TEST_OUTER);
	spin_init(&inner, "test-inner", LOCK_RANK_TEST_INNER);
	spin_lock(&inner);
	EXPECT_CHECK_FAILS(spin_lock(&outer), "lock rank violation: taking test-outer (rank 1) "
					      "while holding test-inner (rank 2)");
	/* The check fires before the lock is touched. */
	assert_int_equal(outer.locked, 0);
	spin_unlock(&inner);
}

static void test_equal_rank_fails(void **state)
{
	struct spinlock a, b;

	spin_init(&a, "pmm-a", LOCK_RANK_PMM);
	spin_init(&b, "pmm-b", LOCK_RANK_PMM);
	spin_lock(&a);
	EXPECT_CHECK_FAILS(spin_lock(&b), "lock rank violation");
	spin_unlock(&a);
}

static void test_recursion_fails(void **state)
{
	struct spinlock a;

	spin_init(&a, "again", LOCK_RANK_KHEAP);
	spin_lock(&a);
	EXPECT_CHECK_FAILS(spin_lock(&a), "recursive acquisition of lock again");
	assert_int_equal(spin_held_count(), 1);
	spin_unlock(&a);
}

static void test_unlock_free_fails(void **state)
{
	struct spinlock a;

	spin_init(&a, "never-taken", LOCK_RANK_KHEAP);
	EXPECT_CHECK_FAILS(spin_unlock(&a), "unlocking lock never-taken");
}

static void test_alloc_check(void **state)
{
	struct spinlock a;

	spin_init(&a, "holder", LOCK_RANK_PMM);
	alloc_check(); /* nothing held: fine */
	spin_lock(&a);
	EXPECT_CHECK_FAILS(alloc_check(), "allocation while holding 1 spinlock(s), the innermost "
					  "holder (rank");
	spin_unlock(&a);
	alloc_check();

	assert_false(fault_context_active());
	fault_context_enter();
	fault_context_enter();
	assert_true(fault_context_active());
	EXPECT_CHECK_FAILS(alloc_check(), "allocation in the fault path (depth 2)");
	fault_context_exit();
	assert_true(fault_context_active());
	fault_context_exit();
	assert_false(fault_context_active());
	alloc_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_rising_ranks, reset_cpu),
	    cmocka_unit_test_setup(test_static_initializer, reset_cpu),
	    cmocka_unit_test_setup(test_per_cpu_bookkeeping, reset_cpu),
	    cmocka_unit_test_setup(test_irqsave_restores_if, reset_cpu),
	    cmocka_unit_test_setup(test_rank_inversion_fails, reset_cpu),
	    cmocka_unit_test_setup(test_equal_rank_fails, reset_cpu),
	    cmocka_unit_test_setup(test_recursion_fails, reset_cpu),
	    cmocka_unit_test_setup(test_unlock_free_fails, reset_cpu),
	    cmocka_unit_test_setup(test_alloc_check, reset_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
