# SPDX-License-Identifier: BSD-3-Clause
# vaccel-multife: many front-ends on one back-end (tests/frontends/).

MULTIFE_OBJ := $(O)/tests/frontends/multife.o
$(MULTIFE_OBJ): EXTRA_CFLAGS := -Iguest-driver/lib/include -Itests/lib

$(O)/tests/vaccel-multife: $(MULTIFE_OBJ) $(O)/libvirtaccel.a
	$(CC) $(BASE_LDFLAGS) -o $@ $(MULTIFE_OBJ) $(O)/libvirtaccel.a \
		-lcrypto -lpthread

all: $(O)/tests/vaccel-multife
