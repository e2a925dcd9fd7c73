/*
 * The only code that touches user memory (see kernel/user_copy.h). Each routine opens user
 * access with stac (when SMAP is on) and closes it with clac; a page fault whose RIP lies in a
 * routine's access range, and that the process's space cannot serve, resumes at the routine's
 * fixup (user_copy_fixups, read by trap.c), which reports the fault to the caller.
 */
	.section .text, "ax"

.macro user_open
	cmpb $0, user_copy_smap(%rip)
	je 98f
	stac
98:
.endm

.macro user_close
	cmpb $0, user_copy_smap(%rip)
	je 99f
	clac
99:
.endm

/* uint64_t user_copy_raw(void *dst, const void *src, uint64_t n): 0, or 1 if it faulted. */
	.p2align 4
	.globl user_copy_raw
	.type user_copy_raw, @function
user_copy_raw:
	user_open
	movq %rdx, %rcx
	xorl %eax, %eax
.Lcopy_begin:
	rep movsb
.Lcopy_end:
.Lcopy_done:
	user_close
	ret
.Lcopy_fixup:
	movl $1, %eax
	jmp .Lcopy_done
	.size user_copy_raw, . - user_copy_raw

/*
 * int64_t user_copy_str_raw(char *dst, const char *src, uint64_t max): copies up to MAX bytes
 * stopping after a NUL; the NUL's index, MAX when there was none, -1 if it faulted.
 */
	.p2align 4
	.globl user_copy_str_raw
	.type user_copy_str_raw, @function
user_copy_str_raw:
	user_open
	xorl %eax, %eax
1:	cmpq %rdx, %rax
	jae .Lstr_done
.Lstr_begin:
	movb (%rsi,%rax), %cl
.Lstr_end:
	movb %cl, (%rdi,%rax)
	testb %cl, %cl
	jz .Lstr_done
	incq %rax
	jmp 1b
.Lstr_done:
	user_close
	ret
.Lstr_fixup:
	movq $-1, %rax
	jmp .Lstr_done
	.size user_copy_str_raw, . - user_copy_str_raw

/* {first, end, fixup} per access range: a fault at first <= RIP < end resumes at fixup. */
	.section .rodata, "a"
	.p2align 3
	.globl user_copy_fixups
user_copy_fixups:
	.quad .Lcopy_begin, .Lcopy_end, .Lcopy_fixup
	.quad .Lstr_begin, .Lstr_end, .Lstr_fixup
	.globl user_copy_fixup_count
user_copy_fixup_count:
	.quad 2
