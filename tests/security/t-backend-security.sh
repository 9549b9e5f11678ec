#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Security checks of the DPDK back-end's user-facing surface (host, no VM):
#
#  - the vhost-user socket is mode 0600 and owned by the back-end's user,
#    whatever the umask, and also when it comes from --fd;
#  - the back-end refuses to start over a live socket (another back-end),
#    a regular file, a directory, or a symlink (to a socket or a file), and
#    leaves them untouched; a stale socket (its back-end SIGKILLed) is
#    replaced;
#  - one front-end at a time: a second one is refused while the first
#    keeps working; sessions never outlive their connection (a killed
#    client's ids give the next one ENOENT: tests/fault/t-host-faults.sh);
#  - no key material in the back-end's log with -v (debug logs, DPDK info
#    logs) while a key is used every way it reaches the device (sessions,
#    inline keys, streams, a refused key length): searched for in hex
#    (either case), raw, and every 8-byte window of both; nor in the CLI's
#    output.
#
#   tests/security/t-backend-security.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir sec
PIDS=""
at_exit 'for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done'

C=$T/vaccel-fault-client
host_prog "$TOP/tests/fault/fault_client.c" "$C" "$TOP/build/libvirtaccel.a" -lpthread ||
	{ echo "building the client failed"; echo "0 passed, 1 failed"; exit 1; }
san_env

# run_refused PATH: the back-end must exit non-zero at once on PATH
run_refused() {
	timeout 20 "$B/vhost-user-accel" --socket-path "$1" >"$T/refused.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ]
}

# ---- socket mode and owner ---------------------------------------------------
mkdir -m 700 "$T/a"
um=$(umask)
umask 000
start_backend "$T/a" || { echo "0 passed, 1 failed"; exit 1; }
umask "$um"
check "socket $SOCK is a socket of mode 0600 (started with umask 000)" \
	[ -S "$SOCK" ] && [ "$(stat -c %a "$SOCK")" = 600 ]
check "socket owned by the back-end's user ($(id -un))" \
	[ "$(stat -c %u "$SOCK")" = "$(id -u)" ]

# ---- one front-end at a time ---------------------------------------------------
"$C" hold "$DEV" 1 4 000102030405060708090a0b0c0d0e0f >"$T/hold.out" 2>&1 &
HP=$!
PIDS="$PIDS $HP"
check "first front-end connected and running" wait_line 30 "$T/hold.out" ready
"$C" second "$DEV" >"$T/second.out" 2>&1
check "a second front-end is refused while the first is connected" [ $? -eq 0 ]
sed 's/^/# /' "$T/second.out"
check "back-end log says so" grep -q "rejecting a second front-end" "$BACKEND_LOG"
sleep 0.3
check "the first front-end is unaffected" kill -0 "$HP"
{ kill -KILL "$HP"; wait "$HP"; } 2>/dev/null

# ---- refusing to take over a path ------------------------------------------------
check "refuses a live socket (another back-end listening)" run_refused "$SOCK"
check "  ... and says why" grep -q "another back-end is listening" "$T/refused.log"
check "  ... and the live back-end still serves" \
	sh -c "'$B/vaccel' info '$DEV' >/dev/null 2>&1 || '$TOP/build/vaccel' info '$DEV' >/dev/null"
echo "precious" >"$T/file"
check "refuses a regular file" run_refused "$T/file"
check "  ... and leaves it untouched" [ "$(cat "$T/file")" = precious ]
mkdir "$T/dir"
check "refuses a directory" run_refused "$T/dir"
ln -s "$SOCK" "$T/link-sock"
check "refuses a symlink to a socket" run_refused "$T/link-sock"
check "  ... and leaves the link" [ -L "$T/link-sock" ]
ln -s "$T/file" "$T/link-file"
check "refuses a symlink to a file" run_refused "$T/link-file"
check "  ... and the file is untouched" [ "$(cat "$T/file")" = precious ]

# a stale socket: its back-end died without removing it
{ kill -KILL "$BACKEND_PID"; wait "$BACKEND_PID"; } 2>/dev/null
BACKEND_PID=
check "a SIGKILLed back-end leaves its socket" [ -S "$SOCK" ]
start_backend "$T/a"
PIDS="$PIDS $BACKEND_PID"
# the old socket is there already: wait for the new back-end's word
wait_line 15 "$BACKEND_LOG" "listening on"
check "a new back-end replaces a stale socket" grep -q "removing stale socket" "$BACKEND_LOG"
check "  ... and serves it, mode 0600" \
	sh -c "[ \"\$(stat -c %a '$SOCK')\" = 600 ] && '$TOP/build/vaccel' info '$DEV' >/dev/null"
stop_backend
check "back-end exit 0 on SIGTERM" [ $? -eq 0 ]

# --fd: the caller's listening socket, bound with a lax mode
FDSOCK=$T/fd.sock
python3 - "$FDSOCK" "$B/vhost-user-accel" >"$T/fd.log" 2>&1 <<'EOF' &
import os, socket, sys
path, be = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
old = os.umask(0)
s.bind(path)
os.umask(old)
os.chmod(path, 0o777)
s.listen(1)
os.set_inheritable(s.fileno(), True)
os.execv(be, [be, "--fd", str(s.fileno())])
EOF
FP=$!
PIDS="$PIDS $FP"
wait_line 15 "$T/fd.log" "listening on"
check "--fd: the adopted path is served with mode 0600 (was 0777)" \
	sh -c "[ \"\$(stat -c %a '$FDSOCK')\" = 600 ] && '$TOP/build/vaccel' info 'vhost-user:$FDSOCK' >/dev/null"
kill -TERM "$FP"
wait "$FP"
check "--fd back-end exit 0 on SIGTERM" [ $? -eq 0 ]

# ---- no key material in the logs ---------------------------------------------------
KEY=$(python3 -c 'import os; print(os.urandom(32).hex())')
mkdir -m 700 "$T/k"
start_backend "$T/k" -v || { summary; exit 1; }
PIDS="$PIDS $BACKEND_PID"
check "key used as session, inline and stream key (back-end -v)" \
	"$C" keys "$DEV" "$KEY"
V=$TOP/build/vaccel
printf 'some data to authenticate\n' >"$T/msg"
head -c 1000 /dev/urandom >"$T/pt"
"$V" hmac "$DEV" --alg sha256 --key "$KEY" "$T/msg" >"$T/cli.out" 2>&1
"$V" encrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv 000102030405060708090a0b \
	"$T/pt" "$T/ct" >>"$T/cli.out" 2>&1
check "CLI: HMAC and AES-GCM with the key" [ -s "$T/ct" ]
"$V" encrypt "$DEV" --alg aes-256-gcm --key "${KEY}00" --iv 000102030405060708090a0b \
	"$T/pt" "$T/ct2" >>"$T/cli.out" 2>&1
"$V" hmac "$DEV" --alg sha256 --key "zz$KEY" "$T/msg" >>"$T/cli.out" 2>&1
# --key-file: the same result, and no key on the command line at all
printf '%s\n' "$KEY" >"$T/keyfile"
"$V" hmac "$DEV" --alg sha256 --key-file "$T/keyfile" "$T/msg" >"$T/kf.out" 2>&1
check "CLI --key-file gives what --key gives" \
	[ "$(head -1 "$T/kf.out" | cut -d' ' -f1)" = "$(head -1 "$T/cli.out" | cut -d' ' -f1)" ]
cat "$T/kf.out" >>"$T/cli.out"
# --key HEX is overwritten in the process's arguments once parsed
mkfifo "$T/fifo"
"$V" hmac "$DEV" --alg sha256 --key "$KEY" - <"$T/fifo" >"$T/stdin.out" 2>&1 &
VP=$!
PIDS="$PIDS $VP"
exec 9>"$T/fifo"
shows_x() { tr '\0' ' ' <"/proc/$VP/cmdline" 2>/dev/null | grep -q 'hmac .*--key x'; }
wait_until 20 shows_x
tr '\0' ' ' <"/proc/$VP/cmdline" >"$T/cmdline" 2>/dev/null
check "CLI: a running vaccel's command line shows x's, not the key ($(cut -c1-60 "$T/cmdline")...)" \
	sh -c "grep -q -- '--key xxxx' '$T/cmdline' && ! grep -qi '$KEY' '$T/cmdline'"
exec 9>&-
wait "$VP"
stop_backend
check "back-end (-v) exit 0 on SIGTERM" [ $? -eq 0 ]
check "the -v log has debug lines (sessions created)" grep -q "session 0x.* created" "$BACKEND_LOG"
# keyscan KEYHEX FILE...: no hex (either case), raw bytes, or any 8-byte
# window of them in any FILE
keyscan() {
	python3 - "$@" <<'EOF'
import sys
key = bytes.fromhex(sys.argv[1])
pats = []
for w in range(0, len(key) - 7):
    win = key[w:w + 8]
    pats += [win, win.hex().encode(), win.hex().upper().encode()]
bad = 0
for f in sys.argv[2:]:
    data = open(f, "rb").read()
    for p in pats:
        if p in data:
            print(f"{f}: key material found ({p[:16]!r}...)")
            bad = 1
            break
sys.exit(bad)
EOF
}
check "no key bytes (hex, raw, 8-byte windows) in the back-end's -v log ($(wc -l <"$BACKEND_LOG") lines)" \
	keyscan "$KEY" "$BACKEND_LOG"
check "no key bytes in the CLI's output and error messages" keyscan "$KEY" "$T/cli.out"
# the scan itself works: files with a piece of the key in them are caught
printf 'x %s y\n' "${KEY:8:16}" >"$T/canary.hex"
printf 'x %s y\n' "$(echo "${KEY:16:20}" | tr a-f A-F)" >"$T/canary.HEX"
python3 -c "import sys; open(sys.argv[2], 'wb').write(b'x' + bytes.fromhex(sys.argv[1])[20:30] + b'y')" \
	"$KEY" "$T/canary.raw"
for f in hex HEX raw; do
	if keyscan "$KEY" "$T/canary.$f" >/dev/null; then
		not_ok "canary: the scan misses a piece of the key ($f)"
	else
		ok "canary: the scan finds a piece of the key ($f)"
	fi
done

# ---- keys wiped: no copy left anywhere in the back-end's memory ---------------------
# tests/security/memscan.py reads the live back-end's whole memory (its
# heap, thread arenas, DPDK's memory, its data) except the client's shared
# memory, and counts copies of the key.
MS=$TOP/tests/security/memscan.py
mkdir -m 700 "$T/m"
start_backend "$T/m" || { summary; exit 1; }
PIDS="$PIDS $BACKEND_PID"
K1=$(python3 -c 'import os; print(os.urandom(32).hex())')
"$C" keyhold "$DEV" "$K1" >"$T/kh1.out" 2>&1 &
KP=$!
PIDS="$PIDS $KP"
if wait_line 30 "$T/kh1.out" live; then
	check "memscan finds the key while its sessions live (the scan works)" \
		python3 "$MS" "$BACKEND_PID" "$K1" 1
	kill -USR1 "$KP"
	wait_line 30 "$T/kh1.out" destroyed
	check "sessions destroyed (HMAC, GCM; crypto PMD and in-process paths, inline keys, a stream): no copy of the key left in the back-end" \
		python3 "$MS" "$BACKEND_PID" "$K1"
else
	not_ok "key holder did not start"
	cat "$T/kh1.out"
fi
{ kill -KILL "$KP"; wait "$KP"; } 2>/dev/null
K2=$(python3 -c 'import os; print(os.urandom(32).hex())')
"$C" keyhold "$DEV" "$K2" >"$T/kh2.out" 2>&1 &
KP=$!
PIDS="$PIDS $KP"
if wait_line 30 "$T/kh2.out" live; then
	n=$(grep -c 'front-end disconnected' "$BACKEND_LOG")
	{ kill -KILL "$KP"; wait "$KP"; } 2>/dev/null
	wait_count 30 "$BACKEND_LOG" 'front-end disconnected' $((n + 1))
	check "client SIGKILLed with live sessions: no copy of its key left in the back-end" \
		python3 "$MS" "$BACKEND_PID" "$K2"
else
	not_ok "second key holder did not start"
	cat "$T/kh2.out"
fi
grep -q FAIL "$T/kh1.out" "$T/kh2.out" && { not_ok "key holder checks"; grep FAIL "$T"/kh*.out; }
stop_backend
check "back-end exit 0 on SIGTERM" [ $? -eq 0 ]
summary
