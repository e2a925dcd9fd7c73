/*
 * UEFI -> Quire memory-map translation. The model is a sweep over physical addresses: every
 * descriptor start and end is a boundary, and between two neighbouring boundaries the type is
 * that of the descriptors covering the piece. Firmware maps come unsorted, and the specification
 * does not let the loader assume they are free of overlaps, so the sweep resolves them the safe
 * way: where descriptors overlap, the most restrictive type wins (the rank table below), so no
 * byte that any descriptor calls reserved is ever handed out as usable.
 *
 * Descriptor bounds are rounded to whole pages the same conservative way: types the kernel may
 * hand out shrink to the pages they fully cover, every other type grows to the pages it touches.
 *
 * The loader runs this between its final GetMemoryMap and ExitBootServices, where it may not
 * allocate and should not dawdle (the longer the window, the likelier a firmware event makes the
 * map key stale). So there are two paths, both without scratch memory: a map that is already
 * sorted and free of overlaps after rounding (OVMF's always is) is copied in one pass; any other
 * map takes the general sweep, which finds each next boundary by rescanning the map, O(n^2) for
 * n descriptors (a few hundred at most). For an ordered map both give the same result.
 */
#include "bootloader/memmap_convert.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)
#define PAGE_MASK  (PAGE_SIZE - 1)
/* The highest page-aligned address: ranges are clamped below it so rounding never wraps. */
#define ADDR_LIMIT (~0ull & ~PAGE_MASK)

/* One descriptor as a half-open, page-aligned byte range. */
struct span {
	uint64_t start;
	uint64_t end;
	uint32_t type;
};

static const uint32_t quire_type_of[] = {
    [UEFI_RESERVED_MEMORY] = QUIRE_MEM_RESERVED,
    [UEFI_LOADER_CODE] = QUIRE_MEM_LOADER,
    [UEFI_LOADER_DATA] = QUIRE_MEM_LOADER,
    [UEFI_BOOT_SERVICES_CODE] = QUIRE_MEM_BOOT_SERVICES,
    [UEFI_BOOT_SERVICES_DATA] = QUIRE_MEM_BOOT_SERVICES,
    [UEFI_RUNTIME_SERVICES_CODE] = QUIRE_MEM_RUNTIME_SERVICES,
    [UEFI_RUNTIME_SERVICES_DATA] = QUIRE_MEM_RUNTIME_SERVICES,
    [UEFI_CONVENTIONAL_MEMORY] = QUIRE_MEM_USABLE,
    [UEFI_UNUSABLE_MEMORY] = QUIRE_MEM_UNUSABLE,
    [UEFI_ACPI_RECLAIM_MEMORY] = QUIRE_MEM_ACPI_RECLAIM,
    [UEFI_ACPI_MEMORY_NVS] = QUIRE_MEM_ACPI_NVS,
    [UEFI_MEMORY_MAPPED_IO] = QUIRE_MEM_MMIO,
    [UEFI_MEMORY_MAPPED_IO_PORT_SPACE] = QUIRE_MEM_MMIO,
    [UEFI_PAL_CODE] = QUIRE_MEM_RESERVED,
    [UEFI_PERSISTENT_MEMORY] = QUIRE_MEM_PERSISTENT,
    /* Unaccepted memory must be accepted (TDX/SEV-SNP) before use; Quire cannot yet. */
    [UEFI_UNACCEPTED_MEMORY] = QUIRE_MEM_RESERVED,
};

/* Overlap resolution order: a higher rank wins. Free memory loses to anything, firmware-owned
 * memory beats memory the kernel may reclaim, and what nobody may touch beats everything. */
static const uint8_t rank_of[QUIRE_MEM_TYPE_COUNT] = {
    [QUIRE_MEM_USABLE] = 1,       [QUIRE_MEM_BOOT_SERVICES] = 2, [QUIRE_MEM_LOADER] = 3,
    [QUIRE_MEM_ACPI_RECLAIM] = 4, [QUIRE_MEM_PERSISTENT] = 5,    [QUIRE_MEM_RUNTIME_SERVICES] = 6,
    [QUIRE_MEM_ACPI_NVS] = 7,     [QUIRE_MEM_UNUSABLE] = 8,      [QUIRE_MEM_MMIO] = 9,
    [QUIRE_MEM_RESERVED] = 10,
};

uint32_t memmap_convert_type(uint32_t uefi_type)
{
	if (uefi_type >= sizeof(quire_type_of) / sizeof(quire_type_of[0]))
		return QUIRE_MEM_RESERVED;
	return quire_type_of[uefi_type];
}

size_t memmap_convert_capacity(size_t descriptors)
{
	/* n descriptors have at most 2n boundaries, so at most 2n - 1 pieces between them. */
	return 2 * descriptors;
}

/* Types the kernel may give away once it is up: rounded inwards, never past their bounds. */
static int reclaimable(uint32_t type)
{
	return type == QUIRE_MEM_USABLE || type == QUIRE_MEM_BOOT_SERVICES ||
	       type == QUIRE_MEM_LOADER;
}

/* Reads descriptor `i` as a span; returns 0 when it covers no whole page. */
static int read_span(const unsigned char *map, size_t i, size_t desc_size, struct span *s)
{
	struct uefi_memory_descriptor d;

	__builtin_memcpy(&d, map + i * desc_size, sizeof(d));
	s->type = memmap_convert_type(d.type);
	if (d.physical_start >= ADDR_LIMIT)
		return 0;
	uint64_t end = ADDR_LIMIT;
	if (d.number_of_pages < (ADDR_LIMIT - d.physical_start) >> PAGE_SHIFT)
		end = d.physical_start + (d.number_of_pages << PAGE_SHIFT);
	if (reclaimable(s->type)) {
		s->start = (d.physical_start + PAGE_MASK) & ~PAGE_MASK;
		s->end = end & ~PAGE_MASK;
	} else {
		s->start = d.physical_start & ~PAGE_MASK;
		s->end = (end + PAGE_MASK) & ~PAGE_MASK;
	}
	return s->start < s->end;
}

/* Appends [start, end) of `type`, merged into the previous range when they touch and match. */
static enum memmap_convert_result emit(struct quire_mem_range *out, size_t capacity, size_t *count,
				       uint64_t start, uint64_t end, uint32_t type)
{
	if (*count > 0) {
		struct quire_mem_range *last = &out[*count - 1];

		if (last->type == type && last->base + (last->pages << PAGE_SHIFT) == start) {
			last->pages += (end - start) >> PAGE_SHIFT;
			return MEMMAP_CONVERT_OK;
		}
	}
	if (*count == capacity)
		return MEMMAP_CONVERT_NO_ROOM;
	out[*count] = (struct quire_mem_range){
	    .base = start, .pages = (end - start) >> PAGE_SHIFT, .type = type};
	(*count)++;
	return MEMMAP_CONVERT_OK;
}

/* What the sweep learns at one position: the winning type there, and where that piece ends. */
struct piece {
	int covered;
	uint32_t type;
	uint64_t next; /* the nearest boundary after the position; ~0 when there is none */
};

static void look_at(const unsigned char *map, size_t n, size_t desc_size, uint64_t pos,
		    struct piece *p)
{
	*p = (struct piece){.covered = 0, .type = 0, .next = ~0ull};
	for (size_t i = 0; i < n; i++) {
		struct span s;

		if (!read_span(map, i, desc_size, &s))
			continue;
		if (s.start > pos) {
			if (s.start < p->next)
				p->next = s.start;
		} else if (s.end > pos) {
			if (!p->covered || rank_of[s.type] > rank_of[p->type])
				p->type = s.type;
			p->covered = 1;
			if (s.end < p->next)
				p->next = s.end;
		}
	}
}

/* Whether the spans come in address order without overlapping: the fast path applies. */
static int ordered(const unsigned char *map, size_t n, size_t desc_size)
{
	uint64_t end = 0;

	for (size_t i = 0; i < n; i++) {
		struct span s;

		if (!read_span(map, i, desc_size, &s))
			continue;
		if (s.start < end)
			return 0;
		end = s.end;
	}
	return 1;
}

static enum memmap_convert_result copy_in_order(const unsigned char *map, size_t n,
						size_t desc_size, struct quire_mem_range *out,
						size_t capacity, size_t *count)
{
	for (size_t i = 0; i < n; i++) {
		struct span s;

		if (!read_span(map, i, desc_size, &s))
			continue;
		enum memmap_convert_result r = emit(out, capacity, count, s.start, s.end, s.type);
		if (r != MEMMAP_CONVERT_OK)
			return r;
	}
	return MEMMAP_CONVERT_OK;
}

static enum memmap_convert_result sweep(const unsigned char *map, size_t n, size_t desc_size,
					struct quire_mem_range *out, size_t capacity, size_t *count)
{
	uint64_t pos = 0;

	for (;;) {
		struct piece p;

		look_at(map, n, desc_size, pos, &p);
		if (p.next == ~0ull)
			return MEMMAP_CONVERT_OK;
		if (p.covered) {
			enum memmap_convert_result r =
			    emit(out, capacity, count, pos, p.next, p.type);

			if (r != MEMMAP_CONVERT_OK)
				return r;
		}
		pos = p.next;
	}
}

enum memmap_convert_result memmap_convert(const void *map, size_t map_size, size_t desc_size,
					  struct quire_mem_range *out, size_t capacity,
					  size_t *count)
{
	*count = 0;
	if (desc_size < sizeof(struct uefi_memory_descriptor))
		return MEMMAP_CONVERT_BAD_DESCRIPTOR_SIZE;
	size_t n = map_size / desc_size;
	if (ordered(map, n, desc_size))
		return copy_in_order(map, n, desc_size, out, capacity, count);
	return sweep(map, n, desc_size, out, capacity, count);
}

uint64_t memmap_convert_ram_end(const void *map, size_t map_size, size_t desc_size)
{
	uint64_t end = 0;

	if (desc_size < sizeof(struct uefi_memory_descriptor))
		return 0;
	for (size_t i = 0; i < map_size / desc_size; i++) {
		struct span s;

		if (read_span(map, i, desc_size, &s) && s.type != QUIRE_MEM_MMIO && s.end > end)
			end = s.end;
	}
	return end;
}
