# SPDX-License-Identifier: BSD-3-Clause
#
# virtio-accel top-level build. User-space parts are built out of tree into
# $(O) (default build/); `make SAN=1` builds with ASan+UBSan into build-san/.
#
#   make            build everything that can be built here
#   make setup      install every package the project needs (idempotent)
#   make demo       setup + build + the end-to-end demonstration
#   make check      build + the whole test suite (ends "N passed, N failed")
#   make check-fast    the host parts only (no guest boots, ~7 min)
#   make check-nested  data path 2 only: QEMU vhost-vdpa-device-pci in a guest
#   make bench      setup + build + every benchmark: bench/results.json
#   make deb        Debian packages into build-deb/ (deploy/README.md)
#   make fuzz       build the libFuzzer targets (clang) into $(O)/fuzz/ and
#                   run each for FUZZ_SECONDS (default 60); tests/fuzz/

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

SPEC_SRC := virtio-accel-spec/lib/virtio_accel_req.c \
	virtio-accel-spec/lib/virtio_accel_dev.c

all:

include guest-driver/build.mk
include guest-driver/cli/build.mk
include guest-driver/provider/build.mk
include vhost-user-backend/build.mk
include tests/build.mk
include tests/bench/build.mk
include tests/frontends/build.mk
include tests/fuzz/build.mk
include tests/robust/build.mk
include deploy/build.mk

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
	$(MAKE) fuzz-build
	tests/run-all.sh

# the host-only parts (no guest boots): a few minutes, for the edit-test loop
check-fast: setup
	$(MAKE) all
	$(MAKE) SAN=1 all
	$(MAKE) fuzz-build
	CHECK_SKIP='\(guest|guest\)|nested' tests/run-all.sh

check-nested: setup
	$(MAKE) all
	tests/vm/host/t-nested-run.sh

bench: setup
	$(MAKE) all
	tests/bench/run-bench.sh

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
DESTDIR ?=
install: progs install-deploy
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/linux
	install -m 755 $(O)/vaccel $(O)/vhost-user-accel $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(O)/libvirtaccel.so.$(VIRTACCEL_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libvirtaccel.so.$(VIRTACCEL_VERSION) $(DESTDIR)$(LIBDIR)/libvirtaccel.so.1
	ln -sf libvirtaccel.so.1 $(DESTDIR)$(LIBDIR)/libvirtaccel.so
	install -m 644 $(O)/libvirtaccel.a $(DESTDIR)$(LIBDIR)/
	sed -e 's|^prefix=.*|prefix=$(PREFIX)|' -e 's|^libdir=.*|libdir=$(LIBDIR)|' \
		$(O)/libvirtaccel.pc >$(DESTDIR)$(LIBDIR)/pkgconfig/libvirtaccel.pc
	install -m 644 guest-driver/lib/include/virtaccel.h \
		$(DESTDIR)$(PREFIX)/include/
	install -m 644 virtio-accel-spec/include/linux/virtio_accel.h \
		guest-driver/include/uapi/linux/virtio_accel_ioctl.h \
		$(DESTDIR)$(PREFIX)/include/linux/
	install -d $(DESTDIR)$(OSSL_MODULESDIR)
	install -m 755 $(O)/vaccelprov.so $(DESTDIR)$(OSSL_MODULESDIR)/

clean:
	rm -rf build build-san

.PHONY: all setup demo check check-fast check-nested bench clean install progs
-include $(shell find $(O) -name '*.d' 2>/dev/null)
