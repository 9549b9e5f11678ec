#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Why vhost-user-accel has no systemd socket unit (deploy/README.md).

Does what systemd socket activation (Accept=no) would do: a listening socket
bound to a path, one client connected (the one that activates the service),
the back-end started with the socket as --fd while the "manager" keeps its
copy open. librte_vhost 22.11 cannot adopt the fd, so --fd re-creates the
socket at the same path: the activating client is never answered, and once
the back-end stops the path is gone, so the socket unit activates nothing
more.

  tests/deploy/socket-activation-demo.py [BUILD_DIR]   (default build)
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

GET_FEATURES = struct.pack("<III", 1, 0x1, 0)   # vhost-user header, no payload
d = tempfile.mkdtemp(prefix="vaccel-sa.")
path = os.path.join(d, "accel.sock")
bin_ = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build", "vhost-user-accel")

ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)   # systemd's socket
ls.bind(path)
ls.listen(8)
first = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
first.connect(path)                                      # activates the service
be = subprocess.Popen([bin_, "--fd", str(ls.fileno())], pass_fds=(ls.fileno(),),
                      stderr=open(os.path.join(d, "backend.log"), "w"))
time.sleep(3)
first.sendall(GET_FEATURES)
first.settimeout(3)
try:
    print("activating client: reply of %d bytes" % len(first.recv(64)))
except socket.timeout:
    print("activating client: no reply in 3 s (left in the backlog of the socket systemd holds)")
later = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
later.connect(path)
later.sendall(GET_FEATURES)
later.settimeout(3)
print("a later client: reply of %d bytes" % len(later.recv(64)))
be.terminate()
be.wait()
print("back-end stopped: %s %s" % (path, "exists" if os.path.exists(path) else "is gone"))
shutil.rmtree(d)
