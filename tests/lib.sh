# SPDX-License-Identifier: BSD-3-Clause
# Shell helpers for the test scripts: TAP-like result lines and a backend
# started on a private socket. Source it; set B to the build directory.

PASS=0
FAIL=0
PY=/usr/bin/python3	# Debian's, with python3-cryptography

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # check NAME CMD...: pass if CMD succeeds
	name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

summary() {
	echo
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# start_backend DIR [ARGS...]: starts $B/vhost-user-accel on DIR/accel.sock
start_backend() {
	dir=$1; shift
	SOCK=$dir/accel.sock
	BACKEND_LOG=$dir/backend.log
	"$B/vhost-user-accel" --socket-path "$SOCK" "$@" >"$BACKEND_LOG" 2>&1 &
	BACKEND_PID=$!
	i=0
	while [ ! -S "$SOCK" ]; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$BACKEND_PID" 2>/dev/null; then
			echo "backend did not start; its log:" >&2
			cat "$BACKEND_LOG" >&2
			return 1
		fi
		sleep 0.1
	done
	DEV=vhost-user:$SOCK
}

# stop_backend: SIGTERM, wait; returns the backend's exit status
stop_backend() {
	[ -n "${BACKEND_PID:-}" ] || return 0
	kill -TERM "$BACKEND_PID" 2>/dev/null
	i=0
	while kill -0 "$BACKEND_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$BACKEND_PID" 2>/dev/null; then
		kill -KILL "$BACKEND_PID"
		wait "$BACKEND_PID" 2>/dev/null
		BACKEND_PID=
		return 124
	fi
	wait "$BACKEND_PID"
	rc=$?
	BACKEND_PID=
	return $rc
}
