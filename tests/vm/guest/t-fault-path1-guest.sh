#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-fault-path1-run.sh: virtio_accel.ko on the
# vhost-user-accel-pci device (data path 1) whose back-end takes
# --test-delay-us per request, so requests stay in flight long enough to be
# caught: processes SIGKILLed while asleep in SESSION_CREATE, a blocking
# OP, SUBMIT waiting for room in a full ring and a blocking read; a file
# closed with async requests in flight and the module unloaded at once;
# the PCI function removed with blocking, async and session-holding users
# in flight, then found again by a rescan. After each: nothing in flight,
# no session left, the device works. The host checks the back-end's side
# (every session the guest created was destroyed by a request).
# One "ok N - ..." / "not ok N - ..." line per check, then
# "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
V=vaccel-t
F=vaccel-fault
D0=/dev/vaccel0
S0=/sys/class/vaccel/vaccel0

sha_ok() { [ "$($V $D0 sha256-str abc)" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ]; }
quiet() { wait_val 30 $S0/inflight 0 && wait_val 30 $S0/sessions 0; }

t "/dev/vaccel0 (virtio_accel on the PCI device)" wait_for 20 $D0
# each probe of a first device registers the crypto API algorithms, whose
# self-tests then run in the background: the removals below must not race
# them (they would fail, and testmgr WARNs), so every (re)load waits
t "  crypto self-tests done" crypto_settled 120
BDF=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1078 ] && BDF=$(basename "$d")
done
echo "# PCI function $BDF"

# ---- SIGKILL while asleep in an ioctl ---------------------------------------------
for what in create op submit-full read; do
	t "SIGKILL while asleep in $what" $F killin $D0 $what
	sed 's/^/# /' "$VT_OUT"
	t "  then: nothing in flight, no session" quiet
done
t "the device works after the kills" sha_ok
c=$(cat $S0/sessions_created)
d=$(cat $S0/sessions_destroyed)
t "driver: every session created was destroyed ($c created, $d destroyed)" [ "$c" = "$d" ]

# ---- a file closed with async requests in flight, the module unloaded at once -------
$F hold-async $D0 48 4096 >/tmp/ha.out 2>&1 &
hp=$!
t "48 async requests submitted" wait_line 30 /tmp/ha.out submitted
kill -9 $hp
wait $hp 2>/dev/null
infl=$(cat $S0/inflight)
t "closed with $infl of them still in flight" [ "$infl" -gt 0 ]
rmmod_quiet() { rmmod virtio_accel 2>/dev/null; }
t "rmmod virtio_accel at once (requests of a closed file in flight)" \
	wait_until 5 rmmod_quiet
reload() {
	insmod /payload/virtio_accel.ko && wait_until 20 test -c $D0 &&
		crypto_settled 120
}
t "insmod again: /dev/vaccel0 back and working" reload
t "  SHA-256 after the reload" sha_ok

# ---- the PCI function removed with users in flight, then rescanned --------------------
$V $D0 loop 4096 >/tmp/pl.out 2>&1 &
pl=$!
$V $D0 aloop 4096 32 >/tmp/pa.out 2>&1 &
pa=$!
$V $D0 sessions 2 hold >/tmp/ps.out 2>&1 &
ps=$!
users_up() {
	wait_line 30 /tmp/pl.out running && wait_line 30 /tmp/pa.out running &&
		wait_line 30 /tmp/ps.out '2 created'
}
t "users running (blocking, async, sessions)" users_up
t "remove PCI function $BDF with them in flight" sh -c "echo 1 >/sys/bus/pci/devices/$BDF/remove"
wait $pl
rl=$?
wait $pa
ra=$?
t "  blocking user got ENODEV (exit $rl)" [ $rl = 42 ]
t "  async user got ENODEV (exit $ra)" [ $ra = 42 ]
t "  /dev/vaccel0 gone" wait_for 20 $D0 gone
kill -9 $ps
wait $ps 2>/dev/null
rescan() {
	echo 1 >/sys/bus/pci/rescan && wait_until 20 test -c $D0 &&
		crypto_settled 120
}
t "rescan: the function and /dev/vaccel0 back" rescan
t "  SHA-256 after the rescan" sha_ok
t "  sessions and async work after the rescan" sh -c "$V $D0 sessions 2 && $V $D0 async 16 4096"
t "  nothing in flight, no session" quiet
finish
