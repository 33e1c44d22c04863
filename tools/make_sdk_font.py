"""Make the SDK's default font for visible signatures: a subset of DejaVu Sans, renamed "Jesign Sans".

DejaVu Sans draws Latin (French and the rest of Europe), Greek, Cyrillic, Hebrew and Arabic (with the OpenType
tables HarfBuzz shapes Arabic with). The subset keeps those scripts, the punctuation (the en dash...), the
currency signs, and every layout feature, and drops the hinting: about 150 KB instead of 760. Its units are scaled
to 1000 per em (DejaVu has 2048): pyHanko writes a TrueType font's glyph widths in the font's units where PDF
wants thousandths of an em, which spreads the letters of any font with another scale.

Its licence (Bitstream Vera's, with the Arev fonts' for some glyphs; DejaVu's changes are in the public domain)
allows modified copies shipped with software, under a name without "Bitstream", "Vera", "Arev" or "Tavmjong Bah":
hence the new name; the copyright and licence records are kept in the font, and written beside it.

Run from the repository's root, with DejaVu Sans at hand (Debian: fonts-dejavu-core), then commit both files::

    .venv/bin/python tools/make_sdk_font.py /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset, ttLib
from fontTools.ttLib.scaleUpem import scale_upem

TARGET = Path("jesign_sdk/fonts")
FAMILY = "Jesign Sans"
#: Unicode blocks kept, first and last code point of each.
BLOCKS = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0590, 0x05FF),  # Hebrew
    (0x0600, 0x06FF),  # Arabic
    (0x0750, 0x077F),  # Arabic Supplement
    (0x2000, 0x206F),  # General Punctuation (dashes, quotes, ellipsis)
    (0x20A0, 0x20CF),  # Currency Symbols (euro)
    (0x2100, 0x214F),  # Letterlike Symbols (numero sign)
    (0x2190, 0x21FF),  # Arrows
    (0x2212, 0x2212),  # minus sign
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
]


def main(source: str) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["FFTM"]
    font = ttLib.TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for first, last in BLOCKS for code in range(first, last + 1)])
    subsetter.subset(font)
    scale_upem(font, 1000)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4):
            names.setName(f"{FAMILY} (a subset of DejaVu Sans)", record.nameID, *_where(record))
        elif record.nameID == 6:
            names.setName(FAMILY.replace(" ", ""), record.nameID, *_where(record))
    TARGET.mkdir(parents=True, exist_ok=True)
    font.save(TARGET / "JesignSans.ttf")
    licence = names.getDebugName(13) or ""
    (TARGET / "LICENSE-DejaVu.txt").write_text(
        f"{FAMILY} (JesignSans.ttf) is a subset of DejaVu Sans, made by tools/make_sdk_font.py.\n\n"
        f"{names.getDebugName(0)}\n\n{licence}\n",
        encoding="utf-8",
    )


def _where(record: ttLib.tables._n_a_m_e.NameRecord) -> tuple[int, int, int]:
    return record.platformID, record.platEncID, record.langID


if __name__ == "__main__":
    main(sys.argv[1])
