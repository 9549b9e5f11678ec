# SPDX-License-Identifier: BSD-3-Clause
# vaccelprov.so, the OpenSSL 3 provider: libvirtaccel linked in (static, its
# symbols kept local), libcrypto for OSSL_PARAM; only OSSL_provider_init is
# exported.

VACCELPROV_OBJ := $(O)/guest-driver/provider/vaccelprov.o
VACCELPROV_MAP := guest-driver/provider/vaccelprov.map
# where OpenSSL looks for providers (make install puts it there)
OSSL_MODULESDIR ?= $(shell openssl version -m 2>/dev/null | \
	sed -n 's/^MODULESDIR: "\(.*\)"$$/\1/p')

$(VACCELPROV_OBJ): EXTRA_CFLAGS := -Iguest-driver/lib/include \
	-Iguest-driver/include/uapi -fvisibility=hidden -pthread

$(O)/vaccelprov.so: $(VACCELPROV_OBJ) $(O)/libvirtaccel.a $(VACCELPROV_MAP)
	$(CC) -shared $(BASE_LDFLAGS) $(CFLAGS) -Wl,-z,defs \
		-Wl,--version-script=$(VACCELPROV_MAP) -o $@ \
		$(VACCELPROV_OBJ) $(O)/libvirtaccel.a -lcrypto -pthread

all: $(O)/vaccelprov.so
