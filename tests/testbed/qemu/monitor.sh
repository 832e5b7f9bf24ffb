# Sourced by run: QEMU driven the way its users drive it, through the monitor
# (HMP, or QMP) with qmon, while the test types into the guest's serial
# console. The testbed kernel had no networking (CONFIG_NET=n) when these were
# written: each monitor is on a pipe chardev, two FIFOs (PATH.in, PATH.out).
# Uses run's now, since, fail, qemu_threads, no_leak.

MON=/tmp/qemu-mon
QMP=/tmp/qemu-qmp
# a line typed at a QEMU that is gone must not end the tests (SIGPIPE)
trap '' PIPE
LINUX="-kernel $KERNEL -initrd $GUEST"

# qstart NAME QEMU-ARGS...: QEMU in the background (pid $pid), its console
# in $out and its keyboard on fd 3; $start is the testbed time it started.
qstart() {
	name=$1; shift
	out=/tmp/$name.out fifo=/tmp/$name.in
	rm -f "$out" "$fifo" $MON.in $MON.out $QMP.in $QMP.out
	mkfifo "$fifo" $MON.in $MON.out $QMP.in $QMP.out
	start=$(now)
	./qemu-system-x86_64 "$@" <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec 3>"$fifo"
}

# qwait PATTERN [COUNT [TIMEOUT]]: until the console has COUNT lines
# matching PATTERN; fails when QEMU exits first or after TIMEOUT testbed s.
qwait() {
	t0=$(now) i=0
	while [ "$(tr -d '\r' <"$out" | grep -c "$1")" -lt "${2:-1}" ]; do
		kill -0 $pid 2>/dev/null || return 1
		i=$((i + 1))
		if [ $((i % 10)) -eq 0 ] &&
			[ "$(since "$t0" | cut -d. -f1)" -ge "${3:-600}" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# qtype LINE: type LINE into the guest's shell
qtype() { printf '%s\n' "$1" >&3; }

# qval KEY: the value of KEY=... on the last console line that has it
qval() { tr -d '\r' <"$out" | grep -v 'echo "QGUEST' | sed -n "s/.*QGUEST: .*[ :]$1=\([^ ]*\).*/\1/p" | tail -n 1; }

# qend: wait up to 60 testbed s for QEMU to exit (something asked it to),
# then list its threads and kill it. Sets $rc.
qend() {
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
		i=$((i + 1)); sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		qemu_threads $pid
		kill -9 $pid
	fi
	wait $pid
	rc=$?
	exec 3>&-
	rm -f "$fifo" $MON.in $MON.out $QMP.in $QMP.out
}

# stop/cont over QMP while the guest runs: stopped, the guest does not
# answer a command typed into its console (no byte comes out); after cont
# it does. query-status says paused, then running.
stopcont_test() {
	qstart qemu-stopcont -accel hax $QARGS $LINUX -append "$APPEND" -m 128 \
		-chardev pipe,id=qmp,path=$QMP -mon chardev=qmp,mode=control
	if ! qwait "QGUEST: shell ready"; then
		fail "no shell"
	else
		s1=$(./qmon -q $QMP '{"execute": "stop"}' '{"execute": "query-status"}')
		before=$(wc -c <"$out")
		qtype 'echo "QGUEST: answer=$((6 * 7))"'
		sleep 3
		during=$(wc -c <"$out")
		s2=$(./qmon -q $QMP '{"execute": "cont"}' '{"execute": "query-status"}')
		if ! echo "$s1" | grep -q '"status": "paused"'; then
			fail "after stop: $s1"
		elif [ "$during" != "$before" ]; then
			fail "the stopped guest printed $((during - before)) bytes"
		elif ! echo "$s2" | grep -q '"status": "running"'; then
			fail "after cont: $s2"
		elif ! qwait "QGUEST: answer=42" 1 120; then
			fail "no answer after cont"
		else
			echo "PASS: $name (paused 3 s, silent; answered after cont)"
		fi
	fi
	qtype "poweroff -f"
	qend
	no_leak
}

# system_reset of a running Linux guest: it boots again to its shell (the
# shell-ready line a second time), which answers. No -no-reboot: with it,
# QEMU turns a reset into an exit.
reset_test() {
	qstart qemu-reset -accel hax ${QARGS% -no-reboot} $LINUX -append "$APPEND" \
		-m 128 -monitor pipe:$MON
	if ! qwait "QGUEST: shell ready"; then
		fail "no shell"
	elif ! ./qmon $MON system_reset >/dev/null; then
		fail "the monitor did not take system_reset"
	elif ! t0=$(now) || ! qwait "QGUEST: shell ready" 2 600; then
		fail "no second boot to the shell after system_reset"
	else
		secs=$(since "$t0")
		qtype 'echo "QGUEST: sum=$((40 + 2))"'
		if ! qwait "QGUEST: sum=42" 1 120; then fail "no answer after the reset"
		else echo "PASS: $name (shell again ${secs} s after system_reset)"
		fi
	fi
	qtype "poweroff -f"
	qend
	no_leak
}

# savevm/loadvm of Linux at its shell with a qcow2 disk, then -loadvm in a
# new QEMU process. $1: accelerator. The shell variable X and the guest's
# uptime tell which state runs: after loadvm X is the snapshot's and the
# uptime continues from the snapshot's (below what it was before loadvm).
# Sets $cold (QEMU start to the shell), $save, $load (the monitor commands)
# and $resume (-loadvm: QEMU start to the guest's answer), testbed seconds.
snapshot_test() {
	accel=$1 cold=- save=- load=- resume=-
	snap="-drive file=/tmp/snap.qcow2,format=qcow2,if=none,id=snap"
	cp ${SNAPIMG:-/payload/qemu/snap.qcow2} /tmp/snap.qcow2
	qstart qemu-savevm-$accel -accel $accel $QARGS $LINUX -append "$APPEND" -m 128 \
		-monitor pipe:$MON $snap
	if ! qwait "QGUEST: shell ready"; then
		fail "no shell"
	else
		cold=$(since "$start")
		qtype 'X=snap$((6 * 7)); echo "QGUEST: saved up=$(cut -d" " -f1 /proc/uptime)"'
		qwait "QGUEST: saved up=[0-9]" 1 120
		up0=$(qval up)
		t0=$(now)
		./qmon $MON "savevm s1" "info snapshots" >/tmp/$name.mon 2>&1
		save=$(since "$t0")
		qtype 'X=changed; sleep 3; echo "QGUEST: later up=$(cut -d" " -f1 /proc/uptime)"'
		qwait "QGUEST: later up=[0-9]" 1 120
		up1=$(qval up)
		t0=$(now)
		./qmon $MON "loadvm s1" >>/tmp/$name.mon 2>&1
		load=$(since "$t0")
		qtype 'echo "QGUEST: after x=$X up=$(cut -d" " -f1 /proc/uptime)"'
		qwait "QGUEST: after x=[a-z]" 1 120
		x=$(qval x) up2=$(qval up)
		if ! grep -q "^--  *s1 " /tmp/$name.mon; then
			fail "savevm: $(tr -d '\r' </tmp/$name.mon)"
		elif [ "$x" != snap42 ]; then
			fail "after loadvm X=$x, not the snapshot's snap42 (uptimes $up0 $up1 $up2)"
		elif ! awk -v a="$up0" -v b="$up2" -v c="$up1" 'BEGIN { exit !(a <= b && b < c) }'; then
			fail "uptime $up2 after loadvm: not from the snapshot's $up0 (before loadvm $up1)"
		else
			echo "PASS: $name (savevm ${save} s, loadvm ${load} s; uptime $up0 at savevm, $up1 before loadvm, $up2 after)"
		fi
	fi
	./qmon $MON quit >/dev/null
	qend
	no_leak
	[ "$x" = snap42 ] || return

	# A new QEMU process starts from the snapshot: no boot, the shell
	# answers with the snapshot's X
	qstart qemu-loadvm-start-$accel -accel $accel $QARGS $LINUX -append "$APPEND" -m 128 \
		-monitor pipe:$MON $snap -loadvm s1
	st=$(./qmon $MON "info status" 2>&1)
	qtype 'echo "QGUEST: resumed x=$X up=$(cut -d" " -f1 /proc/uptime)"'
	if ! qwait "QGUEST: resumed x=[a-z]" 1 300; then
		fail "no answer from the restored guest ($st)"
	else
		resume=$(since "$start")
		x=$(qval x) up3=$(qval up)
		if [ "$x" != snap42 ]; then fail "restored X=$x, not snap42"
		elif grep -q "QGUEST: shell ready" "$out"; then fail "the guest booted"
		elif ! awk -v a="$up0" -v b="$up3" -v c="$up1" 'BEGIN { exit !(a <= b && b < c) }'; then
			fail "uptime $up3: not from the snapshot's $up0"
		else
			echo "PASS: $name (answer ${resume} s after QEMU started; cold boot to the shell ${cold} s; uptime $up3)"
		fi
	fi
	./qmon $MON quit >/dev/null
	qend
	no_leak
}

# info registers and xp read guest state through haxm: qmark (in the guest)
# spins with RAX = a marker and RBX = the physical address of a page holding
# it; stopped, the monitor shows those registers, RIP at the loop and the
# marker (and its complement) in that page.
regs_test() {
	qstart qemu-regs -accel hax $QARGS $LINUX -append "$APPEND" -m 128 \
		-monitor pipe:$MON
	if ! qwait "QGUEST: shell ready"; then
		fail "no shell"
	else
		qtype "qmark &"
		qwait "QGUEST: mark phys=0x" 1 120
		line=$(tr -d '\r' <"$out" | grep "QGUEST: mark phys=0x" | tail -n 1)
		phys=$(echo "$line" | sed -n 's/.*phys=\(0x[0-9a-f]*\).*/\1/p')
		val=$(echo "$line" | sed -n 's/.*value=0x\([0-9a-f]*\).*/\1/p')
		rip=$(echo "$line" | sed -n 's/.*rip=\(0x[0-9a-f]*\).*/\1/p')
		want_rbx=$(printf %016x $((phys))) want_rip=$(printf %016x $((rip)))
		notval=$(printf %016x $((~0x$val)))
		# the guest is at the loop nearly all the time; a stop inside the
		# timer interrupt shows other registers: try again
		tries=0 hit=
		while [ $tries -lt 5 ] && [ -z "$hit" ]; do
			tries=$((tries + 1))
			./qmon $MON stop "info registers" "xp /2xg $phys" cont 2>&1 | tr -d '\r' >/tmp/$name.mon
			grep -q "RIP=$want_rip " /tmp/$name.mon && hit=1
		done
		if [ -z "$val" ]; then fail "no marker from qmark"
		elif [ -z "$hit" ]; then fail "RIP never $want_rip: $(cat /tmp/$name.mon)"
		elif ! grep -q "RAX=$val RBX=$want_rbx " /tmp/$name.mon; then
			fail "RAX/RBX are not $val/$want_rbx: $(grep RAX= /tmp/$name.mon)"
		elif ! grep -q ": 0x$val 0x$notval" /tmp/$name.mon; then
			fail "xp $phys: $(grep "^0*${phys#0x}:" /tmp/$name.mon)"
		else
			echo "PASS: $name (RAX=$val RBX=$want_rbx RIP=$want_rip; xp $phys holds the marker; $tries stop(s))"
		fi
	fi
	qtype "poweroff -f"
	qend
	no_leak
}
