#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate device-types/accel/description.tex from virtio-accel.md.

The chapter's source is the Markdown file; the LaTeX file is its
translation into the virtio specification's own markup, so that it can drop
into the virtio-spec tree (device-types/accel/):

  # title                    -> \\section{Accelerator Device}
  ## N. Heading              -> \\subsection{Heading}
  ### N.M Heading            -> \\subsubsection{Heading}
  "Device Requirements: X"   -> \\devicenormative{\\subsubsection}{X}{...}
  "Driver Requirements: X"   -> \\drivernormative{\\subsubsection}{X}{...}
  ```c struct ...```         -> \\begin{lstlisting} ... \\end{lstlisting}
  `lower_case`               -> \\field{lower_case}
  **[LABEL]**                -> \\textbf{[LABEL]}
  | tables |                 -> tabular
  - lists, 1. lists          -> itemize, enumerate

Only the subset of Markdown the chapter uses is understood; anything else is
an error, so the two files cannot drift silently.

  md2tex.py SPEC.md            print description.tex to stdout
  md2tex.py SPEC.md OUTDIR     write OUTDIR/description.tex,
                               device-conformance.tex, driver-conformance.tex

The Markdown's Conformance section (the lists of clause labels) becomes the
two conformance files, which list the requirement sections the way the
virtio specification does.
"""
import re
import sys

CHAPTER = "Device Types / Accelerator Device"


def esc(s):
    """Escape LaTeX specials in plain text."""
    out = []
    for ch in s:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append("\\textbackslash{}")
        elif ch == "~":
            out.append("\\textasciitilde{}")
        elif ch == "^":
            out.append("\\textasciicircum{}")
        elif ch == "<":
            out.append("\\textless{}")
        elif ch == ">":
            out.append("\\textgreater{}")
        elif ch == "‖":
            out.append("$\\|$")
        elif ch == "×":
            out.append("$\\times$")
        elif ch == "−":
            out.append("$-$")
        elif ch == "–":
            out.append("--")
        else:
            out.append(ch)
    return "".join(out)


FIELD = re.compile(r"^[a-z][a-z0-9_]*(\[[a-z_]*\])?$")


def inline(s):
    """Translate inline markup: `code`, **bold**, *italic*, 2^36."""
    parts = re.split(r"(`[^`]*`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)", s)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            c = p[1:-1]
            if FIELD.match(c):
                out.append("\\field{%s}" % esc(c))
            else:
                out.append("\\texttt{%s}" % esc(c))
        elif p.startswith("**") and p.endswith("**"):
            out.append("\\textbf{%s}" % inline(p[2:-2]))
        elif p.startswith("*") and p.endswith("*") and len(p) > 2:
            out.append("\\emph{%s}" % inline(p[1:-1]))
        else:
            t = esc(p)
            t = re.sub(r"2\\textasciicircum\{\}(\d+)", r"$2^{\1}$", t)
            out.append(t)
    return "".join(out)


def strip_num(title):
    """'7.4.1 Device Requirements: X' -> 'Device Requirements: X'."""
    return re.sub(r"^(\d+(\.\d+)*\.?|Appendix [A-Z]\.|[A-Z]\.\d+)\s+", "",
                  title)


class Conv:
    def __init__(self):
        self.out = []
        self.path = [CHAPTER]  # label path of the current section
        self.normative = {"device": [], "driver": []}
        self.skip = False  # inside the Markdown's conformance section

    def emit(self, s=""):
        if not self.skip:
            self.out.append(s)

    def heading(self, level, title):
        t = strip_num(title)
        if level == 2:
            # the conformance lists go to their own files, as in virtio-spec
            self.skip = t == "Conformance"
        if self.skip:
            return
        if level == 1:
            name = re.sub(r"\s*\(.*$", "", t)
            self.emit("\\section{%s}\\label{sec:%s}" % (esc(name), CHAPTER))
            self.emit()
            return
        m = re.match(r"(Device|Driver) Requirements: (.*)$", t)
        cmd = {2: "\\subsection", 3: "\\subsubsection",
               4: "\\paragraph"}[min(level, 4)]
        if m:
            what = m.group(2)
            label = " / ".join(self.path[:level - 1])
            macro = "\\devicenormative" if m.group(1) == "Device" \
                else "\\drivernormative"
            self.normative[m.group(1).lower()].append(label)
            self.emit("%s{%s}{%s}{%s}" % (macro, cmd, esc(what), label))
            self.emit()
            return
        del self.path[level - 1:]
        self.path.append(t)
        self.emit("%s{%s}\\label{sec:%s}" %
                  (cmd, inline(t), " / ".join(self.path)))
        self.emit()

    def table(self, rows):
        cells = [[c.strip() for c in r.strip().strip("|").split("|")]
                 for r in rows]
        head, body = cells[0], cells[2:]
        n = len(head)
        self.emit("\\begin{tabular}{|%s|}" % "|".join(["l"] * (n - 1) +
                                                       ["p{6cm}"]))
        self.emit("\\hline")
        self.emit(" & ".join("\\textbf{%s}" % inline(c) for c in head) +
                  " \\\\")
        self.emit("\\hline")
        for r in body:
            if len(r) != n:
                raise SystemExit("md2tex: table row with %d cells, not %d:"
                                 " %s" % (len(r), n, r))
            self.emit(" & ".join(inline(c) for c in r) + " \\\\")
            self.emit("\\hline")
        self.emit("\\end{tabular}")
        self.emit()

    def lst(self, kind, items):
        env = "itemize" if kind == "-" else "enumerate"
        self.emit("\\begin{%s}" % env)
        for it in items:
            self.emit("\\item " + inline(it))
        self.emit("\\end{%s}" % env)
        self.emit()


def convert(text):
    c = Conv()
    lines = text.split("\n")
    i = 0
    n = len(lines)
    while i < n:
        ln = lines[i]
        if ln.startswith("<!--"):
            while "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        if not ln.strip():
            i += 1
            continue
        m = re.match(r"^(#{1,4}) (.*)$", ln)
        if m:
            c.heading(len(m.group(1)), m.group(2).strip())
            i += 1
            continue
        if ln.startswith("```"):
            i += 1
            c.emit("\\begin{lstlisting}")
            while not lines[i].startswith("```"):
                c.emit(lines[i].replace("\t", "        ")
                       .replace("‖", "||").replace("−", "-"))
                i += 1
            c.emit("\\end{lstlisting}")
            c.emit()
            i += 1
            continue
        if ln.startswith("|"):
            rows = []
            while i < n and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            c.table(rows)
            continue
        m = re.match(r"^(-|\d+\.) ", ln)
        if m:
            kind = "-" if m.group(1) == "-" else "1"
            items = []
            while i < n and lines[i].strip():
                mm = re.match(r"^(-|\d+\.) (.*)$", lines[i])
                if mm:
                    items.append(mm.group(2))
                elif lines[i].startswith("  "):
                    items[-1] += " " + lines[i].strip()
                else:
                    raise SystemExit("md2tex: line %d: bad list line" %
                                     (i + 1))
                i += 1
            c.lst(kind, items)
            continue
        para = []
        while i < n and lines[i].strip() and not lines[i].startswith(
                ("#", "```", "|")):
            para.append(lines[i].strip())
            i += 1
        c.emit(inline(" ".join(para)))
        c.emit()
    hdr = ("% SPDX-License-Identifier: CC-BY-4.0\n"
           "% Generated from virtio-accel-spec/virtio-accel.md by\n"
           "% virtio-accel-spec/tools/md2tex.py: edit the Markdown, then\n"
           "% regenerate (tests/spec/check-spec.py checks that they agree).\n")
    files = {"description.tex": hdr + "\n".join(c.out).rstrip("\n") + "\n"}
    for kind, Kind in (("device", "Device"), ("driver", "Driver")):
        t = [hdr.rstrip("\n"),
             "\\conformance{\\subsection}{Accelerator %s Conformance}"
             "\\label{sec:Conformance / %s Conformance / Accelerator %s "
             "Conformance}" % (Kind, Kind, Kind), "",
             "An accelerator %s MUST conform to the following normative "
             "statements:" % kind, "", "\\begin{itemize}"]
        seen = []
        for lb in c.normative[kind]:
            if lb not in seen:
                seen.append(lb)
                t.append("\\item \\ref{%snormative:%s}" % (kind, lb))
        t.append("\\end{itemize}")
        files["%s-conformance.tex" % kind] = "\n".join(t) + "\n"
    return files


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        files = convert(f.read())
    if len(sys.argv) == 3:
        for name, text in files.items():
            with open("%s/%s" % (sys.argv[2], name), "w",
                      encoding="utf-8") as f:
                f.write(text)
    else:
        sys.stdout.write(files["description.tex"])


if __name__ == "__main__":
    main()
