# SPDX-License-Identifier: BSD-3-Clause
#
# Deployment: manual pages, systemd unit, QEMU vhost-user descriptor, udev
# rules, modprobe.d examples, DKMS sources, Debian packages (deploy/README.md).
#
#   make progs           what `make install` installs (no tests)
#   make man             $(O)/man/*: vaccel.1 and vhost-user-accel.8 by
#                        help2man from --help, libvirtaccel.3, vaccelprov.7
#   make install-dkms-src  /usr/src/{vdpa-accel,virtio-accel}-VERSION
#   make deb             Debian packages (dpkg-buildpackage) into build-deb/

SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
QEMU_VHOST_USER_DIR ?= $(PREFIX)/share/qemu/vhost-user
MANDIR ?= $(PREFIX)/share/man
DKMS_SRCDIR ?= /usr/src
DEB_OUT ?= build-deb

MANPAGES := $(O)/man/vaccel.1 $(O)/man/vhost-user-accel.8 \
	    $(O)/man/libvirtaccel.3 $(O)/man/vaccelprov.7
H2M := help2man --no-info --no-discard-stderr \
	--version-string=$(VIRTACCEL_VERSION)

$(O)/man/vaccel.1: $(O)/vaccel deploy/man/vaccel.h2m
	@mkdir -p $(dir $@)
	$(H2M) -s 1 -n "command-line tool for virtio-accel devices" \
		-i deploy/man/vaccel.h2m -o $@ $(O)/vaccel

$(O)/man/vhost-user-accel.8: $(O)/vhost-user-accel deploy/man/vhost-user-accel.h2m
	@mkdir -p $(dir $@)
	$(H2M) -s 8 -n "DPDK vhost-user back-end for the virtio-accel device" \
		-i deploy/man/vhost-user-accel.h2m -o $@ $(O)/vhost-user-accel

$(O)/man/%: deploy/man/%
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VIRTACCEL_VERSION)/' $< >$@

man: $(MANPAGES)

progs: $(O)/vaccel $(O)/vhost-user-accel $(O)/libvirtaccel.so.1 \
	$(O)/libvirtaccel.so $(O)/libvirtaccel.a $(O)/libvirtaccel.pc \
	$(O)/vaccelprov.so $(MANPAGES)

install-deploy: progs
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(QEMU_VHOST_USER_DIR)
	install -m 644 $(O)/man/vaccel.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(O)/man/libvirtaccel.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(O)/man/vaccelprov.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(O)/man/vhost-user-accel.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|^ExecStart=/usr/bin/|ExecStart=$(PREFIX)/bin/|' \
		deploy/systemd/vhost-user-accel@.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/vhost-user-accel@.service
	install -m 644 deploy/udev/60-vaccel.rules deploy/udev/60-vdpa-accel.rules \
		$(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 deploy/sysusers/virtio-accel.conf $(DESTDIR)$(SYSUSERSDIR)/
	# the descriptor names the installed binary
	sed 's|@BINDIR@|$(PREFIX)/bin|' deploy/qemu/50-vhost-user-accel.json.in \
		>$(DESTDIR)$(QEMU_VHOST_USER_DIR)/50-vhost-user-accel.json

# The module sources as DKMS wants them: the repository's layout (the Kbuild
# files reach ../virtio-accel-spec), with only what each module builds from.
VDPA_DKMS := $(DESTDIR)$(DKMS_SRCDIR)/vdpa-accel-$(VIRTACCEL_VERSION)
GUEST_DKMS := $(DESTDIR)$(DKMS_SRCDIR)/virtio-accel-$(VIRTACCEL_VERSION)
# (every file of virtio-accel-spec/lib/ is code both worlds compile: the
# request validation, the device core, the DEFLATE steps)
SPEC_KSRC := virtio-accel-spec/include/linux/virtio_accel.h \
	$(sort $(wildcard virtio-accel-spec/lib/*.[ch]))

install-dkms-src:
	for d in $(VDPA_DKMS) $(GUEST_DKMS); do \
		install -d $$d/virtio-accel-spec/include/linux \
			$$d/virtio-accel-spec/lib; \
		for f in $(SPEC_KSRC); do install -m 644 $$f $$d/$$f; done; \
	done
	install -d $(VDPA_DKMS)/vdpa-driver
	install -m 644 vdpa-driver/Kbuild vdpa-driver/*.[ch] \
		$(VDPA_DKMS)/vdpa-driver/
	sed 's/#MODULE_VERSION#/$(VIRTACCEL_VERSION)/' \
		deploy/dkms/vdpa-accel.dkms.conf >$(VDPA_DKMS)/dkms.conf
	install -d $(GUEST_DKMS)/guest-driver/kernel \
		$(GUEST_DKMS)/guest-driver/include/uapi/linux
	install -m 644 guest-driver/kernel/Kbuild guest-driver/kernel/*.[ch] \
		$(GUEST_DKMS)/guest-driver/kernel/
	install -m 644 guest-driver/include/uapi/linux/virtio_accel_ioctl.h \
		$(GUEST_DKMS)/guest-driver/include/uapi/linux/
	sed 's/#MODULE_VERSION#/$(VIRTACCEL_VERSION)/' \
		deploy/dkms/virtio-accel.dkms.conf >$(GUEST_DKMS)/dkms.conf

# Debian packages from a copy of the tracked (and new, not ignored) files, so
# that dpkg-buildpackage writes only under $(DEB_OUT)/.
deb:
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_OUT)/virtio-accel-$(VIRTACCEL_VERSION)
	git ls-files -co --exclude-standard -z | \
		grep -zv '^$(DEB_OUT)/' | \
		xargs -0 tar cf - | tar xf - -C $(DEB_OUT)/virtio-accel-$(VIRTACCEL_VERSION)
	cd $(DEB_OUT)/virtio-accel-$(VIRTACCEL_VERSION) && \
		dpkg-buildpackage -b -us -uc -j2
	ls $(DEB_OUT)/*.deb

.PHONY: man progs install-deploy install-dkms-src deb
