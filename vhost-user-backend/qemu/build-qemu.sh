#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build qemu-system-x86_64 with the vhost-user-accel device: Debian's own
# QEMU source (the orig tarball of the bookworm-backports package) plus the
# patches in patches/ (applied in the order of patches/series). The binary
# is cached outside the repository, keyed by the patches, this script and
# the QEMU version, so only the first run builds (~5 min on 2 cores).
# Prints the path of the binary on standard output.
#
# usage: build-qemu.sh [--print-path] [--install-deps] [--force] [--jobs N]
#                      [--keep-build]
#   --print-path   print the cached binary's path and exit 0, or exit 1
#                  when it is not built; never builds, installs or downloads
#   --install-deps only install what the build needs (packages, the
#                  backports suite with deb-src); never builds (make setup)
#   --force        rebuild even if the cache has the binary
#   --jobs N       ninja -jN (default 2; the build runs under nice)
#   --keep-build   keep the build tree (cache dir/src) for incremental work
#
# Environment: VACCEL_CACHE (cache root, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/virtio-accel), QEMU_UPSTREAM (default
# 10.0.2+ds: the upstream part of the Debian source version).
#
# The binary has no firmware of its own: run it with
#   -L /usr/share/qemu -L /usr/share/seabios -nic none
# (qemu-system-data and seabios, installed by tests/vm/harness/setup-vm.sh).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PATCHES=$HERE/patches
CACHE=${VACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtio-accel}
UPSTREAM=${QEMU_UPSTREAM:-10.0.2+ds}
JOBS=2
print_path=0
install_deps=0
force=0
keep_build=0

# Debian's python3: apt's meson and pycotap live there, not in a pyenv.
# vhost-vdpa too, so that the same binary can run vhost-vdpa-device-pci
# with a virtio-accel vDPA device (stock 10.0.2 aborts on device ID 56).
PYTHON=/usr/bin/python3
CONFIGURE_ARGS="--python=$PYTHON --target-list=x86_64-softmmu
--without-default-features --enable-kvm --enable-tcg --enable-vhost-user
--enable-vhost-vdpa --disable-docs --disable-install-blobs"
# packages from the base suite, and those that must come from backports
# (QEMU 10.0 needs meson >= 1.5; bookworm has 1.0.1)
PKGS="gcc make pkg-config ninja-build python3 python3-venv libglib2.0-dev
patch xz-utils"
BP_PKGS="meson python3-pycotap"
MESON_MIN=1.5.0

usage() {
	sed -n '11,21s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
log() { echo "build-qemu: $*" >&2; }
die() {
	log "$*"
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--print-path) print_path=1; shift ;;
	--install-deps) install_deps=1; shift ;;
	--force) force=1; shift ;;
	--keep-build) keep_build=1; shift ;;
	--jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
	-h|--help) usage ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done
case $JOBS in ''|*[!0-9]*|0) die "--jobs wants a positive number" ;; esac

[ -r "$PATCHES/series" ] || die "$PATCHES/series: missing"
series=$(grep -v '^[[:space:]]*\(#\|$\)' "$PATCHES/series")

# The cache key: the QEMU version, the configure line, the build steps of
# this script (from "--- build" on) and every patch in order; package
# installation and option handling do not change the binary.
key=$({
	echo "qemu $UPSTREAM"
	echo "configure $PYTHON $CONFIGURE_ARGS"
	sed -n '/^# --- build ---/,$p' "$0"
	for p in $series; do
		echo "patch $p"
		cat "$PATCHES/$p"
	done
} | sha256sum | cut -c1-16)
OUT=$CACHE/qemu-$key
BIN=$OUT/bin/qemu-system-x86_64

if [ $print_path -eq 1 ]; then
	[ -e "$OUT/.complete" ] && [ -x "$BIN" ] || exit 1
	echo "$BIN"
	exit 0
fi

if [ $install_deps -eq 0 ] && [ $force -eq 0 ] && [ -e "$OUT/.complete" ] && [ -x "$BIN" ]; then
	log "cached: $OUT ($(sed -n 's/^build_seconds=//p' "$OUT/info" 2>/dev/null) s build)"
	echo "$BIN"
	exit 0
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- packages --------------------------------------------------------------

# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
BP_SUITE=$codename-backports

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q "install ok installed"
}

# bookworm-backports (meson, pycotap, and the QEMU source): written like
# scripts/setup.sh does, from the archive URI apt already uses
BP_FILE=/etc/apt/sources.list.d/virtio-accel-backports.sources
need_update=0
if ! grep -qs "^Suites:.*$BP_SUITE" /etc/apt/sources.list.d/*.sources ||
	! grep -qs "^Types:.*deb-src" "$BP_FILE"; then
	if [ -e "$BP_FILE" ] || grep -qs "^Suites:.*$BP_SUITE" /etc/apt/sources.list.d/*.sources; then
		# backports is configured but without sources: add them separately
		BP_FILE=/etc/apt/sources.list.d/virtio-accel-qemu-src.sources
		types="deb-src"
	else
		types="deb deb-src"
	fi
	if [ ! -e "$BP_FILE" ]; then
		uri=$(awk -v s="$codename" '/^URIs:/ { u = $2 }
			/^Suites:/ && $0 ~ (" " s "( |$)") && u { print u; exit }' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
		[ -n "$uri" ] || uri=$(awk -v s="$codename" '$1 == "deb" && $3 == s { print $2; exit }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
		[ -n "$uri" ] || die "cannot find the Debian archive URI in /etc/apt; add $BP_SUITE (deb and deb-src) by hand"
		log "adding $BP_SUITE ($types) from the configured archive: $BP_FILE"
		as_root sh -c "cat > $BP_FILE" <<EOT
Types: $types
URIs: $uri
Suites: $BP_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
		need_update=1
	fi
fi

missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
meson_ok=0
if installed meson && dpkg --compare-versions \
	"$(dpkg-query -W -f='${Version}' meson)" ge "$MESON_MIN"; then
	meson_ok=1
fi
for p in $BP_PKGS; do
	if [ "$p" = meson ]; then
		[ $meson_ok -eq 1 ] || missing="$missing meson/$BP_SUITE"
	else
		installed "$p" || missing="$missing $p/$BP_SUITE"
	fi
done
if [ -n "$missing" ] || [ $need_update -eq 1 ]; then
	as_root apt-get -o DPkg::Lock::Timeout=600 update -q >&2
fi
if [ -n "$missing" ]; then
	log "installing:$missing"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		install -y -q --no-install-recommends $missing >&2
fi
if [ $install_deps -eq 1 ]; then
	log "build dependencies present (meson $(dpkg-query -W -f='${Version}' meson))"
	exit 0
fi

# --- the source: Debian's orig tarball, checked against apt's hash --------

# the newest Debian source version of qemu whose upstream part is $UPSTREAM
srcinfo=$(apt-cache showsrc qemu 2>/dev/null | awk -v up="$UPSTREAM" '
	/^Version:/ { v = $2; u = v; sub(/^[0-9]+:/, "", u); sub(/-[^-]*$/, "", u) }
	/^Checksums-Sha256:/ { c = 1; next }
	/^[^ ]/ { c = 0 }
	c && u == up && $3 ~ /\.orig\.tar\./ { print v, $3, $1 }' |
	sort -V | tail -1)
[ -n "$srcinfo" ] || die "apt knows no qemu source package with upstream version $UPSTREAM (apt-get update? deb-src for $BP_SUITE?)"
# shellcheck disable=SC2086
set -- $srcinfo
DEB_VERSION=$1
ORIG=$2
ORIG_SHA=$3
SRC_DIR=$CACHE/qemu-src
TARBALL=$SRC_DIR/$ORIG
mkdir -p "$SRC_DIR"

if [ ! -e "$TARBALL" ] || [ "$(sha256sum <"$TARBALL" | cut -d' ' -f1)" != "$ORIG_SHA" ]; then
	log "fetching $ORIG (qemu $DEB_VERSION) with apt"
	# only the orig tarball: its URI from apt, fetched and hash-checked by
	# apt's own downloader (no archive host is written anywhere)
	uri=$(cd "$SRC_DIR" && apt-get source --print-uris -q "qemu=$DEB_VERSION" 2>/dev/null |
		awk -v f="$ORIG" '$2 == f { gsub(/\047/, "", $1); print $1; exit }')
	[ -n "$uri" ] || die "apt-get source --print-uris qemu=$DEB_VERSION does not list $ORIG"
	rm -f "$TARBALL.part"
	/usr/lib/apt/apt-helper download-file "$uri" "$TARBALL.part" "SHA256:$ORIG_SHA" >&2 ||
		die "downloading $ORIG failed"
	mv "$TARBALL.part" "$TARBALL"
fi

# --- build -----------------------------------------------------------------

mkdir -p "$CACHE"
exec 9>"$CACHE/qemu-build.lock"
if ! flock -n 9; then
	log "another build-qemu.sh is running; waiting for it"
	flock 9
	if [ $force -eq 0 ] && [ -e "$OUT/.complete" ] && [ -x "$BIN" ]; then
		echo "$BIN"
		exit 0
	fi
fi

WORK=$OUT.tmp
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK"
log "unpacking $ORIG"
tar -xf "$TARBALL" -C "$WORK"
top=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -1)
[ -n "$top" ] || die "$ORIG: no qemu-* directory inside"
mv "$top" "$WORK/src"
SRC=$WORK/src
[ "$(cat "$SRC/VERSION")" = "${UPSTREAM%%+*}" ] ||
	die "$ORIG has VERSION $(cat "$SRC/VERSION"), expected ${UPSTREAM%%+*}"

for p in $series; do
	log "applying $p"
	patch -d "$SRC" -p1 -s --no-backup-if-mismatch <"$PATCHES/$p" ||
		die "$p does not apply to qemu $UPSTREAM"
done

# The +ds tarball has no firmware blobs, but meson unpacks the edk2 ones
# (pc-bios/edk2-*.fd.bz2) whenever it finds bzip2. configure adds
# configs/meson/<host os>.txt as a machine file; pointing "bzip2" at a
# program that does not exist there makes find_program('bzip2') fail,
# which skips that step.
cat >"$SRC/configs/meson/linux.txt" <<'EOF'
# written by virtio-accel's build-qemu.sh: no edk2 blobs in this tree
[binaries]
bzip2 = 'bzip2-not-wanted-no-edk2-blobs'
EOF

mkdir -p "$SRC/build"
start=$(date +%s)
log "configuring (log: $OUT/build.log)"
# shellcheck disable=SC2086
(cd "$SRC/build" && ../configure $CONFIGURE_ARGS) >"$WORK/build.log" 2>&1 || {
	tail -30 "$WORK/build.log" >&2
	die "configure failed (log kept in $WORK/build.log)"
}
grep -q 'Program bzip2-not-wanted-no-edk2-blobs found: NO' "$SRC/build/meson-logs/meson-log.txt" ||
	die "meson still looked for the real bzip2: the edk2 unpack step would run"
log "building qemu-system-x86_64 with nice ninja -j$JOBS (1600 steps)"
nice ninja -C "$SRC/build" -j"$JOBS" qemu-system-x86_64 >>"$WORK/build.log" 2>&1 || {
	grep -B2 -A12 -E 'error|FAILED' "$WORK/build.log" | head -60 >&2
	die "build failed (log kept in $WORK/build.log)"
}
secs=$(($(date +%s) - start))

mkdir -p "$WORK/bin"
cp "$SRC/build/qemu-system-x86_64" "$WORK/bin/"
"$WORK/bin/qemu-system-x86_64" -device help 2>/dev/null | grep -q '"vhost-user-accel-pci"' ||
	die "the built binary has no vhost-user-accel-pci device"
{
	echo "key=$key"
	echo "qemu_source=qemu $DEB_VERSION ($ORIG sha256 $ORIG_SHA)"
	echo "patches=$(echo "$series" | tr '\n' ' ')"
	echo "configure=$(echo "$CONFIGURE_ARGS" | tr '\n' ' ')"
	echo "build_seconds=$secs"
	echo "jobs=$JOBS"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$WORK/info"
if [ $keep_build -eq 0 ]; then
	rm -rf "$SRC"
fi
mv "$WORK" "$OUT"
: >"$OUT/.complete"
log "built in $secs s: $OUT"
echo "$BIN"
