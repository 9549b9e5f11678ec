# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
#
# tests/vm/guest/guest-lib.sh: the helpers of every guest script (busybox
# sh). tests/vm/harness/mkinitramfs.sh puts it into every initramfs at
# /usr/lib/vaccel/guest-lib.sh; a guest script starts with
#
#   # shellcheck source=tests/vm/guest/guest-lib.sh
#   . /usr/lib/vaccel/guest-lib.sh
#
# Results (numbered; the last line is finish's "N passed, N failed", which
# the host side counts):
#   t NAME CMD...           one check: "ok N - NAME" or "not ok N - NAME"
#                           followed by CMD's output (stdout and stderr,
#                           "#   " in front, the first VT_SHOW=40 lines;
#                           of a passing check the first VT_SHOW_OK=0);
#                           the output of the last check stays in $VT_OUT
#   ok MSG / not_ok MSG     a numbered result without a command
#   skip MSG                "# skip: MSG" (not counted)
#   finish                  "N passed, N failed"; exits 0 when nothing
#                           failed, 1 otherwise
#   finish_as LABEL         the same as "LABEL: N passed, N failed"
#   VT_N, VT_FAILED         checks so far, failed so far
#
# Waiting: TIMEOUT is in whole seconds, always an argument (polled every
# 0.1 s); each prints why on a timeout and returns 1:
#   wait_until TIMEOUT CMD...       until CMD succeeds
#   wait_for TIMEOUT PATH [gone]    until PATH exists (or is gone)
#   wait_val TIMEOUT FILE VALUE     until FILE (a sysfs counter) reads VALUE
#   wait_line TIMEOUT FILE TEXT     until FILE (a background job's output)
#                                   has a line with TEXT (grep)
#
# vDPA devices of vdpa_accel:
#   vdpa_autoprobe 0|1              drivers_autoprobe of the vdpa bus (0: a
#                                   new device stays unbound until bind)
#   vdpa_add NAME [DRIVER]          vdpa dev add name NAME mgmtdev
#                                   vdpa_accel, then bind NAME DRIVER
#   vdpa_del NAME                   vdpa dev del NAME
#   bind NAME DRIVER                bind vDPA device NAME to DRIVER
#                                   (vhost_vdpa, virtio_vdpa), unbinding it
#                                   first from another driver; 0 if bound
#   unbind NAME                     unbind it from its driver, if any
#   vhost_node NAME                 prints /dev/vhost-vdpa-N of NAME (bound
#                                   to vhost_vdpa); 1 if it has none
#   driver_of SYSFS_DEVICE          prints the name of its driver; 1 if none
#   pci_dev VENDOR DEVICE           prints the first /sys/bus/pci/devices/*
#                                   with these ids (0x1af4 0x1078); 1 if none
#   new_vaccel TIMEOUT BEFORE       prints a /dev/vaccelN that is not in
#                                   BEFORE (what `ls /dev/vaccel*` printed
#                                   before a device was bound to
#                                   virtio_vdpa), waiting for it; 1 if none
#   crypto_settled TIMEOUT          until the crypto manager has finished
#                                   its self-tests of every algorithm of
#                                   virtio_accel.ko in /proc/crypto (they
#                                   run in the background after a device
#                                   registers them; removing the last
#                                   device under them fails them, and
#                                   testmgr WARNs); 1 on a timeout
#
# Kernel log:
#   no_splat FILE                   0 when FILE (a dmesg) has no
#                                   WARN/BUG/Oops/... line (the patterns of
#                                   the harness, VT_SPLAT); else prints the
#                                   matches with context and returns 1

VT_N=0
VT_FAILED=0
VT_SHOW=${VT_SHOW:-40}
VT_SHOW_OK=${VT_SHOW_OK:-0}
VT_OUT=/tmp/vt.out
# The kernel splat patterns; tests/vm/harness/run-in-vm.sh reads this line
# (one definition for the host's scan and the guests' own).
VT_SPLAT='WARNING:|BUG:|kernel BUG|Oops|general protection fault|Kernel panic|refcount_t:|UBSAN:|KASAN:|KFENCE:|KMSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_.*stall|list_(add|del) corruption|unreferenced object|Unable to handle|stack-protector|BAD page'

# ---- results -----------------------------------------------------------------------
ok() {
	VT_N=$((VT_N + 1))
	echo "ok $VT_N - $*"
}

not_ok() {
	VT_N=$((VT_N + 1))
	VT_FAILED=$((VT_FAILED + 1))
	echo "not ok $VT_N - $*"
}

skip() { echo "# skip: $*"; }

t() { # t NAME CMD...
	_vt_name=$1
	shift
	if "$@" >$VT_OUT 2>&1; then
		ok "$_vt_name"
		[ "$VT_SHOW_OK" -eq 0 ] ||
			sed 's/^/#   /' $VT_OUT | head -n "$VT_SHOW_OK"
	else
		not_ok "$_vt_name"
		sed 's/^/#   /' $VT_OUT | head -n "$VT_SHOW"
	fi
}

finish_as() { # finish_as LABEL ("" for none)
	echo "${1:+$1: }$((VT_N - VT_FAILED)) passed, $VT_FAILED failed"
	[ $VT_FAILED -eq 0 ]
	exit $?
}

finish() { finish_as ""; }

# ---- waiting -----------------------------------------------------------------------
wait_until() { # wait_until TIMEOUT CMD...
	_vt_i=$(($1 * 10))
	shift
	until "$@"; do
		[ $_vt_i -gt 0 ] || return 1
		_vt_i=$((_vt_i - 1))
		sleep 0.1
	done
}

_vt_exists() { [ -e "$1" ]; }
_vt_gone() { [ ! -e "$1" ]; }
wait_for() { # wait_for TIMEOUT PATH [gone]
	if [ -z "${3:-}" ]; then
		wait_until "$1" _vt_exists "$2" && return 0
		echo "$2 did not appear within $1 s"
	else
		wait_until "$1" _vt_gone "$2" && return 0
		echo "$2 still there after $1 s"
	fi
	return 1
}

_vt_reads() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
wait_val() { # wait_val TIMEOUT FILE VALUE
	wait_until "$1" _vt_reads "$2" "$3" && return 0
	echo "$2 is $(cat "$2" 2>&1), want $3 (waited $1 s)"
	return 1
}

_vt_has() { grep -q "$2" "$1" 2>/dev/null; }
wait_line() { # wait_line TIMEOUT FILE TEXT
	wait_until "$1" _vt_has "$2" "$3" && return 0
	echo "no '$3' in $2 within $1 s:"
	cat "$2"
	return 1
}

# spin_count FILE BASE N: read the counter FILE until it is BASE + N or more
# (at most 1000000 reads), without forking: for acting while a device is
# early in a run that a fork or a sleep could outlast. The last value read
# is left in SPIN_COUNT.
spin_count() {
	_vt_i=0
	while read -r SPIN_COUNT <"$1" && [ $((SPIN_COUNT - $2)) -lt "$3" ] &&
		[ $_vt_i -lt 1000000 ]; do
		_vt_i=$((_vt_i + 1))
	done
}

# ---- vDPA devices --------------------------------------------------------------------
vdpa_autoprobe() { echo "$1" >/sys/bus/vdpa/drivers_autoprobe; }

driver_of() { # driver_of SYSFS_DEVICE
	[ -e "$1/driver" ] || return 1
	basename "$(readlink "$1/driver")"
}

bind() { # bind NAME DRIVER
	_vt_d=/sys/bus/vdpa/devices/$1
	if _vt_cur=$(driver_of "$_vt_d"); then
		[ "$_vt_cur" = "$2" ] && return 0
		echo "$1" >"$_vt_d/driver/unbind" || return 1
	fi
	echo "$2" >"$_vt_d/driver_override" || return 1
	echo "$1" >/sys/bus/vdpa/drivers_probe || return 1
	[ "$(driver_of "$_vt_d")" = "$2" ]
}

unbind() { # unbind NAME
	_vt_d=/sys/bus/vdpa/devices/$1
	[ -e "$_vt_d/driver" ] || return 0
	echo "$1" >"$_vt_d/driver/unbind"
}

vdpa_add() { # vdpa_add NAME [DRIVER]
	vdpa dev add name "$1" mgmtdev vdpa_accel || return 1
	[ -z "${2:-}" ] || bind "$1" "$2"
}

vdpa_del() { vdpa dev del "$1"; }

vhost_node() { # vhost_node NAME
	for _vt_f in /sys/bus/vdpa/devices/"$1"/vhost-vdpa-*; do
		[ -e "$_vt_f" ] || continue
		echo "/dev/${_vt_f##*/}"
		return 0
	done
	return 1
}

pci_dev() { # pci_dev VENDOR DEVICE
	for _vt_p in /sys/bus/pci/devices/*; do
		if [ "$(cat "$_vt_p/vendor")" = "$1" ] && [ "$(cat "$_vt_p/device")" = "$2" ]; then
			echo "$_vt_p"
			return 0
		fi
	done
	return 1
}

_vt_new_vaccel() { # sets _vt_nv to a node not in " $1 "
	for _vt_f in /dev/vaccel*; do
		[ -e "$_vt_f" ] || continue
		case $1 in *" $_vt_f "*) continue ;; esac
		_vt_nv=$_vt_f
	done
	[ -n "$_vt_nv" ]
}

new_vaccel() { # new_vaccel TIMEOUT BEFORE
	_vt_nv=""
	# shellcheck disable=SC2086 # one line of words, whatever separated them
	if ! wait_until "$1" _vt_new_vaccel " $(echo $2) "; then
		echo "no new /dev/vaccelN within $1 s (before: $(echo $2))" >&2
		return 1
	fi
	echo "$_vt_nv"
}

crypto_settled() { # crypto_settled TIMEOUT
	wait_until "$1" awk '
		/^driver/ { ours = $3 ~ /virtio-accel$/ }
		ours && /^selftest/ && $3 == "unknown" { busy = 1 }
		END { exit busy }' /proc/crypto ||
		{ echo "crypto self-tests of virtio_accel still running after $1 s"; return 1; }
}

# ---- kernel log ----------------------------------------------------------------------
no_splat() { # no_splat FILE
	grep -qE "$VT_SPLAT" "$1" || return 0
	grep -E -A 25 "$VT_SPLAT" "$1" | head -200
	return 1
}
