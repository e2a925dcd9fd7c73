/*
 * channel_messages: bytes through a channel, by both delivery paths, and every error of
 * channel_create, channel_send and channel_receive.
 *
 * The parent spawns itself (mode "child") with one endpoint and drives a list of cases. For each
 * it sends the child a command; the child maps a fresh area for its receive buffer (so its pages
 * are faulted in by the copy), answers with an empty "ready" message and then either blocks in
 * channel_receive (DIRECT: the parent yields once, so the child is blocked when the message comes
 * and the sender copies straight into its buffer) or polls with timeout 0 (QUEUED: the message
 * waits in the kernel until the child takes it). The child checks the bytes against the pattern
 * the command names and reports the errors and sizes it saw.
 *
 *   sizes        0, 1, 4095, 4096, 4097, 3 pages + 123 and 65536 bytes, with the sender's buffer
 *                and the receiver's starting mid-page (different offsets), by both paths
 *   too small    a receive buffer one byte short, or no room for a handle: BUFFER_TOO_SMALL
 *                with both sizes needed written back; the message stays and is taken next
 *   straddle     a receive buffer that runs into an unmapped page: FAULT, the message stays and
 *                a second receive into a good buffer gets it whole
 *   sender fault a send from a buffer that runs into an unmapped page while the child waits:
 *                FAULT, and the child goes on waiting for the real message
 *   order        10 queued messages arrive in order
 *   local        in one process: SHOULD_WAIT on an empty queue with timeout 0 and on a full one
 *                (64 messages), TIMEOUT after 20 ms (measured with rdtsc), bad pointers (NULL,
 *                kernel addresses) FAULT on every pointer argument, wrong types, missing rights,
 *                closed handles, limits (OUT_OF_RANGE), flags (INVALID), an OUT that cannot take
 *                both handles (FAULT, nothing left open)
 * At the end the free frame count and the open handle count are back at their baselines. Mode
 * "paths" runs three of the cases for kernel/tests/channel_tests.c, which checks which way the
 * kernel delivered them (the one thing a program cannot see).
 */
#include "qtest.h"

#define PAGE        4096ull
#define RW          (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define KERNEL_PTR  0xffff800000001000ull
#define STRADDLE_AT 0x500000000000ull /* two pages here, nothing after them */
#define MAX_BYTES   QUIRE_CHANNEL_MAX_BYTES

enum mode { DIRECT = 1, QUEUED = 2 };
enum op { OP_CASE = 1, OP_END = 2 };

/* Parent -> child: what to receive next and how. */
struct cmd {
	uint32_t op, mode;
	uint64_t size, seed;
	uint64_t offset;   /* of the child's buffer within its page */
	uint64_t cap;      /* the byte capacity the child offers first */
	uint64_t handles;  /* the handle capacity it offers first */
	uint64_t straddle; /* its first buffer runs into an unmapped page */
	uint64_t bad_send; /* the parent tries a faulting send first */
};

/* Child -> parent: what it saw. */
struct reply {
	int64_t first_err, second_err;
	uint64_t first_len, first_handles;
	uint64_t len, handles;
	uint64_t pattern_ok;
};

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static uint8_t pattern(uint64_t i, uint64_t seed)
{
	return (uint8_t)(i * 131 + seed * 7 + (i >> 9) + 1);
}

static uint64_t handles_open(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si.handles;
}

static uint64_t tsc_hz(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si.tsc_hz;
}

static uint64_t rdtsc(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return __builtin_ia32_rdtsc();
}

/* A fresh read/write area of at least SIZE bytes; its handle in *H. */
static uint8_t *new_area(uint64_t size, quire_handle_t *h)
{
	uint64_t addr = 0;

	CHECK_EQ(quire_vma_create_map((size + PAGE - 1) / PAGE * PAGE, &addr, RW, h), 0);
	return (uint8_t *)(uintptr_t)addr;
}

static void drop_area(quire_handle_t h)
{
	CHECK_EQ(quire_vma_unmap(h, quire_self()), 0);
	CHECK_EQ(quire_handle_close(h), 0);
}

/* channel_receive(), shorter. */
static long receive(quire_handle_t ch, void *buf, size_t *len, quire_handle_t *hs, size_t *hc,
		    uint64_t timeout)
{
	return quire_channel_receive(ch, buf, len, hs, hc, timeout);
}

static void send_struct(quire_handle_t ch, const void *p, size_t n)
{
	CHECK_EQ(quire_channel_send(ch, p, n, NULL, 0), 0);
}

static void receive_struct(quire_handle_t ch, void *p, size_t n)
{
	size_t len = n, hc = 0;

	CHECK_EQ(receive(ch, p, &len, NULL, &hc, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(len, n);
	CHECK_EQ(hc, 0);
}

static int pattern_ok(const uint8_t *p, uint64_t size, uint64_t seed)
{
	for (uint64_t i = 0; i < size; i++)
		if (p[i] != pattern(i, seed))
			return 0;
	return 1;
}

/* The child's receive of one case, as the command says. */
static long child_receive(quire_handle_t ch, const struct cmd *c, uint8_t *buf, size_t *len,
			  size_t *hc)
{
	quire_handle_t hs[QUIRE_CHANNEL_MAX_HANDLES];

	if (c->mode == DIRECT)
		return receive(ch, buf, len, hs, hc, QUIRE_WAIT_FOREVER);
	for (;;) {
		size_t l = *len, h = *hc;
		long err = receive(ch, buf, &l, hs, &h, 0);
		if (err != -QUIRE_ERR_SHOULD_WAIT) {
			*len = l, *hc = h;
			return err;
		}
		quire_yield();
	}
}

static void child_case(quire_handle_t ch, const struct cmd *c)
{
	struct reply r = {0};
	quire_handle_t area, straddle = 0, area2;
	uint8_t *buf;

	if (c->straddle) {
		uint64_t at = STRADDLE_AT;
		CHECK_EQ(quire_vma_create_map(2 * PAGE, &at, RW | QUIRE_VMA_EXACT, &straddle), 0);
		buf = (uint8_t *)(uintptr_t)(at + 2 * PAGE - c->offset);
	} else {
		buf = new_area(c->offset + c->cap + 1, &area) + c->offset;
	}
	send_struct(ch, NULL, 0); /* ready */
	size_t len = c->cap, hc = c->handles;
	r.first_err = child_receive(ch, c, buf, &len, &hc);
	r.first_len = len, r.first_handles = hc;
	if (r.first_err == 0) {
		r.len = len, r.handles = hc;
		r.pattern_ok = pattern_ok(buf, len, c->seed);
	} else {
		/* The message stayed: take it now, into a good buffer (fresh, mid-page too). */
		uint8_t *good = new_area(MAX_BYTES + PAGE, &area2) + 77;
		len = MAX_BYTES, hc = QUIRE_CHANNEL_MAX_HANDLES;
		quire_handle_t hs[QUIRE_CHANNEL_MAX_HANDLES];
		r.second_err = receive(ch, good, &len, hs, &hc, 0);
		r.len = len, r.handles = hc;
		r.pattern_ok = r.second_err == 0 && pattern_ok(good, len, c->seed);
		drop_area(area2);
	}
	if (c->straddle)
		drop_area(straddle);
	else
		drop_area(area);
	send_struct(ch, &r, sizeof(r));
}

static int child(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	struct cmd c;

	CHECK(ch != QUIRE_HANDLE_INVALID);
	for (;;) {
		receive_struct(ch, &c, sizeof(c));
		if (c.op == OP_END)
			break;
		child_case(ch, &c);
	}
	CHECK_EQ(quire_handle_close(ch), 0);
	return 0;
}

/* The parent's side of one case; SEND_OFFSET is where its bytes start within a page. */
static struct reply run_case(quire_handle_t ch, const struct cmd *c, uint64_t send_offset)
{
	quire_handle_t area;
	uint8_t *buf = new_area(send_offset + c->size + 1, &area) + send_offset;
	struct reply r;
	size_t len = 0, hc = 0;

	for (uint64_t i = 0; i < c->size; i++)
		buf[i] = pattern(i, c->seed);
	send_struct(ch, c, sizeof(*c));
	CHECK_EQ(receive(ch, NULL, &len, NULL, &hc, QUIRE_WAIT_FOREVER), 0); /* ready */
	CHECK_EQ(len, 0);
	if (c->mode == DIRECT) {
		quire_yield(); /* the child gets a whole time slice to block in its receive */
		quire_yield();
	}
	if (c->bad_send) {
		/* The last page of a fresh two-page area, and the unmapped page after it. */
		uint64_t at = STRADDLE_AT;
		quire_handle_t s;
		CHECK_EQ(quire_vma_create_map(2 * PAGE, &at, RW | QUIRE_VMA_EXACT, &s), 0);
		CHECK_EQ(quire_channel_send(ch, (void *)(uintptr_t)(at + PAGE), 2 * PAGE, NULL, 0),
			 -QUIRE_ERR_FAULT);
		CHECK_EQ(quire_channel_send(ch, NULL, 1, NULL, 0), -QUIRE_ERR_FAULT);
		drop_area(s);
	}
	CHECK_EQ(quire_channel_send(ch, buf, c->size, NULL, 0), 0);
	receive_struct(ch, &r, sizeof(r));
	drop_area(area);
	return r;
}

/* A case that must arrive at the first receive. */
static void case_ok(quire_handle_t ch, enum mode mode, uint64_t size, uint64_t seed,
		    uint64_t send_offset, uint64_t recv_offset)
{
	struct cmd c = {.op = OP_CASE,
			.mode = mode,
			.size = size,
			.seed = seed,
			.offset = recv_offset,
			.cap = size + 5,
			.handles = 1};
	struct reply r = run_case(ch, &c, send_offset);

	CHECK_EQ(r.first_err, 0);
	CHECK_EQ(r.first_len, size);
	CHECK_EQ(r.first_handles, 0);
	CHECK(r.pattern_ok);
}

static void test_sizes(quire_handle_t ch)
{
	static const uint64_t sizes[] = {0, 1, 4095, 4096, 4097, 3 * PAGE + 123, MAX_BYTES};
	uint64_t seed = 1;

	for (unsigned m = DIRECT; m <= QUEUED; m++)
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++, seed++)
			case_ok(ch, (enum mode)m, sizes[i], seed, 1000 + 8 * i, 3000 - 16 * i);
}

static void test_too_small(quire_handle_t ch)
{
	for (unsigned m = DIRECT; m <= QUEUED; m++) {
		/* One byte short. */
		struct cmd c = {.op = OP_CASE,
				.mode = m,
				.size = 3 * PAGE + 123,
				.seed = 40 + m,
				.offset = 100,
				.cap = 3 * PAGE + 122,
				.handles = 0};
		struct reply r = run_case(ch, &c, 500);
		CHECK_EQ(r.first_err, -QUIRE_ERR_BUFFER_TOO_SMALL);
		CHECK_EQ(r.first_len, 3 * PAGE + 123);
		CHECK_EQ(r.first_handles, 0);
		CHECK_EQ(r.second_err, 0);
		CHECK_EQ(r.len, 3 * PAGE + 123);
		CHECK(r.pattern_ok);
	}
}

static void test_straddle(quire_handle_t ch)
{
	for (unsigned m = DIRECT; m <= QUEUED; m++) {
		/* The buffer starts 100 bytes before the unmapped page; 300 bytes come. */
		struct cmd c = {.op = OP_CASE,
				.mode = m,
				.size = 300,
				.seed = 50 + m,
				.offset = 100,
				.cap = 4000,
				.handles = 0,
				.straddle = 1};
		struct reply r = run_case(ch, &c, 4000);
		CHECK_EQ(r.first_err, -QUIRE_ERR_FAULT);
		CHECK_EQ(r.second_err, 0);
		CHECK_EQ(r.len, 300);
		CHECK(r.pattern_ok);
	}
}

static void test_sender_fault(quire_handle_t ch)
{
	struct cmd c = {.op = OP_CASE,
			.mode = DIRECT,
			.size = 2 * PAGE + 9,
			.seed = 60,
			.offset = 2000,
			.cap = 3 * PAGE,
			.handles = 0,
			.bad_send = 1};
	struct reply r = run_case(ch, &c, 3000);

	CHECK_EQ(r.first_err, 0);
	CHECK_EQ(r.first_len, 2 * PAGE + 9);
	CHECK(r.pattern_ok);
}

/* Queued messages keep their order, and the child takes them one by one. */
static void test_order(quire_handle_t a, quire_handle_t b)
{
	for (uint64_t i = 0; i < 10; i++)
		CHECK_EQ(quire_channel_send(a, &i, sizeof(i), NULL, 0), 0);
	for (uint64_t i = 0; i < 10; i++) {
		uint64_t v = ~0ull;
		size_t len = sizeof(v), hc = 0;
		CHECK_EQ(receive(b, &v, &len, NULL, &hc, 0), 0);
		CHECK_EQ(v, i);
	}
}

static void test_should_wait_and_timeout(quire_handle_t a, quire_handle_t b)
{
	uint8_t buf[16];
	size_t len = sizeof(buf), hc = 0;

	CHECK_EQ(receive(b, buf, &len, NULL, &hc, 0), -QUIRE_ERR_SHOULD_WAIT);
	for (unsigned i = 0; i < QUIRE_CHANNEL_MAX_MESSAGES; i++)
		CHECK_EQ(quire_channel_send(a, &i, sizeof(i), NULL, 0), 0);
	CHECK_EQ(quire_channel_send(a, buf, 1, NULL, 0), -QUIRE_ERR_SHOULD_WAIT);
	/* The other direction is a queue of its own. */
	CHECK_EQ(quire_channel_send(b, buf, 1, NULL, 0), 0);
	len = sizeof(buf);
	CHECK_EQ(receive(a, buf, &len, NULL, &hc, 0), 0);
	for (unsigned i = 0; i < QUIRE_CHANNEL_MAX_MESSAGES; i++) {
		unsigned v = ~0u;
		len = sizeof(v);
		CHECK_EQ(receive(b, &v, &len, NULL, &hc, 0), 0);
		CHECK_EQ(v, i);
	}

	uint64_t hz = tsc_hz(), ns = 20000000; /* 20 ms */
	CHECK(hz != 0);
	uint64_t start = rdtsc();
	len = sizeof(buf);
	CHECK_EQ(receive(b, buf, &len, NULL, &hc, ns), -QUIRE_ERR_TIMEOUT);
	uint64_t waited = rdtsc() - start;
	CHECK(waited >= ns / 1000 * (hz / 1000000));
	CHECK(waited < 20 * ns / 1000 * (hz / 1000000)); /* and not for ever */
}

static void test_bad_pointers(quire_handle_t a, quire_handle_t b)
{
	uint8_t buf[64];
	quire_handle_t hs[2];
	size_t len = sizeof(buf), hc = 2;
	const uint64_t k = KERNEL_PTR;

	CHECK_EQ(quire_channel_send(a, NULL, 1, NULL, 0), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_channel_send(a, (void *)k, 1, NULL, 0), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_channel_send(a, buf, 1, NULL, 1), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_channel_send(a, buf, 1, (quire_handle_t *)k, 1), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_channel_send(a, NULL, 0, NULL, 0), 0); /* nothing to read: fine */

	CHECK_EQ(receive(b, buf, NULL, hs, &hc, 0), -QUIRE_ERR_FAULT);
	CHECK_EQ(receive(b, buf, &len, hs, NULL, 0), -QUIRE_ERR_FAULT);
	CHECK_EQ(receive(b, buf, (size_t *)k, hs, &hc, 0), -QUIRE_ERR_FAULT);
	CHECK_EQ(receive(b, buf, &len, hs, (size_t *)k, 0), -QUIRE_ERR_FAULT);
	len = 0, hc = 0;
	CHECK_EQ(receive(b, NULL, &len, NULL, &hc, 0), 0); /* the empty message: no buffer needed */
	CHECK_EQ(len, 0);

	memset(buf, 0x5a, sizeof(buf));
	CHECK_EQ(quire_channel_send(a, buf, sizeof(buf), NULL, 0), 0);
	len = sizeof(buf), hc = 0;
	CHECK_EQ(receive(b, NULL, &len, NULL, &hc, 0), -QUIRE_ERR_FAULT);
	CHECK_EQ(receive(b, (void *)k, &len, NULL, &hc, 0), -QUIRE_ERR_FAULT);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(receive(b, buf, &len, NULL, &hc, 0), 0); /* still there */
	CHECK_EQ(len, sizeof(buf));
	CHECK_EQ(buf[0], 0x5a);
	CHECK_EQ(buf[63], 0x5a);

	/* channel_create's OUT: NULL, a kernel address, and a page that ends after OUT[0]. */
	uint64_t before = handles_open();
	CHECK_EQ(quire_channel_create(0, NULL), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_channel_create(0, (quire_handle_t *)k), -QUIRE_ERR_FAULT);
	uint64_t at = STRADDLE_AT;
	quire_handle_t s;
	CHECK_EQ(quire_vma_create_map(PAGE, &at, RW | QUIRE_VMA_EXACT, &s), 0);
	CHECK_EQ(quire_channel_create(0, (quire_handle_t *)(uintptr_t)(at + PAGE - 4)),
		 -QUIRE_ERR_FAULT);
	drop_area(s);
	CHECK_EQ(handles_open(), before);
}

static void test_handles_and_limits(quire_handle_t a, quire_handle_t b)
{
	uint8_t buf[8] = {0};
	size_t len = sizeof(buf), hc = 0;
	quire_handle_t area, ro, wo, dead, out[2];

	CHECK_EQ(quire_vma_create(PAGE, RW, &area), 0);
	CHECK_EQ(quire_channel_send(area, buf, 1, NULL, 0), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(receive(area, buf, &len, NULL, &hc, 0), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_channel_send(quire_self(), buf, 1, NULL, 0), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(receive(quire_self(), buf, &len, NULL, &hc, 0), -QUIRE_ERR_WRONG_TYPE);
	CHECK_EQ(quire_handle_close(area), 0);

	/* Rights: READ only cannot send, WRITE only cannot receive. */
	CHECK_EQ(quire_handle_clone(a, QUIRE_RIGHT_READ, &ro), 0);
	CHECK_EQ(quire_handle_clone(b, QUIRE_RIGHT_WRITE, &wo), 0);
	CHECK_EQ(quire_channel_send(ro, buf, 1, NULL, 0), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(receive(wo, buf, &len, NULL, &hc, 0), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_channel_send(wo, buf, 1, NULL, 0), 0); /* b's clone sends to a */
	CHECK_EQ(receive(ro, buf, &len, NULL, &hc, 0), 0);    /* a's clone receives it */
	CHECK_EQ(quire_handle_close(ro), 0);
	CHECK_EQ(quire_handle_close(wo), 0);

	/* Closed and never-valid handles. */
	CHECK_EQ(quire_channel_create(0, out), 0);
	dead = out[0];
	CHECK_EQ(quire_handle_close(out[0]), 0);
	CHECK_EQ(quire_handle_close(out[1]), 0);
	CHECK_EQ(quire_channel_send(dead, buf, 1, NULL, 0), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(receive(dead, buf, &len, NULL, &hc, 0), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_channel_send(0, buf, 1, NULL, 0), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(receive(0x7fff1234u, buf, &len, NULL, &hc, 0), -QUIRE_ERR_BAD_HANDLE);

	/* Limits and flags. */
	CHECK_EQ(quire_channel_send(a, buf, MAX_BYTES + 1, NULL, 0), -QUIRE_ERR_OUT_OF_RANGE);
	CHECK_EQ(quire_channel_send(a, buf, 1, NULL, QUIRE_CHANNEL_MAX_HANDLES + 1),
		 -QUIRE_ERR_OUT_OF_RANGE);
	CHECK_EQ(quire_channel_send(a, buf, ~(size_t)0, NULL, 0), -QUIRE_ERR_OUT_OF_RANGE);
	CHECK_EQ(quire_channel_create(1, out), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_channel_create(0x80000000u, out), -QUIRE_ERR_INVALID);
	len = sizeof(buf);
	CHECK_EQ(receive(b, buf, &len, NULL, &hc, 0), -QUIRE_ERR_SHOULD_WAIT); /* nothing sent */
}

/*
 * Mode "paths", for kernel/tests/channel_tests.c, which counts how the kernel delivered: one
 * direct and one queued message of 4097 bytes, and a direct one the receiver's buffer cannot
 * take (the kernel falls back to its queue).
 */
static void paths(quire_handle_t ch)
{
	case_ok(ch, DIRECT, 4097, 70, 100, 200);
	case_ok(ch, QUEUED, 4097, 71, 100, 200);
	struct cmd c = {.op = OP_CASE,
			.mode = DIRECT,
			.size = 300,
			.seed = 72,
			.offset = 100,
			.cap = 4000,
			.straddle = 1};
	struct reply r = run_case(ch, &c, 4000);
	CHECK_EQ(r.first_err, -QUIRE_ERR_FAULT);
	CHECK_EQ(r.second_err, 0);
	CHECK(r.pattern_ok);
}

int main(int argc, char **argv)
{
	int only_paths = argc > 1 && strcmp(argv[1], "paths") == 0;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();
	warm_stack();
	uint64_t frames = qtest_frames_free(), handles = handles_open(),
		 processes = qtest_processes();
	quire_handle_t ch[2], local[2];

	CHECK_EQ(quire_channel_create(0, ch), 0);
	CHECK_EQ(handles_open(), handles + 2);
	const char *args[] = {NULL, "child"};
	quire_handle_t kid = qtest_spawn_self(argv[0], args, 2, &ch[1], 1);

	if (only_paths) {
		paths(ch[0]);
	} else {
		test_sizes(ch[0]);
		test_too_small(ch[0]);
		test_straddle(ch[0]);
		test_sender_fault(ch[0]);
	}
	struct cmd end = {.op = OP_END};
	send_struct(ch[0], &end, sizeof(end));
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
	if (only_paths)
		return 0;

	CHECK_EQ(quire_channel_create(0, local), 0);
	test_order(local[0], local[1]);
	test_should_wait_and_timeout(local[0], local[1]);
	test_bad_pointers(local[0], local[1]);
	test_handles_and_limits(local[0], local[1]);
	CHECK_EQ(quire_handle_close(local[0]), 0);
	CHECK_EQ(quire_handle_close(local[1]), 0);

	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(handles_open(), handles);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("channel_messages: ok\n");
	return 0;
}
