# SPDX-License-Identifier: BSD-3-Clause
#
# guest-driver: libvirtaccel (user-space driver). Included by the top-level
# Makefile; paths are relative to the repository root.

VIRTACCEL_VERSION := 1.1.0
VIRTACCEL_SRCS := $(wildcard guest-driver/lib/src/*.c)
VIRTACCEL_OBJS := $(VIRTACCEL_SRCS:%.c=$(O)/%.o) \
		  $(O)/virtio-accel-spec/lib/virtio_accel_req.o
VIRTACCEL_MAP := guest-driver/lib/libvirtaccel.map
PREFIX ?= /usr/local

EXTRA_CFLAGS_guest-driver_lib_src_ += -Iguest-driver/lib/include \
	-Iguest-driver/include/uapi \
	-fvisibility=hidden -pthread

$(O)/libvirtaccel.a: $(VIRTACCEL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(O)/libvirtaccel.so.$(VIRTACCEL_VERSION): $(VIRTACCEL_OBJS) $(VIRTACCEL_MAP)
	@mkdir -p $(dir $@)
	$(CC) -shared $(BASE_LDFLAGS) $(CFLAGS) -Wl,-soname,libvirtaccel.so.1 \
		-Wl,--version-script=$(VIRTACCEL_MAP) -Wl,-z,defs \
		-o $@ $(VIRTACCEL_OBJS) -pthread

$(O)/libvirtaccel.so.1: $(O)/libvirtaccel.so.$(VIRTACCEL_VERSION)
	ln -sf libvirtaccel.so.$(VIRTACCEL_VERSION) $@

$(O)/libvirtaccel.so: $(O)/libvirtaccel.so.1
	ln -sf libvirtaccel.so.1 $@

$(O)/libvirtaccel.pc: guest-driver/lib/libvirtaccel.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VIRTACCEL_VERSION)|' \
		$< > $@

all: $(O)/libvirtaccel.a $(O)/libvirtaccel.so.1 $(O)/libvirtaccel.so \
	$(O)/libvirtaccel.pc
