"""Light and dark: the window follows the system, or a light or dark palette a person
chose (View > Appearance, kept in QSettings). The chosen palettes use the Fusion style,
which draws every widget from the palette alone, so both look the same everywhere; their
highlight and link colours are picked to stay readable on their backgrounds."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup, QColor, QPalette
from PySide6.QtWidgets import QApplication, QMenu

APPEARANCES = ("system", "light", "dark")
APPEARANCE_NAMES = {"system": "&System", "light": "&Light", "dark": "&Dark"}
SETTING = "appearance"
FUSION = "Fusion"

Role = QPalette.ColorRole
Group = QPalette.ColorGroup


@dataclass(frozen=True, slots=True)
class _SystemLook:
    style: str
    palette: QPalette


_system_look: _SystemLook | None = None  # as the application started, before any change


def apply_appearance(choice: str) -> str:
    """Apply `choice` ("system", "light" or "dark"; anything else counts as "system") to
    the running application; returns the choice applied."""
    global _system_look
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return "system"
    if _system_look is None:
        _system_look = _SystemLook(app.style().name(), QPalette(app.palette()))
    if choice not in APPEARANCES or choice == "system":
        app.setStyle(_system_look.style)
        app.setPalette(_system_look.palette)
        return "system"
    app.setStyle(FUSION)
    app.setPalette(dark_palette() if choice == "dark" else light_palette())
    return choice


class AppearanceMenu(QObject):
    """View > Appearance: one checkable entry per appearance; the choice is applied at
    once and at the next start (it is applied when the menu is built)."""

    def __init__(self, menu: QMenu, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.actions = QActionGroup(self)
        for name in APPEARANCES:
            action = QAction(APPEARANCE_NAMES[name], menu, checkable=True)
            action.setData(name)
            action.triggered.connect(lambda _checked=False, n=name: self.choose(n))
            self.actions.addAction(action)
            menu.addAction(action)
        self.choose(str(settings.value(SETTING, "system")), keep=False)

    def choose(self, choice: str, keep: bool = True) -> None:
        """Apply `choice` ("system", "light" or "dark"); `keep` it for the next start."""
        applied = apply_appearance(choice) if choice != "system" or keep else "system"
        if keep:
            self._settings.setValue(SETTING, applied)
        for action in self.actions.actions():
            action.setChecked(action.data() == applied)

    @property
    def chosen(self) -> str:
        checked = self.actions.checkedAction()
        return str(checked.data()) if checked is not None else "system"


def light_palette() -> QPalette:
    return _palette(
        window="#f3f3f3",
        text="#1b1b1b",
        base="#ffffff",
        alternate="#eaeef4",
        button="#e9e9e9",
        highlight="#2160c4",
        highlighted_text="#ffffff",
        link="#0b57d0",
        link_visited="#6b3fb2",
        placeholder="#5f6368",
        disabled="#8c8c8c",
        tooltip="#ffffe8",
        light="#ffffff",
        mid="#b8b8b8",
        dark="#8a8a8a",
    )


def dark_palette() -> QPalette:
    return _palette(
        window="#26282b",
        text="#e8e8e8",
        base="#1c1d1f",
        alternate="#2e3238",
        button="#34373b",
        highlight="#3d7fe0",
        highlighted_text="#ffffff",
        link="#8ab4f8",
        link_visited="#c58af9",
        placeholder="#a8adb3",
        disabled="#7c7f84",
        tooltip="#33363a",
        light="#4a4d52",
        mid="#45484d",
        dark="#141516",
    )


def _palette(
    *,
    window: str,
    text: str,
    base: str,
    alternate: str,
    button: str,
    highlight: str,
    highlighted_text: str,
    link: str,
    link_visited: str,
    placeholder: str,
    disabled: str,
    tooltip: str,
    light: str,
    mid: str,
    dark: str,
) -> QPalette:
    palette = QPalette()
    colours = {
        Role.Window: window,
        Role.WindowText: text,
        Role.Base: base,
        Role.AlternateBase: alternate,
        Role.ToolTipBase: tooltip,
        Role.ToolTipText: text,
        Role.PlaceholderText: placeholder,
        Role.Text: text,
        Role.Button: button,
        Role.ButtonText: text,
        Role.BrightText: "#ff5c5c",
        Role.Light: light,
        Role.Midlight: mid,
        Role.Mid: mid,
        Role.Dark: dark,
        Role.Shadow: "#000000",
        Role.Highlight: highlight,
        Role.HighlightedText: highlighted_text,
        Role.Link: link,
        Role.LinkVisited: link_visited,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (Role.WindowText, Role.Text, Role.ButtonText, Role.PlaceholderText):
        palette.setColor(Group.Disabled, role, QColor(disabled))
    palette.setColor(Group.Disabled, Role.Highlight, QColor(mid))
    palette.setColor(Group.Inactive, Role.Highlight, QColor(highlight))
    return palette
