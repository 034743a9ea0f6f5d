// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The workload registry and the "NAME:key=value,..." form (workload.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"

static const struct workload *const workloads[] = {
	&wl_tdx_boot, &wl_snp_lazy, &wl_sev_boot, &wl_vsm_boot, &wl_migration, &wl_swiotlb,
	&wl_punch_storm,
};

const struct workload *wl_get(unsigned int i)
{
	return i < sizeof(workloads) / sizeof(workloads[0]) ? workloads[i] : NULL;
}

/* One key=value of @w into @values; @item is NUL-terminated. */
static int parse_item(const struct workload *w, char *item, uint64_t *values, char *err,
		      size_t errlen)
{
	char *eq = strchr(item, '='), *end;
	unsigned long long v;
	unsigned int i;

	if (!eq) {
		snprintf(err, errlen, "'%s': expected key=value", item);
		return -EINVAL;
	}
	*eq = '\0';
	for (i = 0; i < w->nr_params && strcmp(w->params[i].key, item); i++)
		;
	if (i == w->nr_params) {
		snprintf(err, errlen, "%s has no parameter '%s' (see --list)", w->name, item);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || end == eq + 1 || *end || eq[1] == '-' || v < w->params[i].min ||
	    v > w->params[i].max) {
		snprintf(err, errlen, "%s: %s=%s: expected an integer in %llu..%llu", w->name,
			 item, eq + 1, (unsigned long long)w->params[i].min,
			 (unsigned long long)w->params[i].max);
		return -EINVAL;
	}
	values[i] = v;
	return 0;
}

int wl_parse(const char *spec, const struct workload **w, uint64_t *values, char *err,
	     size_t errlen)
{
	size_t name_len = strcspn(spec, ":");
	char *rest, *item, *save = NULL;
	unsigned int i;
	int ret = 0;

	for (i = 0; (*w = wl_get(i)); i++)
		if (strlen((*w)->name) == name_len && !strncmp((*w)->name, spec, name_len))
			break;
	if (!*w) {
		snprintf(err, errlen, "no workload '%.*s' (see --list)", (int)name_len, spec);
		return -EINVAL;
	}
	for (i = 0; i < (*w)->nr_params; i++)
		values[i] = (*w)->params[i].def;
	if (!spec[name_len])
		return 0;
	rest = strdup(spec + name_len + 1);
	if (!rest) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (item = strtok_r(rest, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save))
		ret = parse_item(*w, item, values, err, errlen);
	free(rest);
	return ret;
}

int wl_run(const struct workload *w, const uint64_t *values, wl_sink_fn sink, void *ctx)
{
	struct wl_gen g = { .sink = sink, .ctx = ctx, .rng = 0 };
	unsigned int i;

	/* every workload has these: the PRNG starts from the seed */
	for (i = 0; i < w->nr_params; i++) {
		if (!strcmp(w->params[i].key, "seed"))
			g.rng = values[i];
		else if (!strcmp(w->params[i].key, "vcpus"))
			g.vcpus = (uint32_t)values[i];
		else if (!strcmp(w->params[i].key, "tick_every"))
			g.tick_every = values[i];
	}
	w->gen(&g, values);
	return g.err;
}
