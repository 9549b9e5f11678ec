#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Host side of tests/vm/guest/cli-checks.sh: writes the test inputs and the
# reference outputs the guest compares the CLI's results with, made here on
# the host with Python (hashlib/hmac, zlib, cryptography's AESGCM; see
# tests/tools/ref.py). SHA-256 is checked in the guest against busybox.
#
#   tests/vm/harness/cli-refs.sh DIR
#
# DIR gets in.N (deterministic data), ct.N (AES-256-GCM ciphertext || tag),
# z.N (raw DEFLATE), hmac.ref ("N HEX" lines) for every size N, and cli.env
# (KEY, IV, AAD, SIZES, and B: where vaccel and conformance_suite are in the
# guest). Ship DIR/* into the guest as payload files.
#
# Environment: LIB_VM_SIZES (default "0 1 4096 1048579 16777216").
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: cli-refs.sh DIR" >&2; exit 2; }
T=$1
SIZES=${LIB_VM_SIZES:-0 1 4096 1048579 16777216}
PY=/usr/bin/python3
REF="$PY $TOP/tests/tools/ref.py"
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=cafebabefacedbaddecaf888
AAD=feedfacedeadbeeffeedfacedeadbeefabaddad2

: >"$T/hmac.ref"
for n in $SIZES; do
	$REF gen "$n" "$n" "$T/in.$n"
	$REF gcm-enc "$KEY" "$IV" "$AAD" "$T/in.$n" "$T/ct.$n"
	$REF deflate "$T/in.$n" "$T/z.$n"
	echo "$n $($REF hmac "$KEY" "$T/in.$n")" >>"$T/hmac.ref"
done
# the binaries go to /usr/local/bin in the guest (mkinitramfs.sh --bin) and
# libvirtaccel.so.1 to /usr/local/lib (not their host paths: a build under
# /tmp would be hidden by the guest's tmpfs)
cat >"$T/cli.env" <<EOT
KEY=$KEY
IV=$IV
AAD=$AAD
SIZES="$SIZES"
B=/usr/local/bin
EOT
