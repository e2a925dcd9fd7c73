/*
 * kills: a fault or a CPU exception in a user process kills that process alone, and
 * process_wait() reports exactly why.
 *
 * The parent spawns this program once per case with the case's name in argv[1]; the child does
 * the one forbidden thing and should never get further. Each forbidden instruction sits in a
 * small assembly routine below, at an address the parent knows (the child is the same static
 * program at the same addresses), so the parent checks every field of the exit information:
 * reason, vector, address, access, status. After each case a child that exits normally shows
 * the kernel still runs programs; at the end the free frame count and the process count are back
 * at their baseline.
 */
#include "qtest.h"

/* One instruction each that must not complete; the parent knows where each one is. */
void kills_read(uint64_t addr);  /* movq (addr), %rax */
void kills_write(uint64_t addr); /* movq $1, (addr) */
void kills_jump(uint64_t addr);  /* jmp *addr */
void kills_ud2(void);            /* ud2: #UD, vector 6 */
void kills_hlt(void);            /* hlt in ring 3: #GP, vector 13 */
void kills_cli(void);            /* cli with IOPL 0: #GP, vector 13 */
void kills_divide(void);         /* div by zero at kills_divide_insn: #DE, vector 0 */
extern const char kills_divide_insn[];

__asm__(".pushsection .text\n"
	".globl kills_read\n"
	"kills_read:\n"
	"	movq (%rdi), %rax\n"
	"	ret\n"
	".globl kills_write\n"
	"kills_write:\n"
	"	movq $1, (%rdi)\n"
	"	ret\n"
	".globl kills_jump\n"
	"kills_jump:\n"
	"	jmp *%rdi\n"
	".globl kills_ud2\n"
	"kills_ud2:\n"
	"	ud2\n"
	"	ret\n"
	".globl kills_hlt\n"
	"kills_hlt:\n"
	"	hlt\n"
	"	ret\n"
	".globl kills_cli\n"
	"kills_cli:\n"
	"	cli\n"
	"	ret\n"
	".globl kills_divide\n"
	"kills_divide:\n"
	"	xorl %ecx, %ecx\n"
	"	movl $1, %eax\n"
	"	xorl %edx, %edx\n"
	".globl kills_divide_insn\n"
	"kills_divide_insn:\n"
	"	divl %ecx\n"
	"	ret\n"
	".popsection\n");

#define PAGE_SIZE     4096u
#define NORMAL_STATUS 42

/* In the read-only segment: the write case's target. */
static const uint64_t kills_rodata = 0x0123456789abcdefull;
/* In the read-write (never executable) segment: a `ret` the NX case jumps to. */
static uint8_t kills_data_code[16] = {0xc3};
/* Never equal to a depth: keeps the compiler from calling the recursion infinite. */
static volatile int kills_depth_stop = -1;

/* Recurses until the stack runs into its guard page; every frame writes its 256 bytes. */
static int kills_recurse(int depth)
{
	volatile char pad[256];

	if (depth == kills_depth_stop)
		return 0;
	pad[0] = (char)depth;
	pad[sizeof(pad) - 1] = (char)depth;
	return kills_recurse(depth + 1) + pad[0];
}

/* The thread_guard case: a second thread's stack, a guarded area (QUIRE_VMA_GUARD) here. */
#define THREAD_STACK_AT    0x50000000ull
#define THREAD_STACK_PAGES 16u

static void kills_thread_entry(uint64_t arg)
{
	(void)arg;
	kills_recurse(0);
	quire_thread_exit();
}

/* Runs kills_recurse() on a thread whose stack has a guard page below it; never returns. */
static void overflow_thread_stack(void)
{
	uint64_t at = THREAD_STACK_AT;
	quire_handle_t stack, thread;

	if (quire_vma_create_map(
		THREAD_STACK_PAGES * PAGE_SIZE, &at,
		QUIRE_VMA_READ | QUIRE_VMA_WRITE | QUIRE_VMA_EXACT | QUIRE_VMA_GUARD, &stack) != 0)
		quire_process_exit(4);
	if (quire_thread_create(quire_self(), (uint64_t)(uintptr_t)kills_thread_entry,
				at + THREAD_STACK_PAGES * PAGE_SIZE, 0, &thread) != 0)
		quire_process_exit(5);
	for (;;)
		quire_sleep(1000000000ull); /* the other thread's fault ends the whole process */
}

/* The child: does what MODE names. Returns only for an unknown mode. */
static int child(const char *mode)
{
	volatile uint8_t stack_code[16];

	if (strcmp(mode, "null") == 0)
		kills_read(0);
	else if (strcmp(mode, "rodata") == 0)
		kills_write((uint64_t)(uintptr_t)&kills_rodata);
	else if (strcmp(mode, "nx_data") == 0)
		kills_jump((uint64_t)(uintptr_t)kills_data_code);
	else if (strcmp(mode, "nx_stack") == 0) {
		stack_code[0] = 0xc3;
		kills_jump((uint64_t)(uintptr_t)stack_code);
	} else if (strcmp(mode, "guard") == 0)
		return kills_recurse(0);
	else if (strcmp(mode, "thread_guard") == 0)
		overflow_thread_stack();
	else if (strcmp(mode, "ud2") == 0)
		kills_ud2();
	else if (strcmp(mode, "hlt") == 0)
		kills_hlt();
	else if (strcmp(mode, "cli") == 0)
		kills_cli();
	else if (strcmp(mode, "divide") == 0)
		kills_divide();
	else if (strcmp(mode, "exit") == 0)
		quire_process_exit(NORMAL_STATUS);
	else
		return 2;
	return 3; /* survived what should have killed it */
}

/* What the parent expects of one case: the address in [address_lo, address_hi]. */
struct kill_case {
	const char *mode;
	uint32_t reason;
	uint32_t vector;
	uint32_t access;
	uint64_t address_lo, address_hi;
};

static struct kill_case exact(const char *mode, uint32_t reason, uint32_t vector, uint32_t access,
			      const void *address)
{
	uint64_t a = (uint64_t)(uintptr_t)address;

	return (struct kill_case){mode, reason, vector, access, a, a};
}

static void check_case(const char *self, const struct kill_case *c)
{
	const char *argv[2] = {NULL, c->mode};
	struct quire_exit_info info = qtest_wait(qtest_spawn_self(self, argv, 2, NULL, 0));

	if (info.reason != c->reason || info.status != 0 || info.vector != c->vector ||
	    info.access != c->access || info.reserved != 0 || info.address < c->address_lo ||
	    info.address > c->address_hi) {
		char what[240];
		snprintf(what, sizeof(what),
			 "case %s: reason %u vector %u access %u address 0x%llx status %lld "
			 "reserved %u; expected reason %u vector %u access %u address "
			 "0x%llx..0x%llx status 0",
			 c->mode, info.reason, info.vector, info.access,
			 (unsigned long long)info.address, (long long)info.status, info.reserved,
			 c->reason, c->vector, c->access, (unsigned long long)c->address_lo,
			 (unsigned long long)c->address_hi);
		qtest_fail(__FILE__, __LINE__, what);
	}
}

/* A child that exits normally: the kernel still runs programs after the kills. */
static void check_normal(const char *self)
{
	const char *argv[2] = {NULL, "exit"};
	struct quire_exit_info info = qtest_wait(qtest_spawn_self(self, argv, 2, NULL, 0));

	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, NORMAL_STATUS);
	CHECK_EQ(info.vector, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child(argv[1]);

	const struct quire_startup *su = quire_startup_info();
	CHECK(su != NULL);
	/* The child's stack is where this process's is: the same program, the same loader. */
	uint64_t stack_lo = su->stack_base, stack_hi = su->stack_top - 1;
	const struct kill_case cases[] = {
	    exact("null", QUIRE_EXIT_FAULT_UNMAPPED, 14, QUIRE_VMA_READ, NULL),
	    exact("rodata", QUIRE_EXIT_FAULT_PROTECTION, 14, QUIRE_VMA_WRITE, &kills_rodata),
	    exact("nx_data", QUIRE_EXIT_FAULT_PROTECTION, 14, QUIRE_VMA_EXECUTE, kills_data_code),
	    {"nx_stack", QUIRE_EXIT_FAULT_PROTECTION, 14, QUIRE_VMA_EXECUTE, stack_lo, stack_hi},
	    {"guard", QUIRE_EXIT_FAULT_GUARD, 14, QUIRE_VMA_WRITE, stack_lo - PAGE_SIZE,
	     stack_lo - 1},
	    {"thread_guard", QUIRE_EXIT_FAULT_GUARD, 14, QUIRE_VMA_WRITE, THREAD_STACK_AT,
	     THREAD_STACK_AT + PAGE_SIZE - 1},
	    exact("ud2", QUIRE_EXIT_EXCEPTION, 6, 0, (const void *)kills_ud2),
	    exact("hlt", QUIRE_EXIT_EXCEPTION, 13, 0, (const void *)kills_hlt),
	    exact("cli", QUIRE_EXIT_EXCEPTION, 13, 0, (const void *)kills_cli),
	    exact("divide", QUIRE_EXIT_EXCEPTION, 0, 0, kills_divide_insn),
	};
	const size_t count = sizeof(cases) / sizeof(cases[0]);

	uint64_t frames = qtest_frames_free(), processes = qtest_processes();
	for (size_t i = 0; i < count; i++) {
		check_case(argv[0], &cases[i]);
		CHECK_EQ(qtest_processes(), processes);
		check_normal(argv[0]);
	}
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf(
	    "kills: %zu faults and exceptions each killed only their process; %llu frames free\n",
	    count, (unsigned long long)frames);
	return 0;
}
