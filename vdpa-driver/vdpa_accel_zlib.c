// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The spec's DEFLATE semantics over zlib, compiled unchanged into the module:
 * the same source the DPDK back-end compiles (with user-space zlib).
 */
#include "../virtio-accel-spec/lib/virtio_accel_zlib.c"
