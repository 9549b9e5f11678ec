#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The main job: a virtio-accel device served by the DPDK vhost-user back-end,
# driven by the vaccel CLI through the user-space driver (data path 5).
set -u
B=$(cd "${1:-build}" && pwd)
T=$(mktemp -d /tmp/vaccel-demo.XXXXXX)
V=$B/vaccel
PY=/usr/bin/python3
cleanup() {
	[ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID"
	rm -rf "$T"
}
trap cleanup EXIT
if [ -t 1 ]; then B1=$(printf "\033[1m"); B0=$(printf "\033[0m"); else B1='' B0=''; fi
step() { printf "\n%s== %s%s\n" "$B1" "$*" "$B0"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

step "starting the back-end: vhost-user-accel --socket-path $T/accel.sock"
"$B/vhost-user-accel" --socket-path "$T/accel.sock" >"$T/backend.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S "$T/accel.sock" ] && break; sleep 0.1; done
[ -S "$T/accel.sock" ] || { cat "$T/backend.log"; fail "back-end did not start"; }
DEV=vhost-user:$T/accel.sock

step "vaccel info $DEV"
"$V" info "$DEV" || fail "info"

step "SHA-256 of a 16 MiB file, device vs sha256sum"
head -c $((16 << 20)) /dev/urandom >"$T/data.bin"
(cd "$T" && "$V" hash "$DEV" --alg sha256 data.bin) | tee "$T/dev.sum"
(cd "$T" && sha256sum data.bin) | tee "$T/ref.sum"
cmp -s "$T/dev.sum" "$T/ref.sum" && echo "-> identical" || fail "digests differ"

step "AES-256-GCM encrypt/decrypt round trip"
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
IV=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$V" encrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad 76697274696f \
	"$T/data.bin" "$T/data.enc" || fail "encrypt"
"$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad 76697274696f \
	"$T/data.enc" "$T/data.dec" || fail "decrypt"
echo "ciphertext: $(stat -c %s "$T/data.enc") bytes (16 MiB + 16-byte tag)"
cmp -s "$T/data.bin" "$T/data.dec" && echo "-> decrypted output identical to the input" || fail "round trip"
printf '\x00' | dd of="$T/data.enc" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad 76697274696f \
	"$T/data.enc" "$T/tampered.dec"; then
	fail "tampered ciphertext was accepted"
fi
[ -e "$T/tampered.dec" ] && fail "output written for tampered data"
echo "-> tampered ciphertext rejected, no output written"

step "DEFLATE compress/decompress round trip (and zlib cross-check)"
for _ in $(seq 3000); do cat /usr/share/common-licenses/GPL-3 2>/dev/null || echo "virtio-accel demo text line"; done | head -c $((8 << 20)) >"$T/text"
"$V" compress "$DEV" "$T/text" "$T/text.z" || fail "compress"
"$V" decompress "$DEV" "$T/text.z" "$T/text.out" || fail "decompress"
echo "$(stat -c %s "$T/text") bytes -> $(stat -c %s "$T/text.z") bytes compressed"
cmp -s "$T/text" "$T/text.out" && echo "-> round trip identical" || fail "round trip"
$PY -c "import sys,zlib; d=open(sys.argv[1],'rb').read(); assert zlib.decompress(d,-15)==open(sys.argv[2],'rb').read()" \
	"$T/text.z" "$T/text" && echo "-> Python's zlib inflates the device's output to the same bytes" || fail "zlib cross-check"

step "bench: 64-byte NULL ops, queue depth 32, 2 seconds"
"$V" bench "$DEV" --op null --size 64 --depth 32 --seconds 2 || fail "bench"
step "bench: SHA-256 on 1 MiB, queue depth 4, 2 seconds"
"$V" bench "$DEV" --op sha256 --size 1M --depth 4 --seconds 2 || fail "bench"

step "stopping the back-end (SIGTERM)"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
echo "back-end exited with status $rc; its log:"
sed 's/^/  | /' "$T/backend.log" | tail -20
[ $rc -eq 0 ] || fail "back-end exit status $rc"
printf '\n%sdemo finished: all steps succeeded%s\n' "$B1" "$B0"
