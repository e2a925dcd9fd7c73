/*
 * spawn_exit: 1,000 spawn/wait cycles leak nothing.
 *
 * Each child is this program with argv[1] = "exit" and argv[2] = its cycle number; it ends with
 * a status derived from that number, alternately by returning from main (libc's exit) and by
 * calling process_exit with a full 64-bit status, and the parent checks each one. One cycle runs
 * before the baseline is taken, so that what the parent itself keeps from its first spawn (the
 * stack pages its own calls touch, its handle table) is not counted as a leak; then the free
 * frame count and the process count must be back at the baseline every 100 cycles and at the end.
 */
#include "qtest.h"

#define CYCLES     1000
#define CHECK_EACH 100

/* Cycle I's exit status: small and positive when main returns it, any 64-bit value otherwise. */
static int64_t status_for(long i)
{
	if (i % 2 == 0)
		return i * 3 + 1;
	return -(((int64_t)i << 32) + i);
}

static int child(const char *number)
{
	long i = strtol(number, NULL, 10);

	if (i % 2 == 0)
		return (int)status_for(i);
	quire_process_exit(status_for(i));
}

static void cycle(const char *self, long i)
{
	char number[24];
	const char *argv[3] = {NULL, "exit", number};

	snprintf(number, sizeof(number), "%ld", i);
	struct quire_exit_info info = qtest_wait(qtest_spawn_self(self, argv, 3, NULL, 0));
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, status_for(i));
	CHECK_EQ(info.vector, 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return child(argv[2]);
	CHECK_EQ(argc, 1);

	cycle(argv[0], 0); /* warm-up: not counted */
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();
	for (long i = 1; i <= CYCLES; i++) {
		cycle(argv[0], i);
		if (i % CHECK_EACH == 0) {
			CHECK_EQ(qtest_processes(), processes);
			CHECK_EQ(qtest_frames_free(), frames);
		}
	}
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf(
	    "spawn_exit: %d spawn/exit cycles, statuses right, %llu frames free before and after\n",
	    CYCLES, (unsigned long long)frames);
	return 0;
}
