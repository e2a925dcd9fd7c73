/*
 * Built-in tests of channels (kernel/objects/channel.h): what user programs cannot see.
 *
 *   release      an endpoint released with messages queued at it that hold areas (with frames)
 *                and the endpoints of another channel frees all of it, and its peer sees the
 *                close (PEER_CLOSED on send); the area's frames come back
 *   chain        3,000 channels, each queue holding both endpoints of the one before, released
 *                from the last: the releases run one after another, not nested (a nested chain
 *                this long would overflow the 16 KiB kernel stack), and every endpoint goes
 *   limits       QUIRE_CHANNEL_MAX_MESSAGES queued, then SHOULD_WAIT
 *   no memory    every allocation of channel_create() and of a queued send failing in turn:
 *                NO_MEMORY, nothing queued, nothing leaked
 *   paths        /test/channel_messages in mode "paths" runs a direct case, a queued case and
 *                a direct case whose receive buffer faults: the counters show one delivery of
 *                each kind (the direct one, a queued one, a failed direct attempt)
 * The messages sent from here carry handles and no bytes: the boot thread has no user space to
 * copy bytes from (the user tests cover bytes).
 */
#include "kernel/ktest.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/channel.h"
#include "kernel/process.h"

#define AREA_PAGES  4u
#define CHAIN       3000u
#define AREA_RIGHTS (QUIRE_RIGHT_READ | QUIRE_RIGHT_MAP | QUIRE_RIGHT_TRANSFER)

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* An open area with every page resident and no mapping: only references keep it. */
static struct vm_area *area_with_frames(struct ktest_ctx *ktest_ctx)
{
	struct vm_space *s;
	struct vm_area *a;
	vaddr_t base;

	if (!kexpect(vm_space_create(&s) == KERR_OK))
		return NULL;
	if (!kexpect(vm_area_create_open(AREA_PAGES, VM_PROT_READ | VM_PROT_WRITE, &a) ==
		     KERR_OK)) {
		vm_space_destroy(s);
		return NULL;
	}
	kexpect(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, AREA_PAGES, VM_PROT_READ | VM_PROT_WRITE,
			     &base) == KERR_OK);
	for (unsigned i = 0; i < AREA_PAGES; i++)
		kexpect_eq(vm_space_allocate(s, base + i * PAGE_SIZE, VM_PROT_WRITE), VM_FAULT_OK);
	kexpect(vm_space_unmap(s, base) == KERR_OK);
	vm_space_destroy(s);
	kexpect_eq(vm_area_resident(a), AREA_PAGES);
	return a;
}

/* Sends a message of no bytes carrying the N transfers TS from EP (no user space needed). */
static kerr_t send_handles(struct channel_endpoint *ep, struct channel_transfer *ts, size_t n)
{
	struct channel_send_args args = {.handles = ts, .handle_count = n};

	return channel_send(ep, &args);
}

KTEST(channel_release_frees_queued_messages)
{
	uint64_t before = free_frames(), live = channel_live_count();
	struct channel_endpoint *a, *b, *c, *d;
	struct channel_transfer t[2];
	struct vm_area *area = area_with_frames(ktest_ctx);

	if (area == NULL || !kexpect(channel_create(&a, &b) == KERR_OK))
		return;
	kexpect(channel_create(&c, &d) == KERR_OK);
	kexpect_eq(channel_live_count(), live + 4);
	for (int i = 0; i < 3; i++) {
		kobject_get(&area->obj); /* the message's reference */
		t[0] = (struct channel_transfer){&area->obj, AREA_RIGHTS};
		kexpect_eq(send_handles(a, t, 1), KERR_OK);
	}
	t[0] = (struct channel_transfer){channel_kobject(c), QUIRE_CHANNEL_RIGHTS};
	t[1] = (struct channel_transfer){channel_kobject(d), QUIRE_CHANNEL_RIGHTS};
	kexpect_eq(send_handles(a, t, 2), KERR_OK); /* our references to C and D go with it */
	kexpect_eq(channel_queued(b), 4);
	kexpect_eq(channel_queued(a), 0);
	kexpect_eq(kobject_refcount(&area->obj), 4);
	vm_area_put(area); /* the queue alone holds the area now */
	kexpect(free_frames() < before);

	kobject_put(channel_kobject(a)); /* A goes: B's peer is closed, B's queue stays */
	kexpect(channel_peer_closed(b));
	kexpect_eq(channel_queued(b), 4);
	kexpect_eq(send_handles(b, NULL, 0), KERR_PEER_CLOSED);
	kexpect_eq(channel_live_count(), live + 3);
	kobject_put(channel_kobject(b)); /* B goes with its queue: the area, C and D */
	kexpect_eq(channel_live_count(), live);
	kexpect_eq(free_frames(), before);
}

KTEST(channel_release_of_a_long_chain_does_not_nest)
{
	uint64_t live = channel_live_count(), before = free_frames();
	struct channel_endpoint *a = NULL, *b = NULL, *prev_a, *prev_b;
	struct channel_transfer t[2];

	for (unsigned i = 0; i < CHAIN; i++) {
		prev_a = a, prev_b = b;
		if (!kexpect(channel_create(&a, &b) == KERR_OK))
			return;
		if (prev_a == NULL)
			continue;
		t[0] = (struct channel_transfer){channel_kobject(prev_a), QUIRE_CHANNEL_RIGHTS};
		t[1] = (struct channel_transfer){channel_kobject(prev_b), QUIRE_CHANNEL_RIGHTS};
		kexpect_eq(send_handles(a, t, 2), KERR_OK); /* queued at B: the chain goes on */
	}
	kexpect_eq(channel_live_count(), live + 2 * CHAIN);
	kobject_put(channel_kobject(a));
	kexpect_eq(channel_live_count(), live + 2 * CHAIN - 1);
	kobject_put(channel_kobject(b)); /* the whole chain, one release after another */
	kexpect_eq(channel_live_count(), live);
	kexpect_eq(free_frames(), before);
}

KTEST(channel_queue_limit)
{
	struct channel_endpoint *a, *b;
	uint64_t live = channel_live_count();

	if (!kexpect(channel_create(&a, &b) == KERR_OK))
		return;
	for (unsigned i = 0; i < QUIRE_CHANNEL_MAX_MESSAGES; i++)
		kexpect_eq(send_handles(a, NULL, 0), KERR_OK);
	kexpect_eq(send_handles(a, NULL, 0), KERR_SHOULD_WAIT);
	kexpect_eq(channel_queued(b), QUIRE_CHANNEL_MAX_MESSAGES);
	kexpect_eq(send_handles(b, NULL, 0), KERR_OK); /* the other direction has room */
	kobject_put(channel_kobject(b));
	kexpect_eq(send_handles(a, NULL, 0), KERR_PEER_CLOSED);
	kobject_put(channel_kobject(a));
	kexpect_eq(channel_live_count(), live);
}

KTEST(channel_survives_every_allocation_failure)
{
	uint64_t before = free_frames(), live = channel_live_count();
	struct channel_endpoint *a, *b;
	unsigned failures = 0;

	for (uint64_t k = 1; k < 10; k++) {
		fail_inject_arm(k);
		kerr_t err = channel_create(&a, &b);
		if (err == KERR_OK)
			err = send_handles(a, NULL, 0);
		bool fired = fail_inject_attempts() >= k;
		fail_inject_arm(0);
		kexpect(err == KERR_OK || err == KERR_NO_MEMORY);
		if (err == KERR_NO_MEMORY)
			failures++;
		if (channel_live_count() != live) {
			kexpectf(channel_queued(b) == (err == KERR_OK), "a failed send queued");
			kobject_put(channel_kobject(a));
			kobject_put(channel_kobject(b));
		}
		if (!fired)
			break;
	}
	kexpect(failures >= 2); /* the pair, the message (and what the heap needs for them) */
	kexpect_eq(channel_live_count(), live);
	kexpect_eq(free_frames(), before);
}

KTEST(channel_user_program_takes_both_paths)
{
	const char *argv[] = {"/test/channel_messages", "paths"};
	struct spawn_request req = {.path = argv[0], .argv = argv, .argc = 2};
	struct channel_stats s0, s1;
	struct quire_exit_info exit;
	struct process *p;
	uint64_t before = free_frames(), live = channel_live_count();

	channel_get_stats(&s0);
	if (!kexpect(process_spawn(&req, &p) == KERR_OK))
		return;
	kexpect_eq(process_wait(p, &exit), KERR_OK);
	kobject_put(&p->obj);
	channel_get_stats(&s1);
	kexpect_eq(exit.reason, QUIRE_EXIT_NORMAL);
	kexpect_eq(exit.status, 0);
	/* Every message but two went straight into a waiting receiver... */
	kexpectf(s1.direct - s0.direct >= 6, "%llu direct",
		 (unsigned long long)(s1.direct - s0.direct));
	/* ...the one sent while nobody waited and the one whose receiver's buffer faulted. */
	kexpect_eq(s1.direct_failed - s0.direct_failed, 1);
	kexpectf(s1.queued - s0.queued >= 2, "%llu queued",
		 (unsigned long long)(s1.queued - s0.queued));
	kexpect_eq(channel_live_count(), live);
	kexpect_eq(free_frames(), before);
}
