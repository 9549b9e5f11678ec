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
#               vhost-user-accel-pci device (PCI 1af4:1078); wait for
#               /dev/vaccel0
set -u

# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
die() { echo "guest-prelude: $*" >&2; exit 125; }
cd /payload || die "no /payload"

path=vdpa
[ ! -r .vaccel-path ] || path=$(cat .vaccel-path)
case $path in
vdpa)
	vdpa mgmtdev show | grep -q vdpa_accel || die "no vdpa_accel management device"
	vdpa_autoprobe 0
	vdpa_add accel0 virtio_vdpa || die "vdpa dev add accel0 (virtio_vdpa) failed"
	vdpa_add accel1 vhost_vdpa || die "vdpa dev add accel1 (vhost_vdpa) failed"
	vdpa_autoprobe 1
	wait_for 5 /dev/vaccel0 || die "/dev/vaccel0 did not appear"
	wait_for 5 /dev/vhost-vdpa-0 || die "/dev/vhost-vdpa-0 did not appear"
	# vhost-vdpa pins the library's shared memory
	# shellcheck disable=SC3045 # busybox sh has ulimit -l
	ulimit -l unlimited 2>/dev/null || ulimit -l 262144
	export VACCEL_VHOST_VDPA=vhost-vdpa:/dev/vhost-vdpa-0
	what="/dev/vaccel0 (accel0, virtio_vdpa) and /dev/vhost-vdpa-0 (accel1, vhost_vdpa)"
	;;
vhost-user)
	pdev=$(pci_dev 0x1af4 0x1078) || die "no vhost-user-accel-pci device (PCI 1af4:1078) in the guest"
	[ -d /sys/bus/virtio/drivers/virtio_accel ] || die "virtio_accel.ko is not loaded"
	wait_for 5 /dev/vaccel0 || die "/dev/vaccel0 did not appear (driver not bound to ${pdev##*/}?)"
	what="/dev/vaccel0 (PCI ${pdev##*/}, virtio-pci, vhost-user back-end on the host)"
	;;
*) die "unknown data path '$path'" ;;
esac

export VACCEL_CHARDEV=/dev/vaccel0
echo "guest-prelude: $what ready; vaccel is $(command -v vaccel)"
script=$(cat .user-script)
sh "./$script"
