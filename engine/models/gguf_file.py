"""Reading a GGUF file's header: metadata and tensor directory, without loading weights.

Docent checks every model (and adapter) file before llama.cpp sees it: llama.cpp reports
a bad file as a bare failure, or worse. The header also says whether the model has a
chat template and which tensors (with which shapes) it holds. Reading stops before the
tensor data, so a multi-gigabyte model is checked in milliseconds; large metadata arrays
(the tokenizer's vocabulary) are skipped, not decoded.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import ModelFileError, ModelNotFoundError

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
ARRAY_KEEP_LIMIT = 64  # arrays longer than this are skipped (vocabularies, merges)
# Sanity bounds: a file that claims more than this is not a GGUF file we can trust.
MAX_TENSORS = 1_000_000
MAX_KEYS = 100_000
MAX_STRING = 64 * 1024 * 1024
MAX_DIMS = 8

# ggml type id -> (elements per block, bytes per block); mirrors ggml's type traits.
_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 40),  # Q8_1
    10: (256, 84),  # Q2_K
    11: (256, 110),  # Q3_K
    12: (256, 144),  # Q4_K
    13: (256, 176),  # Q5_K
    14: (256, 210),  # Q6_K
    15: (256, 292),  # Q8_K
    16: (256, 66),  # IQ2_XXS
    17: (256, 74),  # IQ2_XS
    18: (256, 98),  # IQ3_XXS
    19: (256, 50),  # IQ1_S
    20: (32, 18),  # IQ4_NL
    21: (256, 110),  # IQ3_S
    22: (256, 82),  # IQ2_S
    23: (256, 136),  # IQ4_XS
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    29: (256, 56),  # IQ1_M
    30: (1, 2),  # BF16
    34: (256, 54),  # TQ1_0
    35: (256, 66),  # TQ2_0
    39: (32, 17),  # MXFP4
}

_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True, slots=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: innermost dimension first
    ggml_type: int
    offset: int  # from the start of the data section
    nbytes: int | None  # None for a type this reader does not know


@dataclass(frozen=True, slots=True)
class GgufFile:
    """What a GGUF header says about its file."""

    path: Path
    version: int
    metadata: dict[str, Any]  # long arrays are replaced by their length (an int)
    tensors: dict[str, TensorInfo]
    data_start: int
    file_size: int

    @property
    def file_type(self) -> str:
        """'model' or 'adapter' (general.type; older models omit it and are models)."""
        return str(self.metadata.get("general.type", "model"))

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return value if isinstance(value, str) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return value if isinstance(value, int) else None

    @property
    def required_size(self) -> int:
        """Bytes the file must have to hold every tensor the header lists."""
        ends = [self.data_start + t.offset + (t.nbytes or 0) for t in self.tensors.values()]
        return max(ends, default=self.data_start)


def read_gguf(path: str | Path) -> GgufFile:
    """Parse the header of `path`; raise a typed error naming the file and the cause."""
    file = Path(path).expanduser()
    if not file.exists():
        raise ModelNotFoundError(f"{file}: no such file")
    if not file.is_file():
        raise ModelFileError(f"{file}: not a file")
    try:
        size = file.stat().st_size
        with file.open("rb", buffering=1 << 20) as stream:
            header = _Reader(stream, file).read()
    except PermissionError as exc:
        raise ModelFileError(f"{file}: permission denied") from exc
    except OSError as exc:
        raise ModelFileError(f"{file}: cannot be read ({exc.strerror or exc})") from exc
    version, metadata, tensors, data_start = header
    parsed = GgufFile(file, version, metadata, tensors, data_start, size)
    if parsed.required_size > size:
        raise ModelFileError(
            f"{file}: truncated: the header lists {parsed.required_size:,} bytes of data "
            f"but the file has {size:,} (an interrupted download or copy?)"
        )
    return parsed


class _Reader:
    def __init__(self, stream: BinaryIO, path: Path) -> None:
        self.stream = stream
        self.path = path
        self.key_spans: dict[str, tuple[int, int]] = {}  # each key-value's bytes
        self.tensor_span = (0, 0)  # the tensor directory's bytes
        self.alignment = DEFAULT_ALIGNMENT

    def read(self) -> tuple[int, dict[str, Any], dict[str, TensorInfo], int]:
        magic = self.stream.read(4)
        if magic != MAGIC:
            raise ModelFileError(f"{self.path}: not a GGUF file (it does not start with 'GGUF')")
        version = self._scalar("<I")
        if version not in SUPPORTED_VERSIONS:
            raise ModelFileError(
                f"{self.path}: GGUF version {version} is not supported (only 2 and 3)"
            )
        n_tensors, n_keys = self._scalar("<Q"), self._scalar("<Q")
        if n_tensors > MAX_TENSORS or n_keys > MAX_KEYS:
            raise ModelFileError(f"{self.path}: damaged GGUF header (implausible counts)")
        metadata: dict[str, Any] = {}
        for _ in range(n_keys):
            start = self.stream.tell()
            key = self._string()
            metadata[key] = self._value(self._scalar("<I"))
            self.key_spans[key] = (start, self.stream.tell())
        self.tensor_span = (self.stream.tell(), 0)
        tensors: dict[str, TensorInfo] = {}
        for _ in range(n_tensors):
            info = self._tensor()
            tensors[info.name] = info
        self.tensor_span = (self.tensor_span[0], self.stream.tell())
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0:
            alignment = DEFAULT_ALIGNMENT
        self.alignment = alignment
        position = self.stream.tell()
        data_start = (position + alignment - 1) // alignment * alignment
        return version, metadata, tensors, data_start

    def _exact(self, size: int) -> bytes:
        data = self.stream.read(size)
        if len(data) != size:
            raise ModelFileError(f"{self.path}: truncated inside the GGUF header")
        return data

    def _scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self._exact(struct.calcsize(fmt)))[0]

    def _string(self) -> str:
        length = self._scalar("<Q")
        if length > MAX_STRING:
            raise ModelFileError(f"{self.path}: damaged GGUF header (string of {length} bytes)")
        return self._exact(length).decode("utf-8", errors="replace")

    def _value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self._scalar(_SCALARS[kind])
        if kind == _STRING:
            return self._string()
        if kind == _ARRAY:
            item_kind, count = self._scalar("<I"), self._scalar("<Q")
            if count > ARRAY_KEEP_LIMIT:
                self._skip_array(item_kind, count)
                return count
            return [self._value(item_kind) for _ in range(count)]
        raise ModelFileError(f"{self.path}: damaged GGUF header (unknown value type {kind})")

    def _skip_array(self, kind: int, count: int) -> None:
        if kind in _SCALARS:
            self._exact(struct.calcsize(_SCALARS[kind]) * count)
        elif kind == _STRING:
            for _ in range(count):
                self._exact(self._scalar("<Q"))
        else:
            for _ in range(count):
                self._value(kind)

    def _tensor(self) -> TensorInfo:
        name = self._string()
        n_dims = self._scalar("<I")
        if n_dims > MAX_DIMS:
            raise ModelFileError(f"{self.path}: damaged GGUF header (tensor {name!r})")
        shape = tuple(self._scalar("<Q") for _ in range(n_dims))
        ggml_type, offset = self._scalar("<I"), self._scalar("<Q")
        block = _BLOCKS.get(ggml_type)
        nbytes = None
        if block is not None:
            elements = math.prod(shape)
            nbytes = elements // block[0] * block[1]
        return TensorInfo(name, shape, ggml_type, offset, nbytes)


def copy_without_keys(
    source: Path, target: Path, drop: set[str], add_uint32: dict[str, int] | None = None
) -> None:
    """Copy a GGUF file leaving out metadata keys (and adding uint32 ones); the tensor
    directory and data are copied byte for byte, so offsets stay valid."""
    import shutil

    extra = add_uint32 or {}
    with source.open("rb") as stream:
        reader = _Reader(stream, source)
        version, metadata, tensors, data_start = reader.read()
        kept = [key for key in metadata if key not in drop and key not in extra]

        def chunk(span: tuple[int, int]) -> bytes:
            stream.seek(span[0])
            return stream.read(span[1] - span[0])

        with target.open("wb") as out:
            out.write(MAGIC + struct.pack("<IQQ", version, len(tensors), len(kept) + len(extra)))
            for key in kept:
                out.write(chunk(reader.key_spans[key]))
            for key, value in extra.items():
                encoded = key.encode()
                out.write(struct.pack("<Q", len(encoded)) + encoded + struct.pack("<II", 4, value))
            out.write(chunk(reader.tensor_span))
            out.write(b"\0" * (-out.tell() % reader.alignment))
            stream.seek(data_start)
            shutil.copyfileobj(stream, out, 1 << 22)
