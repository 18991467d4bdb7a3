from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import UserInputError
from engine.settings import Settings, load_settings, resolve_paths, save_settings


def test_docent_home_moves_everything(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCENT_HOME", str(tmp_path / "h"))
    paths = resolve_paths()
    assert paths.config_dir == tmp_path / "h" / "config"
    assert paths.database == tmp_path / "h" / "data" / "docent.sqlite3"
    explicit = resolve_paths(tmp_path / "other")
    assert explicit.data_dir == tmp_path / "other" / "data"


def test_platform_dirs_without_home(monkeypatch):
    monkeypatch.delenv("DOCENT_HOME", raising=False)
    paths = resolve_paths()
    assert "Docent" in str(paths.data_dir) and "Docent" in str(paths.config_dir)


def test_roundtrip_with_descriptions(tmp_path):
    paths = resolve_paths(tmp_path)
    custom = Settings(chunk_tokens=180, ignore_patterns=("*.log", 'we"ird'), max_file_mb=5.5)
    save_settings(paths, custom)
    text = paths.settings_file.read_text()
    assert "# Target chunk length in embedder tokens." in text
    assert load_settings(paths) == custom


def test_missing_file_gives_defaults_and_unknown_keys_are_ignored(tmp_path):
    paths = resolve_paths(tmp_path)
    assert load_settings(paths) == Settings()
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text("from_the_future = 1\ndebounce_ms = 150\nmax_file_mb = 3\n")
    loaded = load_settings(paths)
    assert loaded.debounce_ms == 150 and loaded.max_file_mb == 3.0


@pytest.mark.parametrize(
    "line", ["debounce_ms = 'fast'", "ignore_patterns = 'x'", "this is not toml"]
)
def test_bad_values_name_the_file(tmp_path, line):
    paths = resolve_paths(tmp_path)
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text(line + "\n")
    with pytest.raises(UserInputError, match=str(Path(paths.settings_file).name)):
        load_settings(paths)


def test_every_setting_is_described():
    assert all(Settings.describe().values())


def test_choosing_a_model_changes_only_the_model_in_the_file(tmp_path, embedder, model_path):
    """Settings saved for the next start (say, from the settings dialog) survive a live
    model switch, which writes its own choice to the same file."""
    import dataclasses

    from engine.assistant import Assistant

    with Assistant(tmp_path / "home", embedder=embedder) as assistant:
        on_disk = dataclasses.replace(load_settings(assistant.paths), n_ctx=2048)
        save_settings(assistant.paths, on_disk)
        assistant.use_model(model_path)
        saved = load_settings(assistant.paths)
    assert saved.model == str(model_path)
    assert saved.n_ctx == 2048
