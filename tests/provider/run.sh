#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The OpenSSL provider vaccelprov.so on path 5 (library -> vhost-user ->
# the back-end on this host), driven by unmodified programs: openssl dgst,
# mac and list, and an EVP program (tests/provider/prov_test.c). Results
# are checked against the default provider, sha256sum, Python's hmac and
# the 'cryptography' package's AESGCM; the back-end's "N data requests
# served" (logged per connection) must rise.
#
#   tests/provider/run.sh BUILD_DIR [quick]
#
# Prints "ok"/"not ok" lines and ends with "N passed, N failed".
set -u
B=$(cd "${1:-build}" && pwd)
MODE=${2:-full}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/lib.sh"
# Python's OpenSSL must not look for its modules in the build directory
REF="env -u OPENSSL_MODULES $PY $TOP/tests/tools/ref.py"
test_tmpdir prov
[ -e "$B/vaccelprov.so" ] || { not_ok "$B/vaccelprov.so is built"; summary; exit 1; }
# The ASan+UBSan build (build-san): prov_test is built with the sanitizers,
# openssl(1) gets their run-times preloaded (leak checks off: the tool's
# own), and every report lands in $T/san, which must stay empty.
SANFLAGS=
OSSL_PRE=
if [ "${B##*-}" = san ]; then
	SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	OSSL_PRE="LD_PRELOAD=$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
	mkdir -p "$T/san"
	export ASAN_OPTIONS="detect_leaks=1:log_path=$T/san/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$T/san/ubsan"
fi
# openssl as this test runs it (the sanitizer run-times preloaded for -san)
openssl() {
	if [ -n "$OSSL_PRE" ]; then
		env "$OSSL_PRE" ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
			openssl "$@"
	else
		command openssl "$@"
	fi
}
# OSSL_TO S ARGS...: openssl under timeout S (a program, for env and timeout)
OSSL_TO="$T/ossl-timeout"
if [ -n "$OSSL_PRE" ]; then
	printf '#!/bin/sh\ns=$1\nshift\nexec timeout "$s" env "%s" ASAN_OPTIONS="%s" openssl "$@"\n' \
		"$OSSL_PRE" "${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" >"$OSSL_TO"
else
	printf '#!/bin/sh\ns=$1\nshift\nexec timeout "$s" openssl "$@"\n' >"$OSSL_TO"
fi
chmod +x "$OSSL_TO"
# prov_cnf FILE [--prefer] [LINE...]: an openssl.cnf that activates the
# default provider and vaccelprov ($B/vaccelprov.so) with LINEs in its
# section ("strict = yes", "device = ..."); --prefer makes vaccelprov the
# preferred one (default_properties = ?provider=vaccelprov)
prov_cnf() {
	_cnf=$1
	shift
	_prefer=
	if [ "${1:-}" = --prefer ]; then
		_prefer=1
		shift
	fi
	{
		echo "openssl_conf = openssl_init"
		echo "[openssl_init]"
		echo "providers = provider_sect"
		[ -z "$_prefer" ] || echo "alg_section = algorithm_sect"
		echo "[provider_sect]"
		echo "default = default_sect"
		echo "vaccelprov = vaccelprov_sect"
		echo "[default_sect]"
		echo "activate = 1"
		echo "[vaccelprov_sect]"
		echo "module = $B/vaccelprov.so"
		for _l in "$@"; do
			echo "$_l"
		done
		echo "activate = 1"
		if [ -n "$_prefer" ]; then
			echo "[algorithm_sect]"
			echo "default_properties = ?provider=vaccelprov"
		fi
	} >"$_cnf"
}
# shellcheck disable=SC2086 # SANFLAGS is words
host_prog "$TOP/tests/provider/prov_test.c" "$T/prov_test" $SANFLAGS -lcrypto -lpthread ||
	{ not_ok "prov_test builds"; summary; exit 1; }

# make install puts it where OpenSSL looks (openssl version -m)
MODDIR=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
if [ "$MODE" = full ]; then
	make -s -C "$TOP" O="$B" install DESTDIR="$T/inst" PREFIX=/usr >"$T/inst.log" 2>&1
	check "make install puts vaccelprov.so into \$DESTDIR$MODDIR" [ -x "$T/inst$MODDIR/vaccelprov.so" ]
	openssl list -provider-path "$T/inst$MODDIR" -provider vaccelprov -providers >"$T/list" 2>&1
	check "... where OpenSSL loads it by name" grep -q "vaccelprov" "$T/list"
	INSTDIR=$T/inst$MODDIR
fi

start_backend "$T" || { not_ok "backend starts"; summary; exit 1; }
ok "backend starts on $SOCK"
export OPENSSL_MODULES=$B VACCEL_DEVICE=$DEV
# the provider only, and every fetch asks for it: nothing can come from
# OpenSSL's default provider (which openssl(1) may load on its own)
VP="-provider-path $B -provider vaccelprov -provider default -propquery provider=vaccelprov"
_all_closed() { # [LOG]: default the back-end's
	[ "$(grep -c 'front-end connected' "${1:-$BACKEND_LOG}")" -eq \
	  "$(grep -c 'data requests served$' "${1:-$BACKEND_LOG}")" ]
}
served() { # the back-end's data requests so far, once every connection closed
	wait_until 30 _all_closed
	sed -n 's/.*, \([0-9]*\) data requests served$/\1/p' "$BACKEND_LOG" |
		awk '{ s += $1 } END { print s + 0 }'
}

# --- openssl list ---------------------------------------------------------
openssl list -provider-path "$B" -provider vaccelprov -cipher-algorithms >"$T/list" 2>&1
check "openssl list -cipher-algorithms shows AES-256-GCM @ vaccelprov" \
	grep -qiE 'aes-256-gcm.*@ vaccelprov' "$T/list"
openssl list -provider-path "$B" -provider vaccelprov -digest-algorithms >"$T/list" 2>&1
check "openssl list -digest-algorithms shows SHA2-256 @ vaccelprov" \
	grep -qE 'SHA2-256.*@ vaccelprov' "$T/list"
openssl list -provider-path "$B" -provider vaccelprov -mac-algorithms >"$T/list" 2>&1
check "openssl list -mac-algorithms shows HMAC @ vaccelprov" \
	grep -qE 'HMAC @ vaccelprov' "$T/list"

# --- openssl dgst -sha256 ---------------------------------------------------
SIZES="0 1 64 4096 1048576 1048577"
[ "$MODE" = full ] && SIZES="$SIZES 5000000"
for n in $SIZES; do
	$REF gen "$n" "$n" "$T/in.$n"
done
r0=$(served)
for n in $SIZES; do
	# shellcheck disable=SC2086 # $VP is words
	out=$(openssl dgst $VP -sha256 -r "$T/in.$n" 2>"$T/err" | cut -d' ' -f1)
	sw=$(openssl dgst -provider default -sha256 -r "$T/in.$n" | cut -d' ' -f1)
	check "openssl dgst -sha256 $n B: vaccelprov = default provider = sha256sum" \
		[ -n "$out" -a "$out" = "$sw" -a "$out" = "$(sha256sum <"$T/in.$n" | cut -d' ' -f1)" ]
done
r1=$(served)
check "the back-end served the digests ($((r1 - r0)) data requests)" [ "$r1" -gt "$r0" ]
# As a newcomer types it: no -propquery. openssl(1) has its default
# provider loaded already (a fallback, at its first fetch); vaccelprov,
# loaded, must still be the one that computes.
for dir in "$B" ${INSTDIR:+"$INSTDIR"}; do
	where=$([ "$dir" = "$B" ] && echo "the build" || echo "make install's")
	q0=$(served)
	out=$(openssl dgst -provider-path "$dir" -provider vaccelprov -sha256 -r "$T/in.4096" 2>"$T/err" | cut -d' ' -f1)
	q1=$(served)
	check "openssl dgst -provider vaccelprov -sha256 (no -propquery, $where vaccelprov.so): right" \
		[ "$out" = "$(sha256sum <"$T/in.4096" | cut -d' ' -f1)" ]
	check "... and computed by the back-end ($((q1 - q0)) data requests)" [ "$q1" -gt "$q0" ]
done
VACCEL_DEVICE=bogus openssl dgst -provider-path "$B" -provider vaccelprov -sha256 "$T/in.1" >"$T/o" 2>"$T/err"
check "... no -propquery and VACCEL_DEVICE=bogus: fails naming it, no digest (not the default provider's)" \
	sh -c "grep -q 'cannot open device bogus' '$T/err' && [ ! -s '$T/o' ]"
r1=$(served)

# --- openssl mac HMAC (digest SHA256), keys of any length -------------------
K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for n in $SIZES; do
	# shellcheck disable=SC2086
	out=$(openssl mac $VP -digest SHA256 -macopt hexkey:$K -in "$T/in.$n" HMAC 2>"$T/err" | tr A-F a-f)
	sw=$(openssl mac -provider default -digest SHA256 -macopt hexkey:$K -in "$T/in.$n" HMAC | tr A-F a-f)
	check "openssl mac HMAC-SHA256 $n B: vaccelprov = default provider = Python hmac" \
		[ -n "$out" -a "$out" = "$sw" -a "$out" = "$($REF hmac $K "$T/in.$n")" ]
done
for kl in 1 64 65 200; do
	k=$(head -c "$kl" "$T/in.1048577" | od -An -v -tx1 | tr -d ' \n')
	# shellcheck disable=SC2086
	out=$(openssl mac $VP -digest SHA256 -macopt hexkey:$k -in "$T/in.4096" HMAC 2>"$T/err" | tr A-F a-f)
	check "openssl mac HMAC with a $kl-byte key = Python hmac" \
		[ -n "$out" -a "$out" = "$($REF hmac "$k" "$T/in.4096")" ]
done
# another digest: the next provider's HMAC (TLS's HKDF and PRF need
# HMAC-SHA-384), or an error naming the provider when there is none
# shellcheck disable=SC2086
out=$(openssl mac $VP -digest SHA384 -macopt hexkey:$K -in "$T/in.4096" HMAC 2>"$T/err")
check "HMAC with SHA-384, default provider beside: passed on, = default's" \
	[ -n "$out" -a "$out" = "$(openssl mac -digest SHA384 -macopt hexkey:$K -in "$T/in.4096" HMAC)" ]
openssl mac -provider-path "$B" -provider vaccelprov -propquery provider=vaccelprov \
	-digest SHA384 -macopt hexkey:$K -in "$T/in.1" HMAC >"$T/o" 2>"$T/err"
check "HMAC with SHA-384, vaccelprov alone: refused with an error naming the provider" \
	sh -c "[ $? -ne 0 ] && grep -q 'vaccelprov.*SHA-256 only' '$T/err'"
# passing on is counted (provider parameter hmac-passed-on)
"$T/prov_test" passon >"$T/passon" 2>&1
rc=$?
sed 's/^/  /' "$T/passon"
count_results "$T/passon" $rc
# strict = yes in openssl.cnf: refused, naming the digest; SHA-256 still works
prov_cnf "$T/strict.cnf" "strict = yes"
OPENSSL_CONF=$T/strict.cnf openssl mac -propquery provider=vaccelprov -digest SHA384 \
	-macopt hexkey:$K -in "$T/in.1" HMAC >"$T/o" 2>"$T/err"
check "strict = yes: HMAC with SHA-384 refused (error naming SHA384 and strict), nothing printed" \
	sh -c "[ $? -ne 0 ] && grep -q 'vaccelprov: HMAC with SHA384.*strict = yes' '$T/err' && [ ! -s '$T/o' ]"
grep strict "$T/err" | head -1 | sed 's/^/  # /'
# prefer = no: loaded beside the default provider, vaccelprov is taken
# only when asked for (here its device is bogus, and nothing asks)
prov_cnf "$T/prefer.cnf" "prefer = no" "device = bogus"
out=$(env -u VACCEL_DEVICE OPENSSL_CONF="$T/prefer.cnf" $OSSL_TO 60 dgst -sha256 -r "$T/in.4096" 2>"$T/err" | cut -d' ' -f1)
check "prefer = no: openssl dgst -sha256 without -propquery is the default provider's" \
	[ "$out" = "$(sha256sum <"$T/in.4096" | cut -d' ' -f1)" ]
out=$(env -u VACCEL_DEVICE OPENSSL_CONF="$T/prefer.cnf" $OSSL_TO 60 dgst -propquery provider=vaccelprov -sha256 -r "$T/in.4096" 2>"$T/err")
check "... and with -propquery provider=vaccelprov it is vaccelprov's (bogus device: fails)" \
	sh -c "[ -z '$out' ] && grep -q 'cannot open device bogus' '$T/err'"
out=$(OPENSSL_CONF=$T/strict.cnf openssl mac -propquery provider=vaccelprov -digest SHA256 \
	-macopt hexkey:$K -in "$T/in.4096" HMAC 2>"$T/err" | tr A-F a-f)
check "strict = yes: HMAC with SHA-256 still right" [ "$out" = "$($REF hmac $K "$T/in.4096")" ]
r2=$(served)
check "the back-end served the MACs ($((r2 - r1)) data requests)" [ "$r2" -gt "$r1" ]

# --- AES-256-GCM through EVP against cryptography's AESGCM --------------------
IV=cafebabefacedbaddecaf888
AAD=feedfacedeadbeeffeedfacedeadbeefabaddad2
GSIZES="0 1 4096 1048579"
[ "$MODE" = full ] && GSIZES="$GSIZES 5000000"
[ -e "$T/in.1048579" ] || $REF gen 1048579 7 "$T/in.1048579"
[ -e "$T/in.5000000" ] || $REF gen 5000000 5 "$T/in.5000000"
for n in $GSIZES; do
	$REF gcm-enc $K $IV $AAD "$T/in.$n" "$T/ref.$n"
	for chunk in 5000000 1000003 65536 4099 1; do
		[ "$chunk" -eq 1 ] && [ "$n" -gt 4096 ] && continue
		"$T/prov_test" gcm-enc $K $IV $AAD "$T/in.$n" "$T/ct" "$chunk" 2>"$T/err"
		check "AES-256-GCM encrypt $n B in updates of $chunk: = cryptography's AESGCM" \
			cmp -s "$T/ct" "$T/ref.$n"
		"$T/prov_test" gcm-dec $K $IV $AAD "$T/ref.$n" "$T/pt" "$chunk" 2>"$T/err"
		check "AES-256-GCM decrypt $n B (cryptography's) in updates of $chunk" \
			cmp -s "$T/pt" "$T/in.$n"
	done
done
$REF gcm-enc $K $IV "" "$T/in.4096" "$T/ref.noaad"
"$T/prov_test" gcm-enc $K $IV "" "$T/in.4096" "$T/ct" 4096
check "AES-256-GCM without AAD = cryptography's" cmp -s "$T/ct" "$T/ref.noaad"
for what in tag data aad; do
	cp "$T/ref.4096" "$T/bad" || not_ok "reference ciphertext made"
	a=$AAD
	case $what in
	tag) printf '\x01' | dd of="$T/bad" bs=1 seek=4100 conv=notrunc 2>/dev/null ;;
	data) printf '\x01' | dd of="$T/bad" bs=1 seek=7 conv=notrunc 2>/dev/null ;;
	aad) a=${AAD%??}00 ;;
	esac
	rm -f "$T/pt"
	"$T/prov_test" gcm-dec $K $IV "$a" "$T/bad" "$T/pt" 1000 2>"$T/err"
	check "AES-256-GCM tampered $what: refused (exit 1), no plaintext" \
		[ $? -eq 1 -a ! -e "$T/pt" ]
done
cp "$T/ref.1048579" "$T/bad"
printf '\x01' | dd of="$T/bad" bs=1 seek=1048580 conv=notrunc 2>/dev/null
"$T/prov_test" gcm-dec $K $IV $AAD "$T/bad" "$T/pt" 300000 2>"$T/err"
check "AES-256-GCM tampered tag after 1 MiB streamed: refused" [ $? -eq 1 ]
"$T/prov_test" refuse >"$T/refuse" 2>&1
rc=$?
sed 's/^/  /' "$T/refuse"
count_results "$T/refuse" $rc
r3=$(served)
check "the back-end served AES-GCM ($((r3 - r2)) data requests)" [ "$r3" -gt "$r2" ]

# --- threads and fork ---------------------------------------------------------
timeout 300 "$T/prov_test" threads-fork 4 "$([ "$MODE" = full ] && echo 25 || echo 5)" >"$T/tf" 2>&1
rc=$?
sed 's/^/  /' "$T/tf"
count_results "$T/tf" $rc
r4=$(served)
check "the back-end served the threads and the child ($((r4 - r3)) data requests)" [ "$r4" -gt "$r3" ]

# --- TLS: unmodified s_server and s_client, the provider from OPENSSL_CONF --------
# A vhost-user back-end serves one front-end, so the server and the client
# have one back-end each; each side's openssl.cnf names its device.
cli_served() { # the same for the TLS client's back-end
	wait_until 30 _all_closed "$CLI_LOG"
	sed -n 's/.*, \([0-9]*\) data requests served$/\1/p' "$CLI_LOG" |
		awk '{ s += $1 } END { print s + 0 }'
}
# tls_run NAME ARGS...: fetch a file from s_server -WWW with s_client, both
# with their openssl.cnf only; 0 if it arrived intact
tls_run() {
	name=$1
	shift
	port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	(cd "$T/www" && env -u OPENSSL_MODULES -u VACCEL_DEVICE OPENSSL_CONF="$T/srv.cnf" \
		$OSSL_TO 120 s_server -accept "127.0.0.1:$port" -cert cert.pem \
		-key key.pem "$@" -naccept 1 -WWW >"$T/srv.$name" 2>&1) &
	spid=$!
	wait_line 20 "$T/srv.$name" ACCEPT
	printf 'GET /file HTTP/1.0\r\n\r\n' |
		env -u OPENSSL_MODULES -u VACCEL_DEVICE OPENSSL_CONF="$T/cli.cnf" \
		$OSSL_TO 120 s_client -connect "127.0.0.1:$port" "$@" \
		-quiet -ign_eof >"$T/got.$name" 2>"$T/cli.$name"
	wait $spid
	grep -q "^HTTP/1.0 200" "$T/got.$name" &&
		tail -c "$TSIZE" "$T/got.$name" | cmp -s - "$T/www/file" &&
		[ "$(stat -c %s "$T/got.$name")" -lt $((TSIZE + 100)) ]
}
SRV_DEV=$DEV
SRV_SOCK=$SOCK
SRV_LOG=$BACKEND_LOG
SRV_PID=$BACKEND_PID
BACKEND_PID=
mkdir -p "$T/cli" "$T/www"
if start_backend "$T/cli"; then
	CLI_PID=$BACKEND_PID
	CLI_LOG=$BACKEND_LOG
	at_exit "kill -TERM $CLI_PID 2>/dev/null"
	prov_cnf "$T/cli.cnf" --prefer "device = $DEV"
	prov_cnf "$T/srv.cnf" --prefer "device = $SRV_DEV"
	BACKEND_PID=$SRV_PID
	BACKEND_LOG=$SRV_LOG
	DEV=$SRV_DEV
	SOCK=$SRV_SOCK
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/www/key.pem" \
		-out "$T/www/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1
	TSIZE=$([ "$MODE" = full ] && echo 6000000 || echo 1048579)
	$REF gen "$TSIZE" 9 "$T/www/file"
	rec=$((TSIZE / 16384))	# records of 16 KiB: one request or more each
	s0=$(served)
	c0=$(cli_served)
	check "TLS 1.3 TLS_AES_256_GCM_SHA384: $TSIZE B intact through s_server -WWW / s_client" \
		tls_run 13 -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384
	s1=$(served)
	c1=$(cli_served)
	check "... the server's back-end served >= 1 request per record ($((s1 - s0)) for $rec records)" \
		[ $((s1 - s0)) -ge $rec ]
	check "... the client's back-end served >= 1 request per record ($((c1 - c0)))" \
		[ $((c1 - c0)) -ge $rec ]
	check "TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384: $TSIZE B intact through s_server -WWW / s_client" \
		tls_run 12 -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
	s2=$(served)
	c2=$(cli_served)
	check "... the server's back-end served >= 1 request per record ($((s2 - s1)))" \
		[ $((s2 - s1)) -ge $rec ]
	check "... the client's back-end served >= 1 request per record ($((c2 - c1)))" \
		[ $((c2 - c1)) -ge $rec ]
	# why HMAC with another digest is passed on: with strict = yes the
	# TLS 1.2 PRF (HMAC-SHA-384, asked of vaccelprov because of
	# default_properties) is refused and the handshake fails
	cp "$T/srv.cnf" "$T/srv.cnf.0"
	cp "$T/cli.cnf" "$T/cli.cnf.0"
	sed -i 's/^activate = 1$/&\nstrict = yes/' "$T/srv.cnf" "$T/cli.cnf"
	! tls_run 12s -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
	check "strict = yes on both sides: TLS 1.2 with a SHA-384 suite fails (PRF's HMAC-SHA-384 refused)" \
		sh -c "[ $? -eq 0 ] && grep -q 'HMAC with SHA2-384.*strict = yes' '$T/cli.12s' '$T/srv.12s'"
	mv "$T/srv.cnf.0" "$T/srv.cnf"
	mv "$T/cli.cnf.0" "$T/cli.cnf"
	kill -TERM "$CLI_PID" 2>/dev/null
	wait "$CLI_PID" 2>/dev/null
else
	not_ok "a second back-end starts (for the TLS client)"
	BACKEND_PID=$SRV_PID
	BACKEND_LOG=$SRV_LOG
	DEV=$SRV_DEV
	SOCK=$SRV_SOCK
fi

# --- the back-end gone: a clear error, no hang -------------------------------
# killed under a program in the middle of its requests
OPENSSL_MODULES=$B VACCEL_DEVICE=$DEV "$T/prov_test" speed 4096 60 "provider=vaccelprov" \
	>"$T/speed" 2>"$T/speed.err" &
spid=$!
sleep 2
kill -KILL "$BACKEND_PID"
wait "$BACKEND_PID" 2>/dev/null
BACKEND_PID=
t0=$(now_ms)
wait_until 20 eval "! kill -0 $spid 2>/dev/null"
t1=$(now_ms)
if kill -0 "$spid" 2>/dev/null; then
	not_ok "back-end killed mid-run: the program is still waiting after 20 s"
	kill -KILL "$spid"
else
	wait "$spid"
	rc=$?
	check "back-end killed mid-run: the program fails (rc $rc) $((t1 - t0)) ms later" [ $rc -ne 0 ]
	check "... with an error naming the device" grep -q "on device $DEV" "$T/speed.err"
	grep "vaccelprov" "$T/speed.err" | head -2 | sed 's/^/  # /'
fi
t0=$(now_ms)
# shellcheck disable=SC2086
$OSSL_TO 60 dgst $VP -sha256 "$T/in.4096" >"$T/o" 2>"$T/err"
rc=$?
t1=$(now_ms)
check "back-end stopped: openssl dgst fails (rc $rc, $((t1 - t0)) ms, no hang)" \
	[ $rc -ne 0 -a $rc -ne 124 ]
check "... with an error naming the device" grep -q "cannot open device vhost-user:$SOCK" "$T/err"
sed 's/^/  # /' "$T/err" | head -3
check "... and no digest printed (no software fallback)" [ ! -s "$T/o" ]
timeout 60 "$T/prov_test" gcm-enc $K $IV $AAD "$T/in.4096" "$T/ct2" 4096 2>"$T/err"
rc=$?
check "back-end stopped: AES-GCM fails (rc $rc) naming the device, no output" \
	sh -c "[ $rc -eq 2 ] && grep -q 'cannot open device' '$T/err' && [ ! -e '$T/ct2' ]"
VACCEL_DEVICE=bogus $OSSL_TO 60 dgst -provider-path "$B" -provider vaccelprov \
	-provider default -propquery provider=vaccelprov -sha256 "$T/in.1" >"$T/o" 2>"$T/err"
check "VACCEL_DEVICE=bogus: the error names it" grep -q "cannot open device bogus" "$T/err"

# --- the device from openssl.cnf --------------------------------------------------
rm -f "$SOCK"	# the killed back-end's: start_backend waits for a new one
start_backend "$T" || { not_ok "backend restarts"; summary; exit 1; }
prov_cnf "$T/openssl.cnf" --prefer "device = $DEV"
r5=$(served)
out=$(env -u VACCEL_DEVICE OPENSSL_CONF="$T/openssl.cnf" $OSSL_TO 60 dgst -sha256 -r "$T/in.1048577" 2>"$T/err" | cut -d' ' -f1)
check "OPENSSL_CONF only (device = in openssl.cnf): openssl dgst -sha256 right" \
	[ "$out" = "$(sha256sum <"$T/in.1048577" | cut -d' ' -f1)" ]
r6=$(served)
check "... and computed by the back-end ($((r6 - r5)) data requests)" [ "$r6" -gt "$r5" ]
# README's openssl.cnf as written there (module by name: OPENSSL_MODULES);
# only its device string is this back-end's
sed -n '/^<!-- openssl.cnf begin -->$/,/^<!-- openssl.cnf end -->$/p' "$TOP/README.md" |
	sed '/^<!--/d;/^```/d' | sed "s|^device = .*|device = $DEV|" >"$T/readme.cnf"
r5=$(served)
out=$(env -u VACCEL_DEVICE OPENSSL_CONF="$T/readme.cnf" $OSSL_TO 60 dgst -sha256 -r "$T/in.4096" 2>"$T/err" | cut -d' ' -f1)
r6=$(served)
check "README's openssl.cnf ($(grep -c . "$T/readme.cnf") lines): openssl dgst -sha256 right, by the back-end ($((r6 - r5)) requests)" \
	[ "$out" = "$(sha256sum <"$T/in.4096" | cut -d' ' -f1)" -a "$r6" -gt "$r5" ]
stop_backend
if san_report "$BACKEND_LOG"; then not_ok "backend log free of sanitizer reports"
else ok "backend log free of sanitizer reports"; fi
if [ -n "$SANFLAGS" ]; then
	if [ -n "$(ls -A "$T/san")" ]; then
		not_ok "no sanitizer report from the provider, prov_test or the back-end"
		head -60 "$T"/san/*
	else
		ok "no sanitizer report from the provider, prov_test or the back-end"
	fi
fi
summary
