#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload of tests/vm/vaccel-vm.sh: with vdpa_accel.ko and
# virtio_accel.ko already loaded, create two virtio-accel devices, bind
# accel0 to virtio_vdpa (the guest driver gives /dev/vaccel0) and accel1 to
# vhost_vdpa (/dev/vhost-vdpa-0), then run the user's script from /payload
# and exit with its status.
set -u
cd /payload

die() { echo "guest-prelude: $*" >&2; exit 125; }

# bind NAME DRIVER
bind() {
	d=/sys/bus/vdpa/devices/$1
	echo "$2" >"$d/driver_override" || return 1
	echo "$1" >/sys/bus/vdpa/drivers_probe || return 1
	[ "$(basename "$(readlink "$d/driver")")" = "$2" ]
}

wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}

vdpa mgmtdev show | grep -q vdpa_accel || die "no vdpa_accel management device"
echo 0 >/sys/bus/vdpa/drivers_autoprobe
vdpa dev add name accel0 mgmtdev vdpa_accel || die "vdpa dev add accel0 failed"
vdpa dev add name accel1 mgmtdev vdpa_accel || die "vdpa dev add accel1 failed"
bind accel0 virtio_vdpa || die "cannot bind accel0 to virtio_vdpa"
bind accel1 vhost_vdpa || die "cannot bind accel1 to vhost_vdpa"
echo 1 >/sys/bus/vdpa/drivers_autoprobe
wait_for /dev/vaccel0 || die "/dev/vaccel0 did not appear"
wait_for /dev/vhost-vdpa-0 || die "/dev/vhost-vdpa-0 did not appear"
# vhost-vdpa pins the library's shared memory
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144

export VACCEL_CHARDEV=/dev/vaccel0
export VACCEL_VHOST_VDPA=vhost-vdpa:/dev/vhost-vdpa-0
echo "guest-prelude: /dev/vaccel0 (accel0, virtio_vdpa) and /dev/vhost-vdpa-0 (accel1, vhost_vdpa) ready; vaccel is $(command -v vaccel)"
script=$(cat .user-script)
sh "./$script"
