#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The back-end's memory for DEFLATE stream state is bounded (spec
# [STREAM-LIMIT], issue 10 defect 6), attacked from a front-end over the
# real vhost-user socket (tests/security/stream_flood.c):
#
#  - with default options, 1024 COMPRESS stream sessions each fed 64 KiB:
#    exactly max_comp_streams (the default, 64) are created, the rest get
#    NOSPC, and the back-end's VmRSS grows by at most max_comp_streams x
#    VIRTIO_ACCEL_COMP_STREAM_STATE (288 KiB) + SLACK_KIB;
#  - with --max-sessions 4096 --max-comp-streams 8, 2048 sessions: 8 are
#    created, the growth stays within 8 x 288 KiB + SLACK_KIB;
#  - after each attack the back-end is alive and serves an honest client
#    (a 3 MiB file compressed and decompressed through streams, equal);
#  - --max-comp-streams outside 1..1024 is refused; `vaccel info` shows
#    the limit.
#
#   tests/security/t-stream-memory.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
KEEP_ON_FAIL=1	# the back-end logs and the client output
test_tmpdir zmem

# allocator noise, DPDK and OpenSSL pages first touched during the attack
SLACK_KIB=${SLACK_KIB:-6144}
STATE_KIB=288	# VIRTIO_ACCEL_COMP_STREAM_STATE
DEFAULT_STREAMS=64	# VIRTIO_ACCEL_COMP_STREAMS_DEFAULT

C=$T/stream-flood
host_prog "$TOP/tests/security/stream_flood.c" "$C" \
	"$TOP/build/libvirtaccel.a" -lpthread ||
	{ echo "building the client failed"; echo "0 passed, 1 failed"; exit 1; }
V=$TOP/build/vaccel
$PY "$TOP/tests/tools/ref.py" gen 3145728 7 "$T/in"

val() { sed -n "s/^$1 //p" "$T/$2" | head -1; }

# attack TAG SESSIONS STREAMS [BACKEND ARGS...]: one back-end, one attack
attack() {
	tag=$1 n=$2 want=$3
	shift 3
	mkdir -p "$T/$tag"
	if ! start_backend "$T/$tag" "$@"; then
		not_ok "$tag: back-end starts ($*)"
		return
	fi
	timeout 300 "$C" "$DEV" "$BACKEND_PID" "$n" 65536 >"$T/$tag.out" 2>"$T/$tag.err"
	rc=$?
	check "$tag: the client ran (exit $rc)" [ $rc -eq 0 ]
	sed 's/^/# /' "$T/$tag.out"
	adv=$(val max_comp_streams "$tag.out")
	made=$(val created "$tag.out")
	refused=$(val refused "$tag.out")
	other=$(val other "$tag.out")
	fed=$(val fed "$tag.out")
	r0=$(val mem_before "$tag.out")
	r1=$(val mem_after "$tag.out")
	check "$tag: max_comp_streams advertised is $want (got ${adv:-none})" \
		[ "${adv:-x}" = "$want" ]
	check "$tag: $want of $n stream sessions created (got ${made:-none})" \
		[ "${made:-x}" = "$want" ]
	check "$tag: the other $((n - want)) got NOSPC (got ${refused:-none}, other errors ${other:-?})" \
		[ "${refused:-x}" = "$((n - want))" ] && [ "${other:-x}" = 0 ]
	check "$tag: every created stream took its 64 KiB (fed ${fed:-none})" \
		[ "${fed:-x}" = "$want" ]
	bound=$((want * STATE_KIB + SLACK_KIB))
	if [ -n "$r0" ] && [ -n "$r1" ] && [ "$r0" -gt 0 ]; then
		d=$((r1 - r0))
		echo "# $tag: VmRSS $r0 -> $r1 KiB (+$d KiB; bound $want x $STATE_KIB + $SLACK_KIB = $bound KiB)"
		check "$tag: back-end RSS grew by $d KiB <= $bound KiB" [ "$d" -le "$bound" ]
	else
		not_ok "$tag: VmRSS of the back-end read"
	fi
	check "$tag: back-end alive after the attack" kill -0 "$BACKEND_PID"
	# an honest client afterwards: streams both ways (3 MiB > max_data_len)
	rm -f "$T/z" "$T/out"
	"$V" compress "$DEV" "$T/in" "$T/z" 2>"$T/$tag.cli" &&
		"$V" decompress "$DEV" "$T/z" "$T/out" 2>>"$T/$tag.cli"
	check "$tag: an honest client's 3 MiB stream round trip afterwards" \
		cmp -s "$T/in" "$T/out"
	stop_backend
	check "$tag: back-end exits cleanly (status $?)" [ $? -eq 0 ] ||
		sed 's/^/# /' "$BACKEND_LOG" | tail -20
}

attack default 1024 "$DEFAULT_STREAMS"
attack large-table 2048 8 --max-sessions 4096 --max-comp-streams 8

# the option's range, and what vaccel info shows
for bad in 0 1025 x; do
	timeout 20 "$B/vhost-user-accel" --socket-path "$T/bad.sock" \
		--max-comp-streams "$bad" >"$T/bad.log" 2>&1
	rc=$?
	check "--max-comp-streams $bad is refused (exit $rc)" [ $rc -eq 2 ]
done
mkdir -p "$T/info"
if start_backend "$T/info" --max-comp-streams 5; then
	"$V" info "$DEV" >"$T/info.txt" 2>&1
	check "vaccel info shows 'streams: 5'" grep -qE '^streams: +5 ' "$T/info.txt"
	"$V" info "$DEV" --json >"$T/info.json" 2>&1
	check "vaccel info --json has max_comp_streams 5" "$PY" -c "
import json; assert json.load(open('$T/info.json'))['max_comp_streams'] == 5"
	stop_backend
else
	not_ok "back-end starts with --max-comp-streams 5"
fi
summary
