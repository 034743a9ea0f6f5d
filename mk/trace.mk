# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# pmp-trace (tools/pmp-trace/): the libbpf CO-RE recorder and the tracefs
# importer.  The BPF program is built with clang -target bpf and embedded
# through a bpftool skeleton; the tool links the core (the trace parser and
# formatter) and libbpf.  `make check` runs check-trace: the recorder and
# the import of tracefs text agree on the same mini-VMM runs, in the 6.12
# rig (private memory, nested KVM) and on the host's /dev/kvm if any.

PMP_TRACE := $(B)/tools/pmp-trace
TRACE_DIR := $(B)/pmp-trace
TRACE_SRC := $(filter-out %.bpf.c,$(wildcard tools/pmp-trace/*.c)) $(TOOLS_COMMON_SRC)
TRACE_HDR := $(wildcard tools/pmp-trace/*.h) $(TOOLS_COMMON_HDR)
# clang -target bpf has no multiarch include path: add it for <asm/types.h>.
BPF_INC := -I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror $(BPF_INC) -Itools/pmp-trace

ALL_EXTRA += $(PMP_TRACE)
CHECK_EXTRA += check-trace
DEPS_GROUPS += bpf

.PHONY: pmp-trace check-trace

pmp-trace: $(PMP_TRACE)

$(TRACE_DIR)/record.bpf.o: tools/pmp-trace/record.bpf.c tools/pmp-trace/raw.h
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -c $< -o $@

$(TRACE_DIR)/record.skel.h: $(TRACE_DIR)/record.bpf.o
	bpftool gen skeleton $< name record_bpf > $@.tmp && mv $@.tmp $@

# The BPF program runs in the kernel: no sanitizer there; the tool itself
# is built with $(SAN) like every other binary.
$(PMP_TRACE): $(TRACE_SRC) $(TRACE_HDR) $(TRACE_DIR)/record.skel.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -I$(TRACE_DIR) $(TOOLS_FLAGS) $(SAN) -o $@ \
		$(TRACE_SRC) $(LIB_A) $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf) -lz

# The syscall programs through the verifier, on any host that loads BPF.
$(TRACE_DIR)/verify-syscalls: tests/trace/verify_syscalls.c $(TRACE_DIR)/record.skel.h
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -I$(TRACE_DIR) -o $@ $< \
		$(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf) -lz

# The mini VMM's target lives in mk/vmm.mk, read after this file: name it.
# In the rig (RIG_OUT, RIG_MINI_VMM: mk/vmm.mk) it shares check-kvm's caches:
# KVM is built once, by whichever runs first.  It installs the rig's
# packages as check-kvm does (as root; otherwise deps.sh prints the
# command), so that `make check` records in the rig on a fresh machine too.
check-trace: $(PMP_TRACE) $(B)/examples/pmp-mini-vmm $(B)/rig-bin/pmp-mini-vmm $(TRACE_DIR)/verify-syscalls
	@scripts/deps.sh rig || echo "check-trace: without the rig's packages (above) it records on the host's /dev/kvm only"
	$(TRACE_DIR)/verify-syscalls || [ $$? -eq 77 ]
	scripts/check-trace.sh $(B) $(RIG_OUT) $(RIG_MINI_VMM)

# The unit tests include the importer (tests/unit/test_trace.c).
$(TEST_BIN): $(TRACE_SRC) $(TRACE_HDR)

# The real private-memory traces of tests/data/, recorded in the 6.12 rig
# (scripts/record-rig-trace.sh).  Not part of any check: run it to refresh
# them; check-trace records the same runs on every `make check`.
.PHONY: record-rig-trace
record-rig-trace: $(B)/rig-bin/pmp-mini-vmm $(PMP_TRACE)
	@scripts/deps.sh rig
	scripts/record-rig-trace.sh $(RIG_OUT) $(RIG_MINI_VMM) $(PMP_TRACE) tests/data
