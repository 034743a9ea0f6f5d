# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# pmem_policy: `make` builds the libraries into build/; `make check` runs
# every test; `make demo` runs the main job.  See README.md.

VERSION_MAJOR := 0
VERSION_MINOR := 6
VERSION_PATCH := 0
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)
SONAME := libpmem_policy.so.$(VERSION_MAJOR)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC ?= cc
AR ?= ar
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
# The core's own rules: small frames, every function declared.  ASan's
# redzones inflate frames, so a sanitizer build leaves the frame limit to
# `make freestanding`, which checks the real code.
FRAME_LIMIT := $(if $(filter 1,$(SANITIZE)),,-Wframe-larger-than=256)
CORE_FLAGS := -std=gnu11 $(WARN) -Wmissing-prototypes $(FRAME_LIMIT) -Iinclude \
	-fvisibility=hidden -fno-strict-aliasing

# SANITIZE=1: everything under ASan+UBSan, built apart so objects never mix.
ifeq ($(SANITIZE),1)
B := build/sanitize
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
DEPS_GROUPS := check sanitize
# ASan runs the twin-VM tests (two whole states compared after every step)
# several times slower: Check's per-test timeouts, guards against a hang,
# scaled to match (a CI run at load 8 timed out 70 of them at 1x).
CK_TIMEOUT_MULTIPLIER ?= 4
else
B := build
SAN :=
DEPS_GROUPS := check
CK_TIMEOUT_MULTIPLIER ?= 1
endif

CORE_SRC := $(sort $(wildcard libpmem_policy/*.c))
CORE_HDR := $(wildcard libpmem_policy/*.h include/pmem_policy/*.h)
CORE_OBJ := $(CORE_SRC:libpmem_policy/%.c=$(B)/obj/%.o)
CORE_PIC := $(CORE_SRC:libpmem_policy/%.c=$(B)/pic/%.o)
MAP := libpmem_policy/libpmem_policy.map
# The core's public headers; vmm.h belongs to the VMM shim's library.
CORE_API_HDR := $(filter-out include/pmem_policy/vmm.h,$(wildcard include/pmem_policy/*.h))

LIB_A := $(B)/libpmem_policy.a
LIB_SO := $(B)/libpmem_policy.so.$(VERSION)
PC := $(B)/pmem_policy.pc

TEST_SRC := $(sort $(wildcard tests/unit/*.c tests/model/*.c tests/sim/*.c)) tests/vectors/vectors.c
TEST_BIN := $(B)/tests/unit
DEMO_BIN := $(B)/tools/pmp-demo
BENCH_BIN := $(B)/bench/bench_fault $(B)/bench/bench_range $(B)/bench/bench_memory \
	$(B)/bench/bench_coalesce

# Each area outside the core (vmm_shim, tools, kshim, ...) has its own
# mk/AREA.mk, which adds its targets, its binaries to ALL_EXTRA, its checks
# to CHECK_EXTRA and its Debian package groups to DEPS_GROUPS.
ALL_EXTRA :=
CHECK_EXTRA :=
include $(sort $(wildcard mk/*.mk))

# `make` alone builds the project (libraries, tools, demo), never the kernel
# module: no root, no kernel headers.
.DEFAULT_GOAL := all

.PHONY: all lib check check-unit check-exports check-pkgconfig freestanding freestanding-selftest \
	check-long demo bench fuzz soak install uninstall deps deps-build clean install-tools \
	uninstall-tools check-man check-tools-cli check-pictures check-quickstart check-clean-build

all: lib $(DEMO_BIN) $(ALL_EXTRA)

lib: $(LIB_A) $(LIB_SO) $(PC)

$(B)/obj/%.o: libpmem_policy/%.c $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CORE_FLAGS) $(SAN) -c $< -o $@

$(B)/pic/%.o: libpmem_policy/%.c $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CORE_FLAGS) $(SAN) -fPIC -c $< -o $@

$(LIB_A): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(CORE_PIC) $(MAP)
	$(CC) $(CFLAGS) $(SAN) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(MAP) \
		-Wl,-z,defs -Wl,--no-undefined -o $@ $(CORE_PIC)
	ln -sf $(notdir $@) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libpmem_policy.so

$(PC): pkgconfig/pmem_policy.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Tests and tools link the static library: the same objects, no rpath games.
$(TEST_BIN): $(TEST_SRC) $(wildcard tests/*/*.h) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -Itests \
		-DPMP_TEST_RELEASE='"$(VERSION_MAJOR).$(VERSION_MINOR)"' \
		$(SAN) $(shell pkg-config --cflags check) -o $@ $(TEST_SRC) $(LIB_A) \
		$(shell pkg-config --libs check) -lz

# The demo is the replay engine's (mk/replay.mk) over the built-in workloads.
$(DEMO_BIN): tools/pmp-demo.c $(REPLAY_SRC) $(REPLAY_HDR) $(TOOLS_COMMON_SRC) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -Itools $(TOOLS_FLAGS) $(SAN) -o $@ $< \
		$(REPLAY_SRC) $(TOOLS_COMMON_SRC) $(LIB_A) -lz

# Debian packages: installed when run as root, else the command is printed.
deps:
	@scripts/deps.sh $(DEPS_GROUPS)

deps-build:
	@scripts/deps.sh build

# A sub-make, so that pkg-config sees libcheck once deps installed it.
check: deps
	$(MAKE) check-unit check-exports freestanding freestanding-selftest check-pkgconfig \
		$(CHECK_EXTRA)

check-unit: $(TEST_BIN)
	CK_FORK=yes CK_TIMEOUT_MULTIPLIER=$(CK_TIMEOUT_MULTIPLIER) $(TEST_BIN)

check-exports: $(LIB_SO)
	scripts/check-exports.sh $(LIB_SO) $(MAP) $(CORE_API_HDR)

freestanding:
	CC=$(CC) scripts/check-freestanding.sh $(B)/freestanding

# ... and it fails on each thing it forbids.
freestanding-selftest:
	CC=$(CC) scripts/check-freestanding-selftest.sh $(B)/freestanding-selftest

# Install into a scratch DESTDIR, then build and run examples/ out of tree
# through pkg-config only, linked both shared and static.
check-pkgconfig: lib
	scripts/check-pkgconfig.sh $(B)/pkgconfig-test

$(B)/bench/%: bench/%.c bench/bench.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -o $@ $< $(LIB_A)

# BENCHMARKS.md from timed runs and callgrind counts; QUICK=1 only checks the
# harness works (CI), writing build/bench/BENCHMARKS.quick.md instead.
bench:
	@scripts/deps.sh build bench
	$(MAKE) $(BENCH_BIN)
	CC=$(CC) scripts/bench.sh $(B) $(if $(filter 1,$(QUICK)),--quick)

# The long differential runs: 1,050,000 operations against the naive model
# and 1,500,000 against the rules simulator (1-3 VTLs), invariants after every one;
# 600,000 under the small-array and snapshot oracles; 240,000 VSM steps
# (1-3 VTLs, every VM type, default pool) that must never see -ENOMEM.
check-long: $(TEST_BIN)
	CK_RUN_SUITE=random PMP_OPS=350000 $(TEST_BIN)
	CK_RUN_SUITE=mmu_random PMP_MMU_OPS=125000 $(TEST_BIN)
	CK_RUN_SUITE=small_array PMP_SMALL_OPS=50000 $(TEST_BIN)
	CK_RUN_SUITE=vsm PMP_VSM_OPS=20000 $(TEST_BIN)

# The small-array/snapshot test under ASan+UBSan for SOAK_SECONDS, a new
# seed each round (issue 19's long run; not in CI).
SOAK_SECONDS ?= 600
soak:
	$(MAKE) SANITIZE=1 build/sanitize/tests/unit
	scripts/soak.sh $(SOAK_SECONDS) build/sanitize

# libFuzzer targets under ASan+UBSan, FUZZ_SECONDS each (CI runs a smoke).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/deps.sh build fuzz
	scripts/fuzz.sh $(FUZZ_SECONDS)

demo: deps-build
	$(MAKE) $(DEMO_BIN)
	$(DEMO_BIN) $(B)/demo

install: lib
	install -d $(DESTDIR)$(INCLUDEDIR)/pmem_policy $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/pmem_policy/*.h $(DESTDIR)$(INCLUDEDIR)/pmem_policy/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libpmem_policy.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpmem_policy.so
	install -m 644 $(PC) $(DESTDIR)$(PKGCONFIGDIR)/
	install -d $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(MAN3_PAGES) $(DESTDIR)$(MANDIR)/man3/

# The tools and their man pages (mk/cli.mk), with the libraries.
TOOL_BINS := $(DEMO_BIN) $(REPLAY_BIN) $(PMP_TRACE) $(MINI_VMM)

install: install-tools

install-tools: $(TOOL_BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall: uninstall-tools

uninstall-tools:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOL_BINS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES)))

# Every man page formats without a warning (groff -ww) and man(1) reads it.
check-man:
	scripts/check-man.sh $(MAN_PAGES) $(MAN3_PAGES)

# --help, --version, usage errors, gzip input, outputs checked before any
# work: every tool, as issue 18 asks (scripts/check-tools-cli.sh).
check-tools-cli: $(TOOL_BINS)
	scripts/check-tools-cli.sh $(B) $(VERSION)

# The coverage plot and the heatmap, rendered to PNG and checked.
check-pictures: $(REPLAY_BIN)
	scripts/check-pictures.sh $(B)

# The README's quick start, as printed.
check-quickstart: $(REPLAY_BIN) $(PMP_TRACE)
	scripts/check-quickstart.sh $(B) $(B)/quickstart

# A plain `make` in a fresh clone builds the libraries and tools, as a user
# without root or kernel headers (scripts/check-clean-build.sh).
check-clean-build:
	scripts/check-clean-build.sh $(B)/clean-build

uninstall:
	rm -rf $(DESTDIR)$(INCLUDEDIR)/pmem_policy
	rm -f $(DESTDIR)$(LIBDIR)/libpmem_policy.* $(DESTDIR)$(PKGCONFIGDIR)/pmem_policy.pc \
		$(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3_PAGES)))

clean:
	rm -rf build
