/*
 * channel_stress: 100,000 messages between two processes leak nothing.
 *
 * A child (mode "echo") sends back every message it gets, bytes and handles, until its peer is
 * closed. The parent runs
 *   ping-pong  25,000 round trips: one message out, its echo back (the receiver is usually
 *              blocked already: the direct path);
 *   bursts     25,000 messages in bursts of 1 to 64 sent back to back (queued at the child) and
 *              their echoes read afterwards (queued at the parent);
 * 100,000 messages in all. Sizes vary from 0 to 300 bytes with a 20,000-byte one every 1,000;
 * every 50th message carries one to three handles (clones of an area, and now and then an endpoint
 * of a fresh channel), which travel there and back and are closed. Every echo is checked (its
 * sequence number, its bytes, its handle count and that a returned area handle still maps the
 * area). At the end the free frame, open handle and process counts are back at their baselines.
 */
#include "qtest.h"

#define PAGE        4096ull
#define RW          (QUIRE_VMA_READ | QUIRE_VMA_WRITE)
#define PING_PONGS  25000u
#define BURSTED     25000u
#define BIG         20000u
#define MAX_HANDLES QUIRE_CHANNEL_MAX_HANDLES

static uint8_t out_buf[BIG + 64], in_buf[BIG + 64];

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

static int echo(void)
{
	quire_handle_t ch = quire_startup_handle(QUIRE_STARTUP_PASSED, 0);
	quire_handle_t hs[MAX_HANDLES];

	CHECK(ch != QUIRE_HANDLE_INVALID);
	for (;;) {
		size_t len = sizeof(in_buf), hc = MAX_HANDLES;
		long err = quire_channel_receive(ch, in_buf, &len, hs, &hc, QUIRE_WAIT_FOREVER);
		if (err == -QUIRE_ERR_PEER_CLOSED)
			break;
		CHECK_EQ(err, 0);
		CHECK_EQ(quire_channel_send(ch, in_buf, len, hs, hc), 0);
	}
	CHECK_EQ(quire_handle_close(ch), 0);
	return 0;
}

static size_t msg_size(uint64_t seq)
{
	return seq % 1000 == 999 ? BIG : (size_t)(seq * 37 % 301);
}

static uint8_t pattern(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 13 + i * 7 + 3);
}

/* What message SEQ carries: its handles. */
struct outgoing {
	size_t len, hc;
	quire_handle_t hs[3];
	quire_handle_t keep[3]; /* the other endpoints of fresh channels, closed on the echo */
};

static void make_message(uint64_t seq, quire_handle_t area, struct outgoing *o)
{
	o->len = msg_size(seq);
	o->hc = seq % 50 == 0 ? 1 + seq / 50 % 3 : 0;
	for (size_t i = 0; i < o->len; i++)
		out_buf[i] = pattern(seq, i);
	if (o->len >= sizeof(seq))
		memcpy(out_buf, &seq, sizeof(seq));
	for (size_t i = 0; i < o->hc; i++) {
		o->keep[i] = QUIRE_HANDLE_INVALID;
		if (seq % 350 == 0 && i == 0) {
			quire_handle_t pair[2];
			CHECK_EQ(quire_channel_create(0, pair), 0);
			o->hs[i] = pair[0];
			o->keep[i] = pair[1];
		} else {
			CHECK_EQ(quire_handle_clone(area,
						    QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP |
							QUIRE_RIGHT_TRANSFER,
						    &o->hs[i]),
				 0);
		}
	}
}

static void send_message(quire_handle_t ch, const struct outgoing *o)
{
	CHECK_EQ(quire_channel_send(ch, out_buf, o->len, o->hs, o->hc), 0);
}

/* Receives the echo of SEQ and checks it; closes what came back. */
static void check_echo(quire_handle_t ch, uint64_t seq, const struct outgoing *o, uint64_t area_at)
{
	quire_handle_t hs[MAX_HANDLES];
	size_t len = sizeof(in_buf), hc = MAX_HANDLES;

	CHECK_EQ(quire_channel_receive(ch, in_buf, &len, hs, &hc, QUIRE_WAIT_FOREVER), 0);
	CHECK_EQ(len, o->len);
	CHECK_EQ(hc, o->hc);
	if (len >= sizeof(seq)) {
		uint64_t got;
		memcpy(&got, in_buf, sizeof(got));
		CHECK_EQ(got, seq);
	}
	for (size_t i = sizeof(seq); i < len; i++)
		if (in_buf[i] != pattern(seq, i))
			CHECK_EQ(in_buf[i], pattern(seq, i));
	for (size_t i = 0; i < hc; i++) {
		if (o->keep[i] != QUIRE_HANDLE_INVALID) {
			/* The endpoint came back: it still talks to the one kept here. */
			CHECK_EQ(quire_channel_send(hs[i], NULL, 0, NULL, 0), 0);
			size_t l = 0, h = 0;
			CHECK_EQ(quire_channel_receive(o->keep[i], NULL, &l, NULL, &h, 0), 0);
			CHECK_EQ(quire_handle_close(o->keep[i]), 0);
		} else if (seq % 500 == 0) {
			/* The area came back: mapping it shows the same memory. */
			uint64_t at = 0;
			CHECK_EQ(quire_vma_map(hs[i], quire_self(), &at, QUIRE_VMA_READ),
				 -QUIRE_ERR_EXISTS); /* it is the area mapped at AREA_AT */
			CHECK_EQ(*(volatile uint64_t *)(uintptr_t)area_at, 0xa5a5a5a5ull);
		}
		CHECK_EQ(quire_handle_close(hs[i]), 0);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "echo") == 0)
		return echo();
	warm_stack();
	memset(out_buf, 0, sizeof(out_buf));
	memset(in_buf, 0, sizeof(in_buf));
	uint64_t frames = qtest_frames_free(), handles = handles_open(),
		 processes = qtest_processes();
	quire_handle_t ch[2], area;
	uint64_t area_at = 0, seq = 0;

	CHECK_EQ(quire_vma_create_map(PAGE, &area_at, RW, &area), 0);
	*(volatile uint64_t *)(uintptr_t)area_at = 0xa5a5a5a5ull;
	CHECK_EQ(quire_channel_create(0, ch), 0);
	const char *args[] = {NULL, "echo"};
	quire_handle_t kid = qtest_spawn_self(argv[0], args, 2, &ch[1], 1);

	for (unsigned i = 0; i < PING_PONGS; i++, seq++) {
		struct outgoing o;
		make_message(seq, area, &o);
		send_message(ch[0], &o);
		check_echo(ch[0], seq, &o, area_at);
	}
	static struct outgoing burst[QUIRE_CHANNEL_MAX_MESSAGES];
	for (unsigned sent = 0, k = 1; sent < BURSTED; k = k % QUIRE_CHANNEL_MAX_MESSAGES + 1) {
		unsigned n = BURSTED - sent < k ? BURSTED - sent : k;
		for (unsigned j = 0; j < n; j++) {
			make_message(seq + j, area, &burst[j]);
			send_message(ch[0], &burst[j]);
		}
		for (unsigned j = 0; j < n; j++)
			check_echo(ch[0], seq + j, &burst[j], area_at);
		seq += n, sent += n;
	}
	printf("channel_stress: %llu messages each way\n", (unsigned long long)seq);

	CHECK_EQ(quire_handle_close(ch[0]), 0); /* the echo child sees PEER_CLOSED */
	struct quire_exit_info info = qtest_wait(kid);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	CHECK_EQ(quire_handle_close(area), 0);

	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(handles_open(), handles);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("channel_stress: ok: %u ping-pongs, %u burst messages, no leak\n", PING_PONGS,
	       BURSTED);
	return 0;
}
