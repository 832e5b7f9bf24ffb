# Helpers for the testbed guest; installed as /lib/testbed.sh.
# Payload scripts use them with:  . /lib/testbed.sh
MODDIR=/lib/modules-haxm

# MODULE.param=value words of the kernel command line, as "param=value":
# what modprobe would pass to insmod (the kernel passes them only to
# built-in code; busybox insmod does not read them).
cmdline_params() {
    for w in $(cat /proc/cmdline); do
        case "$w" in "$1".*=*) echo "${w#"$1".}" ;; esac
    done
}

# Load the reference KVM (irqbypass, kvm, kvm-intel); extra args go to kvm-intel.
load_kvm() {
    # shellcheck disable=SC2046
    insmod $MODDIR/irqbypass.ko && insmod $MODDIR/kvm.ko $(cmdline_params kvm) &&
        insmod $MODDIR/kvm-intel.ko $(cmdline_params kvm_intel) "$@"
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

# The bench's record of the mitigations in force, with haxm and kvm_intel
# loaded: the kernel's (vulnerabilities, with kvm_intel's L1TF part), haxm's
# choices, kvm_intel's L1D flush mode and kvm's iTLB multihit workaround
# (nx_huge_pages). BENCH-MIT: lines.
bench_mitigations() {
    (cd /sys/devices/system/cpu/vulnerabilities && grep . *) | sed 's/^/BENCH-MIT: kernel /'
    [ -r /sys/module/kvm_intel/parameters/vmentry_l1d_flush ] &&
        echo "BENCH-MIT: kvm_intel vmentry_l1d_flush $(cat /sys/module/kvm_intel/parameters/vmentry_l1d_flush)"
    [ -r /sys/module/kvm/parameters/nx_huge_pages ] &&
        echo "BENCH-MIT: kvm nx_huge_pages $(cat /sys/module/kvm/parameters/nx_huge_pages)"
    [ -r /sys/module/haxm/parameters/mitigations ] &&
        sed 's/^/BENCH-MIT: haxm /' /sys/module/haxm/parameters/mitigations
    dmesg | grep -E 'haxm: mitigation l1d: |kvm_intel: |L1TF' | sed 's/^/BENCH-MIT: dmesg /'
    true
}

# haxm_vcpu_counters PREFIX: per haxm vCPU, "PREFIX vmN/vcpuM: exits E
# to-user U guest-ms G" from debugfs (exits, those that went to user space,
# time in the guest): what tells a slow guest from a stuck one.
haxm_vcpu_counters() {
    for d in /sys/kernel/debug/haxm/vm*/vcpu*; do
        [ -d "$d" ] || continue
        echo "$1 ${d#/sys/kernel/debug/haxm/}: exits $(cat "$d/exits")" \
            "to-user $(cat "$d/exits_to_user") guest-ms $(($(cat "$d/guest_ns") / 1000000))"
    done
}
