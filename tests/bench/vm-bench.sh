#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs inside the 6.12 test guest (tests/vm/vaccel-vm.sh --bin vaccel-bench):
# vaccel-bench against the kernel paths, with its native baselines measured
# in the same guest: the vDPA parent through virtio_vdpa + virtio_accel.ko
# (the character device) and through vhost_vdpa (the library drives the
# rings). Each JSON result is printed between @@BENCH-JSON markers for the
# host to cut out. VM_BENCH_ARGS overrides the case selection.
args=${VM_BENCH_ARGS:---rounds 3 --ms 250}
ulimit -l unlimited 2>/dev/null
rc=0
for p in "vm-chardev $VACCEL_CHARDEV" "vm-vhost-vdpa $VACCEL_VHOST_VDPA"; do
	set -- $p
	echo "vm-bench: $1 ($2)" >&2
	# shellcheck disable=SC2086
	if vaccel-bench --dev "$2" --label "$1" $args --json /tmp/$1.json; then
		echo "@@BENCH-JSON-BEGIN $1"
		cat /tmp/$1.json
		echo "@@BENCH-JSON-END $1"
	else
		echo "vm-bench: $1 failed" >&2
		rc=1
	fi
done
exit $rc
