#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Which udev rules match a device event: the ==/!= keys KERNEL, SUBSYSTEM,
ACTION, DRIVER, KERNELS (the device or a parent) with udev's glob patterns
(*, ?, [..], |), then GROUP= and MODE= (later wins) and RUN+= (%p, %k and
$$ substituted) of the matching rules, in file order.

  udev-match.py RULES... < FACTS

FACTS: lines "fact NODE kernel=K subsystem=S [action=A driver=D devpath=P]
kernels=A,B,..." (the device first, then its parents). Prints "NODE
group=G mode=M" (G, M "-" when no rule set them) and "NODE run=CMD" for
each program to run. Only the keys our rules use are understood: another key
is an error (exit 2), never silently ignored.
"""
import fnmatch
import re
import sys

KEY = re.compile(r'\s*([A-Z]+)(?:\{[^}]*\})?\s*(==|!=|=|\+=|:=)\s*"([^"]*)"\s*,?')


def parse(path):
    rules = []
    for ln in open(path):
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        keys, pos = [], 0
        while pos < len(ln):
            m = KEY.match(ln, pos)
            if not m:
                sys.exit(f"{path}: cannot parse: {ln[pos:]}")
            keys.append(m.groups())
            pos = m.end()
        rules.append(keys)
    return rules


def glob(pattern, value):
    return any(fnmatch.fnmatchcase(value, p) for p in pattern.split("|"))


def main():
    rules = [r for f in sys.argv[1:] for r in parse(f)]
    for ln in sys.stdin:
        if not ln.startswith("fact "):
            continue
        f = ln.split()
        node, attrs = f[1], dict(x.split("=", 1) for x in f[2:])
        kernels = attrs["kernels"].split(",")
        out = {"GROUP": "-", "MODE": "-"}
        run = []
        for keys in rules:
            match, sets = True, {}
            for k, op, v in keys:
                if op in ("==", "!="):
                    if k == "KERNEL":
                        hit = glob(v, attrs["kernel"])
                    elif k in ("SUBSYSTEM", "ACTION", "DRIVER"):
                        hit = glob(v, attrs.get(k.lower(), ""))
                    elif k == "KERNELS":
                        hit = any(glob(v, x) for x in kernels)
                    else:
                        sys.exit(f"udev-match.py: key {k} not understood")
                    match = match and (hit if op == "==" else not hit)
                elif k in ("GROUP", "MODE"):
                    sets[k] = v
                elif k == "RUN" and op == "+=":
                    sets.setdefault("RUN", []).append(v)
                else:
                    sys.exit(f"udev-match.py: key {k} not understood")
            if match:
                run += sets.pop("RUN", [])
                out.update(sets)
        print(f"{node} group={out['GROUP']} mode={out['MODE']}")
        for r in run:
            r = r.replace("%p", attrs.get("devpath", "")).replace("%k", attrs["kernel"])
            print(f"{node} run={r.replace('$$', '$')}")


if __name__ == "__main__":
    main()
