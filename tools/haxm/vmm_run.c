// SPDX-License-Identifier: GPL-2.0
/*
 * `haxm run`'s threads: one per vCPU (RUN, then the exit: port I/O to the
 * devices, HLT, interrupt injection for vCPU 0), the PIT's timer thread, and
 * the main thread, which waits for the end (a vmm_request_exit() or a
 * signal), stops the others and returns the exit status.
 *
 * Interrupts: the PIC is wired to vCPU 0 only; with --irqchip=kernel the
 * ISA lines also reach the in-kernel IO-APIC and the vCPUs' in-kernel local
 * APICs, which inject, send IPIs and start APs without user space. Before each RUN of vCPU 0, an
 * asserted PIC output is injected with HAX_VCPU_IOCTL_INTERRUPT when the tunnel says the guest is
 * ready, else an interrupt window is requested. A new interrupt kicks vCPU 0 out of RUN
 * (user_event_pending and SIGUSR1) or wakes it from HLT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "migrate.h"
#include "vmm.h"

#define RFLAGS_IF (1u << 9)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void vmm_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void vmm_kick(struct vmm_vcpu *v)
{
	v->t->user_event_pending = 1;
	if (v->started)
		pthread_kill(v->thread, SIGUSR1);
}

void vmm_request_exit(void *opaque, int status, const char *why)
{
	struct vmm *m = opaque;
	int i;

	if (m->exiting)
		return;
	m->exiting = true;
	m->exit_status = status;
	snprintf(m->exit_why, sizeof(m->exit_why), "%s", why);
	for (i = 0; i < m->ncpus; i++)
		vmm_kick(&m->vcpu[i]);
	pthread_cond_broadcast(&m->cond);
	pthread_cond_broadcast(&m->timer_cond);
	pthread_kill(m->main_thread, SIGUSR2);
}

void vmm_request_exit_unlocked(struct vmm *m, int status, const char *why)
{
	pthread_mutex_lock(&m->lock);
	vmm_request_exit(m, status, why);
	pthread_mutex_unlock(&m->lock);
}

size_t vmm_console_input(struct vmm *m, const uint8_t *buf, size_t n)
{
	size_t done;

	pthread_mutex_lock(&m->lock);
	done = uart_rx(&m->uart, buf, n);
	pthread_mutex_unlock(&m->lock);
	return done;
}

/* vCPU 0, under m->lock, before RUN: inject the PIC's interrupt or ask for a window. */
static void vmm_prepare_irq(struct vmm_vcpu *v)
{
	struct vmm *m = v->vmm;
	uint8_t vec;

	if (!m->intr_supported || v->id)
		return;
	if (pic_pending(&m->pic) && v->t->ready_for_interrupt_injection) {
		vec = pic_ack(&m->pic);
		if (hax_interrupt(v->fd, vec) == 0)
			v->injected++;
	}
	v->t->request_interrupt_window = pic_pending(&m->pic);
}

static void vmm_io(struct vmm_vcpu *v)
{
	struct vmm *m = v->vmm;
	unsigned int size = v->t->io._size, count = v->t->io._count, i;
	bool in = v->t->io._direction == HAX_IO_IN;
	uint32_t val;

	if ((size != 1 && size != 2 && size != 4) || count * size > HAX_IOBUF_SIZE)
		return;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < count; i++) {
		val = 0;
		if (!in)
			memcpy(&val, v->iobuf + i * size, size);
		io_access(&m->io, v->t->io._port, size, !in, &val);
		if (in)
			memcpy(v->iobuf + i * size, &val, size);
	}
	pthread_mutex_unlock(&m->lock);
}

/* No MMIO devices: reads see an open bus (all ones), writes are dropped. */
static void vmm_mmio(struct vmm_vcpu *v)
{
	struct hax_fastmmio *f = (void *)v->iobuf;

	if (f->direction == HAX_FASTMMIO_READ)
		f->value = ~0ull;
}

/*
 * HLT. vCPU 0 with interrupts on waits for the PIC. Any other halt is for
 * good: interrupts off, an application processor (nothing sends it
 * interrupts), or a module without interrupt injection. When every vCPU
 * has halted for good the guest is off.
 */
/*
 * HLT with the in-kernel irqchip: the module returns it only for a HLT with
 * interrupts off (the vCPU stays halted in the kernel; only an INIT can
 * start it again, and its next RUN sleeps there until one does). The vCPU
 * counts as halted for good until it exits for something else.
 */
static void vmm_hlt_kernel(struct vmm_vcpu *v)
{
	struct vmm *m = v->vmm;

	pthread_mutex_lock(&m->lock);
	if (!v->dead) {
		v->dead = true;
		if (++m->nr_dead == m->ncpus)
			vmm_request_exit(m, VMM_EXIT_POWEROFF,
					 "every vCPU halted with interrupts off: powered off");
	}
	pthread_mutex_unlock(&m->lock);
}

/* With the in-kernel irqchip, a vCPU halted for good that exits again (INIT) lives. */
static void vmm_revive(struct vmm_vcpu *v)
{
	struct vmm *m = v->vmm;

	pthread_mutex_lock(&m->lock);
	if (v->dead) {
		v->dead = false;
		m->nr_dead--;
	}
	pthread_mutex_unlock(&m->lock);
}

static void vmm_hlt(struct vmm_vcpu *v)
{
	struct vmm *m = v->vmm;
	vcpu_state_t s;
	bool wait_irq;
	int64_t t0 = now_ns();

	if (m->irqchip == VMM_IRQCHIP_KERNEL) {
		vmm_hlt_kernel(v);
		return;
	}

	if (hax_get_regs(v->fd, &s)) {
		vmm_request_exit_unlocked(m, VMM_EXIT_ERROR, "HAX_VCPU_GET_REGS failed after HLT");
		return;
	}
	wait_irq = v->id == 0 && m->intr_supported && (s._rflags & RFLAGS_IF);
	if (v->id == 0 && !m->intr_supported && (s._rflags & RFLAGS_IF) && !v->warned) {
		fprintf(stderr, "haxm run: vCPU 0 waits for an interrupt, but this haxm module "
				"cannot inject interrupts (no HAX_VCPU_IOCTL_INTERRUPT): it stays "
				"halted\n");
		v->warned = true;
	}
	pthread_mutex_lock(&m->lock);
	v->halted = true;
	if (!wait_irq) {
		v->dead = true;
		if (++m->nr_dead == m->ncpus)
			vmm_request_exit(
				m, VMM_EXIT_POWEROFF,
				"every vCPU halted with no interrupt to wake it: powered off");
	}
	while (!m->exiting && (!wait_irq || !pic_pending(&m->pic)))
		pthread_cond_wait(&m->cond, &m->lock);
	/* stopped while halted: still halted, as a snapshot must say */
	v->halted = m->exiting;
	pthread_mutex_unlock(&m->lock);
	v->halt_ns += now_ns() - t0;
}

static void vmm_crash(struct vmm_vcpu *v, const char *what)
{
	char why[160];
	vcpu_state_t s;

	if (hax_get_regs(v->fd, &s))
		memset(&s, 0, sizeof(s));
	snprintf(why, sizeof(why), "vCPU %d: %s (exit status %s, VMX exit reason %u) at RIP 0x%llx",
		 v->id, what, hax_exit_status_name(v->t->_exit_status), v->t->_exit_reason,
		 (unsigned long long)s._rip);
	/* The state the guest died in, for whoever debugs it. */
	fprintf(stderr,
		"haxm run: vCPU %d: CS %04x RIP %016llx RSP %016llx RFLAGS %08llx CR0 %08llx "
		"CR2 %016llx CR3 %016llx CR4 %08llx EFER %04x\n",
		v->id, s._cs.selector, (unsigned long long)s._rip,
		(unsigned long long)s._regs[HAX_REG_RSP], (unsigned long long)s._rflags,
		(unsigned long long)s._cr0, (unsigned long long)s._cr2, (unsigned long long)s._cr3,
		(unsigned long long)s._cr4, s._efer);
	vmm_request_exit_unlocked(v->vmm, VMM_EXIT_CRASH, why);
}

/* --stats: one more I/O exit at @port. */
static void vmm_count_port(struct vmm_vcpu *v, uint16_t port)
{
	int i;

	for (i = 0; i < v->nr_io_ports && v->io_ports[i].port != port; i++)
		;
	if (i == VMM_IO_PORTS) {
		v->io_other++;
		return;
	}
	if (i == v->nr_io_ports) {
		v->io_ports[i].port = port;
		v->nr_io_ports++;
	}
	v->io_ports[i].n++;
}

/* Handle one exit; false when the vCPU stops. */
static bool vmm_exit(struct vmm_vcpu *v)
{
	uint32_t st = v->t->_exit_status;

	if (st < VMM_NR_STATUS)
		v->status[st]++;
	/* An INTERRUPT exit for a signal or a kick has no VMX reason (0). */
	if (v->t->_exit_reason < VMM_NR_REASONS && (st != HAX_EXIT_INTERRUPT || v->t->_exit_reason))
		v->reasons[v->t->_exit_reason]++;
	if (v->dead && st != HAX_EXIT_HLT && st != HAX_EXIT_INTERRUPT)
		vmm_revive(v);
	switch (st) {
	case HAX_EXIT_IO:
		vmm_count_port(v, v->t->io._port);
		vmm_io(v);
		return true;
	case HAX_EXIT_FAST_MMIO:
		vmm_mmio(v);
		return true;
	case HAX_EXIT_HLT:
		vmm_hlt(v);
		return true;
	case HAX_EXIT_INTERRUPT:
	case HAX_EXIT_PAUSED:
		return true;
	case HAX_EXIT_STATECHANGE:
		vmm_crash(v, v->t->_exit_reason == 2 ? "triple fault" : "the vCPU cannot continue");
		return false;
	default:
		vmm_crash(v, "unexpected exit");
		return false;
	}
}

static void *vmm_vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct vmm *m = v->vmm;
	sigset_t kick;
	int64_t t0, t1;
	char why[96];

	snprintf(why, sizeof(why), "haxm-vcpu%d", v->id);
	prctl(PR_SET_NAME, why); /* what ps -T and /proc/PID/task/TID/comm show */
	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	for (;;) {
		pthread_mutex_lock(&m->lock);
		if (m->exiting) {
			pthread_mutex_unlock(&m->lock);
			break;
		}
		vmm_prepare_irq(v);
		v->in_run = true;
		pthread_mutex_unlock(&m->lock);
		t0 = now_ns();
		if (hax_run(v->fd)) {
			v->in_run = false;
			if (errno == EINTR)
				continue;
			snprintf(why, sizeof(why), "vCPU %d: HAX_VCPU_IOCTL_RUN: %s", v->id,
				 strerror(errno));
			vmm_request_exit_unlocked(m, VMM_EXIT_ERROR, why);
			break;
		}
		v->in_run = false;
		t1 = now_ns();
		v->run_ns += t1 - t0;
		if (!vmm_exit(v))
			break;
		v->user_ns += now_ns() - t1;
	}
	return NULL;
}

/* Channel 0 of the PIT: sleep until its next IRQ0, raise it, repeat. */
static void *vmm_timer_thread(void *arg)
{
	struct vmm *m = arg;
	struct timespec ts;
	int64_t next;

	prctl(PR_SET_NAME, "haxm-pit");
	pthread_mutex_lock(&m->lock);
	while (!m->exiting) {
		next = pit_next_irq(&m->pit);
		if (next < 0) {
			pthread_cond_wait(&m->timer_cond, &m->lock);
			continue;
		}
		ts.tv_sec = next / 1000000000ll;
		ts.tv_nsec = next % 1000000000ll;
		pthread_cond_timedwait(&m->timer_cond, &m->lock, &ts);
		pit_tick(&m->pit);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void vmm_sigusr1(int sig)
{
	(void)sig; /* only interrupts the RUN ioctl */
}

int vmm_run(struct vmm *m)
{
	struct sigaction sa = { .sa_handler = vmm_sigusr1 };
	sigset_t wait;
	int i, sig = 0, status;

	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: RUN returns */
	sigemptyset(&wait);
	sigaddset(&wait, SIGINT);
	sigaddset(&wait, SIGTERM);
	sigaddset(&wait, SIGHUP);
	sigaddset(&wait, SIGQUIT);
	sigaddset(&wait, SIGUSR2);
	/* vCPU threads start with SIGUSR1 blocked until they unblock it themselves. */
	sigaddset(&wait, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &wait, NULL);
	sigdelset(&wait, SIGUSR1);

	pthread_mutex_lock(&m->lock);
	if (pthread_create(&m->timer_thread, NULL, vmm_timer_thread, m) == 0)
		m->timer_started = true;
	for (i = 0; i < m->ncpus; i++)
		if (pthread_create(&m->vcpu[i].thread, NULL, vmm_vcpu_thread, &m->vcpu[i]) == 0)
			m->vcpu[i].started = true;
		else
			vmm_request_exit(m, VMM_EXIT_ERROR, "cannot create a vCPU thread");
	pthread_mutex_unlock(&m->lock);

	while (!m->exiting) {
		if (sigwait(&wait, &sig))
			continue;
		if (sig == SIGINT)
			vmm_request_exit_unlocked(m, VMM_EXIT_QUIT, "interrupted (SIGINT)");
		else if (sig == SIGTERM)
			vmm_request_exit_unlocked(m, VMM_EXIT_SIGTERM, "terminated (SIGTERM)");
		else if (sig == SIGHUP)
			vmm_request_exit_unlocked(m, VMM_EXIT_SIGHUP, "hung up (SIGHUP)");
		else if (sig == SIGQUIT && m->migrate && !mig_precopy(m))
			vmm_request_exit_unlocked(m, VMM_EXIT_MIGRATE,
						  "stopped for the last round of the migration");
		else if (sig == SIGQUIT && m->migrate)
			continue; /* it failed and said why: the guest runs on */
		else if (sig == SIGQUIT && m->save)
			vmm_request_exit_unlocked(m, VMM_EXIT_SAVE,
						  "stopped to be saved (SIGQUIT)");
		else if (sig == SIGQUIT)
			vmm_request_exit_unlocked(m, VMM_EXIT_SIGQUIT, "quit (SIGQUIT)");
	}
	for (i = 0; i < m->ncpus; i++)
		if (m->vcpu[i].started)
			pthread_join(m->vcpu[i].thread, NULL);
	if (m->timer_started)
		pthread_join(m->timer_thread, NULL);
	pthread_mutex_lock(&m->lock);
	status = m->exit_status;
	pthread_mutex_unlock(&m->lock);
	return status;
}

void vmm_resume(struct vmm *m)
{
	int i;

	m->exiting = false;
	m->exit_status = 0;
	m->exit_why[0] = '\0';
	m->nr_dead = 0;
	m->timer_started = false;
	for (i = 0; i < m->ncpus; i++) {
		m->vcpu[i].started = false;
		m->vcpu[i].dead = false;
		m->vcpu[i].halted = false;
		m->vcpu[i].t->user_event_pending = 0;
	}
}

static const char *const reason_names[VMM_NR_REASONS] = {
	[0] = "exception/NMI",	[1] = "external interrupt",
	[2] = "triple fault",	[7] = "interrupt window",
	[10] = "CPUID",		[12] = "HLT",
	[28] = "CR access",	[29] = "DR access",
	[30] = "I/O",		[31] = "RDMSR",
	[32] = "WRMSR",		[48] = "EPT violation",
	[49] = "EPT misconfig", [52] = "preemption timer",
};

/* " 0xPORT N" for each port with I/O exits, in port order. */
static void vmm_print_ports(const struct vmm_vcpu *v, FILE *f)
{
	int i, next, last = -1;

	fputs("\n  I/O exits by port:", f);
	for (;;) {
		next = -1;
		for (i = 0; i < v->nr_io_ports; i++)
			if (v->io_ports[i].port > last &&
			    (next < 0 || v->io_ports[i].port < v->io_ports[next].port))
				next = i;
		if (next < 0)
			break;
		fprintf(f, " %#x %llu", v->io_ports[next].port,
			(unsigned long long)v->io_ports[next].n);
		last = v->io_ports[next].port;
	}
	if (v->io_other)
		fprintf(f, " other %llu", (unsigned long long)v->io_other);
}

/* --stats: where each vCPU stopped and the interrupt paths' last state. */
static void vmm_print_devices(const struct vmm *m, FILE *f)
{
	const struct uart *u = &m->uart;
	struct hax_pic_state pic;
	struct hax_pit_state pit;
	vcpu_state_t regs;
	int i;

	fprintf(f, "devices: uart ier %#x mcr %#x thr_irq %d rx %u line %d", u->ier, u->mcr,
		u->thr_irq, u->rx_count, u->irq_level);
	if (m->pic_pit == VMM_IRQCHIP_KERNEL && !hax_get_pic(m->vm_fd, &pic) &&
	    !hax_get_pit(m->vm_fd, &pit))
		fprintf(f,
			"; kernel pic irr %#x isr %#x imr %#x lines %#x, slave irr %#x isr %#x "
			"imr %#x; pit 0 mode %u count %u counting %u",
			pic.master.irr, pic.master.isr, pic.master.imr, pic.master.lines,
			pic.slave.irr, pic.slave.isr, pic.slave.imr, pit.ch[0].mode,
			pit.ch[0].count, pit.ch[0].counting);
	fputc('\n', f);
	for (i = 0; i < m->ncpus; i++)
		if (!hax_get_regs(m->vcpu[i].fd, &regs))
			fprintf(f, "vCPU %d stopped at rip %#llx rflags %#llx\n", i,
				(unsigned long long)regs._rip, (unsigned long long)regs._rflags);
}

void vmm_print_stats(const struct vmm *m, FILE *f)
{
	const struct vmm_vcpu *v;
	int i, j;

	for (i = 0; i < m->ncpus; i++) {
		v = &m->vcpu[i];
		fprintf(f,
			"vCPU %d: in the guest (RUN) %.3f s, handling exits %.3f s, halted %.3f s",
			i, v->run_ns / 1e9, v->user_ns / 1e9, v->halt_ns / 1e9);
		if (m->intr_supported && i == 0)
			fprintf(f, ", %llu interrupts injected", (unsigned long long)v->injected);
		fputs("\n  exits by status:", f);
		for (j = 0; j < VMM_NR_STATUS; j++)
			if (v->status[j])
				fprintf(f, " %s %llu", hax_exit_status_name(j),
					(unsigned long long)v->status[j]);
		fputs("\n  by VMX exit reason:", f);
		for (j = 0; j < VMM_NR_REASONS; j++)
			if (v->reasons[j])
				fprintf(f, " %s(%d) %llu", reason_names[j] ? reason_names[j] : "",
					j, (unsigned long long)v->reasons[j]);
		vmm_print_ports(v, f);
		fputc('\n', f);
	}
	vmm_print_devices(m, f);
}
