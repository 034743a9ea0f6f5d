// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The default policy against the other presets (issue 17).  On every
 * built-in workload and three or four scaled or reseeded variants of each
 * (docs/policies.md), "recommended" has a mean 2M+ coverage at
 * least every other preset's, and at most 1.1x the write-locked events of
 * the best other preset (the one with the highest mean coverage, ties by
 * fewer write-locked events).  On swiotlb and its variants it closes at
 * least half of the best other preset's gap to the oracle (issue 17: the
 * old 64-chunk deferral cap sat below the DMA chunks live at once).
 * Printed, one line per workload, so the figures are in the log.
 */
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "../../tools/replay/report.h"
#include "../../tools/replay/workload.h"

Suite *default_suite(void);

static const char *const specs[] = {
	"tdx-boot", "tdx-boot:seed=7", "tdx-boot:vcpus=32,flips=5000", "tdx-boot:mem_gib=16,seed=7",
	"tdx-boot:mem_gib=64,seed=3",
	"snp-lazy-accept", "snp-lazy-accept:mem_gib=16,seed=3",
	"snp-lazy-accept:small_folio_pct=30,exec_pct=10", "snp-lazy-accept:unit_mib=8,seed=5,vcpus=16",
	"sev-boot", "sev-boot:mem_gib=16,seed=5", "sev-boot:zaps=1024,flash_toggles=32",
	"sev-boot:touch_pct=90,seed=2,vcpus=16",
	"vsm-boot", "vsm-boot:seed=9", "vsm-boot:mem_gib=16,changes=400000",
	"vsm-boot:touch_pct=90,seed=4,vcpus=16",
	"live-migration", "live-migration:mem_gib=16,seed=4", "live-migration:giant=0,dirty_pct=60",
	"live-migration:mem_gib=64,dirty_pct=10,seed=2",
	"swiotlb", "swiotlb:seed=11", "swiotlb:mem_gib=16,live_dma=1024,dma_pages=8000",
	"swiotlb:io_ops=60000,seed=5,vcpus=16",
	"punch-storm", "punch-storm:seed=6,access_pct=20", "punch-storm:storm_mib=512,mem_gib=8",
	"punch-storm:access_pct=0,seed=3,vcpus=8",
};

static const char *const presets[] = { "upstream", "tdx-series", "recommended" };
#define NR 3
#define DEF (NR - 1)

START_TEST(default_dominates)
{
	const char *spec = specs[_i];
	uint64_t values[WL_MAX_PARAMS], mean[NR], wlock[NR];
	struct pmp_policy p[NR];
	const struct workload *w;
	struct replay r;
	char err[256];
	int i, best = -1;

	for (i = 0; i < NR; i++)
		ck_assert_int_eq(pmp_policy_preset(&p[i], presets[i]), 0);
	ck_assert_msg(!wl_parse(spec, &w, values, err, sizeof(err)), "%s: %s", spec, err);
	ck_assert_int_eq(replay_init(&r, p, presets, NR, NULL), 0);
	ck_assert_int_eq(wl_run(w, values, replay_sink, &r), 0);
	ck_assert_int_eq(replay_finish(&r), 0);
	ck_assert_uint_eq(r.oracle_exceeded, 0);
	for (i = 0; i < NR; i++) {
		mean[i] = report_mean_bp(&r, i);
		wlock[i] = r.runs[i].st.write_locked;
		if (i != DEF && (best < 0 || mean[i] > mean[best] ||
				 (mean[i] == mean[best] && wlock[i] < wlock[best])))
			best = i;
	}
	printf("default %-50s recommended %5llu bp %7llu wlock; best other %s %5llu bp %7llu\n",
	       spec, (unsigned long long)mean[DEF], (unsigned long long)wlock[DEF],
	       presets[best], (unsigned long long)mean[best], (unsigned long long)wlock[best]);
	for (i = 0; i < DEF; i++)
		ck_assert_msg(mean[DEF] >= mean[i], "%s: recommended %llu bp < %s %llu bp", spec,
			      (unsigned long long)mean[DEF], presets[i],
			      (unsigned long long)mean[i]);
	if (!strncmp(spec, "swiotlb", 7)) {
		uint64_t oracle = report_mean_bp(&r, -1);

		printf("default %-50s oracle %5llu bp: gap %llu bp, best other's %llu bp\n", spec,
		       (unsigned long long)oracle, (unsigned long long)(oracle - mean[DEF]),
		       (unsigned long long)(oracle - mean[best]));
		ck_assert_msg(2 * (oracle - mean[DEF]) <= oracle - mean[best],
			      "%s: recommended closes less than half of the gap to the oracle", spec);
	}
	ck_assert_msg(wlock[DEF] * 10 <= wlock[best] * 11,
		      "%s: recommended %llu write-locked events > 1.1 x %s's %llu", spec,
		      (unsigned long long)wlock[DEF], presets[best],
		      (unsigned long long)wlock[best]);
	replay_free(&r);
}
END_TEST

Suite *default_suite(void)
{
	Suite *s = suite_create("default");
	TCase *tc = tcase_create("presets");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, default_dominates, 0, sizeof(specs) / sizeof(specs[0]));
	suite_add_tcase(s, tc);
	return s;
}
