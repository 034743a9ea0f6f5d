# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The VMM shim: libpmem_policy_vmm (pkg-config pmem_policy_vmm), a sibling
# of the core library that links it, the mini VMM example and
# `make check-kvm`, which runs them on the real /dev/kvm.

VMM_SONAME := libpmem_policy_vmm.so.$(VERSION_MAJOR)
VMM_SRC := $(sort $(wildcard vmm_shim/*.c))
VMM_HDR := $(wildcard vmm_shim/*.h) include/pmem_policy/vmm.h $(CORE_HDR)
VMM_OBJ := $(VMM_SRC:vmm_shim/%.c=$(B)/vmm/obj/%.o)
VMM_PIC := $(VMM_SRC:vmm_shim/%.c=$(B)/vmm/pic/%.o)
VMM_MAP := vmm_shim/libpmem_policy_vmm.map
VMM_A := $(B)/libpmem_policy_vmm.a
VMM_SO := $(B)/libpmem_policy_vmm.so.$(VERSION)
VMM_PC := $(B)/pmem_policy_vmm.pc
VMM_FLAGS := -std=gnu11 $(WARN) -Wmissing-prototypes -Iinclude -fvisibility=hidden
MINI_VMM := $(B)/examples/pmp-mini-vmm
KVM_TEST := $(B)/tests/kvm

ALL_EXTRA += $(VMM_A) $(VMM_SO) $(VMM_PC) $(MINI_VMM)
CHECK_EXTRA += check-vmm-exports

.PHONY: vmm check-kvm check-vmm-exports install-vmm uninstall-vmm

vmm: $(VMM_A) $(VMM_SO) $(VMM_PC)

$(B)/vmm/obj/%.o: vmm_shim/%.c $(VMM_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(VMM_FLAGS) $(SAN) -c $< -o $@

$(B)/vmm/pic/%.o: vmm_shim/%.c $(VMM_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(VMM_FLAGS) $(SAN) -fPIC -c $< -o $@

$(VMM_A): $(VMM_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(VMM_SO): $(VMM_PIC) $(VMM_MAP) $(LIB_SO)
	$(CC) $(CFLAGS) $(SAN) -shared -Wl,-soname,$(VMM_SONAME) -Wl,--version-script=$(VMM_MAP) \
		-Wl,-z,defs -o $@ $(VMM_PIC) -L$(B) -lpmem_policy
	ln -sf $(notdir $@) $(B)/$(VMM_SONAME)
	ln -sf $(VMM_SONAME) $(B)/libpmem_policy_vmm.so

$(VMM_PC): pkgconfig/pmem_policy_vmm.pc.in Makefile mk/vmm.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

MINI_VMM_SRC := $(wildcard examples/pmp-mini-vmm*.c)

$(MINI_VMM): $(MINI_VMM_SRC) examples/pmp-mini-vmm.h $(VMM_A) $(LIB_A) include/pmem_policy/vmm.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude $(TOOLS_FLAGS) $(SAN) -o $@ $(MINI_VMM_SRC) $(VMM_A) $(LIB_A)

$(KVM_TEST): $(wildcard tests/kvm/*.c tests/kvm/*.h) $(VMM_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -Itests $(SAN) \
		$(shell pkg-config --cflags check) -o $@ $(filter %.c,$^) $(VMM_A) $(LIB_A) \
		$(shell pkg-config --libs check)

check-vmm-exports: $(VMM_SO)
	scripts/check-exports.sh $(VMM_SO) $(VMM_MAP) include/pmem_policy/vmm.h

# The same two programs for the rig's guest (tests/rig), whose initramfs
# has no libc: static.  ASan cannot link statically, so under SANITIZE=1
# they are the dynamic sanitized binaries, and the rig copies their ldd
# libraries (libasan, libubsan, libcheck's, libc) into the initramfs.
RIG_MINI_VMM := $(B)/rig-bin/pmp-mini-vmm
RIG_KVM_TEST := $(B)/rig-bin/tests-kvm
# The rig's caches (extracted source, KVM builds) serve every build flavour.
RIG_OUT ?= build/rig

ifeq ($(SANITIZE),1)
$(RIG_MINI_VMM): $(MINI_VMM)
	@mkdir -p $(@D)
	cp $< $@

$(RIG_KVM_TEST): $(KVM_TEST)
	@mkdir -p $(@D)
	cp $< $@
else
$(RIG_MINI_VMM): $(MINI_VMM_SRC) examples/pmp-mini-vmm.h $(VMM_A) $(LIB_A) include/pmem_policy/vmm.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -static -o $@ $(MINI_VMM_SRC) $(VMM_A) $(LIB_A)

$(RIG_KVM_TEST): $(wildcard tests/kvm/*.c tests/kvm/*.h) $(VMM_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 $(WARN) -Iinclude -Itests -static \
		$(shell pkg-config --cflags check) -o $@ $(filter %.c,$^) $(VMM_A) $(LIB_A) \
		$(shell pkg-config --libs --static check)
endif

# Real KVM: the shim's error paths and the mini VMM's end-to-end runs, with
# KVM's own statistics as the judge: on the host's /dev/kvm where there is
# one, and always in the 6.12 rig's guest (nested KVM, SW-protected VMs).
check-kvm: deps
	@scripts/deps.sh rig
	$(MAKE) $(KVM_TEST) $(MINI_VMM) $(RIG_KVM_TEST) $(RIG_MINI_VMM)
	scripts/check-kvm.sh $(B) $(RIG_OUT) $(RIG_KVM_TEST) $(RIG_MINI_VMM)

install: install-vmm
uninstall: uninstall-vmm

install-vmm: vmm
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(VMM_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(VMM_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libpmem_policy_vmm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(VMM_SONAME)
	ln -sf $(VMM_SONAME) $(DESTDIR)$(LIBDIR)/libpmem_policy_vmm.so
	install -m 644 $(VMM_PC) $(DESTDIR)$(PKGCONFIGDIR)/

uninstall-vmm:
	rm -f $(DESTDIR)$(LIBDIR)/libpmem_policy_vmm.* $(DESTDIR)$(PKGCONFIGDIR)/pmem_policy_vmm.pc

# The 6.12 rig's own test (tests/rig/README.md): a SW-protected KVM in
# Debian's 6.12 under QEMU TCG, its capabilities used once.
.PHONY: check-rig
check-rig:
	@scripts/deps.sh rig
	tests/rig/rig.sh selftest $(RIG_OUT)
