#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Merge the parts of one `make bench` run into bench/results.json.

    report.py OUTDIR HOST.json [--vm FILE.json ...] [--loopback FILE.json]
              [--peer FILE.jsonl] [--crypto LABEL=FILE.jsonl ...]
              [--engine FILE.json] [--skipped NAME=REASON ...] [--seconds N]
    report.py --again RESULTS.json OUT.md OUT.png

HOST.json is vaccel-bench's output for the vhost-user path (its ratios are
the headline ones, kept under their own names); every --vm file is another
vaccel-bench output (label vm-chardev, vm-vhost-vdpa: the kernel paths
inside the test VM, with native baselines measured in that VM), whose
ratios are prefixed with the label. --loopback is the DPDK virtio-user <->
vhost-user loopback (one JSON line), --peer QEMU's virtio-crypto-pci in the
test VM (JSON lines), every --crypto the kernel crypto API in the test VM
(tests/bench/vm-crypto-bench.sh's JSON lines: AF_ALG digests of
virtio_accel.ko's algorithms and of the guest's own software, IPsec
throughput without and with the device), --engine vaccel-bench's
--engine-latency-us output (the asynchronous pipeline's test engine: its
ratio keeps its bar). Writes OUTDIR/results.json, OUTDIR/results.md (the
tables of docs/performance.md) and OUTDIR/throughput.png and prints the
ratio table; --again makes the tables and the plot again from a
results.json.
"""
import argparse
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def jsonl(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def med(case, metric):
    if not case or metric not in case:
        return None
    return case[metric]["median"]


def plot(path, runs, peer):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"report: no plot ({e})", file=sys.stderr)
        return False
    panels = [r for r in runs if r["cases"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8),
                             squeeze=False)
    for ax, run in zip(axes[0], panels):
        cases = run["cases"]
        for op, colour in (("sha256", "tab:blue"), ("gcm", "tab:red")):
            for kind, style, label in (("native", "--", "native (in-process)"),
                                       ("device", "-", "device")):
                # per size, the deepest queue: throughput, not latency
                best = {}
                for c in cases.values():
                    if (c.get("kind") != kind or c.get("op") != op or
                            c.get("queues", 1) != 1 or
                            med(c, "gb_per_s") is None):
                        continue
                    if c["size"] not in best or \
                            c["depth"] > best[c["size"]]["depth"]:
                        best[c["size"]] = c
                pts = sorted((sz, med(c, "gb_per_s"))
                             for sz, c in best.items())
                if not pts:
                    continue
                name = {"sha256": "SHA-256", "gcm": "AES-256-GCM"}[op]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                        color=colour, marker="o",
                        label=f"{name} {label}")
        if run["label"] == "vm-path1" and peer:
            for who, style, label in (
                    ("virtio-crypto", "-", "AES-256-CBC virtio-crypto-pci "
                                           "(QEMU peer)"),
                    ("guest-native", "--", "AES-256-CBC guest kernel "
                                           "software")):
                pts = sorted((p["size"], p["gb_per_s"]) for p in peer
                             if p.get("peer") == who and p.get("gb_per_s"))
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                            color="tab:green", marker="s", label=label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("request size (bytes)")
        ax.set_ylabel("GB/s (median of rounds)")
        ax.set_title(f"{run['label']}: device vs native")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def fmt(v, nd=2):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{nd}f}"


def write_markdown(path, res):
    """The tables of docs/performance.md, from this run."""
    m = res["machine"]
    out = [f"Run: {res['build'].get('git')} on {m.get('cpu')}, "
           f"{m.get('online_cpus')} CPUs, kernel {m.get('kernel')}, "
           f"{res['method']['rounds']} rounds x "
           f"{res['method']['ms_per_case']} ms per case, "
           f"{res.get('duration_s')} s in all.", ""]
    for label, p in res["paths"].items():
        if not isinstance(p, dict) or "cases" not in p:
            continue
        out += [f"### {label}", "",
                "| case | ops/s | GB/s | p50 us | p99 us | p99.9 us | "
                "cycles/op | spread % | kicks/op | irqs/op |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, c in p["cases"].items():
            if "skipped" in c:
                out.append(f"| {name} | skipped: {c['skipped']} |||||||||")
                continue
            o = med(c, "ops_per_s")
            lo = c.get("ops_per_s", {}).get("min")
            hi = c.get("ops_per_s", {}).get("max")
            spread = 100.0 * (hi - lo) / o if o and lo is not None else None
            out.append("| " + " | ".join([
                name, fmt(o, 0), fmt(med(c, "gb_per_s"), 3),
                fmt(med(c, "p50_us")), fmt(med(c, "p99_us")),
                fmt(med(c, "p999_us")), fmt(med(c, "cycles_per_op"), 0),
                fmt(spread, 0), fmt(med(c, "kicks_per_op"), 3),
                fmt(med(c, "interrupts_per_op"), 3)]) + " |")
        out.append("")
    for label, p in res["paths"].items():
        if not isinstance(p, dict) or "afalg" not in p:
            continue
        m = p.get("machine", {})
        out += [f"### {label}: kernel crypto API ({m.get('accel', '?')} guest)",
                "", "| algorithm | size | device ops/s | software ops/s | "
                "device / software | device's requests went | software "
                "driver |", "|---|---:|---:|---:|---:|---|---|"]
        for a in p["afalg"]:
            out.append(f"| {a['alg']} | {a['size']} | "
                       f"{fmt(a['device'], 0)} | {fmt(a['software'], 0)} | "
                       f"{fmt(a['ratio'], 3)} | {a['way']} | "
                       f"{a['software_driver']} |")
        if p.get("tcrypt"):
            out += ["", "| tcrypt digest | size | device cycles/op | "
                    "software cycles/op | device speed / software | "
                    "software driver |", "|---|---:|---:|---:|---:|---|"]
            for a in p["tcrypt"]:
                out.append(f"| {a['alg']} | {a['size']} | "
                           f"{fmt(a['device'], 0)} | {fmt(a['software'], 0)}"
                           f" | {fmt(a['ratio'], 3)} | "
                           f"{a['software_driver']} |")
        if p.get("ipsec"):
            out += ["", "| IPsec ESP | tool | software Mbit/s | device "
                    "Mbit/s | device / software | device requests | "
                    "device's requests went |",
                    "|---|---|---:|---:|---:|---:|---|"]
            for i in p["ipsec"]:
                out.append(f"| {i['alg']} | {i['tool']} | "
                           f"{fmt(i['software'])} | {fmt(i['device'])} | "
                           f"{fmt(i['ratio'], 3)} | {i['device_requests']} "
                           f"| {i['way']} |")
        out.append("")
    split = res["paths"].get("engine-split")
    if split:
        out += ["### engine-split: CPU ns per operation, one thread, no "
                "transport (tests/bench/engine_split.c)", "",
                "| PMD | case | OpenSSL EVP | PMD, one op at a time | "
                "PMD, bursts of 32 |", "|---|---|---:|---:|---:|"]
        for pmd, cases in split.items():
            for case, v in cases.items():
                out.append(f"| {pmd} | {case} | {fmt(v.get('evp'), 0)} | "
                           f"{fmt(v.get('pmd-1'), 0)} | "
                           f"{fmt(v.get('pmd-32'), 0)} |")
        out.append("")
    out += ["### Ratios", "", "| ratio | value | bar | met | what |",
            "|---|---:|---|---|---|"]
    for name, v in res["ratios"].items():
        met = {True: "yes", False: "**no**", None: "-"}[v.get("met")]
        out.append(f"| `{name}` | {fmt(v.get('value'), 3)} | "
                   f"{v.get('bar') or '-'} | {met} | {v.get('what', '')} |")
    if res["skipped"]:
        out += ["", "Skipped parts:", ""]
        out += [f"- {k}: {w}" for k, w in res["skipped"].items()]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


SIZE_TAG = {64: "64", 4096: "4k", 65536: "64k", 1048576: "1m"}
IPSEC_NAME = {"authenc": "authenc(hmac(sha256),cbc(aes))",
              "rfc4106": "rfc4106(gcm(aes))"}


def engine_split(res, path):
    """tests/bench/engine_split.c's lines "split PMD CASE MODE NS": where a
    small request's engine time goes, without the transport (issue 14's
    gcm4k_vs_native and sha256_64_vs_native)."""
    split = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 5 and w[0] == "split":
                split.setdefault(w[1], {}).setdefault(w[2], {})[w[3]] = \
                    float(w[4])
    if not split:
        return
    res["paths"]["engine-split"] = split
    for pmd, cases in split.items():
        for case, v in cases.items():
            if v.get("evp") and v.get("pmd-1"):
                tag = case.replace("gcm_4096", "gcm4k")
                res["ratios"][f"split_{pmd}_{tag}_pmd1_vs_evp"] = {
                    "value": v["evp"] / v["pmd-1"],
                    "metric": "cpu_ns_per_op (inverted: speed)",
                    "bar": None, "path": "engine-split",
                    "what": f"{pmd} one op at a time vs OpenSSL EVP, CPU "
                            "time per op in one thread, no transport"}


def provider(res, lines):
    """tests/provider/bench.sh's lines: vaccelprov against OpenSSL's default
    provider through EVP on path 5 (issue 12: 1 MiB at >= 0.9)."""
    res["paths"]["provider"] = lines
    for ln in lines:
        if ln.get("ratio") is None:
            continue
        name = "provider_%s_vs_default" % ln["case"].replace("-", "_")
        big = ln["size"] >= 1048576 and "threads" not in ln
        v = {"value": ln["ratio"], "metric": "ops_per_s",
             "case": "vaccelprov " + ln["case"],
             "baseline": "OpenSSL default provider, same run",
             "bar": 0.9 if big else None, "path": "provider",
             "what": "OpenSSL provider vaccelprov on path 5 (EVP loop%s) vs "
                     "the default provider" % (
                         ", %d threads" % ln["threads"]
                         if "threads" in ln else "")}
        if big:
            v["met"] = ln["ratio"] >= 0.9
        if ln.get("device_ops_per_s"):
            res["ratios"][name.replace("_vs_default", "_vs_device_alone")] = {
                "value": ln["vaccelprov_ops_per_s"] / ln["device_ops_per_s"],
                "metric": "ops_per_s", "case": "vaccelprov " + ln["case"],
                "baseline": "the device alone (vaccel bench, depth 1)",
                "bar": None, "path": "provider",
                "what": "vaccelprov (EVP, copies) vs one request of the "
                        "device from shared memory"}
            res["ratios"][name.replace("provider_", "device_alone_")] = {
                "value": ln["device_ops_per_s"] / ln["default_ops_per_s"],
                "metric": "ops_per_s", "case": "device " + ln["case"],
                "baseline": "OpenSSL default provider, same run",
                "bar": None, "path": "provider",
                "what": "the device alone (ceiling of the provider) vs the "
                        "default provider"}
        res["ratios"][name] = v


MULTIFE = {
    "null64_16fe_aggregate_vs_1fe": (">=0.8", lambda v: v >= 0.8,
        "16 front-ends (sockets) on one back-end, NULL 64 B, aggregate ops/s "
        "vs one front-end alone"),
    "null64_16fe_jain": (">=0.9", lambda v: v >= 0.9,
        "Jain's fairness index over the 16 front-ends' ops/s"),
    "qd1_p99_under_flood_vs_alone": ("<=3", lambda v: v <= 3,
        "a QD1 front-end's p99 latency (NULL 64 B) while another floods "
        "(depth 64), vs alone"),
}


def multife(res, m):
    """vaccel-bench multife's JSON: its ratios, with their bars."""
    res["paths"]["multife"] = m
    for name, v in m.get("ratios", {}).items():
        bar, ok, what = MULTIFE.get(name, (None, None, name))
        res["ratios"][name] = {
            "value": v, "metric": "ops_per_s" if "p99" not in name
            else "p99 latency", "bar": bar,
            "met": ok(v) if ok and v is not None else None,
            "path": "vhost-user",
            "what": what + " (%u workers, %d CPUs%s)" % (
                m.get("workers", 0), m.get("cpus", 0),
                ", front-ends sleep when waiting, the QD1 one spins"
                if m.get("no_spin") else "")}


def crypto_api(res, label, lines):
    """tests/bench/vm-crypto-bench.sh's lines: the path and its ratios."""
    path = {"machine": {}, "afalg": [], "ipsec": []}
    acc = "?"
    side = {}
    ipsec = {}
    tc = {}
    for ln in lines:
        if "machine" in ln:
            path["machine"] = ln["machine"]
            acc = ln["machine"].get("accel", "?").upper()
        elif "ipsec" in ln:
            ipsec.setdefault(ln["ipsec"], {}).setdefault(
                ln["side"], []).append(ln)
        elif "tcrypt" in ln:
            # tcrypt prints each case twice (two passes): the faster
            d = tc.setdefault((ln["tcrypt"], ln["size"]), {})
            old = d.get(ln["side"])
            if not old or ln["cycles_per_op"] < old["cycles_per_op"]:
                d[ln["side"]] = ln
        elif "alg" in ln:
            side.setdefault((ln["alg"], ln["size"]), {})[ln["side"]] = ln
    prefix = label.replace("-", "_") + "_"
    for (alg, size), d in sorted(side.items()):
        dev, sw = d.get("device"), d.get("software")
        if not dev or not sw:
            continue
        ratio = (med(dev, "ops_per_s") / med(sw, "ops_per_s")
                 if med(sw, "ops_per_s") else None)
        path["afalg"].append({
            "alg": alg, "size": size, "device": med(dev, "ops_per_s"),
            "software": med(sw, "ops_per_s"), "ratio": ratio,
            "way": dev.get("way"), "device_driver": dev.get("driver"),
            "software_driver": sw.get("driver"), "rounds": dev.get("rounds"),
            "device_case": dev, "software_case": sw})
        res["ratios"][prefix + "%s_%s_vs_guest_sw" % (
            alg.replace("-", "_"), SIZE_TAG.get(size, str(size)))] = {
            "value": ratio, "metric": "ops_per_s", "bar": None,
            "path": label,
            "case": "%s %d B" % (dev.get("driver"), size),
            "baseline": sw.get("driver"),
            "what": "AF_ALG digests/s, %s (requests went: %s) vs the "
                    "guest kernel's own %s, same size, same run "
                    "(in the %s test guest)" % (
                        dev.get("driver"), dev.get("way"), sw.get("driver"),
                        acc)}
    path["tcrypt"] = []
    for (alg, size), d in sorted(tc.items()):
        dev, sw = d.get("device"), d.get("software")
        if not dev or not sw or not dev.get("cycles_per_op"):
            continue
        ratio = sw["cycles_per_op"] / dev["cycles_per_op"]
        path["tcrypt"].append({
            "alg": alg, "size": size, "device": dev["cycles_per_op"],
            "software": sw["cycles_per_op"], "ratio": ratio,
            "device_driver": dev.get("driver"),
            "software_driver": sw.get("driver")})
        if size not in (64, 1024, 4096, 8192):
            continue
        res["ratios"][prefix + "tcrypt_%s_%s_vs_guest_sw" % (
            alg.replace("-", "_"), {1024: "1k", 8192: "8k"}.get(
                size, SIZE_TAG.get(size, str(size))))] = {
            "value": ratio, "metric": "cycles_per_op (inverted: speed)",
            "bar": None, "path": label,
            "case": "tcrypt mode=400 %s %d B digest" % (dev.get("driver"),
                                                       size),
            "baseline": sw.get("driver"),
            "what": "tcrypt's ahash digest speed in the kernel (sec=0: 8 "
                    "digests, the better of its two passes), %s vs the guest kernel's own %s (in the %s "
                    "test guest)" % (dev.get("driver"), sw.get("driver"),
                                     acc)}

    def mean(runs):
        v = [r["mbit_per_s"] for r in runs if r.get("mbit_per_s")]
        return sum(v) / len(v) if v and len(v) == len(runs) else None

    for alg, d in ipsec.items():
        if not d.get("device") or not d.get("software"):
            continue
        # A/B/A: the software runs before and after the device's
        dev, sw = d["device"][0], mean(d["software"])
        ratio = (dev["mbit_per_s"] / sw
                 if dev.get("mbit_per_s") and sw else None)
        path["ipsec"].append({
            "alg": IPSEC_NAME.get(alg, alg), "tool": dev.get("tool"),
            "software": sw, "device": dev.get("mbit_per_s"),
            "software_runs": [r.get("mbit_per_s") for r in d["software"]],
            "ratio": ratio, "device_requests": dev.get("device_requests"),
            "way": dev.get("way"), "seconds": dev.get("seconds"),
            "drivers": dev.get("drivers")})
        res["ratios"][prefix + "ipsec_%s_device_vs_software" % alg] = {
            "value": ratio, "metric": "mbit_per_s", "bar": None,
            "path": label, "case": "ESP %s, crypto_priority=300" %
            IPSEC_NAME.get(alg, alg),
            "baseline": "the same at the default priority (software), "
                        "mean of a run before and one after",
            "what": "IPsec throughput (%s, %s s) between two network "
                    "namespaces, the device preferred vs the guest's own "
                    "crypto (requests went: %s; in the %s test guest)" % (
                        dev.get("tool"), dev.get("seconds"), dev.get("way"),
                        acc)}
    res["paths"][label] = path


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--again":
        # report.py --again results.json out.md out.png: tables and plot
        res = load(sys.argv[2])
        write_markdown(sys.argv[3], res)
        runs = [dict(label=k, cases=v["cases"])
                for k, v in res["paths"].items()
                if isinstance(v, dict) and "cases" in v]
        plot(sys.argv[4], runs, res["paths"].get("peer-virtio-crypto", []))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("host")
    ap.add_argument("--vm", action="append", default=[])
    ap.add_argument("--loopback")
    ap.add_argument("--peer")
    ap.add_argument("--crypto", action="append", default=[])
    ap.add_argument("--provider")
    ap.add_argument("--split")
    ap.add_argument("--engine", action="append", default=[])
    ap.add_argument("--multife")
    ap.add_argument("--pipeline")
    ap.add_argument("--skipped", action="append", default=[])
    ap.add_argument("--seconds", type=float)
    a = ap.parse_args()

    host = load(a.host)
    runs = [host] + [load(p) for p in a.vm]
    res = {
        "schema": "virtio-accel-bench-results/1",
        "machine": host["machine"],
        "build": host["build"],
        "method": host["method"],
        "duration_s": a.seconds,
        "paths": {r["label"]: {"devices": r.get("devices"),
                               "machine": r["machine"],
                               "cases": r["cases"]} for r in runs},
        "ratios": {},
        "skipped": {},
    }
    for r in runs:
        prefix = "" if r is host else r["label"].replace("-", "_") + "_"
        for name, v in r["ratios"].items():
            if v.get("value") is None and r is not host:
                continue
            v = dict(v, path=r["label"])
            if r is not host:
                # DESIGN.md's bars are for the host paths; in the TCG test
                # guest both sides are emulated: compared, not judged
                v.pop("met", None)
                v["bar"] = None
                v["what"] += " (in the TCG test guest)"
            res["ratios"][prefix + name] = v
    if a.loopback:
        lb = jsonl(a.loopback)
        if lb:
            res["paths"]["dpdk-loopback"] = lb[0]
            dev = med(host["cases"].get("dev_null_64_d32_q1_poll"), "ops_per_s")
            mpps = lb[0].get("mpps")
            if dev and mpps:
                res["ratios"]["null64_batched_vs_dpdk_loopback"] = {
                    "value": dev / (mpps * 1e6), "metric": "ops_per_s",
                    "case": "dev_null_64_d32_q1_poll",
                    "baseline": "dpdk_virtio_user_loopback", "bar": None,
                    "path": "vhost-user",
                    "what": "device NULL 64 B batched (request and "
                            "response) vs DPDK virtio-user -> vhost-user "
                            "testpmd loopback (64 B packets one way, no "
                            "response, no request processing)"}
    peer = []
    if a.peer:
        peer = jsonl(a.peer)
        res["paths"]["peer-virtio-crypto"] = peer
        # the peer against the guest's own software AES, same size, same run
        best = {}
        for p in peer:
            if p.get("peer") == "guest-native" and p.get("ops_per_s"):
                k = p["size"]
                best[k] = max(best.get(k, 0), p["ops_per_s"])
        for p in peer:
            if p.get("peer") != "virtio-crypto" or p["size"] not in best:
                continue
            name = "peer_virtio_crypto_cbc_%s_vs_guest_native" % {
                64: "64", 4096: "4k", 65536: "64k",
                1048576: "1m"}.get(p["size"], str(p["size"]))
            res["ratios"][name] = {
                "value": p["ops_per_s"] / best[p["size"]],
                "metric": "ops_per_s", "case": "virtio-crypto cbc(aes)",
                "baseline": "guest kernel software cbc(aes), fastest driver",
                "bar": None, "path": "peer-virtio-crypto",
                "what": "QEMU virtio-crypto-pci + cryptodev-backend-builtin "
                        "(AES-256-CBC, AF_ALG, queue depth 1) vs the guest "
                        "kernel's own AES-CBC, in the TCG test guest"}
            # our device where its engine is too (on the host, data path
            # 1), same guest, queue depth 1: GCM (CTR + GHASH) against CBC
            p1 = next((r for r in runs if r["label"] == "vm-path1"), None)
            ours = med(p1["cases"].get("dev_gcm_%d_d1_q1_event" % p["size"])
                       if p1 else None, "ops_per_s")
            if ours:
                res["ratios"][name.replace(
                    "peer_virtio_crypto_cbc", "vm_path1_gcm_qd1").replace(
                    "_vs_guest_native", "_vs_peer_virtio_crypto")] = {
                    "value": ours / p["ops_per_s"], "metric": "ops_per_s",
                    "case": "vm-path1 dev_gcm_%d_d1_q1_event" % p["size"],
                    "baseline": "virtio-crypto cbc(aes)", "bar": None,
                    "path": "vm-path1",
                    "what": "virtio-accel over virtio-pci to the DPDK back-end "
                            "(AES-256-GCM, library over /dev/vaccel0, depth "
                            "1) vs QEMU's virtio-crypto-pci (AES-256-CBC over "
                            "AF_ALG, depth 1): both engines on the host, both "
                            "drivers in the same TCG guest"}
    if a.pipeline:
        # the asynchronous pipeline with the test engine (a host path: its
        # bars are judged)
        eng = load(a.pipeline)
        res["paths"][eng["label"]] = {"devices": eng.get("devices"),
                                      "machine": eng["machine"],
                                      "cases": eng["cases"]}
        for name, v in eng["ratios"].items():
            if v.get("value") is not None:
                res["ratios"][name] = dict(v, path=eng["label"])
    for c in a.crypto:
        label, _, path = c.partition("=")
        crypto_api(res, label, jsonl(path))
    if a.provider:
        provider(res, jsonl(a.provider))
    if a.split:
        engine_split(res, a.split)
    for path in a.engine:
        # vaccel-bench again, the back-end on another engine: its cases,
        # and the issue 14 ratios under its label, without a bar
        r = load(path)
        res["paths"][r["label"]] = {"devices": r.get("devices"),
                                    "machine": r["machine"],
                                    "cases": r["cases"]}
        prefix = r["label"].replace("-", "_") + "_"
        for name in ("gcm4k_vs_native", "sha256_64_vs_native"):
            v = r["ratios"].get(name)
            if not v or v.get("value") is None:
                continue
            v = dict(v, path=r["label"], bar=None)
            v.pop("met", None)
            v["what"] += " (back-end: %s)" % r["label"]
            res["ratios"][prefix + name] = v
    if a.multife:
        multife(res, load(a.multife))
    for s in a.skipped:
        k, _, why = s.partition("=")
        res["skipped"][k] = why
    os.makedirs(a.outdir, exist_ok=True)
    png = os.path.join(a.outdir, "throughput.png")
    if plot(png, runs, peer):
        res["plot"] = "throughput.png"
    with open(os.path.join(a.outdir, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=False)
        f.write("\n")

    write_markdown(os.path.join(a.outdir, "results.md"), res)

    print(f"\n{'ratio':<44} {'value':>9} {'bar':>7}  met")
    for name, v in res["ratios"].items():
        val = v.get("value")
        bar = v.get("bar") or "-"
        met = {True: "yes", False: "NO", None: "-"}[v.get("met")]
        vs = "n/a" if val is None else f"{val:.3f}"
        print(f"{name:<44} {vs:>9} {bar:>7}  {met}")
    for k, why in res["skipped"].items():
        print(f"skipped: {k}: {why}")
    print(f"\nwrote {a.outdir}/results.json"
          + (f" and {png}" if "plot" in res else ""))


if __name__ == "__main__":
    main()
