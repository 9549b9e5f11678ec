#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) of tests/vm/host/t-container-run.sh: rootless
# crun containers on data paths 4 (/dev/vhost-vdpa-N) and 3 (/dev/vaccelN).
# Two users (ctra 1000, ctrb 1001), four vDPA devices of vdpa_accel: cva
# and cvb on vhost_vdpa, cvc and cvd on virtio_vdpa. `vaccel cdi generate`
# describes them (the spec goes to the host between CDI-SPEC-BEGIN/END);
# every container gets its device through containers/cdi-apply.sh from
# that spec, in a config from containers/oci-config.sh, a busybox root
# with the CLI, openssl, the provider and vaccel-ctr. Inside: CLI and
# provider results against the host's references (in /payload), the
# device's request counter moving, no other device reachable, sessions of
# one container refused in the other, SIGKILL of the container's init mid
# request, RLIMIT_MEMLOCK too small (error text) and VACCEL_MEM_SIZE, the
# pinned pool in the container's memory cgroup.
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
# shellcheck disable=SC1091 # written by cli-refs.sh
. /payload/cli.env
cd /payload || exit 1
KIND=vaccel.dev/accel
R=/tmp/ctr
ROOTFS=$R/rootfs
CG=/sys/fs/cgroup

# --- the machine: users, cgroup v2, devices ----------------------------------
chmod 755 / /bin /usr /usr/local /usr/local/bin /usr/local/lib /payload
echo 'ctra:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd
echo 'ctrb:x:1001:1001::/tmp:/bin/sh' >>/etc/passwd
printf 'ctra:x:1000:\nctrb:x:1001:\n' >>/etc/group
t "cgroup2 mounted" mount -t cgroup2 none $CG
echo +memory >$CG/cgroup.subtree_control
mkdir -p $CG/vaccel/launch
echo +memory >$CG/vaccel/cgroup.subtree_control
chown -R 1000:1000 $CG/vaccel		# delegated to ctra
# the users' hard limit; each container sets its own soft = hard
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l 262144

t "vdpa mgmtdev vdpa_accel is registered" sh -c 'vdpa mgmtdev show | grep -q vdpa_accel'
vdpa_autoprobe 0
for d in cva cvb cvc cvd; do
	t "vdpa dev add $d" vdpa dev add name $d mgmtdev vdpa_accel
done
before=$(ls /dev/vaccel* 2>/dev/null)
t "cva, cvb bound to vhost_vdpa" sh -c '. /usr/lib/vaccel/guest-lib.sh; bind cva vhost_vdpa && bind cvb vhost_vdpa'
t "cvc bound to virtio_vdpa" bind cvc virtio_vdpa
VC=$(new_vaccel 5 "$before")
t "cvd bound to virtio_vdpa" bind cvd virtio_vdpa
VD=$(new_vaccel 5 "$before $VC")
vdpa_autoprobe 1
VA=$(vhost_node cva)
VB=$(vhost_node cvb)
t "nodes: $VA $VB $VC $VD" sh -c "[ -c '$VA' ] && [ -c '$VB' ] && [ -c '$VC' ] && [ -c '$VD' ]"
NC=${VC#/dev/}
ND=${VD#/dev/}
# each user owns two devices; the others stay root's 0600
chown 1000 "$VA" "$VC"
chown 1001 "$VB" "$VD"

# --- the CDI spec ---------------------------------------------------------------
vaccel cdi generate >$R.cdi.json 2>$R.cdi.err
t "vaccel cdi generate: exit 0" test -s $R.cdi.json
echo CDI-SPEC-BEGIN
cat $R.cdi.json
echo CDI-SPEC-END
cdi_is() { # cdi_is NAME ENV NODE
	[ "$(jq -r --arg n "$1" '.devices[] | select(.name == $n) | .containerEdits | .env[0] + " " + .deviceNodes[0].path' "$R.cdi.json")" = "VACCEL_DEVICE=$2 $3" ]
}
t "cdi: cva -> vhost-vdpa:$VA" cdi_is cva "vhost-vdpa:$VA" "$VA"
t "cdi: cvb -> vhost-vdpa:$VB" cdi_is cvb "vhost-vdpa:$VB" "$VB"
t "cdi: $NC -> $VC" cdi_is "$NC" "$VC" "$VC"
t "cdi: $ND -> $VD" cdi_is "$ND" "$VD" "$VD"
t "cdi: 4 devices, nothing else" sh -c "[ \"\$(jq '.devices | length' $R.cdi.json)\" = 4 ]"

# --- the containers' root -----------------------------------------------------
mkdir -p $R
chmod 755 $R
sh /payload/mkrootfs.sh $ROOTFS \
	/usr/local/bin/vaccel /usr/local/bin/vaccel-ctr /usr/local/bin/openssl \
	/usr/local/lib/libvirtaccel.so.1 \
	/usr/local/lib/ossl-modules/vaccelprov.so \
	/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libssl.so.3 \
	/lib/x86_64-linux-gnu/libcrypto.so.3 /lib64/ld-linux-x86-64.so.2
mkdir -p $ROOTFS/payload $ROOTFS/run $R/state-ctra $R/state-ctrb
chown ctra:ctra $R/state-ctra
chown ctrb:ctrb $R/state-ctrb
n_ctr=0

# ctr USER DEVNAME [oci-config.sh options] -- CMD: run sh -c CMD in a new
# container of USER with CDI device DEVNAME; /payload bound read-only
ctr_config() {
	u=$1; dn=$2; shift 2
	uid=$(id -u "$u")
	n_ctr=$((n_ctr + 1))
	CID=c$n_ctr
	BUN=$R/$CID
	mkdir -p "$BUN"
	opts=""
	while [ "$1" != -- ]; do
		opts="$opts $1"
		shift
	done
	# shellcheck disable=SC2086 # options without blanks
	sh /payload/oci-config.sh --rootfs $ROOTFS --uid "$uid" --gid "$uid" \
		--memlock 134217728 $opts -- /bin/sh -c "$2" >"$BUN/base.json" &&
		sh /payload/cdi-apply.sh --bind-nodes $R.cdi.json "$KIND=$dn" \
			<"$BUN/base.json" >"$BUN/c.json" &&
		jq '.mounts += [{destination: "/payload", type: "bind", source: "/payload", options: ["rbind", "ro"]}] | .process.cwd = "/payload"' \
			"$BUN/c.json" >"$BUN/config.json"
	chown -R "$uid:$uid" "$BUN"
}
ctr() {
	ctr_config "$@" || return 1
	su -s /bin/sh "$u" -c "crun --root $R/state-$u run --no-pivot --bundle $BUN $CID"
}
# ctr_cg ...: ctr, started from ctra's delegated $CG/vaccel/launch (a
# process may only move to a cgroup whose common ancestor with its own it
# can write: root puts the launcher there, crun moves the container on)
ctr_cg() {
	ctr_config "$@" || return 1
	sh -c "echo \$\$ >$CG/vaccel/launch/cgroup.procs && exec su -s /bin/sh $u -c 'crun --root $R/state-$u run --no-pivot --bundle $BUN $CID'"
}

# --- one container per data path: CLI, provider, confinement -------------------
OSSL="openssl dgst -provider-path /usr/local/lib/ossl-modules -provider vaccelprov -provider default -propquery provider=vaccelprov"
req() { cat /sys/bus/vdpa/devices/"$1"/requests; }
suite() { # suite USER DEVNAME DEVSTR SYSDEV OTHER-NODES...
	U=$1; DN=$2; DS=$3; SD=$4; shift 4
	L="container $U on $DN"
	t "$L: uid 0 is $U, no capabilities, own namespaces" ctr "$U" "$DN" -- \
		"cat /proc/self/uid_map; grep Cap /proc/self/status; ls /proc | grep '^[0-9]' | tr '\\n' ' '; cat /proc/1/comm /proc/net/dev; grep -q '^CapEff:.0000000000000000' /proc/self/status && grep -q '^CapBnd:.0000000000000000' /proc/self/status && [ \"\$(cat /proc/self/uid_map | tr -s ' ')\" = ' 0 $(id -u "$U") 1' ] && [ \"\$(cat /proc/1/comm)\" = sh ] && [ \"\$(ls /proc | grep -c '^[0-9]')\" -lt 10 ] && [ \"\$(grep -c : /proc/net/dev)\" = 1 ]"
	t "$L: VACCEL_DEVICE=$DS from the CDI spec" ctr "$U" "$DN" -- "[ \"\$VACCEL_DEVICE\" = '$DS' ]"
	sizes=$(cut -d' ' -f1 sha.ref | tr '\n' ' ')
	[ -z "$SHORT" ] || sizes=4096
	while read -r s ref; do
		case " $sizes " in *" $s "*) ;; *) continue ;; esac
		t "$L: vaccel hash sha256 $s B = sha256sum (host)" ctr "$U" "$DN" -- \
			"[ \"\$(vaccel hash \$VACCEL_DEVICE --alg sha256 in.$s | cut -d' ' -f1)\" = $ref ]"
	done <sha.ref
	while read -r s ref; do
		case " $sizes " in *" $s "*) ;; *) continue ;; esac
		t "$L: vaccel hmac sha256 $s B = Python hmac (host)" ctr "$U" "$DN" -- \
			"[ \"\$(vaccel hmac \$VACCEL_DEVICE --alg sha256 --key $KEY in.$s | cut -d' ' -f1)\" = $ref ]"
	done <hmac.ref
	t "$L: vaccel decompress of Python's raw DEFLATE 1048579 B = the input" ctr "$U" "$DN" -- \
		"vaccel decompress \$VACCEL_DEVICE z.1048579 /tmp/o && cmp /tmp/o in.1048579"
	r0=$(req "$SD")
	t "$L: openssl dgst -provider vaccelprov -sha256 1048579 B = sha256sum (host)" ctr "$U" "$DN" -- \
		"[ \"\$($OSSL -sha256 -r in.1048579 | cut -d' ' -f1)\" = $(sed -n 's/^1048579 //p' sha.ref) ]"
	t "$L: ... and the provider's requests reached $SD ($r0 -> $(req "$SD"))" \
		test "$(req "$SD")" -gt "$r0"
	for o in "$@"; do
		case $o in /dev/vhost-vdpa-*) ods=vhost-vdpa:$o ;; *) ods=$o ;; esac
		t "$L: $o is not reachable (open fails: ENOENT)" ctr "$U" "$DN" -- \
			"! vaccel info $ods 2>/tmp/e; cat /tmp/e; grep -q 'cannot open device: No such file or directory' /tmp/e && ! cat $o 2>/dev/null"
	done
	t "$L: mknod refused (no CAP_MKNOD, nodev)" ctr "$U" "$DN" -- \
		"! mknod /tmp/x c $(stat -c '%t %T' "$1" | awk '{ printf "%d %d", "0x" $1, "0x" $2 }') 2>/dev/null"
	t "$L: only its own accelerator node in /dev" ctr "$U" "$DN" -- \
		"[ \"\$(ls /dev | grep -E '^(vhost-vdpa|vaccel)')\" = '${DS##*/}' ]"
}
SHORT=
suite ctra cva "vhost-vdpa:$VA" cva "$VB" "$VC" "$VD"
suite ctra "$NC" "$VC" cvc "$VA" "$VB" "$VD"
SHORT=1		# the second user: the same, one size
suite ctrb cvb "vhost-vdpa:$VB" cvb "$VA" "$VC" "$VD"

# --- isolation: a session of one container is nothing in another ---------------
# iso DEVA(user ctra) DEVB(user ctrb) LABEL
iso() {
	ctr_config ctra "$1" -- "vaccel-ctr session \$VACCEL_DEVICE" || return 1
	A=$CID
	su -s /bin/sh ctra -c "crun --root $R/state-ctra run --no-pivot --bundle $BUN $A" >$R/$A.out 2>&1 &
	AP=$!
	t "$3: container A made a session and used it" wait_line 30 $R/$A.out 'id='
	id=$(sed -n 's/^id=//p' $R/$A.out)
	t "$3: container B on $2 is refused session $id of A" ctr ctrb "$2" -- \
		"vaccel-ctr use \$VACCEL_DEVICE $id"
	t "$3: B cannot see A's processes" ctr ctrb "$2" -- \
		"! grep -x vaccel-ctr /proc/[0-9]*/comm"
	su -s /bin/sh ctra -c "crun --root $R/state-ctra kill $A KILL"
	wait $AP
	su -s /bin/sh ctra -c "crun --root $R/state-ctra delete -f $A" 2>/dev/null
}
iso cva cvb "path 4"
t "path 4: no session left on cva" wait_val 10 /sys/bus/vdpa/devices/cva/sessions 0
# path 3: ctrb gets cvd; the sessions live in virtio_accel.ko per file
iso "$NC" "$ND" "path 3"
t "path 3: no session left on cvc" wait_val 10 /sys/bus/vdpa/devices/cvc/sessions 0

# --- SIGKILL of a container's init in the middle of requests -------------------
# killed DEVNAME SYSDEV DEVSTR LABEL
killed() {
	ctr_config ctra "$1" -- "exec vaccel bench \$VACCEL_DEVICE --op sha256 --size 262144 --depth 16 --seconds 60" || return 1
	K=$CID
	su -s /bin/sh ctra -c "crun --root $R/state-ctra run --no-pivot --bundle $BUN $K" >$R/$K.out 2>&1 &
	KP=$!
	r0=$(req "$2")
	t "$4: requests flowing in the container ($r0 -> ...)" wait_until 30 sh -c "[ \$(cat /sys/bus/vdpa/devices/$2/requests) -gt \$(( $r0 + 50 )) ]"
	t "$4: crun kill KILL of its init" su -s /bin/sh ctra -c "crun --root $R/state-ctra kill $K KILL"
	wait $KP
	su -s /bin/sh ctra -c "crun --root $R/state-ctra delete -f $K" 2>/dev/null
	t "$4: no session left on $2" wait_val 15 "/sys/bus/vdpa/devices/$2/sessions" 0
	t "$4: the next container's sha256 1048579 B is right" ctr ctra "$1" -- \
		"[ \"\$(vaccel hash \$VACCEL_DEVICE --alg sha256 in.1048579 | cut -d' ' -f1)\" = $(sed -n 's/^1048579 //p' sha.ref) ]"
}
killed cva cva "vhost-vdpa:$VA" "path 4 kill"
killed "$NC" cvc "$VC" "path 3 kill"

# --- RLIMIT_MEMLOCK and the pool size (path 4 pins the pool) --------------------
t "memlock 8 MiB: vaccel names the limit, the value and VACCEL_MEM_SIZE" ctr ctra cva --memlock 8388608 -- \
	"! vaccel info \$VACCEL_DEVICE 2>/tmp/e; cat /tmp/e; grep -q 'Cannot allocate memory: vhost-vdpa pins .*RLIMIT_MEMLOCK is 8388608 bytes, 67[0-9]* needed (ulimit -l 6[0-9]*); or a smaller pool: VACCEL_MEM_SIZE=' /tmp/e"
t "memlock 8 MiB: the provider's error names it too" ctr ctra cva --memlock 8388608 -- \
	"$OSSL -sha256 in.4096 2>&1 | tee /tmp/e; grep -q 'RLIMIT_MEMLOCK is 8388608 bytes' /tmp/e"
t "memlock 8 MiB, VACCEL_MEM_SIZE=3M: sha256 1048579 B right" ctr ctra cva --memlock 8388608 --env VACCEL_MEM_SIZE=3M -- \
	"[ \"\$(vaccel hash \$VACCEL_DEVICE --alg sha256 in.1048579 | cut -d' ' -f1)\" = $(sed -n 's/^1048579 //p' sha.ref) ]"
t "memlock 8 MiB, VACCEL_MEM_SIZE=3M: openssl -provider vaccelprov right" ctr ctra cva --memlock 8388608 --env VACCEL_MEM_SIZE=3M -- \
	"[ \"\$($OSSL -sha256 -r in.1048579 | cut -d' ' -f1)\" = $(sed -n 's/^1048579 //p' sha.ref) ]"
t "VACCEL_MEM_SIZE=100K: below what the queues need, said so" ctr ctra cva --env VACCEL_MEM_SIZE=100K -- \
	"! vaccel info \$VACCEL_DEVICE 2>/tmp/e; cat /tmp/e; grep -q 'shared memory of 102400 bytes is below the' /tmp/e"
t "memlock 8 MiB on /dev/vaccelN (nothing pinned by the library): works" ctr ctra "$NC" --memlock 8388608 -- \
	"vaccel info \$VACCEL_DEVICE"

# --- the pinned pool and the container's memory cgroup --------------------------
ctr_cg ctra cva --cgroup /vaccel/m2 -- "grep '^0::' /proc/self/cgroup; vaccel-ctr hold \$VACCEL_DEVICE" >$R/memcg.out 2>&1
sed 's/^/# /' $R/memcg.out
t "memcg: the container ran in $CG/vaccel/m2 (delegated to ctra)" grep -q '^0::/vaccel/m2' $R/memcg.out
# shellcheck disable=SC2046 # the numbers
set -- $(grep '^pin ' $R/memcg.out) 
t "memcg: VmPin grew by the 64 MiB pool ($2 -> $3)" test "$(( ${3:-0} - ${2:-0} ))" -ge 67108864
t "memcg: memory.current of the container's cgroup grew by >= 60 MiB ($5 -> $6)" \
	test "$(( ${6:-0} - ${5:-0} ))" -ge 62914560
t "memcg: as anon memory ($8 -> $9)" test "$(( ${9:-0} - ${8:-0} ))" -ge 62914560
# the kernel's own memory for the open (vhost-vdpa, IOTLB, the parent):
# reported, not checked
echo "# memcg: memory.stat kernel ${11:-?} -> ${12:-?} bytes"

# shellcheck disable=SC2016 # $d is the inner shell's
t "vdpa dev del cva cvb cvc cvd" sh -c 'for d in cva cvb cvc cvd; do vdpa dev del $d || exit 1; done'
finish
