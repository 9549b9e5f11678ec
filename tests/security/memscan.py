#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""memscan.py PID KEYHEX [MIN]: count copies of a key in a live process.

Reads every readable mapping of PID through /proc/PID/mem (root, or the
same user with ptrace allowed) except the front-end's shared memory
(libvirtaccel's memfd "virtaccel", which holds the client's own request
buffers) and reservations over 16 GiB (ASan's shadow), and searches it for
the key's bytes. Prints the count and where.
Exit 0 if there are at least MIN copies (default 0) and, with MIN 0, none
at all; 1 otherwise; 2 if the process cannot be read.
"""
import sys

CHUNK = 64 << 20
HUGE = 16 << 30


def main():
    pid, key = sys.argv[1], bytes.fromhex(sys.argv[2])
    want = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    hits, skipped, total = [], [], 0
    try:
        maps = open(f"/proc/{pid}/maps")
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError as e:
        print(f"memscan: {e}")
        return 2
    with maps, mem:
        for line in maps:
            f = line.split(None, 5)
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            name = f[5].strip() if len(f) > 5 else ""
            if "r" not in f[1] or name.startswith("/memfd:virtaccel") or \
               name in ("[vvar]", "[vsyscall]"):
                continue
            if hi - lo > HUGE:
                # reservations such as ASan's shadow: not the program's data
                skipped.append(f"{f[0]} {name or '[anon]'}")
                continue
            base, tail = lo, b""
            while base < hi:
                n = min(CHUNK, hi - base)
                try:
                    mem.seek(base)
                    data = tail + mem.read(n)
                except (OSError, OverflowError, ValueError):
                    break
                total += n
                i = data.find(key)
                while i >= 0:
                    at = base - len(tail) + i
                    hits.append(f"{at:#x} in {f[0]} {f[1]} {name or '[anon]'}")
                    i = data.find(key, i + 1)
                tail = data[-(len(key) - 1):]
                base += n
    print(f"memscan: {total >> 20} MiB of pid {pid} read, "
          f"{len(hits)} copies of the key")
    if skipped:
        print(f"  ({len(skipped)} mappings over {HUGE >> 30} GiB not read)")
    for h in hits[:20]:
        print("  " + h)
    if want:
        return 0 if len(hits) >= want else 1
    return 1 if hits else 0


sys.exit(main())
