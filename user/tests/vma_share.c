/*
 * vma_share: two processes that map one area see each other's writes.
 *
 * The parent creates and maps an area, clones its handle and passes the clone to a child (itself
 * again, mode "child"; passing moves the handle). The child maps the passed handle into itself
 * and the two take turns through a word on the area's first page, polling with quire_yield():
 *   1. the parent fills page 1 and sets the turn to 1;
 *   2. the child checks page 1, changes one of its words, fills page 2 (a page the parent never
 *      touched, so it is allocated by the child's fault and must still be the parent's too) and
 *      sets the turn to 2;
 *   3. the parent checks both and sets the turn to 3; the child unmaps, closes and exits 0.
 * The data outlives the child (the parent's handle and mapping hold the area); after the parent
 * unmaps and closes, the free frame and process counts are back at their baselines.
 */
#include "qtest.h"

#define PAGE       4096u
#define PAGES      4u
#define WORDS      (PAGE / 8)
#define WAIT_SECS  10u        /* how long a side waits for the other's turn */
#define WAIT_SPINS 20000000ul /* the same bound when the TSC rate is unknown */

/* Page 0's words: whose turn it is, and the child's view of the handle's rights. */
enum { TURN = 0, CHILD_RIGHTS = 1 };

static uint64_t pattern(uint64_t page, uint64_t w, uint64_t who)
{
	return (who << 56) ^ (page << 32) ^ (w * 0x9e3779b1ull);
}

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static uint64_t tsc_hz(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si.tsc_hz;
}

/* Polls (yielding) until *TURN is WANT; false after WAIT_SECS. */
static int wait_turn(volatile uint64_t *turn, uint64_t want)
{
	uint64_t hz = tsc_hz(), start = __builtin_ia32_rdtsc();

	for (unsigned long spins = 0;; spins++) {
		if (__atomic_load_n(turn, __ATOMIC_ACQUIRE) == want)
			return 1;
		if (hz != 0 ? __builtin_ia32_rdtsc() - start > WAIT_SECS * hz : spins > WAIT_SPINS)
			return 0;
		quire_yield();
	}
}

static void fill(volatile uint64_t *page, uint64_t index, uint64_t who)
{
	for (uint64_t w = 0; w < WORDS; w++)
		page[w] = pattern(index, w, who);
}

static void check_filled(const volatile uint64_t *page, uint64_t index, uint64_t who, uint64_t from)
{
	for (uint64_t w = from; w < WORDS; w++)
		CHECK_EQ(page[w], pattern(index, w, who));
}

static int child(void)
{
	quire_handle_t area = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	const struct quire_startup *su = quire_startup_info();
	quire_rights_t rights = 0;

	CHECK(area != QUIRE_HANDLE_INVALID);
	for (uint64_t i = 0; i < su->handle_count; i++)
		if (su->handles[i].handle == area)
			rights = su->handles[i].rights;
	uint64_t addr = 0;
	CHECK_EQ(quire_vma_map(area, quire_self(), &addr, QUIRE_VMA_READ | QUIRE_VMA_WRITE), 0);
	volatile uint64_t *p = (volatile uint64_t *)addr;

	CHECK(wait_turn(&p[TURN], 1));
	check_filled(p + WORDS, 1, 'P', 0);
	p[WORDS + 0] = 0xc41dc41dull; /* a word of the parent's page */
	fill(p + 2 * WORDS, 2, 'C');  /* a page the parent never touched */
	p[CHILD_RIGHTS] = rights;
	__atomic_store_n(&p[TURN], 2, __ATOMIC_RELEASE);

	CHECK(wait_turn(&p[TURN], 3));
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	CHECK_EQ(quire_handle_close(area), 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();
	warm_stack();
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	uint64_t addr = 0;
	quire_handle_t area, pass;
	CHECK_EQ(quire_vma_create_map(PAGES * PAGE, &addr, QUIRE_VMA_READ | QUIRE_VMA_WRITE, &area),
		 0);
	const quire_rights_t passed = QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_MAP;
	CHECK_EQ(quire_handle_clone(area, passed | QUIRE_RIGHT_TRANSFER, &pass), 0);
	volatile uint64_t *p = (volatile uint64_t *)addr;
	fill(p + WORDS, 1, 'P');

	const char *args[] = {NULL, "child"};
	quire_handle_t kid = qtest_spawn_self(argv[0], args, 2, &pass, 1);
	CHECK_EQ(quire_handle_close(pass), -QUIRE_ERR_BAD_HANDLE); /* moved to the child */
	CHECK_EQ(qtest_processes(), processes + 1);
	__atomic_store_n(&p[TURN], 1, __ATOMIC_RELEASE);

	CHECK(wait_turn(&p[TURN], 2));
	CHECK_EQ(p[WORDS + 0], 0xc41dc41dull);
	check_filled(p + WORDS, 1, 'P', 1);
	check_filled(p + 2 * WORDS, 2, 'C', 0);
	CHECK_EQ(p[CHILD_RIGHTS], passed | QUIRE_RIGHT_TRANSFER);
	for (uint64_t w = 0; w < WORDS; w++)
		CHECK_EQ(p[3 * WORDS + w], 0); /* untouched by either: still zero */
	__atomic_store_n(&p[TURN], 3, __ATOMIC_RELEASE);

	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	check_filled(p + 2 * WORDS, 2, 'C', 0); /* the child's data outlives the child */

	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	CHECK_EQ(quire_handle_close(area), 0);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("vma_share: ok: both directions through %u shared pages\n", PAGES);
	return 0;
}
