#!/usr/bin/env python3
"""Renders a terminal screen captured with `tmux capture-pane -e -p` (text with SGR colour
escapes) into a PNG, cell by cell, so the README's screenshot is what kdrift really drew.

Usage: ansi_png.py CAPTURE.txt OUT.png [--font DejaVuSansMono.ttf] [--size 15]
Needs Pillow (Debian: python3-pil) and a monospace TrueType font (Debian: fonts-dejavu-core).
"""
import argparse
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FG, BG = (0xD4, 0xD4, 0xD4), (0x1E, 0x1E, 0x1E)
# the 16 ANSI colours (a dark terminal theme)
BASE = [
    (0x1E, 0x1E, 0x1E), (0xE0, 0x5A, 0x5A), (0x6A, 0xC2, 0x6A), (0xD7, 0xB5, 0x4A),
    (0x5A, 0x8F, 0xE0), (0xC2, 0x6A, 0xC2), (0x4A, 0xC2, 0xC2), (0xC8, 0xC8, 0xC8),
    (0x6C, 0x6C, 0x6C), (0xFF, 0x7A, 0x7A), (0x8A, 0xE2, 0x8A), (0xF7, 0xD5, 0x6A),
    (0x7A, 0xAF, 0xFF), (0xE2, 0x8A, 0xE2), (0x6A, 0xE2, 0xE2), (0xFF, 0xFF, 0xFF),
]


def xterm256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class Pen:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.dim = self.reverse = self.underline = self.italic = False

    def apply(self, params):
        ps = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = BASE[p - 30]
            elif 90 <= p <= 97:
                self.fg = BASE[p - 90 + 8]
            elif 40 <= p <= 47:
                self.bg = BASE[p - 40]
            elif 100 <= p <= 107:
                self.bg = BASE[p - 100 + 8]
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    colour = xterm256(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    colour = tuple(ps[i + 2:i + 5])
                    i += 4
                else:
                    colour = None
                if p == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1

    def colours(self):
        fg, bg = self.fg or FG, self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple((c + b) // 2 for c, b in zip(fg, bg))
        return fg, bg


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[()][A-Za-z0-9])")


def cells(text):
    """Rows of (char, fg, bg, bold, underline) from the captured text."""
    pen = Pen()
    rows = []
    for line in text.rstrip("\n").split("\n"):
        row = []
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                pen.apply(m.group(1))
                pos = m.end()
                continue
            m = OTHER.match(line, pos)
            if m:
                pos = m.end()
                continue
            fg, bg = pen.colours()
            row.append((line[pos], fg, bg, pen.bold, pen.underline))
            pos += 1
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--font", default="/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    ap.add_argument("--bold-font", default="/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
    ap.add_argument("--size", type=int, default=15)
    a = ap.parse_args()
    rows = cells(open(a.capture, encoding="utf-8").read())
    font = ImageFont.truetype(a.font, a.size)
    bold = ImageFont.truetype(a.bold_font, a.size)
    cw = round(font.getlength("M"))
    ch = round(a.size * 1.2)
    pad = 12
    width = max((len(r) for r in rows), default=0)
    img = Image.new("RGB", (width * cw + 2 * pad, len(rows) * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (c, fg, bg, is_bold, underline) in enumerate(row):
            left, top = pad + x * cw, pad + y * ch
            if bg != BG:
                draw.rectangle([left, top, left + cw - 1, top + ch - 1], fill=bg)
            if c != " ":
                draw.text((left, top + (ch - a.size) // 2 - 1), c, font=bold if is_bold else font, fill=fg)
            if underline:
                draw.line([left, top + ch - 2, left + cw - 1, top + ch - 2], fill=fg)
    img.save(a.out, optimize=True)
    print(f"{a.out}: {width}x{len(rows)} cells, {img.size[0]}x{img.size[1]} px", file=sys.stderr)


if __name__ == "__main__":
    main()
