// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8259A pair (HAX_LAPIC_ENABLE_PIC): LAPIC_ENABLE's flag
 * rules, GET/SET_PIC and every refusal of SET, the ports staying user
 * space's without the flag, and a guest that programs the pair through its
 * ports while the test drives the lines: priority and masking, rotation,
 * specific and non-specific EOI, the cascade through IR2, poll, a level
 * input (ELCR) re-requesting after each EOI, automatic EOI, and a halted
 * vCPU woken by the PIC's ExtINT. The same guest and line changes run under
 * kvm_intel (KVM_CREATE_IRQCHIP: its PIC, KVM_IRQ_LINE) and the OUT traces
 * must be the same. KVM's poll leaves bit 7 of the poll word 0 and the IR
 * not in service, against the datasheet: the guest reports the IR only and
 * sends an EOI, which a PIC with nothing in service ignores.
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness.h"

#define PIC_FLAGS (HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC)

/* ---- the ABI ------------------------------------------------------------ */

/* A VM with LAPIC_ENABLE(@flags) refused with @err; 0 or a failure. */
static int enable_refused(uint32_t flags, int err)
{
	int sys, vm;
	uint32_t id;

	CHECK_OK(sys = hax_open_system());
	CHECK_OK(hax_create_vm(sys, &id));
	CHECK_OK(vm = hax_open_vm(id));
	CHECK_ERRNO(hax_lapic_enable_flags(vm, flags), err);
	CHECK_ERRNO(hax_get_pic(vm, &(struct hax_pic_state){ 0 }), ENOTTY);
	close(vm);
	close(sys);
	return 0;
}

/* SET_PIC of @s (one field off from a valid state) refused with EINVAL. */
#define SET_REFUSED(field, value)                              \
	do {                                                   \
		t = s;                                         \
		t.field = value;                               \
		CHECK_ERRNO(hax_set_pic(c.vm_fd, &t), EINVAL); \
	} while (0)

TEST(pic_abi)
{
	struct hax_pic_state s, t;
	struct vm_ctx c;
	int r = 1;

	if (enable_refused(HAX_LAPIC_ENABLE_PIC, EINVAL) ||
	    enable_refused(HAX_LAPIC_ENABLE_PIC | (1u << 3), EINVAL))
		return 1;
	/* an IO-APIC alone: no PIC ioctls */
	if (lapic_setup_flags(&c, 1 << 16, HAX_LAPIC_ENABLE_IOAPIC))
		goto out;
	CHECK_ERRNO(hax_get_pic(c.vm_fd, &s), ENOTTY);
	CHECK_ERRNO(hax_set_pic(c.vm_fd, &s), ENOTTY);
	vm_teardown(&c);
	if (lapic_setup_flags(&c, 1 << 16, PIC_FLAGS))
		goto out;
	/* the creation state: every input masked, the rest 0 */
	memset(&s, 0xcc, sizeof(s));
	CHECK_OK(hax_get_pic(c.vm_fd, &s));
	CHECK_EQ(s.master.imr, 0xff);
	CHECK_EQ(s.slave.imr, 0xff);
	CHECK_EQ(s.master.irr | s.master.isr | s.master.init_state | s.master.elcr, 0);
	CHECK_EQ(s.reserved[3], 0);
	/* IRQ_LINE reaches the PIC's inputs; IRQ 2 only the IO-APIC */
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 1));
	CHECK_OK(hax_irq_line(c.vm_fd, 2, 1));
	CHECK_OK(hax_irq_line(c.vm_fd, 12, 1));
	CHECK_OK(hax_get_pic(c.vm_fd, &s));
	CHECK_EQ(s.master.lines, 0x08);
	CHECK_EQ(s.master.irr, 0x08);
	CHECK_EQ(s.slave.lines, 0x10);
	CHECK_EQ(s.slave.irr, 0x10);
	/* a round trip: a slave request unmasked makes the master's IR2 */
	s.slave.imr = 0xef;
	s.master.irr |= 0x04;
	s.master.imr = 0xfb;
	s.master.irq_base = 0x20;
	s.slave.irq_base = 0x28;
	s.master.elcr = 0x88;
	s.master.lines |= 0x80;
	s.master.irr |= 0x80;
	s.slave.elcr = 0x02;
	s.master.priority_add = 3;
	s.master.isr = 0x01;
	s.master.icw3 = 0x04;
	s.slave.icw3 = 0x02;
	s.master.read_isr = 1;
	s.slave.init_state = 2;
	s.slave.icw4_needed = 1;
	s.master.auto_eoi = 1;
	s.master.special_fnm = 1;
	CHECK_OK(hax_set_pic(c.vm_fd, &s));
	memset(&t, 0, sizeof(t));
	CHECK_OK(hax_get_pic(c.vm_fd, &t));
	CHECK(!memcmp(&s, &t, sizeof(s)));
	/* what SET refuses, nothing changed */
	SET_REFUSED(reserved[1], 1);
	SET_REFUSED(master.read_isr, 2);
	SET_REFUSED(slave.poll, 2);
	SET_REFUSED(master.special_mask, 2);
	SET_REFUSED(master.auto_eoi, 2);
	SET_REFUSED(slave.rotate_aeoi, 2);
	SET_REFUSED(master.special_fnm, 2);
	SET_REFUSED(master.icw4_needed, 2);
	SET_REFUSED(master.init_state, 4);
	SET_REFUSED(slave.priority_add, 8);
	SET_REFUSED(master.irq_base, 0x21);
	SET_REFUSED(master.elcr, 0x89);	 /* IR0 cannot be level */
	SET_REFUSED(slave.elcr, 0x03);	 /* nor IR8 */
	SET_REFUSED(slave.elcr, 0x22);	 /* nor IR13 */
	SET_REFUSED(master.lines, 0x08); /* a level IR7 requesting with its line low */
	SET_REFUSED(master.lines, 0x8c); /* IR2 is no line */
	SET_REFUSED(master.irr, 0x88);	 /* IR2 must show the slave's INT */
	SET_REFUSED(slave.imr, 0xff);	 /* ... now none: IR2 would be stale */
	CHECK_OK(hax_get_pic(c.vm_fd, &t));
	CHECK(!memcmp(&s, &t, sizeof(s)));
	r = 0;
out:
	vm_teardown(&c);
	return r;
}

/*
 * Without HAX_LAPIC_ENABLE_PIC the PIC's and ELCR's ports are user space's
 * (HAXM's behaviour), as are the PIT's with only the PIC enabled.
 */
GUEST_CODE(g_pic_ports, ".code16\n mov $0x11, %al\n out %al, $0x20\n in $0xa1, %al\n"
			" mov $0x4d0, %dx\n out %al, (%dx)\n in $0x61, %al\n out %al, $0x43\n"
			" mov $0x5a, %al\n out %al, $0x80\n hlt\n");

/* RUN to an IN from @port; the VMM's answer is @val. 0 or a failure. */
static int expect_in(struct vm_ctx *c, uint16_t port, uint8_t val)
{
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	if (c->tunnel->io._port != port || c->tunnel->io._direction != HAX_IO_IN)
		return fail("exit at port 0x%x, expected an IN from 0x%x", c->tunnel->io._port,
			    port);
	*c->iobuf = val;
	return 0;
}

/* g_pic_ports on a VM with LAPIC_ENABLE(@flags) (no LAPIC_ENABLE for 0). */
static int ports_exit(uint32_t flags)
{
	struct hax_pic_state s;
	struct vm_ctx c;
	int r = flags ? lapic_setup_flags(&c, 1 << 16, flags) : vm_setup(&c, 1 << 16);

	if (r)
		goto out;
	r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pic_ports_start, g_pic_ports_end, 0x8000);
	if (!r && !(flags & HAX_LAPIC_ENABLE_PIC))
		r = expect_out(&c, 0x20, 1, 0x11) || expect_in(&c, 0xa1, 0x3c) ||
		    expect_out(&c, 0x4d0, 1, 0x3c);
	r = r || expect_in(&c, 0x61, 0x20) || expect_out(&c, 0x43, 1, 0x20) ||
	    expect_out(&c, 0x80, 1, 0x5a);
	if (!r && (flags & HAX_LAPIC_ENABLE_PIC)) {
		/* the kernel's: ICW1 to the master, the slave's IMR read, the ELCR written */
		r = 1;
		CHECK_OK(hax_get_pic(c.vm_fd, &s));
		CHECK_EQ(s.master.init_state, 1);
		CHECK_EQ(s.master.icw4_needed, 1);
		CHECK_EQ(s.master.elcr, 0xf8);
		r = 0;
	}
out:
	vm_teardown(&c);
	return r;
}

TEST(pic_ports_user_without_flag)
{
	return ports_exit(HAX_LAPIC_ENABLE_IOAPIC) || ports_exit(0) || ports_exit(PIC_FLAGS);
}

/* ---- a guest driven by the lines ------------------------------------------ */

/*
 * The handler of vector @vec: report it on port 0x80, the master's ISR on
 * 0x84, then a non-specific EOI to the master.
 */
#define PIC_HANDLER(vec)                                                                      \
	GUEST_CODE(g_pic_h##vec, ".code16\n push %ax\n mov $" #vec ", %al\n out %al, $0x80\n" \
				 " mov $0x0b, %al\n out %al, $0x20\n in $0x20, %al\n"         \
				 " out %al, $0x84\n mov $0x20, %al\n out %al, $0x20\n"        \
				 " pop %ax\n iret\n")
PIC_HANDLER(0x21);
PIC_HANDLER(0x23);
PIC_HANDLER(0x24);
/* IR5: the ISR, a specific EOI, the ISR again. */
GUEST_CODE(g_pic_h25, ".code16\n push %ax\n mov $0x25, %al\n out %al, $0x80\n"
		      " mov $0x0b, %al\n out %al, $0x20\n in $0x20, %al\n out %al, $0x84\n"
		      " mov $0x65, %al\n out %al, $0x20\n in $0x20, %al\n out %al, $0x84\n"
		      " pop %ax\n iret\n");
/* IR6, level: count at 0x606 and report it; the third masks IR6. EOI. */
GUEST_CODE(g_pic_h26, ".code16\n push %ax\n incb 0x606\n mov 0x606, %al\n out %al, $0x80\n"
		      " cmpb $3, 0x606\n jb 1f\n in $0x21, %al\n or $0x40, %al\n"
		      " out %al, $0x21\n1: mov $0x20, %al\n out %al, $0x20\n pop %ax\n iret\n");
/* IR10 (the slave's IR2): the vector, both ISRs, EOI to the slave, then the master. */
GUEST_CODE(g_pic_h2a, ".code16\n push %ax\n mov $0x2a, %al\n out %al, $0x80\n"
		      " mov $0x0b, %al\n out %al, $0x20\n in $0x20, %al\n out %al, $0x84\n"
		      " mov $0x0b, %al\n out %al, $0xa0\n in $0xa0, %al\n out %al, $0x84\n"
		      " mov $0x20, %al\n out %al, $0xa0\n out %al, $0x20\n pop %ax\n iret\n");

#define TAKE	" sti\n nop\n nop\n cli\n"
#define SYNC(n) " mov $" #n ", %al\n out %al, $0x82\n"
#define ICWS(base, icw3, icw4, cmd, data)                                                    \
	" mov $0x11, %al\n out %al, $" #cmd "\n mov $" #base ", %al\n out %al, $" #data "\n" \
	" mov $" #icw3 ", %al\n out %al, $" #data "\n mov $" #icw4 ", %al\n out %al, $" #data "\n"

GUEST_CODE(g_pic_main, ".code16\n" ICWS(0x20, 0x04, 0x01, 0x20, 0x21)
			       ICWS(0x28, 0x02, 0x01, 0xa0,
				    0xa1) " xor %al, %al\n out %al, $0x21\n out %al, $0xa1\n"
					  " in $0x21, %al\n out %al, $0x84\n"
	   /* 1: IR3 before IR4 */
	   SYNC(1) TAKE
	   /* 2: masked IR3 latched in IRR, taken when unmasked */
	   " mov $0x08, %al\n out %al, $0x21\n" SYNC(2) TAKE
	   " mov $0x0a, %al\n out %al, $0x20\n in $0x20, %al\n out %al, $0x84\n"
	   " xor %al, %al\n out %al, $0x21\n" TAKE
		   /* 3: specific EOI; 4: the cascade */
		   SYNC(3) TAKE SYNC(4) TAKE
	   /* 5: IR2 the lowest: IR4 before IR1; then IR7 the lowest again */
	   " mov $0xc2, %al\n out %al, $0x20\n" SYNC(5) TAKE " mov $0xc7, %al\n out %al, $0x20\n"
	   /* 6: poll with interrupts off */
	   SYNC(6) " mov $0x0c, %al\n out %al, $0x20\n in $0x20, %al\n mov %al, 0x700\n"
		   " and $7, %al\n out %al, $0x84\n"
		   " mov $0x20, %al\n out %al, $0x20\n" TAKE
		   /* 7: IR6 level: three interrupts while high; 8: low, unmasked: none */
		   " mov $0x40, %al\n mov $0x4d0, %dx\n out %al, (%dx)\n in (%dx), %al\n"
		   " out %al, $0x84\n" SYNC(7) TAKE SYNC(8) " xor %al, %al\n out %al, $0x21\n" TAKE
			   /* 9: automatic EOI: nothing in service in the handler */
			   ICWS(0x20, 0x04, 0x03, 0x20, 0x21) SYNC(9) TAKE
	   " mov $0x99, %al\n out %al, $0x81\n2: jmp 2b\n");

/* After the OUT @port of @val: set up to 4 lines (irq, level) in order; irq -1 ends. */
struct pic_step {
	uint16_t port;
	uint32_t val;
	int line[4][2];
};

#define PULSE(n)     \
	{ n, 1 },    \
	{            \
		n, 0 \
	}
#define NONE                  \
	{                     \
		{             \
			-1, 0 \
		}             \
	}

static const struct pic_step pic_script[] = {
	{ 0x84, 0x00, NONE },
	{ 0x82, 1, { PULSE(4), PULSE(3) } },
	{ 0x80, 0x23, NONE },
	{ 0x84, 0x08, NONE },
	{ 0x80, 0x24, NONE },
	{ 0x84, 0x10, NONE },
	{ 0x82, 2, { PULSE(3), { -1, 0 } } },
	{ 0x84, 0x08, NONE }, /* IRR: IR3 waits while masked */
	{ 0x80, 0x23, NONE },
	{ 0x84, 0x08, NONE },
	{ 0x82, 3, { PULSE(5), { -1, 0 } } },
	{ 0x80, 0x25, NONE },
	{ 0x84, 0x20, NONE },
	{ 0x84, 0x00, NONE }, /* the specific EOI */
	{ 0x82, 4, { PULSE(10), { -1, 0 } } },
	{ 0x80, 0x2a, NONE },
	{ 0x84, 0x04, NONE }, /* the master's IR2 ... */
	{ 0x84, 0x04, NONE }, /* ... and the slave's IR2 in service */
	{ 0x82, 5, { PULSE(1), PULSE(4) } },
	{ 0x80, 0x24, NONE },
	{ 0x84, 0x10, NONE },
	{ 0x80, 0x21, NONE },
	{ 0x84, 0x02, NONE },
	{ 0x82, 6, { PULSE(5), { -1, 0 } } },
	{ 0x84, 0x05, NONE }, /* poll: IR5 (bit 7, which KVM leaves 0, is checked apart) */
	{ 0x84, 0x40, NONE }, /* ELCR */
	{ 0x82, 7, { { 6, 1 }, { -1, 0 } } },
	{ 0x80, 1, NONE },
	{ 0x80, 2, NONE },
	{ 0x80, 3, NONE },
	{ 0x82, 8, { { 6, 0 }, { -1, 0 } } },
	{ 0x82, 9, { PULSE(3), { -1, 0 } } },
	{ 0x80, 0x23, NONE },
	{ 0x84, 0x00, NONE }, /* automatic EOI */
	{ 0x81, 0x99, NONE },
};

#define PIC_NSTEPS ((int)(sizeof(pic_script) / sizeof(pic_script[0])))

static void pic_handlers(uint8_t *ram)
{
	lapic_ivt_set(ram, 0x21, 0x3000, g_pic_h0x21_start, g_pic_h0x21_end);
	lapic_ivt_set(ram, 0x23, 0x3100, g_pic_h0x23_start, g_pic_h0x23_end);
	lapic_ivt_set(ram, 0x24, 0x3200, g_pic_h0x24_start, g_pic_h0x24_end);
	lapic_ivt_set(ram, 0x25, 0x3300, g_pic_h25_start, g_pic_h25_end);
	lapic_ivt_set(ram, 0x26, 0x3400, g_pic_h26_start, g_pic_h26_end);
	lapic_ivt_set(ram, 0x2a, 0x3500, g_pic_h2a_start, g_pic_h2a_end);
}

/* Run g_pic_main through the script; every OUT must be the script's. */
static int pic_drive(struct twin *d, struct out_trace *tr)
{
	int i, j;

	for (i = 0; i < PIC_NSTEPS; i++) {
		const struct pic_step *s = &pic_script[i];

		if (twin_out(d, tr))
			return 1;
		if (tr->port[i] != s->port || tr->val[i] != s->val)
			return fail("OUT %d: port 0x%x value 0x%x, expected 0x%x 0x%x", i,
				    tr->port[i], tr->val[i], s->port, s->val);
		for (j = 0; j < 4 && s->line[j][0] >= 0; j++)
			if (twin_line(d, s->line[j][0], s->line[j][1]))
				return 1;
	}
	return 0;
}

TEST(pic_lines)
{
	struct out_trace th = { 0 }, tk = { 0 };
	struct hax_pic_state s;
	struct kvm_ctx k;
	struct vm_ctx c;
	struct twin d = { .c = &c };
	int r;

	r = lapic_setup_flags(&c, 1 << 20, PIC_FLAGS);
	if (!r) {
		pic_handlers(c.ram);
		r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pic_main_start, g_pic_main_end,
				0x8000) ||
		    pic_drive(&d, &th);
	}
	if (!r) {
		r = 1;
		CHECK_OK(hax_get_pic(c.vm_fd, &s));
		CHECK_EQ(s.master.irq_base, 0x20);
		CHECK_EQ(s.slave.irq_base, 0x28);
		CHECK_EQ(s.master.auto_eoi, 1);
		CHECK_EQ(s.master.elcr, 0x40);
		CHECK_EQ(s.master.lines | s.master.isr | s.slave.isr, 0);
		CHECK_EQ(s.slave.icw3, 0x02);
		CHECK_EQ(c.ram[0x606], 3);
		CHECK_EQ(c.ram[0x700], 0x85); /* the poll word: a request (datasheet) */
		r = 0;
	}
	vm_teardown(&c);
	if (r)
		return r;
	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	d = (struct twin){ .k = &k };
	r = kvm_setup_real_irqchip(&k, 1 << 20, 0x1000);
	if (!r) {
		pic_handlers(k.ram);
		memcpy(k.ram + 0x1000, g_pic_main_start, g_pic_main_end - g_pic_main_start);
		r = pic_drive(&d, &tk);
	}
	kvm_teardown(&k);
	if (r)
		return r;
	printf("pic vs kvm_intel: %d OUTs each\n", th.n);
	return out_trace_equal(&th, &tk);
}

/* ---- a halted vCPU woken by the PIC ------------------------------------------ */

GUEST_CODE(g_pic_hlt,
	   ".code16\n" ICWS(0x20, 0x04, 0x01, 0x20, 0x21) " mov $0xf7, %al\n out %al, $0x21\n" SYNC(
		   1) " sti\n hlt\n cli\n"
		      " mov $0x77, %al\n out %al, $0x81\n2: jmp 2b\n");

struct pulse_arg {
	int vm_fd;
	int r;
};

/* 50 ms later (the vCPU halted in the kernel by then), pulse IRQ 3. */
static void *pulse_later(void *p)
{
	struct pulse_arg *a = p;

	usleep(50000);
	a->r = hax_irq_line(a->vm_fd, 3, 1) || hax_irq_line(a->vm_fd, 3, 0);
	return NULL;
}

TEST(pic_wakes_hlt)
{
	struct pulse_arg a = { 0 };
	struct vm_ctx c;
	pthread_t th;
	int r = lapic_setup_flags(&c, 1 << 20, PIC_FLAGS);

	if (r)
		goto out;
	lapic_ivt_set(c.ram, 0x23, 0x3100, g_pic_h0x23_start, g_pic_h0x23_end);
	r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pic_hlt_start, g_pic_hlt_end, 0x8000) ||
	    expect_out(&c, 0x82, 1, 1);
	if (r)
		goto out;
	a.vm_fd = c.vm_fd;
	if (pthread_create(&th, NULL, pulse_later, &a)) {
		r = fail("pthread_create");
		goto out;
	}
	/* one RUN: HLT sleeps in the kernel, the ExtINT wakes it, the handler OUTs */
	r = expect_out(&c, 0x80, 1, 0x23);
	pthread_join(th, NULL);
	if (!r && a.r)
		r = fail("IRQ_LINE from the thread failed");
	r = r || expect_out(&c, 0x84, 1, 0x08) || expect_out(&c, 0x81, 1, 0x77);
out:
	vm_teardown(&c);
	return r;
}

/* ---- LINT0 -------------------------------------------------------------- */

/*
 * vCPU 0's LAPIC decides whether the PIC's INT gets in: enabled with LINT0
 * masked (its state from reset), nothing; LINT0 ExtINT unmasked, the
 * interrupt; LINT0 masked again, nothing; the APIC software-disabled, the
 * interrupt (the virtual wire). KVM's BSP has LINT0 unmasked from reset
 * (what firmware programs), so this sequence is haxm's alone.
 */
GUEST_CODE(g_pic_lint0,
	   ".code16\n" ICWS(
		   0x20, 0x04, 0x01, 0x20,
		   0x21) " mov $0xf7, %al\n"
			 " out %al, $0x21\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
			 " movl %fs:0x350(%ebx), %eax\n out %eax, $0x84\n" SYNC(1) TAKE
	   " movl $0x700, %fs:0x350(%ebx)\n" TAKE " movl $0x10700, %fs:0x350(%ebx)\n" SYNC(2) TAKE
	   " movl $0xff, %fs:0xf0(%ebx)\n" TAKE " mov $0x55, %al\n out %al, $0x81\n2: jmp 2b\n");

TEST(pic_lint0_extint)
{
	struct vm_ctx c;
	int r = lapic_setup_flags(&c, 1 << 20, PIC_FLAGS);

	if (r)
		goto out;
	lapic_ivt_set(c.ram, 0x23, 0x3100, g_pic_h0x23_start, g_pic_h0x23_end);
	r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pic_lint0_start, g_pic_lint0_end, 0x8000) ||
	    expect_out(&c, 0x84, 4, 0x10000) || expect_out(&c, 0x82, 1, 1);
	if (r)
		goto out;
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 1));
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 0));
	r = expect_out(&c, 0x80, 1, 0x23) || expect_out(&c, 0x84, 1, 0x08) ||
	    expect_out(&c, 0x82, 1, 2);
	if (r)
		goto out;
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 1));
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 0));
	r = expect_out(&c, 0x80, 1, 0x23) || expect_out(&c, 0x84, 1, 0x08) ||
	    expect_out(&c, 0x81, 1, 0x55);
out:
	vm_teardown(&c);
	return r;
}

/*
 * LINT0 programmed as NMI (delivery mode 4, SDM 11.5.1): the PIC's INT
 * rising (IRQ 3 pulsed at SYNC 1) is an NMI, taken through vector 2 of the
 * IVT with interrupts off; no INTA follows, so IR3 stays requested, the INT
 * stays high and a second pulse (SYNC 2) is no new edge: no second NMI, the
 * IRR 0x08. KVM's PIC reaches LINT0 only in ExtINT mode (its LVT0 NMI
 * watchdog path is fed by the PIT instead), so this is haxm's alone.
 */
LAPIC_HANDLER(g_pic_nmi, 0x02);
/* clang-format off */
GUEST_CODE(g_pic_lint0_nmi, ".code16\n"
	   ICWS(0x20, 0x04, 0x01, 0x20, 0x21)
	   " mov $0xf7, %al\n out %al, $0x21\n mov $0xfee00000, %ebx\n"
	   " movl $0x1ff, %fs:0xf0(%ebx)\n movl $0x400, %fs:0x350(%ebx)\n"
	   SYNC(1) " nop\n"
	   SYNC(2) " nop\n"
	   " mov $0x0a, %al\n out %al, $0x20\n in $0x20, %al\n out %al, $0x84\n"
	   " mov $0x55, %al\n out %al, $0x81\n2: jmp 2b\n");
/* clang-format on */

TEST(pic_lint0_nmi)
{
	struct hax_lapic_state s;
	struct vm_ctx c;
	int r = lapic_setup_flags(&c, 1 << 20, PIC_FLAGS);

	if (r)
		goto out;
	lapic_ivt_set(c.ram, 2, 0x3100, g_pic_nmi_start, g_pic_nmi_end);
	r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pic_lint0_nmi_start, g_pic_lint0_nmi_end,
			0x8000) ||
	    expect_out(&c, 0x82, 1, 1);
	if (r)
		goto out;
	r = 1;
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 1));
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 0));
	if (expect_out(&c, 0x80, 1, 2) || expect_out(&c, 0x82, 1, 2))
		goto out;
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 1));
	CHECK_OK(hax_irq_line(c.vm_fd, 3, 0));
	if (expect_out(&c, 0x84, 1, 0x08) || expect_out(&c, 0x81, 1, 0x55))
		goto out;
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	CHECK_EQ(s.pending & HAX_LAPIC_PENDING_NMI, 0);
	r = 0;
out:
	vm_teardown(&c);
	return r;
}

/* ---- INS/OUTS ------------------------------------------------------------- */

/*
 * String I/O to the PIC's ports stays in the kernel: REP OUTSB of ICW2-4,
 * INSB of the IMR, REP INSB of the ELCR with DF set (the first read at the
 * highest address), REP OUTSB with DF set (the highest address first, so the
 * IMR ends with the lowest byte). The only exit is the final OUT.
 */
GUEST_CODE(g_pic_string, ".code16\n mov $0x11, %al\n out %al, $0x20\n cld\n"
			 " mov $0x21, %dx\n mov $0x600, %si\n mov $3, %cx\n rep outsb\n"
			 " mov $0xa5, %al\n out %al, $0x21\n mov $0x610, %di\n insb\n"
			 " mov $0x4d0, %dx\n mov $0x48, %al\n out %al, (%dx)\n"
			 " std\n mov $0x621, %di\n mov $2, %cx\n rep insb\n"
			 " mov $0x21, %dx\n mov $0x631, %si\n mov $2, %cx\n rep outsb\n cld\n"
			 " mov $0x66, %al\n out %al, $0x81\n2: jmp 2b\n");

TEST(pic_string_io)
{
	struct hax_pic_state s;
	struct vm_ctx c;
	int r = lapic_setup_flags(&c, 1 << 20, PIC_FLAGS);

	if (r)
		goto out;
	memcpy(c.ram + 0x600, "\x20\x04\x01", 3);
	c.ram[0x630] = 0x22;
	c.ram[0x631] = 0x11;
	r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pic_string_start, g_pic_string_end, 0x8000) ||
	    expect_out(&c, 0x81, 1, 0x66);
	if (r)
		goto out;
	r = 1;
	CHECK_OK(hax_get_pic(c.vm_fd, &s));
	CHECK_EQ(s.master.irq_base, 0x20);
	CHECK_EQ(s.master.icw3, 0x04);
	CHECK_EQ(s.master.init_state, 0);
	CHECK_EQ(s.master.elcr, 0x48);
	CHECK_EQ(s.master.imr, 0x22);
	CHECK_EQ(c.ram[0x610], 0xa5);
	CHECK_EQ(c.ram[0x620], 0x48);
	CHECK_EQ(c.ram[0x621], 0x48);
	r = 0;
out:
	vm_teardown(&c);
	return r;
}
