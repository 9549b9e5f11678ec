#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-fault-run.sh: fault injection and security checks
# of virtio_accel.ko over vdpa_accel devices bound to virtio_vdpa, in a
# guest booted with slub_debug=FZPU (red zones, poisoning, sanity checks,
# allocation tracking) and KFENCE sampling.
#
#  - the node: a character device, 0600, root:root; a non-root process
#    cannot open it, a non-root holder of the fd cannot use RAW;
#  - per-file session isolation and quotas (vaccel-fault isolation);
#  - no key bytes in the kernel log with both modules' debug output on, and
#    no copy of a key anywhere in RAM (/proc/kcore) once its sessions are
#    destroyed or their holder killed (found there while they live);
#  - processes SIGKILLed at random points of every sleeping ioctl;
#  - the driver unbound from its virtio device, the vDPA device unbound
#    from virtio_vdpa, vdpa dev add/del, each with blocking, async and
#    session-holding users in flight (ENODEV, nothing left behind), and
#    rmmod virtio_accel right after a file was closed with async ops in
#    flight; the driver rebound or reloaded and working after each;
#  - no leak: the objects allocated by either module (from
#    /sys/kernel/debug/slab/*/alloc_traces: every live allocation whose
#    stack is in virtio_accel or vdpa_accel) are back to the count before
#    the first device was added, once the devices are gone; no slab
#    corruption report; both modules unload.
# One "ok N - ..." / "not ok N - ..." line per check, then
# "N passed, N failed". vaccel-t and vaccel-fault are on PATH; the two
# modules are in /payload.
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
V=vaccel-t
F=vaccel-fault
D0=/dev/vaccel0
D1=/dev/vaccel1
S0=/sys/class/vaccel/vaccel0
P0=/sys/bus/vdpa/devices/accel0/sessions
P1=/sys/bus/vdpa/devices/accel1/sessions

# Live slab objects whose allocation stack is in one of our modules. The
# dentry and inode caches are dropped first (a sysfs file looked up keeps
# its kernfs node until its dentry goes); not counted: vmap_area (vfree
# frees them lazily), radix tree nodes (an IDR's nodes are shared with
# later ids) and module-init allocations (their frames name freed init
# text, which a module loaded later may reuse).
AWK_MOD='
	function flush() { if (hit && !skip) s += cnt; hit = 0 }
	/^ *[0-9]+ / { flush(); cnt = $1; skip = /alloc_vmap_area|radix_tree_node/ }
	/do_init_module/ { skip = 1 }
	/\[(virtio_accel|vdpa_accel)\]/ { hit = 1 }
	END { flush(); print s + 0 }'
mod_objs() {
	echo 3 >/proc/sys/vm/drop_caches
	cat /sys/kernel/debug/slab/*/alloc_traces 2>/dev/null | awk "$AWK_MOD"
}

objs_at_most() { # objs_at_most N: mod_objs (into c) is N or fewer
	c=$(mod_objs)
	[ "$c" -le "$1" ]
}

# wait_objs S N: up to S seconds for mod_objs to come back to N (RCU, work
# items)
wait_objs() {
	wait_until "$1" objs_at_most "$2" && return 0
	echo "$c objects allocated by the modules are live, $2 before:"
	cat /sys/kernel/debug/slab/*/alloc_traces 2>/dev/null | awk '
		/^ *[0-9]+ / { if (hit && !skip) print blk; blk = $0; hit = 0
			       skip = /alloc_vmap_area|radix_tree_node/; next }
		{ blk = blk "\n" $0 }
		/do_init_module/ { skip = 1 }
		/\[(virtio_accel|vdpa_accel)\]/ { hit = 1 }
		END { if (hit && !skip) print blk }' | head -80
	return 1
}

# io_start DEV TAG: a blocking op loop, an async loop and a session holder
io_start() {
	$V "$1" loop 1048576 >/tmp/$2.l 2>&1 &
	IO_L=$!
	$V "$1" aloop 65536 256 >/tmp/$2.a 2>&1 &
	IO_A=$!
	$V "$1" sessions 4 hold >/tmp/$2.s 2>&1 &
	IO_S=$!
	wait_line 20 /tmp/$2.l running >/dev/null && wait_line 20 /tmp/$2.a running >/dev/null &&
		wait_line 20 /tmp/$2.s "4 created" >/dev/null
}

# io_gone TAG: the blocking and async users ended with ENODEV (exit 42)
io_gone() {
	wait $IO_L
	rl=$?
	wait $IO_A
	ra=$?
	kill -9 $IO_S 2>/dev/null
	wait $IO_S 2>/dev/null
	[ $rl = 42 ] && [ $ra = 42 ] && return 0
	echo "loop exit $rl, aloop exit $ra"
	cat /tmp/$1.l /tmp/$1.a
	return 1
}

sha_ok() { [ "$($V "$1" sha256-str abc)" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ]; }

echo "# kernel command line: $(cat /proc/cmdline)"
t "slab allocation tracking available (slub_debug=U)" \
	sh -c 'ls /sys/kernel/debug/slab/*/alloc_traces >/dev/null'
vdpa_autoprobe 0
B0=$(mod_objs)
echo "# objects allocated by the modules before any device: $B0"
add2() { vdpa_add accel0 virtio_vdpa && vdpa_add accel1 virtio_vdpa; }
t "vdpa dev add accel0, accel1 (virtio_vdpa)" add2
nodes() { wait_for 10 $D0 && wait_for 10 $D1; }
t "/dev/vaccel0 and /dev/vaccel1" nodes
# the crypto API algorithms the first device registered are self-tested in
# the background: the removals below must not race those tests
t "  crypto self-tests done" crypto_settled 120

# ---- security: node, permissions, isolation, quotas ---------------------------------
t "node: character device, mode 0600, owner root:root" sh -c \
	"[ \"\$(stat -c '%F %a %u %g' $D0)\" = 'character special file 600 0 0' ]"
t "non-root: open EACCES; a non-root holder of the fd: RAW EPERM, ops fine" \
	$F nonroot $D0
params_ok() { # the quotas: root may change them, nobody else
	for f in /sys/module/virtio_accel/parameters/*; do
		[ "$(stat -c '%a %u' "$f")" = "644 0" ] || { ls -l "$f"; return 1; }
	done
}
t "module parameters (quotas) 0644 root" params_ok
vhost_node_0600() { # path 4's node: the kernel's vhost_vdpa makes it
	vdpa dev add name accel3 mgmtdev vdpa_accel && bind accel3 vhost_vdpa &&
		wait_for 10 /dev/vhost-vdpa-0 &&
		[ "$(stat -c '%F %a %u %g' /dev/vhost-vdpa-0)" = 'character special file 600 0 0' ] ||
		{ ls -l /dev/vhost-vdpa-*; vdpa dev del accel3; return 1; }
	vdpa dev del accel3
}
t "/dev/vhost-vdpa-N of a device bound to vhost_vdpa: 0600 root:root" vhost_node_0600
t "sessions: another file cannot use or destroy them (SUBMIT, guessed ids, destroyed, closed file, other device); quotas per file" \
	$F isolation $D0 $D1
zero_sess() { wait_val 10 $S0/sessions 0 && wait_val 10 $P0 0 && wait_val 10 $P1 0; }
t "session counters back to 0" zero_sess

# ---- no key bytes in the kernel log with debug output on ------------------------------
DD=/sys/kernel/debug/dynamic_debug/control
echo 'module vdpa_accel +p' >$DD 2>/dev/null
echo 'module virtio_accel +p' >$DD 2>/dev/null
nd=$(grep -c '\[\(vdpa_accel\|virtio_accel\)\].* =p ' $DD)
t "dynamic debug on for the modules ($nd call sites)" [ "$nd" -gt 0 ]
dmesg -c >/dev/null
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# a printable key too: if it were ever printed raw, it would show as text
CANARY=k3y-canary-in-dmesg-NOT-in-logs!
CKEY=$(printf %s "$CANARY" | od -An -tx1 | tr -d ' \n')
keys2() { $F keys $D0 "$KEY" && $F keys $D0 "$CKEY"; }
t "keys used (sessions, inline, stream, refused length) with debug on" keys2
dmesg >/tmp/dmesg.keys
echo 'module vdpa_accel -p' >$DD 2>/dev/null
echo 'module virtio_accel -p' >$DD 2>/dev/null
t "the modules' debug lines reached the log ($(grep -c 'accel' /tmp/dmesg.keys) lines)" \
	grep -q 'accel' /tmp/dmesg.keys
keyscan() { # keyscan HEX FILE: no 8-byte window, as %*phN or %*ph
	k=$1
	i=0
	while [ $i -le $((${#k} - 16)) ]; do
		w=$(echo "$k" | cut -c$((i + 1))-$((i + 16)))
		sp=$(echo "$w" | sed 's/../& /g; s/ $//')
		if grep -qi -e "$w" -e "$sp" "$2"; then
			echo "key window $w found in $2"
			return 1
		fi
		i=$((i + 2))
	done
}
scan2() { keyscan "$KEY" /tmp/dmesg.keys && keyscan "$CKEY" /tmp/dmesg.keys; }
t "no key bytes (8-byte windows, hex with or without spaces) in the kernel log" scan2
t "no raw key text in the kernel log" sh -c "! grep -q 'canary-in-dmesg' /tmp/dmesg.keys"
echo "$KEY" >/tmp/canary
scan_canary() { ! keyscan "$KEY" /tmp/canary; }
t "the scan finds a key that is there (canary)" scan_canary

# ---- keys wiped: no copy left in the guest's RAM ----------------------------------------
# vaccel-kscan reads all RAM through /proc/kcore for the raw bytes of a key
# that only the kernel has (the holder made it and wiped its own copy)
kscan_run() { # kscan_run HOW: destroy (SIGUSR1) or kill (SIGKILL)
	vaccel-kscan hold $D0 >/tmp/ks.out 2>&1 &
	kp=$!
	wait_line 20 /tmp/ks.out live >/dev/null || return 1
	k=$(sed -n 's/^key //p' /tmp/ks.out)
	echo "while the sessions live:"
	vaccel-kscan scan "$k" 1 || { kill -9 $kp; return 1; }
	if [ "$1" = destroy ]; then
		kill -USR1 $kp
		wait_line 20 /tmp/ks.out destroyed >/dev/null || return 1
	fi
	kill -9 $kp
	wait $kp 2>/dev/null
	wait_val 10 $P0 0 >/dev/null
	echo "after:"
	KSCAN_CONTEXT=1 vaccel-kscan scan "$k" 0
}
t "keys in RAM: found while their sessions live, none once destroyed (HMAC, GCM, stream sessions; inline keys; small and large requests)" \
	kscan_run destroy
sed 's/^/# /' "$VT_OUT" | grep -v '^#   copy'
t "keys in RAM: none once the holder is SIGKILLed with its sessions" kscan_run kill

# ---- processes killed in every sleeping ioctl ------------------------------------------
t "60 processes SIGKILLed mid-ioctl (create, destroy, op, submit, read)" $F storm $D0 60
after_kills() { wait_val 10 $S0/sessions 0 && wait_val 10 $S0/inflight 0 && wait_val 10 $P0 0; }
t "after the kills: driver sessions 0, in flight 0; device sessions 0" after_kills
t "device works after the kills" sha_ok $D0

# ---- the driver unbound from its virtio device with users in flight --------------------
vdev=$(basename "$(ls -d /sys/bus/vdpa/devices/accel0/virtio* | head -1)")
echo "# accel0's virtio device: $vdev"
t "users of vaccel0 running (blocking, async, sessions)" io_start $D0 u1
t "unbind virtio_accel from $vdev with them in flight" \
	sh -c "echo $vdev >/sys/bus/virtio/drivers/virtio_accel/unbind"
t "  blocking and async users got ENODEV" io_gone u1
gone0() { wait_for 10 $D0 gone && wait_val 10 $P0 0; }
t "  /dev/vaccel0 gone; device sessions 0 (reset)" gone0
rebind_drv() { echo "$vdev" >/sys/bus/virtio/drivers/virtio_accel/bind && wait_for 10 $D0 && sha_ok $D0; }
t "  bind again: /dev/vaccel0 back and working" rebind_drv

# ---- the vDPA device unbound from virtio_vdpa -----------------------------------------
t "users of vaccel0 running" io_start $D0 u2
t "unbind accel0 from virtio_vdpa with them in flight" \
	sh -c 'echo accel0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind'
t "  blocking and async users got ENODEV" io_gone u2
t "  /dev/vaccel0 gone; device sessions 0" gone0
rebind_vdpa() { bind accel0 virtio_vdpa && wait_for 10 $D0 && sha_ok $D0; }
t "  probe again: /dev/vaccel0 back and working" rebind_vdpa

# ---- vdpa dev add/del cycles under load -----------------------------------------------
cycle() {
	vdpa_add accel2 virtio_vdpa && wait_for 10 /dev/vaccel2 && io_start /dev/vaccel2 "c$1" &&
		vdpa dev del accel2 && io_gone "c$1" && wait_for 10 /dev/vaccel2 gone
}
for c in 1 2 3; do
	t "cycle $c: vdpa dev add accel2, users, vdpa dev del" cycle $c
done
both_ok() { sha_ok $D0 && sha_ok $D1; }
t "vaccel0 and vaccel1 unaffected" both_ok

# ---- rmmod right after a file was closed with async ops submitted -----------------------
# 512 MiB in flight: above the default pinned-memory budget (the reload
# below restores the defaults)
echo 4096 >/sys/module/virtio_accel/parameters/max_pinned_mb_per_dev
echo 4096 >/sys/module/virtio_accel/parameters/max_pinned_mb_per_file
$F hold-async $D0 256 1048576 >/tmp/ha.out 2>&1 &
hp=$!
t "256 async ops of 1 MiB submitted" wait_line 20 /tmp/ha.out submitted
kill -9 $hp
wait $hp 2>/dev/null
echo "# in flight on vaccel0 after the kill: $(cat $S0/inflight 2>/dev/null)"
t "rmmod virtio_accel as soon as the file is closed" sh -c '
	i=0
	until rmmod virtio_accel 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.05
	done
	echo "unloaded after $i retries"'
sed 's/^/# /' "$VT_OUT"
dev_zero() { wait_val 10 $P0 0 && wait_val 10 $P1 0; }
t "  device sessions 0 after the unload (reset)" dev_zero
reload() {
	insmod /payload/virtio_accel.ko && nodes && crypto_settled 120 &&
		both_ok
}
t "  insmod again: both nodes back and working" reload

# ---- nothing leaked -----------------------------------------------------------------------
# the count sees what is live: a file kept open past vdpa dev del keeps the
# driver's device state (and its sessions' bookkeeping) allocated
$V $D0 sessions 2 hold >/tmp/lk.out 2>&1 &
lp=$!
t "a holder of vaccel0 (2 sessions)" wait_line 20 /tmp/lk.out "2 created"
t "vdpa dev del accel0 accel1" sh -c 'vdpa dev del accel0 && vdpa dev del accel1'
held=$(mod_objs)
t "the leak count sees the state an open file keeps ($held objects, $B0 before the first device)" \
	[ "$held" -gt "$B0" ]
kill -9 $lp
wait $lp 2>/dev/null
t "holder gone: no object allocated by the modules left" wait_objs 10 "$B0"
echo "# objects allocated by the modules now: $(mod_objs)"
t "module reference counts 0" sh -c \
	'[ "$(cat /sys/module/virtio_accel/refcnt)" = 0 ] && [ "$(cat /sys/module/vdpa_accel/refcnt)" = 0 ]'
t "rmmod virtio_accel vdpa_accel" sh -c 'rmmod virtio_accel && rmmod vdpa_accel'
dmesg >/tmp/dmesg.all
slab_clean() {
	! grep -E 'BUG [A-Za-z0-9_:.-]+ \(|Poison overwritten|Redzone overwritten|Object already free|Freepointer corrupt|Object padding overwritten|KFENCE' /tmp/dmesg.all
}
t "no slab corruption or KFENCE report in the kernel log" slab_clean
[ $VT_FAILED -eq 0 ] || grep -E -A20 'BUG |Poison|Redzone|KFENCE' /tmp/dmesg.all | head -60
finish
