#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Ask a DPDK telemetry socket (v2) one command; print the reply's value.

   tel.py SOCKET COMMAND [KEY...]

Prints the JSON value of COMMAND's reply, or with KEYs the value at that
path (e.g. tel.py S /vaccel/stats,1 q1 requests), one line.
"""
import json
import socket
import sys


def ask(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    info = json.loads(s.recv(16384).decode())
    s.send(cmd.encode())
    out = json.loads(s.recv(info.get("max_output_len", 16384)).decode())
    s.close()
    return out[cmd.split(",")[0]]


def main():
    v = ask(sys.argv[1], sys.argv[2])
    for k in sys.argv[3:]:
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)


if __name__ == "__main__":
    main()
