// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel selftest: the core's shared test vectors
 * (tests/vectors/vectors.c, the same file the userspace Check suite runs)
 * plus a few checks of the kernel build, reported as KTAP on the console.
 * The Debian kernel has no KUnit, so this is a plain function run at load
 * when the "selftest" module parameter is set.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kshim.h"
#include "vectors/vectors.h"
#include "../libpmem_policy/map_shared.h"

/* KTAP lines go out without a prefix (no pr_fmt here) so parsers see them. */
#define ktap(fmt, ...) pr_info(fmt "\n", ##__VA_ARGS__)

/* Every preset formats to a string that parses back to the same policy. */
static int test_policy_roundtrip(void)
{
	struct pmp_policy a, b;
	char buf[512];
	const char *name;
	unsigned int i;

	for (i = 0; (name = pmp_policy_preset_name(i)); i++) {
		if (pmp_policy_preset(&a, name) ||
		    pmp_policy_format(&a, buf, sizeof(buf)) < 0)
			return -1;
		pmp_policy_preset(&b, "upstream");
		if (pmp_policy_parse(&b, buf, NULL) || memcmp(&a, &b, sizeof(a))) {
			ktap("# preset %s: \"%s\" does not parse back", name, buf);
			return -1;
		}
	}
	return i >= 3 ? 0 : -1;
}

/* Bad policy strings fail and leave the policy as it was. */
static int test_policy_refusals(void)
{
	static const char * const bad[] = {
		"bogus", "max_level=3g", "scan_ratio=0", "pin=fault,", "max_level",
		"recycle=maybe", "yield_threshold=1048577", "=4k",
	};
	struct pmp_policy p, before;
	unsigned int i;

	pmp_policy_preset(&p, "recommended");
	before = p;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (pmp_policy_parse(&p, bad[i], NULL) != -EINVAL ||
		    memcmp(&p, &before, sizeof(p))) {
			ktap("# \"%s\" was accepted or changed the policy", bad[i]);
			return -1;
		}
	}
	return 0;
}

/* A VM in vmalloc memory: pins, zaps that never unpin, teardown. */
static int test_pin_teardown(void)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = 1ULL << 18, .max_slots = 4,
				    .nr_vcpus = 1, .nr_vtls = 1, .vm_type = PMP_VM_SEV };
	struct pmp_slot slot = { .base_gfn = 0, .npages = 1ULL << 18,
				 .userspace_addr = 1ULL << 30 };
	struct pmp_fault f = { .slot = 0, .backing_order = 9 };
	struct pmp_action buf[PMP_EVENT_ACTIONS];
	struct pmp_actions acts;
	struct pmp_vm *vm;
	u64 bytes, cursor = 0, unpinned = 0;
	int ret = -1, r;
	void *mem;
	u32 i;

	if (pmp_vm_bound(&geo, &bytes))
		return -1;
	mem = vzalloc(bytes);
	if (!mem)
		return -1;
	if (pmp_vm_init(mem, bytes, &geo, NULL, &vm) || pmp_slot_create(vm, 0, &slot))
		goto out;
	for (f.gfn = 0; f.gfn < 8 * 512; f.gfn += 512) {
		acts = (struct pmp_actions){ .buf = buf, .cap = ARRAY_SIZE(buf) };
		if (pmp_map(vm, &f, PMP_LEVEL_2M, &acts))
			goto out;
	}
	acts = (struct pmp_actions){ .buf = buf, .cap = ARRAY_SIZE(buf) };
	if (pmp_nr_pinned(vm) != 8 * 512 ||
	    pmp_zap(vm, PMP_ZAP_MMU_NOTIFIER, PMP_ZAP_FILTER_KVM, 0, 1ULL << 18, &acts) ||
	    pmp_nr_pinned(vm) != 8 * 512)
		goto out;
	do {
		acts = (struct pmp_actions){ .buf = buf, .cap = ARRAY_SIZE(buf) };
		r = pmp_teardown(vm, &cursor, &acts);
		for (i = 0; i < acts.nr; i++)
			if (buf[i].type == PMP_ACT_UNPIN)
				unpinned += buf[i].npages;
	} while (r == 1);
	if (!r && unpinned == 8 * 512 && !pmp_nr_pinned(vm) && !pmp_vm_check(vm))
		ret = 0;
out:
	vfree(mem);
	return ret;
}

/* Two copies of one VM under "recommended", its memslot 0 a GiB, page 0 mapped. */
static struct pmp_vm *test_shared_vm(void **mem, u64 *bytes)
{
	struct pmp_geometry geo = { .sz = sizeof(geo), .gfn_end = 1ULL << 18, .max_slots = 4,
				    .nr_vcpus = 2, .nr_vtls = 1 };
	struct pmp_slot slot = { .base_gfn = 0, .npages = 1ULL << 18,
				 .userspace_addr = 1ULL << 30 };
	struct pmp_fault f = { .slot = 0 };
	struct pmp_action buf[PMP_EVENT_ACTIONS];
	struct pmp_actions acts = { .buf = buf, .cap = ARRAY_SIZE(buf) };
	struct pmp_policy p;
	struct pmp_vm *vm;

	*mem = NULL;
	if (pmp_vm_bound(&geo, bytes) || pmp_policy_preset(&p, "recommended"))
		return NULL;
	*mem = vzalloc(*bytes);
	if (!*mem || pmp_vm_init(*mem, *bytes, &geo, &p, &vm) || pmp_slot_create(vm, 0, &slot) ||
	    pmp_map(vm, &f, PMP_LEVEL_4K, &acts))
		return NULL;
	return vm;
}

/*
 * The shared record as kshim_map() expands it, pmp_map_shared_4k_valid(),
 * against the exported pmp_map_shared_4k() that the unit tests hold to
 * pmp_map(): pages 1-63 of the chunk (the last fills its word) one way on
 * each copy, then a gfn past the memslot and a memslot not there.  The
 * same answers, the core's count of the records, both states equal byte
 * for byte and consistent.
 */
static int test_map_shared_inline(void)
{
	void *mem_a, *mem_b;
	u64 bytes = 0, gfn;
	struct pmp_vm *a = test_shared_vm(&mem_a, &bytes), *b = test_shared_vm(&mem_b, &bytes);
	int ret = -1;

	if (!a || !b)
		goto out;
	for (gfn = 1; gfn < 64; gfn++)
		if (pmp_map_shared_4k_valid(a, 0, gfn, 0, gfn % 2) ||
		    pmp_map_shared_4k(b, 0, gfn, 0, 0, gfn % 2))
			goto out;
	if (pmp_map_shared_4k_valid(a, 0, 1ULL << 18, 0, 0) != -EINVAL ||
	    pmp_map_shared_4k(b, 0, 1ULL << 18, 0, 0, 0) != -EINVAL ||
	    pmp_map_shared_4k_valid(a, 3, 1, 0, 0) != -ENOENT ||
	    pmp_map_shared_4k(b, 3, 1, 0, 0, 0) != -ENOENT)
		goto out;
	if (pmp_map_shared_count(a) == 63 && pmp_map_shared_count(b) == 63 &&
	    !memcmp(mem_a, mem_b, bytes) && !pmp_vm_check(a))
		ret = 0;
out:
	vfree(mem_a);
	vfree(mem_b);
	return ret;
}

/**
 * kshim_selftest() - run the vectors and the kernel checks, print KTAP.
 *
 * Return: the number of failed tests.
 */
int kshim_selftest(void)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} extra[] = {
		{ "policy_roundtrip", test_policy_roundtrip },
		{ "policy_refusals", test_policy_refusals },
		{ "pin_teardown", test_pin_teardown },
		{ "map_shared_inline", test_map_shared_inline },
	};
	u64 bytes = pmp_vector_bytes();
	unsigned int i, n = pmp_nr_vectors + ARRAY_SIZE(extra), failed = 0;
	void *mem, *snap;

	ktap("KTAP version 1");
	ktap("1..%u", n);
	mem = vmalloc(bytes);
	snap = vmalloc(bytes);
	for (i = 0; i < pmp_nr_vectors; i++) {
		struct pmp_vector_result res = { .step = -1 };
		int ret = -1;

		if (mem && snap)
			ret = pmp_vector_run(&pmp_vectors[i], mem, snap, &res);
		if (ret) {
			failed++;
			ktap("# %s: step %d returned %d (reason %d)%s", pmp_vectors[i].name,
			     res.step, res.got, res.got_reason,
			     res.unchanged ? "" : ", state changed by a failed call");
		}
		ktap("%sok %u - %s", ret ? "not " : "", i + 1, pmp_vectors[i].name);
	}
	vfree(snap);
	vfree(mem);
	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		int ret = extra[i].fn();

		failed += !!ret;
		ktap("%sok %u - %s", ret ? "not " : "", pmp_nr_vectors + i + 1, extra[i].name);
	}
	ktap("# pmem_policy selftest: %u passed, %u failed", n - failed, failed);
	return failed;
}
