// SPDX-License-Identifier: GPL-2.0
/*
 * INIT and start-up IPIs with the in-kernel LAPIC (HAX_CAP_LAPIC): an AP
 * starts in wait-for-SIPI, out of the guest; the BSP's INIT-SIPI through the
 * xAPIC ICR starts it in real mode at vector << 12; an INIT to a running AP
 * resets it to the INIT state (CR0.CD/NW kept) and it waits again; the
 * wait-for-SIPI state through GET/SET_LAPIC. The INIT-SIPI-SIPI guest also
 * runs under kvm_intel with KVM_CREATE_IRQCHIP, and both vCPUs' OUT traces
 * must be the same. An NMI IPI from the BSP reaches the AP, whose
 * interrupts are off, through its IVT's vector 2 (compared likewise).
 *
 * Memory: the BSP's code at 0x1000 (unreal mode: FS reaches the APIC page),
 * the AP's start-up code at 0x8000 (SIPI vector 8), 0x9000 (vector 9) and
 * 0xa000 (vector 0xa), the AP's NMI handler at 0x3000.
 */
#define _GNU_SOURCE /* cpu_set_t */
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

/*
 * The AP at 0800:0000: EAX, EFLAGS, CS, DS, SS, ESP, CR0 and the IP of a
 * label on port 0x84; EDX (the processor signature) at 0x604, 1 at 0x600.
 */
GUEST_CODE(g_ap_state, ".code16\n out %eax, $0x84\n pushfl\n popl %eax\n out %eax, $0x84\n"
		       " xor %eax, %eax\n mov %cs, %ax\n out %eax, $0x84\n"
		       " mov %ds, %ax\n out %eax, $0x84\n mov %ss, %ax\n out %eax, $0x84\n"
		       " mov %esp, %eax\n out %eax, $0x84\n"
		       " mov %cr0, %eax\n out %eax, $0x84\n"
		       " xor %eax, %eax\n call 1f\n1: pop %ax\n out %eax, $0x84\n"
		       " movl %edx, 0x604\n movb $1, 0x600\n out %al, $0x81\n2: hlt\n jmp 2b\n");

/* The AP at 0900:0000: CR0.CD and NW cleared, 0x1234 on port 0x84, 1 at 0x602, spin. */
GUEST_CODE(g_ap_cd, ".code16\n mov %cr0, %eax\n and $0x9fffffff, %eax\n mov %eax, %cr0\n"
		    " mov $0x1234, %eax\n out %eax, $0x84\n movb $1, 0x602\n1: jmp 1b\n");

/* The BSP: INIT, SIPI 8, SIPI 8 to APIC ID 1 (the second is ignored), the ICR back. */
GUEST_CODE(g_bsp_init_sipi, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
			    " movl $0x01000000, %fs:0x310(%ebx)\n movl $0x4500, %fs:0x300(%ebx)\n"
			    " movl $0x4608, %fs:0x300(%ebx)\n movl $0x4608, %fs:0x300(%ebx)\n"
			    " movl %fs:0x300(%ebx), %eax\n out %eax, $0x84\n"
			    " out %al, $0x81\n1: jmp 1b\n");

/* The BSP: INIT-SIPI 9, wait for the AP's 0x602, INIT it while it runs, SIPI 8. */
GUEST_CODE(g_bsp_reinit, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
			 " movl $0x01000000, %fs:0x310(%ebx)\n movl $0x4500, %fs:0x300(%ebx)\n"
			 " movl $0x4609, %fs:0x300(%ebx)\n"
			 "1: cmpb $1, 0x602\n jne 1b\n"
			 " movl $0x4500, %fs:0x300(%ebx)\n movl $0x4608, %fs:0x300(%ebx)\n"
			 " out %al, $0x81\n2: jmp 2b\n");

/*
 * The AP at 0a00:0000, interrupts off: 1 at 0x608 (running), spin until its
 * NMI handler set 0x60a, report it. The PAUSE: on one CPU the BSP's thread
 * runs only when this vCPU exits, and in Bochs a host interrupt does not
 * exit a guest with IF=0; KVM arms no VMX-preemption timer here, its
 * PAUSE-loop exiting ends the spin (haxm's preemption timer always does).
 */
GUEST_CODE(g_ap_nmi, ".code16\n xor %ax, %ax\n mov %ax, %ds\n mov %ax, %ss\n mov $0x6000, %sp\n"
		     " cli\n movb $1, 0x608\n1: pause\n cmpb $0, 0x60a\n je 1b\n mov 0x60a, %al\n"
		     " out %al, $0x84\n out %al, $0x81\n2: hlt\n jmp 2b\n");

/* Its NMI handler: 2 on port 0x80, the flag at 0x60a. */
GUEST_CODE(g_ap_nmi_handler, ".code16\n push %ax\n mov $2, %al\n out %al, $0x80\n"
			     " movb $1, 0x60a\n pop %ax\n iret\n");

/*
 * The BSP: INIT-SIPI 0xa to APIC ID 1; once the AP runs (0x608: KVM carries
 * out an INIT in the target's thread, and its reset would drop an NMI sent
 * meanwhile), an NMI IPI to it (ICR 0x400), the ICR back.
 */
GUEST_CODE(g_bsp_nmi, ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
		      " movl $0x01000000, %fs:0x310(%ebx)\n movl $0x4500, %fs:0x300(%ebx)\n"
		      " movl $0x460a, %fs:0x300(%ebx)\n1: pause\n cmpb $1, 0x608\n jne 1b\n"
		      " movl $0x400, %fs:0x300(%ebx)\n"
		      " movl %fs:0x300(%ebx), %eax\n out %eax, $0x84\n"
		      " out %al, $0x81\n1: jmp 1b\n");

static void on_usr1(int sig __attribute__((unused)))
{
}

/* The AP's thread: its OUTs until 0x81, under haxm (@c) or KVM (@k). */
struct ap_run {
	struct vm_ctx *c;
	struct kvm_ctx *k;
	struct out_trace tr;
	int result, done;
	bool pin; /* on CPU 1, the BSP on CPU 0 */
};

static void *ap_thread(void *arg)
{
	struct ap_run *a = arg;
	sigset_t alrm;

	/* the BSP's cut (run_pair()) is for the BSP's thread */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	if (a->pin && pin_to(1)) {
		a->result = 1;
		__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
		return NULL;
	}

	a->result = a->c ? haxm_trace_81(a->c, &a->tr) : kvm_trace_81(a->k, &a->tr);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The AP's thread started, the BSP traced (cut by a SIGALRM after 30 s: its RUN then fails). */
static int run_pair_pinned(struct ap_run *a, int (*bsp)(void *), void *arg)
{
	struct itimerval cut = { { 0, 0 }, { 30, 0 } }, off = { 0 };
	pthread_t th;
	int i, r;

	CHECK_EQ(pthread_create(&th, NULL, ap_thread, a), 0);
	usleep(100000); /* the AP asleep in wait-for-SIPI */
	setitimer(ITIMER_REAL, &cut, NULL);
	r = bsp(arg);
	setitimer(ITIMER_REAL, &off, NULL);
	if (r)
		printf("the BSP failed; the AP made %d OUTs\n", a->tr.n);
	for (i = 0; i < 10000 && !__atomic_load_n(&a->done, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	if (!a->done)
		pthread_kill(th, SIGUSR1); /* its RUN ends with INTERRUPT: a failure */
	pthread_join(th, NULL);
	return r || a->result;
}

/*
 * Run the AP's thread and the BSP (@bsp), then wait for the AP. With two
 * CPUs each vCPU has one (the caller's affinity restored after): a KVM vCPU
 * spinning in the guest inside Bochs lets no other thread of its CPU run.
 */
static int run_pair(struct ap_run *a, int (*bsp)(void *), void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	cpu_set_t old;
	int r;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	a->pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	CHECK_OK(sched_getaffinity(0, sizeof(old), &old));
	if (a->pin && pin_to(0))
		return 1;
	r = run_pair_pinned(a, bsp, arg);
	CHECK_OK(sched_setaffinity(0, sizeof(old), &old));
	return r;
}

struct bsp_arg {
	struct vm_ctx *c;
	struct kvm_ctx *k;
	struct out_trace *tr;
};

static int bsp_run(void *arg)
{
	struct bsp_arg *b = arg;

	return b->c ? haxm_trace_81(b->c, b->tr) : kvm_trace_81(b->k, b->tr);
}

static void load_aps(uint8_t *ram)
{
	memcpy(ram + 0x8000, g_ap_state_start, g_ap_state_end - g_ap_state_start);
	memcpy(ram + 0x9000, g_ap_cd_start, g_ap_cd_end - g_ap_cd_start);
	memcpy(ram + 0xa000, g_ap_nmi_start, g_ap_nmi_end - g_ap_nmi_start);
	lapic_ivt_set(ram, 2, 0x3000, g_ap_nmi_handler_start, g_ap_nmi_handler_end);
}

/* vCPU 1 of @c's VM into @ap (its fds and tunnel; the VM's are @c's). */
static int ap_open(struct vm_ctx *c, struct vm_ctx *ap)
{
	*ap = *c;
	ap->vcpu_fd = -1;
	ap->tunnel = NULL;
	CHECK_OK(hax_create_vcpu(c->vm_fd, 1));
	CHECK_OK(ap->vcpu_fd = hax_open_vcpu(c->vm_id, 1));
	CHECK_OK(hax_setup_tunnel(ap->vcpu_fd, &ap->tunnel, (void **)&ap->iobuf));
	return 0;
}

static void ap_close(struct vm_ctx *ap)
{
	if (ap->vcpu_fd >= 0)
		close(ap->vcpu_fd);
	if (ap->tunnel)
		munmap(ap->tunnel, 2 * 4096);
}

/* The BSP code [@s, @e) and the AP under haxm; @c and @ap stay for the caller's checks. */
static int mp_haxm(struct vm_ctx *c, struct vm_ctx *ap, const uint8_t *s, const uint8_t *e,
		   struct out_trace *bsp, struct out_trace *apt)
{
	struct ap_run a = { .c = ap };
	struct bsp_arg b = { .c = c, .tr = bsp };
	struct hax_lapic_state st;

	if (ap_open(c, ap))
		return 1;
	/* power-up: the BSP runs, the AP waits for a SIPI */
	CHECK_OK(hax_get_lapic(c->vcpu_fd, &st));
	CHECK_EQ(st.pending, 0);
	CHECK_OK(hax_get_lapic(ap->vcpu_fd, &st));
	CHECK_EQ(st.pending, HAX_LAPIC_WAIT_SIPI);
	load_aps(c->ram);
	if (load_unreal(c->vcpu_fd, c->ram, 0x1000, s, e, 0x7000) || run_pair(&a, bsp_run, &b))
		return 1;
	*apt = a.tr;
	return 0;
}

/* The same under kvm_intel; 0, a failure, or a skip (-1) without /dev/kvm. */
static int mp_kvm(const uint8_t *s, const uint8_t *e, struct out_trace *bsp, struct out_trace *apt,
		  uint32_t *edx)
{
	struct kvm_ctx k, ak;
	struct ap_run a = { .k = &ak };
	struct bsp_arg b = { .k = &k, .tr = bsp };
	int r;

	if (access("/dev/kvm", F_OK))
		return -1;
	r = kvm_setup_real_irqchip(&k, 1 << 20, 0x1000);
	ak = k;
	ak.run = MAP_FAILED;
	if (!r && ((ak.vcpu = ioctl(k.vm, KVM_CREATE_VCPU, 1)) < 0 ||
		   (ak.run = mmap(NULL, k.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, ak.vcpu,
				  0)) == MAP_FAILED))
		r = fail("KVM AP: %s", strerror(errno));
	if (!r) {
		memcpy(k.ram + 0x1000, s, e - s);
		load_aps(k.ram);
		r = run_pair(&a, bsp_run, &b);
		*apt = a.tr;
		memcpy(edx, k.ram + 0x604, 4);
	}
	if (ak.run != MAP_FAILED)
		munmap(ak.run, k.run_size);
	if (ak.vcpu >= 0)
		close(ak.vcpu);
	kvm_teardown(&k);
	return r;
}

/* Both traces of haxm equal KVM's; the AP's state is the start-up state. */
static int compare(const uint8_t *s, const uint8_t *e, const struct out_trace *hb,
		   const struct out_trace *ha)
{
	struct out_trace kb = { 0 }, ka = { 0 };
	uint32_t edx = 0;
	int r = mp_kvm(s, e, &kb, &ka, &edx);

	if (r < 0)
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	if (r)
		printf("the same under kvm_intel failed\n");
	if (r)
		return r;
	printf("init-sipi vs kvm_intel: BSP %d OUTs, AP %d OUTs; KVM's AP EDX 0x%x\n", kb.n, ka.n,
	       edx);
	return out_trace_equal(hb, &kb) || out_trace_equal(ha, &ka);
}

/* The AP trace of g_ap_state from @i: EAX 0, EFLAGS 2, CS 0x800, DS/SS/ESP 0, CR0 @cr0. */
static int check_ap_state(const struct out_trace *t, int i, uint32_t cr0)
{
	CHECK_EQ(t->n, i + 9); /* 8 values, then 0x81 */
	CHECK_EQ(t->val[i], 0);
	CHECK_EQ(t->val[i + 1], 2);
	CHECK_EQ(t->val[i + 2], 0x800);
	CHECK_EQ(t->val[i + 3], 0);
	CHECK_EQ(t->val[i + 4], 0);
	CHECK_EQ(t->val[i + 5], 0);
	CHECK_EQ(t->val[i + 6], cr0);
	return 0;
}

TEST(lapic_mp_init_sipi)
{
	struct out_trace hb = { 0 }, ha = { 0 };
	struct vm_ctx c, ap = { .vcpu_fd = -1 };
	struct hax_lapic_state st;
	vcpu_state_t s;
	int r;

	r = lapic_setup(&c, 1 << 20);
	if (!r)
		r = mp_haxm(&c, &ap, g_bsp_init_sipi_start, g_bsp_init_sipi_end, &hb, &ha);
	if (!r) {
		r = 1;
		if (check_ap_state(&ha, 0, 0x60000010))
			goto out;
		CHECK_EQ(hb.n, 2);
		CHECK_EQ(hb.val[0], 0x4608); /* the ICR: delivery status idle */
		CHECK_EQ(c.ram[0x600], 1);
		CHECK_EQ(*(uint32_t *)(c.ram + 0x604), 0x600);
		CHECK_OK(hax_get_regs(ap.vcpu_fd, &s));
		CHECK_EQ(s._cs.selector, 0x800);
		CHECK_EQ(s._cs.base, 0x8000);
		CHECK_EQ(s._cs.limit, 0xffff);
		CHECK_OK(hax_get_lapic(ap.vcpu_fd, &st));
		CHECK_EQ(st.pending, 0);
		CHECK_EQ(st.regs[0x23], 1); /* APIC ID 1 (bits 31:24 of 0x20) */
		r = 0;
	}
out:
	ap_close(&ap);
	vm_teardown(&c);
	return r ? r : compare(g_bsp_init_sipi_start, g_bsp_init_sipi_end, &hb, &ha);
}

TEST(lapic_mp_init_running_ap)
{
	struct out_trace hb = { 0 }, ha = { 0 };
	struct vm_ctx c, ap = { .vcpu_fd = -1 };
	vcpu_state_t s;
	int r;

	r = lapic_setup(&c, 1 << 20);
	if (!r)
		r = mp_haxm(&c, &ap, g_bsp_reinit_start, g_bsp_reinit_end, &hb, &ha);
	if (!r) {
		r = 1;
		/* 0x1234 from vector 9's code, then vector 8's: CD and NW stayed clear */
		CHECK_EQ(ha.val[0], 0x1234);
		if (check_ap_state(&ha, 1, 0x10))
			goto out;
		CHECK_OK(hax_get_regs(ap.vcpu_fd, &s));
		CHECK_EQ(s._cs.selector, 0x800);
		CHECK_EQ(s._cr0, 0x10);
		r = 0;
	}
out:
	ap_close(&ap);
	vm_teardown(&c);
	/*
	 * Not compared with kvm_intel: there (in the testbed) the AP made its
	 * first OUT but the BSP never saw its flag at 0x602 within 30 s, with
	 * RCU stalls on the BSP's CPU; not understood yet.
	 */
	return r;
}

/*
 * An NMI IPI to an AP running with interrupts off: delivered through vector
 * 2 of its IVT at once, its handler's flag ending the AP's spin; the ICR
 * reads back 0x400 (delivery status idle). The same OUTs under kvm_intel.
 */
TEST(lapic_mp_nmi_ipi)
{
	struct out_trace hb = { 0 }, ha = { 0 };
	struct vm_ctx c, ap = { .vcpu_fd = -1 };
	struct hax_lapic_state st;
	int r;

	r = lapic_setup(&c, 1 << 20);
	if (!r)
		r = mp_haxm(&c, &ap, g_bsp_nmi_start, g_bsp_nmi_end, &hb, &ha);
	if (!r) {
		r = 1;
		CHECK_EQ(hb.n, 2);
		CHECK_EQ(hb.val[0], 0x400);
		CHECK_EQ(ha.n, 3);
		CHECK_EQ(ha.port[0], 0x80);
		CHECK_EQ(ha.val[0], 2);
		CHECK_EQ(ha.val[1], 1);
		/* taken: nothing pending on either */
		CHECK_OK(hax_get_lapic(ap.vcpu_fd, &st));
		CHECK_EQ(st.pending & HAX_LAPIC_PENDING_NMI, 0);
		CHECK_OK(hax_get_lapic(c.vcpu_fd, &st));
		CHECK_EQ(st.pending & HAX_LAPIC_PENDING_NMI, 0);
		r = 0;
	}
	ap_close(&ap);
	vm_teardown(&c);
	return r ? r : compare(g_bsp_nmi_start, g_bsp_nmi_end, &hb, &ha);
}

/*
 * The wait-for-SIPI state through the ioctls: an AP in it does not enter the
 * guest (RUN ends only with a signal, HAX_EXIT_INTERRUPT) and holds the
 * INIT state; SET_LAPIC with a SIPI latched (a snapshot's) starts it.
 */
TEST(lapic_mp_wait_sipi_state)
{
	struct vm_ctx c, ap = { .vcpu_fd = -1 };
	struct out_trace t = { 0 };
	struct hax_lapic_state st;
	vcpu_state_t s;
	int r = lapic_setup(&c, 1 << 20);

	if (r || ap_open(&c, &ap))
		goto out;
	r = 1;
	load_aps(c.ram);
	if (vm_run_cut(&ap, 200))
		goto out;
	CHECK_EQ(ap.tunnel->_exit_status, HAX_EXIT_INTERRUPT);
	CHECK_OK(hax_get_regs(ap.vcpu_fd, &s));
	CHECK_EQ(s._cs.selector, 0xf000);
	CHECK_EQ(s._cs.base, 0xffff0000);
	CHECK_EQ(s._rip, 0xfff0);
	CHECK_EQ(s._regs[HAX_REG_RDX], 0x600);
	CHECK_OK(hax_get_lapic(ap.vcpu_fd, &st));
	CHECK_EQ(st.pending, HAX_LAPIC_WAIT_SIPI);
	/* a SIPI latched without the wait state is refused, nothing changed */
	st.pending = HAX_LAPIC_PENDING_SIPI | 0x800;
	CHECK_ERRNO(hax_set_lapic(ap.vcpu_fd, &st), EINVAL);
	st.pending |= HAX_LAPIC_WAIT_SIPI;
	CHECK_OK(hax_set_lapic(ap.vcpu_fd, &st));
	CHECK_OK(hax_get_lapic(ap.vcpu_fd, &st));
	CHECK_EQ(st.pending, HAX_LAPIC_WAIT_SIPI | HAX_LAPIC_PENDING_SIPI | 0x800);
	/* the next RUN starts it at 0800:0000 */
	if (haxm_trace_81(&ap, &t) || check_ap_state(&t, 0, 0x60000010))
		goto out;
	CHECK_EQ(c.ram[0x600], 1);
	CHECK_OK(hax_get_lapic(ap.vcpu_fd, &st));
	CHECK_EQ(st.pending, 0);
	r = 0;
out:
	ap_close(&ap);
	vm_teardown(&c);
	return r;
}
