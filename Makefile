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

CC ?= gcc
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude/uapi -Ilib
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror -Itests/unit -Icore -Iinclude/uapi -Ilib

LIB_SRC := lib/libhaxm.c
TOOL_SRC := $(wildcard tools/haxm/*.c)
GUEST_SRC := $(wildcard $(TESTBED)/guest/*.c)
CORE_SRC := $(wildcard core/*.c core/*/*.c core/*/*.S)
CORE_HDR := $(wildcard core/*.h core/*/*.h platform/linux/*.h include/uapi/*.h)
PAYLOAD_BIN := $(B)/haxm-test $(B)/haxm-bench $(B)/haxm-fuzz $(B)/haxm
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(filter-out tests/unit/os_user.c,$(wildcard tests/unit/test_*.c)))

.PHONY: all deps kernel module lib tools unit test test-unit test-testbed test-debug test-qemu qemu bench fuzz demo fmt clean help
all: module lib tools $(PAYLOAD_BIN) $(UNIT_TESTS)

help:
	@echo "make            build haxm.ko (for the testbed kernel), libhaxm, the haxm tool, the tests"
	@echo "make test       unit tests, then the testbed with 1 and 2 emulated CPUs"
	@echo "make test-qemu  unmodified QEMU -accel hax in the testbed: all variants + hax/kvm/tcg timing"
	@echo "make test-debug the suite on a KASAN/lockdep/kmemleak kernel (slow; writes docs/debug-kernel.md)"
	@echo "make bench      haxm vs kvm_intel side by side in the testbed (SHORT=1: a quick run)"
	@echo "make fuzz       the long ABI fuzzer run (1e6 calls) in the testbed"
	@echo "make demo       boot the testbed (or use this host's VT-x) and run a demo guest"
	@echo "make fmt        clang-format every C file"

deps:
	@$(TESTBED)/deps.sh

kernel: deps
	@$(TESTBED)/kernel.sh >/dev/null

# ---- the module ---------------------------------------------------------
module: haxm.ko
haxm.ko: $(CORE_SRC) $(CORE_HDR) $(wildcard platform/linux/*.c) Kbuild | kernel
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# ---- user space -----------------------------------------------------------
lib: $(B)/libhaxm.a
$(B)/libhaxm.a: $(LIB_SRC) lib/libhaxm.h include/uapi/haxm.h
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -c $(LIB_SRC) -o $(B)/libhaxm.o
	ar rcs $@ $(B)/libhaxm.o

tools: $(B)/haxm
$(B)/haxm: $(TOOL_SRC) $(wildcard tools/haxm/*.h) $(B)/libhaxm.a
	$(CC) $(CFLAGS) -Itools/haxm -static $(TOOL_SRC) $(B)/libhaxm.a -o $@

$(B)/haxm-bench: $(wildcard $(TESTBED)/bench/*.[ch]) $(B)/libhaxm.a
	$(CC) $(CFLAGS) -static $(wildcard $(TESTBED)/bench/*.c) $(B)/libhaxm.a -o $@

$(B)/haxm-fuzz: $(wildcard $(TESTBED)/fuzz/*.[ch]) include/uapi/haxm.h
	$(CC) $(CFLAGS) -static -pthread $(wildcard $(TESTBED)/fuzz/*.c) -o $@

$(B)/haxm-test: $(GUEST_SRC) $(wildcard $(TESTBED)/guest/*.h) $(B)/libhaxm.a
	$(CC) $(CFLAGS) -static -pthread $(GUEST_SRC) $(B)/libhaxm.a -o $@

# ---- unit tests: the core built for user space ---------------------------
$(B)/unit/core.a: $(CORE_SRC) $(CORE_HDR) tests/unit/os_user.c $(wildcard tests/unit/*.h)
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
$(B)/payload: haxm.ko $(PAYLOAD_BIN) $(TESTBED)/payload/run
	@rm -rf $@ && mkdir -p $@
	cp haxm.ko $(PAYLOAD_BIN) $(TESTBED)/payload/* $@/

$(B)/testbed.cpio: $(B)/payload $(TESTBED)/init $(TESTBED)/mkinitramfs.sh
	$(TESTBED)/mkinitramfs.sh $@ $(B)/payload

# One boot with $(CPUS) CPUs running the in-guest suite, or the tests whose
# names start with one of TEST=a,b,...
test-testbed: $(B)/testbed.cpio
	$(TESTBED)/run.sh --cpus $(CPUS) --initramfs $(B)/testbed.cpio \
		--append "haxm.kvm=1 $(if $(TEST),haxm.test=$(TEST))" \
		--log $(B)/testbed-$(CPUS)cpu.log

# Unit tests, then the testbed (and one boot running QEMU); the totals of
# all are printed last.
test: deps all $(B)/testbed.cpio $(B)/testbed-qemu.cpio
	@SUMMARY=$(B)/unit/summary tests/unit/run.sh $(UNIT_TESTS) || true
	@QEMU_INITRD=$(B)/testbed-qemu.cpio $(TESTBED)/suite.sh $(B)/testbed.cpio $$(cat $(B)/unit/summary)

# ---- unmodified QEMU -accel hax (built once into $(HAXM_CACHE)/qemu) ------
QEMU_BIN := $(HAXM_CACHE)/qemu/install/bin/qemu-system-x86_64
qemu: deps
	@$(TESTBED)/qemu.sh >/dev/null
$(QEMU_BIN): $(TESTBED)/qemu.sh
	@$(TESTBED)/qemu.sh >/dev/null
$(B)/qemu-payload: haxm.ko $(QEMU_BIN) $(TESTBED)/qemu-payload.sh $(wildcard $(TESTBED)/qemu/*)
	@$(TESTBED)/qemu-payload.sh $@ haxm.ko
$(B)/testbed-qemu.cpio: $(B)/qemu-payload $(TESTBED)/init $(TESTBED)/mkinitramfs.sh
	$(TESTBED)/mkinitramfs.sh $@ $(B)/qemu-payload

# Every QEMU test (make test runs a subset: refuse, init, boot), with the
# hax/kvm/tcg comparison; TEST=a,b picks tests (see tests/testbed/qemu/run).
test-qemu: deps $(B)/testbed-qemu.cpio
	$(TESTBED)/run.sh --cpus 2 --timeout 3000 --initramfs $(B)/testbed-qemu.cpio \
		--append "haxm.test=$(or $(TEST),all)" --log $(B)/testbed-qemu.log

# haxm vs kvm_intel in one testbed boot; the full run rewrites
# docs/benchmarks.md, SHORT=1 only proves it works.
bench: deps $(B)/testbed.cpio
	@$(TESTBED)/bench.sh $(B)/testbed.cpio $(if $(SHORT),--short,docs/benchmarks.md)

# The suite on the debug kernel (KASAN, lockdep, kmemleak); records the
# result in docs/debug-kernel.md.
test-debug: deps all $(B)/payload
	@RESULTS=docs/debug-kernel.md $(TESTBED)/debug.sh $(B)/debug $(B)/payload

# The long ABI fuzzer run (a million calls; the short one is in make test).
fuzz: deps $(B)/testbed.cpio
	$(TESTBED)/run.sh --cpus 2 --timeout 6000 --initramfs $(B)/testbed.cpio \
		--append "haxm.test=fuzz" --log $(B)/fuzz.log

demo: deps
	@$(TESTBED)/demo.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
