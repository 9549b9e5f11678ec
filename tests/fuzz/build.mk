# SPDX-License-Identifier: BSD-3-Clause
#
# libFuzzer targets (tests/fuzz/README.md). Built with clang into $(O)/fuzz/,
# apart from the gcc build: `make fuzz-build` builds them, `make fuzz
# FUZZ_SECONDS=N` builds and runs each for N seconds. `all` does not need
# clang.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_O := $(O)/fuzz
FUZZ_SAN := -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) \
	-Ivirtio-accel-spec/include -Ivirtio-accel-spec/lib \
	-Ivhost-user-backend/src -Iguest-driver/lib/include \
	-Iguest-driver/lib/src -Iguest-driver/include/uapi \
	-MMD -MP

FUZZ_TARGETS := req zlib vring backend virtqueue vhost_user vdpa vhost_msg \
	state

# Sources of each target besides tests/fuzz/fuzz_<name>.c
FUZZ_LIB_SRC := $(wildcard guest-driver/lib/src/*.c) $(SPEC_SRC)
FUZZ_SRC_req := $(SPEC_SRC)
FUZZ_SRC_zlib := $(SPEC_SRC) virtio-accel-spec/lib/virtio_accel_zlib.c
FUZZ_SRC_vring := vhost-user-backend/src/vring.c
# worker.c is #included by fuzz_backend.c (its queue loop is static)
FUZZ_SRC_backend := vhost-user-backend/src/vring.c \
	vhost-user-backend/src/op.c vhost-user-backend/src/ctrl.c \
	vhost-user-backend/src/stats.c \
	vhost-user-backend/src/pipeline.c \
	tests/unit/mock_backend.c $(SPEC_SRC)
FUZZ_SRC_virtqueue := guest-driver/lib/src/virtqueue.c
FUZZ_SRC_vhost_user := $(FUZZ_LIB_SRC)
FUZZ_SRC_vdpa := $(FUZZ_LIB_SRC)
FUZZ_SRC_vhost_msg := vhost-user-backend/src/vhost.c tests/unit/mock_vhost.c \
	vhost-user-backend/src/vumsg.c \
	vhost-user-backend/src/migrate.c vhost-user-backend/src/state.c \
	virtio-accel-spec/lib/virtio_accel_state.c \
	virtio-accel-spec/lib/virtio_accel_state_seal.c \
	vhost-user-backend/src/ctrl.c vhost-user-backend/src/vring.c \
	tests/unit/mock_backend.c $(SPEC_SRC)

# state_crc.c: DPDK's software CRC-32C tables (header only, no EAL)
FUZZ_SRC_state := $(SPEC_SRC) virtio-accel-spec/lib/virtio_accel_state.c \
	virtio-accel-spec/lib/virtio_accel_state_seal.c tests/unit/state_crc.c
FUZZ_LIBS_state := -lcrypto

FUZZ_LIBS_zlib := -lz
FUZZ_LIBS_vhost_msg := -lcrypto -pthread
FUZZ_LIBS_backend := -pthread -Wl,--wrap=va_op_process \
	-Wl,--wrap=va_ctrl_process
FUZZ_LIBS_vhost_user := -pthread -Wl,--wrap=connect -Wl,--wrap=poll \
	-Wl,--wrap=usleep
FUZZ_LIBS_vdpa := -pthread -Wl,--wrap=open -Wl,--wrap=ioctl \
	-Wl,--wrap=write

# DPDK headers (no DPDK library is linked) for the back-end's sources
FUZZ_DPDK_CFLAGS := $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API

$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) \
		$(if $(filter vhost-user-backend/% tests/unit/% \
			tests/fuzz/fuzz_backend.c tests/fuzz/fuzz_vhost_msg.c,$<),\
			$(FUZZ_DPDK_CFLAGS)) -c $< -o $@

define FUZZ_TARGET
$(FUZZ_O)/fuzz_$(1): $(FUZZ_O)/obj/tests/fuzz/fuzz_$(1).o \
		$(patsubst %.c,$(FUZZ_O)/obj/%.o,$(FUZZ_SRC_$(1)))
	$$(FUZZ_CC) $$(FUZZ_SAN) -o $$@ $$^ $$(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET,$(t))))

fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(FUZZ_O)/fuzz_$(t))

fuzz: fuzz-build
	tests/fuzz/run-fuzz.sh -t $(FUZZ_SECONDS) $(FUZZ_O)

.PHONY: fuzz fuzz-build
