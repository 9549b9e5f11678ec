#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The vDPA parent's requests in flight in the crypto API (issue 14), in the
# 6.12 guest: tests/vm/guest/t-parent-async-guest.sh over vhost-vdpa, the
# parent with aead_alg=cryptd(gcm_base(...)) (asynchronous completion). CLI
# references from tests/vm/harness/cli-refs.sh.
#
#   tests/vm/host/t-parent-async-run.sh [BUILD_DIR]      default: build
#
# Environment: VDPA_KO (default the build output, built here),
# LIB_VM_SIZES (cli-refs.sh; default here "0 1 4096 65536 1048579"),
# PASYNC_VM_TIMEOUT (1200). Output ends "N passed, N failed"; exit 77 when
# the module cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}

make -s -C "$TOP/vdpa-driver" modules >&2 || true
[ -e "$VDPA_KO" ] || skip_all "vdpa_accel.ko is missing and cannot be built"
for b in "$B/vaccel" "$B/tests/conformance_suite"; do
	[ -x "$b" ] || { echo "t-parent-async-run: $b missing: run make" >&2; exit 2; }
done

test_tmpdir pasync
mkdir "$T/payload"
cp "$VDPA_KO" "$T/payload/vdpa_accel.ko"
LIB_VM_SIZES=${LIB_VM_SIZES:-0 1 4096 65536 1048579} \
	"$TOP/tests/vm/harness/cli-refs.sh" "$T/payload"
cp "$TOP/tests/vm/guest/cli-checks.sh" "$T/payload/"

{
	rc=0
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${PASYNC_VM_TIMEOUT:-1200}" \
		--module gcm --module ghash-generic --module crc32c_generic \
		--module cryptd --module deflate \
		--bin "$B/vaccel" --bin "$B/tests/conformance_suite" \
		"$TOP/tests/vm/guest/t-parent-async-guest.sh" "$T/payload"/* 2>&1 ||
		rc=$?
	echo "$rc" >"$T/rc"
} | tee "$T/out" | grep -vE '^conf-tap '
count_results "$T/out" "$(cat "$T/rc" 2>/dev/null || echo 125)" || true
summary
