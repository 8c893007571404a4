#!/usr/bin/env python3
"""tmux_idle_styles.py - samples how `ftpstall watch` draws a session's idle
time, from `tmux capture-pane -e` (text with tmux's SGR escapes), for
test_watch_live_tui.sh.

    tmux_idle_styles.py --socket SOCK --timeout T --view list|detail
                        [--seconds N] [--alarm-for S]

Polls the pane of the private tmux server SOCK (window "fst") every 50 ms
for at most N seconds and reads the idle cell of the (only) session:

  list    the IDLE column of the session row (found under the header's
          "IDLE"); the row is the selected one, so reverse video is on
          for the whole row and the colour tells the styles apart;
  detail  the "idle X.Xs of T (--timeout)" of the detail view's line 2.

src/tui/draw.c and list.c define the styles, with colour (the pane is
xterm-256color):
  normal   idle < 80 % of T: the terminal's colour, not bold
  warn     80 % <= idle <= T: yellow, bold (TUI_STYLE_WARN)
  alarm    idle > T: red, bold, reverse video (TUI_STYLE_ALARM); on the
           selected row: red, bold, underlined, not reversed

Every sample whose displayed value (rounded to 0.1 s) is clearly on one
side of a threshold must have that style; samples within the rounding of
a threshold are logged, not judged. Only samples while it is the client's
turn are judged (once the server has closed, nobody owes a move and the
idle is not alarming). The list view must show each style at least once,
in that order; the detail view must show the alarm. Stops once the alarm
has been seen for S seconds (default 1), or the client's turn ends.

Prints every distinct sample and "FAIL: ..." lines. Exit 0 pass, 1 fail.
Python 3 standard library only.
"""

import argparse
import re
import subprocess
import sys
import time

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESC = re.compile(r"\x1b[^\[]|\x1b\[[0-9;?]*[A-Za-ln-z]")
DURATION = re.compile(r"^(\d+(?:\.\d)?)s$")
ROUNDING = 0.051  # "%.1f" is off by at most 0.05 s

RED = (1, 9)
YELLOW = (3, 11)


class Attrs:
    def __init__(self):
        self.reset()

    def reset(self):
        self.bold = self.dim = self.underline = self.reverse = False
        self.fg = None  # None: default, else a 256-colour index
        self.bg = None

    def copy(self):
        a = Attrs()
        a.__dict__.update(self.__dict__)
        return a

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = c - 30
            elif 90 <= c <= 97:
                self.fg = c - 90 + 8
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = c - 40
            elif 100 <= c <= 107:
                self.bg = c - 100 + 8
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = codes[i + 2]
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = ("rgb",) + tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1

    def describe(self):
        parts = [n for n in ("bold", "dim", "underline", "reverse") if getattr(self, n)]
        if self.fg is not None:
            parts.append(f"fg={self.fg}")
        if self.bg is not None:
            parts.append(f"bg={self.bg}")
        return "+".join(parts) or "plain"


def parse_line(line):
    """A captured line as a list of (char, Attrs). tmux's capture starts
    every line from the default attributes."""
    cells = []
    attrs = Attrs()
    pos = 0
    line = OTHER_ESC.sub("", line)
    for m in SGR.finditer(line):
        for ch in line[pos:m.start()]:
            cells.append((ch, attrs.copy()))
        attrs.apply(m.group(1))
        pos = m.end()
    for ch in line[pos:]:
        cells.append((ch, attrs.copy()))
    return cells


def capture(sock):
    out = subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "capture-pane", "-p", "-e",
                          "-t", "fst"], capture_output=True, text=True, timeout=3)
    if out.returncode != 0:
        return None
    return [parse_line(line) for line in out.stdout.split("\n")]


def text_of(cells):
    return "".join(ch for ch, _ in cells)


def word_at(cells, x):
    """The non-blank run starting at column x: (text, attrs of its first
    character)."""
    end = x
    while end < len(cells) and cells[end][0] != " ":
        end += 1
    return text_of(cells[x:end]), cells[x][1] if x < len(cells) else Attrs()


SESSION_ROW = re.compile(r"^. +\d+ +127\.0\.0\.1:\d+ +127\.0\.0\.1:21 ")
DETAIL_IDLE = re.compile(r"  idle (\S+) of \S+ \(--timeout\)")


def idle_cell(screen, view):
    """(row text, turn, idle text, attrs) of the session's idle cell, or
    None. turn is whose move it is ("client", "-", ...)."""
    if view == "list":
        header = next((c for c in screen[:3] if re.search(r"\bIDLE\b", text_of(c))), None)
        if header is None:
            return None
        x = text_of(header).index("IDLE")
        x_turn = text_of(header).index("TURN")
        for cells in screen[2:]:
            row = text_of(cells)
            if SESSION_ROW.search(row):
                text, attrs = word_at(cells, x)
                return row.rstrip(), word_at(cells, x_turn)[0], text, attrs
        return None
    for cells in screen[:4]:
        row = text_of(cells)
        m = DETAIL_IDLE.search(row)
        if m:
            text, attrs = word_at(cells, m.start(1))
            turn = re.search(r"turn (\S+)", row)
            return row.rstrip(), turn.group(1) if turn else "-", text, attrs
    return None


def style_of(attrs):
    """The style name the attributes mean, or None for none of them."""
    # On the selected (reversed) row the alarm cell alone is not reversed
    # but underlined, so that it stands out without colour too.
    if attrs.bold and (attrs.reverse or attrs.underline) and attrs.fg in RED:
        return "alarm"
    if attrs.bold and attrs.fg in YELLOW:
        return "warn"
    if not attrs.bold and attrs.fg is None:
        return "normal"
    return None


def expected_style(value, timeout):
    """What a displayed value must look like, or None near a threshold."""
    if value - ROUNDING > timeout:
        return "alarm"
    if value + ROUNDING < 0.8 * timeout:
        return "normal"
    if value - ROUNDING >= 0.8 * timeout and value + ROUNDING <= timeout:
        return "warn"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--view", choices=("list", "detail"), required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--alarm-for", type=float, default=1.0)
    args = ap.parse_args()
    problems = []

    def fail(msg):
        problems.append(msg)
        print(f"FAIL: {args.view} view: {msg}", flush=True)

    seen = []  # styles in the order they first appeared
    waited = set()  # True once a sample showed the client's turn
    last = None
    alarm_since = None
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        screen = capture(args.socket)
        found = idle_cell(screen, args.view) if screen else None
        if found:
            row, turn, text, attrs = found
            m = DURATION.match(text)
            style = style_of(attrs)
            sample = (turn, text, attrs.describe())
            owed = turn.split("/")[0] == "client"  # "client" or "client/data"
            if not owed and True in waited:
                print(f"  {args.view}: turn {turn}: the session is closing; done", flush=True)
                break
            waited.add(owed)
            if sample != last:
                last = sample
                print(f"  {args.view}: turn {turn:<7} idle {text:>6} drawn "
                      f"{attrs.describe():<28} = {style or '?'}", flush=True)
                # Only a side that owes a move can be late (list.c).
                if m and owed:
                    value = float(m.group(1))
                    want = expected_style(value, args.timeout)
                    if want and style != want:
                        fail(f"idle {text} of --timeout {args.timeout:g} drawn "
                             f"{attrs.describe()} ({style or 'no known style'}), expected "
                             f"{want}; row: '{row}'")
                    if style and style not in seen and (want == style or want is None):
                        seen.append(style)
            if style == "alarm":
                alarm_since = alarm_since or time.monotonic()
                if time.monotonic() - alarm_since >= args.alarm_for:
                    break
        time.sleep(0.05)

    if last is None:
        fail(f"no idle cell found in {args.seconds:g} s")
    elif args.view == "list":
        for style in ("normal", "warn", "alarm"):
            if style not in seen:
                fail(f"never saw the {style} style (saw {seen})")
        if [s for s in ("normal", "warn", "alarm") if s in seen] != seen:
            fail(f"styles appeared in the order {seen}")
    elif "alarm" not in seen:
        fail(f"never saw the alarm style (saw {seen})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
