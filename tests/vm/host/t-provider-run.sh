#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The OpenSSL provider vaccelprov.so inside the 6.12 guest over the kernel
# paths: /dev/vaccelN (virtio_vdpa + virtio_accel.ko, path 3) and
# vhost-vdpa:/dev/vhost-vdpa-N (the library drives vhost-vdpa, path 4), on
# the vDPA parent vdpa_accel.ko. Unmodified openssl(1) and the EVP program
# tests/provider/prov_test.c run in the guest; references are made here on
# the host (sha256sum, Python's hmac, cryptography's AESGCM) and shipped.
#
#   tests/vm/host/t-provider-run.sh [BUILD_DIR]        default: build
#
# Environment: VDPA_KO, GUEST_KO (default: the build outputs, built here if
# missing), PROV_VM_TIMEOUT (900). Exit status: the payload's (ends "N
# passed, N failed"); 77 when a module is missing and cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
. "$TOP/tests/lib/lib.sh"

need_ko "$VDPA_KO"
need_ko "$GUEST_KO"
[ -e "$B/vaccelprov.so" ] || { echo "t-provider-run: $B/vaccelprov.so missing: run make" >&2; exit 2; }
test_tmpdir tprov
host_prog "$TOP/tests/provider/prov_test.c" "$T/prov_test" -lcrypto -lpthread

REF="$PY $TOP/tests/tools/ref.py"
K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=cafebabefacedbaddecaf888
AAD=feedfacedeadbeeffeedfacedeadbeefabaddad2
SIZES="0 1 4096 1048579 3000000"
mkdir -p "$T/p"
: >"$T/p/refs"
for n in $SIZES; do
	$REF gen "$n" "$n" "$T/p/in.$n"
	$REF gcm-enc $K $IV $AAD "$T/p/in.$n" "$T/p/ct.$n"
	echo "$n $(sha256sum <"$T/p/in.$n" | cut -d' ' -f1) $($REF hmac $K "$T/p/in.$n")" >>"$T/p/refs"
done
LK=$(head -c 200 "$T/p/in.3000000" | od -An -v -tx1 | tr -d ' \n')
echo "LK=$LK" >"$T/p/env"
echo "LKREF=$($REF hmac "$LK" "$T/p/in.4096")" >>"$T/p/env"
printf 'K=%s\nIV=%s\nAAD=%s\nSIZES="%s"\n' $K $IV $AAD "$SIZES" >>"$T/p/env"

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${PROV_VM_TIMEOUT:-900}" \
	--ko "$VDPA_KO" --ko "$GUEST_KO" \
	--module gcm --module ghash-generic --module crc32c_generic \
	--bin "$(command -v openssl)" --bin "$T/prov_test" \
	--bin "$B/vaccelprov.so:/usr/local/lib/ossl-modules/vaccelprov.so" \
	"$TOP/tests/vm/guest/t-provider-guest.sh" "$T"/p/* || rc=$?
exit $rc
