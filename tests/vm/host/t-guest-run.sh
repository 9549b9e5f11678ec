#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Host side of the guest-driver VM test: builds virtio_accel.ko and the
# static vaccel-t (guest-driver/kernel), takes vdpa_accel.ko from
# vdpa-driver/ (built if missing), and runs tests/vm/guest/t-guest-driver.sh in
# the 6.12 guest. Output ends "N passed, N failed"; exit status is the
# payload's (1 also when the guest's kernel log has a WARN/BUG splat).
#
#   tests/vm/host/t-guest-run.sh
#
# Environment: VDPA_KO (default vdpa-driver/vdpa_accel.ko), GUEST_VM_TIMEOUT
# (default 600). Exit 77 when vdpa_accel.ko is missing and cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
. "$TOP/tests/lib/lib.sh"

make -s -C "$K" modules tests >&2
need_ko "$VDPA_KO"

exec "$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${GUEST_VM_TIMEOUT:-600}" \
	--ko "$VDPA_KO" --ko "$K/virtio_accel.ko" \
	--module gcm --module crc32c_generic --module deflate \
	--bin "$K/tests/vaccel-t" \
	"$TOP/tests/vm/guest/t-guest-driver.sh" "$K/virtio_accel.ko"
