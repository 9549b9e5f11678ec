#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload of tests/vm/host/t-restart-run.sh: runs vaccel-restart-load once
# per phase ("DEPTH:KILLS" words in /payload/phases) while the host kills
# and restarts the back-end, then checks the guest's side: the virtio core
# never saw a bad used entry (a duplicate completion is "id N is not a
# head!"), no queue was marked broken, and nothing is left in flight.
# Lines "RESTART-CHECK: ok|FAIL NAME" are counted by the host.
set -u
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
dev=/dev/vaccel0
fails=0
check() {
	if [ "$1" -eq 0 ]; then
		echo "RESTART-CHECK: ok $2"
	else
		echo "RESTART-CHECK: FAIL $2"
		fails=$((fails + 1))
	fi
}

wait_for 10 $dev >/dev/null
[ -c $dev ]
check $? "$dev exists (virtio_accel bound to the vhost-user-accel-pci device)"
[ -c $dev ] || exit 1
echo 1024 >/sys/module/virtio_accel/parameters/max_inflight_per_file
. /payload/phases

for ph in $PHASES; do
	d=${ph%%:*}
	k=${ph#*:}
	echo "RESTART: phase depth=$d kills=$k"
	vaccel-restart-load $dev "$d" "$k"
	check $? "depth $d, $k kill(s): every request completed once, correct"
done

log=$(dmesg)
bad=$(echo "$log" | grep -E 'is not a head|out of range|BAD_RING|virtqueue.*broken|used len|unexpected used' || true)
[ -z "$bad" ]
check $? "no bad used-ring entry in the guest's kernel log"
[ -z "$bad" ] || echo "$bad"
inflight=$(cat /sys/class/vaccel/vaccel0/inflight 2>/dev/null || echo missing)
[ "$inflight" = 0 ]
check $? "driver: nothing left in flight (inflight=$inflight)"
# a broken device would refuse new work; one more op must go through
vaccel-restart-load $dev 4 0 >/dev/null
check $? "the device still serves requests after the restarts"
echo "RESTART-GUEST: done, $fails failed"
[ $fails -eq 0 ]
