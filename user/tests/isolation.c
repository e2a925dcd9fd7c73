/*
 * isolation: a process reaches neither another process's memory nor the kernel's.
 *
 *   another's memory  the parent maps an area at SECRET_AT and writes a secret there, then
 *                     spawns children with the address as an argv string (the child cannot know
 *                     it otherwise): mode "peek" reads it and is killed with FAULT_UNMAPPED at
 *                     that address; mode "own" maps an area of its own at the same address and
 *                     finds zeros, not the secret, and its writes leave the parent's page alone;
 *                     mode "handle" is given the parent's handle value for the area and gets
 *                     BAD_HANDLE from it (handles are per process)
 *   the kernel's      mode "kread" reads an address (the kernel image at 0xffffffff80000000, the
 *                     linear map at 0xffff800000000000) and mode "kwrite" writes one: each is
 *                     killed by a page fault at that address, with that access
 *   through calls     log() and system_info() given kernel addresses return FAULT
 */
#include "qtest.h"

#define PAGE         4096ull
#define SECRET_AT    0x4b000000ull
#define SECRET       0x5ec2e75ec2e7ull
#define KERNEL_IMAGE 0xffffffff80000000ull
#define LINEAR_MAP   0xffff800000000000ull

static __attribute__((noinline)) void warm_stack(void)
{
	volatile char pad[64 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static uint64_t arg_addr(int argc, char **argv)
{
	CHECK(argc > 2);
	char *end;
	uint64_t a = strtoull(argv[2], &end, 16);
	CHECK(end != argv[2] && *end == '\0');
	return a;
}

/* Child mode "own": an area of its own at the parent's address holds zeros, not the secret. */
static int child_own(uint64_t at)
{
	uint64_t addr = at;
	quire_handle_t h;

	CHECK_EQ(quire_vma_create_map(PAGE, &addr,
				      QUIRE_VMA_READ | QUIRE_VMA_WRITE | QUIRE_VMA_EXACT, &h),
		 0);
	CHECK_EQ(addr, at);
	volatile uint64_t *p = (volatile uint64_t *)at;
	for (uint64_t w = 0; w < PAGE / 8; w++)
		CHECK_EQ(p[w], 0);
	p[0] = ~SECRET;
	return 0;
}

/* Child mode "handle": the parent's handle value names nothing here. */
static int child_handle(uint64_t parent_handle)
{
	uint64_t addr = 0;
	quire_handle_t h = (quire_handle_t)parent_handle, out;

	CHECK_EQ(quire_vma_map(h, quire_self(), &addr, QUIRE_VMA_READ), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_handle_clone(h, QUIRE_RIGHT_READ, &out), -QUIRE_ERR_BAD_HANDLE);
	CHECK_EQ(quire_handle_close(h), -QUIRE_ERR_BAD_HANDLE);
	return 0;
}

static int child(int argc, char **argv)
{
	uint64_t a = arg_addr(argc, argv);

	if (strcmp(argv[1], "peek") == 0 || strcmp(argv[1], "kread") == 0) {
		uint64_t v = *(volatile uint64_t *)a;
		printf("isolation: read 0x%llx at 0x%llx\n", (unsigned long long)v,
		       (unsigned long long)a);
		return 2; /* still alive: the read did not fault */
	}
	if (strcmp(argv[1], "kwrite") == 0) {
		*(volatile uint64_t *)a = 0;
		return 3;
	}
	if (strcmp(argv[1], "own") == 0)
		return child_own(a);
	if (strcmp(argv[1], "handle") == 0)
		return child_handle(a);
	return 4;
}

/* Runs this program in mode MODE with the address (or value) A; how it ended. */
static struct quire_exit_info run(const char *self, const char *mode, uint64_t a)
{
	char text[24];
	const char *args[] = {NULL, mode, text};

	snprintf(text, sizeof(text), "%llx", (unsigned long long)a);
	return qtest_wait(qtest_spawn_self(self, args, 3, NULL, 0));
}

#define CHECK_KILLED(info, why, addr, acc)                                                         \
	do {                                                                                       \
		CHECK_EQ((info).reason, (why));                                                    \
		CHECK_EQ((info).vector, 14);                                                       \
		CHECK_EQ((info).address, (addr));                                                  \
		CHECK_EQ((info).access, (acc));                                                    \
		CHECK_EQ((info).status, 0);                                                        \
	} while (0)

static void check_kernel_fault(struct quire_exit_info info, uint64_t addr, uint32_t access)
{
	/* A supervisor page (or none): the user space has no mapping there. */
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_UNMAPPED, addr, access);
}

static void test_calls(void)
{
	struct quire_system_info si;

	CHECK_EQ(quire_log((const char *)KERNEL_IMAGE, 16), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_log((const char *)LINEAR_MAP, 16), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_log((const char *)(LINEAR_MAP + 0x100000), 1), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_log((const char *)(UINT64_MAX - 7), 4), -QUIRE_ERR_FAULT);
	/* A range that starts in the user half and runs into the kernel's. */
	CHECK_EQ(quire_log((const char *)0x00007ffffffffff8ull, 16), -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_system_info((struct quire_system_info *)KERNEL_IMAGE, sizeof(si)),
		 -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_system_info((struct quire_system_info *)LINEAR_MAP, sizeof(si)),
		 -QUIRE_ERR_FAULT);
	CHECK_EQ(quire_system_info(&si, sizeof(si)), 0); /* the kernel runs on */
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child(argc, argv);
	warm_stack();
	uint64_t frames = qtest_frames_free(), processes = qtest_processes();

	uint64_t addr = SECRET_AT;
	quire_handle_t area;
	CHECK_EQ(quire_vma_create_map(PAGE, &addr,
				      QUIRE_VMA_READ | QUIRE_VMA_WRITE | QUIRE_VMA_EXACT, &area),
		 0);
	CHECK_EQ(addr, SECRET_AT);
	volatile uint64_t *secret = (volatile uint64_t *)SECRET_AT;
	secret[0] = SECRET;

	struct quire_exit_info info = run(argv[0], "peek", SECRET_AT);
	CHECK_KILLED(info, QUIRE_EXIT_FAULT_UNMAPPED, SECRET_AT, QUIRE_VMA_READ);
	info = run(argv[0], "own", SECRET_AT);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	info = run(argv[0], "handle", area);
	CHECK_EQ(info.reason, QUIRE_EXIT_NORMAL);
	CHECK_EQ(info.status, 0);
	CHECK_EQ(secret[0], SECRET);

	check_kernel_fault(run(argv[0], "kread", KERNEL_IMAGE), KERNEL_IMAGE, QUIRE_VMA_READ);
	check_kernel_fault(run(argv[0], "kread", LINEAR_MAP), LINEAR_MAP, QUIRE_VMA_READ);
	check_kernel_fault(run(argv[0], "kwrite", KERNEL_IMAGE + 0x40), KERNEL_IMAGE + 0x40,
			   QUIRE_VMA_WRITE);
	check_kernel_fault(run(argv[0], "kwrite", LINEAR_MAP + 0x1000), LINEAR_MAP + 0x1000,
			   QUIRE_VMA_WRITE);
	test_calls();
	CHECK_EQ(secret[0], SECRET);

	CHECK_EQ(quire_vma_unmap(area, quire_self()), 0);
	CHECK_EQ(quire_handle_close(area), 0);
	for (int i = 0; i < 100 && qtest_processes() != processes; i++)
		quire_yield();
	CHECK_EQ(qtest_processes(), processes);
	CHECK_EQ(qtest_frames_free(), frames);
	printf("isolation: ok: 7 children killed or refused, kernel addresses FAULT in calls\n");
	return 0;
}
