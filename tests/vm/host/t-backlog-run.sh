#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Crypto API requests on a queue's backlog when the device goes (data path
# 1): a 6.12 guest with virtio_accel.ko and the test module
# vaccel_kdigest.ko on vhost-user-accel-pci with 16-entry queues, served
# by the DPDK back-end with --test-delay-us (default 100 ms per request),
# runs tests/vm/guest/t-backlog-guest.sh: 64 digests at once with
# CRYPTO_TFM_REQ_MAY_BACKLOG, the PCI function removed while most wait on
# the backlog; each must complete with -ENODEV, a backlogged one only
# after its -EINPROGRESS. The guest boots with slub_debug=FZPU.
#
#   tests/vm/host/t-backlog-run.sh [BACKEND_BUILD_DIR]
#
# Environment: BACKLOG_DELAY_US (100000), VM_QEMU. Output ends "N passed,
# N failed". Exit 77 (SKIP, loudly) without the patched QEMU.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BB=$(cd "${1:-$TOP/build}" && pwd)
K=$TOP/guest-driver/kernel
DELAY=${BACKLOG_DELAY_US:-100000}
. "$TOP/tests/lib/lib.sh"

if [ -z "${VM_QEMU:-}" ] &&
   ! "$TOP/vhost-user-backend/qemu/build-qemu.sh" --print-path >/dev/null; then
	skip_all "no QEMU with vhost-user-accel-pci is built; run vhost-user-backend/qemu/build-qemu.sh once (3-6 min)"
fi
make -s -C "$K" modules kdigest >&2 || exit 1
KD_KO=$K/tests/kdigest/vaccel_kdigest.ko
test_tmpdir backlog

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout 600 --path vhost-user \
	--queue-size 16 \
	--backend "$BB/vhost-user-accel" \
	--backend-arg --test-delay-us --backend-arg "$DELAY" \
	--backend-log "$T/backend.log" \
	--append "slub_debug=FZPU" \
	--ko "$K/virtio_accel.ko" --ko "$KD_KO" \
	"$TOP/tests/vm/guest/t-backlog-guest.sh" \
	>"$T/out" 2>&1 || rc=$?
grep -v '^run-in-vm: backend: ' "$T/out"
count_results "$T/out" "$rc"
check "back-end: exit 0 on SIGTERM, no sanitizer report" \
	eval 'grep -q "back-end exited 0 on SIGTERM" "$T/out" && ! grep -qiE "AddressSanitizer|LeakSanitizer|runtime error" "$T/backend.log"'
summary
