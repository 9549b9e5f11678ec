#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload: what one user of /dev/vaccelN can make the guest hold or see
# (issue 10): VACCEL_IOC_RAW gives back no stale kernel memory; many files
# flooding a device with unreaped large async ops stay within the device's
# pinned-memory budget (EAGAIN beyond; other files and devices served;
# every accepted op correct); the memory is charged to the submitter's
# memory cgroup (ENOMEM over memory.max, no OOM kill); the per-device
# session cap. Started by tests/vm/host/t-guest-mem-run.sh in a guest booted with
# init_on_alloc=0. One "ok N - ..." line per check, then "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
n=0
failed=0
out=/tmp/t.out
M=vaccel-mem
V=vaccel-t
D0=/dev/vaccel0
D1=/dev/vaccel1
S0=/sys/class/vaccel/vaccel0
P=/sys/module/virtio_accel/parameters

t() { # t NAME CMD...: one check, output shown (failures: in full)
	name=$1
	shift
	n=$((n + 1))
	if "$@" >$out 2>&1; then
		echo "ok $n - $name"
		sed 's/^/#   /' $out | head -12
	else
		echo "not ok $n - $name"
		sed 's/^/#   /' $out | head -60
		failed=$((failed + 1))
	fi
}

add() { # add NAME: vdpa dev add, bound to virtio_vdpa
	d=/sys/bus/vdpa/devices/$1
	vdpa dev add name "$1" mgmtdev vdpa_accel || return 1
	if [ -e "$d/driver" ]; then
		echo "$1" >"$d/driver/unbind" || return 1
	fi
	echo virtio_vdpa >"$d/driver_override" &&
		echo "$1" >/sys/bus/vdpa/drivers_probe &&
		[ "$(basename "$(readlink "$d/driver")")" = virtio_vdpa ]
}

wait_for() { # wait_for PATH: up to 10 s
	i=0
	while [ $i -lt 100 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

wait_val() { # wait_val FILE VALUE: up to 10 s
	i=0
	while [ $i -lt 100 ]; do
		[ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$1 is $(cat "$1" 2>&1), want $2"
	return 1
}

echo 0 >/sys/bus/vdpa/drivers_autoprobe
t "vdpa dev add accel0, bound to virtio_vdpa" add accel0
t "vdpa dev add accel1, bound to virtio_vdpa" add accel1
t "/dev/vaccel0 appears" wait_for $D0
t "/dev/vaccel1 appears" wait_for $D1
t "booted with init_on_alloc=0 (stale memory would show)" \
	grep -qw init_on_alloc=0 /proc/cmdline
t "budget parameters and per-device counters exist" sh -c "
	for f in max_pinned_mb_per_dev max_pinned_mb_per_file \
		max_sessions_per_dev; do
		echo \"\$f = \$(cat $P/\$f)\" || exit 1
	done
	echo \"RAM $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB\"
	[ \$(cat $P/max_pinned_mb_per_dev) -ge 16 ] &&
	[ \$(cat $P/max_pinned_mb_per_file) -ge 1 ] &&
	cat $S0/pinned $S0/pinned_peak $S0/pinned_refused"

# --- (a) VACCEL_IOC_RAW and stale kernel memory ----------------------------
t "RAW: no stale kernel memory beyond used_len (huge, short, valid chains)" \
	$M $D0 rawstale

# --- (b) many files, large async ops never reaped ---------------------------
slab0=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
t "flood: 16 files x unreaped 1 MiB ops: budget holds, EAGAIN, others served, all correct" \
	$M $D0 flood 16 $D1
slab1=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
t "slab after the flood within 8 MiB of before (${slab0} -> ${slab1} kB)" \
	[ $((slab1 - slab0)) -lt 8192 ]
t "nothing pinned after the flood" wait_val $S0/pinned 0
t "inflight back to 0" wait_val $S0/inflight 0

share=$(cat $P/max_pinned_mb_per_file)
echo 1 >$P/max_pinned_mb_per_file
t "a file holding nothing runs one op above its share; a second gets EAGAIN" \
	$M $D0 exempt
echo "$share" >$P/max_pinned_mb_per_file

# --- (c) memory cgroup --------------------------------------------------------
cg=/sys/fs/cgroup
mkdir -p $cg
grep -q " $cg cgroup2 " /proc/mounts || mount -t cgroup2 none $cg
t "cgroup v2 with the memory controller" sh -c \
	"grep -qw memory $cg/cgroup.controllers &&
	 echo +memory >$cg/cgroup.subtree_control && mkdir -p $cg/vaccel &&
	 [ -e $cg/vaccel/memory.current ]"
t "memcg: pinned memory charged to the submitter's cgroup; ENOMEM over memory.max" \
	sh -c "echo \$\$ >$cg/vaccel/cgroup.procs && exec $M $D0 memcg"
t "nothing pinned after the memcg test" wait_val $S0/pinned 0

# --- sessions: a per-device cap besides the device's own table --------------
echo 5 >$P/max_sessions_per_dev
$V $D0 sessions 3 hold >/tmp/hold.out 2>&1 &
hp=$!
t "3 sessions held by one file" wait_val $S0/sessions 3
t "max_sessions_per_dev=5: another file gets ENOSPC at its third" sh -c \
	"! $V $D0 sessions 3 && $V $D0 sessions 3 2>&1 |
	 grep -q 'SESSION_CREATE 2: No space left on device'"
kill -9 $hp
wait $hp 2>/dev/null
t "sessions freed" wait_val $S0/sessions 0
t "with the holder gone, 5 sessions again" $V $D0 sessions 5
echo 0 >$P/max_sessions_per_dev
t "device still serves" sh -c "[ \"\$($V $D0 sha256-str abc)\" = \
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ]"

echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
