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

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	rm -rf build bench

.PHONY: all deps deps-build module tools selftests check lint bench run shell clean
