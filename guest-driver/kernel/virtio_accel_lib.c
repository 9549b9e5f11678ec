// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The shared table of (op, algorithm) pairs and request helpers, compiled
 * unchanged into the module: the same source the DPDK back-end, the vDPA
 * parent and the tests compile.
 */
#include "../../virtio-accel-spec/lib/virtio_accel_req.c"
