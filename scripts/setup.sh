#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Install every package virtio-accel needs on Debian 12 (bookworm). Idempotent:
# does nothing when all packages are present. Adds the bookworm-backports suite
# (needed by the kernel and QEMU parts) using the archive URI this machine's
# own apt configuration already uses; no archive host is named here.
set -eu

PKGS="make gcc pkg-config python3 python3-cryptography python3-matplotlib
libdpdk-dev dpdk dpdk-dev libipsec-mb-dev libcunit1-dev libssl-dev zlib1g-dev libisal-dev
clang libclang-rt-14-dev kcapi-tools iperf3
crun jq dpkg-dev debhelper dh-dkms dkms fakeroot lintian help2man groff
man-db python3-jsonschema strace"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done

BP=/etc/apt/sources.list.d/virtio-accel-backports.sources
if [ ! -e "$BP" ]; then
	# First URIs: line of the main (non-security) suite in deb822 sources,
	# or the first "deb URI bookworm" line of a one-line-style list.
	uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u { print u; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	if [ -z "$uri" ]; then
		echo "setup: cannot find the Debian archive URI in /etc/apt; add bookworm-backports by hand" >&2
		exit 1
	fi
	echo "setup: adding bookworm-backports from the configured archive"
	as_root sh -c "cat > $BP" <<EOT
Types: deb deb-src
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	missing="$missing"	# force an update below
	need_update=1
fi

if [ -n "$missing" ] || [ "${need_update:-0}" = 1 ]; then
	echo "setup: installing:${missing:- (none, refreshing lists)}"
	as_root apt-get update -q
	[ -z "$missing" ] || as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing
else
	echo "setup: all packages present"
fi

# The VM harness (kernel tests): QEMU, busybox, the guest kernel in a cache.
"$(dirname "$0")/../tests/vm/harness/setup-vm.sh"
# Data path 1 needs QEMU with vhost-user-accel-pci: only its build
# dependencies here; the build itself (~3-6 min, cached) happens at the
# first use (make check's path-1 part, tests/vm/harness/vaccel-vm.sh --path vhost-user).
"$(dirname "$0")/../vhost-user-backend/qemu/build-qemu.sh" --install-deps
