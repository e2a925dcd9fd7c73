/*
 * VM benchmarks. The measured loop holds only the operation: areas and mappings a round needs
 * are made before the first bench_now() and dropped after the last. The spaces with N other
 * mappings (one-page reservations at every other page, so every mapping is its own region) are
 * built once, at their first round, and kept: bench mode ends the machine afterwards.
 *
 * Rows:
 *   vm_fault_write_touch   a write to an untouched page of an open kernel area: #PF, the handler,
 *                          vm_space_allocate() (a zeroed frame, page-tree insert, PTE), iretq
 *   vm_fault_read_touch    a read of an untouched page: the same path mapping the zero page
 *   vm_fault_write_nN      vm_space_allocate(write) called directly in a user space with N
 *                          other mappings
 *   vm_map_unmap_nN        vm_space_map(anywhere) + vm_space_unmap() of a one-page area there
 */
#include "kernel/benches/vm_bench.h"

#include "kernel/lib/compiler.h"
#include "kernel/memory/pmm.h"
#include "kernel/memory/vm_space.h"
#include "kernel/panic.h"

#define RW (VM_PROT_READ | VM_PROT_WRITE)

static void check(kerr_t err, const char *what)
{
	if (UNLIKELY(err != KERR_OK))
		panic("%s: %s", what, kerr_name(err));
}

/* An open area of PAGES pages mapped RW anywhere in SPACE; *BASE gets the address. */
static struct vm_area *map_open(struct vm_space *space, uint64_t pages, vaddr_t *base)
{
	struct vm_area *a;

	check(vm_area_create_open(pages, RW, &a), "vm_area_create_open");
	check(vm_space_map(space, a, 0, VM_MAP_ANYWHERE, pages, RW, base), "vm_space_map");
	vm_area_put(a); /* the mapping keeps it */
	return a;
}

static uint64_t touch(unsigned batch, bool write)
{
	vaddr_t b;
	struct vm_space *k = vm_space_kernel();

	map_open(k, batch, &b);
	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < batch; i++) {
		volatile uint8_t *p = (volatile uint8_t *)(b + (uint64_t)i * PAGE_SIZE);
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	uint64_t t = bench_now() - t0;
	check(vm_space_unmap(k, b), "vm_space_unmap");
	return t;
}

static uint64_t bench_write_touch(unsigned batch)
{
	return touch(batch, true);
}

static uint64_t bench_read_touch(unsigned batch)
{
	return touch(batch, false);
}

/* A user space with N one-page reservations at every other page from 1 GiB (built once). */
static struct vm_space *space_with(unsigned n)
{
	static struct vm_space *spaces[5];
	static const unsigned sizes[5] = {0, 100, 1000, 10000, 60000};
	static struct vm_area *reservation;
	unsigned slot = 0;

	while (sizes[slot] != n)
		slot++;
	if (spaces[slot] != NULL)
		return spaces[slot];
	if (reservation == NULL)
		check(vm_area_create_reservation(1, &reservation), "reservation");
	check(vm_space_create(&spaces[slot]), "vm_space_create");
	for (unsigned i = 0; i < n; i++) {
		vaddr_t got;
		check(vm_space_map(spaces[slot], reservation, 0,
				   (1ull << 30) + 2ull * i * PAGE_SIZE, 1, 0, &got),
		      "vm_space_map");
	}
	return spaces[slot];
}

static uint64_t fault_n(unsigned batch, unsigned n)
{
	struct vm_space *s = space_with(n);
	vaddr_t b;

	map_open(s, batch, &b);
	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < batch; i++)
		if (UNLIKELY(vm_space_allocate(s, b + (uint64_t)i * PAGE_SIZE, VM_PROT_WRITE) !=
			     VM_FAULT_OK))
			panic("vm_space_allocate failed");
	uint64_t t = bench_now() - t0;
	check(vm_space_unmap(s, b), "vm_space_unmap");
	return t;
}

static uint64_t map_unmap_n(unsigned batch, unsigned n)
{
	struct vm_space *s = space_with(n);
	struct vm_area *a;
	vaddr_t b;

	check(vm_area_create_open(1, RW, &a), "vm_area_create_open");
	uint64_t t0 = bench_now();
	for (unsigned i = 0; i < batch; i++) {
		check(vm_space_map(s, a, 0, VM_MAP_ANYWHERE, 1, RW, &b), "vm_space_map");
		check(vm_space_unmap(s, b), "vm_space_unmap");
	}
	uint64_t t = bench_now() - t0;
	vm_area_put(a);
	return t;
}

#define N_ROWS(n)                                                                                  \
	static uint64_t bench_fault_##n(unsigned batch)                                            \
	{                                                                                          \
		return fault_n(batch, n);                                                          \
	}                                                                                          \
	static uint64_t bench_map_##n(unsigned batch)                                              \
	{                                                                                          \
		return map_unmap_n(batch, n);                                                      \
	}
N_ROWS(0)
N_ROWS(100)
N_ROWS(1000)
N_ROWS(10000)
N_ROWS(60000)

static const struct bench table[] = {
    {"vm_fault_write_touch", bench_write_touch, 16, NULL, NULL},
    {"vm_fault_read_touch", bench_read_touch, 16, NULL, NULL},
    {"vm_fault_write_n0", bench_fault_0, 16, NULL, NULL},
    {"vm_fault_write_n100", bench_fault_100, 16, NULL, NULL},
    {"vm_fault_write_n1000", bench_fault_1000, 16, NULL, NULL},
    {"vm_fault_write_n10000", bench_fault_10000, 16, NULL, NULL},
    {"vm_fault_write_n60000", bench_fault_60000, 16, NULL, NULL},
    {"vm_map_unmap_n0", bench_map_0, 16, NULL, NULL},
    {"vm_map_unmap_n100", bench_map_100, 16, NULL, NULL},
    {"vm_map_unmap_n1000", bench_map_1000, 16, NULL, NULL},
    {"vm_map_unmap_n10000", bench_map_10000, 16, NULL, NULL},
    {"vm_map_unmap_n60000", bench_map_60000, 16, NULL, NULL},
};

const struct bench *vm_bench_table(unsigned *count)
{
	*count = ARRAY_SIZE(table);
	return table;
}
