/*
 * TSC calibration and conversion; see tsc.h.
 *
 * The PIT measurement: channel 2 is the one channel software can gate (port 0x61, bit 0) and
 * watch (bit 5, its output) without an interrupt. It counts down from 0xffff at 1.193182 MHz.
 * The TSC is related to the PIT count by samples {TSC before, latched count, TSC after}: the count
 * was taken somewhere between the two TSC reads, so the sample's uncertainty is their distance.
 * A sample is taken at the start and again once about 20 ms of PIT time have passed, each the
 * tightest of several tries, and the frequency is the TSC distance over the PIT distance.
 *
 * Why not simply poll for the output to go high after a fixed count: a virtual CPU can be
 * descheduled at any moment (8 vCPUs on a 2-core host were, and that method measured 7 GHz on a
 * 2.8 GHz machine). A descheduled sample here shows as a wide bracket; the error bound of each
 * attempt is computed from the brackets, and an attempt that is not tight enough is repeated.
 */
#include "kernel/arch/x86_64/tsc.h"

#include <stdbool.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/port.h"
#include "kernel/panic.h"

#define PIT_HZ         1193182u
#define PIT_CONTROL    0x43
#define PIT_CHANNEL2   0x42
#define PIT_GATE_PORT  0x61
#define PIT_GATE2      0x01   /* port 0x61: channel 2 gate */
#define PIT_SPEAKER    0x02   /* port 0x61: speaker data enable; kept off */
#define PIT_OUT2       0x20   /* port 0x61: channel 2 output (high once the count reached 0) */
#define PIT_CH2_MODE0  0xb0   /* channel 2, low then high byte, mode 0, binary */
#define PIT_CH2_LATCH  0x80   /* channel 2, counter latch */
#define PIT_WINDOW     23864u /* PIT ticks measured over: 20 ms */
#define PIT_TRIES      8      /* samples per end point; the tightest is kept */
#define PIT_ATTEMPTS   5
#define PIT_POLL_LIMIT 50000000u
#define GOOD_PPM       500            /* an attempt this tight is accepted at once */
#define USABLE_PPM     20000          /* the best attempt is still used up to 2% */
#define TSC_MIN_HZ     100000000ull   /* 100 MHz: anything slower is a failed measurement */
#define TSC_MAX_HZ     20000000000ull /* 20 GHz */

static uint64_t entry_stamp;
static uint64_t hz;
static uint64_t error_ppm;
static enum tsc_source source;

void tsc_init(uint64_t entry_tsc)
{
	entry_stamp = entry_tsc;
}

static int plausible(uint64_t f)
{
	return f >= TSC_MIN_HZ && f <= TSC_MAX_HZ;
}

static uint32_t cpuid_max_leaf(void)
{
	uint32_t r[4];

	cpu_cpuid(0, 0, r);
	return r[0];
}

/* CPUID 0x15: TSC = crystal * EBX / EAX, when all three are given. */
static uint64_t hz_from_cpuid_15h(void)
{
	uint32_t r[4];

	if (cpuid_max_leaf() < 0x15)
		return 0;
	cpu_cpuid(0x15, 0, r);
	if (r[0] == 0 || r[1] == 0 || r[2] == 0)
		return 0;
	return (uint64_t)r[2] * r[1] / r[0];
}

/* CPUID 0x16: base frequency in MHz (nominal, not measured). */
static uint64_t hz_from_cpuid_16h(void)
{
	uint32_t r[4];

	if (cpuid_max_leaf() < 0x16)
		return 0;
	cpu_cpuid(0x16, 0, r);
	return (uint64_t)(r[0] & 0xffff) * 1000000;
}

struct pit_sample {
	uint64_t tsc;    /* the middle of the bracket */
	uint64_t spread; /* the bracket's width: the sample's uncertainty, in TSC ticks */
	uint16_t count;
};

static uint16_t pit_read_count(void)
{
	port_outb(PIT_CONTROL, PIT_CH2_LATCH);
	uint8_t lo = port_inb(PIT_CHANNEL2);
	uint8_t hi = port_inb(PIT_CHANNEL2);
	return (uint16_t)(lo | hi << 8);
}

static struct pit_sample pit_sample(void)
{
	struct pit_sample best = {.spread = UINT64_MAX};

	for (int i = 0; i < PIT_TRIES; i++) {
		uint64_t before = cpu_rdtsc();
		uint16_t count = pit_read_count();
		uint64_t after = cpu_rdtsc();
		if (after - before < best.spread)
			best = (struct pit_sample){.tsc = before + (after - before) / 2,
						   .spread = after - before,
						   .count = count};
	}
	return best;
}

/* Starts channel 2 counting down from 0xffff in mode 0, speaker off. */
static void pit_start(void)
{
	uint8_t gate = port_inb(PIT_GATE_PORT);

	port_outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) | PIT_GATE2));
	port_outb(PIT_CONTROL, PIT_CH2_MODE0);
	port_outb(PIT_CHANNEL2, 0xff);
	port_outb(PIT_CHANNEL2, 0xff);
}

/* One measurement: the frequency, and its error bound in parts per million (*PPM). 0 on failure. */
static uint64_t pit_attempt(uint64_t *ppm)
{
	pit_start();
	struct pit_sample a = pit_sample();
	for (uint32_t polls = 0; polls < PIT_POLL_LIMIT; polls++) {
		if (a.count < PIT_WINDOW || pit_read_count() <= a.count - PIT_WINDOW)
			break;
	}
	struct pit_sample b = pit_sample();
	/* The output rises when the count passes zero: the count may have wrapped. */
	bool wrapped = (port_inb(PIT_GATE_PORT) & PIT_OUT2) != 0;
	if (wrapped || b.count >= a.count || b.tsc <= a.tsc)
		return 0;
	uint64_t ticks = b.tsc - a.tsc, pit_ticks = (uint64_t)(a.count - b.count);
	/* Half of each bracket on the TSC side; one PIT tick of resolution at each end. */
	*ppm = (a.spread + b.spread) / 2 * 1000000 / ticks + 2 * 1000000 / pit_ticks;
	return ticks * PIT_HZ / pit_ticks;
}

static uint64_t hz_from_pit(void)
{
	uint64_t best = 0, best_ppm = UINT64_MAX;

	for (int i = 0; i < PIT_ATTEMPTS && best_ppm > GOOD_PPM; i++) {
		uint64_t ppm = UINT64_MAX, f = pit_attempt(&ppm);
		if (f != 0 && ppm < best_ppm) {
			best = f;
			best_ppm = ppm;
		}
	}
	if (best_ppm > USABLE_PPM)
		return 0;
	error_ppm = best_ppm;
	return best;
}

kerr_t tsc_calibrate(void)
{
	uint64_t f;

	/* An interrupt between the two halves of a sample would only widen it, but an interrupt
	 * handler could also reprogram the PIT under the measurement. */
	kassert(!cpu_interrupts_enabled());
	if (plausible(f = hz_from_cpuid_15h()))
		source = TSC_SOURCE_CPUID_15H;
	else if (plausible(f = hz_from_pit()))
		source = TSC_SOURCE_PIT;
	else if (plausible(f = hz_from_cpuid_16h()))
		source = TSC_SOURCE_CPUID_16H;
	else
		return KERR_UNSUPPORTED;
	hz = f;
	return KERR_OK;
}

uint64_t tsc_hz(void)
{
	return hz;
}

uint64_t tsc_error_ppm(void)
{
	return source == TSC_SOURCE_PIT ? error_ppm : 0;
}

enum tsc_source tsc_source(void)
{
	return source;
}

const char *tsc_source_name(enum tsc_source s)
{
	switch (s) {
	case TSC_SOURCE_CPUID_15H:
		return "CPUID 0x15";
	case TSC_SOURCE_PIT:
		return "PIT";
	case TSC_SOURCE_CPUID_16H:
		return "CPUID 0x16";
	case TSC_SOURCE_NONE:
		break;
	}
	return "none";
}

uint64_t tsc_entry(void)
{
	return entry_stamp;
}

uint64_t tsc_ticks_to_us(uint64_t ticks)
{
	if (hz == 0)
		return 0;
	/* Split so that neither product overflows: (ticks % hz) * 10^6 < hz * 10^6 < 2^64. */
	return ticks / hz * 1000000 + ticks % hz * 1000000 / hz;
}

uint64_t tsc_uptime_us(void)
{
	return tsc_ticks_to_us(cpu_rdtsc() - entry_stamp);
}
