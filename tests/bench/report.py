#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Merge the parts of one `make bench` run into bench/results.json.

    report.py OUTDIR HOST.json [--vm FILE.json ...] [--loopback FILE.json]
              [--peer FILE.jsonl] [--skipped NAME=REASON ...] [--seconds N]
    report.py --again RESULTS.json OUT.md OUT.png

HOST.json is vaccel-bench's output for the vhost-user path (its ratios are
the headline ones, kept under their own names); every --vm file is another
vaccel-bench output (label vm-chardev, vm-vhost-vdpa: the kernel paths
inside the test VM, with native baselines measured in that VM), whose
ratios are prefixed with the label. --loopback is the DPDK virtio-user <->
vhost-user loopback (one JSON line), --peer QEMU's virtio-crypto-pci in the
test VM (JSON lines). Writes OUTDIR/results.json, OUTDIR/results.md (the
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
