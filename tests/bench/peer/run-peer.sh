#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Side-by-side peer: QEMU's own virtio-crypto-pci device with the
# cryptodev-backend-builtin back-end, in the same 6.12 test guest the VM
# harness boots (tests/vm/harness/run-in-vm.sh), measured through the guest's
# virtio_crypto driver and the kernel crypto API from user space (AF_ALG,
# afalg_bench.c), next to the guest's software AES as the in-guest baseline.
# JSON lines (one per driver and size) on standard output; progress, the
# guest console and what the device registered on standard error.
#
# usage: run-peer.sh [--seconds S] [--sizes LIST] [--virtio-max BYTES]
#                    [--qemu auto|patched|debian|PATH] [--timeout S] [--keep DIR]
#   --seconds S   measuring time per size and driver (default 2)
#   --sizes LIST  bytes per request (default 64,4096,65536,1048576)
#   --virtio-max BYTES
#                 largest request sent to the device (default 122880); the
#                 software baselines get every size. Linux 6.12's
#                 virtio_crypto needs n(n+1)/2 + m(m+1)/2 + 3 descriptors
#                 for n source and m destination pages and QEMU accepts at
#                 most 1024: at 128 KiB QEMU says "virtio: too many write
#                 descriptors in indirect table", at 1 MiB "virtio-crypto
#                 dataq missing headers", and the device stops for good
#   --qemu WHICH  auto (default): the patched QEMU cached by
#                 vhost-user-backend/qemu/build-qemu.sh if it has
#                 virtio-crypto-pci and cryptodev-backend-builtin, else
#                 Debian's /usr/bin/qemu-system-x86_64; patched, debian, or
#                 a binary's path force one (never builds QEMU)
#   --timeout S   guest run limit (default 240); the whole script is
#                 killed 60 s after that at the latest
#   --keep DIR    keep the guest's console, kernel log and initramfs
#
# The VM harness's environment applies (VM_MEM, VM_SMP, VM_BOOT, VM_RETRY_KVM,
# VACCEL_CACHE; KVM is tried first and falls back to TCG). VM_QEMU_ARGS is
# appended after the device; with a vCPU model that has AES (e.g. "-cpu max")
# the guest loads aesni_intel and measures cbc-aes-aesni as well.
#
# Exit status: 0 ok; 77 cannot run here (no guest kernel, no QEMU with the
# device, no static libc, modules missing, the device registered nothing);
# 1 a benchmark failed; otherwise run-in-vm.sh's (124 timeout, 125 harness).
set -eu

PEER_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$PEER_DIR/../../.." && pwd)
VM_DIR=$TOP/tests/vm/harness
# shellcheck source=../../vm/lib-vm.sh
. "$VM_DIR/lib-vm.sh"

log() { echo "run-peer: $*" >&2; }
skip() {
	log "*** SKIP: $* ***"
	exit 77
}
usage() {
	sed -n '12,31s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

seconds=2
sizes=64,4096,65536,1048576
vmax=122880
which=auto
timeout=240
keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--sizes) [ $# -ge 2 ] || usage; sizes=$2; shift 2 ;;
	--virtio-max) [ $# -ge 2 ] || usage; vmax=$2; shift 2 ;;
	--qemu) [ $# -ge 2 ] || usage; which=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	-h|--help) usage ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done
case $seconds in ''|*[!0-9.]*) log "--seconds wants a number"; usage ;; esac
case $sizes in ''|*[!0-9,]*) log "--sizes wants a comma-separated list"; usage ;; esac
case $timeout in ''|*[!0-9]*) log "--timeout wants whole seconds"; usage ;; esac
case $vmax in ''|*[!0-9]*) log "--virtio-max wants bytes"; usage ;; esac

# Hard limit for everything below: re-exec under timeout(1) once.
if [ -z "${PEER_UNDER_TIMEOUT:-}" ]; then
	command -v timeout >/dev/null || skip "no timeout(1) (coreutils)"
	PEER_UNDER_TIMEOUT=1 exec timeout --kill-after=10 $((timeout + 60)) \
		sh "$0" --seconds "$seconds" --sizes "$sizes" --virtio-max "$vmax" \
		--qemu "$which" \
		--timeout "$timeout" ${keep:+--keep "$keep"}
fi

if ! vm_kernel_env || [ ! -r "$VM_VMLINUZ" ] ||
	[ ! -r "$VM_MODDIR/modules.dep" ]; then
	skip "no guest kernel in $VM_CACHE (run tests/vm/harness/setup-vm.sh)"
fi
for m in virtio_crypto crypto_engine algif_skcipher af_alg; do
	grep -q "/$m\.ko" "$VM_MODDIR/modules.dep" ||
		skip "guest kernel $VM_KREL has no module $m"
done

# QEMU: the patched one from the cache, or Debian's
has_peer() { # QEMU binary: has virtio-crypto-pci and cryptodev-backend-builtin
	[ -x "$1" ] &&
		"$1" -device help 2>/dev/null | grep -q '"virtio-crypto-pci"' &&
		"$1" -object help 2>/dev/null | grep -qx ' *cryptodev-backend-builtin'
}
patched=$("$TOP/vhost-user-backend/qemu/build-qemu.sh" --print-path 2>/dev/null) || patched=""
debian=/usr/bin/qemu-system-x86_64
qemu=""
case $which in
auto)
	if [ -n "$patched" ] && has_peer "$patched"; then
		qemu=$patched
	else
		if [ -z "$patched" ]; then
			log "no patched QEMU in the cache (build-qemu.sh --print-path)"
		else
			log "$patched has no virtio-crypto-pci/cryptodev-backend-builtin"
		fi
		has_peer "$debian" && qemu=$debian
	fi ;;
patched)
	[ -n "$patched" ] || skip "no patched QEMU in the cache (vhost-user-backend/qemu/build-qemu.sh builds it)"
	qemu=$patched ;;
debian) qemu=$debian ;;
*) qemu=$which ;;
esac
[ -n "$qemu" ] || skip "no QEMU with virtio-crypto-pci and cryptodev-backend-builtin (patched: ${patched:-none}, Debian: $debian)"
has_peer "$qemu" || skip "$qemu has no virtio-crypto-pci or cryptodev-backend-builtin"
if [ "$qemu" = "$patched" ]; then
	kind="patched (build-qemu.sh, --without-default-features: QEMU's built-in AES)"
	fw="-L /usr/share/qemu -L /usr/share/seabios"
else
	kind="not the patched build"
	[ "$qemu" != "$debian" ] || kind="Debian's package (nettle AES)"
	fw=""
fi
log "QEMU: $qemu ($("$qemu" --version | head -1)); $kind"

# the benchmark, static (the guest has no libc)
command -v gcc >/dev/null || skip "no gcc"
work=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-peer.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
if ! gcc -O2 -Wall -Wextra -Werror -static -I"$TOP/tests/lib" -o "$work/afalg_bench" \
	"$PEER_DIR/afalg_bench.c" 2>"$work/cc.err"; then
	cat "$work/cc.err" >&2
	grep -q 'cannot find -lc' "$work/cc.err" && skip "no static libc (libc6-dev)"
	log "building afalg_bench failed"
	exit 1
fi
printf 'PEER_SECONDS=%s\nPEER_SIZES=%s\nPEER_VIRTIO_MAX=%s\n' \
	"$seconds" "$sizes" "$vmax" >"$work/peer.env"

# aesni_intel and its dependencies ride along in /payload/ko (not loaded at
# boot: they only load on a vCPU model with AES, e.g. VM_QEMU_ARGS="-cpu max")
mods="--module virtio_crypto --module algif_skcipher"
mkdir -p "$work/ko"
aesni=$(grep '/aesni-intel\.ko[^:]*:' "$VM_MODDIR/modules.dep" || true)
if [ -n "$aesni" ]; then
	n=0
	# dependencies last to first, then the module: modules.dep order
	for m in $(echo "$aesni" | tr -d ':' | awk '{ for (i = NF; i >= 2; i--) print $i; print $1 }'); do
		n=$((n + 1))
		case $m in
		*.xz) xz -dc "$VM_MODDIR/$m" ;;
		*.zst) zstd -qdc "$VM_MODDIR/$m" ;;
		*.gz) gzip -dc "$VM_MODDIR/$m" ;;
		*) cat "$VM_MODDIR/$m" ;;
		esac >"$work/ko/$n-$(basename "$m" | sed -E 's/\.(xz|zst|gz)$//')"
	done
fi

log "guest: $VM_KREL, virtio-crypto-pci + cryptodev-backend-builtin, ${seconds} s per size and driver, sizes $sizes"
VM_QEMU=$qemu
VM_QEMU_ARGS="$fw -object cryptodev-backend-builtin,id=cb0 -device virtio-crypto-pci,cryptodev=cb0 ${VM_QEMU_ARGS:-}"
export VM_QEMU VM_QEMU_ARGS
vmdir=${keep:-$work/vm}
t0=$(date +%s)
# the console: JSON lines (prefixed PEER_JSON) to stdout, the rest to stderr
# shellcheck disable=SC2086
{
	"$VM_DIR/run-in-vm.sh" --timeout "$timeout" --keep "$vmdir" \
		$mods --bin "$work/afalg_bench" --add "$work/ko:/payload/ko" \
		"$PEER_DIR/peer-guest.sh" "$work/peer.env" 2>&1 &&
		echo 0 >"$work/rc" || echo $? >"$work/rc"
} | awk '
	/^PEER_JSON \{/ { sub(/^PEER_JSON /, ""); print; fflush(); n++; next }
	{ print > "/dev/stderr"; fflush("/dev/stderr") }
	END { print n + 0 > "'"$work"'/count" }'
rc=$(cat "$work/rc" 2>/dev/null || echo 125)
# QEMU's own complaints (virtio_error() and the like)
grep -v 'terminating on signal' "$vmdir/qemu.err" 2>/dev/null |
	sed 's/^/run-peer: qemu: /' >&2 || true
count=$(cat "$work/count" 2>/dev/null || echo 0)
log "QEMU used: $qemu; $count results in $(($(date +%s) - t0)) s; guest status $rc"
case $rc in
0) [ "$count" -gt 0 ] || { log "no results"; exit 1; } ;;
77) skip "the guest could not run the peer (see above)" ;;
124) log "timeout after $timeout s" ;;
*) log "failed (status $rc)" ;;
esac
exit "$rc"
