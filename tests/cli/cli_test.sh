#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# CLI round trips against independent implementations: sha256sum, Python's
# hmac and zlib, and the 'cryptography' package's AES-GCM.
#
#   tests/cli/cli_test.sh BUILD_DIR [quick]
#
# Starts a backend from BUILD_DIR on a private socket and runs BUILD_DIR/vaccel
# against it. "quick" leaves out the largest inputs (used for the sanitizer
# build). Prints "ok"/"not ok" lines and ends with "N passed, N failed".
set -u
B=$(cd "$1" && pwd)
MODE=${2:-full}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/lib.sh"
REF="$PY $TOP/tests/tools/ref.py"
V=$B/vaccel
test_tmpdir cli	# removed at exit, after the back-end is stopped

# sanitizer reports of the CLI (in the ASan+UBSan build) land in files, so
# that none goes unnoticed in a stderr the test discards
mkdir -p "$T/san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san/ubsan"

start_backend "$T" || { not_ok "backend starts"; summary; exit 1; }
ok "backend starts on $SOCK"

KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=cafebabefacedbaddecaf888
AAD=feedfacedeadbeeffeedfacedeadbeefabaddad2

SIZES="0 1 4096 1048579"
[ "$MODE" = full ] && SIZES="$SIZES 67108864"
for n in $SIZES; do
	$REF gen "$n" "$n" "$T/in.$n"
done

# --- hash: byte-for-byte the same lines as sha256sum ----------------------
for n in $SIZES; do
	(cd "$T" && "$V" hash "$DEV" --alg sha256 "in.$n") >"$T/dev.sum" 2>"$T/err"
	(cd "$T" && sha256sum "in.$n") >"$T/ref.sum"
	check "hash sha256 $n bytes equals sha256sum" cmp -s "$T/dev.sum" "$T/ref.sum"
done
(cd "$T" && "$V" hash "$DEV" --alg sha256 in.0 in.1 in.4096) >"$T/dev.sum"
(cd "$T" && sha256sum in.0 in.1 in.4096) >"$T/ref.sum"
check "hash several files equals sha256sum" cmp -s "$T/dev.sum" "$T/ref.sum"
"$V" hash "$DEV" --alg sha256 <"$T/in.4096" >"$T/dev.sum"
sha256sum <"$T/in.4096" >"$T/ref.sum"
check "hash stdin prints '-' like sha256sum" cmp -s "$T/dev.sum" "$T/ref.sum"
cat "$T/in.1048579" | "$V" hash "$DEV" --alg sha256 - >"$T/dev.sum"
sha256sum - <"$T/in.1048579" >"$T/ref.sum"
check "hash from a pipe (1 MiB + 3) equals sha256sum" cmp -s "$T/dev.sum" "$T/ref.sum"

# --- crc32c -----------------------------------------------------------------
printf 123456789 >"$T/nine"
out=$("$V" hash "$DEV" --alg crc32c "$T/nine" | cut -d' ' -f1)
check "crc32c('123456789') = e3069283" [ "$out" = e3069283 ]
for n in 0 4096 1048579; do
	out=$("$V" hash "$DEV" --alg crc32c "$T/in.$n" | cut -d' ' -f1)
	check "crc32c $n bytes equals the reference" [ "$out" = "$($REF crc32c "$T/in.$n")" ]
done

# --- hmac -------------------------------------------------------------------
for n in 0 4096 1048579; do
	out=$("$V" hmac "$DEV" --alg sha256 --key "$KEY" "$T/in.$n" | cut -d' ' -f1)
	check "hmac-sha256 $n bytes equals Python hmac" [ "$out" = "$($REF hmac "$KEY" "$T/in.$n")" ]
done
out=$("$V" hmac "$DEV" --alg sha256 --key 4a656665 "$T/nine" | cut -d' ' -f1)
check "hmac with a 4-byte key" [ "$out" = "$($REF hmac 4a656665 "$T/nine")" ]
# RFC 2104 keys of any length: empty (K0 = zeros), 1 byte, a block, and
# longer than a block (hashed first, on the device)
for kl in 0 1 64 65 200; do
	k=$(head -c "$kl" "$T/in.1048579" | od -An -v -tx1 | tr -d ' \n')
	out=$("$V" hmac "$DEV" --alg sha256 --key "$k" "$T/in.4096" 2>"$T/err" | cut -d' ' -f1)
	check "hmac with a $kl-byte key equals Python hmac" [ -n "$out" -a "$out" = "$($REF hmac "$k" "$T/in.4096")" ]
done

# --- AES-256-GCM ------------------------------------------------------------
GSIZES="0 1 4096 1048579"
[ "$MODE" = full ] && GSIZES="$GSIZES 5000000"
[ -e "$T/in.5000000" ] || $REF gen 5000000 5 "$T/in.5000000"
for n in $GSIZES; do
	"$V" encrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
		"$T/in.$n" "$T/ct.$n" 2>"$T/err"
	$REF gcm-enc "$KEY" "$IV" "$AAD" "$T/in.$n" "$T/ref.ct.$n"
	check "gcm encrypt $n bytes equals cryptography's AESGCM" cmp -s "$T/ct.$n" "$T/ref.ct.$n"
	$REF gcm-dec "$KEY" "$IV" "$AAD" "$T/ct.$n" "$T/ref.pt.$n" 2>/dev/null
	check "gcm $n bytes: device ciphertext verifies independently" cmp -s "$T/ref.pt.$n" "$T/in.$n"
	"$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
		"$T/ref.ct.$n" "$T/pt.$n" 2>"$T/err"
	check "gcm decrypt $n bytes of independent ciphertext" cmp -s "$T/pt.$n" "$T/in.$n"
done
"$V" encrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" "$T/in.4096" "$T/ct.noaad"
$REF gcm-enc "$KEY" "$IV" "" "$T/in.4096" "$T/ref.ct.noaad"
check "gcm encrypt without AAD" cmp -s "$T/ct.noaad" "$T/ref.ct.noaad"

# tampered tag, tampered data, wrong key: non-zero exit and no output file
cp "$T/ref.ct.4096" "$T/bad.ct"
printf '\x01' | dd of="$T/bad.ct" bs=1 seek=4100 conv=notrunc 2>/dev/null
"$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
	"$T/bad.ct" "$T/bad.pt" 2>"$T/err"
rc=$?
check "gcm bad tag exits non-zero" [ $rc -ne 0 ]
check "gcm bad tag leaves no output file" [ ! -e "$T/bad.pt" ]
check "gcm bad tag message says authentication failed" grep -q "authentication failed" "$T/err"
check "gcm bad tag leaves no temporary file" sh -c "! ls '$T' | grep -q vaccel"
if [ "$MODE" = full ]; then
	cp "$T/ref.ct.5000000" "$T/bad.big"
	printf '\x01' | dd of="$T/bad.big" bs=1 seek=1234567 conv=notrunc 2>/dev/null
	"$V" decrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv "$IV" --aad "$AAD" \
		"$T/bad.big" "$T/bad.bigpt" 2>/dev/null
	rc=$?
	check "gcm streamed (5 MB) tampered data fails with no output" \
		[ $rc -ne 0 -a ! -e "$T/bad.bigpt" ]
fi
"$V" decrypt "$DEV" --alg aes-256-gcm --key "${KEY%??}00" --iv "$IV" --aad "$AAD" \
	"$T/ref.ct.4096" "$T/bad.pt" 2>/dev/null
check "gcm wrong key fails with no output" [ $? -ne 0 -a ! -e "$T/bad.pt" ]

# --- DEFLATE ----------------------------------------------------------------
DSIZES="0 1 4096 1048579 5000000"
[ "$MODE" = full ] && DSIZES="$DSIZES 67108864"
for n in $DSIZES; do
	"$V" compress "$DEV" "$T/in.$n" "$T/z.$n" 2>"$T/err"
	$REF inflate "$T/z.$n" "$T/unz.$n"
	check "deflate $n bytes: device output inflates with zlib" cmp -s "$T/unz.$n" "$T/in.$n"
	$REF deflate "$T/in.$n" "$T/ref.z.$n"
	"$V" decompress "$DEV" "$T/ref.z.$n" "$T/out.$n" 2>"$T/err"
	check "deflate $n bytes: zlib's raw DEFLATE inflates on the device" cmp -s "$T/out.$n" "$T/in.$n"
done
zsz=$(stat -c %s "$T/z.1048579")
check "deflate compresses text-like data (1 MiB -> $zsz bytes)" [ "$zsz" -lt 700000 ]
head -c 3000 /dev/urandom >"$T/garbage"
printf '\xff' | dd of="$T/garbage" bs=1 count=1 conv=notrunc 2>/dev/null
"$V" decompress "$DEV" "$T/garbage" "$T/garbage.out" 2>"$T/err"
check "decompress of garbage fails with no output" [ $? -ne 0 -a ! -e "$T/garbage.out" ]
check "decompress of garbage says what is wrong" grep -qi "deflate" "$T/err"
head -c 100 "$T/ref.z.4096" >"$T/trunc.z"
"$V" decompress "$DEV" "$T/trunc.z" "$T/trunc.out" 2>/dev/null
check "decompress of a truncated stream fails with no output" [ $? -ne 0 -a ! -e "$T/trunc.out" ]
"$V" compress "$DEV" - - <"$T/in.4096" | $PY -c 'import sys,zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read(), -15))' >"$T/pipe.out"
check "compress stdin to stdout" cmp -s "$T/pipe.out" "$T/in.4096"

# --- info, bench ------------------------------------------------------------
"$V" info "$DEV" >"$T/info" 2>&1
check "info runs" grep -q "device id: *56" "$T/info"
check "info lists sha256" grep -q sha256 "$T/info"
"$V" info "$DEV" --json >"$T/info.json"
check "info --json is JSON with capabilities" $PY -c "
import json,sys; d=json.load(open('$T/info.json'))
assert d['device_id'] == 56 and len(d['capabilities']) >= 8, d"
# [STREAM-LIMIT]: the back-end's default limit, in both forms
check "info shows the DEFLATE stream limit (streams: 64)" grep -qE '^streams: +64 ' "$T/info"
check "info --json has max_comp_streams 64" $PY -c "
import json; assert json.load(open('$T/info.json'))['max_comp_streams'] == 64"
"$V" bench "$DEV" --op null --size 64 --depth 8 --seconds 1 >"$T/bench" 2>"$T/bench.err"
check "bench null prints a result" grep -q "ops/s" "$T/bench"
"$V" bench "$DEV" --op sha256 --size 4K --depth 4 --seconds 1 --json >"$T/bench.json" 2>/dev/null
check "bench --json is JSON" $PY -c "
import json; d=json.load(open('$T/bench.json')); assert d['ops'] > 0, d"

# --- errors name what was wrong ---------------------------------------------
expect_err() { # NAME RC PATTERN CMD...
	name=$1 want=$2 pat=$3; shift 3
	"$@" >"$T/o" 2>"$T/e"
	rc=$?
	if [ $rc -eq "$want" ] && grep -q -- "$pat" "$T/e"; then
		ok "$name"
	else
		not_ok "$name (rc $rc, stderr: $(head -c 200 "$T/e"))"
	fi
}
expect_err "error: missing --alg" 2 "--alg" "$V" hash "$DEV" "$T/nine"
expect_err "error: unknown alg" 2 "md5" "$V" hash "$DEV" --alg md5 "$T/nine"
expect_err "error: odd hex key" 2 "odd number" "$V" hmac "$DEV" --alg sha256 --key abc "$T/nine"
expect_err "error: non-hex key" 2 "not a hex digit" "$V" hmac "$DEV" --alg sha256 --key zz "$T/nine"
expect_err "error: short GCM key" 2 "32-byte key" "$V" encrypt "$DEV" --alg aes-256-gcm --key 0011 --iv "$IV" "$T/nine" "$T/x"
expect_err "error: short IV" 2 "12-byte IV" "$V" encrypt "$DEV" --alg aes-256-gcm --key "$KEY" --iv 00 "$T/nine" "$T/x"
expect_err "error: missing input file" 1 "no-such-file" "$V" hash "$DEV" --alg sha256 "$T/no-such-file"
expect_err "error: bad device string" 1 "not a device string" "$V" info bogus
expect_err "error: dead socket" 1 "cannot open device" "$V" info "vhost-user:$T/nothing.sock"
expect_err "error: unknown command" 2 "unknown command" "$V" frobnicate "$DEV"
expect_err "error: missing device" 2 "missing DEVICE" "$V" info
check "error runs left no output file" [ ! -e "$T/x" ]

# --- the installed library: versioned symbols, pkg-config, a program ---------
if [ "$MODE" = full ]; then
	make -s -C "$TOP" O="$B" install DESTDIR="$T/inst" PREFIX=/usr >"$T/inst.log" 2>&1
	check "make install" [ $? -eq 0 ]
	objdump -T "$T/inst/usr/lib/libvirtaccel.so.1" >"$T/syms"
	n=$(grep -c ' VIRTACCEL_1.0 ' "$T/syms")
	n1=$(grep -c ' VIRTACCEL_1.1 ' "$T/syms")
	nodef=$(awk '$2 == "g" && $0 !~ /VIRTACCEL_1\.[01] /' "$T/syms" | wc -l)
	check "exported symbols are versioned VIRTACCEL_1.0 ($n) and VIRTACCEL_1.1 ($n1)" \
		[ "$n" -gt 10 -a "$n1" -ge 3 -a "$nodef" -eq 0 ]
	# a 1.0 function stays in 1.0: programs linked against 1.0 keep loading
	check "virtaccel_open is still VIRTACCEL_1.0, virtaccel_last_error is VIRTACCEL_1.1" \
		sh -c "grep -q ' VIRTACCEL_1.0 *virtaccel_open\$' '$T/syms' && grep -q ' VIRTACCEL_1.1 *virtaccel_last_error\$' '$T/syms'"
	cat >"$T/pc.c" <<'EOC'
#include <stdio.h>
#include <string.h>
#include <virtaccel.h>
int main(int argc, char **argv)
{
	struct virtaccel_dev *d;
	unsigned char dg[32];
	int r = virtaccel_open(argv[1], NULL, &d);

	if (r)
		return 1;
	r = virtaccel_hash(d, VIRTIO_ACCEL_ALG_SHA256, "abc", 3, dg, 32);
	virtaccel_close(d);
	return r || dg[0] != 0xba || dg[31] != 0xad;
}
EOC
	pc="env PKG_CONFIG_SYSROOT_DIR=$T/inst PKG_CONFIG_PATH=$T/inst/usr/lib/pkgconfig pkg-config"
	# shellcheck disable=SC2046 # pkg-config's flags are separate words
	gcc -Wall -Werror "$T/pc.c" $($pc --cflags --libs libvirtaccel) -o "$T/pcprog" 2>"$T/err"
	check "a program builds against the installed library via pkg-config" [ $? -eq 0 ]
	LD_LIBRARY_PATH="$T/inst/usr/lib" "$T/pcprog" "$DEV"
	check "that program hashes 'abc' through the device" [ $? -eq 0 ]
fi

# --- the backend survived all of it and stops cleanly -----------------------
"$V" hash "$DEV" --alg sha256 "$T/nine" >/dev/null 2>&1
check "backend still serving after the error cases" [ $? -eq 0 ]
stop_backend
check "backend exits 0 on SIGTERM" [ $? -eq 0 ]
check "backend removed its socket" [ ! -e "$SOCK" ]
if [ -n "$(ls -A "$T/san")" ]; then
	not_ok "no sanitizer report from the CLI or the back-end"
	head -40 "$T"/san/*
else
	ok "no sanitizer report from the CLI or the back-end"
fi
if grep -qiE "AddressSanitizer|runtime error" "$BACKEND_LOG"; then
	not_ok "backend log free of sanitizer reports"
	grep -iE -A5 "AddressSanitizer|runtime error" "$BACKEND_LOG" | head -40
else
	ok "backend log free of sanitizer reports"
fi
check "backend log has no key material" sh -c "! grep -qi '$KEY' '$BACKEND_LOG'"
summary
