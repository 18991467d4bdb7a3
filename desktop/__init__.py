"""Docent's PySide6 desktop app (depends on engine; engine never imports it)."""
