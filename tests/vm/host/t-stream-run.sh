#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Crypto API digests longer than the device's max_data_len run on the
# device as stream sessions (issue 11): tests/vm/guest/t-stream-guest.sh in
# the 6.12 guest on data path 3 (vdpa_accel + virtio_vdpa: the parent's
# default max_data_len, then max_data_len=65536, then removal during a
# stream; slub_debug and KFENCE) or on data path 1 (virtio-pci, the DPDK
# back-end with --max-data-len 65536, killed and restarted during a stream). Whole-message digests come from the
# test module guest-driver/kernel/tests/kdigest (AF_ALG cannot make one
# above 64 KiB). Data files of 1 MiB + 1, 3 MiB + 5 and 8 MiB and their
# references (hashlib, hmac with keys of 0, 64 and 100 bytes, CRC-32C) are
# made here.
#
#   tests/vm/host/t-stream-run.sh [vdpa|vhost-user]       default vdpa
#
# Environment: GUEST_KO (default the build output, built here),
# STREAM_VM_TIMEOUT (1200). Output ends "N passed, N failed";
# exit 77 when a module or (path 1) QEMU with vhost-user-accel-pci cannot
# be had.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
K=$TOP/guest-driver/kernel
VDPA_KO=$TOP/vdpa-driver/vdpa_accel.ko
GUEST_KO=${GUEST_KO:-$K/virtio_accel.ko}
KD_KO=$K/tests/kdigest/vaccel_kdigest.ko
PATHN=${1:-vdpa}

make -s -C "$K" modules tests kdigest >&2 || true
[ "$PATHN" = vhost-user ] || make -s -C "$TOP/vdpa-driver" modules >&2 || true
if [ ! -e "$GUEST_KO" ] || [ ! -e "$KD_KO" ] ||
	{ [ "$PATHN" = vdpa ] && [ ! -e "$VDPA_KO" ]; }; then
	echo "t-stream-run: SKIP: a module is missing and cannot be built" >&2
	exit 77
fi

test_tmpdir stream
mkdir "$T/payload"
[ "$PATHN" = vdpa ] && echo vdpa >"$T/payload/mode" || echo pci >"$T/payload/mode"
PYTHONPATH="$TOP/tests/lib" python3 - "$T/payload" <<'PY'
import hashlib, hmac, os, random, struct, sys
from vaccel_refs import crc32c
d = sys.argv[1]
rnd = random.Random(12)
keys = [b"", rnd.randbytes(64), rnd.randbytes(100)]
with open(os.path.join(d, "refs.txt"), "w") as refs:
    for size in (1048577, 3 * 1048576 + 5, 8 * 1048576):
        data = rnd.randbytes(size)
        with open(os.path.join(d, "d.%d" % size), "wb") as f:
            f.write(data)
        refs.write("sha256 %d - %s\n" % (size, hashlib.sha256(data).hexdigest()))
        for k in keys:
            refs.write("hmac %d %s %s\n" % (size, k.hex() or "empty",
                       hmac.new(k, data, hashlib.sha256).hexdigest()))
        refs.write("crc %d - %s\n" % (size, crc32c(data).hex()))
PY

rc=0
if [ "$PATHN" = vdpa ]; then
	cp "$VDPA_KO" "$T/payload/"
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${STREAM_VM_TIMEOUT:-1200}" \
		--append "slub_debug=FZPU kfence.sample_interval=5" \
		--ko "$VDPA_KO" --ko "$GUEST_KO" --ko "$KD_KO" \
		--module crc32c_generic --module gcm --module deflate \
		--bin "$K/tests/vaccel-t" \
		"$TOP/tests/vm/guest/t-stream-guest.sh" "$T/payload"/* || rc=$?
	exit $rc
fi
B=$TOP/build
[ -x "$B/vhost-user-accel" ] || { echo "t-stream-run: $B/vhost-user-accel missing: run make" >&2; exit 2; }
# Path 1: the back-end is ours to run, so that it can be killed and
# restarted while a stream is running (the guest asks on its console);
# 3 ms per request makes the guest's 48 MiB streams last seconds
SOCK=$T/accel.sock
NB=0
backend() {
	NB=$((NB + 1))
	rm -f "$SOCK"	# a killed back-end leaves its socket
	start_backend --bin "$B/vhost-user-accel" --sock "$SOCK" \
		--log "$T/backend.$NB.log" --wait 15 "$T" \
		--max-data-len 65536 --test-delay-us 3000
}
backend || exit 1
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${STREAM_VM_TIMEOUT:-1200}" \
	--path vhost-user --no-backend --socket "$SOCK" --keep "$T/vm" \
	--ko "$GUEST_KO" --ko "$KD_KO" --bin "$K/tests/vaccel-t" \
	"$TOP/tests/vm/guest/t-stream-guest.sh" "$T/payload"/* &
VMPID=$!
at_exit '[ -z "$VMPID" ] || kill "$VMPID" 2>/dev/null'
while kill -0 "$VMPID" 2>/dev/null; do
	if [ "$NB" -eq 1 ] &&
		grep -q 'STREAM: kill the back-end' "$T/vm/console.log" 2>/dev/null; then
		kill -KILL "$BACKEND_PID"
		wait "$BACKEND_PID" 2>/dev/null || true
		echo "t-stream-run: back-end killed, starting another" >&2
		backend || break
	fi
	sleep 0.1
done
wait "$VMPID" || rc=$?
VMPID=
stop_backend || { echo "t-stream-run: the back-end did not exit 0 on SIGTERM" >&2; rc=1; }
exit "$rc"
