#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The hostile vhost-vdpa opener (issue 10, defect 1) in the 6.12 guest:
# builds vdpa_accel.ko and vaccel-vhost-opener if missing, runs
# tests/vm/guest/t-parent-opener.sh, and keeps its "robust-opener" lines in
# build/robust/opener.res (ROBUST_OUT) for docs/robustness.md
# (tests/robust/run-robust.sh vm). Output ends "N passed, N failed"; a
# splat in the guest's kernel log (run-in-vm.sh's exit status) counts as a
# failure.
#
#   tests/vm/host/t-opener-run.sh
#
# Environment: VDPA_KO (default vdpa-driver/vdpa_accel.ko),
# OPENER_VM_TIMEOUT (default 300). Exit 77 when the module is missing and
# cannot be built.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
. "$TOP/tests/lib/lib.sh"
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
OUT=${ROBUST_OUT:-$TOP/build/robust}
mkdir -p "$OUT"
make -s -C "$TOP/vdpa-driver" tests >&2 || exit 1
need_ko "$VDPA_KO"
test_tmpdir opener

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${OPENER_VM_TIMEOUT:-300}" \
	--ko "$VDPA_KO" --bin "$TOP/vdpa-driver/tests/vaccel-vhost-opener" \
	"$TOP/tests/vm/guest/t-parent-opener.sh" >"$T/console" 2>&1 || rc=$?
tr -d '\r' <"$T/console" >"$T/out"
cat "$T/out"
grep '^robust-opener ' "$T/out" >"$OUT/opener.res"
[ $rc -eq 0 ] ||
	echo "robust-opener-health status=FAIL | detail=guest run exit $rc" \
		>>"$OUT/opener.res"
# the payload's own line (vaccel-vhost-opener's comes before it)
grep '^t-parent-opener: ' "$T/out" >"$T/result"
count_results "$T/result" "$rc"
summary
