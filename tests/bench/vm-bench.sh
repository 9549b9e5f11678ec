#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs inside the 6.12 test guest (tests/vm/harness/vaccel-vm.sh --bin vaccel-bench),
# vaccel-bench with its native baselines measured in the same guest:
#  --path vdpa: the vDPA parent through virtio_vdpa + virtio_accel.ko (the
#    character device, label vm-chardev) and through vhost_vdpa (the
#    library drives the rings, label vm-vhost-vdpa);
#  --path vhost-user (data path 1): virtio_accel.ko over virtio-pci to the
#    DPDK back-end on the host (label vm-path1).
# Each JSON result is printed between @@BENCH-JSON markers for the host to
# cut out. VM_BENCH_ARGS overrides the case selection.
args=${VM_BENCH_ARGS:---rounds 3 --ms 250}
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null
if [ -n "${VACCEL_VHOST_VDPA:-}" ]; then
	set -- "vm-chardev $VACCEL_CHARDEV" "vm-vhost-vdpa $VACCEL_VHOST_VDPA"
else
	set -- "vm-path1 $VACCEL_CHARDEV"
fi
rc=0
for p in "$@"; do
	# shellcheck disable=SC2086 # label and device string
	set -- $p
	echo "vm-bench: $1 ($2)" >&2
	# shellcheck disable=SC2086
	if vaccel-bench --dev "$2" --label "$1" $args --json "/tmp/$1.json"; then
		echo "@@BENCH-JSON-BEGIN $1"
		cat "/tmp/$1.json"
		echo "@@BENCH-JSON-END $1"
	else
		echo "vm-bench: $1 failed" >&2
		rc=1
	fi
done
exit $rc
