#!/usr/bin/env python3
"""Checks for test_html_render.sh (standard library only).

  html_render_check.py static REPORT.html
      the page is self-contained: no scripts, no http(s) reference but
      the SVG namespace, no external src=/href=/url()/@import/<link>.
  html_render_check.py dom REPORT.json DOM.html
      the DOM that Chromium rendered shows what the JSON report says:
      one <svg> timeline per incident session (verdict other than clean
      and incomplete), in order, each incident's heading with its verdict
      and stalled side, a table row per session with its verdict, and in
      the timelines one shaded gap per gap and one close marker per
      incident that closed.
  html_render_check.py png SHOT.png REPORT.json
      the screenshot is a real picture: PNG signature, a decodable image
      of plausible size with more than one colour and, when the first
      incident's timeline is above the fold, the shading of its decisive
      gap.

Prints what it found; exits 0 when every check passed, 1 otherwise.
"""

import json
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

INCIDENT_FREE = ("clean", "incomplete")
SVG_XMLNS = 'xmlns="http://www.w3.org/2000/svg"'

# Gap fills, as wait_color() in src/report/html.c draws them, with the
# opacity of the gap rectangles and the timeline background they blend
# into. A change there must be mirrored here.
WAIT_COLOURS = {
    "client": (0xF0, 0xA0, 0x30),
    "server": (0xD0, 0x40, 0x40),
    "receiver": (0xA0, 0x60, 0x30),
    "network": (0x80, 0x50, 0xC0),
    "capture": (0x90, 0x90, 0x90),
    "none": (0xC8, 0xD8, 0xE8),
}
GAP_OPACITY = 0.55
SVG_BACKGROUND = (0xFA, 0xFA, 0xFA)
# Above this many sessions the summary table may push the first timeline
# below the screenshot's 900 px, so its shading is not looked for.
FOLD_SESSIONS = 5

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def incidents(report):
    return [s for s in report["sessions"] if s["verdict"]["kind"] not in INCIDENT_FREE]


# ---- static ---------------------------------------------------------------


def cmd_static(html_path):
    with open(html_path, encoding="utf-8", errors="replace") as f:
        page = f.read()
    low = page.lower()
    check(low.startswith("<!doctype html>"), "starts with <!DOCTYPE html>")
    check("<script" not in low, "no <script")
    svgs = low.count("<svg")
    check(low.count(SVG_XMLNS.lower()) == svgs, f"every <svg> ({svgs}) declares {SVG_XMLNS}")
    rest = low.replace(SVG_XMLNS.lower(), "")
    urls = re.findall(r"https?://[^\s\"'<>]*", rest)
    check(not urls, "no http:// or https:// but the SVG namespace" + (f" (found {urls[:3]})" if urls else ""))
    # Attribute values that would load something: anything but a fragment
    # or a data: URL.
    ext = [
        m.group(0)
        for m in re.finditer(r"\b(?:src|href|xlink:href|srcset|action|poster)\s*=\s*[\"']?([^\"'\s>]*)", low)
        if not (m.group(1).startswith("#") or m.group(1).startswith("data:"))
    ]
    check(not ext, "no external src=/href=" + (f" (found {ext[:3]})" if ext else ""))
    tags = re.findall(r"<(?:link|iframe|object|embed|img|image|use|base|meta\s+http-equiv)\b", low)
    check(not tags, "no <link>, <iframe>, <object>, <embed>, <img>, <use>, <base>, refresh" + (f" (found {tags[:3]})" if tags else ""))
    css = [u for u in re.findall(r"url\(\s*[\"']?([^\"')]*)", low) if not u.startswith(("#", "data:"))]
    check(not css and "@import" not in low, "no CSS url() or @import")


# ---- dom ------------------------------------------------------------------


class Dom(HTMLParser):
    """Collects what the checks need from the rendered DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.svgs = []  # aria-label of each <svg>
        self.gaps = 0
        self.closes = 0
        self.h2 = []
        self.rows = []  # cell texts of each <tr> with <td>s
        self._h2 = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "svg":
            self.svgs.append(a.get("aria-label", ""))
        elif tag == "rect" and "gap" in classes:
            self.gaps += 1
        elif tag == "line" and "close" in classes:
            self.closes += 1
        elif tag == "h2":
            self._h2 = ""
        elif tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "h2" and self._h2 is not None:
            self.h2.append(self._h2.strip())
            self._h2 = None
        elif tag == "td" and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._h2 is not None:
            self._h2 += data
        if self._cell is not None:
            self._cell += data


def cmd_dom(json_path, dom_path):
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    with open(dom_path, encoding="utf-8", errors="replace") as f:
        dom_text = f.read()
    dom = Dom()
    dom.feed(dom_text)
    dom.close()
    inc = incidents(report)
    print(f"     {len(report['sessions'])} session(s), {len(inc)} incident(s): "
          + ", ".join(f"{s['id']} {s['verdict']['kind']}" for s in inc))
    check(len(report["sessions"]) > 0, "the report has sessions")
    check(dom_text.lower().count("<svg") == len(inc),
          f"one <svg per incident session: {dom_text.lower().count('<svg')} for {len(inc)}")
    want_labels = [f"session {s['id']} timeline" for s in inc]
    check(dom.svgs == want_labels, f"timelines in incident order: {dom.svgs} == {want_labels}")
    want_h2 = [f"Session {s['id']}: {s['verdict']['kind']} (stalled: {s['verdict']['stalled_side']})" for s in inc]
    check(dom.h2 == want_h2, f"incident headings with verdicts: {dom.h2} == {want_h2}")
    want_rows = [[str(s["id"]), s["verdict"]["kind"]] for s in report["sessions"]]
    got_rows = [r[:2] for r in dom.rows]
    check(got_rows == want_rows, f"summary rows (session, verdict): {got_rows} == {want_rows}")
    want_gaps = sum(len(s["gaps"]) for s in inc)
    check(dom.gaps == want_gaps, f"shaded gaps: {dom.gaps} == {want_gaps}")
    want_closes = sum(1 for s in inc if s["close"]["by"] != "none")
    check(dom.closes == want_closes, f"close markers: {dom.closes} == {want_closes}")


# ---- png ------------------------------------------------------------------


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_decode(data):
    """Returns (width, height, channels, rows) for 8-bit greyscale, RGB or
    RGBA non-interlaced PNGs; raises ValueError otherwise."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, ihdr, idat = 8, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("chunk cut short")
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise ValueError(f"bad CRC in {kind!r}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if not ihdr or not idat:
        raise ValueError("no IHDR or IDAT")
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {ctype}, interlace {interlace}")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError(f"{len(raw)} bytes of pixels, expected {height * (stride + 1)}")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif ftype == 2:
            line = bytearray((x + p) & 0xFF for x, p in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                upleft = prev[i - channels] if i >= channels else 0
                line[i] = (line[i] + paeth(left, prev[i], upleft)) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad filter type {ftype} in row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def cmd_png(png_path, json_path):
    with open(png_path, "rb") as f:
        data = f.read()
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
    check(len(data) > 10 * 1024, f"PNG is more than 10 KiB ({len(data)} bytes)")
    try:
        width, height, channels, rows = png_decode(data)
    except (ValueError, zlib.error, struct.error) as e:
        check(False, f"PNG decodes ({e})")
        return
    check(width >= 600 and height >= 400, f"image is {width}x{height}")
    counts = {}
    for row in rows:
        for x in range(0, len(row), channels):
            px = row[x:x + 3] if channels >= 3 else row[x:x + 1] * 3
            counts[px] = counts.get(px, 0) + 1
    top = max(counts.values())
    check(len(counts) > 1, f"not a single colour ({len(counts)} colours)")
    check(top < width * height * 0.99,
          f"less than 99% one colour (the commonest covers {100.0 * top / (width * height):.1f}%)")
    inc = incidents(report)
    gaps = [g for g in (inc[0]["gaps"] if inc else []) if g["decisive"]]
    if not gaps:
        print("     no decisive gap in the first incident: its shading is not looked for")
        return
    if len(report["sessions"]) > FOLD_SESSIONS:
        print(f"     more than {FOLD_SESSIONS} sessions: the first timeline may be below the fold, "
              "its shading is not looked for")
        return
    fill = WAIT_COLOURS[gaps[0]["waiting_on"]]
    want = tuple(round(GAP_OPACITY * f + (1 - GAP_OPACITY) * b) for f, b in zip(fill, SVG_BACKGROUND))
    near = sum(n for px, n in counts.items() if all(abs(p - w) <= 4 for p, w in zip(px, want)))
    check(near >= 20, f"decisive gap shading ({gaps[0]['waiting_on']}, rgb{want}) drawn: {near} pixels")


def main(argv):
    cmds = {"static": (cmd_static, 1), "dom": (cmd_dom, 2), "png": (cmd_png, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
