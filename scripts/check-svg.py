#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Structure of pmp-replay's pictures, read as SVG DOM and as rendered PNG.

usage: check-svg.py plot|heatmap SVG PNG TITLE POLICIES EVENTS
Exit 1 with the reason on the first check that fails."""
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

NS = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("check-svg: FAIL: %s: %s" % (sys.argv[2], msg), file=sys.stderr)
    sys.exit(1)


def by_class(root, cls):
    return [e for e in root.iter() if e.get("class") == cls]


def text_of(e):
    return "".join(e.itertext())


def png_pixels(path):
    """(width, height, distinct colours, share of non-white pixels) of an 8-bit RGB(A) PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                fail("PNG colour type %d depth %d" % (ctype, depth))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    prev, colours, ink = bytearray(stride), set(), 0
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # PNG filters: none, sub, up, average, Paeth
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            px = bytes(line[x:x + 3])
            colours.add(px)
            ink += px != b"\xff\xff\xff"
        prev = line
    return w, h, len(colours), ink / (w * h)


def main():
    kind, svg, png, title, policies, events = sys.argv[1:7]
    policies, events = int(policies), int(events)
    root = ET.parse(svg).getroot()
    titles = [text_of(e) for e in by_class(root, "title")]
    if not titles or not titles[0].startswith(title):
        fail("title %r, expected it to start with %r" % (titles, title))
    xt = [text_of(e) for e in by_class(root, "x-tick")]
    if len(by_class(root, "y-tick")) < 3:
        fail("fewer than 3 y ticks")
    if kind == "plot":
        if not 3 <= len(xt) <= 8 or xt[0] != "0":
            fail("x ticks %r" % xt)
        if [text_of(e) for e in by_class(root, "x-title")] != ["events"]:
            fail("no x axis title 'events'")
        legend = by_class(root, "legend-entry")
        if len(legend) != policies + 1 or text_of(legend[0]) != "oracle":
            fail("%d legend entries for %d policies and the oracle" % (len(legend), policies))
        curves = by_class(root, "curve")
        if len(curves) != policies + 1:
            fail("%d curves" % len(curves))
        styles = set()
        for c in curves:
            line = c.find(NS + "polyline")
            styles.add((line.get("stroke"), line.get("stroke-dasharray")))
            # the last point is the state before teardown: one event before the end
            last = int(line.get("points").split()[-1].split(",")[0])
            axis = [e for e in root.iter(NS + "line") if e.get("stroke") == "#000000"][0]
            x1, x2 = int(axis.get("x1")), int(axis.get("x2"))
            want = x1 + (events - 1) * (x2 - x1) // events
            if last != want:
                fail("a curve ends at x=%d, the last event before teardown is at %d" % (last, want))
        if len(styles) != policies + 1:
            fail("curves share a colour and dash pattern: %d styles for %d" % (len(styles), policies + 1))
        # legend entries inside the picture, and not on top of each other
        w, h = int(root.get("width")), int(root.get("height"))
        spots = set()
        for e in legend:
            t = e.find(NS + "text")
            x, y = int(t.get("x")), int(t.get("y"))
            if not (0 <= x < w and 0 <= y < h) or (x, y) in spots:
                fail("legend entry %r at %d,%d" % (text_of(e), x, y))
            spots.add((x, y))
    else:
        panels = by_class(root, "policy-panel")
        if len(panels) != policies:
            fail("%d heatmap panels for %d policies" % (len(panels), policies))
        if len(by_class(root, "key")) != 4:
            fail("the key lacks huge, split, blocked or pinned")
        if not xt:
            fail("no x ticks")
    w, h, colours, ink = png_pixels(png)
    if (w, h) != (int(root.get("width")), int(root.get("height"))):
        fail("PNG is %dx%d, the SVG %sx%s" % (w, h, root.get("width"), root.get("height")))
    if colours < 5 or not 0.01 < ink < 0.9:
        fail("PNG looks blank or flooded: %d colours, %.1f%% ink" % (colours, ink * 100))
    print("check-svg: %s: %s, %dx%d PNG, %d colours, %.1f%% ink" % (kind, svg, w, h, colours, ink * 100))


main()
