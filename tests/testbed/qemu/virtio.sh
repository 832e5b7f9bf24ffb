# Sourced by run (after monitor.sh): the guest's virtio devices, as QEMU's
# users run them, under hax and then the same under kvm. One QEMU per
# accelerator with a virtio-blk disk (a raw file in the testbed, INTx: the
# IO-APIC's level-triggered path through QEMU's APIC under hax) and a
# virtio-net NIC on QEMU's user network (slirp; MSI-X: the guest's writes
# to the APIC's MSI window). The guest side is qvirtio (in its initramfs).
# Uses run's now, since, fail, no_leak and monitor.sh's qstart, qwait,
# qtype, qend.

VPORT=${VPORT:-5555}

# virtio_test ACCEL: the guest puts a token in a file on an ext2 it makes on
# the disk, pings slirp's gateway 10.0.2.2 and sends a line over TCP to
# 10.0.2.2:VPORT, which slirp connects to the testbed's loopback where nc
# answers; then `reboot -f` (no -no-reboot: QEMU resets the machine) and,
# booted again, the guest reads the file back.
virtio_test() {
	accel=$1
	tok=$accel$$x$(date +%s)
	img=/tmp/vblk-$accel.img
	rm -f "$img"
	truncate -s 4M "$img"
	ip link set lo up
	printf '#!/bin/sh\nread l\necho "QTESTBED: got=$l"\n' >/tmp/vsrv
	chmod 755 /tmp/vsrv
	nc -l -p $VPORT -e /tmp/vsrv &
	lpid=$!
	qstart qemu-virtio-$accel -accel $accel ${QARGS% -no-reboot} $LINUX -append "$APPEND" \
		-m 128 -drive file=$img,format=raw,if=none,id=vd \
		-device virtio-blk-pci,drive=vd,vectors=0 \
		-netdev user,id=vn -device virtio-net-pci,netdev=vn,romfile=
	boot1=- boot2= net=
	# (the three results below say what failed)
	if qwait "QGUEST: shell ready"; then
		boot1=$(since "$start")
		qtype "qvirtio write $tok $VPORT; sleep 1; reboot -f"
		t0=$(now)
		if qwait "QGUEST: shell ready" 2 600; then
			boot2=$(since "$t0")
			qtype "qvirtio read; $QOFF"
		fi
	fi
	[ -n "$boot2" ] || qtype "poweroff -f"
	qend
	kill $lpid 2>/dev/null
	wait $lpid 2>/dev/null
	con=$(tr -d '\r' <"$out" | grep -v '^qvirtio\|qvirtio [a-z]')

	name=qemu-virtio-blk-$accel
	read=$(echo "$con" | sed -n 's/^QGUEST: vblk read=//p')
	if [ "$boot1" = - ]; then fail "no shell"
	elif ! echo "$con" | grep -q "^QGUEST: vblk wrote=$tok$"; then
		fail "no write: $(echo "$con" | grep "QGUEST: vblk")"
	elif [ -z "$boot2" ]; then fail "no shell again after reboot -f"
	elif [ "$read" != "$tok" ]; then fail "after the reboot the file holds '$read', not $tok"
	elif ! grep -q "$tok" "$img"; then fail "the image file in the testbed lacks $tok"
	elif [ $rc -ne 0 ]; then fail "QEMU exited with $rc"
	else echo "PASS: $name (ext2 file written, read back after reboot -f; shell after ${boot1} s, again after ${boot2} s)"
	fi

	name=qemu-virtio-net-$accel
	ping=$(echo "$con" | sed -n 's/^QGUEST: vnet ping=//p')
	tcp=$(echo "$con" | sed -n 's/^QGUEST: vnet tcp=//p')
	if [ "$boot1" = - ]; then fail "no shell"
	elif [ "$ping" != 3/3 ]; then
		fail "ping 10.0.2.2: '$ping' replies/sent; $(echo "$con" | grep "ping-out" | tr '\n' ';')"
	elif [ "$tcp" != "QTESTBED: got=guest-$tok" ]; then
		fail "TCP to 10.0.2.2:$VPORT answered '$tcp', not 'QTESTBED: got=guest-$tok'"
	else echo "PASS: $name (ping 10.0.2.2 $ping; TCP line to the testbed's nc and back)"
	fi

	# blk: one INTx line on the IO-APIC; net: MSI-X vectors, the receive
	# queue's took interrupts
	name=qemu-virtio-irq-$accel
	vblk=$(echo "$con" | sed -n 's/^QGUEST: vdev vda=//p')
	vnet=$(echo "$con" | sed -n 's/^QGUEST: vdev eth0=//p')
	irqs=$(echo "$con" | sed -n 's/^QGUEST: virq //p' | tr '\n' ';')
	bline=$(echo "$con" | grep "^QGUEST: virq name=$vblk ")
	nline=$(echo "$con" | grep "^QGUEST: virq name=$vnet-input.0 ")
	if [ -z "$vblk" ] || [ -z "$vnet" ]; then fail "devices: vda=$vblk eth0=$vnet"
	elif ! echo "$bline" | grep -q "chip=IO-APIC count=[1-9]"; then
		fail "virtio-blk ($vblk): no INTx interrupts on the IO-APIC: $irqs"
	elif ! echo "$nline" | grep -q "chip=PCI-MSI[-A-Z0-9:.]* count=[1-9]"; then
		fail "virtio-net ($vnet): no MSI-X receive interrupts: $irqs"
	else echo "PASS: $name ($irqs)"
	fi
	no_leak
}

