"""The Qt binding keeps its references: PySide6 6.12.0 on Python 3.11 dropped one to
`True` on every `Signal.emit` and one to `None` on every call of a Python override of a
Qt method, so a long session freed them and aborted ("bool_dealloc: deallocating True").
pyproject.toml keeps that release out; these fail if a version with the bug comes back."""

from __future__ import annotations

import multiprocessing
import sys
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QWidget

from desktop.bridge import EngineBridge
from engine.answer.answering import AnswerText
from engine.service.protocol import CLOSED

# Other threads take and drop references meanwhile; the bug lost one per call.
NOISE = 100


class Speaker(QObject):
    said = Signal(str)


class Painted(QWidget):
    def paintEvent(self, event: QPaintEvent) -> None:
        del event


def test_many_emits_keep_every_reference_to_true(qapp):
    speaker = Speaker()
    heard: list[str] = []
    speaker.said.connect(heard.append)
    before = sys.getrefcount(True)
    for _ in range(2_000):
        speaker.said.emit("token")
    assert len(heard) == 2_000
    assert sys.getrefcount(True) > before - NOISE


def test_python_overrides_of_qt_methods_keep_every_reference_to_none(qapp):
    widget = Painted()
    widget.resize(8, 8)
    widget.grab()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        widget.grab()  # calls paintEvent
    assert sys.getrefcount(None) > before - NOISE


def test_a_long_streamed_answer_through_the_bridge_keeps_them_too(qapp):
    bridge = EngineBridge()
    pieces: list[object] = []
    bridge.answer_event.connect(lambda _request, event: pieces.append(event))
    ours, theirs = multiprocessing.Pipe()

    def engine() -> None:  # one event per token, as the engine streams an answer
        for _ in range(1_000):
            theirs.send(("answer_event", (1, AnswerText("word "))))
        theirs.send((CLOSED, ()))

    sender = threading.Thread(target=engine)
    before = sys.getrefcount(True)
    sender.start()
    bridge._read(ours, None)  # type: ignore[arg-type]  # the reader thread's loop
    sender.join()
    assert len(pieces) == 1_000
    assert sys.getrefcount(True) > before - NOISE
