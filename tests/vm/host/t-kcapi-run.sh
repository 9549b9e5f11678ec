#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# An unchanged AF_ALG consumer on virtio_accel.ko's crypto API algorithms
# (issue 11): Debian's kcapi-tools (kcapi-dgst, libkcapi 1.4) in the 6.12
# guest, tests/vm/guest/t-kcapi-guest.sh, on data path 3 (vdpa_accel +
# virtio_vdpa) or data path 1 (virtio-pci, the DPDK back-end over
# vhost-user), with crypto_priority=300 (above the kernel's own).
#
#   tests/vm/host/t-kcapi-run.sh [vdpa|vhost-user]       default vdpa
#
# The data files and every reference are made here, in Python (hashlib,
# hmac, pbkdf2_hmac and a table CRC-32C), never in the guest: k.SIZE for
# SIZE 0 .. 4 MiB + 5, refs.txt, HMAC keys (key.N, N bytes, given to
# kcapi-dgst on a file descriptor) and PBKDF2 passwords (pw.N: the
# password is the HMAC key of kcapi-dgst's PBKDF2 step, the only way
# kcapi-dgst takes a key longer than its 32-byte key buffer).
#
# Environment: VDPA_KO, GUEST_KO (default the build outputs, built here),
# KCAPI_VM_TIMEOUT (900). Output ends "N passed, N failed"; exit 77 when
# kcapi-tools is not installed, a module is missing or (path 1) QEMU with
# vhost-user-accel-pci cannot be had.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$K/virtio_accel.ko}
PATHN=${1:-vdpa}
PRIO=300

for b in kcapi-dgst kcapi-enc; do
	if [ ! -x "/usr/bin/$b" ]; then
		echo "t-kcapi-run: SKIP: /usr/bin/$b missing (scripts/setup.sh installs kcapi-tools)" >&2
		exit 77
	fi
done
make -s -C "$K" modules >&2
[ "$PATHN" = vhost-user ] || make -s -C "$TOP/vdpa-driver" modules >&2 || true
if [ ! -e "$GUEST_KO" ] || { [ "$PATHN" = vdpa ] && [ ! -e "$VDPA_KO" ]; }; then
	echo "t-kcapi-run: SKIP: a module is missing and cannot be built" >&2
	exit 77
fi
[ -x "$TOP/build/vaccel" ] || { echo "t-kcapi-run: build/vaccel missing: run make" >&2; exit 2; }

test_tmpdir kcapi
mkdir "$T/payload"
[ "$PATHN" = vdpa ] && echo vdpa >"$T/payload/mode" || echo pci >"$T/payload/mode"
echo "$PRIO" >"$T/payload/prio"
PYTHONPATH="$TOP/tests/lib" python3 - "$T/payload" <<'PY'
import hashlib, hmac, os, random, struct, sys
from vaccel_refs import crc32c
d = sys.argv[1]
rnd = random.Random(1111)
MiB = 1 << 20
sizes = (0, 1, 63, 64, 65, 4095, 4096, 65536, MiB - 1, MiB, MiB + 1,
         4 * MiB + 5)
# kcapi-dgst --keyfd: read() once into a 32-byte buffer, so 0..32 bytes
keys = {n: rnd.randbytes(n) for n in (0, 20, 32)}
for n, k in keys.items():
    with open(os.path.join(d, "key.%d" % n), "wb") as f:
        f.write(k)
# kcapi-dgst --passwd P --salt S --pbkdfiter 1: the data's HMAC key is
# PBKDF2-HMAC-SHA256(P, S, 1, 32), P the key of that HMAC (no NUL: argv)
alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
salt = rnd.randbytes(16)
pws = {n: "".join(rnd.choice(alnum) for _ in range(n))
       for n in (20, 64, 100, 200)}
with open(os.path.join(d, "salt"), "w") as f:
    f.write(salt.hex() + "\n")
for n, p in pws.items():
    with open(os.path.join(d, "pw.%d" % n), "w") as f:
        f.write(p)
with open(os.path.join(d, "refs.txt"), "w") as refs:
    for size in sizes:
        data = rnd.randbytes(size)
        with open(os.path.join(d, "k.%d" % size), "wb") as f:
            f.write(data)
        refs.write("sha %d - %s\n" % (size, hashlib.sha256(data).hexdigest()))
        refs.write("crc %d - %s\n" % (size, crc32c(data).hex()))
        for n, k in keys.items():
            refs.write("hmac %d key.%d %s\n" % (size, n,
                       hmac.new(k, data, hashlib.sha256).hexdigest()))
        for n, p in pws.items():
            dk = hashlib.pbkdf2_hmac("sha256", p.encode(), salt, 1, 32)
            refs.write("pbkdf %d pw.%d %s\n" % (size, n,
                       hmac.new(dk, data, hashlib.sha256).hexdigest()))
# AES-GCM for kcapi-enc (the AEAD cases, run once the driver registers
# gcm(aes)): gin.SIZE plaintext, AES-256 and AES-128 keys, a 12-byte IV,
# 16 bytes of AAD; gout.SIZE.KEYBITS.TAGLEN = AAD || ciphertext || tag
# (what AF_ALG's AEAD returns on encryption)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
iv, aad = rnd.randbytes(12), rnd.randbytes(16)
with open(os.path.join(d, "gcm-iv"), "w") as f:
    f.write(iv.hex() + "\n")
with open(os.path.join(d, "gcm-aad"), "w") as f:
    f.write(aad.hex() + "\n")
gkeys = {bits: rnd.randbytes(bits // 8) for bits in (256, 128)}
for bits, k in gkeys.items():
    with open(os.path.join(d, "gkey.%d" % bits), "wb") as f:
        f.write(k)
for size in (1, 16, 64, 4096, 65536 - 16 - 16):
    pt = rnd.randbytes(size)
    with open(os.path.join(d, "gin.%d" % size), "wb") as f:
        f.write(pt)
    for bits, k in gkeys.items():
        for tl in (16, 12, 8, 4):
            enc = Cipher(algorithms.AES(k), modes.GCM(iv, min_tag_length=4)).encryptor()
            enc.authenticate_additional_data(aad)
            ct = enc.update(pt) + enc.finalize()
            with open(os.path.join(d, "gout.%d.%d.%d" % (size, bits, tl)), "wb") as f:
                f.write(aad + ct + enc.tag[:tl])
PY

# kcapi-dgst and kcapi-enc with their libraries (libkcapi.so.1 from
# /lib/x86_64-linux-gnu), crypto_user for libkcapi's NETLINK_CRYPTO
# lookups, algif_hash/algif_skcipher/algif_aead for AF_ALG, gcm and
# ghash_generic for the kernel's own gcm(aes)
MODS="--module crypto_user --module algif_hash --module algif_skcipher --module algif_aead --module gcm --module ghash_generic"
BINS="--bin /usr/bin/kcapi-dgst --bin /usr/bin/kcapi-enc --bin $TOP/build/vaccel"
rc=0
if [ "$PATHN" = vdpa ]; then
	# shellcheck disable=SC2086 # lists of options
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${KCAPI_VM_TIMEOUT:-900}" \
		--ko "$VDPA_KO" --ko "$GUEST_KO:crypto_priority=$PRIO" \
		--module crc32c_generic $MODS $BINS \
		"$TOP/tests/vm/guest/t-kcapi-guest.sh" "$T/payload"/* || rc=$?
	exit $rc
fi
B=$TOP/build
[ -x "$B/vhost-user-accel" ] || { echo "t-kcapi-run: $B/vhost-user-accel missing: run make" >&2; exit 2; }
# shellcheck disable=SC2086
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${KCAPI_VM_TIMEOUT:-900}" \
	--path vhost-user --backend "$B/vhost-user-accel" \
	--ko "$GUEST_KO:crypto_priority=$PRIO" --module crc32c_generic \
	$MODS $BINS \
	"$TOP/tests/vm/guest/t-kcapi-guest.sh" "$T/payload"/* || rc=$?
exit $rc
