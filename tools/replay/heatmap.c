// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The heatmap (heatmap.h).  A cell spans from its sample's event to the
 * next sample's; runs of equal cells in a row are one rectangle.
 */
#include "heatmap.h"
#include "svg.h"

#define PW 300			/* plot width */
#define PH 256			/* plot height */
#define LEFT 70
#define GAP 24
#define TOP 56			/* title, then the policy names */
#define AXIS 44
#define COLS 4			/* panels per row */
#define LEGEND 26

static const char *const fills[] = {
	[RP_HEAT_NONE] = "#f4f4f4", [RP_HEAT_HUGE] = "#2b8cbe",
	[RP_HEAT_SPLIT] = "#fdae61", [RP_HEAT_BLOCKED] = "#d7191c",
};
static const char *const names[] = {
	[RP_HEAT_NONE] = "not mapped", [RP_HEAT_HUGE] = "huge (2M+ leaf)",
	[RP_HEAT_SPLIT] = "split (4K leaves)", [RP_HEAT_BLOCKED] = "blocked",
};

/* Cell x of sample @i: from its event to the next sample's (the last to the end). */
static int cell_x(const struct replay *r, unsigned int i, uint64_t xmax)
{
	uint64_t e = i < r->nr_samples ? replay_sample(r, i)->event : xmax;

	return (int)(e * PW / xmax);
}

/* A GPA label, exact: 0, 512M, 3G, 1.5G, 1030M. */
static char *gpa(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGT";
	int u;

	for (u = 3; u > 0; u--) {
		uint64_t div = 1024ULL << (10 * u);

		if (bytes >= div && !(bytes % (div / 2)))
			break;
	}
	{
		uint64_t div = 1024ULL << (10 * u);

		if (bytes % div)
			snprintf(buf, size, "%llu.5%c", (unsigned long long)(bytes / div), units[u]);
		else
			snprintf(buf, size, "%llu%c", (unsigned long long)(bytes / div), units[u]);
	}
	if (!bytes)
		snprintf(buf, size, "0");
	return buf;
}

/*
 * The rows shown: those mapped at some sample under some policy (a VM's
 * memory is a few islands in its physical space: a row no policy ever
 * mapped says nothing), all of them if none is.  *@n rows, listed in @rows.
 */
static void shown_rows(const struct replay *r, uint16_t *rows, unsigned int *n)
{
	unsigned int row, i, k;

	*n = 0;
	for (row = 0; row < r->heat_rows; row++) {
		bool any = false;

		for (k = 0; k < r->nr_runs && !any; k++)
			for (i = 0; i < r->nr_samples && !any; i++)
				any = replay_heat(r, replay_sample(r, i), k)[row] != RP_HEAT_NONE;
		if (any)
			rows[(*n)++] = (uint16_t)row;
	}
	if (!*n)
		for (row = 0; row < r->heat_rows; row++)
			rows[(*n)++] = (uint16_t)row;
}

static void panel(FILE *f, const struct replay *r, unsigned int run, int x0, int y0,
		  const uint16_t *rows, unsigned int nr_rows)
{
	uint64_t xmax = r->events ? r->events : 1, band = r->heat_chunks << 21;
	int ch = PH / (int)(nr_rows ? nr_rows : 1), h = ch * (int)nr_rows;
	unsigned int v, i, j, every = (nr_rows + 7) / 8;
	int last_label = 1 << 30;	/* y of the last address written: no two within 12 px */
	char buf[32];

	fprintf(f, "<g class=\"policy-panel\"><text class=\"legend-entry\" x=\"%d\" y=\"%d\" "
		"font-size=\"12\" font-weight=\"bold\">", x0 + LEFT, y0 + TOP - 8);
	svg_text(f, r->runs[run].label);
	fputs("</text>\n", f);
	/* the lowest address at the bottom, as an address axis reads */
	for (v = 0; v < nr_rows; v++) {
		int y = y0 + TOP + h - (int)(v + 1) * ch;
		unsigned int row = rows[v];

		for (i = 0; i < r->nr_samples; i = j) {
			const uint8_t c = replay_heat(r, replay_sample(r, i), run)[row];

			for (j = i + 1; j < r->nr_samples &&
			     replay_heat(r, replay_sample(r, j), run)[row] == c; j++)
				;
			if ((c & 3) != RP_HEAT_NONE)
				fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
					"fill=\"%s\"/>", x0 + LEFT + cell_x(r, i, xmax), y,
					cell_x(r, j, xmax) - cell_x(r, i, xmax), ch, fills[c & 3]);
			if (c & RP_HEAT_PINNED)
				fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
					"fill=\"#000000\" fill-opacity=\"0.35\"/>",
					x0 + LEFT + cell_x(r, i, xmax), y + ch / 3,
					cell_x(r, j, xmax) - cell_x(r, i, xmax),
					ch - 2 * (ch / 3) ? ch - 2 * (ch / 3) : 1);
		}
		fputc('\n', f);
		/* a gap in the address space: a dashed line, and the address above it */
		if (v && rows[v - 1] + 1U != row)
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\" "
				"stroke-dasharray=\"3,2\"/>\n", x0 + LEFT, y + ch, x0 + LEFT + PW,
				y + ch);
		if ((!(v % every) || (v && rows[v - 1] + 1U != row)) && last_label - (y + ch) >= 12 &&
		    y + ch - (y0 + TOP) >= 12 && (last_label = y + ch))
			fprintf(f, "<g class=\"y-tick\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
				"y2=\"%d\" stroke=\"#000000\"/><text x=\"%d\" y=\"%d\" "
				"font-size=\"10\" text-anchor=\"end\">%s</text></g>\n", x0 + LEFT - 4,
				y + ch, x0 + LEFT, y + ch, x0 + LEFT - 6, y + ch + 3,
				gpa(row * band, buf, sizeof(buf)));
	}
	if (nr_rows)
		fprintf(f, "<g class=\"y-tick\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#000000\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" "
			"text-anchor=\"end\">%s</text></g>\n", x0 + LEFT - 4, y0 + TOP, x0 + LEFT,
			y0 + TOP, x0 + LEFT - 6, y0 + TOP + 3,
			gpa((rows[nr_rows - 1] + 1ULL) * band, buf, sizeof(buf)));
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#000000\"/>\n", x0 + LEFT, y0 + TOP, PW, h);
	fprintf(f, "<text class=\"y-title\" x=\"%d\" y=\"%d\" font-size=\"11\" "
		"transform=\"rotate(-90 %d %d)\" text-anchor=\"middle\">guest physical "
		"address</text>\n", x0 + 14, y0 + TOP + h / 2, x0 + 14, y0 + TOP + h / 2);
	svg_x_axis(f, x0 + LEFT, y0 + TOP + h, PW, xmax, "events");
	fputs("</g>\n", f);
}

void heatmap_write(FILE *f, const char *title, const struct replay *r)
{
	unsigned int n = r->nr_runs, cols = n < COLS ? n : COLS, rows = (n + cols - 1) / cols, i;
	unsigned int pw = LEFT + PW + GAP, ph = TOP + PH + AXIS;
	unsigned int width = cols * pw, height = rows * ph + LEGEND + 10, nr_rows;
	uint16_t shown[RP_HEAT_ROWS];
	int lx = LEFT;

	shown_rows(r, shown, &nr_rows);
	ph = TOP + PH / nr_rows * nr_rows + AXIS;
	height = rows * ph + LEGEND + 10;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		width < 560 ? 560 : width, height);
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">",
		LEFT);
	svg_text(f, title);
	fprintf(f, ": guest memory over time, rows of %llu MiB%s</text>\n",
		(unsigned long long)r->heat_chunks * 2,
		nr_rows < r->heat_rows ? " (rows never mapped left out)" : "");
	for (i = 0; i < n; i++)
		panel(f, r, i, (int)(i % cols * pw), (int)(i / cols * ph), shown, nr_rows);
	/* the key, under every panel */
	for (i = RP_HEAT_HUGE; i <= RP_HEAT_BLOCKED + 1; i++) {
		int y = (int)(rows * ph) + 8;
		const char *name = i <= RP_HEAT_BLOCKED ? names[i] : "pinned pages";

		fprintf(f, "<g class=\"key\"><rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" "
			"fill=\"%s\"%s/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text></g>\n", lx,
			y, i <= RP_HEAT_BLOCKED ? fills[i] : "#000000",
			i <= RP_HEAT_BLOCKED ? "" : " fill-opacity=\"0.35\"", lx + 18, y + 9, name);
		lx += 130;
	}
	fputs("</svg>\n", f);
}
