"""Which files Docent reads, and as what: extension tables and the kind names they map to."""

from __future__ import annotations

from pathlib import Path

_KINDS_BY_EXTENSION: dict[str, tuple[str, ...]] = {
    "text": (".txt", ".text", ".log", ".tex", ".org", ".adoc", ".asciidoc"),
    "markdown": (".md", ".markdown", ".mdown", ".mkd", ".mkdn"),
    "rst": (".rst",),
    "html": (".html", ".htm", ".xhtml"),
    "pdf": (".pdf",),
    "docx": (".docx",),
    "xlsx": (".xlsx", ".xlsm"),
    "pptx": (".pptx", ".pptm"),
    "odt": (".odt",),
    "odp": (".odp",),
    "ods": (".ods",),
    "epub": (".epub",),
    "rtf": (".rtf",),
    "email": (".eml",),
    "mbox": (".mbox",),
    "csv": (".csv", ".tsv"),
    "image": (".png", ".jpg", ".jpeg", ".tif", ".tiff"),  # read by OCR, when it is on
    "data": (
        ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
        ".properties", ".env", ".xml",
    ),
    "code": (
        ".py", ".pyi", ".pyx", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".c",
        ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".java", ".kt", ".kts", ".scala", ".go",
        ".rs", ".rb", ".php", ".pl", ".pm", ".lua", ".swift", ".m", ".mm", ".cs", ".fs",
        ".vb", ".r", ".jl", ".hs", ".ml", ".ex", ".exs", ".erl", ".clj", ".el", ".lisp",
        ".scm", ".dart", ".sql", ".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd",
        ".css", ".scss", ".sass", ".less", ".vue", ".svelte", ".cmake", ".mk", ".gradle",
        ".proto", ".graphql", ".zig", ".nim", ".v", ".sv", ".vhd", ".f90", ".asm", ".s",
    ),
}  # fmt: skip
KIND_BY_EXTENSION = {ext: kind for kind, exts in _KINDS_BY_EXTENSION.items() for ext in exts}
KIND_BY_NAME = {
    name: "code"
    for name in ("makefile", "dockerfile", "containerfile", "justfile", "rakefile", "gemfile")
}

IMAGE_EXTENSIONS = frozenset(_KINDS_BY_EXTENSION["image"])

# Rejected without reading: clearly binary containers and media.
BINARY_EXTENSIONS = frozenset(
    """
    .gif .bmp .webp .ico .icns .heic .heif .avif .psd .xcf .raw
    .cr2 .nef .dng .zip .gz .tgz .bz2 .xz .zst .lz4 .7z .rar .tar .jar .war .apk .dmg .iso
    .img .deb .rpm .msi .cab .mp3 .wav .flac .ogg .oga .m4a .aac .opus .wma .aiff .mid
    .mp4 .m4v .mkv .avi .mov .webm .wmv .flv .mpg .mpeg .exe .dll .so .dylib .bin .o .a
    .obj .lib .class .pyc .pyo .wasm .sqlite .sqlite3 .db .ttf .otf .woff .woff2 .eot
    .npy .npz .pt .pth .ckpt .safetensors .gguf .onnx .h5 .hdf5 .pkl .pickle .parquet
    .arrow .feather
    """.split()
)
# Documents Docent could read one day, but does not yet.
UNSUPPORTED_EXTENSIONS = frozenset(
    """
    .doc .dot .docm .dotx .xls .ppt .odg .pages .numbers
    .key .mobi .djvu .xps .ps .eps .svg .svgz
    """.split()
)


# What one numbered page of a document is, by kind, so a citation says "slide 3" where the
# person would look for a slide; kinds not listed have pages, and those in _UNNUMBERED have
# one page whose number tells nothing.
_PAGE_UNITS = {
    "pptx": "slide", "odp": "slide", "xlsx": "sheet", "ods": "sheet", "epub": "chapter",
    "mbox": "message",
}  # fmt: skip
_UNNUMBERED = frozenset({"csv", "email", "image"})


def place(kind: str | None, page: int | None) -> str:
    """Where a passage sits in its file, in words ("page 4", "slide 3"); "" for nowhere."""
    if page is None or kind in _UNNUMBERED:
        return ""
    return f"{_PAGE_UNITS.get(kind or '', 'page')} {page}"


def kind_for(path: Path) -> str | None:
    """The kind a file is read as, from its name alone; None when only content can tell."""
    return KIND_BY_EXTENSION.get(path.suffix.lower()) or KIND_BY_NAME.get(path.name.lower())
