#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Data path 5 in a container (issue 15): crun on this host, as root with a
# user namespace (container root = host uid 100000, nothing else mapped),
# no capabilities, its own mount, PID, IPC, UTS and network namespaces,
# given only a DPDK back-end's vhost-user socket, through the CDI spec
# `vaccel cdi generate --socket` prints, applied by containers/cdi-apply.sh.
# Inside: the CLI and the OpenSSL provider against references made here
# (Python, sha256sum), nothing of the host's file system but the socket,
# a session of one container refused in another (two back-ends), SIGKILL
# of a container's init mid-request (the back-end serves the next one).
# Also the CDI spec checker (tests/cdi/cdi-check.py) on the spec and on
# broken copies of it.
#
#   tests/containers/t-host-container.sh [BUILD_DIR]     default: build
#
# crun refuses the cgroup "hybrid" layout this machine has (v1 controllers
# + cgroup2 at /sys/fs/cgroup/unified): crun runs in a private mount
# namespace with cgroup2 mounted on /sys/fs/cgroup, --cgroup-manager=disabled.
# Output ends "N passed, N failed"; 77 without crun, jq or user namespaces.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
for b in crun jq openssl unshare; do
	command -v $b >/dev/null || skip_all "$b missing (scripts/setup.sh installs crun and jq)"
done
[ "$(id -u)" -eq 0 ] || skip_all "needs root (crun with a user namespace)"
unshare -U -m -p -n -f true 2>/dev/null || skip_all "no user namespaces here"
test_tmpdir hostctr
chmod 755 "$T"
REF="$PY $TOP/tests/tools/ref.py"
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=cafebabefacedbaddecaf888
HID=100000
mkdir -p "$T/p"
for n in 0 4096 1048579; do
	$REF gen "$n" "$n" "$T/p/in.$n"
	$REF gcm-enc $KEY $IV "" "$T/p/in.$n" "$T/p/ct.$n"
	echo "$n $(sha256sum <"$T/p/in.$n" | cut -d' ' -f1) $($REF hmac $KEY "$T/p/in.$n")" >>"$T/p/refs"
done
chmod -R a+rX "$T/p"
guest_prog "$TOP/tests/vm/progs/vaccel_ctr.c" "$T/vaccel-ctr" "$B/libvirtaccel.a" -lpthread

# two back-ends, their sockets given to the container user only
mkdir -p "$T/b1" "$T/b2"
start_backend "$T/b1" || { not_ok "back-end 1 starts"; summary; exit 1; }
S1=$SOCK; P1=$BACKEND_PID; L1=$BACKEND_LOG
BACKEND_PID=
start_backend "$T/b2" || { not_ok "back-end 2 starts"; summary; exit 1; }
S2=$SOCK; P2=$BACKEND_PID
BACKEND_PID=
at_exit "kill $P1 $P2 2>/dev/null"
chown $HID:$HID "$S1" "$S2"
chmod 600 "$S1" "$S2"

# --- the CDI spec ---------------------------------------------------------------
V=$B/vaccel
"$V" cdi generate --no-probe --socket "accel0=$S1" --socket "accel1=$S2" >"$T/cdi.json" 2>"$T/cdi.err"
check "vaccel cdi generate --socket: exit 0" test -s "$T/cdi.json"
check "CDI spec valid (schema + loader rules), accel0 and accel1" \
	"$PY" "$TOP/tests/cdi/cdi-check.py" "$T/cdi.json" --kind vaccel.dev/accel --want accel0 accel1
check "accel0: VACCEL_DEVICE=vhost-user:/run/vaccel/accel0.sock, the socket bind-mounted there" \
	sh -c "[ \"\$(jq -r '.devices[0].containerEdits | .env[0] + \" \" + .mounts[0].hostPath + \" \" + .mounts[0].containerPath' '$T/cdi.json')\" = 'VACCEL_DEVICE=vhost-user:/run/vaccel/accel0.sock $S1 /run/vaccel/accel0.sock' ]"
check "--socket to a non-socket: exit 1, nothing on stdout" \
	sh -c "! '$V' cdi generate --no-probe --socket x=$T/p/refs >'$T/bad.out' 2>/dev/null && [ ! -s '$T/bad.out' ]"
check "--socket with a name CDI refuses (-x): exit 1" \
	sh -c "! '$V' cdi generate --no-probe --socket '-x=$S1' >/dev/null 2>&1"
# the checker fails on broken specs (it is not a rubber stamp)
bad() { # bad WHAT JQ
	jq "$2" "$T/cdi.json" >"$T/broken.json"
	check "cdi-check refuses a spec with $1" sh -c \
		"! '$PY' '$TOP/tests/cdi/cdi-check.py' '$T/broken.json' >/dev/null"
}
bad "no kind" 'del(.kind)'
bad "kind without a class" '.kind = "vaccel.dev"'
bad "a device name starting with '-'" '.devices[0].name = "-accel"'
bad "two devices of one name" '.devices[1].name = "accel0"'
bad "an unknown field" '.devices[0].containerEdits.bogus = 1'
bad "a relative containerPath" '.devices[0].containerEdits.mounts[0].containerPath = "run/x"'
bad "a device without containerEdits (schema)" 'del(.devices[0].containerEdits)'
bad "env not NAME=VALUE" '.devices[0].containerEdits.env = ["VACCEL_DEVICE"]'

# --- the containers -----------------------------------------------------------
R=$T/rootfs
sh "$TOP/containers/mkrootfs.sh" "$R" \
	"$V=/usr/local/bin/vaccel" "$B/libvirtaccel.so.1=/usr/local/lib/libvirtaccel.so.1" \
	"$T/vaccel-ctr=/usr/local/bin/vaccel-ctr" "$(command -v openssl)=/usr/local/bin/openssl" \
	"$B/vaccelprov.so=/usr/local/lib/ossl-modules/vaccelprov.so" \
	/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libssl.so.3 \
	/lib/x86_64-linux-gnu/libcrypto.so.3 /lib64/ld-linux-x86-64.so.2
mkdir -p "$R/payload" "$T/state"
n=0
# ctr_config DEVNAME CMD: a bundle $BUN, container id $CID
ctr_config() {
	n=$((n + 1))
	CID=hc$$-$n
	BUN=$T/$CID
	mkdir -p "$BUN"
	sh "$TOP/containers/oci-config.sh" --rootfs "$R" --uid $HID --gid $HID \
		-- /bin/sh -c "$2" >"$BUN/base.json" &&
		sh "$TOP/containers/cdi-apply.sh" "$T/cdi.json" "vaccel.dev/accel=$1" \
			<"$BUN/base.json" |
		jq --arg p "$T/p" '.mounts += [{destination: "/payload", type: "bind", source: $p, options: ["rbind", "ro"]}] | .process.cwd = "/payload"' \
			>"$BUN/config.json"
}
crun_() {
	# shellcheck disable=SC2016 # $0 and $@ of the inner shell
	unshare -m --propagation private sh -c \
		'mount -t cgroup2 none /sys/fs/cgroup && exec crun --cgroup-manager=disabled --root "$0" "$@"' \
		"$T/state" "$@"
}
ctr() { # ctr DEVNAME CMD
	ctr_config "$1" "$2" || return 1
	crun_ run --bundle "$BUN" "$CID"
}
ref() { sed -n "s/^$1 //p" "$T/p/refs" | cut -d' ' -f"$2"; }
OSSL="openssl dgst -provider-path /usr/local/lib/ossl-modules -provider vaccelprov -provider default -propquery provider=vaccelprov"

check "container: root is host uid $HID only, no capabilities, own PID and network namespaces" ctr accel0 \
	"[ \"\$(tr -s ' ' </proc/self/uid_map)\" = ' 0 $HID 1' ] && grep -q '^CapEff:.0000000000000000' /proc/self/status && [ \"\$(cat /proc/1/comm)\" = sh ] && [ \"\$(ls /proc | grep -c '^[0-9]')\" -lt 10 ] && [ \"\$(grep -c : /proc/net/dev)\" = 1 ]"
check "container: only the socket in /run/vaccel, the host's back-end directories absent" ctr accel0 \
	"[ \"\$(ls /run/vaccel)\" = accel0.sock ] && [ ! -e '$T' ] && [ ! -e /dev/vhost-vdpa-0 ]"
for s in 0 4096 1048579; do
	check "container: vaccel hash sha256 $s B = sha256sum" ctr accel0 \
		"[ \"\$(vaccel hash \$VACCEL_DEVICE --alg sha256 in.$s | cut -d' ' -f1)\" = $(ref $s 1) ]"
	check "container: vaccel hmac sha256 $s B = Python hmac" ctr accel0 \
		"[ \"\$(vaccel hmac \$VACCEL_DEVICE --alg sha256 --key $KEY in.$s | cut -d' ' -f1)\" = $(ref $s 2) ]"
done
check "container: vaccel encrypt aes-256-gcm 1048579 B = cryptography's" ctr accel0 \
	"vaccel encrypt \$VACCEL_DEVICE --alg aes-256-gcm --key $KEY --iv $IV in.1048579 /tmp/ct && cmp /tmp/ct ct.1048579"
r0=$(grep -c . "$L1")
check "container: openssl dgst -provider vaccelprov 1048579 B = sha256sum" ctr accel0 \
	"[ \"\$($OSSL -sha256 -r in.1048579 | cut -d' ' -f1)\" = $(ref 1048579 1) ]"
check "... served by back-end 1 (its log grew: a connection)" test "$(grep -c . "$L1")" -gt "$r0"

# sessions: A on accel0 holds one; B on accel1 is refused it
ctr_config accel0 "exec vaccel-ctr session \$VACCEL_DEVICE"
A=$CID
crun_ run --bundle "$BUN" "$A" >"$T/a.out" 2>&1 &
AP=$!
check "isolation: container A made a session on back-end 1 and used it" wait_line 20 "$T/a.out" 'id='
id=$(sed -n 's/^id=//p' "$T/a.out")
check "isolation: container B on back-end 2 is refused session $id" ctr accel1 \
	"vaccel-ctr use \$VACCEL_DEVICE $id"
crun_ kill "$A" KILL
wait "$AP"
crun_ delete -f "$A" 2>/dev/null

# SIGKILL of the container's init mid-request
ctr_config accel0 "exec vaccel bench \$VACCEL_DEVICE --op sha256 --size 262144 --depth 16 --seconds 60"
K=$CID
crun_ run --bundle "$BUN" "$K" >"$T/k.out" 2>&1 &
KP=$!
sleep 3
check "kill: container running requests (its init is vaccel bench)" crun_ state "$K"
check "kill: crun kill KILL" crun_ kill "$K" KILL
wait "$KP"
crun_ delete -f "$K" 2>/dev/null
check "kill: back-end 1 still up" kill -0 "$P1"
check "kill: the next container's sha256 1048579 B is right" ctr accel0 \
	"[ \"\$(vaccel hash \$VACCEL_DEVICE --alg sha256 in.1048579 | cut -d' ' -f1)\" = $(ref 1048579 1) ]"
check "back-end logs: no sanitizer report" sh -c "! grep -qE '$SAN_RE' '$L1'"
summary
