#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run a script inside a QEMU guest of the 6.12 kernel (tests/vm/setup-vm.sh
# must have run once). The guest's console is streamed to standard output;
# the exit status is the script's.
#
# usage: run-in-vm.sh [options] SCRIPT [FILES...]
#   SCRIPT               becomes /payload/run.sh, run by busybox sh with cwd
#                        /payload after the modules are loaded
#   FILES                copied to /payload/ (by base name)
#   --timeout S          whole-run limit under TCG (default 300)
#   --accel auto|kvm|tcg auto (default): KVM when it works, else TCG
#   --keep DIR           keep the console, kernel log and initramfs in DIR
#   --append ARGS        extra kernel command line
#   --ko FILE, --module NAME, --bin SRC[:DST], --add SRC:DST
#                        passed to mkinitramfs.sh (see there)
#
# Exit status: the script's (0 pass, 77 skip by convention), 1 when the
# script passed but the kernel log has a WARN/BUG/Oops/... splat (printed on
# standard error), 124 timeout, 125 the harness failed (no sentinel line:
# guest crashed, QEMU failed, or a module did not load).
#
# Environment: VM_QEMU (default qemu-system-x86_64), VM_QEMU_ARGS (extra
# QEMU arguments), VM_KVM_BOOT_TIMEOUT (seconds KVM gets to reach /init,
# default 20), VM_MEM (default 1G), VM_SMP (default 2), VM_BOOT (auto: the
# uncompressed PVH vmlinux under TCG, ~1.2 s faster, and the bzImage under
# KVM; pvh or bzimage force one).
set -eu

VM_DIR=$(cd "$(dirname "$0")" && pwd)
. "$VM_DIR/lib-vm.sh"

usage() {
	sed -n '5,24s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
log() { echo "run-in-vm: $*" >&2; }

timeout=300
accel=auto
keep=""
append=""
mkargs=""
NL='
'
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--accel) [ $# -ge 2 ] || usage; accel=$2; shift 2 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || usage; append=$2; shift 2 ;;
	--ko|--module|--bin|--add)
		[ $# -ge 2 ] || usage
		mkargs="$mkargs$1$NL$2$NL"
		shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "run-in-vm: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
script=$1
shift
[ -r "$script" ] || vm_die "$script: no such file"
case $timeout in ''|*[!0-9]*) vm_die "--timeout wants whole seconds" ;; esac
case $accel in auto|kvm|tcg) ;; *) vm_die "--accel wants auto, kvm or tcg" ;; esac

QEMU=${VM_QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || vm_die "$QEMU not found; run tests/vm/setup-vm.sh"
vm_need_kernel

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-vm.XXXXXX")
fi
qpid=""
tpid=""
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the initramfs: payload, FILES under /payload, pass-through options
files=""
for f in "$@"; do
	[ -e "$f" ] || vm_die "$f: no such file"
	files="$files--add$NL$f:/payload/${f##*/}$NL"
done
old_ifs=$IFS
IFS=$NL
set -f
# shellcheck disable=SC2086
"$VM_DIR/mkinitramfs.sh" -o "$work/initramfs.cpio.gz" --payload "$script" \
	$mkargs $files || vm_die "building the initramfs failed"
IFS=$old_ifs
set +f

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $((($1 % 1000) / 10)); }

# attempt ACCEL: boot once; sets result (done, kvmfail, timeout, died) and
# boot_ms (host time to the guest's "vm-init: up" line, or empty)
attempt() {
	a=$1
	: >"$work/console.log"
	: >"$work/kmsg.log"
	: >"$work/qemu.err"
	kernel=$VM_VMLINUZ
	case ${VM_BOOT:-auto} in
	pvh) kernel=${VM_PVH:?no PVH vmlinux: run tests/vm/setup-vm.sh} ;;
	auto) [ "$a" = kvm ] || kernel=${VM_PVH:-$VM_VMLINUZ} ;;
	esac
	# shellcheck disable=SC2086
	"$QEMU" -machine q35 -accel "$a" -m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}" \
		-nic none -no-reboot -display none -monitor none \
		-serial stdio -serial "file:$work/kmsg.log" \
		-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 $append" \
		${VM_QEMU_ARGS:-} \
		</dev/null >"$work/console.log" 2>"$work/qemu.err" &
	qpid=$!
	tail -s 0.1 -n +1 -f --pid=$qpid "$work/console.log" | tr -d '\r' &
	tpid=$!
	start=$(now_ms)
	limit=$((timeout * 1000))
	kvm_limit=$((${VM_KVM_BOOT_TIMEOUT:-20} * 1000))
	boot_ms=""
	result=died
	while kill -0 $qpid 2>/dev/null; do
		t=$(($(now_ms) - start))
		if [ -z "$boot_ms" ] && grep -q '^vm-init: up' "$work/console.log"; then
			boot_ms=$t
		fi
		if [ "$a" = kvm ]; then
			if grep -qE 'KVM internal error|emulation failure' \
				"$work/qemu.err" "$work/console.log"; then
				result=kvmfail
				break
			fi
			if [ -z "$boot_ms" ] && [ $t -gt $kvm_limit ]; then
				echo "no guest output after $((kvm_limit / 1000)) s" >>"$work/qemu.err"
				result=kvmfail
				break
			fi
		fi
		if [ $t -gt $limit ]; then
			result=timeout
			break
		fi
		sleep 0.1
	done
	if kill -0 $qpid 2>/dev/null; then
		kill $qpid 2>/dev/null || true
	else
		[ "$result" != died ] || result=finished
	fi
	wait $qpid 2>/dev/null && qrc=0 || qrc=$?
	wait $tpid 2>/dev/null || true
	qpid=""
	tpid=""
	total_ms=$(($(now_ms) - start))
	# QEMU that could not start KVM at all exits before the guest ran
	if [ "$a" = kvm ] && [ "$result" = finished ] && [ -z "$boot_ms" ]; then
		result=kvmfail
	fi
	[ "$result" = finished ] && [ $qrc -ne 0 ] && log "QEMU exit status $qrc"
	return 0
}

# A KVM failure is remembered for this host boot, QEMU and guest kernel, so
# that only the first run pays for the attempt (VM_RETRY_KVM=1 retries).
kvm_key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $($QEMU --version | head -1) $VM_KREL"
kvm_mark=$VM_CACHE/kvm-failed
try_kvm=0
case $accel in
kvm) try_kvm=1 ;;
auto)
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		log "/dev/kvm not usable; using TCG"
	elif [ "${VM_RETRY_KVM:-0}" != 1 ] && [ -r "$kvm_mark" ] &&
		[ "$(head -1 "$kvm_mark")" = "$kvm_key" ]; then
		log "KVM failed earlier on this host boot ($(sed -n 2p "$kvm_mark")); using TCG (VM_RETRY_KVM=1 retries)"
	else
		try_kvm=1
	fi ;;
esac
used=tcg
if [ $try_kvm -eq 1 ]; then
	log "trying KVM"
	attempt kvm
	if [ "$result" = kvmfail ]; then
		why=$(grep -m1 -E 'KVM internal error|emulation failure|kvm|no guest output' \
			"$work/qemu.err" || head -1 "$work/qemu.err")
		if [ "$accel" = kvm ]; then
			log "KVM failed after $(secs $total_ms) s: $why"
			exit 125
		fi
		log "KVM failed after $(secs $total_ms) s (${why:-no reason printed}); falling back to TCG"
		printf '%s\n%s\n' "$kvm_key" "${why:-no reason printed}" >"$kvm_mark.tmp" &&
			mv "$kvm_mark.tmp" "$kvm_mark"
	else
		used=kvm
	fi
fi
if [ $used = tcg ]; then
	log "booting under TCG"
	attempt tcg
fi

if [ -n "$boot_ms" ]; then
	log "$used (${kernel##*/}): guest reached /init in $(secs "$boot_ms") s, whole run $(secs "$total_ms") s"
fi
if [ "$result" = timeout ]; then
	log "timeout after $timeout s under $used"
	status=124
else
	st=$(tr -d '\r' <"$work/console.log" | sed -n 's/.*VACCEL_VM_EXIT=\([0-9]*\)$/\1/p' | tail -1)
	if [ -z "$st" ]; then
		log "no exit sentinel from the guest under $used (crash, panic or QEMU error)"
		[ ! -s "$work/qemu.err" ] || sed 's/^/run-in-vm: qemu: /' "$work/qemu.err" | head -20 >&2
		status=125
	else
		status=$st
	fi
fi

# kernel splats: the guest's full log (second serial port) and the
# kernel's own lines on the console (panics, and anything if the guest died
# before dumping its log)
SPLAT='WARNING:|BUG:|kernel BUG|Oops|general protection fault|Kernel panic|refcount_t:|UBSAN:|KASAN:|KFENCE:|KMSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_.*stall|list_(add|del) corruption|unreferenced object|Unable to handle|stack-protector|BAD page'
tr -d '\r' <"$work/console.log" | grep -E '^\[ *[0-9]+\.[0-9]+\]' >"$work/console-kernel.log" || true
cat "$work/kmsg.log" "$work/console-kernel.log" >"$work/kernel.log"
if grep -qE "$SPLAT" "$work/kernel.log"; then
	log "kernel splat in the guest's log:"
	grep -E -A 25 "$SPLAT" "$work/kernel.log" | head -200 | sed 's/^/run-in-vm: | /' >&2
	[ "$status" -ne 0 ] || status=1
fi
[ -z "$keep" ] || log "console, kernel log and initramfs kept in $work"
exit "$status"
