"""How a visible signature looks: its text drawn with an embedded Unicode font, upright on a rotated page.

The text is shaped by HarfBuzz and drawn with a subset of an OpenType font embedded in the document (pyHanko's
:class:`~pyhanko.pdf_utils.font.opentype.GlyphAccumulatorFactory`), so any script the font has reads right
(Arabic joined and right to left, Japanese, an en dash), instead of the Latin-1 that PDF's standard fonts know.

The font is the first of these that has every character of the text: the caller's
(:attr:`VisibleSignature.font <jesign_sdk.VisibleSignature>`), the SDK's own "Jesign Sans" (a subset of DejaVu
Sans: Latin, Greek, Cyrillic, Hebrew, Arabic, punctuation), then Noto Sans CJK JP for Japanese, Chinese and Korean
when the optional ``jesign[cjk]`` is installed. None: a :class:`~jesign_sdk.PdfRefusedError`
``text_not_drawable``, before anything is sent.

A page turned by its ``/Rotate`` (90, 180 or 270 degrees clockwise) is shown turned: the signature's box is given
as the reader sees the page, and its appearance is turned back so that the reader sees it upright.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fontTools import ttLib
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import TextStamp, TextStampStyle

from jesign_sdk._errors import PdfRefusedError

__all__ = ["DEFAULT_FONT", "choose_font", "reader_box_to_page", "stamp_style"]

#: The SDK's own font (tools/make_sdk_font.py says how it is made, jesign_sdk/fonts/LICENSE-DejaVu.txt its licence).
DEFAULT_FONT = Path(str(resources.files("jesign_sdk.fonts") / "JesignSans.ttf"))
#: Points: the stamp's text is laid out at this size, then shrunk to fit the box.
FONT_SIZE = 10
Box = tuple[float, float, float, float]


def fonts_at_hand(font: str | os.PathLike[str] | None = None) -> list[Path]:
    """The fonts to draw with, in the order they are tried: the caller's, the SDK's, Noto Sans CJK if installed."""
    candidates = [Path(font)] if font is not None else []
    candidates.append(DEFAULT_FONT)
    with contextlib.suppress(ModuleNotFoundError):  # the optional jesign[cjk]
        candidates.append(Path(str(resources.files("noto_cjk_sans_jp_regular") / "NotoSansCJKjp-Regular.otf")))
    return candidates


def choose_font(text: str, font: str | os.PathLike[str] | None = None, *, source: str | None = None) -> Path:
    """The first font at hand that draws every character of ``text``."""
    needed = {ord(c) for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"}
    candidates = fonts_at_hand(font)
    for candidate in candidates:
        missing = needed - _characters(str(candidate))
        if not missing:
            return candidate
    closest = min(candidates, key=lambda candidate: len(needed - _characters(str(candidate))))
    first = min(needed - _characters(str(closest)))
    raise PdfRefusedError(
        f"no font at hand draws the whole of the visible signature's text (the closest, {closest.name}, lacks "
        f"{chr(first)!r}, U+{first:04X}): give VisibleSignature(font=...) a font file that has every character "
        f"(or install jesign[cjk] for Chinese, Japanese, Korean)",
        code="text_not_drawable",
        source=source,
    )


@functools.lru_cache(maxsize=16)
def _characters(path: str) -> frozenset[int]:
    """The code points the font maps to a glyph (its ``cmap``; read once per font)."""
    try:
        with ttLib.TTFont(path, lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or {})
    except Exception:  # not a font, unreadable: it draws nothing
        return frozenset()


def stamp_style(text: str, font: Path, *, rotation: int) -> TextStampStyle:
    """pyHanko's text stamp for ``text`` (then the signer's name and the time), in ``font``, upright for the
    reader of a page turned by ``rotation`` degrees."""
    return _UprightTextStampStyle(
        text_box_style=TextBoxStyle(font=_EmbeddedFont(_thousand_units(str(font)), font_size=FONT_SIZE)),
        stamp_text=text.replace("%", "%%") + "\n%(signer)s\n%(ts)s",
        rotation=rotation,
    )


@dataclass(frozen=True)
class _EmbeddedFont(GlyphAccumulatorFactory):
    """pyHanko's factory, reading the font into memory: its own opens the file and never closes it."""

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(Path(self.font_file).read_bytes()),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


@functools.lru_cache(maxsize=16)
def _thousand_units(path: str) -> str:
    """The font, or a copy of it scaled to 1000 units per em (kept in the temporary folder for the process).

    pyHanko writes a TrueType font's glyph widths (``/W``) in the font's own units, where PDF wants thousandths of an
    em: the letters of a font with 2048 units per em would be drawn twice as far apart as they should.
    """
    with ttLib.TTFont(path, lazy=True, fontNumber=0) as font:
        if font["head"].unitsPerEm == 1000:
            return path
    copy = Path(tempfile.mkdtemp(prefix="jesign-font-")) / Path(path).name
    with ttLib.TTFont(path, fontNumber=0) as font:
        scale_upem(font, 1000)
        font.save(copy)
    return str(copy)


def reader_box_to_page(box: Sequence[float], page_box: Sequence[float], rotation: int) -> Box:
    """A box given as the reader sees a page turned by ``rotation`` (its lower left corner the origin), in the
    page's own coordinates (``page_box``: its crop box, or media box)."""
    x0, y0, x1, y1 = (float(v) for v in page_box)

    def to_page(a: float, b: float) -> tuple[float, float]:
        if rotation == 90:
            return x1 - b, y0 + a
        if rotation == 180:
            return x1 - a, y1 - b
        if rotation == 270:
            return x0 + b, y1 - a
        return a, b

    (ax, ay), (bx, by) = to_page(box[0], box[1]), to_page(box[2], box[3])
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


#: The appearance's matrix that turns it back by the page's rotation (counter-clockwise, as PDF measures angles).
_TURN_BACK = {
    90: [0, 1, -1, 0, 0, 0],
    180: [-1, 0, 0, -1, 0, 0],
    270: [0, -1, 1, 0, 0, 0],
}


@dataclass(frozen=True)
class _UprightTextStampStyle(TextStampStyle):
    rotation: int = 0

    def create_stamp(self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]) -> Any:
        if self.rotation in (90, 270) and box.width_defined and box.height_defined:
            # laid out as the reader sees it: the page's height across
            box = layout.BoxConstraints(width=box.height, height=box.width)
        return _UprightTextStamp(writer=writer, style=self, box=box, text_params=text_params)


class _UprightTextStamp(TextStamp):
    def as_form_xobject(self) -> generic.StreamObject:
        xobject: generic.StreamObject = super().as_form_xobject()
        turn = _TURN_BACK.get(self.style.rotation)
        if turn is not None:
            # ISO 32000-1 §12.5.5: the box, transformed by the matrix, is then fitted to the annotation's rectangle
            matrix = [generic.NumberObject(v) for v in turn]  # type: ignore[no-untyped-call]
            xobject[generic.pdf_name("/Matrix")] = generic.ArrayObject(matrix)
        return xobject
