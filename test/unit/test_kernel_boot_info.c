/*
 * Host tests of kernel/boot_info.c: a well-formed boot_info passes; each broken field is caught
 * with the right fault, the value found and the value expected; the header is checked in the
 * order magic, version, size; and every fault has a message that says what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/boot_info.h"

static struct quire_boot_info good(void)
{
	struct quire_boot_info bi;

	memset(&bi, 0, sizeof(bi));
	bi.magic = QUIRE_BOOT_MAGIC;
	bi.version = QUIRE_BOOT_VERSION;
	bi.size = sizeof(bi);
	bi.framebuffer = (struct quire_framebuffer){.base = 0x80000000,
						    .size = 1280 * 800 * 4,
						    .width = 1280,
						    .height = 800,
						    .pixels_per_scan_line = 1280,
						    .format = QUIRE_FB_BGRX8};
	bi.memory_map = 0x7e00000;
	bi.memory_map_count = 90;
	bi.memory_map_entry_size = sizeof(struct quire_mem_range);
	bi.alloc_register = 0x7e10000;
	bi.alloc_register_count = 6;
	bi.alloc_register_entry_size = sizeof(struct quire_alloc_record);
	bi.kernel_phys_base = 0x1000000;
	bi.kernel_virt_base = QUIRE_KERNEL_LINK_BASE;
	bi.kernel_size = 0x40000;
	bi.cmdline = 0x7e20000;
	bi.pml4 = 0x7f00000;
	strcpy(bi.firmware_vendor, "EDK II");
	return bi;
}

/* Validates BI, expecting FAULT with FOUND and EXPECTED. */
static void expect_fault(const struct quire_boot_info *bi, enum boot_info_fault fault,
			 uint64_t found, uint64_t expected)
{
	struct boot_info_problem p;

	assert_int_equal(boot_info_validate(bi, &p),
			 fault == BOOT_INFO_OK ? KERR_OK : KERR_INVALID);
	assert_int_equal(p.fault, fault);
	assert_int_equal(p.found, found);
	assert_int_equal(p.expected, expected);
}

static void expect_message(const struct quire_boot_info *bi, const char *message)
{
	struct boot_info_problem p;
	char buf[160];

	(void)boot_info_validate(bi, &p);
	boot_info_describe(&p, buf, sizeof(buf));
	assert_string_equal(buf, message);
}

static void test_good(void **state)
{
	struct quire_boot_info bi = good();

	expect_fault(&bi, BOOT_INFO_OK, 0, 0);
	bi.size = sizeof(bi) + 64; /* a newer loader may append fields */
	expect_fault(&bi, BOOT_INFO_OK, 0, 0);
	bi.framebuffer = (struct quire_framebuffer){.format = QUIRE_FB_NONE};
	expect_fault(&bi, BOOT_INFO_OK, 0, 0);
	bi.alloc_register = 0;
	bi.alloc_register_count = 0;
	expect_fault(&bi, BOOT_INFO_OK, 0, 0);
}

static void test_wrong_magic(void **state)
{
	struct quire_boot_info bi = good();

	bi.magic = 0x1122334455667788ull;
	bi.version = 99; /* the magic is reported first */
	expect_fault(&bi, BOOT_INFO_BAD_MAGIC, 0x1122334455667788ull, QUIRE_BOOT_MAGIC);
	expect_message(&bi, "bad magic 0x1122334455667788 (expected 0x4f4f424552495551)");
}

static void test_wrong_version(void **state)
{
	struct quire_boot_info bi = good();

	bi.version = QUIRE_BOOT_VERSION + 1;
	bi.size = 8; /* the version is reported before the size */
	expect_fault(&bi, BOOT_INFO_BAD_VERSION, QUIRE_BOOT_VERSION + 1, QUIRE_BOOT_VERSION);
	expect_message(&bi, "version 2, this kernel speaks 1");
}

static void test_short_size(void **state)
{
	struct quire_boot_info bi = good();

	bi.size = sizeof(bi) - 1;
	expect_fault(&bi, BOOT_INFO_SHORT_SIZE, sizeof(bi) - 1, sizeof(bi));
	expect_message(&bi, "size 271 bytes, this kernel needs at least 272");
	bi.size = 0;
	expect_fault(&bi, BOOT_INFO_SHORT_SIZE, 0, sizeof(bi));
}

static void test_bad_entry_sizes(void **state)
{
	struct quire_boot_info bi = good();

	bi.memory_map_entry_size = 48; /* the UEFI descriptor size, not ours */
	expect_fault(&bi, BOOT_INFO_BAD_MEMMAP_ENTRY, 48, sizeof(struct quire_mem_range));
	expect_message(&bi, "memory map entry size 48, expected 24");
	bi = good();
	bi.alloc_register_entry_size = 0;
	expect_fault(&bi, BOOT_INFO_BAD_ALLOC_ENTRY, 0, sizeof(struct quire_alloc_record));
}

static void test_bad_counts(void **state)
{
	struct quire_boot_info bi = good();

	bi.memory_map_count = 0;
	expect_fault(&bi, BOOT_INFO_BAD_MEMMAP_COUNT, 0, BOOT_INFO_MAX_MEMMAP_ENTRIES);
	bi.memory_map_count = BOOT_INFO_MAX_MEMMAP_ENTRIES + 1;
	expect_fault(&bi, BOOT_INFO_BAD_MEMMAP_COUNT, BOOT_INFO_MAX_MEMMAP_ENTRIES + 1,
		     BOOT_INFO_MAX_MEMMAP_ENTRIES);
	bi = good();
	bi.alloc_register_count = UINT32_MAX;
	expect_fault(&bi, BOOT_INFO_BAD_ALLOC_COUNT, UINT32_MAX, BOOT_INFO_MAX_ALLOC_RECORDS);
	bi = good();
	bi.cmdline_len = BOOT_INFO_MAX_CMDLINE + 1;
	expect_fault(&bi, BOOT_INFO_BAD_CMDLINE_LENGTH, BOOT_INFO_MAX_CMDLINE + 1,
		     BOOT_INFO_MAX_CMDLINE);
}

static void test_bad_pointers(void **state)
{
	struct quire_boot_info bi = good();

	bi.memory_map = 0;
	expect_fault(&bi, BOOT_INFO_BAD_MEMMAP_ADDRESS, 0, 0);
	bi = good();
	bi.alloc_register = 0x7e10004;
	expect_fault(&bi, BOOT_INFO_BAD_ALLOC_ADDRESS, 0x7e10004, 0);
	bi = good();
	bi.cmdline = 0;
	expect_fault(&bi, BOOT_INFO_NO_CMDLINE, 0, 0);
	bi = good();
	bi.pml4 = 0x7f00800;
	expect_fault(&bi, BOOT_INFO_BAD_PML4, 0x7f00800, 0);
	bi = good();
	bi.kernel_virt_base = 0xffffffff80200000ull;
	expect_fault(&bi, BOOT_INFO_BAD_KERNEL_IMAGE, 0xffffffff80200000ull,
		     QUIRE_KERNEL_LINK_BASE);
}

static void test_bad_framebuffer_and_vendor(void **state)
{
	struct quire_boot_info bi = good();

	bi.framebuffer.format = 7;
	expect_fault(&bi, BOOT_INFO_BAD_FRAMEBUFFER, 7, QUIRE_FB_BITMASK);
	bi = good();
	bi.framebuffer.pixels_per_scan_line = 1000;
	expect_fault(&bi, BOOT_INFO_BAD_FRAMEBUFFER, 1280 * 800 * 4, 1000 * 800 * 4);
	bi = good();
	bi.framebuffer.size = 4096;
	expect_fault(&bi, BOOT_INFO_BAD_FRAMEBUFFER, 4096, 1280 * 800 * 4);
	/* height * stride * 4 past 2^64: a wrapped product once let a 4 KiB size pass (found by
	 * test/fuzz/fuzz_boot_info). */
	bi = good();
	bi.framebuffer.width = 1;
	bi.framebuffer.height = 1u << 31;
	bi.framebuffer.pixels_per_scan_line = 1u << 31;
	bi.framebuffer.size = 4096;
	expect_fault(&bi, BOOT_INFO_BAD_FRAMEBUFFER, 4096, UINT64_MAX);
	/* A range that wraps past the top of the address space. */
	bi = good();
	bi.framebuffer.base = UINT64_MAX - 4095;
	expect_fault(&bi, BOOT_INFO_BAD_FRAMEBUFFER, 1280 * 800 * 4, 1280 * 800 * 4);
	bi = good();
	memset(bi.firmware_vendor, 'A', sizeof(bi.firmware_vendor));
	expect_fault(&bi, BOOT_INFO_BAD_FIRMWARE_VENDOR, 0, 0);
}

static void test_every_fault_has_a_message(void **state)
{
	char buf[160];

	for (int f = 0; f < BOOT_INFO_FAULT_COUNT; f++) {
		struct boot_info_problem p = {
		    .fault = (enum boot_info_fault)f, .found = 1, .expected = 2};
		size_t n = boot_info_describe(&p, buf, sizeof(buf));
		assert_true(n > 0 && n < sizeof(buf));
		assert_null(strstr(buf, "unknown"));
	}
	struct boot_info_problem p = {.fault = BOOT_INFO_FAULT_COUNT};
	boot_info_describe(&p, buf, sizeof(buf));
	assert_non_null(strstr(buf, "unknown problem"));
	p.fault = BOOT_INFO_BAD_MAGIC;
	assert_int_equal(boot_info_describe(&p, buf, 8), strlen("bad magic 0x0000000000000000 "
								"(expected 0x0000000000000000)"));
	assert_string_equal(buf, "bad mag");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_wrong_magic),
	    cmocka_unit_test(test_wrong_version),
	    cmocka_unit_test(test_short_size),
	    cmocka_unit_test(test_bad_entry_sizes),
	    cmocka_unit_test(test_bad_counts),
	    cmocka_unit_test(test_bad_pointers),
	    cmocka_unit_test(test_bad_framebuffer_and_vendor),
	    cmocka_unit_test(test_every_fault_has_a_message),
	};
	return cmocka_run_group_tests_name("kernel_boot_info", tests, NULL, NULL);
}
