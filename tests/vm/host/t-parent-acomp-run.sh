#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The vDPA parent's DEFLATE through the crypto API's acomp "deflate"
# (issue 14), in the 6.12 guest: tests/vm/guest/t-parent-acomp-guest.sh
# over vhost-vdpa with the library's CLI. Data files and Python zlib's raw
# DEFLATE streams are made here; the guest prints each output the parent
# compressed ("zout NAME HEX"), which is inflated here with Python's zlib
# (a complete raw DEFLATE stream, nothing after it, equal to the input).
#
#   tests/vm/host/t-parent-acomp-run.sh [BUILD_DIR]      default: build
#
# Environment: VDPA_KO, GUEST_KO (default the build outputs, built here),
# PACOMP_VM_TIMEOUT (900). Output ends "N passed, N failed"; exit 77 when
# the module cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}

GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}

make -s -C "$TOP/vdpa-driver" modules >&2 || true
make -s -C "$TOP/guest-driver/kernel" modules >&2 || true
[ -e "$VDPA_KO" ] || skip_all "vdpa_accel.ko is missing and cannot be built"
[ -e "$GUEST_KO" ] || skip_all "virtio_accel.ko is missing and cannot be built"
[ -x "$B/vaccel" ] || { echo "t-parent-acomp-run: $B/vaccel missing: run make" >&2; exit 2; }

test_tmpdir pacomp
mkdir "$T/payload"
cp "$VDPA_KO" "$T/payload/vdpa_accel.ko"
cp "$GUEST_KO" "$T/payload/virtio_accel.ko"
python3 - "$T/payload" <<'PY'
import os, random, sys, zlib
d = sys.argv[1]
rnd = random.Random(14)
def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
def text(n):
    out, i, have = [], 0, 0
    while have < n:
        out.append(b"line %06d of the parent's acomp test, value %d\n" % (i, rnd.randrange(1000)))
        have += len(out[-1])
        i += 1
    return b"".join(out)[:n]
def raw(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()
for n in (0, 1, 4096, 65536, 131072, 200000):
    w("c.%d" % n, text(n))
for n in (4096, 65536):
    w("r.%d" % n, rnd.randbytes(n))
for n in (1, 4096, 65536, 131072):
    w("z.%d" % n, raw(open(os.path.join(d, "c.%d" % n), "rb").read()))
w("zt.4096", raw(open(os.path.join(d, "c.4096"), "rb").read()) + b"\x42")
w("bad", b"\xff" * 16)
PY

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${PACOMP_VM_TIMEOUT:-900}" \
	--module deflate \
	--bin "$B/vaccel" \
	"$TOP/tests/vm/guest/t-parent-acomp-guest.sh" "$T/payload"/* \
	>"$T/out" 2>&1 || rc=$?
grep -vE '^zout ' "$T/out" | grep -E '^(ok|not ok|#|[0-9]+ passed)' || true
count_results "$T/out" "$rc" || true

# every output of the parent's COMPRESS, inflated by Python's zlib
tr -d '\r' <"$T/out" | grep -E '^zout ' >"$T/zout" || true
check "the guest printed the parent's compressed outputs" test -s "$T/zout"
while read -r _ name hex; do
	printf '%s' "$hex" >"$T/hex"
	check "$name: the parent's raw DEFLATE inflates with Python's zlib to the input" \
		python3 - "$T/payload/$name" "$T/hex" <<'PY'
import sys, zlib
want = open(sys.argv[1], "rb").read()
z = bytes.fromhex(open(sys.argv[2]).read())
o = zlib.decompressobj(-15)
got = o.decompress(z) + o.flush()
sys.exit(0 if o.eof and not o.unused_data and got == want else 1)
PY
done <"$T/zout"
summary
