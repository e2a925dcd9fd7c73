/*
 * The local APIC and its timer; device interrupts (vectors 32..255).
 *
 * Model: the boot CPU's local APIC in xAPIC mode, reached through a fixed, uncached vm_area of
 * the kernel space over its MMIO page (the base from IA32_APIC_BASE). The legacy 8259 PICs are
 * remapped away from the exception vectors and masked, so every device interrupt comes from the
 * APIC. The timer runs periodically at the rate asked for, its count calibrated against the TSC
 * (tsc.h) with a fixed divider of APIC_TIMER_DIVIDER. irq_dispatch() sends the EOI before it
 * calls a vector's handler, so a handler may switch threads (the scheduler's tick does) without
 * blocking later interrupts. The 8259s' spurious vectors (IRQ 7 and 15) and the APIC's spurious
 * vector are counted and ignored: none of them is in service anywhere, so none gets an EOI.
 *
 * Application processors (smp.h) reach their own local APIC through the same mapping (every
 * CPU sees its own APIC at the same physical address): apic_init_ap() enables it as apic_init()
 * did the boot CPU's, and apic_timer_start_ap() starts its timer with the boot CPU's calibrated
 * count. Timer ticks are counted per CPU. Registered handlers run on the boot CPU only: on an
 * application processor irq_dispatch() counts the interrupt (and the tick), sends the EOI and
 * returns. That is the seam step 2 of SMP (threads on every CPU) opens: the scheduler's tick is
 * written for one CPU and must not run on another until the run queue has its lock.
 *
 * Inter-processor interrupts: apic_send_init() and apic_send_startup() write the interrupt
 * command register and wait (bounded) for the APIC to accept it; the caller times the sequence.
 *
 * Locking: none; set-up on the boot CPU (each processor's own registers on that processor),
 * interrupts off. Handlers run with interrupts off.
 */
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/trap.h"
#include "kernel/lib/kerr.h"

#define APIC_TIMER_VECTOR    0x30u /* the local APIC timer */
#define APIC_SPURIOUS_VECTOR 0xffu /* the APIC's spurious-interrupt vector: no EOI */
#define PIC_VECTOR_BASE      0x20u /* the masked 8259s' IRQ 0..15 land on 0x20..0x2f */
#define APIC_TIMER_DIVIDER   16u   /* the timer counts the APIC's bus clock divided by this */

typedef void (*irq_handler_fn)(struct trap_frame *frame);

/*
 * apic_init - maps the local APIC, masks the 8259s, enables the APIC with the spurious vector and
 * installs the IDT gates for device vectors. Boot CPU, once, after vm_boot_init() and
 * tsc_calibrate(); interrupts off; allocates (the mapping). Errors: KERR_UNSUPPORTED (no APIC,
 * the firmware left it in x2APIC mode, or no kernel space), KERR_NO_MEMORY. On error nothing is
 * mapped and the 8259s and the IDT are as they were.
 */
kerr_t apic_init(void);

/*
 * apic_timer_start - the APIC timer fires APIC_TIMER_VECTOR HZ times a second (periodic), its
 * count calibrated against the TSC (the first call measures for about 10 ms). Restarts the timer
 * (and the tick count) when called again. After apic_init(); interrupts off. Errors: KERR_INVALID
 * (HZ is 0 or beyond what the timer can do), KERR_UNSUPPORTED (no calibrated TSC, or the
 * calibration measured nothing).
 */
kerr_t apic_timer_start(uint32_t hz);

/*
 * apic_init_ap - on an application processor, after apic_init() and apic_timer_start() on the
 * boot CPU: enables this CPU's local APIC (xAPIC, spurious vector, TPR 0, timer masked). Interrupts
 * off; never allocates. Errors: KERR_UNSUPPORTED (the boot CPU has no APIC, this one is in x2APIC
 * mode, or its registers are not at the boot CPU's base, where the mapping is).
 */
kerr_t apic_init_ap(void);

/*
 * apic_timer_start_ap - starts this application processor's timer, periodic on APIC_TIMER_VECTOR
 * at the boot CPU's rate with its calibrated count (no calibration of its own: every local APIC
 * timer counts the same bus clock), and zeroes this CPU's tick count. After apic_init_ap();
 * interrupts off. Errors: KERR_UNSUPPORTED (the boot CPU's timer was never started).
 */
kerr_t apic_timer_start_ap(void);

/* apic_id - the calling CPU's local APIC ID (xAPIC: 8 bits). After apic_init()/apic_init_ap(). */
uint32_t apic_id(void);

/*
 * apic_send_init - sends an INIT IPI (level assert) to the CPU with local APIC ID DEST (< 255),
 * which resets it into the wait-for-SIPI state; waits until the local APIC reports it sent.
 * After apic_init(); interrupts off. Errors: KERR_INVALID (DEST), KERR_TIMEOUT (the APIC kept the
 * IPI pending for 100 ms).
 */
kerr_t apic_send_init(uint32_t dest);

/*
 * apic_send_startup - sends a STARTUP IPI to DEST: a CPU waiting for one starts in real mode at
 * physical PAGE * 4096 (PAGE < 256: below 1 MiB); others ignore it. As apic_send_init(), and
 * KERR_INVALID for PAGE.
 */
kerr_t apic_send_startup(uint32_t dest, uint32_t page);

/* apic_timer_hz - the rate apic_timer_start() set (0 before). */
uint32_t apic_timer_hz(void);

/* apic_base - the local APIC's physical base address (0 before apic_init()). */
uint64_t apic_base(void);

/*
 * apic_timer_frequency - the timer's calibrated counting rate in Hz, after the divider (0 before
 * the first apic_timer_start()).
 */
uint64_t apic_timer_frequency(void);

/* apic_timer_count - the initial count of one period, as apic_timer_start() set it (0 before). */
uint32_t apic_timer_count(void);

/*
 * apic_timer_ticks - timer interrupts the calling CPU took since its timer was started. Any
 * context.
 */
uint64_t apic_timer_ticks(void);

/* apic_timer_ticks_of - the same for CPU (< CPU_MAX). Any context. */
uint64_t apic_timer_ticks_of(unsigned cpu);

/* apic_eoi - signals end of interrupt to the local APIC. Interrupt context. */
void apic_eoi(void);

/*
 * irq_set_handler - HANDLER (or NULL) runs for VECTOR (32..254), after the EOI, with interrupts
 * off, on the interrupted thread's kernel stack, on the boot CPU only (see the model). Boot CPU,
 * interrupts off.
 */
void irq_set_handler(unsigned vector, irq_handler_fn handler);

/* irq_handler - the handler irq_set_handler() gave VECTOR (32..254), or NULL. Any context. */
irq_handler_fn irq_handler(unsigned vector);

/*
 * irq_count - interrupts irq_dispatch() has seen on VECTOR (32..255) since boot, on every CPU.
 * Any context.
 */
uint64_t irq_count(unsigned vector);

/*
 * irq_dispatch - from trap_dispatch() for vectors >= 32: counts the interrupt, sends the EOI
 * and, on the boot CPU, runs the handler; the spurious vectors (0x27, 0x2f, 0xff) are only
 * counted. A vector with no handler is logged once (boot CPU). On an application processor the
 * interrupt is counted, the timer's as a tick of that CPU, and nothing else runs.
 */
void irq_dispatch(struct trap_frame *frame);
