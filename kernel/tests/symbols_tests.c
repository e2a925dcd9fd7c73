/*
 * Built-in tests of the embedded symbol table: it is present and well formed, and it names real
 * kernel functions, including the test's own, at their true addresses.
 */
#include "kernel/image.h"
#include "kernel/kmain.h"
#include "kernel/ksyms.h"
#include "kernel/ktest.h"
#include "kernel/lib/string.h"

KTEST(symbols_table_is_embedded)
{
	const struct symbols_table *t = ksyms_table();

	if (!kexpect(t != NULL))
		return;
	kexpectf(t->count >= 100, "only %u symbols", t->count);
	kexpect_eq(t->base, (uintptr_t)image_text_start);
	kexpect_eq(t->end, (uintptr_t)image_text_end);
}

KTEST(symbols_lookup_kmain)
{
	struct symbols_match m;
	uintptr_t addr = (uintptr_t)kmain;

	if (!kexpect(ksyms_lookup(addr, &m)))
		return;
	kexpectf(strcmp(m.name, "kmain") == 0, "kmain resolved to %s", m.name);
	kexpect_eq(m.offset, 0);
	if (kexpect(ksyms_lookup(addr + 5, &m)))
		kexpect_eq(m.offset, 5);
}

/* A function whose own address the test looks up, as a backtrace would. */
static NOINLINE uintptr_t where_am_i(void)
{
	return (uintptr_t)__builtin_return_address(0);
}

KTEST(symbols_lookup_own_test_function)
{
	struct symbols_match m;
	uintptr_t self = (uintptr_t)ktest_symbols_lookup_own_test_function;
	uintptr_t inside = where_am_i();

	if (!kexpect(ksyms_lookup(self, &m)))
		return;
	kexpectf(strcmp(m.name, "ktest_symbols_lookup_own_test_function") == 0, "got %s", m.name);
	if (kexpect(ksyms_lookup(inside, &m)))
		kexpectf(m.start == self && m.offset > 0, "return address in %s+0x%llx", m.name,
			 (unsigned long long)m.offset);
	if (kexpect(ksyms_lookup((uintptr_t)where_am_i, &m)))
		kexpectf(strcmp(m.name, "where_am_i") == 0, "got %s", m.name);
}

KTEST(symbols_outside_text_have_no_name)
{
	struct symbols_match m;
	char buf[64];

	kexpect(!ksyms_lookup((uintptr_t)image_text_start - 1, &m));
	kexpect(!ksyms_lookup((uintptr_t)image_text_end, &m));
	kexpect(!ksyms_lookup((uintptr_t)image_rodata_start, &m));
	ksyms_describe(0x1000, false, buf, sizeof(buf));
	kexpect(strcmp(buf, "?") == 0);
}
