"""File formats and OCR: parse speed and peak memory per format, OCR cost and accuracy.

Per format (bench/format_samples.py writes the samples from SQuAD paragraphs): the median
of three `parse_file` runs, in a fresh process per format; peak memory two ways: the peak
of Python allocations during one more parse (tracemalloc: the parsers' own data, not the
C libraries'), and how far the process's peak RSS rose above its level after importing the
parsers and parsing a tiny warm-up file (0 when parsing never passed the import peak).

OCR: pages rendered from known text (SQuAD paragraphs of articles 24-47, never used to tune
the OCR settings) into an image-only PDF, read through `parse_file(ocr=True)`: seconds per
page and character accuracy, 1 - (edit distance / length of the true text), after folding
whitespace and case. Shared PDFs: how many are "no extractable text" with OCR off and on.
"""

from __future__ import annotations

import multiprocessing
import re
import resource
import statistics
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from bench import squad
from bench.format_samples import SAMPLES

RUNS = 3
OCR_PAGES = 8
PAGE_SIZE = (1654, 2339)  # A4 at 200 dots per inch, the resolution OCR renders scans at
FONT_PX = 34  # about 12 pt at 200 dpi
SHARED_PDFS = squad.SQUAD_ZIP.parent / "pdfs"


def run(embedder: Any) -> dict[str, Any]:
    del embedder  # parsing only
    first_half = squad.load(articles=24).files
    tuning = list(first_half.values())
    held_out = [text for path, text in squad.load().files.items() if path not in first_half]
    context = multiprocessing.get_context("spawn")
    formats: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, context.Pool(1, maxtasksperchild=1) as pool:
        for name, (unit, write) in SAMPLES.items():
            folder = Path(tmp) / re.sub(r"\W+", "-", name)
            folder.mkdir()
            path, units = write(folder, tuning)
            formats[name] = {"unit": unit, "units": units, **pool.apply(_measure, (str(path),))}
            formats[name]["units_per_s"] = round(units / formats[name]["seconds"], 1)
            print(name, formats[name], flush=True)
        ocr = pool.apply(_ocr, (tmp, held_out[:OCR_PAGES]))
        print("ocr", ocr, flush=True)
        shared = pool.apply(_shared_pdfs)
    return {"formats": formats, "ocr": ocr, "shared_pdfs": shared, "runs": RUNS}


def _measure(path: str) -> dict[str, Any]:
    """In a fresh process: parse `path` RUNS times; time, size and peak memory."""
    from engine.parsing import parse_file

    warm = Path(path).with_name("warm.txt")
    warm.write_text("warm up\n")
    parse_file(warm)
    before = _peak_mb()
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        document = parse_file(path, ocr=False)
        seconds.append(time.perf_counter() - started)
    rss_growth = _peak_mb() - before
    tracemalloc.start()
    parse_file(path, ocr=False)
    python_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    size_mb = Path(path).stat().st_size / 1e6
    median = statistics.median(seconds)
    return {
        "seconds": round(median, 3),
        "file_mb": round(size_mb, 2),
        "mb_per_s": round(size_mb / median, 2),
        "blocks": len(document.blocks),
        "text_chars": sum(len(block.text) for block in document.blocks),
        "python_peak_mb": round(python_peak, 1),
        "rss_peak_growth_mb": round(rss_growth, 1),
        "warnings": len(document.warnings),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _ocr(tmp: str, texts: list[str]) -> dict[str, Any]:
    """In a fresh process: OCR an image-only PDF of the given paragraphs, page by page."""
    from PIL import Image, ImageDraw, ImageFont

    from engine.parsing import parse_file

    font = ImageFont.load_default(size=FONT_PX)
    pages: list[Image.Image] = []
    truths: list[str] = []
    for text in texts:
        lines = textwrap.wrap(text, width=75)[:40]
        page = Image.new("L", PAGE_SIZE, "white")
        draw = ImageDraw.Draw(page)
        for number, line in enumerate(lines):
            draw.text((150, 180 + number * int(FONT_PX * 1.6)), line, fill="black", font=font)
        pages.append(page)
        truths.append(" ".join(lines))
    scan = Path(tmp) / "scan.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=200)
    warm = Path(tmp) / "warm.pdf"
    pages[0].save(warm, resolution=200)
    parse_file(warm, ocr=True)  # loads the OCR models, once per process, before timing
    started = time.perf_counter()
    document = parse_file(scan, ocr=True)
    seconds = time.perf_counter() - started
    accuracies = []
    for number, truth in enumerate(truths, start=1):
        read = " ".join(block.text for block in document.blocks if block.page == number)
        accuracies.append(1 - _edit_distance(_fold(read), _fold(truth)) / len(_fold(truth)))
    return {
        "pages": len(pages),
        "pages_read": len(document.ocr_pages),
        "seconds_per_page": round(seconds / len(pages), 2),
        "char_accuracy_mean": round(statistics.fmean(accuracies), 4),
        "char_accuracy_min": round(min(accuracies), 4),
        "page_px": list(PAGE_SIZE),
        "font_px": FONT_PX,
    }


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, a row of the table at a time: with B the better of deletion and
    substitution, insertions make row[j] = j + min over k <= j of (B[k] - k)."""
    if not a or not b:
        return len(a) or len(b)
    codes_a = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    columns = np.arange(len(b) + 1)
    row = columns.copy()
    for i, code in enumerate(codes_a, start=1):
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + (codes_b != code))
        row = np.minimum.accumulate(best - columns) + columns
    return int(row[-1])


def _shared_pdfs() -> dict[str, Any]:
    """In a fresh process: which shared PDFs are "no extractable text", OCR off and on."""
    from engine.errors import ParseError, SkippedFile
    from engine.parsing import parse_file
    from engine.parsing.pdf import NO_TEXT

    result: dict[str, Any] = {}
    for ocr in (False, True):
        no_text: list[str] = []
        ocr_pages = 0
        started = time.perf_counter()
        for path in sorted(SHARED_PDFS.glob("*.pdf")):
            try:
                document = parse_file(path, ocr=ocr, ocr_budget_s=60)
                ocr_pages += len(document.ocr_pages)
            except SkippedFile as exc:
                if exc.reason == NO_TEXT:
                    no_text.append(path.name)
            except ParseError:
                pass
        result["ocr_on" if ocr else "ocr_off"] = {
            "no_extractable_text": no_text,
            "pages_read_by_ocr": ocr_pages,
            "seconds": round(time.perf_counter() - started, 1),
        }
    result["files"] = len(list(SHARED_PDFS.glob("*.pdf")))
    return result
