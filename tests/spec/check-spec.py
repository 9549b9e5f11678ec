#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks of the specification text (make check part "spec text").

  check-spec.py [TOP]           run every check, TAP-like, then
                                "N passed, N failed"
  check-spec.py --count FILE.md print the clause count and the clauses
                                without an RFC 2119 keyword (any version)

Besides the text, it checks that the device ID is one no public
implementation uses and that every place that spells it agrees with the
one macro, VIRTIO_ID_ACCEL in include/linux/virtio_accel.h.

The chapter is virtio-accel-spec/virtio-accel.md; its LaTeX form
virtio-accel-spec/device-types/accel/description.tex is generated from it
by virtio-accel-spec/tools/md2tex.py. A clause is a paragraph that starts
with a bold label, **[LABEL]**.
"""
import os
import re
import subprocess
import sys

KEYWORD = re.compile(r"\b(MUST|SHOULD|MAY|SHALL|REQUIRED|RECOMMENDED|"
                     r"OPTIONAL)\b")
BOLD_LABEL = re.compile(r"\*\*\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]\*\*")
REF_LABEL = re.compile(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]")
TEX_LABEL = re.compile(r"\\textbf\{\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]\}")
# label prefixes of the spec, for finding citations in code and tests
PREFIXES = ("REQ", "OP", "CFG", "FEAT", "VQ", "ST", "SESS", "CTRL",
            "STREAM", "RING", "DRV", "CAP", "KEY", "MIG")


def md_paragraphs(text):
    """(section heading, paragraph text) for every paragraph outside code."""
    out = []
    section = ""
    para = []
    in_code = False

    def flush():
        if para:
            out.append((section, " ".join(para)))
            para.clear()

    for ln in text.split("\n"):
        if ln.startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        m = re.match(r"^#{1,6} (.*)$", ln)
        if m:
            flush()
            section = m.group(1).strip()
            continue
        if not ln.strip():
            flush()
            continue
        para.append(ln.strip())
    flush()
    return out


def md_clauses(text):
    """[(label, section, paragraph)] and the problems found on the way."""
    clauses = []
    problems = []
    for sec, p in md_paragraphs(text):
        labels = BOLD_LABEL.findall(p)
        if not labels:
            continue
        if not p.startswith("**[") or len(labels) > 1:
            problems.append("paragraph in '%s' has bold label(s) %s not "
                            "alone at its start" % (sec, labels))
        clauses.append((labels[0], sec, p))
    return clauses, problems


def count(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # count every bold label, wherever it stands (older drafts put several
    # in one paragraph): the clause is its text up to the next label
    seen = []
    for sec, p in md_paragraphs(text):
        pieces = re.split(r"(?=\*\*\[[A-Z][A-Z0-9-]*\]\*\*)", p)
        for piece in pieces:
            m = BOLD_LABEL.match(piece)
            if m:
                seen.append((m.group(1), bool(KEYWORD.search(piece))))
    labels = sorted(set(lb for lb, _ in seen))
    without = sorted(set(lb for lb, k in seen if not k))
    print("%d labelled clauses, %d without an RFC 2119 keyword" %
          (len(labels), len(without)))
    for lb in without:
        print("  no keyword: [%s]" % lb)


class Tap:
    def __init__(self):
        self.n = 0
        self.fail = 0

    def check(self, ok, name, detail=()):
        self.n += 1
        if ok:
            print("ok %d - %s" % (self.n, name))
        else:
            self.fail += 1
            print("not ok %d - %s" % (self.n, name))
            for d in list(detail)[:40]:
                print("#   %s" % d)

    def summary(self):
        print("%d passed, %d failed" % (self.n - self.fail, self.fail))
        return 1 if self.fail else 0


def tex_clauses(tex):
    """[(label, normative kind or None, paragraph)] of the LaTeX file."""
    out = []
    kind = None
    for p in re.split(r"\n\s*\n", tex):
        p = p.strip()
        if p.startswith("\\devicenormative"):
            kind = "device"
            continue
        if p.startswith("\\drivernormative"):
            kind = "driver"
            continue
        if re.match(r"\\(sub)*section|\\paragraph|\\chapter", p):
            kind = None
            continue
        labels = TEX_LABEL.findall(p)
        if labels:
            out.append((labels[0], kind, p, p.startswith("\\textbf{[") and
                        len(labels) == 1))
    return out


def cited_in_tree(top):
    """Spec labels cited in the sources and tests, with where."""
    try:
        files = subprocess.run(["git", "-C", top, "ls-files", "*.c", "*.h",
                                "*.sh", "*.py"], capture_output=True,
                               text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return {}
    cited = {}
    for fn in files:
        try:
            with open(os.path.join(top, fn), encoding="utf-8",
                      errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        for m in REF_LABEL.finditer(text):
            lb = m.group(1)
            if lb.split("-")[0] in PREFIXES:
                cited.setdefault(lb, fn)
    return cited


# Device IDs in 52..63 (the part of the virtio-pci range above what OASIS
# has assigned or reserved) that out-of-tree implementations use; see
# virtio-accel-spec/id-request.txt for the search.
USED_IDS = {59: "early virtio-media (0x3b)",
            60: "Gunyah accept, virtio-nvrm, crosvm's old pvclock",
            61: "crosvm VIRTIO_ID_PVCLOCK (and old VHOST_USER)",
            62: "crosvm VIRTIO_ID_TPM",
            63: "crosvm/ChromeOS VIRTIO_ID_WL, macOS VZ custom device"}
OASIS_LAST = 51  # 0..49 assigned, 50 reserved, 51 balloted (2026)


def tree_files(top, *pats):
    try:
        return subprocess.run(["git", "-C", top, "ls-files"] + list(pats),
                              capture_output=True, text=True,
                              check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return []


def check_device_id(t, top, spec, md):
    with open(os.path.join(spec, "include", "linux", "virtio_accel.h"),
              encoding="utf-8") as f:
        m = re.search(r"#define\s+VIRTIO_ID_ACCEL\s+(\d+)", f.read())
    did = int(m.group(1)) if m else -1
    pci = 0x1040 + did
    t.check(OASIS_LAST < did <= 63 and did not in USED_IDS,
            "device ID %d: above the IDs OASIS gave out (%d), expressible on "
            "virtio-pci (<= 63), used by no known implementation" %
            (did, OASIS_LAST), ["%d is used by %s" % (did, USED_IDS[did])]
            if did in USED_IDS else [])
    sec2 = md[md.find("## 2. Device ID"):md.find("## 3.")]
    t.check(re.search(r"\b%d\b" % did, sec2) and
            ("0x%04x" % pci) in sec2,
            "spec section 2 gives ID %d and PCI device ID 0x%04x" %
            (did, pci))
    bad = []
    for fn in tree_files(top):
        if fn.endswith(("id-request.txt", "check-spec.py")) or \
                fn.startswith("tests/robust/"):
            continue
        try:
            with open(os.path.join(top, fn), encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            continue
        for m in re.finditer(r"(?i)1af4[: ]+(?:0x)?(10[4-7][0-9a-f])",
                             text):
            if int(m.group(1), 16) != pci:
                bad.append("%s: PCI %s" % (fn, m.group(0)))
        for m in re.finditer(r"#define VIRTIO_ID_ACCEL\s+(\d+)", text):
            if int(m.group(1)) != did:
                bad.append("%s: VIRTIO_ID_ACCEL %s" % (fn, m.group(1)))
        for m in re.finditer(r"(?i)(?:device[ _]?id:? \*?|virtio device "
                             r"\(?|device\(id )(0x00[0-9a-f]{2}|\d+)\b",
                             text):
            v = m.group(1)
            n = int(v, 16) if v.startswith("0x") else int(v)
            if n != did:
                bad.append("%s: %s" % (fn, m.group(0)))
    t.check(not bad, "every PCI ID 1af4:10xx, VIRTIO_ID_ACCEL define and "
            "device ID spelled in the tree is %d / 0x%04x" % (did, pci), bad)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--count":
        count(sys.argv[2])
        return 0
    top = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    spec = os.path.join(top, "virtio-accel-spec")
    md_path = os.path.join(spec, "virtio-accel.md")
    tex_path = os.path.join(spec, "device-types", "accel", "description.tex")
    with open(md_path, encoding="utf-8") as f:
        md = f.read()
    t = Tap()

    clauses, problems = md_clauses(md)
    labels = [c[0] for c in clauses]
    t.check(not problems, "md: one label per clause, at its start", problems)
    dup = sorted(set(lb for lb in labels if labels.count(lb) > 1))
    t.check(not dup, "md: every label names one clause", dup)
    nokw = ["[%s]" % lb for lb, _, p in clauses if not KEYWORD.search(p)]
    t.check(not nokw, "md: every clause has an RFC 2119 keyword (%d clauses)"
            % len(clauses), nokw)
    where = []
    for lb, sec, p in clauses:
        if "Device Requirements" in sec:
            if not re.search(r"\bdevice\b", p):
                where.append("[%s] in '%s' does not name the device" %
                             (lb, sec))
        elif "Driver Requirements" in sec:
            if not re.search(r"\bdriver\b", p):
                where.append("[%s] in '%s' does not name the driver" %
                             (lb, sec))
        else:
            where.append("[%s] is in '%s', not a requirement section" %
                         (lb, sec))
    t.check(not where, "md: device and driver clauses in their own "
            "requirement sections", where)
    stray = []
    for sec, p in md_paragraphs(md):
        if BOLD_LABEL.match(p) or "Conformance" in sec or \
                "conformance" in sec:
            continue
        if sec.startswith("Accelerator Device") and p.startswith('"MUST"'):
            continue  # the conventions paragraph
        k = KEYWORD.findall(p)
        if k:
            stray.append("'%s': %s in: %.70s..." % (sec, k, p))
    t.check(not stray, "md: no RFC 2119 keyword outside the clauses "
            "(descriptive text and appendix are not normative)", stray)
    defined = set(labels)
    refs = set(REF_LABEL.findall(md))
    undef = sorted(refs - defined)
    t.check(not undef, "md: every label referenced is defined", undef)
    dev = [lb for lb, sec, _ in clauses if "Device Requirements" in sec]
    drv = [lb for lb, sec, _ in clauses if "Driver Requirements" in sec]
    conf = {}
    for sec, p in md_paragraphs(md):
        if sec.endswith("Device conformance"):
            conf["device"] = REF_LABEL.findall(p) + conf.get("device", [])
        if sec.endswith("Driver conformance"):
            conf["driver"] = REF_LABEL.findall(p) + conf.get("driver", [])
    d1 = sorted(set(dev) ^ set(conf.get("device", [])))
    d2 = sorted(set(drv) ^ set(conf.get("driver", [])))
    t.check(not d1 and not d2, "md: the conformance lists name every clause "
            "(%d device, %d driver) and nothing else" % (len(dev), len(drv)),
            ["device list differs: %s" % d1] * bool(d1) +
            ["driver list differs: %s" % d2] * bool(d2))

    # the LaTeX chapter
    sys.path.insert(0, os.path.join(spec, "tools"))
    import md2tex  # noqa: E402
    try:
        with open(tex_path, encoding="utf-8") as f:
            tex = f.read()
    except OSError as e:
        tex = ""
        print("# %s" % e)
    gen = md2tex.convert(md)
    stale = []
    for name, text in gen.items():
        try:
            with open(os.path.join(os.path.dirname(tex_path), name),
                      encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(name)
        except OSError as e:
            stale.append("%s: %s" % (name, e))
    t.check(not stale, "tex: description.tex and the conformance files are "
            "what tools/md2tex.py makes of virtio-accel.md (run "
            "tools/md2tex.py virtio-accel.md device-types/accel)", stale)
    unbal = []
    depth = 0
    envs = []
    for n, ln in enumerate(tex.split("\n"), 1):
        if ln.startswith("%"):
            continue
        for m in re.finditer(r"\\(begin|end)\{([a-z]+)\}", ln):
            if m.group(1) == "begin":
                envs.append(m.group(2))
            elif not envs or envs.pop() != m.group(2):
                unbal.append("line %d: \\end{%s} without its \\begin" %
                             (n, m.group(2)))
        if envs and envs[-1] == "lstlisting":
            continue
        depth += len(re.findall(r"(?<!\\)\{", ln)) - \
            len(re.findall(r"(?<!\\)\}", ln))
        if depth:
            unbal.append("line %d: unbalanced braces" % n)
            depth = 0
    unbal += ["\\begin{%s} never ended" % e for e in envs]
    t.check(not unbal, "tex: braces and environments balanced", unbal)
    tc = tex_clauses(tex)
    tl = [c[0] for c in tc]
    diff = sorted(set(tl) ^ defined)
    t.check(not diff and len(tl) == len(labels),
            "tex: the same %d clause labels as the md" % len(labels),
            ["only in one of them: %s" % diff] if diff else
            ["%d clauses in tex, %d in md" % (len(tl), len(labels))])
    bad = ["[%s]" % lb for lb, _, p, alone in tc
           if not alone or not KEYWORD.search(p)]
    t.check(not bad, "tex: every clause alone in its paragraph, with an "
            "RFC 2119 keyword", bad)
    mdkind = {lb: ("device" if "Device Requirements" in sec else
                   "driver" if "Driver Requirements" in sec else None)
              for lb, sec, _ in clauses}
    wrong = ["[%s]: %s in tex, %s in md" % (lb, k, mdkind.get(lb))
             for lb, k, _, _ in tc if k is None or k != mdkind.get(lb)]
    t.check(not wrong, "tex: every clause under \\devicenormative or "
            "\\drivernormative as in the md", wrong)
    for macro in ("\\devicenormative", "\\drivernormative",
                  "\\begin{lstlisting}", "\\field{"):
        t.check(macro in tex, "tex: uses the virtio-spec macro %s" % macro)

    check_device_id(t, top, spec, md)
    cited = cited_in_tree(top)
    miss = sorted("[%s] (%s)" % (lb, fn) for lb, fn in cited.items()
                  if lb not in defined)
    t.check(not miss, "every label cited in the sources and tests is a "
            "clause of the spec (%d cited)" % len(cited), miss)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
