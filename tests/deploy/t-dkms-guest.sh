#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Payload (6.12 guest): the modules DKMS built from the packages' sources,
# loaded at boot by the harness (--ko), serve requests; and the facts the
# udev rules match on for /dev/vhost-vdpa-N and /dev/vaccelN, printed as
# "fact NODE kernel=K subsystem=S kernels=A,B,..." lines for the host's
# tests/deploy/udev-match.py. Started by tests/deploy/t-deploy.sh.
#
# /payload/build-ids: "MODULE BUILD_ID" of the DKMS-built .ko files
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

while read -r m id; do
	t "$m loaded is the DKMS build (build ID $id)" sh -c \
		"loaded_id() { od -An -v -tx1 /sys/module/$m/notes/.note.gnu.build-id | tr -d ' \\n'; };
		 case \$(loaded_id) in *$id) ;; *) exit 1 ;; esac"
done </payload/build-ids
vdpa_autoprobe 0
t "vdpa dev add accel0, bound to vhost_vdpa" vdpa_add accel0 vhost_vdpa
node=$(vhost_node accel0)
t "accel0 has a vhost-vdpa node ($node)" [ -n "$node" ]
t "vdpa dev add accel1, bound to virtio_vdpa" vdpa_add accel1 virtio_vdpa
t "/dev/vaccel0 appears" wait_for 10 /dev/vaccel0
t "SHA-256(\"abc\") through the DKMS virtio_accel and vdpa_accel" sh -c \
	"[ \"\$(vaccel-t /dev/vaccel0 sha256-str abc)\" = \
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ]"

# what udev sees: KERNEL, SUBSYSTEM, DRIVER and the KERNELS chain (the
# device and its parents: the directories of its path under /sys/devices)
fact() { # fact NAME SYSFSDIR [ACTION]
	p=$(readlink -f "$2")
	s=$(basename "$(readlink -f "$2/subsystem")")
	d=
	[ -e "$2/driver" ] && d=$(basename "$(readlink -f "$2/driver")")
	k=$(echo "${p#/sys/devices/}" | tr '/' '\n' | sed '1!G;h;$!d' | tr '\n' ,)
	echo "fact $1 kernel=${p##*/} subsystem=$s action=${3:-add} driver=$d devpath=${p#/sys} kernels=${k%,}"
}
# the node of vhost_vdpa has no subsystem: no uevent, nothing for udev
t "$node has no class and no bus (the kernel sends no uevent for it)" \
	sh -c "[ ! -e /sys/bus/vdpa/devices/accel0/${node#/dev/}/subsystem ]"
fact accel0 /sys/bus/vdpa/devices/accel0 bind
fact accel1 /sys/bus/vdpa/devices/accel1 bind
fact /dev/vaccel0 /sys/class/vaccel/vaccel0
t "the nodes are root-only 0600 before the rules" sh -c \
	"[ \"\$(stat -c %a $node)\" = 600 ] && [ \"\$(stat -c %a /dev/vaccel0)\" = 600 ]"

# 60-vdpa-accel.rules' RUN program, run as udev runs it for accel0's bind
# event (%p its devpath, $$ a '$'); the group exists as sysusers makes it
echo "vaccel:x:990:" >>/etc/group
devpath=$(readlink -f /sys/bus/vdpa/devices/accel0)
run=$(sed -n 's/.*RUN+="\(.*\)"$/\1/p' /payload/60-vdpa-accel.rules |
	sed "s|%p|${devpath#/sys}|g; s/[$][$]/$/g")
echo "# RUN: $run"
echo "$run" >/tmp/udev-run.sh
t "the rule's RUN program gives $node to group vaccel, mode 0660" sh -c \
	"sh /tmp/udev-run.sh && [ \"\$(stat -c '%G %a' $node)\" = 'vaccel 660' ]"
finish
