/*
 * The boot summary of summary.h: one small function per topic.
 */
#include "kernel/summary.h"

#include <stdint.h>

#include "kernel/arch/x86_64/tsc.h"
#include "kernel/lib/log.h"
#include "kernel/memmap.h"
#include "kernel/memory/phys.h"
#include "kernel/version.h"

/* Pages as "MiB.hh" without floating point: 256 pages per MiB. */
static void print_pages(const char *label, uint64_t pages)
{
	log_info("  %-17s %10llu pages %8llu.%02llu MiB", label, (unsigned long long)pages,
		 (unsigned long long)(pages >> 8), (unsigned long long)((pages & 0xff) * 100 >> 8));
}

static void print_memory(const struct quire_boot_info *bi)
{
	const struct quire_mem_range *map = phys_to_virt(bi->memory_map);
	struct memmap_totals t;
	unsigned problems = memmap_check(map, bi->memory_map_count);

	memmap_totals(map, bi->memory_map_count, &t);
	log_info("memory map: %u entries, highest address 0x%llx%s", bi->memory_map_count,
		 (unsigned long long)t.highest_end, problems ? "" : ", sorted, no overlaps");
	if (problems)
		log_warn("memory map breaks the protocol: problem bits 0x%x (memmap.h)", problems);
	for (uint32_t type = 1; type < QUIRE_MEM_TYPE_COUNT; type++)
		print_pages(memmap_type_name(type), t.pages[type]);
	if (t.pages[0] != 0)
		print_pages("unknown types", t.pages[0]);
	print_pages("total usable", t.pages[QUIRE_MEM_USABLE]);
	print_pages("all entries", t.total_pages);
}

static const char *format_name(uint32_t format)
{
	switch (format) {
	case QUIRE_FB_RGBX8:
		return "RGBX8";
	case QUIRE_FB_BGRX8:
		return "BGRX8";
	case QUIRE_FB_BITMASK:
		return "bitmask";
	default:
		return "none";
	}
}

static void print_framebuffer(const struct quire_framebuffer *fb)
{
	if (fb->format == QUIRE_FB_NONE) {
		log_info("framebuffer: none");
		return;
	}
	log_info(
	    "framebuffer: %ux%u, %u pixels per line, %s (masks r %08x g %08x b %08x), GOP mode "
	    "%u",
	    fb->width, fb->height, fb->pixels_per_scan_line, format_name(fb->format), fb->red_mask,
	    fb->green_mask, fb->blue_mask, fb->gop_mode);
	log_info("  at 0x%llx, %llu KiB", (unsigned long long)fb->base,
		 (unsigned long long)(fb->size >> 10));
}

static void print_cmdline(const struct quire_boot_info *bi)
{
	const char *text = phys_to_virt(bi->cmdline);
	uint32_t len = bi->cmdline_len;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	log_info("command line: \"%.*s\"", (int)len, text);
}

static void print_phase(const char *label, uint64_t from, uint64_t to)
{
	if (from == 0 || to < from) {
		log_info("  %-38s n/a", label);
		return;
	}
	uint64_t ticks = to - from, us = tsc_ticks_to_us(ticks);
	log_info("  %-38s %14llu ticks %8llu.%03llu ms", label, (unsigned long long)ticks,
		 (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
}

static void print_loader(const struct quire_boot_info *bi)
{
	log_info("kernel image: phys 0x%llx virt 0x%llx, %llu KiB",
		 (unsigned long long)bi->kernel_phys_base, (unsigned long long)bi->kernel_virt_base,
		 (unsigned long long)(bi->kernel_size >> 10));
	log_info("ExitBootServices: %u attempt%s; allocation register: %u records",
		 bi->exit_boot_services_attempts, bi->exit_boot_services_attempts == 1 ? "" : "s",
		 bi->alloc_register_count);
	log_info("loader phases (TSC):");
	print_phase("loader entry -> before ExitBootServices", bi->tsc.entry,
		    bi->tsc.before_exit_boot_services);
	print_phase("before ExitBootServices -> jump", bi->tsc.before_exit_boot_services,
		    bi->tsc.before_jump);
	print_phase("jump -> kernel entry", bi->tsc.before_jump, tsc_entry());
	print_phase("loader entry -> kernel entry", bi->tsc.entry, tsc_entry());
}

void summary_print(const struct quire_boot_info *bi)
{
	log_info("%s", version_string());
	log_info("firmware: %s, revision %u.%u (0x%08x)", bi->firmware_vendor,
		 bi->firmware_revision >> 16, bi->firmware_revision & 0xffff,
		 bi->firmware_revision);
	log_info("TSC: %llu.%03llu MHz (%s, error bound %llu ppm)",
		 (unsigned long long)(tsc_hz() / 1000000),
		 (unsigned long long)(tsc_hz() / 1000 % 1000), tsc_source_name(tsc_source()),
		 (unsigned long long)tsc_error_ppm());
	print_memory(bi);
	print_framebuffer(&bi->framebuffer);
	if (bi->acpi_rsdp != 0)
		log_info("ACPI: RSDP at 0x%llx (ACPI %s)", (unsigned long long)bi->acpi_rsdp,
			 bi->acpi_revision >= 2 ? "2.0+" : "1.0");
	else
		log_info("ACPI: no RSDP");
	if (bi->initrd_size != 0)
		log_info("initrd: 0x%llx-0x%llx, %llu bytes", (unsigned long long)bi->initrd_base,
			 (unsigned long long)(bi->initrd_base + bi->initrd_size),
			 (unsigned long long)bi->initrd_size);
	else
		log_info("initrd: none");
	print_cmdline(bi);
	print_loader(bi);
}
