#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run any script inside the 6.12 test guest with the virtio-accel stack up:
#
#   tests/vm/harness/vaccel-vm.sh [--path vdpa|vhost-user] [--queues N] [--timeout S]
#                         [--bin PROGRAM]... [--module NAME]...
#                         [--parent-param P=V]... [--driver-param P=V]...
#                         [--backend-arg ARG]...
#                         [--migrate-after S] [--migrate-on LINE]
#                         [--migrate-count K] [--migrate-every S] SCRIPT [FILES...]
#
# --path vdpa (default): builds the user-space programs and both kernel
# modules if needed, boots the guest (tests/vm/harness/run-in-vm.sh) with
# vdpa_accel.ko, virtio_accel.ko and the crypto modules loaded, creates
# /dev/vaccel0 (a vDPA device bound through virtio_vdpa to the guest driver)
# and /dev/vhost-vdpa-0 (a second device bound to vhost_vdpa). The
# environment has VACCEL_CHARDEV=/dev/vaccel0 and
# VACCEL_VHOST_VDPA=vhost-vdpa:/dev/vhost-vdpa-0.
#
# --path vhost-user (data path 1): starts build/vhost-user-accel on the host
# and boots the guest in QEMU with a vhost-user-accel-pci device on that
# socket (QEMU from vhost-user-backend/qemu/build-qemu.sh, built once and
# cached); virtio_accel.ko binds to it over virtio-pci: /dev/vaccel0.
# VACCEL_CHARDEV=/dev/vaccel0; --queues N data queues (default 2).
#
# Both: vaccel and conformance_suite are on PATH (and each --bin PROGRAM,
# with the shared libraries it needs); SCRIPT runs with sh in /payload,
# where FILES are too. --parent-param passes a module parameter to
# vdpa_accel.ko (--path vdpa), e.g. max_data_len=4194304; --driver-param
# one to virtio_accel.ko (both paths), e.g. crypto_priority=300; --module
# NAME loads one more module of the guest kernel (with modprobe, so with its
# dependencies) before ours, e.g. --module esp4; --backend-arg
# one more argument to the back-end (--path vhost-user). --migrate-after S
# (--path vhost-user) live-migrates the running guest S seconds after boot,
# or after the guest printed a line starting with --migrate-on's LINE, to a
# second QEMU with a second back-end; the script's output continues, and
# "vaccel-vm: migration completed in N ms, downtime M ms" or "vaccel-vm:
# migration failed: WHY" is printed (run-in-vm.sh). --migrate-count K
# migrates K times back and forth, --migrate-every S seconds apart, and
# prints the downtime's p50/p99.
# Prints the script's output and exits with its status (125: the guest or the device set-up failed; 1 also when the
# guest kernel logged a splat or, on path 1, the back-end failed; 77: no
# QEMU for path 1 could be built).
#
# Example:
#   printf 'vaccel hash $VACCEL_CHARDEV --alg sha256 /bin/busybox\n' >t.sh
#   tests/vm/harness/vaccel-vm.sh t.sh
#   tests/vm/harness/vaccel-vm.sh --path vhost-user t.sh
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
timeout=600
path=vdpa
queues=""
bins=""
pparams=""
dparams=""
mods=""
bargs=""
migargs=""
usage() {
	sed -n '4,51s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--path) [ $# -ge 2 ] || usage; path=$2; shift 2 ;;
	--queues) [ $# -ge 2 ] || usage; queues=$2; shift 2 ;;
	--bin) [ $# -ge 2 ] || usage; bins="$bins --bin $2"; shift 2 ;;
	--parent-param) [ $# -ge 2 ] || usage; pparams="$pparams:$2"; shift 2 ;;
	--driver-param) [ $# -ge 2 ] || usage; dparams="$dparams:$2"; shift 2 ;;
	--module) [ $# -ge 2 ] || usage; mods="$mods --module $2"; shift 2 ;;
	--backend-arg) [ $# -ge 2 ] || usage; bargs="$bargs --backend-arg $2"; shift 2 ;;
	--migrate-after) [ $# -ge 2 ] || usage; migargs="$migargs --migrate-after $2"; shift 2 ;;
	--migrate-count|--migrate-every)
		[ $# -ge 2 ] || usage
		case $2 in ''|*[!0-9]*) echo "vaccel-vm: $1 wants a number" >&2; exit 2 ;; esac
		migargs="$migargs $1 $2"
		shift 2 ;;
	--migrate-on)
		[ $# -ge 2 ] || usage
		case $2 in *[!A-Za-z0-9_:.-]*|'') echo "vaccel-vm: --migrate-on wants a word ([A-Za-z0-9_:.-])" >&2; exit 2 ;; esac
		migargs="$migargs --migrate-on $2"
		shift 2 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "vaccel-vm: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
done
case $path in
vdpa) [ -z "$queues$bargs$migargs" ] || { echo "vaccel-vm: --queues, --backend-arg and --migrate-* are for --path vhost-user" >&2; exit 2; } ;;
vhost-user) [ -z "$pparams" ] || { echo "vaccel-vm: --parent-param is for --path vdpa" >&2; exit 2; } ;;
*) echo "vaccel-vm: --path wants vdpa or vhost-user" >&2; exit 2 ;;
esac
[ $# -ge 1 ] || usage
script=$1
shift
[ -r "$script" ] || { echo "vaccel-vm: $script: no such file" >&2; exit 2; }

. "$TOP/tests/lib/lib.sh"
make -s -C "$TOP" all >&2
[ "$path" = vhost-user ] || make -s -C "$TOP/vdpa-driver" modules >&2
make -s -C "$TOP/guest-driver/kernel" modules >&2

test_tmpdir vm
base=$(basename "$script")
cp "$script" "$T/$base"
echo "$base" >"$T/.user-script"
echo "$path" >"$T/.vaccel-path"

set -- "$TOP/tests/vm/harness/guest-prelude.sh" "$T/$base" "$T/.user-script" \
	"$T/.vaccel-path" "$@"
# not exec: the library's exit trap removes $T afterwards
rc=0
if [ "$path" = vhost-user ]; then
	# the engines are the back-end's; gcm and ghash for the software
	# fallback of our gcm(aes) (a real guest loads them on demand)
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "$timeout" \
		--path vhost-user --queues "${queues:-2}" $bargs $migargs \
		--ko "$TOP/guest-driver/kernel/virtio_accel.ko$dparams" $mods \
		--module gcm --module ghash_generic \
		--bin "$TOP/build/vaccel" --bin "$TOP/build/tests/conformance_suite" \
		$bins "$@" || rc=$?
else
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "$timeout" \
		--ko "$TOP/vdpa-driver/vdpa_accel.ko$pparams" \
		--ko "$TOP/guest-driver/kernel/virtio_accel.ko$dparams" $mods \
		--module gcm --module ghash_generic --module crc32c_generic \
		--bin "$TOP/build/vaccel" --bin "$TOP/build/tests/conformance_suite" \
		$bins "$@" || rc=$?
fi
exit $rc
