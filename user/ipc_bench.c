/*
 * ipc_bench: what a channel message costs, in guest instructions (/bin/ipc_bench; init runs it
 * with run=ipc_bench). Under QEMU's -icount shift=0 (tools/run-qemu.sh --icount) one TSC tick is
 * one guest instruction, so the rdtsc differences below count the instructions of everything the
 * CPU ran in between, kernel and both processes included; without icount they are TSC ticks.
 *
 * The program spawns itself as a server ("server") holding the other endpoint of a channel. The
 * server receives into a 64 KiB buffer and answers every message with one byte. Each figure is
 * the median of ROUNDS measurements taken after WARMUP unmeasured rounds (buffers faulted in,
 * caches warm):
 *   round trip 1 byte     send 1 byte, receive the 1-byte answer (the server is blocked in its
 *                         receive, so both messages take the direct path)
 *   transfer 64 KiB       send 65,536 bytes, receive the 1-byte answer
 * and, to see where the instructions go, pieces of those:
 *   null call             handle_close(0): entry, a failed handle lookup, exit
 *   empty receive         receive with timeout 0 on an empty queue (SHOULD_WAIT)
 *   direct send N         the send system call alone, to the blocked server (copy into its
 *                         buffer, its sizes written, it is made ready)
 *   queued send / take    a 1-byte or 64 KiB message sent to an endpoint nobody waits on
 *                         (kmalloc, copy in, queue) and taken again with timeout 0 (copy out,
 *                         kfree)
 * The rest of a round trip is the two switches between the processes and the server's own
 * receive and send returning and starting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quire/syscalls.h"
#include "quire_runtime.h"

#define ROUNDS 101u
#define WARMUP 10u
#define BIG    QUIRE_CHANNEL_MAX_BYTES

static uint8_t buf[BIG];
static uint64_t samples[ROUNDS];

static uint64_t tsc(void)
{
	uint64_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return lo | hi << 32;
}

static void die(const char *what, long err)
{
	printf("ipc_bench: %s failed: %ld\n", what, err);
	quire_process_exit(1);
}

static void must(long err, const char *what)
{
	if (err != 0)
		die(what, err);
}

static int server(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);

	for (;;) {
		size_t len = sizeof(buf), hc = 0;
		long err = quire_channel_receive(ch, buf, &len, NULL, &hc, QUIRE_WAIT_FOREVER);
		if (err == -QUIRE_ERR_PEER_CLOSED)
			return 0;
		must(err, "server receive");
		must(quire_channel_send(ch, buf, 1, NULL, 0), "server send");
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(void)
{
	qsort(samples, ROUNDS, sizeof(samples[0]), cmp_u64);
	return samples[ROUNDS / 2];
}

static void report(const char *what)
{
	uint64_t m = median();

	printf("ipc_bench: %s: %llu instructions (min %llu, max %llu)\n", what,
	       (unsigned long long)m, (unsigned long long)samples[0],
	       (unsigned long long)samples[ROUNDS - 1]);
}

static void receive_answer(quire_handle_t ch)
{
	uint8_t answer;
	size_t len = 1, hc = 0;

	must(quire_channel_receive(ch, &answer, &len, NULL, &hc, QUIRE_WAIT_FOREVER), "receive");
}

/* Round trips of LEN bytes out and the 1-byte answer back. */
static void bench_round_trip(quire_handle_t ch, size_t len, const char *what)
{
	for (unsigned i = 0; i < WARMUP + ROUNDS; i++) {
		uint64_t t0 = tsc();
		must(quire_channel_send(ch, buf, len, NULL, 0), "send");
		receive_answer(ch);
		uint64_t t1 = tsc();
		if (i >= WARMUP)
			samples[i - WARMUP] = t1 - t0;
	}
	report(what);
}

/* The send system call alone, to the blocked server. */
static void bench_direct_send(quire_handle_t ch, size_t len, const char *what)
{
	for (unsigned i = 0; i < WARMUP + ROUNDS; i++) {
		uint64_t t0 = tsc();
		must(quire_channel_send(ch, buf, len, NULL, 0), "send");
		uint64_t t1 = tsc();
		receive_answer(ch);
		if (i >= WARMUP)
			samples[i - WARMUP] = t1 - t0;
	}
	report(what);
}

/* A message of LEN bytes to an endpoint nobody waits on, and taking it again (timeout 0). */
static void bench_queued(const quire_handle_t *local, size_t len, const char *send_what,
			 const char *take_what)
{
	static uint64_t takes[ROUNDS];
	static uint8_t in[BIG];

	for (unsigned i = 0; i < WARMUP + ROUNDS; i++) {
		size_t n = sizeof(in), hc = 0;
		uint64_t t0 = tsc();
		must(quire_channel_send(local[0], buf, len, NULL, 0), "queued send");
		uint64_t t1 = tsc();
		must(quire_channel_receive(local[1], in, &n, NULL, &hc, 0), "take");
		uint64_t t2 = tsc();
		if (i >= WARMUP) {
			samples[i - WARMUP] = t1 - t0;
			takes[i - WARMUP] = t2 - t1;
		}
	}
	report(send_what);
	memcpy(samples, takes, sizeof(samples));
	report(take_what);
}

static void bench_pieces(void)
{
	quire_handle_t local[2];
	size_t len, hc;

	for (unsigned i = 0; i < WARMUP + ROUNDS; i++) {
		uint64_t t0 = tsc();
		(void)quire_handle_close(QUIRE_HANDLE_INVALID);
		uint64_t t1 = tsc();
		if (i >= WARMUP)
			samples[i - WARMUP] = t1 - t0;
	}
	report("null call (handle_close(0))");
	must(quire_channel_create(0, local), "create");
	for (unsigned i = 0; i < WARMUP + ROUNDS; i++) {
		len = 1, hc = 0;
		uint64_t t0 = tsc();
		long err = quire_channel_receive(local[1], buf, &len, NULL, &hc, 0);
		uint64_t t1 = tsc();
		if (err != -QUIRE_ERR_SHOULD_WAIT)
			die("empty receive", err);
		if (i >= WARMUP)
			samples[i - WARMUP] = t1 - t0;
	}
	report("empty receive (timeout 0)");
	bench_queued(local, 1, "queued send 1 byte", "take queued 1 byte");
	bench_queued(local, BIG, "queued send 64 KiB", "take queued 64 KiB");
	must(quire_handle_close(local[0]), "close");
	must(quire_handle_close(local[1]), "close");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "server") == 0)
		return server();
	quire_handle_t ch[2], kid;
	const char *args[] = {argv[0], "server"};

	memset(buf, 0x5a, sizeof(buf));
	must(quire_channel_create(0, ch), "create");
	must(quire_process_spawn(argv[0], args, 2, &ch[1], 1, &kid), "spawn");
	printf("ipc_bench: %u rounds each (median; after %u warm-up rounds)\n", ROUNDS, WARMUP);
	bench_round_trip(ch[0], 1, "round trip 1 byte");
	bench_round_trip(ch[0], BIG, "transfer 64 KiB (and a 1-byte answer)");
	bench_direct_send(ch[0], 1, "direct send 1 byte");
	bench_direct_send(ch[0], BIG, "direct send 64 KiB");
	bench_pieces();
	must(quire_handle_close(ch[0]), "close");
	struct quire_exit_info info;
	must(quire_process_wait(kid, &info), "wait");
	must(quire_handle_close(kid), "close");
	printf("ipc_bench: done\n");
	return 0;
}
