#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload: virtio_accel.ko over vdpa_accel devices bound to virtio_vdpa.
# Runs inside the guest (busybox sh) with both modules loaded at boot and
# vaccel-t on PATH; virtio_accel.ko is also in /payload for rmmod/insmod.
# One "ok N - ..." / "not ok N - ..." line per check, then
# "N passed, N failed". Started by tests/vm/host/t-guest-run.sh.
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
V=vaccel-t
D0=/dev/vaccel0
D1=/dev/vaccel1

# sysfs of the driver's class device for /dev/vaccelN
S0=/sys/class/vaccel/vaccel0
S1=/sys/class/vaccel/vaccel1
# the parent's own session counter
P0=/sys/bus/vdpa/devices/accel0/sessions
P1=/sys/bus/vdpa/devices/accel1/sessions

t "modules loaded" sh -c 'grep -q "^virtio_accel " /proc/modules &&
	grep -q "^vdpa_accel " /proc/modules'
t "vdpa mgmtdev vdpa_accel" sh -c 'vdpa mgmtdev show | grep -q vdpa_accel'
vdpa_autoprobe 0
t "vdpa dev add accel0, bound to virtio_vdpa" vdpa_add accel0 virtio_vdpa
t "/dev/vaccel0 appears" wait_for 10 $D0
t "/dev/vaccel0 is a char device of mode 0600" sh -c \
	"[ -c $D0 ] && [ \"\$(stat -c %a $D0)\" = 600 ]"
t "virtio_accel bound the virtio device" sh -c \
	'ls -d /sys/bus/virtio/drivers/virtio_accel/virtio* >/dev/null'
t "sysfs counters exist" sh -c "cat $S0/sessions $S0/sessions_created \
	$S0/sessions_destroyed $S0/inflight $S0/completed $S0/num_queues"
t "INFO" $V $D0 info
$V $D0 info | sed 's/^/# /'

# --- data path ----------------------------------------------------------------
t "SHA-256(\"abc\") via OP" sh -c "[ \"\$($V $D0 sha256-str abc)\" = \
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ]"
dd if=/dev/urandom of=/tmp/1m bs=1048576 count=1 2>/dev/null
t "SHA-256 of 1 MiB via OP equals sha256sum" sh -c \
	"[ \"\$($V $D0 sha256 /tmp/1m)\" = \"\$(sha256sum /tmp/1m | cut -d' ' -f1)\" ]"
head -c 0 /dev/zero >/tmp/0b
t "SHA-256 of 0 bytes via OP" sh -c \
	"[ \"\$($V $D0 sha256 /tmp/0b)\" = \"\$(sha256sum /tmp/0b | cut -d' ' -f1)\" ]"
t "async: SUBMIT 64 NULL ops, reap with poll+read" $V $D0 async 64 4096
t "async: 256 ops of 64 bytes" $V $D0 async 256 64
t "invalid arguments refused before the device" $V $D0 badargs
t "RAW chain" $V $D0 raw
t "completion read by another mm: EXDEV" $V $D0 exdev
t "inflight back to 0" wait_val 10 $S0/inflight 0

# --- sessions -----------------------------------------------------------------
t "no live sessions" wait_val 10 $S0/sessions 0
c0=$(cat $S0/sessions_created)
t "create 3 sessions, close the fd" $V $D0 sessions 3
t "driver counter back to 0" wait_val 10 $S0/sessions 0
t "3 created, 3 destroyed" sh -c "[ \$(cat $S0/sessions_created) -eq $((c0 + 3)) ] &&
	[ \$(cat $S0/sessions_destroyed) -eq \$(cat $S0/sessions_created) ]"
t "device (vdpa_accel) counter back to 0" wait_val 10 $P0 0
$V $D0 sessions 5 hold >/tmp/hold.out 2>&1 &
hp=$!
t "5 sessions held" wait_line 20 /tmp/hold.out "5 created"
t "driver counter 5 while held" wait_val 10 $S0/sessions 5
t "device counter 5 while held" wait_val 10 $P0 5
kill -9 $hp
wait $hp 2>/dev/null
t "SIGKILL of the holder: driver counter 0" wait_val 10 $S0/sessions 0
t "SIGKILL of the holder: device counter 0" wait_val 10 $P0 0
t "quota: EDQUOT at max_sessions_per_file + 1" $V $D0 quota
t "quota: all freed on close" wait_val 10 $S0/sessions 0
t "another file or process: ENOENT" $V $D0 owner
echo 3 >/sys/module/virtio_accel/parameters/max_sessions_per_file
t "max_sessions_per_file=3 honoured" sh -c "$V $D0 quota | grep -q 'quota: 3 '"
echo 100000 >/sys/module/virtio_accel/parameters/max_sessions_per_file
t "device table full: ENOSPC (per-file quota raised)" $V $D0 tablefull
echo 64 >/sys/module/virtio_accel/parameters/max_sessions_per_file
t "table freed on close" wait_val 10 $P0 0

# --- a second device ------------------------------------------------------------
t "vdpa dev add accel1" vdpa_add accel1 virtio_vdpa
t "/dev/vaccel1 appears" wait_for 10 $D1
t "SHA-256 on vaccel1" sh -c "[ \"\$($V $D1 sha256 /tmp/1m)\" = \
	\"\$(sha256sum /tmp/1m | cut -d' ' -f1)\" ]"
$V $D1 sessions 2 hold >/tmp/hold1.out 2>&1 &
hp=$!
t "2 sessions held on vaccel1" wait_line 20 /tmp/hold1.out "2 created"
t "vaccel1 counts 2, vaccel0 counts 0" sh -c \
	"[ \$(cat $S1/sessions) = 2 ] && [ \$(cat $S0/sessions) = 0 ] &&
	 [ \$(cat $P1) = 2 ] && [ \$(cat $P0) = 0 ]"
t "vaccel0 still works" $V $D0 async 64 512
kill -9 $hp
wait $hp 2>/dev/null
t "vaccel1 counter back to 0" wait_val 10 $S1/sessions 0

# --- SIGKILL of processes blocked in ops ------------------------------------------
lps=""
for i in 1 2 3; do
	$V $D0 loop 1048576 >/tmp/loop$i.out 2>&1 &
	lps="$lps $!"
done
for i in 1 2 3; do
	t "blocking loop $i running" wait_line 20 /tmp/loop$i.out running
done
sleep 1
# shellcheck disable=SC2086 # a list of pids
kill -9 $lps
# shellcheck disable=SC2086
wait $lps 2>/dev/null
t "killed waiters: inflight back to 0" wait_val 10 $S0/inflight 0
t "device usable after the kills" $V $D0 sha256-str abc

# --- files closed with async ops in flight; a full ring --------------------------
# 3 x 256 async ops > 2 queues x 256 entries: some submitters sleep for room
aps=""
for i in 1 2 3; do
	$V $D0 aloop 4096 256 >/tmp/aloop$i.out 2>&1 &
	aps="$aps $!"
done
for i in 1 2 3; do
	t "async loop $i running" wait_line 20 /tmp/aloop$i.out running
done
sleep 2
# shellcheck disable=SC2086 # a list of pids
kill -9 $aps
# shellcheck disable=SC2086
wait $aps 2>/dev/null
t "closed with async ops in flight: inflight back to 0" wait_val 10 $S0/inflight 0
echo "# ring_full_waits $(cat $S0/ring_full_waits), completed $(cat $S0/completed)"
t "async still works after the kills" $V $D0 async 64 4096

# --- device deletion with ops in flight ---------------------------------------------
$V $D1 loop 1048576 >/tmp/dl1.out 2>&1 &
d1=$!
$V $D1 aloop 65536 >/tmp/dl2.out 2>&1 &
d2=$!
$V $D1 sessions 4 hold >/tmp/dl3.out 2>&1 &
d3=$!
t "loop on vaccel1 running" wait_line 20 /tmp/dl1.out running
t "aloop on vaccel1 running" wait_line 20 /tmp/dl2.out running
t "sessions on vaccel1 held" wait_line 20 /tmp/dl3.out "4 created"
t "vdpa dev del accel1 with ops in flight" vdpa dev del accel1
wait $d1
r1=$?
wait $d2
r2=$?
t "blocked waiter got ENODEV (status $r1)" sh -c "[ $r1 = 42 ] || { cat /tmp/dl1.out; exit 1; }"
t "async submitter got ENODEV (status $r2)" sh -c "[ $r2 = 42 ] || { cat /tmp/dl2.out; exit 1; }"
t "/dev/vaccel1 is gone" wait_for 10 $D1 gone
kill -9 $d3
wait $d3 2>/dev/null
t "vaccel0 unaffected" $V $D0 sha256-str abc

# --- rmmod virtio_accel: refused while open, then unload + reload ------------------
$V $D0 sessions 1 hold >/tmp/rm.out 2>&1 &
rp=$!
t "holder on vaccel0" wait_line 20 /tmp/rm.out "1 created"
t "rmmod virtio_accel refused while a file is open" sh -c '! rmmod virtio_accel'
kill -9 $rp
wait $rp 2>/dev/null
t "rmmod virtio_accel when idle" rmmod virtio_accel
t "/dev/vaccel0 gone after rmmod" wait_for 10 $D0 gone
t "device counter 0 after rmmod (reset)" wait_val 10 $P0 0
t "insmod virtio_accel again" insmod /payload/virtio_accel.ko
t "/dev/vaccel0 back" wait_for 10 $D0
t "SHA-256 after reload" sh -c "[ \"\$($V $D0 sha256 /tmp/1m)\" = \
	\"\$(sha256sum /tmp/1m | cut -d' ' -f1)\" ]"

# --- rmmod vdpa_accel (the parent) with ops in flight --------------------------------
$V $D0 loop 1048576 >/tmp/pm1.out 2>&1 &
p1=$!
$V $D0 aloop 4096 >/tmp/pm2.out 2>&1 &
p2=$!
t "loop running" wait_line 20 /tmp/pm1.out running
t "aloop running" wait_line 20 /tmp/pm2.out running
# with accel0 still present: the parent's exit deletes its devices
t "rmmod vdpa_accel with accel0 present and ops in flight" sh -c \
	'rmmod vdpa_accel || { echo "rmmod refused"; vdpa dev del accel0 &&
	 rmmod vdpa_accel; }'
sed 's/^/# /' "$VT_OUT"
wait $p1
r1=$?
wait $p2
r2=$?
t "blocked waiter got ENODEV (status $r1)" sh -c "[ $r1 = 42 ] || { cat /tmp/pm1.out; exit 1; }"
t "async submitter got ENODEV (status $r2)" sh -c "[ $r2 = 42 ] || { cat /tmp/pm2.out; exit 1; }"
t "rmmod virtio_accel at the end" rmmod virtio_accel
finish
