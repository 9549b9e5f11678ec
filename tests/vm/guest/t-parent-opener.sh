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
# and moved back. The harness fails the run on any kernel splat.
set -u
P=0 F=0
ok() { P=$((P + 1)); echo "ok - $*"; }
not_ok() { F=$((F + 1)); echo "not ok - $*"; }
# count the ok / not ok lines of one vaccel-vhost-opener run
tally() { # tally FILE
	P=$((P + $(grep -c '^ok ' "$1")))
	F=$((F + $(grep -c '^not ok ' "$1")))
}
bind() { # bind DRIVER: accel0 to DRIVER (from whatever it has now)
	d=/sys/bus/vdpa/devices/accel0
	[ -e $d/driver ] && echo accel0 >$d/driver/unbind
	echo "$1" >$d/driver_override
	echo accel0 >/sys/bus/vdpa/drivers_probe
	[ "$(basename "$(readlink $d/driver)")" = "$1" ]
}
node() {
	# shellcheck disable=SC2012
	n=$(ls -d /sys/bus/vdpa/devices/accel0/vhost-vdpa-* 2>/dev/null | head -1)
	[ -n "$n" ] && echo "/dev/$(basename "$n")"
}

# physical addresses for the attack: pagemap needs root, kallsyms
# needs kptr_restrict 0; vhost-vdpa pins against RLIMIT_MEMLOCK
echo 0 >/proc/sys/kernel/kptr_restrict
# keep the kernel off the console: the result lines must stay whole (the
# harness gets the whole kernel log afterwards for its splat scan)
dmesg -n 1
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited
echo 0 >/sys/bus/vdpa/drivers_autoprobe
vdpa dev add name accel0 mgmtdev vdpa_accel || exit 1
out=/tmp/opener.out

if bind vhost_vdpa && n=$(node); then
	ok "new device bound to vhost_vdpa: $n"
	vaccel-vhost-opener "$n" | tee $out
	tally $out
else
	not_ok "accel0 not bound to vhost_vdpa"
fi

# virtio_vdpa resets the device with the identity map; vhost_vdpa must
# not inherit it
if bind virtio_vdpa && ls /sys/bus/virtio/devices/*/device >/dev/null 2>&1 &&
	grep -qx 0x003f /sys/bus/virtio/devices/*/device; then
	ok "accel0 bound to virtio_vdpa (virtio device 0x003f)"
else
	not_ok "accel0 not bound to virtio_vdpa"
fi
if bind vhost_vdpa && n=$(node); then
	ok "moved from virtio_vdpa back to vhost_vdpa: $n"
	echo "# the same attacks after virtio_vdpa"
	vaccel-vhost-opener "$n" --no-table | tee $out
	tally $out
else
	not_ok "accel0 not moved back to vhost_vdpa"
fi

s=/sys/bus/vdpa/devices/accel0
echo "# vDPA parent afterwards: requests $(cat $s/requests), errors $(cat $s/errors)"
if dmesg | grep -q "broken ring"; then
	ok "the parent stopped the attacked queues (broken ring in dmesg)"
else
	not_ok "no queue stop logged by the parent"
fi
vdpa dev del accel0 || not_ok "vdpa dev del"
rmmod vdpa_accel || not_ok "rmmod vdpa_accel"
echo "t-parent-opener: $P passed, $F failed"
[ "$F" -eq 0 ]
