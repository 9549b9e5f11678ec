# SPDX-License-Identifier: BSD-3-Clause
#
# tests/robust: the malformed-input table (vaccel-robust, docs/robustness.md)
# and the time-of-check/time-of-use test (vaccel-robust --toctou against a
# live device; toctou-inproc against the back-end's worker in one process,
# also built with ThreadSanitizer as toctou-inproc-tsan), and the back-end
# itself with ThreadSanitizer ($(O)/tsan/vhost-user-accel).

# vaccel-robust reaches into libvirtaccel's queues (internal.h): it links
# the static library, whose internal symbols are only hidden in the .so.
ROBUST_OBJ := $(O)/tests/robust/robust.o $(O)/tests/robust/rt.o \
	$(O)/tests/robust/toctou.o $(O)/tests/common/cases.o
EXTRA_CFLAGS_tests_robust_ := -Iguest-driver/lib/include -Itests/lib \
	-Iguest-driver/lib/src -pthread

$(O)/tests/robust/vaccel-robust: $(ROBUST_OBJ) $(O)/libvirtaccel.a
	$(CC) $(BASE_LDFLAGS) -o $@ $(ROBUST_OBJ) $(O)/libvirtaccel.a -lpthread

# The hostile vhost-user front-end (raw protocol, no libvirtaccel) that
# attacks the real back-end: tests/robust/run-hostile.sh.
$(O)/tests/robust/hostile-vu: $(O)/tests/robust/hostile_vu.o
	$(CC) $(BASE_LDFLAGS) -o $@ $^

all: $(O)/tests/robust/hostile-vu

# The vhost-user side of migration (ring stop without reset, RESET_DEVICE,
# dirty logging) against the real back-end: tests/robust/mig_vu.c.
$(O)/tests/robust/mig-vu: $(O)/tests/robust/mig_vu.o $(O)/tests/robust/vu_fe.o
	$(CC) $(BASE_LDFLAGS) -o $@ $^

all: $(O)/tests/robust/mig-vu

# The device-state transfer (SET_DEVICE_STATE_FD, CHECK_DEVICE_STATE) fed
# hostile states and hostile messages: tests/robust/state_vu.c.
$(O)/tests/robust/state-vu: $(O)/tests/robust/state_vu.o $(O)/tests/robust/vu_fe.o
	$(CC) $(BASE_LDFLAGS) -o $@ $^

all: $(O)/tests/robust/state-vu

# The back-end's request path without DPDK's libraries (its headers only).
TOCTOU_SRC := tests/robust/toctou_inproc.c tests/robust/toctou.c \
	vhost-user-backend/src/worker.c vhost-user-backend/src/op.c \
	vhost-user-backend/src/pipeline.c \
	vhost-user-backend/src/ctrl.c vhost-user-backend/src/vring.c \
	vhost-user-backend/src/engine_sw.c vhost-user-backend/src/stats.c \
	$(SPEC_SRC) \
	virtio-accel-spec/lib/virtio_accel_zlib.c
TOCTOU_LIBS := -lIPSec_MB -lcrypto -lz -lpthread
TOCTOU_INPROC_CFLAGS := $(DPDK_CFLAGS) -DALLOW_EXPERIMENTAL_API \
	-Ivhost-user-backend/src -pthread

$(O)/tests/robust/toctou_inproc.o: EXTRA_CFLAGS := $(TOCTOU_INPROC_CFLAGS)

$(O)/tests/robust/toctou-inproc: $(TOCTOU_SRC:%.c=$(O)/%.o)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(TOCTOU_LIBS)

all: $(O)/tests/robust/vaccel-robust $(O)/tests/robust/toctou-inproc

# ThreadSanitizer cannot be combined with ASan: built by the plain pass only,
# from objects of its own under $(O)/tsan/.
ifneq ($(SAN),1)
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer

$(O)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TSAN_FLAGS) $(CFLAGS) $(EXTRA_CFLAGS) \
		$(EXTRA_CFLAGS_$(subst /,_,$(dir $<))) -c $< -o $@

$(O)/tsan/tests/robust/toctou_inproc.o: EXTRA_CFLAGS := $(TOCTOU_INPROC_CFLAGS)

$(O)/tests/robust/toctou-inproc-tsan: $(TOCTOU_SRC:%.c=$(O)/tsan/%.o)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(TOCTOU_LIBS)

# The whole back-end with TSan (DPDK's libraries are not instrumented):
# run-robust.sh host runs the table against it too, for races between
# librte_vhost's message thread and the worker.
$(O)/tsan/vhost-user-accel: $(VHOST_USER_ACCEL_SRCS:%.c=$(O)/tsan/%.o)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(VHOST_USER_ACCEL_LIBS)

all: $(O)/tests/robust/toctou-inproc-tsan $(O)/tsan/vhost-user-accel
endif
