#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The conformance suite's last part in make check (tests/run-all.sh):
#   1. every labelled clause of the spec is cited by a check or listed in
#      tests/conformance/untestable.txt (check-clauses.sh, citations from
#      the DPDK back-end run's TAP, or from the suite's source without it);
#   2. docs/conformance.md from the TAP files the earlier parts left in
#      $CONF_OUT (default build/conformance): dpdk.tap (the DPDK back-end),
#      vdpa-vhost.tap (the vDPA parent through vhost-vdpa, t-lib-run.sh),
#      vdpa-chardev.tap (the guest driver over virtio_vdpa, /dev/vaccelN,
#      t-lib-run.sh), path1.tap (the guest driver over virtio-pci,
#      t-path1-run.sh), mask-NAME.tap (the DPDK back-end with one feature
#      masked). A file older than the suite's binary is stale: its column
#      reads "not run".
#
#   tests/conformance/run-report.sh [OUT.md]     default: docs/conformance.md
# OUT.md is rewritten only when all four implementation columns have fresh
# results (a make check-fast run leaves it alone).
# Ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# shellcheck source=tests/lib/lib.sh
. tests/lib/lib.sh
OUT=${CONF_OUT:-$TOP/build/conformance}
MD=${1:-docs/conformance.md}
SUITE=build/tests/conformance_suite

# col FILE: FILE if present and not older than the suite, else ""
col() {
	if [ -s "$1" ] && ! [ "$SUITE" -nt "$1" ]; then
		echo "$1"
	fi
}

dpdk=$(col "$OUT/dpdk.tap")
if [ -n "$dpdk" ]; then
	tests/conformance/check-clauses.sh virtio-accel-spec/virtio-accel.md "$dpdk" >"$OUT/clauses.out" 2>&1
else
	tests/conformance/check-clauses.sh >"$OUT/clauses.out" 2>&1
fi
rc=$?
grep -E '^(not ok|# )' "$OUT/clauses.out"
tail -1 "$OUT/clauses.out"
if [ $rc -eq 0 ]; then
	ok "every clause of the spec cited by a check or in untestable.txt"
else
	not_ok "clauses neither cited nor in untestable.txt (above)"
fi

masks=
for m in MQ STATELESS STREAM EVENT_IDX INDIRECT_DESC; do
	masks="$masks mask-$m=$m=$(col "$OUT/mask-$m.tap")"
done
# shellcheck disable=SC2086 # $masks: one word per column
python3 tests/conformance/mkreport.py "$OUT/conformance.md" \
	"dpdk=DPDK back-end (vhost-user)=$dpdk" \
	"vdpa-vhost=vDPA parent via vhost-vdpa=$(col "$OUT/vdpa-vhost.tap")" \
	"vdpa-chardev=guest driver over virtio_vdpa (path 3)=$(col "$OUT/vdpa-chardev.tap")" \
	"path1=guest driver over virtio-pci (path 1)=$(col "$OUT/path1.tap")" \
	-- $masks
rc=$?
missing=
for c in dpdk vdpa-vhost vdpa-chardev path1; do
	[ -n "$(col "$OUT/$c.tap")" ] || missing="$missing $c"
done
if [ ! -s "$OUT/conformance.md" ]; then
	not_ok "$MD not generated"
elif [ -z "$missing" ]; then
	cp "$OUT/conformance.md" "$MD"
	ok "$MD generated from every implementation's run"
else
	# a partial run (make check-fast, CHECK_SKIP) leaves the doc alone
	echo "# no (fresh) results of:$missing: $MD left as it is, this run's table is $OUT/conformance.md"
	ok "$OUT/conformance.md generated (partial)"
fi
if [ $rc -eq 0 ]; then
	ok "no implementation fails a check (FAIL) in $MD"
else
	not_ok "an implementation fails a check: see $MD"
	grep -F '**FAIL**' "$MD" | head -20
fi
summary
