#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) for path 1: QEMU's vhost-user-accel-pci device
# backed by the DPDK vhost-user-accel daemon on the host. Run it through
# vhost-user-backend/qemu/run-path1.sh, which starts the back-end and QEMU:
#
#   vhost-user-backend/qemu/run-path1.sh [--ko build/virtio_accel.ko]
#
# Checks the device on the PCI bus (1af4:1078, revision 1, class 0xff, one
# MSI-X vector per queue plus config) and on the virtio bus (device 0x0038).
# When the virtio_accel driver is loaded: it is bound, /dev/vaccel0 exists,
# and, if the vaccel CLI is in the guest, a SHA-256 through the device
# matches sha256sum. /payload/expect (written by run-path1.sh) may set
# NUM_QUEUES (data queues, default 1). One "ok N"/"not ok N" line per check.
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
NUM_QUEUES=1
# shellcheck disable=SC1091
[ -r /payload/expect ] && . /payload/expect

# byte N of a PCI function's config space, decimal
cfg_byte() {
	od -An -tu1 -j "$2" -N1 "$1/config" | tr -d ' '
}

# MSI-X table size of a PCI function (walks the capability list)
msix_size() {
	pos=$(cfg_byte "$1" 52)
	hops=0
	while [ "$pos" -ne 0 ] && [ $hops -lt 48 ]; do
		if [ "$(cfg_byte "$1" "$pos")" -eq 17 ]; then
			lo=$(cfg_byte "$1" $((pos + 2)))
			hi=$(cfg_byte "$1" $((pos + 3)))
			echo $((((hi * 256 + lo) & 2047) + 1))
			return 0
		fi
		pos=$(cfg_byte "$1" $((pos + 1)))
		hops=$((hops + 1))
	done
	echo 0
}

pdev=$(pci_dev 0x1af4 0x1078)
echo "# PCI function: ${pdev:-none}"
if command -v lspci >/dev/null 2>&1; then
	lspci -n 2>/dev/null | sed 's/^/# lspci: /'
fi
t "PCI function 1af4:1078 present" test -n "$pdev"
if [ -n "$pdev" ]; then
	t "PCI revision 0x01 (virtio 1.0, modern only)" \
		sh -c "[ \"\$(cat $pdev/revision)\" = 0x01 ]"
	t "PCI class 0xff0000 (other)" sh -c "[ \"\$(cat $pdev/class)\" = 0xff0000 ]"
	t "PCI subsystem vendor 0x1af4" \
		sh -c "[ \"\$(cat $pdev/subsystem_vendor)\" = 0x1af4 ]"
	want=$((NUM_QUEUES + 2))
	got=$(msix_size "$pdev")
	t "MSI-X table: $got vectors, want $want (1 control + $NUM_QUEUES data queues + config)" \
		test "$got" -eq "$want"
fi

vdev=""
for d in /sys/bus/virtio/devices/*; do
	[ -e "$d/device" ] || continue
	if [ "$(cat "$d/device")" = 0x0038 ]; then
		vdev=$d
		break
	fi
done
echo "# virtio device: ${vdev:-none}"
t "virtio device ID 0x0038 present" test -n "$vdev"
[ -z "$vdev" ] || t "virtio vendor 0x1af4" sh -c "[ \"\$(cat $vdev/vendor)\" = 0x1af4 ]"

if [ -d /sys/bus/virtio/drivers/virtio_accel ]; then
	t "virtio_accel bound to ${vdev##*/}" [ "$(driver_of "$vdev")" = virtio_accel ]
	t "/dev/vaccel0 is a character device" test -c /dev/vaccel0
	[ -z "$pdev" ] || [ ! -d "$pdev/msi_irqs" ] ||
		echo "# MSI-X vectors in use: $(find "$pdev/msi_irqs" -mindepth 1 -maxdepth 1 | wc -l)"
	[ -z "$vdev" ] || echo "# negotiated features: $(cat "$vdev/features")"
	if command -v vaccel >/dev/null 2>&1 && [ -c /dev/vaccel0 ]; then
		dd if=/dev/urandom of=/tmp/data bs=1024 count=300 2>/dev/null
		t "vaccel info /dev/vaccel0" vaccel info /dev/vaccel0
		# shellcheck disable=SC2016 # expanded by the inner sh
		t "SHA-256 through the device matches sha256sum" sh -c '
			a=$(vaccel hash /dev/vaccel0 --alg sha256 /tmp/data | cut -d" " -f1)
			b=$(sha256sum /tmp/data | cut -d" " -f1)
			echo "device $a"; echo "sha256sum $b"; [ "$a" = "$b" ]'
	else
		echo "# no vaccel CLI in the guest (--bin build/vaccel); data path not exercised"
	fi
else
	echo "# virtio_accel driver not loaded (--ko); driver checks skipped"
fi

echo "# $((VT_N - VT_FAILED)) passed, $VT_FAILED failed"
[ $VT_FAILED -eq 0 ]
