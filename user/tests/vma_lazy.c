/*
 * vma_lazy: open areas are allocated lazily and filled with zeros.
 *
 * An area of PAGES pages costs no frame when it is created and mapped; reading its untouched
 * pages sees zeros and costs (nearly) nothing (the kernel maps its shared zero page read-only;
 * only page tables are new); writing costs one frame per page, plus page tables and page-tree
 * nodes (at most SLACK frames all told). Unmapping leaves the pages in the area (a second mapping
 * sees the data); closing the last handle frees them, and the free count is back at the baseline
 * exactly.
 */
#include "qtest.h"

#define PAGE  4096u
#define PAGES 256u
#define SLACK 16u /* page tables and page-tree nodes an area of PAGES pages may need */

/* Touches the stack this test will use, so no baseline pays for a first touch of it. */
static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

/* The value page I holds at word W once written. */
static uint64_t pattern(uint64_t i, uint64_t w)
{
	return 0x6c617a7900000000ull ^ (i << 16) ^ w;
}

/* Every word of every page reads zero (each page is read in full: it maps the zero page). */
static void check_zero(const volatile uint64_t *p)
{
	for (uint64_t i = 0; i < PAGES * PAGE / 8; i++)
		if (p[i] != 0)
			CHECK_EQ(p[i], 0);
}

static void check_pattern(const volatile uint64_t *p)
{
	for (uint64_t i = 0; i < PAGES; i++)
		for (uint64_t w = 0; w < PAGE / 8; w += 61)
			CHECK_EQ(p[i * PAGE / 8 + w], pattern(i, w));
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warm_stack();
	uint64_t base = qtest_frames_free();

	uint64_t addr = 0;
	quire_handle_t area = QUIRE_HANDLE_INVALID;
	CHECK_EQ(quire_vma_create_map(PAGES * PAGE, &addr, QUIRE_VMA_READ | QUIRE_VMA_WRITE, &area),
		 0);
	CHECK(area != QUIRE_HANDLE_INVALID);
	CHECK(addr != 0 && addr % PAGE == 0);
	uint64_t created = qtest_frames_free();
	CHECK(created <= base);
	CHECK(base - created <= 2); /* no page is allocated up front */

	volatile uint64_t *p = (volatile uint64_t *)addr;
	check_zero(p);
	uint64_t read = qtest_frames_free();
	CHECK(read <= created);
	CHECK(created - read <= SLACK / 2); /* page tables only: every page is the zero page */

	for (uint64_t i = 0; i < PAGES; i++)
		for (uint64_t w = 0; w < PAGE / 8; w += 61)
			p[i * PAGE / 8 + w] = pattern(i, w);
	uint64_t written = qtest_frames_free();
	CHECK(written <= read);
	CHECK(read - written >= PAGES);         /* a frame for every page written */
	CHECK(read - written <= PAGES + SLACK); /* and little more */
	check_pattern(p);
	CHECK_EQ(qtest_frames_free(), written); /* reading back allocates nothing */

	/* The area keeps its pages while a handle holds it: mapped again, it shows the same data. */
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	uint64_t unmapped = qtest_frames_free();
	CHECK(unmapped < base - PAGES + 1);
	uint64_t again = 0;
	CHECK_EQ(quire_vma_map(area, quire_self(), &again, QUIRE_VMA_READ), 0);
	check_pattern((volatile uint64_t *)again);
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);

	CHECK_EQ(quire_handle_close(area), 0);
	CHECK_EQ(qtest_frames_free(), base);
	printf("vma_lazy: ok: %u pages: created -%llu, read -%llu, written -%llu frames\n", PAGES,
	       (unsigned long long)(base - created), (unsigned long long)(created - read),
	       (unsigned long long)(read - written));
	return 0;
}
