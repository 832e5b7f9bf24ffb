/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * haxm user-space ABI: the devices, ioctls and structures of Intel HAXM 7.8's
 * POSIX interface, byte for byte, so that existing clients (QEMU -accel hax)
 * work unchanged. Every layout below is asserted at the end of this file.
 *
 * Devices: /dev/HAX (system), /dev/hax_vm/vmNN (one VM), /dev/hax_vmNN/vcpuMM
 * (one vCPU); NN and MM are two decimal digits or more.
 */
#ifndef HAXM_UAPI_HAXM_H
#define HAXM_UAPI_HAXM_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
#else
#include <stdint.h>
#ifndef _WIN32
/* _IOR() and co. for the ioctl numbers; a Windows host has no such header. */
#include <sys/ioctl.h>
#endif
#endif

#ifdef __KERNEL__
typedef __u8 hax_u8;
typedef __u16 hax_u16;
typedef __u32 hax_u32;
typedef __u64 hax_u64;
#else
typedef uint8_t hax_u8;
typedef uint16_t hax_u16;
typedef uint32_t hax_u32;
typedef uint64_t hax_u64;
#endif

#define HAX_PACKED __attribute__((packed))

#define HAX_DEVFS_SYSTEM   "/dev/HAX"
#define HAX_DEVFS_VM_FMT   "/dev/hax_vm/vm%02d"
#define HAX_DEVFS_VCPU_FMT "/dev/hax_vm%02d/vcpu%02d"

/* API versions: what we implement and the oldest client we still serve. */
#define HAX_API_CUR_VERSION    4
#define HAX_API_COMPAT_VERSION 1

/* Limits. HAXM allowed 16 vCPUs a VM; we allow more (ids 0..HAX_MAX_VCPUS-1). */
#define HAX_MAX_VMS	      64
#define HAX_MAX_VCPUS	      64
#define HAX_MAX_MSR_ARRAY     32
#define HAX_MAX_CPUID_ENTRIES 64
#define HAX_IOBUF_SIZE	      4096

/* ---- /dev/HAX ---------------------------------------------------------- */

struct hax_module_version {
	hax_u32 compat_version;
	hax_u32 cur_version;
} HAX_PACKED;

#define HAX_CAP_STATUS_WORKING (1 << 0)
#define HAX_CAP_MEMQUOTA       (1 << 1)
/* winfo when not working */
#define HAX_CAP_FAILREASON_VT (1 << 0)
#define HAX_CAP_FAILREASON_NX (1 << 1)
/* winfo when working */
#define HAX_CAP_EPT		  (1 << 0)
#define HAX_CAP_FASTMMIO	  (1 << 1)
#define HAX_CAP_UG		  (1 << 2)
#define HAX_CAP_64BIT_RAMBLOCK	  (1 << 3)
#define HAX_CAP_64BIT_SETRAM	  (1 << 4)
#define HAX_CAP_TUNNEL_PAGE	  (1 << 5)
#define HAX_CAP_RAM_PROTECTION	  (1 << 6)
#define HAX_CAP_DEBUG		  (1 << 7)
#define HAX_CAP_IMPLICIT_RAMBLOCK (1 << 8)
#define HAX_CAP_CPUID		  (1 << 9)
/*
 * haxm extensions, never in HAXM: the highest bits, so HAXM's own numbering
 * could never have reached them.
 */
#define HAX_CAP_DIRTY_LOG  (1 << 15) /* HAX_VM_IOCTL_DIRTY_LOG_{START,GET,STOP} */
#define HAX_CAP_VCPU_STATE (1 << 14) /* HAX_VCPU_IOCTL_{GET,SET}_STATE */
/* winfo is 16 bits wide: extensions take bits from 15 down */
#define HAX_CAP_LAPIC (1 << 13) /* HAX_VM_IOCTL_LAPIC_ENABLE, HAX_VCPU_IOCTL_{GET,SET}_LAPIC */
/* HAX_LAPIC_ENABLE_IOAPIC, HAX_VM_IOCTL_IRQ_LINE, HAX_VM_IOCTL_{GET,SET}_IOAPIC */
#define HAX_CAP_IOAPIC (1 << 12)
/* HAX_LAPIC_ENABLE_PIC/_PIT, HAX_VM_IOCTL_{GET,SET}_{PIC,PIT} */
#define HAX_CAP_PIC_PIT (1 << 11)
/* HAX_VM_IOCTL_SIGNAL_MSI (the last free bit of winfo) */
#define HAX_CAP_MSI (1 << 10)

struct hax_capabilityinfo {
	hax_u16 wstatus;
	hax_u16 winfo;
	hax_u32 win_refcount;
	hax_u64 mem_quota;
} HAX_PACKED;

struct hax_set_memlimit {
	hax_u8 enable_memlimit;
	hax_u8 pad[7];
	hax_u64 memory_limit; /* MiB */
} HAX_PACKED;

/* ---- VM ---------------------------------------------------------------- */

struct hax_alloc_ram_info {
	hax_u32 size;
	hax_u32 pad;
	hax_u64 va;
} HAX_PACKED;

struct hax_ramblock_info {
	hax_u64 start_va;
	hax_u64 size;
	hax_u64 reserved; /* must be 0 */
} HAX_PACKED;

#define HAX_RAM_INFO_ROM	0x01
#define HAX_RAM_INFO_STANDALONE 0x40
#define HAX_RAM_INFO_INVALID	0x80

struct hax_set_ram_info {
	hax_u64 pa_start;
	hax_u32 size;
	hax_u8 flags;
	hax_u8 pad[3];
	hax_u64 va;
} HAX_PACKED;

struct hax_set_ram_info2 {
	hax_u64 pa_start;
	hax_u64 size;
	hax_u64 va;
	hax_u32 flags;
	hax_u32 reserved1;
	hax_u64 reserved2;
} HAX_PACKED;

#define HAX_RAM_PERM_NONE 0x0
#define HAX_RAM_PERM_R	  0x1
#define HAX_RAM_PERM_W	  0x2
#define HAX_RAM_PERM_X	  0x4
#define HAX_RAM_PERM_RW	  0x3
#define HAX_RAM_PERM_RWX  0x7
#define HAX_RAM_PERM_MASK 0x7

struct hax_protect_ram_info {
	hax_u64 pa_start;
	hax_u64 size;
	hax_u32 flags;
	hax_u32 reserved;
} HAX_PACKED;

struct hax_qemu_version {
	hax_u32 cur_version;
	hax_u32 least_version;
} HAX_PACKED;

/* ---- vCPU -------------------------------------------------------------- */

/* Exit statuses reported in hax_tunnel._exit_status. */
enum hax_exit_status {
	HAX_EXIT_IO = 1,
	HAX_EXIT_MMIO = 2,
	HAX_EXIT_REALMODE = 3,
	HAX_EXIT_INTERRUPT = 4,
	HAX_EXIT_UNKNOWN = 5,
	HAX_EXIT_HLT = 6,
	HAX_EXIT_STATECHANGE = 7,
	HAX_EXIT_PAUSED = 8,
	HAX_EXIT_FAST_MMIO = 9,
	HAX_EXIT_PAGEFAULT = 10,
	HAX_EXIT_DEBUG = 11,
};

#define HAX_IO_OUT	   0
#define HAX_IO_IN	   1
#define HAX_IO_FLAG_STRING 1

#define HAX_PAGEFAULT_ACC_R  (1 << 0)
#define HAX_PAGEFAULT_ACC_W  (1 << 1)
#define HAX_PAGEFAULT_ACC_X  (1 << 2)
#define HAX_PAGEFAULT_PERM_R (1 << 4)
#define HAX_PAGEFAULT_PERM_W (1 << 5)
#define HAX_PAGEFAULT_PERM_X (1 << 6)

struct hax_tunnel {
	hax_u32 _exit_reason; /* raw VMX basic exit reason */
	hax_u32 pad0;
	hax_u32 _exit_status; /* enum hax_exit_status */
	hax_u32 user_event_pending;
	int ready_for_interrupt_injection;
	int request_interrupt_window;
	union {
		struct {
			hax_u8 _direction;
			hax_u8 _df;
			hax_u16 _size;
			hax_u16 _port;
			hax_u16 _count;
			hax_u8 _flags;
			hax_u8 _pad0;
			hax_u16 _pad1;
			hax_u32 _pad2;
			hax_u64 _vaddr;
		} HAX_PACKED io;
		struct {
			hax_u64 gla;
		} HAX_PACKED mmio;
		struct {
			hax_u64 gpa;
			hax_u32 flags;
			hax_u32 reserved1;
			hax_u64 reserved2;
		} HAX_PACKED pagefault;
		struct {
			hax_u64 rip;
			hax_u64 dr6;
			hax_u64 dr7;
		} HAX_PACKED debug;
	};
	hax_u64 apic_base;
} HAX_PACKED;

#define HAX_FASTMMIO_READ  0
#define HAX_FASTMMIO_WRITE 1
#define HAX_FASTMMIO_COPY  2

/* At the start of the I/O buffer page for HAX_EXIT_FAST_MMIO. */
struct hax_fastmmio {
	hax_u64 gpa;
	union {
		hax_u64 value;
		hax_u64 gpa2; /* HAX_FASTMMIO_COPY: destination */
	};
	hax_u8 size;
	hax_u8 direction;
	hax_u16 reg_index;
	hax_u32 pad0;
	hax_u64 _cr0;
	hax_u64 _cr2;
	hax_u64 _cr3;
	hax_u64 _cr4;
} HAX_PACKED;

struct hax_tunnel_info {
	hax_u64 va;
	hax_u64 io_va;
	hax_u16 size;
	hax_u16 pad[3];
} HAX_PACKED;

/* Segment access rights, as the bits of segment_desc_t.ar. */
#define HAX_SEG_AR_TYPE(ar)    ((ar)&0xf)
#define HAX_SEG_AR_DESC	       (1u << 4)
#define HAX_SEG_AR_DPL_SHIFT   5
#define HAX_SEG_AR_PRESENT     (1u << 7)
#define HAX_SEG_AR_AVL	       (1u << 12)
#define HAX_SEG_AR_LONG	       (1u << 13)
#define HAX_SEG_AR_DB	       (1u << 14)
#define HAX_SEG_AR_GRANULARITY (1u << 15)
#define HAX_SEG_AR_NULL	       (1u << 16)

typedef struct segment_desc_s {
	hax_u16 selector;
	hax_u16 _dummy;
	hax_u32 limit;
	hax_u64 base;
	union {
		struct {
			hax_u32 type : 4;
			hax_u32 desc : 1;
			hax_u32 dpl : 2;
			hax_u32 present : 1;
			hax_u32 : 4;
			hax_u32 available : 1;
			hax_u32 long_mode : 1;
			hax_u32 operand_size : 1;
			hax_u32 granularity : 1;
			hax_u32 null : 1;
			hax_u32 : 15;
		};
		hax_u32 ar;
	};
	hax_u32 ipad;
} HAX_PACKED segment_desc_t;

/* General-purpose register indices into vcpu_state_t._regs. */
enum {
	HAX_REG_RAX,
	HAX_REG_RCX,
	HAX_REG_RDX,
	HAX_REG_RBX,
	HAX_REG_RSP,
	HAX_REG_RBP,
	HAX_REG_RSI,
	HAX_REG_RDI,
	HAX_REG_R8,
	HAX_REG_R9,
	HAX_REG_R10,
	HAX_REG_R11,
	HAX_REG_R12,
	HAX_REG_R13,
	HAX_REG_R14,
	HAX_REG_R15,
	HAX_NR_GPRS,
};

#define HAX_INTR_BLOCK_STI   (1u << 0)
#define HAX_INTR_BLOCK_MOVSS (1u << 1)
#define HAX_INTR_BLOCK_SMI   (1u << 2)
#define HAX_INTR_BLOCK_NMI   (1u << 3)

#define HAX_ACTIVITY_ACTIVE 0
#define HAX_ACTIVITY_HLT    1

typedef struct vcpu_state_s {
	hax_u64 _regs[HAX_NR_GPRS];
	hax_u64 _rip;
	hax_u64 _rflags;
	segment_desc_t _cs;
	segment_desc_t _ss;
	segment_desc_t _ds;
	segment_desc_t _es;
	segment_desc_t _fs;
	segment_desc_t _gs;
	segment_desc_t _ldt;
	segment_desc_t _tr;
	segment_desc_t _gdt;
	segment_desc_t _idt;
	hax_u64 _cr0;
	hax_u64 _cr2;
	hax_u64 _cr3;
	hax_u64 _cr4;
	hax_u64 _dr0;
	hax_u64 _dr1;
	hax_u64 _dr2;
	hax_u64 _dr3;
	hax_u64 _dr6;
	hax_u64 _dr7;
	hax_u64 _pde;
	hax_u32 _efer;
	hax_u32 _sysenter_cs;
	hax_u64 _sysenter_eip;
	hax_u64 _sysenter_esp;
	hax_u32 _activity_state;
	hax_u32 pad;
	hax_u64 _interruptibility_state; /* HAX_INTR_BLOCK_* */
} HAX_PACKED vcpu_state_t;

struct fx_layout {
	hax_u16 fcw;
	hax_u16 fsw;
	hax_u8 ftw;
	hax_u8 res1;
	hax_u16 fop;
	union {
		struct {
			hax_u32 fip;
			hax_u16 fcs;
			hax_u16 res2;
		};
		hax_u64 fpu_ip;
	};
	union {
		struct {
			hax_u32 fdp;
			hax_u16 fds;
			hax_u16 res3;
		};
		hax_u64 fpu_dp;
	};
	hax_u32 mxcsr;
	hax_u32 mxcsr_mask;
	hax_u8 st_mm[8][16];
	hax_u8 mmx_1[8][16];
	hax_u8 mmx_2[8][16];
	hax_u8 pad[96];
} HAX_PACKED;

struct vmx_msr {
	hax_u64 entry;
	hax_u64 value;
} HAX_PACKED;

struct hax_msr_data {
	hax_u16 nr_msr;
	hax_u16 done;
	hax_u16 pad[2];
	struct vmx_msr entries[HAX_MAX_MSR_ARRAY];
} HAX_PACKED;

#define HAX_DEBUG_ENABLE    (1u << 0)
#define HAX_DEBUG_STEP	    (1u << 1)
#define HAX_DEBUG_USE_SW_BP (1u << 2)
#define HAX_DEBUG_USE_HW_BP (1u << 3)

typedef struct hax_debug_s {
	hax_u32 control;
	hax_u32 reserved;
	hax_u64 dr[8];
} HAX_PACKED hax_debug_t;

struct hax_cpuid_entry {
	hax_u32 function;
	hax_u32 index;
	hax_u32 flags;
	hax_u32 eax;
	hax_u32 ebx;
	hax_u32 ecx;
	hax_u32 edx;
	hax_u32 pad[3];
} HAX_PACKED;

struct hax_cpuid {
	hax_u32 total;
	hax_u32 pad;
	struct hax_cpuid_entry entries[];
} HAX_PACKED;

/*
 * haxm extension: dirty-page logging of a guest-physical range (docs/api.md).
 * START and STOP take @bitmap 0; GET writes one bit per 4 KiB page of the
 * range to the u64 words at @bitmap (bit i of word w: page 64 * w + i).
 */
struct hax_dirty_log {
	hax_u64 pa_start; /* page-aligned */
	hax_u64 size;	  /* bytes, page-aligned, non-zero */
	hax_u64 bitmap;	  /* GET: user address of HAX_DIRTY_LOG_WORDS(size) u64 words */
	hax_u32 flags;	  /* 0 */
	hax_u32 reserved; /* 0 */
} HAX_PACKED;

/* The u64 words of a GET bitmap for a range of @size bytes. */
#define HAX_DIRTY_LOG_WORDS(size) ((((size) >> 12) + 63) / 64)

/*
 * haxm extension: the complete state of a vCPU, for snapshots and migration
 * (docs/api.md, "Complete vCPU state"). GET fills it; SET validates every
 * field and loads all of it, or refuses with EINVAL and changes nothing.
 */
#define HAX_VCPU_STATE_VERSION	  1
#define HAX_VCPU_STATE_XSAVE_SIZE 4096

struct hax_vcpu_full_state {
	hax_u32 size;	   /* sizeof(struct hax_vcpu_full_state) */
	hax_u32 version;   /* HAX_VCPU_STATE_VERSION */
	hax_u32 flags;	   /* 0 */
	hax_u32 reserved0; /* 0 */
	vcpu_state_t regs; /* as GET_REGS; segment AR as the VMCS holds them */
	hax_u64 cr8;	   /* TPR, 0..15 */
	hax_u64 xcr0;
	hax_u64 pdpte[4]; /* PAE paging outside long mode: the PDPTEs in use; else 0 */
	/* the event delivered at the next entry (SDM 24.8.3 format; 0: none) */
	hax_u32 event_info;
	hax_u32 event_error;
	hax_u32 event_len;
	hax_u32 reserved1;	 /* 0 */
	hax_u64 pending_dbg;	 /* pending debug exceptions (SDM 24.4.2) */
	hax_u32 intr_pending[8]; /* INTERRUPT vectors not yet injected, a bit each */
	/* MSRs not in regs */
	hax_u64 tsc; /* the guest's IA32_TSC when GET read it */
	hax_u64 tsc_adjust;
	hax_u64 pat;
	hax_u64 apic_base;
	hax_u64 misc_enable;
	hax_u64 feature_control;
	hax_u64 star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
	hax_u64 mtrr_def_type;
	hax_u64 mtrr_fixed[11]; /* 0x250, 0x258, 0x259, 0x268..0x26f */
	hax_u64 mtrr_var[16];	/* 0x200..0x20f */
	hax_u64 reserved2;	/* 0; @xsave 64-byte aligned */
	/* x87, SSE, AVX... in the XSAVE standard format, header at 512 */
	hax_u8 xsave[HAX_VCPU_STATE_XSAVE_SIZE];
} HAX_PACKED;

/*
 * haxm extension: in-kernel local APICs (docs/api.md). LAPIC_ENABLE takes
 * flags 0, before the VM's first vCPU.
 */
struct hax_lapic_enable {
	hax_u32 flags;	  /* HAX_LAPIC_ENABLE_* */
	hax_u32 reserved; /* 0 */
} HAX_PACKED;
/* an IO-APIC in the kernel too (HAX_CAP_IOAPIC), its window at 0xfec00000 */
#define HAX_LAPIC_ENABLE_IOAPIC (1u << 0)
/* the 8259A pair in the kernel too (HAX_CAP_PIC_PIT; needs _IOAPIC) */
#define HAX_LAPIC_ENABLE_PIC (1u << 1)
/* the 8254 PIT and port 0x61 in the kernel too (HAX_CAP_PIC_PIT; needs _IOAPIC) */
#define HAX_LAPIC_ENABLE_PIT (1u << 2)

/* IRQ_LINE: input pin @irq (0-23) of the in-kernel IO-APIC now at @level (0 or 1). */
struct hax_irq_line {
	hax_u32 irq;
	hax_u32 level;
} HAX_PACKED;

#define HAX_IOAPIC_PINS 24
/*
 * The in-kernel IO-APIC (GET_IOAPIC/SET_IOAPIC): an 82093AA's registers,
 * its selected register and the input lines now asserted.
 */
struct hax_ioapic_state {
	hax_u64 base;			/* 0xfec00000 (GET fills it, SET must match) */
	hax_u32 id;			/* the IOAPIC ID (register 0, bits 27:24), 0-15 */
	hax_u32 arb;			/* the arbitration ID (register 2, bits 27:24), 0-15 */
	hax_u32 ioregsel;		/* IOREGSEL, 0-255 */
	hax_u32 lines;			/* bit n: input pin n asserted */
	hax_u32 reserved[6];		/* 0 */
	hax_u64 redir[HAX_IOAPIC_PINS]; /* the redirection table */
} HAX_PACKED;

/*
 * One 8259A of the in-kernel pair (GET_PIC/SET_PIC): its registers and
 * initialization state, one byte each (docs/api.md says what each holds).
 */
struct hax_pic_chip {
	hax_u8 irr;	     /* interrupt request register */
	hax_u8 imr;	     /* interrupt mask register (OCW1) */
	hax_u8 isr;	     /* in-service register */
	hax_u8 lines;	     /* bit n: input IRn asserted now */
	hax_u8 priority_add; /* the IR with the highest priority, 0-7 */
	hax_u8 irq_base;     /* ICW2: the vector of IR0 (bits 2:0 are 0) */
	hax_u8 read_isr;     /* OCW3 RR/RIS: 1 the command port reads ISR, 0 IRR */
	hax_u8 poll;	     /* OCW3 P: the next read is a poll (0/1) */
	hax_u8 special_mask; /* OCW3 SMM (0/1) */
	hax_u8 init_state;   /* 0 ready; 1, 2, 3: ICW2, ICW3, ICW4 expected next */
	hax_u8 auto_eoi;     /* ICW4 AEOI (0/1) */
	hax_u8 rotate_aeoi;  /* OCW2 rotate in automatic EOI mode (0/1) */
	hax_u8 special_fnm;  /* ICW4 SFNM: special fully nested mode (0/1) */
	hax_u8 icw4_needed;  /* ICW1 IC4 (0/1) */
	hax_u8 elcr;	     /* the edge/level control register (port 0x4d0/0x4d1) */
	hax_u8 icw3;	     /* ICW3 as written */
} HAX_PACKED;

/* The in-kernel 8259A pair (GET_PIC/SET_PIC). */
struct hax_pic_state {
	struct hax_pic_chip master; /* ports 0x20/0x21, ELCR 0x4d0 */
	struct hax_pic_chip slave;  /* ports 0xa0/0xa1, ELCR 0x4d1; INT on master IR2 */
	hax_u32 reserved[4];	    /* 0 */
} HAX_PACKED;

/* One 8254 counter of the in-kernel PIT (GET_PIT/SET_PIT). */
struct hax_pit_channel {
	hax_u32 count;	       /* the count loaded, 1-0x10000 (a 0 written counts 0x10000) */
	hax_u16 latched_count; /* what a counter latch command captured */
	hax_u8 count_latched;  /* 0, or the bytes of latched_count still to read: 1 LSB, 2 MSB, 3
				  both */
	hax_u8 status_latched; /* a read-back latched the status (0/1) */
	hax_u8 status;	       /* the latched status byte */
	hax_u8 read_state;     /* the next read: 1 LSB, 2 MSB, 3 LSB of a word, 4 MSB of a word */
	hax_u8 write_state;    /* the next write, as read_state */
	hax_u8 write_latch;    /* the LSB of a word being written */
	hax_u8 rw_mode;	       /* the control word's RW field: 1 LSB, 2 MSB, 3 LSB then MSB */
	hax_u8 mode;	       /* 0-5 */
	hax_u8 bcd;	       /* 0/1: kept and reported; the count is binary */
	hax_u8 gate;	       /* 0/1; channels 0 and 1: always 1 */
	hax_u8 counting;       /* 1: a count was loaded and the counter runs */
	hax_u8 reserved[7];    /* 0 */
	hax_u64 elapsed_ns;    /* time counted since the count was loaded (SET: restart from it) */
} HAX_PACKED;

/* The in-kernel PIT (GET_PIT/SET_PIT): 3 counters and port 0x61's latches. */
struct hax_pit_state {
	struct hax_pit_channel ch[3];
	hax_u32 port61;	     /* bits 3:0 as last written to port 0x61 (bit 0: gate 2) */
	hax_u32 reserved[7]; /* 0 */
} HAX_PACKED;

/*
 * SIGNAL_MSI (HAX_CAP_MSI): the memory write of a message-signalled
 * interrupt (SDM Vol. 3A 11.11) to the in-kernel LAPICs. @address: 0xFEE
 * in bits 31:20, the destination ID in 19:12, RH in 3, DM (1: logical) in
 * 2, every other bit 0. @data: the vector in 7:0, the delivery mode in
 * 10:8 (fixed, lowest priority, SMI, NMI, INIT or ExtINT; not 3 nor 6),
 * level in 14, trigger mode (1: level) in 15, every other bit 0.
 */
struct hax_msi {
	hax_u64 address;
	hax_u32 data;
	hax_u32 flags; /* 0 */
} HAX_PACKED;
#define HAX_MSI_ADDR_RSVD    0xffffffff00000ff3ull /* above bit 31, 11:4, 1:0 */
#define HAX_MSI_ADDR_RH	     (1u << 3)
#define HAX_MSI_ADDR_LOGICAL (1u << 2)
#define HAX_MSI_DATA_RSVD    0xffff3800u /* bits 31:16, 13:11 */
#define HAX_MSI_DATA_LEVEL   (1u << 14)
#define HAX_MSI_DATA_TRIGGER (1u << 15)

/* hax_lapic_state.pending: requests the LAPIC holds for its vCPU. */
#define HAX_LAPIC_PENDING_NMI	 (1u << 0)
#define HAX_LAPIC_PENDING_SMI	 (1u << 1)
#define HAX_LAPIC_PENDING_INIT	 (1u << 2)
#define HAX_LAPIC_PENDING_EXTINT (1u << 3)
#define HAX_LAPIC_PENDING_SIPI	 (1u << 4) /* vector in bits 15:8 */
#define HAX_LAPIC_WAIT_SIPI	 (1u << 5)
#define HAX_LAPIC_PENDING_MASK	 0xff3fu

/*
 * One vCPU's local APIC (GET_LAPIC/SET_LAPIC): @regs is the xAPIC register
 * page's first KiB, each register as a 32-bit little-endian word at its
 * offset (ID at 0x20 as it reads in the current mode, ..., TDCR at 0x3e0);
 * read-only and computed registers (version, APR, PPR, current count) are
 * filled by GET and ignored by SET. The timer restarts from @timer_current
 * (the current count at GET).
 */
struct hax_lapic_state {
	hax_u64 apic_base;    /* IA32_APIC_BASE */
	hax_u64 tsc_deadline; /* IA32_TSC_DEADLINE (0: disarmed) */
	hax_u32 timer_current;
	hax_u32 esr_pending; /* errors since the last ESR write */
	hax_u32 pending;     /* HAX_LAPIC_PENDING_*, HAX_LAPIC_WAIT_SIPI */
	hax_u32 reserved[9]; /* 0 */
	hax_u8 regs[1024];
} HAX_PACKED;

/* ---- ioctl numbers ------------------------------------------------------ */

#define HAX_IOCTL_VERSION      _IOWR(0, 0x20, struct hax_module_version)
#define HAX_IOCTL_CREATE_VM    _IOWR(0, 0x21, hax_u32)
#define HAX_IOCTL_DESTROY_VM   _IOW(0, 0x22, hax_u32)
#define HAX_IOCTL_CAPABILITY   _IOR(0, 0x23, struct hax_capabilityinfo)
#define HAX_IOCTL_SET_MEMLIMIT _IOWR(0, 0x24, struct hax_set_memlimit)

#define HAX_VM_IOCTL_VCPU_CREATE	 _IOWR(0, 0x80, hax_u32)
#define HAX_VM_IOCTL_ALLOC_RAM		 _IOWR(0, 0x81, struct hax_alloc_ram_info)
#define HAX_VM_IOCTL_SET_RAM		 _IOWR(0, 0x82, struct hax_set_ram_info)
#define HAX_VM_IOCTL_VCPU_DESTROY	 _IOR(0, 0x83, hax_u32)
#define HAX_VM_IOCTL_VCPU_DESTROY_W	 _IOW(0, 0x83, hax_u32) /* QEMU's copy */
#define HAX_VM_IOCTL_NOTIFY_QEMU_VERSION _IOW(0, 0x84, struct hax_qemu_version)
#define HAX_VM_IOCTL_ADD_RAMBLOCK	 _IOW(0, 0x85, struct hax_ramblock_info)
#define HAX_VM_IOCTL_SET_RAM2		 _IOWR(0, 0x86, struct hax_set_ram_info2)
#define HAX_VM_IOCTL_PROTECT_RAM	 _IOWR(0, 0x87, struct hax_protect_ram_info)

/*
 * haxm's extensions: numbers HAXM never used (its VM ioctls are 0x80-0x87),
 * each behind a HAX_CAP_* bit of its own.
 */
#define HAX_VM_IOCTL_DIRTY_LOG_START _IOW(0, 0xa0, struct hax_dirty_log)
#define HAX_VM_IOCTL_DIRTY_LOG_GET   _IOW(0, 0xa1, struct hax_dirty_log)
#define HAX_VM_IOCTL_DIRTY_LOG_STOP  _IOW(0, 0xa2, struct hax_dirty_log)
#define HAX_VM_IOCTL_LAPIC_ENABLE    _IOW(0, 0xb0, struct hax_lapic_enable)
#define HAX_VM_IOCTL_IRQ_LINE	     _IOW(0, 0xb1, struct hax_irq_line)
#define HAX_VM_IOCTL_GET_IOAPIC	     _IOR(0, 0xb2, struct hax_ioapic_state)
#define HAX_VM_IOCTL_SET_IOAPIC	     _IOW(0, 0xb3, struct hax_ioapic_state)
#define HAX_VM_IOCTL_GET_PIC	     _IOR(0, 0xb4, struct hax_pic_state)
#define HAX_VM_IOCTL_SET_PIC	     _IOW(0, 0xb5, struct hax_pic_state)
#define HAX_VM_IOCTL_GET_PIT	     _IOR(0, 0xb6, struct hax_pit_state)
#define HAX_VM_IOCTL_SET_PIT	     _IOW(0, 0xb7, struct hax_pit_state)
#define HAX_VM_IOCTL_SIGNAL_MSI	     _IOW(0, 0xb8, struct hax_msi)

#define HAX_VCPU_IOCTL_RUN	    _IO(0, 0xc0)
#define HAX_VCPU_IOCTL_SET_MSRS	    _IOWR(0, 0xc1, struct hax_msr_data)
#define HAX_VCPU_IOCTL_GET_MSRS	    _IOWR(0, 0xc2, struct hax_msr_data)
#define HAX_VCPU_IOCTL_SET_FPU	    _IOW(0, 0xc3, struct fx_layout)
#define HAX_VCPU_IOCTL_GET_FPU	    _IOR(0, 0xc4, struct fx_layout)
#define HAX_VCPU_IOCTL_SETUP_TUNNEL _IOWR(0, 0xc5, struct hax_tunnel_info)
#define HAX_VCPU_IOCTL_INTERRUPT    _IOWR(0, 0xc6, hax_u32)
#define HAX_VCPU_SET_REGS	    _IOWR(0, 0xc7, vcpu_state_t)
#define HAX_VCPU_GET_REGS	    _IOWR(0, 0xc8, vcpu_state_t)
#define HAX_IOCTL_VCPU_DEBUG	    _IOW(0, 0xc9, hax_debug_t)
#define HAX_VCPU_IOCTL_SET_CPUID    _IOW(0, 0xca, struct hax_cpuid *)
#define HAX_VCPU_IOCTL_GET_CPUID    _IOW(0, 0xcb, struct hax_cpuid *)
/* haxm's vCPU extensions (HAXM's vCPU ioctls are 0xc0-0xcb). */
#define HAX_VCPU_IOCTL_GET_LAPIC _IOR(0, 0xe8, struct hax_lapic_state)
#define HAX_VCPU_IOCTL_SET_LAPIC _IOW(0, 0xe9, struct hax_lapic_state)

/* haxm's extensions on the vCPU node (HAXM's are 0xc0-0xcb). */
#define HAX_VCPU_IOCTL_GET_STATE _IOWR(0, 0xe0, struct hax_vcpu_full_state)
#define HAX_VCPU_IOCTL_SET_STATE _IOW(0, 0xe1, struct hax_vcpu_full_state)

/* ---- the layout is a fact: assert it ------------------------------------ */

#define HAX_ABI_ASSERT(cond) _Static_assert(cond, #cond)

HAX_ABI_ASSERT(sizeof(struct hax_module_version) == 8);
HAX_ABI_ASSERT(sizeof(struct hax_capabilityinfo) == 16);
HAX_ABI_ASSERT(sizeof(struct hax_set_memlimit) == 16);
HAX_ABI_ASSERT(sizeof(struct hax_alloc_ram_info) == 16);
HAX_ABI_ASSERT(sizeof(struct hax_ramblock_info) == 24);
HAX_ABI_ASSERT(sizeof(struct hax_set_ram_info) == 24);
HAX_ABI_ASSERT(sizeof(struct hax_set_ram_info2) == 40);
HAX_ABI_ASSERT(sizeof(struct hax_protect_ram_info) == 24);
HAX_ABI_ASSERT(sizeof(struct hax_qemu_version) == 8);
HAX_ABI_ASSERT(sizeof(struct hax_tunnel) == 56);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_tunnel, io) == 24);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_tunnel, apic_base) == 48);
HAX_ABI_ASSERT(sizeof(struct hax_fastmmio) == 56);
HAX_ABI_ASSERT(sizeof(struct hax_tunnel_info) == 24);
HAX_ABI_ASSERT(sizeof(segment_desc_t) == 24);
HAX_ABI_ASSERT(sizeof(vcpu_state_t) == 512);
HAX_ABI_ASSERT(__builtin_offsetof(vcpu_state_t, _rip) == 128);
HAX_ABI_ASSERT(__builtin_offsetof(vcpu_state_t, _cs) == 144);
HAX_ABI_ASSERT(__builtin_offsetof(vcpu_state_t, _cr0) == 384);
HAX_ABI_ASSERT(__builtin_offsetof(vcpu_state_t, _efer) == 472);
HAX_ABI_ASSERT(__builtin_offsetof(vcpu_state_t, _activity_state) == 496);
HAX_ABI_ASSERT(__builtin_offsetof(vcpu_state_t, _interruptibility_state) == 504);
HAX_ABI_ASSERT(sizeof(struct fx_layout) == 512);
HAX_ABI_ASSERT(__builtin_offsetof(struct fx_layout, mxcsr) == 24);
HAX_ABI_ASSERT(__builtin_offsetof(struct fx_layout, st_mm) == 32);
HAX_ABI_ASSERT(__builtin_offsetof(struct fx_layout, mmx_1) == 160);
HAX_ABI_ASSERT(__builtin_offsetof(struct fx_layout, mmx_2) == 288);
HAX_ABI_ASSERT(sizeof(struct hax_msr_data) == 520);
HAX_ABI_ASSERT(sizeof(hax_debug_t) == 72);
HAX_ABI_ASSERT(sizeof(struct hax_cpuid_entry) == 40);
HAX_ABI_ASSERT(sizeof(struct hax_cpuid) == 8);
HAX_ABI_ASSERT(sizeof(struct hax_dirty_log) == 32);
HAX_ABI_ASSERT(sizeof(struct hax_vcpu_full_state) == 5056);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_vcpu_full_state, regs) == 16);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_vcpu_full_state, event_info) == 576);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_vcpu_full_state, tsc) == 632);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_vcpu_full_state, xsave) == 960);
HAX_ABI_ASSERT(sizeof(struct hax_lapic_enable) == 8);
HAX_ABI_ASSERT(sizeof(struct hax_lapic_state) == 1088);
HAX_ABI_ASSERT(sizeof(struct hax_irq_line) == 8);
HAX_ABI_ASSERT(sizeof(struct hax_msi) == 16);
HAX_ABI_ASSERT(sizeof(struct hax_ioapic_state) == 240);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_ioapic_state, redir) == 48);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_lapic_state, regs) == 64);
HAX_ABI_ASSERT(sizeof(struct hax_pic_chip) == 16);
HAX_ABI_ASSERT(sizeof(struct hax_pic_state) == 48);
HAX_ABI_ASSERT(sizeof(struct hax_pit_channel) == 32);
HAX_ABI_ASSERT(__builtin_offsetof(struct hax_pit_channel, elapsed_ns) == 24);
HAX_ABI_ASSERT(sizeof(struct hax_pit_state) == 128);

/* The POSIX hosts' numbers; a Windows host numbers its IOCTLs its own way. */
#if defined(__x86_64__) && !defined(_WIN32)
HAX_ABI_ASSERT(HAX_IOCTL_VERSION == 0xC0080020u);
HAX_ABI_ASSERT(HAX_IOCTL_CREATE_VM == 0xC0040021u);
HAX_ABI_ASSERT(HAX_IOCTL_DESTROY_VM == 0x40040022u);
HAX_ABI_ASSERT(HAX_IOCTL_CAPABILITY == 0x80100023u);
HAX_ABI_ASSERT(HAX_IOCTL_SET_MEMLIMIT == 0xC0100024u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_VCPU_CREATE == 0xC0040080u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_ALLOC_RAM == 0xC0100081u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_SET_RAM == 0xC0180082u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_VCPU_DESTROY == 0x80040083u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_VCPU_DESTROY_W == 0x40040083u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_NOTIFY_QEMU_VERSION == 0x40080084u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_ADD_RAMBLOCK == 0x40180085u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_SET_RAM2 == 0xC0280086u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_PROTECT_RAM == 0xC0180087u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_DIRTY_LOG_START == 0x402000A0u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_DIRTY_LOG_GET == 0x402000A1u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_DIRTY_LOG_STOP == 0x402000A2u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_LAPIC_ENABLE == 0x400800B0u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_IRQ_LINE == 0x400800B1u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_GET_IOAPIC == 0x80F000B2u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_SET_IOAPIC == 0x40F000B3u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_GET_PIC == 0x803000B4u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_SET_PIC == 0x403000B5u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_GET_PIT == 0x808000B6u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_SET_PIT == 0x408000B7u);
HAX_ABI_ASSERT(HAX_VM_IOCTL_SIGNAL_MSI == 0x401000B8u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_GET_LAPIC == 0x844000E8u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_SET_LAPIC == 0x444000E9u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_RUN == 0x000000C0u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_SET_MSRS == 0xC20800C1u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_GET_MSRS == 0xC20800C2u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_SET_FPU == 0x420000C3u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_GET_FPU == 0x820000C4u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_SETUP_TUNNEL == 0xC01800C5u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_INTERRUPT == 0xC00400C6u);
HAX_ABI_ASSERT(HAX_VCPU_SET_REGS == 0xC20000C7u);
HAX_ABI_ASSERT(HAX_VCPU_GET_REGS == 0xC20000C8u);
HAX_ABI_ASSERT(HAX_IOCTL_VCPU_DEBUG == 0x404800C9u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_SET_CPUID == 0x400800CAu);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_GET_CPUID == 0x400800CBu);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_GET_STATE == 0xD3C000E0u);
HAX_ABI_ASSERT(HAX_VCPU_IOCTL_SET_STATE == 0x53C000E1u);
#endif

#endif /* HAXM_UAPI_HAXM_H */
