#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build a minimal container root: busybox (static, every applet a symlink)
# and the given files at the same paths. No device node, no /etc/passwd
# beyond root's, nothing else of the host.
#
#   mkrootfs.sh DIR FILE...     FILE: an absolute path, copied to DIR/FILE
#                               (symbolic links followed); SRC=DST copies
#                               SRC to DIR/DST
set -eu
[ $# -ge 1 ] || { echo "usage: mkrootfs.sh DIR [FILE|SRC=DST]..." >&2; exit 2; }
R=$1
shift
BB=${BUSYBOX:-/bin/busybox}
mkdir -p "$R/bin" "$R/usr/bin" "$R/usr/local/bin" "$R/usr/local/lib" \
	"$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run" "$R/etc" "$R/root"
cp -L "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do
	[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
for f in "$@"; do
	case $f in
	*=*) src=${f%%=*}; dst=${f#*=} ;;
	*) src=$f; dst=$f ;;
	esac
	mkdir -p "$R$(dirname "$dst")"
	cp -L "$src" "$R$dst"
done
