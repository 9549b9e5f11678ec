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
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
VT_SHOW_OK=12	# vaccel-mem's figures, also when a check passes
VT_SHOW=60
M=vaccel-mem
V=vaccel-t
D0=/dev/vaccel0
D1=/dev/vaccel1
S0=/sys/class/vaccel/vaccel0
P=/sys/module/virtio_accel/parameters

vdpa_autoprobe 0
t "vdpa dev add accel0, bound to virtio_vdpa" vdpa_add accel0 virtio_vdpa
t "vdpa dev add accel1, bound to virtio_vdpa" vdpa_add accel1 virtio_vdpa
t "/dev/vaccel0 appears" wait_for 10 $D0
t "/dev/vaccel1 appears" wait_for 10 $D1
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
t "nothing pinned after the flood" wait_val 10 $S0/pinned 0
t "inflight back to 0" wait_val 10 $S0/inflight 0

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
t "nothing pinned after the memcg test" wait_val 10 $S0/pinned 0

# --- sessions: a per-device cap besides the device's own table --------------
echo 5 >$P/max_sessions_per_dev
$V $D0 sessions 3 hold >/tmp/hold.out 2>&1 &
hp=$!
t "3 sessions held by one file" wait_val 10 $S0/sessions 3
t "max_sessions_per_dev=5: another file gets ENOSPC at its third" sh -c \
	"! $V $D0 sessions 3 && $V $D0 sessions 3 2>&1 |
	 grep -q 'SESSION_CREATE 2: No space left on device'"
kill -9 $hp
wait $hp 2>/dev/null
t "sessions freed" wait_val 10 $S0/sessions 0
t "with the holder gone, 5 sessions again" $V $D0 sessions 5
echo 0 >$P/max_sessions_per_dev
t "device still serves" sh -c "[ \"\$($V $D0 sha256-str abc)\" = \
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ]"

finish
