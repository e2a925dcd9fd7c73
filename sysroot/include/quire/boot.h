/*
 * The Quire boot protocol: what the loader (bootloader/) hands the kernel.
 *
 * This header is ABI shared by the loader, the kernel and the host tests. Every field has a fixed
 * width, every layout is checked by _Static_assert, and every address inside these structures is
 * PHYSICAL unless its name says otherwise. The kernel reaches physical memory through the linear
 * map: virt = phys + QUIRE_LINEAR_MAP_BASE.
 *
 * Machine state at the kernel entry point (ELF e_entry), documented in docs/boot-protocol.md:
 *   - long mode, CR0.PG|PE|WP set, CR4.PAE set, EFER.LME|NXE set, interrupts disabled;
 *   - CR3 = boot_info->pml4: the loader's tables (see the memory layout below), which also
 *     identity-map physical memory in the lower half so the loader survives its own CR3 switch;
 *     the kernel removes that identity map before anything else runs;
 *   - RDI = linear-map virtual address of the struct quire_boot_info;
 *   - RSP points into the loader's stack (identity-mapped low memory): the kernel switches to its
 *     own stack before calling C code; the firmware's GDT and IDT are still loaded.
 */
#pragma once

#include <stdint.h>

/* "QUIREBOO" read as a little-endian 64-bit word. */
#define QUIRE_BOOT_MAGIC   0x4f4f424552495551ull
/* Bumped on any incompatible change of the structures below or of the entry state. */
#define QUIRE_BOOT_VERSION 1u

/*
 * Virtual memory layout fixed by the protocol (48-bit, 4-level paging).
 *   0xffff800000000000  linear map of all physical memory, write-back (PML4 slots 256..)
 *   0xffffffff80000000  kernel image at its link address (PML4 slot 511, PDPT slot 510)
 * Every one of the 256 kernel-half PML4 slots (256..511) points to a PDPT allocated by the loader,
 * so a process's top-level table can copy the kernel half once and never needs syncing.
 */
#define QUIRE_KERNEL_HALF_BASE       0xffff800000000000ull
#define QUIRE_LINEAR_MAP_BASE        0xffff800000000000ull
#define QUIRE_LINEAR_MAP_MAX_SIZE    0x0000400000000000ull /* 64 TiB: PML4 slots 256..383 */
#define QUIRE_KERNEL_LINK_BASE       0xffffffff80000000ull
#define QUIRE_KERNEL_HALF_PML4_FIRST 256u
#define QUIRE_KERNEL_HALF_PML4_COUNT 256u

/*
 * The Quire version marker the loader requires in the kernel ELF: a PT_NOTE segment holding a note
 * with name "Quire" (QUIRE_NOTE_NAME, 6 bytes with its NUL), type QUIRE_NOTE_BOOT_PROTOCOL and a
 * 4-byte descriptor equal to the QUIRE_BOOT_VERSION the kernel was built against.
 */
#define QUIRE_NOTE_NAME          "Quire"
#define QUIRE_NOTE_BOOT_PROTOCOL 0x51424f31u /* "1OBQ": boot protocol version note */

/* Memory-map entry types (struct quire_mem_range.type), translated from UEFI types by the loader. */
enum {
	QUIRE_MEM_USABLE = 1,           /* EfiConventionalMemory */
	QUIRE_MEM_BOOT_SERVICES = 2,    /* EfiBootServicesCode/Data: free once the kernel is up */
	QUIRE_MEM_LOADER = 3,           /* EfiLoaderCode/Data: loader image, its stack and its
	                                   allocations (the register says which are still in use) */
	QUIRE_MEM_RUNTIME_SERVICES = 4, /* EfiRuntimeServicesCode/Data: keep forever */
	QUIRE_MEM_ACPI_RECLAIM = 5,     /* EfiACPIReclaimMemory: free once ACPI tables are read */
	QUIRE_MEM_ACPI_NVS = 6,         /* EfiACPIMemoryNVS: keep forever */
	QUIRE_MEM_MMIO = 7,             /* EfiMemoryMappedIO/PortSpace */
	QUIRE_MEM_RESERVED = 8,         /* EfiReservedMemoryType, EfiPalCode and unknown types */
	QUIRE_MEM_UNUSABLE = 9,         /* EfiUnusableMemory: reported bad */
	QUIRE_MEM_PERSISTENT = 10,      /* EfiPersistentMemory */
	QUIRE_MEM_TYPE_COUNT
};

/* One run of physical pages (4 KiB each). The map is sorted by base and has no overlaps. */
struct quire_mem_range {
	uint64_t base;  /* physical, 4 KiB aligned */
	uint64_t pages; /* number of 4 KiB pages, > 0 */
	uint32_t type;  /* QUIRE_MEM_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct quire_mem_range) == 24, "quire_mem_range layout");

/* What each allocation the loader made and left for the kernel holds (quire_alloc_record.kind). */
enum {
	QUIRE_ALLOC_KERNEL_IMAGE = 1, /* every PT_LOAD segment, one contiguous run */
	QUIRE_ALLOC_PAGE_TABLES = 2,  /* the initial PML4, PDPTs, PDs and PTs */
	QUIRE_ALLOC_BOOT_INFO = 3,    /* struct quire_boot_info and the arrays it points to */
	QUIRE_ALLOC_INITRD = 4,       /* the initrd archive, as read from the ESP */
	QUIRE_ALLOC_CMDLINE = 5,      /* the command line, NUL-terminated */
	QUIRE_ALLOC_KIND_COUNT
};

/* One allocation of the loader that the kernel must treat as used until it lets go of it. */
struct quire_alloc_record {
	uint64_t base;  /* physical, 4 KiB aligned */
	uint64_t pages; /* number of 4 KiB pages, > 0 */
	uint32_t kind;  /* QUIRE_ALLOC_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct quire_alloc_record) == 24, "quire_alloc_record layout");

/* Pixel formats (quire_framebuffer.format); all are 32 bits per pixel. */
enum {
	QUIRE_FB_NONE = 0,    /* no framebuffer (no GOP) */
	QUIRE_FB_RGBX8 = 1,   /* byte 0 red, 1 green, 2 blue, 3 reserved */
	QUIRE_FB_BGRX8 = 2,   /* byte 0 blue, 1 green, 2 red, 3 reserved */
	QUIRE_FB_BITMASK = 3, /* described by the masks below */
};

struct quire_framebuffer {
	uint64_t base;                 /* physical address of pixel (0, 0) */
	uint64_t size;                 /* bytes: at least height * pixels_per_scan_line * 4 */
	uint32_t width;                /* visible pixels per line */
	uint32_t height;               /* lines */
	uint32_t pixels_per_scan_line; /* stride in pixels, >= width */
	uint32_t format;               /* QUIRE_FB_* */
	uint32_t red_mask;             /* filled for every format, not only BITMASK */
	uint32_t green_mask;
	uint32_t blue_mask;
	uint32_t reserved_mask;
	uint32_t gop_mode; /* the GOP mode number the loader left set */
	uint32_t reserved;
};
_Static_assert(sizeof(struct quire_framebuffer) == 56, "quire_framebuffer layout");

/* TSC stamps the loader takes at its phases (raw RDTSC values). */
struct quire_loader_times {
	uint64_t entry; /* first instruction of efi_main */
	/* after the final memory map, before the first ExitBootServices attempt */
	uint64_t before_exit_boot_services;
	uint64_t before_jump; /* the last thing before the jump to the kernel */
};
_Static_assert(sizeof(struct quire_loader_times) == 24, "quire_loader_times layout");

#define QUIRE_FIRMWARE_VENDOR_MAX 64

struct quire_boot_info {
	uint64_t magic;   /* QUIRE_BOOT_MAGIC */
	uint32_t version; /* QUIRE_BOOT_VERSION */
	uint32_t size;    /* sizeof(struct quire_boot_info) as the loader built it */

	struct quire_framebuffer framebuffer;

	uint64_t memory_map; /* physical address of struct quire_mem_range[count] */
	uint32_t memory_map_count;
	uint32_t memory_map_entry_size; /* sizeof(struct quire_mem_range) */

	uint64_t alloc_register; /* physical address of struct quire_alloc_record[count] */
	uint32_t alloc_register_count;
	uint32_t alloc_register_entry_size; /* sizeof(struct quire_alloc_record) */

	uint64_t kernel_phys_base; /* where the lowest PT_LOAD page went */
	uint64_t kernel_virt_base; /* its link address (page aligned) */
	uint64_t kernel_size;      /* bytes, page aligned: phys and virt runs are both contiguous */

	uint64_t initrd_base; /* physical; 0 and size 0 when there is no initrd */
	uint64_t initrd_size; /* bytes */

	uint64_t cmdline;     /* physical address of a NUL-terminated string; never 0 */
	uint32_t cmdline_len; /* bytes before the NUL (0 when the ESP has no command line) */
	/* 2 when acpi_rsdp came from the ACPI 2.0 table, 1 for ACPI 1.0, 0 when there is none */
	uint32_t acpi_revision;
	uint64_t acpi_rsdp; /* physical address of the RSDP, 0 when the firmware gave none */

	uint64_t pml4; /* physical address of the top-level page table now in CR3 */

	struct quire_loader_times tsc;

	uint32_t firmware_revision;
	uint32_t exit_boot_services_attempts; /* 1 when the first ExitBootServices call succeeded */
	char
	    firmware_vendor[QUIRE_FIRMWARE_VENDOR_MAX]; /* ASCII, NUL-terminated ('?' for others) */
};
_Static_assert(sizeof(struct quire_boot_info) == 272, "quire_boot_info layout");
_Static_assert(__builtin_offsetof(struct quire_boot_info, framebuffer) == 16, "boot_info layout");
_Static_assert(__builtin_offsetof(struct quire_boot_info, memory_map) == 72, "boot_info layout");
_Static_assert(__builtin_offsetof(struct quire_boot_info, tsc) == 176, "boot_info layout");
_Static_assert(__builtin_offsetof(struct quire_boot_info, firmware_vendor) == 208,
	       "boot_info layout");
