#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Install what the VM harness needs on Debian 12 (bookworm); idempotent.
#
#  - packages: qemu-system-x86 (from bookworm-backports when it is there:
#    QEMU 10.0.2; bookworm's 7.2 otherwise), busybox-static, cpio, kmod,
#    iproute2 (/usr/sbin/vdpa), libmnl0, libcap2, xz-utils, zstd, python3,
#    and the module toolchain the guest kernel was built with (gcc-12,
#    binutils, make, dwarves for pahole/BTF).
#  - the guest kernel: the image, headers, common headers and kbuild packages
#    of the newest 6.12 ABI (tests/vm/harness/kernel-version) are fetched with
#    `apt-get download` and unpacked with `dpkg-deb -x` into
#    $VM_CACHE/kernel-<release>/root; nothing of the kernel is installed on
#    this machine. The headers are unpacked too, not installed: Debian's
#    linux-headers-<release> Depends on linux-image-<release>, so installing
#    it would install (and run update-initramfs for) a kernel this machine
#    never boots. Build modules with make -C "$VM_KDIR" M=... (see README).
#
# The bookworm-backports apt source is added by scripts/setup.sh, which runs
# first when no apt source names that suite.
set -eu

VM_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$VM_DIR/../../.." && pwd)
. "$VM_DIR/lib-vm.sh"

PKGS="busybox-static cpio kmod iproute2 libmnl0 libcap2 xz-utils zstd gzip python3
make gcc-12 binutils dwarves"

say() { echo "setup-vm: $*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_OPTS="-q -o DPkg::Lock::Timeout=600"
updated=0
apt_update() {
	[ $updated -eq 1 ] && return 0
	say "apt-get update"
	as_root apt-get $APT_OPTS update >/dev/null
	updated=1
}

installed() { # installed PKG: 0 if PKG is installed
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q "install ok installed"
}

# 1. the backports suite
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	say "no bookworm-backports apt source: running scripts/setup.sh to add it"
	"$TOP/scripts/setup.sh"
	updated=1
fi

# 2. packages from bookworm
missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt_update
	say "installing:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTS install -y \
		--no-install-recommends $missing >/dev/null
else
	say "packages present: $(echo $PKGS)"
fi

# 3. QEMU: backports' 10.x if installable, else bookworm's
qver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
if installed qemu-system-x86 && dpkg --compare-versions "$qver" ge 1:10; then
	say "qemu-system-x86 $qver present"
else
	apt_update
	bpo=$(apt-cache madison qemu-system-x86 | awk -F'|' '/bookworm-backports/ { gsub(/ /, "", $2); print $2; exit }')
	if [ -n "$bpo" ]; then
		say "installing qemu-system-x86 $bpo from bookworm-backports"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTS install -y \
			--no-install-recommends -t bookworm-backports qemu-system-x86 >/dev/null
	elif ! installed qemu-system-x86; then
		say "WARNING: no qemu-system-x86 in bookworm-backports; installing bookworm's"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTS install -y \
			--no-install-recommends qemu-system-x86 >/dev/null
	else
		say "WARNING: keeping qemu-system-x86 $qver (no backports version found)"
	fi
	say "qemu-system-x86 $(dpkg-query -W -f='${Version}' qemu-system-x86)"
fi

# 4. the guest kernel
vm_series
# resolve_krel: newest <series>.N+<abi>-<flavour> with an image and headers
resolve_krel() {
	re=$(echo "$VM_SERIES" | sed 's/\./\\./g')
	apt-cache pkgnames "linux-image-$VM_SERIES." |
		grep -E "^linux-image-$re\.[0-9]+\+[^-]+-$VM_FLAVOUR(-unsigned)?\$" |
		sed -e 's/^linux-image-//' -e 's/-unsigned$//' | sort -u -V -r |
	while read -r k; do
		if apt-cache show "linux-headers-$k" >/dev/null 2>&1; then
			echo "$k"
			break
		fi
	done
}

krel=${VM_KERNEL_RELEASE:-}
if [ -z "$krel" ]; then
	krel=$(resolve_krel)
	if [ -z "$krel" ]; then
		apt_update
		krel=$(resolve_krel)
	fi
	[ -n "$krel" ] || vm_die "apt knows no linux-image-$VM_SERIES.*-$VM_FLAVOUR with headers (is bookworm-backports configured?)"
fi

kdir=$VM_CACHE/kernel-$krel
kroot=$kdir/root
if [ -e "$kdir/.complete" ]; then
	say "guest kernel $krel already unpacked in $kdir"
else
	# image: the unsigned package when there is one (same kernel, no shim)
	img=linux-image-$krel-unsigned
	apt-cache show "$img" >/dev/null 2>&1 || img=linux-image-$krel
	hdr=linux-headers-$krel
	# the headers' own Depends name the common headers and kbuild packages
	deps=$(apt-cache show --no-all-versions "$hdr" | sed -n 's/^Depends: //p' |
		tr ',|' '\n\n' | sed 's/(.*//; s/ //g' |
		grep -E '^linux-(headers-.*-common|kbuild-)' || true)
	[ -n "$deps" ] || vm_die "cannot find the common headers/kbuild packages of $hdr"
	rm -rf "$kdir"
	mkdir -p "$kdir/debs" "$kroot"
	say "downloading $img $hdr $(echo $deps) into $kdir/debs"
	sandbox=""
	[ "$(id -u)" -ne 0 ] || sandbox="-o APT::Sandbox::User=root"
	(cd "$kdir/debs" && apt-get -q $sandbox download "$img" "$hdr" $deps) >/dev/null
	for deb in "$kdir"/debs/*.deb; do
		say "unpacking ${deb##*/}"
		dpkg-deb -x "$deb" "$kroot"
		dpkg-deb -f "$deb" Package Version | paste -sd ' ' >>"$kdir/packages"
	done
	# make the unpacked headers usable where they are: the flavour
	# Makefile includes the common one by absolute path, and the
	# build/source links in lib/modules are absolute
	sed -i "s|^include /usr/src/|include $kroot/usr/src/|" \
		"$kroot/usr/src/linux-headers-$krel/Makefile"
	find "$kroot" -type l -lname '/*' | while read -r l; do
		ln -sfn "$kroot$(readlink "$l")" "$l"
	done
	# Debian runs depmod in the image's postinst; do it here
	if [ -d "$kroot/lib/modules/$krel" ]; then
		depmod -b "$kroot" "$krel"
	else
		depmod -b "$kroot/usr" "$krel"
	fi
	rm -rf "$kdir/debs"
	touch "$kdir/.complete"
fi
# The uncompressed kernel, booted through its PVH entry point, skips the
# bzImage decompressor: about 1.2 s less per TCG boot here. Optional: the
# harness boots the bzImage when this file is absent.
pvh=$kdir/vmlinux-pvh
if [ ! -e "$pvh" ] && [ ! -e "$pvh.none" ]; then
	vmlinuz=$kroot/boot/vmlinuz-$krel
	# the payload is the first zstd (or xz, gzip) stream in the bzImage
	python3 - "$vmlinuz" "$pvh.tmp" <<'PY' || true
import lzma, subprocess, sys, zlib
data = open(sys.argv[1], "rb").read()
for magic, cmd in ((b"\x28\xb5\x2f\xfd", ["zstd", "-qdc"]),
		   (b"\xfd7zXZ\x00", ["xz", "-qdc"]),
		   (b"\x1f\x8b\x08", ["gzip", "-qdc"])):
	off = data.find(magic)
	if off < 0:
		continue
	p = subprocess.run(cmd, input=data[off:], capture_output=True)
	if p.stdout[:4] == b"\x7fELF":
		open(sys.argv[2], "wb").write(p.stdout)
		sys.exit(0)
sys.exit(1)
PY
	if [ -s "$pvh.tmp" ] && readelf -n "$pvh.tmp" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
		mv "$pvh.tmp" "$pvh"
		say "extracted $pvh (PVH entry point present)"
	else
		rm -f "$pvh.tmp"
		touch "$pvh.none"
		say "no PVH-bootable vmlinux in the bzImage; the harness boots the bzImage"
	fi
fi
echo "$krel" >"$VM_CACHE/kernel-release.tmp"
mv "$VM_CACHE/kernel-release.tmp" "$VM_CACHE/kernel-release"
vm_need_kernel

# 5. the compiler the kernel was built with
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$VM_KDIR/.config")
if ! command -v "$cc" >/dev/null 2>&1; then
	vm_die "the guest kernel was built with $cc, which is not installed here"
fi
say "guest kernel: $VM_KREL"
sed 's/^/setup-vm:   /' "$VM_CACHE/kernel-$VM_KREL/packages"
say "  image   $VM_VMLINUZ"
say "  modules $VM_MODDIR"
say "  headers $VM_KDIR (built with $cc: $(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' "$VM_KDIR/.config"))"
say "  module compiler here: $("$cc" --version | head -1)"
say "qemu: $(qemu-system-x86_64 --version | head -1)"
