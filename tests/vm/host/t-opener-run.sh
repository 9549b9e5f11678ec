#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The hostile vhost-vdpa opener (issue 10, defect 1) in the 6.12 guest:
# builds vdpa_accel.ko and vaccel-vhost-opener if missing, runs
# tests/vm/guest/t-parent-opener.sh, and keeps its "robust-opener" lines in
# build/robust/opener.res (ROBUST_OUT) for docs/robustness.md
# (tests/robust/run-robust.sh vm). Output ends "N passed, N failed"; exit
# 1 also when the guest's kernel log has a splat (run-in-vm.sh).
#
#   tests/vm/host/t-opener-run.sh
#
# Environment: VDPA_KO (default vdpa-driver/vdpa_accel.ko). Exit 77 when
# the module is missing and cannot be built.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$TOP" || exit 2
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
OUT=${ROBUST_OUT:-$TOP/build/robust}
BIN=$TOP/vdpa-driver/tests/vaccel-vhost-opener
mkdir -p "$OUT"
make -s -C vdpa-driver tests >&2 || exit 1
if [ ! -e "$VDPA_KO" ]; then
	kdir=$("$TOP/tests/vm/harness/kernel-env.sh" --kdir)
	if ! make -C "$kdir" M="$(dirname "$VDPA_KO")" modules >&2 ||
	   [ ! -e "$VDPA_KO" ]; then
		echo "t-opener-run: SKIP: $VDPA_KO is missing and cannot be built" >&2
		exit 77
	fi
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-opener.XXXXXX")
trap 'rm -rf "$T"' EXIT
tests/vm/harness/run-in-vm.sh --timeout 300 --ko "$VDPA_KO" --bin "$BIN" \
	tests/vm/guest/t-parent-opener.sh >"$T/console" 2>&1
rc=$?
tr -d '\r' <"$T/console" >"$T/out"
cat "$T/out"
grep '^robust-opener ' "$T/out" >"$OUT/opener.res"
if [ $rc -ne 0 ]; then
	echo "robust-opener-health status=FAIL | detail=guest run exit $rc" \
		>>"$OUT/opener.res"
	# a run that died early has no result line of its own
	grep -q '^t-parent-opener: [0-9]* passed' "$T/out" ||
		echo "t-opener-run: 0 passed, 1 failed"
fi
exit $rc
