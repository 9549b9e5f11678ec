#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Run every libFuzzer target for a while, one after the other:
#
#   tests/fuzz/run-fuzz.sh [-t SECONDS] [FUZZ_DIR] [TARGET...]
#
# FUZZ_DIR is where `make fuzz-build` put the binaries (default build/fuzz);
# SECONDS defaults to $FUZZ_SECONDS or 60. Each target starts from its
# checked-in corpus tests/fuzz/corpus/<name>/ (every input of it is run
# first: the replay) and writes what it finds to a scratch directory, so the
# checked-in corpus never grows by itself. Crashes, leaks and timeouts go to
# FUZZ_DIR/artifacts/<name>/ (reproduce: FUZZ_DIR/fuzz_<name> FILE).
#
# Prints per target: executions, coverage (cov/ft of libFuzzer's last
# status line), corpus size, crashes; then "N passed, N failed". A target
# passes if libFuzzer exits 0 and left no crash-/leak-/timeout-/oom- file.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${FUZZ_SECONDS:-60}

while [ $# -gt 0 ]; do
	case $1 in
	-t) SECS=$2; shift 2 ;;
	-h|--help) sed -n '3,17p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
FDIR=${1:-$TOP/build/fuzz}
[ $# -gt 0 ] && shift
TARGETS=${*:-req zlib vring backend virtqueue vhost_user vdpa vhost_msg state}

case $SECS in
''|*[!0-9]*) echo "run-fuzz: -t wants whole seconds, not '$SECS'" >&2; exit 2 ;;
esac

SCRATCH=$(mktemp -d /tmp/vaccel-fuzz.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
# leaks are failures; a UBSan report aborts (the targets are built with
# -fno-sanitize-recover=undefined)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0
fail=0
printf '%-11s %12s %7s %7s %6s %8s  %s\n' target executions cov ft corpus \
	crashes result
for t in $TARGETS; do
	bin=$FDIR/fuzz_$t
	seeds=$TOP/tests/fuzz/corpus/$t
	art=$FDIR/artifacts/$t
	log=$SCRATCH/$t.log
	if [ ! -x "$bin" ]; then
		printf '%-11s %12s %7s %7s %6s %8s  %s\n' "$t" - - - - - \
			"FAILED: $bin not built (make fuzz-build)"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$SCRATCH/$t" "$art"
	# artifacts of an earlier run are not this run's findings
	find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) -delete
	[ -d "$seeds" ] || seeds=
	"$bin" -max_total_time="$SECS" -print_final_stats=1 -timeout=20 \
		-rss_limit_mb=2048 -artifact_prefix="$art/" \
		"$SCRATCH/$t" ${seeds:+"$seeds"} >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -1)
	status=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1)
	cov=$(echo "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$status" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	crashes=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o \
		-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
		wc -l)
	if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
		result=passed
		pass=$((pass + 1))
	else
		result="FAILED (exit $rc)"
		fail=$((fail + 1))
	fi
	printf '%-11s %12s %7s %7s %6s %8s  %s\n' "$t" "${execs:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$result"
	if [ "$result" != passed ]; then
		grep -E -A12 'ERROR: |invariant failed|runtime error|==ERROR' \
			"$log" | head -40 | sed 's/^/    /'
		echo "    artifacts: $art"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
