// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The coverage plot (svg.h).
 */
#include <string.h>
#include "report.h"
#include "svg.h"

#define W 640			/* panel */
#define LEFT 56
#define RIGHT 20
#define TOP 34			/* title */
#define PH 220			/* plot height */
#define AXIS 44			/* x tick labels and axis title */
#define LEG_ROW 18
#define LEG_COLS 2
#define LEG_W ((W - LEFT - RIGHT) / LEG_COLS)
#define MARKERS 8		/* per curve */

/* 16 colours, told apart also by dash pattern and marker (distinct for 16 policies). */
static const char *const colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
	"#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#e6550d",
};
static const char *const dashes[] = {
	"", "8,4", "2,3", "10,3,2,3", "5,5", "14,4", "1,4", "6,2,2,2",
};

#define NR_COLORS (sizeof(colors) / sizeof(colors[0]))
#define NR_DASHES (sizeof(dashes) / sizeof(dashes[0]))

void svg_text(FILE *f, const char *s)
{
	size_t n;

	for (; *s; s += n ? n : 1) {
		unsigned char c = (unsigned char)*s;

		n = report_utf8_len(s);
		if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '&')
			fputs("&amp;", f);
		else if (!n || (c < 0x20 && c != '\t') || c == 0x7f)
			fputs("\xef\xbf\xbd", f);	/* U+FFFD */
		else
			fwrite(s, 1, n, f);
	}
}

uint64_t svg_tick_step(uint64_t span, unsigned int max)
{
	static const uint64_t mult[] = { 1, 2, 5 };
	uint64_t p;
	unsigned int i;

	for (p = 1; p <= UINT64_MAX / 10; p *= 10)
		for (i = 0; i < 3; i++)
			if (span / (p * mult[i]) <= max)
				return p * mult[i];
	return p;
}

char *svg_count(uint64_t v, char *buf, size_t size)
{
	static const struct { uint64_t unit; char suffix; } units[] = {
		{ 1000000000ULL, 'G' }, { 1000000ULL, 'M' }, { 1000ULL, 'k' },
	};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint64_t u = units[i].unit, frac = v % u * 100 / u;

		if (v < u)
			continue;
		if (!frac)
			snprintf(buf, size, "%llu%c", (unsigned long long)(v / u), units[i].suffix);
		else if (frac % 10 == 0)
			snprintf(buf, size, "%llu.%llu%c", (unsigned long long)(v / u),
				 (unsigned long long)(frac / 10), units[i].suffix);
		else
			snprintf(buf, size, "%llu.%02llu%c", (unsigned long long)(v / u),
				 (unsigned long long)frac, units[i].suffix);
		return buf;
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

void svg_x_axis(FILE *f, int x, int y, int w, uint64_t xmax, const char *title)
{
	uint64_t step = svg_tick_step(xmax, 6), t;
	char buf[32];

	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\"/>\n", x, y,
		x + w, y);
	for (t = 0; t <= xmax; t += step) {
		int tx = x + (int)(t * (uint64_t)w / xmax);

		fprintf(f, "<g class=\"x-tick\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#000000\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" "
			"text-anchor=\"middle\">%s</text></g>\n", tx, y, tx, y + 4, tx, y + 15,
			svg_count(t, buf, sizeof(buf)));
		if (t > xmax - step)
			break;
	}
	fprintf(f, "<text class=\"x-title\" x=\"%d\" y=\"%d\" font-size=\"11\" "
		"text-anchor=\"middle\">", x + w / 2, y + 32);
	svg_text(f, title);
	fputs("</text>\n", f);
}

/* Marker @m (0..7: circle, square, triangle, diamond; filled, then open) at x, y. */
static void marker(FILE *f, unsigned int m, int x, int y, const char *color)
{
	const char *fill = m < 4 ? color : "#ffffff";

	switch (m % 4) {
	case 0:
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"3\"", x, y);
		break;
	case 1:
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"6\" height=\"6\"", x - 3, y - 3);
		break;
	case 2:
		fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\"", x, y - 4, x - 4, y + 3, x + 4,
			y + 3);
		break;
	default:
		fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d %d,%d\"", x, y - 4, x + 4, y, x,
			y + 4, x - 4, y);
		break;
	}
	fprintf(f, " fill=\"%s\" stroke=\"%s\" stroke-width=\"1.2\"/>", fill, color);
}

/* Policy @i's style; the oracle (-1) is black, dashed, with no marker. */
static const char *color_of(int i)
{
	return i < 0 ? "#000000" : colors[i % NR_COLORS];
}

static const char *dash_of(int i)
{
	return i < 0 ? "5,3" : dashes[(i + i / (int)NR_DASHES) % NR_DASHES];
}

static void stroke(FILE *f, int i, double width)
{
	const char *d = dash_of(i);

	fprintf(f, "fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"", color_of(i), width);
	if (*d)
		fprintf(f, " stroke-dasharray=\"%s\"", d);
}

static int sample_y(const struct replay *r, int run, unsigned int i, int y0)
{
	const struct rp_sample *s = replay_sample(r, i);
	uint64_t y = rp_bp(run < 0 ? s->oracle : s->huge[run], s->mem);

	return y0 + TOP + PH - (int)(y * PH / 10000);
}

/*
 * One curve: @run is a policy, or -1 for the oracle.  Earlier curves are
 * drawn wider, so a later one lying on them leaves their edges showing; the
 * markers sit at points staggered per policy, so coinciding curves keep
 * every marker visible.
 */
static void curve(FILE *f, const struct replay *r, int run, int x0, int y0, uint64_t xmax)
{
	uint64_t pw = W - LEFT - RIGHT;
	unsigned int i, n = r->nr_runs;
	double width = run < 0 ? 1.5 : 1.5 + 2.0 * (double)(n - 1 - (unsigned int)run) / (n ? n : 1);

	fprintf(f, "<g class=\"curve\" data-policy=\"%d\"><polyline ", run);
	stroke(f, run, width);
	fputs(" points=\"", f);
	for (i = 0; i < r->nr_samples; i++)
		fprintf(f, "%s%llu,%d", i ? " " : "",
			(unsigned long long)(x0 + LEFT + replay_sample(r, i)->event * pw / xmax),
			sample_y(r, run, i, y0));
	fputs("\"/>\n", f);
	if (run >= 0 && r->nr_samples > 1) {
		for (i = 0; i < MARKERS; i++) {
			unsigned int at = (unsigned int)(((uint64_t)i * (n + 1) + (unsigned int)run + 1) *
							 (r->nr_samples - 1) / ((uint64_t)MARKERS * (n + 1)));

			marker(f, (unsigned int)run % 8, x0 + LEFT +
			       (int)(replay_sample(r, at)->event * pw / xmax),
			       sample_y(r, run, at, y0), color_of(run));
		}
	}
	fputs("</g>\n", f);
}

static unsigned int legend_rows(unsigned int runs)
{
	return (runs + 1 + LEG_COLS - 1) / LEG_COLS;
}

static unsigned int panel_height(unsigned int runs)
{
	return TOP + PH + AXIS + legend_rows(runs) * LEG_ROW + 8;
}

/* A legend entry: a line in the style, its marker, and the (cut) label. */
static void legend(FILE *f, int run, const char *label, int x, int y)
{
	char cut[41];	/* what fits a legend column at 11 px */

	snprintf(cut, sizeof(cut), "%s", label);
	if (strlen(label) >= sizeof(cut))
		memcpy(cut + sizeof(cut) - 4, "...", 4);
	fprintf(f, "<g class=\"legend-entry\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" ",
		x, y, x + 28, y);
	stroke(f, run, 2.0);
	fputs("/>", f);
	if (run >= 0)
		marker(f, (unsigned int)run % 8, x + 14, y, color_of(run));
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">", x + 34, y + 4);
	svg_text(f, cut);
	fputs("</text></g>\n", f);
}

static void panel(FILE *f, const struct svg_panel *p, int x0, int y0)
{
	const struct replay *r = p->r;
	int pw = W - LEFT - RIGHT, i, ly = y0 + TOP + PH + AXIS + 4;
	/* all events, teardown included: the last point is the state just before it */
	uint64_t xmax = r->events ? r->events : 1;

	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">",
		x0 + LEFT, y0 + 20);
	svg_text(f, p->title);
	fputs("</text>\n", f);
	/* y: 0-100% of guest memory under 2 MiB-or-larger leaves */
	for (i = 0; i <= 4; i++) {
		int y = y0 + TOP + PH - i * PH / 4;

		fprintf(f, "<g class=\"y-tick\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#dddddd\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" "
			"text-anchor=\"end\">%d%%</text></g>\n", x0 + LEFT, y, x0 + LEFT + pw, y,
			x0 + LEFT - 4, y + 3, i * 25);
	}
	fprintf(f, "<text class=\"y-title\" x=\"%d\" y=\"%d\" font-size=\"11\" "
		"transform=\"rotate(-90 %d %d)\" text-anchor=\"middle\">guest memory under 2M+ "
		"leaves</text>\n", x0 + 14, y0 + TOP + PH / 2, x0 + 14, y0 + TOP + PH / 2);
	svg_x_axis(f, x0 + LEFT, y0 + TOP + PH, pw, xmax, "events");
	for (i = 0; i < (int)r->nr_runs; i++)
		curve(f, r, i, x0, y0, xmax);
	curve(f, r, -1, x0, y0, xmax);	/* on top: the bound every curve stays under */
	legend(f, -1, "oracle", x0 + LEFT, ly);
	for (i = 0; i < (int)r->nr_runs; i++)
		legend(f, i, r->runs[i].label, x0 + LEFT + (i + 1) % LEG_COLS * LEG_W,
		       ly + (i + 1) / LEG_COLS * LEG_ROW);
}

void svg_write(FILE *f, const struct svg_panel *panels, unsigned int n)
{
	unsigned int cols = n > 1 ? 2 : 1, rows = (n + cols - 1) / cols, i, most = 0, h;

	for (i = 0; i < n; i++)
		most = panels[i].r->nr_runs > most ? panels[i].r->nr_runs : most;
	h = panel_height(most);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		cols * W, rows * h);
	for (i = 0; i < n; i++)
		panel(f, &panels[i], (int)(i % cols) * W, (int)(i / cols * h));
	fputs("</svg>\n", f);
}
