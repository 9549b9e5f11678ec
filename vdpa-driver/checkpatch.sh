#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# checkpatch.pl --strict on the vdpa_accel sources. checkpatch.pl is not in
# the kernel headers package and upstream code is not committed here, so it
# is taken from Debian's linux-source package of the guest kernel's series
# (apt-get download, three files extracted) into the cache:
#   ${VACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtio-accel}/checkpatch/
# usage: vdpa-driver/checkpatch.sh [FILES...]   (default: this driver's)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${VACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtio-accel}/checkpatch
series=$(sed -n 's/^series=//p' "$here/../tests/vm/harness/kernel-version" 2>/dev/null || true)
series=${series:-6.12}

fetch() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "checkpatch.sh: fetching linux-source-$series (~150 MB, once)" >&2
	(cd "$tmp" && apt-get download "linux-source-$series" >&2)
	deb=$(ls "$tmp"/linux-source-*.deb)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	src=$(ls "$tmp"/usr/src/linux-source-*.tar.xz)
	top=$(basename "$src" .tar.xz)
	tar -xJf "$src" -C "$tmp" "$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" "$top/scripts/const_structs.checkpatch"
	mkdir -p "$cache"
	cp "$tmp/$top/scripts/checkpatch.pl" "$tmp/$top/scripts/spelling.txt" \
		"$tmp/$top/scripts/const_structs.checkpatch" "$cache/"
	chmod +x "$cache/checkpatch.pl"
}

[ -f "$cache/checkpatch.pl" ] && [ -f "$cache/spelling.txt" ] &&
	[ -f "$cache/const_structs.checkpatch" ] || fetch

cd "$here"
# --root: the kernel headers of the guest kernel, so the CamelCase check
# knows the kernel zlib API (zlib_deflateInit2 ...) as it would in-tree;
# without them that check is skipped. PREFER_KERNEL_TYPES: the test program
# is user space (stdint.h types).
root=$(../tests/vm/harness/kernel-env.sh --kdir 2>/dev/null | sed 's/-[a-z0-9]*$/-common/')
if [ -n "$root" ] && [ -f "$root/include/linux/zlib.h" ]; then
	opt="--root $root"
else
	opt="--ignore CAMELCASE"
fi
cp="perl $cache/checkpatch.pl --strict --no-tree --show-types --quiet $opt"
[ $# -gt 0 ] && exec $cp -f "$@"
rc=0
$cp -f Kbuild Makefile vdpa_accel.h vdpa_accel_*.c || rc=1
$cp --ignore PREFER_KERNEL_TYPES -f tests/vaccel_vhost_test.c || rc=1
$cp --ignore PREFER_KERNEL_TYPES -f tests/vaccel_vhost_opener.c || rc=1
[ $rc -eq 0 ] && echo "checkpatch: clean"
exit $rc
