#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check a Container Device Interface spec: the CDI project's JSON schema
(schema/schema.json + defs.json, vendored in tests/cdi/schema/, Apache-2.0)
through python3-jsonschema, then what the CDI loader checks in Go and the
schema does not say (pkg/parser, pkg/cdi/spec.go): no unknown fields,
cdiVersion a known version, kind "vendor/class" and device names in the
allowed characters, names unique, absolute paths, env "NAME=VALUE".

    cdi-check.py SPEC.json [--kind KIND] [--want NAME...]

--want: these device names must be in the spec. Prints one line per
problem and exits 1 if there is any, else prints "ok: N devices" and 0.
"""
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = ("0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0")
VC = r"[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?"
KIND = re.compile(r"^%s/%s$" % (VC, VC))
NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$")
EDIT_KEYS = {"env", "deviceNodes", "netDevices", "mounts", "hooks",
             "intelRdt", "additionalGids"}
NODE_KEYS = {"path", "hostPath", "permissions", "type", "major", "minor",
             "fileMode", "uid", "gid"}
MOUNT_KEYS = {"hostPath", "containerPath", "options", "type"}


def schema_errors(spec):
    with open(os.path.join(HERE, "schema", "schema.json")) as f:
        schema = json.load(f)
    with open(os.path.join(HERE, "schema", "defs.json")) as f:
        defs = json.load(f)
    resolver = jsonschema.RefResolver(
        "file://" + os.path.join(HERE, "schema") + "/", schema,
        store={"file://" + os.path.join(HERE, "schema", "defs.json"): defs,
               "defs.json": defs})
    v = jsonschema.Draft7Validator(schema, resolver=resolver)
    return ["schema: %s: %s" % ("/".join(map(str, e.path)) or ".", e.message)
            for e in v.iter_errors(spec)]


def edits_errors(where, ed):
    errs = []
    if not isinstance(ed, dict):
        return ["%s: containerEdits is not an object" % where]
    for k in set(ed) - EDIT_KEYS:
        errs.append("%s: unknown field containerEdits.%s" % (where, k))
    for e in ed.get("env", []):
        if not isinstance(e, str) or "=" not in e or e.startswith("="):
            errs.append("%s: env %r is not NAME=VALUE" % (where, e))
    for n in ed.get("deviceNodes", []):
        for k in set(n) - NODE_KEYS:
            errs.append("%s: unknown field deviceNodes.%s" % (where, k))
        if not str(n.get("path", "")).startswith("/"):
            errs.append("%s: device node path %r not absolute" % (where, n.get("path")))
        if n.get("type", "c") not in ("c", "b", "u", "p"):
            errs.append("%s: device node type %r" % (where, n.get("type")))
        if not set(n.get("permissions", "rwm")) <= set("rwm"):
            errs.append("%s: permissions %r" % (where, n.get("permissions")))
    for m in ed.get("mounts", []):
        for k in set(m) - MOUNT_KEYS:
            errs.append("%s: unknown field mounts.%s" % (where, k))
        for k in ("hostPath", "containerPath"):
            if not str(m.get(k, "")).startswith("/"):
                errs.append("%s: mount %s %r not absolute" % (where, k, m.get(k)))
    return errs


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    path, kind, want = args[0], None, []
    rest = args[1:]
    while rest:
        if rest[0] == "--kind" and len(rest) > 1:
            kind, rest = rest[1], rest[2:]
        elif rest[0] == "--want":
            want, rest = rest[1:], []
        else:
            print("cdi-check: bad argument %s" % rest[0], file=sys.stderr)
            return 2
    try:
        with open(path) as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        print("not JSON: %s" % e)
        return 1
    errs = schema_errors(spec)
    if isinstance(spec, dict):
        for k in set(spec) - {"cdiVersion", "kind", "annotations", "devices",
                              "containerEdits"}:
            errs.append("unknown field %s" % k)
        if spec.get("cdiVersion") not in VERSIONS:
            errs.append("cdiVersion %r is not a CDI version" % spec.get("cdiVersion"))
        if not KIND.match(str(spec.get("kind", ""))):
            errs.append("kind %r is not vendor/class" % spec.get("kind"))
        if kind and spec.get("kind") != kind:
            errs.append("kind %r, expected %r" % (spec.get("kind"), kind))
        names = []
        for d in spec.get("devices", []) if isinstance(spec.get("devices"), list) else []:
            if not isinstance(d, dict):
                continue
            n = d.get("name", "")
            for k in set(d) - {"name", "annotations", "containerEdits"}:
                errs.append("device %s: unknown field %s" % (n, k))
            if not NAME.match(str(n)):
                errs.append("device name %r not allowed" % n)
            if n in names:
                errs.append("device name %r twice" % n)
            names.append(n)
            errs += edits_errors("device %s" % n, d.get("containerEdits"))
        if "containerEdits" in spec:
            errs += edits_errors("spec", spec["containerEdits"])
        for w in want:
            if w not in names:
                errs.append("device %s missing (have: %s)" % (w, " ".join(names)))
    for e in errs:
        print(e)
    if errs:
        return 1
    print("ok: %d devices" % len(spec.get("devices", [])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
