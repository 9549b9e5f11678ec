// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The shared table of (op, algorithm) pairs, request helpers, and the
 * DEFLATE semantics over zlib (deflate's software fallback), compiled
 * unchanged into the module: the same source the DPDK back-end, the vDPA
 * parent and the tests compile.
 */
#include "../../virtio-accel-spec/lib/virtio_accel_req.c"
#include "../../virtio-accel-spec/lib/virtio_accel_zlib.c"
