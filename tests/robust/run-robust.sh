#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The malformed-input table and the time-of-check/time-of-use test
# (docs/robustness.md; make check runs the three parts):
#
#   tests/robust/run-robust.sh host     DPDK back-end on the host, as built
#                                       (build/), with ASan+UBSan (build-san/)
#                                       and with TSan (build/tsan/): every
#                                       case of vaccel-robust, then its
#                                       --toctou test
#   tests/robust/run-robust.sh toctou   toctou-inproc: the back-end's worker,
#                                       walker, request and engine code in one
#                                       process, under ASan+UBSan and TSan
#   tests/robust/run-robust.sh vm [--update]
#                                       the vDPA parent in the 6.12 guest, then
#                                       docs/robustness.md from all results:
#                                       fails if it differs from the committed
#                                       one (--update: rewrite it instead);
#                                       its "vhost-vdpa opener" section comes
#                                       from tests/vm/host/t-opener-run.sh (run
#                                       first when its results are stale)
#
# Results go to build/robust/ (ROBUST_OUT); `vm` runs `host` first when its
# results are missing or older than the binaries. Each part ends
# "N passed, N failed". Environment: TOCTOU_SECONDS (3), VDPA_KO.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# shellcheck source=tests/lib/lib.sh
. tests/lib/lib.sh
OUT=${ROBUST_OUT:-$TOP/build/robust}
TOCTOU_SECONDS=${TOCTOU_SECONDS:-3}
mkdir -p "$OUT"

# result lines of one vaccel-robust run: count them, show the failures
tally() { # tally FILE
	p=$(grep -c '^robust-result .* result=pass' "$1")
	f=$(grep -c '^robust-result .* result=FAIL' "$1")
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	echo "# $(basename "$1"): $p cases as expected, $f not"
	grep -E '^(robust-result .* result=FAIL|# |not ok)' "$1" | cut -c1-400
}

# host_one BACKEND_DIR CLIENT_DIR IMPL: the table's cases and the TOCTOU
# test with vaccel-robust of CLIENT_DIR on BACKEND_DIR/vhost-user-accel
host_one() {
	# B is start_backend's (tests/lib/lib.sh)
	# shellcheck disable=SC2034
	B=$1 C=$2 impl=$3
	res=$OUT/$impl.res
	rm -f "$res"
	d=$(mktemp -d /tmp/vaccel-robust.XXXXXX)
	if ! start_backend "$d"; then
		not_ok "$impl: back-end did not start"
		echo "robust-health impl=$impl status=FAIL | detail=did not start" >"$res"
		rm -rf "$d"
		return
	fi
	start=$(date +%s%N)
	timeout 300 "$C/tests/robust/vaccel-robust" --impl "$impl" \
		--log "$BACKEND_LOG" "$DEV" >"$d/cases" 2>&1
	rc=$?
	grep '^robust-result ' "$d/cases" >"$res"
	tally "$d/cases"
	[ $rc -eq 124 ] && not_ok "$impl: vaccel-robust hung (killed after 300 s)"
	echo "# $impl: the table's cases took $((($(date +%s%N) - start) / 1000000)) ms"
	timeout 120 "$C/tests/robust/vaccel-robust" --impl "$impl" \
		--log "$BACKEND_LOG" --toctou "$TOCTOU_SECONDS" "$DEV" \
		>"$d/toctou" 2>&1
	rc=$?
	grep -E '^(#|ok|not ok)' "$d/toctou" | head -20
	if [ $rc -eq 0 ] && grep -q '^ok 1 - toctou' "$d/toctou"; then
		ok "$impl: time-of-check/time-of-use, $TOCTOU_SECONDS s"
		echo "robust-toctou impl=$impl status=ok" >>"$res"
	else
		not_ok "$impl: time-of-check/time-of-use (exit $rc)"
		echo "robust-toctou impl=$impl status=FAIL" >>"$res"
	fi
	if grep -qE "$SAN_RE" "$d/cases" "$d/toctou"; then
		not_ok "$impl: sanitizer report from vaccel-robust itself"
		grep -hE -A12 "$SAN_RE" "$d/cases" "$d/toctou" | head -40
	fi
	# the back-end must have survived all of it, and say nothing bad
	health=ok why=
	if ! kill -0 "$BACKEND_PID" 2>/dev/null; then
		health=FAIL why="the back-end died during the run"
	fi
	stop_backend
	src=$?
	if [ $src -ne 0 ] && [ "$health" = ok ]; then
		health=FAIL why="the back-end exited $src on SIGTERM"
	fi
	if grep -qE "$SAN_RE" "$BACKEND_LOG"; then
		health=FAIL why="sanitizer report in the back-end log"
		grep -E -A12 "$SAN_RE" "$BACKEND_LOG" | head -60
	fi
	stops=$(grep -c 'stopped at avail index' "$BACKEND_LOG")
	other=$(grep 'error:' "$BACKEND_LOG" | grep -vc 'stopped at avail index')
	echo "# $impl: back-end log: $stops queue stops, $other other errors"
	grep 'error:' "$BACKEND_LOG" | grep -v 'stopped at avail index' | head -5
	if [ "$health" = ok ]; then
		ok "$impl: back-end alive, exit 0, no sanitizer report"
	else
		not_ok "$impl: $why"
		tail -20 "$BACKEND_LOG"
	fi
	echo "robust-health impl=$impl status=$health | detail=$why" >>"$res"
	rm -rf "$d"
}

do_host() {
	for x in build/vhost-user-accel build-san/vhost-user-accel \
		 build/tsan/vhost-user-accel build/tests/robust/vaccel-robust \
		 build-san/tests/robust/vaccel-robust; do
		[ -x "$x" ] || { not_ok "$x missing: run make"; return; }
	done
	host_one build build dpdk
	host_one build-san build-san dpdk-asan
	TSAN_OPTIONS="halt_on_error=0 exitcode=66" \
		host_one build/tsan build dpdk-tsan
}

do_toctou() {
	res=$OUT/inproc.res
	rm -f "$res"
	d=$(mktemp -d /tmp/vaccel-toctou.XXXXXX)
	run_inproc() { # run_inproc IMPL SECONDS ENV... BIN: one run
		impl=$1 secs=$2
		shift 2
		# local: do_vm's own $bin (vaccel-robust) outlives this call
		local bin=${*: -1}
		if [ ! -x "$bin" ]; then
			not_ok "$impl: $bin missing: run make"
			echo "robust-toctou impl=$impl status=FAIL" >>"$res"
			return
		fi
		env "$@" "$secs" >"$d/out" 2>&1
		rc=$?
		grep -E '^(#|ok|not ok)' "$d/out" | head -20
		if grep -qE "$SAN_RE" "$d/out"; then
			grep -E -A20 "WARNING|ERROR|runtime error" "$d/out" | head -80
			rc=1
		fi
		if [ $rc -eq 0 ] && grep -q '^ok 1 - ' "$d/out"; then
			ok "$impl: time-of-check/time-of-use, $secs s, no sanitizer report"
			echo "robust-toctou impl=$impl status=ok" >>"$res"
		else
			not_ok "$impl: time-of-check/time-of-use (exit $rc)"
			echo "robust-toctou impl=$impl status=FAIL" >>"$res"
		fi
	}
	run_inproc inproc-asan "$TOCTOU_SECONDS" \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		timeout 120 build-san/tests/robust/toctou-inproc
	# suppress_equal_addresses=0: a race inside a copy function must not
	# hide a later one elsewhere on the same guest address
	run_inproc inproc-tsan $((TOCTOU_SECONDS + 1)) \
		TSAN_OPTIONS="suppressions=$TOP/tests/robust/tsan.supp suppress_equal_addresses=0 halt_on_error=0 exitcode=66" \
		timeout 120 build/tests/robust/toctou-inproc-tsan
	rm -rf "$d"
}

do_vm() {
	update=$1
	ko=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
	bin=$TOP/build/tests/robust/vaccel-robust
	[ -x "$bin" ] || { not_ok "$bin missing: run make"; return; }
	# the host parts' results: rerun them if missing or older than a binary
	stale() { # stale RES BIN...
		r=$1
		shift
		[ -s "$r" ] || return 0
		for x in "$@"; do
			[ "$x" -nt "$r" ] && return 0
		done
		return 1
	}
	if stale "$OUT/dpdk.res" "$bin" build/vhost-user-accel ||
	   stale "$OUT/dpdk-asan.res" build-san/tests/robust/vaccel-robust \
		build-san/vhost-user-accel ||
	   stale "$OUT/dpdk-tsan.res" "$bin" build/tsan/vhost-user-accel; then
		echo "# host results missing or stale: running the host part"
		do_host
	fi
	if stale "$OUT/inproc.res" build-san/tests/robust/toctou-inproc \
		build/tests/robust/toctou-inproc-tsan; then
		echo "# in-process results missing or stale: running that part"
		do_toctou
	fi
	if stale "$OUT/hostile-dpdk.res" build/tests/robust/hostile-vu \
		build/vhost-user-accel ||
	   stale "$OUT/hostile-dpdk-asan.res" build-san/vhost-user-accel; then
		echo "# hostile vhost-user results missing or stale: running them"
		tests/robust/run-hostile.sh | grep -E '^(not ok|#)'
	fi
	need_ko "$ko"
	res=$OUT/vdpa.res
	rm -f "$res"
	d=$(mktemp -d /tmp/vaccel-robust-vm.XXXXXX)
	tests/vm/harness/run-in-vm.sh --timeout 300 --ko "$ko" \
		--module gcm --module ghash_generic --module crc32c_generic \
		--bin "$bin" tests/robust/guest-vdpa.sh >"$d/console" 2>&1
	rc=$?
	tr -d '\r' <"$d/console" >"$d/out"
	grep '^robust-result ' "$d/out" >"$res"
	tally "$d/out"
	grep -E 'run-in-vm: .*(splat|WARNING|BUG)' "$d/out" | head
	if grep -q '^ok 1 - toctou' "$d/out"; then
		ok "vdpa: time-of-check/time-of-use, 3 s"
		echo "robust-toctou impl=vdpa status=ok" >>"$res"
	else
		not_ok "vdpa: time-of-check/time-of-use"
		grep -E '^not ok' "$d/out" | head
		echo "robust-toctou impl=vdpa status=FAIL" >>"$res"
	fi
	case $rc in
	0) why= ;;
	1) why="the guest payload failed or the kernel logged a splat" ;;
	124) why="the guest hung (timeout)" ;;
	*) why="the guest or QEMU crashed (exit $rc)" ;;
	esac
	if [ -z "$why" ]; then
		ok "vdpa: guest run clean, no kernel splat, no session left"
		echo "robust-health impl=vdpa status=ok | detail=" >>"$res"
	else
		not_ok "vdpa: $why"
		echo "robust-health impl=vdpa status=FAIL | detail=$why" >>"$res"
		grep -vE '^robust-result' "$d/out" | tail -40
	fi
	rm -rf "$d"

	# the hostile vhost-vdpa opener's section (tests/vm/host/t-opener-run.sh)
	if stale "$OUT/opener.res" "$ko" vdpa-driver/tests/vaccel-vhost-opener; then
		echo "# vhost-vdpa opener results missing or stale: running them"
		VDPA_KO=$ko tests/vm/host/t-opener-run.sh | grep -E '^(not ok|t-parent-opener: )'
	fi
	if python3 tests/robust/mktable.py "$OUT/robustness.md" "$OUT/dpdk.res" \
		"$OUT/dpdk-asan.res" "$OUT/dpdk-tsan.res" "$OUT/vdpa.res" \
		"$OUT/inproc.res" "$OUT/opener.res" "$OUT/hostile-dpdk.res" \
		"$OUT/hostile-dpdk-asan.res"; then
		ok "malformed-input table: every observed outcome as the spec expects"
	else
		not_ok "malformed-input table: see the FAIL lines above"
	fi
	if [ "$update" = 1 ]; then
		cp "$OUT/robustness.md" docs/robustness.md
		echo "# docs/robustness.md rewritten"
	elif cmp -s "$OUT/robustness.md" docs/robustness.md; then
		ok "docs/robustness.md is what this run generated"
	else
		not_ok "docs/robustness.md differs from this run's table (run-robust.sh vm --update):"
		diff -u docs/robustness.md "$OUT/robustness.md" | head -40
	fi
}

case ${1:-} in
host) do_host ;;
toctou) do_toctou ;;
vm) do_vm "$([ "${2:-}" = --update ] && echo 1 || echo 0)" ;;
*) sed -n '3,24s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
summary
