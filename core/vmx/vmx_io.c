// SPDX-License-Identifier: GPL-2.0
/*
 * I/O instruction exits (SDM 28.2.1, Table 28-5). IN/OUT go to user space
 * as HAX_EXIT_IO with the data in the I/O buffer; INS/OUTS are emulated
 * (vmx_mmio.c), which moves up to a page of elements per exit.
 */
#include "exits.h"
#include "../vpic.h"
#include "vmcs.h"
#include "vmx.h"

/*
 * IN/OUT to a port of the in-kernel ISA devices (vpic.h): done here, RIP
 * past it; 0, or 1 when the port is user space's. An IN writes AL, AX or
 * EAX (zero-extended into RAX, SDM Vol. 1 3.4.1.1).
 */
static int vmx_io_kernel(struct vcpu *v, u64 q)
{
	u32 size = IO_QUAL_SIZE(q), val = (u32)v->regs[HAX_REG_RAX];
	bool in = q & IO_QUAL_IN;
	u64 *rax = &v->regs[HAX_REG_RAX];

	if (vcpu_isa_pio(v, IO_QUAL_PORT(q), size, in, &val))
		return 1;
	if (in) {
		if (size == 1)
			*rax = (*rax & ~0xffull) | (val & 0xff);
		else if (size == 2)
			*rax = (*rax & ~0xffffull) | (val & 0xffff);
		else
			*rax = val;
	}
	vmx_skip_instruction(v);
	return 0;
}

int vmx_handle_io(struct vcpu *v, struct hax_tunnel *t)
{
	u64 q = v->exit_qual;
	u8 size = IO_QUAL_SIZE(q);

	if (os_trace_on(OS_TRACE_IO))
		os_trace_io(v->vm->id, v->id, IO_QUAL_PORT(q), size, q & IO_QUAL_IN,
			    q & IO_QUAL_STRING, (q & IO_QUAL_IN) ? 0 : (u32)v->regs[HAX_REG_RAX]);
	if (q & IO_QUAL_STRING)
		return EXIT_EMULATE; /* the guest's memory side needs the page walk */
	if ((v->vm->pic || v->vm->pit) && !vmx_io_kernel(v, q))
		return EXIT_RESUME;
	t->io._direction = (q & IO_QUAL_IN) ? HAX_IO_IN : HAX_IO_OUT;
	t->io._df = 0;
	t->io._size = size;
	t->io._port = IO_QUAL_PORT(q);
	t->io._count = 1;
	t->io._flags = 0;
	t->io._vaddr = 0;
	if (q & IO_QUAL_IN)
		v->io_in_size = size; /* completed by the next RUN */
	else
		__builtin_memcpy(v->iobuf_page.va, &v->regs[HAX_REG_RAX], size);
	vmx_skip_instruction(v);
	t->_exit_status = HAX_EXIT_IO;
	return EXIT_TO_USER;
}
