#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Apply one device of a CDI spec (what `vaccel cdi generate` prints) to an
# OCI config.json, the way a CDI-aware engine (podman --device KIND=NAME,
# containerd with CDI) does: the spec's and the device's containerEdits'
# env appended to process.env, each mount a bind mount, each device node
# a linux.devices entry with its device-cgroup rule or, with --bind-nodes
# (the default when not run as root, as rootless engines do), a bind mount
# of the node. Needs jq.
#
#   cdi-apply.sh [--bind-nodes|--no-bind-nodes] SPEC KIND=NAME <config.json >new.json
set -eu
bind_nodes=0
[ "$(id -u)" -eq 0 ] || bind_nodes=1
while [ $# -gt 0 ]; do
	case $1 in
	--bind-nodes) bind_nodes=1; shift ;;
	--no-bind-nodes) bind_nodes=0; shift ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { sed -n '12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
spec=$1
kind=${2%%=*}
name=${2#*=}
command -v jq >/dev/null || { echo "cdi-apply: jq not found" >&2; exit 1; }
jq -e --arg k "$kind" --arg n "$name" \
	'.kind == $k and any(.devices[]; .name == $n)' "$spec" >/dev/null || {
	echo "cdi-apply: $spec has no device $kind=$name" >&2
	exit 1
}
jq --slurpfile spec "$spec" --arg n "$name" --argjson bind "$bind_nodes" '
	($spec[0]) as $s
	| [($s.containerEdits // {}), ($s.devices[] | select(.name == $n) | .containerEdits)] as $eds
	| reduce $eds[] as $e (.;
		.process.env += ($e.env // [])
		| .mounts += [($e.mounts // [])[] | {
			destination: .containerPath, source: .hostPath,
			type: (.type // "bind"), options: (.options // ["bind"]) }]
		| if $bind == 1 then
			.mounts += [($e.deviceNodes // [])[] | {
				destination: .path, source: (.hostPath // .path),
				type: "bind", options: ["bind", "rw", "nosuid", "noexec"] }]
		  else
			.linux.devices += [($e.deviceNodes // [])[] | {
				path: .path, type: (.type // "c"), major: .major,
				minor: .minor, fileMode: (.fileMode // 384),
				uid: (.uid // 0), gid: (.gid // 0) }]
			| .linux.resources.devices += [($e.deviceNodes // [])[] | {
				allow: true, type: (.type // "c"), major: .major,
				minor: .minor, access: (.permissions // "rwm") }]
		  end)'
