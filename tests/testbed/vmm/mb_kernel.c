// SPDX-License-Identifier: GPL-2.0
/*
 * The multiboot test kernel of `haxm run`'s testbed tests (vmm-tests): it
 * prints what it finds on COM1 and checks the devices of devices.h from the
 * guest's side, then returns the exit status the command line asks for
 * ("exit=N"), which mb_entry.S writes to the debug-exit port. Each check
 * prints "NAME: ok" or "NAME: FAIL ...".
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#include "multiboot.h"

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static volatile int print_lock, aps_up;

static void lock(void)
{
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		asm volatile("pause");
}

static void unlock(void)
{
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

static void putc(char c)
{
	while (!(inb(0x3f8 + 5) & 0x20))
		;
	outb(0x3f8, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putu(u32 v)
{
	char b[12];
	int i = 0;

	do
		b[i++] = '0' + v % 10;
	while (v /= 10);
	while (i)
		putc(b[--i]);
}

static void puthex(u32 v)
{
	int i;

	puts("0x");
	for (i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 15]);
}

static void result(const char *name, int ok, const char *why)
{
	puts(name);
	puts(ok ? ": ok\n" : ": FAIL ");
	if (!ok) {
		puts(why);
		putc('\n');
	}
}

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static int bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 15);
}

/* CMOS extended memory (KiB above 1 MiB, capped) must match the multiboot info. */
static void check_cmos(const struct mb_info *mbi)
{
	u32 ext = cmos(0x30) | (cmos(0x31) << 8);
	u32 want = mbi->mem_upper > 0xffff ? 0xffff : mbi->mem_upper;

	result("cmos", ext == want, "extended memory differs from mem_upper");
}

static void check_rtc(void)
{
	u8 b = cmos(0x0b);
	int y = bcd(cmos(0x09)), mo = bcd(cmos(0x08)), d = bcd(cmos(0x07));

	puts("rtc: 20");
	putc('0' + y / 10);
	putc('0' + y % 10);
	putc('-');
	putc('0' + mo / 10);
	putc('0' + mo % 10);
	putc('-');
	putc('0' + d / 10);
	putc('0' + d % 10);
	putc('\n');
	result("rtc-format", (b & 0x06) == 0x02 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31,
	       "register B or the date is wrong");
}

/* Channel 2 in mode 0 with a count of 11932 (10 ms): port 0x61 bit 5 rises. */
static void check_pit(void)
{
	u32 spins = 0;
	u8 lo, hi;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0); /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, 11932 & 0xff);
	outb(0x42, 11932 >> 8);
	outb(0x43, 0x80); /* latch channel 2 */
	lo = inb(0x42);
	hi = inb(0x42);
	while (!(inb(0x61) & 0x20) && ++spins < 50000000)
		;
	result("pit-count", (lo | (hi << 8)) <= 11932, "latched count above the reload value");
	result("pit-terminal", spins < 50000000, "channel 2 never reached terminal count");
}

/* Both PICs as Linux sets them up (vectors 0x20 and 0x28, cascade on IRQ 2), slave masked. */
static void pic_init(u8 master_mask)
{
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0x21, master_mask);
	outb(0xa1, 0xff);
}

/* Initialize both PICs as Linux does and read back the masks and IRR/ISR. */
static void check_pic(void)
{
	pic_init(0xfb);
	outb(0x20, 0x0b); /* OCW3: read ISR */
	result("pic", inb(0x21) == 0xfb && inb(0xa1) == 0xff && inb(0x20) == 0,
	       "masks or ISR read back wrong");
}

static int has_arg(const char *s, const char *a)
{
	const char *p, *q;

	for (; *s; s++) {
		for (p = s, q = a; *q && *p == *q; p++, q++)
			;
		if (!*q)
			return 1;
	}
	return 0;
}

static int arg_exit(const char *s)
{
	int v = 0;

	for (; *s; s++) {
		if (s[0] == 'e' && s[1] == 'x' && s[2] == 'i' && s[3] == 't' && s[4] == '=') {
			for (s += 5; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (*s - '0');
			return v;
		}
	}
	return 0;
}

volatile u32 ticks;
void irq0_entry(void);
void ignore_entry(void);
void fault_entry(void);

static u64 idt[256];

static u64 gate(void (*fn)(void))
{
	u32 a = (u32)fn;

	/* 32-bit interrupt gate, present, DPL 0, code selector 0x20 (haxm run's GDT) */
	return (a & 0xffff) | (0x20u << 16) | ((u64)0x8e00 << 32) | ((u64)(a >> 16) << 48);
}

/*
 * "timer": IRQ 0 from the PIT at 100 Hz through the PIC, with STI and HLT
 * until @want ticks arrive. Needs interrupt injection in the module; without
 * it the HLT never returns and haxm run takes the guest as halted.
 */
static void timer_test(u32 want)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u32)idt };
	int i;

	for (i = 0; i < 256; i++)
		idt[i] = gate(i < 32 ? fault_entry : ignore_entry);
	idt[0x20] = gate(irq0_entry);
	asm volatile("lidt %0" : : "m"(idtr));
	pic_init(0xfe);	  /* IRQ 0 only */
	outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	puts("timer: waiting for ");
	putu(want);
	puts(" ticks\n");
	asm volatile("sti");
	while (ticks < want)
		asm volatile("hlt");
	asm volatile("cli");
	puts("timer: ");
	putu(ticks);
	puts(" ticks\n");
}

/* "echo": read a line from the UART by polling (no interrupts), print it back. */
static void echo_test(void)
{
	char line[80];
	u32 n = 0;
	char c;

	puts("echo: ready\n");
	for (;;) {
		while (!(inb(0x3f8 + 5) & 1))
			asm volatile("pause");
		c = inb(0x3f8);
		if (c == '\n' || c == '\r' || n == sizeof(line) - 1)
			break;
		line[n++] = c;
	}
	line[n] = 0;
	puts("echo: ");
	puts(line);
	putc('\n');
}

static u32 pattern(u32 pass, u32 i)
{
	return (i * 2654435761u) ^ (pass * 0x9e3779b9u) ^ (pass << 20);
}

/*
 * "memtest": a memory-writing workload for live migration. Each pass writes
 * a pattern of its own over 4 MiB at 8 MiB (every page), then reads it back
 * and prints the checksum of what it read against the one the pattern must
 * give. It runs until a byte arrives on the UART: a page a migration lost
 * or left stale shows as a checksum that differs (FAIL). The running
 * checksum of all passes, in guest RAM, travels with the guest too.
 */
static void memtest(void)
{
	volatile u32 *a = (volatile u32 *)(8u << 20);
	u32 pass, i, v, sum, want, bad, n = (4u << 20) / 4, total = 0;

	puts("memtest: writing 4 MiB at 8 MiB, pass after pass\n");
	for (pass = 1;; pass++) {
		for (i = 0; i < n; i++)
			a[i] = pattern(pass, i);
		sum = want = 2166136261u;
		bad = 0;
		for (i = 0; i < n; i++) {
			v = a[i];
			bad += v != pattern(pass, i);
			sum = (sum ^ v) * 16777619u; /* FNV-1a, a word at a time */
			want = (want ^ pattern(pass, i)) * 16777619u;
		}
		total += sum;
		puts("memtest: pass ");
		putu(pass);
		puts(" checksum ");
		puthex(sum);
		if (sum == want && !bad) {
			puts(" ok\n");
		} else {
			puts(" FAIL expected ");
			puthex(want);
			puts(", words wrong: ");
			putu(bad);
			putc('\n');
		}
		if (inb(0x3f8 + 5) & 1)
			break;
	}
	puts("memtest: done after ");
	putu(pass);
	puts(" passes, total checksum ");
	puthex(total);
	putc('\n');
}

void mb_ap(u32 index, u32 ncpus)
{
	lock();
	puts("multiboot: vCPU ");
	putu(index);
	puts(" of ");
	putu(ncpus);
	puts(" up\n");
	unlock();
	__atomic_add_fetch(&aps_up, 1, __ATOMIC_RELEASE);
}

int mb_main(const struct mb_info *mbi, u32 ncpus)
{
	const char *cmdline = (mbi->flags & 4) ? (const char *)mbi->cmdline : "";
	u32 i, n = 0, spins = 0;

	lock();
	puts("multiboot: hello from vCPU 0 of ");
	putu(ncpus);
	puts(", loader '");
	puts((mbi->flags & (1 << 9)) ? (const char *)mbi->boot_loader_name : "?");
	puts("', cmdline '");
	puts(cmdline);
	puts("'\nmultiboot: mem_lower ");
	putu(mbi->mem_lower);
	puts(" KiB, mem_upper ");
	putu(mbi->mem_upper);
	puts(" KiB\n");
	for (i = 0; (mbi->flags & (1 << 6)) && i < mbi->mmap_length; n++) {
		const struct mb_mmap *e = (const void *)(mbi->mmap_addr + i);

		puts("multiboot: mmap ");
		puthex((u32)e->addr);
		putc(' ');
		puthex((u32)e->len);
		puts(e->type == 1 ? " ram\n" : " reserved\n");
		i += e->size + 4;
	}
	unlock();
	/* The APs print their line first: the checks below print unlocked. */
	while (__atomic_load_n(&aps_up, __ATOMIC_ACQUIRE) < (int)ncpus - 1 && ++spins < 100000000)
		asm volatile("pause");
	result("mmap", n == 4, "expected 4 memory map entries");
	check_cmos(mbi);
	check_rtc();
	check_pit();
	check_pic();
	lock();
	puts("smp: ");
	putu(aps_up + 1);
	puts(" vCPUs up\n");
	unlock();
	if (has_arg(cmdline, "timer"))
		timer_test(10);
	/* "slowtick": 30 s of ticks, long enough to save and restore it halfway */
	if (has_arg(cmdline, "slowtick"))
		timer_test(3000);
	if (has_arg(cmdline, "echo"))
		echo_test();
	if (has_arg(cmdline, "memtest"))
		memtest();
	/* "spin": run until haxm run is stopped from outside (signal tests) */
	if (has_arg(cmdline, "spin")) {
		puts("spinning\n");
		for (;;)
			asm volatile("pause");
	}
	return arg_exit(cmdline);
}
