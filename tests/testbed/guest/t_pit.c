// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (HAX_LAPIC_ENABLE_PIT): the capability, the flag
 * rules, GET/SET_PIT and every refusal of SET, its ports in the kernel and
 * the PIC's staying user space's without the PIC flag, mode 2 periodic
 * interrupts through the PIC counted over a time span, and a guest doing
 * what Linux's PIT calibration does: counter 2 in mode 0 behind port 0x61's
 * gate, the read-back status, counter latches decreasing, OUT2 rising on
 * port 0x61 at the terminal count, then counter 0 in mode 0 giving one
 * interrupt only. The guests run under kvm_intel too (KVM_CREATE_IRQCHIP
 * and KVM_CREATE_PIT2): the same OUT trace, the same tick count bounds.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PIT_FLAGS (HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIT)
#define ALL_FLAGS (PIT_FLAGS | HAX_LAPIC_ENABLE_PIC)

static uint64_t pit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- the ABI ------------------------------------------------------------ */

/* @a and @b equal but for elapsed_ns, which went from @a's on by at most 1 s. */
static int pit_same(const struct hax_pit_state *a, const struct hax_pit_state *b)
{
	struct hax_pit_state x = *a, y = *b;
	int i;

	for (i = 0; i < 3; i++) {
		if (y.ch[i].elapsed_ns < x.ch[i].elapsed_ns ||
		    y.ch[i].elapsed_ns - x.ch[i].elapsed_ns > 1000000000ull)
			return fail("counter %d: elapsed %llu ns, then %llu", i,
				    (unsigned long long)x.ch[i].elapsed_ns,
				    (unsigned long long)y.ch[i].elapsed_ns);
		x.ch[i].elapsed_ns = y.ch[i].elapsed_ns = 0;
	}
	CHECK(!memcmp(&x, &y, sizeof(x)));
	return 0;
}

#define PIT_REFUSED(field, value)                              \
	do {                                                   \
		t = s;                                         \
		t.field = value;                               \
		CHECK_ERRNO(hax_set_pit(c.vm_fd, &t), EINVAL); \
	} while (0)

TEST(pit_abi)
{
	struct hax_capabilityinfo ci;
	struct hax_pit_state s, t;
	struct vm_ctx c;
	int r = 1, i, sys, vm;
	uint32_t id;

	CHECK_OK(sys = hax_open_system());
	CHECK_OK(hax_get_capability(sys, &ci));
	CHECK(ci.winfo & HAX_CAP_PIC_PIT);
	CHECK_OK(hax_create_vm(sys, &id));
	CHECK_OK(vm = hax_open_vm(id));
	CHECK_ERRNO(hax_lapic_enable_flags(vm, HAX_LAPIC_ENABLE_PIT), EINVAL);
	CHECK_ERRNO(hax_get_pit(vm, &s), ENOTTY);
	close(vm);
	close(sys);
	/* a PIC alone: no PIT ioctls */
	if (lapic_setup_flags(&c, 1 << 16, HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC))
		goto out;
	CHECK_ERRNO(hax_get_pit(c.vm_fd, &s), ENOTTY);
	CHECK_ERRNO(hax_set_pit(c.vm_fd, &s), ENOTTY);
	vm_teardown(&c);
	/* a PIT without a PIC is allowed */
	if (lapic_setup_flags(&c, 1 << 16, PIT_FLAGS))
		goto out;
	memset(&s, 0xcc, sizeof(s));
	CHECK_OK(hax_get_pit(c.vm_fd, &s));
	for (i = 0; i < 3; i++) {
		CHECK_EQ(s.ch[i].count, 0x10000);
		CHECK_EQ(s.ch[i].mode, 0);
		CHECK_EQ(s.ch[i].rw_mode, 3);
		CHECK_EQ(s.ch[i].read_state, 3);
		CHECK_EQ(s.ch[i].counting, 0);
		CHECK_EQ(s.ch[i].gate, i != 2);
		CHECK_EQ(s.ch[i].elapsed_ns, 0);
	}
	CHECK_EQ(s.port61, 0);
	CHECK_EQ(s.reserved[6], 0);
	/* a round trip */
	s.ch[0].mode = 2;
	s.ch[0].count = 1193;
	s.ch[0].counting = 1;
	s.ch[0].elapsed_ns = 500000;
	s.ch[2].gate = 1;
	s.port61 = 3;
	s.ch[2].counting = 1;
	s.ch[2].count = 0x10000;
	s.ch[2].elapsed_ns = 123456789;
	s.ch[2].latched_count = 0x1234;
	s.ch[2].count_latched = 3;
	s.ch[2].status_latched = 1;
	s.ch[2].status = 0xb4;
	s.ch[2].write_state = 4;
	s.ch[2].write_latch = 0x56;
	s.ch[1].rw_mode = 1;
	s.ch[1].read_state = 1;
	s.ch[1].write_state = 1;
	s.ch[1].bcd = 1;
	s.ch[1].mode = 5;
	CHECK_OK(hax_set_pit(c.vm_fd, &s));
	memset(&t, 0, sizeof(t));
	CHECK_OK(hax_get_pit(c.vm_fd, &t));
	if (pit_same(&s, &t))
		goto out;
	s = t;
	/* what SET refuses, nothing changed */
	PIT_REFUSED(ch[0].count, 0);
	PIT_REFUSED(ch[1].count, 0x10001);
	PIT_REFUSED(ch[2].count_latched, 4);
	PIT_REFUSED(ch[0].status_latched, 2);
	PIT_REFUSED(ch[0].status, 0x40); /* null count */
	PIT_REFUSED(ch[0].read_state, 0);
	PIT_REFUSED(ch[0].write_state, 1); /* not a state of RW mode 3 */
	PIT_REFUSED(ch[1].read_state, 3);  /* nor of RW mode 1 */
	PIT_REFUSED(ch[0].rw_mode, 0);
	PIT_REFUSED(ch[0].rw_mode, 4);
	PIT_REFUSED(ch[0].mode, 6);
	PIT_REFUSED(ch[0].bcd, 2);
	PIT_REFUSED(ch[0].gate, 0); /* counters 0 and 1 are gated high */
	PIT_REFUSED(ch[1].gate, 0);
	PIT_REFUSED(ch[2].gate, 2);
	PIT_REFUSED(ch[0].counting, 2);
	PIT_REFUSED(ch[1].reserved[6], 1);
	PIT_REFUSED(reserved[0], 1);
	PIT_REFUSED(port61, 0x13);
	PIT_REFUSED(port61, 2); /* bit 0 is counter 2's gate */
	CHECK_OK(hax_get_pit(c.vm_fd, &t));
	if (pit_same(&s, &t))
		goto out;
	r = 0;
out:
	vm_teardown(&c);
	return r;
}

/* A PIT without a PIC: 0x61 is the kernel's, 0x20 user space's. */
GUEST_CODE(g_pit_ports, ".code16\n in $0x61, %al\n and $0x2f, %al\n out %al, $0x84\n"
			" mov $0x11, %al\n out %al, $0x20\n hlt\n");

TEST(pit_ports_kernel)
{
	struct vm_ctx c;
	int r = lapic_setup_flags(&c, 1 << 16, PIT_FLAGS);

	r = r ||
	    load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pit_ports_start, g_pit_ports_end, 0x8000) ||
	    expect_out(&c, 0x84, 1, 0) || expect_out(&c, 0x20, 1, 0x11);
	vm_teardown(&c);
	return r;
}

/* ---- guests ------------------------------------------------------------ */

/* The PIC, vectors 0x20/0x28, only IR0 unmasked. */
#define PIC_INIT                                                               \
	" mov $0x11, %al\n out %al, $0x20\n mov $0x20, %al\n out %al, $0x21\n" \
	" mov $0x04, %al\n out %al, $0x21\n mov $0x01, %al\n out %al, $0x21\n" \
	" mov $0x11, %al\n out %al, $0xa0\n mov $0x28, %al\n out %al, $0xa1\n" \
	" mov $0x02, %al\n out %al, $0xa1\n mov $0x01, %al\n out %al, $0xa1\n" \
	" mov $0xfe, %al\n out %al, $0x21\n mov $0xff, %al\n out %al, $0xa1\n"

/* IR0: count at 0x600, EOI. */
GUEST_CODE(g_pit_h20, ".code16\n push %ax\n incb 0x600\n mov $0x20, %al\n out %al, $0x20\n"
		      " pop %ax\n iret\n");

/* Counter 0, mode 2, 11932 clocks (10 ms); HLT until 5 interrupts. */
GUEST_CODE(g_pit_periodic, ".code16\n" PIC_INIT " out %al, $0x82\n"
			   " mov $0x34, %al\n out %al, $0x43\n mov $0x9c, %al\n out %al, $0x40\n"
			   " mov $0x2e, %al\n out %al, $0x40\n sti\n"
			   "1: hlt\n cmpb $5, 0x600\n jb 1b\n cli\n"
			   " mov 0x600, %al\n out %al, $0x81\n2: jmp 2b\n");

/*
 * Counter 2, mode 0, gate high (Linux's pit_calibrate_tsc()): the read-back
 * status, two latched counts (1 if the second is lower), OUT2 low; counter 2
 * again with 0x2000 clocks, OUT2 awaited on port 0x61; counter 0 in mode 0
 * (0x2000 clocks) ends a HLT, then 55 ms more (counter 2, 0xffff) bring no
 * second interrupt.
 */
#define LATCH2                                                                                   \
	" mov $0x80, %al\n out %al, $0x43\n in $0x42, %al\n mov %al, %bl\n in $0x42, %al\n mov " \
	"%al, %bh\n"
#define OUT2_WAIT "1: in $0x61, %al\n test $0x20, %al\n jz 1b\n"
GUEST_CODE(g_pit_oneshot,
	   ".code16\n" PIC_INIT " in $0x61, %al\n and $0xfc, %al\n or $1, %al\n out %al, $0x61\n"
	   " mov $0xb0, %al\n out %al, $0x43\n mov $0xff, %al\n out %al, $0x42\n out %al, $0x42\n"
	   " mov $0xe8, %al\n out %al, $0x43\n in $0x42, %al\n out %al, $0x84\n" LATCH2
	   " mov %bx, %si\n mov $50000, %cx\n2: loop 2b\n" LATCH2 " xor %al, %al\n cmp %si, %bx\n"
	   " adc $0, %al\n out %al, $0x84\n"
	   " in $0x61, %al\n and $0x20, %al\n out %al, $0x84\n"
	   " mov $0xb0, %al\n out %al, $0x43\n xor %al, %al\n out %al, $0x42\n mov $0x20, %al\n"
	   " out %al, $0x42\n" OUT2_WAIT " and $0x20, %al\n out %al, $0x84\n"
	   " mov $0x30, %al\n out %al, $0x43\n xor %al, %al\n out %al, $0x40\n mov $0x20, %al\n"
	   " out %al, $0x40\n sti\n hlt\n"
	   " mov $0xb0, %al\n out %al, $0x43\n mov $0xff, %al\n out %al, $0x42\n out %al, $0x42\n"
	   "3: in $0x61, %al\n test $0x20, %al\n jz 3b\n cli\n"
	   " mov 0x600, %al\n out %al, $0x84\n out %al, $0x81\n4: jmp 4b\n");

/* One backend: haxm (@c) or, with @kvm, kvm_intel (@k). */
struct pit_run {
	bool kvm, up;
	struct vm_ctx c;
	struct kvm_ctx k;
};

/* RUN to the next OUT, into @tr. */
static int pit_out(struct pit_run *d, struct out_trace *tr)
{
	struct twin t = { d->kvm ? NULL : &d->c, &d->k };

	return twin_out(&t, tr);
}

/* RUN until an OUT to 0x81 (at most 64 OUTs). */
static int pit_trace_81(struct pit_run *d, struct out_trace *tr)
{
	do {
		if (pit_out(d, tr))
			return 1;
	} while (tr->port[tr->n - 1] != 0x81);
	return 0;
}

/* The backend's VM with the guest @s..@e at 0x1000 and the IR0 handler. */
static int pit_guest(struct pit_run *d, const uint8_t *s, const uint8_t *e)
{
	struct kvm_pit_config pc = { .flags = KVM_PIT_SPEAKER_DUMMY }; /* port 0x61 in KVM */

	d->up = true;
	if (!d->kvm) {
		if (lapic_setup_flags(&d->c, 1 << 20, ALL_FLAGS))
			return 1;
		lapic_ivt_set(d->c.ram, 0x20, 0x3000, g_pit_h20_start, g_pit_h20_end);
		return load_unreal(d->c.vcpu_fd, d->c.ram, 0x1000, s, e, 0x8000);
	}
	if (kvm_setup_real_irqchip(&d->k, 1 << 20, 0x1000))
		return 1;
	if (ioctl(d->k.vm, KVM_CREATE_PIT2, &pc))
		return fail("KVM_CREATE_PIT2: %s", strerror(errno));
	lapic_ivt_set(d->k.ram, 0x20, 0x3000, g_pit_h20_start, g_pit_h20_end);
	memcpy(d->k.ram + 0x1000, s, e - s);
	return 0;
}

static void pit_done(struct pit_run *d)
{
	if (!d->up)
		return;
	if (d->kvm)
		kvm_teardown(&d->k);
	else
		vm_teardown(&d->c);
	d->up = false;
}

/*
 * A guest that counts IR0s to @n after a sync OUT to 0x82, then OUTs the
 * count to 0x81: the time from the sync to that OUT.
 */
static int ticks_run(struct pit_run *d, const uint8_t *s, const uint8_t *e, uint8_t n, uint64_t *dt)
{
	struct out_trace tr = { 0 };
	uint64_t t0;

	if (pit_guest(d, s, e) || pit_out(d, &tr))
		return 1;
	if (tr.port[0] != 0x82)
		return fail("OUT to 0x%x, expected the sync OUT to 0x82", tr.port[0]);
	t0 = pit_now_ns();
	if (pit_out(d, &tr))
		return 1;
	*dt = pit_now_ns() - t0;
	if (tr.port[1] != 0x81 || tr.val[1] != n)
		return fail("OUT 0x%x to 0x%x, expected %u to 0x81", tr.val[1], tr.port[1], n);
	return 0;
}

/* The periodic guest: 5 ticks of 10 ms. */
static int periodic_run(struct pit_run *d, uint64_t *dt)
{
	return ticks_run(d, g_pit_periodic_start, g_pit_periodic_end, 5, dt);
}

TEST(pit_mode2_periodic)
{
	static struct pit_run d;
	uint64_t th = 0, tk = 0;
	int r = periodic_run(&d, &th);

	pit_done(&d);
	if (r)
		return r;
	printf("pit_mode2_periodic: haxm 5 ticks of 10 ms in %llu us\n",
	       (unsigned long long)th / 1000);
	/* the fifth edge is 5 periods after the count's load, never earlier */
	CHECK(th >= 49000000);
	CHECK(th < 500000000);
	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	d.kvm = true;
	r = periodic_run(&d, &tk);
	pit_done(&d);
	if (r)
		return r;
	printf("pit_mode2_periodic: kvm_intel 5 ticks in %llu us\n", (unsigned long long)tk / 1000);
	CHECK(tk >= 49000000);
	return 0;
}

/* Counter 0, mode 2, a count of 2 (1.7 us); HLT until 20 interrupts. */
GUEST_CODE(g_pit_fast, ".code16\n" PIC_INIT " out %al, $0x82\n"
		       " mov $0x34, %al\n out %al, $0x43\n mov $2, %al\n out %al, $0x40\n"
		       " xor %al, %al\n out %al, $0x40\n sti\n"
		       "1: hlt\n cmpb $20, 0x600\n jb 1b\n cli\n"
		       " mov 0x600, %al\n out %al, $0x81\n2: jmp 2b\n");

/*
 * A count of 2 asks for an edge every 1.7 us: the host timer fires at most
 * every 200 us (core/vpit.c, as KVM's min_timer_period_us), so 20
 * interrupts take at least 19 of those periods. haxm only: the same guest
 * under kvm_intel's PIT took no 20 interrupts in minutes here (not looked
 * into further).
 */
TEST(pit_min_period)
{
	static struct pit_run d;
	uint64_t th = 0;
	int r = ticks_run(&d, g_pit_fast_start, g_pit_fast_end, 20, &th);

	pit_done(&d);
	if (r)
		return r;
	printf("pit_min_period: haxm 20 ticks of count 2 in %llu us\n",
	       (unsigned long long)th / 1000);
	CHECK(th >= 19 * 200000);
	return 0;
}

TEST(pit_speaker_oneshot)
{
	static const uint32_t want[] = { 0x30, 1, 0, 0x20, 1, 1 };
	struct out_trace th = { 0 }, tk = { 0 };
	struct hax_pit_state s;
	static struct pit_run d;
	int r, i;

	r = pit_guest(&d, g_pit_oneshot_start, g_pit_oneshot_end) || pit_trace_81(&d, &th);
	if (!r) {
		r = 1;
		CHECK_OK(hax_get_pit(d.c.vm_fd, &s));
		CHECK_EQ(s.ch[0].mode, 0);
		CHECK_EQ(s.ch[0].count, 0x2000);
		CHECK_EQ(s.ch[2].count, 0xffff);
		CHECK_EQ(s.ch[2].gate, 1);
		CHECK_EQ(s.port61, 1);
		r = 0;
	}
	pit_done(&d);
	if (r)
		return r;
	/* status 0x30 (OUT low, LSB then MSB, mode 0); the count went down;
	 * OUT2 low, then high; one interrupt */
	CHECK_EQ(th.n, 6);
	for (i = 0; i < 6; i++)
		CHECK_EQ(th.val[i], want[i]);
	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	d.kvm = true;
	r = pit_guest(&d, g_pit_oneshot_start, g_pit_oneshot_end) || pit_trace_81(&d, &tk);
	pit_done(&d);
	if (r)
		return r;
	printf("pit vs kvm_intel: %d OUTs each\n", th.n);
	return out_trace_equal(&th, &tk);
}

/* ---- IO-APIC pin 2 and a restored state ------------------------------------ */

/* Vector 0x40 from IO-APIC pin 2: count at 0x600, EOI to the LAPIC (EBX). */
GUEST_CODE(g_pit_h40, ".code16\n incb 0x600\n movl $0, %fs:0xb0(%ebx)\n iret\n");

/*
 * The LAPIC enabled, IO-APIC pin 2 edge to vector 0x40 on APIC 0; counter 0
 * in mode 2 at 10 ms unless the byte at 0x700 says a restored state runs it
 * already; HLT until 3 interrupts.
 */
GUEST_CODE(g_pit_pin2, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		       " mov $0xfec00000, %esi\n movl $0x15, %fs:(%esi)\n movl $0, %fs:0x10(%esi)\n"
		       " movl $0x14, %fs:(%esi)\n movl $0x40, %fs:0x10(%esi)\n"
		       " out %al, $0x82\n cmpb $0, 0x700\n jne 1f\n"
		       " mov $0x34, %al\n out %al, $0x43\n mov $0x9c, %al\n out %al, $0x40\n"
		       " mov $0x2e, %al\n out %al, $0x40\n"
		       "1: sti\n2: hlt\n cmpb $3, 0x600\n jb 2b\n cli\n"
		       " mov 0x600, %al\n out %al, $0x81\n3: jmp 3b\n");

/* g_pit_pin2 on a PIT without a PIC, @s loaded first when not NULL; the time of 3 ticks. */
static int pin2_run(const struct hax_pit_state *s, struct hax_pit_state *out, uint64_t *dt)
{
	struct vm_ctx c;
	uint64_t t0;
	int r = lapic_setup_flags(&c, 1 << 20, PIT_FLAGS);

	if (r)
		goto out;
	lapic_ivt_set(c.ram, 0x40, 0x3000, g_pit_h40_start, g_pit_h40_end);
	c.ram[0x700] = s != NULL;
	r = load_unreal(c.vcpu_fd, c.ram, 0x1000, g_pit_pin2_start, g_pit_pin2_end, 0x8000) ||
	    expect_out(&c, 0x82, 1, 0);
	if (!r && s && hax_set_pit(c.vm_fd, s))
		r = fail("SET_PIT: %s", strerror(errno));
	if (r)
		goto out;
	t0 = pit_now_ns();
	r = expect_out(&c, 0x81, 1, 3);
	*dt = pit_now_ns() - t0;
	if (!r && hax_get_pit(c.vm_fd, out))
		r = fail("GET_PIT: %s", strerror(errno));
out:
	vm_teardown(&c);
	return r;
}

TEST(pit_ioapic_pin2_restore)
{
	struct hax_pit_state s, t;
	uint64_t dt;

	if (pin2_run(NULL, &s, &dt))
		return 1;
	printf("pit_ioapic_pin2_restore: 3 ticks on pin 2 in %llu us\n",
	       (unsigned long long)dt / 1000);
	CHECK(dt >= 29000000);
	CHECK_EQ(s.ch[0].mode, 2);
	CHECK_EQ(s.ch[0].count, 11932);
	CHECK_EQ(s.ch[0].counting, 1);
	/* the state in a new VM whose guest never programs the PIT: it ticks on */
	if (pin2_run(&s, &t, &dt))
		return 1;
	printf("pit_ioapic_pin2_restore: restored, 3 ticks in %llu us\n",
	       (unsigned long long)dt / 1000);
	CHECK(dt >= 20000000);
	CHECK_EQ(t.ch[0].count, 11932);
	CHECK(t.ch[0].elapsed_ns > s.ch[0].elapsed_ns);
	return 0;
}

/*
 * Counter 0's one-shot edge (mode 4: Linux's clock event) comes due while
 * vCPU 0 is out of the guest, as when a VMM stops a VM to save it: nothing
 * takes it until GET_PIT, which delivers it first, so the PIC read after it
 * holds it. The state counts past the edge: SET again, it raises no second.
 */
TEST(pit_get_takes_due_edge)
{
	struct hax_pic_state pic;
	struct hax_pit_state s;
	struct vm_ctx c;
	int r = 1;

	if (lapic_setup_flags(&c, 1 << 16, ALL_FLAGS))
		goto out;
	CHECK_OK(hax_get_pit(c.vm_fd, &s));
	s.ch[0].mode = 4;
	s.ch[0].count = 1193; /* 1 ms */
	s.ch[0].counting = 1;
	s.ch[0].elapsed_ns = 0;
	CHECK_OK(hax_set_pit(c.vm_fd, &s));
	usleep(20000);
	CHECK_OK(hax_get_pic(c.vm_fd, &pic));
	CHECK_EQ(pic.master.irr & 1, 0); /* due, but no entry took it */
	CHECK_OK(hax_get_pit(c.vm_fd, &s));
	CHECK(s.ch[0].elapsed_ns >= 20000000);
	CHECK_OK(hax_get_pic(c.vm_fd, &pic));
	CHECK_EQ(pic.master.irr & 1, 1);
	pic.master.irr &= ~1;
	CHECK_OK(hax_set_pic(c.vm_fd, &pic));
	CHECK_OK(hax_set_pit(c.vm_fd, &s));
	usleep(20000);
	CHECK_OK(hax_get_pit(c.vm_fd, &s));
	CHECK_OK(hax_get_pic(c.vm_fd, &pic));
	CHECK_EQ(pic.master.irr & 1, 0);
	r = 0;
out:
	vm_teardown(&c);
	return r;
}
