#!/usr/bin/env python3
"""Checks for test_html_render.sh (standard library only).

  html_render_check.py static REPORT.html
      the page is self-contained: no scripts, no http(s) reference but
      the SVG namespace, no external src=/href=/url()/@import/<link>.
  html_render_check.py page REPORT.html REPORT.json
      the page (parsed with html.parser) says what the JSON report says:
      - the headline's sessions and incidents, and the count of each
        verdict, equal the JSON report's;
      - every incident has its article, inside the incidents section,
        which comes before the sessions without incident; grouped (one
        verdict and server per run);
      - each incident's timeline has a <title> and <desc>, at least four
        axis ticks each labelled with a clock time, its close marked with
        who closed, its closing reply (the 421) labelled with its code,
        its decisive gap labelled, and each data connection drawn over
        its own duration (a 0.3 ms transfer is no line across the session);
        its ladder is there, with a text version;
      - capture loss, when the JSON report counts any, is said with its
        bytes and places;
      - the glossary is there and last.
  html_render_check.py png SHOT.png
      the screenshot is a real picture: PNG signature, chunks with good
      CRCs, pixels that decompress to the size the header says, of
      plausible size, not blank.

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
# The timeline's drawing width between its margins (src/report/svg.c:
# TL_WIDTH - TL_LEFT - TL_RIGHT) and the narrowest data bar it draws.
TL_SPAN_PX = 960 - 120 - 30
DATA_MIN_PX = 3

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def incidents(report):
    return [s for s in report["sessions"] if s["verdict"]["kind"] not in INCIDENT_FREE]


def seconds(iso):
    """Seconds of an ISO time of the JSON report, within the day is enough
    for spans (the captures do not cross midnight twice)."""
    m = re.match(r"\d{4}-\d\d-(\d\d)T(\d\d):(\d\d):(\d\d(?:\.\d+)?)Z", iso)
    d, h, mi, s = m.groups()
    return ((int(d) * 24 + int(h)) * 60 + int(mi)) * 60 + float(s)


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
    check("@media print" in low and "break-before:page" in low.replace(" ", ""),
          "a print stylesheet with a page break before each incident")


# ---- page -----------------------------------------------------------------


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], ""
        self.classes = (self.attrs.get("class") or "").split()

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)

    def find(self, tag=None, cls=None):
        for c in self.children:
            if (tag is None or c.tag == tag) and (cls is None or cls in c.classes):
                yield c
            yield from c.find(tag, cls)


VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}
# SVG elements written empty-closed (<line .../>) by the report.
SELF_CLOSING = {"line", "rect", "polygon", "path", "circle"}


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("root", [], None)
        self.cur = self.root
        self.order = []  # elements in document order

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs, self.cur)
        self.cur.children.append(el)
        self.order.append(el)
        if tag not in VOID:
            self.cur = el

    def handle_startendtag(self, tag, attrs):
        el = Element(tag, attrs, self.cur)
        self.cur.children.append(el)
        self.order.append(el)

    def handle_endtag(self, tag):
        node = self.cur
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.text += data


def by_id(tree, ident):
    return next((e for e in tree.order if e.attrs.get("id") == ident), None)


def cmd_page(html_path, json_path):
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    with open(html_path, encoding="utf-8", errors="replace") as f:
        page = f.read()
    tree = Tree()
    tree.feed(page)
    tree.close()
    sessions = report["sessions"]
    inc = incidents(report)
    print(f"     {len(sessions)} session(s), {len(inc)} incident(s)")

    head = next((e for e in tree.order if "headline" in e.classes), None)
    if check(head is not None, "a headline"):
        text = " ".join(head.all_text().split())
        want = (f"{len(sessions)} FTP session{'' if len(sessions) == 1 else 's'}, "
                f"{len(inc)} incident{'' if len(inc) == 1 else 's'}")
        check(text == want, f"headline {text!r} == {want!r}")
        check(head.attrs.get("data-sessions") == str(len(sessions))
              and head.attrs.get("data-incidents") == str(len(inc)),
              "headline data-sessions/data-incidents equal the JSON report's")
    counts = {}
    for s in sessions:
        counts[s["verdict"]["kind"]] = counts.get(s["verdict"]["kind"], 0) + 1
    rows = {e.attrs["data-verdict"]: e for e in tree.order if e.tag == "tr" and "data-verdict" in e.attrs}
    got = {v: int(e.attrs["data-count"]) for v, e in rows.items()}
    check(got == counts, f"counts by verdict {got} == {counts}")
    shown = {v: int(next(e.find("td", "num")).all_text()) for v, e in rows.items()}
    check(shown == counts, "the counts shown in the table equal them")
    check(all(len(" ".join(next(e.find("td", "what")).all_text().split())) > 8 for e in rows.values()),
          "each verdict has its plain words")

    section_inc, section_others = by_id(tree, "incidents"), by_id(tree, "others")
    pos = {id(e): i for i, e in enumerate(tree.order)}
    if inc:
        check(section_inc is not None, "an incidents section")
    if inc and len(sessions) > len(inc):
        check(section_others is not None and pos[id(section_inc)] < pos[id(section_others)],
              "incidents precede the sessions without incident")
    if section_others is not None:
        listed = [next(iter(r.find("td"))).all_text() for r in section_others.find("tr")
                  if any(True for _ in r.find("td")) and "sessions" in (r.parent.classes if r.parent else [])]
        inc_ids = {str(s["id"]) for s in inc}
        check(not inc_ids.intersection(listed), "no incident among the sessions without incident")
    articles = [e for e in tree.order if e.tag == "article" and "incident" in e.classes]
    want_ids = sorted(f"session-{s['id']}" for s in inc)
    check(sorted(a.attrs.get("id") for a in articles) == want_ids, f"one article per incident ({len(want_ids)})")
    if section_inc is not None:
        check(all(any(a is x for x in section_inc.find("article")) for a in articles),
              "every incident inside the incidents section")
    # Grouped: the verdicts of the articles form runs, one per verdict.
    runs = [a.attrs.get("data-verdict") for a in articles]
    seen, grouped = set(), True
    for i, v in enumerate(runs):
        if v in seen and runs[i - 1] != v:
            grouped = False
        seen.add(v)
    check(grouped, "incidents grouped by verdict")

    by_id_json = {f"session-{s['id']}": s for s in inc}
    ticks_min, problems = None, []
    for a in articles:
        s = by_id_json.get(a.attrs.get("id"))
        if s is None:
            continue
        name = a.attrs["id"]
        svg = next(a.find("svg", "timeline"), None)
        if svg is None:
            problems.append(f"{name}: no timeline")
            continue
        if not next(svg.find("title"), None) or not next(svg.find("desc"), None):
            problems.append(f"{name}: timeline without <title> and <desc>")
        ticks = [t for t in svg.find("g", "axis-tick")
                 if re.match(r"\d\d:\d\d:\d\d", " ".join(x.all_text() for x in t.find("text")))]
        ticks_min = len(ticks) if ticks_min is None else min(ticks_min, len(ticks))
        if len(ticks) < 4:
            problems.append(f"{name}: {len(ticks)} labelled axis ticks")
        close = s["close"]
        if close["by"] != "none":
            marks = [" ".join(m.all_text().split()) for m in svg.find("g", "close-mark")]
            if not any(m.startswith(close["by"] + " closed") for m in marks):
                problems.append(f"{name}: close by {close['by']} not marked ({marks})")
        if close.get("reply_code"):
            labels = [t.all_text() for t in svg.find("text", "closing-reply")]
            if not any(lbl.startswith(str(close["reply_code"])) for lbl in labels):
                problems.append(f"{name}: closing reply {close['reply_code']} not labelled ({labels})")
        decisive = [g for g in s["gaps"] if g["decisive"]]
        if decisive and not any(True for _ in svg.find("text", "decisive")):
            problems.append(f"{name}: decisive gap not labelled")
        start = seconds(s["start"])
        span = seconds(s["end"]) - start if s["end"] else None
        bars = sorted(float(r.attrs["width"]) for r in svg.find("rect", "data"))
        want = sorted(max(DATA_MIN_PX, (seconds(t["end"]) - seconds(t["start"])) / span * TL_SPAN_PX)
                      for t in s["transfers"] if t["start"] and span)
        if span and (len(bars) != len(want) or any(abs(b - w) > 1.5 for b, w in zip(bars, want))):
            problems.append(f"{name}: data bars {bars[:5]} are not their transfers' durations {want[:5]}")
        if not next(a.find("svg", "ladder"), None) or not next(a.find("pre", "ladder-text"), None):
            problems.append(f"{name}: no ladder")
    for p in problems[:20]:
        print("     " + p)
    check(not problems, f"every incident's timeline and ladder ({len(articles)} incidents, "
          f"fewest labelled axis ticks {ticks_min})")

    quality = by_id(tree, "summary")
    quality_text = " ".join(" ".join(e.all_text().split()) for e in tree.order if "quality" in e.classes)
    stats = report["stats"]
    if stats["capture_gaps"]:
        want = f"lost {stats['capture_gap_bytes']} bytes in {stats['capture_gaps']} place"
        check(want in quality_text, f"capture loss said with its amount ({want!r})")
    else:
        check("capture" in quality_text.lower(), "the capture's quality said")
    check(quality is not None, "a summary section at the top")
    glossary = by_id(tree, "glossary")
    if check(glossary is not None, "a glossary"):
        terms = [" ".join(d.all_text().split()) for d in glossary.find("dt")]
        check(all(any(t.startswith(w) for t in terms) for w in ("FIN", "RST", "421", "NOOP", "REST / APPE", "Stalled side")),
              f"glossary terms {terms}")
        check(pos[id(glossary)] > max((pos[id(a)] for a in articles), default=-1), "the glossary after the incidents")


# ---- png ------------------------------------------------------------------


def png_raw(data):
    """Returns (width, height, channels, filtered pixel bytes) of an 8-bit
    greyscale, RGB or RGBA non-interlaced PNG; raises ValueError otherwise."""
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
    if len(raw) != height * (width * channels + 1):
        raise ValueError(f"{len(raw)} bytes of pixels, expected {height * (width * channels + 1)}")
    return width, height, channels, raw


def cmd_png(png_path):
    """A picture, not a blank page: enough of its rows are not flat. The
    rows are looked at filtered (each byte relative to its neighbours):
    undoing the filters in Python would take seconds a picture."""
    with open(png_path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
    check(len(data) > 10 * 1024, f"PNG is more than 10 KiB ({len(data)} bytes)")
    try:
        width, height, channels, raw = png_raw(data)
    except (ValueError, zlib.error, struct.error) as e:
        check(False, f"PNG decodes ({e})")
        return
    check(width >= 600 and height >= 400, f"image is {width}x{height}")
    stride = width * channels + 1
    rows = [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]
    # A flat row filters to one repeated byte (0 with the Sub, Up or Paeth
    # filter, the colour itself with none).
    busy = sum(1 for r in rows if len(set(r[2 * channels:])) > 1)
    check(busy > height * 0.05, f"drawn rows: {busy} of {height} differ from their neighbours")
    check(len(set(raw[::97])) > 16, f"many distinct values ({len(set(raw[::97]))})")


def main(argv):
    cmds = {"static": (cmd_static, 1), "page": (cmd_page, 2), "png": (cmd_png, 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
