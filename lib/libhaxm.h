/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libhaxm: one thin wrapper per haxm ioctl (see docs/api.md).
 *
 * Every function returns -1 and sets errno on failure; on success it returns
 * 0, or a file descriptor for the hax_open_*() functions. Errors listed with a
 * function are those the module reports; any function taking a descriptor
 * also fails with EBADF (not an open descriptor), ENOTTY (a descriptor of
 * the wrong device) and EPERM (the node belongs to another process).
 * Build with -Iinclude/uapi so that "haxm.h" is the ABI header.
 */
#ifndef LIBHAXM_H
#define LIBHAXM_H

#include <stddef.h>
#include <stdint.h>

#include "haxm.h"

/* ---- device paths -------------------------------------------------------- */

/**
 * hax_vm_path() - format the path of a VM's node, HAX_DEVFS_VM_FMT.
 * @buf:   receives the NUL-terminated path
 * @len:   size of @buf
 * @vm_id: the id CREATE_VM returned
 *
 * Errors: EINVAL (@vm_id above INT_MAX), ERANGE (@buf too small).
 */
int hax_vm_path(char *buf, size_t len, uint32_t vm_id);

/**
 * hax_vcpu_path() - format the path of a vCPU's node, HAX_DEVFS_VCPU_FMT.
 * @buf:     receives the NUL-terminated path
 * @len:     size of @buf
 * @vm_id:   the VM's id
 * @vcpu_id: the vCPU's id
 *
 * Errors: EINVAL (an id above INT_MAX), ERANGE (@buf too small).
 */
int hax_vcpu_path(char *buf, size_t len, uint32_t vm_id, uint32_t vcpu_id);

/* ---- /dev/HAX ------------------------------------------------------------ */

/**
 * hax_open_system() - open /dev/HAX (read-write, close-on-exec).
 *
 * Returns the descriptor. Errors: those of open(2), e.g. ENOENT (module not
 * loaded), EACCES.
 */
int hax_open_system(void);

/**
 * hax_get_version() - HAX_IOCTL_VERSION: the API versions the module speaks.
 * @sys_fd: a /dev/HAX descriptor
 * @v:      receives compat_version and cur_version
 *
 * Errors: EFAULT (@v not writable).
 */
int hax_get_version(int sys_fd, struct hax_module_version *v);

/**
 * hax_get_capability() - HAX_IOCTL_CAPABILITY: whether the module can run
 * guests, and its features (HAX_CAP_*).
 * @sys_fd: a /dev/HAX descriptor
 * @c:      receives the capability record
 *
 * Errors: EFAULT (@c not writable).
 */
int hax_get_capability(int sys_fd, struct hax_capabilityinfo *c);

/**
 * hax_create_vm() - HAX_IOCTL_CREATE_VM: create a VM and its node.
 * @sys_fd: a /dev/HAX descriptor; the VM lives at most as long as it
 * @vm_id:  receives the new VM's id
 *
 * Errors: EFAULT (@vm_id not writable), ENOSPC (all HAX_MAX_VMS ids in use),
 * ENOMEM, EBUSY (another hypervisor holds VMX).
 */
int hax_create_vm(int sys_fd, uint32_t *vm_id);

/**
 * hax_destroy_vm() - HAX_IOCTL_DESTROY_VM: drop the reference @sys_fd holds
 * on a VM it created; the VM goes when its VM and vCPU descriptors close.
 * @sys_fd: the /dev/HAX descriptor that created the VM
 * @vm_id:  the VM's id
 *
 * Errors: ENOENT (@sys_fd created no VM @vm_id, or destroyed it already).
 */
int hax_destroy_vm(int sys_fd, uint32_t vm_id);

/**
 * hax_set_memlimit() - HAX_IOCTL_SET_MEMLIMIT: accepted and ignored, as by
 * HAXM 6.2 and later.
 * @sys_fd:   a /dev/HAX descriptor
 * @enable:   non-zero to enable the limit
 * @limit_mb: the limit in MiB
 *
 * Errors: none beyond the common ones.
 */
int hax_set_memlimit(int sys_fd, int enable, uint64_t limit_mb);

/* ---- VM ------------------------------------------------------------------ */

/**
 * hax_open_vm() - open a VM's node, /dev/hax_vm/vmNN.
 * @vm_id: the id CREATE_VM returned
 *
 * Returns the descriptor. Errors: those of hax_vm_path() and open(2), and
 * ENOENT or ENXIO (no such VM), EBUSY (the node is already open), EPERM
 * (another process created the VM).
 */
int hax_open_vm(uint32_t vm_id);

/**
 * hax_notify_qemu_version() - HAX_VM_IOCTL_NOTIFY_QEMU_VERSION: tell the
 * module which client API version the VMM speaks.
 * @vm_fd: a VM descriptor
 * @cur:   the client's version (QEMU 7.2 sends 4)
 * @least: the oldest module API the client accepts
 *
 * Errors: EINVAL (@least above @cur).
 */
int hax_notify_qemu_version(int vm_fd, uint32_t cur, uint32_t least);

/**
 * hax_create_vcpu() - HAX_VM_IOCTL_VCPU_CREATE: create a vCPU and its node.
 * @vm_fd:   a VM descriptor
 * @vcpu_id: 0 .. HAX_MAX_VCPUS-1
 *
 * Errors: EINVAL (@vcpu_id out of range), EEXIST (@vcpu_id exists), ENOMEM.
 */
int hax_create_vcpu(int vm_fd, uint32_t vcpu_id);

/**
 * hax_destroy_vcpu() - HAX_VM_IOCTL_VCPU_DESTROY: destroy a vCPU whose node
 * is not open.
 * @vm_fd:   a VM descriptor
 * @vcpu_id: the vCPU's id
 *
 * Errors: EINVAL (@vcpu_id out of range), ENOENT (no such vCPU), EBUSY (its
 * node is open).
 */
int hax_destroy_vcpu(int vm_fd, uint32_t vcpu_id);

/**
 * hax_alloc_ram() - HAX_VM_IOCTL_ALLOC_RAM: register @size bytes of the
 * caller's memory at @va as guest RAM (the 32-bit form of ADD_RAMBLOCK).
 * @vm_fd: a VM descriptor
 * @va:    page-aligned start in the caller's address space
 * @size:  page-aligned, non-zero length
 *
 * Errors: EINVAL (unaligned, zero or wrapping range), EEXIST (overlaps a
 * registered block), ENOSPC (too many blocks), ENOMEM.
 */
int hax_alloc_ram(int vm_fd, uint64_t va, uint32_t size);

/**
 * hax_add_ramblock() - HAX_VM_IOCTL_ADD_RAMBLOCK: register @size bytes of the
 * caller's memory at @va as guest RAM.
 * @vm_fd: a VM descriptor
 * @va:    page-aligned start in the caller's address space
 * @size:  page-aligned, non-zero length
 *
 * Errors: EINVAL (unaligned, zero or wrapping range), EEXIST (overlaps a
 * registered block), ENOSPC (too many blocks), ENOMEM.
 */
int hax_add_ramblock(int vm_fd, uint64_t va, uint64_t size);

/**
 * hax_set_ram() - HAX_VM_IOCTL_SET_RAM: map guest-physical [@gpa, @gpa+@size)
 * to registered memory at @va, or unmap it.
 * @vm_fd: a VM descriptor
 * @gpa:   page-aligned guest-physical start
 * @size:  page-aligned, non-zero length
 * @va:    page-aligned start inside one registered block (0 with INVALID;
 *         with STANDALONE, memory in no block is fine)
 * @flags: 0, HAX_RAM_INFO_ROM, HAX_RAM_INFO_STANDALONE (either or both), or
 *         HAX_RAM_INFO_INVALID alone to unmap
 *
 * Errors: EINVAL (unaligned, zero or wrapping range, unknown flags, INVALID
 * with a non-zero @va or other flags), ENOENT ([@va, @va+@size) is not inside
 * one registered block, without STANDALONE), EEXIST (STANDALONE memory partly
 * in a block), ENOSPC (too many mappings or blocks), ENOMEM.
 */
int hax_set_ram(int vm_fd, uint64_t gpa, uint32_t size, uint64_t va, uint8_t flags);

/**
 * hax_set_ram2() - HAX_VM_IOCTL_SET_RAM2: hax_set_ram() with a 64-bit size.
 * @vm_fd: a VM descriptor
 * @gpa:   page-aligned guest-physical start
 * @size:  page-aligned, non-zero length
 * @va:    as for hax_set_ram()
 * @flags: as for hax_set_ram()
 *
 * Errors: as hax_set_ram().
 */
int hax_set_ram2(int vm_fd, uint64_t gpa, uint64_t size, uint64_t va, uint32_t flags);

/**
 * hax_protect_ram() - HAX_VM_IOCTL_PROTECT_RAM: restrict guest access to
 * guest-physical [@gpa, @gpa+@size); accesses beyond @perm exit with
 * HAX_EXIT_PAGEFAULT.
 * @vm_fd: a VM descriptor
 * @gpa:   page-aligned guest-physical start
 * @size:  page-aligned, non-zero length
 * @perm:  HAX_RAM_PERM_* bits
 *
 * Errors: EINVAL (unaligned, zero or wrapping range, unknown bits, W
 * without R, X alone where the CPU cannot), ENOENT (past the highest mapped
 * guest-physical address), E2BIG (past 1 TiB), ENOMEM.
 */
int hax_protect_ram(int vm_fd, uint64_t gpa, uint64_t size, uint32_t perm);

/*
 * Dirty-page logging, a haxm extension (HAX_CAP_DIRTY_LOG in the capability
 * record's winfo; HAXM and older haxm answer ENOTTY). See docs/api.md.
 */

/**
 * hax_dirty_log_start() - HAX_VM_IOCTL_DIRTY_LOG_START: log the guest's
 * writes to the pages of guest-physical [@gpa, @gpa+@size).
 * @vm_fd: a VM descriptor
 * @gpa:   page-aligned guest-physical start
 * @size:  page-aligned, non-zero length; every page mapped (RAM or ROM)
 *
 * Errors: EINVAL (unaligned, zero, wrapping or past 2^52), E2BIG (above
 * 512 GiB), ENOENT (a page is not mapped), EEXIST (overlaps a logged
 * range), ENOSPC (32 ranges logged already), ENOMEM.
 */
int hax_dirty_log_start(int vm_fd, uint64_t gpa, uint64_t size);

/**
 * hax_dirty_log_get() - HAX_VM_IOCTL_DIRTY_LOG_GET: the pages of a logged
 * range written since the last call (or the start), and clear that log.
 * @vm_fd:  a VM descriptor
 * @gpa:    the logged range's start, as given to hax_dirty_log_start()
 * @size:   its length, likewise
 * @bitmap: receives HAX_DIRTY_LOG_WORDS(@size) words, bit i of word w for
 *          page 64 * w + i of the range
 *
 * Errors: EINVAL (unaligned or zero range), ENOENT (not a logged range),
 * EFAULT (@bitmap not writable; the log is kept for the next call), ENOMEM.
 */
int hax_dirty_log_get(int vm_fd, uint64_t gpa, uint64_t size, uint64_t *bitmap);

/**
 * hax_dirty_log_stop() - HAX_VM_IOCTL_DIRTY_LOG_STOP: stop logging a range.
 * @vm_fd: a VM descriptor
 * @gpa:   the logged range's start
 * @size:  its length
 *
 * Errors: EINVAL (unaligned or zero range), ENOENT (not a logged range).
 */
int hax_dirty_log_stop(int vm_fd, uint64_t gpa, uint64_t size);

/*
 * In-kernel local APICs, a haxm extension (HAX_CAP_LAPIC in the capability
 * record's winfo; HAXM and older haxm answer ENOTTY). See docs/api.md.
 */

/**
 * hax_lapic_enable() - HAX_VM_IOCTL_LAPIC_ENABLE: every vCPU created from
 * now on gets an in-kernel local APIC.
 * @vm_fd: a VM descriptor, before its first VCPU_CREATE
 *
 * Errors: EEXIST (enabled already), EBUSY (a vCPU was created), ENOMEM.
 */
int hax_lapic_enable(int vm_fd);

/**
 * hax_lapic_enable_flags() - HAX_VM_IOCTL_LAPIC_ENABLE with @flags:
 * HAX_LAPIC_ENABLE_IOAPIC (HAX_CAP_IOAPIC) adds an in-kernel IO-APIC;
 * with it, HAX_LAPIC_ENABLE_PIC and HAX_LAPIC_ENABLE_PIT (HAX_CAP_PIC_PIT)
 * add the 8259A pair and the 8254 PIT.
 * @vm_fd: a VM descriptor, before its first VCPU_CREATE
 * @flags: HAX_LAPIC_ENABLE_*
 *
 * Errors: EINVAL (an unknown flag, PIC or PIT without IOAPIC), EEXIST,
 * EBUSY, ENOMEM.
 */
int hax_lapic_enable_flags(int vm_fd, uint32_t flags);

/**
 * hax_irq_line() - HAX_VM_IOCTL_IRQ_LINE (HAX_CAP_IOAPIC): set input pin
 * @irq of the in-kernel IO-APIC to @level.
 * @vm_fd: a VM descriptor
 * @irq:   0-23
 * @level: 0 or 1
 *
 * Errors: ENOTTY (the VM has no in-kernel IO-APIC), EINVAL (@irq or @level
 * out of range), EFAULT.
 */
int hax_irq_line(int vm_fd, uint32_t irq, uint32_t level);

/**
 * hax_signal_msi() - HAX_VM_IOCTL_SIGNAL_MSI (HAX_CAP_MSI): an MSI write of
 * @data to @address, delivered to the in-kernel LAPICs it names.
 * @vm_fd:   a VM descriptor
 * @address: 0xfeeXXXXX (struct hax_msi)
 * @data:    vector, delivery and trigger mode (struct hax_msi)
 *
 * Returns how many LAPICs accepted it (0: none), or -1 with errno: ENOTTY
 * (the VM has no in-kernel LAPIC), EINVAL (not an MSI address, reserved
 * bits set, a reserved delivery mode, RH with a physical broadcast), EFAULT.
 */
int hax_signal_msi(int vm_fd, uint64_t address, uint32_t data);

/**
 * hax_get_ioapic()/hax_set_ioapic() - HAX_VM_IOCTL_GET_IOAPIC/_SET_IOAPIC
 * (HAX_CAP_IOAPIC): the in-kernel IO-APIC's state, for snapshots.
 * @vm_fd: a VM descriptor
 * @s:     the state
 *
 * Errors: ENOTTY (no in-kernel IO-APIC), EINVAL (set: a field the IO-APIC
 * cannot hold, see docs/api.md), EFAULT.
 */
int hax_get_ioapic(int vm_fd, struct hax_ioapic_state *s);
int hax_set_ioapic(int vm_fd, const struct hax_ioapic_state *s);

/**
 * hax_get_pic()/hax_set_pic() - HAX_VM_IOCTL_GET_PIC/_SET_PIC
 * (HAX_CAP_PIC_PIT): the in-kernel 8259A pair's state, for snapshots.
 * @vm_fd: a VM descriptor
 * @s:     the state
 *
 * Errors: ENOTTY (no in-kernel PIC), EINVAL (set: a field the PIC cannot
 * hold, see docs/api.md), EFAULT.
 */
int hax_get_pic(int vm_fd, struct hax_pic_state *s);
int hax_set_pic(int vm_fd, const struct hax_pic_state *s);

/**
 * hax_get_pit()/hax_set_pit() - HAX_VM_IOCTL_GET_PIT/_SET_PIT
 * (HAX_CAP_PIC_PIT): the in-kernel 8254 PIT's state, for snapshots.
 * @vm_fd: a VM descriptor
 * @s:     the state
 *
 * Errors: ENOTTY (no in-kernel PIT), EINVAL (set: a field the PIT cannot
 * hold, see docs/api.md), EFAULT.
 */
int hax_get_pit(int vm_fd, struct hax_pit_state *s);
int hax_set_pit(int vm_fd, const struct hax_pit_state *s);

/**
 * hax_get_lapic() - HAX_VCPU_IOCTL_GET_LAPIC: the vCPU's local APIC state.
 * @vcpu_fd: a vCPU descriptor
 * @s:       receives the state
 *
 * Errors: ENOTTY (the VM has no in-kernel LAPICs), EFAULT.
 */
int hax_get_lapic(int vcpu_fd, struct hax_lapic_state *s);

/**
 * hax_set_lapic() - HAX_VCPU_IOCTL_SET_LAPIC: restore a local APIC state.
 * @vcpu_fd: a vCPU descriptor
 * @s:       the state, as hax_get_lapic() gave it
 *
 * Errors: ENOTTY (no in-kernel LAPICs), EINVAL (a reserved field set, an
 * IA32_APIC_BASE or register value the APIC cannot hold), EFAULT.
 */
int hax_set_lapic(int vcpu_fd, const struct hax_lapic_state *s);

/* ---- vCPU ---------------------------------------------------------------- */

/**
 * hax_get_state() - HAX_VCPU_IOCTL_GET_STATE (extension, HAX_CAP_VCPU_STATE):
 * the complete state of a vCPU between two RUNs.
 * @vcpu_fd: a vCPU descriptor
 * @state:   receives it (size and version set)
 *
 * Errors: EBUSY (an IN or emulated instruction waits for user space: RUN
 * with _exit_reason HAX_EXIT_PAUSED completes it; or VCPU_DEBUG is on),
 * E2BIG (the host's XSAVE state does not fit), EINVAL, ENOMEM, EIO, ENOTTY
 * (no such extension).
 */
int hax_get_state(int vcpu_fd, struct hax_vcpu_full_state *state);

/**
 * hax_set_state() - HAX_VCPU_IOCTL_SET_STATE: load a complete vCPU state,
 * e.g. one hax_get_state() got from a vCPU of another VM.
 * @vcpu_fd: a vCPU descriptor
 * @state:   the state; every field is checked, nothing changes on EINVAL
 *
 * Errors: EINVAL (a field this vCPU cannot hold), EBUSY (VCPU_DEBUG is on),
 * ENOMEM, EIO, ENOTTY.
 */
int hax_set_state(int vcpu_fd, const struct hax_vcpu_full_state *state);

/**
 * hax_open_vcpu() - open a vCPU's node, /dev/hax_vmNN/vcpuMM.
 * @vm_id:   the VM's id
 * @vcpu_id: the vCPU's id
 *
 * Returns the descriptor. Errors: those of hax_vcpu_path() and open(2), and
 * ENOENT or ENXIO (no such vCPU), EBUSY (the node is already open), EPERM
 * (another process created the VM).
 */
int hax_open_vcpu(uint32_t vm_id, uint32_t vcpu_id);

/**
 * hax_setup_tunnel() - HAX_VCPU_IOCTL_SETUP_TUNNEL: map the vCPU's tunnel
 * page and I/O buffer into the calling process.
 * @vcpu_fd: a vCPU descriptor
 * @tunnel:  receives the address of the struct hax_tunnel
 * @iobuf:   receives the address of the HAX_IOBUF_SIZE-byte I/O buffer
 *
 * Errors: EFAULT, ENOMEM (no address space left for the mapping), EINTR (a
 * fatal signal arrived while waiting for the vCPU).
 */
int hax_setup_tunnel(int vcpu_fd, struct hax_tunnel **tunnel, void **iobuf);

/**
 * hax_run() - HAX_VCPU_IOCTL_RUN: run the guest until an exit user space
 * must handle; the tunnel says which.
 * @vcpu_fd: a vCPU descriptor
 *
 * Errors: ENXIO (no SETUP_TUNNEL yet), EIO (the VM is dead after a failed VMX
 * instruction), EINTR (a fatal signal arrived while waiting for the vCPU),
 * EFAULT, ENOMEM (guest memory could not be pinned).
 */
int hax_run(int vcpu_fd);

/**
 * hax_get_regs() - HAX_VCPU_GET_REGS: read the vCPU's register state.
 * @vcpu_fd: a vCPU descriptor
 * @state:   receives the state
 *
 * Errors: EFAULT, ENOMEM, EIO (VMX failure: the VM is dead).
 */
int hax_get_regs(int vcpu_fd, vcpu_state_t *state);

/**
 * hax_set_regs() - HAX_VCPU_SET_REGS: load the vCPU's register state.
 * @vcpu_fd: a vCPU descriptor
 * @state:   the new state
 *
 * Errors: EFAULT, ENOMEM, EINVAL (a state VMX cannot hold; nothing
 * changed), EIO (VMX failure: the VM is dead).
 */
int hax_set_regs(int vcpu_fd, const vcpu_state_t *state);

/**
 * hax_get_fpu() - HAX_VCPU_IOCTL_GET_FPU: read the vCPU's FXSAVE image.
 * @vcpu_fd: a vCPU descriptor
 * @fpu:     receives the image
 *
 * Errors: EFAULT. Not implemented by the module yet: ENOTTY.
 */
int hax_get_fpu(int vcpu_fd, struct fx_layout *fpu);

/**
 * hax_set_fpu() - HAX_VCPU_IOCTL_SET_FPU: load the vCPU's FXSAVE image.
 * @vcpu_fd: a vCPU descriptor
 * @fpu:     the image
 *
 * Errors: EFAULT, EINVAL (reserved MXCSR bits set). Not implemented by the
 * module yet: ENOTTY.
 */
int hax_set_fpu(int vcpu_fd, const struct fx_layout *fpu);

/**
 * hax_get_msrs() - HAX_VCPU_IOCTL_GET_MSRS: read @msrs->nr_msr MSRs; each
 * entries[i].entry names one, and @msrs->done says how many were read.
 * @vcpu_fd: a vCPU descriptor
 * @msrs:    the request; values and done are filled in
 *
 * An unknown MSR stops the list: check done.
 *
 * Errors: EFAULT, E2BIG (nr_msr above HAX_MAX_MSR_ARRAY), EIO.
 */
int hax_get_msrs(int vcpu_fd, struct hax_msr_data *msrs);

/**
 * hax_set_msrs() - HAX_VCPU_IOCTL_SET_MSRS: write @msrs->nr_msr MSRs;
 * @msrs->done says how many were written.
 * @vcpu_fd: a vCPU descriptor
 * @msrs:    the entries; done is filled in
 *
 * The first MSR that is unknown or refuses its value stops the list: check
 * done.
 *
 * Errors: EFAULT, E2BIG (nr_msr above HAX_MAX_MSR_ARRAY), EIO.
 */
int hax_set_msrs(int vcpu_fd, struct hax_msr_data *msrs);

/**
 * hax_interrupt() - HAX_VCPU_IOCTL_INTERRUPT: queue external interrupt
 * @vector for injection (when the tunnel's ready_for_interrupt_injection
 * says the guest can take it).
 * @vcpu_fd: a vCPU descriptor
 * @vector:  0 .. 255
 *
 * Errors: EINVAL (@vector above 255). Not implemented by the module yet:
 * ENOTTY.
 */
int hax_interrupt(int vcpu_fd, uint32_t vector);

/**
 * hax_set_debug() - HAX_IOCTL_VCPU_DEBUG: set guest debugging (single step,
 * breakpoints); debug events exit with HAX_EXIT_DEBUG.
 * @vcpu_fd: a vCPU descriptor
 * @debug:   HAX_DEBUG_* control bits and the debug registers
 *
 * Errors: EFAULT, EINVAL (reserved bits set). Not implemented by the module
 * yet: ENOTTY.
 */
int hax_set_debug(int vcpu_fd, const hax_debug_t *debug);

/**
 * hax_set_cpuid() - HAX_VCPU_IOCTL_SET_CPUID: set the CPUID values the guest
 * sees (the ioctl takes the address of a pointer to @cpuid).
 * @vcpu_fd: a vCPU descriptor
 * @cpuid:   total entries follow the header
 *
 * Errors: EFAULT, E2BIG (total above HAX_MAX_CPUID_ENTRIES), EINVAL (total
 * 0, a leaf not in the table, a feature bit haxm does not offer; see
 * docs/api.md).
 */
int hax_set_cpuid(int vcpu_fd, const struct hax_cpuid *cpuid);

/**
 * hax_get_cpuid() - HAX_VCPU_IOCTL_GET_CPUID: read the guest's CPUID table
 * into @cpuid, which has room for @cpuid->total entries; with total 0 only
 * the count is returned in total.
 * @vcpu_fd: a vCPU descriptor
 * @cpuid:   the buffer
 *
 * Errors: EFAULT, E2BIG (more entries than total has room for; total is
 * set to the number needed).
 */
int hax_get_cpuid(int vcpu_fd, struct hax_cpuid *cpuid);

/* ---- the tunnel ---------------------------------------------------------- */

/**
 * hax_exit_status_name() - the name of a tunnel exit status: "IO" for
 * HAX_EXIT_IO and so on, "invalid" for a value enum hax_exit_status lacks.
 * @status: hax_tunnel._exit_status
 *
 * Never fails; the string is static.
 */
const char *hax_exit_status_name(uint32_t status);

#endif /* LIBHAXM_H */
