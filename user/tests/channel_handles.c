/*
 * channel_handles: handles sent over a channel leave the sender and arrive with exactly their
 * rights; an area passed this way is shared memory.
 *
 *   rights       a clone of an area handle with READ|MAP|TRANSFER (no WRITE, no DUPLICATE) is
 *                sent and received in one process: the received handle maps READ but not
 *                READ|WRITE, cannot be cloned, can be sent on; the sender's handle is BAD_HANDLE
 *                after the send; a full-rights handle arrives with all of them (it resizes)
 *   refused      a handle without TRANSFER: ACCESS_DENIED; the channel handle itself, a clone of
 *                it, or a handle listed twice: INVALID; a bad handle in the list: BAD_HANDLE;
 *                on every refusal nothing moved (the good handles in the list stay the sender's)
 *   too small    a receive with room for fewer handles than came: BUFFER_TOO_SMALL with the
 *                count needed, nothing installed; then taken whole
 *   full table   a receive into a handle table with room for one of the two handles that came:
 *                NO_MEMORY, nothing installed, the message stays and is taken once there is
 *                room; queued, and direct (a child sends while this process waits)
 *   server       a client/server pair (a child of this program, mode "server"): the client sends
 *                a request carrying an area it filled; the server maps it, checks it, fills its
 *                second half and sends back an area of its own with the sum of the client's
 *                words; the client sees the server's writes in its own area and maps the
 *                server's. Three rounds, then the server exits.
 * After each part the free frame, handle and process counts are back at their baselines (but for
 * the frames after "full table": a handle table keeps the memory it grew to until its process
 * ends).
 */
#include "qtest.h"

#define PAGE  4096ull
#define RW    (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define WORDS (PAGE / 8)

static const quire_rights_t ro_rights = QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_TRANSFER;

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

/* Receives one message with exactly N handles (into HS) and LEN bytes (into BUF). */
static void receive_exact(quire_handle_t ch, void *buf, size_t len, quire_handle_t *hs, size_t n)
{
	size_t l = len, hc = n;

	CHECK_EQ(quire_channel_receive(ch, buf, &l, hs, &hc, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(l, len);
	CHECK_EQ(hc, n);
}

static uint64_t map(quire_handle_t area, uint32_t flags)
{
	uint64_t addr = 0;

	CHECK_EQ(quire_vma_map(area, quire_self(), &addr, flags), 0);
	return addr;
}

static void test_rights(quire_handle_t a, quire_handle_t b)
{
	quire_handle_t area, ro, got = 0, again = 0, spare;
	uint64_t addr = 0, size = 2 * PAGE;

	CHECK_EQ(quire_vma_create_map(PAGE, &addr, RW, &area), 0);
	*(volatile uint64_t *)(uintptr_t)addr = 0xfeedull;
	CHECK_EQ(quire_handle_clone(area, ro_rights, &ro), 0);
	CHECK_EQ(quire_channel_send(a, "r", 1, &ro, 1), 0);
	CHECK_EQ(quire_handle_close(ro), -QUIRE_ERR_BAD_HANDLE); /* it left */
	char c;
	receive_exact(b, &c, 1, &got, 1);
	CHECK(got != QUIRE_HANDLE_INVALID);

	/* Exactly READ, MAP and TRANSFER. */
	addr = 0;
	CHECK_EQ(quire_vma_map(got, quire_self(), &addr, RW), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_vma_resize(got, &size), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_clone(got, QUIRE_RIGHT_READ, &spare), -QUIRE_ERR_ACCESS_DENIED);
	/* Mapped READ (the area is mapped here already through AREA: EXISTS proves MAP passed). */
	CHECK_EQ(quire_vma_map(got, quire_self(), &addr, QUIRE_VMA_READ), -QUIRE_ERR_EXISTS);
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	addr = map(got, QUIRE_VMA_READ);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)addr, 0xfeedull);
	CHECK_EQ(quire_vma_unmap(got, quire_self()), 0);

	/* TRANSFER came along: it can go on. */
	CHECK_EQ(quire_channel_send(b, NULL, 0, &got, 1), 0);
	receive_exact(a, NULL, 0, &again, 1);
	CHECK_EQ(quire_vma_map(again, quire_self(), &addr, RW), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_close(again), 0);

	/* All rights: a full handle arrives full (it resizes, clones, maps RW). */
	CHECK_EQ(quire_channel_send(a, NULL, 0, &area, 1), 0);
	receive_exact(b, NULL, 0, &got, 1);
	CHECK_EQ(quire_vma_resize(got, &size), 0);
	CHECK_EQ(quire_handle_clone(got, QUIRE_RIGHT_READ, &spare), 0);
	CHECK_EQ(quire_handle_close(spare), 0);
	addr = map(got, RW);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)addr, 0xfeedull);
	CHECK_EQ(quire_vma_unmap(got, quire_self()), 0);
	CHECK_EQ(quire_handle_close(got), 0);
}

static void test_refused(quire_handle_t a, quire_handle_t b)
{
	quire_handle_t area, no_transfer, a_clone, list[3], bad;
	uint64_t before;
	size_t len = 0, hc = 0;

	CHECK_EQ(quire_vma_create(PAGE, RW, &area), 0);
	CHECK_EQ(quire_handle_clone(area, QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP, &no_transfer), 0);
	CHECK_EQ(quire_handle_clone(a, QUIRE_CHANNEL_RIGHTS, &a_clone), 0);
	CHECK_EQ(quire_handle_clone(area, QUIRE_RIGHT_READ, &bad), 0);
	CHECK_EQ(quire_handle_close(bad), 0);
	before = handles_open();

	CHECK_EQ(quire_channel_send(a, NULL, 0, &no_transfer, 1), -QUIRE_ERR_ACCESS_DENIED);
	list[0] = area, list[1] = no_transfer;
	CHECK_EQ(quire_channel_send(a, NULL, 0, list, 2), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_channel_send(a, NULL, 0, &a, 1), -QUIRE_ERR_INVALID);
	CHECK_EQ(quire_channel_send(a, NULL, 0, &a_clone, 1), -QUIRE_ERR_INVALID);
	list[0] = area, list[1] = area;
	CHECK_EQ(quire_channel_send(a, NULL, 0, list, 2), -QUIRE_ERR_INVALID);
	list[0] = area, list[1] = bad;
	CHECK_EQ(quire_channel_send(a, NULL, 0, list, 2), -QUIRE_ERR_BAD_HANDLE);
	list[0] = area, list[1] = quire_self(); /* the self handle has no TRANSFER */
	CHECK_EQ(quire_channel_send(a, NULL, 0, list, 2), -QUIRE_ERR_ACCESS_DENIED);
	list[0] = bad, list[1] = area, list[2] = area;
	CHECK_EQ(quire_channel_send(a, NULL, 0, list, 3), -QUIRE_ERR_BAD_HANDLE); /* in order */

	/* Nothing moved: every handle is still here and nothing was queued. */
	CHECK_EQ(handles_open(), before);
	CHECK_EQ(quire_channel_receive(b, NULL, &len, NULL, &hc, 0), -QUIRE_ERR_SHOULD_WAIT);
	CHECK_EQ(quire_handle_close(no_transfer), 0);
	CHECK_EQ(quire_handle_close(a_clone), 0);

	/* Room for fewer handles than came: the count needed, nothing installed, then whole. */
	quire_handle_t two[2];
	CHECK_EQ(quire_handle_clone(area, QUIRE_RIGHT_READ | QUIRE_RIGHT_TRANSFER, &two[0]), 0);
	two[1] = area;
	CHECK_EQ(quire_channel_send(a, "xy", 2, two, 2), 0);
	before = handles_open();
	quire_handle_t got[2] = {0, 0};
	char buf[4];
	len = sizeof(buf), hc = 1;
	CHECK_EQ(quire_channel_receive(b, buf, &len, got, &hc, 0), -QUIRE_ERR_BUFFER_TOO_SMALL);
	CHECK_EQ(len, 2);
	CHECK_EQ(hc, 2);
	CHECK_EQ(got[0], 0);
	CHECK_EQ(handles_open(), before);
	len = sizeof(buf), hc = 2;
	CHECK_EQ(quire_channel_receive(b, buf, &len, got, &hc, 0), 0);
	CHECK_EQ(handles_open(), before + 2);
	CHECK(got[0] != 0 && got[1] != 0 && got[0] != got[1]);
	CHECK_EQ(quire_handle_clone(got[0], QUIRE_RIGHT_READ, &bad), -QUIRE_ERR_ACCESS_DENIED);
	CHECK_EQ(quire_handle_clone(got[1], QUIRE_RIGHT_READ, &bad), 0);
	CHECK_EQ(quire_handle_close(bad), 0);
	CHECK_EQ(quire_handle_close(got[0]), 0);
	CHECK_EQ(quire_handle_close(got[1]), 0);
}

static quire_handle_t filler[32768];

/* Fills this process's handle table with clones of AREA, then closes FREE of them again. */
static size_t fill_table(quire_handle_t area, size_t free)
{
	size_t n = 0;

	for (;;) {
		CHECK(n < sizeof(filler) / sizeof(filler[0]));
		long err = quire_handle_clone(area, QUIRE_RIGHT_READ, &filler[n]);
		if (err == -QUIRE_ERR_NO_MEMORY)
			break;
		CHECK_EQ(err, 0);
		n++;
	}
	while (free-- > 0)
		CHECK_EQ(quire_handle_close(filler[--n]), 0);
	return n;
}

static void unfill(size_t n)
{
	while (n > 0)
		CHECK_EQ(quire_handle_close(filler[--n]), 0);
}

/* Takes a message of 1 byte and 2 handles into a table with room for 1: NO_MEMORY, it stays. */
static void receive_into_full_table(quire_handle_t ch, size_t *filled, uint64_t timeout)
{
	quire_handle_t got[2] = {0, 0};
	char c;
	size_t len = 1, hc = 2;
	uint64_t before = handles_open();

	CHECK_EQ(quire_channel_receive(ch, &c, &len, got, &hc, timeout), -QUIRE_ERR_NO_MEMORY);
	CHECK_EQ(handles_open(), before); /* none of the two installed */
	CHECK_EQ(got[0], 0);
	CHECK_EQ(quire_handle_close(filler[--*filled]), 0); /* room for both now */
	len = 1, hc = 2;
	CHECK_EQ(quire_channel_receive(ch, &c, &len, got, &hc, 0), 0);
	CHECK_EQ(hc, 2);
	CHECK_EQ(c, 'm');
	CHECK_EQ(quire_handle_close(got[0]), 0);
	CHECK_EQ(quire_handle_close(got[1]), 0);
}

/* Mode "sender": waits for "go", then sends 'm' with two area handles; ends at PEER_CLOSED. */
static int sender(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0), two[2];
	char c;
	size_t len = 1, hc = 0;

	CHECK(ch != QUIRE_HANDLE_INVALID);
	CHECK_EQ(quire_channel_receive(ch, &c, &len, NULL, &hc, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(quire_vma_create(PAGE, RW, &two[0]), 0);
	CHECK_EQ(quire_vma_create(PAGE, RW, &two[1]), 0);
	CHECK_EQ(quire_channel_send(ch, "m", 1, two, 2), 0);
	len = 1;
	CHECK_EQ(quire_channel_receive(ch, &c, &len, NULL, &hc, QUIRE_WAIT_FOREVER),
		 -QUIRE_ERR_PEER_CLOSED);
	CHECK_EQ(quire_handle_close(ch), 0);
	return 0;
}

/*
 * A receiver whose handle table has room for one handle gets a message with two: NO_MEMORY and
 * nothing installed, the message stays. Queued (sent in this process before the table filled)
 * and direct (a child sends while this process waits with its table full).
 */
static void test_full_table(const char *self_path)
{
	quire_handle_t area, two[2], ch[2];
	size_t n;

	CHECK_EQ(quire_vma_create(PAGE, RW, &area), 0);
	CHECK_EQ(quire_channel_create(0, ch), 0);
	CHECK_EQ(quire_handle_clone(area, ro_rights, &two[0]), 0);
	CHECK_EQ(quire_handle_clone(area, ro_rights, &two[1]), 0);
	CHECK_EQ(quire_channel_send(ch[0], "m", 1, two, 2), 0);
	n = fill_table(area, 1);
	receive_into_full_table(ch[1], &n, 0);
	unfill(n);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
	CHECK_EQ(quire_handle_close(ch[1]), 0);

	CHECK_EQ(quire_channel_create(0, ch), 0);
	const char *args[] = {NULL, "sender"};
	quire_handle_t kid = qtest_spawn_self(self_path, args, 2, &ch[1], 1);
	n = fill_table(area, 1);
	CHECK_EQ(quire_channel_send(ch[0], "g", 1, NULL, 0), 0);
	receive_into_full_table(ch[0], &n, QUIRE_WAIT_FOREVER);
	unfill(n);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	CHECK_EQ(quire_handle_close(area), 0);
}

/* What the client asks: the sum of the words of the area it sends, and round ROUND. */
struct request {
	uint64_t round, words;
};
struct answer {
	uint64_t round, sum;
};

static int server(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);

	CHECK(ch != QUIRE_HANDLE_INVALID);
	for (;;) {
		struct request req;
		quire_handle_t area = 0, mine;
		size_t len = sizeof(req), hc = 1;
		long err = quire_channel_receive(ch, &req, &len, &area, &hc, QUIRE_WAIT_FOREVER);
		if (err == -QUIRE_ERR_PEER_CLOSED)
			break;
		CHECK_EQ(err, 0);
		CHECK_EQ(len, sizeof(req));
		CHECK_EQ(hc, 1);
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)map(area, RW);
		struct answer ans = {.round = req.round, .sum = 0};
		for (uint64_t i = 0; i < req.words; i++)
			ans.sum += p[i];
		for (uint64_t i = req.words; i < 2 * req.words; i++)
			p[i] = ans.sum + i; /* the client sees these in its own mapping */
		CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
		CHECK_EQ(quire_handle_close(area), 0);

		/* An area of the server's own, carrying the answer too. */
		uint64_t at = 0;
		CHECK_EQ(quire_vma_create_map(PAGE, &at, RW, &mine), 0);
		*(volatile uint64_t *)(uintptr_t)at = ans.sum ^ 0x5555;
		CHECK_EQ(quire_vma_unmap(mine, quire_self()), 0);
		CHECK_EQ(quire_channel_send(ch, &ans, sizeof(ans), &mine, 1), 0);
	}
	CHECK_EQ(quire_handle_close(ch), 0);
	return 0;
}

static void test_server(const char *self_path)
{
	quire_handle_t ch[2];

	CHECK_EQ(quire_channel_create(0, ch), 0);
	const char *args[] = {NULL, "server"};
	quire_handle_t kid = qtest_spawn_self(self_path, args, 2, &ch[1], 1);

	for (uint64_t round = 1; round <= 3; round++) {
		quire_handle_t area, pass, back = 0;
		uint64_t addr = 0, words = WORDS * round, sum = 0;
		CHECK_EQ(quire_vma_create_map(2 * words * 8, &addr, RW, &area), 0);
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
		for (uint64_t i = 0; i < words; i++)
			sum += p[i] = round * 1000003 + i * i;
		CHECK_EQ(quire_handle_clone(area, ro_rights | QUIRE_RIGHT_WRITE, &pass), 0);
		struct request req = {.round = round, .words = words};
		CHECK_EQ(quire_channel_send(ch[0], &req, sizeof(req), &pass, 1), 0);

		struct answer ans;
		receive_exact(ch[0], &ans, sizeof(ans), &back, 1);
		CHECK_EQ(ans.round, round);
		CHECK_EQ(ans.sum, sum);
		for (uint64_t i = words; i < 2 * words; i++)
			CHECK_EQ(p[i], sum + i);
		volatile uint64_t *q = (volatile uint64_t *)(uintptr_t)map(back, QUIRE_VMA_READ);
		CHECK_EQ(q[0], sum ^ 0x5555);
		CHECK_EQ(quire_vma_unmap(back, quire_self()), 0);
		CHECK_EQ(quire_handle_close(back), 0);
		CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
		CHECK_EQ(quire_handle_close(area), 0);
	}
	CHECK_EQ(quire_handle_close(ch[0]), 0); /* the server sees PEER_CLOSED and exits */
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "server") == 0)
		return server();
	if (argc > 1 && strcmp(argv[1], "sender") == 0)
		return sender();
	warm_stack();
	uint64_t frames = qtest_frames_free(), handles = handles_open(),
		 processes = qtest_processes();
	quire_handle_t ch[2];

	CHECK_EQ(quire_channel_create(0, ch), 0);
	test_rights(ch[0], ch[1]);
	test_refused(ch[0], ch[1]);
	CHECK_EQ(quire_handle_close(ch[0]), 0);
	CHECK_EQ(quire_handle_close(ch[1]), 0);
	test_server(argv[0]);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(handles_open(), handles);
	CHECK_EQ(qtest_frames_free(), frames);

	/* Last: it leaves this table grown to its limit (tables never shrink) until the end. */
	test_full_table(argv[0]);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(handles_open(), handles);
	printf("channel_handles: ok\n");
	return 0;
}
