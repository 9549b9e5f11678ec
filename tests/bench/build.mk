# SPDX-License-Identifier: BSD-3-Clause
# vaccel-bench: the device against its baselines (make bench).

BENCH_OBJ := $(O)/tests/bench/bench.o $(O)/tests/bench/bench_multife.o
$(BENCH_OBJ): EXTRA_CFLAGS := -Iguest-driver/lib/include -Itests/lib

$(O)/vaccel-bench: $(BENCH_OBJ) $(O)/libvirtaccel.a
	$(CC) $(BASE_LDFLAGS) -o $@ $(BENCH_OBJ) $(O)/libvirtaccel.a \
		-lcrypto -lz -lm -lpthread

all: $(O)/vaccel-bench

# engine-split: a small request's CPU time per engine step, no transport
# (tests/bench/engine_split.c; quoted in docs/performance.md).
$(O)/tests/bench/engine_split.o: EXTRA_CFLAGS := $(DPDK_CFLAGS) \
	-DALLOW_EXPERIMENTAL_API
$(O)/engine-split: $(O)/tests/bench/engine_split.o
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(DPDK_LIBS) -lrte_bus_vdev -lcrypto

all: $(O)/engine-split
