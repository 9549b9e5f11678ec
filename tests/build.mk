# SPDX-License-Identifier: BSD-3-Clause
# Tests: unit tests (CUnit), the conformance suite, CLI round trips.

CUNIT_LIBS := -lcunit

# The unit tests link the very objects the programs are built from: the
# back-end's descriptor walker and the library's virtqueue driver.
UNIT_SRC := $(wildcard tests/unit/*.c) tests/common/cases.c $(SPEC_SRC) \
	vhost-user-backend/src/vring.c vhost-user-backend/src/op.c \
	vhost-user-backend/src/pipeline.c \
	vhost-user-backend/src/ctrl.c vhost-user-backend/src/vhost.c \
	vhost-user-backend/src/vumsg.c vhost-user-backend/src/stats.c \
	vhost-user-backend/src/migrate.c vhost-user-backend/src/state.c \
	guest-driver/lib/src/virtqueue.c \
	virtio-accel-spec/lib/virtio_accel_state.c \
	virtio-accel-spec/lib/virtio_accel_state_seal.c
UNIT_OBJ := $(UNIT_SRC:%.c=$(O)/%.o)
# librte_vhost's headers (no DPDK library) for the vhost.c mocks and tests
# (state_crc.c: DPDK's software CRC-32C tables, header only)
$(O)/tests/unit/mock_vhost.o $(O)/tests/unit/test_vhost.o \
$(O)/tests/unit/state_crc.o: \
	EXTRA_CFLAGS := $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API

$(O)/tests/unit_tests: $(UNIT_OBJ) $(UNIT_EXTRA_OBJ)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(CUNIT_LIBS) -lcrypto $(UNIT_EXTRA_LIBS)

all: $(O)/tests/unit_tests

CONF_OBJ := $(O)/tests/conformance/conformance.o $(O)/tests/common/cases.o
$(O)/tests/conformance/conformance.o: EXTRA_CFLAGS := -Iguest-driver/lib/include

$(O)/tests/conformance_suite: $(CONF_OBJ) $(O)/libvirtaccel.a
	$(CC) $(BASE_LDFLAGS) -o $@ $(CONF_OBJ) $(O)/libvirtaccel.a \
		$(CUNIT_LIBS) -lpthread

all: $(O)/tests/conformance_suite

# The software stream engine's state for live migration (issue 16):
# engine_sw.c itself (DPDK's headers, no DPDK library), intel-ipsec-mb,
# OpenSSL and zlib.
ENGINE_STATE_SRC := tests/engine/test_stream_state.c \
	vhost-user-backend/src/engine_sw.c $(SPEC_SRC) \
	virtio-accel-spec/lib/virtio_accel_zlib.c
$(O)/tests/engine/test_stream_state.o: \
	EXTRA_CFLAGS := $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API \
	-Ivhost-user-backend/src

$(O)/tests/engine_state_tests: $(ENGINE_STATE_SRC:%.c=$(O)/%.o)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(CUNIT_LIBS) -lIPSec_MB -lcrypto -lz

all: $(O)/tests/engine_state_tests
