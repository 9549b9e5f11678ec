#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Validate a vhost-user back-end descriptor or --print-capabilities output
against QEMU's vhost-user.json schema (tests/deploy/vhost-user-schema.json,
draft 7, checked with Debian's python3-jsonschema).

  check-vhost-user-json.py descriptor|capabilities FILE [--qemu-enum]

Default: QEMU's VHostUserBackendType plus 'accel', the one value this
device needs. --qemu-enum: QEMU's enum alone (then 'accel' must fail, and
the same document with a type QEMU knows must pass: the type is the only
deviation). Prints one line; exit 0 valid, 1 invalid, 2 usage.
"""
import json
import os
import sys

import jsonschema


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("descriptor", "capabilities"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, path = sys.argv[1], sys.argv[2]
    qemu_only = "--qemu-enum" in sys.argv[3:]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "vhost-user-schema.json")) as f:
        schema = json.load(f)
    if not qemu_only:
        schema["definitions"]["type"]["enum"].append("accel")
    schema["$ref"] = "#/definitions/" + kind
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: not JSON: {e}")
        return 1
    jsonschema.Draft7Validator.check_schema(schema)
    errs = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc),
                  key=lambda e: list(e.path))
    if errs:
        for e in errs:
            print(f"{path}: {kind}: {'/'.join(map(str, e.path)) or '.'}: {e.message}")
        return 1
    print(f"{path}: valid {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
