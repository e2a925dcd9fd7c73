/*
 * The MADT parser of acpi_madt.h. Multi-byte fields are read byte by byte (ACPI tables are
 * packed; nothing is aligned), and every length is compared with what is left of the mapped
 * table before it is used, never added to an offset first, so no sum can wrap.
 */
#include "kernel/lib/acpi_madt.h"

#include "kernel/lib/string.h"

#define RSDP_V1_LENGTH   20u /* signature, checksum, OEM ID, revision, RSDT address */
#define RSDP_V2_LENGTH   36u /* + length, XSDT address, extended checksum, reserved */
#define SDT_HEADER       36u /* signature, length, revision, checksum, OEM fields, creator */
#define MADT_FIXED       44u /* the header + local APIC address + flags */
#define MADT_LAPIC       0u  /* processor local APIC */
#define MADT_LAPIC_OVR   5u  /* local APIC address override */
#define MADT_X2APIC      9u  /* processor local x2APIC */
#define LAPIC_LENGTH     8u
#define LAPIC_OVR_LENGTH 12u
#define X2APIC_LENGTH    16u

/* What one parse carries around. */
struct parse {
	acpi_map_fn map;
	void *ctx;
	struct acpi_madt_cpu *cpus;
	unsigned max;
	struct acpi_madt *out;
};

static uint32_t read32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t read64(const uint8_t *p)
{
	return (uint64_t)read32(p) | (uint64_t)read32(p + 4) << 32;
}

/* ACPI checksums: the bytes of the structure, checksum included, sum to 0 modulo 256. */
static bool sums_to_zero(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	for (uint64_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

static kerr_t fail(struct parse *ps, kerr_t err, const char *why)
{
	ps->out->error = why;
	return err;
}

/* The RSDP: the root table's address, its entry size and signature. */
static kerr_t read_rsdp(struct parse *ps, uint64_t pa, uint64_t *root, unsigned *entry_size)
{
	const uint8_t *p = ps->map(pa, RSDP_V1_LENGTH, ps->ctx);

	if (p == NULL)
		return fail(ps, KERR_INVALID, "the RSDP cannot be mapped");
	if (memcmp(p, "RSD PTR ", 8) != 0)
		return fail(ps, KERR_INVALID, "the RSDP has a bad signature");
	if (!sums_to_zero(p, RSDP_V1_LENGTH))
		return fail(ps, KERR_INVALID, "the RSDP's checksum is wrong");
	ps->out->rsdp_revision = p[15];
	if (p[15] < 2) {
		*root = read32(p + 16);
		*entry_size = 4;
		return *root != 0 ? KERR_OK : fail(ps, KERR_INVALID, "the RSDP has no RSDT");
	}
	p = ps->map(pa, RSDP_V2_LENGTH, ps->ctx);
	if (p == NULL)
		return fail(ps, KERR_INVALID, "the ACPI 2.0 RSDP cannot be mapped");
	uint32_t length = read32(p + 20);
	if (length < RSDP_V2_LENGTH || length > ACPI_TABLE_MAX_LENGTH)
		return fail(ps, KERR_INVALID, "the ACPI 2.0 RSDP has a bad length");
	p = ps->map(pa, length, ps->ctx);
	if (p == NULL)
		return fail(ps, KERR_INVALID, "the ACPI 2.0 RSDP cannot be mapped");
	if (!sums_to_zero(p, length))
		return fail(ps, KERR_INVALID, "the RSDP's extended checksum is wrong");
	*root = read64(p + 24);
	*entry_size = 8;
	if (*root != 0) {
		ps->out->xsdt = true;
		return KERR_OK;
	}
	/* An ACPI 2.0 RSDP without an XSDT: the RSDT still works. */
	*root = read32(p + 16);
	*entry_size = 4;
	return *root != 0 ? KERR_OK : fail(ps, KERR_INVALID, "the RSDP has neither XSDT nor RSDT");
}

/*
 * Maps the table at PA signed SIG whole, checks its length and checksum; *LENGTH receives its
 * length. WHAT names it in errors ("the XSDT ...").
 */
static kerr_t load_table(struct parse *ps, uint64_t pa, const char *sig, uint32_t min_length,
			 const uint8_t **table, uint32_t *length, const char *const why[4])
{
	const uint8_t *p = ps->map(pa, SDT_HEADER, ps->ctx);

	if (p == NULL)
		return fail(ps, KERR_INVALID, why[0]);
	if (memcmp(p, sig, 4) != 0)
		return fail(ps, KERR_INVALID, why[1]);
	*length = read32(p + 4);
	if (*length < min_length || *length > ACPI_TABLE_MAX_LENGTH)
		return fail(ps, KERR_INVALID, why[2]);
	p = ps->map(pa, *length, ps->ctx);
	if (p == NULL)
		return fail(ps, KERR_INVALID, why[0]);
	if (!sums_to_zero(p, *length))
		return fail(ps, KERR_INVALID, why[3]);
	*table = p;
	return KERR_OK;
}

/* Stores one processor entry, unless it is disabled or its APIC ID is already stored. */
static void add_cpu(struct parse *ps, struct acpi_madt_cpu cpu)
{
	struct acpi_madt *out = ps->out;

	if ((cpu.flags & (ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE)) == 0) {
		out->cpus_disabled++;
		return;
	}
	for (unsigned i = 0; i < out->cpu_count; i++) {
		if (ps->cpus[i].apic_id == cpu.apic_id) {
			out->duplicates++;
			return;
		}
	}
	out->cpus_listed++;
	if (out->cpu_count < ps->max)
		ps->cpus[out->cpu_count++] = cpu;
}

/* One MADT entry of TYPE at E, LEN bytes (at least 2, inside the table). */
static kerr_t parse_entry(struct parse *ps, const uint8_t *e, uint8_t type, uint8_t len)
{
	switch (type) {
	case MADT_LAPIC:
		if (len < LAPIC_LENGTH)
			return fail(ps, KERR_INVALID, "an MADT local APIC entry is too short");
		add_cpu(ps, (struct acpi_madt_cpu){
				.apic_id = e[3], .uid = e[2], .flags = read32(e + 4)});
		return KERR_OK;
	case MADT_X2APIC:
		if (len < X2APIC_LENGTH)
			return fail(ps, KERR_INVALID, "an MADT local x2APIC entry is too short");
		add_cpu(ps, (struct acpi_madt_cpu){.apic_id = read32(e + 4),
						   .uid = read32(e + 12),
						   .flags = read32(e + 8),
						   .x2apic = true});
		return KERR_OK;
	case MADT_LAPIC_OVR:
		if (len < LAPIC_OVR_LENGTH)
			return fail(ps, KERR_INVALID, "an MADT APIC address override is too short");
		ps->out->lapic_address = read64(e + 4);
		return KERR_OK;
	default:
		return KERR_OK; /* I/O APICs, overrides, NMI sources...: not for this parser */
	}
}

static kerr_t parse_madt(struct parse *ps, const uint8_t *t, uint32_t length)
{
	ps->out->lapic_address = read32(t + SDT_HEADER);
	ps->out->madt_flags = read32(t + SDT_HEADER + 4);
	for (uint32_t off = MADT_FIXED; off < length;) {
		if (length - off < 2)
			return fail(ps, KERR_INVALID, "the MADT ends inside an entry header");
		uint8_t type = t[off], len = t[off + 1];
		if (len < 2)
			return fail(ps, KERR_INVALID, "an MADT entry has a length below 2");
		if (len > length - off)
			return fail(ps, KERR_INVALID,
				    "an MADT entry runs past the end of the table");
		TRY(parse_entry(ps, t + off, type, len));
		off += len;
	}
	return KERR_OK;
}

static const char *const root_why[2][4] = {
    {"the RSDT cannot be mapped", "the RSDT has a bad signature", "the RSDT has a bad length",
     "the RSDT's checksum is wrong"},
    {"the XSDT cannot be mapped", "the XSDT has a bad signature", "the XSDT has a bad length",
     "the XSDT's checksum is wrong"},
};

static const char *const madt_why[4] = {"the MADT cannot be mapped", "the MADT has a bad signature",
					"the MADT is shorter than 44 bytes",
					"the MADT's checksum is wrong"};

/* The first table signed "APIC" among the root table's entries: *PA, or KERR_NOT_FOUND. */
static kerr_t find_madt(struct parse *ps, const uint8_t *root, uint32_t length, unsigned entry_size,
			uint64_t *pa)
{
	if ((length - SDT_HEADER) % entry_size != 0)
		return fail(ps, KERR_INVALID,
			    ps->out->xsdt ? "the XSDT ends inside an entry"
					  : "the RSDT ends inside an entry");
	for (uint32_t off = SDT_HEADER; off < length; off += entry_size) {
		uint64_t table = entry_size == 8 ? read64(root + off) : read32(root + off);
		const uint8_t *h = table != 0 ? ps->map(table, SDT_HEADER, ps->ctx) : NULL;
		if (h == NULL) {
			ps->out->unmapped++;
			continue;
		}
		if (memcmp(h, "APIC", 4) == 0) {
			*pa = table;
			return KERR_OK;
		}
	}
	return fail(ps, KERR_NOT_FOUND, "the root table lists no MADT");
}

kerr_t acpi_madt_parse(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, struct acpi_madt_cpu *cpus,
		       unsigned max, struct acpi_madt *out)
{
	struct parse ps = {.map = map, .ctx = ctx, .cpus = cpus, .max = max, .out = out};
	const uint8_t *root, *madt;
	uint64_t root_pa, madt_pa;
	uint32_t root_length, madt_length;
	unsigned entry_size;

	*out = (struct acpi_madt){0};
	if (rsdp_pa == 0)
		return fail(&ps, KERR_NOT_FOUND, "there is no RSDP");
	TRY(read_rsdp(&ps, rsdp_pa, &root_pa, &entry_size));
	TRY(load_table(&ps, root_pa, out->xsdt ? "XSDT" : "RSDT", SDT_HEADER, &root, &root_length,
		       root_why[out->xsdt]));
	TRY(find_madt(&ps, root, root_length, entry_size, &madt_pa));
	TRY(load_table(&ps, madt_pa, "APIC", MADT_FIXED, &madt, &madt_length, madt_why));
	out->madt_pa = madt_pa;
	out->madt_length = madt_length;
	return parse_madt(&ps, madt, madt_length);
}
