/* SPDX-License-Identifier: GPL-2.0 */
/*
 * haxm's trace events: tracefs events/haxm/, trace-cmd and perf
 * (`perf record -e 'haxm:*'`). The core records them through core/os.h's
 * os_trace_*() hooks (trace.c).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM haxm

#if !defined(HAXM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define HAXM_TRACE_H

#include <linux/tracepoint.h>

#include "stats.h"

TRACE_EVENT(haxm_entry, TP_PROTO(u32 vm, u32 vcpu, u64 rip), TP_ARGS(vm, vcpu, rip),
	    TP_STRUCT__entry(__field(u32, vm) __field(u32, vcpu) __field(u64, rip)),
	    TP_fast_assign(__entry->vm = vm; __entry->vcpu = vcpu; __entry->rip = rip;),
	    TP_printk("vm %u vcpu %u rip 0x%llx", __entry->vm, __entry->vcpu, __entry->rip));

TRACE_EVENT(haxm_exit, TP_PROTO(u32 vm, u32 vcpu, u32 reason, u64 qual, u64 rip),
	    TP_ARGS(vm, vcpu, reason, qual, rip),
	    TP_STRUCT__entry(__field(u32, vm) __field(u32, vcpu) __field(u32, reason)
				     __field(u64, qual) __field(u64, rip)),
	    TP_fast_assign(__entry->vm = vm; __entry->vcpu = vcpu; __entry->reason = reason;
			   __entry->qual = qual; __entry->rip = rip;),
	    TP_printk("vm %u vcpu %u reason %s%s qual 0x%llx rip 0x%llx", __entry->vm,
		      __entry->vcpu,
		      __print_symbolic(__entry->reason & 0xffff, HAX_EXIT_REASON_SYMBOLS),
		      (__entry->reason & (1u << 31)) ? " (entry failed)" : "", __entry->qual,
		      __entry->rip));

TRACE_EVENT(haxm_io, TP_PROTO(u32 vm, u32 vcpu, u16 port, u8 size, bool in, bool string, u32 value),
	    TP_ARGS(vm, vcpu, port, size, in, string, value),
	    TP_STRUCT__entry(__field(u32, vm) __field(u32, vcpu) __field(u16, port)
				     __field(u8, size) __field(u8, in) __field(u8, string)
					     __field(u32, value)),
	    TP_fast_assign(__entry->vm = vm; __entry->vcpu = vcpu; __entry->port = port;
			   __entry->size = size; __entry->in = in; __entry->string = string;
			   __entry->value = value;),
	    TP_printk("vm %u vcpu %u %s%s port 0x%x size %u value 0x%x", __entry->vm, __entry->vcpu,
		      __entry->in ? "in" : "out", __entry->string ? "s" : "", __entry->port,
		      __entry->size, __entry->value));

TRACE_EVENT(haxm_mmio, TP_PROTO(u32 vm, u32 vcpu, u64 gpa, u32 access),
	    TP_ARGS(vm, vcpu, gpa, access),
	    TP_STRUCT__entry(__field(u32, vm) __field(u32, vcpu) __field(u64, gpa)
				     __field(u32, access)),
	    TP_fast_assign(__entry->vm = vm; __entry->vcpu = vcpu; __entry->gpa = gpa;
			   __entry->access = access;),
	    TP_printk("vm %u vcpu %u gpa 0x%llx access %s", __entry->vm, __entry->vcpu,
		      __entry->gpa,
		      __print_flags(__entry->access, "", { 1, "r" }, { 2, "w" }, { 4, "x" })));

TRACE_EVENT(haxm_inject, TP_PROTO(u32 vm, u32 vcpu, u32 info, u32 error),
	    TP_ARGS(vm, vcpu, info, error),
	    TP_STRUCT__entry(__field(u32, vm) __field(u32, vcpu) __field(u8, vector)
				     __field(u8, type) __field(u8, has_error) __field(u32, error)),
	    TP_fast_assign(__entry->vm = vm; __entry->vcpu = vcpu; __entry->vector = info & 0xff;
			   __entry->type = (info >> 8) & 7;
			   __entry->has_error = !!(info & (1u << 11)); __entry->error = error;),
	    TP_printk("vm %u vcpu %u vector %u type %s has_error %u error 0x%x", __entry->vm,
		      __entry->vcpu, __entry->vector,
		      __print_symbolic(__entry->type, { 0, "external" }, { 2, "nmi" },
				       { 3, "exception" }, { 4, "soft-int" },
				       { 5, "priv-soft-exception" }, { 6, "soft-exception" },
				       { 7, "other" }),
		      __entry->has_error, __entry->error));

TRACE_EVENT(haxm_ept_fault, TP_PROTO(u32 vm, u32 vcpu, u64 gpa, u64 qual),
	    TP_ARGS(vm, vcpu, gpa, qual),
	    TP_STRUCT__entry(__field(u32, vm) __field(u32, vcpu) __field(u64, gpa)
				     __field(u64, qual)),
	    TP_fast_assign(__entry->vm = vm; __entry->vcpu = vcpu; __entry->gpa = gpa;
			   __entry->qual = qual;),
	    TP_printk("vm %u vcpu %u gpa 0x%llx qual 0x%llx access %s", __entry->vm, __entry->vcpu,
		      __entry->gpa, __entry->qual,
		      __print_flags(__entry->qual & 7, "", { 1, "r" }, { 2, "w" }, { 4, "x" })));

#endif /* HAXM_TRACE_H */

/* The header is found through ccflags' -I$(src)/platform/linux. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE haxm_trace
#include <trace/define_trace.h>
