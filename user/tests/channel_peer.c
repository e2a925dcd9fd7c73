/*
 * channel_peer: what happens to one end of a channel when the other goes away.
 *
 *   crash        a child (mode "crash") waits for "go", sends three messages and dereferences
 *                NULL; the parent, blocked in a receive meanwhile, reads the three messages
 *                queued before the close, then gets PEER_CLOSED, and sends get PEER_CLOSED
 *   exit         the same with a child (mode "exit") that returns from main while the parent is
 *                blocked in a receive with no deadline: it is woken with PEER_CLOSED
 *   blocked      a child (mode "blocked") whose main thread blocks in channel_receive while a
 *                second thread dereferences NULL: the process ends with FAULT_UNMAPPED, the
 *                blocked thread is woken and ends too, and the parent sees PEER_CLOSED
 *   unread       messages carrying areas (with frames) queued at a child's endpoint that the
 *                child never reads are freed with it: the frames come back
 *   local        closing one handle of a pair in the same process: sends PEER_CLOSED at once,
 *                a receive drains what was queued and then gets PEER_CLOSED, with timeout 0 too
 * At the end the free frame, handle and process counts are back at their baselines.
 */
#include "qtest.h"

#define PAGE 4096ull
#define RW   (QUIRE_VMA_READ | QUIRE_VMA_WRITE)

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static uint64_t handles_open(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0);
	return si.handles;
}

static long receive_u64(quire_handle_t ch, uint64_t *v, uint64_t timeout)
{
	size_t len = sizeof(*v), hc = 0;
	long err = quire_channel_receive(ch, v, &len, NULL, &hc, timeout);

	if (err == 0)
		CHECK_EQ(len, sizeof(*v));
	return err;
}

static void send_u64(quire_handle_t ch, uint64_t v)
{
	CHECK_EQ(quire_channel_send(ch, &v, sizeof(v), NULL, 0), 0);
}

static quire_handle_t passed_channel(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);

	CHECK(ch != QUIRE_HANDLE_INVALID);
	return ch;
}

/* Waits for "go", sends 1, 2, 3; then ends by a fault (CRASH) or by returning. */
static int child_talk_then_end(int crash)
{
	quire_handle_t ch = passed_channel();
	uint64_t v;

	CHECK_EQ(receive_u64(ch, &v, QUIRE_WAIT_FOREVER), 0);
	for (uint64_t i = 1; i <= 3; i++)
		send_u64(ch, i);
	quire_sleep(5000000); /* most likely the parent blocks in its receive meanwhile */
	if (crash)
		*(volatile uint64_t *)(uintptr_t)v = 1; /* v is 0: a null dereference */
	return 0;
}

static void crash_thread(uint64_t arg)
{
	(void)arg;
	quire_sleep(20000000); /* main is blocked in its receive by now */
	*(volatile uint64_t *)0 = 1;
	quire_thread_exit();
}

/* Main blocks in a receive for ever; a second thread kills the process. */
static int child_blocked(void)
{
	quire_handle_t ch = passed_channel(), stack, t;
	uint64_t at = 0, v;

	CHECK_EQ(quire_vma_create_map(16 * PAGE, &at, RW | QUIRE_VMA_GUARD, &stack), 0);
	CHECK_EQ(quire_thread_create(quire_self(), (uint64_t)(uintptr_t)crash_thread,
				     at + 16 * PAGE, 0, &t),
		 0);
	send_u64(ch, 42); /* started */
	receive_u64(ch, &v, QUIRE_WAIT_FOREVER);
	quire_log("blocked: receive returned", 25);
	return 3; /* never: the process is killed while the receive waits */
}

/*
 * Never reads its data channel (passed handle 0): what is queued there goes with it. Ends when
 * the parent says so on the control channel (passed handle 1).
 */
static int child_unread(void)
{
	quire_handle_t control = quire_startup_handle(QUIRE_STARTUP_PASSED, 1);
	uint64_t v;

	CHECK(control != QUIRE_HANDLE_INVALID);
	send_u64(control, 7); /* started */
	CHECK_EQ(receive_u64(control, &v, QUIRE_WAIT_FOREVER), 0);
	return 0;
}

static quire_handle_t spawn(const char *self, const char *mode, quire_handle_t *ch)
{
	const char *args[] = {NULL, mode};

	CHECK_EQ(quire_channel_create(0, ch), 0);
	return qtest_spawn_self(self, args, 2, &ch[1], 1);
}

static void test_talk_then_end(const char *self, int crash)
{
	quire_handle_t ch[2], kid = spawn(self, crash ? "crash" : "exit", ch);
	uint64_t v;

	send_u64(ch[0], 0); /* go */
	/* Read the first message at once; the others may come before or after the close. */
	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(v, 3);
	/* Blocked now until the child ends: woken by the close. */
	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(receive_u64(ch[0], &v, 0), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(quire_channel_send(ch[0], &v, sizeof(v), NULL, 0), -QUIRE_ERR_PEER_CLOSED);
	struct quire_exit_info info = qtest_wait(kid);
	if (crash) {
		CHECK_EQ(info.reason, QUIRE_EXIT_FAULT_UNMAPPED);
	} else {
		CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
		CHECK_EQ(info.status, 0);
	}
	CHECK_EQ(quire_handle_close(ch[0]), 0);
}

/* Messages queued before the child's end stay readable after it: all three, then the close. */
static void test_queued_before_close(const char *self)
{
	quire_handle_t ch[2], kid = spawn(self, "exit", ch);
	uint64_t v;

	send_u64(ch[0], 0);                            /* go */
	struct quire_exit_info info = qtest_wait(kid); /* it has sent 1, 2, 3 and ended */
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	for (uint64_t i = 1; i <= 3; i++) {
		CHECK_EQ(receive_u64(ch[0], &v, 0), 0);
		CHECK_EQ(v, i);
	}
	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
}

static void test_blocked(const char *self)
{
	quire_handle_t ch[2], kid = spawn(self, "blocked", ch);
	uint64_t v;

	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(v, 42);
	CHECK_EQ(receive_u64(ch[0], &v, QUIRE_WAIT_FOREVER), -QUIRE_ERR_PEER_CLOSED);
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_FAULT_UNMAPPED);
	CHECK_EQ(info.address, 0);
	CHECK_EQ(quire_channel_send(ch[0], &v, sizeof(v), NULL, 0), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
}

static void test_unread(const char *self)
{
	uint64_t frames = qtest_frames_free();
	quire_handle_t data[2], control[2], kid, pass[2];
	uint64_t v;

	CHECK_EQ(quire_channel_create(0, data), 0);
	CHECK_EQ(quire_channel_create(0, control), 0);
	pass[0] = data[1], pass[1] = control[1];
	const char *args[] = {NULL, "unread"};
	kid = qtest_spawn_self(self, args, 2, pass, 2);
	CHECK_EQ(receive_u64(control[0], &v, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(v, 7);
	for (int i = 0; i < 8; i++) {
		quire_handle_t area;
		uint64_t at = 0;
		CHECK_EQ(quire_vma_create_map(4 * PAGE, &at, RW, &area), 0);
		for (uint64_t p = 0; p < 4; p++)
			*(volatile uint64_t *)(uintptr_t)(at + p * PAGE) = p + 1; /* frames */
		CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
		char big[3000];
		memset(big, i, sizeof(big));
		CHECK_EQ(quire_channel_send(data[0], big, sizeof(big), &area, 1), 0);
	}
	CHECK(qtest_frames_free() < frames); /* the areas live in the queue */
	send_u64(control[0], 0);             /* end now */
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	CHECK_EQ(quire_channel_send(data[0], &v, sizeof(v), NULL, 0), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(quire_handle_close(data[0]), 0);
	CHECK_EQ(quire_handle_close(control[0]), 0);
	CHECK_EQ(qtest_frames_free(), frames);
}

static void test_local(void)
{
	quire_handle_t ch[2];
	uint64_t v;

	CHECK_EQ(quire_channel_create(0, ch), 0);
	send_u64(ch[0], 10);
	send_u64(ch[0], 11);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
	CHECK_EQ(quire_channel_send(ch[1], &v, sizeof(v), NULL, 0), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(receive_u64(ch[1], &v, 0), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(receive_u64(ch[1], &v, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(v, 11);
	CHECK_EQ(receive_u64(ch[1], &v, 0), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(receive_u64(ch[1], &v, 1000000), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(receive_u64(ch[1], &v, QUIRE_WAIT_FOREVER), -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(quire_handle_close(ch[1]), 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "crash") == 0)
		return child_talk_then_end(1);
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return child_talk_then_end(0);
	if (argc > 1 && strcmp(argv[1], "blocked") == 0)
		return child_blocked();
	if (argc > 1 && strcmp(argv[1], "unread") == 0)
		return child_unread();
	warm_stack();
	uint64_t frames = qtest_frames_free(), handles = handles_open(),
		 processes = qtest_processes();

	test_talk_then_end(argv[0], 1);
	test_talk_then_end(argv[0], 0);
	test_queued_before_close(argv[0]);
	test_blocked(argv[0]);
	test_unread(argv[0]);
	test_local();

	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(handles_open(), handles);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("channel_peer: ok\n");
	return 0;
}
