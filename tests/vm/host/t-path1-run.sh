#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Data path 1 end to end: a QEMU guest (Linux 6.12, virtio_accel.ko over
# virtio-pci) whose vhost-user-accel-pci device is backed by the DPDK
# back-end on this host (tests/vm/harness/run-in-vm.sh --path vhost-user: shared
# memfd guest memory, QEMU with the device from
# vhost-user-backend/qemu/build-qemu.sh, built once and cached). In the
# guest: the device on the PCI bus and bound to our driver, the CLI checks
# (SHA-256 vs busybox sha256sum; GCM, DEFLATE and HMAC byte for byte against
# references made here with Python) and the conformance suite over
# /dev/vaccel0 (tests/vm/guest/t-path1-guest.sh). Then the back-end's log: the
# front-end connected, features negotiated, the device started, no error or
# sanitizer line, exit 0 on SIGTERM.
#
#   tests/vm/host/t-path1-run.sh [BACKEND_BUILD_DIR]
#
# BACKEND_BUILD_DIR: where vhost-user-accel comes from (default build; e.g.
# build-san for the ASan+UBSan back-end). The guest's vaccel and
# conformance_suite always come from build/.
# Environment: GUEST_KO (default guest-driver/kernel/virtio_accel.ko, built
# if missing), PATH1_QUEUES (data queues, default 2), LIB_VM_SIZES,
# PATH1_VM_TIMEOUT (900).
# Output ends "N passed, N failed". Exit 77 (SKIP) when QEMU with
# vhost-user-accel-pci cannot be built or the module cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BB=$(cd "${1:-$TOP/build}" && pwd)
B=$TOP/build
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
QUEUES=${PATH1_QUEUES:-2}
log() { echo "t-path1-run: $*" >&2; }
. "$TOP/tests/lib/lib.sh"

need_ko "$GUEST_KO"
for b in "$BB/vhost-user-accel" "$B/vaccel" "$B/tests/conformance_suite"; do
	[ -x "$b" ] || { log "$b missing: run make"; exit 2; }
done

test_tmpdir path1
mkdir "$T/payload"
"$TOP/tests/vm/harness/cli-refs.sh" "$T/payload"
cp "$TOP/tests/vm/guest/cli-checks.sh" "$T/payload/"
echo "NUM_QUEUES=$QUEUES" >"$T/payload/expect"

san_env
start=$(date +%s)
# streamed and kept (for the checks below)
{
	rc=0
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${PATH1_VM_TIMEOUT:-900}" \
		--path vhost-user --queues "$QUEUES" \
		--backend "$BB/vhost-user-accel" --backend-log "$T/backend.log" \
		--ko "$GUEST_KO" \
		--bin "$B/vaccel" --bin "$B/tests/conformance_suite" \
		"$TOP/tests/vm/guest/t-path1-guest.sh" "$T/payload"/* 2>&1 || rc=$?
	echo "$rc" >"$T/rc"
} | tee "$T/out"
rc=$(cat "$T/rc" 2>/dev/null || echo 125)
conf_tap "$T/out" path1 "path1$([ "$BB" = "$B" ] || echo -san)"
log "guest run: exit $rc, $(($(date +%s) - start)) s"
if [ $rc -eq 77 ]; then
	log "*** SKIP: data path 1 needs QEMU with vhost-user-accel-pci (see above) ***"
	exit 77
fi

# the guest's result line (a splat or a harness failure with no failed
# check is one failure), then the host-side checks of the back-end
count_results "$T/out" "$rc" || :
hc() { # hc NAME CMD...: one host-side check, CMD's output not shown
	_hc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_hc"; else not_ok "$_hc"; fi
}
L=$T/backend.log
hc "back-end: the front-end (QEMU) connected" grep -q 'front-end connected' "$L"
hc "back-end: features negotiated with VERSION_1" \
	grep -q 'features negotiated: .*version_1 1' "$L"
hc "back-end: device started with all $((QUEUES + 1)) queues" \
	grep -q "device started .*: $((QUEUES + 1)) of $((QUEUES + 1)) queues ready" "$L"
hc "back-end: no error line in its log" sh -c "! grep -E 'error|ERR' '$L'"
hc "back-end: no sanitizer report" \
	sh -c "! grep -E 'Sanitizer|runtime error:' '$L'"
hc "back-end: shut down on SIGTERM with exit 0" \
	sh -c "grep -q 'shutting down' '$L' && grep -q 'back-end exited 0 on SIGTERM' '$T/out'"
grep -E 'error|ERR|Sanitizer|runtime error:' "$L" | head -20 | sed 's/^/#   /'
summary
