#!/bin/sh
# In the testbed, haxm loaded: the haxm-tools package installed and removed
# with busybox's dpkg; the udev rule of haxm-dkms applied to /dev/HAX (by
# busybox mdev: the testbed has no udev; the owner, group and mode come from
# the rule file itself), then a member of group haxm runs a guest and a
# non-member cannot open /dev/HAX.
. /lib/testbed.sh
cd /payload
TOOLS=$(ls haxm-tools_*_amd64.deb) DKMS=$(ls haxm-dkms_*_all.deb)

mkdir -p /var/lib/dpkg/info /var/lib/dpkg/updates && touch /var/lib/dpkg/status
check pkg-dpkg-install-tools dpkg -i "$TOOLS"
VER=${TOOLS#haxm-tools_} VER=${VER%_amd64.deb}
# dpkg's record of the package: installed, this version
installed_ok() {
    st=$(sed -n '/^Package: haxm-tools$/,/^$/p' /var/lib/dpkg/status)
    echo "$st" | grep -qx 'Status: install ok installed' && echo "$st" | grep -qx "Version: $VER"
}
check pkg-dpkg-status installed_ok
check pkg-installed-files sh -c '[ -x /usr/bin/haxm ] && [ -f /usr/lib/libhaxm.a ] &&
    [ -f /usr/include/haxm/libhaxm.h ] && [ -f /usr/share/man/man1/haxm.1.gz ]'
check pkg-installed-haxm-version sh -c '/usr/bin/haxm version | grep -q "^haxm module API 4"'
check pkg-installed-haxm-stat sh -c '/usr/bin/haxm stat --once | grep -q "all VMs since"'

# The udev rule, as the haxm-dkms package ships it.
mkdir -p /tmp/dkms && dpkg-deb -x "$DKMS" /tmp/dkms
RULE=/tmp/dkms/usr/lib/udev/rules.d/60-haxm.rules
field() { sed -n "s/^KERNEL==\"HAX\".* $1=\"\([^\"]*\)\".*/\1/p" "$RULE"; }
OWNER=$(field OWNER) GROUP=$(field GROUP) MODE=$(field MODE)
echo "pkg: udev rule gives /dev/HAX to $OWNER:$GROUP mode $MODE"
mkdir -p /etc
grep -q "^$GROUP:" /etc/group 2>/dev/null || {
    echo "root:x:0:0:root:/:/bin/sh" > /etc/passwd
    echo "tester:x:1000:1000::/tmp:/bin/sh" >> /etc/passwd
    echo "other:x:1001:1001::/tmp:/bin/sh" >> /etc/passwd
    printf 'root:x:0:\n%s:x:900:tester\ntester:x:1000:\nother:x:1001:\n' "$GROUP" > /etc/group
}
echo "HAX $OWNER:$GROUP $MODE" > /etc/mdev.conf
ACTION=add DEVPATH=/devices/virtual/misc/HAX SUBSYSTEM=misc mdev
check pkg-udev-rule-applied sh -c "[ \"\$(stat -c '%U:%G %a' /dev/HAX)\" = '$OWNER:$GROUP 660' ]"
# (its output is kept off the console: the harness's lines would count twice)
# (vm_and_vcpu_nodes: the VM's nodes are the creating user's, uid 1000 here)
member_runs_guest() {
    su -s /bin/sh tester -c './haxm-test demo_guest_prints vm_and_vcpu_nodes' >/tmp/su.out 2>&1 &&
        grep -q '^PASS: demo_guest_prints' /tmp/su.out &&
        grep -q '^PASS: vm_and_vcpu_nodes' /tmp/su.out
}
check pkg-group-member-runs-guest member_runs_guest
check pkg-non-member-refused sh -c 'su -s /bin/sh other -c true &&
    ! su -s /bin/sh other -c "exec 3</dev/HAX" 2>/dev/null'
rm -f /etc/mdev.conf

check pkg-dpkg-remove-tools sh -c 'dpkg -r haxm-tools && [ ! -e /usr/bin/haxm ] &&
    [ ! -e /usr/lib/libhaxm.a ]'
