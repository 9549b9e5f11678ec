# SPDX-License-Identifier: BSD-3-Clause
# vaccel-bench: the device against its baselines (make bench).

BENCH_OBJ := $(O)/tests/bench/bench.o $(O)/tests/bench/bench_multife.o
$(BENCH_OBJ): EXTRA_CFLAGS := -Iguest-driver/lib/include -Itests/lib

$(O)/vaccel-bench: $(BENCH_OBJ) $(O)/libvirtaccel.a
	$(CC) $(BASE_LDFLAGS) -o $@ $(BENCH_OBJ) $(O)/libvirtaccel.a \
		-lcrypto -lz -lm -lpthread

all: $(O)/vaccel-bench
