// SPDX-License-Identifier: GPL-2.0
/* `haxm run`: boot a guest image on haxm with the devices of devices.h. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "cmds.h"
#include "migrate.h"
#include "snapshot.h"
#include "term.h"
#include "vmm.h"

static const char run_usage[] =
	"usage: haxm run [options] (--flat FILE@ADDR | --multiboot ELF | --kernel BZIMAGE)\n"
	"       haxm run [--stats] [--save FILE] --restore FILE\n"
	"       haxm run [--stats] [-m SIZE] [--cpus N] --migrate-listen SOCK\n"
	"\n"
	"Boot a guest on haxm. Its serial port (a 16550A at 0x3f8, IRQ 4) is this\n"
	"terminal, in raw mode: every key goes to the guest; Ctrl-A x quits,\n"
	"Ctrl-A s saves (with --save) or migrates (with --migrate-to).\n"
	"\n"
	"  --flat FILE@ADDR   a raw binary loaded at ADDR (below 1 MiB), entered in\n"
	"                     real mode at ADDR (CS:IP = ADDR/16:ADDR%16), SS:SP 0:7c00\n"
	"  --multiboot ELF    a multiboot (v1) kernel: 32-bit protected mode entry,\n"
	"                     EAX=0x2badb002, EBX=the multiboot information (memory\n"
	"                     sizes and map, command line); with --cpus N every vCPU\n"
	"                     starts there, vCPUs 1..N-1 with EAX=0x50415848 (\"HXAP\")\n"
	"                     and EBX=their index; ECX=N on all\n"
	"  --kernel BZIMAGE   a 64-bit Linux bzImage (boot protocol 2.12+), entered\n"
	"                     at startup_64 in long mode with an e820 map\n"
	"  --initrd FILE      Linux: the initial RAM disk\n"
	"  --append \"ARGS\"    the kernel command line (Linux, multiboot)\n"
	"  -m, --memory SIZE  guest RAM, in MiB or with a K, M or G suffix\n"
	"                     (default 128M, at least 4M, at most 64G; past 3G at 4G\n"
	"                     and up, above the PCI hole; at most 3G with --save,\n"
	"                     --migrate-to or --migrate-listen)\n"
	"  --cpus N           vCPUs, one thread each (default 1; >1 with --multiboot,\n"
	"                     or Linux with --irqchip=kernel)\n"
	"  --irqchip=MODE     the interrupt controllers: kernel (haxm's in-kernel local\n"
	"                     APICs and IO-APIC, and its PIC pair and PIT where the\n"
	"                     module has them (HAX_CAP_PIC_PIT): no timer tick or PIC\n"
	"                     access leaves the kernel; an MP table for Linux, APs\n"
	"                     started by INIT-SIPI; the default for --kernel where\n"
	"                     the module has them) or user (haxm run's i8259 PIC pair\n"
	"                     and i8254 PIT, the module's models built in, wired to\n"
	"                     vCPU 0 only; the default otherwise). --restore and\n"
	"                     --migrate-listen take the guest's\n"
	"  --save FILE        on SIGQUIT or Ctrl-A s, stop the guest, write it\n"
	"                     (vCPUs, devices, RAM) to FILE and exit with status 0\n"
	"  --restore FILE     resume the guest --save wrote to FILE, in this process\n"
	"                     (its RAM is mapped from FILE copy-on-write, not read)\n"
	"  --migrate-to SOCK  on SIGQUIT or Ctrl-A s, live-migrate the running guest\n"
	"                     to the haxm run --migrate-listen waiting on the unix\n"
	"                     socket SOCK (or fifo:PATH, the FIFOs PATH.s2d and\n"
	"                     PATH.d2s the destination makes, where a kernel has no\n"
	"                     unix sockets): its RAM is copied while it runs (rounds\n"
	"                     of the pages it wrote), then it stops for the last\n"
	"                     round and its vCPU and device state; exit status 0\n"
	"                     once the destination runs it. A refusal or failure\n"
	"                     is said on stderr and the guest runs on here\n"
	"  --migrate-listen SOCK  wait on SOCK for a guest --migrate-to sends, then\n"
	"                     run it; -m and --cpus, if given, must be the guest's\n"
	"  --stats            at the end, print each vCPU's exits by status, VMX exit\n"
	"                     reason and I/O port, and its time in the guest,\n"
	"                     handling exits and halted, then the UART's, PIC's and\n"
	"                     PIT's state and each vCPU's RIP (on stderr)\n"
	"  --help             this text\n"
	"\n"
	"Devices: 16550A UART (COM1), i8259 PIC pair, i8254 PIT (IRQ 0; IO-APIC pin 2)\n"
	"and port 0x61, CMOS RTC (0x70/0x71), debug exit (a write of V to port 0x501 ends\n"
	"haxm run with status V & 0xff), reset (0xcf9 bit 2, 0xfe to port 0x64).\n"
	"\n"
	"Exit status: the debug-exit value; 0 when every vCPU halted for good\n"
	"(interrupts off: the guest powered off); 1 an error (no module, no VT-x,\n"
	"a bad image, too much RAM, a failed ioctl); 2 a usage error; 3 the guest\n"
	"reset itself; 4 it crashed (triple fault, or a state haxm cannot run);\n"
	"130 Ctrl-A x or SIGINT; 131 SIGQUIT (without --save or --migrate-to);\n"
	"143 SIGTERM; 129 SIGHUP.\n";

struct run_opts {
	const char *flat, *multiboot, *kernel, *initrd, *append;
	const char *save, *restore, *migrate_to, *listen;
	uint64_t flat_addr, ram_size;
	int cpus;
	enum vmm_irqchip irqchip;	      /* AUTO: not given */
	bool stats, sized, ram_set, cpus_set; /* sized: -m or --cpus given */
};

/* "128", "128M", "64k", "1G": bytes, or 0 when malformed. */
static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || v == 0)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		end++;
		return *end ? 0 : v << 10;
	case 'g':
	case 'G':
		if (v > 1024)
			return 0;
		v <<= 10;
		/* fallthrough */
	case 'm':
	case 'M':
		end++;
		/* fallthrough */
	case '\0':
		return (*end || v > (1ull << 30)) ? 0 : v << 20;
	default:
		return 0;
	}
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "flat", required_argument, NULL, 'f' },
		{ "multiboot", required_argument, NULL, 'b' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "stats", no_argument, NULL, 's' },
		{ "save", required_argument, NULL, 'S' },
		{ "restore", required_argument, NULL, 'R' },
		{ "migrate-to", required_argument, NULL, 'T' },
		{ "migrate-listen", required_argument, NULL, 'L' },
		{ "irqchip", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *at, *end;
	int c, images;

	memset(o, 0, sizeof(*o));
	o->ram_size = 128ull << 20;
	o->cpus = 1;
	o->append = "";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->flat = optarg;
			at = strrchr(optarg, '@');
			if (!at || at == optarg) {
				fprintf(stderr,
					"haxm run: --flat wants FILE@ADDR, e.g. boot.bin@0x7c00\n");
				return -1;
			}
			*at = '\0';
			errno = 0;
			o->flat_addr = strtoull(at + 1, &end, 0);
			if (errno || end == at + 1 || *end) {
				fprintf(stderr, "haxm run: --flat: '%s' is not an address\n",
					at + 1);
				return -1;
			}
			break;
		case 'b':
			o->multiboot = optarg;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'a':
			o->append = optarg;
			break;
		case 'm':
			o->sized = o->ram_set = true;
			o->ram_size = parse_size(optarg);
			if (!o->ram_size) {
				fprintf(stderr, "haxm run: -m '%s': not a size (e.g. 256M, 1G)\n",
					optarg);
				return -1;
			}
			break;
		case 'c':
			o->sized = o->cpus_set = true;
			o->cpus = atoi(optarg);
			if (o->cpus < 1 || o->cpus > VMM_MAX_CPUS) {
				fprintf(stderr, "haxm run: --cpus '%s': 1 to %d\n", optarg,
					VMM_MAX_CPUS);
				return -1;
			}
			break;
		case 's':
			o->stats = true;
			break;
		case 'S':
			o->save = optarg;
			break;
		case 'R':
			o->restore = optarg;
			break;
		case 'T':
			o->migrate_to = optarg;
			break;
		case 'L':
			o->listen = optarg;
			break;
		case 'I':
			if (!strcmp(optarg, "kernel")) {
				o->irqchip = VMM_IRQCHIP_KERNEL;
			} else if (!strcmp(optarg, "user")) {
				o->irqchip = VMM_IRQCHIP_USER;
			} else {
				fprintf(stderr, "haxm run: --irqchip '%s': kernel or user\n",
					optarg);
				return -1;
			}
			break;
		case 'h':
			fputs(run_usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "haxm run: bad option '%s'; see 'haxm run --help'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	images = !!o->flat + !!o->multiboot + !!o->kernel;
	if (o->restore && (images || o->initrd || o->sized || *o->append)) {
		fprintf(stderr, "haxm run: --restore takes the guest, its RAM size and vCPUs from "
				"the snapshot: no image, --append, -m or --cpus\n");
		return -1;
	}
	if (o->save && o->migrate_to) {
		fprintf(stderr, "haxm run: --save and --migrate-to both act on SIGQUIT and Ctrl-A "
				"s: give one\n");
		return -1;
	}
	if (o->listen && (images || o->initrd || *o->append || o->restore)) {
		fprintf(stderr, "haxm run: --migrate-listen takes the guest from the source: no "
				"image, --append or --restore\n");
		return -1;
	}
	if ((o->restore || o->listen) && o->irqchip) {
		fprintf(stderr, "haxm run: --restore and --migrate-listen take the interrupt "
				"controllers from the guest: no --irqchip\n");
		return -1;
	}
	if ((o->save || o->migrate_to || o->listen) && o->ram_size > VMM_SNAP_MAX_RAM) {
		fprintf(stderr,
			"haxm run: -m: --save, --migrate-to and --migrate-listen carry "
			"at most %llu MiB of RAM (none above 4 GiB yet)\n",
			VMM_SNAP_MAX_RAM >> 20);
		return -1;
	}
	if (o->restore || o->listen)
		return optind == argc ? 0 : -1;
	if (optind != argc || images != 1) {
		fprintf(stderr, "haxm run: give one of --flat, --multiboot, --kernel; see "
				"'haxm run --help'\n");
		return -1;
	}
	if (o->initrd && !o->kernel) {
		fprintf(stderr, "haxm run: --initrd goes with --kernel\n");
		return -1;
	}
	/* Linux: the in-kernel irqchip where there is one */
	if (!o->irqchip && !o->kernel)
		o->irqchip = VMM_IRQCHIP_USER;
	if (o->cpus > 1 && !o->multiboot && o->irqchip == VMM_IRQCHIP_USER) {
		fprintf(stderr,
			"haxm run: --cpus %d: %s starts its other vCPUs through a local APIC: "
			"give --irqchip=kernel\n",
			o->cpus, o->kernel ? "Linux" : "a flat guest");
		return -1;
	}
	return 0;
}

/* The RAM checks, with a one-line reason. */
static int run_check_ram(uint64_t size)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t host = pages > 0 && psize > 0 ? (uint64_t)pages * psize : 0;

	if (size < VMM_MIN_RAM || size & 0xfff) {
		fprintf(stderr, "haxm run: -m: at least %llu MiB, in whole pages\n",
			VMM_MIN_RAM >> 20);
		return -1;
	}
	if (size > VMM_MAX_RAM) {
		fprintf(stderr,
			"haxm run: -m %llu MiB is too much RAM: haxm run gives a guest at most "
			"%llu MiB; use less\n",
			(unsigned long long)(size >> 20), VMM_MAX_RAM >> 20);
		return -1;
	}
	/* reserved as the guest touches it: a guest that touches less can have more */
	if (host && size > host)
		fprintf(stderr,
			"haxm run: warning: -m %llu MiB is more RAM than this host has (%llu MiB): "
			"the guest ends (out of memory) if it uses more\n",
			(unsigned long long)(size >> 20), (unsigned long long)(host >> 20));
	return 0;
}

/* The whole of @path in a malloc()ed buffer; NULL (and a message) on failure. */
static uint8_t *read_file(const char *path, size_t *len, uint64_t max)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "haxm run: cannot read %s: %s\n", path,
			f ? "not a regular file" : strerror(errno));
		if (f)
			fclose(f);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		fprintf(stderr, "haxm run: %s (%lld bytes) is larger than the guest's RAM\n", path,
			(long long)st.st_size);
		fclose(f);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	*len = buf ? fread(buf, 1, st.st_size, f) : 0;
	fclose(f);
	if (!buf || *len != (size_t)st.st_size) {
		fprintf(stderr, "haxm run: cannot read %s\n", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * vCPU @i's entry state @s; an AP with an in-kernel LAPIC (multiboot's
 * convention: it starts at the entry too) leaves its wait for a SIPI.
 */
static int run_start_vcpu(struct vmm *m, int i, vcpu_state_t *s)
{
	struct hax_lapic_state ls;

	if (i && m->irqchip == VMM_IRQCHIP_KERNEL) {
		if (hax_get_lapic(m->vcpu[i].fd, &ls)) {
			fprintf(stderr, "haxm run: HAX_VCPU_IOCTL_GET_LAPIC (vCPU %d): %s\n", i,
				strerror(errno));
			return -1;
		}
		ls.pending &= ~HAX_LAPIC_WAIT_SIPI;
		if (hax_set_lapic(m->vcpu[i].fd, &ls)) {
			fprintf(stderr, "haxm run: HAX_VCPU_IOCTL_SET_LAPIC (vCPU %d): %s\n", i,
				strerror(errno));
			return -1;
		}
	}
	if (hax_set_regs(m->vcpu[i].fd, s)) {
		fprintf(stderr, "haxm run: HAX_VCPU_SET_REGS (vCPU %d): %s\n", i, strerror(errno));
		return -1;
	}
	return 0;
}

/* Load the image and set the vCPUs' registers. */
static int run_load(struct vmm *m, const struct run_opts *o)
{
	const char *path = o->flat ? o->flat : o->multiboot ? o->multiboot : o->kernel;
	uint8_t *img, *initrd = NULL;
	size_t len, ilen = 0;
	vcpu_state_t s, ap;
	char err[256];
	int i, r = -1;

	img = read_file(path, &len, m->ram_size);
	if (!img)
		return -1;
	if (o->initrd && !(initrd = read_file(o->initrd, &ilen, m->ram_size)))
		goto out;
	if (hax_get_regs(m->vcpu[0].fd, &s)) {
		fprintf(stderr, "haxm run: HAX_VCPU_GET_REGS: %s\n", strerror(errno));
		goto out;
	}
	if (o->flat)
		r = boot_flat(m->ram, m->ram_size, img, len, o->flat_addr, &s, err, sizeof(err));
	else if (o->multiboot)
		r = boot_multiboot(m->ram, m->ram_size, img, len, o->append, m->ncpus, &s, err,
				   sizeof(err));
	else
		r = boot_linux(m->ram, m->ram_size, img, len, initrd, ilen, o->append, &s, err,
			       sizeof(err));
	if (r) {
		fprintf(stderr, "haxm run: %s: %s\n", path, err);
		goto out;
	}
	if (!r && o->kernel && m->irqchip == VMM_IRQCHIP_KERNEL)
		r = boot_mptable(m->ram, m->ram_size, m->ncpus, err, sizeof(err));
	if (r) {
		fprintf(stderr, "haxm run: %s: %s\n", path, err);
		goto out;
	}
	/* Linux's and flat guests' APs wait for the BSP's SIPI (in-kernel LAPIC) */
	for (i = 0; i < (o->multiboot ? m->ncpus : 1) && !r; i++) {
		boot_multiboot_ap(&s, i, &ap);
		r = run_start_vcpu(m, i, i ? &ap : &s);
	}
out:
	free(img);
	free(initrd);
	return r ? -1 : 0;
}

/* What of a restored or received guest's interrupt controllers is the kernel's. */
static const char *run_kernel_chips(const struct vmm *m)
{
	if (m->pic_pit == VMM_IRQCHIP_KERNEL)
		return ", with its in-kernel LAPICs, IO-APIC, PIC and PIT";
	if (m->irqchip == VMM_IRQCHIP_KERNEL)
		return ", with its in-kernel LAPICs and IO-APIC";
	return "";
}

/* --restore: the snapshot's RAM, vCPUs and devices; 0 or -1 (said on stderr). */
static int run_restore(struct vmm *m, const char *path)
{
	struct snap_file f;
	char err[256];
	int r;

	if (snap_open(path, &f, err, sizeof(err))) {
		fprintf(stderr, "haxm run: --restore: %s\n", err);
		return -1;
	}
	if (run_check_ram(f.h.ram_size)) { /* this host may have less than the saving one */
		snap_close(&f);
		return -1;
	}
	m->ram_from_file = true;
	m->irqchip = f.h.flags & SNAP_F_KIRQ ? VMM_IRQCHIP_KERNEL : VMM_IRQCHIP_USER;
	m->pic_pit = f.h.flags & SNAP_F_KPICPIT ? VMM_IRQCHIP_KERNEL : VMM_IRQCHIP_USER;
	m->ram_fd = f.fd;
	m->ram_off = f.h.ram_offset;
	r = vmm_create(m, f.h.ram_size, f.h.ncpus, STDOUT_FILENO, err, sizeof(err));
	if (!r && (r = snap_restore(m, &f, err, sizeof(err))))
		vmm_destroy(m);
	if (r)
		fprintf(stderr, "haxm run: --restore %s: %s\n", path, err);
	snap_close(&f); /* the mapping keeps what it needs of the file */
	return r;
}

/* --migrate-listen: receive the guest into a new VM; 0 or -1 (said on stderr). */
static int run_migrate_in(struct vmm *m, const struct run_opts *o)
{
	struct mig_hello h;
	struct mig_stats st;
	uint8_t *state = NULL;
	struct mig_conn c;
	size_t ssz;
	char err[256];
	int r = -1;

	if (mig_listen(o->listen, &c, err, sizeof(err))) {
		fprintf(stderr, "haxm run: --migrate-listen: %s\n", err);
		return -1;
	}
	if (mig_read(c.rfd, &h, sizeof(h))) {
		snprintf(err, sizeof(err), "the source sent no complete header: %s",
			 strerror(errno));
		goto out;
	}
	if (mig_check_hello(&h, o->ram_set ? o->ram_size : 0, o->cpus_set ? o->cpus : 0, err,
			    sizeof(err)))
		goto refuse;
	if (run_check_ram(h.ram_size)) {
		snprintf(err, sizeof(err), "this host cannot give the guest %llu MiB of RAM",
			 (unsigned long long)(h.ram_size >> 20));
		goto refuse;
	}
	/* the source's interrupt controllers: the kernel's when its state has them */
	m->irqchip = h.flags & MIG_F_KIRQ ? VMM_IRQCHIP_KERNEL : VMM_IRQCHIP_USER;
	m->pic_pit = h.flags & MIG_F_KPICPIT ? VMM_IRQCHIP_KERNEL : VMM_IRQCHIP_USER;
	if (vmm_create(m, h.ram_size, h.ncpus, STDOUT_FILENO, err, sizeof(err)))
		goto refuse;
	ssz = snap_state_size(h.ncpus, h.flags);
	state = malloc(ssz);
	if (!state || mig_reply(c.wfd, MIG_ACCEPT, "")) {
		snprintf(err, sizeof(err), "%s", state ? strerror(errno) : "out of memory");
		goto out;
	}
	if (mig_receive(c.rfd, m->ram, m->ram_size, state, ssz, &st, err, sizeof(err)))
		goto out;
	if (snap_state_load(m, state, err, sizeof(err)))
		goto refuse;
	/* the source exits once it reads this: the guest is ours from here */
	if (mig_reply(c.wfd, MIG_ACCEPT, "")) {
		snprintf(err, sizeof(err), "the source went away before the hand-over: %s",
			 strerror(errno));
		goto out;
	}
	fprintf(stderr,
		"haxm run: received the guest (%u vCPUs, %llu MiB) on %s in %u rounds, %llu "
		"pages%s: it runs here\n",
		h.ncpus, (unsigned long long)(h.ram_size >> 20), o->listen, st.rounds,
		(unsigned long long)st.pages, run_kernel_chips(m));
	r = 0;
	goto out;
refuse:
	mig_reply(c.wfd, MIG_REFUSE, err);
	fprintf(stderr, "haxm run: --migrate-listen %s: refused the guest: %s\n", o->listen, err);
	err[0] = '\0';
out:
	if (r && err[0])
		fprintf(stderr, "haxm run: --migrate-listen %s: %s\n", o->listen, err);
	if (r && m->vm_fd >= 0)
		vmm_destroy(m);
	mig_conn_close(&c);
	free(state);
	return r;
}

/*
 * The VM stopped for a migration's last round: finish it, or run the guest on
 * here when it fails. Returns the exit status.
 */
static int run_migrate_out(struct vmm *m, const struct run_opts *o)
{
	struct mig_stats *st = &m->migrate->st;
	char err[256];
	int status = VMM_EXIT_MIGRATE;

	while (status == VMM_EXIT_MIGRATE) {
		if (!mig_finish(m, err, sizeof(err))) {
			snprintf(m->exit_why, sizeof(m->exit_why),
				 "migrated to %s in %u rounds, downtime %.1f ms", o->migrate_to,
				 st->rounds, st->downtime_ns / 1e6);
			fprintf(stderr,
				"\nhaxm run: migration: %u rounds, %llu pages (%llu zero), %.1f "
				"MiB; "
				"total %.3f ms (%llu ticks), downtime %.3f ms (%llu ticks)\n",
				st->rounds, (unsigned long long)st->pages,
				(unsigned long long)st->zero_pages, st->bytes / 1048576.0,
				st->total_ns / 1e6, (unsigned long long)st->total_tsc,
				st->downtime_ns / 1e6, (unsigned long long)st->downtime_tsc);
			return 0;
		}
		fprintf(stderr, "\r\nhaxm run: --migrate-to %s: %s; the guest runs on here\r\n",
			o->migrate_to, err);
		vmm_resume(m);
		status = vmm_run(m);
	}
	return status;
}

int cmd_run(int argc, char **argv)
{
	static struct vmm m;
	static struct mig_source mig;
	struct run_opts o;
	char err[256];
	int status;

	if (run_parse(argc, argv, &o))
		return VMM_EXIT_USAGE;
	if (!o.restore && run_check_ram(o.ram_size))
		return VMM_EXIT_ERROR;
	/* Before any thread exists: all of them inherit the blocked signals. */
	vmm_block_signals();
	m.save = o.save != NULL;
	/* a snapshot's or a migrated guest's controllers are haxm run's own */
	m.irqchip = o.restore || o.listen ? VMM_IRQCHIP_USER : o.irqchip;
	mig.path = o.migrate_to;
	mig.c.rfd = mig.c.wfd = -1;
	m.migrate = o.migrate_to ? &mig : NULL;
	if (o.listen) {
		m.vm_fd = -1;
		if (run_migrate_in(&m, &o))
			return VMM_EXIT_ERROR;
	} else if (o.restore) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (run_restore(&m, o.restore))
			return VMM_EXIT_ERROR;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* the file checked, the VM made, its states loaded: the guest runs next */
		if (o.stats)
			fprintf(stderr, "haxm run: restored in %.3f ms%s\n",
				(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
				run_kernel_chips(&m));
	} else if (vmm_create(&m, o.ram_size, o.cpus, STDOUT_FILENO, err, sizeof(err))) {
		fprintf(stderr, "haxm run: %s\n", err);
		return VMM_EXIT_ERROR;
	} else if (o.cpus > 1 && o.kernel && m.irqchip != VMM_IRQCHIP_KERNEL) {
		fprintf(stderr,
			"haxm run: --cpus %d: Linux starts its other vCPUs through a "
			"local APIC, and this haxm module has no in-kernel one\n",
			o.cpus);
		vmm_destroy(&m);
		return VMM_EXIT_ERROR;
	} else if (run_load(&m, &o)) {
		vmm_destroy(&m);
		return VMM_EXIT_ERROR;
	}
	if (!m.intr_supported && o.kernel)
		fprintf(stderr, "haxm run: warning: this haxm module cannot inject interrupts "
				"(no HAX_VCPU_IOCTL_INTERRUPT): no timer or serial input\n");
	if (term_start(&m)) {
		fprintf(stderr, "haxm run: cannot start the terminal thread\n");
		vmm_destroy(&m);
		return VMM_EXIT_ERROR;
	}
	status = vmm_run(&m);
	if (status == VMM_EXIT_MIGRATE)
		status = run_migrate_out(&m, &o);
	term_stop();
	if (status == VMM_EXIT_SAVE) {
		char why[100];

		status = snap_save(&m, o.save, err, sizeof(err)) ? VMM_EXIT_ERROR : 0;
		if (status)
			fprintf(stderr, "\nhaxm run: --save: %s\n", err);
		snprintf(why, sizeof(why), "%.99s", m.exit_why);
		snprintf(m.exit_why, sizeof(m.exit_why), "%s: %s", why,
			 status ? "snapshot not saved" : "snapshot saved");
	}
	fprintf(stderr, "\nhaxm run: %s (exit status %d)\n", m.exit_why, status);
	if (o.stats)
		vmm_print_stats(&m, stderr);
	vmm_destroy(&m);
	return status;
}
