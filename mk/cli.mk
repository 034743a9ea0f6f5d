# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# What the command-line tools share (tools/common/): gzip-transparent input
# (zlib), the output check, and --version from the Makefile's VERSION; and
# their man pages (man/*.1; the library's are man/*.3).  Read first (mk/*.mk are included sorted), so
# every area's tool can use these; the rules that name other areas'
# binaries (install-tools, check-tools-cli) are in the top Makefile, after
# every mk/*.mk has defined them.

TOOLS_COMMON_SRC := $(wildcard tools/common/*.c)
TOOLS_COMMON_HDR := $(wildcard tools/common/*.h)
TOOLS_FLAGS := -DPMP_TOOLS_VERSION='"$(VERSION)"'
MAN_PAGES := $(wildcard man/*.1)
MAN3_PAGES := $(wildcard man/*.3)	# the library's, installed with it
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CHECK_EXTRA += check-man check-tools-cli check-pictures check-quickstart check-clean-build
DEPS_GROUPS += tools

