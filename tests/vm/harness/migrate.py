#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Migrate a running QEMU to one waiting with -incoming defer, over QMP.

usage: migrate.py --src QMP_SOCK --dst QMP_SOCK --uri URI [--timeout S]
                  [--downtime-limit MS]

Both QEMUs have -qmp unix:SOCK,server=on,wait=off. The destination is told
to listen (migrate-incoming URI), the source to migrate there, both with the
return-path capability (so that a destination that fails to load, e.g.
because its back-end refuses the state, makes the source resume instead of
leaving no VM). query-migrate is polled on the source every 50 ms.

Prints one line on standard output, used by run-in-vm.sh:
  completed TOTAL_MS DOWNTIME_MS SETUP_MS
  failed DESCRIPTION        (the migration started and failed; source runs)
  refused DESCRIPTION       (the source refused to start: a blocker)
Exit status 0 for completed, 1 otherwise, 2 for a QMP or usage error. The
source is sent "quit" after a completed migration, once the destination
reports that its VM runs.
"""
import argparse
import json
import os
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout):
        end = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self.s.settimeout(timeout)
        self.f = self.s.makefile("rb")
        greeting = self._read()
        if "QMP" not in greeting:
            raise RuntimeError(f"{path}: no QMP greeting: {greeting}")
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        """Run a command; returns ("return", value) or ("error", desc)."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.s.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "return" in r:
                return "return", r["return"]
            if "error" in r:
                return "error", r["error"].get("desc", str(r["error"]))
            # an event: ignore


def must(qmp, name, **args):
    kind, val = qmp.cmd(name, **args)
    if kind == "error":
        raise RuntimeError(f"{name}: {val}")
    return val


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--downtime-limit", type=int, default=0)
    a = ap.parse_args()
    try:
        dst = QMP(a.dst, 30)
        src = QMP(a.src, 30)
        caps = [{"capability": "return-path", "state": True}]
        must(dst, "migrate-set-capabilities", capabilities=caps)
        must(src, "migrate-set-capabilities", capabilities=caps)
        # a local socket: do not hold the copy to QEMU's default 128 MiB/s
        must(src, "migrate-set-parameters", **{"max-bandwidth": 8 << 30})
        if a.downtime_limit:
            must(src, "migrate-set-parameters", **{"downtime-limit": a.downtime_limit})
        must(dst, "migrate-incoming", uri=a.uri)
        kind, val = src.cmd("migrate", uri=a.uri)
        if kind == "error":
            print(f"refused {val}", flush=True)
            return 1
        end = time.monotonic() + a.timeout
        while True:
            try:
                info = must(src, "query-migrate")
            except (OSError, RuntimeError, ValueError) as e:
                print(f"failed the source QEMU went away during the migration ({e}): "
                      "did the guest's script end first?", flush=True)
                return 1
            st = info.get("status", "")
            if os.environ.get("MIGRATE_DEBUG"):
                print(f"migrate.py: source {info}", file=sys.stderr)
            if st == "completed":
                break
            if st in ("failed", "cancelled"):
                print(f"failed {info.get('error-desc', st)}", flush=True)
                return 1
            if time.monotonic() > end:
                src.cmd("migrate_cancel")
                print(f"failed no completion in {a.timeout:.0f} s (status {st})", flush=True)
                return 1
            time.sleep(0.05)
        # the destination runs the VM once it has loaded everything
        end = time.monotonic() + 30
        try:
            while must(dst, "query-status").get("status") != "running":
                if time.monotonic() > end:
                    print("failed the destination did not start running", flush=True)
                    return 1
                time.sleep(0.05)
        except (OSError, RuntimeError, ValueError) as e:
            # it died: its stderr says why; the source, with return-path,
            # resumes the VM
            print(f"failed the destination QEMU failed after the source completed ({e})",
                  flush=True)
            return 1
        print(f"completed {info.get('total-time', -1)} {info.get('downtime', -1)} "
              f"{info.get('setup-time', -1)}", flush=True)
        try:
            src.cmd("quit")
        except (OSError, RuntimeError, ValueError):
            pass  # QEMU closes the socket as it quits
        return 0
    except (OSError, RuntimeError, ValueError) as e:
        print(f"failed QMP: {e}", flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
