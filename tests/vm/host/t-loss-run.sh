#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A device losing its sessions under load ([SESS-LOSS], [SESS-LOST-REQ],
# [DRV-NEEDS-RESET]), data path 3: the vDPA parent's lose_sessions trigger
# (vdpa-driver/vdpa_accel_loss.c) and the guest driver's reset
# (guest-driver/kernel/virtio_accel_reset.c), in the 6.12 guest with
# slub_debug and KFENCE: tests/vm/guest/t-loss-guest.sh with
# tests/vm/progs/vaccel_loss.c, and libvirtaccel over vhost-vdpa with
# tests/vm/progs/vaccel_lib_loss.c (also [DRV-READY] with the parent's
# hw_ready_delay_ms). Output ends "N passed, N failed".
#
#   tests/vm/host/t-loss-run.sh
#
# Environment: VDPA_KO, GUEST_KO (default the build outputs, built here),
# VIRTACCEL_A (default build/libvirtaccel.a), LOSS_VM_TIMEOUT (900).
# Exit 77 when a module cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$K/virtio_accel.ko}

make -s -C "$K" modules kdigest >&2
KD_KO=$K/tests/kdigest/vaccel_kdigest.ko
make -s -C "$TOP/vdpa-driver" modules >&2 || true
if [ ! -e "$GUEST_KO" ] || [ ! -e "$VDPA_KO" ] || [ ! -e "$KD_KO" ]; then
	echo "t-loss-run: SKIP: a module is missing and cannot be built" >&2
	exit 77
fi
test_tmpdir loss
mkdir "$T/payload"
guest_prog "$TOP/tests/vm/progs/vaccel_loss.c" "$T/vaccel-loss"
guest_prog "$TOP/tests/vm/progs/vaccel_afalg.c" "$T/vaccel-afalg"
B=$TOP/build
VIRTACCEL_A=${VIRTACCEL_A:-$B/libvirtaccel.a}
[ -e "$VIRTACCEL_A" ] || { echo "t-loss-run: $VIRTACCEL_A missing: run make" >&2; exit 2; }
guest_prog "$TOP/tests/vm/progs/vaccel_lib_loss.c" "$T/vaccel-lib-loss" \
	"$VIRTACCEL_A" -lpthread
head -c 65536 /dev/urandom >"$T/payload/d.65536"
head -c $((3 * 1048576 + 5)) /dev/urandom >"$T/payload/d.big"
sha256sum <"$T/payload/d.65536" | cut -d' ' -f1 >"$T/payload/sum.65536"
sha256sum <"$T/payload/d.big" | cut -d' ' -f1 >"$T/payload/sum.big"
rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${LOSS_VM_TIMEOUT:-900}" \
	--append "slub_debug=FZPU kfence.sample_interval=5" \
	--ko "$VDPA_KO" --ko "$GUEST_KO" --ko "$KD_KO" --module algif_hash \
	--bin "$T/vaccel-loss" --bin "$T/vaccel-lib-loss" \
	--bin "$T/vaccel-afalg" \
	"$TOP/tests/vm/guest/t-loss-guest.sh" "$T/payload"/* || rc=$?
exit $rc
