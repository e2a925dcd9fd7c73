/*
 * vma_scenario: the VMA calls end to end, small, for the allocation-failure sweep
 * (kernel/tests/failsweep_tests.c, which runs it once per allocation it makes, failing that one).
 *
 * It creates an area and maps it at a fixed address, creates and maps a second one anywhere,
 * writes their pages, grows the first and writes past the old end, shrinks it, makes it read-only
 * and writable again, clones its handle with fewer rights and maps the clone into a child (this
 * program again, mode "--child") whose start-up handle is a channel endpoint: the child waits for
 * a message, then reads the shared page and exits 0 when it holds what the message says. Then a
 * guarded area (a thread stack's shape) is touched above its guard, and everything is unmapped
 * and closed. Exit status: 0 when every step went as it should, else the number of the first
 * step that did not (a call that failed, data that is not what was written, a child that did not
 * exit 0). A page fault that finds no frame kills the process instead (FAULT_NO_MEMORY). It
 * checks no frame counts itself: the sweep does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "quire/startup.h"
#include "quire/syscalls.h"
#include "quire_runtime.h"

#define PAGE     4096ull
#define RW       (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define AREA_AT  0x50000000ull /* the first area, in this process */
#define CHILD_AT 0x60000000ull /* its clone, in the child */

static uint64_t pattern(uint64_t page)
{
	return 0x5343454e00000000ull | page << 8 | 0x5a;
}

static void fill(uint64_t base, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		*(volatile uint64_t *)(base + i * PAGE) = pattern(i);
}

static bool holds(uint64_t base, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (*(volatile uint64_t *)(base + i * PAGE) != pattern(i))
			return false;
	return true;
}

/* Mode --child: waits for the parent's word, then finds it at CHILD_AT. */
static int child(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	uint64_t word = 0;
	size_t len = sizeof(word), count = 0;

	if (ch == QUIRE_HANDLE_INVALID)
		return 40;
	if (quire_channel_receive(ch, &word, &len, NULL, &count, QUIRE_WAIT_FOREVER) != 0)
		return 41;
	if (len != sizeof(word) || *(volatile uint64_t *)CHILD_AT != word)
		return 42;
	return 0;
}

/* Steps 8..12: the area's clone mapped into a child, which must see page 0. */
static int share_with_child(const char *self, quire_handle_t area)
{
	const char *argv[] = {self, "--child"};
	quire_handle_t clone, ends[2], process;
	struct quire_exit_info info;
	uint64_t at = CHILD_AT, word = pattern(0);

	if (quire_handle_clone(area, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP, &clone) != 0)
		return 8;
	if (quire_channel_create(0, ends) != 0)
		return 9;
	if (quire_process_spawn(self, argv, 2, &ends[1], 1, &process) != 0)
		return 10;
	if (quire_vma_map(clone, process, &at, QUIRE_VMA_READ | QUIRE_VMA_EXACT) != 0)
		return 11;
	if (quire_channel_send(ends[0], &word, sizeof(word), NULL, 0) != 0)
		return 12;
	memset(&info, 0xa5, sizeof(info));
	if (quire_process_wait(process, &info) != 0)
		return 13;
	if (info.reason != QUIRE_EXIT_NORMAL || info.status != 0)
		return 14;
	if (quire_handle_close(process) != 0 || quire_handle_close(ends[0]) != 0 ||
	    quire_handle_close(clone) != 0)
		return 15;
	return 0;
}

/* Steps 16..19: a guarded area, written above its guard page. */
static int guarded(void)
{
	uint64_t at = 0;
	quire_handle_t h;

	if (quire_vma_create_map(3 * PAGE, &at, RW | QUIRE_VMA_GUARD, &h) != 0)
		return 16;
	fill(at, 1, 3);
	if (!holds(at, 1, 3))
		return 17;
	if (quire_vma_unmap(h, quire_self()) != 0)
		return 18;
	if (quire_handle_close(h) != 0)
		return 19;
	return 0;
}

int main(int argc, char **argv)
{
	quire_handle_t area, second;
	uint64_t at = AREA_AT, size, second_at = 0;
	int err;

	if (argc > 1 && strcmp(argv[1], "--child") == 0)
		return child();
	if (quire_vma_create(4 * PAGE, RW, &area) != 0)
		return 1;
	if (quire_vma_map(area, quire_self(), &at, RW | QUIRE_VMA_EXACT) != 0 || at != AREA_AT)
		return 2;
	fill(AREA_AT, 0, 4);
	if (quire_vma_create_map(2 * PAGE, &second_at, RW, &second) != 0)
		return 3;
	fill(second_at, 0, 2);
	size = 8 * PAGE; /* grow: the old pages keep their data, the new ones are usable */
	if (quire_vma_resize(area, &size) != 0 || !holds(AREA_AT, 0, 4))
		return 4;
	fill(AREA_AT, 7, 8);
	size = 2 * PAGE; /* shrink */
	if (quire_vma_resize(area, &size) != 0 || !holds(AREA_AT, 0, 2))
		return 5;
	if (quire_vma_protect(area, quire_self(), QUIRE_VMA_READ) != 0 || !holds(AREA_AT, 0, 2))
		return 6;
	if (quire_vma_protect(area, quire_self(), RW) != 0)
		return 7;
	fill(AREA_AT, 1, 2);
	err = share_with_child(argv[0], area);
	if (err != 0)
		return err;
	err = guarded();
	if (err != 0)
		return err;
	if (!holds(second_at, 0, 2))
		return 20;
	if (quire_vma_unmap(area, quire_self()) != 0 || quire_vma_unmap(second, quire_self()) != 0)
		return 21;
	if (quire_handle_close(area) != 0 || quire_handle_close(second) != 0)
		return 22;
	return 0;
}
