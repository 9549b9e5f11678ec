# SPDX-License-Identifier: BSD-3-Clause
# vaccel, the CLI; linked against the shared libvirtaccel found beside it.

VACCEL_OBJ := $(O)/guest-driver/cli/vaccel.o $(O)/guest-driver/cli/cdi.o
# found beside the library in build/; packages set it empty (system libdir)
VACCEL_RPATH ?= -Wl,-rpath,'$$ORIGIN'

$(VACCEL_OBJ): EXTRA_CFLAGS := -Iguest-driver/lib/include

$(O)/vaccel: $(VACCEL_OBJ) $(O)/libvirtaccel.so
	$(CC) $(BASE_LDFLAGS) -o $@ $(VACCEL_OBJ) -L$(O) -lvirtaccel \
		$(VACCEL_RPATH)

all: $(O)/vaccel
