#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Streams whose state moves before every request (issue 16): the real
# back-end with --test-stream-migrate exports each open stream's state and
# imports it into a new engine context before each request that continues
# it (engine_sw.c, as the destination of a live migration would), so every
# request after the first runs on imported state: AES-256-GCM on the own
# CTR + GHASH path, DEFLATE from a dictionary and pending output. Against
# such back-ends, over their vhost-user sockets:
#
#  - the conformance suite (its stream cases included);
#  - vaccel hash/hmac/encrypt/decrypt/compress/decompress of files up to
#    5 MB in requests of at most 10007 bytes (--max-data-len: unaligned),
#    each compared with an independent implementation (sha256sum,
#    tests/tools/ref.py: hmac, cryptography's AESGCM, zlib); a tampered GCM
#    stream still fails;
#  - the back-ends' logs show the GCM self-test passed, each kind moved
#    (SHA-256, HMAC, CRC-32C, GCM, DEFLATE; decompression stays: it would
#    travel as lost), no export or import failed, no sanitizer report.
#
#   tests/engine/t-stream-migrate.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir stmig
REF="$PY $TOP/tests/tools/ref.py"
V=$TOP/build/vaccel

# --- the conformance suite (its [STREAM-GCM-MAX] check lowered to 1 MiB) -----
mkdir -p "$T/conf"
start_backend "$T/conf" --test-stream-migrate --test-gcm-stream-max 1048576 ||
	{ not_ok "back-end starts with --test-stream-migrate"; summary; exit 1; }
VACCEL_TEST_GCM_STREAM_MAX=1048576 "$TOP/build/tests/conformance_suite" \
	--queues 2 "$DEV" >"$T/conf.out" 2>&1
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/conf.out" | tail -1)
check "conformance suite passes on moved streams ($line)" \
	sh -c "[ $rc -eq 0 ] && echo \"$line\" | grep -qE '^[1-9][0-9]* passed, 0 failed'"
[ "$rc" -eq 0 ] || grep -E "FAILED|^ +[0-9]+\. " "$T/conf.out" | head -20
stop_backend
check "back-end (conformance) exits cleanly" [ $? -eq 0 ]
cat "$BACKEND_LOG" >"$T/all.log"

# --- the CLI against independent references, in unaligned pieces ------------
mkdir -p "$T/cli"
start_backend "$T/cli" --test-stream-migrate --max-data-len 10007 ||
	{ not_ok "back-end starts with --max-data-len 10007"; summary; exit 1; }

KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=cafebabefacedbaddecaf888
AAD=feedfacedeadbeeffeedfacedeadbeefabaddad2
HKEY=$(head -c 64 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
for n in 1 10007 10008 1048579 5000000; do
	$REF gen "$n" "$n" "$T/in.$n"
done
for n in 10008 1048579 5000000; do
	out=$("$V" hash "$DEV" --alg sha256 "$T/in.$n" | cut -d' ' -f1)
	check "sha256 $n bytes equals sha256sum" \
		[ "$out" = "$(sha256sum <"$T/in.$n" | cut -d' ' -f1)" ]
	out=$("$V" hash "$DEV" --alg crc32c "$T/in.$n" | cut -d' ' -f1)
	check "crc32c $n bytes equals the reference" \
		[ "$out" = "$($REF crc32c "$T/in.$n")" ]
	out=$("$V" hmac "$DEV" --alg sha256 --key "$HKEY" "$T/in.$n" | cut -d' ' -f1)
	check "hmac-sha256 (64-byte key) $n bytes equals Python hmac" \
		[ "$out" = "$($REF hmac "$HKEY" "$T/in.$n")" ]
done
for n in 1 10007 10008 1048579 5000000; do
	"$V" encrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
		"$T/in.$n" "$T/ct.$n" 2>"$T/err"
	$REF gcm-enc "$KEY" "$IV" "$AAD" "$T/in.$n" "$T/ref.ct.$n"
	check "gcm encrypt $n bytes equals cryptography's AESGCM" \
		cmp -s "$T/ct.$n" "$T/ref.ct.$n"
	"$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
		"$T/ref.ct.$n" "$T/pt.$n" 2>"$T/err"
	check "gcm decrypt $n bytes of independent ciphertext" \
		cmp -s "$T/pt.$n" "$T/in.$n"
done
cp "$T/ref.ct.1048579" "$T/bad.ct"
printf '\x01' | dd of="$T/bad.ct" bs=1 seek=777777 conv=notrunc 2>/dev/null
"$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
	"$T/bad.ct" "$T/bad.pt" 2>"$T/err"
check "gcm tampered 1 MiB stream fails with no output" \
	[ $? -ne 0 -a ! -e "$T/bad.pt" ]
for n in 10008 1048579 5000000; do
	"$V" compress "$DEV" "$T/in.$n" "$T/z.$n" 2>"$T/err"
	$REF inflate "$T/z.$n" "$T/unz.$n"
	check "deflate $n bytes: output inflates with zlib" cmp -s "$T/unz.$n" "$T/in.$n"
	$REF deflate "$T/in.$n" "$T/ref.z.$n"
	"$V" decompress "$DEV" "$T/ref.z.$n" "$T/out.$n" 2>"$T/err"
	check "deflate $n bytes: zlib's DEFLATE inflates on the device" \
		cmp -s "$T/out.$n" "$T/in.$n"
done

# --- the streams did move, and nothing failed --------------------------------
stop_backend
check "back-end (CLI) exits cleanly" [ $? -eq 0 ]
L=$T/all.log
cat "$BACKEND_LOG" >>"$L"
check "the GCM self-test passed" grep -q "on the engine's GCM (tag trick self-test passed)" "$L"
for k in 16:SHA-256 17:HMAC 18:CRC-32C 19:AES-256-GCM 20:DEFLATE; do
	check "the log shows ${k#*:} streams moved" \
		grep -qE "test-stream-migrate: .* stream state ${k%%:*} moved" "$L"
done
check "no export or import failed" \
	sh -c "! grep -E 'test-stream-migrate: session [^ ]+: [A-Z]' '$L'"
echo "# $(grep -c 'stream state .* moved' "$L") stream moves"
san_report "$L" && not_ok "sanitizer report in the back-end's logs"
summary
