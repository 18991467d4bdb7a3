"""The file formats and OCR section of docs/benchmarks.md (bench/file_formats.py's results)."""

from __future__ import annotations

from typing import Any

from bench.common import ran_on


def render(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} | {f['units']} {f['unit']} | {f['file_mb']} | {f['seconds']} | "
        f"{f['units_per_s']} | {f['mb_per_s']} | {f['python_peak_mb']} | "
        f"{f['rss_peak_growth_mb']} |"
        for name, f in r["formats"].items()
    )
    ocr = r["ocr"]
    shared = r["shared_pdfs"]
    off, on = shared["ocr_off"], shared["ocr_on"]
    still = ", ".join(on["no_extractable_text"]) or "none"
    return f"""## File formats and OCR

Generated samples of SQuAD paragraphs, one per format (bench/format_samples.py), each
parsed {r["runs"]} times by `parse_file` in a fresh process (median). Peak memory: Python
allocations during one parse (tracemalloc), and the rise of the process's peak RSS above
its level after importing the parsers (0: parsing never passed that level).

| format | sample | MB | seconds | units/s | MB/s | Python peak MB | RSS peak rise MB |
| --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

**OCR** (RapidOCR on ONNX Runtime, pages rendered with pypdfium2 at 200 dpi): an
image-only PDF of {ocr["pages"]} A4 pages ({ocr["page_px"][0]}x{ocr["page_px"][1]} px,
text at {ocr["font_px"]} px) rendered from held-out SQuAD paragraphs:
**{ocr["seconds_per_page"]} s per page**, {ocr["pages_read"]} of {ocr["pages"]} pages read,
character accuracy **{ocr["char_accuracy_mean"]}** (worst page {ocr["char_accuracy_min"]};
1 - edit distance / length, whitespace and case folded).

**Shared PDFs** ({shared["files"]} files): "no extractable text" with OCR off
{len(off["no_extractable_text"])} ({", ".join(off["no_extractable_text"])}); with OCR on
{len(on["no_extractable_text"])} ({still}), {on["pages_read_by_ocr"]} pages read by OCR;
the whole set parsed in {off["seconds"]} s without OCR and {on["seconds"]} s with it. The
five image-only samples hold no text to find: a photograph (cmyk-image), a drawing
(grayscale-image) and three 4x4-pixel test images (imagemagick-*), so OCR rightly finds
nothing there; the larger hostile corpus the issue mentions is not on this machine.

{ran_on(r)}
"""
