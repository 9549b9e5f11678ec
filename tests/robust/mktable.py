#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Make docs/robustness.md from the result lines of vaccel-robust.

usage: mktable.py OUT.md RESULTS...

RESULTS are the files tests/robust/run-robust.sh writes per implementation
(dpdk.res, dpdk-asan.res, vdpa.res): the "robust-result" line of every case
as vaccel-robust printed it, plus "robust-health" lines (the implementation
survived, logged no sanitizer report or kernel splat) and "robust-toctou"
lines (the time-of-check/time-of-use test); opener.res has the
"robust-opener" lines of tests/vm/host/t-opener-run.sh (the hostile
/dev/vhost-vdpa-N opener). Nothing in the table is typed by hand: every
observed cell is a line of those files.

Exit status 1, after writing the table, when any case failed, any observed
outcome is not one the spec allows, an implementation is missing a case,
or a health or TOCTOU line says FAIL.
"""
import re
import sys

IMPLS = [
    ("dpdk", "DPDK back-end"),
    ("dpdk-asan", "DPDK back-end, ASan+UBSan"),
    ("dpdk-tsan", "DPDK back-end, ThreadSanitizer"),
    ("vdpa", "vDPA parent (guest)"),
]
# sanitizer builds of the DPDK back-end, shown in its column
SAN_BUILDS = [("dpdk-asan", "ASan+UBSan"), ("dpdk-tsan", "TSan")]

TOCTOU_NAMES = dict(IMPLS + [
    ("inproc-asan", "DPDK back-end code in one process (toctou-inproc), ASan+UBSan"),
    ("inproc-tsan", "DPDK back-end code in one process (toctou-inproc), ThreadSanitizer"),
])

# spec section of each clause family (virtio-accel-spec/virtio-accel.md)
SECTION = [("RING-", "10"), ("REQ-", "7.4"), ("OP-DST", "7.4"),
           ("OP-", "7.5"), ("VQ-", "5"), ("CTRL-CREATE", "8.4")]

OUTCOME = {
    "STOPPED": "queue stopped, DEVICE_NEEDS_RESET",
    "NORESP": "used len 0, nothing written",
}


def kv_line(line, prefix):
    """A result line: space-separated k=v, then " | k=v" parts."""
    head, *rest = line[len(prefix):].split(" | ")
    r = dict(kv.split("=", 1) for kv in head.split())
    for part in rest:
        k, _, v = part.partition("=")
        r[k] = v
    return r


VU = {"results": {}, "random": [], "health": []}


def parse(path, opener=None):
    res, health, toctou = {}, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("vu-result "):
                r = kv_line(line, "vu-result ")
                VU["results"].setdefault(r["impl"], {})[r["case"]] = r
            elif line.startswith("vu-random "):
                VU["random"].append(kv_line(line, "vu-random "))
            elif line.startswith("vu-health "):
                VU["health"].append(line)
            elif line.startswith("robust-result "):
                head, *rest = line[len("robust-result "):].split(" | ")
                r = dict(kv.split("=", 1) for kv in head.split())
                for part in rest:
                    k, _, v = part.partition("=")
                    r[k] = v
                res[r["case"]] = r
            elif line.startswith("robust-health "):
                health.append(line)
            elif line.startswith("robust-toctou "):
                toctou.append(line)
            elif line.startswith("robust-opener ") and opener is not None:
                head, *rest = line[len("robust-opener "):].split(" | ")
                r = dict(kv.split("=", 1) for kv in head.split())
                for part in rest:
                    k, _, v = part.partition("=")
                    r[k] = v
                opener.append(r)
            elif line.startswith("robust-opener-health "):
                health.append(line)
    return res, health, toctou


def clause(c):
    for prefix, sec in SECTION:
        if c.startswith(prefix):
            return "%s [%s]" % (sec, c)
    return "[%s]" % c


def case_text(case, r):
    """The case id, what it sends, and the cases.c row it reuses."""
    t = "%s: %s" % (case, r.get("what", ""))
    d = r.get("detail", "")
    if d.startswith("tests/common/cases.c row "):
        t += " (cases.c row %s)" % d[len("tests/common/cases.c row "):] \
            .split(" (expects")[0]
    return t


def expect_text(e):
    alts = []
    for x in e.split("|"):
        alts.append(OUTCOME.get(x, "`%s`" % x))
    return " or ".join(alts)


def observed_text(impl, r):
    o = r["observed"]
    d = r.get("detail", "")
    if o == "STOPPED":
        if impl.startswith("dpdk"):
            return "queue stopped; log: %s" % d
        return "queue stopped, `DEVICE_NEEDS_RESET` set"
    if o == "NORESP":
        return "used len 0, nothing written"
    t = "`%s`" % o
    if r["result"] != "pass" and d:
        t += " (%s)" % d
    return t


def serving(r):
    if r["other"] != "ok" or not r["after"].startswith("ok"):
        return "**no** (other %s, same queue %s)" % (r["other"], r["after"])
    if r["after"] == "ok-after-reset":
        return "yes; the queue itself after a reset"
    return "yes; the queue itself at once"


def opener_section(L, opener):
    """The hostile /dev/vhost-vdpa-N opener (tests/vm/host/t-opener-run.sh)."""
    L.append("## vhost-vdpa opener")
    L.append("")
    L.append("`vdpa-driver/tests/vaccel_vhost_opener.c`, run as root in the 6.12 guest")
    L.append("by `tests/vm/host/t-opener-run.sh` (make check), holds `/dev/vhost-vdpa-N` of")
    L.append("a vdpa_accel device with its own ioctls and names addresses it did not")
    L.append("map: physical addresses of its own pages (`/proc/self/pagemap`) and of")
    L.append("the kernel's `linux_banner` (`/proc/kallsyms`, `/proc/iomem`), IOVAs")
    L.append("after a reset, pages it mapped read-only. The device must reach exactly")
    L.append("what the opener mapped, with the permissions it mapped")
    L.append("(`docs/security.md`). Each case is a NULL request on data queue 0 of a")
    L.append("new open; the run is repeated after the device was bound to")
    L.append("`virtio_vdpa` (identity map) and moved back, and fails on a kernel splat.")
    L.append("")
    L.append("| case | the opener | expected | observed (vDPA parent) |")
    L.append("|---|---|---|---|")
    for r in opener:
        obs = r["observed"]
        if r["result"] != "pass":
            obs = "**%s**" % obs
        L.append("| %s | %s | %s | %s |" % (r["case"], r["what"],
                                          r["expect"], obs))
    L.append("")


VU_IMPLS = [("dpdk", "DPDK back-end"), ("dpdk-asan", "ASan+UBSan")]
VU_EXPECT = {
    "refused": "message refused (NACK), its fds closed",
    "not-started": "queue not started, reason logged",
    "served": "served",
}


def vu_observed(r):
    o = r["observed"]
    d = r.get("detail", "").replace("vhost-user-accel: error: ", "")
    if o == "refused":
        return "refused: %s" % d if d else "refused"
    if o == "not-started":
        return "not started: %s" % re.sub(r"^queue \d+ not started: ", "",
                                          d) if d else "not started"
    if o == "crashed":
        return "**crashed** (%s)" % d
    return "`%s`" % o if o == "served" else "**%s** %s" % (o, d)


def vu_after(r):
    try:
        rss_ok = 0 <= int(r["rss_kb"]) <= int(r["rss_bound_kb"])
    except (KeyError, ValueError):
        rss_ok = False
    if r.get("alive") == "yes" and rss_ok and r.get("honest") == "ok":
        return "yes"
    return "**no** (alive %s, VmRSS %s kB of %s, vaccel %s)" % (
        r.get("alive"), r.get("rss_kb"), r.get("rss_bound_kb"),
        r.get("honest"))


def vu_section(L, errors):
    """The "vhost-user messages" section, from tests/robust/run-hostile.sh."""
    res = VU["results"]
    order = []
    for impl, _ in VU_IMPLS:
        for case in res.get(impl, {}):
            if case not in order:
                order.append(case)
    for impl, name in VU_IMPLS:
        if impl not in res:
            errors.append("vhost-user messages: no results from the %s" % name)
            continue
        for case in order:
            r = res[impl].get(case)
            if not r:
                errors.append("vhost-user messages: %s: case %s was not run"
                              % (impl, case))
            elif r["result"] != "pass" or r["observed"] != r["expect"]:
                errors.append("vhost-user messages: %s: %s: expected %s, observed %s (%s)"
                              % (impl, case, r["expect"], r["observed"],
                                 r.get("detail", "")))
    for line in VU["health"]:
        if "status=ok" not in line.split(" | ")[0]:
            errors.append(line)
    for r in VU["random"]:
        if r.get("result") != "pass":
            errors.append("vhost-user random sequences: %s: seed %s: %s"
                          % (r.get("impl"), r.get("seed"), r.get("detail")))
    L.append("## vhost-user messages")
    L.append("")
    L.append("Every row is one case of `tests/robust/hostile_vu.c`, run by `make check`")
    L.append("(`tests/robust/run-hostile.sh`): a vhost-user front-end written from")
    L.append("scratch (raw messages over the back-end's socket, its own memfds and")
    L.append("eventfds, no libvirtaccel) lies to the real back-end")
    L.append("(`build/vhost-user-accel --queues 2` on the system's librte_vhost 22.11,")
    L.append("and its ASan+UBSan build), asking for a reply to every message")
    L.append("(`REPLY_ACK`). The lies include the reproductions of issue 10 (defects")
    L.append("2-5). After each case the back-end must be alive, its VmRSS (also")
    L.append("measured while the lying connection is open) at most its VmRSS after")
    L.append("the first honest request + 64 MiB, and the `vaccel` CLI (an honest")
    L.append("front-end) must hash `abc` right (*after it*); the ASan+UBSan back-end")
    L.append("must log no sanitizer report. The back-end's checks are")
    L.append("`vhost-user-backend/src/vumsg.c` (messages) and `va_dev_refresh()` in")
    L.append("`worker.c` (rings against the memory table); `docs/security.md` has")
    L.append("the model.")
    L.append("")
    L.append("| class | case | expected | DPDK back-end | after it: alive, memory bounded, honest front-end served |")
    L.append("|---|---|---|---|---|")
    first = res.get("dpdk") or next(iter(res.values()))
    for case in order:
        r0 = first.get(case) or next(res[i][case] for i, _ in VU_IMPLS
                                      if case in res.get(i, {}))
        rd = res.get("dpdk", {}).get(case)
        cell = vu_observed(rd) if rd else "**not run**"
        ra = res.get("dpdk-asan", {}).get(case)
        if ra and rd and ra["observed"] == rd["observed"] and \
                ra.get("detail") == rd.get("detail"):
            cell += "; ASan+UBSan: same"
        elif ra:
            cell += "; ASan+UBSan: %s" % vu_observed(ra)
        else:
            cell += "; ASan+UBSan: **not run**"
        after = [vu_after(res[i][case]) for i, _ in VU_IMPLS
                 if case in res.get(i, {})]
        after = after[0] if all(a == after[0] for a in after) else \
            "; ".join(after)
        L.append("| %s | %s: %s | %s | %s | %s |" % (
            r0.get("class", ""), case, r0.get("what", ""),
            VU_EXPECT.get(r0["expect"], r0["expect"]), cell, after))
    L.append("")
    L.append("Then seeded random sequences of messages (features, memory tables")
    L.append("with sealed, unsealed and short memfds, queue sizes, bases, ring")
    L.append("addresses near and past the region's end, kick/call fds that are not")
    L.append("eventfds, inflight regions of any geometry, unknown requests), each")
    L.append("on a new connection, sometimes finished by a request; the back-end")
    L.append("must stay alive and within the memory bound after every sequence and")
    L.append("serve `vaccel` every 25 sequences and at the end. The seed is printed;")
    L.append("`hostile-vu --random S --seed N` replays a run.")
    L.append("")
    L.append("| implementation | random message sequences |")
    L.append("|---|---|")
    for r in sorted(VU["random"], key=lambda x: x.get("impl", "")):
        name = dict(VU_IMPLS).get(r.get("impl"), r.get("impl"))
        if r.get("impl") == "dpdk-asan":
            name = "DPDK back-end, ASan+UBSan"
        L.append("| %s | %s s: %s |" % (
            name, r.get("seconds"),
            "alive, memory bounded, honest front-end served at every check"
            if r.get("result") == "pass" else "**FAILED**"))
    L.append("")


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out = sys.argv[1]
    data = {}
    health, toctou, opener = [], [], []
    for p in sys.argv[2:]:
        res, h, t = parse(p, opener)
        for r in res.values():
            data.setdefault(r["impl"], {})[r["case"]] = r
        health += h
        toctou += t
    errors = []
    order = []
    for impl, _ in IMPLS:
        for case in data.get(impl, {}):
            if case not in order:
                order.append(case)
    for impl, name in IMPLS:
        if impl not in data:
            errors.append("no results from the %s" % name)
            continue
        for case in order:
            r = data[impl].get(case)
            if not r:
                errors.append("%s: case %s was not run" % (impl, case))
            elif r["result"] != "pass" or \
                    r["observed"] not in r["expect"].split("|"):
                errors.append("%s: %s: expected %s, observed %s, other queues %s, same queue %s (%s)"
                              % (impl, case, r["expect"], r["observed"],
                                 r["other"], r["after"], r.get("detail", "")))
    for line in health + toctou:
        if "status=ok" not in line.split(" | ")[0]:
            errors.append(line)
    if not opener:
        errors.append("no results from the vhost-vdpa opener (opener.res)")
    for r in opener:
        if r["result"] != "pass":
            errors.append("vhost-vdpa opener: %s: %s: observed %s"
                          % (r["case"], r["what"], r["observed"]))

    first = None
    for impl, _ in IMPLS:
        if impl in data:
            first = data[impl]
            break
    L = []
    L.append("<!-- SPDX-License-Identifier: BSD-3-Clause -->")
    L.append("<!-- Generated by tests/robust/mktable.py from the result lines of")
    L.append("     tests/robust/run-robust.sh (make check): do not edit by hand. -->")
    L.append("# Malformed input: expected and observed, per implementation")
    L.append("")
    L.append("Every row is one case of `tests/robust/robust.c`, run by `make check`")
    L.append("(`tests/robust/run-robust.sh host` and `vm`) against each implementation")
    L.append("through the same raw-ring driver: `vaccel-robust` opens the device with")
    L.append("libvirtaccel (vhost-user or vhost-vdpa), then writes descriptor tables,")
    L.append("avail rings and indexes by hand, sends the malformed request on data")
    L.append("queue 0 (or the control queue), and records what the device did with it:")
    L.append("the status in the response (used len = the writable length, a status the")
    L.append("spec defines, dst all zero unless `OK`), a completion with used len 0 and")
    L.append("no byte written ([REQ-SHORT], [REQ-HUGE]), or a stopped queue")
    L.append("([RING-BROKEN]: the vDPA parent sets `DEVICE_NEEDS_RESET`; a vhost-user")
    L.append("back-end has no way to, so it logs why it stopped the queue, and the test")
    L.append("reads that log).")
    L.append("Then a NULL request on data queue 1 and `GET_CAPS` on the control queue")
    L.append("must succeed (*other queues keep serving*), and so must a request on the")
    L.append("queue itself: at once, or after a device reset when it was stopped.")
    L.append("")
    L.append("Queue size 64, 2 data queues, `max_data_len` 1 MiB, 1024 sessions. The")
    L.append("DPDK back-end runs on the host three times: as built, with ASan+UBSan")
    L.append("(`build-san/`) and with ThreadSanitizer (`build/tsan/`; DPDK's own")
    L.append("libraries are not instrumented); the vDPA parent runs in the Linux 6.12")
    L.append("guest of `tests/vm/`. A run fails if any observed outcome is not the expected")
    L.append("one, an implementation crashed or hung, the back-end logged a sanitizer")
    L.append("report or exited non-zero, or the guest kernel logged a splat; it also")
    L.append("fails if this file differs from what the run generated")
    L.append("(`tests/robust/run-robust.sh vm --update` rewrites it).")
    L.append("")
    names = dict(IMPLS)
    L.append("| class | case | spec | expected (spec) | %s | %s | other queues keep serving |"
             % (names["dpdk"], names["vdpa"]))
    L.append("|---|---|---|---|---|---|---|")
    for case in order:
        r0 = first.get(case) or next(
            data[i][case] for i, _ in IMPLS if i in data and case in data[i])
        cells = []
        for impl in ("dpdk", "vdpa"):
            r = data.get(impl, {}).get(case)
            cells.append(observed_text(impl, r) if r else "**not run**")
        rd = data.get("dpdk", {}).get(case)
        for impl, san in SAN_BUILDS:
            ra = data.get(impl, {}).get(case)
            if ra and rd and ra["observed"] == rd["observed"] and \
                    ra.get("detail") == rd.get("detail"):
                cells[0] += "; %s: same" % san
            elif ra:
                cells[0] += "; %s: %s" % (san, observed_text(impl, ra))
            else:
                cells[0] += "; %s: **not run**" % san
        srv = []
        for impl, _ in IMPLS:
            r = data.get(impl, {}).get(case)
            if r:
                srv.append(serving(r))
        if srv and all(s == srv[0] for s in srv):
            serve = srv[0]
        else:
            serve = "; ".join("%s: %s" % (i, serving(data[i][case]))
                              for i, _ in IMPLS
                              if case in data.get(i, {}))
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r0["class"], case_text(case, r0), clause(r0["clause"]),
            expect_text(r0["expect"]), cells[0], cells[1], serve))
    L.append("")
    L.append("A case naming a `cases.c` row sends exactly that row of")
    L.append("`tests/common/cases.c`, the request table of the unit tests and the")
    L.append("conformance suite.")
    L.append("")
    L.append("## Time of check, time of use")
    L.append("")
    L.append("`vaccel-robust --toctou` (the same driver) posts well-formed requests one")
    L.append("at a time while a second thread keeps rewriting what the device reads:")
    L.append("descriptor table entries (address, length, flags, next), the indirect")
    L.append("table and the descriptor naming it, and the request header's opcode,")
    L.append("algorithm, session id, flags, key/IV/AAD/src/dst lengths and reserved")
    L.append("bytes, one field, two, the whole header or everything at a time, flipping")
    L.append("between the value the device validated and hostile ones. Every")
    L.append("completion must carry a defined status and a used length of 0 or")
    L.append("16..`max_data_len` + 16 (exactly the posted one while the chain itself")
    L.append("was left alone), nothing may be written into the guard bands around the")
    L.append("buffers, a request nobody touched must come back exactly right, and a")
    L.append("queue may only stop when descriptors were rewritten. Run for 3 s against")
    L.append("each implementation above; `tests/robust/toctou-inproc` runs the DPDK")
    L.append("back-end's own worker, walker, request and engine code in one process")
    L.append("under ASan+UBSan and under ThreadSanitizer, where the only reads of")
    L.append("guest memory allowed to race with the rewriter are the four copy")
    L.append("functions of `vring.c` (`tests/robust/tsan.supp`).")
    L.append("")
    L.append("| implementation | result |")
    L.append("|---|---|")
    for line in sorted(toctou):
        head = line.split(" | ")[0]
        kv = dict(x.split("=", 1) for x in head.split()[1:])
        L.append("| %s | %s |" % (TOCTOU_NAMES.get(kv.get("impl"),
                                                   kv.get("impl")),
                                  "no violation" if kv.get("status") == "ok"
                                  else "**FAILED**"))
    L.append("")
    opener_section(L, opener)
    if VU["results"] or VU["random"]:
        vu_section(L, errors)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    for e in errors:
        print("mktable: FAIL: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
