/*
 * Quire's system calls (ABI): the one table every other description is generated from.
 *
 * QUIRE_SYSCALLS(X) has one X(...) per call:
 *   X(NUMBER, NAME, RETURN, (PARAMETERS), RIGHTS, ERRORS, DESCRIPTION)
 *     NUMBER       stable forever; the numbers are dense from 1 (0 is never a call)
 *     NAME         the call; the libc stub is quire_NAME, the kernel handler sys_NAME
 *     RETURN       ZERO (0 on success, a negated error otherwise) or NORETURN
 *     PARAMETERS   a C parameter list, at most six: types and names
 *     RIGHTS       the rights each handle argument needs (quire/rights.h), as text
 *     ERRORS       QUIRE_E(X) | ...: every error the call can return besides UNSUPPORTED
 *     DESCRIPTION  one line
 * From it: the QUIRE_SYS_* numbers and the stub prototypes (below), the libc stubs and the kernel's
 * dispatch declarations (tools/gen-syscalls.c, at build time) and docs/syscalls.md (the same
 * program; the build fails if the committed page is stale). Adding a call is adding a line here
 * with the next number.
 *
 * Calling convention (x86-64 `syscall`): the number in rax, the arguments in rdi, rsi, rdx, r10,
 * r8, r9 (a 32-bit parameter, such as a handle or flags, given with any of the register's upper
 * 32 bits set is INVALID, so every call with one lists INVALID); the result in rax; rcx and r11 are clobbered, every other register is preserved. The
 * result is a negated enum quire_error (quire/errors.h) on failure and 0 on success, for every
 * call: DESIGN.md's "negated or zero", with nothing else ever in rax. A number outside the table
 * returns -QUIRE_ERR_UNSUPPORTED.
 *
 * Results travel through out-pointers, as in Zircon: a call that creates a handle takes a last
 * parameter `quire_handle_t *out` and writes the new handle there (vma_create(size, flags, &h)).
 * *OUT is written only on success; a call that fails leaves it alone. If *OUT is not writable
 * user memory the call fails with FAULT and undoes itself: the handle is closed again, so nothing
 * is created that the caller cannot name (a spawned process or a new thread is ended first).
 * The kernel writes *OUT last, after every other check, so FAULT for OUT is the last error such
 * a call can report.
 *
 * Argument errors follow Zircon's VMO/VMAR calls: a size of zero or an unaligned exact address is
 * INVALID; a size that overflows (or exceeds the limit) is OUT_OF_RANGE; an exact mapping that
 * overlaps another is EXISTS; any flag or rights bit outside the call's mask is INVALID. Handles
 * are checked in the order BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED (quire/errors.h). Sizes are
 * rounded up to whole pages.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "quire/channel.h"
#include "quire/errors.h"
#include "quire/rights.h"
#include "quire/vma.h"

/* A handle: a per-process name for {object, rights}; 0 is never a valid handle. */
typedef uint32_t quire_handle_t;
#define QUIRE_HANDLE_INVALID 0u

/*
 * The longest path process_spawn() takes, counting its terminating NUL: the kernel copies at most
 * this many bytes of PATH and refuses (INVALID) a path with no NUL among them.
 */
#define QUIRE_PATH_MAX 256

/* What process_wait() reports: how the process ended. */
enum quire_exit_reason {
	QUIRE_EXIT_NORMAL = 0, /* process_exit(status), or its last thread_exit() (status 0) */
	QUIRE_EXIT_FAULT_UNMAPPED = 1, /* touched an address with no mapping (null dereference) */
	QUIRE_EXIT_FAULT_PROTECTION =
	    2,                          /* an access the mapping does not allow (write to RO, NX) */
	QUIRE_EXIT_FAULT_GUARD = 3,     /* touched a guard page (stack overflow) */
	QUIRE_EXIT_FAULT_NO_MEMORY = 4, /* no frame to serve a page fault */
	QUIRE_EXIT_EXCEPTION = 5,       /* another CPU exception (vector says which: #UD, #GP...) */
};

struct quire_exit_info {
	int64_t status;    /* process_exit()'s argument; 0 unless NORMAL */
	uint32_t reason;   /* enum quire_exit_reason */
	uint32_t vector;   /* the exception vector (14 for page faults); 0 for NORMAL */
	uint64_t address;  /* the faulting address (page faults); the instruction otherwise */
	uint32_t access;   /* page faults: the QUIRE_VMA_READ/WRITE/EXECUTE bit of the access */
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct quire_exit_info) == 32, "struct quire_exit_info is ABI");
_Static_assert(offsetof(struct quire_exit_info, address) == 16, "struct quire_exit_info is ABI");

/* What system_info() reports: enough for a test to prove that nothing leaked. */
struct quire_system_info {
	uint64_t page_size;    /* 4096 */
	uint64_t frames_total; /* physical frames the kernel manages */
	uint64_t frames_free;  /* of those, free now */
	uint64_t processes;    /* processes alive now */
	uint64_t tsc_hz;  /* the time-stamp counter's rate (rdtsc ticks a second); 0: unknown */
	uint64_t handles; /* handles open in the calling process */
};
_Static_assert(sizeof(struct quire_system_info) == 48, "struct quire_system_info is ABI");

/* The ERRORS column: a bit per enum quire_error value. */
#define QUIRE_E(name) (1ull << QUIRE_ERR_##name)

/* The handle checks every call taking one handle makes, in their order. */
#define QUIRE_E_HANDLE (QUIRE_E(BAD_HANDLE) | QUIRE_E(WRONG_TYPE) | QUIRE_E(ACCESS_DENIED))

/* One entry per call; clang-format would space the pointers as multiplications. */
/* clang-format off */
#define QUIRE_SYSCALLS(X)                                                                          \
	X(1, vma_create, ZERO, (uint64_t size, uint32_t flags, quire_handle_t *out), "none",       \
	  QUIRE_E(INVALID) | QUIRE_E(OUT_OF_RANGE) | QUIRE_E(FAULT) | QUIRE_E(NO_MEMORY),          \
	  "a new open (anonymous, zero-filled) area of SIZE bytes, its handle written to *OUT; "   \
	  "FLAGS (QUIRE_VMA_CREATE_MASK, READ required) are the most a mapping may have, and the " \
	  "handle gets those rights plus MAP, DUPLICATE and TRANSFER; QUIRE_VMA_GUARD makes the "  \
	  "lowest page a guard page (a thread's stack)")                                           \
	X(2, vma_create_map, ZERO,                                                                 \
	  (uint64_t size, uint64_t *addr, uint32_t flags, quire_handle_t *out), "none",            \
	  QUIRE_E(INVALID) | QUIRE_E(OUT_OF_RANGE) | QUIRE_E(EXISTS) | QUIRE_E(FAULT) |            \
	      QUIRE_E(NO_MEMORY),                                                                  \
	  "vma_create() then vma_map() into the calling process, the area's handle written to "    \
	  "*OUT: at *ADDR with QUIRE_VMA_EXACT, else anywhere, the address chosen written to "     \
	  "*ADDR; FLAGS (QUIRE_VMA_CREATE_MAP_MASK, READ required) are the area's protection "     \
	  "and its mapping's, and GUARD as for vma_create()")                                      \
	X(3, vma_map, ZERO,                                                                        \
	  (quire_handle_t vma, quire_handle_t process, uint64_t *addr, uint32_t flags),            \
	  "vma: MAP and READ/WRITE/EXECUTE for each protection bit in FLAGS; process: WRITE",      \
	  QUIRE_E(INVALID) | QUIRE_E(OUT_OF_RANGE) | QUIRE_E(EXISTS) | QUIRE_E(NOT_FOUND) |        \
	      QUIRE_E_HANDLE | QUIRE_E(FAULT) | QUIRE_E(NO_MEMORY),                                \
	  "maps the whole area VMA into PROCESS with the protection in FLAGS "                     \
	  "(QUIRE_VMA_MAP_MASK): at *ADDR with QUIRE_VMA_EXACT, else anywhere, the address "       \
	  "written to *ADDR; an area is mapped at most once per process (EXISTS); NOT_FOUND "      \
	  "when PROCESS has ended")                                                                \
	X(4, vma_unmap, ZERO, (quire_handle_t vma, quire_handle_t process),                        \
	  "vma: MAP; process: WRITE", QUIRE_E(INVALID) | QUIRE_E_HANDLE | QUIRE_E(NOT_FOUND),      \
	  "removes VMA's mapping from PROCESS (NOT_FOUND if it has none); the area lives on "      \
	  "while handles or other mappings hold it")                                               \
	X(5, vma_resize, ZERO, (quire_handle_t vma, uint64_t *size), "vma: WRITE",                 \
	  QUIRE_E(INVALID) | QUIRE_E(OUT_OF_RANGE) | QUIRE_E(EXISTS) | QUIRE_E(UNSUPPORTED) |      \
	      QUIRE_E_HANDLE | QUIRE_E(FAULT) | QUIRE_E(NO_MEMORY),                                \
	  "changes the area's size to *SIZE (rounded up to pages, written back) in every space "   \
	  "it is mapped into; shrinking frees the pages past the end and later touches there "     \
	  "fault; UNSUPPORTED for an area that cannot resize (fixed)")                             \
	X(6, vma_protect, ZERO, (quire_handle_t vma, quire_handle_t process, uint32_t flags),      \
	  "vma: READ/WRITE/EXECUTE for each bit in FLAGS; process: WRITE",                         \
	  QUIRE_E(INVALID) | QUIRE_E_HANDLE | QUIRE_E(NOT_FOUND),                                  \
	  "sets the protection of VMA's mapping in PROCESS to FLAGS (QUIRE_VMA_PROTECT_MASK); "    \
	  "never beyond what the handle's rights allow")                                           \
	X(7, handle_close, ZERO, (quire_handle_t handle), "none",                                  \
	  QUIRE_E(INVALID) | QUIRE_E(BAD_HANDLE),                                                  \
	  "closes HANDLE, dropping its reference to the object")                                   \
	X(8, handle_clone, ZERO,                                                                   \
	  (quire_handle_t handle, quire_rights_t rights, quire_handle_t *out),                     \
	  "handle: DUPLICATE",                                                                     \
	  QUIRE_E(INVALID) | QUIRE_E(BAD_HANDLE) | QUIRE_E(ACCESS_DENIED) | QUIRE_E(FAULT) |       \
	      QUIRE_E(NO_MEMORY),                                                                  \
	  "a new handle to the same object with RIGHTS, written to *OUT; RIGHTS must be a subset " \
	  "of HANDLE's (ACCESS_DENIED otherwise); bits outside QUIRE_RIGHTS_VALID are INVALID")    \
	X(9, process_spawn, ZERO,                                                                  \
	  (const char *path, const char *const *argv, size_t argc, const quire_handle_t *handles,  \
	   size_t handle_count, quire_handle_t *out),                                              \
	  "each of HANDLES: TRANSFER",                                                             \
	  QUIRE_E(INVALID) | QUIRE_E(NOT_FOUND) | QUIRE_E(OUT_OF_RANGE) | QUIRE_E(BAD_HANDLE) |    \
	      QUIRE_E(ACCESS_DENIED) | QUIRE_E(FAULT) | QUIRE_E(NO_MEMORY),                        \
	  "starts the initrd program PATH (NUL-terminated within QUIRE_PATH_MAX bytes, INVALID "   \
	  "otherwise) with ARGV[0..ARGC) and HANDLES moved into it (closed here on success; a "    \
	  "handle listed twice is INVALID); limits in quire/startup.h (OUT_OF_RANGE); writes a "   \
	  "handle to the process (READ, WRITE, DUPLICATE, TRANSFER) to *OUT; a malformed ELF is "  \
	  "INVALID")                                                                               \
	X(10, process_wait, ZERO, (quire_handle_t process, struct quire_exit_info *info),          \
	  "process: READ", QUIRE_E(INVALID) | QUIRE_E_HANDLE | QUIRE_E(FAULT),                     \
	  "waits until PROCESS has ended and writes how to *INFO: its exit status, or the fault "  \
	  "or exception that killed it (INFO is checked after the wait)")                          \
	X(11, process_exit, NORETURN, (int64_t status), "none", 0,                                 \
	  "ends the calling process with STATUS, releasing every handle and mapping it holds")     \
	X(12, thread_create, ZERO,                                                                 \
	  (quire_handle_t process, uint64_t entry, uint64_t stack_top, uint64_t arg,               \
	   quire_handle_t *out),                                                                   \
	  "process: WRITE",                                                                        \
	  QUIRE_E(INVALID) | QUIRE_E(NOT_FOUND) | QUIRE_E_HANDLE | QUIRE_E(FAULT) |                \
	      QUIRE_E(NO_MEMORY),                                                                  \
	  "a thread of PROCESS that enters ENTRY as if called, with ARG in rdi and rsp at "        \
	  "STACK_TOP - 8 (user addresses, STACK_TOP 16-byte aligned: INVALID otherwise); ENTRY "   \
	  "must end with thread_exit, not return; writes its handle to *OUT; NOT_FOUND when "      \
	  "PROCESS is ending")                                                                     \
	X(13, thread_exit, NORETURN, (void), "none", 0,                                            \
	  "ends the calling thread; the last one ends the process with status 0")                  \
	X(14, yield, ZERO, (void), "none", 0,                                                      \
	  "gives the rest of the time slice to another ready thread")                              \
	X(15, sleep, ZERO, (uint64_t ns), "none", 0,                                               \
	  "blocks the calling thread for at least NS nanoseconds")                                 \
	X(16, log, ZERO, (const char *msg, size_t len), "none",                                    \
	  QUIRE_E(OUT_OF_RANGE) | QUIRE_E(FAULT),                                                  \
	  "writes MSG[0..LEN) to the kernel log, tagged with the process; OUT_OF_RANGE past "      \
	  "4096 bytes")                                                                            \
	X(17, system_info, ZERO, (struct quire_system_info *info, size_t info_size), "none",       \
	  QUIRE_E(INVALID) | QUIRE_E(FAULT),                                                       \
	  "writes the first INFO_SIZE bytes of struct quire_system_info (frame counts) to "        \
	  "*INFO; an INFO_SIZE larger than the struct is INVALID")                                  \
	X(18, channel_create, ZERO, (uint32_t flags, quire_handle_t *out), "none",                 \
	  QUIRE_E(INVALID) | QUIRE_E(FAULT) | QUIRE_E(NO_MEMORY),                                  \
	  "a new channel: the handles of its two endpoints are written to OUT[0] and OUT[1], "     \
	  "each with QUIRE_CHANNEL_RIGHTS (quire/channel.h); FLAGS must be 0")                     \
	X(19, channel_send, ZERO,                                                                  \
	  (quire_handle_t channel, const void *bytes, size_t len, const quire_handle_t *handles,   \
	   size_t handle_count),                                                                   \
	  "channel: WRITE; each of HANDLES: TRANSFER",                                             \
	  QUIRE_E(INVALID) | QUIRE_E(OUT_OF_RANGE) | QUIRE_E_HANDLE | QUIRE_E(FAULT) |             \
	      QUIRE_E(NO_MEMORY) | QUIRE_E(SHOULD_WAIT) | QUIRE_E(PEER_CLOSED),                    \
	  "sends BYTES[0..LEN) and HANDLES[0..HANDLE_COUNT) to the other endpoint; the handles "   \
	  "leave this process and arrive there with their rights; more than the limits of "        \
	  "quire/channel.h is OUT_OF_RANGE, a handle listed twice or CHANNEL itself is INVALID, "  \
	  "a full queue is SHOULD_WAIT, a closed peer PEER_CLOSED; nothing moves on error")        \
	X(20, channel_receive, ZERO,                                                               \
	  (quire_handle_t channel, void *bytes, size_t *len, quire_handle_t *handles,              \
	   size_t *handle_count, uint64_t timeout_ns),                                             \
	  "channel: READ",                                                                         \
	  QUIRE_E(INVALID) | QUIRE_E_HANDLE | QUIRE_E(FAULT) | QUIRE_E(NO_MEMORY) |                \
	      QUIRE_E(SHOULD_WAIT) | QUIRE_E(TIMEOUT) | QUIRE_E(BUFFER_TOO_SMALL) |                \
	      QUIRE_E(PEER_CLOSED),                                                                \
	  "takes the oldest message: its bytes into BYTES and its handles into HANDLES, whose "    \
	  "capacities *LEN and *HANDLE_COUNT give; both are set to the message's sizes. Waits up " \
	  "to TIMEOUT_NS (0: SHOULD_WAIT at once when empty; QUIRE_WAIT_FOREVER: no limit; "       \
	  "TIMEOUT after it); BUFFER_TOO_SMALL leaves the message queued with the sizes needed "   \
	  "set; PEER_CLOSED once the queue is empty and the peer gone; NO_MEMORY (a full handle "  \
	  "table) and FAULT leave the message queued")
/* clang-format on */

/* The numbers: QUIRE_SYS_vma_create == 1, and so on. */
#define QUIRE_SYSCALL_NUMBER_(num, name, ...) QUIRE_SYS_##name = (num),
enum quire_syscall_number { QUIRE_SYSCALLS(QUIRE_SYSCALL_NUMBER_) };
#undef QUIRE_SYSCALL_NUMBER_

/* What RETURN says, as a type: the stubs' return types (0 or a negated enum quire_error). */
#define QUIRE_SYSCALL_RET_ZERO     long
#define QUIRE_SYSCALL_RET_NORETURN _Noreturn void

/* The return kinds there are; a RETURN not named here does not compile (the check below). */
enum { QUIRE_SYSCALL_KIND_ZERO = 1, QUIRE_SYSCALL_KIND_NORETURN = 1 };

/*
 * QUIRE_SYSCALL_TABLE_CHECK(TABLE, TAG) - rejects, at compile time, a table whose numbers are not
 * unique and dense from 1, whose RETURN is not ZERO or NORETURN, or whose ERRORS name a value
 * outside enum quire_error (or OK):
 *   - duplicates: every number becomes a case of one switch, and C forbids a duplicate case
 *     value (a hard error in every compiler, not a warning);
 *   - dense: every number lies in 1..COUNT, which with uniqueness leaves no gap;
 *   - return kinds: RETURN is pasted onto QUIRE_SYSCALL_KIND_, so anything but ZERO or
 *     NORETURN (such as the HANDLE kind an earlier draft had) is an undeclared identifier;
 *   - errors: an unknown name does not compile (QUIRE_E pastes it onto QUIRE_ERR_), and the
 *     mask may hold no bit at or past QUIRE_ERR_COUNT and not OK's.
 * Defines TAG_count (the number of calls) and TAG_number_is_known(n); used on the real
 * table below, and on broken ones by the negative build test (test/unit/abi_table_reject.c).
 */
#define QUIRE_SYSCALL_COUNT_ONE_(...)       +1
#define QUIRE_SYSCALL_CASE_(num, name, ...) case (num):
#define QUIRE_SYSCALL_ENTRY_CHECK_(num, name, ret, params, rights, errors, desc)                   \
	_Static_assert((num) >= 1 && (num) <= quire_check_count_,                                  \
		       "system call " #name ": numbers must be dense from 1");                     \
	_Static_assert(QUIRE_SYSCALL_KIND_##ret, "system call " #name ": RETURN is a kind");       \
	_Static_assert(((errors) & (~((1ull << QUIRE_ERR_COUNT) - 1) | QUIRE_E(OK))) == 0,         \
		       "system call " #name ": ERRORS must name errors of enum quire_error");
#define QUIRE_SYSCALL_TABLE_CHECK(TABLE, tag)                                                      \
	enum { tag##_count = 0 TABLE(QUIRE_SYSCALL_COUNT_ONE_) };                                  \
	static inline __attribute__((unused)) int tag##_number_is_known(unsigned number)           \
	{                                                                                          \
		enum { quire_check_count_ = 0 TABLE(QUIRE_SYSCALL_COUNT_ONE_) };                   \
		TABLE(QUIRE_SYSCALL_ENTRY_CHECK_)                                                  \
		switch (number) {                                                                  \
			TABLE(QUIRE_SYSCALL_CASE_)                                                 \
			return 1;                                                                  \
		default:                                                                           \
			return 0;                                                                  \
		}                                                                                  \
	}

QUIRE_SYSCALL_TABLE_CHECK(QUIRE_SYSCALLS, quire_syscall)
#define QUIRE_SYSCALL_COUNT quire_syscall_count

/*
 * The libc stubs (generated into libc.a): quire_NAME(PARAMETERS), one `syscall` each, returning
 * the kernel's result unchanged.
 */
#define QUIRE_SYSCALL_STUB_DECL_(num, name, ret, params, ...)                                      \
	QUIRE_SYSCALL_RET_##ret quire_##name params;
QUIRE_SYSCALLS(QUIRE_SYSCALL_STUB_DECL_)
#undef QUIRE_SYSCALL_STUB_DECL_
