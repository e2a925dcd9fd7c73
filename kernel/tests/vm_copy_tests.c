/*
 * Built-in tests of the copies between address spaces (kernel/memory/vm_copy.c) on the real
 * machine: two user spaces, neither loaded in CR3, exchange a multi-page buffer that starts
 * mid-page on both sides and crosses from one area into the next, through pages never touched
 * before; errors stop at the exact byte; and a copy into a page whose zero-page translation is
 * cached in the TLB of the live space is seen through the user address at once (the fault path's
 * invlpg). Each test ends with the pmm's free count back at its starting value.
 */
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/ktest.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/page_tree_cache.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_copy.h"
#include "kernel/memory/vm_space.h"

#define VA_A   0x400000ull
#define VA_B   0x7000000ull
#define RW     (VM_PROT_READ | VM_PROT_WRITE)
#define LEN    (3 * PAGE_SIZE + 1000)
#define OFF_A  300u
#define OFF_B  (2 * PAGE_SIZE - 77) /* the copy crosses from B's first area into its second */
#define BUF_SZ (4 * PAGE_SIZE)

static uint8_t buf_in[BUF_SZ], buf_out[BUF_SZ];

static uint64_t free_frames(void)
{
	struct pmm_stats st;

	vm_area_trim();
	page_tree_cache_trim(page_tree_cache_kernel());
	kheap_trim();
	pmm_get_stats(&st);
	return st.free;
}

/* Maps a new open area of PAGES pages at VA in S; the mapping holds the only reference. */
static bool map_open(struct vm_space *s, vaddr_t va, uint64_t pages, unsigned prot)
{
	struct vm_area *a;
	vaddr_t got;

	if (vm_area_create_open(pages, RW, &a) != KERR_OK)
		return false;
	kerr_t err = vm_space_map(s, a, 0, va, pages, prot, &got);
	vm_area_put(a);
	return err == KERR_OK && got == va;
}

static void pattern(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + i / 251 + seed * 13 + 1);
}

static bool same(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

KTEST(vm_copy_between_spaces_not_loaded)
{
	struct vm_space *sa, *sb;
	uint64_t before = free_frames(), cr3 = cpu_read_cr3();
	size_t copied = 0;

	if (!kexpect(vm_space_create(&sa) == KERR_OK))
		return;
	if (!kexpect(vm_space_create(&sb) == KERR_OK)) {
		vm_space_destroy(sa);
		return;
	}
	kexpect(map_open(sa, VA_A, 5, RW));
	kexpect(map_open(sb, VA_B, 2, RW));
	kexpect(map_open(sb, VA_B + 2 * PAGE_SIZE, 4, RW));

	pattern(buf_in, LEN, 1);
	kexpect_eq(vm_space_write(sa, VA_A + OFF_A, buf_in, LEN), KERR_OK);
	kexpect_eq(vm_space_copy(sb, VA_B + OFF_B, sa, VA_A + OFF_A, LEN, &copied), KERR_OK);
	kexpect_eq(copied, LEN);
	kexpect_eq(vm_space_read(sb, VA_B + OFF_B, buf_out, LEN), KERR_OK);
	kexpect(same(buf_in, buf_out, LEN));
	/* The bytes around the copy are still the untouched pages' zeros. */
	static const uint8_t zeros[8];
	kexpect_eq(vm_space_read(sb, VA_B + OFF_B - 8, buf_out, 8), KERR_OK);
	kexpect(same(buf_out, zeros, 8));
	kexpect_eq(vm_space_read(sb, VA_B + OFF_B + LEN, buf_out, 8), KERR_OK);
	kexpect(same(buf_out, zeros, 8));

	/* Stopped by the hole after B's areas: the bytes before it are copied, exactly. */
	vaddr_t end_b = VA_B + 6 * PAGE_SIZE;
	kexpect_eq(vm_space_copy(sb, end_b - 500, sa, VA_A, 2 * PAGE_SIZE, &copied), KERR_FAULT);
	kexpect_eq(copied, 500);
	kexpect_eq(vm_space_copy(sa, VA_A, sb, end_b, 1, &copied), KERR_FAULT);
	kexpect_eq(copied, 0);
	kexpect_eq(vm_space_copy(sa, VA_A, sb, VM_USER_HI - 8, 16, &copied), KERR_FAULT);

	kexpect_eq(cpu_read_cr3(), cr3); /* neither space was ever loaded */
	vm_space_destroy(sa);
	vm_space_destroy(sb);
	kexpect_eq(free_frames(), before);
}

static void user_access_begin(void)
{
	if (cpu_features()->smap)
		__asm__ volatile("stac" ::: "memory");
}

static void user_access_end(void)
{
	if (cpu_features()->smap)
		__asm__ volatile("clac" ::: "memory");
}

KTEST(vm_copy_into_live_space_replaces_cached_zero_page)
{
	struct vm_space *sa, *sb;
	uint64_t before = free_frames(), kernel_cr3 = cpu_read_cr3();
	uint64_t word = 0x0123456789abcdefull, seen_before, seen_after;

	if (!kexpect(vm_space_create(&sa) == KERR_OK))
		return;
	if (!kexpect(vm_space_create(&sb) == KERR_OK)) {
		vm_space_destroy(sa);
		return;
	}
	kexpect(map_open(sa, VA_A, 1, RW));
	kexpect(map_open(sb, VA_B, 1, RW));
	kexpect_eq(vm_space_write(sa, VA_A + 64, &word, sizeof word), KERR_OK);
	/* B's page is the zero page, read-only; B is live and its TLB holds that translation. */
	kexpect_eq(vm_space_allocate(sb, VA_B, VM_PROT_READ), VM_FAULT_OK);
	volatile uint64_t *p = (volatile uint64_t *)(VA_B + 128);
	cpu_write_cr3(sb->pt.root);
	user_access_begin();
	seen_before = *p;
	user_access_end();
	/* The copy's write fault gives B a private frame; the stale translation must go. */
	kerr_t err = vm_space_copy(sb, VA_B + 128, sa, VA_A + 64, sizeof word, NULL);
	user_access_begin();
	seen_after = *p;
	user_access_end();
	cpu_write_cr3(kernel_cr3);
	kexpect_eq(err, KERR_OK);
	kexpect_eq(seen_before, 0);
	kexpect_eq(seen_after, word);
	vm_space_destroy(sa);
	vm_space_destroy(sb);
	kexpect_eq(free_frames(), before);
}
