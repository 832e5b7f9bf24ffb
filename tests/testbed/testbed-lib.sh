# Helpers for the testbed guest; installed as /lib/testbed.sh.
# Payload scripts use them with:  . /lib/testbed.sh
MODDIR=/lib/modules-haxm

# Load the reference KVM (irqbypass, kvm, kvm-intel); extra args go to kvm-intel.
load_kvm() {
    insmod $MODDIR/irqbypass.ko && insmod $MODDIR/kvm.ko && insmod $MODDIR/kvm-intel.ko "$@"
}

# Unload it again (VMX can be owned by only one hypervisor at a time).
unload_kvm() {
    rmmod kvm_intel && rmmod kvm && rmmod irqbypass
}

# Report one test: check NAME CMD... prints PASS: NAME or FAIL: NAME: exit status N
check() {
    name=$1; shift
    if "$@"; then echo "PASS: $name"; else echo "FAIL: $name: '$*' exited with $?"; fi
}
