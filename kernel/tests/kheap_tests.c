/*
 * Built-in tests of the kernel heap on the real frame allocator: every size class and large runs
 * with their contents kept, the debug poison in freed objects, injected failures, and real
 * exhaustion: kmalloc returns NULL, and once everything is freed the heap holds no frame and the
 * pmm's free count is back where it started. A 1 MiB block is an area of the kernel space:
 * virtually contiguous, writable through the real MMU without a fault, and gone at kfree.
 */
#include "kernel/arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "kernel/lib/debug_check.h"
#include "kernel/lib/log.h"
#include "kernel/lib/string.h"
#include "kernel/memory/fail_inject.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pagetable.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

/* What the heap holds (after giving back its spares): other code may hold objects of its own. */
struct heap_use {
	uint64_t objects, frames;
};

static struct heap_use heap_use(void)
{
	struct kheap_stats ks;
	struct heap_use u = {0, 0};

	vm_area_trim(); /* the VM's spare page-tree nodes, which large blocks use */
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	kheap_get_stats(&ks);
	for (unsigned i = 0; i < KHEAP_CLASS_COUNT; i++)
		u.objects += ks.classes[i].objects;
	u.objects += ks.large_objects;
	u.frames = ks.frames;
	return u;
}

/* Whether the heap and the pmm are back at the state BEFORE and FREE_BEFORE. */
static bool back_at(struct ktest_ctx *ktest_ctx, struct heap_use before, uint64_t free_before)
{
	struct heap_use now = heap_use();

	return kexpect_eq(now.objects, before.objects) && kexpect_eq(now.frames, before.frames) &&
	       kexpect_eq(free_frames(), free_before);
}

KTEST(kheap_sizes_keep_contents)
{
	enum { N = 48 };
	uint8_t *p[N];
	size_t size[N];
	struct heap_use use = heap_use();
	uint64_t before = free_frames();

	for (unsigned i = 0; i < N; i++) {
		size[i] = (size_t)1 << (i % 15); /* 1 .. 16 KiB */
		size[i] += i % 3;
		p[i] = kmalloc(size[i]);
		if (!kexpectf(p[i] != NULL, "kmalloc(%zu) failed", size[i]))
			return;
		kexpect(kheap_usable_size(p[i]) >= size[i]);
		memset(p[i], (int)i + 1, size[i]);
	}
	for (unsigned i = 0; i < N; i += 2) { /* free every other one first */
		for (size_t j = 0; j < size[i]; j++)
			if (!kexpectf(p[i][j] == (uint8_t)(i + 1), "block %u byte %zu", i, j))
				break;
		kfree(p[i]);
	}
	for (unsigned i = 1; i < N; i += 2) {
		for (size_t j = 0; j < size[i]; j++)
			if (!kexpectf(p[i][j] == (uint8_t)(i + 1), "block %u byte %zu", i, j))
				break;
		kfree(p[i]);
	}
	back_at(ktest_ctx, use, before);
}

KTEST(kheap_poisons_freed_objects)
{
	struct heap_use use = heap_use();
	uint64_t before = free_frames();
	uint8_t *p = kmalloc(256), *z;

	if (!kexpect(p != NULL))
		return;
	if (QUIRE_DEBUG) /* handed out poisoned, so a read of uninitialised memory shows */
		kexpect_eq(p[100], KHEAP_POISON);
	memset(p, 0x11, 256);
	kfree(p);
	if (QUIRE_DEBUG) {
		/* Deliberately reading freed memory: past the link and free marker, all poison. */
		bool all = true;
		for (unsigned i = 16; i < 256; i++)
			all = all && p[i] == KHEAP_POISON;
		kexpect(all);
	}
	z = kzalloc(256);
	if (!kexpect(z != NULL))
		return;
	bool zero = true;
	for (unsigned i = 0; i < 256; i++)
		zero = zero && z[i] == 0;
	kexpect(zero);
	kfree(z);
	back_at(ktest_ctx, use, before);
}

KTEST(kheap_injected_failure_recovers)
{
	struct heap_use use = heap_use();
	uint64_t before = free_frames();

	fail_inject_arm(1);
	kexpect(kmalloc(64) == NULL);
	/* The pmm's attempt under a slab refill: 1024 bytes and more, in case a slab of the class
	 * has room already (thread records are 1 KiB objects). */
	void *held[64];
	unsigned n = 0;
	for (; n < 64; n++) {
		fail_inject_arm(2);
		held[n] = kmalloc(1024);
		fail_inject_arm(0);
		if (held[n] == NULL)
			break;
	}
	kexpectf(n < 64, "64 kmalloc(1024) calls never needed a new slab");
	while (n-- > 0)
		if (n < 64 && held[n] != NULL)
			kfree(held[n]);
	fail_inject_arm(2);
	kexpect(kmalloc(64 * 1024) == NULL);
	fail_inject_arm(0);
	void *p = kmalloc(64);
	kexpect(p != NULL);
	kfree(p);
	back_at(ktest_ctx, use, before);
}

/*
 * Most of memory is taken straight from the pmm in 4 MiB runs, untouched (writing into every run
 * of an 8 GiB machine would make QEMU back all of it with host memory, and takes minutes under
 * TCG); one run is given back, and kmalloc then eats that and every frame left over, largest
 * blocks first, chaining them through their first word, until even 16 bytes fail.
 */
#define EXHAUST_RUNS_MAX 16384u /* 64 GiB in 4 MiB runs; beyond that kmalloc eats the rest */

KTEST(kheap_exhaustion_returns_null_then_recovers)
{
	struct heap_use use = heap_use();
	uint64_t before = free_frames(), count = 0;
	struct page **runs = kmalloc(EXHAUST_RUNS_MAX * sizeof(*runs));
	unsigned nruns = 0;
	void *chain = NULL;

	if (!kexpect(runs != NULL))
		return;
	while (nruns < EXHAUST_RUNS_MAX &&
	       (runs[nruns] = pmm_alloc_pages(PMM_MAX_ORDER, PAGE_TEST, 0)) != NULL)
		nruns++;
	if (nruns > 0)
		pmm_free_pages(runs[--nruns], PMM_MAX_ORDER);
	for (size_t size = (size_t)PAGE_SIZE << PMM_MAX_ORDER; size >= KHEAP_SMALL_MIN; size /= 2) {
		void *p;
		while ((p = kmalloc(size)) != NULL) {
			*(void **)p = chain;
			chain = p;
			count++;
		}
	}
	kexpect(count > 0);
	kexpect(kmalloc(16) == NULL);
	kexpect(kmalloc(5000) == NULL);
	kexpect_eq(free_frames(), 0);
	while (chain != NULL) {
		void *next = *(void **)chain;
		kfree(chain);
		chain = next;
	}
	while (nruns > 0)
		pmm_free_pages(runs[--nruns], PMM_MAX_ORDER);
	kfree(runs);
	back_at(ktest_ctx, use, before);
	void *p = kmalloc(100);
	kexpect(p != NULL);
	kfree(p);
	log_info("kheap: exhaustion after %llu kmalloc calls; %llu frames free again",
		 (unsigned long long)count, (unsigned long long)free_frames());
}

/* Counts #PFs and leaves them to the real handler (which would serve a fault in the block). */
static bool count_fault(struct trap_frame *f, void *ctx)
{
	if (f->vector == TRAP_PAGE_FAULT)
		(*(unsigned *)ctx)++;
	return false;
}

KTEST(kheap_large_block_is_a_kernel_area)
{
	enum { SIZE = 1u << 20 };
	struct heap_use use = heap_use();
	uint64_t before = free_frames();
	struct vm_space *k = vm_space_kernel();
	uint64_t mappings = vm_space_mapping_count(k);
	unsigned faults = 0;

	uint8_t *p = kmalloc(SIZE);
	if (!kexpect(p != NULL))
		return;
	kexpect((uintptr_t)p - QUIRE_LINEAR_MAP_BASE >= QUIRE_LINEAR_MAP_MAX_SIZE);
	kexpect_eq(vm_space_mapping_count(k), mappings + 1);
	kexpect_eq(kheap_usable_size(p), SIZE);
	/* Populated: the whole block is written and read back with no page fault at all. */
	trap_set_hook(count_fault, &faults);
	for (size_t i = 0; i < SIZE; i += 8)
		*(volatile uint64_t *)(p + i) = i * 0x9e3779b97f4a7c15ull;
	bool same = true;
	for (size_t i = 0; i < SIZE; i += 8)
		same = same && *(volatile uint64_t *)(p + i) == i * 0x9e3779b97f4a7c15ull;
	trap_set_hook(NULL, NULL);
	kexpect(same);
	kexpect_eq(faults, 0);
	/* One virtual range over frames that need not be contiguous: count the runs. */
	struct pagetable_mapping m, prev = {0};
	unsigned runs = 0;
	for (size_t i = 0; i < SIZE; i += PAGE_SIZE) {
		if (!kexpect(pagetable_query(&k->pt, (vaddr_t)p + i, &m) == KERR_OK))
			break;
		runs += i == 0 || m.pa != prev.pa + PAGE_SIZE;
		prev = m;
	}
	log_debug("kheap: a 1 MiB block over %u physical runs", runs);
	kfree(p);
	kexpect_eq(vm_space_mapping_count(k), mappings);
	kexpect(pagetable_query(&k->pt, (vaddr_t)p, &m) == KERR_NOT_FOUND);
	back_at(ktest_ctx, use, before);
}
