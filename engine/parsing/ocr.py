"""Optical character recognition for pictures of text: image files and image-only PDF pages.

A thin facade over RapidOCR on ONNX Runtime, whose detection and recognition models ship
inside its wheel, so nothing is downloaded at run time. The engine is imported and built on
the first page that needs it (it is heavy: OpenCV, ONNX Runtime, two models) and then
reused for the life of the process, which is normally the parser child.

Images are checked before they are decoded: absurd dimensions (decompression bombs) are a
`ParseError`; very large but sane ones are scaled down before recognition.
"""

from __future__ import annotations

import functools
import io
import unicodedata
import warnings
from typing import TYPE_CHECKING, Any

from engine.errors import ParseError
from engine.parsing.limits import short_cause

if TYPE_CHECKING:
    from PIL import Image

# Refused outright: more pixels than any scan or photo a person keeps (a 600 dpi A3 scan is
# about 70 MP). A decompression bomb declares far more than this in a tiny file.
MAX_PIXELS = 100_000_000
# Scaled down to this longest side before recognition: more detail only costs time.
MAX_SIDE = 4000
# Boxes on one row closer than this many text heights are joined into one line; wider gaps
# (columns, table cells) stay separate lines.
_JOIN_GAP = 1.5
_MIN_SCORE = 0.5  # recognitions less confident than this are dropped as noise
_MIN_COLUMN_LINES = 3  # a column has at least this many lines...
_MAX_COLUMN_SPLITS = 3  # ...and a page at most 2**3 of them
_MIN_GUTTER = 0.25  # in text heights
_GUTTER_BINS = 200  # the page's width is scanned for gutters in this many steps

_Box = tuple[float, float, float, float, str]  # left, top, right, bottom, text


class _Engine:
    """The process-wide RapidOCR instance (built on first use)."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR  # deferred: heavy, only OCR needs it

        self._ocr = RapidOCR()

    def boxes(self, pixels: Any) -> list[_Box]:
        """(left, top, right, bottom, text) of each recognised text box, in no set order."""
        # The angle classifier is off: document text is upright, and it turns some upright
        # lines upside down (reading them as garbage).
        result, _ = self._ocr(pixels, use_cls=False)
        found = []
        for points, text, score in result or ():
            text = unicodedata.normalize("NFKC", str(text)).strip()  # full-width ， -> ,
            if not text or float(score) < _MIN_SCORE:
                continue
            xs = [float(x) for x, _ in points]
            ys = [float(y) for _, y in points]
            found.append((min(xs), min(ys), max(xs), max(ys), text))
        return found


@functools.cache
def _engine() -> _Engine:
    return _Engine()


def check_size(path: str, width: int, height: int) -> None:
    """Refuse an image whose dimensions are absurd, before anything decodes it."""
    if width <= 0 or height <= 0:
        raise ParseError(path, f"damaged image: impossible size {width}x{height}")
    if width * height > MAX_PIXELS:
        raise ParseError(
            path,
            f"image too large ({width}x{height} pixels, limit {MAX_PIXELS // 1_000_000} MP)",
        )


def open_image(path: str, data: bytes) -> Image.Image:
    """Open an image file's bytes lazily (header only), refusing absurd dimensions.

    Pillow's own decompression-bomb guard stays on as a second line (its hard limit is
    above `MAX_PIXELS`, so `check_size` normally speaks first).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ParseError(path, "image too large (decompression bomb)") from exc
    except UnidentifiedImageError as exc:
        raise ParseError(path, "damaged image: not a readable image") from exc
    except Exception as exc:
        raise ParseError(path, f"damaged image: {short_cause(exc)}") from exc
    check_size(path, *image.size)
    return image


def read_image(image: Image.Image | Any, *, path: str = "image") -> list[str]:
    """The text lines of one picture, top to bottom and left to right within a row.

    `image` is a PIL image or an array of pixels (height x width [x channels], uint8).
    Raises `ParseError` (naming `path`) for an image too large or that fails to decode.
    """
    pixels = _pixels(image, path)
    return _lines(_engine().boxes(pixels))


def _pixels(image: Image.Image | Any, path: str) -> Any:
    """The image as an RGB uint8 array, its longest side at most `MAX_SIDE`."""
    import numpy
    from PIL import Image

    if not isinstance(image, Image.Image):
        array = numpy.asarray(image)
        if array.ndim < 2:
            raise ParseError(path, "damaged image: not a picture")
        check_size(path, int(array.shape[1]), int(array.shape[0]))
        image = Image.fromarray(array.astype(numpy.uint8, copy=False))
    check_size(path, *image.size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
            if max(image.size) > MAX_SIDE:
                scale = MAX_SIDE / max(image.size)
                size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
                image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            rgb = _flatten(image)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(path, f"damaged image: {short_cause(exc)}") from exc
    return numpy.asarray(rgb)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: transparent parts of a picture are paper, not black."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit scans: keep the top byte
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image.convert("RGB")


def _lines(boxes: list[_Box]) -> list[str]:
    """The boxes' text as lines in reading order: column by column where the page has
    columns (band by band between full-width lines), top to bottom within each."""
    return [line for group in _columns(boxes) for line in _row_lines(group)]


def _columns(boxes: list[_Box], depth: int = 0) -> list[list[_Box]]:
    """Boxes split into groups that are read one after another."""
    found = _gutter(boxes) if depth < _MAX_COLUMN_SPLITS else None
    if found is None:
        return [boxes] if boxes else []
    gutter, height = found
    groups: list[list[_Box]] = []
    left: list[_Box] = []
    right: list[_Box] = []
    for box in sorted(boxes, key=lambda b: b[1]):
        if box[0] < gutter - height and box[2] > gutter + height:
            # spans the gutter (a title, a full-width paragraph): ends the band above
            groups += _columns(left, depth + 1) + _columns(right, depth + 1) + [[box]]
            left, right = [], []
        elif (box[0] + box[2]) / 2 < gutter:
            left.append(box)
        else:
            right.append(box)
    return groups + _columns(left, depth + 1) + _columns(right, depth + 1)


def _gutter(boxes: list[_Box]) -> tuple[float, float] | None:
    """The x of a vertical gap between columns of text lines, and the usual text height;
    None when the boxes are not in columns.

    The gap is the emptiest stretch of the middle of the page, crossed by few boxes and at
    least a quarter of a text height wide (boxes are padded, gutters narrow), with mostly
    column-filling lines on both sides (a table's short cells do not make columns).
    """
    if len(boxes) < 2 * _MIN_COLUMN_LINES:
        return None
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    width = right - left
    height = sorted(b[3] - b[1] for b in boxes)[len(boxes) // 2]
    if width < 4 * height:
        return None
    step = width / _GUTTER_BINS
    counts = [0] * _GUTTER_BINS
    for box in boxes:
        first = int((box[0] - left) / step)
        last = min(_GUTTER_BINS - 1, int((box[2] - left) / step))
        for index in range(first, last + 1):
            counts[index] += 1
    middle = range(_GUTTER_BINS // 5, _GUTTER_BINS - _GUTTER_BINS // 5)
    fewest = min(counts[index] for index in middle)
    if fewest > max(1, len(boxes) // 5):  # titles and a few long lines may cross it
        return None
    runs: list[tuple[int, int]] = []  # [start, stop) of runs of the emptiest bins
    for index in middle:
        if counts[index] == fewest:
            if runs and runs[-1][1] == index:
                runs[-1] = (runs[-1][0], index + 1)
            else:
                runs.append((index, index + 1))
    start, stop = max(runs, key=lambda run: run[1] - run[0])
    if (stop - start) * step < _MIN_GUTTER * height:
        return None
    gutter = left + (start + stop) / 2 * step
    for side in ([b for b in boxes if b[2] <= gutter], [b for b in boxes if b[0] >= gutter]):
        if len(side) < _MIN_COLUMN_LINES:
            return None
        extent = max(b[2] for b in side) - min(b[0] for b in side)
        widths = sorted(b[2] - b[0] for b in side)
        if widths[len(widths) // 2] < 0.5 * extent or extent < 0.25 * width:
            return None
    return gutter, height


def _row_lines(boxes: list[_Box]) -> list[str]:
    """Group boxes into rows by vertical overlap, order rows top to bottom and boxes left to
    right, and join neighbours on a row; far-apart boxes on a row stay separate lines."""
    rows: list[list[_Box]] = []
    for box in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        centre = (box[1] + box[3]) / 2
        row = rows[-1] if rows else None
        if row is not None:
            top = sum(b[1] for b in row) / len(row)
            bottom = sum(b[3] for b in row) / len(row)
            if top <= centre <= bottom:
                row.append(box)
                continue
        rows.append([box])
    lines: list[str] = []
    for row in rows:
        row.sort(key=lambda b: b[0])
        height = max(1.0, sum(b[3] - b[1] for b in row) / len(row))
        current = [row[0][4]]
        right = row[0][2]
        for left, _top, box_right, _bottom, text in row[1:]:
            if left - right > _JOIN_GAP * height:
                lines.append(" ".join(current))
                current = []
            current.append(text)
            right = max(right, box_right)
        lines.append(" ".join(current))
    return lines
