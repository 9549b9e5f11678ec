# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh disable=SC2034 # PY, DEV, SKIPPED, T: for the scripts that source this
#
# tests/lib/lib.sh: the helpers every host-side test script uses (POSIX sh,
# also sourced by bash scripts). Set TOP to the repository first:
#
#   TOP=$(cd "$(dirname "$0")/../.." && pwd)	# from tests/<part>/
#   . "$TOP/tests/lib/lib.sh"
#
# Results: counted in PASS and FAIL; a script's last line is summary's
# "N passed, N failed", which tests/run-all.sh adds up.
#   ok MSG / not_ok MSG       "ok - MSG" / "not ok - MSG"
#   skip MSG                  "# skip: MSG" (counted in SKIPPED, not passed)
#   check NAME CMD...         ok NAME if CMD succeeds, else not_ok NAME
#   count_results FILE [RC]   add the last "N passed, N failed" line of FILE
#                             (a guest run, a sub-test) to PASS and FAIL; no
#                             such line, or RC != 0 with no failure in it
#                             (a splat, a timeout): one failure more
#   summary                   prints "N passed, N failed"; 0 if none failed
#   skip_all REASON           "*** SKIP: REASON ***" on stderr, exit 77
#
# The back-end (one timeout policy: every wait is an argument or a default
# named here, never a constant in a script):
#   start_backend [--bin BIN] [--wait S] [--sock PATH] [--log FILE] DIR [ARGS...]
#       runs BIN (default $B/vhost-user-accel) --socket-path SOCK ARGS...
#       in the background (stdin /dev/null), SOCK default DIR/accel.sock,
#       log default DIR/backend.log; waits up to S seconds (default
#       BACKEND_WAIT, 30) for the socket. Sets SOCK, BACKEND_LOG,
#       BACKEND_PID and DEV (vhost-user:SOCK). Returns 1, the log on
#       stderr, if it died or the socket did not appear. A stale socket at
#       SOCK is the caller's business (the back-end replaces it).
#   stop_backend [S]          SIGTERM, up to S seconds (default
#                             BACKEND_STOP_WAIT, 15), then SIGKILL (returns
#                             124); else returns the back-end's exit status
#   san_env                   default ASAN_OPTIONS and UBSAN_OPTIONS (leaks
#                             detected, halt on UBSan errors)
#   san_report FILE...        0 (and the report printed) when a FILE has an
#                             ASan/LSan/UBSan/TSan report
#
# Waiting (S = seconds, whole; polled every WAIT_POLL, 0.02 s):
#   wait_until S CMD...       until CMD succeeds; 1 on timeout
#   wait_for S PATH [gone]    until PATH exists (or is gone)
#   wait_line S FILE REGEX    until a line of FILE matches (grep -E)
#   wait_count S FILE REGEX N until N lines of FILE match (grep -E)
#   now_ms                    milliseconds (CLOCK_REALTIME), for durations
#
# Temporary files and cleanup (one EXIT trap, installed on first use; do
# not set your own EXIT trap, use at_exit):
#   test_tmpdir NAME          T = a new ${TMPDIR:-/tmp}/vaccel-NAME.XXXXXX,
#                             removed at exit, kept (and said so) when
#                             KEEP_ON_FAIL=1 and something failed
#   at_exit CMD               eval CMD at exit (last added runs first),
#                             before a running back-end is stopped and T
#                             removed. INT and TERM exit 130.
#
# Guest-side helpers on the host:
#   need_ko KO                build the out-of-tree module KO in its directory
#                             (against the guest kernel's headers) if it is
#                             missing; skip_all if it cannot be built
#   guest_prog SRC OUT [LIBS...]
#                             build a static guest program from C (spec,
#                             uapi and libvirtaccel headers,
#                             tests/lib/vaccel-test.h), linked with LIBS
#                             (e.g. build/libvirtaccel.a -lpthread)
#   host_prog SRC OUT [LIBS...]
#                             build a host test program from C (spec and
#                             libvirtaccel headers, tests/lib/vaccel-test.h),
#                             linked with LIBS (e.g. build/libvirtaccel.a)
#
# Guest scripts have their own library: tests/vm/guest/guest-lib.sh.

: "${TOP:?set TOP to the repository before sourcing tests/lib/lib.sh}"
PASS=0
FAIL=0
SKIPPED=0
PY=/usr/bin/python3	# Debian's, with python3-cryptography
BACKEND_WAIT=${BACKEND_WAIT:-30}
BACKEND_STOP_WAIT=${BACKEND_STOP_WAIT:-15}
WAIT_POLL=${WAIT_POLL:-0.02}
SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error'

# ---- results -------------------------------------------------------------------
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "# skip: $*"; }
check() { # check NAME CMD...: pass if CMD succeeds
	_name=$1
	shift
	if "$@"; then ok "$_name"; else not_ok "$_name"; fi
}

count_results() { # count_results FILE [RC]
	_line=$(tr -d '\r' <"$1" | grep -E '^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed' | tail -1)
	_line=${_line#*: }
	if [ -z "$_line" ]; then
		echo "not ok - no result line in the output (exit ${2:-?})"
		FAIL=$((FAIL + 1))
		return 1
	fi
	_p=${_line%% passed*}
	_f=${_line#*, }
	_f=${_f%% failed*}
	if [ "${2:-0}" -ne 0 ] && [ "$_f" -eq 0 ]; then
		echo "not ok - exit status $2 with no failed check (splat, timeout, harness)"
		_f=1
	fi
	PASS=$((PASS + _p))
	FAIL=$((FAIL + _f))
	[ "$_f" -eq 0 ]
}

# conf_tap OUT LABEL NAME: the conformance suite's TAP that a guest printed
# as "conf-tap LABEL: ..." lines (tests/vm/guest/cli-checks.sh) into
# $CONF_OUT/NAME.tap, for docs/conformance.md (tests/conformance/run-report.sh)
conf_tap() {
	_co=${CONF_OUT:-$TOP/build/conformance}
	mkdir -p "$_co"
	tr -d '\r' <"$1" | sed -n "s|^conf-tap $2: ||p" >"$_co/$3.tap.new"
	if [ -s "$_co/$3.tap.new" ]; then
		mv "$_co/$3.tap.new" "$_co/$3.tap"
	else
		rm -f "$_co/$3.tap.new"
	fi
}

summary() {
	echo
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

skip_all() {
	echo "${0##*/}: *** SKIP: $* ***" >&2
	exit 77
}

# ---- waiting -------------------------------------------------------------------
now_ms() { echo $(($(date +%s%N) / 1000000)); }

wait_until() { # wait_until S CMD...
	_end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$_end" ] || return 1
		sleep "$WAIT_POLL"
	done
}

_exists() { [ -e "$1" ]; }
_gone() { [ ! -e "$1" ]; }
wait_for() { # wait_for S PATH [gone]
	if [ -n "${3:-}" ]; then wait_until "$1" _gone "$2"
	else wait_until "$1" _exists "$2"; fi
}

_has_line() { grep -qE "$2" "$1" 2>/dev/null; }
wait_line() { # wait_line S FILE REGEX
	wait_until "$1" _has_line "$2" "$3"
}

_has_count() { [ "$(grep -cE "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
wait_count() { # wait_count S FILE REGEX N
	wait_until "$1" _has_count "$2" "$3" "$4"
}

# ---- temporary directory and cleanup ---------------------------------------------
_LIB_AT_EXIT=""
_LIB_TRAPPED=""
_lib_exit() {
	_rc=$?
	set +e	# a failing clean-up step must not end the clean-up
	eval "$_LIB_AT_EXIT"
	if [ -n "${BACKEND_PID:-}" ]; then
		stop_backend 5 >/dev/null 2>&1
	fi
	if [ -n "${_LIB_TMP:-}" ]; then
		if [ "${KEEP_ON_FAIL:-0}" = 1 ] && { [ "$FAIL" -ne 0 ] || [ "$_rc" -ne 0 ]; }; then
			echo "${0##*/}: logs kept in $_LIB_TMP" >&2
		else
			rm -rf "$_LIB_TMP"
		fi
	fi
	return "$_rc"
}
_lib_trap() {
	[ -z "$_LIB_TRAPPED" ] || return 0
	_LIB_TRAPPED=1
	trap _lib_exit EXIT
	trap 'exit 130' INT TERM
}
at_exit() { # at_exit CMD: run first, before those added earlier
	_lib_trap
	_LIB_AT_EXIT="$1
$_LIB_AT_EXIT"
}
test_tmpdir() { # test_tmpdir NAME: sets T
	_lib_trap
	T=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-$1.XXXXXX") || exit 2
	_LIB_TMP=$T
}

# ---- the back-end ----------------------------------------------------------------
start_backend() {
	_bin=${B:-$TOP/build}/vhost-user-accel
	_wait=$BACKEND_WAIT
	_sock=""
	_log=""
	while [ $# -gt 0 ]; do
		case $1 in
		--bin) _bin=$2; shift 2 ;;
		--wait) _wait=$2; shift 2 ;;
		--sock) _sock=$2; shift 2 ;;
		--log) _log=$2; shift 2 ;;
		*) break ;;
		esac
	done
	_dir=$1
	shift
	SOCK=${_sock:-$_dir/accel.sock}
	BACKEND_LOG=${_log:-$_dir/backend.log}
	DEV=vhost-user:$SOCK
	_lib_trap
	"$_bin" --socket-path "$SOCK" "$@" >"$BACKEND_LOG" 2>&1 </dev/null &
	BACKEND_PID=$!
	_end=$(($(now_ms) + _wait * 1000))
	while [ ! -S "$SOCK" ]; do
		if ! kill -0 "$BACKEND_PID" 2>/dev/null || [ "$(now_ms)" -ge "$_end" ]; then
			echo "${0##*/}: the back-end ${_bin##*/} did not come up on $SOCK within $_wait s; its log:" >&2
			sed 's/^/  backend: /' "$BACKEND_LOG" >&2
			kill -KILL "$BACKEND_PID" 2>/dev/null
			wait "$BACKEND_PID" 2>/dev/null
			BACKEND_PID=
			return 1
		fi
		sleep "$WAIT_POLL"
	done
}

_alive() { kill -0 "$1" 2>/dev/null; }
stop_backend() { # stop_backend [S]: the back-end's exit status (124: killed)
	[ -n "${BACKEND_PID:-}" ] || return 0
	kill -TERM "$BACKEND_PID" 2>/dev/null
	_bp=$BACKEND_PID
	BACKEND_PID=
	if ! wait_until "${1:-$BACKEND_STOP_WAIT}" eval "! _alive $_bp"; then
		kill -KILL "$_bp" 2>/dev/null
		wait "$_bp" 2>/dev/null
		return 124
	fi
	wait "$_bp"
}

san_env() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
}

san_report() { # san_report FILE...
	grep -qE "$SAN_RE" "$@" 2>/dev/null || return 1
	echo "sanitizer report:"
	grep -hE -A12 "$SAN_RE" "$@" | head -60
	return 0
}

# ---- guest-side builds -------------------------------------------------------------
need_ko() { # need_ko KO
	[ -e "$1" ] && return 0
	_kd=$(dirname "$1")
	if { [ -e "$_kd/Kbuild" ] || [ -e "$_kd/Makefile" ]; } &&
	   _kdir=$("$TOP/tests/vm/harness/kernel-env.sh" --kdir) &&
	   make -C "$_kdir" M="$_kd" modules >&2 && [ -e "$1" ]; then
		return 0
	fi
	skip_all "$1 is missing and cannot be built"
}

guest_prog() { # guest_prog SRC OUT [LIBS...]
	_src=$1
	_out=$2
	shift 2
	gcc -O2 -Wall -Wextra -Werror -static \
		-I"$TOP/tests/lib" -I"$TOP/virtio-accel-spec/include" \
		-I"$TOP/guest-driver/include/uapi" \
		-I"$TOP/guest-driver/lib/include" -o "$_out" "$_src" "$@"
}

host_prog() { # host_prog SRC OUT [LIBS...]
	_src=$1
	_out=$2
	shift 2
	gcc -O2 -g -Wall -Wextra -Werror -I"$TOP/tests/lib" \
		-I"$TOP/guest-driver/lib/include" -I"$TOP/virtio-accel-spec/include" \
		-o "$_out" "$_src" "$@"
}
