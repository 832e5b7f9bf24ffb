// SPDX-License-Identifier: GPL-2.0
/* core/os.h's trace hooks on Linux: the events of haxm_trace.h. */
#include "os.h"

#define CREATE_TRACE_POINTS
#include "haxm_trace.h"

bool os_trace_on(enum os_trace_event ev)
{
	switch (ev) {
	case OS_TRACE_ENTRY:
		return trace_haxm_entry_enabled();
	case OS_TRACE_EXIT:
		return trace_haxm_exit_enabled();
	case OS_TRACE_IO:
		return trace_haxm_io_enabled();
	case OS_TRACE_MMIO:
		return trace_haxm_mmio_enabled();
	case OS_TRACE_INJECT:
		return trace_haxm_inject_enabled();
	case OS_TRACE_EPT_FAULT:
		return trace_haxm_ept_fault_enabled();
	case OS_TRACE_NR:
		break;
	}
	return false;
}

void os_trace_entry(u32 vm, u32 vcpu, u64 rip)
{
	trace_haxm_entry(vm, vcpu, rip);
}

void os_trace_exit(u32 vm, u32 vcpu, u32 reason, u64 qual, u64 rip)
{
	trace_haxm_exit(vm, vcpu, reason, qual, rip);
}

void os_trace_io(u32 vm, u32 vcpu, u16 port, u8 size, bool in, bool string, u32 value)
{
	if (size < 4)
		value &= (1u << (8 * size)) - 1;
	trace_haxm_io(vm, vcpu, port, size, in, string, value);
}

void os_trace_mmio(u32 vm, u32 vcpu, u64 gpa, u32 access)
{
	trace_haxm_mmio(vm, vcpu, gpa, access);
}

void os_trace_inject(u32 vm, u32 vcpu, u32 info, u32 error)
{
	trace_haxm_inject(vm, vcpu, info, error);
}

void os_trace_ept_fault(u32 vm, u32 vcpu, u64 gpa, u64 qual)
{
	trace_haxm_ept_fault(vm, vcpu, gpa, qual);
}
