#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Fault injection on data path 1 (issue 6 item 4): a 6.12 guest with
# virtio_accel.ko on vhost-user-accel-pci, served by the DPDK back-end with
# --test-delay-us (default 50 ms per request) and -v, runs
# tests/vm/guest/t-fault-path1-guest.sh: SIGKILL while asleep in SESSION_CREATE,
# OP, SUBMIT (full ring) and read; rmmod with a closed file's requests in
# flight; PCI remove with users in flight and rescan. The guest boots with
# slub_debug=FZPU. Then the back-end's log: every session the guest created
# was destroyed, by a request or by the device reset of the PCI removal (the
# session holder's two; a killed SESSION_CREATE's session must have been
# destroyed by the driver); and run-in-vm.sh's own back-end checks (exit 0
# on SIGTERM, no sanitizer report).
#
#   tests/vm/host/t-fault-path1-run.sh [BACKEND_BUILD_DIR]
#
# Environment: FAULT_DELAY_US (50000), VM_QEMU. Output ends "N passed,
# N failed". Exit 77 (SKIP, loudly) without the patched QEMU.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BB=$(cd "${1:-$TOP/build}" && pwd)
K=$TOP/guest-driver/kernel
DELAY=${FAULT_DELAY_US:-50000}
. "$TOP/tests/lib/lib.sh"

if [ -z "${VM_QEMU:-}" ] &&
   ! "$TOP/vhost-user-backend/qemu/build-qemu.sh" --print-path >/dev/null; then
	skip_all "no QEMU with vhost-user-accel-pci is built; run vhost-user-backend/qemu/build-qemu.sh once (3-6 min)"
fi
make -s -C "$K" modules tests >&2 || exit 1
KEEP_ON_FAIL=1
test_tmpdir fault-p1
guest_prog "$TOP/tests/vm/progs/vaccel_fault.c" "$T/vaccel-fault" || exit 1

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout 600 --path vhost-user \
	--backend "$BB/vhost-user-accel" --backend-arg -v \
	--backend-arg --test-delay-us --backend-arg "$DELAY" \
	--backend-log "$T/backend.log" \
	--append "slub_debug=FZPU" \
	--ko "$K/virtio_accel.ko" --bin "$K/tests/vaccel-t" --bin "$T/vaccel-fault" \
	"$TOP/tests/vm/guest/t-fault-path1-guest.sh" "$K/virtio_accel.ko" \
	>"$T/out" 2>&1 || rc=$?
grep -v '^run-in-vm: backend: ' "$T/out"
count_results "$T/out" "$rc"

hc() { check "back-end: $1" eval "$2"; }
L=$T/backend.log
c=$(grep -c 'session 0x[0-9a-f]* created' "$L")
d=$(grep -c 'session 0x[0-9a-f]* destroyed' "$L")
r=$(sed -n 's/^vhost-user-accel: \([0-9]*\) sessions destroyed$/\1/p' "$L" | awk '{s += $1} END {print s + 0}')
echo "# back-end (--test-delay-us $DELAY): $c sessions created, $d destroyed by request, $r by device resets"
hc "sessions were created ($c)" '[ "$c" -gt 0 ]'
hc "every session destroyed: by request ($d) or by the PCI removal's reset ($r <= 2)" \
	'[ "$c" -eq $((d + r)) ] && [ "$r" -le 2 ]'
hc "exit 0 on SIGTERM, no sanitizer report" \
	'grep -q "back-end exited 0 on SIGTERM" "$T/out" && ! grep -qiE "AddressSanitizer|LeakSanitizer|runtime error" "$L"'
summary
