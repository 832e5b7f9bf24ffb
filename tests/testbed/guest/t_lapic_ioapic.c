// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel IO-APIC (HAX_CAP_IOAPIC): LAPIC_ENABLE with
 * HAX_LAPIC_ENABLE_IOAPIC, IRQ_LINE, GET/SET_IOAPIC and their errors, and a
 * guest that programs redirection entries through the window at 0xfec00000
 * while the test drives the lines: an edge entry sends once per rising edge;
 * a level entry is sent again after each EOI while its line stays high, with
 * remote IRR set until the EOI; a masked entry sends nothing until unmasked.
 * The same guest and line changes run under kvm_intel (KVM_CREATE_IRQCHIP,
 * KVM_IRQ_LINE; pins 16 and 17, which KVM routes to its IO-APIC only) and
 * the OUT traces must be the same.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness.h"

/* A VM with in-kernel LAPICs and IO-APIC, one vCPU, @ram_size of RAM. */
static int ioapic_setup(struct vm_ctx *c, uint64_t ram_size)
{
	return lapic_setup_flags(c, ram_size, HAX_LAPIC_ENABLE_IOAPIC);
}

/* ---- the ABI ------------------------------------------------------------ */

TEST(lapic_ioapic_abi)
{
	struct hax_capabilityinfo ci;
	struct hax_lapic_enable le = { .flags = 2 };
	struct hax_ioapic_state s, t;
	struct vm_ctx c;
	int r = 1, i;

	CHECK_OK(c.sys_fd = hax_open_system());
	CHECK_OK(hax_get_capability(c.sys_fd, &ci));
	close(c.sys_fd);
	CHECK(ci.winfo & HAX_CAP_IOAPIC);
	/* LAPICs alone: no IO-APIC ioctls; an unknown flag */
	if (lapic_setup(&c, 1 << 16))
		goto out;
	CHECK_ERRNO(hax_irq_line(c.vm_fd, 16, 1), ENOTTY);
	CHECK_ERRNO(hax_get_ioapic(c.vm_fd, &s), ENOTTY);
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &s), ENOTTY);
	vm_teardown(&c);
	CHECK_OK(c.sys_fd = hax_open_system());
	CHECK_OK(hax_create_vm(c.sys_fd, &c.vm_id));
	CHECK_OK(c.vm_fd = hax_open_vm(c.vm_id));
	CHECK_ERRNO(ioctl(c.vm_fd, HAX_VM_IOCTL_LAPIC_ENABLE, &le), EINVAL);
	CHECK_ERRNO(hax_irq_line(c.vm_fd, 16, 1), ENOTTY);
	close(c.vm_fd);
	close(c.sys_fd);
	if (ioapic_setup(&c, 1 << 16))
		goto out;
	CHECK_ERRNO(hax_lapic_enable_flags(c.vm_fd, HAX_LAPIC_ENABLE_IOAPIC), EEXIST);
	/* the reset state */
	memset(&s, 0xcc, sizeof(s));
	CHECK_OK(hax_get_ioapic(c.vm_fd, &s));
	CHECK_EQ(s.base, 0xfec00000);
	CHECK_EQ(s.id, 0);
	CHECK_EQ(s.lines, 0);
	CHECK_EQ(s.reserved[5], 0);
	for (i = 0; i < HAX_IOAPIC_PINS; i++)
		CHECK_EQ(s.redir[i], 0x10000);
	/* IRQ_LINE's fields */
	CHECK_ERRNO(hax_irq_line(c.vm_fd, 24, 1), EINVAL);
	CHECK_ERRNO(hax_irq_line(c.vm_fd, 3, 2), EINVAL);
	CHECK_OK(hax_irq_line(c.vm_fd, 23, 1));
	CHECK_OK(hax_get_ioapic(c.vm_fd, &s));
	CHECK_EQ(s.lines, 1u << 23);
	/* a round trip */
	s.id = 5;
	s.arb = 5;
	s.ioregsel = 0x21;
	s.redir[3] = 0x0300000000008000ull | 0xa9 | (1ull << 11) | (1ull << 14);
	CHECK_OK(hax_set_ioapic(c.vm_fd, &s));
	memset(&t, 0, sizeof(t));
	CHECK_OK(hax_get_ioapic(c.vm_fd, &t));
	CHECK(!memcmp(&s, &t, sizeof(s)));
	/* what SET refuses, nothing changed */
	t.base = 0xfec01000;
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.id = 16;
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.ioregsel = 0x100;
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.lines = 1u << 24;
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.reserved[2] = 1;
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.redir[4] = 0x10000 | (1ull << 12); /* delivery status */
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.redir[4] = 0x10000 | (1ull << 30); /* reserved */
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	t = s;
	t.redir[4] = 0x10000 | (1ull << 14); /* remote IRR on an edge entry */
	CHECK_ERRNO(hax_set_ioapic(c.vm_fd, &t), EINVAL);
	CHECK_OK(hax_get_ioapic(c.vm_fd, &t));
	CHECK(!memcmp(&s, &t, sizeof(s)));
	r = 0;
out:
	vm_teardown(&c);
	return r;
}

/* ---- a guest driven by the lines ------------------------------------------ */

/*
 * Handlers (ESI = 0xfec00000, EBX = the APIC page, from the main code).
 * 0x60: report, count at 0x600, EOI. 0x61: count at 0x601, report, then the
 * redirection entry of pin 17 (remote IRR set: in service), EOI.
 */
GUEST_CODE(g_h60, ".code16\n push %eax\n mov $0x60, %al\n out %al, $0x80\n incb 0x600\n"
		  " movl $0, %fs:0xb0(%ebx)\n pop %eax\n iret\n");
GUEST_CODE(g_h61, ".code16\n push %eax\n incb 0x601\n mov $0x61, %al\n out %al, $0x80\n"
		  " movl $0x32, %fs:(%esi)\n movl %fs:0x10(%esi), %eax\n out %eax, $0x84\n"
		  " movl $0, %fs:0xb0(%ebx)\n pop %eax\n iret\n");

/*
 * Pin 16: edge, vector 0x60, logical destination 1 (the LDR the guest
 * gives APIC 0, flat model), lowest priority; pin 17: level, vector 0x61,
 * physical destination APIC 0, fixed. Sync points on port 0x82 (value = the step) where the
 * test changes lines; between them, NOPs with IF set take what arrived.
 */
GUEST_CODE(g_lines, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		    " mov $0xfec00000, %esi\n"
		    " movl $1, %fs:(%esi)\n movl %fs:0x10(%esi), %eax\n out %eax, $0x84\n"
		    " movl $0x1000000, %fs:0xd0(%ebx)\n"
		    " movl $0x31, %fs:(%esi)\n movl $0x1000000, %fs:0x10(%esi)\n"
		    " movl $0x30, %fs:(%esi)\n movl $0x960, %fs:0x10(%esi)\n"
		    " movl $0x33, %fs:(%esi)\n movl $0, %fs:0x10(%esi)\n"
		    " movl $0x32, %fs:(%esi)\n movl $0x8061, %fs:0x10(%esi)\n"
		    " sti\n"
		    " mov $1, %al\n out %al, $0x82\n nop\n nop\n"
		    " mov $2, %al\n out %al, $0x82\n nop\n nop\n"
		    " mov $3, %al\n out %al, $0x82\n nop\n nop\n"
		    " mov $4, %al\n out %al, $0x82\n"
		    "1: cmpb $2, 0x601\n jb 1b\n"
		    " movl $0x32, %fs:(%esi)\n movl %fs:0x10(%esi), %eax\n out %eax, $0x84\n"
		    " movl $0x18061, %fs:0x10(%esi)\n"
		    " mov $5, %al\n out %al, $0x82\n nop\n nop\n"
		    " movl %fs:0x10(%esi), %eax\n out %eax, $0x84\n"
		    " movl $0x8061, %fs:0x10(%esi)\n nop\n nop\n"
		    " mov 0x601, %al\n out %al, $0x81\n2: jmp 2b\n");

/* After the OUT @port of @val: set line @irq1 to @lvl1, then @irq2 to @lvl2 (-1: none). */
struct step {
	uint16_t port;
	uint32_t val;
	int irq1, lvl1, irq2, lvl2;
};

static const struct step script[] = {
	{ 0x84, 0x170011, -1, 0, -1, 0 }, /* IOAPICVER: 24 entries, version 0x11 */
	{ 0x82, 1, 16, 1, -1, 0 },	  /* rising edge: one 0x60 */
	{ 0x80, 0x60, -1, 0, -1, 0 },
	{ 0x82, 2, 16, 1, -1, 0 }, /* still high: no edge, nothing */
	{ 0x82, 3, 16, 0, 16, 1 }, /* low, high: one more */
	{ 0x80, 0x60, -1, 0, -1, 0 },
	{ 0x82, 4, 17, 1, -1, 0 }, /* level high: 0x61 ... */
	{ 0x80, 0x61, -1, 0, -1, 0 },
	{ 0x84, 0xc061, -1, 0, -1, 0 }, /* ... remote IRR set while in service */
	{ 0x80, 0x61, 17, 0, -1, 0 },	/* EOI, still high: again; now low */
	{ 0x84, 0xc061, -1, 0, -1, 0 },
	{ 0x84, 0x8061, -1, 0, -1, 0 }, /* the EOI cleared remote IRR, no more */
	{ 0x82, 5, 17, 1, -1, 0 },	/* high while masked: nothing ... */
	{ 0x84, 0x18061, -1, 0, -1, 0 },
	{ 0x80, 0x61, 17, 0, -1, 0 }, /* ... until unmasked */
	{ 0x84, 0xc061, -1, 0, -1, 0 },
	{ 0x81, 3, -1, 0, -1, 0 },
};

#define NSTEPS ((int)(sizeof(script) / sizeof(script[0])))

/* Run g_lines through the script; every OUT must be the script's. */
static int drive(struct twin *d, uint8_t *ram, struct out_trace *tr)
{
	int i;

	lapic_ivt_set(ram, 0x60, 0x3000, g_h60_start, g_h60_end);
	lapic_ivt_set(ram, 0x61, 0x3100, g_h61_start, g_h61_end);
	for (i = 0; i < NSTEPS; i++) {
		if (twin_out(d, tr))
			return 1;
		if (tr->port[i] != script[i].port || tr->val[i] != script[i].val)
			return fail("OUT %d: port 0x%x value 0x%x, expected 0x%x 0x%x", i,
				    tr->port[i], tr->val[i], script[i].port, script[i].val);
		if (twin_line(d, script[i].irq1, script[i].lvl1) ||
		    twin_line(d, script[i].irq2, script[i].lvl2))
			return 1;
	}
	return 0;
}

TEST(lapic_ioapic_lines)
{
	struct out_trace th = { 0 }, tk = { 0 };
	struct hax_ioapic_state s;
	struct kvm_ctx k;
	struct vm_ctx c;
	struct twin d = { .c = &c };
	int r;

	r = ioapic_setup(&c, 1 << 20);
	if (!r)
		r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_lines_start, g_lines_end, 0x8000) ||
		    drive(&d, c.ram, &th);
	if (!r) {
		r = 1;
		CHECK_EQ(c.ram[0x600], 2);
		CHECK_EQ(c.ram[0x601], 3);
		/* pin 16 left high, 17 low; 17 unmasked, no remote IRR */
		CHECK_OK(hax_get_ioapic(c.vm_fd, &s));
		CHECK_EQ(s.lines, 1u << 16);
		CHECK_EQ(s.redir[16], 0x0100000000000960ull);
		CHECK_EQ(s.redir[17], 0x8061);
		CHECK_EQ(s.ioregsel, 0x32);
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
		memcpy(k.ram + 0x1000, g_lines_start, g_lines_end - g_lines_start);
		r = drive(&d, k.ram, &tk);
	}
	kvm_teardown(&k);
	if (r)
		return r;
	printf("ioapic vs kvm_intel: %d OUTs each\n", th.n);
	return out_trace_equal(&th, &tk);
}

/*
 * SET_IOAPIC of a level entry whose line is high and remote IRR clear (a
 * snapshot taken between the EOI and the re-send): the interrupt is sent.
 */
GUEST_CODE(g_wait61, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		     " mov $0xfec00000, %esi\n sti\n out %al, $0x82\n nop\n nop\n"
		     " mov 0x601, %al\n out %al, $0x81\n1: jmp 1b\n");

TEST(lapic_ioapic_set_resends)
{
	struct hax_ioapic_state s;
	struct vm_ctx c;
	int r = ioapic_setup(&c, 1 << 20);

	if (r)
		goto out;
	r = 1;
	lapic_ivt_set(c.ram, 0x61, 0x3100, g_h61_start, g_h61_end);
	if (load_unreal(c.vcpu_fd, c.ram, 0x1000, g_wait61_start, g_wait61_end, 0x8000) ||
	    expect_out(&c, 0x82, 1, 0))
		goto out;
	CHECK_OK(hax_get_ioapic(c.vm_fd, &s));
	s.redir[17] = 0x8061;
	s.lines = 1u << 17;
	CHECK_OK(hax_set_ioapic(c.vm_fd, &s));
	CHECK_OK(hax_get_ioapic(c.vm_fd, &s));
	CHECK_EQ(s.redir[17], 0xc061); /* sent and accepted: remote IRR */
	CHECK_OK(hax_irq_line(c.vm_fd, 17, 0));
	if (expect_out(&c, 0x80, 1, 0x61) || expect_out(&c, 0x84, 4, 0xc061) ||
	    expect_out(&c, 0x81, 1, 1))
		goto out;
	CHECK_OK(hax_get_ioapic(c.vm_fd, &s));
	CHECK_EQ(s.redir[17], 0x8061);
	r = 0;
out:
	vm_teardown(&c);
	return r;
}
