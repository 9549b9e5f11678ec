#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Payload: a hostile /dev/vhost-vdpa-N opener against the vdpa_accel parent
# (vaccel-vhost-opener, vdpa-driver/tests/vaccel_vhost_opener.c): it maps
# nothing, maps then resets or closes, maps read-only and asks for writes,
# naming physical addresses of its own pages and of the kernel's text.
# Run by tests/vm/host/t-opener-run.sh:
#
#   tests/vm/harness/run-in-vm.sh --ko vdpa-driver/vdpa_accel.ko \
#       --bin vdpa-driver/tests/vaccel-vhost-opener tests/vm/guest/t-parent-opener.sh
#
# Twice: on a new device bound straight to vhost_vdpa, then on the same
# device after it was bound to virtio_vdpa (which uses the identity map)
# and moved back. The harness fails the run on any kernel splat. Ends
# "t-parent-opener: N passed, N failed" (tests/robust/run-robust.sh looks
# for it); the opener's own checks count as checks of this payload.
set -u
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

# opener FILE ARGS...: run vaccel-vhost-opener ARGS, its output shown and
# kept in FILE; its "ok N" / "not ok N" lines count as checks here
opener() {
	_f=$1
	shift
	vaccel-vhost-opener "$@" | tee "$_f"
	VT_N=$((VT_N + $(grep -c '^ok ' "$_f") + $(grep -c '^not ok ' "$_f")))
	VT_FAILED=$((VT_FAILED + $(grep -c '^not ok ' "$_f")))
}

# virtio_vdpa made a virtio device of ID 0x0038 (VIRTIO_ID_ACCEL)
virtio_accel_dev() {
	ls /sys/bus/virtio/devices/*/device >/dev/null 2>&1 &&
		grep -qx 0x0038 /sys/bus/virtio/devices/*/device
}

# physical addresses for the attack: pagemap needs root, kallsyms
# needs kptr_restrict 0; vhost-vdpa pins against RLIMIT_MEMLOCK
echo 0 >/proc/sys/kernel/kptr_restrict
# keep the kernel off the console: the result lines must stay whole (the
# harness gets the whole kernel log afterwards for its splat scan)
dmesg -n 1
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited
vdpa_autoprobe 0
vdpa_add accel0 || exit 1
out=/tmp/opener.out

if bind accel0 vhost_vdpa && n=$(vhost_node accel0); then
	ok "new device bound to vhost_vdpa: $n"
	opener $out "$n"
else
	not_ok "accel0 not bound to vhost_vdpa"
fi

# virtio_vdpa resets the device with the identity map; vhost_vdpa must
# not inherit it
if bind accel0 virtio_vdpa && virtio_accel_dev; then
	ok "accel0 bound to virtio_vdpa (virtio device 0x0038)"
else
	not_ok "accel0 not bound to virtio_vdpa"
fi
if bind accel0 vhost_vdpa && n=$(vhost_node accel0); then
	ok "moved from virtio_vdpa back to vhost_vdpa: $n"
	echo "# the same attacks after virtio_vdpa"
	opener $out "$n" --no-table
else
	not_ok "accel0 not moved back to vhost_vdpa"
fi

s=/sys/bus/vdpa/devices/accel0
echo "# vDPA parent afterwards: requests $(cat $s/requests), errors $(cat $s/errors)"
dmesg >/tmp/dmesg.out
t "the parent stopped the attacked queues (broken ring in dmesg)" \
	grep -q "broken ring" /tmp/dmesg.out
vdpa_del accel0 || not_ok "vdpa dev del accel0"
rmmod vdpa_accel || not_ok "rmmod vdpa_accel"
finish_as t-parent-opener
