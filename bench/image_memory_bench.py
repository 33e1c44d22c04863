"""Peak memory of judging one identity-document image: Pillow's whole decode next to ``inspect_image``.

What it does, on this machine, without a server: it writes a few images into a temporary folder, then, for each,
starts two fresh Python processes that read the file into memory, import Pillow and the mock's document module,
note their peak resident memory (``resource.getrusage``, ``ru_maxrss``), and then either

* ``old``: decode it whole, ``Image.open(...).load()``, as the mock's judge did before it read headers first
  (its colour test then even copied the decoded image once more), or
* ``new``: judge it with ``mock_provider.core.documents.inspect_image``, with the default limits but a file-size
  limit raised above every file here, so that the image checks themselves are what is measured;

and print, side by side, how much each process's peak grew, what ``inspect_image`` answered, how long it took, and
how much memory the process still held right after (current RSS from ``/proc/self/statm``, minus before).

How to read it: the peak growth is the memory one upload costs the worker beyond the file's own bytes; the
target is under 100 MB for any file, accepted or refused. The cases: the 7000 x 7000 PNG of issue 11 (refused
on its header), a 48-megapixel JPEG (refused on its header), a baseline JPEG just under the 25-megapixel limit
(decoded at 1/8 scale), and the two encodings that must be decoded whole, each at the edge of the 64 MiB decode
budget: an RGB PNG of 4096 x 4096 and a progressive 4:2:0 JPEG of 21 megapixels.

Run it as ``.venv/bin/python bench/image_memory_bench.py``. The end-to-end benchmark against the server is a
separate one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

#: Every file here is under this size, so that ``inspect_image`` judges the image rather than the byte count.
MAX_BYTES = 64 * 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--write", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    if args.write:
        print(json.dumps([(label, str(path)) for label, path in write_cases(Path(args.write))]))
        return
    with tempfile.TemporaryDirectory(prefix="jesign-image-bench-") as folder:
        # Written by another process: on Linux a child's ru_maxrss starts at its parent's RSS when it forks, so
        # this process must stay small for the children's peaks to be theirs.
        written = subprocess.run(
            [sys.executable, __file__, "--write", folder], capture_output=True, text=True, check=True
        )
        cases = [(label, Path(path)) for label, path in json.loads(written.stdout)]
        print(f"{'case':<52} {'file':>8} {'old peak':>9} {'new peak':>9} {'new held':>9} {'time':>7}  answer")
        for label, path in cases:
            old, new = run_child("old", path), run_child("new", path)
            size = path.stat().st_size / 1e6
            print(
                f"{label:<52} {size:>6.1f}MB {old['peak_mb']:>7.1f}MB {new['peak_mb']:>7.1f}MB "
                f"{new['held_mb']:>7.1f}MB {new['seconds']:>6.2f}s  {new['answer']}"
            )
    print("peak: growth of the process's peak RSS (MB = 10^6 bytes); held: RSS still held right after the call")


def write_cases(folder: Path) -> list[tuple[str, Path]]:
    from PIL import Image, ImageDraw

    def photo(size: tuple[int, int]) -> Image.Image:
        """A colour 'card photo': a gradient background, a portrait area, text lines."""
        width, height = size
        gradient = Image.linear_gradient("L").resize(size)
        image = Image.merge(
            "RGB", (gradient, Image.new("L", size, 170), gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        )
        draw = ImageDraw.Draw(image)
        draw.rectangle((width // 20, height // 6, width // 3, height * 5 // 6), fill=(224, 172, 140))
        for row in range(6):
            y = height // 5 + row * height // 10
            draw.rectangle((width * 2 // 5, y, width * 9 // 10, y + height // 40), fill=(20, 20, 30))
        return image

    cases: list[tuple[str, Path]] = []

    def add(label: str, name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        cases.append((label, path))

    add("7000 x 7000 RGB PNG (issue 11)", "issue11.png", streamed_png(7000, 7000))
    for label, name, size, options in (
        ("8000 x 6000 JPEG (48 MP)", "48mp.jpg", (8000, 6000), {}),
        ("5000 x 4999 JPEG, just under the 25 MP limit", "limit.jpg", (5000, 4999), {}),
        ("5300 x 4000 progressive JPEG 4:2:0 (21.2 MP)", "progressive.jpg", (5300, 4000), {"progressive": True}),
    ):
        image = photo(size)
        path = folder / name
        image.save(path, "JPEG", quality=90, **options)
        image.close()
        cases.append((label, path))
    add("4096 x 4096 RGB PNG, at the 64 MiB decode budget", "budget.png", streamed_png(4096, 4096))
    return cases


def streamed_png(width: int, height: int) -> bytes:
    """A valid RGB PNG of colour stripes, compressed row by row, without holding its pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"".join(bytes((200, 40, 40) if (x // 64) % 2 else (40, 90, 200)) for x in range(width))
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def run_child(mode: str, path: Path) -> dict[str, float | str]:
    answer = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float | str] = json.loads(answer.stdout)
    return result


def measure(mode: str, path: str) -> dict[str, float | str]:
    """In a fresh process: the growth of the peak RSS while judging (or decoding) the file at ``path``."""
    from PIL import Image

    from mock_provider.core.documents import DocumentError, inspect_image

    data = Path(path).read_bytes()
    before_peak, before_now = peak_rss(), current_rss()
    started = time.perf_counter()
    if mode == "old":
        with Image.open(path) as image:
            image.load()
        answer = "decoded"
        del image
    else:
        try:
            inspected = inspect_image(data, max_bytes=MAX_BYTES)
            answer = f"accepted ({inspected.width} x {inspected.height})"
        except DocumentError as refused:
            answer = f"{refused.code}: {refused.message}"
    seconds = time.perf_counter() - started
    return {
        "peak_mb": (peak_rss() - before_peak) / 1e6,
        "held_mb": (current_rss() - before_now) / 1e6,
        "seconds": seconds,
        "answer": answer,
    }


def peak_rss() -> int:
    """The process's peak resident memory so far, in bytes (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    """The process's resident memory now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    main()
