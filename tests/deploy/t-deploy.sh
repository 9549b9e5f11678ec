#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Deployment (issue 15): the Debian packages built by `make deb`, checked by
# lintian, unpacked into a clean root and used from there; the systemd unit
# (systemd-analyze verify and security, and the back-end run under the
# unit's restrictions as far as they can be applied without systemd as
# PID 1); the QEMU vhost-user descriptor and --print-capabilities against
# QEMU's schema; the manual pages; the DKMS packages built by dkms against
# the guest kernel's headers.
#
#   tests/deploy/t-deploy.sh
#
# ~4 min here (make deb ~2 min, two dkms builds 20-40 s each, lintian
# ~15 s). DEPLOY_DEB_DIR=DIR takes the packages from DIR (a previous
# `make deb DEB_OUT=DIR`) instead of building them: for the edit-test loop.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/lib.sh"
cd "$TOP" || exit 2
REF="$PY $TOP/tests/tools/ref.py"
CHK="$PY $TOP/tests/deploy/check-vhost-user-json.py"
UNIT=vhost-user-accel@.service
# systemd-analyze security: measured 0.3; dropping PrivateDevices= gives 0.5,
# PrivateNetwork= 0.7, SystemCallFilter= 1.8, CapabilityBoundingSet= 2.1
# (options worth 0.1 alone, e.g. ProtectHostname=, pass unnoticed)
SECURITY_MAX=0.4

for t in dpkg-buildpackage lintian dkms help2man systemd-analyze strace setpriv unshare; do
	command -v $t >/dev/null || skip_all "$t missing (make setup installs it)"
done
$PY -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema missing (make setup)"
test_tmpdir deploy
chmod 755 "$T"	# the restricted back-end below runs as another uid
VER=$(sed -n 's/^VIRTACCEL_VERSION := //p' guest-driver/build.mk)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# ---- the packages -------------------------------------------------------------
start=$(now_ms)
if [ -n "${DEPLOY_DEB_DIR:-}" ]; then
	cp -r "$DEPLOY_DEB_DIR" "$T/deb" && ok "packages taken from $DEPLOY_DEB_DIR"
elif make --no-print-directory deb DEB_OUT="$T/deb" >"$T/deb.log" 2>&1; then
	ok "make deb: dpkg-buildpackage ($(( ($(now_ms) - start) / 1000 )) s)"
else
	not_ok "make deb"; tail -30 "$T/deb.log"; summary; exit 1
fi
PKGS="libvirtaccel1 libvirtaccel-dev vaccel vhost-user-accel libvaccel-ossl-provider vdpa-accel-dkms virtio-accel-dkms"
for p in $PKGS; do
	f=$(ls "$T"/deb/${p}_"$VER"_*.deb 2>/dev/null)
	check "package $p $VER built" [ -n "$f" ]
done
if [ -z "${DEPLOY_DEB_DIR:-}" ]; then
	check "debian/libvirtaccel1.symbols lists the library's exports (no dpkg-gensymbols warning)" \
		eval "! grep -A20 'dpkg-gensymbols: warning' $T/deb.log"
fi
lintian --pedantic --info "$T"/deb/*.changes >"$T/lintian" 2>&1
grep -v '^N:\|running with root privileges' "$T/lintian" | sed 's/^/  lintian: /'
check "lintian --pedantic: no error" eval "! grep -q '^E:' $T/lintian"
check "lintian --pedantic: no warning" eval "! grep -q '^W:' $T/lintian"
check "the packages' dependencies resolve on this system (apt-get -s)" \
	eval "apt-get -s -q install $T/deb/*_${VER}_*.deb >$T/apt 2>&1 || { tail -5 $T/apt; false; }"

# a clean root: the packages' files and nothing else (no maintainer scripts)
R=$T/root
mkdir -p "$R"
for f in "$T"/deb/*.deb; do
	case $f in *-dbgsym_*) continue ;; esac
	dpkg-deb -x "$f" "$R"
done
RLIB=$R/usr/lib/$MA
check "vaccel from the root links the root's libvirtaccel.so.1" \
	eval "LD_LIBRARY_PATH=$RLIB ldd $R/usr/bin/vaccel | grep -q '=> $RLIB/libvirtaccel.so.1 '"
check "vaccel has no RUNPATH (packages use the system libdir)" \
	eval "! readelf -d $R/usr/bin/vaccel | grep -qE 'RPATH|RUNPATH'"
check "vaccelprov.so is in OpenSSL's modules directory" \
	[ -f "$R$(pkg-config --variable=modulesdir libcrypto)/vaccelprov.so" ]

# the back-end from the root, the CLI and the provider from the root against it
start_backend --bin "$R/usr/bin/vhost-user-accel" "$T" ||
	{ not_ok "the package's vhost-user-accel starts"; summary; exit 1; }
ok "the package's vhost-user-accel serves $SOCK"
export LD_LIBRARY_PATH=$RLIB
for n in 0 1 4101 1048579; do
	$REF gen "$n" "$n" "$T/in.$n"
	(cd "$T" && "$R/usr/bin/vaccel" hash "$DEV" --alg sha256 "in.$n") >"$T/dev.sum" 2>"$T/err"
	(cd "$T" && sha256sum "in.$n") >"$T/ref.sum"
	check "package vaccel: hash sha256 $n B = sha256sum" cmp -s "$T/dev.sum" "$T/ref.sum"
done
"$R/usr/bin/vaccel" compress "$DEV" "$T/in.1048579" "$T/z" &&
	"$R/usr/bin/vaccel" decompress "$DEV" "$T/z" "$T/out"
check "package vaccel: compress/decompress 1 MiB + 3 round trip" cmp -s "$T/out" "$T/in.1048579"
MODDIR=$R$(pkg-config --variable=modulesdir libcrypto)
sw=$(sha256sum <"$T/in.4101" | cut -d' ' -f1)
hw=$(VACCEL_DEVICE=$DEV openssl dgst -provider-path "$MODDIR" -provider vaccelprov \
	-provider default -propquery provider=vaccelprov -sha256 -r "$T/in.4101" | cut -d' ' -f1)
check "package provider: openssl dgst -sha256 4101 B = sha256sum" eval "[ -n '$hw' ] && [ '$hw' = '$sw' ]"

# -dev: pkg-config, headers and the libraries from the root
cat >"$T/p.c" <<'EOF'
#include <stdio.h>
#include <virtaccel.h>
int main(int argc, char **argv)
{
	struct virtaccel_dev *d;
	struct virtaccel_info i;
	int r = virtaccel_open(argv[1], NULL, &d);

	if (r < 0 || virtaccel_get_info(d, &i) < 0)
		return 1;
	printf("%u %u\n", i.device_id, i.max_sessions);
	virtaccel_close(d);
	return argc < 2;
}
EOF
PCF=$(PKG_CONFIG_SYSROOT_DIR=$R PKG_CONFIG_LIBDIR=$RLIB/pkgconfig pkg-config --cflags --libs libvirtaccel)
check "libvirtaccel-dev: pkg-config names the root's include and lib dirs" \
	eval "echo '$PCF' | grep -q -- '-I$R/usr/include' && echo '$PCF' | grep -q -- '-L$RLIB'"
check "libvirtaccel-dev: a program builds with pkg-config and runs (shared)" \
	eval "cc -Wall -Werror -o $T/p $T/p.c $PCF && $T/p $DEV | grep -q '^[0-9]* 1024\$'"
check "libvirtaccel-dev: and against the static library" \
	eval "cc -Wall -Werror -I$R/usr/include -o $T/ps $T/p.c $RLIB/libvirtaccel.a -pthread && \
		env -u LD_LIBRARY_PATH $T/ps $DEV | grep -q '^[0-9]* 1024\$'"
unset LD_LIBRARY_PATH
stop_backend
check "the package's back-end exits 0 on SIGTERM" [ $? -eq 0 ]

# ---- QEMU vhost-user conventions ------------------------------------------------
J=$R/usr/share/qemu/vhost-user/50-vhost-user-accel.json
check "descriptor installed: /usr/share/qemu/vhost-user/50-vhost-user-accel.json" [ -f "$J" ]
check "descriptor valid against QEMU's vhost-user.json (+ type accel)" $CHK descriptor "$J"
bin=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["binary"])' "$J")
check "descriptor's binary $bin is the package's executable" [ -x "$R$bin" ]
"$R/usr/bin/vhost-user-accel" --print-capabilities >"$T/caps.json"
check "--print-capabilities valid against QEMU's schema (+ type accel)" $CHK capabilities "$T/caps.json"
# the one deviation: the type, which QEMU's enum does not have
check "QEMU's enum alone rejects only the type 'accel'" \
	eval "! $CHK capabilities $T/caps.json --qemu-enum >$T/q && grep -q \"'accel' is not one of\" $T/q && \
		[ \$(wc -l <$T/q) -eq 1 ]"
sed 's/"accel"/"crypto"/' "$T/caps.json" >"$T/caps2.json"
check "the same capabilities with a type QEMU knows pass QEMU's enum" \
	$CHK capabilities "$T/caps2.json" --qemu-enum
tt=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["type"])' "$J")
check "descriptor type = --print-capabilities type ($tt)" grep -q "\"type\": \"$tt\"" "$T/caps.json"
make --no-print-directory install DESTDIR="$T/inst" PREFIX=/usr >"$T/inst.log" 2>&1
check "make install: the descriptor, valid" $CHK descriptor "$T/inst/usr/share/qemu/vhost-user/50-vhost-user-accel.json"

# ---- manual pages ----------------------------------------------------------------
for m in man1/vaccel.1 man8/vhost-user-accel.8 man3/libvirtaccel.3 man7/vaccelprov.7; do
	f=$R/usr/share/man/$m.gz
	name=${m#*/}; name=${name%.*}
	zcat "$f" >"$T/page" 2>/dev/null
	w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$T/page" 2>&1)
	check "man page $m: installed, groff -man -ww clean" eval "[ -s $T/page ] && [ -z \"\$w\" ]"
	check "man page $m: man -l renders it" eval "[ -z \"\$(man -l $f 2>&1 >/dev/null)\" ] && man -l $f | grep -q '^NAME'"
	[ -z "$w" ] || echo "$w" | head -5 | sed 's/^/  groff: /'
	check "man page $m: lexgrog finds NAME '$name - ...'" \
		eval "lexgrog $f | grep -q '\"$name - '"
done

# ---- systemd -----------------------------------------------------------------------
# systemd-analyze needs systemd's own units (sysinit.target ...) in the root
# it verifies: the root gets this system's, as an installed system has them
mkdir -p "$R/lib/systemd/system"
cp -a /lib/systemd/system/. "$R/lib/systemd/system/" 2>/dev/null
check "systemd-analyze verify vhost-user-accel@vm1.service (package root)" eval \
	"MANPATH=$R/usr/share/man systemd-analyze verify --root=$R vhost-user-accel@vm1.service >$T/verify 2>&1 || { cat $T/verify; false; }"
systemd-analyze security --offline=yes --root="$R" --no-pager vhost-user-accel@vm1.service \
	>"$T/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$T/security")
grep '✗' "$T/security" | sed 's/  */ /g; s/^/  /'
check "systemd-analyze security --offline: exposure ${score:-?} <= $SECURITY_MAX" \
	eval "[ -n '$score' ] && awk 'BEGIN { exit !($score <= $SECURITY_MAX) }'"

# The back-end under the unit's restrictions, without systemd as PID 1: the
# unit's ExecStart line (its binary from the package root) as an unused uid
# (DynamicUser), no groups, no capabilities (CapabilityBoundingSet=),
# NoNewPrivileges, LimitNOFILE, / read-only but for its runtime directory
# (ProtectSystem=strict), XDG_RUNTIME_DIR as the unit sets it; a client
# hashes through it; strace shows what it did, checked against the unit.
U=$R/lib/systemd/system/$UNIT
execstart=$(sed -n 's/^ExecStart=//p' "$U")
nofile=$(sed -n 's/^LimitNOFILE=//p' "$U")
memmax=$(sed -n 's/^MemoryMax=\([0-9]*\)G$/\1/p' "$U")
tasksmax=$(sed -n 's/^TasksMax=//p' "$U")
RUN=$T/run/vhost-user-accel/vm1
mkdir -p "$RUN"
XUID=61999	# in systemd's DynamicUser range, unused here
chown $XUID:$XUID "$RUN"
set -- ${execstart//%i/vm1}
shift	# /usr/bin/vhost-user-accel
args=("$@")
args=("${args[@]//\/run\/vhost-user-accel\/vm1/$RUN}")
args=("${args[@]/\$VHOST_USER_ACCEL_OPTS/}")
unshare -m sh -c "mount --make-rprivate / && mount --bind '$RUN' '$RUN' && \
	mount -o remount,bind,ro / && exec prlimit --nofile=$nofile:$nofile \
	setpriv --reuid=$XUID --regid=$XUID --clear-groups --no-new-privs \
	--inh-caps=-all --bounding-set=-all \
	env -i XDG_RUNTIME_DIR=$RUN LD_LIBRARY_PATH=$RLIB \
	strace -ff -qq -s 256 -o $RUN/strace $R/usr/bin/vhost-user-accel ${args[*]}" \
	>"$T/restricted.log" 2>&1 </dev/null &
RPID=$!
at_exit "kill $RPID 2>/dev/null"
wait_for 30 "$RUN/accel.sock"
check "back-end up as uid $XUID, no capabilities, read-only /, NOFILE $nofile" [ -S "$RUN/accel.sock" ] ||
	sed 's/^/  restricted: /' "$T/restricted.log"
bpid=$(pgrep -u $XUID -x vhost-user-acce | head -1)
LD_LIBRARY_PATH=$RLIB "$R/usr/bin/vaccel" hash "vhost-user:$RUN/accel.sock" --alg sha256 "$T/in.1048579" |
	cut -d' ' -f1 >"$T/r.sum"
check "a client hashes 1 MiB + 3 through it = sha256sum" \
	[ "$(cat "$T/r.sum")" = "$(sha256sum <"$T/in.1048579" | cut -d' ' -f1)" ]
hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/"$bpid"/status 2>/dev/null)
thr=$(awk '/^Threads:/ { print $2 }' /proc/"$bpid"/status 2>/dev/null)
check "its peak RSS ${hwm:-?} KiB < MemoryMax ${memmax}G, threads ${thr:-?} < TasksMax $tasksmax" \
	eval "[ -n '$hwm' ] && [ '$hwm' -lt $((memmax * 1024 * 1024)) ] && [ '$thr' -lt '$tasksmax' ]"
kill -TERM "$bpid"
wait $RPID
rc=$?
check "it exits 0 on SIGTERM and removes its socket" eval "[ $rc -eq 0 ] && [ ! -e $RUN/accel.sock ]"
# one file per thread (-ff): no call split into unfinished/resumed lines
S=$T/strace
cat "$RUN"/strace.* >"$S" 2>/dev/null
if [ ! -s "$S" ]; then
	not_ok "no strace log of the restricted back-end: its checks not run"
else
	# every system call it made is allowed by SystemCallFilter=, or failed with
	# EPERM/EACCES (or ENOSYS) in this run anyway (iopl as non-root): the filter's
	# EPERM changes nothing for those
	filters=$(sed -n "s/^SystemCallFilter=//p" "$U" | tr "\n" " ")
	allowed=""; denied=""
	for f in $filters; do
		case $f in ~*) denied="$denied ${f#\~}" ;; *) allowed="$allowed $f" ;; esac
	done
	expand1() { # a group's system calls, its nested groups expanded
		systemd-analyze syscall-filter "$1" | sed '1d; s/^ *//' | grep -v '^#' |
			while read -r x; do
				case $x in @*) expand1 "$x" ;; ?*) echo "$x" ;; esac
			done
	}
	expand() { for g in "$@"; do expand1 "$g"; done | sort -u; }
	expand $allowed >"$T/allow"
	expand $denied >"$T/deny"
	comm -23 "$T/allow" "$T/deny" >"$T/ok-calls"
	sed -nE 's/^([a-z0-9_]+)\(.*/\1/p' "$S" | sort -u >"$T/used"
	check "strace saw the run: socket, bind, accept, recvmsg, mmap among its calls" \
		eval "for c in socket bind accept recvmsg mmap; do grep -qx \$c $T/used || exit 1; done"
	bad=""
	for c in $(comm -23 "$T/used" "$T/ok-calls"); do
		grep -E "^$c\\(" "$S" | grep -vqE '= -1 (EPERM|EACCES|ENOSYS)' && bad="$bad $c"
	done
	check "its $(wc -l <"$T/used") system calls are within SystemCallFilter=$filters${bad:+ (not:$bad)}" [ -z "$bad" ]
	check "RestrictAddressFamilies=AF_UNIX: its only sockets made are AF_UNIX" \
		eval "! grep -E '^socket\(' $S | grep -v 'AF_UNIX' | grep -qvE '= -1 E'"
	check "MemoryDenyWriteExecute: no writable+executable mapping" \
		eval "! grep -E '^(mmap|mprotect)\(' $S | grep -q 'PROT_WRITE|PROT_EXEC\|PROT_EXEC|PROT_WRITE'"
	grep -E '^open(at)?\(.*"/dev/' "$S" | grep -v '= -1 E' |
		grep -vE '"/dev/(null|zero|u?random)"' >"$T/devs"
	check "PrivateDevices: it opens no device node but /dev/null, zero, urandom" [ ! -s "$T/devs" ] ||
		sed 's/^/  opened: /' "$T/devs"
	check "ProtectSystem=strict: no write outside its runtime directory succeeded" \
		eval "! grep -E '(open(at)?\(.*(O_WRONLY|O_RDWR|O_CREAT))|^(mkdir|unlink|rmdir|rename|chmod|bind)\(' $S | \
			grep -v '= -1 E' | grep -v '\"$RUN' | grep -qvE '\"/dev/null\"|\"/proc/self/task/[0-9]+/comm\"|memfd'"
fi

# ---- DKMS --------------------------------------------------------------------------
KDIR=$(tests/vm/harness/kernel-env.sh --kdir 2>/dev/null)
KREL=$(tests/vm/harness/kernel-env.sh --krel 2>/dev/null)
if [ -z "$KDIR" ] || [ ! -d "$KDIR" ]; then
	not_ok "the guest kernel's headers (tests/vm/harness/kernel-env.sh --kdir)"
else
	for m in vdpa-accel:vdpa_accel virtio-accel:virtio_accel; do
		name=${m%%:*}; ko=${m#*:}
		mkdir -p "$T/dkms/$name"
		start=$(now_ms)
		dkms build -m "$name" -v "$VER" -k "$KREL" --kernelsourcedir "$KDIR" \
			--dkmstree "$T/dkms/$name" --sourcetree "$R/usr/src" \
			>"$T/dkms.$name" 2>&1
		f=$(find "$T/dkms/$name" -name "$ko.ko" | head -1)
		check "dkms build $name $VER for $KREL ($(( ($(now_ms) - start) / 1000 )) s): $ko.ko" \
			eval "[ -n '$f' ] || { tail -20 $T/dkms.$name; false; }"
		[ -n "$f" ] && check "$ko.ko vermagic is $KREL" \
			eval "modinfo -F vermagic $f | grep -q '^$KREL '"
	done
fi

# the DKMS-built modules in the 6.12 guest: loaded, serving; what the udev
# rules match on there, evaluated by tests/deploy/udev-match.py
VKO=$(find "$T/dkms/vdpa-accel" -name vdpa_accel.ko 2>/dev/null | head -1)
GKO=$(find "$T/dkms/virtio-accel" -name virtio_accel.ko 2>/dev/null | head -1)
if [ -n "$VKO" ] && [ -n "$GKO" ] &&
	guest_prog guest-driver/kernel/tests/vaccel_t.c "$T/vaccel-t" >"$T/gp.log" 2>&1; then
	for ko in "$VKO" "$GKO"; do
		m=${ko##*/}
		echo "${m%.ko} $(readelf -n "$ko" | sed -n 's/.*Build ID: *//p')"
	done >"$T/build-ids"
	tests/vm/harness/run-in-vm.sh --timeout "${GUEST_VM_TIMEOUT:-600}" \
		--ko "$VKO" --ko "$GKO" \
		--module gcm --module crc32c_generic --module deflate \
		--bin "$T/vaccel-t" tests/deploy/t-dkms-guest.sh "$T/build-ids" \
		"$R/lib/udev/rules.d/60-vdpa-accel.rules" \
		>"$T/guest.log" 2>&1
	rc=$?
	grep -E '^(ok|not ok|#|fact) ' "$T/guest.log" | tr -d '\r'
	count_results "$T/guest.log" $rc
	tr -d '\r' <"$T/guest.log" | $PY tests/deploy/udev-match.py \
		"$R"/lib/udev/rules.d/60-*.rules >"$T/udev" 2>&1
	sed 's/^/  udev: /' "$T/udev"
	check "udev rules (package) on the guest's facts: accel0's bind to vhost_vdpa runs the rule" \
		grep -q '^accel0 run=/bin/sh -c ' "$T/udev"
	check "udev rules: accel1's bind to virtio_vdpa runs nothing" \
		eval "! grep -q '^accel1 run=' $T/udev"
	check "udev rules (package): /dev/vaccel0 -> group vaccel, 0660" \
		grep -qx '/dev/vaccel0 group=vaccel mode=0660' "$T/udev"
	echo "fact vdpa9 kernel=vdpa9 subsystem=vdpa action=bind driver=vhost_vdpa devpath=/devices/pci0000:00/0000:00:05.0/vdpa9 kernels=vdpa9,0000:00:05.0,pci0000:00" |
		$PY tests/deploy/udev-match.py "$R"/lib/udev/rules.d/60-*.rules >"$T/udev2"
	check "udev rules: another parent's vDPA device bound to vhost_vdpa is left alone" \
		eval "! grep -q run= $T/udev2"
else
	not_ok "the DKMS-built modules and vaccel-t for the guest test"
	cat "$T/gp.log" 2>/dev/null
fi

# udev rules and modprobe.d examples ship with the DKMS packages
check "udev rules shipped: 60-vaccel.rules, 60-vdpa-accel.rules" \
	eval "[ -f $R/lib/udev/rules.d/60-vaccel.rules ] && [ -f $R/lib/udev/rules.d/60-vdpa-accel.rules ]"
check "sysusers.d creates group vaccel (named by the rules)" \
	eval "grep -q '^g vaccel ' $R/usr/lib/sysusers.d/*-dkms.conf && grep -q 'GROUP=\"vaccel\"' $R/lib/udev/rules.d/60-vaccel.rules"
check "modprobe.d examples shipped" \
	eval "[ -f $R/usr/share/doc/vdpa-accel-dkms/examples/vdpa-accel.conf ] && \
	[ -f $R/usr/share/doc/virtio-accel-dkms/examples/virtio-accel.conf ]"
summary
