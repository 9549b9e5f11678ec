#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Every labelled clause of the spec is cited by a check of the conformance
# suite or listed in tests/conformance/untestable.txt with a reason.
#
#   tests/conformance/check-clauses.sh [SPEC.md] [TAP...]
#
# The labels are the spec's bold ones (**[LABEL]**). The citations come from
# the TAP files given (what conformance_suite --tap wrote: "ok N - NAME
# [LABEL] [LABEL]..."), or, with none, from the suite's check list in
# tests/conformance/conformance.c. One "ok"/"not ok" line per clause; the
# last line is "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SPEC=${1:-$TOP/virtio-accel-spec/virtio-accel.md}
[ $# -gt 0 ] && shift
UNTESTABLE=$TOP/tests/conformance/untestable.txt
tmp=$(mktemp -d /tmp/vaccel-clauses.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

grep -o '\*\*\[[A-Z][A-Z0-9-]*\]\*\*' "$SPEC" | tr -d '*[]' | sort -u >"$tmp/labels"
if [ $# -gt 0 ]; then
	cat "$@" | grep -E '^(not )?ok [0-9]+ - ' | sed 's/ # .*//' |
		grep -o '\[[A-Z][A-Z0-9-]*\]' | tr -d '[]' | sort -u >"$tmp/cited"
	from="TAP: $*"
else
	grep -E '^[[:space:]]*X\(t_' "$TOP/tests/conformance/conformance.c" |
		cut -d'"' -f4 | tr ' ' '\n' | grep -E '^[A-Z]' | sort -u >"$tmp/cited"
	# the ROWS macro's labels
	grep -E '^#define ROWS ' "$TOP/tests/conformance/conformance.c" |
		cut -d'"' -f2 | tr ' ' '\n' | grep -E '^[A-Z]' >>"$tmp/cited"
	sort -u -o "$tmp/cited" "$tmp/cited"
	from="tests/conformance/conformance.c"
fi
grep -vE '^(#|$)' "$UNTESTABLE" | cut -f1 | sort -u >"$tmp/untestable"

p=0
f=0
n=0
echo "# clauses of ${SPEC#"$TOP"/}, citations from $from"
while read -r l; do
	n=$((n + 1))
	if grep -qx "$l" "$tmp/cited"; then
		echo "ok $n - [$l] cited by a check"
		p=$((p + 1))
	elif grep -qx "$l" "$tmp/untestable"; then
		echo "ok $n - [$l] not testable from a driver: $(grep "^$l	" "$UNTESTABLE" | cut -f2 | cut -c1-90)"
		p=$((p + 1))
	else
		echo "not ok $n - [$l] neither cited by a check nor in tests/conformance/untestable.txt"
		f=$((f + 1))
	fi
done <"$tmp/labels"
# Labels cited or listed that this spec does not have: notes, not
# failures (the suite may run against an older or newer text than the
# suite's: spec 1.1 adds clauses).
sort -u "$tmp/untestable" "$tmp/cited" | while read -r l; do
	grep -qx "$l" "$tmp/labels" ||
		echo "# note: [$l] is cited or listed but is no clause of ${SPEC##*/}"
done
echo "check-clauses: $p passed, $f failed"
[ "$f" -eq 0 ]
