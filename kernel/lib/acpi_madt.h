/*
 * The processors the firmware lists in ACPI's MADT ("APIC" table).
 *
 * Model: a pure parser over physical memory that the caller maps (acpi_map_fn), so that the
 * kernel reaches the tables through its linear map and the host tests through buffers of exactly
 * each table's size. The path is RSDP -> XSDT (64-bit entries; ACPI 2.0+ RSDP with a non-zero
 * XSDT address) or RSDT (32-bit entries) -> the first table signed "APIC" -> its processor
 * entries: type 0 (processor local APIC) and type 9 (processor local x2APIC). Type 5 (local APIC
 * address override) replaces the 32-bit local APIC address.
 *
 * Nothing is trusted: every table is mapped header first, its signature and length checked, then
 * mapped whole and its checksum checked before any byte past the header is read; the RSDP's
 * checksums (20 bytes; the whole extended structure for 2.0+) likewise. Every entry of the MADT
 * must fit its table and be long enough for its type, so the parser never reads outside what
 * it mapped, whatever the firmware wrote. A root-table entry that cannot be mapped is skipped;
 * a broken RSDP, root table or MADT is an error with the reason.
 *
 * A processor counts when its flags say enabled (bit 0) or online capable (bit 1: absent now,
 * may be hot-added; the caller decides what to do with it). Others are counted and dropped, as
 * are repeated APIC IDs (a machine may list one CPU as both type 0 and type 9).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/kerr.h"

/*
 * Maps LEN bytes of physical memory at PA for reading; returns where they can be read, or NULL
 * when they cannot be reached (beyond the linear map, for instance). LEN is never 0. What it
 * returns must stay readable until acpi_madt_parse() returns (several tables are held at once).
 */
typedef const void *(*acpi_map_fn)(uint64_t pa, uint64_t len, void *ctx);

/* Processor flags (ACPI 6.5, tables 5.23 and 5.38). */
#define ACPI_MADT_ENABLED        (1u << 0)
#define ACPI_MADT_ONLINE_CAPABLE (1u << 1)

/* Sanity bound on the length of any table read here: the MADT of a huge machine is tens of KiB. */
#define ACPI_TABLE_MAX_LENGTH (1u << 20)

struct acpi_madt_cpu {
	uint32_t apic_id; /* local APIC ID (8 bits for type 0, 32 for type 9) */
	uint32_t uid;     /* ACPI processor UID */
	uint32_t flags;   /* ACPI_MADT_ENABLED and/or ACPI_MADT_ONLINE_CAPABLE */
	bool x2apic;      /* listed by a type 9 entry */
};

struct acpi_madt {
	uint8_t rsdp_revision;  /* 0 for ACPI 1.0, 2 and up for 2.0+ */
	bool xsdt;              /* the root table was the XSDT (else the RSDT) */
	uint64_t madt_pa;       /* the MADT's physical address */
	uint32_t madt_length;   /* its length in bytes */
	uint64_t lapic_address; /* the local APICs' physical address (type 5 applied) */
	uint32_t madt_flags;    /* bit 0: PC-AT compatible 8259s present */
	unsigned cpu_count;     /* entries written to the caller's array */
	unsigned cpus_listed;   /* enabled or online-capable processors (may exceed cpu_count) */
	unsigned cpus_disabled; /* processor entries neither enabled nor online capable */
	unsigned duplicates;    /* processor entries repeating an APIC ID already stored */
	unsigned unmapped;      /* root-table entries that could not be mapped (skipped) */
	const char *error;      /* on failure: what was wrong, for the log */
};

/*
 * acpi_madt_parse - follows RSDP_PA to the MADT and stores up to MAX processors, in table order,
 * in CPUS (MAX may be 0); *OUT receives what was found (always written; out->error names the
 * problem on failure). MAP reaches physical memory and gets CTX. Pure: no allocation, no state.
 * Errors: KERR_NOT_FOUND (RSDP_PA is 0, or the root table lists no MADT), KERR_INVALID (a
 * signature, checksum or length that is wrong, a table that cannot be mapped, an MADT entry
 * that is truncated or too short for its type).
 */
kerr_t acpi_madt_parse(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_madt_cpu *cpus,
		       unsigned max, struct acpi_madt *out);
