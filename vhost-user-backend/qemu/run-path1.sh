#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Path 1 on one host: the DPDK back-end (build/vhost-user-accel) on a UNIX
# socket, and a 6.12 guest booted by tests/vm/harness/run-in-vm.sh with the
# self-built QEMU (build-qemu.sh) and a vhost-user-accel-pci device on that
# socket, guest memory in a shared memfd. Runs PAYLOAD in the guest
# (default tests/vm/guest/t-qemu-accel-pci.sh); exit status is the payload's (or
# run-in-vm.sh's), 1 if the back-end died or logged no connection.
#
# usage: run-path1.sh [--queues N] [--queue-size N] [--backend-arg ARG]...
#                     [run-in-vm.sh options] [PAYLOAD [FILES...]]
#   --queues N        data queues of the device and the back-end (default 2)
#   --queue-size N    virtqueue size (default 128)
#   --backend-arg ARG one more argument for vhost-user-accel (repeatable)
#   --cli             put build/vaccel and its libvirtaccel.so.1 in the guest
#   run-in-vm.sh options (--ko, --bin, --timeout, --keep, ...) pass through;
#   with --ko the back-end log must show the driver's feature negotiation
#   and the device start.
#
# Environment: VM_MEM (guest memory, default 1G, also the memfd size),
# VM_QEMU_ARGS (more QEMU arguments), VM_QEMU (a QEMU binary instead of
# build-qemu.sh's), VACCEL_CACHE.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TOP=$ROOT
# start_backend, stop_backend, test_tmpdir
. "$ROOT/tests/lib/lib.sh"
queues=2
qsize=128
backend_args=""
vmargs=""
NL='
'
have_ko=0
cli=0
log() { echo "run-path1: $*" >&2; }
usage() {
	sed -n '11,20s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--queues) [ $# -ge 2 ] || usage; queues=$2; shift 2 ;;
	--queue-size) [ $# -ge 2 ] || usage; qsize=$2; shift 2 ;;
	--backend-arg) [ $# -ge 2 ] || usage; backend_args="$backend_args$2$NL"; shift 2 ;;
	--cli) cli=1; shift ;;
	--ko) [ $# -ge 2 ] || usage; have_ko=1; vmargs="$vmargs$1$NL$2$NL"; shift 2 ;;
	--timeout|--accel|--keep|--append|--module|--bin|--add)
		[ $# -ge 2 ] || usage
		vmargs="$vmargs$1$NL$2$NL"
		shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) log "unknown option '$1'"; usage ;;
	*) break ;;
	esac
done
case $queues in ''|*[!0-9]*|0) log "--queues wants a number >= 1"; exit 2 ;; esac
if [ $# -eq 0 ]; then
	set -- "$ROOT/tests/vm/guest/t-qemu-accel-pci.sh"
fi

make -s -C "$ROOT" vhost-user-accel >&2 || { log "make vhost-user-accel failed"; exit 1; }
if [ $cli -eq 1 ]; then
	make -s -C "$ROOT" build/vaccel >&2 || { log "make build/vaccel failed"; exit 1; }
	# vaccel finds libvirtaccel.so.1 through RUNPATH $ORIGIN: put the
	# library beside it (mkinitramfs.sh --bin copies it to its host path)
	vmargs="$vmargs--bin$NL$ROOT/build/vaccel$NL--add$NL$ROOT/build/libvirtaccel.so.1:/usr/local/bin/libvirtaccel.so.1$NL"
fi
BACKEND=$ROOT/build/vhost-user-accel
if [ -n "${VM_QEMU:-}" ]; then
	QEMU=$VM_QEMU
else
	t0=$(date +%s)
	QEMU=$("$HERE/build-qemu.sh") || { log "build-qemu.sh failed"; exit 1; }
	t1=$(date +%s)
	[ $((t1 - t0)) -lt 5 ] || log "build-qemu.sh took $((t1 - t0)) s"
fi

test_tmpdir path1	# removed at exit, after the back-end is stopped
work=$T
sock=$work/accel.sock

old_ifs=$IFS
IFS=$NL
set -f
# shellcheck disable=SC2086
start_backend --bin "$BACKEND" --wait 20 "$work" --queues "$queues" \
	$backend_args || exit 1
IFS=$old_ifs
set +f
log "back-end pid $BACKEND_PID on $sock ($queues data queues)"

mem=${VM_MEM:-1G}
echo "NUM_QUEUES=$queues" >"$work/expect"
VM_QEMU=$QEMU
VM_QEMU_ARGS="-L /usr/share/qemu -L /usr/share/seabios \
-object memory-backend-memfd,id=mem,size=$mem,share=on -numa node,memdev=mem \
-chardev socket,id=va,path=$sock,reconnect-ms=1000 \
-device vhost-user-accel-pci,chardev=va,num-queues=$queues,queue-size=$qsize \
${VM_QEMU_ARGS:-}"
export VM_QEMU VM_QEMU_ARGS VM_MEM="$mem"

payload=$1
shift
IFS=$NL
set -f
# shellcheck disable=SC2086
"$ROOT/tests/vm/harness/run-in-vm.sh" $vmargs "$payload" "$@" "$work/expect" && rc=0 || rc=$?
IFS=$old_ifs
set +f

alive=1
kill -0 "$BACKEND_PID" 2>/dev/null || alive=0
stop_backend && brc=0 || brc=$?
sed 's/^/run-path1: backend: /' "$work/backend.log" >&2
if [ $alive -eq 0 ]; then
	log "the back-end exited during the run (status $brc)"
	[ "$rc" -ne 0 ] || rc=1
elif [ "$brc" -ne 0 ]; then
	log "the back-end exited with status $brc on SIGTERM"
	[ "$rc" -ne 0 ] || rc=1
fi
if ! grep -q 'front-end connected' "$work/backend.log"; then
	log "the back-end saw no front-end connection"
	[ "$rc" -ne 0 ] || rc=1
fi
if [ $have_ko -eq 1 ]; then
	for pat in 'features negotiated' 'device started'; do
		if ! grep -q "$pat" "$work/backend.log"; then
			log "the back-end log has no '$pat' although the driver was loaded"
			[ "$rc" -ne 0 ] || rc=1
		fi
	done
fi
exit "$rc"
