// SPDX-License-Identifier: GPL-2.0
/* The MMIO tests' device model and paged-guest loader (mmio_dev.h). */
#include "mmio_dev.h"

/* The VMM's own vector registers must never reach the guest's, nor back. */
static void clobber_ymm(void)
{
	static const uint8_t junk[32] = { [0 ... 31] = 0x5a };

	asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
		     "vmovdqu %0, %%ymm\\i\n .endr" ::"m"(junk));
}

void dev_init(struct dev *d)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < 4096; i++)
		d->mem[i] = (uint8_t)(i * 7 + 3);
}

uint64_t dev_val(const struct dev *d, uint32_t off, int size)
{
	uint64_t v = 0;

	memcpy(&v, d->mem + off, size);
	return v;
}

/* Run the guest to HLT, serving MMIO and string I/O. */
int dev_run(struct vm_ctx *c, struct dev *d)
{
	struct hax_fastmmio *m = (struct hax_fastmmio *)c->iobuf;
	struct hax_tunnel *t = c->tunnel;

	for (int i = 0; i < 200; i++) {
		if (d->clobber_vec)
			clobber_ymm();
		if (vm_run(c))
			return 1;
		if (t->_exit_status == HAX_EXIT_HLT)
			return 0;
		if (t->_exit_status == HAX_EXIT_IO) {
			uint32_t bytes = t->io._count * t->io._size;

			CHECK_EQ(t->io._flags, HAX_IO_FLAG_STRING);
			CHECK(bytes <= 4096);
			d->io_exits++;
			d->io_port = t->io._port;
			d->io_count = t->io._count;
			d->io_size = t->io._size;
			if (t->io._direction == HAX_IO_OUT) {
				CHECK(d->out_len + bytes <= sizeof(d->out));
				memcpy(d->out + d->out_len, c->iobuf, bytes);
				d->out_len += bytes;
			} else {
				for (uint32_t b = 0; b < bytes; b++)
					c->iobuf[b] = d->in_fill + b;
			}
			continue;
		}
		if (t->_exit_status != HAX_EXIT_FAST_MMIO)
			return fail("exit status %u (%s), reason %u", t->_exit_status,
				    hax_exit_status_name(t->_exit_status), t->_exit_reason);
		CHECK(m->gpa >= MMIO_BASE && m->gpa + m->size <= MMIO_BASE + 4096);
		CHECK(m->size >= 1 && m->size <= 8 && d->n < 64);
		CHECK(m->direction == HAX_FASTMMIO_READ || m->direction == HAX_FASTMMIO_WRITE);
		if (m->direction == HAX_FASTMMIO_READ) {
			m->value = dev_val(d, m->gpa - MMIO_BASE, m->size);
		} else {
			memcpy(d->mem + (m->gpa - MMIO_BASE), &m->value, m->size);
		}
		d->log[d->n++] = (struct access){ m->gpa, m->value, m->size, m->direction };
	}
	return fail("the guest did not reach HLT");
}

/* Access @i of the log is (@dir, @off, @size[, @val]). */
int expect_acc(const struct dev *d, int i, uint8_t dir, uint32_t off, uint8_t size)
{
	if (i >= d->n)
		return fail("access %d missing (%d logged)", i, d->n);
	if (d->log[i].dir != dir || d->log[i].gpa != MMIO_BASE + off || d->log[i].size != size)
		return fail(
			"access %d: dir %u gpa 0x%llx size %u; expected dir %u gpa 0x%llx size %u",
			i, d->log[i].dir, (unsigned long long)d->log[i].gpa, d->log[i].size, dir,
			(unsigned long long)(MMIO_BASE + off), size);
	return 0;
}

/*
 * Paged guests: linear 0x400000 maps to the MMIO page at 0xf0000, so the
 * FAST_MMIO addresses prove the module walked the guest's page tables.
 * @lm: 64-bit (4-level paging), else 32-bit paging. Tables at 0x4000.
 */
int vm_load_paged(struct vm_ctx *c, bool lm, const uint8_t *start, const uint8_t *end)
{
	vcpu_state_t s;

	memcpy(c->ram + 0x1000, start, end - start);
	memset(c->ram + 0x4000, 0, 0x4000);
	if (lm) {
		uint64_t *pml4 = (uint64_t *)(c->ram + 0x4000), *pdpt = pml4 + 512;
		uint64_t *pd = pml4 + 1024, *pt = pml4 + 1536;

		pml4[0] = 0x5000 | 3;
		pdpt[0] = 0x6000 | 3;
		pd[0] = 0x83;	     /* code and stack: identity 2 MiB */
		pd[2] = 0x7000 | 3;  /* 0x400000 */
		pt[0] = 0xf0000 | 3; /* -> MMIO */
	} else {
		uint32_t *pd = (uint32_t *)(c->ram + 0x4000), *pt0 = pd + 1024, *pt1 = pd + 2048;

		pd[0] = 0x5000 | 3;
		for (int i = 0; i < 16; i++)
			pt0[i] = (i << 12) | 3; /* the RAM, identity */
		pd[1] = 0x6000 | 3;
		pt1[0] = 0xf0000 | 3;
	}
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._cs.selector = 8;
	s._cs.base = 0;
	s._cs.limit = 0xffffffff;
	s._cs.ar = lm ? 0xa09b : 0xc09b;
	s._ds.selector = s._es.selector = s._ss.selector = 16;
	s._ds.base = s._es.base = s._ss.base = 0;
	s._ds.limit = s._es.limit = s._ss.limit = 0xffffffff;
	s._ds.ar = s._es.ar = s._ss.ar = 0xc093;
	s._cr0 = 0x80000031;
	s._cr3 = 0x4000;
	s._cr4 = lm ? 0x20 : 0;
	s._efer = lm ? 0x500 : 0;
	s._rip = 0x1000;
	s._rflags = 2;
	s._regs[HAX_REG_RSP] = 0x8000;
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

int sys_tables(struct vm_ctx *c, const uint64_t *gdt, size_t size, bool idt)
{
	vcpu_state_t s;

	memcpy(c->ram + SYS_GDT, gdt, size);
	CHECK_OK(hax_get_regs(c->vcpu_fd, &s));
	s._gdt.base = SYS_GDT;
	s._gdt.limit = size - 1;
	if (idt) {
		s._idt.base = SYS_IDT;
		s._idt.limit = 16 * 32 - 1;
	}
	CHECK_OK(hax_set_regs(c->vcpu_fd, &s));
	return 0;
}

int dev_run_paged(struct vm_ctx *c, struct dev *d, bool lm, const uint8_t *start,
		  const uint8_t *end, const uint64_t *gdt, size_t size)
{
	if (vm_load_paged(c, lm, start, end) || sys_tables(c, gdt, size, false))
		return 1;
	return dev_run(c, d);
}
