// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction emulator against the host CPU: every form below runs
 * natively (in a 64-bit user process) and in the emulator over a mirrored
 * memory image, with random registers, flags, memory and encodings (REX,
 * 0x66, 0x67, segment prefixes, ModRM/SIB/RIP-relative addressing); GPRs,
 * RFLAGS, RIP and memory must agree afterwards. Faults (#DE) must agree too.
 */
#define _GNU_SOURCE
#include "unit.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>

#include "emulate/emulate.h"

#define DATA_SIZE 8192
#ifndef CASES_PER_FORM
#define CASES_PER_FORM 700
#endif

/* ---- native execution ------------------------------------------------ */
struct nstate {
	u64 gpr[16];
	u64 rflags;
	u8 ymm[16][32] __attribute__((aligned(32)));
	u64 mm[8];
};

_Static_assert(__builtin_offsetof(struct nstate, ymm) == 160 &&
		       __builtin_offsetof(struct nstate, mm) == 672,
	       "run_native's offsets");

void run_native(struct nstate *st, void *code);
asm(".text\n"
    ".globl run_native\n"
    "run_native:\n"
    "push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "push %rdi\n push %rsi\n"
    "pushq 128(%rdi)\n popfq\n"
    "vmovdqu 160(%rdi),%ymm0\n"
    "vmovdqu 192(%rdi),%ymm1\n"
    "vmovdqu 224(%rdi),%ymm2\n"
    "vmovdqu 256(%rdi),%ymm3\n"
    "vmovdqu 288(%rdi),%ymm4\n"
    "vmovdqu 320(%rdi),%ymm5\n"
    "vmovdqu 352(%rdi),%ymm6\n"
    "vmovdqu 384(%rdi),%ymm7\n"
    "vmovdqu 416(%rdi),%ymm8\n"
    "vmovdqu 448(%rdi),%ymm9\n"
    "vmovdqu 480(%rdi),%ymm10\n"
    "vmovdqu 512(%rdi),%ymm11\n"
    "vmovdqu 544(%rdi),%ymm12\n"
    "vmovdqu 576(%rdi),%ymm13\n"
    "vmovdqu 608(%rdi),%ymm14\n"
    "vmovdqu 640(%rdi),%ymm15\n"
    "movq 672(%rdi),%mm0\n"
    "movq 680(%rdi),%mm1\n"
    "movq 688(%rdi),%mm2\n"
    "movq 696(%rdi),%mm3\n"
    "movq 704(%rdi),%mm4\n"
    "movq 712(%rdi),%mm5\n"
    "movq 720(%rdi),%mm6\n"
    "movq 728(%rdi),%mm7\n"
    "mov 0(%rdi),%rax\n mov 8(%rdi),%rcx\n mov 16(%rdi),%rdx\n mov 24(%rdi),%rbx\n"
    "mov 40(%rdi),%rbp\n mov 48(%rdi),%rsi\n mov 64(%rdi),%r8\n mov 72(%rdi),%r9\n"
    "mov 80(%rdi),%r10\n mov 88(%rdi),%r11\n mov 96(%rdi),%r12\n mov 104(%rdi),%r13\n"
    "mov 112(%rdi),%r14\n mov 120(%rdi),%r15\n mov 56(%rdi),%rdi\n"
    "call *(%rsp)\n"
    "pushfq\n cld\n"
    "xchg %rdi,16(%rsp)\n"
    "mov %rax,0(%rdi)\n mov %rcx,8(%rdi)\n mov %rdx,16(%rdi)\n mov %rbx,24(%rdi)\n"
    "mov %rbp,40(%rdi)\n mov %rsi,48(%rdi)\n mov %r8,64(%rdi)\n mov %r9,72(%rdi)\n"
    "mov %r10,80(%rdi)\n mov %r11,88(%rdi)\n mov %r12,96(%rdi)\n mov %r13,104(%rdi)\n"
    "mov %r14,112(%rdi)\n mov %r15,120(%rdi)\n"
    "vmovdqu %ymm0,160(%rdi)\n"
    "vmovdqu %ymm1,192(%rdi)\n"
    "vmovdqu %ymm2,224(%rdi)\n"
    "vmovdqu %ymm3,256(%rdi)\n"
    "vmovdqu %ymm4,288(%rdi)\n"
    "vmovdqu %ymm5,320(%rdi)\n"
    "vmovdqu %ymm6,352(%rdi)\n"
    "vmovdqu %ymm7,384(%rdi)\n"
    "vmovdqu %ymm8,416(%rdi)\n"
    "vmovdqu %ymm9,448(%rdi)\n"
    "vmovdqu %ymm10,480(%rdi)\n"
    "vmovdqu %ymm11,512(%rdi)\n"
    "vmovdqu %ymm12,544(%rdi)\n"
    "vmovdqu %ymm13,576(%rdi)\n"
    "vmovdqu %ymm14,608(%rdi)\n"
    "vmovdqu %ymm15,640(%rdi)\n"
    "movq %mm0,672(%rdi)\n"
    "movq %mm1,680(%rdi)\n"
    "movq %mm2,688(%rdi)\n"
    "movq %mm3,696(%rdi)\n"
    "movq %mm4,704(%rdi)\n"
    "movq %mm5,712(%rdi)\n"
    "movq %mm6,720(%rdi)\n"
    "movq %mm7,728(%rdi)\n"
    "emms\n"
    "pop %rax\n mov %rax,128(%rdi)\n pop %rax\n pop %rax\n mov %rax,56(%rdi)\n"
    "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n ret\n");

static sigjmp_buf fault_jmp;
static volatile int fault_sig;

static void on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

/* ---- the emulator's memory: the mirror of the native data buffer --- */
static u8 *code, *data, *mirror;
static int stray;

static u8 *emu_addr(u64 la, u32 size, bool fetch)
{
	if (fetch && la >= (u64)code && la + size <= (u64)code + 4096)
		return (u8 *)la;
	if (la >= (u64)data && la + size <= (u64)data + DATA_SIZE)
		return mirror + (la - (u64)data);
	return NULL;
}

static int t_read(struct emu *e, u64 la, void *buf, u32 size, bool fetch)
{
	u8 *p = emu_addr(la, size, fetch);

	if (!p) {
		stray++;
		return emu_raise(e, EMU_VEC_PF, 0);
	}
	memcpy(buf, p, size);
	return EMU_OK;
}

static int t_write(struct emu *e, u64 la, const void *buf, u32 size)
{
	u8 *p = emu_addr(la, size, false);

	if (!p) {
		stray++;
		return emu_raise(e, EMU_VEC_PF, 0);
	}
	memcpy(p, buf, size);
	return EMU_OK;
}

static int t_pio(struct emu *e, u16 port, u32 size, u32 count)
{
	return EMU_UNHANDLED;
}

/* The emulator's vector registers. */
static u8 evec[16][32];
static u64 emm[8];

static void t_vec_read(struct emu *e, u32 idx, void *buf, u32 size)
{
	assert_true(size == 8 ? idx < 8 : idx < 16 && (size == 16 || size == 32));
	memcpy(buf, size == 8 ? (void *)&emm[idx] : evec[idx], size);
}

static void t_vec_write(struct emu *e, u32 idx, const void *buf, u32 size)
{
	assert_true(size == 8 ? idx < 8 : idx < 16 && (size == 16 || size == 32));
	memcpy(size == 8 ? (void *)&emm[idx] : evec[idx], buf, size);
}

static u16 t_fpu_sw(struct emu *e)
{
	return 0; /* the native run has no x87 exception pending either */
}

static const struct emu_ops test_ops = { .read = t_read,
					 .write = t_write,
					 .pio_in = t_pio,
					 .pio_out = t_pio,
					 .vec_read = t_vec_read,
					 .vec_write = t_vec_write,
					 .fpu_sw = t_fpu_sw };

/* A flat 64-bit user-mode guest. */
static void emu_init64(struct emu *e, const struct nstate *st, u64 rip)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->ops = &test_ops;
	memcpy(e->s.gpr, st->gpr, sizeof(st->gpr));
	memcpy(evec, st->ymm, sizeof(evec));
	memcpy(emm, st->mm, sizeof(emm));
	e->s.rflags = st->rflags;
	e->s.rip = rip;
	for (i = 0; i < EMU_NSEG; i++) {
		e->s.seg[i].ar = 0x93 | EMU_AR_DB;
		e->s.seg[i].limit = 0xffffffff;
	}
	e->s.seg[EMU_CS].ar = 0x9b | EMU_AR_L;
	e->s.cr0 = 0x80050033;
	e->s.cr4 = 0x40220; /* PAE, OSFXSR, OSXSAVE */
	e->s.xcr0 = 7;	    /* x87, SSE, AVX */
	e->s.efer = 0x500;
	e->s.cpl = 3;
}

/* ---- forms ----------------------------------------------------------- */
enum {
	F_MEM = 1,    /* ModRM must name memory */
	F_IMM1 = 2,   /* imm8 */
	F_IMMZ = 4,   /* imm16/32 */
	F_BITOFF = 8, /* the reg operand is a bit offset: keep it small */
	F_STR = 16,   /* string instruction, REP allowed */
	F_NO66 = 32,  /* no operand-size prefix */
	F_NOMODRM = 64,
	F_MOFFS = 128,	 /* A0-A3 */
	F_F3 = 256,	 /* mandatory F3 prefix */
	F_NOW = 512,	 /* no REX.W */
	F_DF = 1024,	 /* random DF */
	F_VEX = 2048,	 /* op[] = { map, pp, opcode }: VEX-encoded (C4) */
	F_66 = 4096,	 /* mandatory 66 prefix */
	F_VL = 8192,	 /* random VEX.L */
	F_NOV = 16384,	 /* VEX.vvvv 1111b (else #UD) but for a few cases */
	F_ALIGN = 32768, /* the operand is mostly aligned to 32 */
};

struct form {
	const char *name;
	u8 op[3], oplen;
	s8 digit; /* ModRM.reg fixed, or -1 */
	u32 flags;
};

#define ALU(n, b)                                                                         \
	{ n " Eb,Gb", { b }, 1, -1, 0 }, { n " Ev,Gv", { b + 1 }, 1, -1, 0 },             \
		{ n " Gb,Eb", { b + 2 }, 1, -1, 0 }, { n " Gv,Ev", { b + 3 }, 1, -1, 0 }, \
		{ n " Eb,Ib", { 0x80 }, 1, b / 8, F_IMM1 },                               \
		{ n " Ev,Iz", { 0x81 }, 1, b / 8, F_IMMZ },                               \
	{                                                                                 \
		n " Ev,Ib", { 0x83 }, 1, b / 8, F_IMM1                                    \
	}
#define SHIFT(n, d)                                                                   \
	{ n " Eb,1", { 0xd0 }, 1, d, 0 }, { n " Ev,1", { 0xd1 }, 1, d, 0 },           \
		{ n " Eb,CL", { 0xd2 }, 1, d, 0 }, { n " Ev,CL", { 0xd3 }, 1, d, 0 }, \
		{ n " Eb,Ib", { 0xc0 }, 1, d, F_IMM1 },                               \
	{                                                                             \
		n " Ev,Ib", { 0xc1 }, 1, d, F_IMM1                                    \
	}

static const struct form forms[] = {
	ALU("ADD", 0x00),
	ALU("OR", 0x08),
	ALU("ADC", 0x10),
	ALU("SBB", 0x18),
	ALU("AND", 0x20),
	ALU("SUB", 0x28),
	ALU("XOR", 0x30),
	ALU("CMP", 0x38),
	{ "TEST Eb,Gb", { 0x84 }, 1, -1, 0 },
	{ "TEST Ev,Gv", { 0x85 }, 1, -1, 0 },
	{ "TEST Eb,Ib", { 0xf6 }, 1, 0, F_IMM1 },
	{ "TEST Ev,Iz", { 0xf7 }, 1, 0, F_IMMZ },
	{ "NOT Eb", { 0xf6 }, 1, 2, 0 },
	{ "NOT Ev", { 0xf7 }, 1, 2, 0 },
	{ "NEG Eb", { 0xf6 }, 1, 3, 0 },
	{ "NEG Ev", { 0xf7 }, 1, 3, 0 },
	{ "MUL Eb", { 0xf6 }, 1, 4, 0 },
	{ "MUL Ev", { 0xf7 }, 1, 4, 0 },
	{ "IMUL Eb", { 0xf6 }, 1, 5, 0 },
	{ "IMUL Ev", { 0xf7 }, 1, 5, 0 },
	{ "DIV Eb", { 0xf6 }, 1, 6, 0 },
	{ "DIV Ev", { 0xf7 }, 1, 6, 0 },
	{ "IDIV Eb", { 0xf6 }, 1, 7, 0 },
	{ "IDIV Ev", { 0xf7 }, 1, 7, 0 },
	{ "INC Eb", { 0xfe }, 1, 0, 0 },
	{ "DEC Eb", { 0xfe }, 1, 1, 0 },
	{ "INC Ev", { 0xff }, 1, 0, 0 },
	{ "DEC Ev", { 0xff }, 1, 1, 0 },
	{ "IMUL Gv,Ev", { 0x0f, 0xaf }, 2, -1, 0 },
	{ "IMUL Gv,Ev,Iz", { 0x69 }, 1, -1, F_IMMZ },
	{ "IMUL Gv,Ev,Ib", { 0x6b }, 1, -1, F_IMM1 },
	{ "MOV Eb,Gb", { 0x88 }, 1, -1, 0 },
	{ "MOV Ev,Gv", { 0x89 }, 1, -1, 0 },
	{ "MOV Gb,Eb", { 0x8a }, 1, -1, 0 },
	{ "MOV Gv,Ev", { 0x8b }, 1, -1, 0 },
	{ "MOV Eb,Ib", { 0xc6 }, 1, 0, F_IMM1 },
	{ "MOV Ev,Iz", { 0xc7 }, 1, 0, F_IMMZ },
	{ "MOV AL,moffs", { 0xa0 }, 1, -1, F_NOMODRM | F_MOFFS },
	{ "MOV rAX,moffs", { 0xa1 }, 1, -1, F_NOMODRM | F_MOFFS },
	{ "MOV moffs,AL", { 0xa2 }, 1, -1, F_NOMODRM | F_MOFFS },
	{ "MOV moffs,rAX", { 0xa3 }, 1, -1, F_NOMODRM | F_MOFFS },
	{ "MOVZX Gv,Eb", { 0x0f, 0xb6 }, 2, -1, 0 },
	{ "MOVZX Gv,Ew", { 0x0f, 0xb7 }, 2, -1, 0 },
	{ "MOVSX Gv,Eb", { 0x0f, 0xbe }, 2, -1, 0 },
	{ "MOVSX Gv,Ew", { 0x0f, 0xbf }, 2, -1, 0 },
	{ "MOVSXD Gv,Ed", { 0x63 }, 1, -1, 0 },
	{ "MOVBE Gv,Mv", { 0x0f, 0x38, 0xf0 }, 3, -1, F_MEM },
	{ "MOVBE Mv,Gv", { 0x0f, 0x38, 0xf1 }, 3, -1, F_MEM },
	{ "MOVNTI My,Gy", { 0x0f, 0xc3 }, 2, -1, F_MEM | F_NO66 },
	{ "XCHG Eb,Gb", { 0x86 }, 1, -1, 0 },
	{ "XCHG Ev,Gv", { 0x87 }, 1, -1, 0 },
	{ "XADD Eb,Gb", { 0x0f, 0xc0 }, 2, -1, 0 },
	{ "XADD Ev,Gv", { 0x0f, 0xc1 }, 2, -1, 0 },
	{ "CMPXCHG Eb,Gb", { 0x0f, 0xb0 }, 2, -1, 0 },
	{ "CMPXCHG Ev,Gv", { 0x0f, 0xb1 }, 2, -1, 0 },
	{ "CMPXCHG8B/16B M", { 0x0f, 0xc7 }, 2, 1, F_MEM | F_NO66 },
	SHIFT("ROL", 0),
	SHIFT("ROR", 1),
	SHIFT("RCL", 2),
	SHIFT("RCR", 3),
	SHIFT("SHL", 4),
	SHIFT("SHR", 5),
	SHIFT("SAL", 6),
	SHIFT("SAR", 7),
	{ "SHLD Ev,Gv,Ib", { 0x0f, 0xa4 }, 2, -1, F_IMM1 },
	{ "SHLD Ev,Gv,CL", { 0x0f, 0xa5 }, 2, -1, 0 },
	{ "SHRD Ev,Gv,Ib", { 0x0f, 0xac }, 2, -1, F_IMM1 },
	{ "SHRD Ev,Gv,CL", { 0x0f, 0xad }, 2, -1, 0 },
	{ "BT Ev,Gv", { 0x0f, 0xa3 }, 2, -1, F_BITOFF },
	{ "BTS Ev,Gv", { 0x0f, 0xab }, 2, -1, F_BITOFF },
	{ "BTR Ev,Gv", { 0x0f, 0xb3 }, 2, -1, F_BITOFF },
	{ "BTC Ev,Gv", { 0x0f, 0xbb }, 2, -1, F_BITOFF },
	{ "BT Ev,Ib", { 0x0f, 0xba }, 2, 4, F_IMM1 },
	{ "BTS Ev,Ib", { 0x0f, 0xba }, 2, 5, F_IMM1 },
	{ "BTR Ev,Ib", { 0x0f, 0xba }, 2, 6, F_IMM1 },
	{ "BTC Ev,Ib", { 0x0f, 0xba }, 2, 7, F_IMM1 },
	{ "BSF Gv,Ev", { 0x0f, 0xbc }, 2, -1, 0 },
	{ "BSR Gv,Ev", { 0x0f, 0xbd }, 2, -1, 0 },
	{ "TZCNT Gv,Ev", { 0x0f, 0xbc }, 2, -1, F_F3 },
	{ "LZCNT Gv,Ev", { 0x0f, 0xbd }, 2, -1, F_F3 },
	{ "POPCNT Gv,Ev", { 0x0f, 0xb8 }, 2, -1, F_F3 },
	{ "SETcc Eb", { 0x0f, 0x90 }, 2, -1, 0 },
	{ "CMOVcc Gv,Ev", { 0x0f, 0x40 }, 2, -1, 0 },
	{ "ANDN Gy,By,Ey", { 2, 0, 0xf2 }, 3, -1, F_VEX },
	{ "BEXTR Gy,Ey,By", { 2, 0, 0xf7 }, 3, -1, F_VEX },
	{ "BZHI Gy,Ey,By", { 2, 0, 0xf5 }, 3, -1, F_VEX },
	{ "PDEP Gy,By,Ey", { 2, 3, 0xf5 }, 3, -1, F_VEX },
	{ "PEXT Gy,By,Ey", { 2, 2, 0xf5 }, 3, -1, F_VEX },
	{ "SARX Gy,Ey,By", { 2, 2, 0xf7 }, 3, -1, F_VEX },
	{ "SHLX Gy,Ey,By", { 2, 1, 0xf7 }, 3, -1, F_VEX },
	{ "SHRX Gy,Ey,By", { 2, 3, 0xf7 }, 3, -1, F_VEX },
	{ "MULX Gy,By,Ey", { 2, 3, 0xf6 }, 3, -1, F_VEX },
	{ "BLSR By,Ey", { 2, 0, 0xf3 }, 3, 1, F_VEX },
	{ "BLSMSK By,Ey", { 2, 0, 0xf3 }, 3, 2, F_VEX },
	{ "BLSI By,Ey", { 2, 0, 0xf3 }, 3, 3, F_VEX },
	{ "RORX Gy,Ey,Ib", { 3, 3, 0xf0 }, 3, -1, F_VEX | F_IMM1 },
	{ "MOVUPS Vx,Wx", { 0x0f, 0x10 }, 2, -1, 0 },
	{ "MOVUPS Wx,Vx", { 0x0f, 0x11 }, 2, -1, 0 },
	{ "MOVUPD Vx,Wx", { 0x0f, 0x10 }, 2, -1, F_66 },
	{ "MOVUPD Wx,Vx", { 0x0f, 0x11 }, 2, -1, F_66 },
	{ "MOVAPS Vx,Wx", { 0x0f, 0x28 }, 2, -1, F_ALIGN },
	{ "MOVAPS Wx,Vx", { 0x0f, 0x29 }, 2, -1, F_ALIGN },
	{ "MOVAPD Vx,Wx", { 0x0f, 0x28 }, 2, -1, F_66 | F_ALIGN },
	{ "MOVAPD Wx,Vx", { 0x0f, 0x29 }, 2, -1, F_66 | F_ALIGN },
	{ "MOVNTPS Mx,Vx", { 0x0f, 0x2b }, 2, -1, F_MEM | F_ALIGN },
	{ "MOVNTPD Mx,Vx", { 0x0f, 0x2b }, 2, -1, F_MEM | F_66 | F_ALIGN },
	{ "MOVDQA Vx,Wx", { 0x0f, 0x6f }, 2, -1, F_66 | F_ALIGN },
	{ "MOVDQA Wx,Vx", { 0x0f, 0x7f }, 2, -1, F_66 | F_ALIGN },
	{ "MOVDQU Vx,Wx", { 0x0f, 0x6f }, 2, -1, F_F3 },
	{ "MOVDQU Wx,Vx", { 0x0f, 0x7f }, 2, -1, F_F3 },
	{ "MOVNTDQ Mx,Vx", { 0x0f, 0xe7 }, 2, -1, F_MEM | F_66 | F_ALIGN },
	{ "MOVNTDQA Vx,Mx", { 0x0f, 0x38, 0x2a }, 3, -1, F_MEM | F_66 | F_ALIGN },
	{ "MOVD/Q Vx,Ey", { 0x0f, 0x6e }, 2, -1, F_66 },
	{ "MOVD/Q Ey,Vx", { 0x0f, 0x7e }, 2, -1, F_66 },
	{ "MOVQ Vx,Wq", { 0x0f, 0x7e }, 2, -1, F_F3 },
	{ "MOVQ Wq,Vx", { 0x0f, 0xd6 }, 2, -1, F_66 },
	{ "MOVD/Q Pq,Ey", { 0x0f, 0x6e }, 2, -1, F_NO66 },
	{ "MOVD/Q Ey,Pq", { 0x0f, 0x7e }, 2, -1, F_NO66 },
	{ "MOVQ Pq,Qq", { 0x0f, 0x6f }, 2, -1, F_NO66 },
	{ "MOVQ Qq,Pq", { 0x0f, 0x7f }, 2, -1, F_NO66 },
	{ "MOVNTQ Mq,Pq", { 0x0f, 0xe7 }, 2, -1, F_NO66 | F_MEM },
	{ "VMOVUPS Vx,Wx", { 1, 0, 0x10 }, 3, -1, F_VEX | F_VL | F_NOV },
	{ "VMOVUPS Wx,Vx", { 1, 0, 0x11 }, 3, -1, F_VEX | F_VL | F_NOV },
	{ "VMOVUPD Vx,Wx", { 1, 1, 0x10 }, 3, -1, F_VEX | F_VL | F_NOV },
	{ "VMOVUPD Wx,Vx", { 1, 1, 0x11 }, 3, -1, F_VEX | F_VL | F_NOV },
	{ "VMOVAPS Vx,Wx", { 1, 0, 0x28 }, 3, -1, F_VEX | F_VL | F_NOV | F_ALIGN },
	{ "VMOVAPS Wx,Vx", { 1, 0, 0x29 }, 3, -1, F_VEX | F_VL | F_NOV | F_ALIGN },
	{ "VMOVAPD Vx,Wx", { 1, 1, 0x28 }, 3, -1, F_VEX | F_VL | F_NOV | F_ALIGN },
	{ "VMOVAPD Wx,Vx", { 1, 1, 0x29 }, 3, -1, F_VEX | F_VL | F_NOV | F_ALIGN },
	{ "VMOVNTPS Mx,Vx", { 1, 0, 0x2b }, 3, -1, F_VEX | F_VL | F_NOV | F_MEM | F_ALIGN },
	{ "VMOVNTPD Mx,Vx", { 1, 1, 0x2b }, 3, -1, F_VEX | F_VL | F_NOV | F_MEM | F_ALIGN },
	{ "VMOVDQA Vx,Wx", { 1, 1, 0x6f }, 3, -1, F_VEX | F_VL | F_NOV | F_ALIGN },
	{ "VMOVDQA Wx,Vx", { 1, 1, 0x7f }, 3, -1, F_VEX | F_VL | F_NOV | F_ALIGN },
	{ "VMOVDQU Vx,Wx", { 1, 2, 0x6f }, 3, -1, F_VEX | F_VL | F_NOV },
	{ "VMOVDQU Wx,Vx", { 1, 2, 0x7f }, 3, -1, F_VEX | F_VL | F_NOV },
	{ "VMOVNTDQ Mx,Vx", { 1, 1, 0xe7 }, 3, -1, F_VEX | F_VL | F_NOV | F_MEM | F_ALIGN },
	{ "VMOVNTDQA Vx,Mx", { 2, 1, 0x2a }, 3, -1, F_VEX | F_VL | F_NOV | F_MEM | F_ALIGN },
	{ "VMOVD/Q Vx,Ey", { 1, 1, 0x6e }, 3, -1, F_VEX | F_NOV },
	{ "VMOVD/Q Ey,Vx", { 1, 1, 0x7e }, 3, -1, F_VEX | F_NOV },
	{ "VMOVQ Vx,Wq", { 1, 2, 0x7e }, 3, -1, F_VEX | F_NOV },
	{ "VMOVQ Wq,Vx", { 1, 1, 0xd6 }, 3, -1, F_VEX | F_NOV },
	{ "MOVS", { 0xa4 }, 1, -1, F_NOMODRM | F_STR },
	{ "CMPS", { 0xa6 }, 1, -1, F_NOMODRM | F_STR },
	{ "STOS", { 0xaa }, 1, -1, F_NOMODRM | F_STR },
	{ "LODS", { 0xac }, 1, -1, F_NOMODRM | F_STR },
	{ "SCAS", { 0xae }, 1, -1, F_NOMODRM | F_STR },
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

static u64 rnd(void)
{
	static u64 x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Register values with the interesting edges. */
static u64 rnd_val(void)
{
	static const u64 edge[] = { 0,
				    1,
				    0x7f,
				    0x80,
				    0xff,
				    0x7fff,
				    0x8000,
				    0xffff,
				    0x7fffffff,
				    0x80000000,
				    0xffffffff,
				    0x7fffffffffffffffULL,
				    0x8000000000000000ULL,
				    ~0ULL };
	u64 r = rnd();

	switch (r & 7) {
	case 0:
		return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return (r >> 8) & 0xff;
	case 2:
		return (r >> 8) & 31;
	default:
		return rnd();
	}
}

struct gen {
	u8 bytes[32];
	int n;
	struct nstate st;
	int rip_disp_at; /* where a RIP-relative disp32 goes, or -1 */
	u64 target;
};

/* Encode a memory ModRM (mod 0-2) aimed at @target, or a register one. */
static void gen_modrm(struct gen *g, const struct form *f, u8 rex, bool a32, u8 *rexp)
{
	int regf = f->digit >= 0 ? f->digit : (int)(rnd() & 15), kind = rnd() % 8, base, idx;

	if (f->digit < 0 && regf == 4)
		regf = 12; /* never RSP */
	u64 disp;

	if (regf > 7)
		*rexp |= 4;
	if (!(f->flags & F_MEM) && kind == 7) { /* register operand */
		int rm = rnd() & 15;

		if ((rm & 7) == 4)
			rm++; /* keep RSP */
		if (rm > 7)
			*rexp |= 1;
		g->bytes[g->n++] = 0xc0 | ((regf & 7) << 3) | (rm & 7);
		return;
	}
	do {
		base = rnd() & 15;
	} while ((base & 7) == 4 || base == (regf | 8) || base == regf);
	if (kind < 2 && !a32) { /* RIP-relative */
		g->bytes[g->n++] = ((regf & 7) << 3) | 5;
		g->rip_disp_at = g->n;
		g->n += 4;
		return;
	}
	disp = (kind & 1) ? (u64)(s8)rnd() : (u64)(s32)(rnd() % 4096) - 2048;
	if (kind >= 4) { /* SIB with an index */
		int scale = rnd() & 3;

		do {
			idx = rnd() & 15;
		} while (idx == 4 || idx == base || (idx & 15) == regf);
		g->st.gpr[idx] = rnd() % 16;
		if (idx > 7)
			*rexp |= 2;
		if (base > 7)
			*rexp |= 1;
		g->bytes[g->n++] = ((kind & 1) ? 0x44 : 0x84) | ((regf & 7) << 3);
		g->bytes[g->n++] = (scale << 6) | ((idx & 7) << 3) | (base & 7);
		g->st.gpr[base] = g->target - (g->st.gpr[idx] << scale) - disp;
	} else {
		if (base > 7)
			*rexp |= 1;
		g->bytes[g->n++] = ((kind & 1) ? 0x40 : 0x80) | ((regf & 7) << 3) | (base & 7);
		g->st.gpr[base] = g->target - disp;
	}
	if (a32)
		g->st.gpr[base] = (u32)g->st.gpr[base] | (rnd() << 32);
	if (kind & 1) {
		g->bytes[g->n++] = (u8)disp;
	} else {
		memcpy(g->bytes + g->n, &disp, 4);
		g->n += 4;
	}
	(void)rex;
}

/* One random instance of @f; returns false when the form cannot be built. */
static void gen_insn(struct gen *g, const struct form *f)
{
	u8 pfx[4], np = 0, rex = 0x40, oplast;
	u8 body[32];
	int i, nb;
	bool a32 = !(f->flags & F_STR) && (rnd() % 8 == 0);

	memset(g, 0, sizeof(*g));
	g->rip_disp_at = -1;
	for (i = 0; i < 16; i++)
		g->st.gpr[i] = rnd_val();
	g->st.rflags = 0x202 | (rnd() & EMU_ARITH);
	if (f->flags & F_STR)
		g->st.rflags |= (rnd() & 1) ? EMU_DF : 0;
	for (i = 0; i < 16 * 32; i++)
		g->st.ymm[i / 32][i % 32] = rnd();
	for (i = 0; i < 8; i++)
		g->st.mm[i] = rnd();
	g->target = (u64)data + 64 + rnd() % (DATA_SIZE - 128);
	if ((f->flags & F_ALIGN) && rnd() % 8)
		g->target &= ~31ULL;
	if (f->flags & F_66)
		pfx[np++] = 0x66;
	else if (!(f->flags & (F_NO66 | F_VEX)) && rnd() % 4 == 0)
		pfx[np++] = 0x66;
	if (a32)
		pfx[np++] = 0x67;
	if (rnd() % 8 == 0)
		pfx[np++] = 0x2e + 8 * (rnd() % 3); /* CS/DS... ignored in 64-bit mode */
	if ((f->flags & F_STR) && rnd() % 2)
		pfx[np++] = (rnd() & 1) ? 0xf3 : 0xf2;
	if (f->flags & F_F3)
		pfx[np++] = 0xf3;
	if (!(f->flags & F_NOW) && rnd() % 2)
		rex |= 8;
	oplast = f->op[f->oplen - 1];
	if (!strncmp(f->name, "SETcc", 5) || !strncmp(f->name, "CMOVcc", 6))
		oplast |= rnd() & 15;
	if (f->flags & F_STR)
		oplast |= rnd() & 1;
	/* the body after REX: opcode, ModRM..., immediates */
	g->n = 0;
	if (f->flags & F_VEX) {
		g->bytes[g->n++] = f->op[2];
	} else {
		memcpy(g->bytes, f->op, f->oplen);
		g->bytes[f->oplen - 1] = oplast;
		g->n = f->oplen;
	}
	if (!(f->flags & F_NOMODRM))
		gen_modrm(g, f, rex, a32, &rex);
	if (f->flags & F_MOFFS) {
		u64 a = g->target;
		int w = a32 ? 4 : 8;

		memcpy(g->bytes + g->n, &a, w);
		g->n += w;
	}
	if (f->flags & F_IMM1)
		g->bytes[g->n++] = rnd();
	if (f->flags & F_IMMZ) {
		u32 v = rnd_val();
		int w = (np && pfx[0] == 0x66 && !(rex & 8)) ? 2 : 4;

		memcpy(g->bytes + g->n, &v, w);
		g->n += w;
	}
	if (f->flags & F_BITOFF) {
		int r = ((g->bytes[f->oplen] >> 3) & 7) | ((rex & 4) << 1);

		/* a bit offset register also used for the address: leave it */
		if ((g->bytes[f->oplen] >> 6) == 3 || (g->st.gpr[r] - (u64)data) > DATA_SIZE)
			g->st.gpr[r] = (u64)((s64)(rnd() % 1024) - 512);
	}
	if (f->flags & F_STR) {
		g->st.gpr[1] = rnd() % 6;
		g->st.gpr[6] = (u64)data + 512 + rnd() % (DATA_SIZE - 1024);
		g->st.gpr[7] = (u64)data + 512 + rnd() % (DATA_SIZE - 1024);
	}
	nb = g->n;
	memcpy(body, g->bytes, nb);
	memcpy(g->bytes, pfx, np);
	if (f->flags & F_VEX) {
		int v;

		u8 l = ((f->flags & F_VL) && (rnd() & 1)) || rnd() % 32 == 0 ? 4 : 0;

		do {
			v = rnd() & 15;
		} while (v == 4 || (f->op[0] == 3 && v && rnd() % 8) ||
			 ((f->flags & F_NOV) && v && rnd() % 16));
		if (f->op[0] == 1 && !(rex & 0xb) && (rnd() & 1)) { /* the 2-byte form */
			g->bytes[np++] = 0xc5;
			g->bytes[np++] = ((~rex & 4) << 5) | ((~v & 15) << 3) | l | f->op[1];
		} else {
			g->bytes[np++] = 0xc4;
			g->bytes[np++] = ((~rex & 7) << 5) | f->op[0];
			g->bytes[np++] = ((rex & 8) << 4) | ((~v & 15) << 3) | l | f->op[1];
		}
	} else if (rex != 0x40 || rnd() % 4 == 0) {
		g->bytes[np++] = rex;
	}
	memcpy(g->bytes + np, body, nb);
	g->n = np + nb;
	if (g->rip_disp_at >= 0) {
		s32 d = (s32)(g->target - ((u64)code + g->n));

		memcpy(g->bytes + np + g->rip_disp_at, &d, 4);
	}
}

/* Run natively; the signal it raised, or 0. */
static __attribute__((noinline)) int run_guarded(struct nstate *nat)
{
	fault_sig = 0;
	if (sigsetjmp(fault_jmp, 0) == 0)
		run_native(nat, code);
	return fault_sig;
}

/*
 * The flags to compare. A shift or rotate by an immediate count other than
 * 1 leaves OF undefined (SDM vol. 2B, RCL/RCR/ROL/ROR, SAL/SAR/SHL/SHR); the
 * emulator runs the CL form, and some CPUs (seen on a Xeon: ROL Eb,Ib) set
 * OF differently for the immediate form than for CL with the same count.
 */
static u64 flags_defined(const struct form *f, const struct gen *g)
{
	bool grp2_imm = f->oplen == 1 && (f->op[0] == 0xc0 || f->op[0] == 0xc1);
	u8 mask = 0x1f;
	int i;

	if (!grp2_imm)
		return EMU_ARITH | EMU_DF;
	/* A 64-bit operand (REX.W, just before the opcode) masks the count to 6 bits. */
	for (i = 0; i + 1 < g->n && g->bytes[i] != f->op[0]; i++)
		if (f->op[0] == 0xc1 && (g->bytes[i] & 0xf8) == 0x48 && g->bytes[i + 1] == f->op[0])
			mask = 0x3f;
	if ((g->bytes[g->n - 1] & mask) != 1)
		return (EMU_ARITH | EMU_DF) & ~EMU_OF;
	return EMU_ARITH | EMU_DF;
}

static bool run_case(const struct form *f, char *why, size_t why_len)
{
	struct gen g;
	struct nstate nat;
	struct emu e;
	int r = 0, steps = 0;
	bool native_de = false;

	gen_insn(&g, f);
	for (int i = 0; i < DATA_SIZE; i++)
		data[i] = rnd();
	memcpy(mirror, data, DATA_SIZE);
	memcpy(code, g.bytes, g.n);
	code[g.n] = 0xc3;
	nat = g.st;
	emu_init64(&e, &g.st, (u64)code);
	native_de = run_guarded(&nat) == SIGFPE;
	if (fault_sig && !native_de) {
		/* CMPXCHG16B misaligned, or a stray address: must be a fault in the emulator too */
		r = emu_step(&e);
		if (r == EMU_EXCEPTION && e.exc_vec == EMU_VEC_GP && fault_sig != SIGILL)
			return true;
		if (r == EMU_EXCEPTION && e.exc_vec == EMU_VEC_UD && fault_sig == SIGILL)
			return true;
		snprintf(why, why_len, "native signal %d, emulator %d", fault_sig, r);
		return false;
	}
	do {
		r = emu_step(&e);
	} while (r == EMU_OK && e.s.rip == (u64)code && ++steps < 64);
	if (native_de) {
		if (r == EMU_EXCEPTION && e.exc_vec == EMU_VEC_DE)
			return true;
		snprintf(why, why_len, "native #DE, emulator %d", r);
		return false;
	}
	if (r != EMU_OK) {
		snprintf(why, why_len, "emulator returned %d vec %d", r, e.exc_vec);
		return false;
	}
	if (e.s.rip != (u64)code + g.n) {
		snprintf(why, why_len, "rip +%lld, want +%d", (long long)(e.s.rip - (u64)code),
			 g.n);
		return false;
	}
	for (int i = 0; i < 16; i++) {
		if (i != 4 && e.s.gpr[i] != nat.gpr[i]) {
			snprintf(why, why_len, "gpr%d 0x%llx, native 0x%llx", i,
				 (unsigned long long)e.s.gpr[i], (unsigned long long)nat.gpr[i]);
			return false;
		}
	}
	if ((e.s.rflags ^ nat.rflags) & flags_defined(f, &g)) {
		snprintf(why, why_len, "rflags 0x%llx, native 0x%llx",
			 (unsigned long long)e.s.rflags, (unsigned long long)nat.rflags);
		return false;
	}
	if (memcmp(data, mirror, DATA_SIZE)) {
		snprintf(why, why_len, "memory differs");
		return false;
	}
	for (int i = 0; i < 8; i++) {
		if (emm[i] != nat.mm[i]) {
			snprintf(why, why_len, "mm%d differs", i);
			return false;
		}
	}
	for (int i = 0; i < 16; i++) {
		if (memcmp(evec[i], nat.ymm[i], 32)) {
			snprintf(why, why_len, "ymm%d differs", i);
			return false;
		}
	}
	return true;
}

static void dump(const struct form *f, const char *why)
{
	char hex[100] = "";

	for (int i = 0; i < 24 && i < 32; i++)
		sprintf(hex + strlen(hex), "%02x ", code[i]);
	print_error("%s: %s (bytes %s)\n", f->name, why, hex);
}

static void test_differential(void **state)
{
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };
	unsigned long total = 0, bad = 0;
	char why[160];

	(void)state;
	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	mirror = malloc(DATA_SIZE);
	assert_true(code != MAP_FAILED && data != MAP_FAILED && mirror);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	printf("emulate: differential forms:");
	for (size_t i = 0; i < NFORMS; i++) {
		printf("%s%s", i % 8 ? ", " : "\n  ", forms[i].name);
		for (int c = 0; c < CASES_PER_FORM; c++) {
			total++;
			if (!run_case(&forms[i], why, sizeof(why)) && bad++ < 10)
				dump(&forms[i], why);
		}
	}
	printf("\nemulate: %lu differential cases over %zu forms, %lu mismatches, %d stray "
	       "accesses\n",
	       total, NFORMS, bad, stray);
	signal(SIGFPE, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	munmap(code, 4096);
	munmap(data, DATA_SIZE);
	free(mirror);
	assert_int_equal(bad, 0);
	assert_true(total >= 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
