# SPDX-License-Identifier: GPL-2.0
#
# xepoll: an alternative to epoll, as a loadable kernel module.
#
#   make              the module (kmod/xepoll.ko), the tools and the selftests
#   make KDIR=<dir>   the module for another kernel's build tree
#   make run          boot a kernel in QEMU with xepoll and show it working
#   make shell        the same guest, with an interactive shell
#   make check        build, lint and test on Debian's 6.1 and 6.12 kernels
#   make bench        the workloads on xepoll, epoll, poll and io_uring, in
#                     one boot of Debian's 6.12 (BENCH_ARGS: xepoll-bench's
#                     options; results in bench/)
#   make lint         checkpatch --strict, sparse and W=1 on both kernels
#   make deps         install the Debian packages all of the above need
#   make install      install the module (for KDIR's kernel), libxepoll, its
#                     headers and pkg-config file, the interposer, the tools,
#                     the man pages, the udev rule and a modules-load.d entry
#                     (DESTDIR, PREFIX; see "Installing" below)
#   make uninstall    remove what make install installed
#   make dkms-install the module's sources in /usr/src/xepoll-<version>,
#                     added to DKMS and built and installed for KDIR's kernel
#   make dkms-remove  remove it from DKMS, every kernel, and /usr/src
#
# Everything that needs a Debian package installs it first (idempotently).

TESTING := tools/testing

# The running kernel's build tree when it has one, else the newest Debian
# 6.1 headers.
KDIR ?= $(shell bash -c '. $(TESTING)/lib.sh && xep_default_kdir')

all: module tools selftests

deps:
	@$(TESTING)/deps.sh check

deps-build:
	@$(TESTING)/deps.sh build

module: deps-build
	@test -n "$(KDIR)" || { echo "no kernel build tree: make deps, or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools: deps-build
	$(MAKE) -C tools

selftests: deps
	$(MAKE) -C selftests

check:
	@$(TESTING)/check.sh

lint: deps
	@$(TESTING)/lint.sh

bench: tools
	@$(TESTING)/deps.sh bench
	@$(TESTING)/bench.sh $(BENCH_ARGS)

run: deps tools
	@$(TESTING)/run.sh run

shell: deps tools
	@$(TESTING)/run.sh shell

# Installing.
#
# PREFIX (default /usr/local) places the user-space part, DESTDIR stages the
# whole tree for a package. The module, the udev rule and the modules-load.d
# entry go where the kernel, udev and systemd look for them whatever PREFIX
# is. Without DESTDIR, depmod and ldconfig run; with it, they are left to
# whatever installs the staged tree (a package's postinst, for instance).
#
# KO=<file> installs a module built elsewhere (make check installs the one
# it built with W=1 and sparse); it must be built for KDIR's kernel.
VERSION := 1.3
LIB_SONAME := libxepoll.so.1
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= /lib/udev/rules.d
MODULESLOADDIR ?= /etc/modules-load.d
KVER ?= $(shell bash -c '. $(TESTING)/lib.sh && xep_kdir_release "$(KDIR)"')
MODDIR ?= /lib/modules/$(KVER)/updates
KO ?=
INSTALL ?= install

PROGS := tools/stat/xepoll-stat tools/demo/xepoll-demo tools/bench/xepoll-bench
MANPAGES := $(sort $(wildcard man/man[1-8]/*.[1-8]))

install: install-module install-user

install-module: $(if $(KO),,module)
	@test -n "$(KVER)" || { echo "install: no kernel release for KDIR=$(KDIR)" >&2; exit 1; }
	@ko=$(or $(KO),kmod/xepoll.ko); \
	magic=$$(/sbin/modinfo -F vermagic "$$ko" | cut -d' ' -f1); \
	test "$$magic" = "$(KVER)" || \
		{ echo "install: $$ko is for $$magic, not $(KVER)" >&2; exit 1; }; \
	echo "$(INSTALL) $$ko $(DESTDIR)$(MODDIR)/xepoll.ko"; \
	$(INSTALL) -D -m 0644 "$$ko" "$(DESTDIR)$(MODDIR)/xepoll.ko"
	$(DEPMOD)

install-user: tools
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(MODULESLOADDIR)
	$(INSTALL) -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 tools/lib/libxepoll.a $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0755 tools/lib/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libxepoll.so.$(VERSION)
	ln -sf libxepoll.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libxepoll.so
	$(INSTALL) -m 0755 tools/preload/libxepoll-preload.so $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0644 tools/lib/xepoll.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 0644 uapi/linux/xepoll.h $(DESTDIR)$(INCLUDEDIR)/linux/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		tools/lib/libxepoll.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libxepoll.pc
	for m in $(MANPAGES); do \
		$(INSTALL) -D -m 0644 $$m $(DESTDIR)$(MANDIR)/$${m#man/} || exit; \
	done
	$(INSTALL) -m 0644 packaging/60-xepoll.rules $(DESTDIR)$(UDEVRULESDIR)/
	@# The administrator's copy, edited to load the module at boot, stays.
	@if [ -e $(DESTDIR)$(MODULESLOADDIR)/xepoll.conf ]; then \
		echo "$(DESTDIR)$(MODULESLOADDIR)/xepoll.conf exists: left as it is"; \
	else \
		echo "$(INSTALL) -m 0644 packaging/modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/xepoll.conf"; \
		$(INSTALL) -m 0644 packaging/modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/xepoll.conf; \
	fi
	$(if $(DESTDIR),,ldconfig)

uninstall:
	rm -f $(DESTDIR)$(MODDIR)/xepoll.ko
	$(if $(KVER),$(DEPMOD))
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libxepoll.a libxepoll.so.$(VERSION) \
		$(LIB_SONAME) libxepoll.so libxepoll-preload.so)
	rm -f $(DESTDIR)$(INCLUDEDIR)/xepoll.h $(DESTDIR)$(INCLUDEDIR)/linux/xepoll.h
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/libxepoll.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(MANPAGES:man/%=%))
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-xepoll.rules
	@# Removed unless the administrator changed it.
	@f=$(DESTDIR)$(MODULESLOADDIR)/xepoll.conf; \
	if cmp -s packaging/modules-load.conf $$f; then \
		echo "rm -f $$f"; rm -f $$f; \
	elif [ -e $$f ]; then \
		echo "$$f was changed: left in place"; \
	fi
	$(if $(DESTDIR),,ldconfig)

DEPMOD = $(if $(DESTDIR),,/sbin/depmod -a $(KVER))

# DKMS: the module's sources (no user space) in /usr/src, where dkms finds
# them; dkms then builds and installs the module for every kernel with
# headers, now and at each kernel upgrade (dkms.conf: AUTOINSTALL).
DKMS_SRC := $(DESTDIR)/usr/src/xepoll-$(VERSION)

dkms-source:
	@grep -q '^PACKAGE_VERSION="$(VERSION)"$$' dkms.conf || \
		{ echo "dkms.conf: PACKAGE_VERSION is not $(VERSION)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	$(INSTALL) -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	$(INSTALL) -m 0644 dkms.conf Kbuild $(DKMS_SRC)/
	$(INSTALL) -m 0644 kmod/Kbuild kmod/*.[ch] $(DKMS_SRC)/kmod/
	$(INSTALL) -m 0644 uapi/linux/xepoll.h $(DKMS_SRC)/uapi/linux/

dkms-install: dkms-source
	@$(TESTING)/deps.sh dkms
	dkms add xepoll/$(VERSION)
	dkms install xepoll/$(VERSION) -k $(KVER)

dkms-remove:
	-dkms remove xepoll/$(VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	rm -rf build bench

.PHONY: all deps deps-build module tools selftests check lint bench run shell clean \
	install install-module install-user uninstall dkms-source dkms-install dkms-remove
