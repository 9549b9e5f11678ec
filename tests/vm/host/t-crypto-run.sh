#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# virtio_accel.ko in the kernel crypto API (issue 11, first part), in the
# 6.12 guest: tests/vm/guest/t-crypto-guest.sh on data path 3 (vdpa_accel +
# virtio_vdpa, with removal, re-registration and the no-loop checks) or on
# data path 1 (virtio-pci, the DPDK back-end over vhost-user). Data files
# and references (Python's hmac, keys of 0..200 bytes; CRC-32C with the
# default and another seed) are made here.
#
#   tests/vm/host/t-crypto-run.sh [vdpa|vhost-user] [aead [MAX_DATA_LEN]]
#
# default vdpa; MAX_DATA_LEN (aead): the host's (parent parameter or
# back-end option), default 1048576 (both hosts' default); 65536 makes
# the AEAD streams many requests long.
#
# aead: tests/vm/guest/t-aead-guest.sh instead (gcm(aes), AF_ALG through
# tests/vm/progs/vaccel_aead.c and kcapi-enc against Python's cryptography,
# cases and references from tests/vm/host/aead-refs.py; IPsec with
# rfc4106(gcm(aes))).
#
# Environment: VDPA_KO, GUEST_KO (default the build outputs, built here),
# CRYPTO_VM_TIMEOUT (900). Output ends "N passed, N failed"; exit 77 when
# a module or (path 1) QEMU with vhost-user-accel-pci cannot be had.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$K/virtio_accel.ko}
PATHN=${1:-vdpa}
GUEST_T=t-crypto-guest.sh
[ "${2:-}" != aead ] || GUEST_T=t-aead-guest.sh

make -s -C "$K" modules tests >&2
[ "$PATHN" = vhost-user ] || make -s -C "$TOP/vdpa-driver" modules >&2 || true
if [ ! -e "$GUEST_KO" ] || { [ "$PATHN" = vdpa ] && [ ! -e "${VDPA_KO%%:*}" ]; }; then
	echo "t-crypto-run: SKIP: a module is missing and cannot be built" >&2
	exit 77
fi

test_tmpdir crypto
mkdir "$T/payload"
# the payload runs without arguments: the path is a file
[ "$PATHN" = vdpa ] && echo vdpa >"$T/payload/mode" || echo pci >"$T/payload/mode"
guest_prog "$TOP/tests/vm/progs/vaccel_afalg.c" "$T/vaccel-afalg"
AEAD_ARGS=
BACKEND_MDL=
if [ "$GUEST_T" = t-aead-guest.sh ]; then
	# both hosts' limits (max_data_len 1 MiB, max_aad_len 4096): defaults
	MDL=${3:-1048576}
	guest_prog "$TOP/tests/vm/progs/vaccel_aead.c" "$T/vaccel-aead"
	python3 "$TOP/tests/vm/host/aead-refs.py" "$T/payload" "$MDL" 4096
	if [ "$MDL" != 1048576 ]; then
		VDPA_KO=$VDPA_KO:max_data_len=$MDL
		BACKEND_MDL="--backend-arg --max-data-len --backend-arg $MDL"
	fi
	AEAD_ARGS="--ko $K/tests/vaccel_kaead.ko --module gcm --module ghash_generic --module seqiv --module algif_aead --module crypto_user --bin $T/vaccel-aead --bin /usr/bin/kcapi-enc"
else
PYTHONPATH="$TOP/tests/lib" python3 - "$T/payload" <<'PY'
import hashlib, hmac, os, random, struct, sys
from vaccel_refs import crc32c
d = sys.argv[1]
rnd = random.Random(11)
keys = [b"", bytes(rnd.getrandbits(8) for _ in range(20)),
        bytes(rnd.getrandbits(8) for _ in range(64)),
        bytes(rnd.getrandbits(8) for _ in range(100)),
        bytes(rnd.getrandbits(8) for _ in range(200))]
with open(os.path.join(d, "refs.txt"), "w") as refs:
    for size in (0, 1, 63, 64, 65, 4096, 65536, 65537, 1048576,
                 3 * 1048576 + 5):
        data = rnd.randbytes(size)
        with open(os.path.join(d, "d.%d" % size), "wb") as f:
            f.write(data)
        for k in keys:
            refs.write("hmac %d %s %s\n" % (size, k.hex() or "-",
                       hmac.new(k, data, hashlib.sha256).hexdigest()))
        refs.write("crc %d - %s\n" % (size, crc32c(data).hex()))
        refs.write("crc %d 78563412 %s\n" % (size,
                   crc32c(data, 0x12345678).hex()))
PY
fi

# ESP between two namespaces: veth, xfrm, esp4, authenc and its IV
# generator, iproute2's ip (busybox's has no netns or xfrm)
IPSEC_MODS="--module veth --module xfrm_user --module esp4 --module authenc --module echainiv --bin /bin/ip"
if [ "$PATHN" = vdpa ]; then
	# slub_debug and KFENCE: the removal with requests in flight
	# shellcheck disable=SC2086 # IPSEC_MODS: a list of options
	rc=0
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${CRYPTO_VM_TIMEOUT:-900}" \
		--append "slub_debug=FZPU kfence.sample_interval=5" \
		--ko "$VDPA_KO" --ko "$GUEST_KO" \
		--module gcm --module crc32c_generic --module deflate \
		--module algif_hash $IPSEC_MODS \
		--bin "$K/tests/vaccel-t" --bin "$T/vaccel-afalg" $AEAD_ARGS \
		"$TOP/tests/vm/guest/$GUEST_T" "$GUEST_KO" \
		"$T/payload"/* || rc=$?
	exit $rc
fi
B=$TOP/build
[ -x "$B/vhost-user-accel" ] || { echo "t-crypto-run: $B/vhost-user-accel missing: run make" >&2; exit 2; }
# shellcheck disable=SC2086
# rings of 16 and 20 ms per request: the guest's flood fills them
rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${CRYPTO_VM_TIMEOUT:-900}" \
	--path vhost-user --backend "$B/vhost-user-accel" --queue-size 16 \
	--backend-arg --test-delay-us --backend-arg 20000 $BACKEND_MDL \
	--ko "$GUEST_KO" --module algif_hash $IPSEC_MODS \
	--bin "$K/tests/vaccel-t" --bin "$T/vaccel-afalg" $AEAD_ARGS \
	"$TOP/tests/vm/guest/$GUEST_T" "$GUEST_KO" "$T/payload"/* ||
	rc=$?
exit $rc
