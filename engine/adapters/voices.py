"""Voices: the adapter library and the voice the model answers in, behind one small facade.

`Assistant.voices` is the only way in from outside the package: front ends, benchmarks
and build scripts list, add, remove and train adapters here and switch the voice here,
never through the library itself. The voice is the generator's own state (the adapters
applied to it), so there is one owner: `use` applies a voice once and answers come in it
until the next `use`; a new model starts with no voice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.adapters.files import misfit
from engine.adapters.library import AdapterChoice, AdapterLibrary, LibraryEntry
from engine.adapters.reader import READER_NAME, ReaderState, reader_layer
from engine.adapters.runtime import ActiveAdapter
from engine.errors import AdapterError, UserInputError

if TYPE_CHECKING:
    from engine.answer.prompting import PromptShape
    from engine.jobs import CancelToken
    from engine.models.generation import LlamaGenerator
    from engine.training import TrainingConfig, TrainingProgress, TrainingResult


class Voices:
    """The adapter library of one Docent home and the voice of the model now answering."""

    def __init__(
        self,
        library: AdapterLibrary,
        generator: Callable[[], LlamaGenerator],
        reader: Callable[[], ReaderState],
        prompt_shape: Callable[[], PromptShape],
    ) -> None:
        self._library = library
        self._generator = generator  # the facade's model, built on first use
        self._reader = reader
        self._prompt_shape = prompt_shape

    # -- the voice -----------------------------------------------------------------------

    @property
    def current(self) -> tuple[AdapterChoice, ...]:
        """The voice answers are given in now (the reader under it is not part of it)."""
        return tuple(
            AdapterChoice(a.name, a.scale)
            for a in self._generator().adapters
            if a.name != READER_NAME
        )

    def prepare(self) -> tuple[AdapterChoice, ...]:
        """The voice answers come in now; a model that has had no voice applied yet
        (just loaded or switched) gets the reader under it first, once."""
        if not self._generator().adapters:
            self.use(())  # the reader alone, where it applies; else nothing to do
        return self.current

    def use(self, voice: Sequence[AdapterChoice]) -> tuple[AdapterChoice, ...]:
        """Answer in `voice` from now on (no model reload); AdapterError or
        UserInputError leave the voice as it was.

        The reader, where it applies, goes under the voice: "no voice" is the reader alone.
        Asking for the voice already applied changes nothing.
        """
        chosen = tuple(voice)
        names = [choice.name for choice in chosen]
        for name in names:
            if names.count(name) > 1:
                raise UserInputError(f"adapter {name!r} is chosen twice")
        generator = self._generator()
        active = []
        for choice in chosen:
            info = self._library.info(choice.name)
            reason = misfit(info, generator.header)
            if reason is not None:
                raise AdapterError(f"adapter {choice.name!r} ({info.path}): {reason}")
            active.append(ActiveAdapter(info.path, choice.scale, choice.name))
        generator.set_adapters([*reader_layer(self._reader()), *active])
        return chosen

    # -- the library ---------------------------------------------------------------------

    def entries(self) -> list[LibraryEntry]:
        """Every adapter in the library, each checked against the current model."""
        return self._library.entries(self._generator().header)

    def names(self) -> list[str]:
        """The library's adapter names (nothing is checked, the model is not loaded)."""
        return self._library.names()

    def entry(self, name: str) -> LibraryEntry:
        """One adapter, checked against the current model (UserInputError if unknown)."""
        return self._library.entry(name, self._generator().header)

    def add(
        self,
        path: str | Path,
        name: str | None = None,
        replace: bool = False,
        any_model: bool = False,
    ) -> LibraryEntry:
        """Check an adapter file and copy it into the library (refused if it does not
        fit the current model, unless `any_model`)."""
        model = self._generator().header
        added = self._library.add(path, name, replace=replace, model=None if any_model else model)
        return self._library.entry(added.name, model)

    def remove(self, name: str) -> None:
        """Delete an adapter from the library (and stop applying it, if it was)."""
        path = self._library.path_for(name)
        generator = self._generator()
        if any(a.path == path for a in generator.adapters):
            generator.set_adapters([a for a in generator.adapters if a.path != path])
        self._library.remove(name)

    def report(self, name: str) -> dict[str, object] | None:
        """The training report saved next to an adapter Docent trained, if any."""
        from engine.training import read_report

        return read_report(self._library, name)

    def train(
        self,
        samples: str | Path,
        name: str,
        config: TrainingConfig | None = None,
        progress: Callable[[TrainingProgress], None] | None = None,
        cancel: CancelToken | None = None,
        replace: bool = False,
        compare: bool = True,
    ) -> TrainingResult | None:
        """Train a voice on the current model from writing samples, into the library
        (None when cancelled: then nothing is added). Where the reader applies, the new
        adapter is trained on top of it, in the reader's prompt. Without the training
        stack (the lean package) it says how to get it, before the model loads."""
        from engine.training import check_training_stack, train_style_adapter

        check_training_stack()
        return train_style_adapter(
            samples,
            name,
            self._library,
            self._generator(),
            config,
            progress,
            cancel,
            replace,
            compare,
            self._prompt_shape(),
            reader_layer(self._reader()),
        )
