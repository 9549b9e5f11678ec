#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run a script inside a QEMU guest of the 6.12 kernel (tests/vm/harness/setup-vm.sh
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
#   --path vdpa|vhost-user
#                        vdpa (default): the plain guest, vDPA devices are
#                        made inside it; vhost-user: data path 1, a
#                        vhost-user-accel-pci device on the guest's PCI bus
#                        backed by build/vhost-user-accel on the host, guest
#                        memory in a shared memfd, QEMU from
#                        vhost-user-backend/qemu/build-qemu.sh (built once)
#   with --path vhost-user:
#   --queues N           data queues of the device and back-end (default 2)
#   --queue-size N       virtqueue size (default 128)
#   --socket PATH        the vhost-user socket (default: a private directory)
#   --backend BIN        the back-end (default build/vhost-user-accel)
#   --backend-arg ARG    one more back-end argument (repeatable)
#   --backend-log FILE   write the back-end's log there (kept)
#   --no-backend         start no back-end: the caller runs one on --socket
#                        (QEMU waits for it; reconnect-ms=1000)
#   --migrate-after S    live-migrate the running guest S seconds after it
#                        reached /init (or after --migrate-on's line) to a
#                        second QEMU (-incoming) with a second back-end (same
#                        arguments), over a UNIX socket with QMP's
#                        return-path; the script goes on in the second QEMU,
#                        whose console continues on standard output. Prints
#                        "vaccel-vm: migration completed in N ms, downtime M
#                        ms" (QEMU's figures) or "vaccel-vm: migration
#                        failed: WHY"; a failed migration turns a passing
#                        script's status into 1 unless VM_MIGRATE_MAY_FAIL=1
#   --migrate-on LINE    migrate once the guest's console has a line starting
#                        with LINE (then waits --migrate-after S, default 0)
#   --migrate-count K    K migrations, back and forth between the two
#                        back-ends (a new QEMU each time), --migrate-every S
#                        seconds apart (default 2); prints the downtime's and
#                        total time's p50/p99 over the K at the end
#
# Exit status: the script's (0 pass, 77 skip by convention), 1 when the
# script passed but the kernel log has a WARN/BUG/Oops/... splat (printed on
# standard error) or, with --path vhost-user, the back-end died, exited
# non-zero on SIGTERM or logged a sanitizer report; 124 timeout, 125 the
# harness failed (no sentinel line: guest crashed, QEMU failed, a module
# did not load, the back-end did not start); 77 when no QEMU with
# vhost-user-accel-pci can be built.
#
# Environment: VM_QEMU (default qemu-system-x86_64), VM_QEMU_ARGS (extra
# QEMU arguments), VM_KVM_BOOT_TIMEOUT (seconds KVM gets to reach /init,
# default 20), VM_TCG_BOOT_TIMEOUT (seconds TCG gets to reach /init before
# the boot is taken for hung and retried once, default 120), VM_MEM (default 1G), VM_SMP (default 2), VM_BOOT (auto: the
# uncompressed PVH vmlinux under TCG, ~1.2 s faster, and the bzImage under
# KVM; pvh or bzimage force one). With --path vhost-user: VM_QEMU (default:
# build-qemu.sh's binary), VM_MEM is also the memfd's size.
set -eu

VM_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$VM_DIR/../../.." && pwd)
. "$VM_DIR/lib-vm.sh"
# start_backend, stop_backend, now_ms, at_exit
. "$TOP/tests/lib/lib.sh"

usage() {
	sed -n '5,66s/^# \{0,1\}//p' "$0" >&2
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
path=vdpa
vu_opts=""
vu_queues=2
vu_qsize=128
vu_socket=""
vu_backend=""
vu_args=""
vu_log=""
vu_start=1
mig_after=""
mig_on=""
mig_count=1
mig_every=2
while [ $# -gt 0 ]; do
	case $1 in
	--path) [ $# -ge 2 ] || usage; path=$2; shift 2 ;;
	--queues) [ $# -ge 2 ] || usage; vu_queues=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--queue-size) [ $# -ge 2 ] || usage; vu_qsize=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--socket) [ $# -ge 2 ] || usage; vu_socket=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--backend) [ $# -ge 2 ] || usage; vu_backend=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--backend-arg)
		[ $# -ge 2 ] || usage
		vu_args="$vu_args$2$NL"
		vu_opts="$vu_opts $1"
		shift 2 ;;
	--backend-log) [ $# -ge 2 ] || usage; vu_log=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--no-backend) vu_start=0; vu_opts="$vu_opts $1"; shift ;;
	--migrate-after) [ $# -ge 2 ] || usage; mig_after=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--migrate-on) [ $# -ge 2 ] || usage; mig_on=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--migrate-count) [ $# -ge 2 ] || usage; mig_count=$2; vu_opts="$vu_opts $1"; shift 2 ;;
	--migrate-every) [ $# -ge 2 ] || usage; mig_every=$2; vu_opts="$vu_opts $1"; shift 2 ;;
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
case $path in
vdpa)
	[ -z "$vu_opts" ] || vm_die "$vu_opts: only with --path vhost-user" ;;
vhost-user)
	case $vu_queues in ''|*[!0-9]*|0) vm_die "--queues wants a number >= 1" ;; esac
	case $vu_qsize in ''|*[!0-9]*|0) vm_die "--queue-size wants a number" ;; esac
	[ $vu_start -eq 1 ] || [ -n "$vu_socket" ] || vm_die "--no-backend needs --socket"
	case $mig_after in *[!0-9]*) vm_die "--migrate-after wants whole seconds" ;; esac
	case $mig_every in ''|*[!0-9]*) vm_die "--migrate-every wants whole seconds" ;; esac
	case $mig_count in ''|*[!0-9]*|0) vm_die "--migrate-count wants a number >= 1" ;; esac
	if [ -n "$mig_after$mig_on" ]; then
		[ $vu_start -eq 1 ] || vm_die "--migrate-after needs the back-ends started here (no --no-backend)"
		mig_after=${mig_after:-0}
	fi ;;
*) vm_die "--path wants vdpa or vhost-user" ;;
esac

if [ "$path" = vhost-user ] && [ -z "${VM_QEMU:-}" ]; then
	# path 1 needs QEMU with vhost-user-accel-pci: cached, else built once
	BQ=$TOP/vhost-user-backend/qemu/build-qemu.sh
	if ! VM_QEMU=$("$BQ" --print-path); then
		log "no cached QEMU with vhost-user-accel-pci: building it once with"
		log "${BQ#"$TOP/"} (3-6 min on 2 cores; cached afterwards)"
		t0=$(date +%s)
		if ! VM_QEMU=$("$BQ"); then
			log "*** SKIP: QEMU with vhost-user-accel-pci could not be built (see the build-qemu lines above) ***"
			exit 77
		fi
		log "QEMU with vhost-user-accel-pci built in $(($(date +%s) - t0)) s: $VM_QEMU"
	fi
fi
QEMU=${VM_QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || vm_die "$QEMU not found; run tests/vm/harness/setup-vm.sh"
if [ "$path" = vhost-user ] &&
	! "$QEMU" -device help 2>/dev/null | grep -q '"vhost-user-accel-pci"'; then
	log "$QEMU has no vhost-user-accel-pci device (VM_QEMU must be build-qemu.sh's binary)"
	exit 125
fi
if [ "$path" = vhost-user ] && [ $vu_start -eq 1 ]; then
	vu_backend=${vu_backend:-$TOP/build/vhost-user-accel}
	[ -x "$vu_backend" ] || vm_die "$vu_backend: no back-end; run make"
fi
vm_need_kernel

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-vm.XXXXXX")
fi
qpid=""
tpid=""
sockdir=""
mig_pid_b=""
mig_qpid_b=""
# shellcheck disable=SC2317 # run at exit (at_exit)
cleanup() { # the library stops a back-end still running afterwards
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$mig_qpid_b" ] || kill "$mig_qpid_b" 2>/dev/null || true
	[ -z "$mig_pid_b" ] || kill -KILL "$mig_pid_b" 2>/dev/null || true
	[ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
	[ -z "$sockdir" ] || rm -rf "$sockdir"
	[ -n "$keep" ] || rm -rf "$work"
}
at_exit cleanup

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

# path 1: the back-end on the host, and QEMU's memfd memory and device
if [ "$path" = vhost-user ]; then
	if [ -z "$vu_socket" ]; then
		sockdir=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-vu.XXXXXX")
		vu_socket=$sockdir/accel.sock
	fi
	vu_log=${vu_log:-$work/backend.log}
	if [ $vu_start -eq 1 ]; then
		old_ifs=$IFS
		IFS=$NL
		set -f
		# shellcheck disable=SC2086
		start_backend --bin "$vu_backend" --sock "$vu_socket" \
			--log "$vu_log" --wait 30 "$work" --queues "$vu_queues" \
			$vu_args || exit 125
		IFS=$old_ifs
		set +f
		log "back-end ${vu_backend} (pid $BACKEND_PID) on $vu_socket, $vu_queues data queues"
	fi
	if [ -n "$mig_after" ]; then
		# the migration's destination back-end, same arguments
		mig_pid_a=$BACKEND_PID
		mig_socket_b=${vu_socket%.sock}-b.sock
		mig_log_b=$work/backend-b.log
		old_ifs=$IFS
		IFS=$NL
		set -f
		# shellcheck disable=SC2086
		start_backend --bin "$vu_backend" --sock "$mig_socket_b" \
			--log "$mig_log_b" --wait 30 "$work" --queues "$vu_queues" \
			$vu_args || exit 125
		IFS=$old_ifs
		set +f
		mig_pid_b=$BACKEND_PID
		BACKEND_PID=$mig_pid_a
		log "migration destination back-end (pid $mig_pid_b) on $mig_socket_b"
	fi
	vu_mem_args="-L /usr/share/qemu -L /usr/share/seabios \
-object memory-backend-memfd,id=mem,size=${VM_MEM:-1G},share=on \
-numa node,memdev=mem"
	vu_dev_args="-device vhost-user-accel-pci,chardev=va,num-queues=$vu_queues,queue-size=$vu_qsize"
	VM_QEMU_ARGS_B="$vu_mem_args \
-chardev socket,id=va,path=${mig_socket_b:-},reconnect-ms=1000 $vu_dev_args \
${VM_QEMU_ARGS:-}"
	VM_QEMU_ARGS="$vu_mem_args \
-chardev socket,id=va,path=$vu_socket,reconnect-ms=1000 $vu_dev_args \
${VM_QEMU_ARGS:-}"
fi

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
	pvh) kernel=${VM_PVH:?no PVH vmlinux: run tests/vm/harness/setup-vm.sh} ;;
	auto) [ "$a" = kvm ] || kernel=${VM_PVH:-$VM_VMLINUZ} ;;
	esac
	rm -f "$work"/console-m*.log "$work"/kmsg-m*.log "$work"/qemu-m*.err
	mig_state=""
	mig_t0=""
	mig_n=0
	mig_downs=""
	mig_totals=""
	mig_qmp=""
	[ -z "$mig_after" ] || mig_qmp="-qmp unix:$work/qmp-a.sock,server=on,wait=off"
	# shellcheck disable=SC2086
	"$QEMU" -machine q35 -accel "$a" -m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}" \
		-nic none -no-reboot -display none -monitor none \
		-serial stdio -serial "file:$work/kmsg.log" \
		-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 $append" \
		${VM_QEMU_ARGS:-} $mig_qmp \
		</dev/null >"$work/console.log" 2>"$work/qemu.err" &
	qpid=$!
	tail -s 0.1 -n +1 -f --pid=$qpid "$work/console.log" | tr -d '\r' &
	tpid=$!
	start=$(now_ms)
	limit=$((timeout * 1000))
	kvm_limit=$((${VM_KVM_BOOT_TIMEOUT:-20} * 1000))
	tcg_limit=$((${VM_TCG_BOOT_TIMEOUT:-120} * 1000))
	boot_ms=""
	result=died
	while kill -0 $qpid 2>/dev/null; do
		t=$(($(now_ms) - start))
		if [ -z "$boot_ms" ] && grep -q '^vm-init: up' "$work/console.log"; then
			boot_ms=$t
		fi
		if [ -n "$mig_after" ] && [ -n "$boot_ms" ] && [ -z "$mig_state" ]; then
			mig_maybe "$t"
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
		# a TCG boot that stalls (seen under host load: a vCPU whose
		# timer interrupt never comes, RCU stall reports on the console,
		# no /init for minutes) is retried rather than waited out
		if [ "$a" = tcg ] && [ -z "$boot_ms" ] && [ $t -gt $tcg_limit ]; then
			result=boothang
			break
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

# mig_maybe T: start the next migration when its moment has come (T: ms
# since QEMU started). Blocks while it runs (QEMU's own figures say how
# long); on success the destination QEMU becomes the one the loop above
# watches, and after --migrate-count migrations (or a failure) mig_state is
# done (or failed). Migration N goes to a QEMU with console-mN.log,
# kmsg-mN.log, qemu-mN.err and qmp-mN.sock, on back-end B when N is odd and
# back on A when it is even.
mig_t0=""
mig_n=0
mig_downs=""
mig_totals=""
mig_maybe() {
	if [ -n "$mig_on" ] && [ -z "$mig_t0" ]; then
		tr -d '\r' <"$work/console.log" |
			awk -v m="$mig_on" 'index($0, m) == 1 { f = 1 } END { exit !f }' ||
			return 0
		mig_t0=$1
	fi
	[ -n "$mig_t0" ] || mig_t0=$boot_ms
	if [ $mig_n -eq 0 ]; then
		[ $(($1 - mig_t0)) -ge $((mig_after * 1000)) ] || return 0
	else
		[ $(($1 - mig_t0)) -ge $((mig_every * 1000)) ] || return 0
	fi
	mi=$((mig_n + 1))
	if [ $mig_n -eq 0 ]; then
		msrc=$work/qmp-a.sock
	else
		msrc=$work/qmp-m$mig_n.sock
	fi
	if [ $((mi % 2)) -eq 1 ]; then
		margs=$VM_QEMU_ARGS_B
		mto="back-end B (pid $mig_pid_b)"
	else
		margs=$VM_QEMU_ARGS
		mto="back-end A (pid $mig_pid_a)"
	fi
	log "migration $mi of $mig_count: to a new QEMU on $mto"
	# shellcheck disable=SC2086
	"$QEMU" -machine q35 -accel "$a" -m "${VM_MEM:-1G}" -smp "${VM_SMP:-2}" \
		-nic none -no-reboot -display none -monitor none \
		-serial stdio -serial "file:$work/kmsg-m$mi.log" \
		-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 $append" \
		$margs -qmp "unix:$work/qmp-m$mi.sock,server=on,wait=off" \
		-incoming defer </dev/null >"$work/console-m$mi.log" 2>"$work/qemu-m$mi.err" &
	mig_qpid_b=$!
	rm -f "$work/mig.sock"
	res=$(python3 "$VM_DIR/migrate.py" --src "$msrc" \
		--dst "$work/qmp-m$mi.sock" --uri "unix:$work/mig.sock" \
		--timeout "$timeout") || true
	# shellcheck disable=SC2086 # the words of migrate.py's line
	set -- $res
	if [ "${1:-}" = completed ]; then
		echo "vaccel-vm: migration completed in $2 ms, downtime $3 ms"
		mig_totals="$mig_totals $2"
		mig_downs="$mig_downs $3"
		mig_n=$mi
		[ $mig_n -lt "$mig_count" ] || mig_state="done"
		# the source quits; the destination's console continues
		wait_until 30 eval "! kill -0 $qpid 2>/dev/null" || kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		kill "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
		qpid=$mig_qpid_b
		mig_qpid_b=""
		tail -s 0.1 -n +1 -f --pid=$qpid "$work/console-m$mi.log" | tr -d '\r' &
		tpid=$!
		mig_t0=$(($(now_ms) - start))
	else
		echo "vaccel-vm: migration failed: ${res#* }"
		mig_state=failed
		kill "$mig_qpid_b" 2>/dev/null || true
		wait "$mig_qpid_b" 2>/dev/null || true
		mig_qpid_b=""
		[ ! -s "$work/qemu-m$mi.err" ] ||
			sed "s/^/run-in-vm: qemu-m$mi: /" "$work/qemu-m$mi.err" | head -20 >&2
	fi
}

# mig_files NAME: the guest's NAME.log of every QEMU of the run, in order
mig_files() {
	echo "$work/$1.log"
	_i=1
	while [ $_i -le $mig_n ]; do
		echo "$work/$1-m$_i.log"
		_i=$((_i + 1))
	done
}

# p50/p99 (nearest rank) of the numbers in $1
mig_pct() {
	echo "$1" | tr ' ' '\n' | grep . | sort -n | awk -v p="$2" '
		{ v[NR] = $1 } END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }'
}

# A KVM failure is remembered for this host boot, QEMU and guest kernel, so
# that only the first run pays for the attempt (VM_RETRY_KVM=1 retries).
# One "KEY|REASON" line per QEMU (Debian's and build-qemu.sh's differ).
kvm_key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $($QEMU --version | head -1) $VM_KREL"
kvm_mark=$VM_CACHE/kvm-failed
kvm_known() { # prints why KVM failed for $kvm_key before; 1 if it did not
	[ -r "$kvm_mark" ] && awk -F'|' -v k="$kvm_key" '$1 == k { f = 1; w = $2 }
		END { if (f) print w; exit !f }' "$kvm_mark"
}
try_kvm=0
case $accel in
kvm) try_kvm=1 ;;
auto)
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		log "/dev/kvm not usable; using TCG"
	elif [ "${VM_RETRY_KVM:-0}" != 1 ] && kvm_why=$(kvm_known); then
		log "KVM failed earlier on this host boot ($kvm_why); using TCG (VM_RETRY_KVM=1 retries)"
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
		{
			grep -F '|' "$kvm_mark" 2>/dev/null | grep -v -F "$kvm_key|" | tail -9
			printf '%s|%s\n' "$kvm_key" "$(echo "${why:-no reason printed}" | tr '|' /)"
		} >"$kvm_mark.$$" && mv "$kvm_mark.$$" "$kvm_mark"
	else
		used=kvm
	fi
fi
if [ $used = tcg ]; then
	log "booting under TCG"
	attempt tcg
	if [ "$result" = boothang ]; then
		cp "$work/console.log" "$work/console-hung-boot.log"
		log "the guest did not reach /init in $(secs "$tcg_limit") s under TCG (stalled boot; its console: $(grep -c 'rcu_preempt detected stalls' "$work/console.log") RCU stall reports): booting again, once"
		attempt tcg
		if [ "$result" = boothang ]; then
			log "the guest did not reach /init in $(secs "$tcg_limit") s again: giving up (timeout)"
		fi
	fi
fi

if [ -n "$boot_ms" ]; then
	log "$used (${kernel##*/}): guest reached /init in $(secs "$boot_ms") s, whole run $(secs "$total_ms") s"
fi
if [ "$result" = timeout ] || [ "$result" = boothang ]; then
	[ "$result" = boothang ] || log "timeout after $timeout s under $used"
	status=124
else
	st=$(mig_files console | xargs cat 2>/dev/null | tr -d '\r' |
		sed -n 's/.*VACCEL_VM_EXIT=\([0-9]*\)$/\1/p' | tail -1)
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
# (the patterns are the guest library's, which the guests use too)
SPLAT=$(sed -n "s/^VT_SPLAT='\(.*\)'\$/\1/p" "$VM_DIR/../guest/guest-lib.sh")
[ -n "$SPLAT" ] || vm_die "no VT_SPLAT= line in tests/vm/guest/guest-lib.sh"
mig_files console | xargs cat 2>/dev/null | tr -d '\r' |
	grep -E '^\[ *[0-9]+\.[0-9]+\]' >"$work/console-kernel.log" || true
{ mig_files kmsg; echo "$work/console-kernel.log"; } | xargs cat >"$work/kernel.log" 2>/dev/null || true
if [ -n "$mig_after" ]; then
	if [ $mig_n -gt 1 ]; then
		echo "vaccel-vm: $mig_n migrations: downtime p50 $(mig_pct "$mig_downs" 50) ms, p99 $(mig_pct "$mig_downs" 99) ms, max $(mig_pct "$mig_downs" 100) ms; total time p50 $(mig_pct "$mig_totals" 50) ms, p99 $(mig_pct "$mig_totals" 99) ms"
	fi
	if [ "$mig_state" != "done" ]; then
		[ -n "$mig_state" ] || echo "vaccel-vm: migration failed: the script ended before migration $((mig_n + 1)) of $mig_count"
		if [ "${VM_MIGRATE_MAY_FAIL:-0}" != 1 ] && [ "$status" -eq 0 ]; then
			status=1
		fi
	fi
fi
if grep -qE "$SPLAT" "$work/kernel.log"; then
	log "kernel splat in the guest's log:"
	grep -E -A 25 "$SPLAT" "$work/kernel.log" | head -200 | sed 's/^/run-in-vm: | /' >&2
	[ "$status" -ne 0 ] || status=1
fi
# path 1: stop the back-end (SIGTERM), report its status and sanitizer lines
# check_backend NAME LOG: stops the back-end BACKEND_PID names; raises status.
# NAME prefixes its log lines (backend, backend-b); the messages say
# "back-end" (the words tests look for) or "back-end B"
check_backend() {
	_be=back-end
	[ "$1" = backend ] || _be="back-end B"
	alive=1
	kill -0 "$BACKEND_PID" 2>/dev/null || alive=0
	stop_backend 15 && brc=0 || brc=$?
	[ $alive -eq 0 ] || [ $brc -ne 124 ] ||
		log "the $_be did not exit within 15 s of SIGTERM: killed"
	lines=$(wc -l <"$2")
	# a back-end of a migration ping-pong logs ~12 lines per migration
	_max=100
	[ -z "$mig_after" ] || _max=$((100 + 15 * mig_count))
	sed "s/^/run-in-vm: $1: /" "$2" | head -n $_max >&2
	[ "$lines" -le $_max ] || log "$1: ... $((lines - _max)) more lines in $2"
	bad=""
	if [ $alive -eq 0 ]; then
		bad="the $_be exited during the run (status $brc)"
	elif [ $brc -ne 0 ]; then
		bad="the $_be exited with status $brc on SIGTERM"
	else
		log "$_be exited 0 on SIGTERM"
	fi
	SAN='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error:'
	if grep -qE "$SAN" "$2"; then
		log "sanitizer report in the $_be's log:"
		grep -E -A 12 "$SAN" "$2" | head -80 | sed "s/^/run-in-vm: $1| /" >&2
		bad="${bad:+$bad; }sanitizer report in the $_be's log"
	fi
	grep -q 'front-end connected' "$2" ||
		bad="${bad:+$bad; }the $_be saw no front-end connection"
	if [ -n "$bad" ]; then
		log "$bad"
		[ "$status" -ne 0 ] || status=1
	fi
}
if [ -n "${BACKEND_PID:-}" ]; then
	check_backend backend "$vu_log"
fi
if [ -n "$mig_pid_b" ]; then
	BACKEND_PID=$mig_pid_b
	mig_pid_b=""
	check_backend backend-b "$mig_log_b"
fi
[ -z "$keep" ] || log "console, kernel log and initramfs kept in $work"
exit "$status"
