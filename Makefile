# haxm: build, test and demo. `make help` lists the targets.
#
# The module builds against the testbed kernel (tests/testbed/kernel.sh builds
# it once into $(HAXM_CACHE)); pass KDIR=/lib/modules/$(uname -r)/build to
# build for the running kernel instead.

HAXM_CACHE ?= $(HOME)/.cache/haxm
export HAXM_CACHE
TESTBED := tests/testbed
B := build
KDIR ?= $(shell $(TESTBED)/kernel.sh --print-kdir)
CPUS ?= 1

VERSION := $(shell sed -n 's/^\#define HAXM_VERSION "\(.*\)"/\1/p' platform/linux/main.c)
DEB_TOOLS := $(B)/deb/haxm-tools_$(VERSION)_amd64.deb
DEB_DKMS := $(B)/deb/haxm-dkms_$(VERSION)_all.deb

CC ?= gcc
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude/uapi -Ilib
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror -Itests/unit -Iplatform/user -Icore -Iinclude/uapi -Ilib

LIB_SRC := lib/libhaxm.c
TOOL_SRC := $(wildcard tools/haxm/*.c)
# the core models haxm run's user-space PIC and PIT are (dev_pic.c, dev_pit.c)
TOOL_CORE := core/irqchip/pic.c core/irqchip/pit.c core/irqchip/isa_state.c
GUEST_SRC := $(wildcard $(TESTBED)/guest/*.c)
CORE_SRC := $(wildcard core/*.c core/*/*.c)
CORE_HDR := $(wildcard core/*.h core/*/*.h platform/linux/*.h include/uapi/*.h)
PAYLOAD_BIN := $(B)/haxm-test $(B)/haxm-bench $(B)/haxm-fuzz $(B)/haxm $(DEB_TOOLS) $(DEB_DKMS)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(filter-out tests/unit/os_user.c,$(wildcard tests/unit/test_*.c)))
# kvm-unit-tests from the peer suites beside the project (make test-kut)
PEER ?= ../shared/peer
KUT_TAR := $(firstword $(wildcard $(PEER)/kvm-unit-tests-*.tar.gz))
export KUT_TAR

.PHONY: all deps kernel module lib tools unit test test-unit test-build test-testbed test-distro test-distro-qemu test-debug test-kcsan bench bench-emulate fuzz fuzz-emulate torture test-qemu test-qemu-known-bad test-kut qemu demo fmt clean help
.PHONY: install uninstall install-module install-tools install-dkms install-udev deb test-install
all: module lib tools $(PAYLOAD_BIN) $(VMM_GUESTS) $(UNIT_TESTS)

help:
	@echo "make            build haxm.ko (for the testbed kernel), libhaxm, the haxm tool, the tests"
	@echo "make test       unit tests, the build matrix, then the testbed with 1 and 2 emulated CPUs, QEMU, Debian's 6.1"
	@echo "make test-build haxm.ko for Debian 12's kernels (6.1, rt, cloud, 6.12 backports) + objtool; core/ for win64"
	@echo "make test-distro  the suite on Debian's own kernel (DISTRO=6.1|6.12 or KVER=), haxm.ko built by DKMS;"
	@echo "                  QEMU_TEST=boot,smp2 adds those QEMU tests to the same boot"
	@echo "make test-distro-qemu  the QEMU tests alone on Debian's kernel (DISTRO=, TEST=)"
	@echo "make test-qemu  unmodified QEMU -accel hax in the testbed: all variants + hax/kvm/tcg timing"
	@echo "make test-qemu-known-bad  QEMU 7.2.22 (built on demand): its -smp hang under hax, expected"
	@echo "make test-kut   kvm-unit-tests (../shared/peer) under QEMU hax vs kvm (merged into docs/conformance.md; PART=K/N: a slice; TEST=a,b: those tests; KUT_CPUS=1: a 1-CPU testbed)"
	@echo "make test-debug the suite on a KASAN/lockdep/kmemleak kernel (slow; writes docs/debug-kernel.md)"
	@echo "make test-kcsan the suite on a KCSAN (data-race) kernel (slow; TEST=... for a subset)"
	@echo "make bench      haxm vs kvm_intel side by side in the testbed, mitigations on and off (SHORT=1: a quick run; ONLY=a,b: those workloads, no results file)"
	@echo "make fuzz       the long ABI fuzzer run (FUZZ_CALLS=1000000; FUZZ_SEED= to repeat one) in the testbed"
	@echo "make torture    the long guest torture run (10 000 random guests) in the testbed"
	@echo "make bench-emulate  host instructions per emulated MOV (callgrind)"
	@echo "make fuzz-emulate  the instruction emulator under libFuzzer (FUZZ_TIME=60 s)"
	@echo "make demo       boot the testbed (or use this host's VT-x) and run a demo guest"
	@echo "make fmt        clang-format every C file"
	@echo "make install    module, haxm tool, libhaxm, man pages, udev rule (KDIR: build for that kernel)"
	@echo "make uninstall  remove all of it; make install-dkms: the sources for DKMS"
	@echo "make deb        build/deb/haxm-dkms_*.deb and haxm-tools_*.deb"

deps:
	@$(TESTBED)/deps.sh

kernel: deps
	@$(TESTBED)/kernel.sh >/dev/null

# ---- the module ---------------------------------------------------------
# Warnings are errors here and in CI (HAXM_WERROR=1), not in DKMS builds.
module: haxm.ko
haxm.ko: $(CORE_SRC) $(CORE_HDR) $(wildcard platform/linux/*.[cS]) Kbuild | kernel
	$(MAKE) -C $(KDIR) M=$(CURDIR) HAXM_WERROR=1 modules

# The module against the kernels users have (Debian 12: 6.1 stock, rt and
# cloud, 6.12 from bookworm-backports; headers installed once), objtool on
# every object, and core/ compiled for a Windows x64 kernel-mode host.
test-build:
	@tests/build/matrix.sh

# ---- user space -----------------------------------------------------------
lib: $(B)/libhaxm.a
$(B)/libhaxm.a: $(LIB_SRC) lib/libhaxm.h include/uapi/haxm.h
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -c $(LIB_SRC) -o $(B)/libhaxm.o
	ar rcs $@ $(B)/libhaxm.o

tools: $(B)/haxm
$(B)/haxm: $(TOOL_SRC) $(TOOL_CORE) $(CORE_HDR) $(wildcard tools/haxm/*.h platform/user/*.h) $(B)/libhaxm.a
	$(CC) $(CFLAGS) -Itools/haxm -Iplatform/user -Icore -static $(TOOL_SRC) $(TOOL_CORE) $(B)/libhaxm.a -o $@

$(B)/haxm-bench: $(wildcard $(TESTBED)/bench/*.[ch]) $(B)/libhaxm.a
	$(CC) $(CFLAGS) -static $(wildcard $(TESTBED)/bench/*.c) $(B)/libhaxm.a -o $@

$(B)/haxm-fuzz: $(wildcard $(TESTBED)/fuzz/*.[ch]) include/uapi/haxm.h
	$(CC) $(CFLAGS) -static -pthread $(wildcard $(TESTBED)/fuzz/*.c) -o $@

$(B)/haxm-test: $(GUEST_SRC) $(wildcard $(TESTBED)/guest/*.h) $(B)/libhaxm.a
	$(CC) $(CFLAGS) -static -pthread $(GUEST_SRC) $(B)/libhaxm.a -o $@

# ---- guest images for `haxm run` tests (tests/testbed/vmm/) ----------------
VMM_DIR := $(TESTBED)/vmm
VMM_GUESTS := $(addprefix $(B)/vmm/,hello16.bin triple16.bin kbdreset16.bin cf9reset16.bin mb.elf)
GUEST_AS := $(CC) -m32 -c
$(B)/vmm/hello16.bin: $(VMM_DIR)/hello16.S
	@mkdir -p $(B)/vmm
	$(GUEST_AS) $< -o $@.o && ld -m elf_i386 -Ttext=0 --oformat=binary $@.o -o $@
$(B)/vmm/%16.bin: $(VMM_DIR)/crash16.S
	@mkdir -p $(B)/vmm
	$(GUEST_AS) -D$(if $(filter triple,$*),TRIPLE,$(if $(filter kbdreset,$*),KBD,CF9)) $< -o $@.o
	ld -m elf_i386 -Ttext=0 --oformat=binary $@.o -o $@
$(B)/vmm/mb.elf: $(VMM_DIR)/mb_entry.S $(VMM_DIR)/mb_kernel.c $(VMM_DIR)/mb.ld tools/haxm/multiboot.h
	@mkdir -p $(B)/vmm
	$(GUEST_AS) $(VMM_DIR)/mb_entry.S -o $(B)/vmm/mb_entry.o
	$(GUEST_AS) -ffreestanding -fno-pic -fno-pie -fno-stack-protector -nostdlib -O2 \
		-Wall -Wextra -Werror -Itools/haxm $(VMM_DIR)/mb_kernel.c -o $(B)/vmm/mb_kernel.o
	ld -m elf_i386 -z noexecstack -T $(VMM_DIR)/mb.ld $(B)/vmm/mb_entry.o $(B)/vmm/mb_kernel.o -o $@

# ---- unit tests: the core built for user space ---------------------------
$(B)/unit/core.a: $(CORE_SRC) $(CORE_HDR) tests/unit/os_user.c $(wildcard tests/unit/*.h platform/user/*.h)
	@mkdir -p $(B)/unit/obj
	cd $(B)/unit/obj && rm -f *.o && $(CC) $(UNIT_CFLAGS:-I%=-I$(CURDIR)/%) -c \
		$(addprefix $(CURDIR)/,$(CORE_SRC) tests/unit/os_user.c)
	ar rcs $@ $(B)/unit/obj/*.o

$(B)/unit/test_%: tests/unit/test_%.c $(B)/unit/core.a $(B)/libhaxm.a
	$(CC) $(UNIT_CFLAGS) -Itools/haxm $< $(filter-out tools/haxm/main.c,$(TOOL_SRC)) \
		$(B)/unit/core.a $(B)/libhaxm.a -lcmocka -lpthread -o $@

test-unit: $(UNIT_TESTS)
	@SUMMARY=$(B)/unit/summary tests/unit/run.sh $(UNIT_TESTS)

# ---- the testbed ------------------------------------------------------------
# what every testbed initramfs is made of besides its payload
INITRAMFS_DEPS := $(TESTBED)/init $(TESTBED)/mkinitramfs.sh $(TESTBED)/testbed-lib.sh
$(B)/payload: haxm.ko $(PAYLOAD_BIN) $(VMM_GUESTS) $(wildcard $(TESTBED)/payload/*)
	@rm -rf $@ && mkdir -p $@
	cp haxm.ko $(PAYLOAD_BIN) $(VMM_GUESTS) $(TESTBED)/payload/* $@/
	cp $(KDIR)/arch/x86/boot/bzImage $@/bzImage  # the Linux guest of haxm run

$(B)/testbed.cpio: $(B)/payload $(INITRAMFS_DEPS)
	$(TESTBED)/mkinitramfs.sh $@ $(B)/payload

# One boot with $(CPUS) CPUs running the in-guest suite, or the tests whose
# names start with one of TEST=a,b,...
test-testbed: $(B)/testbed.cpio
	$(TESTBED)/run.sh --cpus $(CPUS) --timeout 1500 --initramfs $(B)/testbed.cpio \
		--append "haxm.kvm=1 $(if $(TEST),haxm.test=$(TEST)) $(APPEND)" \
		--log $(B)/testbed-$(CPUS)cpu.log

# Unit tests, the host-side install/package tests, the build matrix, then
# the testbed; the totals of all are printed last.
test: deps all $(B)/testbed.cpio $(B)/testbed-qemu.cpio $(if $(KUT_TAR),$(B)/testbed-kut.cpio) $(DEB_TOOLS)
	@SUMMARY=$(B)/unit/summary tests/unit/run.sh $(UNIT_TESTS) || true
	@SUMMARY=$(B)/unit/summary tests/pkg/test-install.sh || true
	@SUMMARY=$(B)/unit/summary tests/build/matrix.sh || true
	@$(if $(KUT_TAR),,$(TESTBED)/kut.sh)
	@QEMU_INITRD=$(B)/testbed-qemu.cpio DISTRO_PAYLOAD=$(B)/payload QEMU_PAYLOAD=$(B)/qemu-payload \
		$(if $(KUT_TAR),KUT_INITRD=$(B)/testbed-kut.cpio) \
		$(TESTBED)/suite.sh $(B)/testbed.cpio $$(cat $(B)/unit/summary)

# ---- Debian's prebuilt kernels (tests/testbed/distro.sh) --------------------
# The whole suite on Debian's kernel: DISTRO=6.1 (that of the installed
# linux-headers-amd64), DISTRO=6.12 (bookworm-backports) or KVER=6.1.0-NN-amd64;
# haxm.ko is what DKMS builds from the haxm-dkms package for it. 2 CPUs
# unless CPUS= is given; TEST= and APPEND= as for test-testbed. QEMU_TEST=a,b:
# after the suite, the same boot runs those QEMU tests (tests/testbed/qemu/run).
DISTRO ?= 6.1
DISTRO_K = $(if $(filter command line,$(origin KVER)),$(KVER),$(DISTRO))
DISTRO_CPUS = $(if $(filter command line,$(origin CPUS)),$(CPUS),2)
test-distro: deps $(B)/payload $(if $(QEMU_TEST),$(B)/qemu-payload)
	$(if $(QEMU_TEST),QEMU_PAYLOAD=$(B)/qemu-payload) \
	$(TESTBED)/distro.sh boot $(DISTRO_K) $(B)/payload $(B)/distro-$(DISTRO_K) \
		--cpus $(DISTRO_CPUS) --timeout 3600 \
		--append "haxm.kvm=1 $(if $(TEST),haxm.test=$(TEST)) $(if $(QEMU_TEST),haxm.qemu=$(QEMU_TEST)) $(APPEND)" \
		--log $(B)/distro-$(DISTRO_K).log

# The QEMU tests alone on Debian's kernel (TEST=a,b: qemu/run's names; the CI
# set of make test's QEMU boot by default), haxm.ko built by DKMS from the
# suite payload's haxm-dkms package.
test-distro-qemu: deps $(B)/payload $(B)/qemu-payload
	HAXM_DKMS_DEB=$$(ls $(B)/payload/haxm-dkms_*_all.deb) \
	$(TESTBED)/distro.sh boot $(DISTRO_K) $(B)/qemu-payload $(B)/distro-qemu-$(DISTRO_K) \
		--cpus $(DISTRO_CPUS) --timeout 3600 \
		--append "$(if $(TEST),haxm.test=$(TEST)) $(APPEND)" \
		--log $(B)/distro-qemu-$(DISTRO_K).log

# ---- unmodified QEMU -accel hax (built once into $(HAXM_CACHE)/qemu) ------
QEMU_BIN := $(HAXM_CACHE)/qemu/install/bin/qemu-system-x86_64
qemu: deps
	@$(TESTBED)/qemu.sh
$(QEMU_BIN): $(TESTBED)/qemu.sh
	@$(TESTBED)/qemu.sh
$(B)/qemu-payload: haxm.ko $(QEMU_BIN) $(TESTBED)/qemu-payload.sh $(wildcard $(TESTBED)/qemu/*)
	@$(TESTBED)/qemu-payload.sh $@ haxm.ko
$(B)/testbed-qemu.cpio: $(B)/qemu-payload $(INITRAMFS_DEPS)
	$(TESTBED)/mkinitramfs.sh $@ $(B)/qemu-payload

# Every QEMU test, with the hax/kvm/tcg comparison (make test runs the CI set:
# refusal, HAX init, Linux boots to a shell with 1 and 2 vCPUs); TEST=a,b
# picks tests (see tests/testbed/qemu/run).
test-qemu: deps $(B)/testbed-qemu.cpio
	$(TESTBED)/run.sh --cpus 2 --timeout 3000 --initramfs $(B)/testbed-qemu.cpio \
		--append "haxm.test=$(or $(TEST),all) $(APPEND)" --log $(B)/testbed-qemu.log

# QEMU 7.2.22 as Debian ships it, the known-bad client (issue 17): built on
# demand (its own 20-45 minutes), then its -smp 2 hang under hax shown by a
# test that expects it (qemu/run's knownbad_test)
test-qemu-known-bad: deps
	@QEMU_RELEASE=7.2.22 $(TESTBED)/qemu.sh
	rm -rf $(B)/qemu-payload
	$(MAKE) test-qemu TEST=knownbad

# kvm-unit-tests (issue 20) from ../shared/peer (never copied into the tree):
# each x86_64 test of its unittests.cfg under QEMU -accel hax and -accel kvm
# in one testbed boot; the side-by-side table goes to docs/conformance.md.
# PART=K/N runs the K-th of N slices of the list (one boot each), merged
# into docs/conformance.md row by row, each row with its date and commit.
# TEST=a,b runs those tests only (merged only with RESULTS=FILE); make test runs
# tests/testbed/kut/ci.list. Without the tarball: a SKIP line. PEER=DIR
# when the peer suites are elsewhere (a worktree further down); PEER and
# KUT_TAR are set at the top (make test's prerequisites use them).
$(B)/kut-payload: $(B)/qemu-payload $(TESTBED)/kut.sh $(TESTBED)/kut.py $(wildcard $(TESTBED)/kut/*) $(KUT_TAR)
	@$(TESTBED)/kut.sh payload $@ $(B)/qemu-payload
$(B)/testbed-kut.cpio: $(B)/kut-payload $(INITRAMFS_DEPS)
	$(TESTBED)/mkinitramfs.sh $@ $(B)/kut-payload
test-kut: deps
ifeq ($(KUT_TAR),)
	@$(TESTBED)/kut.sh
else
	@$(MAKE) --no-print-directory $(B)/testbed-kut.cpio
	@$(TESTBED)/kut.sh test $(B)/testbed-kut.cpio $(or $(TEST),$(if $(PART),part:$(PART),all)) \
		$(or $(RESULTS),$(if $(TEST),,docs/conformance.md))
endif

# The instruction emulator under libFuzzer (ASan+UBSan); FUZZ_TIME seconds.
FUZZ_TIME ?= 60
$(B)/fuzz-emulate: tests/fuzz/fuzz_emulate.c tests/unit/emu_fuzz_body.h $(wildcard core/emulate/*.[ch])
	@mkdir -p $(B)/fuzz-corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Itests/unit -Iplatform/user \
		-Icore tests/fuzz/fuzz_emulate.c $(wildcard core/emulate/*.c) -o $@
fuzz-emulate: $(B)/fuzz-emulate
	$(B)/fuzz-emulate -max_total_time=$(FUZZ_TIME) -max_len=64 $(B)/fuzz-corpus \
		tests/fuzz/regress/emulate

# The emulator's cost per register-to-MMIO MOV, in host instructions (callgrind).
$(B)/bench-emulate: tests/bench/bench_emulate.c $(wildcard core/emulate/*.[ch])
	$(CC) -std=gnu11 -O2 -g -Itests/unit -Iplatform/user -Icore $< $(wildcard core/emulate/*.c) -o $@
bench-emulate: $(B)/bench-emulate
	@valgrind --tool=callgrind --toggle-collect=emu_step --callgrind-out-file=$(B)/callgrind.emu \
		$(B)/bench-emulate 2>&1 | grep -E 'bench-emulate|Collected'
	@awk '/^summary:/ { printf "bench-emulate: %.0f host instructions per emulated MOV\n", $$2 / 10000 }' \
		$(B)/callgrind.emu

# haxm vs kvm_intel in a testbed boot with the kernel's default mitigations
# and one with mitigations=off; the full run rewrites docs/benchmarks.md,
# SHORT=1 only proves it works, ONLY=a,b runs some workloads in the first.
# The full run's linux-boot row (two more boots, BENCH_LINUX_OFF=0: only the
# first): the QEMU payload with bench/linux-run. BENCH_APPEND="kvm.X=Y ..."
# adds to every boot's command line (haxm., kvm_intel., kvm. parameters).
$(B)/bench-linux.cpio: $(B)/qemu-payload $(B)/haxm-bench $(B)/haxm $(TESTBED)/bench/linux-run $(INITRAMFS_DEPS)
	rm -rf $(B)/bench-linux && cp -a $(B)/qemu-payload $(B)/bench-linux
	install -m 755 $(TESTBED)/bench/linux-run $(B)/bench-linux/run
	cp $(B)/haxm-bench $(B)/haxm $(B)/bench-linux/
	$(TESTBED)/mkinitramfs.sh $@ $(B)/bench-linux
BENCH_FULL := $(if $(SHORT)$(ONLY),,1)
bench: deps $(B)/testbed.cpio $(if $(BENCH_FULL),$(B)/bench-linux.cpio)
	@$(TESTBED)/bench.sh $(B)/testbed.cpio $(if $(SHORT),--short,$(if $(ONLY),--only=$(ONLY),docs/benchmarks.md $(B)/bench-linux.cpio))

# The suite on the debug kernel (KASAN, lockdep, kmemleak); records the
# result in docs/debug-kernel.md.
test-debug: deps all $(B)/payload
	@RESULTS=docs/debug-kernel.md TEST="$(TEST)" $(TESTBED)/debug.sh $(B)/debug $(B)/payload

# The suite (or TEST=...) on the KCSAN kernel (data races); records the result
# in the "Last KCSAN run" section of docs/debug-kernel.md.
test-kcsan: deps all $(B)/payload
	@HAXM_KERNEL=kcsan RESULTS=docs/debug-kernel.md RESULTS_SECTION="## Last KCSAN run" \
		TEST="$(TEST)" $(TESTBED)/debug.sh $(B)/kcsan $(B)/payload

# The long ABI fuzzer run (a million calls, or FUZZ_CALLS; the short one is
# in make test).
FUZZ_CALLS ?= 1000000
fuzz: deps $(B)/testbed.cpio
	$(TESTBED)/run.sh --cpus 2 --timeout 6000 --initramfs $(B)/testbed.cpio \
		--append "haxm.test=fuzz:$(FUZZ_CALLS)$(if $(FUZZ_SEED),:$(FUZZ_SEED))" --log $(B)/fuzz.log

# The long guest torture run (10 000 random guests; 300 are in make test).
torture: deps $(B)/testbed.cpio
	$(TESTBED)/run.sh --cpus 2 --timeout 6000 --initramfs $(B)/testbed.cpio \
		--append "haxm.test=torture-long" --log $(B)/torture.log

demo: deps
	@$(TESTBED)/demo.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

# ---- install (DESTDIR for staging; the group and depmod only when it is empty) --
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
UDEVDIR ?= /usr/lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
MODLOADDIR ?= /usr/lib/modules-load.d
DKMSDIR ?= /usr/src/haxm-$(VERSION)
# The kernel haxm.ko was built for (its vermagic), not necessarily uname -r.
KVER = $(shell /sbin/modinfo -F vermagic haxm.ko | cut -d' ' -f1)
MODDIR = /lib/modules/$(KVER)/extra
DKMS_SRC := Kbuild $(CORE_SRC) $(CORE_HDR) $(wildcard platform/linux/*.[cS])
# Everything install puts in place, for uninstall.
INSTALLED = $(BINDIR)/haxm $(LIBDIR)/libhaxm.a $(LIBDIR)/pkgconfig/libhaxm.pc \
	$(INCLUDEDIR)/haxm/libhaxm.h $(INCLUDEDIR)/haxm/haxm.h $(MANDIR)/man1/haxm.1 \
	$(MANDIR)/man3/libhaxm.3 $(UDEVDIR)/60-haxm.rules $(SYSUSERSDIR)/haxm.conf

install: install-module install-tools install-udev

install-module: haxm.ko
	install -D -m 644 haxm.ko $(DESTDIR)$(MODDIR)/haxm.ko
	$(if $(DESTDIR),,/sbin/depmod -a $(KVER))

install-tools: $(B)/haxm $(B)/libhaxm.a
	install -D -m 755 $(B)/haxm $(DESTDIR)$(BINDIR)/haxm
	install -D -m 644 $(B)/libhaxm.a $(DESTDIR)$(LIBDIR)/libhaxm.a
	install -D -m 644 lib/libhaxm.h $(DESTDIR)$(INCLUDEDIR)/haxm/libhaxm.h
	install -D -m 644 include/uapi/haxm.h $(DESTDIR)$(INCLUDEDIR)/haxm/haxm.h
	@mkdir -p $(DESTDIR)$(LIBDIR)/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(VERSION)|; s|^libdir=.*|libdir=$(LIBDIR)|; s|^includedir=.*|includedir=$(INCLUDEDIR)|' \
		lib/libhaxm.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libhaxm.pc
	install -D -m 644 docs/man/haxm.1 $(DESTDIR)$(MANDIR)/man1/haxm.1
	install -D -m 644 docs/man/libhaxm.3 $(DESTDIR)$(MANDIR)/man3/libhaxm.3

# /dev/HAX as root:haxm 0660; the group is made now (groupadd) and at boot
# by systemd-sysusers.
install-udev:
	install -D -m 644 packaging/60-haxm.rules $(DESTDIR)$(UDEVDIR)/60-haxm.rules
	install -D -m 644 packaging/haxm-sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/haxm.conf
	$(if $(DESTDIR),,getent group haxm >/dev/null || groupadd --system haxm)
	$(if $(DESTDIR),,-udevadm control --reload 2>/dev/null && udevadm trigger --sysname-match=HAX 2>/dev/null)

# The module's sources and dkms.conf, for `dkms add/build/install haxm/$(VERSION)`.
install-dkms:
	for f in $(DKMS_SRC); do install -D -m 644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit 1; done
	sed 's|@VERSION@|$(VERSION)|' packaging/dkms.conf.in > $(DESTDIR)$(DKMSDIR)/dkms.conf
	install -D -m 644 packaging/haxm-modules-load.conf $(DESTDIR)$(MODLOADDIR)/haxm.conf

# Removes what install and install-dkms put in place. The haxm group stays
# (users may be members; Debian never removes system groups either).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED)) $(DESTDIR)$(MODLOADDIR)/haxm.conf
	rm -f $(DESTDIR)/lib/modules/*/extra/haxm.ko
	-rmdir $(DESTDIR)$(INCLUDEDIR)/haxm 2>/dev/null
	rm -rf $(DESTDIR)$(DKMSDIR)
	$(if $(DESTDIR),,-/sbin/depmod -a $(KVER) 2>/dev/null)

# Debian packages haxm-dkms (sources, DKMS, udev rule) and haxm-tools (tool,
# library, man pages) in $(B)/deb; the testbed installs haxm-tools.
deb: $(DEB_TOOLS) $(DEB_DKMS)
$(DEB_TOOLS) $(DEB_DKMS) &: $(B)/haxm $(B)/libhaxm.a $(DKMS_SRC) \
		$(wildcard packaging/* packaging/debian/* docs/man/*) lib/libhaxm.pc.in
	packaging/mkdeb.sh $(B)/deb $(VERSION)

# Host-side checks of install/uninstall, the packages and DKMS (when installed).
test-install: $(DEB_TOOLS) $(DEB_DKMS)
	tests/pkg/test-install.sh

clean:
	rm -rf $(B)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
