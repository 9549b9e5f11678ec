#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload: an unchanged AF_ALG consumer, Debian's kcapi-tools, on
# virtio_accel.ko's crypto API algorithms (issue 11). Started by
# tests/vm/host/t-kcapi-run.sh with virtio_accel.ko loaded with
# crypto_priority=$(cat /payload/prio) (and on path 3 vdpa_accel.ko),
# kcapi-dgst, kcapi-enc and vaccel on PATH, and in /payload: the data files
# k.SIZE, HMAC keys key.N, PBKDF2 passwords pw.N, salt and refs.txt (made
# on the host in Python: "sha|crc|hmac|pbkdf SIZE KEYFILE|- DIGEST").
#
# For every kcapi-dgst run the payload reads which way the work went: the
# device (the devices' `completed` and crypto_offloaded rose, no
# fallback counter moved), software for a partial state
# (crypto_fallback_partial) or software for a whole message
# (crypto_fallback_whole). "# way:" lines list them. libkcapi always
# hashes with init + update + final, and a partial state is the
# driver's to keep in software (the crypto API may ask for it with
# export() at any time, and the device cannot export a stream's state):
# so the check is that no run up to the device's max_data_len went to
# software as a whole message, and that each was counted one way or the
# other (larger ones may go either way).
#
# /payload/mode: vdpa (data path 3: the device is made here) or pci (data
# path 1: already bound). One "ok N - ..." line per check, then
# "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
MODE=$(cat /payload/mode 2>/dev/null || echo vdpa)
PRIO=$(cat /payload/prio)
C=/sys/class/vaccel
P=/payload
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

# ---- counters: which way did a run go ------------------------------------
cnt() { cat "$C/crypto_$1"; }
completed() {
	cat "$C"/vaccel*/completed 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
snap() { echo "$(completed) $(cnt offloaded) $(cnt fallback_partial) $(cnt fallback_whole)"; }

# way BEFORE AFTER: "device", "software-partial", "software-whole", a mix
# ("device+software-partial" ...) or "none" (not ours at all)
way() {
	# shellcheck disable=SC2086 # two snapshots of four words
	set -- $1 $2
	w=
	if [ "$5" -gt "$1" ] && [ "$6" -gt "$2" ]; then w=device; fi
	[ "$7" -eq "$3" ] || w=${w:+$w+}software-partial
	[ "$8" -eq "$4" ] || w=${w:+$w+}software-whole
	echo "${w:-none}"
}

# WAYS: "NAME SIZE WAY" per run, printed at the end
WAYS=/tmp/ways
: >"$WAYS"

# ---- kcapi-dgst against the references -------------------------------------
# dgst NAME SIZE KEYFILE|-: kcapi-dgst's hex digest of k.SIZE (a key file is
# handed over on fd 3 with --keyfd; pw.N is a PBKDF2 password)
dgst() {
	case $3 in
	-) kcapi-dgst -c "$1" --hex -i "$P/k.$2" ;;
	key.*) kcapi-dgst -c "$1" --keyfd 3 --hex -i "$P/k.$2" 3<"$P/$3" ;;
	pw.*) kcapi-dgst -c "$1" --passwd "$(cat "$P/$3")" \
		--salt "$(cat "$P/salt")" --pbkdfiter 1 --pbkdfmac "$PBKDF_MAC" \
		--hex -i "$P/k.$2" ;;
	esac
}

# refs_ok KIND NAME SIZE: every reference of KIND (sha, crc, hmac, pbkdf)
# for SIZE equals kcapi-dgst's; the way of each run goes into $WAYS
refs_ok() {
	kind=$1
	nm=$2
	sz=$3
	n=0
	bad=0
	while read -r r s key want; do
		if [ "$r" != "$kind" ] || [ "$s" != "$sz" ]; then
			continue
		fi
		b=$(snap)
		got=$(dgst "$nm" "$sz" "$key" 2>/tmp/dgst.err | tr -d ' \n')
		echo "$nm $sz $(way "$b" "$(snap)") $key" >>"$WAYS"
		if [ "$got" != "$want" ]; then
			echo "$nm $sz $key: got '$got', want $want"
			cat /tmp/dgst.err
			bad=$((bad + 1))
		fi
		n=$((n + 1))
	done <"$P/refs.txt"
	[ "$n" -gt 0 ] || { echo "no $kind reference for $sz"; return 1; }
	[ "$bad" -eq 0 ]
}

# by_device NAME SIZE: every run of NAME on SIZE went to the device
by_device() {
	awk -v n="$1" -v s="$2" '$1 == n && $2 == s {
			k++
			if ($3 != "device" && $3 != "software-partial") { bad++; print }
		}
		END { if (!k) print "no run of " n " on " s; exit !k || bad }' "$WAYS"
}

SIZES=$(awk '{ print $2 }' "$P/refs.txt" | sort -un)

if [ "$MODE" = vdpa ]; then
	vdpa_autoprobe 0
	t "path 3: vdpa dev add accel0, bound to virtio_vdpa" vdpa_add accel0 virtio_vdpa
fi
t "/dev/vaccel0 present" wait_for 10 /dev/vaccel0
t "crypto self-tests of virtio_accel finished" crypto_settled 60
t "libkcapi.so.1 shipped with kcapi-dgst, and it runs" sh -c \
	'ls -l /lib/x86_64-linux-gnu/libkcapi.so.1* && kcapi-dgst --version'
MAXLEN=$(vaccel info /dev/vaccel0 | sed -n 's/^limits: *\([0-9]*\) bytes per request.*/\1/p')
echo "# device max_data_len: ${MAXLEN:-?}"
t "max_data_len read from the device" sh -c "[ -n '$MAXLEN' ]"

# prio_of DRIVER: its /proc/crypto priority
prio_of() {
	awk -v d="$1" '$1 == "driver" { cur = $3 }
		$1 == "priority" && cur == d { print $3; exit }' /proc/crypto
}
# best NAME: the driver of NAME with the highest priority (no larvals)
best() {
	awk -v n="$1" '
		$1 == "name" { nm = substr($0, index($0, ":") + 2); drv = ""; pr = -1; ty = "" }
		$1 == "driver" { drv = $3 }
		$1 == "priority" { pr = $3 }
		$1 == "type" { ty = $3 }
		/^$/ { if (nm == n && ty != "larval" && pr > bp) { bp = pr; bd = drv } }
		END { if (nm == n && ty != "larval" && pr > bp) bd = drv; print bd }' /proc/crypto
}
for d in sha256 hmac-sha256 crc32c; do
	t "$d-virtio-accel registered at crypto_priority $PRIO" sh -c \
		"[ \"\$(awk -v d=$d-virtio-accel '\$1 == \"driver\" { c = \$3 }
			\$1 == \"priority\" && c == d { print \$3; exit }' /proc/crypto)\" = $PRIO ]"
done

# ---- the driver names -------------------------------------------------------
PBKDF_MAC=hmac-sha256-virtio-accel
for sz in $SIZES; do
	t "kcapi-dgst -c sha256-virtio-accel, $sz bytes: equals Python's hashlib" \
		refs_ok sha sha256-virtio-accel "$sz"
	t "kcapi-dgst -c hmac-sha256-virtio-accel, $sz bytes, keys of 0/20/32 bytes (--keyfd): equal Python's hmac" \
		refs_ok hmac hmac-sha256-virtio-accel "$sz"
	t "kcapi-dgst -c crc32c-virtio-accel, $sz bytes: equals the reference CRC-32C" \
		refs_ok crc crc32c-virtio-accel "$sz"
done
# keys longer than kcapi-dgst's 32-byte key buffer: its PBKDF2 step keys
# the HMAC with the password (20, 64, 100, 200 bytes: the last two longer
# than a block, hashed first as RFC 2104 says), through our driver too
for sz in 0 64 4096 1048576; do
	t "kcapi-dgst --pbkdfmac hmac-sha256-virtio-accel, HMAC keys (passwords) of 20/64/100/200 bytes, then $sz bytes: equal Python's pbkdf2_hmac + hmac" \
		refs_ok pbkdf hmac-sha256-virtio-accel "$sz"
done
# stdin: kcapi-dgst's other input path (fread, 4096-byte sends with MSG_MORE)
stdin_ok() {
	want=$(awk -v s="$1" '$1 == "sha" && $2 == s { print $4 }' "$P/refs.txt")
	# shellcheck disable=SC2002 # a pipe, not a file, on stdin
	got=$(cat "$P/k.$1" | kcapi-dgst -c sha256-virtio-accel --hex | tr -d ' \n')
	[ "$got" = "$want" ] || { echo "got '$got', want $want"; return 1; }
}
t "kcapi-dgst -c sha256-virtio-accel reading a pipe, 1 MiB + 1 bytes: equals hashlib" \
	stdin_ok 1048577

# ---- the generic names resolve to ours (priority raised) ---------------------
# best_is_ours NAME: the highest priority driver of NAME is one of ours
best_is_ours() {
	b=$(best "$1")
	echo "best: ${b:-none}"
	case $b in *-virtio-accel) ;; *) return 1 ;; esac
}
t "'sha256': the highest priority in /proc/crypto is ours" best_is_ours sha256
# ours: one of our counters moves (whichever way the work then went)
ours() {
	b=$(snap)
	"$@" || return 1
	w=$(way "$b" "$(snap)")
	echo "way: $w"
	[ "$w" != none ]
}
PBKDF_MAC="hmac(sha256)"
for sz in 4096 1048577; do
	t "kcapi-dgst -c sha256, $sz bytes: ours, equals hashlib" \
		ours refs_ok sha sha256 "$sz"
	t "kcapi-dgst -c 'hmac(sha256)', $sz bytes, keys of 0/20/32 bytes: ours, equal hmac" \
		ours refs_ok hmac "hmac(sha256)" "$sz"
done
t "kcapi-dgst --pbkdfmac 'hmac(sha256)', passwords of 20..200 bytes: ours, equal" \
	ours refs_ok pbkdf "hmac(sha256)" 4096
t "'hmac(sha256)': the highest priority in /proc/crypto is ours" \
	best_is_ours "hmac(sha256)"

# ---- did the device do the work? --------------------------------------------
# by_device_upto NAME MAX: every run of NAME on a size <= MAX went to the
# device, or was counted as a partial state (update + final) in software;
# none as a whole message in software (larger sizes may go either way)
by_device_upto() {
	awk -v n="$1" -v m="$2" '$1 == n && $2 <= m {
			k++
			if ($3 != "device" && $3 != "software-partial") { bad++; print }
		}
		END { if (!k) print "no run of " n; exit !k || bad }' "$WAYS"
}
for nm in sha256-virtio-accel hmac-sha256-virtio-accel crc32c-virtio-accel; do
	t "kcapi-dgst -c $nm, every size <= max_data_len ($MAXLEN): device or counted partial state, never whole-message software" \
		by_device_upto "$nm" "${MAXLEN:-0}"
done
for nm in sha256 "hmac(sha256)"; do
	t "kcapi-dgst -c '$nm', 4096 bytes: device or counted partial state" \
		by_device "$nm" 4096
done
echo "# way: NAME SIZE WAY KEY (device: the devices' completed rose; software-*: crypto_fallback_*)"
awk '{ k = $1 " " $2 " " $3; if (!(k in seen)) { seen[k] = 1; o[++n] = k } c[k]++ }
	END { for (i = 1; i <= n; i++) print "# way: " o[i] " x" c[o[i]] }' "$WAYS"

# ---- bad input through the consumer -----------------------------------------
# fails NAME CMD...: CMD fails (non-zero, nothing on stdout) within 20 s
fails() {
	out=$(timeout 20 "$@" 2>/tmp/fails.err)
	rc=$?
	echo "exit $rc, stdout '$out'"
	head -3 /tmp/fails.err
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 143 ] && [ -z "$out" ]
}
printf 'abc' >/tmp/key.3
t "a driver name nobody has (nosuch-sha256-virtio-accel): fails cleanly" \
	fails kcapi-dgst -c nosuch-sha256-virtio-accel --hex -i "$P/k.64"
t "not a hash (cbc(aes)) through kcapi-dgst: fails cleanly" \
	fails kcapi-dgst -c "cbc(aes)" --hex -i "$P/k.64"
t "hmac-sha256-virtio-accel without a key: fails cleanly (ENOKEY)" \
	fails kcapi-dgst -c hmac-sha256-virtio-accel --hex -i "$P/k.64"
t "a key for sha256-virtio-accel (no setkey): fails cleanly" \
	sh -c "kcapi-dgst -c sha256-virtio-accel --keyfd 3 --hex -i $P/k.64 3<$P/key.20 >/tmp/o 2>&1;
		rc=\$?; cat /tmp/o; [ \$rc -ne 0 ]"
t "a 3-byte crc32c seed (needs 4): fails cleanly" \
	sh -c "kcapi-dgst -c crc32c-virtio-accel --keyfd 3 --hex -i $P/k.64 3</tmp/key.3 >/tmp/o 2>&1;
		rc=\$?; cat /tmp/o; [ \$rc -ne 0 ]"
t "an input file that is gone: fails cleanly" \
	fails kcapi-dgst -c sha256-virtio-accel --hex -i /tmp/gone
# a file truncated under kcapi-dgst's mmap while it hashes: it gets
# SIGBUS or an error, never a wrong digest, and the kernel stays clean
vanish() {
	cp "$P/k.4194309" /tmp/vanish
	kcapi-dgst -c sha256-virtio-accel --hex -i /tmp/vanish >/tmp/v.out 2>&1 &
	pid=$!
	: >/tmp/vanish
	rm -f /tmp/vanish
	wait "$pid"
	rc=$?
	full=$(awk '$1 == "sha" && $2 == 4194309 { print $4 }' "$P/refs.txt")
	empty=$(awk '$1 == "sha" && $2 == 0 { print $4 }' "$P/refs.txt")
	echo "exit $rc: $(head -c 200 /tmp/v.out)"
	# a digest it prints is of the whole file or of the truncated one
	# (opened after the truncation), never of something in between
	! grep -qE '^[0-9a-f]{64}$' /tmp/v.out ||
		grep -qE "^($full|$empty)\$" /tmp/v.out
}
t "the input file truncated and removed while kcapi-dgst hashes it" vanish
killed() {
	kcapi-dgst -c sha256-virtio-accel --hex -i "$P/k.4194309" >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	kill -9 "$pid"
	wait "$pid"
	wait_val 20 "$C/crypto_tfms" 0
}
t "kcapi-dgst SIGKILLed mid-digest: its tfm goes (crypto_tfms back to 0)" killed
t "... and the next digest is right" refs_ok sha sha256-virtio-accel 65536

# ---- AEAD: kcapi-enc with AES-GCM --------------------------------------------
# >>> AEAD cases (gcm-aes-virtio-accel, issue 11's gcm(aes) part): kcapi-enc
# encrypts gin.SIZE with AES-256 and AES-128 keys (the device has AES-256
# only: 128 is the driver's software fallback), tags of 16/12/8/4 bytes,
# against gout.SIZE.BITS.TAGLEN (AAD || ciphertext || tag, made on the host
# with python3-cryptography), decrypts it back, and a flipped tag bit must
# fail (EBADMSG; whether the output file then holds the plaintext is printed,
# not judged: the kernel's own gcm(aes) leaves it there). Run for our driver name once it is registered,
# and for "gcm(aes)", which must then resolve to ours (crypto_priority).
IV=$(cat "$P/gcm-iv")
AAD=$(cat "$P/gcm-aad")
hexof() { od -An -v -tx1 | tr -d ' \n'; }

# gcm_enc NAME SIZE BITS TAGLEN: kcapi-enc's output equals the reference
gcm_enc() {
	rm -f /tmp/gout
	kcapi-enc -c "$1" -e --iv "$IV" --aad "$AAD" --taglen "$4" --keyfd 3 \
		-i "$P/gin.$2" -o /tmp/gout 3<"$P/gkey.$3" || return 1
	cmp /tmp/gout "$P/gout.$2.$3.$4"
}

# gcm_dec NAME SIZE BITS TAGLEN [bad]: decrypting the reference's
# ciphertext with its tag gives AAD || plaintext; with "bad" (a flipped
# tag bit) kcapi-enc fails and writes no plaintext
gcm_dec() {
	ref=$P/gout.$2.$3.$4
	tail -c +17 "$ref" | head -c "$2" >/tmp/gct
	tag=$(tail -c "$4" "$ref" | hexof)
	if [ "${5:-}" = bad ]; then
		# the good tag first: the bad one must fail where it passes
		gcm_dec "$1" "$2" "$3" "$4" || return 1
		b=$(printf '%s' "$tag" | cut -c1-2)
		tag=$(printf '%02x' $((0x$b ^ 1)))$(printf '%s' "$tag" | cut -c3-)
	fi
	rm -f /tmp/gpt
	kcapi-enc -c "$1" -d --iv "$IV" --aad "$AAD" --tag "$tag" --keyfd 3 \
		-i /tmp/gct -o /tmp/gpt 3<"$P/gkey.$3" 2>/tmp/gdec.err
	rc=$?
	if [ "${5:-}" = bad ]; then
		cat /tmp/gdec.err
		[ "$rc" -ne 0 ] || { echo "a bad tag was accepted"; return 1; }
		grep -q 'integrity violation' /tmp/gdec.err || return 1
		# not judged here: the kernel's own gcm(aes) decrypts into the
		# output before it checks the tag, and AF_ALG leaves that there
		if [ -s /tmp/gpt ] && tail -c "$2" /tmp/gpt | cmp -s - "$P/gin.$2"; then
			echo "note: the output file holds the plaintext"
		fi
		return 0
	fi
	[ "$rc" -eq 0 ] || { cat /tmp/gdec.err; return 1; }
	{ head -c 16 "$ref"; cat "$P/gin.$2"; } | cmp /tmp/gpt -
}

# gcm_tags enc|dec NAME SIZE BITS: gcm_enc or gcm_dec with every tag size
gcm_tags() {
	for tl in 16 12 8 4; do
		"gcm_$1" "$2" "$3" "$4" "$tl" || { echo "tag of $tl bytes"; return 1; }
	done
}

aead_cases() { # aead_cases NAME
	for f in "$P"/gin.*; do
		sz=${f##*.}
		for bits in 256 128; do
			t "kcapi-enc -c $1, $sz bytes, AES-$bits, tags of 16/12/8/4 bytes: equal python3-cryptography" \
				gcm_tags enc "$1" "$sz" "$bits"
			t "kcapi-enc -d -c $1, $sz bytes, AES-$bits, tags of 16/12/8/4 bytes: plaintext back" \
				gcm_tags dec "$1" "$sz" "$bits"
		done
		VT_SHOW_OK=3
		t "kcapi-enc -d -c $1, $sz bytes, a flipped tag bit: fails (integrity violation)" \
			gcm_dec "$1" "$sz" 256 16 bad
		VT_SHOW_OK=0
	done
}
if grep -q '^driver *: gcm-aes-virtio-accel$' /proc/crypto; then
	aead_cases gcm-aes-virtio-accel
	t "'gcm(aes)': the highest priority in /proc/crypto is ours" \
		best_is_ours "gcm(aes)"
	aead_cases "gcm(aes)"
else
	skip "kcapi-enc AES-GCM: gcm-aes-virtio-accel not registered (yet)"
fi
# <<< AEAD cases

dmesg >/tmp/dmesg.txt
t "guest kernel log: no WARN/BUG/Oops" no_splat /tmp/dmesg.txt
finish
