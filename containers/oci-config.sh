#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Write a rootless OCI runtime config.json (runtime-spec 1.0) for one
# virtio-accel device: the container gets its own user, mount, PID, IPC,
# UTS and network namespaces, no capabilities, no_new_privs, a read-only
# root and, of the host's devices, only the runtime's defaults (null, zero,
# full, random, urandom, tty) and the ones given with --device. The
# caller's uid and gid become 0 inside (one id mapped: no newuidmap needed).
# POSIX sh with busybox applets only, so it runs in the test guest too.
#
#   oci-config.sh [options] -- CMD [ARG...]  > config.json
#     --rootfs DIR        the root (default "rootfs", relative to the bundle)
#     --device PATH       a character device to pass (repeatable), bind-mounted
#                         at the same path
#     --env NAME=VALUE    (repeatable)
#     --bind SRC:DST      a bind mount, read-write (repeatable; e.g. a socket)
#     --memlock BYTES     RLIMIT_MEMLOCK (soft = hard) of the container
#     --cgroup PATH       cgroupsPath (cgroup v2, delegated to the caller)
#     --uid N --gid N     the ids mapped to 0 (default: the caller's)
#     --hostname NAME     (default vaccel-ctr)
set -eu

usage() {
	sed -n '12,22s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

rootfs=rootfs
devices=""
envs=""
binds=""
memlock=""
cgroup=""
uid=$(id -u)
gid=$(id -g)
host=vaccel-ctr
NL='
'
while [ $# -gt 0 ]; do
	case $1 in
	--rootfs) rootfs=$2; shift 2 ;;
	--device) devices="$devices$2$NL"; shift 2 ;;
	--env) envs="$envs$2$NL"; shift 2 ;;
	--bind) binds="$binds$2$NL"; shift 2 ;;
	--memlock) memlock=$2; shift 2 ;;
	--cgroup) cgroup=$2; shift 2 ;;
	--uid) uid=$2; shift 2 ;;
	--gid) gid=$2; shift 2 ;;
	--hostname) host=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage

# a JSON string (the values used here have no control characters)
js() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# js_list ITEMS (newline-separated): a JSON array of strings
js_list() {
	sep=""
	printf '['
	printf '%s' "$1" | while IFS= read -r x; do
		printf '%s%s' "$sep" "$(js "$x")"
		sep=", "
	done
	printf ']'
}

args=""
for a in "$@"; do
	args="$args$a$NL"
done
env_all="PATH=/usr/local/bin:/usr/bin:/bin${NL}HOME=/root${NL}TERM=dumb${NL}LD_LIBRARY_PATH=/usr/local/lib$NL$envs"

# Each device is bind-mounted from the caller's /dev, as rootless runtimes
# do where they cannot mknod (and crun 1.8.1, Debian 12's, fails on
# linux.devices as non-root: see README.md); linux.devices stays empty.
for d in $(printf '%s' "$devices"); do
	[ -c "$d" ] || { echo "oci-config: $d: not a character device" >&2; exit 1; }
	binds="$binds$d:$d$NL"
done

bind_json=""
for b in $(printf '%s' "$binds"); do
	bind_json="$bind_json,
		{ \"destination\": $(js "${b#*:}"), \"type\": \"bind\", \"source\": $(js "${b%%:*}"), \"options\": [\"bind\", \"rw\", \"nosuid\", \"noexec\"] }"
done

rlimits='{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }'
[ -z "$memlock" ] ||
	rlimits="$rlimits, { \"type\": \"RLIMIT_MEMLOCK\", \"hard\": $memlock, \"soft\": $memlock }"
cg=""
[ -z "$cgroup" ] || cg="\"cgroupsPath\": $(js "$cgroup"),"
nocaps='[]'

cat <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": $(js_list "$args"),
		"env": $(js_list "$env_all"),
		"cwd": "/",
		"capabilities": { "bounding": $nocaps, "effective": $nocaps,
			"inheritable": $nocaps, "permitted": $nocaps, "ambient": $nocaps },
		"rlimits": [ $rlimits ],
		"noNewPrivileges": true
	},
	"root": { "path": $(js "$rootfs"), "readonly": true },
	"hostname": $(js "$host"),
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
		{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		  "options": ["nosuid", "nodev", "mode=1777"] },
		{ "destination": "/run", "type": "tmpfs", "source": "tmpfs",
		  "options": ["nosuid", "nodev", "mode=755"] },
		{ "destination": "/sys", "type": "none", "source": "/sys",
		  "options": ["rbind", "nosuid", "noexec", "nodev", "ro"] }$bind_json
	],
	"linux": {
		$cg
		"uidMappings": [ { "containerID": 0, "hostID": $uid, "size": 1 } ],
		"gidMappings": [ { "containerID": 0, "hostID": $gid, "size": 1 } ],
		"namespaces": [ { "type": "user" }, { "type": "mount" }, { "type": "pid" },
			{ "type": "network" }, { "type": "ipc" }, { "type": "uts" } ],
		"maskedPaths": [ "/proc/kcore", "/proc/keys", "/proc/timer_list",
			"/sys/firmware", "/sys/kernel/debug" ],
		"readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
			"/proc/sysrq-trigger" ]
	}
}
JSON
