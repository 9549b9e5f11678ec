#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The hostile vhost-user front-end (tests/robust/hostile_vu.c) against the
# real back-end, as built (build/) and with ASan+UBSan (build-san/): every
# named case, then seeded random message sequences (HOSTILE_SECONDS, 30 s
# on build/, half that on build-san/; the seed is printed, HOSTILE_SEED
# replays it). After each case and every 25 sequences the back-end must be
# alive, within its memory bound, and serve the vaccel CLI; its log must
# hold no sanitizer report. The result lines go to build/robust/
# (hostile-dpdk.res, hostile-dpdk-asan.res) for the "vhost-user messages"
# section of docs/robustness.md (tests/robust/mktable.py). Ends
# "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# shellcheck source=tests/lib/lib.sh
. tests/lib/lib.sh
OUT=${ROBUST_OUT:-$TOP/build/robust}
SECS=${HOSTILE_SECONDS:-30}
SEED=${HOSTILE_SEED:-}
SAN_RE='AddressSanitizer|LeakSanitizer|runtime error'
mkdir -p "$OUT"

# one BUILD IMPL SECONDS: the cases, then the random run
one() {
	b=$1 impl=$2 secs=$3
	res=$OUT/hostile-$impl.res
	rm -f "$res"
	for x in "$b/vhost-user-accel" build/vaccel build/tests/robust/hostile-vu; do
		[ -x "$x" ] || { not_ok "$impl: $x missing: run make"; return; }
	done
	d=$(mktemp -d /tmp/vaccel-hostile.XXXXXX)
	HOSTILE_KEEP_LOG=1 timeout 900 build/tests/robust/hostile-vu \
		--backend "$b/vhost-user-accel" --vaccel build/vaccel \
		--impl "$impl" >"$d/cases" 2>&1
	rc=$?
	grep -E '^(vu-result|vu-health) ' "$d/cases" >>"$res"
	tally "$d/cases" "$impl: named cases" $rc
	log=$(sed -n 's/^# back-end log kept: //p' "$d/cases")
	sanitizer "$log" "$impl: named cases"
	HOSTILE_KEEP_LOG=1 timeout 600 build/tests/robust/hostile-vu \
		--backend "$b/vhost-user-accel" --vaccel build/vaccel \
		--impl "$impl" --random "$secs" ${SEED:+--seed "$SEED"} \
		>"$d/random" 2>&1
	rc=$?
	grep -E '^vu-random ' "$d/random" >>"$res"
	tally "$d/random" "$impl: $secs s of random message sequences" $rc
	log=$(sed -n 's/^# back-end log kept: //p' "$d/random")
	sanitizer "$log" "$impl: random sequences"
	rm -rf "$d"
}

# tally OUTPUT NAME RC: one ok/not ok per result line of hostile-vu
tally() {
	grep -E '^# ' "$1" | grep -v 'log kept' | head -5
	while IFS= read -r line; do
		c=$(sed -n 's/.* case=\([^ ]*\) .*/\1/p' <<<"$line")
		[ -n "$c" ] || c=random
		if grep -q ' result=pass ' <<<"$line"; then
			ok "$2: $c"
		else
			not_ok "$2: $c: $(cut -c1-400 <<<"$line")"
		fi
	done < <(grep -E '^vu-(result|random) ' "$1")
	if ! grep -qE '^vu-(result|random) ' "$1" || [ "$3" -gt 1 ]; then
		not_ok "$2: hostile-vu exit $3"
		tail -20 "$1"
	fi
}

# sanitizer LOG NAME: no sanitizer report in the back-end's log
sanitizer() {
	if [ -n "$1" ] && grep -qE "$SAN_RE" "$1"; then
		not_ok "$2: sanitizer report in the back-end log"
		grep -E -A12 "$SAN_RE" "$1" | head -40
		echo "vu-health impl=$impl status=FAIL | detail=sanitizer report" >>"$res"
	else
		echo "vu-health impl=$impl status=ok | detail=" >>"$res"
	fi
	[ -n "$1" ] && rm -rf "$(dirname "$1")"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
one build dpdk "$SECS"
one build-san dpdk-asan $(((SECS + 1) / 2))
summary
