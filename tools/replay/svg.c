// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The coverage plot (svg.h).
 */
#include <string.h>
#include "report.h"
#include "svg.h"

#define W 520
#define H 300
#define LEFT 56
#define RIGHT 16
#define TOP 56
#define BOTTOM 40

static const char *const colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
};

#define NR_COLORS (sizeof(colors) / sizeof(colors[0]))

/*
 * Character data: markup escaped, and what XML 1.0 cannot hold in a UTF-8
 * document (control characters, bytes that are not UTF-8: a file name may
 * have both) written as U+FFFD.
 */
static void text(FILE *f, const char *s)
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

/* One curve: @run is a policy, or -1 for the oracle. */
static void curve(FILE *f, const struct replay *r, int run, int x0, int y0, uint64_t xmax)
{
	uint64_t pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
	unsigned int i;

	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"",
		run < 0 ? "#000000" : colors[run % NR_COLORS], run < 0 ? "1" : "1.5",
		run < 0 ? " stroke-dasharray=\"5,3\"" : "");
	for (i = 0; i < r->nr_samples; i++) {
		const struct rp_sample *s = replay_sample(r, i);
		uint64_t y = rp_bp(run < 0 ? s->oracle : s->huge[run], s->mem);

		fprintf(f, "%s%llu,%llu", i ? " " : "",
			(unsigned long long)(x0 + LEFT + s->event * pw / xmax),
			(unsigned long long)(y0 + TOP + ph - y * ph / 10000));
	}
	fputs("\"/>\n", f);
}

static void panel(FILE *f, const struct svg_panel *p, int x0, int y0)
{
	const struct replay *r = p->r;
	int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM, lx = x0 + LEFT, i;
	uint64_t xmax = r->nr_samples ? replay_sample(r, r->nr_samples - 1)->event : 1;

	if (!xmax)
		xmax = 1;
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">", x0 + LEFT,
		y0 + 20);
	text(f, p->title);
	fputs("</text>\n", f);
	/* the legend: the oracle, then each policy in its colour */
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\" "
		"stroke-dasharray=\"5,3\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">oracle</text>\n",
		lx, y0 + 36, lx + 18, y0 + 36, lx + 22, y0 + 40);
	lx += 70;
	for (i = 0; i < (int)r->nr_runs; i++) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\">", lx, y0 + 34,
			colors[i % NR_COLORS], lx + 18, y0 + 40);
		text(f, r->runs[i].label);
		fputs("</text>\n", f);
		lx += 26 + 6 * (int)strlen(r->runs[i].label);
	}
	/* axes: 0-100% of guest memory under 2 MiB-or-larger leaves, events */
	for (i = 0; i <= 4; i++) {
		int y = y0 + TOP + ph - i * ph / 4;

		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%d%%</text>\n",
			x0 + LEFT, y, x0 + LEFT + pw, y, x0 + LEFT - 4, y + 3, i * 25);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000000\"/>\n",
		x0 + LEFT, y0 + TOP + ph, x0 + LEFT + pw, y0 + TOP + ph);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">0</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%llu events</text>\n",
		x0 + LEFT, y0 + TOP + ph + 14, x0 + LEFT + pw, y0 + TOP + ph + 14,
		(unsigned long long)xmax);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" transform=\"rotate(-90 %d %d)\" "
		"text-anchor=\"middle\">2M+ coverage</text>\n", x0 + 14, y0 + TOP + ph / 2,
		x0 + 14, y0 + TOP + ph / 2);
	curve(f, r, -1, x0, y0, xmax);
	for (i = 0; i < (int)r->nr_runs; i++)
		curve(f, r, i, x0, y0, xmax);
}

void svg_write(FILE *f, const struct svg_panel *panels, unsigned int n)
{
	unsigned int cols = n > 1 ? 2 : 1, rows = (n + cols - 1) / cols, i;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		cols * W, rows * H);
	for (i = 0; i < n; i++)
		panel(f, &panels[i], (int)(i % cols) * W, (int)(i / cols) * H);
	fputs("</svg>\n", f);
}
