// SPDX-License-Identifier: GPL-2.0
/*
 * libhaxm without the module: argument encoding, paths, errors, names.
 *
 * This file defines ioctl(), which the library's calls bind to. Unless a
 * test arms the fake, it passes the call on to the kernel (so fd -1 gets the
 * kernel's EBADF); armed, it records the request and returns a canned answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "libhaxm.h"

#define FAKE_FD 42

static struct {
	bool armed;
	int fd;
	unsigned long request;
	void *arg;
	unsigned char copy[1024]; /* *arg, as the call passed it */
	const void *reply;	  /* copied to *arg when set */
	size_t reply_size;
	int err; /* fail with this when non-zero */
} fake;

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fake.armed)
		return syscall(SYS_ioctl, fd, request, arg);
	fake.fd = fd;
	fake.request = request;
	fake.arg = arg;
	if (arg && _IOC_SIZE(request) <= sizeof(fake.copy))
		memcpy(fake.copy, arg, _IOC_SIZE(request));
	if (fake.err) {
		errno = fake.err;
		return -1;
	}
	if (fake.reply)
		memcpy(arg, fake.reply, fake.reply_size);
	return 0;
}

static int arm(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.armed = true;
	return 0;
}

static int disarm(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* ---- every wrapper: fd -1 is EBADF (the real kernel says so) ------------ */

#define EXPECT_EBADF(call)                      \
	do {                                    \
		errno = 0;                      \
		assert_int_equal((call), -1);   \
		assert_int_equal(errno, EBADF); \
	} while (0)

/* The complete vCPU state: too large for a test function's stack frame. */
static struct hax_vcpu_full_state full_state;

static void test_ebadf(void **state)
{
	struct hax_module_version v;
	struct hax_capabilityinfo c;
	struct hax_tunnel *t = (struct hax_tunnel *)&v;
	void *iobuf = &c;
	struct hax_msr_data msrs = { 0 };
	struct fx_layout fpu = { 0 };
	vcpu_state_t regs = { 0 };
	hax_debug_t dbg = { 0 };
	struct hax_cpuid cpuid = { 0 };
	uint32_t id = 7;

	(void)state;
	EXPECT_EBADF(hax_get_version(-1, &v));
	EXPECT_EBADF(hax_get_capability(-1, &c));
	EXPECT_EBADF(hax_create_vm(-1, &id));
	assert_int_equal(id, 7);
	EXPECT_EBADF(hax_destroy_vm(-1, 0));
	EXPECT_EBADF(hax_set_memlimit(-1, 1, 1024));
	EXPECT_EBADF(hax_notify_qemu_version(-1, 4, 4));
	EXPECT_EBADF(hax_create_vcpu(-1, 0));
	EXPECT_EBADF(hax_destroy_vcpu(-1, 0));
	EXPECT_EBADF(hax_alloc_ram(-1, 0x10000, 4096));
	EXPECT_EBADF(hax_add_ramblock(-1, 0x10000, 4096));
	EXPECT_EBADF(hax_set_ram(-1, 0, 4096, 0x10000, 0));
	EXPECT_EBADF(hax_set_ram2(-1, 0, 4096, 0x10000, 0));
	EXPECT_EBADF(hax_protect_ram(-1, 0, 4096, HAX_RAM_PERM_RW));
	EXPECT_EBADF(hax_dirty_log_start(-1, 0, 4096));
	EXPECT_EBADF(hax_dirty_log_get(-1, 0, 4096, NULL));
	EXPECT_EBADF(hax_dirty_log_stop(-1, 0, 4096));
	EXPECT_EBADF(hax_setup_tunnel(-1, &t, &iobuf));
	assert_ptr_equal(t, (struct hax_tunnel *)&v); /* untouched on failure */
	assert_ptr_equal(iobuf, &c);
	EXPECT_EBADF(hax_run(-1));
	EXPECT_EBADF(hax_get_regs(-1, &regs));
	EXPECT_EBADF(hax_set_regs(-1, &regs));
	EXPECT_EBADF(hax_get_state(-1, &full_state));
	EXPECT_EBADF(hax_set_state(-1, &full_state));
	EXPECT_EBADF(hax_get_fpu(-1, &fpu));
	EXPECT_EBADF(hax_set_fpu(-1, &fpu));
	EXPECT_EBADF(hax_get_msrs(-1, &msrs));
	EXPECT_EBADF(hax_set_msrs(-1, &msrs));
	EXPECT_EBADF(hax_interrupt(-1, 32));
	EXPECT_EBADF(hax_set_debug(-1, &dbg));
	EXPECT_EBADF(hax_set_cpuid(-1, &cpuid));
	EXPECT_EBADF(hax_get_cpuid(-1, &cpuid));
}

/* ---- paths ----------------------------------------------------------------- */

static void test_vm_path(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(hax_vm_path(buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "/dev/hax_vm/vm00");
	assert_int_equal(hax_vm_path(buf, sizeof(buf), 7), 0);
	assert_string_equal(buf, "/dev/hax_vm/vm07");
	assert_int_equal(hax_vm_path(buf, sizeof(buf), 63), 0);
	assert_string_equal(buf, "/dev/hax_vm/vm63");
	assert_int_equal(hax_vm_path(buf, sizeof(buf), 123), 0);
	assert_string_equal(buf, "/dev/hax_vm/vm123");
	/* 16 characters need 17 bytes. */
	assert_int_equal(hax_vm_path(buf, 17, 5), 0);
	assert_string_equal(buf, "/dev/hax_vm/vm05");
	errno = 0;
	assert_int_equal(hax_vm_path(buf, 16, 5), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(hax_vm_path(buf, sizeof(buf), 0x80000000u), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_vcpu_path(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(hax_vcpu_path(buf, sizeof(buf), 0, 0), 0);
	assert_string_equal(buf, "/dev/hax_vm00/vcpu00");
	assert_int_equal(hax_vcpu_path(buf, sizeof(buf), 1, 2), 0);
	assert_string_equal(buf, "/dev/hax_vm01/vcpu02");
	assert_int_equal(hax_vcpu_path(buf, sizeof(buf), 12, 63), 0);
	assert_string_equal(buf, "/dev/hax_vm12/vcpu63");
	assert_int_equal(hax_vcpu_path(buf, sizeof(buf), 100, 100), 0);
	assert_string_equal(buf, "/dev/hax_vm100/vcpu100");
	assert_int_equal(hax_vcpu_path(buf, 21, 3, 4), 0);
	assert_string_equal(buf, "/dev/hax_vm03/vcpu04");
	errno = 0;
	assert_int_equal(hax_vcpu_path(buf, 20, 3, 4), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(hax_vcpu_path(buf, sizeof(buf), 0x80000000u, 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(hax_vcpu_path(buf, sizeof(buf), 0, 0xffffffffu), -1);
	assert_int_equal(errno, EINVAL);
}

/* An id no path can hold fails before open(2). */
static void test_open_bad_ids(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(hax_open_vm(0x80000000u), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(hax_open_vcpu(0, 0x80000000u), -1);
	assert_int_equal(errno, EINVAL);
}

/* ---- what each wrapper hands the kernel -------------------------------------- */

static void test_sys_ioctls(void **state)
{
	struct hax_module_version v = { 0 }, v_reply = { 1, 4 };
	struct hax_capabilityinfo c = { 0 }, c_reply = { HAX_CAP_STATUS_WORKING, HAX_CAP_UG, 0, 0 };
	struct hax_set_memlimit ml;
	uint32_t id = 0, id_reply = 5;

	(void)state;
	fake.reply = &v_reply;
	fake.reply_size = sizeof(v_reply);
	assert_int_equal(hax_get_version(FAKE_FD, &v), 0);
	assert_int_equal(fake.fd, FAKE_FD);
	assert_int_equal(fake.request, HAX_IOCTL_VERSION);
	assert_int_equal(v.compat_version, 1);
	assert_int_equal(v.cur_version, 4);

	fake.reply = &c_reply;
	fake.reply_size = sizeof(c_reply);
	assert_int_equal(hax_get_capability(FAKE_FD, &c), 0);
	assert_int_equal(fake.request, HAX_IOCTL_CAPABILITY);
	assert_int_equal(c.wstatus, HAX_CAP_STATUS_WORKING);
	assert_int_equal(c.winfo, HAX_CAP_UG);

	fake.reply = &id_reply;
	fake.reply_size = sizeof(id_reply);
	assert_int_equal(hax_create_vm(FAKE_FD, &id), 0);
	assert_int_equal(fake.request, HAX_IOCTL_CREATE_VM);
	assert_int_equal(id, 5);
	fake.reply = NULL;

	assert_int_equal(hax_destroy_vm(FAKE_FD, 9), 0);
	assert_int_equal(fake.request, HAX_IOCTL_DESTROY_VM);
	assert_int_equal(*(uint32_t *)fake.copy, 9);

	assert_int_equal(hax_set_memlimit(FAKE_FD, 42, 2048), 0);
	assert_int_equal(fake.request, HAX_IOCTL_SET_MEMLIMIT);
	memcpy(&ml, fake.copy, sizeof(ml));
	assert_int_equal(ml.enable_memlimit, 1);
	assert_memory_equal(ml.pad, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(ml.memory_limit, 2048);
}

static void test_vm_ioctls(void **state)
{
	struct hax_qemu_version qv;
	struct hax_alloc_ram_info ai;
	struct hax_ramblock_info rb;
	struct hax_set_ram_info ri;
	struct hax_set_ram_info2 ri2;
	struct hax_protect_ram_info pi;
	struct hax_dirty_log dl;
	uint64_t bitmap[12];

	(void)state;
	assert_int_equal(hax_notify_qemu_version(FAKE_FD, 4, 2), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_NOTIFY_QEMU_VERSION);
	memcpy(&qv, fake.copy, sizeof(qv));
	assert_int_equal(qv.cur_version, 4);
	assert_int_equal(qv.least_version, 2);

	assert_int_equal(hax_create_vcpu(FAKE_FD, 3), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_VCPU_CREATE);
	assert_int_equal(*(uint32_t *)fake.copy, 3);

	assert_int_equal(hax_destroy_vcpu(FAKE_FD, 4), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_VCPU_DESTROY);
	assert_int_equal(*(uint32_t *)fake.copy, 4);

	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(hax_alloc_ram(FAKE_FD, 0x7f0000001000ull, 0x200000), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_ALLOC_RAM);
	memcpy(&ai, fake.copy, sizeof(ai));
	assert_int_equal(ai.size, 0x200000);
	assert_int_equal(ai.pad, 0);
	assert_int_equal(ai.va, 0x7f0000001000ull);

	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(hax_add_ramblock(FAKE_FD, 0x7f0000002000ull, 0x100000000ull), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_ADD_RAMBLOCK);
	memcpy(&rb, fake.copy, sizeof(rb));
	assert_int_equal(rb.start_va, 0x7f0000002000ull);
	assert_int_equal(rb.size, 0x100000000ull);
	assert_int_equal(rb.reserved, 0);

	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(
		hax_set_ram(FAKE_FD, 0xfffc0000, 0x40000, 0x7f0000003000ull, HAX_RAM_INFO_ROM), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_SET_RAM);
	memcpy(&ri, fake.copy, sizeof(ri));
	assert_int_equal(ri.pa_start, 0xfffc0000);
	assert_int_equal(ri.size, 0x40000);
	assert_int_equal(ri.flags, HAX_RAM_INFO_ROM);
	assert_memory_equal(ri.pad, "\0\0\0", 3);
	assert_int_equal(ri.va, 0x7f0000003000ull);

	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(
		hax_set_ram2(FAKE_FD, 0x100000000ull, 0x140000000ull, 0, HAX_RAM_INFO_INVALID), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_SET_RAM2);
	memcpy(&ri2, fake.copy, sizeof(ri2));
	assert_int_equal(ri2.pa_start, 0x100000000ull);
	assert_int_equal(ri2.size, 0x140000000ull);
	assert_int_equal(ri2.va, 0);
	assert_int_equal(ri2.flags, HAX_RAM_INFO_INVALID);
	assert_int_equal(ri2.reserved1, 0);
	assert_int_equal(ri2.reserved2, 0);

	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(hax_protect_ram(FAKE_FD, 0xa0000, 0x20000, HAX_RAM_PERM_R), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_PROTECT_RAM);
	memcpy(&pi, fake.copy, sizeof(pi));
	assert_int_equal(pi.pa_start, 0xa0000);
	assert_int_equal(pi.size, 0x20000);
	assert_int_equal(pi.flags, HAX_RAM_PERM_R);
	assert_int_equal(pi.reserved, 0);

	/* the extension: one struct, the bitmap only for GET */
	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(hax_dirty_log_start(FAKE_FD, 0x100000, 0x300000), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_DIRTY_LOG_START);
	memcpy(&dl, fake.copy, sizeof(dl));
	assert_int_equal(dl.pa_start, 0x100000);
	assert_int_equal(dl.size, 0x300000);
	assert_int_equal(dl.bitmap, 0);
	assert_int_equal(dl.flags, 0);
	assert_int_equal(dl.reserved, 0);
	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(hax_dirty_log_get(FAKE_FD, 0x100000, 0x300000, bitmap), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_DIRTY_LOG_GET);
	memcpy(&dl, fake.copy, sizeof(dl));
	assert_int_equal(dl.size, 0x300000);
	assert_int_equal(dl.bitmap, (uintptr_t)bitmap);
	assert_int_equal(dl.flags | dl.reserved, 0);
	memset(fake.copy, 0xff, sizeof(fake.copy));
	assert_int_equal(hax_dirty_log_stop(FAKE_FD, 0x100000, 0x300000), 0);
	assert_int_equal(fake.request, HAX_VM_IOCTL_DIRTY_LOG_STOP);
	memcpy(&dl, fake.copy, sizeof(dl));
	assert_int_equal(dl.pa_start, 0x100000);
	assert_int_equal(dl.bitmap | dl.flags | dl.reserved, 0);
}

static void test_setup_tunnel(void **state)
{
	static unsigned char pages[2][4096];
	struct hax_tunnel_info ti = {
		.va = (uintptr_t)pages[0],
		.io_va = (uintptr_t)pages[1],
		.size = 4096,
	};
	struct hax_tunnel *t = NULL;
	void *iobuf = NULL;

	(void)state;
	fake.reply = &ti;
	fake.reply_size = sizeof(ti);
	assert_int_equal(hax_setup_tunnel(FAKE_FD, &t, &iobuf), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_SETUP_TUNNEL);
	assert_ptr_equal(t, pages[0]);
	assert_ptr_equal(iobuf, pages[1]);
}

static void test_vcpu_ioctls(void **state)
{
	vcpu_state_t regs = { ._rip = 0xfff0 };
	struct fx_layout fpu = { .mxcsr = 0x1f80 };
	struct hax_msr_data msrs = { .nr_msr = 1, .entries = { { 0x174, 8 } } };
	hax_debug_t dbg = { .control = HAX_DEBUG_ENABLE | HAX_DEBUG_STEP };
	struct hax_cpuid cpuid = { .total = 0 };

	(void)state;
	assert_int_equal(hax_run(FAKE_FD), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_RUN);
	assert_null(fake.arg);

	assert_int_equal(hax_get_regs(FAKE_FD, &regs), 0);
	assert_int_equal(fake.request, HAX_VCPU_GET_REGS);
	assert_ptr_equal(fake.arg, &regs);
	assert_int_equal(hax_set_regs(FAKE_FD, &regs), 0);
	assert_int_equal(fake.request, HAX_VCPU_SET_REGS);
	assert_ptr_equal(fake.arg, &regs);
	assert_int_equal(((vcpu_state_t *)fake.copy)->_rip, 0xfff0);

	assert_int_equal(hax_get_fpu(FAKE_FD, &fpu), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_GET_FPU);
	assert_ptr_equal(fake.arg, &fpu);
	assert_int_equal(hax_set_fpu(FAKE_FD, &fpu), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_SET_FPU);
	assert_ptr_equal(fake.arg, &fpu);

	assert_int_equal(hax_get_msrs(FAKE_FD, &msrs), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_GET_MSRS);
	assert_ptr_equal(fake.arg, &msrs);
	assert_int_equal(hax_set_msrs(FAKE_FD, &msrs), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_SET_MSRS);
	assert_ptr_equal(fake.arg, &msrs);
	assert_int_equal(((struct hax_msr_data *)fake.copy)->nr_msr, 1);
	assert_int_equal(((struct hax_msr_data *)fake.copy)->entries[0].entry, 0x174);

	assert_int_equal(hax_interrupt(FAKE_FD, 0x30), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_INTERRUPT);
	assert_int_equal(*(uint32_t *)fake.copy, 0x30);

	assert_int_equal(hax_set_debug(FAKE_FD, &dbg), 0);
	assert_int_equal(fake.request, HAX_IOCTL_VCPU_DEBUG);
	assert_ptr_equal(fake.arg, &dbg);

	/* The CPUID ioctls take the address of a pointer to the table. */
	assert_int_equal(hax_set_cpuid(FAKE_FD, &cpuid), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_SET_CPUID);
	assert_ptr_equal(*(struct hax_cpuid **)fake.copy, &cpuid);
	assert_int_equal(hax_get_cpuid(FAKE_FD, &cpuid), 0);
	assert_int_equal(fake.request, HAX_VCPU_IOCTL_GET_CPUID);
	assert_ptr_equal(*(struct hax_cpuid **)fake.copy, &cpuid);
}

/* The kernel's errno reaches the caller, with -1. */
static void test_errno_passes_through(void **state)
{
	struct hax_tunnel *t = NULL;
	void *iobuf = NULL;

	(void)state;
	fake.err = ENXIO;
	errno = 0;
	assert_int_equal(hax_run(FAKE_FD), -1);
	assert_int_equal(errno, ENXIO);
	fake.err = EEXIST;
	errno = 0;
	assert_int_equal(hax_create_vcpu(FAKE_FD, 0), -1);
	assert_int_equal(errno, EEXIST);
	fake.err = ENOMEM;
	assert_int_equal(hax_setup_tunnel(FAKE_FD, &t, &iobuf), -1);
	assert_int_equal(errno, ENOMEM);
	assert_null(t);
	assert_null(iobuf);
}

/* ---- exit status names --------------------------------------------------------- */

static void test_exit_status_name(void **state)
{
	(void)state;
	assert_string_equal(hax_exit_status_name(HAX_EXIT_IO), "IO");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_MMIO), "MMIO");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_REALMODE), "REALMODE");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_INTERRUPT), "INTERRUPT");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_UNKNOWN), "UNKNOWN");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_HLT), "HLT");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_STATECHANGE), "STATECHANGE");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_PAUSED), "PAUSED");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_FAST_MMIO), "FAST_MMIO");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_PAGEFAULT), "PAGEFAULT");
	assert_string_equal(hax_exit_status_name(HAX_EXIT_DEBUG), "DEBUG");
	assert_string_equal(hax_exit_status_name(0), "invalid");
	assert_string_equal(hax_exit_status_name(12), "invalid");
	assert_string_equal(hax_exit_status_name(0xffffffffu), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ebadf, disarm, disarm),
		cmocka_unit_test(test_vm_path),
		cmocka_unit_test(test_vcpu_path),
		cmocka_unit_test(test_open_bad_ids),
		cmocka_unit_test_setup_teardown(test_sys_ioctls, arm, disarm),
		cmocka_unit_test_setup_teardown(test_vm_ioctls, arm, disarm),
		cmocka_unit_test_setup_teardown(test_setup_tunnel, arm, disarm),
		cmocka_unit_test_setup_teardown(test_vcpu_ioctls, arm, disarm),
		cmocka_unit_test_setup_teardown(test_errno_passes_through, arm, disarm),
		cmocka_unit_test(test_exit_status_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
