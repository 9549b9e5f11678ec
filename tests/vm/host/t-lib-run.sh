#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# libvirtaccel's kernel transports inside the 6.12 guest: the CLI and the
# conformance suite over vhost-vdpa:/dev/vhost-vdpa-N (the library drives
# vhost-vdpa itself) and over /dev/vaccelN (virtio_vdpa + virtio_accel.ko).
# Reference outputs (AES-GCM, raw DEFLATE, HMAC) are made here on the host
# with Python (cryptography, zlib) and shipped into the guest; SHA-256 is
# checked against the guest's busybox sha256sum.
#
#   tests/vm/host/t-lib-run.sh [BUILD_DIR]        default: build
#
# Environment: VDPA_KO, GUEST_KO (the modules; default: the build output of
# vdpa-driver/ and guest-driver/kernel/, built here if missing),
# LIB_VM_SIZES (default "0 1 4096 1048579 16777216"), LIB_VM_TIMEOUT (900).
# Exit status: the payload's (ends "N passed, N failed"); 77 when a module
# is missing and cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
. "$TOP/tests/lib/lib.sh"

need_ko "$VDPA_KO"
need_ko "$GUEST_KO"
for b in "$B/vaccel" "$B/tests/conformance_suite"; do
	[ -x "$b" ] || { echo "t-lib-run: $b missing: run make" >&2; exit 2; }
done

test_tmpdir tlib
# inputs, references and cli.env; the checks are tests/vm/guest/cli-checks.sh
mkdir "$T/payload"
"$TOP/tests/vm/harness/cli-refs.sh" "$T/payload"
cp "$TOP/tests/vm/guest/cli-checks.sh" "$T/payload/"

# streamed and kept: the suite's TAP lines go to docs/conformance.md
{
	rc=0
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${LIB_VM_TIMEOUT:-900}" \
		--ko "$VDPA_KO" --ko "$GUEST_KO" \
		--module gcm --module ghash-generic --module crc32c_generic \
		--module deflate \
		--bin "$B/vaccel" --bin "$B/tests/conformance_suite" \
		"$TOP/tests/vm/guest/t-lib-transports.sh" "$T/payload"/* 2>&1 ||
		rc=$?
	echo "$rc" >"$T/rc"
} | tee "$T/out"
conf_tap "$T/out" vhost-vdpa vdpa-vhost
conf_tap "$T/out" chardev vdpa-chardev
exit "$(cat "$T/rc" 2>/dev/null || echo 125)"
