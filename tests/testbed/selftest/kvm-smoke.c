/* Run a 6-byte real-mode guest under the reference KVM: out 0x10 then hlt.
 * Proves that nested VMX in Bochs works end to end.  Exit status 0 on success. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define FAIL(msg)            \
	do {                 \
		perror(msg); \
		return 1;    \
	} while (0)

int main(void)
{
	/* mov al, 42; out 0x10, al; hlt */
	static const unsigned char code[] = { 0xb0, 42, 0xe6, 0x10, 0xf4 };
	int kvm = open("/dev/kvm", O_RDWR), vm, vcpu, size;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	unsigned char *mem;

	if (kvm < 0)
		FAIL("open /dev/kvm");
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		FAIL("KVM_CREATE_VM");
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		FAIL("mmap");
	memcpy(mem, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){ .slot = 0,
						       .guest_phys_addr = 0x1000,
						       .memory_size = 0x1000,
						       .userspace_addr = (unsigned long)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		FAIL("KVM_SET_USER_MEMORY_REGION");
	if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		FAIL("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		FAIL("mmap vcpu");

	/* Real mode, CS base 0, start at 0x1000 */
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		FAIL("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		FAIL("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		FAIL("KVM_SET_REGS");

	for (int exits = 0; exits < 10; exits++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			FAIL("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			unsigned char v = *((unsigned char *)run + run->io.data_offset);
			if (run->io.port != 0x10 || v != 42) {
				fprintf(stderr, "unexpected out 0x%x, %u\n", run->io.port, v);
				return 1;
			}
			break;
		}
		case KVM_EXIT_HLT:
			return 0;
		default:
			fprintf(stderr, "unexpected exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	fprintf(stderr, "no HLT exit\n");
	return 1;
}
