#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Hardware readiness of the DPDK back-end without the hardware (issue 14):
#   - EAL arguments after "--" reach rte_eal_init(): an EAL log level, a
#     --vdev whose driver --crypto-pmd/--compress-pmd then pick; --no-pci
#     and -m stay defaults unless a device (-a) or -m is given; a bad EAL
#     argument ends the back-end at once with exit status 2 and says so;
#   - guest memory registration (vhost-user-backend/src/dma.c) under
#     --test-dma-register (rte_extmem_register() without a PCI device):
#     one registration per memory table, the old one unregistered before a
#     new SET_MEM_TABLE and when the device stops, DPDK's external segment
#     lists back to 0 after each of 50 front-ends (tests/hw/dma_memtable.c);
#     without it and without a PCI engine, nothing registered (said once);
#     the hostile memory tables of tests/robust/hostile_vu.c still refused
#     with it on, and every registration undone;
#   - under --test-dma-register, every pointer of every cryptodev and
#     compressdev op (mbuf data, digest, tag, AAD, IV) lies in DPDK memory or
#     registered guest memory, with its IOVA (pipeline and synchronous paths,
#     AEAD decryption with AAD among them).
#
#   tests/hw/t-eal-dma.sh [BUILD] [CYCLES]      (build, 50; ~30 s)
#
# Ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# shellcheck source=tests/lib/lib.sh
. tests/lib/lib.sh
B=$TOP/${1:-build}
CYCLES=${2:-50}
BIN=$B/vhost-user-accel
[ -x "$BIN" ] || skip_all "$BIN missing: run make"
san_env
test_tmpdir eal-dma
printf abc >"$T/abc"
ABC=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad

served() { # served: the vaccel CLI hashes "abc" through $SOCK
	timeout 20 "$TOP/build/vaccel" hash "vhost-user:$SOCK" --alg sha256 \
		"$T/abc" 2>&1 | grep -q "^$ABC"
}
eal_line() { sed -n 's/^vhost-user-accel: EAL arguments: //p' "$BACKEND_LOG"; }
has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

# ---- EAL arguments ----------------------------------------------------------
mkdir -p "$T/a"
if start_backend "$T/a" -- --log-level=lib.eal:debug; then
	check "EAL args: --log-level=lib.eal:debug after -- reaches the EAL (its debug lines logged)" \
		grep -q '^EAL: Detected lcore' "$BACKEND_LOG"
	check "EAL args: the back-end serves with EAL args given" served
	l=$(eal_line)
	echo "# EAL arguments: $l"
	if has_word "$l" --no-pci && has_word "$l" --no-huge; then
		ok "EAL args: --no-pci and --no-huge stay the defaults when no device is named"
	else
		not_ok "EAL args: --no-pci and --no-huge stay the defaults (got: $l)"
	fi
	check "EAL args: no PCI engine, nothing registered for DMA (said once)" \
		[ "$(grep -c 'dma: no PCI engine in use: guest memory is not registered' "$BACKEND_LOG")" = 1 ] &&
		! grep -q 'dma: vid .* registered' "$BACKEND_LOG"
	check "EAL args: exit status 0 after SIGTERM" stop_backend
	san_report "$BACKEND_LOG" && not_ok "EAL args: sanitizer report"
else
	not_ok "EAL args: the back-end does not start with '-- --log-level=lib.eal:debug'"
fi

mkdir -p "$T/b"
if start_backend "$T/b" -- -a 0000:ff:1f.7 -m 160 --vdev crypto_openssl0 \
	--vdev compress_zlib0; then
	l=$(eal_line)
	echo "# EAL arguments: $l"
	if ! has_word "$l" --no-pci && ! has_word "$l" 104 && has_word "$l" 160; then
		ok "EAL args: -a BDF drops the --no-pci default, -m replaces the back-end's"
	else
		not_ok "EAL args: -a BDF drops --no-pci, -m replaces the default (got: $l)"
	fi
	check "EAL args: --crypto-pmd crypto_openssl picks the EAL's --vdev crypto_openssl0 (first device of that driver)" \
		grep -q -- '--crypto-pmd crypto_openssl: cryptodev [0-9]* (crypto_openssl0 on the vdev bus)' \
		"$BACKEND_LOG"
	check "EAL args: --compress-pmd compress_zlib picks the EAL's --vdev compress_zlib0" \
		grep -q -- '--compress-pmd compress_zlib: compressdev [0-9]* (compress_zlib0)' \
		"$BACKEND_LOG"
	check "EAL args: served through the EAL's devices" served
	check "EAL args: exit status 0 after SIGTERM (the EAL's devices closed)" \
		stop_backend
	san_report "$BACKEND_LOG" && not_ok "EAL args: sanitizer report"
else
	not_ok "EAL args: the back-end does not start with -a, -m and --vdev after --"
fi

# a bad EAL argument: exit 2 at once, a clear error, no socket
for bad in --no-such-eal-option "-l" "--iova-mode=xx" "--vdev=no_such_pmd0"; do
	s=$(now_ms)
	timeout 60 "$BIN" --socket-path "$T/bad.sock" -- $bad \
		>"$T/bad.out" 2>"$T/bad.err" </dev/null
	rc=$?
	ms=$(( $(now_ms) - s ))
	if [ $rc -eq 2 ] && grep -q 'the EAL rejected its arguments' "$T/bad.err" &&
	   grep -q -- "$bad" "$T/bad.err" && [ ! -e "$T/bad.sock" ]; then
		ok "EAL args: '-- $bad': exit 2, 'the EAL rejected its arguments' ($ms ms)"
	else
		not_ok "EAL args: '-- $bad': exit $rc after $ms ms (want 2 and the EAL's refusal)"
		sed 's/^/  # /' "$T/bad.err" | tail -5
	fi
done

# ---- DMA registration --------------------------------------------------------
PROG=$T/dma-memtable
if ! gcc -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-Wmissing-prototypes -o "$PROG" tests/hw/dma_memtable.c; then
	not_ok "dma: tests/hw/dma_memtable.c does not build"
else
	LOG=$T/memtable.log
	timeout 600 "$PROG" "$BIN" "$LOG" "$CYCLES" >"$T/memtable.out" 2>&1
	rc=$?
	grep -E '^(ok|not ok)' "$T/memtable.out" | head -5
	check "dma: $CYCLES front-ends, each memory table replaced under the running device, served (exit $rc)" \
		[ $rc -eq 0 ]
	reg=$(grep -c 'dma: vid [0-9]*: 1 memory regions ([0-9]* KiB) registered (1 external memory segment lists' "$LOG")
	r1=$(grep -c 'dma: vid [0-9]*: 1 memory regions (1024 KiB) registered' "$LOG")
	r2=$(grep -c 'dma: vid [0-9]*: 1 memory regions (2048 KiB) registered' "$LOG")
	um=$(grep -c 'unregistered (SET_MEM_TABLE) (0 external memory segment lists' "$LOG")
	ud=$(grep -c 'unregistered (device stopped) (0 external memory segment lists' "$LOG")
	ua=$(grep -c 'memory regions unregistered' "$LOG")
	echo "# registered $reg (1 MiB $r1, 2 MiB $r2), unregistered $ua (at SET_MEM_TABLE $um, device stopped $ud)"
	check "dma: each table registered once (1 MiB x $CYCLES, 2 MiB x $CYCLES), one external segment list at a time" \
		eval "[ \"$reg\" -eq $((2 * CYCLES)) ] && [ \"$r1\" -eq \"$CYCLES\" ] && [ \"$r2\" -eq \"$CYCLES\" ]"
	check "dma: the old table unregistered before each new SET_MEM_TABLE ($CYCLES) and at each stop ($CYCLES), DPDK's external lists back to 0" \
		eval "[ \"$um\" -eq \"$CYCLES\" ] && [ \"$ud\" -eq \"$CYCLES\" ] && [ \"$ua\" -eq \"$reg\" ]"
	check "dma: no registration error, no sanitizer report" \
		eval "! grep -qE 'dma: (region [0-9]+ .*: rte_|rte_extmem_unregister\\(|rte_dev_dma_unmap\\(|vid .*memory not registered)|$SAN_RE' '$LOG'"
fi

# ---- every pointer an engine op carries is DMA-able --------------------------
# --test-dma-register also checks, op by op, that each mbuf segment, digest,
# tag, AAD and IV handed to the cryptodev/compressdev lies in DPDK memory or
# in registered guest memory with the IOVA the op gives (dma.c,
# va_dma_check()). tests/pipeline/pipe_check.c: SHA-256, HMAC, AES-256-GCM
# encryption and decryption with 0..80 bytes of AAD (bad tags too) and
# DEFLATE compression, many in flight; through the asynchronous pipeline
# (PMD ops left in the queue pair) and through the synchronous PMD path (the
# test engine runs the engines at submission).
PC=$T/pipe-check
if ! host_prog tests/pipeline/pipe_check.c "$PC" "$TOP/build/libvirtaccel.a" \
	-lcrypto -lz -lpthread; then
	not_ok "dma-check: tests/pipeline/pipe_check.c does not build"
else
	for mode in pipeline sync; do
		mkdir -p "$T/dc-$mode"
		extra=""
		[ $mode = sync ] && extra="--test-engine-latency-us 50"
		# shellcheck disable=SC2086
		if ! start_backend "$T/dc-$mode" --test-dma-register $extra; then
			not_ok "dma-check ($mode): the back-end starts"
			continue
		fi
		timeout 300 "$PC" "$DEV" 2 >"$T/dc-$mode.out" 2>&1
		rc=$?
		sed 's/^/# /' "$T/dc-$mode.out" | head -5
		stop_backend
		l=$(grep 'dma-check: [0-9]* engine pointers checked' "$BACKEND_LOG" | tail -1)
		nchk=$(echo "$l" | sed -n 's/.*dma-check: \([0-9]*\) engine pointers checked, \([0-9]*\) outside.*/\1/p')
		nout=$(echo "$l" | sed -n 's/.*dma-check: \([0-9]*\) engine pointers checked, \([0-9]*\) outside.*/\2/p')
		grep 'error: dma-check' "$BACKEND_LOG" | head -3 | sed 's/^/# /'
		echo "# $mode: ${nchk:-?} pointers checked, ${nout:-?} outside"
		check "dma-check ($mode): crypto and compress ops with AEAD decryption and AAD, every result right (exit $rc)" \
			[ $rc -eq 0 ]
		check "dma-check ($mode): every op pointer (${nchk:-0} checked) in DPDK memory or registered guest memory, none outside (${nout:-?})" \
			eval "[ \"${nchk:-0}\" -ge 1000 ] && [ \"${nout:-1}\" -eq 0 ]"
		san_report "$BACKEND_LOG" && not_ok "dma-check ($mode): sanitizer report"
	done
fi

# hostile memory tables, registration on: still refused, all undone
HV=$TOP/build/tests/robust/hostile-vu
if [ ! -x "$HV" ]; then
	not_ok "dma: $HV missing: run make"
else
	W=$T/backend-dma
	printf '#!/bin/sh\nexec "%s" "$@" --test-dma-register\n' "$BIN" >"$W"
	chmod +x "$W"
	for c in control mem-short-file mem-unsealed mem-shrink mem-tmpfs-file \
		mem-chardev mem-fd-count mem-wrap desc-two-regions; do
		HOSTILE_KEEP_LOG=1 timeout 300 "$HV" --backend "$W" \
			--vaccel "$TOP/build/vaccel" --case "$c" >"$T/hv.out" 2>&1
		rc=$?
		hl=$(sed -n 's/^# back-end log kept: //p' "$T/hv.out")
		res=$(grep '^vu-result ' "$T/hv.out" | sed 's/ | .*//')
		nreg=$(grep -c 'memory regions ([0-9]* KiB) registered' "$hl" 2>/dev/null)
		nun=$(grep -c 'memory regions unregistered' "$hl" 2>/dev/null)
		last=$(grep -o '([0-9]* external memory segment lists' "$hl" 2>/dev/null | tail -1)
		if [ $rc -eq 0 ] && echo "$res" | grep -q ' result=pass' &&
		   [ "${nreg:-0}" -eq "${nun:-0}" ] &&
		   grep -q 'dma: no PCI engine.*--test-dma-register' "$hl" &&
		   { [ "$nreg" -eq 0 ] || [ "$last" = "(0 external memory segment lists" ]; }; then
			ok "dma: hostile case $c with registration on: ${res#*expect=} (registered $nreg, unregistered $nun)"
		else
			not_ok "dma: hostile case $c with registration on: exit $rc, $res, registered ${nreg:-?}, unregistered ${nun:-?}, last '$last'"
		fi
		if [ -n "$hl" ]; then
			san_report "$hl" && not_ok "dma: hostile case $c: sanitizer report"
			rm -rf "$(dirname "$hl")"
		fi
	done
fi

summary
