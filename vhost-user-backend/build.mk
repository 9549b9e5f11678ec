# SPDX-License-Identifier: BSD-3-Clause
#
# vhost-user-accel: DPDK vhost-user back-end daemon (included by ../Makefile).
#
# Targets:   $(O)/vhost-user-accel (added to `all`), vhost-user-accel (alias)
# Variables: VHOST_USER_ACCEL_SRCS, VHOST_USER_ACCEL_OBJS, VHOST_USER_ACCEL_BIN,
#            VHOST_USER_ACCEL_LIBS, DPDK_CFLAGS, DPDK_LIBS,
#            VHOST_USER_ACCEL_VRING_SRC (the DPDK-free descriptor walker that
#            unit tests and fuzzers may link on its own).

DPDK_CFLAGS := $(patsubst -I%,-isystem%,$(shell pkg-config --cflags libdpdk))
DPDK_LIBS := $(shell pkg-config --libs libdpdk)

VHOST_USER_ACCEL_VRING_SRC := vhost-user-backend/src/vring.c
VHOST_USER_ACCEL_SRCS := \
	vhost-user-backend/src/main.c \
	vhost-user-backend/src/vhost.c \
	vhost-user-backend/src/vumsg.c \
	vhost-user-backend/src/worker.c \
	vhost-user-backend/src/op.c \
	vhost-user-backend/src/pipeline.c \
	vhost-user-backend/src/ctrl.c \
	vhost-user-backend/src/engine_crypto.c \
	vhost-user-backend/src/engine_comp.c \
	vhost-user-backend/src/engine_sw.c \
	vhost-user-backend/src/dma.c \
	vhost-user-backend/src/stats.c \
	vhost-user-backend/src/telemetry.c \
	vhost-user-backend/src/migrate.c \
	vhost-user-backend/src/state.c \
	$(VHOST_USER_ACCEL_VRING_SRC) \
	$(SPEC_SRC) virtio-accel-spec/lib/virtio_accel_zlib.c \
	virtio-accel-spec/lib/virtio_accel_state.c \
	virtio-accel-spec/lib/virtio_accel_state_seal.c
VHOST_USER_ACCEL_OBJS := $(patsubst %.c,$(O)/%.o,$(VHOST_USER_ACCEL_SRCS))
VHOST_USER_ACCEL_BIN := $(O)/vhost-user-accel
VHOST_USER_ACCEL_LIBS := $(DPDK_LIBS) -lrte_bus_vdev -lIPSec_MB -lcrypto -lz \
	-lpthread

# Picked up by the top-level `$(O)/%.o: %.c` rule for files in src/.
EXTRA_CFLAGS_vhost-user-backend_src_ := $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API \
	-Ivhost-user-backend/src

$(VHOST_USER_ACCEL_BIN): $(VHOST_USER_ACCEL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_LDFLAGS) $(CFLAGS) -o $@ $^ $(VHOST_USER_ACCEL_LIBS)

vhost-user-accel: $(VHOST_USER_ACCEL_BIN)

all: $(VHOST_USER_ACCEL_BIN)

.PHONY: vhost-user-accel
