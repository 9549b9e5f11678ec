#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run any script inside the 6.12 test guest with the virtio-accel stack up:
#
#   tests/vm/vaccel-vm.sh [--timeout S] SCRIPT [FILES...]
#
# Builds the user-space programs and both kernel modules if needed, boots the
# guest (tests/vm/run-in-vm.sh) with vdpa_accel.ko, virtio_accel.ko and the
# crypto modules loaded, creates /dev/vaccel0 (a vDPA device bound through
# virtio_vdpa to the guest driver) and /dev/vhost-vdpa-0 (a second device
# bound to vhost_vdpa), puts vaccel and conformance_suite on PATH, and runs
# SCRIPT (with sh) in /payload, where FILES are too. The environment has
# VACCEL_CHARDEV=/dev/vaccel0 and VACCEL_VHOST_VDPA=vhost-vdpa:/dev/vhost-vdpa-0.
# Prints the script's output and exits with its status (125: the guest or
# the device set-up failed; 1 also when the guest kernel logged a splat).
#
# Example:
#   printf 'vaccel hash $VACCEL_CHARDEV --alg sha256 /bin/busybox\n' >t.sh
#   tests/vm/vaccel-vm.sh t.sh
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
timeout=600
if [ "${1:-}" = --timeout ]; then
	timeout=$2
	shift 2
fi
[ $# -ge 1 ] || { sed -n '4,20p' "$0" >&2; exit 2; }
script=$1
shift
[ -r "$script" ] || { echo "vaccel-vm: $script: no such file" >&2; exit 2; }

make -s -C "$TOP" all >&2
make -s -C "$TOP/vdpa-driver" modules >&2
make -s -C "$TOP/guest-driver/kernel" modules >&2

T=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-vm.XXXXXX")
trap 'rm -rf "$T"' EXIT
base=$(basename "$script")
cp "$script" "$T/$base"
echo "$base" >"$T/.user-script"

exec "$TOP/tests/vm/run-in-vm.sh" --timeout "$timeout" \
	--ko "$TOP/vdpa-driver/vdpa_accel.ko" \
	--ko "$TOP/guest-driver/kernel/virtio_accel.ko" \
	--module gcm --module ghash_generic --module crc32c_generic \
	--bin "$TOP/build/vaccel" --bin "$TOP/build/tests/conformance_suite" \
	"$TOP/tests/vm/guest-prelude.sh" "$T/$base" "$T/.user-script" "$@"
