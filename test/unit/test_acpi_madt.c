/*
 * Host tests of kernel/lib/acpi_madt.c over hand-built ACPI tables. "Physical memory" is a list of
 * regions, each its own heap buffer of exactly the table's size (or less, to truncate one), and
 * the map function hands out a pointer only when the whole range lies in one region: any read
 * past what the parser mapped is a heap overflow that AddressSanitizer stops. Covered: an ACPI
 * 1.0 RSDP with an RSDT, a 2.0 RSDP with an XSDT (tables above 4 GiB), a 2.0 RSDP without an
 * XSDT; enabled, disabled and online-capable processors, x2APIC entries, repeated IDs, the APIC
 * address override, a caller array smaller than the machine; and every way the tables can be
 * broken: signatures, checksums, lengths too small, too large or truncated by the mapping,
 * entries that are too short or run past the end, unmappable tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/acpi_madt.h"

#define RSDP_PA  0xe0000ull
#define RSDT_PA  0x7fe0000ull
#define XSDT_PA  0x100001000ull /* above 4 GiB: only an XSDT can point there */
#define MADT_PA  0x100002000ull
#define MADT32   0x7fe2000ull /* the MADT's address when an RSDT must reach it */
#define FACP_PA  0x7fe3000ull
#define NOWHERE  0x5000000ull /* in no region */
#define MAX_CPUS 16

struct table {
	uint8_t b[1024];
	uint32_t len;    /* bytes built */
	uint32_t mapped; /* bytes of the region (len unless truncated); 0: not installed */
	uint64_t pa;
};

struct machine {
	struct table rsdp, root, madt, facp;
};

/* The regions of "physical memory" the map function serves, each its own allocation. */
struct region {
	uint64_t pa;
	uint8_t *buf;
	uint64_t size;
};
static struct region regions[8];
static unsigned region_count;

static const void *fake_map(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	assert_true(len > 0);
	for (unsigned i = 0; i < region_count; i++) {
		const struct region *r = &regions[i];
		if (pa >= r->pa && pa - r->pa <= r->size && len <= r->size - (pa - r->pa))
			return r->buf + (pa - r->pa);
	}
	return NULL;
}

static void install(const struct table *t)
{
	if (t->mapped == 0)
		return;
	assert_true(region_count < 8);
	struct region *r = &regions[region_count++];
	r->pa = t->pa;
	r->size = t->mapped;
	r->buf = malloc(t->mapped);
	assert_non_null(r->buf);
	memcpy(r->buf, t->b, t->mapped);
}

static int free_regions(void **state)
{
	(void)state;
	for (unsigned i = 0; i < region_count; i++)
		free(regions[i].buf);
	region_count = 0;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Sets the checksum byte at CK so that the first LEN bytes of P sum to zero. */
static void fix_checksum(uint8_t *p, uint32_t len, uint32_t ck)
{
	uint8_t sum = 0;

	p[ck] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[ck] = (uint8_t)-sum;
}

static void add(struct table *t, const void *bytes, uint32_t n)
{
	assert_true(t->len + n <= sizeof(t->b));
	memcpy(t->b + t->len, bytes, n);
	t->len += n;
}

static void sdt_begin(struct table *t, const char *sig, uint64_t pa)
{
	memset(t, 0, sizeof(*t));
	t->pa = pa;
	memcpy(t->b, sig, 4);
	t->b[8] = 1; /* revision */
	memcpy(t->b + 10, "QUIRE ", 6);
	t->len = 36;
}

/* Writes the length field and the checksum; the region is the whole table. */
static void sdt_finish(struct table *t)
{
	put32(t->b + 4, t->len);
	fix_checksum(t->b, t->len, 9);
	t->mapped = t->len;
}

static void madt_lapic(struct table *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = {0, 8, uid, id};

	put32(e + 4, flags);
	add(t, e, sizeof(e));
}

static void madt_x2apic(struct table *t, uint32_t id, uint32_t uid, uint32_t flags)
{
	uint8_t e[16] = {9, 16};

	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
	add(t, e, sizeof(e));
}

/* An entry of another type (I/O APIC, interrupt source override...): LEN bytes of junk. */
static void madt_other(struct table *t, uint8_t type, uint8_t len)
{
	uint8_t e[32];

	memset(e, 0xa5, sizeof(e));
	e[0] = type;
	e[1] = len;
	add(t, e, len);
}

static void madt_begin(struct table *t, uint64_t pa)
{
	uint8_t fixed[8];

	sdt_begin(t, "APIC", pa);
	put32(fixed, 0xfee00000u);
	put32(fixed + 4, 1); /* PC-AT compatible */
	add(t, fixed, sizeof(fixed));
}

static void rsdp_build(struct table *t, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
	memset(t, 0, sizeof(*t));
	t->pa = RSDP_PA;
	memcpy(t->b, "RSD PTR ", 8);
	memcpy(t->b + 9, "QUIRE ", 6);
	t->b[15] = revision;
	put32(t->b + 16, rsdt);
	t->len = revision >= 2 ? 36 : 20;
	if (revision >= 2) {
		put32(t->b + 20, 36);
		put64(t->b + 24, xsdt);
		fix_checksum(t->b, 36, 32);
	}
	fix_checksum(t->b, 20, 8); /* covers bytes 0..19 only; the extended one covers it too */
	if (revision >= 2)
		fix_checksum(t->b, 36, 32);
	t->mapped = t->len;
}

/* The root table (RSDT or XSDT) listing FACP then the MADT. */
static void root_build(struct machine *m, bool xsdt)
{
	uint8_t entry[8];

	sdt_begin(&m->root, xsdt ? "XSDT" : "RSDT", xsdt ? XSDT_PA : RSDT_PA);
	uint64_t tables[2] = {m->facp.pa, m->madt.pa};
	for (int i = 0; i < 2; i++) {
		if (xsdt) {
			put64(entry, tables[i]);
			add(&m->root, entry, 8);
		} else {
			put32(entry, (uint32_t)tables[i]);
			add(&m->root, entry, 4);
		}
	}
	sdt_finish(&m->root);
}

/*
 * A QEMU-like machine: four processors (0..3) plus one disabled (7) and one online capable (6),
 * an I/O APIC, an interrupt source override and a local APIC NMI entry between them.
 */
static void standard(struct machine *m, bool xsdt)
{
	sdt_begin(&m->facp, "FACP", FACP_PA);
	sdt_finish(&m->facp);
	madt_begin(&m->madt, xsdt ? MADT_PA : MADT32);
	madt_lapic(&m->madt, 0, 0, ACPI_MADT_ENABLED);
	madt_lapic(&m->madt, 1, 1, ACPI_MADT_ENABLED);
	madt_other(&m->madt, 1, 12); /* I/O APIC */
	madt_lapic(&m->madt, 2, 2, ACPI_MADT_ENABLED);
	madt_lapic(&m->madt, 3, 3, ACPI_MADT_ENABLED);
	madt_other(&m->madt, 2, 10); /* interrupt source override */
	madt_lapic(&m->madt, 7, 7, 0);
	madt_lapic(&m->madt, 6, 6, ACPI_MADT_ONLINE_CAPABLE);
	madt_other(&m->madt, 4, 6); /* local APIC NMI */
	sdt_finish(&m->madt);
	root_build(m, xsdt);
	rsdp_build(&m->rsdp, xsdt ? 2 : 0, xsdt ? 0 : (uint32_t)RSDT_PA, xsdt ? XSDT_PA : 0);
}

static void install_all(const struct machine *m)
{
	install(&m->rsdp);
	install(&m->root);
	install(&m->madt);
	install(&m->facp);
}

static kerr_t parse(const struct machine *m, struct acpi_madt_cpu *cpus, unsigned max,
		    struct acpi_madt *out)
{
	install_all(m);
	return acpi_madt_parse(RSDP_PA, fake_map, NULL, cpus, max, out);
}

static void expect_standard_cpus(const struct acpi_madt *out, const struct acpi_madt_cpu *cpus)
{
	static const uint32_t ids[] = {0, 1, 2, 3, 6};

	assert_int_equal(out->cpu_count, 5);
	assert_int_equal(out->cpus_listed, 5);
	assert_int_equal(out->cpus_disabled, 1);
	assert_int_equal(out->duplicates, 0);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(cpus[i].apic_id, ids[i]);
		assert_int_equal(cpus[i].uid, ids[i]);
		assert_false(cpus[i].x2apic);
	}
	assert_int_equal(cpus[4].flags, ACPI_MADT_ONLINE_CAPABLE);
	assert_int_equal(cpus[0].flags, ACPI_MADT_ENABLED);
	assert_int_equal(out->lapic_address, 0xfee00000u);
	assert_int_equal(out->madt_flags, 1);
	assert_null(out->error);
}

static void test_rsdp_v1_rsdt(void **state)
{
	struct machine m;
	struct acpi_madt_cpu cpus[MAX_CPUS];
	struct acpi_madt out;

	standard(&m, false);
	assert_int_equal(parse(&m, cpus, MAX_CPUS, &out), KERR_OK);
	expect_standard_cpus(&out, cpus);
	assert_int_equal(out.rsdp_revision, 0);
	assert_false(out.xsdt);
	assert_int_equal(out.madt_pa, MADT32);
	assert_int_equal(out.madt_length, m.madt.len);
}

static void test_rsdp_v2_xsdt(void **state)
{
	struct machine m;
	struct acpi_madt_cpu cpus[MAX_CPUS];
	struct acpi_madt out;

	standard(&m, true);
	assert_int_equal(parse(&m, cpus, MAX_CPUS, &out), KERR_OK);
	expect_standard_cpus(&out, cpus);
	assert_int_equal(out.rsdp_revision, 2);
	assert_true(out.xsdt);
	assert_int_equal(out.madt_pa, MADT_PA);
}

/* A 2.0 RSDP whose XSDT address is 0 still leads through its RSDT. */
static void test_rsdp_v2_without_xsdt(void **state)
{
	struct machine m;
	struct acpi_madt_cpu cpus[MAX_CPUS];
	struct acpi_madt out;

	standard(&m, false);
	rsdp_build(&m.rsdp, 2, (uint32_t)RSDT_PA, 0);
	assert_int_equal(parse(&m, cpus, MAX_CPUS, &out), KERR_OK);
	expect_standard_cpus(&out, cpus);
	assert_int_equal(out.rsdp_revision, 2);
	assert_false(out.xsdt);
}

/* x2APIC entries, a CPU listed twice (type 0 and type 9), the address override. */
static void test_x2apic_duplicates_override(void **state)
{
	struct machine m;
	struct acpi_madt_cpu cpus[MAX_CPUS];
	struct acpi_madt out;
	uint8_t ovr[12] = {5, 12};

	standard(&m, true);
	madt_begin(&m.madt, MADT_PA);
	madt_lapic(&m.madt, 0, 0, ACPI_MADT_ENABLED);
	madt_x2apic(&m.madt, 0, 0, ACPI_MADT_ENABLED); /* the same CPU again */
	madt_x2apic(&m.madt, 300, 17, ACPI_MADT_ENABLED);
	madt_x2apic(&m.madt, 0x10000, 18, ACPI_MADT_ONLINE_CAPABLE);
	madt_x2apic(&m.madt, 301, 19, 0);
	put64(ovr + 4, 0x1234567000ull);
	add(&m.madt, ovr, sizeof(ovr));
	sdt_finish(&m.madt);
	assert_int_equal(parse(&m, cpus, MAX_CPUS, &out), KERR_OK);
	assert_int_equal(out.cpu_count, 3);
	assert_int_equal(out.duplicates, 1);
	assert_int_equal(out.cpus_disabled, 1);
	assert_int_equal(cpus[1].apic_id, 300);
	assert_int_equal(cpus[1].uid, 17);
	assert_true(cpus[1].x2apic);
	assert_int_equal(cpus[2].apic_id, 0x10000);
	assert_int_equal(cpus[2].flags, ACPI_MADT_ONLINE_CAPABLE);
	assert_int_equal(out.lapic_address, 0x1234567000ull);
}

/* More processors than the caller's array: all counted, MAX stored. */
static void test_array_smaller_than_machine(void **state)
{
	struct machine m;
	struct acpi_madt_cpu cpus[3];
	struct acpi_madt out;

	standard(&m, true);
	madt_begin(&m.madt, MADT_PA);
	for (uint8_t i = 0; i < 10; i++)
		madt_lapic(&m.madt, i, (uint8_t)(i * 2), ACPI_MADT_ENABLED);
	sdt_finish(&m.madt);
	assert_int_equal(parse(&m, cpus, 3, &out), KERR_OK);
	assert_int_equal(out.cpu_count, 3);
	assert_int_equal(out.cpus_listed, 10);
	assert_int_equal(cpus[2].apic_id, 4);
	free_regions(NULL);
	assert_int_equal(parse(&m, NULL, 0, &out), KERR_OK);
	assert_int_equal(out.cpu_count, 0);
	assert_int_equal(out.cpus_listed, 10);
}

/* A root entry that leads nowhere is skipped; the MADT after it is still found. */
static void test_unmappable_root_entry_skipped(void **state)
{
	struct machine m;
	struct acpi_madt_cpu cpus[MAX_CPUS];
	struct acpi_madt out;

	standard(&m, true);
	m.facp.pa = NOWHERE;
	root_build(&m, true);
	m.facp.mapped = 0; /* not installed at all */
	assert_int_equal(parse(&m, cpus, MAX_CPUS, &out), KERR_OK);
	assert_int_equal(out.unmapped, 1);
	expect_standard_cpus(&out, cpus);
}

static void test_no_rsdp(void **state)
{
	struct acpi_madt out;

	assert_int_equal(acpi_madt_parse(0, fake_map, NULL, NULL, 0, &out), KERR_NOT_FOUND);
	assert_non_null(out.error);
	/* An address where nothing is mapped. */
	assert_int_equal(acpi_madt_parse(NOWHERE, fake_map, NULL, NULL, 0, &out), KERR_INVALID);
	assert_string_equal(out.error, "the RSDP cannot be mapped");
}

static void test_no_madt(void **state)
{
	struct machine m;
	struct acpi_madt out;

	standard(&m, false);
	memcpy(m.madt.b, "SSDT", 4); /* the root's second entry is now something else */
	sdt_finish(&m.madt);
	assert_int_equal(parse(&m, NULL, 0, &out), KERR_NOT_FOUND);
	assert_string_equal(out.error, "the root table lists no MADT");
}

/* One way of breaking a valid machine, and what the parser must say. */
struct breakage {
	const char *name;
	bool xsdt;
	void (*apply)(struct machine *m);
	kerr_t err;
	const char *error;
};

static void bad_rsdp_signature(struct machine *m)
{
	m->rsdp.b[3] = 'X';
	fix_checksum(m->rsdp.b, 20, 8);
}

static void bad_rsdp_checksum(struct machine *m)
{
	m->rsdp.b[8]++;
}

static void bad_rsdp_extended_checksum(struct machine *m)
{
	m->rsdp.b[32]++;
}

static void short_rsdp_v2_length(struct machine *m)
{
	put32(m->rsdp.b + 20, 24);
	fix_checksum(m->rsdp.b, 36, 32);
}

static void huge_rsdp_v2_length(struct machine *m)
{
	put32(m->rsdp.b + 20, 0x100000);
	fix_checksum(m->rsdp.b, 36, 32);
}

static void truncated_rsdp_v2(struct machine *m)
{
	m->rsdp.mapped = 30; /* the 20-byte part maps; the 36 bytes do not */
}

static void rsdt_without_address(struct machine *m)
{
	rsdp_build(&m->rsdp, 0, 0, 0);
}

static void bad_root_checksum(struct machine *m)
{
	m->root.b[20]++;
}

static void bad_root_signature(struct machine *m)
{
	m->root.b[0] = 'Q';
	fix_checksum(m->root.b, m->root.len, 9);
}

static void short_root_length(struct machine *m)
{
	put32(m->root.b + 4, 35);
	fix_checksum(m->root.b, m->root.len, 9);
}

static void truncated_root(struct machine *m)
{
	m->root.mapped = m->root.len - 1; /* the length says one byte more than memory has */
}

static void root_ends_inside_entry(struct machine *m)
{
	m->root.len -= 2;
	sdt_finish(&m->root);
}

static void bad_madt_checksum(struct machine *m)
{
	m->madt.b[40]++;
}

static void short_madt(struct machine *m)
{
	m->madt.len = 40;
	sdt_finish(&m->madt);
}

static void truncated_madt(struct machine *m)
{
	m->madt.mapped = m->madt.len - 4;
}

static void madt_entry_length_zero(struct machine *m)
{
	m->madt.b[44 + 1] = 0;
	sdt_finish(&m->madt);
}

static void madt_entry_length_one(struct machine *m)
{
	m->madt.b[44 + 1] = 1;
	sdt_finish(&m->madt);
}

static void madt_entry_past_end(struct machine *m)
{
	madt_lapic(&m->madt, 9, 9, ACPI_MADT_ENABLED);
	m->madt.len -= 3; /* the last entry says 8 bytes; 5 remain */
	sdt_finish(&m->madt);
}

static void madt_header_past_end(struct machine *m)
{
	uint8_t type = 0;

	add(&m->madt, &type, 1); /* a type byte and no length byte */
	sdt_finish(&m->madt);
}

static void madt_lapic_too_short(struct machine *m)
{
	madt_other(&m->madt, 0, 6);
	sdt_finish(&m->madt);
}

static void madt_x2apic_too_short(struct machine *m)
{
	madt_other(&m->madt, 9, 12);
	sdt_finish(&m->madt);
}

static void madt_override_too_short(struct machine *m)
{
	madt_other(&m->madt, 5, 8);
	sdt_finish(&m->madt);
}

static void madt_unmappable(struct machine *m)
{
	m->madt.mapped = 20; /* the root points at it, but not even its header maps */
}

static const struct breakage breakages[] = {
    {"rsdp signature", false, bad_rsdp_signature, KERR_INVALID, "the RSDP has a bad signature"},
    {"rsdp checksum", false, bad_rsdp_checksum, KERR_INVALID, "the RSDP's checksum is wrong"},
    {"rsdp ext checksum", true, bad_rsdp_extended_checksum, KERR_INVALID,
     "the RSDP's extended checksum is wrong"},
    {"rsdp v2 short", true, short_rsdp_v2_length, KERR_INVALID,
     "the ACPI 2.0 RSDP has a bad length"},
    {"rsdp v2 huge", true, huge_rsdp_v2_length, KERR_INVALID, "the ACPI 2.0 RSDP cannot be mapped"},
    {"rsdp v2 truncated", true, truncated_rsdp_v2, KERR_INVALID,
     "the ACPI 2.0 RSDP cannot be mapped"},
    {"rsdt address 0", false, rsdt_without_address, KERR_INVALID, "the RSDP has no RSDT"},
    {"rsdt checksum", false, bad_root_checksum, KERR_INVALID, "the RSDT's checksum is wrong"},
    {"xsdt checksum", true, bad_root_checksum, KERR_INVALID, "the XSDT's checksum is wrong"},
    {"rsdt signature", false, bad_root_signature, KERR_INVALID, "the RSDT has a bad signature"},
    {"xsdt signature", true, bad_root_signature, KERR_INVALID, "the XSDT has a bad signature"},
    {"rsdt short", false, short_root_length, KERR_INVALID, "the RSDT has a bad length"},
    {"xsdt truncated", true, truncated_root, KERR_INVALID, "the XSDT cannot be mapped"},
    {"rsdt truncated", false, truncated_root, KERR_INVALID, "the RSDT cannot be mapped"},
    {"xsdt partial entry", true, root_ends_inside_entry, KERR_INVALID,
     "the XSDT ends inside an entry"},
    {"rsdt partial entry", false, root_ends_inside_entry, KERR_INVALID,
     "the RSDT ends inside an entry"},
    {"madt checksum", true, bad_madt_checksum, KERR_INVALID, "the MADT's checksum is wrong"},
    {"madt short", true, short_madt, KERR_INVALID, "the MADT is shorter than 44 bytes"},
    {"madt truncated", true, truncated_madt, KERR_INVALID, "the MADT cannot be mapped"},
    {"madt truncated rsdt", false, truncated_madt, KERR_INVALID, "the MADT cannot be mapped"},
    {"entry length 0", true, madt_entry_length_zero, KERR_INVALID,
     "an MADT entry has a length below 2"},
    {"entry length 1", false, madt_entry_length_one, KERR_INVALID,
     "an MADT entry has a length below 2"},
    {"entry past end", true, madt_entry_past_end, KERR_INVALID,
     "an MADT entry runs past the end of the table"},
    {"header past end", true, madt_header_past_end, KERR_INVALID,
     "the MADT ends inside an entry header"},
    {"lapic short", true, madt_lapic_too_short, KERR_INVALID,
     "an MADT local APIC entry is too short"},
    {"x2apic short", true, madt_x2apic_too_short, KERR_INVALID,
     "an MADT local x2APIC entry is too short"},
    {"override short", true, madt_override_too_short, KERR_INVALID,
     "an MADT APIC address override is too short"},
    {"madt unmappable", true, madt_unmappable, KERR_NOT_FOUND, "the root table lists no MADT"},
};

static void test_broken_tables(void **state)
{
	for (size_t i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
		const struct breakage *b = &breakages[i];
		struct machine m;
		struct acpi_madt_cpu cpus[MAX_CPUS];
		struct acpi_madt out;

		standard(&m, b->xsdt);
		b->apply(&m);
		kerr_t err = parse(&m, cpus, MAX_CPUS, &out);
		if (err != b->err || out.error == NULL || strcmp(out.error, b->error) != 0)
			fail_msg("%s: error %d (%s), expected %d (%s)", b->name, err,
				 out.error ? out.error : "none", b->err, b->error);
		free_regions(NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_rsdp_v1_rsdt, free_regions),
	    cmocka_unit_test_teardown(test_rsdp_v2_xsdt, free_regions),
	    cmocka_unit_test_teardown(test_rsdp_v2_without_xsdt, free_regions),
	    cmocka_unit_test_teardown(test_x2apic_duplicates_override, free_regions),
	    cmocka_unit_test_teardown(test_array_smaller_than_machine, free_regions),
	    cmocka_unit_test_teardown(test_unmappable_root_entry_skipped, free_regions),
	    cmocka_unit_test_teardown(test_no_rsdp, free_regions),
	    cmocka_unit_test_teardown(test_no_madt, free_regions),
	    cmocka_unit_test_teardown(test_broken_tables, free_regions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
