#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# [STREAM-LIMIT] on the vDPA parent inside the 6.12 guest (issue 10,
# defect 6): vdpa_accel.ko loaded with max_comp_streams=3 advertises 3 and
# enforces it over vhost-vdpa and /dev/vaccelN (vaccel info, the conformance
# suite's STREAM-LIMIT); reloaded with the default, 1024 COMPRESS stream
# sessions x 64 KiB through vhost-vdpa (tests/security/stream_flood.c) get
# 64 sessions and 960 NOSPC, and the kernel's VmallocUsed grows by at most
# 64 x 288 KiB + slack; out-of-range values of the parameter are refused.
#
#   tests/vm/host/t-stream-limit-run.sh [BUILD_DIR]        default: build
#
# Environment: VDPA_KO, GUEST_KO (default: the build output of vdpa-driver/
# and guest-driver/kernel/, built here if missing), STREAM_VM_TIMEOUT (600).
# Exit status: the payload's (ends "N passed, N failed"); 77 when a module
# is missing and cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
. "$TOP/tests/lib/lib.sh"

need_ko "$VDPA_KO"
need_ko "$GUEST_KO"
for b in "$B/vaccel" "$B/tests/conformance_suite"; do
	[ -x "$b" ] || { echo "t-stream-limit-run: $b missing: run make" >&2; exit 2; }
done

test_tmpdir tzs
guest_prog "$TOP/tests/security/stream_flood.c" "$T/stream-flood" \
	"$B/libvirtaccel.a" -lpthread

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${STREAM_VM_TIMEOUT:-600}" \
	--ko "$VDPA_KO:max_comp_streams=3" --ko "$GUEST_KO" \
	--module gcm --module ghash-generic --module crc32c_generic \
	--module deflate \
	--bin "$B/vaccel" --bin "$B/tests/conformance_suite" \
	--bin "$T/stream-flood" \
	"$TOP/tests/vm/guest/t-stream-limit-guest.sh" || rc=$?
exit $rc
