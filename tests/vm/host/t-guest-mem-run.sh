#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Host side of the guest driver's memory tests (issue 10): builds
# virtio_accel.ko and the static vaccel-t and vaccel-mem
# (guest-driver/kernel), takes vdpa_accel.ko from vdpa-driver/ (built if
# missing), and runs tests/vm/guest/t-guest-mem.sh in the 6.12 guest booted with
# init_on_alloc=0 (Debian's default zeroes every allocation, which would
# hide stale memory). Output ends "N passed, N failed"; exit status is the
# payload's (1 also when the guest's kernel log has a WARN/BUG splat).
#
#   tests/vm/host/t-guest-mem-run.sh
#
# Environment: VDPA_KO (default vdpa-driver/vdpa_accel.ko), VACCEL_KO
# (default guest-driver/kernel/virtio_accel.ko, rebuilt unless set),
# GUEST_VM_TIMEOUT (default 600). Exit 77 when vdpa_accel.ko is missing and
# cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
. "$TOP/tests/lib/lib.sh"

if [ -n "${VACCEL_KO:-}" ]; then
	make -s -C "$K" tests >&2
else
	VACCEL_KO=$K/virtio_accel.ko
	make -s -C "$K" modules tests >&2
fi
need_ko "$VDPA_KO"

exec "$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${GUEST_VM_TIMEOUT:-600}" \
	--append "init_on_alloc=0" \
	--ko "$VDPA_KO" --ko "$VACCEL_KO" \
	--module gcm --module crc32c_generic --module deflate \
	--bin "$K/tests/vaccel-t" --bin "$K/tests/vaccel-mem" \
	"$TOP/tests/vm/guest/t-guest-mem.sh"
