"""LoRA style adapters: checking files, the library of named adapters, applying them."""

from engine.adapters.files import AdapterInfo, LoraPair, check_adapter, inspect_adapter, misfit
from engine.adapters.library import AdapterChoice, AdapterLibrary, LibraryEntry
from engine.adapters.runtime import ActiveAdapter

__all__ = [
    "ActiveAdapter",
    "AdapterChoice",
    "AdapterInfo",
    "AdapterLibrary",
    "LibraryEntry",
    "LoraPair",
    "check_adapter",
    "inspect_adapter",
    "misfit",
]
