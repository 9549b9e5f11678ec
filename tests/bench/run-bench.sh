#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# make bench: every measurement of one run, then bench/results.json and
# bench/throughput.png (tests/bench/report.py).
#
#   tests/bench/run-bench.sh [OUTDIR]        (default: bench/)
#
# Parts, each next to its baselines measured in the same run:
#   1. vaccel-bench over vhost-user: the DPDK back-end (event mode and
#      --poll) against memcpy, OpenSSL and zlib in-process, a two-thread
#      shared-memory ring and a UNIX-socket RPC (interleaved rounds); and
#      engine-split: a small request's CPU time in OpenSSL EVP and in the
#      cryptodev PMD, one op at a time and in bursts, without the transport;
#      and the small crypto cases with the back-end on crypto_ipsec_mb;
#      then the asynchronous pipeline with the test engine at 50 us (depth
#      64 vs depth 1: engine_lat50_qd64_vs_qd1);
#   2. the DPDK virtio-user <-> vhost-user testpmd loopback (transport floor);
#   3. the kernel paths in the 6.12 test VM (TCG): vaccel-bench over
#      /dev/vaccel0 and vhost-vdpa on the vDPA parent, and over /dev/vaccel0
#      on data path 1 (virtio-pci, the DPDK back-end on the host), with
#      native baselines in that VM;
#   4. the peer: QEMU's virtio-crypto-pci (cryptodev-backend-builtin) in the
#      same kind of guest;
#   5. the kernel crypto API in the test VM (tests/bench/vm-crypto-bench.sh),
#      on data path 3 and data path 1: virtio_accel.ko's sha256 and
#      hmac(sha256) through AF_ALG against the guest's own software, and
#      IPsec throughput between two namespaces without and with the device.
#   6. the OpenSSL provider against OpenSSL's default provider
#      (tests/provider/bench.sh: bench/provider.md).
# A part that cannot run here is reported as skipped with its reason, in the
# output and in results.json, never silently.
#
# Environment: BENCH_ROUNDS (5), BENCH_MS (400), BENCH_QUICK=1 (fewer host
# cases), BENCH_VM=0 / BENCH_PEER=0 / BENCH_LOOPBACK=0 / BENCH_CRYPTO=0 /
# BENCH_PROVIDER=0 / BENCH_MULTIFE=0 (leave a part out), BENCH_MF_WORKERS
# (1), BENCH_MF_ROUNDS (5), BENCH_MF_MS (1000) (the 16-front-end part),
# BENCH_IPSEC_ALGS ("authenc rfc4106": the ESP
# algorithms of part 5), BENCH_IPSEC_SECONDS (5).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"	# guest_prog (its skip() is replaced below)
OUT=${1:-$TOP/bench}
B=$TOP/build
mkdir -p "$OUT"
T=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-bench-run.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
start=$(date +%s)
skipped=""
skip() { # skip PART REASON
	echo "bench: $1: SKIPPED: $2" >&2
	skipped="$skipped$1=$2
"
}

quick=""
[ "${BENCH_QUICK:-0}" = 1 ] && quick=--quick
VACCEL_BENCH_GIT=$(git -C "$TOP" describe --always --dirty 2>/dev/null ||
	echo unknown)
export VACCEL_BENCH_GIT

echo "bench: 1/6 vhost-user path (DPDK back-end) and in-process baselines" >&2
"$B/vaccel-bench" --backend "$B/vhost-user-accel" \
	--rounds "${BENCH_ROUNDS:-5}" --ms "${BENCH_MS:-400}" $quick \
	--json "$T/host.json" || {
	echo "bench: vaccel-bench failed" >&2
	exit 1
}

set --
# where a small crypto request's engine time goes, without the transport
# (CPU time in one thread; ~5 s): crypto_openssl (the default PMD) and
# crypto_aesni_mb
for pmd in crypto_openssl crypto_aesni_mb; do
	"$B/engine-split" --pmd "$pmd" >>"$T/split.txt" ||
		skip "engine-split-$pmd" "engine-split --pmd $pmd failed"
done
grep '^split ' "$T/split.txt" 2>/dev/null >&2 &&
	set -- "$@" --split "$T/split.txt"
# the small crypto cases again with the back-end on crypto_ipsec_mb: what
# the engine does to gcm4k_vs_native and sha256_64_vs_native (~15 s)
if "$B/vaccel-bench" --backend "$B/vhost-user-accel" \
	--backend-arg --crypto-pmd --backend-arg crypto_ipsec_mb \
	--only sha256_64,gcm_4096 --label vhost-user-ipsec-mb $quick \
	--rounds "${BENCH_ROUNDS:-5}" --ms "${BENCH_MS:-400}" \
	--json "$T/ipsec-mb.json" >"$T/ipsec-mb.out"; then
	grep -E 'vs_native' "$T/ipsec-mb.out" | grep -v nan >&2
	set -- "$@" --engine "$T/ipsec-mb.json"
else
	skip vhost-user-ipsec-mb "vaccel-bench with crypto_ipsec_mb failed"
fi
# many front-ends on one back-end (issue 14): one worker, as the machine
# this runs on has few CPUs (BENCH_MF_WORKERS); front-ends that sleep when
# they wait (--no-spin: docs/performance.md says why)
echo "bench: 1b/6 16 front-ends on one back-end" >&2
if [ "${BENCH_MULTIFE:-1}" = 0 ]; then
	skip multife "BENCH_MULTIFE=0"
elif "$B/vaccel-bench" multife --backend "$B/vhost-user-accel" --fes 16 \
	--workers "${BENCH_MF_WORKERS:-1}" --rounds "${BENCH_MF_ROUNDS:-5}" \
	--ms "${BENCH_MF_MS:-1000}" --no-spin --json "$T/multife.json"; then
	set -- "$@" --multife "$T/multife.json"
else
	skip multife "vaccel-bench multife failed (reason above)"
fi

# the asynchronous pipeline (issue 14): back-ends whose test engine
# completes each request 50 us late, NULL 64 B at depth 64 vs depth 1
echo "bench: 1/6 (cont.) asynchronous pipeline, test engine at 50 us" >&2
if "$B/vaccel-bench" --backend "$B/vhost-user-accel" --engine-latency-us 50 \
	--rounds "${BENCH_ROUNDS:-5}" --ms "${BENCH_MS:-400}" \
	--label vhost-user-engine-lat50 --json "$T/engine.json"; then
	set -- "$@" --pipeline "$T/engine.json"
else
	skip engine-lat50 "vaccel-bench --engine-latency-us 50 failed"
fi
echo "bench: 2/6 DPDK virtio-user <-> vhost-user loopback" >&2
if [ "${BENCH_LOOPBACK:-1}" = 0 ]; then
	skip dpdk-loopback "BENCH_LOOPBACK=0"
elif [ ! -x "$TOP/tests/bench/dpdk-loopback.sh" ]; then
	skip dpdk-loopback "tests/bench/dpdk-loopback.sh is missing"
else
	"$TOP/tests/bench/dpdk-loopback.sh" 5 >"$T/loopback.jsonl"
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$T/loopback.jsonl" ]; then
		set -- "$@" --loopback "$T/loopback.jsonl"
	else
		skip dpdk-loopback "dpdk-loopback.sh exit $rc (reason above)"
	fi
fi

# vm_run NAME LABELS -- VACCEL-VM-ARGS...: vm-bench.sh in the test guest
vm_run() {
	name=$1 labels=$2
	shift 3
	"$TOP/tests/vm/harness/vaccel-vm.sh" --bin "$B/vaccel-bench" "$@" \
		"$TOP/tests/bench/vm-bench.sh" >"$T/$name.out" 2>&1
	rc=$?
	# the guest's tables, without the JSON and the boot log
	sed '/^@@BENCH-JSON-BEGIN/,/^@@BENCH-JSON-END/d' "$T/$name.out" |
		grep -E '^(vm-bench:|case |ratio |dev_|native_|memcpy_|ring_|unix_rpc|null|qd1|sha256_|gcm_|deflate_)' || true
	for l in $labels; do
		sed -n "/^@@BENCH-JSON-BEGIN $l/,/^@@BENCH-JSON-END $l/p" \
			"$T/$name.out" | sed '1d;$d' >"$T/$l.json"
		if [ -s "$T/$l.json" ]; then
			vm_json="$vm_json $T/$l.json"
		else
			skip "$l" "no result from the VM (vaccel-vm.sh exit $rc; see above)"
		fi
	done
	if [ $rc -ne 0 ]; then
		tail -30 "$T/$name.out" >&2
		[ $rc -eq 77 ] || skip "$name-status" "vaccel-vm.sh exit $rc"
	fi
}

vm_json=""
echo "bench: 3/6 kernel paths in the 6.12 test VM (TCG)" >&2
if [ "${BENCH_VM:-1}" = 0 ]; then
	skip vm "BENCH_VM=0"
else
	vm_run vm-vdpa "vm-chardev vm-vhost-vdpa" -- \
		--parent-param max_data_len=4194304
	# data path 1: the guest driver over virtio-pci, the DPDK back-end on
	# the host (the same place the virtio-crypto peer's engine is)
	vm_run vm-path1 "vm-path1" -- --path vhost-user \
		--backend-arg --max-data-len --backend-arg 4194304
fi
for j in $vm_json; do
	set -- "$@" --vm "$j"
done

echo "bench: 4/6 peer: QEMU virtio-crypto-pci in the test VM" >&2
if [ "${BENCH_PEER:-1}" = 0 ]; then
	skip peer-virtio-crypto "BENCH_PEER=0"
elif [ ! -x "$TOP/tests/bench/peer/run-peer.sh" ]; then
	skip peer-virtio-crypto "tests/bench/peer/run-peer.sh is missing"
else
	"$TOP/tests/bench/peer/run-peer.sh" >"$T/peer.jsonl"
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$T/peer.jsonl" ]; then
		set -- "$@" --peer "$T/peer.jsonl"
	else
		skip peer-virtio-crypto "run-peer.sh exit $rc (reason above)"
	fi
fi

# crypto_run LABEL VACCEL-VM-ARGS...: vm-crypto-bench.sh in the test guest
crypto_run() {
	label=$1
	shift
	# shellcheck disable=SC2086 # IPERF, TCRYPT: an option / a file or nothing
	"$TOP/tests/vm/harness/vaccel-vm.sh" --timeout 900 \
		--bin "$T/afalg-bench" --bin /bin/ip $IPERF \
		--module algif_hash --module veth --module xfrm_user \
		--module esp4 --module authenc --module echainiv --module seqiv \
		--module gcm --module ghash_generic "$@" \
		"$TOP/tests/bench/vm-crypto-bench.sh" "$T/ipsec-algs" \
		"$T/ipsec-seconds" $TCRYPT >"$T/$label.out" 2>&1
	rc=$?
	grep '^vm-crypto-bench:' "$T/$label.out"
	sed -n '/^@@BENCH-JSON-BEGIN vm-crypto-api/,/^@@BENCH-JSON-END vm-crypto-api/p' \
		"$T/$label.out" | sed '1d;$d' >"$T/$label.jsonl"
	if grep -q '"side"' "$T/$label.jsonl"; then
		crypto_json="$crypto_json $label=$T/$label.jsonl"
	else
		tail -30 "$T/$label.out" >&2
		skip "$label" "no result from the VM (vaccel-vm.sh exit $rc; see above)"
	fi
	[ $rc -eq 0 ] || skip "$label-status" "vaccel-vm.sh exit $rc (some cases failed; see above)"
}

crypto_json=""
echo "bench: 5/6 kernel crypto API in the 6.12 test VM (AF_ALG, IPsec)" >&2
if [ "${BENCH_CRYPTO:-1}" = 0 ]; then
	skip vm-crypto-api "BENCH_CRYPTO=0"
elif ! guest_prog "$TOP/tests/bench/afalg_bench.c" "$T/afalg-bench"; then
	skip vm-crypto-api "tests/bench/afalg_bench.c did not build"
else
	IPERF=""
	if [ -x /usr/bin/iperf3 ]; then
		IPERF="--bin /usr/bin/iperf3"
	else
		echo "bench: no iperf3 (scripts/setup.sh installs it): IPsec with a timed nc transfer" >&2
	fi
	# tcrypt.ko of the guest kernel, decompressed (the guest's insmod
	# cannot read .ko.xz; --module would load it at boot)
	TCRYPT=""
	if (. "$TOP/tests/vm/harness/lib-vm.sh" && vm_need_kernel &&
		f=$(find "$VM_MODDIR/kernel/crypto" -name 'tcrypt.ko*' | head -1) &&
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -qdc "$f" ;;
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac) >"$T/tcrypt.ko" 2>/dev/null && [ -s "$T/tcrypt.ko" ]; then
		TCRYPT=$T/tcrypt.ko
	else
		echo "bench: no tcrypt.ko in the guest kernel: no tcrypt figures" >&2
	fi
	echo "${BENCH_IPSEC_ALGS:-authenc rfc4106}" >"$T/ipsec-algs"
	echo "${BENCH_IPSEC_SECONDS:-5}" >"$T/ipsec-seconds"
	crypto_run vm-crypto-api-vdpa
	crypto_run vm-crypto-api-path1 --path vhost-user
fi
for j in $crypto_json; do
	set -- "$@" --crypto "$j"
done

# 6. the OpenSSL provider against the default provider, EVP loops on path 5
# (issue 12): its own table, bench/provider.md
echo "bench: 6/6 OpenSSL provider vaccelprov vs default (EVP, path 5)" >&2
if [ "${BENCH_PROVIDER:-1}" = 0 ]; then
	skip provider "BENCH_PROVIDER=0"
elif ! "$TOP/tests/provider/bench.sh" "$B" "$OUT/provider.md" "$T/provider.jsonl"; then
	skip provider "tests/provider/bench.sh failed (reason above)"
else
	cat "$OUT/provider.md" >&2
	set -- "$@" --provider "$T/provider.jsonl"
fi

printf '%s' "$skipped" >"$T/skipped"
while IFS= read -r s; do
	[ -n "$s" ] && set -- "$@" --skipped "$s"
done <"$T/skipped"
/usr/bin/python3 "$TOP/tests/bench/report.py" "$OUT" "$T/host.json" "$@" \
	--seconds $(( $(date +%s) - start )) || exit 1
echo "bench: done in $(( $(date +%s) - start )) s" >&2
