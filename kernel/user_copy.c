/*
 * Copy-in and copy-out; see user_copy.h.
 */
#include "kernel/user_copy.h"

#include "kernel/memory/vm_space.h"

uint64_t user_copy_raw(void *dst, const void *src, uint64_t n);
int64_t user_copy_str_raw(char *dst, const void *src, uint64_t max);

struct user_copy_fixup {
	uint64_t first, end, fixup;
};
extern const struct user_copy_fixup user_copy_fixups[];
extern const uint64_t user_copy_fixup_count;

/* Whether [ADDR, ADDR + N) lies in the user half; an empty range anywhere is fine. */
static bool user_range_ok(uint64_t addr, size_t n)
{
	if (n == 0)
		return true;
	return addr >= VM_USER_LO && addr < VM_USER_HI && n <= VM_USER_HI - addr;
}

kerr_t copy_from_user(void *dst, uint64_t src, size_t n)
{
	if (!user_range_ok(src, n))
		return KERR_FAULT;
	if (n == 0)
		return KERR_OK;
	return user_copy_raw(dst, (const void *)(uintptr_t)src, n) == 0 ? KERR_OK : KERR_FAULT;
}

kerr_t copy_to_user(uint64_t dst, const void *src, size_t n)
{
	if (!user_range_ok(dst, n))
		return KERR_FAULT;
	if (n == 0)
		return KERR_OK;
	return user_copy_raw((void *)(uintptr_t)dst, src, n) == 0 ? KERR_OK : KERR_FAULT;
}

kerr_t copy_string_from_user(char *dst, uint64_t src, size_t max, size_t *len)
{
	if (max == 0)
		return KERR_INVALID;
	/* Clip to the user half: a string running up to its end faults there, as it should. */
	if (src < VM_USER_LO || src >= VM_USER_HI)
		return KERR_FAULT;
	size_t reach = max <= VM_USER_HI - src ? max : (size_t)(VM_USER_HI - src);
	int64_t r = user_copy_str_raw(dst, (const void *)(uintptr_t)src, reach);
	if (r < 0)
		return KERR_FAULT;
	if ((uint64_t)r >= reach)
		return reach < max ? KERR_FAULT : KERR_INVALID;
	*len = (size_t)r;
	return KERR_OK;
}

uint64_t user_copy_fixup(uint64_t rip)
{
	for (uint64_t i = 0; i < user_copy_fixup_count; i++)
		if (rip >= user_copy_fixups[i].first && rip < user_copy_fixups[i].end)
			return user_copy_fixups[i].fixup;
	return 0;
}
