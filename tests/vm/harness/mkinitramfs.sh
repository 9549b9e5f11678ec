#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the guest's initramfs (a gzip'ed newc cpio) for the VM harness.
#
# usage: mkinitramfs.sh -o OUT.cpio.gz [options]
#   --payload SCRIPT   run by /init as /payload/run.sh (default: whatever
#                      /payload/run.sh an --add put there; none: a shell
#                      message and exit status 0)
#   --add SRC:DST      copy a file or directory to DST (absolute) in the guest
#   --bin SRC[:DST]    copy an executable and the shared libraries ldd lists
#                      (DST defaults to /usr/local/bin/<name>)
#   --module NAME      load this module of the guest kernel too (with its
#                      dependencies, modules.dep order)
#   --ko FILE[:PARAM=VALUE...]
#                      copy an out-of-tree module to /lib/modules/extra/ and
#                      insmod it, with the given parameters (':'-separated),
#                      after the kernel modules (order as given)
#   --no-default-modules
#                      do not load the default vDPA module set
#
# The guest gets busybox-static (all applets), /usr/sbin/vdpa with its
# libraries, the guest scripts' library /usr/lib/vaccel/guest-lib.sh,
# the default modules irqbypass vhost_iotlb vdpa vhost vhost_vdpa
# virtio_vdpa (dependencies resolved from the kernel's modules.dep, stored
# decompressed since busybox insmod cannot read .ko.xz) and a modules.dep
# for busybox modprobe, so request_module() works for what is included.
#
# /init mounts proc, sysfs, devtmpfs, tmpfs on /tmp and /run, debugfs;
# prints "vm-init: up ..." (the boot marker run-in-vm.sh waits for), loads
# the modules, runs the payload with cwd /payload, writes the kernel log to
# the second serial port (/dev/ttyS1) when there is one, prints the sentinel
# "VACCEL_VM_EXIT=<status>" and powers off. A failed insmod is status 125.
set -eu

VM_DIR=$(cd "$(dirname "$0")" && pwd)
. "$VM_DIR/lib-vm.sh"

usage() {
	sed -n '5,19s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

out=""
payload=""
adds=""
bins=""
kos=""
modules="irqbypass vhost_iotlb vdpa vhost vhost_vdpa virtio_vdpa"
extra_modules=""
NL='
'
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--payload) [ $# -ge 2 ] || usage; payload=$2; shift 2 ;;
	--add) [ $# -ge 2 ] || usage; adds="$adds$2$NL"; shift 2 ;;
	--bin) [ $# -ge 2 ] || usage; bins="$bins$2$NL"; shift 2 ;;
	--module) [ $# -ge 2 ] || usage; extra_modules="$extra_modules $2"; shift 2 ;;
	--ko) [ $# -ge 2 ] || usage; kos="$kos$2$NL"; shift 2 ;;
	--no-default-modules) modules=""; shift ;;
	-h|--help) usage ;;
	*) echo "mkinitramfs: unknown argument '$1'" >&2; usage ;;
	esac
done
[ -n "$out" ] || usage
vm_need_kernel
for t in cpio gzip ldd; do
	command -v $t >/dev/null || vm_die "$t not found; run tests/vm/harness/setup-vm.sh"
done
BUSYBOX=/bin/busybox
[ -x $BUSYBOX ] && $BUSYBOX --list-full >/dev/null 2>&1 ||
	vm_die "no $BUSYBOX (busybox-static); run tests/vm/harness/setup-vm.sh"
ldd $BUSYBOX >/dev/null 2>&1 && vm_die "$BUSYBOX is not static: install busybox-static"

stage=$(mktemp -d "${TMPDIR:-/tmp}/vaccel-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM

# copy SRC DST: file or directory, parent directories made
copy() {
	mkdir -p "$stage$(dirname "$2")"
	cp -a -L "$1" "$stage$2"
}

# copy_bin SRC DST: an executable and the libraries it needs
copy_bin() {
	[ -x "$1" ] || vm_die "--bin $1: not an executable"
	copy "$1" "$2"
	# ldd fails on a static executable; on a dynamic one that would leave
	# the guest without its loader ("not found" at exec): refuse instead
	if ! libs=$(ldd "$1" 2>&1); then
		if readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; then
			vm_die "--bin $1: ldd failed: $libs"
		fi
		return 0
	fi
	case $libs in
	*"not found"*) vm_die "--bin $1: missing libraries: $libs" ;;
	esac
	printf '%s\n' "$libs" |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			# system libraries keep their path; the project's own go
			# to /usr/local/lib (on LD_LIBRARY_PATH), since their
			# build directory may be under /tmp, a tmpfs in the guest
			case $lib in
			/lib/* | /lib64/* | /usr/lib/*) dst=$lib ;;
			*) dst=/usr/local/lib/${lib##*/} ;;
			esac
			[ -e "$stage$dst" ] || copy "$lib" "$dst"
		done
}

mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/run" \
	"$stage/etc" "$stage/root" "$stage/payload" "$stage/lib/modules/extra"
cp $BUSYBOX "$stage/bin/busybox"
for a in $($BUSYBOX --list-full); do
	[ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
done
copy_bin /usr/sbin/vdpa /usr/sbin/vdpa
# the guest scripts' helper library, at a fixed path
copy "$VM_DIR/../guest/guest-lib.sh" /usr/lib/vaccel/guest-lib.sh

# kernel modules: resolve dependencies from modules.dep, deps first
order=$(awk -v want="$modules $extra_modules" '
	function visit(p,    a, k, i) {
		if (p in seen)
			return
		seen[p] = 1
		k = split(deps[p], a, " ")
		for (i = k; i >= 1; i--)
			visit(a[i])
		print p
	}
	{
		p = $1; sub(/:$/, "", p)
		n = p; sub(/.*\//, "", n); sub(/\.ko(\.(xz|gz|zst))?$/, "", n)
		gsub(/-/, "_", n)
		file[n] = p
		deps[p] = ""
		for (i = 2; i <= NF; i++)
			deps[p] = deps[p] " " $i
	}
	END {
		k = split(want, w, " ")
		for (i = 1; i <= k; i++) {
			m = w[i]; gsub(/-/, "_", m)
			if (!(m in file)) {
				print "mkinitramfs: no module " w[i] " in modules.dep" > "/dev/stderr"
				bad = 1
				continue
			}
			visit(file[m])
		}
		exit bad
	}' "$VM_MODDIR/modules.dep") || vm_die "cannot resolve the modules"
mdst=$stage/lib/modules/$VM_KREL
mkdir -p "$mdst"
: >"$stage/etc/vm-modules"
for m in $order; do
	plain=$(echo "$m" | sed -E 's/\.(xz|gz|zst)$//')
	mkdir -p "$mdst/$(dirname "$plain")"
	case $m in
	*.xz) xz -dc "$VM_MODDIR/$m" >"$mdst/$plain" ;;
	*.gz) gzip -dc "$VM_MODDIR/$m" >"$mdst/$plain" ;;
	*.zst) zstd -qdc "$VM_MODDIR/$m" >"$mdst/$plain" ;;
	*) cp "$VM_MODDIR/$m" "$mdst/$plain" ;;
	esac
	echo "$plain" >>"$stage/etc/vm-modules"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ ! -e "$VM_MODDIR/$f" ] || cp "$VM_MODDIR/$f" "$mdst/"
done
depmod -b "$stage" "$VM_KREL" 2>/dev/null ||
	/sbin/depmod -b "$stage" "$VM_KREL"

: >"$stage/etc/vm-ko"
printf '%s' "$kos" | while read -r ko; do
	[ -n "$ko" ] || continue
	params=""
	case $ko in
	*.ko:*) params=$(printf '%s' "${ko#*.ko:}" | tr ':' ' '); ko=${ko%%.ko:*}.ko ;;
	esac
	[ -r "$ko" ] || vm_die "--ko $ko: no such file"
	cp "$ko" "$stage/lib/modules/extra/"
	echo "/lib/modules/extra/${ko##*/} $params" >>"$stage/etc/vm-ko"
done
printf '%s' "$bins" | while read -r b; do
	[ -n "$b" ] || continue
	src=${b%%:*}
	dst=${b#*:}
	[ "$dst" != "$b" ] || dst=/usr/local/bin/${src##*/}
	copy_bin "$src" "$dst"
done
printf '%s' "$adds" | while read -r a; do
	[ -n "$a" ] || continue
	src=${a%%:*}
	dst=${a#*:}
	[ "$dst" != "$a" ] && [ -e "$src" ] || vm_die "--add $a: want an existing SRC and DST"
	case $dst in /*) ;; *) vm_die "--add $a: DST must be absolute" ;; esac
	copy "$src" "$dst"
done
if [ -n "$payload" ]; then
	[ -r "$payload" ] || vm_die "payload $payload: no such file"
	cp "$payload" "$stage/payload/run.sh"
fi

cat >"$stage/init" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# /init of the virtio-accel test guest (written by tests/vm/harness/mkinitramfs.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/local/lib
export HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo /sbin/modprobe >/proc/sys/kernel/modprobe
hostname vaccel-vm
echo "vm-init: up $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r)"

status=0
kver=$(uname -r)
for m in $(cat /etc/vm-modules); do
	insmod "/lib/modules/$kver/$m" || {
		echo "vm-init: insmod $m failed"
		status=125
	}
done
while read -r m params; do
	# shellcheck disable=SC2086 # the parameters are separate words
	insmod "$m" $params || {
		echo "vm-init: insmod $m $params failed"
		status=125
	}
done </etc/vm-ko
echo "vm-init: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"

if [ $status -eq 0 ]; then
	if [ -r /payload/run.sh ]; then
		cd /payload
		sh /payload/run.sh </dev/null
		status=$?
		cd /
	else
		echo "vm-init: no /payload/run.sh"
	fi
fi
echo "vm-init: payload done at $(cut -d' ' -f1 /proc/uptime)s"
# the whole kernel log to the host (second serial port), for the splat scan
[ -c /dev/ttyS1 ] && dmesg >/dev/ttyS1 2>/dev/null
echo "VACCEL_VM_EXIT=$status"
sync
poweroff -f
EOF
chmod 755 "$stage/init"
[ ! -e "$stage/payload/run.sh" ] || chmod 755 "$stage/payload/run.sh"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
