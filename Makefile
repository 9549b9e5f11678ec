# SPDX-License-Identifier: BSD-3-Clause
#
# virtio-accel top-level build. User-space parts are built out of tree into
# $(O) (default build/); `make SAN=1` builds with ASan+UBSan into build-san/.
#
#   make            build everything that can be built here
#   make setup      install every package the project needs (idempotent)
#   make demo       setup + build + the end-to-end demonstration
#   make check      build + the whole test suite (ends "N passed, N failed")

SAN ?=
ifeq ($(SAN),1)
O ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
else
O ?= build
SANFLAGS :=
endif

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -fPIC \
	-Ivirtio-accel-spec/include -Ivirtio-accel-spec/lib \
	-MMD -MP
BASE_LDFLAGS := $(SANFLAGS)

SPEC_SRC := virtio-accel-spec/lib/virtio_accel_req.c

all:

include guest-driver/build.mk
include guest-driver/cli/build.mk
include vhost-user-backend/build.mk
include tests/build.mk

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) \
		$(EXTRA_CFLAGS_$(subst /,_,$(dir $<))) -c $< -o $@

setup:
	scripts/setup.sh

demo: setup
	$(MAKE) all
	scripts/demo.sh $(O)

check: setup
	$(MAKE) all
	$(MAKE) SAN=1 all
	tests/run-all.sh

clean:
	rm -rf build build-san

.PHONY: all setup demo check clean
-include $(shell find $(O) -name '*.d' 2>/dev/null)
