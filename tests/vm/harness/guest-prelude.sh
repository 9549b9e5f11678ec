#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload of tests/vm/harness/vaccel-vm.sh: makes the devices, then runs the
# user's script from /payload and exits with its status. /payload/.vaccel-path
# says which data path (vdpa when absent):
#   vdpa:       vdpa_accel.ko and virtio_accel.ko are loaded; create two
#               virtio-accel devices, bind accel0 to virtio_vdpa (the guest
#               driver gives /dev/vaccel0) and accel1 to vhost_vdpa
#               (/dev/vhost-vdpa-0)
#   vhost-user: virtio_accel.ko is loaded and binds by itself to QEMU's
#               vhost-user-accel-pci device (PCI 1af4:107f); wait for
#               /dev/vaccel0
set -u

die() { echo "guest-prelude: $*" >&2; exit 125; }
cd /payload || die "no /payload"

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

path=vdpa
[ ! -r .vaccel-path ] || path=$(cat .vaccel-path)
case $path in
vdpa)
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
	export VACCEL_VHOST_VDPA=vhost-vdpa:/dev/vhost-vdpa-0
	what="/dev/vaccel0 (accel0, virtio_vdpa) and /dev/vhost-vdpa-0 (accel1, vhost_vdpa)"
	;;
vhost-user)
	pdev=""
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x107f ] &&
			pdev=$d && break
	done
	[ -n "$pdev" ] || die "no vhost-user-accel-pci device (PCI 1af4:107f) in the guest"
	[ -d /sys/bus/virtio/drivers/virtio_accel ] || die "virtio_accel.ko is not loaded"
	wait_for /dev/vaccel0 || die "/dev/vaccel0 did not appear (driver not bound to ${pdev##*/}?)"
	what="/dev/vaccel0 (PCI ${pdev##*/}, virtio-pci, vhost-user back-end on the host)"
	;;
*) die "unknown data path '$path'" ;;
esac

export VACCEL_CHARDEV=/dev/vaccel0
echo "guest-prelude: $what ready; vaccel is $(command -v vaccel)"
script=$(cat .user-script)
sh "./$script"
