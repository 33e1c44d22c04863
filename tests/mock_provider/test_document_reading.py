"""Reading an MRZ that an uploaded side carries as text: PNG text chunks, a JPEG comment, a PDF's text layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_provider.core.documents.reading import find_mrz, read_mrz
from mock_provider.samples import sample_mrz, write_samples
from tests.helpers.documents import colour_jpeg, colour_png, text_pdf

TD1 = "IDFRAX4RTBPFW46<<<<<<<<<<<<<<<\n8503152F3101011FRA<<<<<<<<<<<6\nDUPONT<MARTIN<<ELOISE<MARIE<<<"
TD3 = "P<FRADUPONT<MARTIN<<ELOISE<MARIE<<<<<<<<<<<<\n19AB123450FRA8503152F3101019<<<<<<<<<<<<<<02"


def test_a_png_text_chunk() -> None:
    assert read_mrz(colour_png(MRZ=TD1)) == TD1
    assert read_mrz(colour_png(Comment="scanned", zMRZ=TD3)) == TD3  # compressed, any keyword


def test_a_jpeg_comment() -> None:
    assert read_mrz(colour_jpeg(TD3)) == TD3
    assert read_mrz(colour_jpeg("a holiday photo")) is None
    assert read_mrz(colour_jpeg(None)) is None


def test_a_pdf_text_layer() -> None:
    assert read_mrz(text_pdf(["RÉPUBLIQUE FRANÇAISE"], ["CARTE", *TD1.split("\n")])) == TD1
    assert read_mrz(text_pdf(["nothing here"], ["nor here"], TD1.split("\n"))) is None  # the first two pages only


def test_nothing_to_read() -> None:
    assert read_mrz(colour_png()) is None
    assert read_mrz(b"GIF89a....") is None
    assert read_mrz(b"") is None


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        b"\xff\xd8\xff\xe0" + b"\x00" * 40,
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 5 0 R >>\nendobj\n%%EOF",
        b"%PDF-1.7\n" + b"(" * 5000,
    ],
)
def test_a_broken_file_reads_as_nothing(data: bytes) -> None:
    assert read_mrz(data) is None


def test_the_shapes_of_an_mrz() -> None:
    assert find_mrz(["x\n" + TD1.replace("<<<", "< < <") + "\ny"]) == TD1  # blanks inside a line ignored
    assert find_mrz([TD1.lower()]) == TD1
    assert find_mrz(["IDFRA<<<\n" + "A" * 36 + "\n" + "B" * 36]) == "A" * 36 + "\n" + "B" * 36
    assert find_mrz([TD1.split("\n", 1)[1]]) is None  # two lines of 30 are no MRZ
    assert find_mrz(["X" * 44 + "\n" + "Y" * 43]) is None


def test_the_sample_verso_carries_its_mrz(tmp_path: Path) -> None:
    """``jesign-mock samples``: the verso's photo alone gives the zone (nothing to type)."""
    write_samples(tmp_path)
    assert read_mrz((tmp_path / "verso.jpg").read_bytes()) == sample_mrz()
    assert read_mrz((tmp_path / "recto.jpg").read_bytes()) is None
