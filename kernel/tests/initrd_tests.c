/*
 * Built-in tests of the initrd as the loader handed it over (build/initrd.cpio, made from
 * assets/initrd/ and the user programs): the archive was accepted at boot, README is found under
 * each spelling of its path with the size of assets/initrd/README (QUIRE_README_SIZE, from the
 * build) and its known first words, /bin is a directory, and missing paths are not found.
 */
#include "kernel/initrd.h"
#include "kernel/ktest.h"
#include "kernel/lib/string.h"

KTEST(initrd_has_readme)
{
	static const char start[] = "This is Quire's initrd, a cpio newc archive";
	const void *data;
	uint64_t size;

	if (!kexpect(initrd_base() != NULL))
		return;
	kexpect(initrd_file_count() >= 3); /* README, bin, bin/probe */
	if (!kexpect(initrd_find("README", &data, &size) == KERR_OK))
		return;
	kexpect_eq(size, QUIRE_README_SIZE);
	kexpect(size >= sizeof(start) - 1 && memcmp(data, start, sizeof(start) - 1) == 0);
	const void *again;
	uint64_t again_size;
	kexpect(initrd_find("/README", &again, &again_size) == KERR_OK && again == data);
	kexpect(initrd_find("./README", &again, &again_size) == KERR_OK && again == data);
	kexpect((const uint8_t *)data >= (const uint8_t *)initrd_base() &&
		(const uint8_t *)data + size <= (const uint8_t *)initrd_base() + initrd_size());
}

KTEST(initrd_lookup_errors)
{
	const void *data = NULL;
	uint64_t size = 0;

	kexpect_eq(initrd_find("bin", &data, &size), KERR_INVALID); /* a directory */
	kexpect_eq(initrd_find("READM", &data, &size), KERR_NOT_FOUND);
	kexpect_eq(initrd_find("README/x", &data, &size), KERR_NOT_FOUND);
	kexpect_eq(initrd_find("", &data, &size), KERR_NOT_FOUND);
	kexpect_eq(initrd_find("TRAILER!!!", &data, &size), KERR_NOT_FOUND);
	kexpect(data == NULL && size == 0);
}
