#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# deflate-virtio-accel, virtio_accel.ko's acomp algorithm (issue 11), in the
# 6.12 guest: tests/vm/guest/t-acomp-guest.sh on data path 3 (vdpa_accel +
# virtio_vdpa) or data path 1 (virtio-pci, the DPDK back-end over
# vhost-user). Requests go through the crypto API from the test module
# guest-driver/kernel/tests/vaccel_acomp_kt.c (AF_ALG has no compression);
# then zswap with compressor deflate. The data files and the raw DEFLATE
# streams (Python's zlib, wbits -15), corrupt ones included, are made here;
# sizes 1 MiB + 1, 3 MiB + 5 and 8 MiB go as DEFLATE stream sessions (on
# path 3 also with the parent reloaded with max_data_len=65536, and the
# device removed during a long compression); max_comp_streams is 1 (path 1:
# the back-end's --max-comp-streams=1; path 3: the reloaded parent), so a
# DEFLATE stream session held through /dev/vaccel0 (vaccel-t) sends a long
# request to software.
#
#   tests/vm/host/t-acomp-run.sh [vdpa|vhost-user]       default vdpa
#
# Environment: VDPA_KO, GUEST_KO (default the build outputs, built here),
# ACOMP_VM_TIMEOUT (3000). Output ends "N passed, N failed"; exit 77 when
# a module or (path 1) QEMU with vhost-user-accel-pci cannot be had.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$K/virtio_accel.ko}
KT_KO=$K/tests/vaccel_acomp_kt.ko
PATHN=${1:-vdpa}

make -s -C "$K" modules tests test-modules >&2
[ "$PATHN" = vhost-user ] || make -s -C "$TOP/vdpa-driver" modules >&2 || true
if [ ! -e "$GUEST_KO" ] || [ ! -e "$KT_KO" ] || [ ! -x "$K/tests/vaccel-t" ] ||
   { [ "$PATHN" = vdpa ] && [ ! -e "$VDPA_KO" ]; }; then
	echo "t-acomp-run: SKIP: a module is missing and cannot be built" >&2
	exit 77
fi

test_tmpdir acomp
mkdir "$T/payload"
[ "$PATHN" = vdpa ] && echo vdpa >"$T/payload/mode" || echo pci >"$T/payload/mode"
cp "$KT_KO" "$T/payload/"
guest_prog "$TOP/tests/vm/progs/vaccel_memfill.c" "$T/vaccel-memfill"
python3 - "$T/payload" <<'PY'
import os, random, sys, zlib
d = sys.argv[1]
rnd = random.Random(11)
def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
def text(n):
    out, i, have = [], 0, 0
    while have < n:
        out.append(b"record %07d: compressible text for deflate-virtio-accel %d\n"
                   % (i, rnd.randrange(100)))
        have += len(out[-1])
        i += 1
    return b"".join(out)[:n]
def raw(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()
def rejects(stream):
    try:
        o = zlib.decompressobj(-15)
        o.decompress(stream)
        return not o.eof or o.unused_data != b""
    except zlib.error:
        return True
# c.N compressible, r.N random; 1048576 is the devices' max_data_len
for n in (0, 1, 4096, 65537, 1048576, 1048581):
    w("c.%d" % n, text(n))
    w("r.%d" % n, rnd.randbytes(n))
big = text(3 * 1048576)
w("c.3145728", big)
# streams made by Python's zlib: decompressed in the guest to c.N
for n in (1, 4096, 65537, 1048576):
    w("z.c.%d" % n, raw(open(os.path.join(d, "c.%d" % n), "rb").read(), 9))
w("z.c.3145728", raw(big))
# corrupt streams, each rejected by Python's zlib too
good = raw(open(os.path.join(d, "c.65537"), "rb").read())
bad = {}
bad["btype"] = bytes([good[0] | 0x06]) + good[1:]   # BTYPE 11: reserved
bad["trunc"] = good[:len(good) // 2]                # ends before the final block
bad["trail"] = good + b"\x00trailing"               # more after the final block
for i in range(len(good) // 3, len(good)):          # a flipped byte zlib notices
    s = good[:i] + bytes([good[i] ^ 0xff]) + good[i + 1:]
    if rejects(s):
        bad["flip"] = s
        break
for k, s in bad.items():
    assert rejects(s), k
    w("bad.%s" % k, s)
# above max_data_len (1 MiB, and 64 KiB on path 3): DEFLATE streams
for n in (1048577, 3 * 1048576 + 5, 8 * 1048576):
    for k, data in (("c", text(n)), ("r", rnd.randbytes(n))):
        w("%s.%d" % (k, n), data)
        w("z.%s.%d" % (k, n), raw(data))
        if n == 8 * 1048576 and k == "c":
            z = raw(data)
            for b, s in (("trunc", z[:len(z) // 2]), ("trail", z + b"\x00trailing")):
                assert rejects(s), b
                w("zbad.%s" % b, s)
PY

rc=0
if [ "$PATHN" = vdpa ]; then
	cp "$VDPA_KO" "$T/payload/"	# reloaded with max_data_len=65536
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${ACOMP_VM_TIMEOUT:-3000}" \
		--append "slub_debug=FZPU kfence.sample_interval=5" \
		--ko "$VDPA_KO" --ko "$GUEST_KO" --module brd \
		--bin "$T/vaccel-memfill" --bin "$K/tests/vaccel-t" \
		"$TOP/tests/vm/guest/t-acomp-guest.sh" "$GUEST_KO" \
		"$T/payload"/* || rc=$?
	exit $rc
fi
B=$TOP/build
[ -x "$B/vhost-user-accel" ] || { echo "t-acomp-run: $B/vhost-user-accel missing: run make" >&2; exit 2; }
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${ACOMP_VM_TIMEOUT:-3000}" \
	--path vhost-user --backend "$B/vhost-user-accel" \
	--backend-arg --max-comp-streams=1 \
	--ko "$GUEST_KO" --module brd --bin "$T/vaccel-memfill" \
	--bin "$K/tests/vaccel-t" \
	"$TOP/tests/vm/guest/t-acomp-guest.sh" "$GUEST_KO" "$T/payload"/* ||
	rc=$?
exit $rc
