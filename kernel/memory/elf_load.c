/*
 * User ELF loading: see elf_load.h for the rules. Fields are copied out of the file with memcpy
 * (the file has no alignment promise); every offset and size is compared with what is left of
 * the file, never added to something first, so no field can make a sum wrap.
 */
#include "kernel/memory/elf_load.h"

#include <stdbool.h>
#include <stddef.h>

#include "kernel/lib/string.h"
#include "kernel/panic.h"

#define PAGE      4096ull
#define PAGE_MASK (PAGE - 1)

static uint64_t page_down(uint64_t v)
{
	return v & ~PAGE_MASK;
}

/* Rounds up; V is below ELF_LOAD_HIGHEST wherever this is used, so it cannot wrap. */
static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

static enum elf_load_reason check_header(const uint8_t *f, uint64_t size, struct elf64_ehdr *eh)
{
	if (size < sizeof(*eh))
		return ELF_LOAD_TOO_SMALL;
	memcpy(eh, f, sizeof(*eh));
	if (eh->e_ident[0] != ELF_MAG0 || eh->e_ident[1] != ELF_MAG1 ||
	    eh->e_ident[2] != ELF_MAG2 || eh->e_ident[3] != ELF_MAG3)
		return ELF_LOAD_BAD_MAGIC;
	if (eh->e_ident[ELF_EI_CLASS] != ELF_CLASS64)
		return ELF_LOAD_NOT_64BIT;
	if (eh->e_ident[ELF_EI_DATA] != ELF_DATA2LSB)
		return ELF_LOAD_NOT_LITTLE_ENDIAN;
	if (eh->e_ident[ELF_EI_VER] != ELF_EV_CURRENT || eh->e_version != ELF_EV_CURRENT)
		return ELF_LOAD_BAD_VERSION;
	if (eh->e_machine != ELF_EM_X86_64)
		return ELF_LOAD_WRONG_MACHINE;
	if (eh->e_type != ELF_ET_EXEC)
		return ELF_LOAD_NOT_EXECUTABLE;
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return ELF_LOAD_BAD_PHDR_SIZE;
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_LOAD_MAX_PHDRS)
		return ELF_LOAD_BAD_PHDR_COUNT;
	uint64_t table = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
	if (eh->e_phoff > size || table > size - eh->e_phoff)
		return ELF_LOAD_PHDRS_OUTSIDE;
	return ELF_LOAD_OK;
}

static unsigned prot_of(uint32_t flags)
{
	unsigned prot = VM_PROT_READ;

	if (flags & ELF_PF_W)
		prot |= VM_PROT_WRITE;
	if (flags & ELF_PF_X)
		prot |= VM_PROT_EXEC;
	return prot;
}

/* One PT_LOAD with memsz > 0, checked on its own. */
static enum elf_load_reason check_segment(const struct elf64_phdr *ph, uint64_t size,
					  struct elf_load_segment *out)
{
	if (ph->p_filesz > ph->p_memsz)
		return ELF_LOAD_SEGMENT_FILESZ;
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return ELF_LOAD_SEGMENT_OUTSIDE;
	if (ph->p_vaddr < ELF_LOAD_LOWEST || ph->p_vaddr >= ELF_LOAD_HIGHEST ||
	    ph->p_memsz > ELF_LOAD_HIGHEST - ph->p_vaddr)
		return ELF_LOAD_SEGMENT_RANGE;
	if ((ph->p_offset & PAGE_MASK) != (ph->p_vaddr & PAGE_MASK))
		return ELF_LOAD_SEGMENT_ALIGN;
	if ((ph->p_flags & ELF_PF_W) && (ph->p_flags & ELF_PF_X))
		return ELF_LOAD_SEGMENT_WX;
	*out = (struct elf_load_segment){.vaddr = ph->p_vaddr,
					 .memsz = ph->p_memsz,
					 .offset = ph->p_offset,
					 .filesz = ph->p_filesz,
					 .prot = prot_of(ph->p_flags)};
	return ELF_LOAD_OK;
}

static bool share_a_page(const struct elf_load_segment *a, const struct elf_load_segment *b)
{
	return page_down(a->vaddr) < page_up(b->vaddr + b->memsz) &&
	       page_down(b->vaddr) < page_up(a->vaddr + a->memsz);
}

static bool entry_ok(const struct elf_load_plan *plan)
{
	for (unsigned i = 0; i < plan->count; i++) {
		const struct elf_load_segment *s = &plan->segment[i];
		if ((s->prot & VM_PROT_EXEC) && plan->entry >= s->vaddr &&
		    plan->entry - s->vaddr < s->memsz)
			return true;
	}
	return false;
}

enum elf_load_reason elf_load_check(const void *file, uint64_t size, struct elf_load_plan *plan)
{
	const uint8_t *f = file;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	enum elf_load_reason r;

	if ((r = check_header(f, size, &eh)) != ELF_LOAD_OK)
		return r;
	plan->count = 0;
	plan->entry = eh.e_entry;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, f + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == ELF_PT_INTERP)
			return ELF_LOAD_INTERP;
		if (ph.p_type == ELF_PT_DYNAMIC)
			return ELF_LOAD_DYNAMIC;
		if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
			continue; /* notes, PT_GNU_STACK and the like: nothing to load */
		if (plan->count == ELF_LOAD_MAX_SEGMENTS)
			return ELF_LOAD_TOO_MANY_SEGMENTS;
		struct elf_load_segment *seg = &plan->segment[plan->count];
		if ((r = check_segment(&ph, size, seg)) != ELF_LOAD_OK)
			return r;
		for (unsigned j = 0; j < plan->count; j++)
			if (share_a_page(&plan->segment[j], seg))
				return ELF_LOAD_SEGMENT_OVERLAP;
		plan->count++;
	}
	if (plan->count == 0)
		return ELF_LOAD_NO_SEGMENTS;
	if (!entry_ok(plan))
		return ELF_LOAD_BAD_ENTRY;
	return ELF_LOAD_OK;
}

/*
 * Puts the file bytes of SEG into AREA (unmapped, so nobody else sees it yet): each page that
 * holds file bytes gets its frame now, through the area's own get_page as a write would, and
 * the bytes are copied through the linear map. Fresh frames are zeroed, so the bytes around the
 * file bytes (before the segment's start, bss in its last file page) are zero.
 */
static enum elf_load_reason fill(struct vm_area *area, const struct elf_load_segment *seg,
				 const uint8_t *file)
{
	vaddr_t first = page_down(seg->vaddr);
	vaddr_t va = seg->vaddr;
	uint64_t done = 0;

	while (done < seg->filesz) {
		struct vm_page_ref ref;
		uint64_t in_page = va & PAGE_MASK;
		uint64_t n = PAGE - in_page;
		if (n > seg->filesz - done)
			n = seg->filesz - done;
		if (area->ops->get_page(area, (va - first) / PAGE, VM_PROT_WRITE, &ref) !=
		    VM_FAULT_OK)
			return ELF_LOAD_NO_MEMORY;
		kassert(!ref.read_only);
		memcpy((uint8_t *)phys_to_virt(ref.pa) + in_page, file + seg->offset + done, n);
		done += n;
		va += n;
	}
	return ELF_LOAD_OK;
}

static enum elf_load_reason reason_of(kerr_t err)
{
	return err == KERR_EXISTS ? ELF_LOAD_ADDRESS_IN_USE : ELF_LOAD_NO_MEMORY;
}

/* One segment: an area of its pages, filled, mapped at its address, file pages made present. */
static enum elf_load_reason load_segment(struct vm_space *space, const struct elf_load_segment *seg,
					 const uint8_t *file, vaddr_t *base_out)
{
	vaddr_t first = page_down(seg->vaddr);
	uint64_t pages = (page_up(seg->vaddr + seg->memsz) - first) / PAGE;
	uint64_t file_pages = (page_up(seg->vaddr + seg->filesz) - first) / PAGE;
	struct vm_area *area;
	enum elf_load_reason r;
	kerr_t err;

	if ((err = vm_area_create_open(pages, seg->prot, &area)) != KERR_OK)
		return err == KERR_NO_MEMORY ? ELF_LOAD_NO_MEMORY : ELF_LOAD_SEGMENT_RANGE;
	if ((r = fill(area, seg, file)) != ELF_LOAD_OK)
		goto put_area;
	err = vm_space_map(space, area, 0, first, pages, seg->prot, base_out);
	if (err != KERR_OK) {
		r = reason_of(err);
		goto put_area;
	}
	vm_area_put(area); /* the mapping holds it now */
	if (seg->filesz != 0 && (err = vm_space_populate(space, first, file_pages)) != KERR_OK) {
		kerr_t unmapped = vm_space_unmap(space, first);
		kassert(unmapped == KERR_OK);
		return reason_of(err);
	}
	return ELF_LOAD_OK;

put_area:
	vm_area_put(area); /* the last reference: its frames go with it */
	return r;
}

static enum elf_load_reason load_stack(struct vm_space *space, struct elf_load_image *image)
{
	uint64_t total = ELF_LOAD_STACK_PAGES + 2 * ELF_LOAD_STACK_GUARD;
	vaddr_t base = ELF_LOAD_STACK_TOP - (ELF_LOAD_STACK_PAGES + ELF_LOAD_STACK_GUARD) * PAGE;
	struct vm_area *area;
	kerr_t err;

	err = vm_area_create_guarded(ELF_LOAD_STACK_PAGES, ELF_LOAD_STACK_GUARD,
				     ELF_LOAD_STACK_GUARD, VM_PROT_READ | VM_PROT_WRITE, &area);
	if (err != KERR_OK)
		return ELF_LOAD_NO_MEMORY;
	err = vm_space_map(space, area, 0, base, total, VM_PROT_READ | VM_PROT_WRITE,
			   &image->stack_mapping);
	vm_area_put(area); /* the mapping's reference keeps it, or it goes now */
	if (err != KERR_OK)
		return reason_of(err);
	image->stack_top = ELF_LOAD_STACK_TOP;
	image->stack_base = base + ELF_LOAD_STACK_GUARD * PAGE;
	return ELF_LOAD_OK;
}

void elf_load_unload(struct vm_space *space, const struct elf_load_image *image)
{
	for (unsigned i = 0; i < image->count; i++) {
		kerr_t err = vm_space_unmap(space, image->segment_base[i]);
		kassert(err == KERR_OK);
	}
	if (image->stack_mapping != 0) {
		kerr_t err = vm_space_unmap(space, image->stack_mapping);
		kassert(err == KERR_OK);
	}
}

static enum elf_load_reason load(struct vm_space *space, const uint8_t *file, uint64_t size,
				 struct elf_load_image *image)
{
	struct elf_load_plan plan;
	enum elf_load_reason r;

	*image = (struct elf_load_image){0};
	if ((r = elf_load_check(file, size, &plan)) != ELF_LOAD_OK)
		return r;
	for (unsigned i = 0; i < plan.count; i++) {
		r = load_segment(space, &plan.segment[i], file, &image->segment_base[i]);
		if (r != ELF_LOAD_OK)
			goto unload;
		image->count++;
	}
	if ((r = load_stack(space, image)) != ELF_LOAD_OK)
		goto unload;
	image->entry = plan.entry;
	return ELF_LOAD_OK;

unload:
	elf_load_unload(space, image);
	*image = (struct elf_load_image){0};
	return r;
}

kerr_t elf_load(struct vm_space *space, const void *file, uint64_t size,
		struct elf_load_image *image, enum elf_load_reason *why)
{
	kassert(space != NULL && space->user);
	enum elf_load_reason r = load(space, file, size, image);
	if (why != NULL)
		*why = r;
	return elf_load_reason_kerr(r);
}

static const char *const reason_names[ELF_LOAD_REASON_COUNT] = {
    [ELF_LOAD_OK] = "ok",
    [ELF_LOAD_TOO_SMALL] = "file too small for an ELF header",
    [ELF_LOAD_BAD_MAGIC] = "not an ELF file",
    [ELF_LOAD_NOT_64BIT] = "not ELF-64",
    [ELF_LOAD_NOT_LITTLE_ENDIAN] = "not little-endian",
    [ELF_LOAD_BAD_VERSION] = "unknown ELF version",
    [ELF_LOAD_WRONG_MACHINE] = "not x86-64",
    [ELF_LOAD_NOT_EXECUTABLE] = "not an executable (ET_EXEC)",
    [ELF_LOAD_BAD_PHDR_SIZE] = "bad program header size",
    [ELF_LOAD_BAD_PHDR_COUNT] = "bad program header count",
    [ELF_LOAD_PHDRS_OUTSIDE] = "program headers outside the file",
    [ELF_LOAD_INTERP] = "interpreter (PT_INTERP) not supported",
    [ELF_LOAD_DYNAMIC] = "dynamic linking (PT_DYNAMIC) not supported",
    [ELF_LOAD_SEGMENT_FILESZ] = "segment filesz exceeds memsz",
    [ELF_LOAD_SEGMENT_OUTSIDE] = "segment outside the file",
    [ELF_LOAD_SEGMENT_RANGE] = "segment outside the user range",
    [ELF_LOAD_SEGMENT_ALIGN] = "segment offset and address differ modulo the page size",
    [ELF_LOAD_SEGMENT_WX] = "segment is writable and executable",
    [ELF_LOAD_SEGMENT_OVERLAP] = "segments overlap",
    [ELF_LOAD_TOO_MANY_SEGMENTS] = "too many segments",
    [ELF_LOAD_NO_SEGMENTS] = "no loadable segment",
    [ELF_LOAD_BAD_ENTRY] = "entry point not in an executable segment",
    [ELF_LOAD_ADDRESS_IN_USE] = "address already in use",
    [ELF_LOAD_NO_MEMORY] = "out of memory",
};

const char *elf_load_reason_name(enum elf_load_reason reason)
{
	if ((unsigned)reason >= ELF_LOAD_REASON_COUNT)
		return "?";
	return reason_names[reason];
}

kerr_t elf_load_reason_kerr(enum elf_load_reason reason)
{
	switch (reason) {
	case ELF_LOAD_OK:
		return KERR_OK;
	case ELF_LOAD_INTERP:
	case ELF_LOAD_DYNAMIC:
		return KERR_UNSUPPORTED;
	case ELF_LOAD_ADDRESS_IN_USE:
		return KERR_EXISTS;
	case ELF_LOAD_NO_MEMORY:
		return KERR_NO_MEMORY;
	default:
		return KERR_INVALID;
	}
}
