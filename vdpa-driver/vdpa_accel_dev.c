// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The shared device core (request handling of both queues), compiled
 * unchanged into the module: the same source the DPDK back-end and the
 * tests compile.
 */
#include "../virtio-accel-spec/lib/virtio_accel_dev.c"
